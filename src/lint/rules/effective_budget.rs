use crate::lint::{declare_rule, Level, Severity};

declare_rule! {
    /// ## What it does
    /// In an APIOps tree, reports a path (API × product × operation) whose effective policy,
    /// with every `<include-fragment>` inlined and every scope's `<base />` spliced, holds
    /// more than 50,000 policy elements (`STEP_BUDGET` of the effective computation).
    /// akto-connect stops computing that path there and does not judge the rest of it (the
    /// other rules stay silent about the part not read), so a tree built to multiply its
    /// work (one large fragment included thousands of times) is reported, not run to
    /// exhaustion. A repeated `<base />` in one section does not count against the budget:
    /// it is collapsed (and reported by `duplicate-base`).
    ///
    /// ## Why is this bad?
    /// A policy that runs tens of thousands of elements per request is slow in the gateway
    /// and almost certainly a mistake (a fragment included in a loop of copies); and nothing
    /// can be said about its security without reading all of it.
    ///
    /// ## Example
    /// An API policy with 7,000 `<include-fragment fragment-id="big" />` in `<inbound>`, where
    /// `big` holds 2,000 elements.
    ///
    /// ## Fix
    /// Include each fragment once where it is needed, or split the policy.
    pub const EFFECTIVE_BUDGET = {
        id: "effective-budget",
        severity: Severity::Error,
        summary: "an effective policy holds more policy elements than akto-connect computes",
        level: Level::Effective(&[]),
        enabled: true,
        rank: 295,
    };
}
