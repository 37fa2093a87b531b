use crate::apim::tree::Node;
use crate::http_url;
use crate::lint::{declare_rule, Context, Diagnostic, Severity};

declare_rule! {
    /// ## What it does
    /// Reports a documentation placeholder left in a `<set-url>`: `<YOUR_AKTO_INGESTION_SERVICE_URL>`,
    /// `YOUR_AKTO…`, or any `YOUR_…` token.
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
        summary: "a placeholder left in a <set-url>",
        check: Some(check),
        enabled: true,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for url in cx
        .doc
        .root
        .descendants()
        .into_iter()
        .filter(|e| e.name == "set-url")
    {
        for node in &url.children {
            let (Node::Text(r) | Node::CData(r)) = node else {
                continue;
            };
            let text = &cx.src[r.clone()];
            let Some(found) = http_url::placeholder(text) else {
                continue;
            };
            let start = r.start + (found.as_ptr() as usize - text.as_ptr() as usize);
            out.push(Diagnostic {
                span: start..start + found.len(),
                message: format!(
                    "<set-url> still holds the placeholder `{found}`: the request goes nowhere"
                ),
                help: "replace it with the real URL (for Akto: your data-ingestion service, e.g. akto-connect apim policy --ingest-url URL)".to_string(),
                fix: None,
            });
        }
    }
    out
}
