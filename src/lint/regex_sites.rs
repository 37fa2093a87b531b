//! Where a policy holds .NET regular expressions, and what the dialect parser and the
//! backtracking analysis say about each:
//! - the `regexList` variable of the Akto capture policy (`;`-separated, each entry trimmed);
//! - C# string literals passed as the pattern of `Regex.IsMatch/Match/Matches/Replace/Split`
//!   or `new Regex(…)` inside policy expressions (regular and verbatim literals unescaped).
//!
//! Every pattern keeps a map from its own bytes back to the policy text, so findings point at
//! the offending character.

use std::ops::Range;

use crate::apim::dialect::{entity_at, Form};
use crate::apim::tree::{Document, Element};
use crate::dotnet_regex::{self, parse, redos};

/// A pattern found in a policy. `map[i]` is the source offset of the pattern's byte `i`
/// (one extra entry for the end).
#[derive(Debug, Clone)]
pub struct Site {
    pub pattern: String,
    map: Vec<usize>,
    /// Inline-equivalent options from a `RegexOptions` argument.
    pub options: u8,
    pub origin: Origin,
    /// False when the backtracking analysis ran out of its work budget on this pattern.
    pub analysed_fully: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    RegexList,
    Expression,
}

impl Site {
    /// The source range of a byte range of the pattern.
    pub fn source_span(&self, r: Range<usize>) -> Range<usize> {
        // `map` has one entry past the pattern's end: the source offset where it ends, so the
        // end of a range is where the next character starts in the source.
        let at = |i: usize| self.map.get(i).or(self.map.last()).copied().unwrap_or(0);
        let start = at(r.start);
        start..at(r.end).max(start)
    }

    /// The whole pattern's source range.
    pub fn span(&self) -> Range<usize> {
        self.source_span(0..self.pattern.len())
    }

    /// The source range of the pattern character at byte `at` (the end of the pattern when
    /// `at` is past it).
    pub fn char_span(&self, at: usize) -> Range<usize> {
        let at = at.min(self.pattern.len());
        let end = self.pattern[at..]
            .chars()
            .next()
            .map_or(at, |c| at + c.len_utf8());
        self.source_span(at..end)
    }

    /// The source range of a UTF-16 span of the parsed pattern.
    pub fn utf16_span(&self, parsed: &dotnet_regex::Pattern, span: &Range<usize>) -> Range<usize> {
        self.source_span(parsed.byte_span(span))
    }

    /// The pattern for a message: whole when short, else its start and length.
    pub fn quoted(&self) -> String {
        const MAX: usize = 80;
        if self.pattern.chars().count() <= MAX {
            return self.pattern.clone();
        }
        let head: String = self.pattern.chars().take(MAX).collect();
        format!("{head}… ({} characters)", self.pattern.chars().count())
    }

    pub fn describe(&self) -> &'static str {
        match self.origin {
            Origin::RegexList => "regexList entry",
            Origin::Expression => "Regex pattern",
        }
    }
}

/// What a site is, after parsing and analysis.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// APIM substitutes a named value here at save time: nothing to check.
    NamedValue,
    Invalid(dotnet_regex::InvalidPattern),
    Valid(Vec<redos::Risk>, dotnet_regex::Pattern),
}

/// Every pattern of the document with its verdict.
pub fn analyze(src: &str, doc: &Document) -> Vec<(Site, Verdict)> {
    let mut sites = regex_list_sites(src, doc);
    sites.extend(expression_sites(src, doc));
    sites
        .into_iter()
        .map(|mut site| {
            let verdict = if site.pattern.contains("{{") {
                Verdict::NamedValue
            } else {
                let units: Vec<u16> = site.pattern.encode_utf16().collect();
                match dotnet_regex::parse_with_options(&site.pattern, site.options) {
                    Err(e) => Verdict::Invalid(e),
                    Ok(p) => {
                        let a = redos::analyze_within(&p.root, &units, redos::DEFAULT_BUDGET);
                        site.analysed_fully = a.complete;
                        Verdict::Valid(a.risks, p)
                    }
                }
            };
            (site, verdict)
        })
        .collect()
}

fn regex_list_sites(src: &str, doc: &Document) -> Vec<Site> {
    let mut out = Vec::new();
    let vars = doc
        .root
        .descendants()
        .into_iter()
        .filter(|e| is_regex_list(src, doc, e));
    for var in vars {
        let Some(value) = var.attr("value") else {
            continue;
        };
        if doc
            .expressions
            .iter()
            .any(|e| e.span.start == value.value_span.start)
        {
            continue; // computed at run time
        }
        let (text, map) = decode_with_map(src, value.value_span.clone());
        let mut at = 0;
        for entry in text.split(';') {
            let lead = entry.len() - entry.trim_start().len();
            let trimmed = entry.trim();
            if !trimmed.is_empty() {
                let s = at + lead;
                out.push(Site {
                    pattern: trimmed.to_string(),
                    map: map[s..=s + trimmed.len()].to_vec(),
                    options: 0,
                    origin: Origin::RegexList,
                    analysed_fully: true,
                });
            }
            at += entry.len() + 1;
        }
    }
    out
}

fn is_regex_list(src: &str, doc: &Document, e: &Element) -> bool {
    e.name == "set-variable"
        && e.attr("name").is_some_and(|a| {
            matches!(
                doc.attr_value(src, a).as_str(),
                "regexList" | "aktoRegexList"
            )
        })
}

/// Decodes XML entities in `src[range]`, mapping each decoded byte to its source offset.
pub(crate) fn decode_with_map(src: &str, range: Range<usize>) -> (String, Vec<usize>) {
    let b = src.as_bytes();
    let mut text = String::with_capacity(range.len());
    let mut map = Vec::with_capacity(range.len() + 1);
    let mut i = range.start;
    while i < range.end {
        // A run without `&` is copied whole: every byte maps to itself.
        let run = memchr::memchr(b'&', &b[i..range.end]).map_or(range.end, |k| i + k);
        if run > i {
            text.push_str(&src[i..run]);
            map.extend(i..run);
            i = run;
            continue;
        }
        if b[i] == b'&' {
            if let Some((c, len)) = entity_at(&b[..range.end], i) {
                let mut buf = [0u8; 4];
                for _ in c.encode_utf8(&mut buf).bytes() {
                    map.push(i);
                }
                text.push(c);
                i += len;
                continue;
            }
        }
        let c = src[i..].chars().next().unwrap_or('\u{fffd}');
        for k in 0..c.len_utf8() {
            map.push(i + k);
        }
        text.push(c);
        i += c.len_utf8().max(1);
    }
    map.push(range.end);
    (text, map)
}

/// Static `Regex` methods whose second argument is the pattern.
const STATIC_METHODS: &[&str] = &["IsMatch", "Match", "Matches", "Replace", "Split"];

fn expression_sites(src: &str, doc: &Document) -> Vec<Site> {
    let mut out = Vec::new();
    for e in &doc.expressions {
        // Most expressions call no Regex: skip decoding them.
        if !src[e.span.clone()].contains("Regex") {
            continue;
        }
        let (code, map) = match e.form {
            Form::Escaped => decode_with_map(src, e.span.clone()),
            Form::Raw => (
                src[e.span.clone()].to_string(),
                (e.span.start..=e.span.end).collect(),
            ),
        };
        for (arg_start, args_end) in call_sites(&code) {
            if let Some(site) = literal_site(&code, &map, arg_start, args_end) {
                out.push(site);
            }
        }
    }
    out
}

/// For each Regex call in `code`: where its pattern argument starts, and where the argument
/// list ends.
fn call_sites(code: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut from = 0;
    while let Some(rel) = code[from..].find("Regex") {
        let at = from + rel;
        from = at + 5;
        // A whole identifier: not `MyRegex`, `RegexOptions`.
        if at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_') {
            continue;
        }
        let rest = &code[at + 5..];
        let before = code[..at].trim_end();
        let before = before
            .strip_suffix("System.Text.RegularExpressions.")
            .unwrap_or(before);
        let (is_new, after) = if before.trim_end().ends_with("new") {
            (true, rest)
        } else if let Some(r) = rest.strip_prefix('.') {
            match STATIC_METHODS.iter().find(|m| {
                r.starts_with(*m) && !r[m.len()..].starts_with(|c: char| c.is_alphanumeric())
            }) {
                Some(m) => (false, &r[m.len()..]),
                None => continue,
            }
        } else {
            continue;
        };
        let open = after.len() - after.trim_start().len();
        if !after[open..].starts_with('(') {
            continue;
        }
        let args_start = code.len() - after.len() + open + 1;
        let Some((first_end, close)) = first_argument_end(code, args_start) else {
            continue;
        };
        let pattern_arg = if is_new {
            args_start
        } else if first_end < close {
            first_end + 1
        } else {
            continue;
        };
        out.push((pattern_arg, close));
    }
    out
}

/// From the start of an argument list, the end of its first argument (a top-level `,` or the
/// closing `)`) and the closing `)`.
fn first_argument_end(code: &str, start: usize) -> Option<(usize, usize)> {
    let b = code.as_bytes();
    let mut depth = 0usize;
    let mut first_end = None;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string(b, i, i > 0 && b[i - 1] == b'@')?,
            b'\'' => i = skip_char(b, i)?,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b')' => return Some((first_end.unwrap_or(i), i)),
            b',' if depth == 0 && first_end.is_none() => first_end = Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Index of the closing quote of the string literal opening at `i`.
fn skip_string(b: &[u8], mut i: usize, verbatim: bool) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'"' if verbatim && b.get(i + 1) == Some(&b'"') => i += 2,
            b'"' => return Some(i),
            b'\\' if !verbatim => i += 2,
            _ => i += 1,
        }
    }
    None
}

fn skip_char(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// The pattern argument at `arg_start` when it is a plain C# string literal.
fn literal_site(code: &str, map: &[usize], arg_start: usize, args_end: usize) -> Option<Site> {
    let arg = &code[arg_start..args_end];
    let lead = arg.len() - arg.trim_start().len();
    let start = arg_start + lead;
    let b = code.as_bytes();
    let (verbatim, quote) = match (b.get(start), b.get(start + 1)) {
        (Some(b'@'), Some(b'"')) => (true, start + 1),
        (Some(b'"'), _) => (false, start),
        _ => return None,
    };
    let close = skip_string(b, quote, verbatim)?;
    // The literal must be the whole argument (no concatenation).
    let after = &code[close + 1..args_end];
    let next = after.trim_start();
    if !(next.is_empty() || next.starts_with(',')) {
        return None;
    }
    let (pattern, pmap) = unescape_csharp(&code[quote + 1..close], quote + 1, verbatim)?;
    let options = regex_options(&code[close + 1..args_end]);
    Some(Site {
        pattern,
        map: pmap
            .iter()
            .map(|&i| map.get(i).copied().unwrap_or(0))
            .collect(),
        options: options?,
        origin: Origin::Expression,
        analysed_fully: true,
    })
}

/// Inline-option bits for a `RegexOptions` argument; `None` for options this parser does not
/// model (ECMAScript, RightToLeft change what a pattern means).
fn regex_options(rest: &str) -> Option<u8> {
    if rest.contains("ECMAScript") || rest.contains("RightToLeft") {
        return None;
    }
    let mut o = 0;
    for (name, bit) in [
        ("IgnoreCase", parse::OPT_I),
        ("Multiline", parse::OPT_M),
        ("ExplicitCapture", parse::OPT_N),
        ("Singleline", parse::OPT_S),
        ("IgnorePatternWhitespace", parse::OPT_X),
    ] {
        if rest.contains(name) {
            o |= bit;
        }
    }
    Some(o)
}

/// Unescapes a C# string literal body, mapping each output byte to its offset in the code.
fn unescape_csharp(body: &str, base: usize, verbatim: bool) -> Option<(String, Vec<usize>)> {
    let mut out = String::new();
    let mut map = Vec::new();
    let mut push = |c: char, at: usize, out: &mut String| {
        for _ in 0..c.len_utf8() {
            map.push(at);
        }
        out.push(c);
    };
    let mut it = body.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let at = base + i;
        if verbatim {
            if c == '"' {
                it.next();
            }
            push(c, at, &mut out);
            continue;
        }
        if c != '\\' {
            push(c, at, &mut out);
            continue;
        }
        let (_, e) = it.next()?;
        let ch = match e {
            '\\' => '\\',
            '"' => '"',
            '\'' => '\'',
            '0' => '\0',
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            'u' | 'x' | 'U' => {
                let max = if e == 'U' { 8 } else { 4 };
                let mut v = 0u32;
                let mut n = 0;
                while n < max {
                    match it.peek().and_then(|(_, h)| h.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            it.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 || (e != 'x' && n != max) {
                    return None;
                }
                char::from_u32(v)?
            }
            _ => return None, // not valid C#: the compiler would refuse it
        };
        push(ch, at, &mut out);
    }
    map.push(base + body.len());
    Some((out, map))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apim::tree;

    fn sites(element: &str) -> Vec<(String, String)> {
        let src = format!("<policies>{element}</policies>");
        let src = src.as_str();
        let doc = tree::read(src).unwrap();
        analyze(src, &doc)
            .into_iter()
            .map(|(s, _)| (s.pattern.clone(), src[s.span()].to_string()))
            .collect()
    }

    #[test]
    fn regex_list_entries_map_back_to_the_attribute() {
        let src = r#"<set-variable name="regexList" value=" ^/a ;a&amp;b;;(?&lt;=x)y" />"#;
        assert_eq!(
            sites(src),
            vec![
                ("^/a".into(), "^/a".into()),
                ("a&b".into(), "a&amp;b".into()),
                ("(?<=x)y".into(), "(?&lt;=x)y".into()),
            ]
        );
    }

    #[test]
    fn literals_in_expressions_raw_and_escaped() {
        let src = r#"<when condition="@(Regex.IsMatch(context.Request.Url.Path, @"^/a\d+""x") &amp;&amp; new System.Text.RegularExpressions.Regex("\\w+\"").IsMatch("q"))" />"#;
        let got = sites(src);
        assert_eq!(got[0].0, "^/a\\d+\"x");
        assert_eq!(got[1].0, "\\w+\"");
        assert_eq!(got[1].1, "\\\\w+\\\"");
        // a pattern built at run time is not a literal: skipped
        assert_eq!(
            sites(r#"<x v="@(Regex.IsMatch(a, b + &quot;c&quot;))" />"#).len(),
            0
        );
        assert_eq!(
            sites(r#"<x v="@(MyRegex.IsMatch(a, &quot;(&quot;))" />"#).len(),
            0
        );
    }
}
