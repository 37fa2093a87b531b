//! `akto-connect verify`: resolves the target and the credential from the arguments, sends one
//! synthetic record to the ingest service (through `net::probe`) and prints the report that
//! `ingest::verify` judges from it (DNS, TCP connect, TLS, HTTP, the answer, the likely fix).

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::apim::capture::Digits;
use crate::cli::verify::{VerifyArgs, VerifyFormatArg};
use crate::error::refuse;
use crate::http_url::BaseUrl;
use crate::ingest::contract::{self, INGEST_PATH, VERIFY_PATH_PREFIX};
use crate::ingest::target::{self, AuthHeader, AuthSource};
use crate::ingest::verify::{self, Credential, Sent};
use crate::net::{self, NetConfig, Request};
use crate::output;

/// The credential to send: how the report names it, and the value (never printed).
struct Auth {
    credential: Credential,
    value: String,
}

impl Auth {
    fn new(header: AuthHeader, value: String, origin: String) -> Auth {
        Auth {
            credential: Credential { header, origin },
            value,
        }
    }
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    if !(args.timeout.is_finite() && (0.1..=300.0).contains(&args.timeout)) {
        return Err(refuse(
            "--timeout",
            &args.timeout.to_string(),
            "must be from 0.1 to 300 seconds",
            "the default, 5, reports a silent service quickly",
        ));
    }
    for (flag, value) in [
        ("--account-id", &args.account_id),
        ("--vxlan-id", &args.vxlan_id),
    ] {
        if let Some(v) = value {
            Digits::parse(flag, v)?;
        }
    }
    let mut notes: Vec<String> = Vec::new();
    let (base, from_artifact) = resolve_target(args, &mut notes)?;
    let account_id = record_id(
        "--account-id",
        "akto_account_id",
        args.account_id.as_deref(),
        from_artifact.as_ref().and_then(|t| t.account_id.as_deref()),
        "1000000",
        &mut notes,
    );
    let vxlan_id = record_id(
        "--vxlan-id",
        "akto_vxlan_id",
        args.vxlan_id.as_deref(),
        from_artifact.as_ref().and_then(|t| t.vxlan_id.as_deref()),
        "0",
        &mut notes,
    );
    let auth = resolve_auth(args, from_artifact.as_ref(), &mut notes)?;
    if args.ca_file.is_some() && !base.is_https() {
        notes.push(
            "--ca-file is not used: the URL is http://, so there is no TLS certificate to check"
                .to_string(),
        );
    }
    if auth.is_some() && !base.is_https() && !base.is_loopback() {
        notes.push(
            "http://: the credential travels in clear; put a TLS proxy in front of the service and use https://"
                .to_string(),
        );
    }

    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let record = contract::synthetic_record(&contract::Synthetic {
        unix_time: now,
        nonce: std::process::id(),
        host: base.host(),
        account_id: &account_id,
        vxlan_id: &vxlan_id,
        version: env!("CARGO_PKG_VERSION"),
    });
    let record_path = record
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or(VERIFY_PATH_PREFIX)
        .to_string();
    let endpoint = base.join(INGEST_PATH);
    // Gateways post once and never follow a redirect, so neither does verify: a 3xx is the
    // answer to report (a 301/302 followed as curl does would turn the POST into a GET).
    let mut req =
        Request::json(net::Method::Post, &endpoint, &contract::batch(record)).no_redirects();
    if let Some(a) = &auth {
        req = req.credential(a.credential.header.name(), a.value.clone());
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let config = NetConfig {
        timeout,
        connect_timeout: timeout,
        retries: 0,
        ca_file: args.ca_file.clone(),
        max_body: 1024 * 1024,
        ..NetConfig::default()
    };
    let probe = net::probe(&req, &config).map_err(|e| anyhow::anyhow!("{e}"))?;
    let secret = auth.as_ref().map(|a| a.value.as_str());
    let sent = Sent {
        record_path: &record_path,
        credential: auth.as_ref().map(|a| &a.credential),
        notes,
    };
    let report = verify::report(&probe, sent, &base, timeout);
    let text = match args.format {
        VerifyFormatArg::Text => report.to_text(),
        VerifyFormatArg::Json => report.to_json_text(),
    };
    // The service's answer is printed: `net` masked it before the report cut it, and the
    // rendered text is masked once more, in every escaped form (JSON `\"`, `\\`, `\u…`).
    let text = crate::mask::mask(&text, &secret.into_iter().collect::<Vec<_>>());
    output::emit(None, &text)?;
    Ok(report.exit_code())
}

/// A record id: the flag's value, else the policy's, else the default; a note says when the
/// flag overrides a different value in the policy (the gateway sends the policy's).
fn record_id(
    flag: &str,
    field: &str,
    given: Option<&str>,
    in_policy: Option<&str>,
    default: &str,
    notes: &mut Vec<String>,
) -> String {
    match (given, in_policy) {
        (Some(g), Some(p)) if g != p => {
            notes.push(format!(
                "{flag} {g} is sent although the policy's records carry {field} \"{p}\""
            ));
            g.to_string()
        }
        (Some(g), _) => g.to_string(),
        (None, Some(p)) => {
            notes.push(format!("{field} \"{p}\" read from the policy"));
            p.to_string()
        }
        (None, None) => default.to_string(),
    }
}

/// The base URL to post to, and the artifact's target when one was read.
fn resolve_target(
    args: &VerifyArgs,
    notes: &mut Vec<String>,
) -> anyhow::Result<(BaseUrl, Option<target::Target>)> {
    let (input, url, found) = if let Some(u) = &args.ingest_url {
        ("--ingest-url".to_string(), u.clone(), None)
    } else {
        let (flag, path) = match (&args.from_policy, &args.from_kong) {
            (Some(p), _) => ("--from-policy", p),
            (_, Some(p)) => ("--from-kong", p),
            _ => unreachable!("clap requires one target"),
        };
        let (name, text) = super::read_input(path, flag)?;
        let found = if flag == "--from-policy" {
            target::from_policy(&text)
        } else {
            target::from_deck(&text, crate::kong::PLUGIN)
        }
        .map_err(|problem| {
            refuse(
                flag,
                &name,
                &problem,
                "point it at the generated artifact, or give the URL with --ingest-url",
            )
        })?;
        notes.push(format!("URL read from {name}"));
        (format!("{flag} {name}"), found.url.clone(), Some(found))
    };
    let parsed = BaseUrl::parse(&input, &url)?;
    let base = match parsed.strip_suffix(INGEST_PATH) {
        Some(b) => {
            if found.is_none() {
                notes.push(format!(
                    "--ingest-url ends with {INGEST_PATH}; posting to {} (give the base URL to silence this)",
                    parsed.as_str()
                ));
            }
            b
        }
        None => parsed,
    };
    Ok((base, found))
}

/// An environment variable's value for a header: set, not empty, one line.
fn env_secret(flag: &str, var: &str, header: AuthHeader) -> anyhow::Result<String> {
    let value = std::env::var(var).map_err(|_| {
        refuse(
            flag,
            var,
            "the environment variable is not set (or not UTF-8)",
            &format!("export {var}=… in this shell first; the value is read from the environment so it stays out of your shell history"),
        )
    })?;
    let value = value.trim().to_string();
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(refuse(
            flag,
            var,
            "the variable is empty or holds control characters (a line break)",
            "store the value alone, on one line",
        ));
    }
    if header == AuthHeader::Authorization
        && value
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
    {
        return Err(refuse(
            flag,
            var,
            "the token starts with `Bearer `: Akto's ingest service reads the authorization header as the raw JWT, so it would refuse it",
            "store the JWT alone (eyJ…), and send it the same way from the gateway",
        ));
    }
    Ok(value)
}

/// The environment variable named after an APIM named value: `akto-ingest-token` ->
/// `AKTO_INGEST_TOKEN`.
fn env_name_for(named_value: &str) -> String {
    named_value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn resolve_auth(
    args: &VerifyArgs,
    found: Option<&target::Target>,
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<Auth>> {
    if let Some(var) = &args.api_key_env {
        crate::ingest::helm::check_env_name("--api-key-env", var)?;
        let value = env_secret("--api-key-env", var, AuthHeader::ApiKey)?;
        return Ok(Some(Auth::new(
            AuthHeader::ApiKey,
            value,
            format!("from ${var}"),
        )));
    }
    let policy_auth = found.and_then(|t| t.auth.clone());
    if let Some(var) = &args.token_env {
        let header = match &policy_auth {
            Some((h, _)) => *h,
            None => AuthHeader::Authorization,
        };
        crate::ingest::helm::check_env_name("--token-env", var)?;
        let value = env_secret("--token-env", var, header)?;
        return Ok(Some(Auth::new(header, value, format!("from ${var}"))));
    }
    match policy_auth {
        Some((header, AuthSource::NamedValue(name))) => {
            let var = env_name_for(&name);
            if std::env::var_os(&var).is_some() {
                let value = env_secret("--token-env", &var, header)?;
                notes.push(format!(
                    "the policy sends named value {{{{{name}}}}} in {}; its value was read from ${var}",
                    header.name()
                ));
                Ok(Some(Auth::new(
                    header,
                    value,
                    format!("from ${var} (named value {name})"),
                )))
            } else {
                notes.push(format!(
                    "the policy sends named value {{{{{name}}}}} in {}; to send it too, put its value in ${var} (or name another variable with --token-env); sent without it",
                    header.name()
                ));
                Ok(None)
            }
        }
        Some((header, AuthSource::Literal)) => {
            notes.push(format!(
                "the policy writes its {} value literally: move it to an APIM named value (type Secret); sent without it",
                header.name()
            ));
            Ok(None)
        }
        Some((header, AuthSource::Other)) => {
            notes.push(format!(
                "the policy computes its {} value; give it with --token-env VAR to send it; sent without it",
                header.name()
            ));
            Ok(None)
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_map_to_environment_variables() {
        assert_eq!(env_name_for("akto-ingest-token"), "AKTO_INGEST_TOKEN");
        assert_eq!(env_name_for("akto.ingest_key"), "AKTO_INGEST_KEY");
    }
}
