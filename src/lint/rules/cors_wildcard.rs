use crate::lint::tree_rules::{self, full_span};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a `<cors>` policy whose `<allowed-origins>` holds `<origin>*</origin>`, and says
    /// so louder when the same policy has `allow-credentials="true"`.
    ///
    /// A warning: a public, read-only API may want any origin; with credentials it is never
    /// right (browsers refuse `*` with credentials, so such a policy is also broken).
    ///
    /// ## Why is this bad?
    /// Any web site can call the API from its visitors' browsers; with credentials, on their
    /// behalf.
    ///
    /// ## Example
    /// `<cors allow-credentials="true"><allowed-origins><origin>*</origin></allowed-origins></cors>`
    ///
    /// ## Fix
    /// List the origins that need access.
    pub const CORS_WILDCARD = {
        id: "cors-wildcard",
        severity: Severity::Warning,
        summary: "<cors> allows any origin (*)",
        level: Level::File(check),
        enabled: true,
        rank: 230,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &cors in cx.elements().iter().filter(|e| e.name == "cors") {
        let credentials = tree_rules::attr(cx, cors, "allow-credentials")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        for origins in cors.elements().filter(|e| e.name == "allowed-origins") {
            for o in origins.elements().filter(|e| e.name == "origin") {
                if cx.doc.text(cx.src, o).trim() != "*" {
                    continue;
                }
                let message = if credentials {
                    "<cors> allows any origin (*) with allow-credentials=\"true\": any site can call the API with its visitors' credentials".to_string()
                } else {
                    "<cors> allows any origin (*): any web site can call the API from a browser"
                        .to_string()
                };
                out.push(Diagnostic {
                    span: full_span(o),
                    message,
                    help: "list the allowed origins instead of *".to_string(),
                    fix: None,
                });
            }
        }
    }
    out
}
