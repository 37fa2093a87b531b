//! GitHub Actions workflow commands: `::error file=…,line=…,col=…::message`, which become
//! annotations on the pull request's diff.

use std::fmt::Write;

use super::{FileResult, LineIndex, Reporter, Run, Totals};
use crate::lint::Severity;

pub const FORMAT: super::Format = super::Format {
    name: "github",
    help: "GitHub Actions workflow commands: annotations on the pull request's diff",
    reporter: |_| Box::new(Github),
};

/// Escapes a message: `%`, CR and LF.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as a message, plus `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(run: &Run<'_>) -> String {
    super::render_with(&mut Github, run)
}

/// Workflow commands, file by file; no summary.
pub struct Github;

impl Reporter for Github {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()> {
        file_commands(file, out)
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, t: &Totals) -> std::io::Result<()> {
        let mut text = String::new();
        for n in &t.notes {
            let _ = writeln!(text, "::notice title=akto-connect lint::{}", data(n));
        }
        out.write_all(text.as_bytes())
    }
}

/// Writes the file's commands to `sink` one by one.
fn file_commands(file: &FileResult, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut out = String::new();
    {
        let idx = LineIndex::new(&file.src);
        for f in &file.findings {
            let p = idx.position(&f.span);
            let kind = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let _ = writeln!(
                out,
                "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                property(&file.path),
                p.line,
                p.column,
                p.end_line,
                p.end_column,
                property(&format!("akto-connect {}", f.rule)),
                data(&format!("{}\nhelp: {}", f.message, f.help)),
            );
            sink.write_all(out.as_bytes())?;
            out.clear();
        }
    }
    sink.write_all(out.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
