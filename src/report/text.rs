//! `path:line:col: severity[rule] message`, the source line, a caret under the span, help.

use std::fmt::Write;

use super::{FileResult, LineIndex, Reporter, Run, Totals};
use crate::lint::Severity;

/// Characters of a finding's line shown under it, at most.
const EXCERPT_WIDTH: usize = 160;

/// Renders the report; `color` adds ANSI colours.
pub fn render(run: &Run<'_>, color: bool) -> String {
    super::render_with(&mut Text { color }, run)
}

/// The text report, file by file.
pub struct Text {
    pub color: bool,
}

impl Reporter for Text {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()> {
        if file.findings.is_empty() {
            return Ok(());
        }
        out.write_all(file_text(file, self.color).as_bytes())
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, totals: &Totals) -> std::io::Result<()> {
        out.write_all(summary(totals).as_bytes())
    }
}

fn file_text(file: &FileResult, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    {
        let idx = LineIndex::new(&file.src);
        for f in &file.findings {
            let pos = idx.position(&f.span);
            let sev = match f.severity {
                Severity::Error => paint("1;31", "error"),
                Severity::Warning => paint("1;33", "warning"),
                Severity::Info => paint("1;36", "info"),
            };
            let _ = writeln!(
                out,
                "{}:{}:{}: {sev}[{}] {}",
                paint("1", &file.path),
                pos.line,
                pos.column,
                f.rule,
                f.message
            );
            // A bounded excerpt: a finding on an 80 KB line shows 160 characters of it.
            let ex = idx.excerpt(f.span.start, EXCERPT_WIDTH);
            let line = format!(
                "{}{}{}",
                if ex.cut_before { "…" } else { "" },
                ex.text,
                if ex.cut_after { "…" } else { "" }
            );
            let gutter = pos.line.to_string().len();
            let bar = paint("34", "|");
            let _ = writeln!(out, "{:gutter$} {bar}", "");
            let _ = writeln!(out, "{} {bar} {line}", paint("34", &pos.line.to_string()));
            // Keep tabs so the caret lines up under tabbed text.
            let lead: String = std::iter::repeat_n(' ', usize::from(ex.cut_before))
                .chain(
                    ex.text
                        .chars()
                        .take(ex.column - 1)
                        .map(|c| if c == '\t' { '\t' } else { ' ' }),
                )
                .collect();
            let room = ex.text.chars().count().saturating_sub(ex.column - 1).max(1);
            let width = if pos.end_line == pos.line {
                pos.end_column.saturating_sub(pos.column).max(1)
            } else {
                room
            }
            .min(room);
            let carets = paint(
                if f.severity == Severity::Error {
                    "1;31"
                } else {
                    "1;33"
                },
                &"^".repeat(width),
            );
            let _ = writeln!(out, "{:gutter$} {bar} {lead}{carets}", "");
            let _ = writeln!(out, "{:gutter$} = help: {}", "", f.help);
            out.push('\n');
        }
    }
    out
}

fn summary(t: &Totals) -> String {
    let mut out = String::new();
    let (e, w, i) = (t.errors, t.warnings, t.infos);
    let with_findings = t.files_with_findings;
    let files = t.files;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if e + w + i == 0 {
        let _ = writeln!(out, "No problems found in {}.", plural(files, "file"));
    } else {
        let mut parts = vec![plural(e, "error"), plural(w, "warning")];
        if i > 0 {
            parts.push(plural(i, "info"));
        }
        let _ = writeln!(
            out,
            "Found {} in {with_findings} of {}.",
            parts.join(", "),
            plural(files, "file")
        );
    }
    if t.fixed > 0 {
        let _ = writeln!(out, "Fixed {}.", plural(t.fixed, "file"));
    }
    out
}
