use crate::apim::tree::ReadError;
use crate::lint::{declare_rule, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports policy text that cannot be read: a tag or comment never closed, end tags that do
    /// not match, a policy expression (`@( … )`, `@{ … }`) whose brackets or string literals
    /// never close, `--` inside an XML comment.
    ///
    /// ## Why is this bad?
    /// APIM refuses to save such a policy, and nothing else in the file can be checked.
    /// Policy text is read as APIM reads it: C# expressions may hold raw `"`, `<` and `&&`
    /// inside attribute values and element text, so those are not errors.
    ///
    /// ## Example
    /// ```xml
    /// <!-- the first comment
    /// <!-- the second comment -->
    /// ```
    ///
    /// ## Fix
    /// Correct the text at the reported line and column; close what was left open.
    pub const PARSE_ERROR = {
        id: "parse-error",
        severity: Severity::Error,
        summary: "policy text that cannot be read",
        level: Level::Reader,
        enabled: true,
        rank: 10,
    };
}

/// The finding for a read failure, spanning the character where reading stopped.
pub fn diagnostic(src: &str, e: &ReadError) -> Diagnostic {
    let start = floor_char_boundary(src, e.offset.min(src.len()));
    let end = src[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    Diagnostic {
        span: start..end,
        message: e.message.clone(),
        help: "fix the text here; APIM would refuse to save this policy".to_string(),
        fix: None,
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Whether the findings say the text could not be read (so no fix may be applied or written).
pub fn unreadable(findings: &[crate::lint::Finding]) -> bool {
    findings.iter().any(|f| f.rule == PARSE_ERROR.id)
}
