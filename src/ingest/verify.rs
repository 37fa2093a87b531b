//! `verify`'s judgement: one probe of the ingest service (DNS, TCP connect, TLS, HTTP, as
//! `net::probe` measured it) and the service's answer, read into the one check model
//! (`crate::check`) with the likely fix. `app::verify` resolves the target and the credential,
//! sends the probe and prints the report; nothing here touches the network.
//!
//! Check ids: `dns`, `tcp-connect`, `tls`, `http` (labels `DNS`, `TCP connect`, `TLS`, `HTTP`
//! in the text report), always all four and in that order, so a pipeline reads a failure as
//! it reads a success. `http` holds only when the service accepted the record.

use std::time::Duration;

use serde_json::{json, Value};

use super::contract::INGEST_PATH;
use super::target::AuthHeader;
use crate::check::{Check, Report, Status};
use crate::error::printable;
use crate::http_url::BaseUrl;
use crate::net::{tls_problem, NetError, NetErrorKind, Probe, TlsProblem};
use crate::redact_url::redact_url;

/// The credential sent, as the report names it (never its value).
#[derive(Debug, Clone)]
pub struct Credential {
    pub header: AuthHeader,
    /// Where the value came from, e.g. "from $AKTO_INGEST_TOKEN".
    pub origin: String,
}

/// What the report says besides the probe: the record sent and the notes of the resolution.
pub struct Sent<'a> {
    pub record_path: &'a str,
    pub credential: Option<&'a Credential>,
    pub notes: Vec<String>,
}

/// The report of one probe: four checks, the answer, and what to do.
pub fn report(p: &Probe, sent: Sent, base: &BaseUrl, timeout: Duration) -> Report {
    let mut o = judge(p, sent.credential, base, timeout);
    if !o.accepted && !o.phases.iter().any(|c| c.status == Status::Fail) {
        // The answer came (a 2xx that is not JSON) but the record was not taken.
        if let Some(http) = o.phases.iter_mut().rev().find(|c| c.status == Status::Ok) {
            http.status = Status::Fail;
        }
    }
    if !o.fix.is_empty() {
        if let Some(failed) = o.phases.iter_mut().rev().find(|c| c.status == Status::Fail) {
            failed.fix = Some(o.fix.clone());
        }
    }
    let mut detail = Vec::new();
    if let Some(a) = &o.answer {
        detail.push(format!(
            "answer: {}",
            if a.is_empty() { "(empty body)" } else { a }
        ));
    }
    for e in &o.action_errors {
        detail.push(format!("actionError: {e}"));
    }
    if let Some(http) = o.phases.iter_mut().find(|c| c.id == "http") {
        *http = http.clone().with_detail(detail.join("\n"));
    }
    let credential = credential_text(sent.credential);
    let summary = if o.accepted {
        format!(
            "{}; look for {} in Akto's API inventory",
            o.summary, sent.record_path
        )
    } else {
        o.summary
    };
    let mut context = serde_json::Map::new();
    for (k, v) in [
        ("url", json!(p.url)),
        ("accepted", json!(o.accepted)),
        ("http_status", json!(o.http_status)),
        ("answer", json!(o.answer)),
        ("action_errors", json!(o.action_errors)),
        ("latency_ms", json!(o.latency.map(|d| d.as_millis() as u64))),
        ("record_path", json!(sent.record_path)),
        ("credential", json!(credential)),
    ] {
        context.insert(k.to_string(), v);
    }
    Report {
        title: format!("akto-connect verify: POST {}", p.url),
        notes: sent.notes,
        checks: o.phases,
        facts: vec![(
            "record".to_string(),
            format!("path {}, credential: {credential}", sent.record_path),
        )],
        summary: Some(summary),
        strict: false,
        context,
    }
}

/// What the probe showed, before it becomes a report.
struct Outcome {
    phases: Vec<Check>,
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

/// A check of one phase: its id is the label in lower case, spaces as dashes.
fn phase(label: &str, status: Status, message: String, elapsed: Option<Duration>) -> Check {
    let id = label.to_ascii_lowercase().replace(' ', "-");
    Check {
        status,
        ..Check::ok(&id, message)
    }
    .labelled(label)
    .timed(elapsed)
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn judge(p: &Probe, auth: Option<&Credential>, base: &BaseUrl, timeout: Duration) -> Outcome {
    let mut r = Outcome {
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
        Ok(ips) => r.phases.push(phase(
            "DNS",
            Status::Ok,
            ips.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            Some(p.dns.elapsed),
        )),
        Err(kind) => {
            r.phases.push(phase(
                "DNS",
                Status::Fail,
                format!("{} does not resolve", p.host),
                Some(p.dns.elapsed),
            ));
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
        Ok(addr) => r.phases.push(phase(
            "TCP connect",
            Status::Ok,
            addr.to_string(),
            Some(tcp.elapsed),
        )),
        Err(kind) => {
            r.phases.push(phase(
                "TCP connect",
                Status::Fail,
                match kind {
                    NetErrorKind::Timeout { .. } => format!("no answer from {hostport}"),
                    NetErrorKind::ConnectionFailed(why) => format!("{hostport}: {why}"),
                    other => format!("{other:?}"),
                },
                Some(tcp.elapsed),
            ));
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
                r.phases.push(phase(
                    "TLS",
                    if tls_phase_failed {
                        Status::Fail
                    } else {
                        Status::Ok
                    },
                    if tls_phase_failed {
                        summary.clone()
                    } else {
                        format!("certificate valid for {}", p.host)
                    },
                    None,
                ));
            } else {
                r.phases.push(skipped_tls());
            }
            r.phases.push(phase(
                "HTTP",
                if tls_phase_failed {
                    Status::Skip
                } else {
                    Status::Fail
                },
                if tls_phase_failed {
                    String::new()
                } else {
                    summary.clone()
                },
                None,
            ));
            r.summary = summary;
            r.fix = fix;
            return r;
        }
    };
    r.phases.push(if p.https {
        phase(
            "TLS",
            Status::Ok,
            format!("certificate trusted and valid for {}", p.host),
            None,
        )
    } else {
        skipped_tls()
    });
    r.http_status = Some(resp.status);
    r.latency = Some(resp.elapsed);
    r.phases.push(phase(
        "HTTP",
        if resp.is_success() {
            Status::Ok
        } else {
            Status::Fail
        },
        format!("{} {}", resp.status, reason(resp.status)),
        Some(resp.elapsed),
    ));
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
            let location = resp.header("location").map(redact_url);
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

fn skipped_tls() -> Check {
    phase("TLS", Status::Skip, "http:// (no TLS)".into(), None)
}

fn skip_rest(r: &mut Outcome, https: bool) {
    let done: Vec<String> = r.phases.iter().filter_map(|p| p.label.clone()).collect();
    for name in ["TCP connect", "TLS", "HTTP"] {
        if !done.iter().any(|d| d == name) {
            let why = if name == "TLS" && !https {
                "http:// (no TLS)"
            } else {
                ""
            };
            r.phases.push(phase(name, Status::Skip, why.into(), None));
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
        NetErrorKind::Tls(why) => match tls_problem(why) {
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
            format!("{}", NetError { url: p.url.clone(), kind: other.clone() }),
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

fn credential_text(c: Option<&Credential>) -> String {
    match c {
        None => "none".into(),
        Some(a) => format!("{} {}", a.header.name(), a.origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_wording_maps_to_the_fix() {
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

    #[test]
    fn phase_ids_are_the_labels_in_lower_case() {
        let c = phase("TCP connect", Status::Skip, String::new(), None);
        assert_eq!(
            (c.id.as_str(), c.label.as_deref()),
            ("tcp-connect", Some("TCP connect"))
        );
    }
}
