use crate::lint::regex_sites::Verdict;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Notes a regular expression that comes from an APIM named value (`{{paths-to-capture}}`),
    /// which APIM substitutes when the policy is saved: its content cannot be checked here.
    ///
    /// ## Why is this bad?
    /// It is not wrong, only unverified: an invalid or catastrophic pattern in the named value
    /// would pass this lint.
    ///
    /// ## Example
    /// ```xml
    /// <set-variable name="regexList" value="{{akto-capture-paths}}" />
    /// ```
    ///
    /// ## Fix
    /// Check the named value's content with the same rules, for example by linting a policy
    /// that holds it literally; keep `;` out of it unless it separates entries.
    pub const REGEX_NAMED_VALUE = {
        id: "regex-named-value",
        severity: Severity::Info,
        summary: "a regular expression from a named value cannot be checked",
        level: Level::File(check),
        enabled: true,
        rank: 150,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    cx.regexes()
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::NamedValue))
        .map(|(site, _)| Diagnostic {
            span: site.span(),
            message: format!(
                "{} `{}` comes from a named value, substituted when the policy is saved: it cannot be checked here",
                site.describe(),
                site.quoted()
            ),
            help: "make sure the named value holds valid .NET regexes without catastrophic backtracking".to_string(),
            fix: None,
        })
        .collect()
}
