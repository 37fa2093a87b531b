use crate::lint::tree_rules::is_literal;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a backend reached over plain HTTP: a literal `http://` URL in
    /// `set-backend-service base-url` (a loopback host, `localhost`, `127.0.0.1`, `[::1]`, is
    /// fine). A plain-HTTP `send-request` / `send-one-way-request` is reported by
    /// `insecure-ingest-url`, which covers every outgoing request. Also reports
    /// `validate-client-certificate` with `validate-trust="false"` or
    /// `validate-revocation="false"`.
    ///
    /// An error: the URL is literal, so the traffic is unencrypted (or the certificate
    /// unchecked) for certain.
    ///
    /// ## Why is this bad?
    /// Seed 003: "unencrypted payload" and "SSL without certificate validation, a secure
    /// connection is not necessarily trusted". Requests, tokens and answers cross the network
    /// readable and alterable.
    ///
    /// ## Example
    /// `<set-backend-service base-url="http://orders.internal.example.com/api" />`
    ///
    /// ## Fix
    /// Use `https://`; keep trust and revocation checks on.
    pub const INSECURE_BACKEND = {
        id: "insecure-backend",
        severity: Severity::Error,
        summary: "a plain-HTTP backend (set-backend-service), or client certificate checks turned off",
        level: Level::File(check),
        enabled: true,
        rank: 200,
    };
}

/// A literal `http://` URL to a host other than loopback.
fn plain_http(url: &str) -> bool {
    let u = url.trim();
    if !is_literal(u) || !u.to_ascii_lowercase().starts_with("http://") {
        return false;
    }
    let host = u[7..]
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']').next().unwrap_or("").trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or("")
    };
    let h = host.to_ascii_lowercase();
    !(h.is_empty() || h == "localhost" || h.starts_with("127.") || h == "::1")
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &e in cx.elements() {
        match e.name.as_str() {
            "set-backend-service" => {
                if let Some(a) = e.attr("base-url") {
                    let v = cx.doc.attr_value(cx.src, a);
                    if plain_http(&v) {
                        out.push(Diagnostic {
                            span: a.value_span.clone(),
                            message: format!("the backend {} is plain HTTP: requests and answers travel unencrypted", v.trim()),
                            help: "use https://".to_string(),
                            fix: None,
                        });
                    }
                }
            }
            "validate-client-certificate" => {
                for name in ["validate-trust", "validate-revocation"] {
                    if let Some(a) = e.attr(name) {
                        if cx
                            .doc
                            .attr_value(cx.src, a)
                            .trim()
                            .eq_ignore_ascii_case("false")
                        {
                            out.push(Diagnostic {
                                span: a.name_span.start..a.value_span.end + 1,
                                message: format!("validate-client-certificate {name}=\"false\": a client certificate is accepted without that check"),
                                help: format!("remove {name}=\"false\" (the default is true)"),
                                fix: None,
                            });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}
