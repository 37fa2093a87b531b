use crate::apim::effective::Step;
use crate::lint::tree_rules::{self, any_element, Absence};
use crate::lint::{declare_rule, Level, Severity};

declare_rule! {
    /// ## What it does
    /// Reports an effective `<outbound>` that does not delete the `X-Powered-By`,
    /// `X-AspNet-Version` and `Server` response headers (`<set-header name="…"
    /// exists-action="delete" />`), naming the ones left. Judged like `no-rate-limit`: on the
    /// effective policy of an APIOps tree only.
    ///
    /// Info: whether the backend sends these headers is not in the policy.
    ///
    /// ## Why is this bad?
    /// They tell an attacker the backend's server and framework versions (seed 003: "exposure
    /// of underlying infrastructure").
    ///
    /// ## Example
    /// A global `<outbound>` with only `<base />`.
    ///
    /// ## Fix
    /// At global scope: `<set-header name="X-Powered-By" exists-action="delete" />`, and the
    /// same for `X-AspNet-Version` and `Server`.
    pub const INFRASTRUCTURE_HEADERS = {
        id: "infrastructure-headers",
        severity: Severity::Info,
        summary: "the effective outbound keeps X-Powered-By, X-AspNet-Version or Server",
        level: Level::Effective(&[ABSENCE]),
        enabled: true,
        rank: 270,
    };
}

const ABSENCE: Absence = Absence {
    section: "outbound",
    control: "the removal of infrastructure headers",
    missing,
    provided_by: |s| missing(s).is_none(),
    subscription: None,
    help: "add <set-header name=\"X-Powered-By\" exists-action=\"delete\" /> (and X-AspNet-Version, Server) to the global <outbound>",
};

const HEADERS: [&str; 3] = ["X-Powered-By", "X-AspNet-Version", "Server"];

fn missing(steps: &[Step<'_>]) -> Option<String> {
    let left: Vec<&str> = HEADERS
        .iter()
        .copied()
        .filter(|h| {
            !any_element(steps, |e, f| {
                e.name == "set-header"
                    && tree_rules::attr_ci(f, e, "name")
                        .is_some_and(|n| n.trim().eq_ignore_ascii_case(h))
                    && tree_rules::attr_ci(f, e, "exists-action")
                        .is_some_and(|a| a.trim() == "delete")
            })
        })
        .collect();
    (!left.is_empty()).then(|| format!("removal of {}", left.join(", ")))
}

