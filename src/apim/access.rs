//! `apim access`: the least-privilege set-up for `apim specs`, as an Azure CLI script or Bicep.
//! An app registration and its service principal get the built-in *API Management Service
//! Reader Role* on exactly one instance; the client secret is made at run time and never lands
//! in a file.
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

/// What to set up, validated.
#[derive(Debug, Clone)]
pub struct Access {
    pub instance: ApimInstance,
    pub app_name: String,
    pub secret_days: u32,
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
    role_id: &'a str,
    role_name: &'a str,
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
        role_id: READER_ROLE_ID,
        role_name: READER_ROLE_NAME,
    };
    let (template, file, must_hold) = match format {
        AccessFormat::Cli => (
            "apim/access.sh.j2",
            "apim-access.sh",
            vec![
                format!("role_id='{READER_ROLE_ID}'"),
                format!("scope='{}'", ctx.scope),
                "set -euo pipefail".to_string(),
            ],
        ),
        AccessFormat::Bicep => (
            "apim/access.bicep.j2",
            "apim-access.bicep",
            vec![
                format!("var readerRoleId = '{READER_ROLE_ID}'"),
                format!("  name: '{}'", a.instance.service),
                "  scope: apim\n".to_string(),
            ],
        ),
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
        };
        let sh = render(&a, AccessFormat::Cli).unwrap().text;
        assert!(sh.contains("secret_days=90\n"));
        let bicep = render(&a, AccessFormat::Bicep).unwrap().text;
        assert!(bicep.contains("var appUniqueName = 'akto-reader'"));
        assert!(bicep.contains("displayName: 'akto reader'"));
    }
}
