//! AWS Signature Version 4 for requests signed in headers: the canonical request, the string to
//! sign, the signing key derived from the secret, and the `Authorization` header.
//!
//! Pure: it is handed the request as plain data and a timestamp, and returns the headers to add.
//! Proven against AWS's published test suite (`get-vanilla` and friends) below; the stand-ins in
//! the test suite check every request with an independent verifier. HMAC-SHA256 and SHA-256
//! come from `ring`.

use ring::{digest, hmac};

use super::credentials::Credentials;

/// What a signature is scoped to.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub region: &'a str,
    /// The signing name: `sts`, `apigateway`, `logs`.
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 asks.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let pair = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(pair, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical URI: each segment of the path as sent, encoded once more (services other
/// than S3 sign the path encoded twice).
pub fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    path.split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/")
}

/// The canonical query: names and values decoded, encoded again, sorted by name then value.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k)),
                uri_encode(&percent_decode(v)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Splits `scheme://authority/path?query` into the `Host` header value, path and query.
pub fn split_url(url: &str) -> Option<(String, String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let (authority, path_query) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => match rest.find('?') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        },
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = match (scheme, authority.rsplit_once(':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) => h.to_string(),
        _ => authority.to_string(),
    };
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    Some((
        host.to_ascii_lowercase(),
        path.to_string(),
        query.to_string(),
    ))
}

/// The canonical request for `method url` with `headers` (the `host` header is added from the
/// URL) and a body whose SHA-256 is `payload_hash`. Returns it with the signed-header list.
pub fn canonical_request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    payload_hash: &str,
) -> Option<(String, String)> {
    let (host, path, query) = split_url(url)?;
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    if !hs.iter().any(|(k, _)| k == "host") {
        hs.push(("host".to_string(), host));
    }
    hs.sort();
    let signed = hs
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let text = format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{signed}\n{payload_hash}",
        canonical_uri(&path),
        canonical_query(&query)
    );
    Some((text, signed))
}

pub fn string_to_sign(scope: &Scope, canonical_request: &str) -> String {
    let date = &scope.amz_date[..8.min(scope.amz_date.len())];
    format!(
        "AWS4-HMAC-SHA256\n{}\n{date}/{}/{}/aws4_request\n{}",
        scope.amz_date,
        scope.region,
        scope.service,
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The headers to add to a request so AWS accepts it: `x-amz-date`, `x-amz-security-token`
/// for temporary credentials, and `authorization`. `headers` are the other headers to sign
/// (content type, `x-amz-target`); the `host` header comes from the URL.
pub fn sign(
    creds: &Credentials,
    scope: &Scope,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Vec<(String, String)>, String> {
    let mut to_sign: Vec<(String, String)> = headers.to_vec();
    to_sign.push(("x-amz-date".into(), scope.amz_date.to_string()));
    if let Some(token) = &creds.session_token {
        to_sign.push(("x-amz-security-token".into(), token.clone()));
    }
    let (creq, signed) = canonical_request(method, url, &to_sign, &sha256_hex(body))
        .ok_or_else(|| format!("cannot sign a request to {url}: not an absolute URL"))?;
    let sts = string_to_sign(scope, &creq);
    let date = &scope.amz_date[..8.min(scope.amz_date.len())];
    let key = signing_key(&creds.secret_access_key, date, scope.region, scope.service);
    let signature = hex(&hmac_sha256(&key, sts.as_bytes()));
    let mut out: Vec<(String, String)> = to_sign.split_off(headers.len());
    out.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{date}/{}/{}/aws4_request, SignedHeaders={signed}, Signature={signature}",
            creds.access_key_id, scope.region, scope.service
        ),
    ));
    Ok(out)
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time.
pub fn amz_date(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::credentials::Source;

    /// The credentials and scope of AWS's SigV4 test suite.
    fn suite() -> (Credentials, Scope<'static>) {
        (
            Credentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                session_token: None,
                source: Source::Environment,
            },
            Scope {
                region: "us-east-1",
                service: "service",
                amz_date: "20150830T123600Z",
            },
        )
    }

    fn signature(method: &str, url: &str, body: &[u8]) -> String {
        let (c, s) = suite();
        let h = sign(&c, &s, method, url, &[], body).unwrap();
        let auth = &h.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="
        ), "{auth}");
        auth.rsplit('=').next().unwrap().to_string()
    }

    #[test]
    fn get_vanilla_canonical_request_and_string_to_sign() {
        let headers = vec![("X-Amz-Date".to_string(), "20150830T123600Z".to_string())];
        let (creq, signed) = canonical_request(
            "GET",
            "https://example.amazonaws.com/",
            &headers,
            &sha256_hex(b""),
        )
        .unwrap();
        assert_eq!(
            creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(signed, "host;x-amz-date");
        let (_, scope) = suite();
        assert_eq!(
            string_to_sign(&scope, &creq),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
    }

    #[test]
    fn aws_test_suite_signatures() {
        // get-vanilla
        assert_eq!(
            signature("GET", "https://example.amazonaws.com/", b""),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        // get-vanilla-query-order-key-case: the query is sorted before signing.
        assert_eq!(
            signature(
                "GET",
                "https://example.amazonaws.com/?Param2=value2&Param1=value1",
                b""
            ),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
        // get-utf8: the path is encoded.
        assert_eq!(
            signature("GET", "https://example.amazonaws.com/\u{1234}", b""),
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"
        );
        // post-vanilla
        assert_eq!(
            signature("POST", "https://example.amazonaws.com/", b""),
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
    }

    #[test]
    fn session_token_is_signed() {
        let (mut c, s) = suite();
        c.session_token = Some("TOKEN".into());
        let h = sign(&c, &s, "GET", "https://example.amazonaws.com/", &[], b"").unwrap();
        assert!(h
            .iter()
            .any(|(k, v)| k == "x-amz-security-token" && v == "TOKEN"));
        let auth = &h.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(auth.contains("SignedHeaders=host;x-amz-date;x-amz-security-token"));
    }

    #[test]
    fn dates() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
    }

    #[test]
    fn hosts_from_urls() {
        assert_eq!(
            split_url("http://127.0.0.1:4566/x?a=b").unwrap(),
            ("127.0.0.1:4566".into(), "/x".into(), "a=b".into())
        );
        assert_eq!(
            split_url("https://sts.amazonaws.com:443").unwrap().0,
            "sts.amazonaws.com"
        );
    }
}
