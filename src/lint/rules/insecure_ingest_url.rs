use crate::apim::tree::Node;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a `<send-one-way-request>` or `<send-request>` whose `<set-url>` starts with
    /// `http://`.
    ///
    /// ## Why is this bad?
    /// The gateway sends that request unencrypted. For Akto's capture policy it carries every
    /// captured request and response, bodies and headers included (tokens, cookies, personal
    /// data), across the network in clear.
    ///
    /// ## Example
    /// ```xml
    /// <send-one-way-request mode="new">
    ///     <set-url>http://10.1.2.3:9091/api/ingestData</set-url>
    /// ```
    ///
    /// ## Fix
    /// Serve the ingest service over TLS and use `https://`. If the endpoint is reachable only
    /// on a private network and that is accepted, lower or suppress the rule in
    /// `akto-connect.toml`.
    pub const INSECURE_INGEST_URL = {
        id: "insecure-ingest-url",
        severity: Severity::Warning,
        summary: "a send-request or send-one-way-request over http://",
        level: Level::File(check),
        enabled: true,
        rank: 70,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let senders = cx
        .elements()
        .iter()
        .filter(|e| e.name == "send-one-way-request" || e.name == "send-request");
    for sender in senders {
        for url in sender.elements().filter(|e| e.name == "set-url") {
            let Some(Node::Text(r)) = url.children.first() else {
                continue;
            };
            let text = &cx.src[r.clone()];
            let lead = text.len() - text.trim_start().len();
            let scheme = text.trim_start().get(..7);
            if scheme.is_some_and(|s| s.eq_ignore_ascii_case("http://")) {
                let start = r.start + lead;
                out.push(Diagnostic {
                    span: start..start + 7,
                    message: format!(
                        "<{}> sends over http://: the request and everything in it travel unencrypted",
                        sender.name
                    ),
                    help: "use https://".to_string(),
                    fix: None,
                });
            }
        }
    }
    out
}
