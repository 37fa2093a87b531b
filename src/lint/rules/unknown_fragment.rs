use crate::lint::{declare_rule, Severity, Level};

declare_rule! {
    /// ## What it does
    /// In an APIOps tree (`akto-connect lint DIR` on its root, or `akto-connect apim effective`),
    /// reports an `<include-fragment fragment-id="…" />` whose fragment is not in the tree's
    /// `policy fragments/` folder. A lone file is not judged (its fragments are elsewhere).
    ///
    /// ## Why is this bad?
    /// APIM refuses to save a policy that includes a fragment it does not have, so the
    /// deployment fails; and nothing can say what the policy would run there.
    ///
    /// ## Example
    /// `<include-fragment fragment-id="rate-limits" />` with no `policy fragments/rate-limits/`.
    ///
    /// ## Fix
    /// Add the fragment (`policy fragments/<id>/policy.xml`), or correct the id.
    pub const UNKNOWN_FRAGMENT = {
        id: "unknown-fragment",
        severity: Severity::Error,
        summary: "<include-fragment> names a fragment that is not in the tree",
        level: Level::Effective(&[]),
        enabled: true,
        rank: 290,
    };
}
