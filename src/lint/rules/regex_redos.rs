use crate::dotnet_regex::redos::Severity as Risk;
use crate::lint::regex_sites::Verdict;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a regular expression whose backtracking can take exponential or cubic-and-worse
    /// time on an input that does not match: nested quantifiers whose inner loop can take the
    /// characters that follow it (`^/api/([\w/]+)*$`), overlapping alternatives under a loop
    /// (`^(a|aa)+$`), bounded repeats of such loops, three or more adjacent loops over the same
    /// characters. Patterns .NET makes safe are not reported: alternatives of single characters
    /// (`(a|a)*`), a loop with nothing that can fail after it (`(a+)+` alone), a separator the
    /// inner loop excludes (`^(\w+\.)*\w+$`), atomic groups (`(?>a+)+`).
    ///
    /// ## Why is this bad?
    /// .NET's engine backtracks and, without a match timeout, one crafted request path can
    /// keep a gateway thread busy for minutes (ReDoS). The analysis was checked against
    /// timings on Microsoft's engine.
    ///
    /// ## Example
    /// ```xml
    /// <set-variable name="regexList" value="^/api/([\w/]+)*$" />
    /// ```
    ///
    /// ## Fix
    /// Make the inner loop atomic (`^/api/(?>[\w/]+)*$`), require a separator the loop
    /// excludes (`^/api/(\w+/)*\w+$`), or simplify (`^/api/[\w/]*$`). Pass a match timeout
    /// (`Regex.IsMatch(input, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(50))`).
    pub const REGEX_REDOS = {
        id: "regex-redos",
        severity: Severity::Error,
        summary: "a regular expression with catastrophic backtracking",
        level: Level::File(check),
        enabled: true,
        rank: 110,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    risks(cx, Risk::Catastrophic)
}

/// Findings for the risks of one severity, shared with `regex-slow`.
pub(super) fn risks(cx: &Context<'_>, severity: Risk) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (site, verdict) in cx.regexes() {
        let Verdict::Valid(risks, parsed) = verdict else {
            continue;
        };
        for r in risks.iter().filter(|r| r.severity == severity) {
            out.push(Diagnostic {
                span: site.utf16_span(parsed, &r.span),
                message: format!("{} `{}`: {}", site.describe(), site.quoted(), r.message),
                help: r.suggestion.clone(),
                fix: None,
            });
        }
    }
    out
}
