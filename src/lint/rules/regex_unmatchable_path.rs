use crate::apim::patterns::cannot_match_a_path;
use crate::lint::regex_sites::{Origin, Verdict};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Flags a `regexList` entry that can never match, because the capture policy tests it
    /// against `context.Request.OriginalUrl.Path`: the path alone, such as `/api/v1/users`.
    /// That text always starts with `/` and never holds a scheme, a host or the query string,
    /// so a pattern anchored before something other than `/` (`^api/`), one that starts with
    /// a scheme (`^https://api.contoso.com/v1`) or one that matches a `?` (`/search\?q=`)
    /// captures nothing.
    ///
    /// ## Why is this bad?
    /// The traffic those paths carry never reaches Akto, and nothing says so: the policy runs
    /// without an error.
    ///
    /// ## Example
    /// ```xml
    /// <set-variable name="regexList" value="^api/v1/;^https://api.contoso.com/v2" />
    /// ```
    ///
    /// ## Fix
    /// Match the path only: `^/api/v1/;^/v2`. `akto-connect apim policy` refuses such
    /// patterns.
    pub const REGEX_UNMATCHABLE_PATH = {
        id: "regex-unmatchable-path",
        severity: Severity::Warning,
        summary: "a regexList entry that can never match a request path",
        level: Level::File(check),
        enabled: true,
        rank: 160,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    cx.regexes()
        .iter()
        .filter(|(site, v)| site.origin == Origin::RegexList && matches!(v, Verdict::Valid(..)))
        .filter_map(|(site, _)| {
            let u = cannot_match_a_path(&site.pattern)?;
            Some(Diagnostic {
                span: site.char_span(u.at),
                message: format!(
                    "{} `{}` can never match: {}",
                    site.describe(),
                    site.pattern,
                    u.problem
                ),
                help: u.help,
                fix: None,
            })
        })
        .collect()
}
