use crate::apim::effective::Step;
use crate::lint::tree_rules::{any_element, attr_ci, Absence};
use crate::lint::{declare_rule, Level, Severity};

declare_rule! {
    /// ## What it does
    /// Judged on the effective policy of an APIOps tree: reports an API path that needs a
    /// subscription whose effective `<inbound>` does not remove the subscription key header
    /// (`<set-header name="Ocp-Apim-Subscription-Key" exists-action="delete" />`). APIM checks
    /// the key and then forwards the request with the header still on it, so every backend
    /// receives the caller's key. Reported once per cause: at the scope whose missing
    /// `<base />` cuts off a removal configured above it, else at the API's policy.
    ///
    /// Off by default (turn it on under `[rules]` in akto-connect.toml): a backend you run
    /// yourself may be trusted with the keys; one run by others should never see them. An API
    /// whose `subscriptionKeyParameterNames` renames the header needs that name removed instead,
    /// which this rule does not read.
    ///
    /// ## Why is this bad?
    /// Seed 003: "use of unprotected identity and keys". A key the backend logs or leaks lets
    /// anyone call the API as that subscriber.
    ///
    /// ## Example
    /// A global `<inbound>` with no `set-header` deleting `Ocp-Apim-Subscription-Key`, and an API
    /// that requires a subscription.
    ///
    /// ## Fix
    /// Add `<set-header name="Ocp-Apim-Subscription-Key" exists-action="delete" />` to the global
    /// (or product) `<inbound>`, and keep `<base />` below it.
    pub const SUBSCRIPTION_KEY_FORWARDED = {
        id: "subscription-key-forwarded",
        severity: Severity::Info,
        summary: "the subscription key header is forwarded to the backend",
        level: Level::Effective(&[ABSENCE]),
        enabled: false,
        rank: 285,
    };
}

const ABSENCE: Absence = Absence {
    section: "inbound",
    control: "the removal of the subscription key header",
    missing,
    provided_by: |s| missing(s).is_none(),
    subscription: Some(true),
    help: "add <set-header name=\"Ocp-Apim-Subscription-Key\" exists-action=\"delete\" /> to the global <inbound>",
};

fn missing(steps: &[Step<'_>]) -> Option<String> {
    let removed = any_element(steps, |e, f| {
        e.name == "set-header"
            && attr_ci(f, e, "name")
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("ocp-apim-subscription-key"))
            && attr_ci(f, e, "exists-action").is_some_and(|a| a.trim() == "delete")
    });
    (!removed).then(|| {
        "removal of Ocp-Apim-Subscription-Key (set-header exists-action=\"delete\"), so the backend receives the caller's key".to_string()
    })
}
