//! Azure Pipelines logging commands: one `##vso[task.logissue …]message` line per finding,
//! which the agent shows as an error or warning on the run's summary and in the log.
//!
//! Grammar (Microsoft's "Logging commands" page, and `node/taskcommand.ts` of
//! microsoft/azure-pipelines-task-lib): `##vso[area.action key=value;key=value]message`, on one
//! line. Property values and the message are escaped alike: `%` → `%AZP25` (first), CR → `%0D`,
//! LF → `%0A`, `;` → `%3B`, `]` → `%5D`, so a path or message can neither close the property
//! list nor start a line of its own (the agent looks for `##vso[` anywhere in a line; on ours
//! the first one is the command). `logissue` knows two types, `error` and `warning`: an info
//! finding is logged as a warning whose message starts with `info:`.

use std::fmt::Write;

use super::{FileResult, LineIndex, Reporter, Totals};
use crate::lint::Severity;

pub const FORMAT: super::Format = super::Format {
    name: "azure",
    help: "Azure Pipelines logging commands (##vso[task.logissue]): errors and warnings on the run",
    reporter: |_| Box::new(Azure),
};

/// Escapes a property value or the message.
fn escape(s: &str) -> String {
    s.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(';', "%3B")
        .replace(']', "%5D")
}

/// Logging commands, file by file; no summary (the exit code fails the step).
pub struct Azure;

impl Reporter for Azure {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()> {
        let idx = LineIndex::new(&file.src);
        let mut text = String::new();
        for f in &file.findings {
            let p = idx.position(&f.span);
            let (kind, prefix) = match f.severity {
                Severity::Error => ("error", ""),
                Severity::Warning => ("warning", ""),
                Severity::Info => ("warning", "info: "),
            };
            let _ = writeln!(
                text,
                "##vso[task.logissue type={kind};sourcepath={};linenumber={};columnnumber={};code={}]{}",
                escape(&file.path),
                p.line,
                p.column,
                escape(f.rule),
                escape(&format!("{prefix}{}\nhelp: {}", f.message, f.help)),
            );
            // One finding at a time: a file with many findings is never held whole.
            out.write_all(text.as_bytes())?;
            text.clear();
        }
        out.write_all(text.as_bytes())
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, t: &Totals) -> std::io::Result<()> {
        // Azure has no notice level: a `##[warning]` line shows in the log without adding an
        // issue to the run (only `task.logissue` does).
        let mut text = String::new();
        for n in &t.notes {
            let _ = writeln!(text, "##[warning]note: {}", n.replace(['\r', '\n'], " "));
        }
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_percent_first() {
        assert_eq!(super::escape("100%;a]b\r\n"), "100%AZP25%3Ba%5Db%0D%0A");
        assert_eq!(super::escape("%0A"), "%AZP250A");
    }
}
