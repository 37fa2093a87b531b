use crate::lint::regex_sites::{Origin, Verdict};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a regular expression that .NET refuses: a `regexList` entry of the capture
    /// policy, or a string literal passed as the pattern of `Regex.IsMatch`, `Match`,
    /// `Matches`, `Replace`, `Split` or `new Regex(…)` in a policy expression. The message is
    /// .NET's own reason; the position is where .NET stops.
    ///
    /// ## Why is this bad?
    /// APIM evaluates patterns with .NET's engine. In the capture policy the exception is
    /// caught and the pattern never matches, so traffic for those paths is silently not
    /// captured. In any other expression the exception fails the request.
    ///
    /// Patterns written for other engines often fail here: `(?P<name>…)` (Python), `\pL`
    /// (short property names), `a++` (possessive quantifiers).
    ///
    /// ## Example
    /// ```xml
    /// <set-variable name="regexList" value="^/api/(?P&lt;v&gt;v\d)/" />
    /// ```
    ///
    /// ## Fix
    /// Write the .NET form: `(?<v>v\d)`, `\p{L}`, `(?>a+)`.
    pub const REGEX_INVALID = {
        id: "regex-invalid",
        severity: Severity::Error,
        summary: "a regular expression .NET refuses",
        level: Level::File(check),
        enabled: true,
        rank: 100,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    cx.regexes()
        .iter()
        .filter_map(|(site, verdict)| {
            let Verdict::Invalid(e) = verdict else { return None };
            // .NET's offset is just past what it read; point at the last character read.
            let at = site.pattern[..e.byte_offset.min(site.pattern.len())]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
            let consequence = match site.origin {
                Origin::RegexList => "the policy skips it, so these paths are never captured",
                Origin::Expression => "the expression throws and the request fails",
            };
            Some(Diagnostic {
                span: site.char_span(at),
                message: format!(
                    "{} `{}` is not a valid .NET regex: {} ({consequence})",
                    site.describe(),
                    site.quoted(),
                    e.message()
                ),
                help: "write it in .NET syntax: `(?<name>…)` for named groups, `\\p{L}` for properties, `(?>…)` instead of possessive quantifiers".to_string(),
                fix: None,
            })
        })
        .collect()
}
