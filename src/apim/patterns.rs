//! The capture policy's `regexList`: path patterns joined with `;` into one XML attribute that
//! the policy splits, trims and hands to .NET's `Regex.IsMatch`.
//!
//! This module refuses what the carrier would silently change: a `;` (splits the pattern), a
//! leading or trailing space (trimmed away), `{{` (an APIM named value), a leading `@(`/`@{`
//! (turns the attribute into a policy expression), characters XML cannot carry.
//!
//! Not for: judging regex syntax. Rust's regex crates reject valid .NET patterns (lookbehind,
//! balancing groups), so syntax is left to the .NET dialect parser.

use crate::dotnet_regex::{self, redos};
use crate::error::{printable, InputError};

/// The longest pattern accepted: far beyond any real path pattern, and short enough that the
/// policy document stays well inside APIM's size limit.
pub const MAX_PATTERN_CHARS: usize = 8192;

/// One pattern and where it came from (`--regex #2`, `paths.txt:3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSource {
    pub origin: String,
    pub text: String,
}

/// Checked patterns, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegexList(Vec<String>);

impl RegexList {
    /// Checks what the carrier (the `regexList` attribute) would change; .NET syntax and
    /// backtracking are checked separately by [`RegexList::check_dotnet`].
    pub fn new(sources: &[PatternSource]) -> Result<Self, InputError> {
        sources
            .iter()
            .map(|s| check(s).map(|()| s.text.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map(RegexList)
    }

    /// Checks every pattern as .NET parses it: a pattern .NET refuses is an error; one with
    /// catastrophic backtracking is an error unless `allow_risky`, then a warning. Returns the
    /// warnings.
    pub fn check_dotnet(
        sources: &[PatternSource],
        allow_risky: bool,
    ) -> Result<Vec<String>, InputError> {
        let mut warnings = Vec::new();
        for src in sources {
            let p = &src.text;
            let parsed = match dotnet_regex::parse(p) {
                Ok(parsed) => parsed,
                Err(e) => {
                    let at = p[..e.byte_offset.min(p.len())]
                        .chars()
                        .count()
                        .saturating_sub(1);
                    return Err(InputError::new(
                        &src.origin,
                        p,
                        format!("not a valid .NET regex: {}\n    {}\n    {}^", e.message(), printable(p), " ".repeat(at)),
                        "write it in .NET syntax (`(?<name>…)` for named groups, `\\p{L}` for properties, `(?>…)` instead of possessive quantifiers); APIM would skip it and never capture these paths",
                    ));
                }
            };
            let units: Vec<u16> = p.encode_utf16().collect();
            let risks = redos::analyze(&parsed.root, &units);
            if let Some(r) = risks
                .iter()
                .find(|r| r.severity == redos::Severity::Catastrophic)
            {
                let span = parsed.byte_span(&r.span);
                let col = p[..span.start].chars().count();
                let width = p[span.clone()].chars().count().max(1);
                let caret = format!(
                    "{}\n    {}{}",
                    printable(p),
                    " ".repeat(col),
                    "^".repeat(width)
                );
                if !allow_risky {
                    return Err(InputError::new(
                        &src.origin,
                        p,
                        format!("catastrophic backtracking: {}\n    {caret}", r.message),
                        format!("{}; or keep it with --allow-risky-regex (the policy's match timeout still bounds each match)", r.suggestion),
                    ));
                }
                warnings.push(format!(
                    "{} '{}': catastrophic backtracking: {} (kept because of --allow-risky-regex; the match timeout bounds it)",
                    src.origin, p, r.message
                ));
            }
        }
        Ok(warnings)
    }

    /// The value of the `regexList` attribute before XML escaping; empty captures every path.
    pub fn joined(&self) -> String {
        self.0.join(";")
    }

    pub fn patterns(&self) -> &[String] {
        &self.0
    }
}

/// Reads a pattern file: one pattern a line; blank lines and lines starting with `#` skipped.
pub fn parse_pattern_file(name: &str, content: &str) -> Vec<PatternSource> {
    content
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let t = line.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|(i, line)| PatternSource {
            origin: format!("{name}:{}", i + 1),
            text: line.to_string(),
        })
        .collect()
}

fn check(src: &PatternSource) -> Result<(), InputError> {
    let p = src.text.as_str();
    let refuse = |problem: &str, help: &str| Err(InputError::new(&src.origin, p, problem, help));
    if p.trim().is_empty() {
        return refuse(
            "the pattern is empty; the policy skips empty entries, so it would match nothing",
            "drop it; give no pattern at all to capture every path",
        );
    }
    if p.trim() != p {
        return refuse(
            "leading or trailing whitespace, which the policy trims off before matching",
            r"remove it; match a space at an end with \x20 or [ ]",
        );
    }
    let len = p.chars().count();
    if len > MAX_PATTERN_CHARS {
        return refuse(
            &format!(
                "{len} characters is too long for a path pattern (at most {MAX_PATTERN_CHARS})"
            ),
            "split it into several --regex patterns",
        );
    }
    if p.contains(';') {
        return refuse(
            "`;` separates the entries of regexList, so the policy would split this pattern in two",
            r"write \x3B for a literal semicolon, or give the parts as separate --regex options",
        );
    }
    if p.contains("{{") {
        return refuse(
            "`{{` starts an APIM named value, which APIM substitutes when the policy is saved",
            r"escape the braces: \{\{",
        );
    }
    if p.starts_with("@(") || p.starts_with("@{") {
        return refuse(
            "a value starting with `@(` or `@{` is read by APIM as a policy expression",
            r"escape the at sign: \@",
        );
    }
    if let Some(c) = p.chars().find(|&c| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'
    }) {
        return refuse(
            &format!(
                "character U+{:04X} cannot be carried in an XML attribute",
                c as u32
            ),
            &format!(r"write it as the regex escape \u{:04X}", c as u32),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(p: &str) -> Result<RegexList, InputError> {
        RegexList::new(&[PatternSource {
            origin: "--regex #1".into(),
            text: p.into(),
        }])
    }

    #[test]
    fn keeps_dotnet_only_syntax() {
        assert_eq!(one(r"(?<=/v)\d+").unwrap().joined(), r"(?<=/v)\d+");
    }

    #[test]
    fn refusals() {
        for (p, word) in [
            ("", "empty"),
            ("  ", "empty"),
            (" ^/a", "whitespace"),
            ("^/a\t", "whitespace"),
            ("a;b", "`;`"),
            ("{{x}}", "named value"),
            ("@(x)", "policy expression"),
            ("@{x}", "policy expression"),
            ("a\u{1}b", "U+0001"),
            ("a\u{fffe}", "U+FFFE"),
        ] {
            let e = one(p).unwrap_err();
            assert!(e.problem.contains(word), "{p:?}: {}", e.problem);
            assert_eq!(e.input, "--regex #1");
        }
    }

    #[test]
    fn file_lines_skip_comments_and_blanks() {
        let got = parse_pattern_file("p.txt", "# paths\n^/a\r\n\n  # indented comment\n^/b\n");
        assert_eq!(
            got,
            vec![
                PatternSource {
                    origin: "p.txt:2".into(),
                    text: "^/a".into()
                },
                PatternSource {
                    origin: "p.txt:5".into(),
                    text: "^/b".into()
                },
            ]
        );
    }
}
