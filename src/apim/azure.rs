//! Azure names and endpoints shared by `apim specs` and `apim access`: an API Management
//! instance (subscription, resource group, service name) checked the way Azure checks them,
//! its ARM scope, and the endpoints of each Azure cloud.
//!
//! Not for: talking to Azure (that is `app`, through `net`).

use crate::error::InputError;
use crate::http_url::BaseUrl;

/// The built-in role *API Management Service Reader Role*: read-only access to the service and
/// its APIs (`Microsoft.ApiManagement/service/*/read`, not `users/keys/read`).
pub const READER_ROLE_ID: &str = "71522526-b88f-4d52-b57f-d31fc3546d0d";
pub const READER_ROLE_NAME: &str = "API Management Service Reader Role";

/// An API Management instance, every part validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApimInstance {
    pub subscription: String,
    pub resource_group: String,
    pub service: String,
}

impl ApimInstance {
    /// Checks the three names as Azure does; each error names its flag.
    pub fn parse(
        subscription: &str,
        resource_group: &str,
        service: &str,
    ) -> Result<Self, InputError> {
        Ok(Self {
            subscription: parse_subscription("--subscription", subscription)?,
            resource_group: parse_resource_group("--resource-group", resource_group)?,
            service: parse_service_name("--apim-service", service)?,
        })
    }

    /// The instance's ARM scope, where the reader role is assigned.
    pub fn scope(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ApiManagement/service/{}",
            self.subscription, self.resource_group, self.service
        )
    }
}

/// A subscription id: a GUID (8-4-4-4-12 hex digits), kept in lower case.
pub fn parse_subscription(input: &str, value: &str) -> Result<String, InputError> {
    if is_guid(value) {
        return Ok(value.to_ascii_lowercase());
    }
    Err(InputError::new(
        input,
        value,
        "a subscription id is a GUID",
        "copy it from `az account show --query id -o tsv` (for example 00000000-1111-2222-3333-444444444444)",
    ))
}

/// Whether `s` is a GUID in its usual 8-4-4-4-12 form.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A resource group name: 1–90 characters of letters, digits, `_ - . ( )`, not ending in `.`.
/// Azure also allows other Unicode letters and digits; so do we.
pub fn parse_resource_group(input: &str, value: &str) -> Result<String, InputError> {
    let count = value.chars().count();
    let problem = if count == 0 || count > 90 {
        Some(format!(
            "a resource group name has 1 to 90 characters, this has {count}"
        ))
    } else if let Some(c) = value
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')))
    {
        Some(format!("{:?} is not allowed in a resource group name", c))
    } else if value.ends_with('.') {
        Some("a resource group name cannot end with '.'".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(value.to_string()),
        Some(p) => Err(InputError::new(
            input,
            value,
            p,
            "use letters, digits, '_', '-', '.', '(' and ')'; `az group list --query [].name -o tsv` lists yours",
        )),
    }
}

/// An API Management service name: 1–50 characters, ASCII letters, digits and hyphens, starting
/// with a letter and not ending with a hyphen.
pub fn parse_service_name(input: &str, value: &str) -> Result<String, InputError> {
    let problem = if value.is_empty() || value.len() > 50 {
        Some(format!(
            "an API Management service name has 1 to 50 characters, this has {}",
            value.chars().count()
        ))
    } else if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        Some(format!(
            "{c:?} is not allowed in an API Management service name"
        ))
    } else if !value.starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some("an API Management service name starts with a letter".to_string())
    } else if value.ends_with('-') {
        Some("an API Management service name cannot end with '-'".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(value.to_string()),
        Some(p) => Err(InputError::new(
            input,
            value,
            p,
            "give the instance's name, the NAME in NAME.azure-api.net (`az apim list --query [].name -o tsv`)",
        )),
    }
}

/// The Azure clouds and their Resource Manager and Entra ID (login) endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Public,
    China,
    UsGov,
}

impl Cloud {
    /// Resource Manager, whose `/.default` scope the token is asked for.
    pub fn management_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::China => "https://management.chinacloudapi.cn",
            Cloud::UsGov => "https://management.usgovcloudapi.net",
        }
    }

    /// The authority host, as `AZURE_AUTHORITY_HOST` gives it.
    pub fn authority_url(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::China => "https://login.chinacloudapi.cn",
            Cloud::UsGov => "https://login.microsoftonline.us",
        }
    }
}

/// An endpoint override (`--management-url`, `--authority-url`): a base URL, `https://` unless
/// it is this machine (a bearer token or a client secret must not travel in clear).
pub fn parse_endpoint(input: &str, value: &str) -> Result<BaseUrl, InputError> {
    let url = BaseUrl::parse(input, value)?;
    if !url.is_https() && !url.is_loopback() {
        return Err(InputError::new(
            input,
            value,
            "plain http:// would send the client secret or the bearer token in clear",
            "use https:// (http:// is accepted only for this machine, as tests do)",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_azure_checks_them() {
        let ok = ApimInstance::parse(
            "0000AAAA-1111-2222-3333-444444444444",
            "rg_prod-(eu).1",
            "contoso-apim1",
        )
        .unwrap();
        assert_eq!(
            ok.scope(),
            "/subscriptions/0000aaaa-1111-2222-3333-444444444444/resourceGroups/rg_prod-(eu).1/providers/Microsoft.ApiManagement/service/contoso-apim1"
        );
        for bad in [
            "",
            "0000aaaa-1111-2222-3333-44444444444",
            "x000aaaa-1111-2222-3333-444444444444",
            "00000000111122223333444444444444",
        ] {
            assert!(parse_subscription("--subscription", bad).is_err(), "{bad}");
        }
        for bad in ["", "rg.", "rg/x", "rg x", "a'b", &"r".repeat(91)] {
            assert!(
                parse_resource_group("--resource-group", bad).is_err(),
                "{bad}"
            );
        }
        assert!(parse_resource_group("--resource-group", &"r".repeat(90)).is_ok());
        for bad in ["", "1apim", "apim-", "ap_im", "apim.x", &"a".repeat(51)] {
            assert!(parse_service_name("--apim-service", bad).is_err(), "{bad}");
        }
        assert!(parse_service_name("--apim-service", &"a".repeat(50)).is_ok());
        assert!(parse_service_name("--apim-service", "a").is_ok());
    }

    #[test]
    fn endpoints_need_https_except_loopback() {
        assert!(parse_endpoint("--management-url", "https://management.azure.com").is_ok());
        assert!(parse_endpoint("--management-url", "http://127.0.0.1:8080").is_ok());
        assert!(parse_endpoint("--management-url", "http://management.example.com").is_err());
    }
}
