//! Versioned JSON: `{"version":1,"findings":[…],"summary":{…}}`. Lines and columns are
//! 1-based; columns count characters; `end_line`/`end_column` point just past the span.
//! Written file by file: the findings array streams, the summary comes last.

use serde::Serialize;

use super::{FileResult, LineIndex, Reporter, Run, Totals};
use crate::lint::Severity;

pub const FORMAT: super::Format = super::Format {
    name: "json",
    help: "versioned JSON for scripts: {\"version\": 1, \"findings\": […], \"summary\": {…}}",
    reporter: |_| Box::new(Json::default()),
};

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    help: &'a str,
    fixable: bool,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    files_with_findings: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    fixed: usize,
}

pub fn render(run: &Run<'_>) -> String {
    super::render_with(&mut Json::default(), run)
}

/// The JSON report, file by file.
#[derive(Default)]
pub struct Json {
    /// Findings written so far.
    written: usize,
}

impl Reporter for Json {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()> {
        if file.findings.is_empty() {
            return Ok(());
        }
        let idx = LineIndex::new(&file.src);
        let mut text = String::new();
        for f in &file.findings {
            let p = idx.position(&f.span);
            let finding = JsonFinding {
                rule: f.rule,
                severity: f.severity,
                path: &file.path,
                line: p.line,
                column: p.column,
                end_line: p.end_line,
                end_column: p.end_column,
                message: &f.message,
                help: &f.help,
                fixable: f.fix.is_some(),
            };
            text.push_str(if self.written == 0 {
                "{\n  \"version\": 1,\n  \"findings\": [\n    "
            } else {
                ",\n    "
            });
            text.push_str(&super::pretty_at(&finding, 4));
            self.written += 1;
            // One finding at a time: a file with many findings is never held whole.
            out.write_all(text.as_bytes())?;
            text.clear();
        }
        out.write_all(text.as_bytes())
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, t: &Totals) -> std::io::Result<()> {
        let summary = Summary {
            files: t.files,
            files_with_findings: t.files_with_findings,
            errors: t.errors,
            warnings: t.warnings,
            infos: t.infos,
            fixed: t.fixed,
        };
        let head = if self.written == 0 {
            "{\n  \"version\": 1,\n  \"findings\": [],\n  \"summary\": "
        } else {
            "\n  ],\n  \"summary\": "
        };
        // `notes` (what the run says about itself) is always there, empty or not.
        out.write_all(
            format!(
                "{head}{},\n  \"notes\": {}\n}}\n",
                super::pretty_at(&summary, 2),
                super::pretty_at(&t.notes, 2)
            )
            .as_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::Finding;

    #[test]
    fn streamed_json_is_one_valid_document() {
        let finding = |start| Finding {
            rule: "missing-base",
            severity: Severity::Error,
            span: start..start + 1,
            message: "m \"q\"\nx".into(),
            help: "h".into(),
            fix: None,
            secret: false,
        };
        let files = [
            FileResult {
                path: "a.xml".into(),
                src: "ab\ncd".into(),
                findings: vec![finding(0), finding(3)],
            },
            FileResult {
                path: "b.xml".into(),
                src: String::new(),
                findings: vec![],
            },
        ];
        for files in [&files[..], &files[1..]] {
            let text = render(&Run { files, fixed: 1 });
            let v: serde_json::Value = serde_json::from_str(&text).expect(&text);
            let n = files.iter().map(|f| f.findings.len()).sum::<usize>();
            assert_eq!(v["findings"].as_array().unwrap().len(), n);
            assert_eq!(v["summary"]["files"], files.len());
            assert_eq!(v["summary"]["fixed"], 1);
        }
    }
}
