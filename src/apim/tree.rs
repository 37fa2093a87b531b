//! A policy document as a tree with exact byte spans.
//!
//! Built by masking the policy expressions (see [`super::dialect`]) and reading the masked text
//! with quick-xml, so raw C# inside attributes and text does not trip the XML reader and every
//! span points into the original text. Values are decoded from the original text on demand.
//!
//! Not for: deciding what is right or wrong in a policy (that is lint's job).

use std::ops::Range;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::dialect::{self, Expression};

/// Why a policy could not be read; `offset` is a byte offset into the policy text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReadError {
    pub offset: usize,
    pub message: String,
}

impl From<dialect::ScanError> for ReadError {
    fn from(e: dialect::ScanError) -> Self {
        Self {
            offset: e.offset,
            message: e.message,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub name_span: Range<usize>,
    /// The value between the quotes.
    pub value_span: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum Node {
    /// Boxed, so the text nodes between elements (most nodes of a policy) stay small.
    Element(Box<Element>),
    Text(Range<usize>),
    CData(Range<usize>),
    Comment(Range<usize>),
}

#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    /// The start tag (or the whole empty-element tag), `<` to `>`.
    pub span: Range<usize>,
    pub attributes: Vec<Attribute>,
    pub children: Vec<Node>,
    /// The end tag, `</…>`; `None` for an empty-element tag (`<x />`).
    pub end_span: Option<Range<usize>>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(&**e),
            _ => None,
        })
    }

    /// Every element below this one, depth first, in document order.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack: Vec<&Element> = self.elements().collect();
        stack.reverse();
        while let Some(e) = stack.pop() {
            out.push(e);
            let before = stack.len();
            stack.extend(e.elements());
            stack[before..].reverse();
        }
        out
    }
}

/// A read policy document.
#[derive(Debug, Clone)]
pub struct Document {
    pub root: Element,
    pub expressions: Vec<Expression>,
    /// The documentation's `<YOUR_…>` placeholders, read as text.
    pub placeholders: Vec<Range<usize>>,
}

impl Document {
    /// The decoded value of an attribute: the expression's C# when the value is one, otherwise
    /// the text with entities decoded.
    pub fn attr_value(&self, src: &str, attr: &Attribute) -> String {
        self.decoded(src, attr.value_span.clone())
    }

    /// The decoded text content of an element (text and CDATA children, concatenated).
    pub fn text(&self, src: &str, element: &Element) -> String {
        let mut out = String::new();
        for n in &element.children {
            match n {
                Node::Text(r) => out.push_str(&self.decoded(src, r.clone())),
                Node::CData(r) => out.push_str(&src[r.start + 9..r.end - 3]),
                _ => {}
            }
        }
        out
    }

    fn decoded(&self, src: &str, range: Range<usize>) -> String {
        let mut out = String::new();
        let mut at = range.start;
        for e in &self.expressions {
            if e.span.start >= range.start && e.span.end <= range.end {
                out.push_str(&dialect::decode_entities(&src[at..e.span.start]));
                out.push_str(&e.code(src));
                at = e.span.end;
            }
        }
        out.push_str(&dialect::decode_entities(&src[at..range.end]));
        out
    }
}

/// Whether an attribute or text value is literal: not a policy expression, no named value.
pub fn is_literal(value: &str) -> bool {
    let v = value.trim();
    !(v.starts_with("@(") || v.starts_with("@{") || v.contains("{{"))
}

/// The whole element, start tag to end tag.
pub fn full_span(e: &Element) -> Range<usize> {
    e.span.start..e.end_span.as_ref().map_or(e.span.end, |s| s.end)
}

/// The range of an element's text content (between its tags), or the whole element when it
/// has none.
pub fn text_span(e: &Element) -> Range<usize> {
    match (e.children.first(), e.children.last()) {
        (Some(first), Some(last)) if e.end_span.is_some() => {
            let start = match first {
                Node::Element(x) => x.span.start,
                Node::Text(r) | Node::CData(r) | Node::Comment(r) => r.start,
            };
            let end = match last {
                Node::Element(x) => full_span(x).end,
                Node::Text(r) | Node::CData(r) | Node::Comment(r) => r.end,
            };
            start..end
        }
        _ => full_span(e),
    }
}

/// Reads policy text (rawxml or xml form) into a tree.
pub fn read(src: &str) -> Result<Document, ReadError> {
    let masked = dialect::mask(src)?;
    check_xml_text(&masked.text)?;
    let root = build(&masked.text)?;
    Ok(Document {
        root,
        expressions: masked.expressions,
        placeholders: masked.placeholders,
    })
}

/// What APIM adds to every message about text it refuses outside expressions.
const OUTSIDE_EXPRESSIONS: &str =
    "outside @(…) and @{…} expressions APIM reads a policy as XML and refuses to save this";

/// Refuses what .NET's XML reader refuses in the text between expressions (which are masked):
/// control characters, a bare `&`, an entity XML does not define, a raw `<` that starts no
/// tag, a raw `<` in an attribute value. Linear; markup it cannot follow is left to the XML
/// reader's own errors.
fn check_xml_text(text: &str) -> Result<(), ReadError> {
    let b = text.as_bytes();
    // On bytes: a control character is one ASCII byte; U+FFFE and U+FFFF are EF BF BE/BF.
    let at = |i: usize| {
        let c = b[i];
        if c < b' ' && !matches!(c, b'\t' | b'\n' | b'\r') {
            Some((i, char::from(c)))
        } else if c == 0xEF
            && b.get(i + 1) == Some(&0xBF)
            && matches!(b.get(i + 2), Some(0xBE | 0xBF))
        {
            text[i..].chars().next().map(|ch| (i, ch))
        } else {
            None
        }
    };
    // Blocks without a byte below a space or an 0xEF are passed over whole: the test over a
    // block has no branch, so it runs on vector instructions.
    const BLOCK: usize = 32;
    let bad = (0..b.len())
        .step_by(BLOCK)
        .filter(|&s| {
            b[s..(s + BLOCK).min(b.len())]
                .iter()
                .fold(false, |any, &c| {
                    any | ((c < b' ') & (c != b'\t') & (c != b'\n') & (c != b'\r')) | (c == 0xEF)
                })
        })
        .find_map(|s| (s..(s + BLOCK).min(b.len())).find_map(at));
    if let Some((i, c)) = bad {
        return Err(err(
            i,
            format!(
                "control character U+{:04X} is not allowed in a policy: remove it ({OUTSIDE_EXPRESSIONS})",
                c as u32
            ),
        ));
    }
    let skip_past = |from: usize, close: &str| -> Option<usize> {
        memchr::memmem::find(b.get(from..)?, close.as_bytes()).map(|i| from + i + close.len())
    };
    let mut pos = 0;
    while let Some(k) = memchr::memchr2(b'&', b'<', &b[pos..]) {
        pos += k;
        match b[pos] {
            b'&' => {
                check_reference(text, pos, "text")?;
                pos += 1;
            }
            b'<' => {
                let rest = &b[pos + 1..];
                let end = if b[pos..].starts_with(b"<!--") {
                    skip_past(pos + 4, "-->")
                } else if b[pos..].starts_with(b"<![CDATA[") {
                    skip_past(pos + 9, "]]>")
                } else if rest.first() == Some(&b'?') {
                    skip_past(pos + 2, "?>")
                } else if matches!(rest.first(), Some(b'!' | b'/')) {
                    skip_past(pos + 2, ">")
                } else if rest.first().is_some_and(|&c| {
                    c.is_ascii_alphabetic() || c == b'_' || c == b':' || c >= 0x80
                }) {
                    check_start_tag(text, pos)?
                } else {
                    return Err(err(
                        pos,
                        format!(
                            "a raw `<` in text that starts no tag: write it as `&lt;` ({OUTSIDE_EXPRESSIONS})"
                        ),
                    ));
                };
                // Markup that never closes is the XML reader's to report.
                let Some(end) = end else { return Ok(()) };
                pos = end;
            }
            _ => pos += 1,
        }
    }
    Ok(())
}

/// Checks the attribute values of the start tag at `lt`; returns the offset past its `>`
/// (`None` when the tag does not close as expected: the XML reader reports that).
fn check_start_tag(text: &str, lt: usize) -> Result<Option<usize>, ReadError> {
    let b = text.as_bytes();
    let mut pos = lt + 1;
    while pos < b.len() {
        match b[pos] {
            b'>' => return Ok(Some(pos + 1)),
            b'<' => return Ok(None),
            q @ (b'"' | b'\'') => {
                let Some(close) = b[pos + 1..].iter().position(|&c| c == q) else {
                    return Ok(None);
                };
                let value = pos + 1..pos + 1 + close;
                let marks = memchr::memchr2_iter(b'<', b'&', &b[value.clone()]);
                for i in marks.map(|k| value.start + k) {
                    match b[i] {
                        b'<' => {
                            let placeholder = b[i..value.end].starts_with(b"<YOUR");
                            return Err(err(
                                i,
                                format!(
                                    "a raw `<` in an attribute value: write it as `&lt;`{} ({OUTSIDE_EXPRESSIONS})",
                                    if placeholder {
                                        ", or rather put the real value in place of this placeholder"
                                    } else {
                                        ""
                                    }
                                ),
                            ));
                        }
                        b'&' => check_reference(text, i, "an attribute value")?,
                        _ => {}
                    }
                }
                pos = value.end + 1;
            }
            _ => pos += 1,
        }
    }
    Ok(None)
}

/// Checks that the `&` at `at` starts an entity or character reference XML defines.
fn check_reference(text: &str, at: usize, place: &str) -> Result<(), ReadError> {
    let b = text.as_bytes();
    if let Some((c, _)) = dialect::entity_at(b, at) {
        let allowed =
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'));
        if allowed {
            return Ok(());
        }
        return Err(err(
            at,
            format!(
                "a character reference to U+{:04X}, a character XML does not allow: remove it ({OUTSIDE_EXPRESSIONS})",
                c as u32
            ),
        ));
    }
    // `&name;`: a name XML does not define (HTML's `&nbsp;`, `&copy;` …).
    let name_len = b[at + 1..]
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'#'))
        .count();
    if name_len > 0 && b.get(at + 1 + name_len) == Some(&b';') {
        let name = &text[at..at + name_len + 2];
        return Err(err(
            at,
            format!(
                "`{name}` in {place} is not an XML entity: write the character itself or a numeric reference such as `&#160;` (XML names only `&lt;` `&gt;` `&amp;` `&quot;` `&apos;`; {OUTSIDE_EXPRESSIONS})"
            ),
        ));
    }
    Err(err(
        at,
        format!("a bare `&` in {place}: write it as `&amp;` ({OUTSIDE_EXPRESSIONS})"),
    ))
}

fn err(offset: usize, message: impl Into<String>) -> ReadError {
    ReadError {
        offset,
        message: message.into(),
    }
}

/// Elements nested deeper than this are refused: real policies nest a dozen deep, and a tree
/// this deep would make every recursive consumer (dropping, cloning, printing) a risk.
pub const MAX_DEPTH: usize = 1000;

/// Documents with more elements than this are refused while they are read: APIM takes at most
/// 256 KiB per policy ([`super::MAX_POLICY_BYTES`]), room for at most 65,536 elements (`<a/>`
/// is four bytes), so twice that is no policy APIM accepts, and the tree of a larger file
/// (each element and text node over 100 bytes in memory) is never built.
pub const MAX_ELEMENTS: usize = 131_072;

/// Builds the element tree from masked text, iteratively (deep nesting cannot overflow).
fn build(text: &str) -> Result<Element, ReadError> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.expand_empty_elements = false;
    config.trim_text(false);

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let before = pos(reader.buffer_position());
        let event = reader.read_event().map_err(|e| {
            let at = pos(reader.error_position());
            let open = stack
                .last()
                .map(|o| (o.name.as_str(), line_of(text, o.span.start)));
            err(at, describe_xml_error(&e, open))
        })?;
        let after = pos(reader.buffer_position());
        let node = match event {
            Event::Start(ref s) | Event::Empty(ref s) => {
                if root.is_some() {
                    return Err(err(
                        before,
                        "a second root element: a policy has exactly one",
                    ));
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(err(
                        before,
                        format!(
                            "more than {MAX_ELEMENTS} elements: a file this large is not read (APIM takes at most 256 KiB per policy, room for at most 65,536 elements)"
                        ),
                    ));
                }
                let element = Element {
                    name: owned_name(s.name().as_ref()),
                    span: before..after,
                    attributes: attributes(text, s, before)?,
                    children: Vec::new(),
                    end_span: None,
                };
                if matches!(event, Event::Start(_)) {
                    if stack.len() >= MAX_DEPTH {
                        return Err(err(
                            before,
                            format!(
                                "elements nested more than {MAX_DEPTH} deep: a policy this deep is not read (real policies nest a few levels)"
                            ),
                        ));
                    }
                    stack.push(element);
                    continue;
                }
                Node::Element(Box::new(element))
            }
            Event::End(_) => {
                let Some(mut done) = stack.pop() else {
                    return Err(err(before, "an end tag with no start tag"));
                };
                done.end_span = Some(before..after);
                Node::Element(Box::new(done))
            }
            Event::Text(_) => {
                if stack.is_empty() && !text[before..after].trim().is_empty() {
                    return Err(err(
                        before + text[before..after].len() - text[before..after].trim_start().len(),
                        "text outside the root element",
                    ));
                }
                Node::Text(before..after)
            }
            Event::CData(_) => Node::CData(before..after),
            Event::Comment(_) => Node::Comment(before..after),
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
            Event::Eof => break,
        };
        match stack.last_mut() {
            Some(parent) => parent.children.push(node),
            None => {
                if let Node::Element(e) = node {
                    root = Some(*e);
                }
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(err(
            open.span.start,
            format!("<{}> is never closed", open.name),
        ));
    }
    root.ok_or_else(|| err(0, "no root element: the text holds no policy"))
}

/// A name from the reader as a `String`: the text is a `str` cut at ASCII, so the bytes are
/// UTF-8 and the checked conversion, quicker than the lossy one, always succeeds.
fn owned_name(b: &[u8]) -> String {
    std::str::from_utf8(b).map_or_else(|_| String::from_utf8_lossy(b).into_owned(), str::to_owned)
}

fn attributes(
    text: &str,
    start: &quick_xml::events::BytesStart<'_>,
    tag_at: usize,
) -> Result<Vec<Attribute>, ReadError> {
    let base = text.as_ptr() as usize;
    let mut out: Vec<Attribute> = Vec::new();
    // Duplicates: a look back over the few attributes a tag has, a set past that (quick-xml's
    // own check compares every pair, which a hostile tag makes quadratic).
    const FEW: usize = 16;
    let mut seen = std::collections::HashSet::new();
    for a in start.attributes().with_checks(false) {
        let a = a.map_err(|e| {
            err(
                tag_at,
                describe_xml_error(&quick_xml::Error::InvalidAttr(e), None),
            )
        })?;
        let name = owned_name(a.key.as_ref());
        let name_at = a.key.as_ref().as_ptr() as usize - base;
        let value_at = match &a.value {
            std::borrow::Cow::Borrowed(v) => v.as_ptr() as usize - base,
            // quick-xml borrows from a &str input; an owned value would be a change there.
            std::borrow::Cow::Owned(_) => return Err(err(tag_at, "unreadable attribute value")),
        };
        let twice = if out.len() < FEW {
            out.iter().any(|a| a.name == name)
        } else {
            if seen.is_empty() {
                seen.extend(out.iter().map(|a| a.name.clone()));
            }
            !seen.insert(name.clone())
        };
        if twice {
            return Err(err(name_at, format!("attribute `{name}` appears twice")));
        }
        out.push(Attribute {
            name_span: name_at..name_at + a.key.as_ref().len(),
            value_span: value_at..value_at + a.value.len(),
            name,
        });
    }
    Ok(out)
}

fn pos(p: u64) -> usize {
    usize::try_from(p).unwrap_or(usize::MAX)
}

/// The 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
        + 1
}

/// The XML reader's error in the user's terms; `open` is the innermost open element and the
/// line of its start tag.
fn describe_xml_error(e: &quick_xml::Error, open: Option<(&str, usize)>) -> String {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    use quick_xml::events::attributes::AttrError;
    match e {
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            let line = open.map_or(String::new(), |(_, l)| format!(" (opened on line {l})"));
            format!(
                "end tag </{found}> does not match the open <{expected}>{line}: close <{expected}> with </{expected}> first, or check whether <{expected}> was written where </{expected}> was meant"
            )
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("end tag </{name}> has no matching start tag")
        }
        quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(name)) => match open {
            Some((_, line)) => format!("<{name}> (line {line}) is never closed"),
            None => format!("<{name}> is never closed"),
        },
        quick_xml::Error::IllFormed(IllFormedError::DoubleHyphenInComment) => {
            "`--` inside a comment: a comment may not contain `--` (is an earlier comment missing its `-->`?)".to_string()
        }
        quick_xml::Error::IllFormed(_) => {
            "a malformed XML declaration or DOCTYPE: remove it (a policy needs neither)".to_string()
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedTag) => {
            "a tag is never closed: its `>` is missing".to_string()
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedComment) => {
            "a comment is never closed: its `-->` is missing".to_string()
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedCData) => {
            "a CDATA section is never closed: its `]]>` is missing".to_string()
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedPIOrXmlDecl) => {
            "an XML declaration or processing instruction is never closed: its `?>` is missing"
                .to_string()
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedDoctype) => {
            "a DOCTYPE is never closed: its `>` is missing".to_string()
        }
        quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup) => {
            "`<!` starts neither a comment `<!--` nor a CDATA section `<![CDATA[`".to_string()
        }
        quick_xml::Error::InvalidAttr(a) => match a {
            AttrError::ExpectedEq(_) | AttrError::ExpectedValue(_) => {
                "an attribute without `=\"value\"`: write name=\"value\" (or, in text, write a raw `<` as `&lt;`)".to_string()
            }
            AttrError::UnquotedValue(_) | AttrError::ExpectedQuote(..) => {
                "an attribute value without quotes: write name=\"value\"".to_string()
            }
            AttrError::Duplicated(..) => "an attribute appears twice in one tag".to_string(),
        },
        _ => "the text cannot be read as a policy here".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_raw_policy_with_spans() {
        let src = "<policies>\n  <inbound>\n    <base />\n    <set-variable name=\"x\" value=\"@(a(&quot;b&quot;) + &quot;&lt;&quot;)\" />\n  </inbound>\n</policies>";
        let doc = read(src).unwrap();
        assert_eq!(doc.root.name, "policies");
        let inbound = doc.root.elements().next().unwrap();
        assert_eq!(&src[inbound.span.clone()], "<inbound>");
        let names: Vec<_> = inbound.elements().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["base", "set-variable"]);
        let sv = inbound.elements().nth(1).unwrap();
        let v = doc.attr_value(src, sv.attr("value").unwrap());
        assert_eq!(v, "@(a(\"b\") + \"<\")");
    }

    #[test]
    fn reports_mismatched_end_tag_where_it_is() {
        let src = "<policies>\n<inbound>\n</outbound>\n</policies>";
        let e = read(src).unwrap_err();
        assert_eq!(e.offset, src.find("</outbound>").unwrap());
        assert!(e.message.contains("does not match"), "{}", e.message);
    }

    #[test]
    fn refuses_what_apim_refuses_outside_expressions_in_user_terms() {
        for (src, at, says) in [
            (
                r#"<a u="<YOUR PTU URL>" />"#,
                "<YOUR",
                "raw `<` in an attribute value",
            ),
            (r#"<a u="?a=1&b=2" />"#, "&b", "bare `&`"),
            (
                "<a>x&nbsp;y</a>",
                "&nbsp;",
                "`&nbsp;` in text is not an XML entity",
            ),
            ("<a>x\u{1}y</a>", "\u{1}", "control character U+0001"),
            ("<a>x\u{FFFF}y</a>", "\u{FFFF}", "U+FFFF"),
            ("<a>1 < 2</a>", "< 2", "write it as `&lt;`"),
            ("<a>&#1;</a>", "&#1;", "U+0001"),
        ] {
            let e = read(src).unwrap_err();
            assert_eq!(e.offset, src.find(at).unwrap(), "{src}: {}", e.message);
            assert!(e.message.contains(says), "{src}: {}", e.message);
            assert!(!e.message.contains("position"), "{}", e.message);
        }
        // Inside expressions the same characters are C#, and entities are fine everywhere.
        let ok = r#"<a v="@(1 < 2 && x)" w="a&amp;b&#160;&lt;">@{ return "<&>"; }</a>"#;
        assert!(read(ok).is_ok(), "{:?}", read(ok).err());
    }

    #[test]
    fn the_first_bad_character_is_found_wherever_it_falls_in_the_blocks_scanned() {
        // The check passes over 32-byte blocks; the first offending character is reported,
        // at every offset around the block edges, with tabs, line breaks and U+F8FF (an EF
        // lead byte that is allowed) around it.
        for lead in 0..70 {
            for bad in ['\u{1}', '\u{1F}', '\u{FFFE}'] {
                let filler = "\t\n\u{F8FF}x"
                    .repeat(lead)
                    .chars()
                    .take(lead)
                    .collect::<String>();
                let src = format!("<a>{filler}{bad}y\u{2}</a>");
                let e = read(&src).unwrap_err();
                assert_eq!(e.offset, 3 + filler.len(), "{src:?}: {}", e.message);
            }
        }
    }

    #[test]
    fn a_repeated_attribute_is_found_among_few_and_among_many() {
        for n in [2, 15, 16, 17, 40] {
            let attrs: String = (0..n).map(|i| format!(" a{i}=\"1\"")).collect();
            let src = format!("<p{attrs} a{}=\"2\" />", n - 1);
            let e = read(&src).unwrap_err();
            assert!(
                e.message.contains(&format!("`a{}` appears twice", n - 1)),
                "{n}: {}",
                e.message
            );
            assert_eq!(e.offset, src.rfind(&format!("a{}=", n - 1)).unwrap());
            let fine = format!("<p{attrs} />");
            assert!(read(&fine).is_ok(), "{n}");
        }
    }

    #[test]
    fn mismatched_close_names_the_line_of_the_open_tag() {
        let src = "<policies>\n<outbound>\n<base />\n<outbound>\n<x />\n</policies>";
        let e = read(src).unwrap_err();
        assert!(e.message.contains("opened on line 4"), "{}", e.message);
    }

    #[test]
    fn too_deep_is_refused_not_overflowed() {
        let src = format!("<p>{}{}</p>", "<a>".repeat(5000), "</a>".repeat(5000));
        let e = read(&src).unwrap_err();
        assert!(e.message.contains("nested more than 1000"), "{}", e.message);
    }

    #[test]
    fn more_elements_than_any_policy_holds_are_refused_while_reading() {
        let at_cap = format!("<p>{}</p>", "<a/>".repeat(MAX_ELEMENTS - 1));
        assert!(read(&at_cap).is_ok());
        let over = format!("<p>{}</p>", "<a/>".repeat(MAX_ELEMENTS));
        let e = read(&over).unwrap_err();
        assert!(
            e.message.contains("more than 131072 elements"),
            "{}",
            e.message
        );
        // Where the first element past the cap starts.
        assert_eq!(e.offset, 3 + 4 * (MAX_ELEMENTS - 1));
    }

    #[test]
    fn unclosed_root_is_reported() {
        let e = read("<policies><inbound>").unwrap_err();
        assert!(e.message.contains("never closed"), "{}", e.message);
    }
}
