//! `apim access`: the least-privilege set-up for `apim specs` (read) or `apim apply` / `apim
//! remove` (write policies), as an Azure CLI script or Bicep. An app registration and its service
//! principal get a role on exactly one instance: the built-in *API Management Service Reader
//! Role*, or a custom role holding exactly [`POLICY_WRITER_ACTIONS`], or (where the signed-in user
//! may not create custom roles) the built-in *API Management Service Contributor*. The client
//! secret is made at run time and never lands in a file.
//!
//! Not for: running anything against Azure.

use serde::Serialize;

use super::azure::{ApimInstance, READER_ROLE_ID, READER_ROLE_NAME};
use crate::error::InputError;
use crate::render::{self, Artifact};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessFormat {
    /// A bash script of Azure CLI calls.
    Cli,
    /// A Bicep file (with the Microsoft Graph extension).
    Bicep,
}

/// Which role the identity gets on the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessRole {
    /// Built-in reader: `apim specs`, `apim pull`, `apim live-coverage`.
    Reader,
    /// A custom role with exactly [`POLICY_WRITER_ACTIONS`]: `apim apply` and `apim remove`.
    PolicyWriter,
    /// Built-in *API Management Service Contributor* (`Microsoft.ApiManagement/service/*`): for
    /// when nobody may create a custom role; far wider than apply needs.
    Contributor,
}

/// Built-in *API Management Service Contributor* (Microsoft's built-in roles list).
pub const CONTRIBUTOR_ROLE_ID: &str = "312a565d-c81f-4fd8-895a-4e21e48d571c";
pub const CONTRIBUTOR_ROLE_NAME: &str = "API Management Service Contributor";

/// What `apim apply` / `apim remove` call on the instance, as Azure RBAC actions, and nothing
/// else (a test maps every request of both commands at every scope to its action and compares).
/// Every name is from Microsoft's list of resource provider operations (Microsoft.ApiManagement).
/// The reads list the APIs (`--all-apis`) and tell "no policy" from "no such product, API or
/// operation" on a 404; policies are GET, PUT (with `If-Match`) and DELETE of `…/policies/policy`
/// (delete only below the global scope: remove deletes a policy apply created there, and never
/// the global one); fragments are GET and PUT of `…/policyFragments/{id}` (remove leaves them:
/// an unused fragment does nothing, and another policy may include it).
pub const POLICY_WRITER_ACTIONS: &[&str] = &[
    "Microsoft.ApiManagement/service/apis/read",
    "Microsoft.ApiManagement/service/apis/operations/read",
    "Microsoft.ApiManagement/service/products/read",
    "Microsoft.ApiManagement/service/policies/read",
    "Microsoft.ApiManagement/service/policies/write",
    "Microsoft.ApiManagement/service/products/policies/read",
    "Microsoft.ApiManagement/service/products/policies/write",
    "Microsoft.ApiManagement/service/products/policies/delete",
    "Microsoft.ApiManagement/service/apis/policies/read",
    "Microsoft.ApiManagement/service/apis/policies/write",
    "Microsoft.ApiManagement/service/apis/policies/delete",
    "Microsoft.ApiManagement/service/apis/operations/policies/read",
    "Microsoft.ApiManagement/service/apis/operations/policies/write",
    "Microsoft.ApiManagement/service/apis/operations/policies/delete",
    "Microsoft.ApiManagement/service/policyFragments/read",
    "Microsoft.ApiManagement/service/policyFragments/write",
];

impl AccessRole {
    /// The app registration's default display name.
    pub fn default_app_name(self) -> &'static str {
        match self {
            AccessRole::Reader => "akto-connect-apim-reader",
            AccessRole::PolicyWriter | AccessRole::Contributor => "akto-connect-apim-writer",
        }
    }
}

/// What to set up, validated.
#[derive(Debug, Clone)]
pub struct Access {
    pub instance: ApimInstance,
    pub app_name: String,
    pub secret_days: u32,
    pub role: AccessRole,
}

/// The custom role's name: unique in the tenant (role names are), so it names the instance.
pub fn custom_role_name(instance: &ApimInstance) -> String {
    format!(
        "Akto Connect APIM Policy Writer ({}/{})",
        instance.resource_group, instance.service
    )
}

/// An app registration display name that is safe in an OData filter, a JMESPath literal, a shell
/// word and a Bicep string: 1–120 characters of ASCII letters, digits, space, `.`, `_`, `-`,
/// starting with a letter or digit and not ending with a space.
pub fn parse_app_name(input: &str, value: &str) -> Result<String, InputError> {
    let problem = if value.is_empty() || value.len() > 120 {
        Some(format!(
            "the name has 1 to 120 characters, this has {}",
            value.chars().count()
        ))
    } else if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-')))
    {
        Some(format!("{c:?} is not allowed here"))
    } else if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) || value.ends_with(' ') {
        Some("the name starts with a letter or digit and does not end with a space".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(value.to_string()),
        Some(p) => Err(InputError::new(
            input,
            value,
            p,
            "use ASCII letters, digits, spaces, '.', '_' and '-', for example akto-connect-apim-reader",
        )),
    }
}

#[derive(Serialize)]
struct Ctx<'a> {
    subscription: &'a str,
    resource_group: &'a str,
    service: &'a str,
    scope: String,
    app_name: &'a str,
    app_unique_name: String,
    secret_days: u32,
    role_id: String,
    role_name: String,
    /// A custom role is made (Cli: at run time; Bicep: as a resource) and its id used.
    custom_role: bool,
    /// The resource group's id: a custom role's assignable scope (Azure RBAC takes management
    /// groups, subscriptions and resource groups there, not a single resource).
    rg_scope: String,
    actions: Vec<&'static str>,
    actions_json: String,
    /// The command the identity is for, and the client secret's display name.
    purpose: &'static str,
}

/// Renders the set-up, and checks the result holds the role id and the exact scope.
pub fn render(a: &Access, format: AccessFormat) -> anyhow::Result<Artifact> {
    let ctx = Ctx {
        subscription: &a.instance.subscription,
        resource_group: &a.instance.resource_group,
        service: &a.instance.service,
        scope: a.instance.scope(),
        app_name: &a.app_name,
        app_unique_name: a.app_name.replace(' ', "-"),
        secret_days: a.secret_days,
        role_id: match a.role {
            AccessRole::Reader => READER_ROLE_ID.to_string(),
            AccessRole::Contributor => CONTRIBUTOR_ROLE_ID.to_string(),
            AccessRole::PolicyWriter => String::new(),
        },
        role_name: match a.role {
            AccessRole::Reader => READER_ROLE_NAME.to_string(),
            AccessRole::Contributor => CONTRIBUTOR_ROLE_NAME.to_string(),
            AccessRole::PolicyWriter => custom_role_name(&a.instance),
        },
        custom_role: a.role == AccessRole::PolicyWriter,
        rg_scope: format!(
            "/subscriptions/{}/resourceGroups/{}",
            a.instance.subscription, a.instance.resource_group
        ),
        actions: POLICY_WRITER_ACTIONS.to_vec(),
        actions_json: serde_json::to_string(POLICY_WRITER_ACTIONS)?,
        purpose: match a.role {
            AccessRole::Reader => "apim specs",
            AccessRole::PolicyWriter | AccessRole::Contributor => "apim apply",
        },
    };
    let mut must_hold = match format {
        AccessFormat::Cli => vec![
            format!("scope='{}'", ctx.scope),
            "set -euo pipefail".to_string(),
        ],
        AccessFormat::Bicep => vec![
            format!("  name: '{}'", a.instance.service),
            "  scope: apim\n".to_string(),
        ],
    };
    match (format, a.role) {
        (AccessFormat::Cli, AccessRole::PolicyWriter) => {
            must_hold.push(format!("actions='{}'", ctx.actions_json))
        }
        (AccessFormat::Cli, _) => must_hold.push(format!("role_id='{}'", ctx.role_id)),
        (AccessFormat::Bicep, AccessRole::PolicyWriter) => must_hold.extend(
            POLICY_WRITER_ACTIONS
                .iter()
                .map(|action| format!("      '{action}'\n")),
        ),
        (AccessFormat::Bicep, _) => must_hold.push(format!("var roleId = '{}'", ctx.role_id)),
    }
    let (template, file) = match format {
        AccessFormat::Cli => ("apim/access.sh.j2", "apim-access.sh"),
        AccessFormat::Bicep => ("apim/access.bicep.j2", "apim-access.bicep"),
    };
    let text = render::render(template, &ctx)?;
    if let Some(missing) = must_hold.iter().find(|m| !text.contains(m.as_str())) {
        anyhow::bail!("internal error: the rendered set-up lacks {missing:?}; nothing written");
    }
    Ok(Artifact::new(file, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_names() {
        assert!(parse_app_name("--app-name", "akto-connect apim.reader_1").is_ok());
        for bad in [
            "",
            " x",
            "x ",
            "a'b",
            "a\"b",
            "a$b",
            "é",
            "-x",
            &"a".repeat(121),
        ] {
            assert!(parse_app_name("--app-name", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn both_forms_hold_the_role_and_scope() {
        let a = Access {
            instance: ApimInstance::parse(
                "00000000-1111-2222-3333-444444444444",
                "rg(1)",
                "contoso",
            )
            .unwrap(),
            app_name: "akto reader".into(),
            secret_days: 90,
            role: AccessRole::Reader,
        };
        let sh = render(&a, AccessFormat::Cli).unwrap().text;
        assert!(sh.contains("secret_days=90\n"));
        let bicep = render(&a, AccessFormat::Bicep).unwrap().text;
        assert!(bicep.contains("var appUniqueName = 'akto-reader'"));
        assert!(bicep.contains("displayName: 'akto reader'"));
    }
}
