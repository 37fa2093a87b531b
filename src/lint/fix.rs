//! Applying fixes: the file's own layout (line ending, indentation unit) and non-overlapping
//! edits applied in one pass, so nothing but the inserted text changes.

use super::{Edit, Finding};
use crate::apim::tree::Element;

/// How a file is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub eol: &'static str,
    /// One level of indentation.
    pub unit: String,
}

impl Layout {
    /// Reads the line ending from the first line break and the indentation unit from the
    /// root's children (their indentation minus the root's); four spaces when unknown.
    pub fn detect(src: &str, root: &Element) -> Layout {
        let eol = match src.find('\n') {
            Some(i) if i > 0 && src.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        let root_indent = Self::indent_of(src, root.span.start).unwrap_or("");
        let unit = root
            .elements()
            .find_map(|e| Self::indent_of(src, e.span.start))
            .and_then(|child| child.strip_prefix(root_indent))
            .filter(|u| !u.is_empty())
            .map_or_else(|| "    ".to_string(), str::to_string);
        Layout { eol, unit }
    }

    /// The indentation before `offset` when only spaces and tabs precede it on its line.
    /// The line ending around `offset`: that of the line it is on (or, on the last line, of
    /// the line before), so an edit in a file with mixed endings matches its surroundings;
    /// the file's first line ending when the text has no line break near.
    pub fn eol_at(&self, src: &str, offset: usize) -> &'static str {
        let b = src.as_bytes();
        let offset = offset.min(b.len());
        let nl = b[offset..]
            .iter()
            .position(|&c| c == b'\n')
            .map(|i| offset + i)
            .or_else(|| b[..offset].iter().rposition(|&c| c == b'\n'));
        match nl {
            Some(i) if i > 0 && b[i - 1] == b'\r' => "\r\n",
            Some(_) => "\n",
            None => self.eol,
        }
    }

    /// Looks back only over spaces and tabs, so asking for every element of a long line
    /// costs nothing.
    pub fn indent_of(src: &str, offset: usize) -> Option<&str> {
        let b = src.as_bytes();
        let mut start = offset.min(b.len());
        while start > 0 && matches!(b[start - 1], b' ' | b'\t') {
            start -= 1;
        }
        (start == 0 || b[start - 1] == b'\n').then(|| &src[start..offset])
    }
}

/// Applies the fixes of `findings` to `src`. Edits are applied in order of position (ties in
/// the order given); an edit overlapping an earlier one is left for a later run. Returns the
/// new text and the findings whose fix was applied.
pub fn apply<'a>(src: &str, findings: &'a [Finding]) -> (String, Vec<&'a Finding>) {
    let mut fixable: Vec<(&Edit, &Finding)> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref().map(|e| (e, f)))
        .collect();
    fixable.sort_by_key(|(e, _)| e.range.start);
    let mut out = String::with_capacity(src.len() + 64);
    let mut at = 0;
    let mut applied = Vec::new();
    for (edit, finding) in fixable {
        if edit.range.start < at || edit.range.end > src.len() {
            continue;
        }
        out.push_str(&src[at..edit.range.start]);
        out.push_str(&edit.replacement);
        at = edit.range.end;
        applied.push(finding);
    }
    out.push_str(&src[at..]);
    (out, applied)
}
