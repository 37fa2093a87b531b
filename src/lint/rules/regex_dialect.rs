use crate::dotnet_regex::lookalike;
use crate::lint::regex_sites::Verdict;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports valid .NET regular expressions that almost surely mean something else because
    /// they are written in another dialect: POSIX classes (`[[:alpha:]]`), class intersection
    /// (`[a-z&&[^aeiou]]`), GNU word boundaries (`\<`, `\>`), Perl/ICU boundary types
    /// (`\b{start}`).
    ///
    /// ## Why is this bad?
    /// .NET accepts them but reads them as literal characters: `[[:alpha:]]` matches `[`, `:`,
    /// `a`, `l`, `p`, `h` followed by `]`, not letters. The filter silently matches the wrong
    /// paths.
    ///
    /// ## Example
    /// ```xml
    /// <set-variable name="regexList" value="^/[[:alpha:]]+/" />
    /// ```
    ///
    /// ## Fix
    /// Use the .NET form: `\p{L}` or `[a-zA-Z]`, class subtraction `[a-z-[aeiou]]`, `\b`.
    pub const REGEX_DIALECT = {
        id: "regex-dialect",
        severity: Severity::Warning,
        summary: "another regex dialect's syntax that .NET reads literally",
        level: Level::File(check),
        enabled: true,
        rank: 120,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (site, verdict) in cx.regexes() {
        if !matches!(verdict, Verdict::Valid(..)) {
            continue;
        }
        for l in lookalike::find(&site.pattern) {
            out.push(Diagnostic {
                span: site.source_span(l.span),
                message: format!("{} `{}`: {}", site.describe(), site.quoted(), l.message),
                help: l.help,
                fix: None,
            });
        }
    }
    out
}
