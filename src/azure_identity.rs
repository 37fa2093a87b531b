//! Where a Resource Manager token comes from, in the order azure-identity's
//! `DefaultAzureCredential` tries its sources: a client secret from the environment, a federated
//! token (workload identity: `AZURE_FEDERATED_TOKEN_FILE`), a managed identity (App Service's
//! `IDENTITY_ENDPOINT`, else the instance metadata service), and the signed-in Azure CLI.
//!
//! Everything here is data: which sources are configured (from a snapshot of the environment),
//! the request each one sends, and how its answer is read. A source that is not configured says
//! why in words that name the variables, never their values. `app::arm` sends the requests.
//!
//! Not for: I/O (`app::arm` runs the chain through `net` and `std::process`).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::apim::specs::{check_tenant, encode};

/// The environment variables the chain reads.
pub const VARS: [&str; 9] = [
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_CLI_PATH",
];

/// The instance metadata service, reached without TLS on a link-local address (Azure's design;
/// no credential is sent to it, only the `Metadata: true` header).
pub const IMDS_HOST: &str = "http://169.254.169.254";

/// A snapshot of the variables the chain reads (blank values count as unset).
#[derive(Debug, Default, Clone)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Env {
        Env::from_pairs(
            VARS.iter()
                .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))),
        )
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Env {
        Env(pairs
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k, v.trim().to_string()))
            .collect())
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
}

/// One configured source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    ClientSecret {
        tenant: String,
        client_id: String,
        secret: String,
    },
    WorkloadIdentity {
        tenant: String,
        client_id: String,
        token_file: PathBuf,
    },
    /// App Service / Functions / Container Apps: `IDENTITY_ENDPOINT` with `IDENTITY_HEADER`.
    AppServiceIdentity {
        endpoint: String,
        header: String,
        client_id: Option<String>,
    },
    /// The instance metadata service (VMs, AKS node identity, Arc).
    Imds {
        host: String,
        client_id: Option<String>,
    },
    AzureCli {
        program: String,
    },
}

impl Source {
    /// How the source is named in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Source::ClientSecret { .. } => "environment client secret",
            Source::WorkloadIdentity { .. } => "workload identity (federated token)",
            Source::AppServiceIdentity { .. } => "managed identity (App Service)",
            Source::Imds { .. } => "managed identity (instance metadata service)",
            Source::AzureCli { .. } => "Azure CLI",
        }
    }

    /// The identity, for a message about a missing role (ids only, never a secret).
    pub fn identity(&self) -> String {
        match self {
            Source::ClientSecret { client_id, .. } => format!("the app registration {client_id}"),
            Source::WorkloadIdentity { client_id, .. } => {
                format!("the workload identity {client_id}")
            }
            Source::AppServiceIdentity { client_id, .. } | Source::Imds { client_id, .. } => {
                match client_id {
                    Some(c) => format!("the managed identity {c}"),
                    None => "the system-assigned managed identity".to_string(),
                }
            }
            Source::AzureCli { .. } => "the account signed in to the Azure CLI".to_string(),
        }
    }

    /// Whether a refusal from this source ends the chain: a source the user configured on
    /// purpose (variables set) that is refused is an error to fix, as in azure-identity; a
    /// managed identity or CLI that is not there is only unavailable.
    pub fn configured_on_purpose(&self) -> bool {
        matches!(
            self,
            Source::ClientSecret { .. }
                | Source::WorkloadIdentity { .. }
                | Source::AppServiceIdentity { .. }
        )
    }
}

/// A source of the chain: configured, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    Ready(Source),
    Unavailable { name: &'static str, why: String },
}

/// The chain's sources in order, from `env`. `cli_program` is how the Azure CLI is run (`az`).
pub fn chain(env: &Env) -> Vec<Candidate> {
    let mut out = Vec::new();
    let tenant = env.get("AZURE_TENANT_ID");
    let client = env.get("AZURE_CLIENT_ID");
    let missing = |names: &[(&str, Option<&str>)]| -> Option<String> {
        let gone: Vec<&str> = names
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        (!gone.is_empty()).then(|| {
            format!(
                "{} {} not set",
                gone.join(" and "),
                if gone.len() == 1 { "is" } else { "are" }
            )
        })
    };
    let check_ids = |tenant: &str, client: &str| -> Result<(), String> {
        check_tenant(tenant)?;
        if !crate::apim::azure::is_guid(client) {
            return Err(
                "AZURE_CLIENT_ID is not a GUID: give the Application (client) ID".to_string(),
            );
        }
        Ok(())
    };
    let secret = env.get("AZURE_CLIENT_SECRET");
    out.push(
        match missing(&[
            ("AZURE_TENANT_ID", tenant),
            ("AZURE_CLIENT_ID", client),
            ("AZURE_CLIENT_SECRET", secret),
        ]) {
            Some(why) => Candidate::Unavailable {
                name: "environment client secret",
                why,
            },
            None => match check_ids(tenant.unwrap_or(""), client.unwrap_or("")) {
                Ok(()) => Candidate::Ready(Source::ClientSecret {
                    tenant: tenant.unwrap_or("").to_string(),
                    client_id: client.unwrap_or("").to_string(),
                    secret: secret.unwrap_or("").to_string(),
                }),
                Err(why) => Candidate::Unavailable {
                    name: "environment client secret",
                    why,
                },
            },
        },
    );
    let file = env.get("AZURE_FEDERATED_TOKEN_FILE");
    out.push(
        match missing(&[
            ("AZURE_TENANT_ID", tenant),
            ("AZURE_CLIENT_ID", client),
            ("AZURE_FEDERATED_TOKEN_FILE", file),
        ]) {
            Some(why) => Candidate::Unavailable {
                name: "workload identity (federated token)",
                why,
            },
            None => match check_ids(tenant.unwrap_or(""), client.unwrap_or("")) {
                Ok(()) => Candidate::Ready(Source::WorkloadIdentity {
                    tenant: tenant.unwrap_or("").to_string(),
                    client_id: client.unwrap_or("").to_string(),
                    token_file: PathBuf::from(file.unwrap_or("")),
                }),
                Err(why) => Candidate::Unavailable {
                    name: "workload identity (federated token)",
                    why,
                },
            },
        },
    );
    let client_id = client.map(str::to_string);
    match (env.get("IDENTITY_ENDPOINT"), env.get("IDENTITY_HEADER")) {
        (Some(endpoint), Some(header)) => match local_or_https(endpoint, false) {
            Ok(()) => out.push(Candidate::Ready(Source::AppServiceIdentity {
                endpoint: endpoint.to_string(),
                header: header.to_string(),
                client_id: client_id.clone(),
            })),
            Err(why) => out.push(Candidate::Unavailable {
                name: "managed identity (App Service)",
                why: format!("IDENTITY_ENDPOINT {why}"),
            }),
        },
        _ => {
            let host = env
                .get("AZURE_POD_IDENTITY_AUTHORITY_HOST")
                .unwrap_or(IMDS_HOST)
                .trim_end_matches('/')
                .to_string();
            match local_or_https(&host, true) {
                Ok(()) => out.push(Candidate::Ready(Source::Imds {
                    host,
                    client_id: client_id.clone(),
                })),
                Err(why) => out.push(Candidate::Unavailable {
                    name: "managed identity (instance metadata service)",
                    why: format!("AZURE_POD_IDENTITY_AUTHORITY_HOST {why}"),
                }),
            }
        }
    }
    out.push(Candidate::Ready(Source::AzureCli {
        program: env.get("AZURE_CLI_PATH").unwrap_or("az").to_string(),
    }));
    out
}

/// An identity endpoint may be plain http only on this machine (App Service's local endpoint)
/// or, for the metadata service, its link-local address.
fn local_or_https(url: &str, imds: bool) -> Result<(), String> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = lower.strip_prefix("http://") else {
        return Err("is not an http(s) URL".to_string());
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let ok =
        matches!(host, "localhost" | "127.0.0.1" | "[::1]") || (imds && host == "169.254.169.254");
    if ok {
        Ok(())
    } else {
        Err("is plain http:// to another machine: a token would travel in clear".to_string())
    }
}

/// `{authority}/{tenant}/oauth2/v2.0/token`.
pub fn token_url(authority: &str, tenant: &str) -> String {
    crate::apim::specs::token_url(authority, tenant)
}

fn scope(management: &str) -> String {
    format!("{}/.default", management.trim_end_matches('/'))
}

/// The form of the client-credentials request with a client secret.
pub fn secret_form(client_id: &str, secret: &str, management: &str) -> String {
    crate::apim::specs::token_body(client_id, secret, management)
}

/// The form of the client-credentials request with a federated token as client assertion.
pub fn assertion_form(client_id: &str, assertion: &str, management: &str) -> String {
    format!(
        "grant_type=client_credentials&client_id={}&client_assertion_type={}&client_assertion={}&scope={}",
        encode(client_id),
        encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        encode(assertion.trim()),
        encode(&scope(management))
    )
}

/// The managed-identity token request: URL and the one header it needs.
pub fn managed_identity_request(
    source: &Source,
    management: &str,
) -> Option<(String, String, String)> {
    let resource = format!("{}/", management.trim_end_matches('/'));
    let client = |c: &Option<String>| {
        c.as_ref()
            .map(|c| format!("&client_id={}", encode(c)))
            .unwrap_or_default()
    };
    match source {
        Source::AppServiceIdentity {
            endpoint,
            header,
            client_id,
        } => {
            let sep = if endpoint.contains('?') { '&' } else { '?' };
            Some((
                format!(
                    "{endpoint}{sep}api-version=2019-08-01&resource={}{}",
                    encode(&resource),
                    client(client_id)
                ),
                "x-identity-header".to_string(),
                header.clone(),
            ))
        }
        Source::Imds { host, client_id } => Some((
            format!(
                "{host}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={}{}",
                encode(&resource),
                client(client_id)
            ),
            "metadata".to_string(),
            "true".to_string(),
        )),
        _ => None,
    }
}

/// The Azure CLI's arguments for a Resource Manager token.
pub fn cli_args(management: &str) -> Vec<String> {
    [
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("{}/", management.trim_end_matches('/'))])
    .collect()
}

/// The token of an Entra ID or managed-identity answer (`access_token`).
pub fn parse_token(body: &[u8]) -> Result<String, String> {
    crate::apim::specs::parse_token(body)
}

/// The token of `az account get-access-token --output json` (`accessToken`).
pub fn parse_cli_token(stdout: &[u8]) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|_| "the Azure CLI's answer is not JSON".to_string())?;
    v.get("accessToken")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| "the Azure CLI's answer holds no accessToken".to_string())
}

/// Why the Azure CLI gave no token, from its standard error, in a line (never its whole output:
/// it may echo more than the user wants in a log).
pub fn cli_failure(stderr: &str) -> String {
    let lower = stderr.to_ascii_lowercase();
    if lower.contains("az login") {
        "not signed in: run `az login`".to_string()
    } else if lower.contains("aadsts") || lower.contains("refresh token") {
        "the signed-in session needs to be renewed: run `az login` again".to_string()
    } else {
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        crate::error::printable(first).chars().take(200).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    const T: &str = "11111111-2222-3333-4444-555555555555";
    const C: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

    #[test]
    fn order_follows_azure_identity() {
        let all = chain(&env(&[
            ("AZURE_TENANT_ID", T),
            ("AZURE_CLIENT_ID", C),
            ("AZURE_CLIENT_SECRET", "x"),
            ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
        ]));
        let names: Vec<&str> = all
            .iter()
            .map(|c| match c {
                Candidate::Ready(s) => s.name(),
                Candidate::Unavailable { name, .. } => name,
            })
            .collect();
        assert_eq!(
            names,
            [
                "environment client secret",
                "workload identity (federated token)",
                "managed identity (instance metadata service)",
                "Azure CLI"
            ]
        );
        assert!(all.iter().take(2).all(|c| matches!(c, Candidate::Ready(_))));
    }

    #[test]
    fn unavailable_sources_name_variables_not_values() {
        let all = chain(&env(&[("AZURE_TENANT_ID", T), ("AZURE_CLIENT_ID", C)]));
        assert_eq!(
            all[0],
            Candidate::Unavailable {
                name: "environment client secret",
                why: "AZURE_CLIENT_SECRET is not set".into()
            }
        );
        let all = chain(&env(&[("AZURE_CLIENT_SECRET", "hidden-value")]));
        let Candidate::Unavailable { why, .. } = &all[0] else {
            panic!()
        };
        assert_eq!(why, "AZURE_TENANT_ID and AZURE_CLIENT_ID are not set");
    }

    #[test]
    fn identity_endpoints_stay_local_or_https() {
        let all = chain(&env(&[
            ("IDENTITY_ENDPOINT", "http://evil.example.com/msi"),
            ("IDENTITY_HEADER", "h"),
        ]));
        assert!(matches!(&all[2], Candidate::Unavailable { why, .. } if why.contains("in clear")));
        let all = chain(&env(&[
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:41000/msi/token"),
            ("IDENTITY_HEADER", "h"),
        ]));
        let Candidate::Ready(s) = &all[2] else {
            panic!()
        };
        let (url, h, v) = managed_identity_request(s, "https://management.azure.com").unwrap();
        assert_eq!(url, "http://127.0.0.1:41000/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.azure.com%2F");
        assert_eq!((h.as_str(), v.as_str()), ("x-identity-header", "h"));
        let all = chain(&env(&[]));
        let Candidate::Ready(s) = &all[2] else {
            panic!()
        };
        let (url, h, _) = managed_identity_request(s, "https://management.azure.com/").unwrap();
        assert!(url.starts_with("http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"));
        assert_eq!(h, "metadata");
    }

    #[test]
    fn request_and_answer_shapes() {
        let f = assertion_form(C, "eyJ.a.b\n", "https://management.azure.com");
        assert!(f.contains("client_assertion=eyJ.a.b&"), "{f}");
        assert!(f.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
        assert_eq!(
            cli_args("https://management.azure.com").last().unwrap(),
            "https://management.azure.com/"
        );
        assert_eq!(
            parse_cli_token(br#"{"accessToken":"t","tokenType":"Bearer"}"#).unwrap(),
            "t"
        );
        assert!(parse_cli_token(b"{}").is_err());
        assert_eq!(
            cli_failure("ERROR: Please run 'az login' to setup account."),
            "not signed in: run `az login`"
        );
    }
}
