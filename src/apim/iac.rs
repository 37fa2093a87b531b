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
//! Not for: files (the caller writes what this returns).

use std::path::PathBuf;

use super::capture::{Fragment, Scope};
use crate::error::InputError;

/// The ARM API version of every resource written here.
pub const API_VERSION: &str = "2022-08-01";

/// Bicep's `loadTextContent` reads at most this many characters.
pub const BICEP_LOAD_LIMIT: usize = 131_072;

/// The policy file Bicep and Terraform load.
pub const POLICY_FILE: &str = "akto-capture-policy.xml";

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
        return Err(InputError::new(
            "--apim-service",
            "",
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
        return Err(InputError::new(
            flag,
            "",
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

/// A Bicep single-quoted string.
fn bicep_str(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A Terraform (HCL) double-quoted string.
fn hcl_str(s: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
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

/// The files for one policy: `(relative path, text)`; ARM is one file (its path unused).
pub fn policy_files(
    kind: Kind,
    names: &Names,
    policy: &str,
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let scope = names.scope.unwrap_or(Scope::Api);
    let (arm_type, arm_name) = names.arm_type_and_name();
    let files = match kind {
        Kind::Arm => vec![(
            PathBuf::from("akto-capture-policy.json"),
            arm_template(vec![serde_json::json!({
                "type": arm_type,
                "apiVersion": API_VERSION,
                "name": arm_name,
                "properties": { "format": "rawxml", "value": policy },
            })]),
        )],
        Kind::Bicep => {
            bicep_limit(POLICY_FILE, policy)?;
            let mut b = format!(
                "// Akto traffic capture, {} scope. Generated by akto-connect; the policy text is in {POLICY_FILE} beside this file.\n\nresource service 'Microsoft.ApiManagement/service@{API_VERSION}' existing = {{\n  name: {}\n}}\n",
                scope.name(),
                bicep_str(&names.service)
            );
            let mut parent = "service";
            if let Some(product) = &names.product {
                b.push_str(&format!("\nresource product 'Microsoft.ApiManagement/service/products@{API_VERSION}' existing = {{\n  parent: service\n  name: {}\n}}\n", bicep_str(product)));
                parent = "product";
            }
            if let Some(api) = &names.api {
                b.push_str(&format!("\nresource api 'Microsoft.ApiManagement/service/apis@{API_VERSION}' existing = {{\n  parent: service\n  name: {}\n}}\n", bicep_str(api)));
                parent = "api";
            }
            if let Some(op) = &names.operation {
                b.push_str(&format!("\nresource operation 'Microsoft.ApiManagement/service/apis/operations@{API_VERSION}' existing = {{\n  parent: api\n  name: {}\n}}\n", bicep_str(op)));
                parent = "operation";
            }
            b.push_str(&format!(
                "\nresource aktoCapturePolicy '{arm_type}@{API_VERSION}' = {{\n  parent: {parent}\n  name: 'policy'\n  properties: {{\n    format: 'rawxml'\n    value: loadTextContent({})\n  }}\n}}\n",
                bicep_str(POLICY_FILE)
            ));
            vec![
                (PathBuf::from("akto-capture.bicep"), b),
                (PathBuf::from(POLICY_FILE), policy.to_string()),
            ]
        }
        Kind::Terraform => {
            let file = format!("file(\"${{path.module}}/{POLICY_FILE}\")");
            let svc = hcl_str(&names.service);
            let mut t = format!(
                "# Akto traffic capture, {} scope. Generated by akto-connect; the policy text is in {POLICY_FILE} beside this file.\n\nvariable \"resource_group_name\" {{\n  type        = string\n  description = {}\n}}\n\n",
                scope.name(),
                hcl_str(&format!("The resource group of the API Management instance {}.", names.service))
            );
            let get = |o: &Option<String>| hcl_str(o.as_deref().unwrap_or_default());
            match scope {
                Scope::Global => t.push_str(&format!(
                    "data \"azurerm_api_management\" \"apim\" {{\n  name                = {svc}\n  resource_group_name = var.resource_group_name\n}}\n\nresource \"azurerm_api_management_policy\" \"akto_capture\" {{\n  api_management_id = data.azurerm_api_management.apim.id\n  xml_content       = {file}\n}}\n"
                )),
                Scope::Product => t.push_str(&format!(
                    "resource \"azurerm_api_management_product_policy\" \"akto_capture\" {{\n  product_id          = {}\n  api_management_name = {svc}\n  resource_group_name = var.resource_group_name\n  xml_content         = {file}\n}}\n",
                    get(&names.product)
                )),
                Scope::Api => t.push_str(&format!(
                    "resource \"azurerm_api_management_api_policy\" \"akto_capture\" {{\n  api_name            = {}\n  api_management_name = {svc}\n  resource_group_name = var.resource_group_name\n  xml_content         = {file}\n}}\n",
                    get(&names.api)
                )),
                Scope::Operation => t.push_str(&format!(
                    "resource \"azurerm_api_management_api_operation_policy\" \"akto_capture\" {{\n  api_name            = {}\n  operation_id        = {}\n  api_management_name = {svc}\n  resource_group_name = var.resource_group_name\n  xml_content         = {file}\n}}\n",
                    get(&names.api),
                    get(&names.operation)
                )),
            }
            vec![
                (PathBuf::from("akto-capture.tf"), t),
                (PathBuf::from(POLICY_FILE), policy.to_string()),
            ]
        }
    };
    if kind == Kind::Arm {
        read_back_arm(&files[0].1, &[policy])?;
    }
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

/// The files for the two fragments: `(relative path, text)`; ARM is one template.
pub fn fragment_files(
    kind: Kind,
    names: &Names,
    fragments: &[Fragment],
) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let svc = &names.service;
    let files = match kind {
        Kind::Arm => vec![(
            PathBuf::from("akto-capture-fragments.json"),
            arm_template(
                fragments
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "type": "Microsoft.ApiManagement/service/policyFragments",
                            "apiVersion": API_VERSION,
                            "name": format!("{svc}/{}", f.id),
                            "properties": {
                                "description": f.description,
                                "format": "rawxml",
                                "value": f.text,
                            },
                        })
                    })
                    .collect(),
            ),
        )],
        Kind::Bicep => {
            let mut b = format!(
                "// Akto traffic capture as two policy fragments. Generated by akto-connect; the fragment texts are in the .xml files beside this file.\n\nresource service 'Microsoft.ApiManagement/service@{API_VERSION}' existing = {{\n  name: {}\n}}\n",
                bicep_str(svc)
            );
            let mut files = Vec::new();
            for (i, f) in fragments.iter().enumerate() {
                let file = format!("{}.xml", f.id);
                bicep_limit(&file, &f.text)?;
                b.push_str(&format!(
                    "\nresource fragment{i} 'Microsoft.ApiManagement/service/policyFragments@{API_VERSION}' = {{\n  parent: service\n  name: {}\n  properties: {{\n    description: {}\n    format: 'rawxml'\n    value: loadTextContent({})\n  }}\n}}\n",
                    bicep_str(&f.id),
                    bicep_str(&f.description),
                    bicep_str(&file)
                ));
                files.push((PathBuf::from(file), f.text.clone()));
            }
            files.insert(0, (PathBuf::from("akto-capture-fragments.bicep"), b));
            files
        }
        Kind::Terraform => {
            let mut t = format!(
                "# Akto traffic capture as two policy fragments. Generated by akto-connect; the fragment texts are in the .xml files beside this file.\n\nvariable \"resource_group_name\" {{\n  type        = string\n  description = {}\n}}\n\ndata \"azurerm_api_management\" \"apim\" {{\n  name                = {}\n  resource_group_name = var.resource_group_name\n}}\n",
                hcl_str(&format!("The resource group of the API Management instance {svc}.")),
                hcl_str(svc)
            );
            let mut files = Vec::new();
            for f in fragments {
                let file = format!("{}.xml", f.id);
                t.push_str(&format!(
                    "\nresource \"azurerm_api_management_policy_fragment\" {} {{\n  api_management_id = data.azurerm_api_management.apim.id\n  name              = {}\n  description       = {}\n  format            = \"rawxml\"\n  value             = file(\"${{path.module}}/{file}\")\n}}\n",
                    hcl_str(&terraform_label(&f.id)),
                    hcl_str(&f.id),
                    hcl_str(&f.description)
                ));
                files.push((PathBuf::from(file), f.text.clone()));
            }
            files.insert(0, (PathBuf::from("akto-capture-fragments.tf"), t));
            files
        }
    };
    if kind == Kind::Arm {
        let texts: Vec<&str> = fragments.iter().map(|f| f.text.as_str()).collect();
        read_back_arm(&files[0].1, &texts)?;
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
    fn quoting_for_bicep_and_hcl() {
        assert_eq!(bicep_str("a'b\\c${d}"), "'a\\'b\\\\c\\${d}'");
        assert_eq!(hcl_str("a\"b\\c${d}%{e}$f"), "\"a\\\"b\\\\c$${d}%%{e}$f\"");
    }

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
