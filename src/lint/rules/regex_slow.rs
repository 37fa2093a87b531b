use crate::dotnet_regex::redos::Severity as Risk;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a regular expression that takes quadratic time on an input that does not match:
    /// two adjacent loops over the same characters (`^a*a*$`), or an unanchored loop that the
    /// search re-runs from every start position (`\d+x`). Off by default; turn it on with
    /// `regex-slow = "info"` in `akto-connect.toml`.
    ///
    /// ## Why is this bad?
    /// Quadratic time is not a denial of service on short request paths, but it adds up on
    /// long inputs such as bodies.
    ///
    /// ## Example
    /// ```xml
    /// <set-variable name="regexList" value="\d+x" />
    /// ```
    ///
    /// ## Fix
    /// Anchor the pattern (`^/orders/\d+x`) or make loops stop where the next part starts.
    pub const REGEX_SLOW = {
        id: "regex-slow",
        severity: Severity::Info,
        summary: "a regular expression with quadratic backtracking (off by default)",
        level: Level::File(check),
        enabled: false,
        rank: 130,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    super::regex_redos::risks(cx, Risk::Quadratic)
}
