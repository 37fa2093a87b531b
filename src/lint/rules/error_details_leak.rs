use crate::lint::tree_rules::{self, full_span};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports an `<on-error>` that sends `context.LastError`'s `Message`, `Source`, `Reason`,
    /// `Section`, `Path` or `PolicyId` to the client: inside `return-response`, `set-body` or
    /// `set-header` (not `trace`, `log-to-eventhub` or an outgoing request, whose output does not
    /// reach the client). Judged in the file that writes it (a fragment is judged in any
    /// section, since it may be included in `<on-error>`).
    ///
    /// A warning: a message may be harmless (`Unauthorized`), but the details name policies,
    /// sections and backend failures.
    ///
    /// ## Why is this bad?
    /// Seed 003: "exposure of underlying infrastructure (… error stack trace)". Error details
    /// tell an attacker how the gateway and backend are built.
    ///
    /// ## Example
    /// `<set-body>@(context.LastError.Message)</set-body>` in `<on-error>`.
    ///
    /// ## Fix
    /// Answer with a fixed message and a correlation id (`context.RequestId`); log the details
    /// with `trace` or `log-to-eventhub`.
    pub const ERROR_DETAILS_LEAK = {
        id: "error-details-leak",
        severity: Severity::Warning,
        summary: "on-error sends context.LastError details to the client",
        level: Level::File(check),
        enabled: true,
        rank: 240,
    };
}

const DETAILS: [&str; 6] = ["Message", "Source", "Reason", "Section", "Path", "PolicyId"];

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let section = (cx.doc.root.name == "policies").then_some("on-error");
    let mut out = Vec::new();
    let mut seen: Vec<std::ops::Range<usize>> = Vec::new();
    for e in tree_rules::elements_in(cx, section) {
        if !matches!(e.name.as_str(), "set-body" | "set-header") {
            continue;
        }
        let span = full_span(e);
        if seen
            .iter()
            .any(|s| s.start <= span.start && span.end <= s.end)
        {
            continue;
        }
        let code = tree_rules::expressions_in(cx, e);
        let used: Vec<&str> = DETAILS
            .iter()
            .copied()
            .filter(|d| {
                code.contains(&format!("LastError.{d}"))
                    || code.contains(&format!("LastError?.{d}"))
            })
            .collect();
        // An outgoing request's body or header does not reach the client.
        let outgoing = cx.elements().iter().any(|r| {
            matches!(
                r.name.as_str(),
                "send-request" | "send-one-way-request" | "log-to-eventhub"
            ) && full_span(r).start <= span.start
                && span.end <= full_span(r).end
        });
        if used.is_empty() || outgoing {
            continue;
        }
        seen.push(span.clone());
        out.push(Diagnostic {
            span: e.span.clone(),
            message: format!(
                "<{}> sends context.LastError.{} to the client",
                e.name,
                used.join(", LastError.")
            ),
            help: "answer with a fixed message and context.RequestId; log the details with trace"
                .to_string(),
            fix: None,
        });
    }
    out
}
