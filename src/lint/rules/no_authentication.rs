use crate::apim::effective::Step;
use crate::lint::tree_rules::{self, any_element, Absence};
use crate::lint::{declare_rule, Level, Severity};

declare_rule! {
    /// ## What it does
    /// Judged on the effective policy of an APIOps tree (`akto-connect lint DIR` on the tree's
    /// root): reports an API path that needs no subscription (`subscriptionRequired: false` in
    /// `apiInformation.json`, or a product without subscription) and whose effective
    /// `<inbound>` holds none of `validate-jwt`, `validate-azure-ad-token`,
    /// `validate-client-certificate` or a `check-header` on `Authorization`, wherever they are
    /// configured (global, product, API, operation, fragments). Reported once, at the API's
    /// policy, or at the scope whose missing `<base />` cuts the authentication off.
    ///
    /// An error: on that path anyone can call the API. A missing `apiInformation.json` means
    /// APIM's default, subscription required, and is not reported. A lone file is not judged
    /// (its subscription setting is not in the file).
    ///
    /// ## Why is this bad?
    /// An HTTPS API without any authentication is the first API-security concern of seed 003:
    /// nothing stops an unknown caller.
    ///
    /// ## Example
    /// `apis/status/apiInformation.json` with `"subscriptionRequired": false` and a policy that
    /// only sets headers.
    ///
    /// ## Fix
    /// Add `validate-jwt` (or `validate-azure-ad-token`) to the API's or a broader scope's
    /// `<inbound>`, or require a subscription. If the API is public on purpose, suppress the rule
    /// for its policy in `akto-connect.toml`, with the reason.
    pub const NO_AUTHENTICATION = {
        id: "no-authentication",
        severity: Severity::Error,
        summary: "an API path without subscription has no authentication in its effective inbound",
        level: Level::Effective(&[ABSENCE]),
        enabled: true,
        rank: 170,
    };
}

const ABSENCE: Absence = Absence {
    section: "inbound",
    control: "the authentication",
    missing,
    provided_by: |s| missing(s).is_none(),
    subscription: Some(false),
    help: "add validate-jwt or validate-azure-ad-token to <inbound> (here or at a broader scope), or require a subscription",
};

fn missing(steps: &[Step<'_>]) -> Option<String> {
    let found = any_element(steps, |e, f| match e.name.as_str() {
        "validate-jwt" | "validate-azure-ad-token" | "validate-client-certificate" => true,
        "check-header" => tree_rules::attr_ci(f, e, "name")
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("authorization")),
        _ => false,
    });
    (!found).then(|| {
        "authentication (validate-jwt, validate-azure-ad-token, validate-client-certificate, check-header on Authorization) and no subscription".to_string()
    })
}

