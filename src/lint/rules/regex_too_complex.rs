use crate::lint::regex_sites::Verdict;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Notes a regular expression too large for the backtracking analysis of `regex-redos`
    /// and `regex-slow` to finish within its work budget (tens of thousands of alternatives,
    /// characters or nested loops). Only what was found before the budget ran out is
    /// reported; the rest of the pattern is unverified.
    ///
    /// ## Why does it matter?
    /// The pattern is not known to be wrong, but a catastrophic part of it would pass this
    /// lint. A pattern this large is also slow for APIM to build and match on every request.
    ///
    /// ## Example
    /// ```xml
    /// <set-variable name="regexList" value="^(a0|a1|a2|…|a24999)+$" />
    /// ```
    ///
    /// ## Fix
    /// Split it into several `regexList` entries, or match with a shorter pattern (a class
    /// `[…]` instead of thousands of one-character alternatives).
    pub const REGEX_TOO_COMPLEX = {
        id: "regex-too-complex",
        severity: Severity::Info,
        summary: "a regular expression too large to analyse fully for backtracking",
        level: Level::File(check),
        enabled: true,
        rank: 140,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    cx.regexes()
        .iter()
        .filter(|(site, v)| !site.analysed_fully && matches!(v, Verdict::Valid(..)))
        .map(|(site, _)| Diagnostic {
            span: site.char_span(0),
            message: format!(
                "{} `{}` is too large to analyse fully for backtracking: only part of it was checked",
                site.describe(),
                site.quoted()
            ),
            help: "split it into smaller regexList entries or simplify it, so it can be checked".to_string(),
            fix: None,
        })
        .collect()
}
