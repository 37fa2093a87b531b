//! Versioned JSON: `{"version":1,"findings":[…],"summary":{…}}`. Lines and columns are
//! 1-based; columns count characters; `end_line`/`end_column` point just past the span.

use serde::Serialize;

use super::{LineIndex, Run};
use crate::lint::Severity;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

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
    let mut findings = Vec::new();
    for file in run.files {
        let idx = LineIndex::new(&file.src);
        for f in &file.findings {
            let p = idx.position(&f.span);
            findings.push(JsonFinding {
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
            });
        }
    }
    let report = Report {
        version: 1,
        findings,
        summary: Summary {
            files: run.files.len(),
            files_with_findings: run.files.iter().filter(|f| !f.findings.is_empty()).count(),
            errors: run.count(Severity::Error),
            warnings: run.count(Severity::Warning),
            infos: run.count(Severity::Info),
            fixed: run.fixed,
        },
    };
    let mut s =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
