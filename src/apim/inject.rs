//! Adds the capture to an existing policy document, leaving every other byte as it was.
//!
//! The capture goes in `<inbound>` right after `<base />` (first when there is none), last in
//! `<outbound>`, so the record holds the response the client receives, and (unless failed calls
//! are left out) last in `<on-error>` when the policy has that section, so a call that fails is
//! recorded once too. Inserted lines follow the
//! file's own indentation and line endings. A previous capture (see [`super::capture_detect`])
//! is taken out first and the new one goes where it stood (on a line of its own; else in the
//! usual place), so running this on its own output changes nothing and running it with other
//! options replaces the capture where it stands, even where the user moved it in its section.
//!
//! Not for: deciding whether the rest of the policy is right (lint does that).

use std::ops::Range;

use super::capture::{indent, Steps};
use super::capture_detect::{self, element_span};
use super::tree::{self, Element};
pub use super::MAX_POLICY_BYTES;

/// Why a policy cannot take the capture; `offset` points into the input where it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InjectError {
    /// The reader's message at a byte offset.
    Unreadable { offset: usize, message: String },
    /// The root is `<fragment>`: the capture goes into policies, not fragments.
    Fragment,
    /// The root is neither `<policies>` nor `<fragment>`.
    NotPolicies { offset: usize, root: String },
    /// A capture step stands inside another element of a section (`within`, starting at
    /// `within_offset`), where it cannot be replaced in place; `offset` is the step's start.
    Nested {
        offset: usize,
        step: String,
        section: String,
        within: String,
        within_offset: usize,
    },
    /// The result would exceed [`MAX_POLICY_BYTES`].
    TooLarge { bytes: usize },
    /// The result did not read back as a policy holding the capture (a bug).
    Internal(String),
}

/// The policy with the capture, and what the user should be told.
#[derive(Debug, Clone)]
pub struct Injected {
    pub text: String,
    /// Sections that were added (`<inbound>`/`<outbound>`), for a note on stderr.
    pub added_sections: Vec<&'static str>,
    /// Whether a previous capture was found (and replaced).
    pub replaced: bool,
    /// Capture steps left where they stand, outside `<inbound>`/`<outbound>`: (offset in the
    /// input, section).
    pub kept: Vec<(usize, String)>,
    /// The non-empty `regexList` of a replaced capture from Akto's documented policy.
    pub legacy_patterns: Option<String>,
}

/// Adds `steps` to the policy `src`; `with_base` says whether a section that has to be added
/// gets `<base />` (not at global scope, which has no parent).
pub fn inject(src: &str, steps: &Steps, with_base: bool) -> Result<Injected, InjectError> {
    let doc = tree::read(src).map_err(|e| InjectError::Unreadable {
        offset: e.offset,
        message: e.message,
    })?;
    match doc.root.name.as_str() {
        "policies" => {}
        "fragment" => return Err(InjectError::Fragment),
        other => {
            return Err(InjectError::NotPolicies {
                offset: doc.root.span.start,
                root: other.to_string(),
            })
        }
    }
    if doc.root.end_span.is_none() {
        return expand_empty(src, &doc.root, steps, with_base);
    }
    let managed_section =
        |s: &capture_detect::Step| matches!(s.section.as_deref(), Some("inbound" | "outbound"));
    // Nested steps in <backend>/<on-error> are the user's (kept below); in <inbound> or
    // <outbound> they would be captured twice.
    let (nested, nested_elsewhere): (Vec<_>, Vec<_>) = capture_detect::nested(&doc, src)
        .into_iter()
        .partition(|n| managed_section(&n.step));
    if let Some(n) = nested.first() {
        let start = n.step.span.start;
        let tag_end = src[start..]
            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .map_or(start, |i| start + i);
        return Err(InjectError::Nested {
            offset: start,
            step: src[start + 1..tag_end].to_string(),
            section: n.step.section.clone().unwrap_or_default(),
            within: n.within.clone(),
            within_offset: n.within_offset,
        });
    }
    let previous = capture_detect::detect(&doc, src);
    let replaced = !previous.is_empty();
    // Only what --into places is replaced: in <inbound> and <outbound>, and in <on-error> when
    // failed calls are captured (a capture copied there by hand, or ours, is replaced, so the
    // call is recorded once). A capture step in <backend> stays as it is, and one in
    // <on-error> too when failed calls are not captured (--no-on-error).
    let on_error = !steps.on_error.is_empty();
    let replaced_here = |s: &&capture_detect::Step| {
        managed_section(s) || (on_error && s.section.as_deref() == Some("on-error"))
    };
    let (managed, kept): (Vec<_>, Vec<_>) = previous.steps.iter().partition(replaced_here);
    let mut kept: Vec<(usize, String)> = kept
        .iter()
        .map(|s| (s.span.start, s.section.clone().unwrap_or_default()))
        .chain(nested_elsewhere.iter().map(|n| {
            (
                n.step.span.start,
                n.step.section.clone().unwrap_or_default(),
            )
        }))
        .collect();
    kept.sort();
    // The path patterns of a replaced capture from Akto's documented policy (`regexList`): the
    // new capture takes its patterns from the options, so the user is told what was there.
    let legacy_patterns = managed
        .iter()
        .filter(|s| s.kind == capture_detect::StepKind::RegexList)
        .find_map(|s| {
            doc.root
                .descendants()
                .into_iter()
                .find(|e| e.span.start == s.span.start)
                .filter(|e| {
                    e.attr("name")
                        .is_some_and(|a| doc.attr_value(src, a) == "regexList")
                })
                .and_then(|e| e.attr("value").map(|a| doc.attr_value(src, a)))
        })
        .filter(|v| !v.trim().is_empty());
    let mut removals: Vec<(Range<usize>, bool, &str)> = managed
        .iter()
        .map(|s| {
            let (range, whole) = whole_lines(src, s.span.clone());
            (range, whole, s.section.as_deref().unwrap_or_default())
        })
        .collect();
    removals.sort_by_key(|(r, _, _)| r.start);
    // Where each section's previous capture started (a line of its own), in the stripped text,
    // with its indentation: the new capture goes there, so one the user placed elsewhere in the
    // section (after their own steps, say) stays where they put it.
    let mut anchors: Vec<(&str, usize, String)> = Vec::new();
    let mut stripped = String::with_capacity(src.len());
    let mut at = 0;
    for (r, whole, section) in removals {
        if r.start < at {
            continue;
        }
        stripped.push_str(&src[at..r.start]);
        if whole && !anchors.iter().any(|(s, _, _)| *s == section) {
            let indent = src[r.start..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect::<String>();
            anchors.push((section, stripped.len(), indent));
        }
        at = r.end;
    }
    stripped.push_str(&src[at..]);

    let doc = tree::read(&stripped).map_err(|e| {
        InjectError::Internal(format!(
            "the policy without its previous capture does not read: {e}"
        ))
    })?;
    let unit = indent_unit(&stripped, &doc.root);
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut added_sections = Vec::new();
    // Each insertion uses the line ending of the place it goes (as `lint --fix` does), so a
    // file with mixed endings, or CR alone, keeps its own around every edit.
    let layout_at = |offset: usize| Layout {
        src: &stripped,
        eol: eol_at(&stripped, offset),
        unit: &unit,
    };
    for (section, body, first) in [
        ("inbound", &steps.inbound, true),
        ("outbound", &steps.outbound, false),
        ("on-error", &steps.on_error, false),
    ] {
        // A policy without <on-error> keeps none: one is not added for the capture, so that
        // removing the capture gives the policy back as it was (APIM's own documents and ours
        // always have the section).
        let missing = doc.root.elements().all(|e| e.name != section);
        if body.is_empty() || (section == "on-error" && missing) {
            continue;
        }
        let anchor = anchors.iter().find(|(s, _, _)| *s == section);
        match (doc.root.elements().find(|e| e.name == section), anchor) {
            (Some(_), Some((_, offset, indent))) => {
                edits.push((*offset..*offset, layout_at(*offset).lines(body, indent)));
            }
            (Some(e), None) => edits.push(layout_at(e.span.end).add_to_section(e, body, first)),
            (None, _) => {
                let l = layout_at(doc.root.span.end);
                edits.push(l.new_section(&doc.root, section, body, with_base));
                added_sections.push(section);
            }
        }
    }
    // Stable: an inbound and an outbound added at the same place keep that order.
    edits.sort_by_key(|(range, _)| range.start);
    let mut text = String::with_capacity(stripped.len() + 8192);
    let mut at = 0;
    for (range, insert) in &edits {
        text.push_str(&stripped[at..range.start]);
        text.push_str(insert);
        at = range.end;
    }
    text.push_str(&stripped[at..]);

    let mut done = finish(text, added_sections, replaced)?;
    done.kept = kept;
    done.legacy_patterns = legacy_patterns;
    Ok(done)
}

/// The size limit and the read-back every result goes through.
fn finish(
    text: String,
    added_sections: Vec<&'static str>,
    replaced: bool,
) -> Result<Injected, InjectError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(InjectError::TooLarge { bytes: text.len() });
    }
    let back = tree::read(&text)
        .map_err(|e| InjectError::Internal(format!("the result does not read: {e}")))?;
    if !capture_detect::detect(&back, &text).is_complete() {
        return Err(InjectError::Internal(
            "the capture is not recognised in the result".to_string(),
        ));
    }
    Ok(Injected {
        text,
        added_sections,
        replaced,
        kept: Vec::new(),
        legacy_patterns: None,
    })
}

/// `<policies />` (an empty policy, as extractors write one) opened up into the four sections:
/// `<base />` in each below global scope; at global scope the backend forwards the request,
/// as APIM's default global policy does. The tag's attributes and everything around it stay.
fn expand_empty(
    src: &str,
    root: &Element,
    steps: &Steps,
    with_base: bool,
) -> Result<Injected, InjectError> {
    let eol = eol_at(src, root.span.start);
    let unit = "    ";
    let outer = line_indent(src, root.span.start).unwrap_or("");
    let section_indent = format!("{outer}{unit}");
    let inner = format!("{section_indent}{unit}");
    let layout = Layout { src, eol, unit };
    let tag = &src[root.span.clone()];
    let open = tag
        .strip_suffix("/>")
        .map_or(tag, |t| t.trim_end_matches([' ', '\t', '\r', '\n']));
    let mut text = format!("{open}>{eol}");
    for section in super::SECTIONS {
        let mut body = String::new();
        if with_base {
            body.push_str(&format!("{inner}<base />{eol}"));
        } else if section == "backend" {
            body.push_str(&format!("{inner}<forward-request />{eol}"));
        }
        match section {
            "inbound" => body.push_str(&layout.lines(&steps.inbound, &inner)),
            "outbound" => body.push_str(&layout.lines(&steps.outbound, &inner)),
            "on-error" if !steps.on_error.is_empty() => {
                body.push_str(&layout.lines(&steps.on_error, &inner))
            }
            _ => {}
        }
        if body.is_empty() {
            text.push_str(&format!("{section_indent}<{section} />{eol}"));
        } else {
            text.push_str(&format!(
                "{section_indent}<{section}>{eol}{body}{section_indent}</{section}>{eol}"
            ));
        }
    }
    text.push_str(&format!("{outer}</{}>", root.name));
    let text = format!("{}{text}{}", &src[..root.span.start], &src[root.span.end..]);
    finish(text, super::SECTIONS.to_vec(), false)
}

/// `span` widened to whole lines (line break included) when nothing else stands on them, and
/// whether it was.
fn whole_lines(src: &str, span: Range<usize>) -> (Range<usize>, bool) {
    let line_start = src[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[span.end..]
        .find('\n')
        .map_or(src.len(), |i| span.end + i + 1);
    let blank = |s: &str| s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if blank(&src[line_start..span.start]) && blank(&src[span.end..line_end]) {
        (line_start..line_end, true)
    } else {
        (span, false)
    }
}

/// The whitespace before `offset` on its line, when only whitespace precedes it there.
fn line_indent(src: &str, offset: usize) -> Option<&str> {
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &src[line_start..offset];
    before
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(before)
}

/// The file's indentation step: a section's indentation beyond the root's, else a section
/// child's beyond its section's, else 4 spaces.
fn indent_unit(src: &str, root: &Element) -> String {
    let root_indent = line_indent(src, root.span.start).unwrap_or("");
    for section in root.elements() {
        if let Some(i) = line_indent(src, section.span.start) {
            if let Some(step) = i.strip_prefix(root_indent).filter(|s| !s.is_empty()) {
                return step.to_string();
            }
        }
        for child in section.elements() {
            let (Some(si), Some(ci)) = (
                line_indent(src, section.span.start),
                line_indent(src, child.span.start),
            ) else {
                continue;
            };
            if let Some(step) = ci.strip_prefix(si).filter(|s| !s.is_empty()) {
                return step.to_string();
            }
        }
    }
    "    ".to_string()
}

/// The line ending of the line break nearest after `offset` (else the last one before it):
/// `\r\n`, `\n`, or `\r` alone (old Mac files); `\n` in a text without line breaks.
fn eol_at(src: &str, offset: usize) -> &'static str {
    let b = src.as_bytes();
    let offset = offset.min(b.len());
    let kind = |i: usize| match b[i] {
        b'\r' if b.get(i + 1) == Some(&b'\n') => "\r\n",
        b'\r' => "\r",
        _ if i > 0 && b[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    };
    let is_break = |c: &u8| *c == b'\n' || *c == b'\r';
    b[offset..]
        .iter()
        .position(is_break)
        .map(|i| offset + i)
        .or_else(|| b[..offset].iter().rposition(is_break))
        .map_or("\n", kind)
}

struct Layout<'a> {
    src: &'a str,
    eol: &'a str,
    unit: &'a str,
}

impl Layout<'_> {
    /// `body` as lines indented by `prefix`, each ended by the file's line ending.
    fn lines(&self, body: &str, prefix: &str) -> String {
        let mut out = indent(body, prefix, self.unit).replace('\n', self.eol);
        out.push_str(self.eol);
        out
    }

    fn own_indent(&self, e: &Element) -> String {
        line_indent(self.src, e.span.start)
            .unwrap_or("")
            .to_string()
    }

    /// Indentation of a section's children: its first child on a line of its own, else the
    /// section's plus one step.
    fn child_indent(&self, section: &Element) -> String {
        section
            .elements()
            .find_map(|c| line_indent(self.src, c.span.start))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}{}", self.own_indent(section), self.unit))
    }

    /// The end of the line `offset` is on, when only whitespace follows it there.
    fn rest_is_blank(&self, offset: usize) -> Option<usize> {
        let end = self.src[offset..]
            .find('\n')
            .map_or(self.src.len(), |i| offset + i + 1);
        self.src[offset..end]
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .then_some(end)
    }

    /// Insertion into an existing section: after `<base />` (or first) when `first`, else last.
    fn add_to_section(&self, section: &Element, body: &str, first: bool) -> (Range<usize>, String) {
        let inner = self.child_indent(section);
        let outer = self.own_indent(section);
        let Some(end_tag) = &section.end_span else {
            // `<inbound />`: open it up around the steps.
            let text = format!(
                "<{name}>{eol}{lines}{outer}</{name}>",
                name = section.name,
                eol = self.eol,
                lines = self.lines(body, &inner),
            );
            return (section.span.clone(), text);
        };
        if first {
            let anchor = section
                .elements()
                .find(|e| e.name == "base")
                .map_or(section.span.end, |b| element_span(b).end);
            match self.rest_is_blank(anchor) {
                Some(line_end) if self.src[..line_end].ends_with('\n') => {
                    (line_end..line_end, self.lines(body, &inner))
                }
                _ => {
                    let closing = self.src[anchor..].trim_start().starts_with("</");
                    let after = if closing { &outer } else { &inner };
                    (
                        anchor..anchor,
                        format!("{}{}{}", self.eol, self.lines(body, &inner), after),
                    )
                }
            }
        } else {
            let at = end_tag.start;
            match line_indent(self.src, at) {
                Some(i) => (at - i.len()..at - i.len(), self.lines(body, &inner)),
                None => (
                    at..at,
                    format!("{}{}{}", self.eol, self.lines(body, &inner), outer),
                ),
            }
        }
    }

    /// A new section holding `<base />` (when `with_base`) and the steps, placed in section
    /// order among the root's children.
    fn new_section(
        &self,
        root: &Element,
        name: &str,
        body: &str,
        with_base: bool,
    ) -> (Range<usize>, String) {
        let order = |n: &str| super::SECTIONS.iter().position(|s| *s == n);
        let mine = order(name).unwrap_or(0);
        let outer = root
            .elements()
            .find_map(|c| line_indent(self.src, c.span.start))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}{}", self.own_indent(root), self.unit));
        let inner = format!("{outer}{}", self.unit);
        let mut block = format!("{outer}<{name}>{}", self.eol);
        if with_base {
            block.push_str(&format!("{inner}<base />{}", self.eol));
        }
        block.push_str(&self.lines(body, &inner));
        block.push_str(&format!("{outer}</{name}>{}", self.eol));
        // Before the first section that comes after this one, else before </policies>.
        let before = root
            .elements()
            .find(|e| order(&e.name).is_some_and(|o| o > mine));
        let at = match before {
            Some(e) => e.span.start,
            None => root.end_span.as_ref().map_or(root.span.end, |s| s.start),
        };
        match line_indent(self.src, at) {
            Some(i) => (at - i.len()..at - i.len(), block),
            None => {
                let tail = if before.is_some() {
                    outer.clone()
                } else {
                    self.own_indent(root)
                };
                (at..at, format!("{}{block}{tail}", self.eol))
            }
        }
    }
}
