use crate::lint::{declare_rule, Context, Diagnostic, Level, Severity};

declare_rule! {
    /// ## What it does
    /// Reports `<include-fragment>` inside a policy fragment (root `<fragment>`).
    ///
    /// ## Why is this bad?
    /// Microsoft's "Reuse policy configurations" page (policy fragments) lists among the
    /// limitations: "Currently, a policy fragment can't nest another policy fragment." APIM
    /// refuses to save such a fragment, so the publish step fails.
    ///
    /// ## Example
    /// ```xml
    /// <fragment>
    ///     <include-fragment fragment-id="auth" />
    /// </fragment>
    /// ```
    ///
    /// ## Fix
    /// Paste the inner fragment's policies into this one, or include both fragments side by
    /// side from the policy that uses them.
    pub const NESTED_FRAGMENT_INCLUDE = {
        id: "nested-fragment-include",
        severity: Severity::Error,
        summary: "<include-fragment> inside a policy fragment",
        level: Level::File(check),
        enabled: true,
        rank: 41,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    if cx.doc.root.name != "fragment" {
        return Vec::new();
    }
    cx.elements()
        .iter()
        .filter(|e| e.name == "include-fragment")
        .map(|e| Diagnostic {
            span: e.span.clone(),
            message: "<include-fragment> inside a policy fragment; APIM does not let a fragment nest another".to_string(),
            help: "copy the inner fragment's policies here, or include both fragments from the policy that uses them".to_string(),
            fix: None,
        })
        .collect()
}
