//! The capture as infrastructure as code: an ARM template holding the policy text, or a Bicep or
//! Terraform file that loads the policy file written beside it (`loadTextContent`, `file`), so
//! policy text is never re-escaped for a second language.
//!
//! Resource types: `Microsoft.ApiManagement/service/policies` (global),
//! `service/products/policies`, `service/apis/policies`, `service/apis/operations/policies`,
//! `service/policyFragments`; Terraform's `azurerm_api_management_policy`,
//! `…_product_policy`, `…_api_policy`, `…_api_operation_policy`, `…_policy_fragment`.
//! Every policy resource uses `format: rawxml`: the text is exactly what `--format rawxml` prints.
//! Terraform's policy resources have no `format` argument: azurerm sends `xml_content` with
//! format `rawxml` (and `xml_link` as `rawxml-link`), and reads the policy back as `xml`,
//! unescaping entities before it compares (its `api_management_*policy_resource.go`), so the file
//! `xml_content` loads is the rawxml text. `azurerm_api_management_policy_fragment` takes a
//! `format` whose default is `xml`, hence the explicit `format = "rawxml"` there.
//!
//! The Bicep and Terraform files come from `templates/apim/`, every name through the one Bicep
//! (`bicep`) or HCL (`hcl`) escape of `render`.
//!
//! Not for: files (the caller writes what this returns).

use serde::Serialize;

use super::capture::{Fragment, Scope};
use crate::error::InputError;
use crate::render::{self, Artifact, Syntax};

/// The ARM API version of every resource written here.
pub const API_VERSION: &str = "2022-08-01";

/// Bicep's `loadTextContent` reads at most this many characters.
pub const BICEP_LOAD_LIMIT: usize = 131_072;

/// The policy file Bicep and Terraform load.
pub use super::capture::POLICY_FILE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Arm,
    Bicep,
    Terraform,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Arm => "arm",
            Kind::Bicep => "bicep",
            Kind::Terraform => "terraform",
        }
    }
}

/// Checked resource names for one policy (or for the fragments: scope `None`).
#[derive(Debug, Clone)]
pub struct Names {
    service: String,
    scope: Option<Scope>,
    api: Option<String>,
    operation: Option<String>,
    product: Option<String>,
}

fn check_service(value: Option<&str>, what: &str) -> Result<String, InputError> {
    let Some(v) = value else {
        return Err(InputError::missing(
            "--apim-service",
            format!("{what} needs the API Management instance's name"),
            "add --apim-service NAME (the name in the portal, for example contoso-apim)",
        ));
    };
    let b = v.as_bytes();
    let ok = (1..=50).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[b.len() - 1] != b'-';
    if !ok {
        return Err(InputError::new(
            "--apim-service",
            v,
            "an API Management instance name is 1 to 50 letters, digits or `-`, starting with a letter and not ending with `-`",
            "give the instance's name as the portal shows it",
        ));
    }
    Ok(v.to_string())
}

fn check_id(flag: &str, value: Option<&str>, scope: Scope) -> Result<String, InputError> {
    let Some(v) = value else {
        return Err(InputError::missing(
            flag,
            format!("--scope {} needs {flag}", scope.name()),
            format!("add {flag} ID (the id in the resource's URL, not its display name)"),
        ));
    };
    let ok = (1..=256).contains(&v.len())
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~'));
    if !ok {
        return Err(InputError::new(
            flag,
            v,
            "an id here is 1 to 256 letters, digits, `-`, `_`, `.` or `~`",
            "give the id from the resource's URL (…/apis/<id>), not its display name",
        ));
    }
    Ok(v.to_string())
}

fn unused(flag: &str, value: Option<&str>, scope: Scope) -> Result<(), InputError> {
    match value {
        Some(v) => Err(InputError::new(
            flag,
            v,
            format!("--scope {} does not use {flag}", scope.name()),
            "drop it, or choose the --scope it belongs to",
        )),
        None => Ok(()),
    }
}

impl Names {
    pub fn for_policy(
        scope: Scope,
        service: Option<&str>,
        api: Option<&str>,
        operation: Option<&str>,
        product: Option<&str>,
    ) -> Result<Self, InputError> {
        let service = check_service(service, "--format arm|bicep|terraform")?;
        let mut names = Self {
            service,
            scope: Some(scope),
            api: None,
            operation: None,
            product: None,
        };
        match scope {
            Scope::Global => {
                unused("--api-id", api, scope)?;
                unused("--operation-id", operation, scope)?;
                unused("--product-id", product, scope)?;
            }
            Scope::Product => {
                names.product = Some(check_id("--product-id", product, scope)?);
                unused("--api-id", api, scope)?;
                unused("--operation-id", operation, scope)?;
            }
            Scope::Api => {
                names.api = Some(check_id("--api-id", api, scope)?);
                unused("--operation-id", operation, scope)?;
                unused("--product-id", product, scope)?;
            }
            Scope::Operation => {
                names.api = Some(check_id("--api-id", api, scope)?);
                names.operation = Some(check_id("--operation-id", operation, scope)?);
                unused("--product-id", product, scope)?;
            }
        }
        Ok(names)
    }

    pub fn for_fragments(service: Option<&str>) -> Result<Self, InputError> {
        Ok(Self {
            service: check_service(service, "--format arm|bicep|terraform")?,
            scope: None,
            api: None,
            operation: None,
            product: None,
        })
    }

    fn arm_type_and_name(&self) -> (&'static str, String) {
        let s = &self.service;
        let get = |o: &Option<String>| o.clone().unwrap_or_default();
        match self.scope {
            Some(Scope::Product) => (
                "Microsoft.ApiManagement/service/products/policies",
                format!("{s}/{}/policy", get(&self.product)),
            ),
            Some(Scope::Api) => (
                "Microsoft.ApiManagement/service/apis/policies",
                format!("{s}/{}/policy", get(&self.api)),
            ),
            Some(Scope::Operation) => (
                "Microsoft.ApiManagement/service/apis/operations/policies",
                format!("{s}/{}/{}/policy", get(&self.api), get(&self.operation)),
            ),
            _ => (
                "Microsoft.ApiManagement/service/policies",
                format!("{s}/policy"),
            ),
        }
    }
}

fn arm_template(resources: Vec<serde_json::Value>) -> String {
    let template = serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    });
    serde_json::to_string_pretty(&template).unwrap_or_default() + "\n"
}

fn bicep_limit(file: &str, text: &str) -> anyhow::Result<()> {
    let chars = text.chars().count();
    if chars > BICEP_LOAD_LIMIT {
        anyhow::bail!(InputError::new(
            "--format bicep",
            file,
            format!("the policy is {chars} characters; Bicep's loadTextContent reads at most {BICEP_LOAD_LIMIT}"),
            "use --format arm or terraform, or --with-fragments to shorten the policy",
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct PolicyContext<'a> {
    scope: &'static str,
    policy_file: &'static str,
    api_version: &'static str,
    service: &'a str,
    product: Option<&'a str>,
    api: Option<&'a str>,
    operation: Option<&'a str>,
    arm_type: &'static str,
    /// The Bicep symbol the policy resource hangs from.
    parent: &'static str,
    /// The Terraform labels of the fragments the policy includes (`depends_on`).
    fragment_labels: Vec<String>,
    /// The fragments' Bicep file, a module the policy depends on (`--with-fragments`).
    fragments_module: Option<&'static str>,
}

/// The shared Terraform file: the resource group variable and the instance's data source, the
/// same for `apim policy` and `apim fragments`, so both can be written into one folder.
const TERRAFORM_APIM_FILE: &str = "akto-apim.tf";
/// The fragments' Bicep file (and the policy's module when it includes them).
pub const BICEP_FRAGMENTS_FILE: &str = "akto-capture-fragments.bicep";

fn terraform_apim(service: &str) -> anyhow::Result<Artifact> {
    Ok(Artifact::new(
        TERRAFORM_APIM_FILE,
        render::render(
            "apim/apim.tf.j2",
            minijinja::context! { service => service },
        )?,
    ))
}

/// The ARM resource of one fragment.
fn arm_fragment(service: &str, f: &Fragment) -> serde_json::Value {
    serde_json::json!({
        "type": "Microsoft.ApiManagement/service/policyFragments",
        "apiVersion": API_VERSION,
        "name": format!("{service}/{}", f.id),
        "properties": {
            "description": f.description,
            "format": "rawxml",
            "value": f.text,
        },
    })
}

/// The artifacts for one policy: ARM is one template holding the text; Bicep and Terraform are
/// the file (from `templates/apim/policy.*.j2`) and the policy file it loads.
///
/// `fragments`: the fragments the policy includes (`--with-fragments`), which APIM must hold
/// before it accepts the policy. ARM deploys them in the same template, the policy `dependsOn`
/// them; Bicep deploys the fragments' file as a module the policy depends on; Terraform's policy
/// `depends_on` the fragment resources of `apim fragments --format terraform` in the same folder.
pub fn policy_files(
    kind: Kind,
    names: &Names,
    policy: &str,
    fragments: Option<&[Fragment]>,
) -> anyhow::Result<Vec<Artifact>> {
    let scope = names.scope.unwrap_or(Scope::Api);
    let (arm_type, arm_name) = names.arm_type_and_name();
    let policy_file = || Artifact::new(POLICY_FILE, policy).read_as(Syntax::Policy);
    let ctx = PolicyContext {
        scope: scope.name(),
        policy_file: POLICY_FILE,
        api_version: API_VERSION,
        service: &names.service,
        product: names.product.as_deref(),
        api: names.api.as_deref(),
        operation: names.operation.as_deref(),
        arm_type,
        parent: match (&names.operation, &names.api, &names.product) {
            (Some(_), _, _) => "operation",
            (None, Some(_), _) => "api",
            (None, None, Some(_)) => "product",
            _ => "service",
        },
        fragment_labels: fragments
            .into_iter()
            .flatten()
            .map(|f| terraform_label(&f.id))
            .collect(),
        fragments_module: fragments.map(|_| BICEP_FRAGMENTS_FILE),
    };
    let files = match kind {
        Kind::Arm => {
            let fragments = fragments.unwrap_or_default();
            let mut resources: Vec<serde_json::Value> = fragments
                .iter()
                .map(|f| arm_fragment(&names.service, f))
                .collect();
            let mut resource = serde_json::json!({
                "type": arm_type,
                "apiVersion": API_VERSION,
                "name": arm_name,
                "properties": { "format": "rawxml", "value": policy },
            });
            if !fragments.is_empty() {
                resource["dependsOn"] = fragments
                    .iter()
                    .map(|f| {
                        serde_json::Value::String(format!(
                            "[resourceId('Microsoft.ApiManagement/service/policyFragments', '{}', '{}')]",
                            names.service, f.id
                        ))
                    })
                    .collect();
            }
            resources.push(resource);
            let template = arm_template(resources);
            let mut texts: Vec<&str> = fragments.iter().map(|f| f.text.as_str()).collect();
            texts.push(policy);
            read_back_arm(&template, &texts)?;
            vec![Artifact::new("akto-capture-policy.json", template).read_as(Syntax::Json)]
        }
        Kind::Bicep => {
            bicep_limit(POLICY_FILE, policy)?;
            vec![
                Artifact::new(
                    "akto-capture.bicep",
                    render::render("apim/policy.bicep.j2", &ctx)?,
                ),
                policy_file(),
            ]
        }
        Kind::Terraform => vec![
            Artifact::new(
                "akto-capture.tf",
                render::render("apim/policy.tf.j2", &ctx)?,
            ),
            policy_file(),
            terraform_apim(&names.service)?,
        ],
    };
    Ok(files)
}

/// Parses an ARM template back and confirms each resource's `value` is the text, byte for byte.
fn read_back_arm(template: &str, texts: &[&str]) -> anyhow::Result<()> {
    let parsed: serde_json::Value = serde_json::from_str(template).map_err(|e| {
        anyhow::anyhow!(
            "internal error: the ARM template does not parse ({e}); nothing was written"
        )
    })?;
    let values: Vec<Option<&str>> = parsed["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| r["properties"]["value"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let want: Vec<Option<&str>> = texts.iter().map(|t| Some(*t)).collect();
    if values != want {
        anyhow::bail!("internal error: the ARM template does not hold the policy text as given; nothing was written");
    }
    Ok(())
}

#[derive(Serialize)]
struct FragmentContext<'a> {
    id: &'a str,
    description: &'a str,
    /// The file beside the Bicep or Terraform file that holds the fragment's text.
    file: String,
    /// The Terraform resource label.
    label: String,
}

/// The artifacts for the two fragments: ARM is one template; Bicep and Terraform are the file
/// (from `templates/apim/fragments.*.j2`) and one `<id>.xml` per fragment.
pub fn fragment_files(
    kind: Kind,
    names: &Names,
    fragments: &[Fragment],
) -> anyhow::Result<Vec<Artifact>> {
    let svc = &names.service;
    if kind == Kind::Arm {
        let template = arm_template(fragments.iter().map(|f| arm_fragment(svc, f)).collect());
        let texts: Vec<&str> = fragments.iter().map(|f| f.text.as_str()).collect();
        read_back_arm(&template, &texts)?;
        return Ok(vec![
            Artifact::new("akto-capture-fragments.json", template).read_as(Syntax::Json)
        ]);
    }
    let items: Vec<FragmentContext> = fragments
        .iter()
        .map(|f| FragmentContext {
            id: &f.id,
            description: &f.description,
            file: format!("{}.xml", f.id),
            label: terraform_label(&f.id),
        })
        .collect();
    let (name, template) = match kind {
        Kind::Bicep => {
            for (item, f) in items.iter().zip(fragments) {
                bicep_limit(&item.file, &f.text)?;
            }
            (BICEP_FRAGMENTS_FILE, "apim/fragments.bicep.j2")
        }
        _ => ("akto-capture-fragments.tf", "apim/fragments.tf.j2"),
    };
    let text = render::render(
        template,
        minijinja::context! { api_version => API_VERSION, service => svc, fragments => &items },
    )?;
    let mut files = vec![Artifact::new(name, text)];
    if kind == Kind::Terraform {
        files.push(terraform_apim(svc)?);
    }
    for (item, f) in items.iter().zip(fragments) {
        files.push(Artifact::new(&item.file, &f.text).read_as(Syntax::Policy));
    }
    Ok(files)
}

/// A Terraform resource label from a fragment id (letters, digits, `_`; not starting with a digit).
fn terraform_label(id: &str) -> String {
    let label = id.replace('-', "_");
    if label.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{label}")
    } else {
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_flags_are_required_and_exclusive() {
        assert!(Names::for_policy(Scope::Api, Some("contoso"), None, None, None).is_err());
        assert!(Names::for_policy(Scope::Api, None, Some("orders"), None, None).is_err());
        assert!(
            Names::for_policy(Scope::Global, Some("contoso"), Some("orders"), None, None).is_err()
        );
        assert!(Names::for_policy(
            Scope::Operation,
            Some("contoso"),
            Some("orders"),
            Some("get-order"),
            None
        )
        .is_ok());
        assert!(Names::for_policy(Scope::Api, Some("contoso"), Some("a'b"), None, None).is_err());
    }
}
