use crate::lint::tree_rules::{self, full_span};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a key or token put in the query string (`set-query-parameter` named `key`,
    /// `api-key`, `code`, `sig`, `subscription-key`, `access_token`, `token`, `client_secret`,
    /// `password`, unless it deletes it; a literal URL in `set-url` or `set-backend-service`
    /// with such a parameter) and one read from it (`context.Request.Url.Query` with such a
    /// name in an expression). A token taken by `validate-jwt` from a query parameter is
    /// `jwt-weak`'s.
    ///
    /// A warning: some backends (Azure Functions' `code`) only take keys this way.
    ///
    /// ## Why is this bad?
    /// Seed 003: "API keys in query strings". URLs end up in access logs, proxies, browser
    /// history and `Referer` headers, keys with them.
    ///
    /// ## Example
    /// `<set-query-parameter name="code" exists-action="override"><value>{{fn-key}}</value></set-query-parameter>`
    ///
    /// ## Fix
    /// Send the key in a header (`x-functions-key`, `Ocp-Apim-Subscription-Key`,
    /// `Authorization`).
    pub const KEY_IN_QUERY = {
        id: "key-in-query",
        severity: Severity::Warning,
        summary: "a key or token put in or read from the query string",
        level: Level::File(check),
        enabled: true,
        rank: 220,
    };
}

const KEY_NAMES: [&str; 12] = [
    "key",
    "api-key",
    "apikey",
    "api_key",
    "code",
    "sig",
    "subscription-key",
    "access_token",
    "token",
    "client_secret",
    "password",
    "secret",
];

fn is_key_name(n: &str) -> bool {
    KEY_NAMES.contains(&n.trim().to_ascii_lowercase().as_str())
}

/// A `?name=` or `&name=` with a key name in a literal URL.
fn url_key(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .filter_map(|p| p.split_once('=').map(|(n, _)| n))
        .find(|n| is_key_name(n))
        .map(str::to_string)
}

/// Names read from the query string in C#: `Query.GetValueOrDefault("x"` or `Query["x"]`.
fn query_reads(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for pat in [
        "Query.GetValueOrDefault(\"",
        "Query[\"",
        "Query?.GetValueOrDefault(\"",
    ] {
        let mut from = 0;
        while let Some(i) = code[from..].find(pat) {
            let start = from + i + pat.len();
            let name: String = code[start..].chars().take_while(|c| *c != '"').collect();
            if is_key_name(&name) && !out.contains(&name) {
                out.push(name);
            }
            from = start;
        }
    }
    out
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let help =
        "send the key in a header (Authorization, x-functions-key, Ocp-Apim-Subscription-Key)";
    for &e in cx.elements() {
        match e.name.as_str() {
            "set-query-parameter" => {
                let Some(name) = tree_rules::attr(cx, e, "name") else {
                    continue;
                };
                let deletes =
                    tree_rules::attr(cx, e, "exists-action").is_some_and(|a| a.trim() == "delete");
                if is_key_name(&name) && !deletes {
                    out.push(Diagnostic {
                        span: e.span.clone(),
                        message: format!(
                            "puts `{}` in the query string, where URLs are logged",
                            name.trim()
                        ),
                        help: help.to_string(),
                        fix: None,
                    });
                }
            }
            "set-url" | "set-backend-service" => {
                let url = if e.name == "set-url" {
                    cx.doc.text(cx.src, e)
                } else {
                    tree_rules::attr(cx, e, "base-url").unwrap_or_default()
                };
                if !tree_rules::is_literal(&url) {
                    continue;
                }
                if let Some(name) = url_key(&url) {
                    out.push(Diagnostic {
                        span: full_span(e),
                        message: format!(
                            "the URL carries `{name}` in its query string, where URLs are logged"
                        ),
                        help: help.to_string(),
                        fix: None,
                    });
                }
            }
            _ => {}
        }
    }
    for x in &cx.doc.expressions {
        // Decode only the expressions that mention the query string.
        if !cx.src[x.span.clone()].contains("Query") {
            continue;
        }
        let code = x.code(cx.src);
        let names = query_reads(&code);
        if !names.is_empty() {
            out.push(Diagnostic {
                span: x.span.start..x.span.start + 2,
                message: format!(
                    "reads `{}` from the query string: callers must put it in URLs, which are logged",
                    names.join("`, `")
                ),
                help: "take the key or token from a header".to_string(),
                fix: None,
            });
        }
    }
    out
}
