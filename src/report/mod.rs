//! Printing findings: text for people, JSON for scripts, SARIF for code scanning, and the
//! formats CI systems read (GitHub and Azure Pipelines annotations, GitLab Code Quality, JUnit).
//!
//! Findings carry byte spans; lines and columns (1-based, columns in characters, ends
//! exclusive) are computed here, once, when printed.
//!
//! The formats are the files of `formats/`: each declares itself with `pub const FORMAT:
//! Format` (name, help, reporter), and the build script lists them in [`FORMATS`], which
//! `--format`'s values and the dispatch are made from.

use crate::lint::{Finding, Severity};

include!(concat!(env!("OUT_DIR"), "/report_formats.rs"));

/// What a reporter may need to know about the run, beyond the findings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings<'a> {
    /// Colour the text report.
    pub color: bool,
    /// The absolute folder the reported paths are relative to, when known.
    pub root: Option<&'a std::path::Path>,
}

/// One report format, as its file in `formats/` declares it.
#[derive(Clone, Copy)]
pub struct Format {
    /// The `--format` value.
    pub name: &'static str,
    /// One line for `--help`: what it is and what reads it.
    pub help: &'static str,
    /// Makes the reporter for one run.
    pub reporter: fn(&Settings<'_>) -> Box<dyn Reporter>,
}

impl Format {
    /// The format called `name`.
    pub fn named(name: &str) -> Option<&'static Format> {
        FORMATS.iter().find(|f| f.name == name)
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Format {}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

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

    /// The run's totals.
    pub fn totals(&self) -> Totals {
        let mut t = Totals {
            fixed: self.fixed,
            ..Totals::default()
        };
        for f in self.files {
            t.add(f);
        }
        t
    }
}

/// Counts for a report's summary, gathered as files stream past, and the run's notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub files: usize,
    pub files_with_findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Files fixed by `--fix`.
    pub fixed: usize,
    /// What the run says about itself, not about a file: the tree rules were not run on files
    /// outside an APIOps tree, a `[[suppress]]` entry matched nothing. Each format carries them
    /// where it can (JSON `notes`, SARIF `toolExecutionNotifications`, GitHub `::notice`, Azure
    /// `##[warning]`, a JUnit suite's `<system-out>`); text and GitLab leave them to standard
    /// error, which the command writes.
    pub notes: Vec<String>,
}

impl Totals {
    /// Counts one file's findings (not whether it was fixed).
    pub fn add(&mut self, file: &FileResult) {
        self.files += 1;
        self.files_with_findings += usize::from(!file.findings.is_empty());
        for f in &file.findings {
            match f.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Error => self.errors,
            Severity::Warning => self.warnings,
            Severity::Info => self.infos,
        }
    }
}

/// A report written file by file, so memory does not grow with the tree: `file` for each
/// file in order, then `finish` with the totals.
pub trait Reporter {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()>;
    fn finish(&mut self, out: &mut dyn std::io::Write, totals: &Totals) -> std::io::Result<()>;
}

/// Renders a whole run with a reporter, into a string.
pub fn render_with(reporter: &mut dyn Reporter, run: &Run<'_>) -> String {
    let mut out = Vec::new();
    for f in run.files {
        let _ = reporter.file(&mut out, f);
    }
    let _ = reporter.finish(&mut out, &run.totals());
    String::from_utf8_lossy(&out).into_owned()
}

/// Fingerprints of a file's findings, in order, for tools that follow an alert from commit to
/// commit (SARIF `partialFingerprints`, GitLab `fingerprint`): a SHA-256 of the rule, the path,
/// the text of the finding's first line without the span itself (so a secret the span covers
/// is not hashed) and with whitespace runs collapsed, and the finding's rank among the file's
/// findings with that same key. Inserting or removing lines elsewhere, or re-indenting,
/// leaves them equal; two findings never share one.
pub fn fingerprints(file: &FileResult) -> Vec<String> {
    let idx = LineIndex::new(&file.src);
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    file.findings
        .iter()
        .map(|f| {
            let start = f.span.start.min(file.src.len());
            let (line, _) = idx.line_col(start);
            let text = idx.line_text(line);
            let line_start = idx.starts[line - 1];
            let from = (start - line_start).min(text.len());
            let to = (f.span.end.max(start) - line_start).min(text.len());
            let (before, after) = match (text.get(..from), text.get(to..)) {
                (Some(b), Some(a)) => (b, a),
                _ => (text, ""),
            };
            let context: Vec<&str> = before
                .split_whitespace()
                .chain(["\u{0}"])
                .chain(after.split_whitespace())
                .collect();
            let key = format!("{}\u{0}{}\u{0}{}", f.rule, file.path, context.join(" "));
            let rank = seen.entry(key.clone()).or_insert(0);
            *rank += 1;
            let digest = ring::digest::digest(
                &ring::digest::SHA256,
                format!("{key}\u{0}{rank}").as_bytes(),
            );
            digest.as_ref()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
}

/// `value` pretty-printed as JSON, every line after the first indented by `indent` spaces
/// (JSON strings hold no raw line breaks, so this nests it in a pretty document).
pub(crate) fn pretty_at(value: &impl serde::Serialize, indent: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string());
    let pad = " ".repeat(indent);
    text.replace('\n', &format!("\n{pad}"))
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
    /// The last start position computed (line, byte offset, column), so findings asked for in
    /// order along one long line cost their distance, not the line's length each.
    last: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> LineIndex<'a> {
    pub fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        Self {
            src,
            starts,
            last: std::cell::Cell::new((1, 0, 0)),
        }
    }

    /// 1-based line and character column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let (last_line, last_at, last_col) = self.last.get();
        let (from, base) = if last_line == line && last_at <= offset {
            (last_at, last_col)
        } else {
            (self.starts[line - 1], 0)
        };
        let col = base
            + self
                .src
                .get(from..offset)
                .map_or(offset - from, |s| s.chars().count());
        (line, col + 1)
    }

    /// Like [`Self::line_col`], remembering the answer for the next call.
    fn line_col_cached(&self, offset: usize) -> (usize, usize) {
        let (line, col) = self.line_col(offset);
        self.last.set((line, offset.min(self.src.len()), col - 1));
        (line, col)
    }

    pub fn position(&self, span: &std::ops::Range<usize>) -> Position {
        let (line, column) = self.line_col_cached(span.start);
        let (end_line, end_column) = self.line_col(span.end.max(span.start));
        Position {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// At most about `width` characters of the line holding byte `offset`, around it: the
    /// excerpt, the offset's 1-based character column within it, and whether text was cut
    /// before and after. Costs `width`, not the line's length.
    pub fn excerpt(&self, offset: usize, width: usize) -> Excerpt<'a> {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let text = self.line_text(line);
        let line_start = self.starts[line - 1];
        let at = (offset - line_start).min(text.len());
        if text.len() <= width {
            return Excerpt {
                text,
                column: text[..at].chars().count() + 1,
                cut_before: false,
                cut_after: false,
            };
        }
        // From the line's start when the offset is near it, else a third of the width before.
        let start = if at < width * 2 / 3 {
            0
        } else {
            text[..at]
                .char_indices()
                .rev()
                .nth(width / 3)
                .map_or(0, |(i, _)| i)
        };
        let end = text[start..]
            .char_indices()
            .nth(width)
            .map_or(text.len(), |(i, _)| start + i);
        Excerpt {
            text: &text[start..end],
            column: text[start..at].chars().count() + 1,
            cut_before: start > 0,
            cut_after: end < text.len(),
        }
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &'a str {
        let start = self.starts[line - 1];
        let end = self.starts.get(line).map_or(self.src.len(), |&e| e - 1);
        self.src[start..end].trim_end_matches('\r')
    }
}

/// Part of a line shown under a finding.
pub struct Excerpt<'a> {
    pub text: &'a str,
    /// 1-based character column of the finding within `text`.
    pub column: usize,
    pub cut_before: bool,
    pub cut_after: bool,
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

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}<x>{}", "a".repeat(500), "b".repeat(500));
        let idx = LineIndex::new(&line);
        let e = idx.excerpt(500, 120);
        assert!(e.cut_before && e.cut_after);
        assert_eq!(e.text.chars().count(), 120);
        assert_eq!(&e.text[e.column - 1..e.column + 2], "<x>");
        let short = idx.excerpt(2, 5000);
        assert!(!short.cut_before && !short.cut_after);
        // Columns asked for in order along the line come out right.
        assert_eq!(idx.position(&(10..12)).column, 11);
        assert_eq!(idx.position(&(600..601)).column, 601);
        assert_eq!(idx.position(&(5..6)).column, 6);
    }
}

#[cfg(test)]
mod streaming_tests {
    use super::*;
    use crate::lint::{Finding, Severity};

    /// A writer that keeps only counts: the bytes written and the largest single write.
    #[derive(Default)]
    struct Recorder {
        total: usize,
        largest: usize,
    }

    impl std::io::Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.total += buf.len();
            self.largest = self.largest.max(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_format_writes_a_file_with_many_findings_one_finding_at_a_time() {
        // One file of 20,000 one-line sections, each with a finding: the report is megabytes,
        // no single write more than one finding (SARIF's first write also holds its fixed
        // header, the rule list, about 80 KB).
        let n = 20_000;
        let src = "<inbound></inbound>\n".repeat(n);
        let findings = (0..n)
            .map(|i| Finding {
                rule: "missing-base",
                severity: Severity::Error,
                span: i * 20..i * 20 + 9,
                message: "`<inbound>` has no `<base />`: the broader scopes' policies do not run"
                    .into(),
                help: "add <base /> as the section's first element".into(),
                fix: None,
                secret: false,
            })
            .collect();
        let file = FileResult {
            path: "policy.xml".into(),
            src,
            findings,
        };
        for format in FORMATS {
            let mut reporter = (format.reporter)(&Settings {
                color: false,
                root: None,
            });
            let mut out = Recorder::default();
            reporter.file(&mut out, &file).unwrap();
            reporter
                .finish(
                    &mut out,
                    &Run {
                        files: &[],
                        fixed: 0,
                    }
                    .totals(),
                )
                .unwrap();
            assert!(out.total > n * 60, "{}: {} bytes", format.name, out.total);
            assert!(
                out.largest < 256 * 1024,
                "{}: one write of {} bytes (of {})",
                format.name,
                out.largest,
                out.total
            );
        }
    }
}
