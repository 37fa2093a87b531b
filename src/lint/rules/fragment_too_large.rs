use crate::lint::{declare_rule, Context, Diagnostic, Level, Severity};

declare_rule! {
    /// ## What it does
    /// Reports a policy fragment (root `<fragment>`) longer than 32 KB (32,768 bytes), the
    /// size APIM accepts for a fragment.
    ///
    /// ## Why is this bad?
    /// Microsoft's "Reuse policy configurations" page (policy fragments) lists among the
    /// limitations: "The maximum size of a policy fragment is 32 KB." APIM refuses to save a
    /// larger fragment, so the publish step fails.
    ///
    /// ## Example
    /// A `<fragment>` that inlines a long list of `<set-header>` or a large JSON body.
    ///
    /// ## Fix
    /// Split it into two fragments included one after the other, or move large literals into
    /// named values.
    pub const FRAGMENT_TOO_LARGE = {
        id: "fragment-too-large",
        severity: Severity::Error,
        summary: "policy fragment over APIM's 32 KB limit",
        level: Level::File(check),
        enabled: true,
        rank: 42,
    };
}

/// APIM's limit for one fragment, as Microsoft's policy-fragments page documents it.
pub const MAX_FRAGMENT_BYTES: usize = 32 * 1024;

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    // The fragment's text as APIM stores it: the file, without surrounding blank space.
    let len = cx.src.trim().len();
    if cx.doc.root.name != "fragment" || len <= MAX_FRAGMENT_BYTES {
        return Vec::new();
    }
    let start = cx.doc.root.span.start;
    let tag_end = cx.src[start..]
        .find('>')
        .map_or(cx.src.len(), |i| start + i + 1);
    vec![Diagnostic {
        span: start..tag_end,
        message: format!(
            "the fragment is {len} bytes, over APIM's limit of {MAX_FRAGMENT_BYTES} bytes (32 KB)"
        ),
        help: "split it into two fragments included one after the other, or move large literals into named values".to_string(),
        fix: None,
    }]
}
