//! GitHub Actions workflow commands: `::error file=…,line=…,col=…::message`, which become
//! annotations on the pull request's diff.

use std::fmt::Write;

use super::{LineIndex, Run};
use crate::lint::Severity;

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
    let mut out = String::new();
    for file in run.files {
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
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(super::property("a:b,c"), "a%3Ab%2Cc");
    }
}
