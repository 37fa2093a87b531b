use crate::apim::SECTIONS;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a second `<base />` in one section of a `<policies>` document.
    ///
    /// ## Why is this bad?
    /// Each `<base />` runs the broader scopes' policies for the section again: rate limits
    /// count twice, headers are set twice, backend calls repeat.
    ///
    /// ## Example
    /// ```xml
    /// <inbound>
    ///     <base />
    ///     <set-header name="x-id" exists-action="override"><value>1</value></set-header>
    ///     <base />
    /// </inbound>
    /// ```
    ///
    /// ## Fix
    /// Keep one `<base />`, where the inherited policies should run.
    pub const DUPLICATE_BASE = {
        id: "duplicate-base",
        severity: Severity::Warning,
        summary: "two <base /> in one section run the inherited policies twice",
        level: Level::File(check),
        enabled: true,
        rank: 50,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let root = &cx.doc.root;
    if root.name != "policies" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for section in root
        .elements()
        .filter(|e| SECTIONS.contains(&e.name.as_str()))
    {
        for extra in section.elements().filter(|c| c.name == "base").skip(1) {
            out.push(Diagnostic {
                span: extra.span.clone(),
                message: format!(
                    "a second <base /> in <{}>: the broader scopes' policies run twice",
                    section.name
                ),
                help: "remove one <base />".to_string(),
                fix: None,
            });
        }
    }
    out
}
