//! The APIM policy dialect: where the C# policy expressions are.
//!
//! Policy text as the APIM portal and ARM `rawxml` take it is not XML: `@( … )` and `@{ … }`
//! expressions carry raw `"`, `<` and `&&` inside attribute values and element text. This module
//! finds every expression by scanning C# lexically to its matching close, and hands back the
//! text with each expression masked by same-length filler, so an ordinary XML parser can read
//! the rest and every byte offset stays exact.
//!
//! Both forms are read: `rawxml` (expressions unescaped) and `xml` (expressions entity-escaped,
//! `&quot;` for `"`). An expression is first tried in its escaped reading, bounded by the
//! attribute's closing quote or the next `<`; when that does not close exactly there, it is
//! read raw.
//!
//! Not for: judging the C# itself (only its lexical shape), or XML well-formedness (the XML
//! parser's job, on the masked text).

use std::ops::Range;

/// How an expression was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Unescaped C#, as the portal editor takes it.
    Raw,
    /// Entity-escaped C# (`&quot;`, `&lt;`, `&amp;`), as well-formed XML carries it.
    Escaped,
}

/// `@( … )` or `@{ … }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `@( … )`: a single C# expression.
    Single,
    /// `@{ … }`: a statement block in which every path returns.
    Block,
}

/// Where an expression appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Attribute,
    Text,
}

/// One policy expression: `span` runs from the `@` to its closing bracket, inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub span: Range<usize>,
    pub kind: Kind,
    pub form: Form,
    pub place: Place,
}

impl Expression {
    /// The C# source of the expression (from `@` to the closing bracket), with entities decoded
    /// when it was written escaped.
    pub fn code(&self, src: &str) -> String {
        let text = &src[self.span.clone()];
        match self.form {
            Form::Raw => text.to_string(),
            Form::Escaped => decode_entities(text),
        }
    }
}

/// Why the dialect scan stopped. `offset` is a byte offset into the scanned text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScanError {
    pub offset: usize,
    pub message: String,
}

impl ScanError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            offset,
            message: message.into(),
        }
    }
}

/// The policy text with every expression and placeholder replaced by filler of the same byte
/// length.
#[derive(Debug, Clone)]
pub struct Masked {
    pub text: String,
    pub expressions: Vec<Expression>,
    /// The documentation's `<YOUR_…>` placeholders in element text (not tags).
    pub placeholders: Vec<Range<usize>>,
}

/// What a scan finds.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub expressions: Vec<Expression>,
    pub placeholders: Vec<Range<usize>>,
}

/// What stands in for every masked byte other than a line break (`_`), a run of it to copy
/// from.
const FILLS: &str = "________________________________________________________________";

/// Finds the expressions in `src` and masks them.
pub fn mask(src: &str) -> Result<Masked, ScanError> {
    let Scan {
        expressions,
        placeholders,
    } = scan(src)?;
    let mut spans: Vec<Range<usize>> = expressions
        .iter()
        .map(|e| e.span.clone())
        .chain(placeholders.iter().cloned())
        .collect();
    spans.sort_by_key(|r| r.start);
    // Built from the source's own slices and ASCII filler, so it is UTF-8 with no check:
    // every span starts and ends on ASCII (`@`…`)`/`}`, `<`…`>`).
    let mut text = String::with_capacity(src.len());
    let mut last = 0;
    // A UTF-8 byte-order mark is not markup; blank it so offsets stay put.
    if src.starts_with('\u{feff}') {
        text.push_str("   ");
        last = 3;
    }
    for span in spans {
        let from = span.start.max(last);
        if from >= span.end {
            continue;
        }
        text.push_str(&src[last..from]);
        // Line breaks stay, so lines and columns do not move; the runs between are filled.
        let b = &src.as_bytes()[from..span.end];
        let mut at = 0;
        while at < b.len() {
            let to = memchr::memchr2(b'\n', b'\r', &b[at..]).map_or(b.len(), |k| at + k);
            let mut n = to - at;
            while n > 0 {
                let k = n.min(FILLS.len());
                text.push_str(&FILLS[..k]);
                n -= k;
            }
            if let Some(&brk) = b.get(to) {
                text.push(brk as char);
            }
            at = to + 1;
        }
        last = span.end;
    }
    text.push_str(&src[last..]);
    Ok(Masked {
        text,
        expressions,
        placeholders,
    })
}

/// Scans the document and returns its expressions in source order.
pub fn find_expressions(src: &str) -> Result<Vec<Expression>, ScanError> {
    scan(src).map(|s| s.expressions)
}

/// Scans the document for expressions and placeholders, in source order.
pub fn scan(src: &str) -> Result<Scan, ScanError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut placeholders = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let lt = find_byte(b, pos, b'<').unwrap_or(b.len());
        // Element text between `pos` and the next `<`.
        if let Some(t) = first_non_space(b, pos, lt) {
            if is_expr_start(b, t) {
                let trimmed_end = trim_end(b, t, lt);
                let e = read_expression(src, t, trimmed_end, Place::Text)?;
                pos = e.span.end;
                out.push(e);
                continue;
            }
        }
        if lt >= b.len() {
            break;
        }
        if let Some(len) = placeholder_len(&b[lt..]) {
            placeholders.push(lt..lt + len);
            pos = lt + len;
            continue;
        }
        pos = skip_markup(src, lt, &mut out)?;
    }
    Ok(Scan {
        expressions: out,
        placeholders,
    })
}

/// Length of a documentation placeholder such as `<YOUR_AKTO_INGESTION_SERVICE_URL>` at the
/// start of `b`: `<YOUR` and then letters, digits, `_` or `-` up to `>`. An element name never
/// looks like that in a policy.
fn placeholder_len(b: &[u8]) -> Option<usize> {
    let rest = b.strip_prefix(b"<YOUR")?;
    let body = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'-')
        .count();
    (rest.get(body) == Some(&b'>') && rest.first().is_some_and(|c| *c == b'_' || *c == b'-'))
        .then_some(5 + body + 1)
}

/// Reads the markup that starts at `lt` (a `<`), recording attribute expressions, and returns
/// the offset just past it.
fn skip_markup(src: &str, lt: usize, out: &mut Vec<Expression>) -> Result<usize, ScanError> {
    let b = src.as_bytes();
    let rest = &b[lt..];
    let skip_to = |close: &str, what: &str| -> Result<usize, ScanError> {
        find_str(b, lt, close)
            .map(|i| i + close.len())
            .ok_or_else(|| ScanError::new(lt, format!("{what} is never closed (no `{close}`)")))
    };
    if rest.starts_with(b"<!--") {
        return skip_to("-->", "comment");
    }
    if rest.starts_with(b"<![CDATA[") {
        return skip_to("]]>", "CDATA section");
    }
    if rest.starts_with(b"<?") {
        return skip_to("?>", "processing instruction");
    }
    if rest.starts_with(b"<!") || rest.starts_with(b"</") {
        return skip_to(">", "markup");
    }
    // A start tag: attribute values may hold expressions.
    let mut pos = lt + 1;
    loop {
        // The next quote or `>`, unless a `<` comes first.
        let next = memchr::memchr3(b'"', b'\'', b'>', &b[pos..]).map(|k| pos + k);
        let stop = next.unwrap_or(b.len());
        let Some(i) = find_byte(&b[..stop], pos, b'<').or(next) else {
            return Err(ScanError::new(lt, "tag is never closed (no `>`)"));
        };
        match b[i] {
            b'>' => return Ok(i + 1),
            b'<' => return Ok(i), // a broken tag; the XML parser reports it
            quote => {
                let vstart = i + 1;
                let close = find_byte(b, vstart, quote);
                if is_expr_start(b, vstart) {
                    let bound = close.unwrap_or(b.len());
                    let e = read_expression(src, vstart, bound, Place::Attribute)?;
                    let end = e.span.end;
                    out.push(e);
                    // The value should close right after the expression; if it does not, go on
                    // to the next quote and let the XML parser judge what is left.
                    pos = match b.get(end) {
                        Some(&c) if c == quote => end + 1,
                        _ => find_byte(b, end, quote)
                            .map(|q| q + 1)
                            .ok_or_else(|| ScanError::new(i, "attribute value is never closed"))?,
                    };
                } else {
                    pos = close
                        .map(|q| q + 1)
                        .ok_or_else(|| ScanError::new(i, "attribute value is never closed"))?;
                }
            }
        }
    }
}

/// Reads the expression that starts at `start` (an `@`). `bound` is where an escaped form would
/// have to end: the attribute's closing quote or the end of the element text.
fn read_expression(
    src: &str,
    start: usize,
    bound: usize,
    place: Place,
) -> Result<Expression, ScanError> {
    let b = src.as_bytes();
    let kind = if b[start + 1] == b'(' {
        Kind::Single
    } else {
        Kind::Block
    };
    // An escaped reading that closes exactly at the bound wins: it is well-formed XML.
    if let Ok(end) = lex_csharp(b, start, bound, true) {
        if end == bound {
            return Ok(Expression {
                span: start..end,
                kind,
                form: Form::Escaped,
                place,
            });
        }
    }
    let end = lex_csharp(b, start, b.len(), false).map_err(|e| ScanError {
        offset: e.offset,
        message: format!(
            "{} (inside a policy expression `@{}…{}`: is its closing `{}` missing?)",
            e.message,
            b[start + 1] as char,
            closer(b[start + 1]) as char,
            closer(b[start + 1]) as char
        ),
    })?;
    let form = if end <= bound && !has_raw_markup(&b[start..end]) {
        Form::Escaped
    } else {
        Form::Raw
    };
    Ok(Expression {
        span: start..end,
        kind,
        form,
        place,
    })
}

/// True when C# text holds characters that well-formed XML would have escaped.
fn has_raw_markup(code: &[u8]) -> bool {
    code.iter().any(|&c| c == b'<' || c == b'"')
        || code
            .iter()
            .enumerate()
            .any(|(i, &c)| c == b'&' && entity_at(code, i).is_none())
}

/// A C# lexical frame: a bracket waiting for its closer, or an interpolated string.
enum Frame {
    Bracket(u8),
    Interpolated { verbatim: bool },
}

/// Lexes C# from `start` (the `@` of `@(`/`@{`) to the bracket that closes it and returns the
/// offset just past that bracket. With `decode`, XML entities count as the characters they
/// stand for. Iterative, so nesting depth cannot overflow the stack.
fn lex_csharp(b: &[u8], start: usize, limit: usize, decode: bool) -> Result<usize, ScanError> {
    let cur = Cursor { b, limit, decode };
    let open_at = start + 1;
    let mut stack = vec![Frame::Bracket(closer(b[open_at]))];
    let mut pos = open_at + 1;
    while let Some(top) = stack.last() {
        let Some((c, next)) = cur.at(pos) else {
            return Err(ScanError::new(
                start,
                "policy expression is never closed: no matching bracket before the end",
            ));
        };
        if let Frame::Interpolated { verbatim } = *top {
            pos = match c {
                '"' if verbatim && cur.is(next, '"') => cur.after(next),
                '"' => {
                    stack.pop();
                    next
                }
                '\\' if !verbatim => cur.after(next),
                '{' if cur.is(next, '{') => cur.after(next),
                '{' => {
                    stack.push(Frame::Bracket(b'}'));
                    next
                }
                '}' if cur.is(next, '}') => cur.after(next),
                '\n' if !verbatim => {
                    return Err(ScanError::new(
                        pos,
                        "newline in interpolated string literal",
                    ))
                }
                _ => next,
            };
            continue;
        }
        pos = match c {
            '"' => cur.skip_string(pos, next, false)?,
            '@' if cur.is(next, '"') => cur.skip_string(pos, cur.after(next), true)?,
            '$' | '@' => {
                // `$"`, `$@"`, `@$"`: interpolated strings.
                let (verbatim, quote_at) = match (c, cur.at(next)) {
                    ('$', Some(('"', _))) => (false, next),
                    ('$', Some(('@', n2))) | ('@', Some(('$', n2))) if cur.is(n2, '"') => {
                        (true, n2)
                    }
                    _ => (false, usize::MAX),
                };
                if quote_at == usize::MAX {
                    next
                } else {
                    stack.push(Frame::Interpolated { verbatim });
                    cur.after(quote_at)
                }
            }
            '\'' => cur.skip_char_literal(pos, next)?,
            '/' if cur.is(next, '/') => {
                // A line comment runs to the end of the line.
                let mut p = next;
                while let Some((ch, n)) = cur.at(p) {
                    if ch == '\n' {
                        break;
                    }
                    p = n;
                }
                p
            }
            '/' if cur.is(next, '*') => {
                let mut p = cur.after(next);
                loop {
                    match cur.at(p) {
                        Some(('*', n)) if cur.is(n, '/') => break cur.after(n),
                        Some((_, n)) => p = n,
                        None => return Err(ScanError::new(pos, "comment `/*` is never closed")),
                    }
                }
            }
            '(' | '[' | '{' => {
                stack.push(Frame::Bracket(closer(c as u8)));
                next
            }
            ')' | ']' | '}' => {
                match stack.last() {
                    Some(Frame::Bracket(want)) if *want == c as u8 => {
                        stack.pop();
                    }
                    Some(Frame::Bracket(want)) => {
                        return Err(ScanError::new(
                            pos,
                            format!(
                                "unbalanced `{c}` in policy expression (expected `{}`)",
                                *want as char
                            ),
                        ))
                    }
                    _ => {}
                }
                if stack.is_empty() {
                    return Ok(next);
                }
                next
            }
            _ => next,
        };
    }
    Ok(pos)
}

fn closer(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

/// Reads characters, optionally decoding XML entities, never past `limit`.
struct Cursor<'a> {
    b: &'a [u8],
    limit: usize,
    decode: bool,
}

impl Cursor<'_> {
    /// The character at `pos` and the offset after it. Non-ASCII bytes come back one at a time
    /// as U+FFFD: only ASCII matters to the lexer.
    fn at(&self, pos: usize) -> Option<(char, usize)> {
        if pos >= self.limit || pos >= self.b.len() {
            return None;
        }
        let c = self.b[pos];
        if self.decode && c == b'&' {
            if let Some((ch, len)) = entity_at(&self.b[..self.limit], pos) {
                return Some((ch, pos + len));
            }
        }
        Some((if c.is_ascii() { c as char } else { '\u{fffd}' }, pos + 1))
    }

    fn is(&self, pos: usize, want: char) -> bool {
        matches!(self.at(pos), Some((c, _)) if c == want)
    }

    fn after(&self, pos: usize) -> usize {
        self.at(pos).map_or(pos, |(_, n)| n)
    }

    /// Skips a string literal whose body starts at `body`; returns the offset after its quote.
    fn skip_string(&self, start: usize, body: usize, verbatim: bool) -> Result<usize, ScanError> {
        let mut p = body;
        loop {
            match self.at(p) {
                Some(('"', n)) if verbatim && self.is(n, '"') => p = self.after(n),
                Some(('"', n)) => return Ok(n),
                Some(('\\', n)) if !verbatim => p = self.after(n),
                Some(('\n', _)) if !verbatim => {
                    return Err(ScanError::new(
                        start,
                        "string literal is never closed on its line",
                    ))
                }
                Some((_, n)) => p = n,
                None => return Err(ScanError::new(start, "string literal is never closed")),
            }
        }
    }

    /// Skips a char literal `'x'`, `'\n'`, `'\u0041'`.
    fn skip_char_literal(&self, start: usize, body: usize) -> Result<usize, ScanError> {
        let mut p = body;
        for _ in 0..12 {
            match self.at(p) {
                Some(('\\', n)) => p = self.after(n),
                Some(('\'', n)) => return Ok(n),
                Some(('\n', _)) | None => break,
                Some((_, n)) => p = n,
            }
        }
        Err(ScanError::new(start, "character literal is never closed"))
    }
}

/// The XML entity or character reference at `pos` (which holds `&`): its character and length.
pub fn entity_at(b: &[u8], pos: usize) -> Option<(char, usize)> {
    let rest = &b[pos..];
    for (name, ch) in [
        (&b"&quot;"[..], '"'),
        (b"&apos;", '\''),
        (b"&lt;", '<'),
        (b"&gt;", '>'),
        (b"&amp;", '&'),
    ] {
        if rest.starts_with(name) {
            return Some((ch, name.len()));
        }
    }
    let body = rest.strip_prefix(b"&#")?;
    let semi = body.iter().take(12).position(|&c| c == b';')?;
    let digits = std::str::from_utf8(&body[..semi]).ok()?;
    let code = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    Some((char::from_u32(code)?, semi + 3))
}

/// Decodes XML entities and character references; other text is kept as it is.
pub fn decode_entities(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'&', &b[i..]) {
        i += k;
        if let Some((ch, len)) = entity_at(b, i) {
            out.push_str(&text[last..i]);
            out.push(ch);
            i += len;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[last..]);
    out
}

fn is_expr_start(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b'@') && matches!(b.get(i + 1), Some(b'(' | b'{'))
}

fn find_byte(b: &[u8], from: usize, c: u8) -> Option<usize> {
    memchr::memchr(c, b.get(from..)?).map(|i| i + from)
}

fn find_str(b: &[u8], from: usize, needle: &str) -> Option<usize> {
    memchr::memmem::find(b.get(from..)?, needle.as_bytes()).map(|i| i + from)
}

fn first_non_space(b: &[u8], from: usize, to: usize) -> Option<usize> {
    (from..to).find(|&i| !b[i].is_ascii_whitespace())
}

fn trim_end(b: &[u8], from: usize, to: usize) -> usize {
    let mut end = to;
    while end > from && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(src: &str) -> Vec<(String, Form)> {
        find_expressions(src)
            .unwrap()
            .iter()
            .map(|e| (e.code(src), e.form))
            .collect()
    }

    #[test]
    fn raw_attribute_with_quotes_and_generics() {
        let src =
            r#"<when condition="@(ctx.GetValueOrDefault<string>("k", "") == ")")"><x/></when>"#;
        let got = codes(src);
        assert_eq!(
            got,
            vec![(
                r#"@(ctx.GetValueOrDefault<string>("k", "") == ")")"#.to_string(),
                Form::Raw
            )]
        );
        let m = mask(src).unwrap();
        assert_eq!(m.text.len(), src.len());
        assert!(m.text.starts_with(r#"<when condition="____"#));
        assert!(m.text.ends_with(r#"_"><x/></when>"#));
    }

    #[test]
    fn escaped_attribute_is_decoded() {
        let src = r#"<a v="@(x.Get(&quot;)&quot;) &amp;&amp; y &lt; 2)" />"#;
        assert_eq!(
            codes(src),
            vec![(r#"@(x.Get(")") && y < 2)"#.to_string(), Form::Escaped)]
        );
    }

    #[test]
    fn block_in_text_with_strings_comments_and_interpolation() {
        let src = "<set-body>\n  @{\n    // a } in a comment\n    var s = $\"{a.B(\"}\")}{{\";\n    var v = @\"x\"\"}\";\n    var c = '}';\n    /* } */ return s;\n  }\n</set-body>";
        let got = find_expressions(src).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, Kind::Block);
        assert_eq!(got[0].place, Place::Text);
        assert!(src[got[0].span.clone()].ends_with("return s;\n  }"));
    }

    #[test]
    fn unterminated_expression_is_an_error_at_its_start() {
        let src = "<a>\n@(foo(</a>";
        let err = find_expressions(src).unwrap_err();
        assert_eq!(err.offset, 4);
        assert!(err.message.contains("never closed"), "{}", err.message);
    }

    #[test]
    fn comments_and_cdata_are_skipped() {
        let src = r#"<!-- @(not "an expression --><x><![CDATA[ @( ]]></x>"#;
        assert!(find_expressions(src).unwrap().is_empty());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 100_000;
        let src = format!("<a>@({}{})</a>", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(find_expressions(&src).unwrap().len(), 1);
    }

    #[test]
    fn placeholders_are_text_not_tags() {
        let src = "<set-url>https://<YOUR_AKTO_INGESTION_SERVICE_URL>/api/ingestData</set-url>";
        let m = mask(src).unwrap();
        assert_eq!(m.placeholders.len(), 1);
        assert_eq!(
            &src[m.placeholders[0].clone()],
            "<YOUR_AKTO_INGESTION_SERVICE_URL>"
        );
        assert!(!m.text.contains("<YOUR"));
    }

    #[test]
    fn masking_keeps_every_offset_line_break_and_the_text_between() {
        // Expressions over several lines (LF and CRLF), longer than one run of filler, with
        // characters of several bytes; a placeholder; a byte-order mark.
        let expr = format!(
            "@{{\r\n  var s = \"é€{}\";\n  return s;\r\n}}",
            "x".repeat(150)
        );
        let src =
            format!("\u{feff}<a v=\"@(1 &lt; 2)\">\n<b>{expr}</b><u>https://<YOUR_URL>/p</u></a>");
        let m = mask(&src).unwrap();
        assert_eq!(m.text.len(), src.len());
        assert!(m.text.starts_with("   <a v=\""), "{}", m.text);
        for (i, (a, b)) in src.bytes().zip(m.text.bytes()).enumerate() {
            let masked = m.expressions.iter().any(|e| e.span.contains(&i))
                || m.placeholders.iter().any(|p| p.contains(&i));
            if i < 3 {
                assert_eq!(b, b' ');
            } else if masked && a != b'\n' && a != b'\r' {
                assert_eq!(b, b'_', "byte {i}");
            } else {
                assert_eq!(a, b, "byte {i}");
            }
        }
        assert_eq!(m.expressions.len(), 2);
        assert_eq!(m.placeholders.len(), 1);
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("a&lt;b&#x41;&#66;&amp;&bogus;"),
            "a<bAB&&bogus;"
        );
    }
}
