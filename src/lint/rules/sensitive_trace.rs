use crate::lint::tree_rules::{self, full_span};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports credentials or bodies written where they should not go: a `trace`,
    /// `log-to-eventhub` or `emit-metric` (its dimensions) whose expressions mention
    /// `Authorization` or `Cookie`, read a body (`context.Response.Body.As<string>()`) or
    /// serialise a whole header collection (`context.Request.Headers` joined, enumerated or
    /// passed whole, which carries Authorization and cookies);
    /// an outgoing `send-request` / `send-one-way-request` that copies the caller's
    /// `Authorization` or `Cookie` header, all its headers, or its body, to another service (Akto's
    /// own capture, `/api/ingestData`, mirrors traffic on purpose and is not reported).
    ///
    /// A warning: forwarding may be the point (an external authorizer), but the other side then
    /// holds the caller's credentials.
    ///
    /// ## Why is this bad?
    /// Seed 003: "use of unprotected identity and keys". Traces end up in Application Insights
    /// and Event Hubs with wider access than the API itself.
    ///
    /// ## Example
    /// `<trace source="debug"><message>@(context.Request.Headers.GetValueOrDefault("Authorization"))</message></trace>`
    ///
    /// ## Fix
    /// Log a hash or the token's claims you need, never the header; send bodies only where
    /// they must go.
    pub const SENSITIVE_TRACE = {
        id: "sensitive-trace",
        severity: Severity::Warning,
        summary: "trace, log-to-eventhub or an outgoing request carries Authorization, cookies or bodies",
        level: Level::File(check),
        enabled: true,
        rank: 250,
    };
}

fn sensitive(code: &str) -> Option<&'static str> {
    let lower = code.to_ascii_lowercase();
    if lower.contains("\"authorization\"") {
        Some("the Authorization header")
    } else if lower.contains("\"cookie\"") {
        Some("cookies")
    } else if lower.contains(".body.as<") || lower.contains(".body?.as<") {
        Some("a body")
    } else if whole_headers(&lower) {
        Some("every header (Authorization and cookies included)")
    } else {
        None
    }
}

/// Whether the code serialises a whole header collection (`context.Request.Headers` passed
/// on, joined or enumerated) rather than reading one named header from it.
fn whole_headers(lower: &str) -> bool {
    const ONE_HEADER: [&str; 5] = [
        ".getvalueordefault(",
        ".containskey(",
        ".trygetvalue(",
        "[",
        "?.getvalueordefault(",
    ];
    let mut rest = lower;
    while let Some(i) = rest.find(".headers") {
        let before = &rest[..i];
        let after = &rest[i + ".headers".len()..];
        rest = after;
        let of_message = before.ends_with("request") || before.ends_with("response");
        if !of_message || after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let next = after.trim_start();
        if !ONE_HEADER.iter().any(|p| next.starts_with(p)) {
            return true;
        }
    }
    false
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &e in cx.elements() {
        match e.name.as_str() {
            "trace" | "log-to-eventhub" | "emit-metric" => {
                if let Some(what) = sensitive(&tree_rules::expressions_in(cx, e)) {
                    out.push(Diagnostic {
                        span: e.span.clone(),
                        message: format!("<{}> writes {what} to the log", e.name),
                        help: "log only what you need, never credentials or whole bodies"
                            .to_string(),
                        fix: None,
                    });
                }
            }
            "send-request" | "send-one-way-request" => {
                let akto = tree_rules::child_text(cx, e, "set-url").is_some_and(|(u, _)| {
                    u.trim().trim_end_matches('/').ends_with("/api/ingestData")
                });
                if akto {
                    continue;
                }
                for c in e.elements() {
                    let code = tree_rules::expressions_in(cx, c);
                    let copies = match c.name.as_str() {
                        "set-header" => {
                            let name = tree_rules::attr(cx, c, "name").unwrap_or_default();
                            let n = name.trim().to_ascii_lowercase();
                            (n == "authorization" || n == "cookie")
                                && code.contains("Request.Headers")
                        }
                        "set-body" => {
                            code.contains("context.Request.Body") || whole_headers(&code.to_ascii_lowercase())
                        }
                        _ => false,
                    };
                    if copies {
                        out.push(Diagnostic {
                            span: full_span(c),
                            message: format!(
                                "<{}> copies the caller's {} to another service",
                                e.name,
                                if c.name == "set-body" && !code.contains("context.Request.Body") {
                                    "headers, all of them,".to_string()
                                } else if c.name == "set-body" {
                                    "body".to_string()
                                } else {
                                    format!(
                                        "{} header",
                                        tree_rules::attr(cx, c, "name").unwrap_or_default().trim()
                                    )
                                }
                            ),
                            help: "send only what the other service needs".to_string(),
                            fix: None,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::whole_headers;

    #[test]
    fn whole_header_collections_but_not_one_named_header() {
        for whole in [
            "jsonconvert.serializeobject(context.request.headers)",
            "string.join(\";\", context.request.headers.select(h => h.key))",
            "context.response.headers.tostring()",
        ] {
            assert!(whole_headers(whole), "{whole}");
        }
        for one in [
            "context.request.headers.getvalueordefault(\"x-id\", \"\")",
            "context.request.headers[\"x-id\"]",
            "context.request.headers.containskey(\"x-id\")",
            "context.request.headersx",
            "context.variables.headers",
        ] {
            assert!(!whole_headers(one), "{one}");
        }
    }
}
