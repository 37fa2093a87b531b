//! JUnit XML, for the test-result tabs of CI systems (Azure Pipelines `PublishTestResults`
//! with `testResultsFormat: JUnit`, GitLab `artifacts:reports:junit`, Jenkins): one
//! `<testsuite>` per linted file, one failed `<testcase>` per finding (a file without findings
//! is one passed test case), in the shape of the Apache Ant JUnit schema
//! (`tests/conformance/junit.xsd`). Written file by file: each suite's counts are its own.

use std::fmt::Write;

use super::{FileResult, LineIndex, Reporter, Totals};
use crate::lint::Severity;

pub const FORMAT: super::Format = super::Format {
    name: "junit",
    help: "JUnit XML (one test suite per file, a failed test case per finding): test-result tabs",
    reporter: |_| {
        Box::new(Junit {
            suites: 0,
            timestamp: timestamp(std::time::SystemTime::now()),
        })
    },
};

/// The report, file by file.
pub struct Junit {
    suites: usize,
    /// When the run started, as the schema writes it (UTC, no zone).
    timestamp: String,
}

/// `s` for an XML attribute or text: markup characters as references, tabs and line breaks
/// kept as references (attribute values would normalise them to spaces), and characters XML
/// 1.0 cannot hold at all as U+FFFD.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC.
fn timestamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

impl Reporter for Junit {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()> {
        let idx = LineIndex::new(&file.src);
        let path = xml(&file.path);
        let mut text = String::new();
        if self.suites == 0 {
            text.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
        }
        let tests = file.findings.len().max(1);
        let _ = writeln!(
            text,
            "  <testsuite package=\"akto-connect lint\" id=\"{}\" name=\"{path}\" timestamp=\"{}\" hostname=\"localhost\" tests=\"{tests}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"0\">\n    <properties/>",
            self.suites,
            self.timestamp,
            file.findings.len(),
        );
        if file.findings.is_empty() {
            let _ = writeln!(
                text,
                "    <testcase name=\"no findings\" classname=\"{path}\" time=\"0\"/>"
            );
        }
        for f in &file.findings {
            let p = idx.position(&f.span);
            let severity = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let _ = writeln!(
                text,
                "    <testcase name=\"{} at {}:{}\" classname=\"{path}\" time=\"0\">\n      <failure type=\"{}\" message=\"{}\">{severity}: {}:{}:{}: {}&#10;help: {}</failure>\n    </testcase>",
                xml(f.rule),
                p.line,
                p.column,
                xml(f.rule),
                xml(&f.message),
                path,
                p.line,
                p.column,
                xml(&f.message),
                xml(&f.help),
            );
            // One finding at a time: a file with many findings is never held whole.
            out.write_all(text.as_bytes())?;
            text.clear();
        }
        text.push_str("    <system-out/>\n    <system-err/>\n  </testsuite>\n");
        self.suites += 1;
        out.write_all(text.as_bytes())
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, t: &Totals) -> std::io::Result<()> {
        let mut text = String::new();
        if self.suites == 0 {
            text.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
        }
        // The run's notes: one suite of no test case, the notes as its standard output.
        if !t.notes.is_empty() {
            let notes: Vec<String> = t.notes.iter().map(|n| format!("note: {}", xml(n))).collect();
            let _ = writeln!(
                text,
                "  <testsuite package=\"akto-connect lint\" id=\"{}\" name=\"akto-connect lint notes\" timestamp=\"{}\" hostname=\"localhost\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\">\n    <properties/>\n    <system-out>{}</system-out>\n    <system-err/>\n  </testsuite>",
                self.suites,
                self.timestamp,
                notes.join("&#10;"),
            );
        }
        text.push_str("</testsuites>\n");
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_utc_civil_dates() {
        let at = |s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s);
        assert_eq!(super::timestamp(at(0)), "1970-01-01T00:00:00");
        assert_eq!(super::timestamp(at(951_782_400)), "2000-02-29T00:00:00");
        assert_eq!(super::timestamp(at(1_767_225_599)), "2025-12-31T23:59:59");
    }

    #[test]
    fn xml_escapes_markup_and_refuses_control_characters() {
        assert_eq!(super::xml("a<&>\"'\n\u{1}"), "a&lt;&amp;&gt;&quot;&apos;&#10;\u{FFFD}");
    }
}
