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
    if let Some(u) = cannot_match_a_path(p) {
        return refuse(&u.problem, &u.help);
    }
    // Control characters and noncharacters cannot be carried in XML; line separators, byte-order
    // marks and bidirectional overrides would make the policy read differently from what it
    // matches. .NET's `\uXXXX` escape says the same thing visibly.
    if let Some((c, why)) = p.chars().find_map(|c| {
        if matches!(c, '\t' | '\n' | '\r') {
            return None;
        }
        crate::text::problem_char(c).map(|why| (c, why))
    }) {
        let fix = if (c as u32) <= 0xffff {
            format!(r"write it as the regex escape \u{:04X}", c as u32)
        } else {
            "remove it".to_string()
        };
        return refuse(
            &format!(
                "character {} is {why}; it cannot be carried in the policy as typed",
                crate::text::code_point(c)
            ),
            &fix,
        );
    }
    Ok(())
}

/// Why a `regexList` pattern can never match: the policy matches it against
/// `context.Request.OriginalUrl.Path`, the path alone (`/api/v1/users`), which always starts
/// with `/` and never holds a scheme, a host or the query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatchable {
    pub problem: String,
    pub help: String,
    /// Byte offset in the pattern of what makes it unmatchable.
    pub at: usize,
}

/// Finds, conservatively, a pattern that cannot match a request path: one whose every top-level
/// alternative (`^a|b$` has two) is anchored (`^`, `\A`) and followed by a literal character
/// other than `/`, starts with a scheme (`https://`), or matches a literal `?` (a query string).
/// One alternative that can match keeps the pattern: `^a|b$` matches every path ending in `b`.
/// `None` when none applies; a pattern this cannot judge (a group or a class after `^`) passes.
/// The problem reported is the first alternative's, its offset in the whole pattern.
pub fn cannot_match_a_path(p: &str) -> Option<Unmatchable> {
    let mut first: Option<Unmatchable> = None;
    for (start, alt) in top_level_alternatives(p) {
        let mut u = alternative_cannot_match(alt)?;
        if first.is_none() {
            u.at += start;
            first = Some(u);
        }
    }
    first
}

/// The top-level alternatives of a pattern with their byte offsets: split at each `|` outside
/// groups, character classes and escapes. One alternative (the whole pattern) when there is no
/// top-level `|`.
fn top_level_alternatives(p: &str) -> Vec<(usize, &str)> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut start, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => {
                // A `]` first in a class is literal; escapes skip a character.
                let mut j = i + 1;
                if b.get(j) == Some(&b'^') {
                    j += 1;
                }
                if b.get(j) == Some(&b']') {
                    j += 1;
                }
                while j < b.len() && b[j] != b']' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                i = j;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'|' if depth == 0 => {
                out.push((start, &p[start..i]));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push((start, &p[start.min(p.len())..]));
    out
}

/// [`cannot_match_a_path`] for one alternative (no top-level `|`).
fn alternative_cannot_match(p: &str) -> Option<Unmatchable> {
    const WHAT: &str = "the policy matches the request path only (`/api/v1/users`), which starts with `/` and has no scheme, host or query";
    let (body, anchor_len) = if let Some(b) = p.strip_prefix('^') {
        (b, 1)
    } else if let Some(b) = p.strip_prefix("\\A") {
        (b, 2)
    } else {
        (p, 0)
    };
    // A scheme: `https://` or `https:\/\/`.
    let scheme_len = body
        .char_indices()
        .take_while(|&(i, c)| {
            c.is_ascii_alphabetic() || (i > 0 && (c.is_ascii_digit() || "+.-".contains(c)))
        })
        .count();
    if scheme_len > 0 {
        let rest = &body[scheme_len..];
        let sep = if rest.starts_with("://") {
            3
        } else if rest.starts_with(":\\/\\/") {
            5
        } else {
            0
        };
        if sep > 0 {
            let host_start = anchor_len + scheme_len + sep;
            // The path starts at the first `/` after the host (`\/` when escaped).
            let path_start = p[host_start..].find('/').map_or(p.len(), |i| {
                let at = host_start + i;
                if p[..at].ends_with('\\') {
                    at - 1
                } else {
                    at
                }
            });
            let path = &p[path_start..];
            return Some(Unmatchable {
                problem: format!(
                    "`{}` is a scheme and host: {WHAT}",
                    &p[anchor_len..path_start]
                ),
                help: format!(
                    "drop the scheme and host: ^{}",
                    if path.is_empty() { "/" } else { path }
                ),
                at: anchor_len,
            });
        }
    }
    if anchor_len > 0 {
        if let Some(c) = body.chars().next() {
            if c.is_ascii_alphanumeric() || "-_~%:@!&',;=".contains(c) {
                return Some(Unmatchable {
                    problem: format!(
                        "anchored at the start, but the next character is `{c}`, not `/`: {WHAT}, so this never matches"
                    ),
                    help: format!("start it with a slash: {}/{body}", &p[..anchor_len]),
                    at: anchor_len,
                });
            }
        }
    }
    literal_question_mark(p).map(|at| Unmatchable {
        problem: format!(
            "it matches a query string (`?` at character {}): {WHAT}",
            p[..at].chars().count() + 1
        ),
        help: "drop the query part and match on the path alone, e.g. ^/search".to_string(),
        at,
    })
}

/// The byte offset of a `?` the pattern matches literally (`\?`, `[?]`, `\x3F`, `\u003F`), or
/// of a `?` quantifier followed by `name=` (a query written unescaped: `/search?q=`).
fn literal_question_mark(p: &str) -> Option<usize> {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let rest = &p[i + 1..];
                if rest.starts_with('?')
                    || rest.get(..3).is_some_and(|h| h.eq_ignore_ascii_case("x3f"))
                    || rest
                        .get(..5)
                        .is_some_and(|h| h.eq_ignore_ascii_case("u003f"))
                {
                    return Some(i);
                }
                i += 2;
            }
            b'[' => {
                if p[i..].starts_with("[?]") || p[i..].starts_with("[\\?]") {
                    return Some(i);
                }
                // Skip the class: a `]` first in it is literal; escapes skip a character.
                let mut j = i + 1;
                if b.get(j) == Some(&b'^') {
                    j += 1;
                }
                if b.get(j) == Some(&b']') {
                    j += 1;
                }
                while j < b.len() && b[j] != b']' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                i = j + 1;
            }
            b'?' => {
                let quantifies_a_char = i > 0 && !b"(*+?}|".contains(&b[i - 1]);
                let name = p[i + 1..]
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
                    .count();
                if quantifies_a_char && name > 0 && b.get(i + 1 + name) == Some(&b'=') {
                    return Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
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
    fn patterns_that_cannot_match_a_path() {
        for (p, word, help) in [
            ("^api/v1/", "not `/`", "^/api/v1/"),
            (r"\Aapi", "not `/`", r"\A/api"),
            ("^https://api.contoso.com/v1", "scheme and host", "^/v1"),
            (
                r"^https:\/\/api\.contoso\.com\/v1",
                "scheme and host",
                r"^\/v1",
            ),
            ("http://x.example.com", "scheme and host", "^/"),
            (r"/search\?q=", "query", "^/search"),
            ("/search[?]q=", "query", "^/search"),
            (r"/search\x3Fq", "query", "^/search"),
            ("/search?q=1", "query", "^/search"),
            ("^a|^b", "not `/`", "^/a"),
            ("^api|https://x.example.com/v1", "not `/`", "^/api"),
            ("^a[|]b", "not `/`", "^/a"),
            (r"^a\|b", "not `/`", "^/a"),
            ("^a(b|/c)", "not `/`", "^/a"),
        ] {
            let u = cannot_match_a_path(p).unwrap_or_else(|| panic!("{p}"));
            assert!(u.problem.contains(word), "{p}: {}", u.problem);
            assert!(u.help.contains(help), "{p}: {}", u.help);
            let e = one(p).unwrap_err();
            assert!(e.problem.contains(word), "{p}: refused by apim policy");
        }
        for ok in [
            "^/api/v1/",
            r"^\/api",
            "^(api|v2)/",
            "^.*/users",
            "^[a-z]",
            "v1/users",
            "/proxy/https://",
            r"/items/\d+/?$",
            "/a(?:b)?c",
            "/a.*?b=",
            "(?<=/v)\\d+",
            "/search[^?]*",
            "^$",
            "^a|b$",
            "^api/|/v2/",
            r"/search\?q=|^/search",
            "^(a|b)|/c",
        ] {
            assert_eq!(cannot_match_a_path(ok), None, "{ok}");
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
