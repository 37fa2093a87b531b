use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports `<base />` anywhere inside a policy fragment (root `<fragment>`).
    ///
    /// ## Why is this bad?
    /// A fragment is pasted into a section of the policy that includes it; it has no parent
    /// scope of its own, and APIM refuses to save a fragment that holds `<base />`.
    ///
    /// ## Example
    /// ```xml
    /// <fragment>
    ///     <base />
    ///     <set-header name="x-correlation-id" exists-action="skip"><value>@(context.RequestId.ToString())</value></set-header>
    /// </fragment>
    /// ```
    ///
    /// ## Fix
    /// Remove it, and keep `<base />` in the section of each policy that includes the fragment
    /// with `<include-fragment fragment-id="…" />`.
    pub const BASE_IN_FRAGMENT = {
        id: "base-in-fragment",
        severity: Severity::Error,
        summary: "<base /> inside a policy fragment",
        level: Level::File(check),
        enabled: true,
        rank: 40,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    if cx.doc.root.name != "fragment" {
        return Vec::new();
    }
    cx.doc
        .root
        .descendants()
        .into_iter()
        .filter(|e| e.name == "base")
        .map(|e| Diagnostic {
            span: e.span.clone(),
            message: "<base /> inside a policy fragment; fragments have no parent scope and APIM refuses it".to_string(),
            help: "remove it; keep <base /> in the sections of the policies that include this fragment".to_string(),
            fix: None,
        })
        .collect()
}
