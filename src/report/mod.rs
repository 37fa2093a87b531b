//! Printing findings: text for people, JSON for scripts, SARIF for code scanning, GitHub
//! workflow commands for pull-request annotations.
//!
//! Findings carry byte spans; lines and columns (1-based, columns in characters, ends
//! exclusive) are computed here, once, when printed.

use crate::lint::{Finding, Severity};

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

/// One linted file: its path as shown, its text, its findings.
pub struct FileResult {
    pub path: String,
    pub src: String,
    pub findings: Vec<Finding>,
}

/// What the run did, for summaries.
pub struct Run<'a> {
    pub files: &'a [FileResult],
    /// Files fixed by `--fix`.
    pub fixed: usize,
}

impl Run<'_> {
    pub fn count(&self, severity: Severity) -> usize {
        self.files
            .iter()
            .flat_map(|f| &f.findings)
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// A finding's position: 1-based line and column (characters), end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Line starts of a text, for offset → line/column.
pub struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        Self { src, starts }
    }

    /// 1-based line and character column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = self
            .src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, col + 1)
    }

    pub fn position(&self, span: &std::ops::Range<usize>) -> Position {
        let (line, column) = self.line_col(span.start);
        let (end_line, end_column) = self.line_col(span.end.max(span.start));
        Position {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &'a str {
        let start = self.starts[line - 1];
        let end = self.starts.get(line).map_or(self.src.len(), |&e| e - 1);
        self.src[start..end].trim_end_matches('\r')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let src = "ab\r\nçé<x>\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(src.find('<').unwrap()), (2, 3));
        assert_eq!(idx.line_text(1), "ab");
        assert_eq!(idx.line_text(2), "çé<x>");
        assert_eq!(idx.line_col(src.len()), (3, 1));
    }
}
