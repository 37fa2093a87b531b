use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports C# in a policy expression that the compiler refuses before it even looks at
    /// types: an escape sequence C# does not know in a regular string or character literal
    /// (`"^/api/\d+$"`, error CS1009), a line break inside a string or character literal
    /// (CS1010), an empty character literal `''` (CS1011), and a character literal holding
    /// more than one character (`'ab'`, CS1012). Verbatim strings `@"…"` take a backslash as
    /// itself and are fine.
    ///
    /// ## Why is this bad?
    /// APIM compiles every expression when the policy is saved: the save fails, in the portal
    /// or in the pipeline that deploys it.
    ///
    /// ## Example
    /// ```xml
    /// <when condition="@(Regex.IsMatch(context.Request.Url.Path, "^/api/\d+$"))">
    /// ```
    ///
    /// ## Fix
    /// Use a verbatim string for regular expressions (`@"^/api/\d+$"`), or double the
    /// backslash (`"^/api/\\d+$"`).
    pub const EXPRESSION_INVALID = {
        id: "expression-invalid",
        severity: Severity::Error,
        summary: "C# in a policy expression that the compiler refuses (bad escapes, broken literals)",
        level: Level::File(check),
        enabled: true,
        rank: 80,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for e in cx.expressions() {
        for err in &e.scan.errors {
            out.push(Diagnostic {
                span: e.source_span(&err.span),
                message: err.message.clone(),
                help: err.help.clone(),
                fix: None,
            });
        }
    }
    out
}
