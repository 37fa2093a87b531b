//! `akto-connect verify`: one synthetic record to the ingest service, and a one-screen report
//! of each phase (DNS, TCP connect, TLS, HTTP), the service's answer and the likely fix.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use crate::apim::capture::Digits;
use crate::cli::verify::{VerifyArgs, VerifyFormatArg};
use crate::error::{printable, refuse};
use crate::http_url::BaseUrl;
use crate::ingest::contract::{self, INGEST_PATH, VERIFY_PATH_PREFIX};
use crate::ingest::target::{self, AuthHeader, AuthSource};
use crate::net::{self, NetConfig, NetErrorKind, Probe, Request, TlsProblem};
use crate::output;

/// How the credential was obtained, for the report (never the value).
struct Auth {
    header: AuthHeader,
    value: String,
    /// e.g. "from $AKTO_INGEST_TOKEN".
    origin: String,
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
    Digits::parse("--account-id", &args.account_id)?;
    let mut notes: Vec<String> = Vec::new();
    let (base, from_artifact) = resolve_target(args, &mut notes)?;
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
        account_id: &args.account_id,
        vxlan_id: "0",
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
        req = req.header(a.header.name(), a.value.clone());
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
    let report = judge(&probe, auth.as_ref(), &base, timeout);
    let secret = auth.as_ref().map(|a| a.value.as_str());
    let text = match args.format {
        VerifyFormatArg::Text => text_report(&report, &probe, &record_path, auth.as_ref(), &notes),
        VerifyFormatArg::Json => {
            let mut s = serde_json::to_string_pretty(&json_report(
                &report,
                &probe,
                &record_path,
                auth.as_ref(),
                &notes,
            ))?;
            s.push('\n');
            s
        }
    };
    // The service's answer is printed; make sure it cannot echo the credential.
    let text = match secret {
        Some(s) if !s.is_empty() => text.replace(s, "***"),
        _ => text,
    };
    output::emit(None, &text)?;
    Ok(if report.accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
        return Ok(Some(Auth {
            header: AuthHeader::ApiKey,
            value,
            origin: format!("from ${var}"),
        }));
    }
    let policy_auth = found.and_then(|t| t.auth.clone());
    if let Some(var) = &args.token_env {
        let header = match &policy_auth {
            Some((h, _)) => *h,
            None => AuthHeader::Authorization,
        };
        crate::ingest::helm::check_env_name("--token-env", var)?;
        let value = env_secret("--token-env", var, header)?;
        return Ok(Some(Auth {
            header,
            value,
            origin: format!("from ${var}"),
        }));
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
                Ok(Some(Auth {
                    header,
                    value,
                    origin: format!("from ${var} (named value {name})"),
                }))
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    Failed,
    Skipped,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "FAILED",
            Status::Skipped => "skipped",
        }
    }
}

struct Phase {
    name: &'static str,
    status: Status,
    detail: String,
    elapsed: Option<Duration>,
}

struct Report {
    phases: Vec<Phase>,
    accepted: bool,
    http_status: Option<u16>,
    answer: Option<String>,
    action_errors: Vec<String>,
    /// One line: what happened.
    summary: String,
    /// What to do about it (empty when accepted).
    fix: String,
    latency: Option<Duration>,
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn judge(p: &Probe, auth: Option<&Auth>, base: &BaseUrl, timeout: Duration) -> Report {
    let mut r = Report {
        phases: Vec::new(),
        accepted: false,
        http_status: None,
        answer: None,
        action_errors: Vec::new(),
        summary: String::new(),
        fix: String::new(),
        latency: None,
    };
    let hostport = format!("{}:{}", p.host, p.port);
    // DNS
    match &p.dns.result {
        Ok(ips) => r.phases.push(Phase {
            name: "DNS",
            status: Status::Ok,
            detail: ips
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            elapsed: Some(p.dns.elapsed),
        }),
        Err(kind) => {
            r.phases.push(Phase {
                name: "DNS",
                status: Status::Failed,
                detail: format!("{} does not resolve", p.host),
                elapsed: Some(p.dns.elapsed),
            });
            r.summary = match kind {
                NetErrorKind::Timeout { .. } => format!(
                    "resolving {} took longer than {:.1} s",
                    p.host,
                    timeout.as_secs_f64()
                ),
                _ => format!("the host name {} does not resolve", p.host),
            };
            r.fix = "check the spelling of the host, and run this from the gateway's network: an internal name resolves only there (or over the VPN)".into();
            skip_rest(&mut r, p.https);
            return r;
        }
    }
    // TCP
    let Some(tcp) = &p.tcp else {
        skip_rest(&mut r, p.https);
        return r;
    };
    match &tcp.result {
        Ok(addr) => r.phases.push(Phase {
            name: "TCP connect",
            status: Status::Ok,
            detail: addr.to_string(),
            elapsed: Some(tcp.elapsed),
        }),
        Err(kind) => {
            r.phases.push(Phase {
                name: "TCP connect",
                status: Status::Failed,
                detail: match kind {
                    NetErrorKind::Timeout { .. } => format!("no answer from {hostport}"),
                    NetErrorKind::ConnectionFailed(why) => format!("{hostport}: {why}"),
                    other => format!("{other:?}"),
                },
                elapsed: Some(tcp.elapsed),
            });
            match kind {
                NetErrorKind::Timeout { .. } => {
                    r.summary = format!(
                        "the TCP connect to {hostport} got no answer within {:.1} s",
                        timeout.as_secs_f64()
                    );
                    r.fix = format!("a firewall, network security group or security group drops the packets, or {} is not the service's address; allow port {} from the gateway to the ingest host", p.host, p.port);
                }
                _ => {
                    r.summary =
                        format!("nothing accepts connections on {hostport} (connection refused)");
                    r.fix = format!("check that the data-ingestion service runs (docker compose ps) and the port: Akto's Compose publishes it on host port 9091 (container port 8080); this URL uses port {}", p.port);
                }
            }
            skip_rest(&mut r, p.https);
            return r;
        }
    }
    let Some(http) = &p.http else {
        skip_rest(&mut r, p.https);
        return r;
    };
    let resp = match http {
        Ok(resp) => resp,
        Err(e) => {
            let tls_phase_failed = p.https
                && match &e.kind {
                    NetErrorKind::Tls(_) | NetErrorKind::TlsToPlainHttp => true,
                    NetErrorKind::Timeout { phase, .. } => phase.contains("connecting"),
                    NetErrorKind::ConnectionFailed(_) | NetErrorKind::Other(_) => true,
                    _ => false,
                };
            let (summary, fix) = explain_error(&e.kind, p, base, timeout);
            if p.https {
                r.phases.push(Phase {
                    name: "TLS",
                    status: if tls_phase_failed {
                        Status::Failed
                    } else {
                        Status::Ok
                    },
                    detail: if tls_phase_failed {
                        summary.clone()
                    } else {
                        format!("certificate valid for {}", p.host)
                    },
                    elapsed: None,
                });
            } else {
                r.phases.push(skipped_tls());
            }
            r.phases.push(Phase {
                name: "HTTP",
                status: if tls_phase_failed {
                    Status::Skipped
                } else {
                    Status::Failed
                },
                detail: if tls_phase_failed {
                    String::new()
                } else {
                    summary.clone()
                },
                elapsed: None,
            });
            r.summary = summary;
            r.fix = fix;
            return r;
        }
    };
    r.phases.push(if p.https {
        Phase {
            name: "TLS",
            status: Status::Ok,
            detail: format!("certificate trusted and valid for {}", p.host),
            elapsed: None,
        }
    } else {
        skipped_tls()
    });
    r.http_status = Some(resp.status);
    r.latency = Some(resp.elapsed);
    r.phases.push(Phase {
        name: "HTTP",
        status: if resp.is_success() {
            Status::Ok
        } else {
            Status::Failed
        },
        detail: format!("{} {}", resp.status, reason(resp.status)),
        elapsed: Some(resp.elapsed),
    });
    let body = resp.text();
    let parsed = resp.json().ok();
    r.answer = Some(shorten(&body, 400));
    if let Some(errors) = parsed
        .as_ref()
        .and_then(|v| v.get("actionErrors"))
        .and_then(Value::as_array)
    {
        r.action_errors = errors
            .iter()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
            .collect();
    }
    // Akto's service answers {"success":false} to every batch it publishes: the action's JSON
    // result holds only its `success` property, which ingestData never sets (healthCheck
    // does). A refusal is a 422 (or a 5xx), so a 2xx JSON object is an accepted record.
    let says_false = parsed
        .as_ref()
        .and_then(|v| v.get("success"))
        .and_then(Value::as_bool)
        == Some(false);
    let json_object = parsed.as_ref().is_some_and(Value::is_object);
    match resp.status {
        200..=299 if !json_object => {
            r.summary = format!(
                "HTTP {} but the answer is not JSON: something other than Akto's ingest service answered",
                resp.status
            );
            r.fix = "a web server or proxy that takes any path is at this URL (Akto's service answers JSON); point the URL at the data-ingestion service itself (port 9091 on the Compose host)".into();
        }
        200..=299 => {
            r.accepted = true;
            r.summary = format!(
                "the service accepted the record in {}{}",
                ms(resp.elapsed),
                if says_false {
                    " (Akto's service answers \"success\":false to every batch it takes)"
                } else {
                    ""
                }
            );
        }
        401 | 403 => {
            r.summary = format!(
                "HTTP {}: the service has authentication on (AKTO_DI_AUTHENTICATE) and refused {}",
                resp.status,
                match auth {
                    None => "a request without credentials".to_string(),
                    Some(a) => format!("the {} {}", a.header.name(), a.origin),
                }
            );
            r.fix = match auth.map(|a| a.header) {
                None => "send a credential as the gateway must: --api-key-env VAR (X-API-KEY, the key part of the service's AKTO_DI_API_KEY=key:accountId) or --token-env VAR (an RS256 JWT, raw in authorization); for APIM generate the policy with --ingest-token-named-value".into(),
                Some(AuthHeader::ApiKey) => "the X-API-KEY must equal the part before ':' of the service's AKTO_DI_API_KEY (key:accountId); check both, and that AKTO_DI_API_KEY is set on the service".into(),
                Some(AuthHeader::Authorization) => "the JWT must be signed (RS256) by the key whose public half is the service's RSA_PUBLIC_KEY, carry a numeric accountId claim, be unexpired, and be sent raw (no Bearer); get a fresh token from the Akto dashboard".into(),
            };
        }
        422 => {
            r.summary = format!(
                "HTTP 422: the service refused the record{}",
                if r.action_errors.is_empty() {
                    String::new()
                } else {
                    format!(": {}", r.action_errors.join("; "))
                }
            );
            r.fix = "this record has the fields and types the APIM policy and the Kong plugin send, so the gateway's records are refused too: compare the service's version with the contract (README, Verify) and upgrade the data-ingestion image".into();
        }
        404 | 405 => {
            r.summary = format!(
                "HTTP {}: nothing takes POST {INGEST_PATH} at {}",
                resp.status,
                base.as_str()
            );
            r.fix = "the URL reaches a server that is not the data-ingestion service (the dashboard, a proxy without the route, a wrong path prefix); give the service's base URL, e.g. http://HOST:9091".into();
        }
        300..=399 => {
            let location = resp.header("location").map(crate::redact_url::redact_url);
            r.summary = format!(
                "HTTP {}: redirected{}; the record was not delivered (gateways do not follow redirects)",
                resp.status,
                location
                    .as_deref()
                    .map(|l| format!(" to {l}"))
                    .unwrap_or_default()
            );
            let to_https = !base.is_https()
                && location
                    .as_deref()
                    .is_some_and(|l| l.to_ascii_lowercase().starts_with("https://"));
            r.fix = if to_https {
                "a load balancer or proxy redirects http:// to https://: give the https:// URL (in --ingest-url and in the gateway's policy or plugin), so the traffic is not lost at the redirect".into()
            } else {
                "give the URL the redirect points to (in --ingest-url and in the gateway's policy or plugin): gateways post once and do not follow it".into()
            };
        }
        400 if !base.is_https() && body.to_ascii_lowercase().contains("https") => {
            // nginx: "The plain HTTP request was sent to HTTPS port"; other proxies word it
            // alike. Akto's service never mentions https in an answer.
            r.summary = "HTTP 400: a plain-HTTP request reached a port that expects TLS (the answer names HTTPS)".into();
            r.fix = format!(
                "use https:// for this port (https://{}:{}), in --ingest-url and in the gateway's policy or plugin",
                p.host, p.port
            );
        }
        500..=599 => {
            r.summary = format!("HTTP {}: the service failed", resp.status);
            r.fix = "read its log (docker compose logs data-ingestion-service); a 502/503 from a proxy means the service behind it is down".into();
        }
        s => {
            r.summary = format!("HTTP {s}: the service refused the record");
            r.fix = "read the answer above and the service's log (docker compose logs data-ingestion-service)".into();
        }
    }
    r
}

fn skipped_tls() -> Phase {
    Phase {
        name: "TLS",
        status: Status::Skipped,
        detail: "http:// (no TLS)".into(),
        elapsed: None,
    }
}

fn skip_rest(r: &mut Report, https: bool) {
    let done: Vec<&str> = r.phases.iter().map(|p| p.name).collect();
    for name in ["TCP connect", "TLS", "HTTP"] {
        if !done.contains(&name) {
            r.phases.push(Phase {
                name,
                status: Status::Skipped,
                detail: if name == "TLS" && !https {
                    "http:// (no TLS)".into()
                } else {
                    String::new()
                },
                elapsed: None,
            });
        }
    }
}

fn explain_error(
    kind: &NetErrorKind,
    p: &Probe,
    base: &BaseUrl,
    timeout: Duration,
) -> (String, String) {
    let secs = timeout.as_secs_f64();
    let plain = base.as_str().replacen("https://", "http://", 1);
    match kind {
        NetErrorKind::TlsToPlainHttp => (
            format!("https:// to a port that speaks plain HTTP ({}:{})", p.host, p.port),
            format!("use {plain}: Akto's data-ingestion service listens in plain HTTP (host port 9091); for TLS put a proxy or load balancer in front and use its port"),
        ),
        NetErrorKind::Tls(why) => match net::tls_problem(why) {
            TlsProblem::Expired => (
                format!("the certificate of {} has expired", p.host),
                "renew the certificate on the ingest service's TLS proxy or load balancer; gateways refuse an expired certificate too".into(),
            ),
            TlsProblem::NotYetValid => (
                format!("the certificate of {} is not valid yet", p.host),
                "check the clocks of this machine and of the server, or the certificate's start date".into(),
            ),
            TlsProblem::WrongHost => (
                format!("the certificate is not issued for {}", p.host),
                format!("use the host name the certificate names, or reissue it with {} in its subjectAltName", p.host),
            ),
            TlsProblem::UntrustedIssuer => (
                "the certificate's issuer is not trusted".into(),
                "a private CA: pass its certificate with --ca-file ca.pem (and make the gateway trust it too: APIM CA certificates, Kong lua_ssl_trusted_certificate)".into(),
            ),
            TlsProblem::Other => (format!("the TLS handshake failed ({why})"), "check the certificate and the TLS settings of the proxy in front of the service, or pass a private CA with --ca-file".into()),
        },
        NetErrorKind::Timeout { phase, .. } if phase.contains("connecting") && p.https => (
            format!("the TLS handshake got no answer within {secs:.1} s"),
            format!("the port accepts connections but does not speak TLS: if it is the plain-HTTP service port, use {plain}"),
        ),
        NetErrorKind::Timeout { phase, .. } => (
            format!("connected, but no answer within {secs:.1} s while {phase}"),
            "the service accepted the connection and stayed silent: is this the data-ingestion port, not Kafka's (9092) or another service's? A stalled service or a proxy holding connections does this too; check docker compose logs data-ingestion-service".into(),
        ),
        NetErrorKind::ConnectionFailed(why) => (
            format!("the server closed the connection without answering ({why})"),
            if p.https { format!("if this is the plain-HTTP service port, use {plain}") } else { "is this the data-ingestion port? a TLS-only port closes plain-HTTP connections: try https://".into() },
        ),
        NetErrorKind::Protocol(why) => (
            format!("the server did not answer in HTTP ({why})"),
            "the port belongs to something else (Kafka on 9092, ZooKeeper on 2181?): the data-ingestion service is on 9091".into(),
        ),
        NetErrorKind::Dns => (format!("the host name {} does not resolve", p.host), "check the spelling and this machine's DNS".into()),
        other => (
            format!("{}", net::NetError { url: p.url.clone(), kind: other.clone() }),
            "see the message above".into(),
        ),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

fn shorten(s: &str, max: usize) -> String {
    let s = printable(s.trim());
    if s.chars().count() <= max {
        return s;
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

fn auth_text(auth: Option<&Auth>) -> String {
    match auth {
        None => "none".into(),
        Some(a) => format!("{} {}", a.header.name(), a.origin),
    }
}

fn text_report(
    r: &Report,
    p: &Probe,
    record_path: &str,
    auth: Option<&Auth>,
    notes: &[String],
) -> String {
    let mut out = format!("akto-connect verify: POST {}\n", p.url);
    for n in notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    for ph in &r.phases {
        let time = ph.elapsed.map(ms).unwrap_or_default();
        let line = format!(
            "  {:<12} {:<8} {:<50} {}",
            ph.name,
            ph.status.word(),
            printable(&ph.detail),
            time
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if let Some(a) = &r.answer {
        out.push_str(&format!(
            "  {:<12} {}\n",
            "answer",
            if a.is_empty() { "(empty body)" } else { a }
        ));
    }
    for e in &r.action_errors {
        out.push_str(&format!("  {:<12} {}\n", "actionError", printable(e)));
    }
    out.push_str(&format!(
        "  {:<12} path {record_path}, credential: {}\n",
        "record",
        auth_text(auth)
    ));
    if r.accepted {
        out.push_str(&format!(
            "result: ACCEPTED: {}; look for {record_path} in Akto's API inventory\n",
            r.summary
        ));
    } else {
        out.push_str(&format!(
            "result: FAILED: {}\n  fix: {}\n",
            r.summary, r.fix
        ));
    }
    out
}

fn json_report(
    r: &Report,
    p: &Probe,
    record_path: &str,
    auth: Option<&Auth>,
    notes: &[String],
) -> Value {
    json!({
        "version": 1,
        "url": p.url,
        "accepted": r.accepted,
        "phases": r.phases.iter().map(|ph| json!({
            "phase": ph.name,
            "status": match ph.status { Status::Ok => "ok", Status::Failed => "failed", Status::Skipped => "skipped" },
            "detail": ph.detail,
            "ms": ph.elapsed.map(|d| d.as_millis() as u64),
        })).collect::<Vec<_>>(),
        "http_status": r.http_status,
        "answer": r.answer,
        "action_errors": r.action_errors,
        "latency_ms": r.latency.map(|d| d.as_millis() as u64),
        "summary": r.summary,
        "fix": if r.accepted { Value::Null } else { Value::String(r.fix.clone()) },
        "record_path": record_path,
        "credential": auth_text(auth),
        "notes": notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_map_to_environment_variables() {
        assert_eq!(env_name_for("akto-ingest-token"), "AKTO_INGEST_TOKEN");
        assert_eq!(env_name_for("akto.ingest_key"), "AKTO_INGEST_KEY");
    }

    #[test]
    fn rustls_wording_maps_to_the_fix() {
        use crate::net::tls_problem;
        assert_eq!(
            tls_problem("invalid peer certificate: Expired"),
            TlsProblem::Expired
        );
        assert_eq!(
            tls_problem("invalid peer certificate: NotValidForName"),
            TlsProblem::WrongHost
        );
        assert_eq!(
            tls_problem("invalid peer certificate: UnknownIssuer"),
            TlsProblem::UntrustedIssuer
        );
        assert_eq!(tls_problem("handshake failure"), TlsProblem::Other);
    }

    #[test]
    fn long_answers_are_cut_and_control_characters_shown() {
        assert_eq!(shorten("a\u{1b}[31mb", 100), "a\\u{1b}[31mb");
        assert_eq!(shorten(&"x".repeat(10), 4), "xxxx…");
    }
}
