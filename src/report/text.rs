//! `path:line:col: severity[rule] message`, the source line, a caret under the span, help.

use std::fmt::Write;

use super::{LineIndex, Run};
use crate::error::printable;
use crate::lint::Severity;

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

/// Renders the report; `color` adds ANSI colours.
pub fn render(run: &Run<'_>, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for file in run.files {
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
            let raw = idx.line_text(pos.line);
            let line: String = raw.chars().map(shown).collect();
            let gutter = pos.line.to_string().len();
            let bar = paint("34", "|");
            let _ = writeln!(out, "{:gutter$} {bar}", "");
            let _ = writeln!(out, "{} {bar} {line}", paint("34", &pos.line.to_string()));
            // Keep tabs so the caret lines up under tabbed text.
            let lead: String = raw
                .chars()
                .take(pos.column - 1)
                .map(|c| {
                    if c == '\t' {
                        "\t".to_string()
                    } else {
                        " ".repeat(shown(c).chars().count())
                    }
                })
                .collect();
            let span_chars = if pos.end_line == pos.line {
                pos.end_column.saturating_sub(pos.column)
            } else {
                usize::MAX
            };
            let width = raw
                .chars()
                .skip(pos.column - 1)
                .take(span_chars)
                .map(|c| shown(c).chars().count())
                .sum::<usize>()
                .max(1);
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
        }
    }
    let (e, w, i) = (
        run.count(Severity::Error),
        run.count(Severity::Warning),
        run.count(Severity::Info),
    );
    let with_findings = run.files.iter().filter(|f| !f.findings.is_empty()).count();
    let files = run.files.len();
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
    if run.fixed > 0 {
        let _ = writeln!(out, "Fixed {}.", plural(run.fixed, "file"));
    }
    out
}
