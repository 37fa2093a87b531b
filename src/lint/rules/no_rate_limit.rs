use crate::apim::effective::Step;
use crate::lint::tree_rules::{any_element, Absence};
use crate::lint::{declare_rule, Level, Severity};

declare_rule! {
    /// ## What it does
    /// Reports an effective `<inbound>` with no `rate-limit`, `rate-limit-by-key`, `quota`,
    /// `quota-by-key`, `limit-concurrency` or `*-token-limit` policy. In an APIOps tree
    /// (`akto-connect lint DIR` on its root) every API × product path × operation is judged on
    /// what APIM runs, and the finding is reported once: at the scope whose missing `<base />`
    /// cuts off a limit configured above it, else at the API's policy. A file linted outside a
    /// tree is not judged: what it inherits through `<base />` is not in it (lint says so once).
    ///
    /// A warning: a limit may also be enforced in front of APIM (Front Door, Application
    /// Gateway), which no policy shows.
    ///
    /// ## Why is this bad?
    /// Without throttling one caller can overload the API and its backend (seed 003: "API rate
    /// limiting or throttling", "API overloads").
    ///
    /// ## Example
    /// A product `<inbound>` with `<rate-limit calls="100" renewal-period="60" />` and an
    /// operation whose `<inbound>` lacks `<base />`.
    ///
    /// ## Fix
    /// Add `rate-limit-by-key` or `quota-by-key` at global, product or API scope, and keep
    /// `<base />` below it.
    pub const NO_RATE_LIMIT = {
        id: "no-rate-limit",
        severity: Severity::Warning,
        summary: "no rate limit, quota or concurrency limit in the effective inbound",
        level: Level::Effective(&[ABSENCE]),
        enabled: true,
        rank: 180,
    };
}

const ABSENCE: Absence = Absence {
    section: "inbound",
    control: "the rate limit",
    missing,
    provided_by: |s| missing(s).is_none(),
    subscription: None,
    help: "add rate-limit-by-key or quota-by-key to <inbound> (here or at a broader scope)",
};

fn missing(steps: &[Step<'_>]) -> Option<String> {
    let found = any_element(steps, |e, _| {
        let n = e.name.as_str();
        n.starts_with("rate-limit")
            || n.starts_with("quota")
            || n == "limit-concurrency"
            || n.ends_with("-token-limit")
    });
    (!found)
        .then(|| "rate limit (rate-limit*, quota*, limit-concurrency, *-token-limit)".to_string())
}

