use std::ops::Range;

use crate::apim::tree::{Document, Element};
use crate::lint::tree_rules::{self, is_literal};
use crate::lint::{declare_rule, Context, Diagnostic, Severity};

declare_rule! {
    /// ## What it does
    /// Reports a credential written literally in a policy: the `password` of
    /// `authentication-basic`; the value of a `set-header` named `Authorization`,
    /// `Ocp-Apim-Subscription-Key`, `x-api-key`, `api-key` or `x-functions-key`; the value of a
    /// `set-query-parameter` named like a key (`key`, `api-key`, `code`, `sig`,
    /// `subscription-key`, `access_token`, `client_secret`, `password`); a `client_secret=`
    /// with a literal value in any body or expression. A `{{named value}}` (resolved from APIM's
    /// named values, which can be Key Vault secrets) or a value computed by an expression is
    /// fine; so is an obvious placeholder (`<…>`, `your-…`, `xxx`).
    ///
    /// An error: the secret is in the repository and in every export of the policy.
    ///
    /// ## Why is this bad?
    /// Seed 003: "use of unprotected identity and keys". Anyone who can read the repository or
    /// the APIM configuration has the credential; rotating it means editing policies.
    ///
    /// ## Example
    /// `<authentication-basic username="svc" password="S3cret!" />`
    ///
    /// ## Fix
    /// Store it as a named value backed by Key Vault and write `{{backend-password}}`.
    pub const HARDCODED_SECRET = {
        id: "hardcoded-secret",
        severity: Severity::Error,
        summary: "a literal credential in a policy (use a {{named value}})",
        check: Some(check),
        enabled: true,
    };
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

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    find(cx.src, cx.doc, cx.elements())
        .into_iter()
        .map(|(span, message)| Diagnostic {
            span,
            message,
            help: "store the secret as an APIM named value (Key Vault backed) and write {{name}}"
                .to_string(),
            fix: None,
        })
        .collect()
}

/// Where a policy holds a literal secret (to mask it wherever a policy is printed).
pub fn secret_spans(src: &str, doc: &Document) -> Vec<Range<usize>> {
    find(src, doc, &doc.root.descendants())
        .into_iter()
        .map(|(span, _)| span)
        .collect()
}

fn find(src: &str, doc: &Document, elements: &[&Element]) -> Vec<(Range<usize>, String)> {
    let mut out = Vec::new();
    let mut push = |span, message: String| out.push((span, message));
    for &e in elements {
        match e.name.as_str() {
            "authentication-basic" => {
                if let Some(a) = e.attr("password") {
                    if secret_literal(&doc.attr_value(src, a)) {
                        push(
                            a.value_span.clone(),
                            "authentication-basic has a literal password".to_string(),
                        );
                    }
                }
            }
            "set-header" | "set-query-parameter" => {
                let Some(name) = e.attr("name").map(|a| doc.attr_value(src, a)) else {
                    continue;
                };
                let n = name.trim().to_ascii_lowercase();
                let list: &[&str] = if e.name == "set-header" {
                    &SECRET_HEADERS
                } else {
                    &SECRET_PARAMS
                };
                if !list.contains(&n.as_str()) {
                    continue;
                }
                for v in e.elements().filter(|c| c.name == "value") {
                    if secret_literal(&doc.text(src, v)) {
                        push(
                            tree_rules::text_span(v),
                            format!("{} `{}` has a literal value", e.name, name.trim()),
                        );
                    }
                }
            }
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
            push(
                at + needle.len()..at + needle.len() + value.len(),
                "a literal client_secret in the policy".to_string(),
            );
        }
        from = at + needle.len();
    }
    out
}
