//! The one place the tool talks to the network: every outbound HTTP call (Kong's Admin API,
//! Azure Resource Manager, the Akto ingest service) goes through [`Client`].
//!
//! It owns what every caller would otherwise get subtly different: timeouts (a silent server is
//! reported in seconds), TLS with certificate checks always on (the system trust store, plus a
//! private CA file when given), retries with backoff on 429/5xx that honour `Retry-After`, a
//! bound on response size, no credentials forwarded across redirects, and error messages that
//! name the URL and the likely cause. URLs in messages pass through [`crate::redact_url`], so
//! a SAS token or a password in a URL cannot leak into a log.
//!
//! Domain modules build requests and read responses as plain data; they never call this.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ureq::tls::{Certificate, RootCerts, TlsConfig};

use crate::redact_url::redact_url;

/// How a [`Client`] behaves. `Default` suits an interactive command.
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// The whole exchange, from resolving the host to the last body byte.
    pub timeout: Duration,
    /// Resolving and connecting (TLS included).
    pub connect_timeout: Duration,
    /// Further attempts after a retryable failure (429, 502, 503, 504, a reset connection).
    pub retries: u32,
    /// The longest `Retry-After` (or backoff) honoured; a server asking for more is an error.
    pub max_retry_wait: Duration,
    /// Extra trusted roots (PEM), on top of the system's.
    pub ca_file: Option<PathBuf>,
    /// The largest response body read, in bytes.
    pub max_body: u64,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retries: 3,
            max_retry_wait: Duration::from_secs(120),
            ca_file: None,
            max_body: 64 * 1024 * 1024,
        }
    }
}

/// A request as plain data.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Whether sending it twice is harmless. Only idempotent requests are retried after a
    /// failure that may have reached the server; any request is retried on 429.
    pub idempotent: bool,
    /// Whether a 3xx answer is followed (the default, up to 10 hops; a POST answered 301 or
    /// 302 becomes a GET, as curl does). When `false`, the 3xx itself is the [`Response`],
    /// with its `Location`, for the caller to report.
    pub follow_redirects: bool,
    /// Names of further headers that carry a credential (besides [`CREDENTIAL_HEADERS`]):
    /// never sent across a redirect to another origin or to `http://`, and their values are
    /// masked in [`Response::text`].
    pub credentials: Vec<String>,
}

/// Headers that always carry a credential, whatever the caller says.
pub const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "kong-admin-token",
    "ocp-apim-subscription-key",
    "x-api-key",
    "api-key",
    "x-functions-key",
    "x-identity-header",
    "x-amz-security-token",
];

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl Request {
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::Get, url, None)
    }

    /// A request with a body; POST is not idempotent, PUT and DELETE are.
    pub fn new(method: Method, url: impl Into<String>, body: Option<Vec<u8>>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body,
            idempotent: !matches!(method, Method::Post | Method::Patch),
            follow_redirects: true,
            credentials: Vec::new(),
        }
    }

    /// Adds a header that carries a credential (see [`Request::credentials`]).
    pub fn credential(mut self, name: &str, value: impl Into<String>) -> Self {
        self.credentials.push(name.to_ascii_lowercase());
        self.header(name, value)
    }

    fn is_credential(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        CREDENTIAL_HEADERS.contains(&name.as_str()) || self.credentials.contains(&name)
    }

    /// The credential values this request carries (a bearer token without its scheme too),
    /// for masking an answer that echoes one.
    fn secrets(&self) -> crate::mask::Secrets {
        let mut s = crate::mask::Secrets::default();
        for (k, v) in &self.headers {
            if self.is_credential(k) {
                s.add(v);
                if let Some((_, token)) = v.split_once(' ') {
                    s.add(token);
                }
            }
        }
        s
    }

    /// Answers a 3xx with the 3xx itself instead of following it (see
    /// [`Request::follow_redirects`]).
    pub fn no_redirects(mut self) -> Self {
        self.follow_redirects = false;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// A JSON body with its content type.
    pub fn json(method: Method, url: impl Into<String>, body: &serde_json::Value) -> Self {
        Self::new(method, url, Some(body.to_string().into_bytes()))
            .header("content-type", "application/json")
    }
}

/// A response: any status (4xx and 5xx are answers, not errors, for the caller to judge).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Time of the last attempt, from sending to the last byte.
    pub elapsed: Duration,
    /// How many attempts were made (1 when there was no retry).
    pub attempts: u32,
    /// A redirect went to another origin or from `https://` to `http://`, so the request's
    /// credential headers were not sent there: this answer says nothing about them.
    pub credentials_withheld: bool,
    /// The credentials the request carried, masked in [`Response::text`].
    secrets: crate::mask::Secrets,
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy), for messages: every credential the request carried is
    /// masked, in any escaped form, before a caller can cut or print it.
    pub fn text(&self) -> String {
        self.secrets.mask(&String::from_utf8_lossy(&self.body))
    }

    /// `text` (a message built from this answer, say a field of its JSON) with every
    /// credential the request carried masked, in any escaped form.
    pub fn mask(&self, text: &str) -> String {
        self.secrets.mask(text)
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no answer came back. `Display` names the URL (without query) and the likely cause.
#[derive(Debug)]
pub struct NetError {
    pub url: String,
    pub kind: NetErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetErrorKind {
    /// The URL itself is not usable.
    BadUrl(String),
    /// The host name does not resolve.
    Dns,
    /// Nothing listens there, or a firewall refused.
    ConnectionFailed(String),
    /// No answer within the time allowed; `phase` says where it stalled.
    Timeout { phase: String, after: Duration },
    /// The TLS handshake failed: an untrusted or expired certificate, a name mismatch.
    Tls(String),
    /// `https://` to a port that speaks plain HTTP.
    TlsToPlainHttp,
    /// The server answered with something that is not HTTP.
    Protocol(String),
    /// The response body is larger than allowed.
    TooLarge(u64),
    /// The server asked to wait longer than the configured maximum.
    RetryTooLong(Duration),
    /// A private CA file could not be used.
    CaFile(String),
    /// Any other failure, as the transport put it.
    Other(String),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = &self.url;
        match &self.kind {
            NetErrorKind::BadUrl(why) => write!(f, "{url}: not a usable URL ({why})"),
            NetErrorKind::Dns => write!(
                f,
                "{url}: the host name does not resolve; check the spelling, and that this machine's DNS can see it (an internal name needs the internal network or VPN)"
            ),
            NetErrorKind::ConnectionFailed(why) => write!(
                f,
                "{url}: cannot connect ({why}); check the port, that the service is running, and that no firewall or security group blocks it"
            ),
            NetErrorKind::Timeout { phase, after } => write!(
                f,
                "{url}: no answer within {:.1} s while {phase}; a firewall that drops packets, a wrong port or an overloaded service are the usual causes",
                after.as_secs_f64()
            ),
            NetErrorKind::Tls(why) => write!(
                f,
                "{url}: the TLS handshake failed ({why}); check that the certificate is valid, unexpired and issued for this host name, or pass the private CA with --ca-file"
            ),
            NetErrorKind::TlsToPlainHttp => write!(
                f,
                "{url}: the server answered in plain HTTP, not TLS: use http:// for this port (Akto's ingest service listens in plain HTTP on 9091), or the port of your TLS proxy"
            ),
            NetErrorKind::Protocol(why) => write!(
                f,
                "{url}: the server did not answer in HTTP ({why}); check the port"
            ),
            NetErrorKind::TooLarge(limit) => {
                write!(f, "{url}: the response is larger than {limit} bytes")
            }
            NetErrorKind::RetryTooLong(wait) => write!(
                f,
                "{url}: the server asks to retry after {} s, longer than this run waits; try again later",
                wait.as_secs()
            ),
            NetErrorKind::CaFile(why) => write!(f, "--ca-file: {why}"),
            NetErrorKind::Other(why) => write!(f, "{url}: {why}"),
        }
    }
}

impl std::error::Error for NetError {}

/// Status, headers and body of one exchange.
type Exchange = (u16, Vec<(String, String)>, Vec<u8>);

/// One attempt's [`Exchange`], and whether credentials were withheld on a redirect.
type Answer = (u16, Vec<(String, String)>, Vec<u8>, bool);

/// The one HTTP client. Cheap to share across threads (`&Client` is `Sync`).
pub struct Client {
    agent: ureq::Agent,
    config: NetConfig,
}

impl Client {
    /// Builds a client; fails only when `ca_file` cannot be read or holds no certificate.
    pub fn new(config: NetConfig) -> Result<Self, NetError> {
        let roots = root_certs(config.ca_file.as_ref())?;
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            .timeout_resolve(Some(config.connect_timeout))
            .user_agent(concat!("akto-connect/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(Self {
            agent: agent_config.into(),
            config,
        })
    }

    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Sends `req`, retrying as [`NetConfig`] allows. `on_retry` hears about each wait (for a
    /// progress line), with the status or error that caused it.
    pub fn send_with(
        &self,
        req: &Request,
        mut on_retry: impl FnMut(&str, Duration),
    ) -> Result<Response, NetError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let result = self.send_once(req);
            let elapsed = started.elapsed();
            let last = attempt > self.config.retries;
            match result {
                Ok((status, headers, body, credentials_withheld)) => {
                    let retryable = status == 429
                        || (req.idempotent && matches!(status, 500 | 502 | 503 | 504));
                    if retryable && !last {
                        let asked = retry_after(&headers);
                        let wait = asked.unwrap_or_else(|| backoff(attempt));
                        if wait > self.config.max_retry_wait {
                            return Err(self.error(&req.url, NetErrorKind::RetryTooLong(wait)));
                        }
                        on_retry(&format!("HTTP {status}"), wait);
                        std::thread::sleep(wait);
                        continue;
                    }
                    return Ok(Response {
                        status,
                        headers,
                        body,
                        elapsed,
                        attempts: attempt,
                        credentials_withheld,
                        secrets: req.secrets(),
                    });
                }
                Err(kind) => {
                    let transient = matches!(
                        kind,
                        NetErrorKind::ConnectionFailed(_) | NetErrorKind::Other(_)
                    ) && req.idempotent;
                    if transient && !last {
                        let wait = backoff(attempt);
                        on_retry(&format!("{}", self.error(&req.url, kind)), wait);
                        std::thread::sleep(wait);
                        continue;
                    }
                    return Err(self.error(&req.url, kind));
                }
            }
        }
    }

    /// Sends `req`, retrying as [`NetConfig`] allows.
    pub fn send(&self, req: &Request) -> Result<Response, NetError> {
        self.send_with(req, |_, _| {})
    }

    fn error(&self, url: &str, kind: NetErrorKind) -> NetError {
        NetError {
            url: redact_url(url),
            kind,
        }
    }

    /// One attempt, following redirects here (ureq never does: `max_redirects` is 0), so the
    /// rule on credentials is ours: a hop to another origin (scheme, host, port) or from
    /// `https://` to `http://` drops every credential header, for the rest of the chain.
    fn send_once(&self, req: &Request) -> Result<Answer, NetErrorKind> {
        let mut url = req.url.clone();
        let mut method = req.method;
        let mut body = req.body.clone();
        let origin = Origin::of(&req.url);
        let mut withheld = false;
        let mut hops = 0;
        loop {
            let send_credentials = !withheld;
            let (status, headers, answer) =
                self.exchange(req, method, &url, body.as_deref(), send_credentials)?;
            let location = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| v.clone());
            let redirect = matches!(status, 301 | 302 | 303 | 307 | 308);
            let (Some(location), true, true) = (location, redirect, req.follow_redirects) else {
                return Ok((status, headers, answer, withheld));
            };
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(NetErrorKind::Other(format!(
                    "more than {MAX_REDIRECTS} redirects"
                )));
            }
            let next = resolve(&url, &location).ok_or_else(|| {
                NetErrorKind::BadUrl(format!(
                    "the redirect points to {}, not a usable URL",
                    redact_url(&location)
                ))
            })?;
            if leaves_origin(origin.as_ref(), &url, &next) {
                let carries = req.headers.iter().any(|(k, _)| req.is_credential(k));
                withheld |= carries;
            }
            // A POST answered 301/302 becomes a GET, as curl does; 303 always does.
            if status == 303 || (matches!(status, 301 | 302) && method == Method::Post) {
                method = Method::Get;
                body = None;
            }
            url = next;
        }
    }

    fn exchange(
        &self,
        req: &Request,
        method: Method,
        url: &str,
        body: Option<&[u8]>,
        credentials: bool,
    ) -> Result<Exchange, NetErrorKind> {
        let mut builder = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(url);
        for (k, v) in &req.headers {
            if credentials || !req.is_credential(k) {
                builder = builder.header(k.as_str(), v.as_str());
            }
        }
        let result = match body {
            Some(body) => builder
                .body(body.to_vec())
                .map_err(|e| NetErrorKind::BadUrl(e.to_string()))
                .and_then(|r| {
                    let r = self.agent.configure_request(r).max_redirects(0).build();
                    self.agent.run(r).map_err(|e| self.classify(e, url))
                }),
            None => builder
                .body(())
                .map_err(|e| NetErrorKind::BadUrl(e.to_string()))
                .and_then(|r| {
                    let r = self.agent.configure_request(r).max_redirects(0).build();
                    self.agent.run(r).map_err(|e| self.classify(e, url))
                }),
        };
        let mut resp = result?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(self.config.max_body)
            .read_to_vec()
            .map_err(|e| self.classify(e, url))?;
        Ok((status, headers, body))
    }

    fn classify(&self, e: ureq::Error, url: &str) -> NetErrorKind {
        use ureq::Error as E;
        match e {
            E::BadUri(why) => NetErrorKind::BadUrl(why),
            E::Http(why) => NetErrorKind::BadUrl(why.to_string()),
            E::HostNotFound => NetErrorKind::Dns,
            E::ConnectionFailed => NetErrorKind::ConnectionFailed("connection failed".into()),
            E::Timeout(t) => {
                let (phase, after) = timeout_phase(t, &self.config);
                NetErrorKind::Timeout {
                    phase: phase.to_string(),
                    after,
                }
            }
            E::BodyExceedsLimit(n) => NetErrorKind::TooLarge(n),
            E::Tls(why) => NetErrorKind::Tls(why.to_string()),
            E::Pem(why) => NetErrorKind::CaFile(why.to_string()),
            E::Rustls(why) => tls_kind(&why.to_string()),
            E::Io(io) => io_kind(&io, url),
            E::Protocol(why) => NetErrorKind::Protocol(why.to_string()),
            other => NetErrorKind::Other(other.to_string()),
        }
    }
}

/// Scheme, host and port of a URL (the port defaulted), for comparing origins.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of(url: &str) -> Option<Origin> {
        let uri: ureq::http::Uri = url.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default = if scheme == "https" { 443 } else { 80 };
        Some(Origin {
            host: uri.host()?.to_ascii_lowercase(),
            port: uri.port_u16().unwrap_or(default),
            scheme,
        })
    }
}

/// Whether a hop from `from` to `to` leaves the origin the request was made for (`first`), or
/// goes from `https://` to `http://`: then no credential header goes on. An origin that cannot
/// be read counts as another one.
fn leaves_origin(first: Option<&Origin>, from: &str, to: &str) -> bool {
    let here = Origin::of(from);
    let there = Origin::of(to);
    let downgrade = here.as_ref().is_some_and(|o| o.scheme == "https")
        && there.as_ref().is_some_and(|o| o.scheme == "http");
    downgrade || first.is_none() || there.as_ref() != first
}

/// `location` resolved against `base`: absolute, scheme-relative (`//host/p`), absolute path
/// (`/p`) or relative path (`p`, against the base's directory).
fn resolve(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if location.contains("://") {
        let uri: ureq::http::Uri = location.parse().ok()?;
        return matches!(uri.scheme_str(), Some("http" | "https")).then(|| location.to_string());
    }
    let uri: ureq::http::Uri = base.parse().ok()?;
    let scheme = uri.scheme_str()?;
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    let authority = uri.authority()?.as_str();
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = uri.path();
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    Some(format!("{scheme}://{authority}{dir}{location}"))
}

fn tls_kind(why: &str) -> NetErrorKind {
    // rustls reports a plain-HTTP answer to a ClientHello as a corrupt record.
    if why.contains("InvalidContentType") || why.contains("corrupt message") {
        NetErrorKind::TlsToPlainHttp
    } else {
        NetErrorKind::Tls(why.to_string())
    }
}

fn io_kind(io: &std::io::Error, url: &str) -> NetErrorKind {
    use std::io::ErrorKind as K;
    let text = io.to_string();
    match io.kind() {
        K::ConnectionRefused => NetErrorKind::ConnectionFailed("connection refused".into()),
        K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof
            if url.starts_with("https://") && text.contains("tls") =>
        {
            NetErrorKind::Tls(text)
        }
        K::ConnectionReset | K::ConnectionAborted => {
            NetErrorKind::ConnectionFailed("the connection was closed".into())
        }
        K::TimedOut => NetErrorKind::Timeout {
            phase: "waiting for the network".into(),
            after: Duration::ZERO,
        },
        _ => {
            // rustls errors arrive wrapped in io::Error from the TLS stream.
            if let Some(inner) = io.get_ref() {
                if let Some(r) = inner.downcast_ref::<ureq::Error>() {
                    return NetErrorKind::Other(r.to_string());
                }
                let s = inner.to_string();
                if s.contains("InvalidContentType") || s.contains("corrupt message") {
                    return NetErrorKind::TlsToPlainHttp;
                }
                if s.contains("certificate") || s.contains("Certificate") || s.contains("tls") {
                    return NetErrorKind::Tls(s);
                }
            }
            if text.contains("InvalidContentType") || text.contains("corrupt message") {
                return NetErrorKind::TlsToPlainHttp;
            }
            if text.contains("certificate") || text.contains("Certificate") {
                return NetErrorKind::Tls(text);
            }
            NetErrorKind::Other(text)
        }
    }
}

fn timeout_phase(t: ureq::Timeout, config: &NetConfig) -> (&'static str, Duration) {
    use ureq::Timeout as T;
    match t {
        T::Resolve => ("resolving the host name", config.connect_timeout),
        T::Connect => ("connecting (TCP and TLS)", config.connect_timeout),
        T::SendRequest | T::SendBody => ("sending the request", config.timeout),
        T::RecvResponse => ("waiting for the response", config.timeout),
        T::RecvBody => ("reading the response body", config.timeout),
        _ => ("waiting for the server", config.timeout),
    }
}

/// `Retry-After` as a wait: seconds, or an HTTP date.
fn retry_after(headers: &[(String, String)]) -> Option<Duration> {
    let value = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?
        .1
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// 0.5 s, 1 s, 2 s, … capped at 30 s.
fn backoff(attempt: u32) -> Duration {
    let ms = 500u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(6));
    Duration::from_millis(ms.min(30_000))
}

/// The system's trusted roots plus the CA file's; Mozilla's roots when the system has none.
fn root_certs(ca_file: Option<&PathBuf>) -> Result<RootCerts, NetError> {
    let mut certs: Vec<Certificate<'static>> = rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    if let Some(path) = ca_file {
        let shown = crate::text::shorten(&path.display().to_string());
        let pem = crate::input::read_capped(path).map_err(|e| NetError {
            url: String::new(),
            kind: NetErrorKind::CaFile(format!("cannot read {shown}: {e}")),
        })?;
        let mut found = 0;
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => {
                    certs.push(c);
                    found += 1;
                }
                Ok(_) => {}
                Err(e) => {
                    return Err(NetError {
                        url: String::new(),
                        kind: NetErrorKind::CaFile(format!("{shown} is not PEM: {e}")),
                    })
                }
            }
        }
        if found == 0 {
            return Err(NetError {
                url: String::new(),
                kind: NetErrorKind::CaFile(format!(
                    "{shown} holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)"
                )),
            });
        }
    }
    if certs.is_empty() {
        return Ok(RootCerts::WebPki);
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

/// One timed step of a [`probe`].
#[derive(Debug)]
pub struct Step<T> {
    pub elapsed: Duration,
    pub result: Result<T, NetErrorKind>,
}

fn timed<T>(f: impl FnOnce() -> Result<T, NetErrorKind>) -> Step<T> {
    let started = Instant::now();
    let result = f();
    Step {
        elapsed: started.elapsed(),
        result,
    }
}

/// The phases of one request, each reported separately: resolving the host, a TCP connect,
/// then the request itself through [`Client`] (TLS and HTTP). A phase runs only when the one
/// before it succeeded.
#[derive(Debug)]
pub struct Probe {
    /// The URL without user info or query.
    pub url: String,
    pub host: String,
    pub port: u16,
    pub https: bool,
    pub dns: Step<Vec<std::net::IpAddr>>,
    /// The address connected to.
    pub tcp: Option<Step<std::net::SocketAddr>>,
    pub http: Option<Result<Response, NetError>>,
}

/// Sends `req` as [`Client::send`] does, after checking name resolution and the TCP connect on
/// their own, so a caller can say which phase failed. Every phase is bounded by `config`'s
/// timeouts; nothing is retried here beyond what `config.retries` allows.
pub fn probe(req: &Request, config: &NetConfig) -> Result<Probe, NetError> {
    let bad = |why: String| NetError {
        url: redact_url(&req.url),
        kind: NetErrorKind::BadUrl(why),
    };
    let uri: ureq::http::Uri = req
        .url
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| bad(e.to_string()))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        other => return Err(bad(format!("unsupported scheme {other:?}"))),
    };
    let host = uri
        .host()
        .ok_or_else(|| bad("no host".to_string()))?
        .to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let client = Client::new(config.clone())?;

    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let wait = config.connect_timeout;
    let dns = timed(|| {
        // The system resolver has no timeout of its own: ask on a thread, wait a bounded time.
        let (tx, rx) = std::sync::mpsc::channel();
        let name = bare.clone();
        std::thread::spawn(move || {
            use std::net::ToSocketAddrs;
            let _ = tx.send(
                (name.as_str(), port)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>()),
            );
        });
        match rx.recv_timeout(wait) {
            Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
            Ok(_) => Err(NetErrorKind::Dns),
            Err(_) => Err(NetErrorKind::Timeout {
                phase: "resolving the host name".into(),
                after: wait,
            }),
        }
    });
    let addrs: Vec<std::net::SocketAddr> = match &dns.result {
        Ok(a) => a.clone(),
        Err(_) => {
            return Ok(Probe {
                url: redact_url(&req.url),
                host,
                port,
                https,
                dns: Step {
                    elapsed: dns.elapsed,
                    result: dns.result.map(|_| Vec::new()),
                },
                tcp: None,
                http: None,
            })
        }
    };
    let dns = Step {
        elapsed: dns.elapsed,
        result: Ok(addrs.iter().map(std::net::SocketAddr::ip).collect()),
    };
    let tcp = timed(|| {
        let mut last = NetErrorKind::ConnectionFailed("no address to connect to".into());
        for addr in &addrs {
            match std::net::TcpStream::connect_timeout(addr, wait) {
                Ok(_) => return Ok(*addr),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    last = NetErrorKind::Timeout {
                        phase: "connecting (TCP)".into(),
                        after: wait,
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    last = NetErrorKind::ConnectionFailed("connection refused".into())
                }
                Err(e) => last = NetErrorKind::ConnectionFailed(e.to_string()),
            }
        }
        Err(last)
    });
    let connected = tcp.result.is_ok();
    Ok(Probe {
        url: redact_url(&req.url),
        host,
        port,
        https,
        dns,
        tcp: Some(tcp),
        http: connected.then(|| client.send(req)),
    })
}

/// What a TLS failure's wording says went wrong, for a message that names the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsProblem {
    Expired,
    NotYetValid,
    WrongHost,
    UntrustedIssuer,
    Other,
}

/// Reads rustls' wording of a certificate error.
pub fn tls_problem(why: &str) -> TlsProblem {
    let w = why.to_ascii_lowercase().replace(['_', ' '], "");
    if w.contains("expired") {
        TlsProblem::Expired
    } else if w.contains("notvalidyet") {
        TlsProblem::NotYetValid
    } else if w.contains("notvalidforname") || w.contains("notvalidforthename") {
        TlsProblem::WrongHost
    } else if w.contains("unknownissuer") || w.contains("badsignature") || w.contains("selfsigned")
    {
        TlsProblem::UntrustedIssuer
    } else {
        TlsProblem::Other
    }
}

/// This host's address on the interface of its default route, the one other hosts most
/// likely reach it at. No packet is sent: a UDP socket is only bound and connected.
pub fn local_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // TEST-NET-1 (RFC 5737): never routed anywhere, but it makes the kernel pick a route.
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A loopback server answering each connection with the next canned response; returns
    /// its base URL and the requests it saw (first lines).
    fn serve(answers: Vec<&'static str>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for answer in answers {
                let (mut stream, _) = listener.accept().unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                // Read the head as bytes: a TLS ClientHello is not text.
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while head.len() < 16 * 1024 && !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => break,
                    }
                    if head.len() > 5 && head[0] == 0x16 {
                        break; // a TLS record: answer as a plain-HTTP server would
                    }
                }
                let text = String::from_utf8_lossy(&head);
                seen.push(text.lines().next().unwrap_or("").to_string());
                let _ = stream.write_all(answer.as_bytes());
            }
            seen
        });
        (url, handle)
    }

    fn quick() -> NetConfig {
        NetConfig {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            retries: 2,
            ..NetConfig::default()
        }
    }

    #[test]
    fn retries_429_after_retry_after_then_succeeds() {
        let (url, server) = serve(vec![
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        ]);
        let client = Client::new(quick()).unwrap();
        let mut waits = Vec::new();
        let started = Instant::now();
        let resp = client
            .send_with(&Request::get(format!("{url}/x")), |why, d| {
                waits.push((why.to_string(), d))
            })
            .unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.body, b"ok");
        assert_eq!(resp.attempts, 2);
        assert_eq!(waits, [("HTTP 429".to_string(), Duration::from_secs(1))]);
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!(
            server.join().unwrap(),
            ["GET /x HTTP/1.1", "GET /x HTTP/1.1"]
        );
    }

    #[test]
    fn credentials_stay_with_the_origin_and_never_go_to_plain_http() {
        let first = Origin::of("https://kong.example:8444/status");
        let f = first.as_ref();
        let a = "https://kong.example:8444/status";
        // Same origin (the default port spelled out or not, another path): kept.
        assert!(!leaves_origin(f, a, "https://KONG.example:8444/plugins"));
        let o443 = Origin::of("https://api.example/x");
        assert!(!leaves_origin(
            o443.as_ref(),
            "https://api.example/x",
            "https://api.example:443/y"
        ));
        // Another host, another port, another scheme, a downgrade: dropped.
        assert!(leaves_origin(f, a, "https://evil.example:8444/status"));
        assert!(leaves_origin(f, a, "https://kong.example:9444/status"));
        assert!(leaves_origin(f, a, "http://kong.example:8444/status"));
        assert!(leaves_origin(f, a, "http://kong.example/status"));
        // Back to the first origin after a hop away: the caller keeps them withheld.
        assert!(leaves_origin(None, a, a));
    }

    #[test]
    fn relative_locations_resolve_against_the_url() {
        let base = "http://h:1/a/b?q=1";
        assert_eq!(resolve(base, "/c").as_deref(), Some("http://h:1/c"));
        assert_eq!(resolve(base, "c").as_deref(), Some("http://h:1/a/c"));
        assert_eq!(resolve(base, "//o:2/c").as_deref(), Some("http://o:2/c"));
        assert_eq!(resolve(base, "https://o/c").as_deref(), Some("https://o/c"));
        assert_eq!(resolve(base, "file:///etc/passwd"), None);
    }

    #[test]
    fn a_redirect_to_another_port_carries_no_credential_header() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let other = format!("http://{}", listener.local_addr().unwrap());
        let seen = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut head = Vec::new();
            let mut b = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                match s.read(&mut b) {
                    Ok(1) => head.push(b[0]),
                    _ => break,
                }
            }
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            String::from_utf8_lossy(&head).to_ascii_lowercase()
        });
        let moved: &'static str = Box::leak(
            format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {other}/y\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .into_boxed_str(),
        );
        let (url, first) = serve(vec![moved]);
        let client = Client::new(quick()).unwrap();
        let req = Request::get(format!("{url}/x"))
            .header("Authorization", "Bearer tok-1234")
            .header("Kong-Admin-Token", "kat-1234")
            .credential("X-Custom-Secret", "cus-1234")
            .header("accept", "application/json");
        let resp = client.send(&req).unwrap();
        assert_eq!(resp.status, 200);
        assert!(resp.credentials_withheld);
        assert_eq!(first.join().unwrap(), ["GET /x HTTP/1.1"]);
        let head = seen.join().unwrap();
        assert!(head.starts_with("get /y http/1.1"), "{head}");
        assert!(head.contains("accept: application/json"), "{head}");
        for name in ["authorization", "kong-admin-token", "x-custom-secret"] {
            assert!(
                !head.contains(name),
                "{name} went to another origin: {head}"
            );
        }
    }

    #[test]
    fn an_answer_echoing_a_credential_is_masked_before_any_cut() {
        let body = r#"{"m":"key k\"e\\y-1234 is not valid"}"#;
        let echo: &'static str = Box::leak(
            format!(
                "HTTP/1.1 401 No\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_boxed_str(),
        );
        let (url, server) = serve(vec![echo]);
        let client = Client::new(quick()).unwrap();
        let resp = client
            .send(&Request::get(url).credential("api-key", "k\"e\\y-1234"))
            .unwrap();
        server.join().unwrap();
        assert_eq!(resp.text(), "{\"m\":\"key *** is not valid\"}");
    }

    #[test]
    fn a_redirected_post_is_answered_as_the_redirect_when_asked() {
        let moved = "HTTP/1.1 302 Found\r\nLocation: /moved?sig=s3cret\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        // By default a 302 to a POST is followed as a GET (what curl does).
        let (url, server) = serve(vec![moved, ok]);
        let client = Client::new(quick()).unwrap();
        let req = Request::new(Method::Post, format!("{url}/x"), Some(b"{}".to_vec()));
        assert_eq!(client.send(&req).unwrap().status, 200);
        assert_eq!(
            server.join().unwrap(),
            ["POST /x HTTP/1.1", "GET /moved?sig=s3cret HTTP/1.1"]
        );
        // With no_redirects the 302 itself comes back, Location and all, and nothing follows.
        let (url, server) = serve(vec![moved]);
        let req = Request::new(Method::Post, format!("{url}/x"), Some(b"{}".to_vec()));
        let resp = client.send(&req.no_redirects()).unwrap();
        assert_eq!(resp.status, 302);
        assert_eq!(resp.header("location"), Some("/moved?sig=s3cret"));
        assert_eq!(server.join().unwrap(), ["POST /x HTTP/1.1"]);
    }

    #[test]
    fn a_post_is_not_retried_on_500_but_is_on_429() {
        let (url, server) = serve(vec![
            "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ]);
        let client = Client::new(quick()).unwrap();
        let resp = client
            .send(&Request::new(Method::Post, url, Some(b"{}".to_vec())))
            .unwrap();
        assert_eq!((resp.status, resp.attempts), (500, 1));
        assert_eq!(server.join().unwrap().len(), 1);
    }

    #[test]
    fn refused_connection_names_the_url_and_the_cause() {
        // Bind then drop, so the port is (almost certainly) closed.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = Client::new(NetConfig {
            retries: 0,
            ..quick()
        })
        .unwrap();
        let err = client
            .send(&Request::get(format!(
                "http://user:pw@127.0.0.1:{port}/p?sig=secret"
            )))
            .unwrap_err();
        assert!(
            matches!(err.kind, NetErrorKind::ConnectionFailed(_)),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("http://127.0.0.1:{port}/p: cannot connect")),
            "{msg}"
        );
        assert!(!msg.contains("secret") && !msg.contains("pw"), "{msg}");
    }

    #[test]
    fn https_to_a_plain_http_port_is_named_as_such() {
        let (url, _server) = serve(vec![
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ]);
        let client = Client::new(NetConfig {
            retries: 0,
            ..quick()
        })
        .unwrap();
        let err = client
            .send(&Request::get(url.replace("http://", "https://")))
            .unwrap_err();
        assert_eq!(err.kind, NetErrorKind::TlsToPlainHttp, "{err}");
    }

    #[test]
    fn a_silent_server_times_out_with_the_phase() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let client = Client::new(NetConfig {
            timeout: Duration::from_millis(500),
            retries: 0,
            ..quick()
        })
        .unwrap();
        let err = client.send(&Request::get(url)).unwrap_err();
        assert!(matches!(err.kind, NetErrorKind::Timeout { .. }), "{err:?}");
        drop(listener);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let h = |v: &str| vec![("Retry-After".to_string(), v.to_string())];
        assert_eq!(retry_after(&h("7")), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
        assert_eq!(retry_after(&h(&past)), Some(Duration::ZERO));
        assert_eq!(retry_after(&h("soon")), None);
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(40), Duration::from_secs(30));
    }
}
