//! Base URLs of services that a generated artifact posts to (Akto's ingest service, Kong's
//! plugin `service_url`): `http(s)://HOST[:PORT][/PREFIX]`, checked strictly because the URL
//! lands verbatim in XML, YAML and shell, and a wrong one fails silently at run time.
//!
//! Not for: general URL parsing. Anything outside that shape is refused with a reason.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::InputError;

/// A base URL longer than this is a mistake (browsers and proxies stop near 2,000 bytes).
const MAX_URL_BYTES: usize = 2048;

/// A validated base URL, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    text: String,
    secure: bool,
}

impl BaseUrl {
    /// The URL with no trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `true` for `https://`.
    pub fn is_https(&self) -> bool {
        self.secure
    }

    /// The host, without port (IPv6 with its brackets).
    pub fn host(&self) -> &str {
        let rest = &self.text[self.text.find("://").map_or(0, |i| i + 3)..];
        let authority = rest.split('/').next().unwrap_or("");
        match authority.strip_prefix('[') {
            Some(v6) => v6
                .split_once(']')
                .map_or(authority, |(h, _)| &authority[..h.len() + 2]),
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        }
    }

    /// Whether the host is this machine (`localhost`, `127.0.0.0/8`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        let host = self.host();
        host == "localhost"
            || host == "[::1]"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// `self` joined with an absolute path (`/api/ingestData`), with exactly one slash between.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{}", self.text, path.trim_start_matches('/'))
    }

    /// The path prefix, `""` when there is none.
    pub fn path(&self) -> &str {
        let after_scheme = self.text.find("://").map_or(0, |i| i + 3);
        self.text[after_scheme..]
            .find('/')
            .map_or("", |i| &self.text[after_scheme + i..])
    }

    /// Drops a trailing path suffix (such as `/api/ingestData` pasted with the base URL).
    pub fn strip_suffix(&self, suffix: &str) -> Option<BaseUrl> {
        // Only the path counts, never part of the host; `suffix` starts with `/`, so it
        // matches whole segments.
        self.path().ends_with(suffix).then(|| BaseUrl {
            text: self.text[..self.text.len() - suffix.len()].to_string(),
            secure: self.secure,
        })
    }

    /// Checks `value` (given as `input`, such as `--ingest-url`).
    pub fn parse(input: &str, value: &str) -> Result<BaseUrl, InputError> {
        const SHAPE: &str = "give the base URL as http(s)://HOST[:PORT][/PREFIX], for example https://ingest.example.com:9091";
        let refuse = |problem: String, help: &str| InputError::new(input, value, problem, help);

        if value.is_empty() {
            return Err(refuse("the URL is empty".into(), SHAPE));
        }
        if let Some(hint) = placeholder(value) {
            return Err(refuse(
                format!("`{hint}` is the documentation's placeholder, not a URL"),
                "replace it with the URL of your Akto data-ingestion service, for example https://ingest.example.com:9091",
            ));
        }
        if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| {
            c.is_whitespace() || c.is_control() || crate::text::problem_char(*c).is_some()
        }) {
            return Err(refuse(
                format!(
                    "character {} at position {} is whitespace, a control character or a character no generated file can carry",
                    crate::text::code_point(c),
                    i + 1
                ),
                "remove it; percent-encode a space in a path as %20",
            ));
        }
        if value.len() > MAX_URL_BYTES {
            return Err(InputError::new(
                input,
                crate::text::shorten(value),
                format!(
                    "{} bytes is too long for a base URL (at most {MAX_URL_BYTES})",
                    value.len()
                ),
                SHAPE,
            ));
        }
        if value.contains("{{") || value.contains("}}") {
            return Err(refuse(
                "`{{` starts an APIM named value, which would be substituted into the URL".into(),
                "give the literal URL",
            ));
        }
        if let Some(c) = value
            .chars()
            .find(|c| matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\'))
        {
            return Err(refuse(format!("the URL contains {c:?}"), SHAPE));
        }
        let Some((scheme, rest)) = value.split_once("://") else {
            return Err(refuse("no scheme".into(), SHAPE));
        };
        let secure = match scheme {
            "https" => true,
            "http" => false,
            s if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("http") => {
                return Err(refuse(
                    format!("scheme `{s}` must be written in lower case"),
                    "write http:// or https://",
                ))
            }
            s => {
                return Err(refuse(
                    format!("unsupported scheme `{s}`: only http and https are served"),
                    SHAPE,
                ))
            }
        };
        if let Some(c) = rest.chars().find(|c| matches!(c, '?' | '#')) {
            let what = if c == '?' { "a query" } else { "a fragment" };
            return Err(refuse(
                format!("the URL has {what} (`{c}`); a base URL takes neither"),
                SHAPE,
            ));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(refuse(
                "the URL carries credentials (`user@`); they would be stored in clear".into(),
                "drop them from the URL; for a token use the option meant for it (for APIM: --ingest-token-named-value)",
            ));
        }
        check_authority(authority).map_err(|p| refuse(p, SHAPE))?;
        let path = path.trim_end_matches('/');
        check_path(path).map_err(|p| refuse(p, SHAPE))?;
        let text = format!("{scheme}://{authority}{path}");
        Ok(BaseUrl { text, secure })
    }
}

/// The documentation's placeholders (`<YOUR_AKTO_INGESTION_SERVICE_URL>`, `YOUR_…`), if `value`
/// holds one.
pub fn placeholder(value: &str) -> Option<&str> {
    let upper = value.to_ascii_uppercase();
    let at = upper.find("YOUR_").or_else(|| upper.find("YOUR-"))?;
    let start = value[..at].rfind('<').unwrap_or(at);
    let end = value[at..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '>'))
        .map_or(value.len(), |i| at + i);
    Some(&value[start..end])
}

fn check_authority(authority: &str) -> Result<(), String> {
    if authority.is_empty() {
        return Err("no host after the scheme".into());
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some((v6, after)) = inner.split_once(']') else {
            return Err("an IPv6 address opened with `[` is never closed".into());
        };
        v6.parse::<Ipv6Addr>()
            .map_err(|_| format!("`{v6}` is not an IPv6 address"))?;
        match after {
            "" => (authority, None),
            p => match p.strip_prefix(':') {
                Some(port) => (authority, Some(port)),
                None => return Err(format!("unexpected `{p}` after the IPv6 address")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && matches!(port.parse::<u32>(), Ok(1..=65535));
        if !ok {
            return Err(format!("port `{port}` is not a number from 1 to 65535"));
        }
    }
    if host.starts_with('[') {
        return Ok(());
    }
    if host.is_empty() {
        return Err("no host before the port".into());
    }
    if host.len() > 253 {
        return Err("the host name is longer than 253 characters".into());
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        host.parse::<Ipv4Addr>()
            .map_err(|_| format!("`{host}` is not an IPv4 address"))?;
        return Ok(());
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(format!(
                "host `{host}` has an empty label (`..` or a dot at an end)"
            ));
        }
        if label.len() > 63 {
            return Err(format!("host label `{label}` is longer than 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "host `{host}` contains {c:?}; a host name is letters, digits, `-` and `.` (use punycode for international names)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("host label `{label}` starts or ends with `-`"));
        }
    }
    Ok(())
}

fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    if path.contains("//") {
        return Err(format!("path `{path}` has an empty segment (`//`)"));
    }
    let b = path.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            let ok =
                b.len() > i + 2 && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(format!(
                    "path `{path}` has a `%` that is not followed by two hex digits"
                ));
            }
            i += 3;
            continue;
        }
        let allowed = c.is_ascii_alphanumeric() || b"-._~!$&()*+,;=:@/".contains(&c);
        if !allowed {
            let ch = path[i..].chars().next().unwrap_or('?');
            return Err(format!(
                "path `{path}` contains {ch:?}, which a URL path does not take unencoded; percent-encode it"
            ));
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> String {
        BaseUrl::parse("--url", v).unwrap().as_str().to_string()
    }

    fn refused(v: &str) -> String {
        BaseUrl::parse("--url", v).unwrap_err().problem
    }

    #[test]
    fn accepts_hosts_ports_prefixes() {
        assert_eq!(
            ok("https://ingest.example.com:9091"),
            "https://ingest.example.com:9091"
        );
        assert_eq!(
            ok("https://ingest.example.com/"),
            "https://ingest.example.com"
        );
        assert_eq!(
            ok("http://10.0.0.4:9091/akto/"),
            "http://10.0.0.4:9091/akto"
        );
        assert_eq!(ok("https://[::1]:8443"), "https://[::1]:8443");
        assert_eq!(ok("http://akto_ingest:8080"), "http://akto_ingest:8080");
    }

    #[test]
    fn host_and_loopback() {
        let u = |s: &str| BaseUrl::parse("--url", s).unwrap();
        assert_eq!(u("http://localhost:8001/x").host(), "localhost");
        assert_eq!(u("https://[::1]:8443").host(), "[::1]");
        assert!(u("http://127.0.0.2:8001").is_loopback());
        assert!(u("http://[::1]").is_loopback());
        assert!(!u("http://127.example.com:8001").is_loopback());
        assert!(!u("http://10.0.0.1:8001").is_loopback());
    }

    #[test]
    fn join_has_one_slash() {
        let u = BaseUrl::parse("--url", "https://h.example/p/").unwrap();
        assert_eq!(
            u.join("/api/ingestData"),
            "https://h.example/p/api/ingestData"
        );
    }

    #[test]
    fn strip_suffix_only_on_path() {
        let u = BaseUrl::parse("--url", "https://h.example/api/ingestData").unwrap();
        assert_eq!(
            u.strip_suffix("/api/ingestData").unwrap().as_str(),
            "https://h.example"
        );
        let u = BaseUrl::parse("--url", "https://h.example/x").unwrap();
        assert!(u.strip_suffix("/api/ingestData").is_none());
    }

    #[test]
    fn refusals_name_the_problem() {
        assert!(refused("ftp://h").contains("unsupported scheme `ftp`"));
        assert!(refused("h.example.com").contains("no scheme"));
        assert!(refused("https://h/?a=1").contains("query"));
        assert!(refused("https://h/#x").contains("fragment"));
        assert!(refused("https://h /").contains("whitespace"));
        assert!(refused("https://h/\"").contains("'\"'"));
        assert!(refused("https://<YOUR_AKTO_INGESTION_SERVICE_URL>").contains("placeholder"));
        assert!(refused("https://YOUR_HOST:9091").contains("placeholder"));
        assert!(refused("https://{{host}}").contains("named value"));
        assert!(refused("https://u:p@h").contains("credentials"));
        assert!(refused("https://h:0").contains("port"));
        assert!(refused("https://h:65536").contains("port"));
        assert!(refused("https://").contains("no host"));
        assert!(refused("https://a..b").contains("empty label"));
        assert!(refused("https://h//x").contains("empty segment"));
        assert!(refused("https://h/%zz").contains("hex"));
        assert!(refused("HTTPS://h").contains("lower case"));
        assert!(refused("https://h/é").contains("percent-encode"));
    }
}
