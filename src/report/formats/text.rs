//! `path:line:col: severity[rule] message`, the source line, a caret under the span, help.

use std::fmt::Write;

use super::{FileResult, LineIndex, Reporter, Run, Totals};
use crate::error::printable;
use crate::lint::Severity;

pub const FORMAT: super::Format = super::Format {
    name: "text",
    help: "for people: file:line:col, the line and a marker under the span, a summary",
    reporter: |s| Box::new(Text { color: s.color }),
};

/// A source character as the report shows it: a tab stays (carets line up under it); control
/// characters (ANSI escapes), line separators and the like are escaped (`\u{1b}`), so a policy
/// cannot drive the terminal.
fn shown(c: char) -> String {
    if c != '\t' && crate::text::problem_char(c).is_some() {
        c.escape_unicode().to_string()
    } else {
        c.to_string()
    }
}

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
        file_text(file, self.color, out)
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, totals: &Totals) -> std::io::Result<()> {
        out.write_all(summary(totals).as_bytes())
    }
}

/// Writes the file's findings to `sink` one by one (a file with many findings is never held
/// whole).
fn file_text(
    file: &FileResult,
    color: bool,
    sink: &mut dyn std::io::Write,
) -> std::io::Result<()> {
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
                paint("1", &printable(&file.path)),
                pos.line,
                pos.column,
                f.rule,
                printable(&f.message)
            );
            // A bounded excerpt (a finding on an 80 KB line shows 160 characters of it), with
            // control characters escaped.
            let ex = idx.excerpt(f.span.start, EXCERPT_WIDTH);
            let line = format!(
                "{}{}{}",
                if ex.cut_before { "…" } else { "" },
                ex.text.chars().map(shown).collect::<String>(),
                if ex.cut_after { "…" } else { "" }
            );
            let gutter = pos.line.to_string().len();
            let bar = paint("34", "|");
            let _ = writeln!(out, "{:gutter$} {bar}", "");
            let _ = writeln!(out, "{} {bar} {line}", paint("34", &pos.line.to_string()));
            // Keep tabs so the caret lines up under tabbed text.
            let lead: String = std::iter::repeat_n(" ".to_string(), usize::from(ex.cut_before))
                .chain(ex.text.chars().take(ex.column - 1).map(|c| {
                    if c == '\t' {
                        "\t".to_string()
                    } else {
                        " ".repeat(shown(c).chars().count())
                    }
                }))
                .collect();
            let shown_width = |chars: &mut dyn Iterator<Item = char>| -> usize {
                chars.map(|c| shown(c).chars().count()).sum()
            };
            let room = shown_width(&mut ex.text.chars().skip(ex.column - 1)).max(1);
            let span_chars = if pos.end_line == pos.line {
                pos.end_column.saturating_sub(pos.column)
            } else {
                usize::MAX
            };
            let width = shown_width(&mut ex.text.chars().skip(ex.column - 1).take(span_chars))
                .max(1)
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
            let _ = writeln!(out, "{:gutter$} = help: {}", "", printable(&f.help));
            out.push('\n');
            sink.write_all(out.as_bytes())?;
            out.clear();
        }
    }
    sink.write_all(out.as_bytes())
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
