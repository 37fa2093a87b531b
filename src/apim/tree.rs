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
    Element(Element),
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
            Node::Element(e) => Some(e),
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

/// Reads policy text (rawxml or xml form) into a tree.
pub fn read(src: &str) -> Result<Document, ReadError> {
    let masked = dialect::mask(src)?;
    let root = build(&masked.text)?;
    Ok(Document {
        root,
        expressions: masked.expressions,
        placeholders: masked.placeholders,
    })
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
    loop {
        let before = pos(reader.buffer_position());
        let event = reader.read_event().map_err(|e| {
            let at = pos(reader.error_position());
            err(at, describe_xml_error(&e))
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
                let element = Element {
                    name: String::from_utf8_lossy(s.name().as_ref()).into_owned(),
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
                Node::Element(element)
            }
            Event::End(_) => {
                let Some(mut done) = stack.pop() else {
                    return Err(err(before, "an end tag with no start tag"));
                };
                done.end_span = Some(before..after);
                Node::Element(done)
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
                    root = Some(e);
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

fn attributes(
    text: &str,
    start: &quick_xml::events::BytesStart<'_>,
    tag_at: usize,
) -> Result<Vec<Attribute>, ReadError> {
    let base = text.as_ptr() as usize;
    let mut out = Vec::new();
    // Duplicates are found with a set: quick-xml's own check compares every pair.
    let mut seen = std::collections::HashSet::new();
    for a in start.attributes().with_checks(false) {
        let a = a.map_err(|e| err(tag_at, format!("bad attribute: {e}")))?;
        let name = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let name_at = a.key.as_ref().as_ptr() as usize - base;
        let value_at = match &a.value {
            std::borrow::Cow::Borrowed(v) => v.as_ptr() as usize - base,
            // quick-xml borrows from a &str input; an owned value would be a change there.
            std::borrow::Cow::Owned(_) => return Err(err(tag_at, "unreadable attribute value")),
        };
        if !seen.insert(name.clone()) {
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

fn describe_xml_error(e: &quick_xml::Error) -> String {
    use quick_xml::errors::{IllFormedError, SyntaxError};
    match e {
        quick_xml::Error::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
            format!("end tag </{found}> does not match the open <{expected}>")
        }
        quick_xml::Error::IllFormed(IllFormedError::UnmatchedEndTag(name)) => {
            format!("end tag </{name}> has no matching start tag")
        }
        quick_xml::Error::IllFormed(IllFormedError::DoubleHyphenInComment) => {
            "`--` inside a comment: a comment may not contain `--` (is an earlier comment missing its `-->`?)".to_string()
        }
        quick_xml::Error::Syntax(SyntaxError::UnclosedTag) => "a tag is never closed".to_string(),
        other => other.to_string(),
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
    fn unclosed_root_is_reported() {
        let e = read("<policies><inbound>").unwrap_err();
        assert!(e.message.contains("never closed"), "{}", e.message);
    }
}
