use crate::apim::tree::Node;
use crate::http_url;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a documentation placeholder (`<YOUR_AKTO_INGESTION_SERVICE_URL>`, `YOUR_AKTO…`,
    /// any `YOUR_…` or `YOUR-…` token) left where a policy holds a URL: the text of
    /// `<set-url>` (in `send-request`, `send-one-way-request`, `http-request`), `<origin>`
    /// (CORS), `<audience>` and `<issuer>` (JWT validation); the attributes `base-url` of
    /// `<set-backend-service>`, `resource` of `<authentication-managed-identity>`, `url` of
    /// `<openid-config>` and of `<proxy>`.
    ///
    /// ## Why is this bad?
    /// The request goes nowhere. For Akto's capture policy the call is fire-and-forget, so
    /// nothing fails visibly: traffic is simply never captured.
    ///
    /// ## Example
    /// ```xml
    /// <send-one-way-request>
    ///     <set-url>https://<YOUR_AKTO_INGESTION_SERVICE_URL>/api/ingestData</set-url>
    /// ```
    ///
    /// ## Fix
    /// Put the real URL in (for the capture policy, `akto-connect apim policy --ingest-url URL`
    /// writes the whole policy with it).
    pub const PLACEHOLDER_URL = {
        id: "placeholder-url",
        severity: Severity::Error,
        summary: "a placeholder left where a URL belongs",
        level: Level::File(check),
        enabled: true,
        rank: 60,
    };
}

/// Elements whose text is a URL.
const URL_TEXT: &[&str] = &["set-url", "origin", "audience", "issuer"];

/// (element, attribute) pairs whose value is a URL.
const URL_ATTRIBUTES: &[(&str, &str)] = &[
    ("set-backend-service", "base-url"),
    ("authentication-managed-identity", "resource"),
    ("openid-config", "url"),
    ("proxy", "url"),
];

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut found_in = |range: std::ops::Range<usize>, place: String, consequence: &str| {
        let text = &cx.src[range.clone()];
        // An expression computes the URL at run time; only literal text is checked.
        if cx
            .doc
            .expressions
            .iter()
            .any(|e| e.span.start <= range.start && range.end <= e.span.end)
        {
            return;
        }
        let Some(found) = http_url::placeholder(text) else {
            return;
        };
        let start = range.start + (found.as_ptr() as usize - text.as_ptr() as usize);
        out.push(Diagnostic {
            span: start..start + found.len(),
            message: format!(
                "{place} still holds the placeholder `{found}`: {consequence}"
            ),
            help: "replace it with the real value (for Akto's capture policy: your data-ingestion service, e.g. akto-connect apim policy --ingest-url URL)".to_string(),
            fix: None,
        });
    };
    for &e in cx.elements() {
        if URL_TEXT.contains(&e.name.as_str()) {
            for node in &e.children {
                if let Node::Text(r) | Node::CData(r) = node {
                    found_in(r.clone(), format!("<{}>", e.name), consequence(&e.name));
                }
            }
        }
        for (element, attribute) in URL_ATTRIBUTES {
            if e.name == *element {
                if let Some(a) = e.attr(attribute) {
                    found_in(
                        a.value_span.clone(),
                        format!("`{attribute}` of <{element}>"),
                        consequence(element),
                    );
                }
            }
        }
    }
    out
}

/// What a placeholder breaks, by the element that holds it.
fn consequence(element: &str) -> &'static str {
    match element {
        "set-url" | "set-backend-service" | "proxy" => "the request goes nowhere",
        "audience" | "issuer" | "openid-config" => {
            "tokens are checked against a value that does not exist, so every real token is refused"
        }
        "origin" => "no real site is allowed by CORS",
        "authentication-managed-identity" => {
            "no token can be obtained for a resource that does not exist"
        }
        _ => "the policy does not work until it holds the real value",
    }
}
