//! The literal secrets a policy holds, found once: the one model behind the `hardcoded-secret`
//! and `jwt-weak` rules and the masking of every printed policy text (`lint`'s reports,
//! `apim effective` in text and JSON).
//!
//! A secret is a literal value (not a policy expression, not a `{{named value}}`, not an
//! obvious placeholder) where a credential goes: `authentication-basic`'s `password`; the
//! `<value>` of a `set-header` named like a credential header or of a `set-query-parameter`
//! named like a key; a `client_secret=` in a body or expression; a `validate-jwt` signing or
//! decryption `<key>` written in the policy.
//!
//! Not for: judging the policy (the rules say what is wrong) or printing (callers mask with
//! [`mask`]).

use std::borrow::Cow;
use std::ops::Range;

use super::tree::{is_literal, text_span, Document, Element};

/// What kind of credential a secret is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `authentication-basic password="…"`.
    BasicPassword,
    /// A `set-header` or `set-query-parameter` value; the element and the header or
    /// parameter name as written.
    Named { element: &'static str, name: String },
    /// `client_secret=…` anywhere in the text.
    ClientSecret,
    /// A `validate-jwt` key in `<issuer-signing-keys>` or `<decryption-keys>` (the container).
    JwtKey { container: &'static str },
}

/// One literal secret: where its text is and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub span: Range<usize>,
    pub kind: Kind,
}

const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "ocp-apim-subscription-key",
    "x-api-key",
    "api-key",
    "x-functions-key",
];

const SECRET_PARAMS: [&str; 9] = [
    "key",
    "api-key",
    "apikey",
    "code",
    "sig",
    "subscription-key",
    "access_token",
    "client_secret",
    "password",
];

/// A literal that is a real value: not empty, not an expression or named value, not a
/// placeholder.
fn secret_literal(v: &str) -> bool {
    let t = v.trim();
    let lower = t.to_ascii_lowercase();
    let bare = lower
        .strip_prefix("bearer ")
        .or_else(|| lower.strip_prefix("basic "))
        .unwrap_or(&lower)
        .trim();
    !bare.is_empty()
        && is_literal(t)
        && !t.contains('<')
        && !bare.starts_with("your")
        && !bare.starts_with("xxx")
        && !bare.starts_with("...")
        && !bare.starts_with('{')
        && !bare.starts_with('$')
}

/// Every literal secret of the document, in the order found.
pub fn find(src: &str, doc: &Document) -> Vec<Secret> {
    find_in(src, doc, &doc.root.descendants())
}

/// [`find`] over the document's elements listed already (`elements`: every element below the
/// root, in document order).
pub fn find_in(src: &str, doc: &Document, elements: &[&Element]) -> Vec<Secret> {
    let mut out = Vec::new();
    for &e in elements {
        match e.name.as_str() {
            "authentication-basic" => {
                if let Some(a) = e.attr("password") {
                    if secret_literal(&doc.attr_value(src, a)) {
                        out.push(Secret {
                            span: a.value_span.clone(),
                            kind: Kind::BasicPassword,
                        });
                    }
                }
            }
            "set-header" | "set-query-parameter" => {
                let Some(name) = e.attr("name").map(|a| doc.attr_value(src, a)) else {
                    continue;
                };
                let n = name.trim().to_ascii_lowercase();
                let (element, list): (&'static str, &[&str]) = if e.name == "set-header" {
                    ("set-header", &SECRET_HEADERS)
                } else {
                    ("set-query-parameter", &SECRET_PARAMS)
                };
                if !list.contains(&n.as_str()) {
                    continue;
                }
                for v in e.elements().filter(|c| c.name == "value") {
                    if secret_literal(&doc.text(src, v)) {
                        out.push(Secret {
                            span: text_span(v),
                            kind: Kind::Named {
                                element,
                                name: name.trim().to_string(),
                            },
                        });
                    }
                }
            }
            "validate-jwt" => out.extend(jwt_keys(src, doc, e)),
            _ => {}
        }
    }
    // client_secret=… in a body or an expression.
    let needle = "client_secret=";
    let mut from = 0;
    let finder = memchr::memmem::Finder::new(needle);
    while let Some(i) = finder.find(&src.as_bytes()[from..]) {
        let at = from + i;
        let rest = &src[at + needle.len()..];
        let value: String = rest
            .chars()
            .take_while(|c| !matches!(c, '&' | '"' | '\'' | '\n' | '\r' | '<' | ' ' | '\\'))
            .collect();
        if secret_literal(&value) && !value.starts_with('@') {
            out.push(Secret {
                span: at + needle.len()..at + needle.len() + value.len(),
                kind: Kind::ClientSecret,
            });
        }
        from = at + needle.len();
    }
    out
}

/// The literal keys of one `validate-jwt`: a `<key>` of `<issuer-signing-keys>` or
/// `<decryption-keys>` with text and no reference (`certificate-id`, `n`, `id`).
pub fn jwt_keys(src: &str, doc: &Document, jwt: &Element) -> Vec<Secret> {
    let mut out = Vec::new();
    for keys in jwt.elements() {
        let container = match keys.name.as_str() {
            "issuer-signing-keys" => "issuer-signing-keys",
            "decryption-keys" => "decryption-keys",
            _ => continue,
        };
        for key in keys.elements().filter(|k| k.name == "key") {
            let text = doc.text(src, key);
            let by_reference = key.attr("certificate-id").is_some()
                || key.attr("n").is_some()
                || key.attr("id").is_some();
            if !by_reference && !text.trim().is_empty() && is_literal(&text) {
                out.push(Secret {
                    span: text_span(key),
                    kind: Kind::JwtKey { container },
                });
            }
        }
    }
    out
}

/// `src` with the text of every span masked: each visible byte becomes `*` (each byte of a
/// non-ASCII character too, so `κλειδί` leaves nothing readable), so byte offsets and lines
/// stay. Borrowed when there is nothing to mask.
pub fn mask<'a>(src: &'a str, spans: impl IntoIterator<Item = Range<usize>>) -> Cow<'a, str> {
    let mut spans = spans.into_iter().peekable();
    if spans.peek().is_none() {
        return Cow::Borrowed(src);
    }
    let mut bytes = src.as_bytes().to_vec();
    for r in spans {
        for b in bytes.get_mut(r).into_iter().flatten() {
            if b.is_ascii_graphic() || !b.is_ascii() {
                *b = b'*';
            }
        }
    }
    // Whole characters were replaced by ASCII; a span cut inside one still yields text.
    Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(src: &str) -> Vec<(String, Kind)> {
        let doc = crate::apim::tree::read(src).expect("reads");
        find(src, &doc)
            .into_iter()
            .map(|s| (src[s.span].to_string(), s.kind))
            .collect()
    }

    #[test]
    fn every_kind_is_found_and_references_are_not() {
        let src = r#"<policies><inbound>
<authentication-basic username="u" password="S3cret!" />
<authentication-basic username="u" password="{{pw}}" />
<set-header name="x-api-key" exists-action="override"><value>abc123</value></set-header>
<set-header name="x-api-key" exists-action="override"><value>@(context.Variables["k"])</value></set-header>
<validate-jwt header-name="Authorization"><issuer-signing-keys><key>c2lnbmluZw==</key><key certificate-id="c" /></issuer-signing-keys></validate-jwt>
<set-body>grant_type=client_credentials&amp;client_secret=hunter2</set-body>
</inbound></policies>"#;
        assert_eq!(
            secrets(src),
            vec![
                ("S3cret!".to_string(), Kind::BasicPassword),
                (
                    "abc123".to_string(),
                    Kind::Named {
                        element: "set-header",
                        name: "x-api-key".to_string()
                    }
                ),
                (
                    "c2lnbmluZw==".to_string(),
                    Kind::JwtKey {
                        container: "issuer-signing-keys"
                    }
                ),
                ("hunter2".to_string(), Kind::ClientSecret),
            ]
        );
    }

    #[test]
    fn masking_keeps_offsets_and_non_ascii() {
        assert_eq!(mask("a=hé y", std::iter::once(2..5)), "a=*** y");
        assert_eq!(mask("k=κλ", std::iter::once(2..6)), "k=****");
        assert!(matches!(mask("abc", []), Cow::Borrowed(_)));
    }
}
