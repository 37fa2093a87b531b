//! GitLab Code Quality: the JSON array a job hands to `artifacts:reports:codequality`, shown in
//! the merge request widget and its diff. Fields as GitLab's "Code Quality" page lists them
//! (`doc/ci/testing/code_quality.md`, "Implement a custom tool"): `description`, `check_name`,
//! `fingerprint`, `severity` (`info`, `minor`, `major`, `critical`, `blocker`), `location.path`
//! (relative to the repository) and `location.lines.begin`. Written finding by finding.

use serde::Serialize;

use super::{FileResult, LineIndex, Reporter, Totals};
use crate::lint::Severity;

pub const FORMAT: super::Format = super::Format {
    name: "gitlab",
    help: "GitLab Code Quality JSON (artifacts:reports:codequality): the merge request widget",
    reporter: |_| Box::new(Gitlab::default()),
};

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// Error blocks a merge as GitLab's `major` does in its own analyzers; warning is `minor`.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// The report, file by file.
#[derive(Default)]
pub struct Gitlab {
    written: usize,
}

impl Reporter for Gitlab {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()> {
        let idx = LineIndex::new(&file.src);
        let fingerprints = super::fingerprints(file);
        let mut text = String::new();
        for (f, fingerprint) in file.findings.iter().zip(&fingerprints) {
            let p = idx.position(&f.span);
            let issue = Issue {
                description: format!("{} (help: {})", f.message, f.help),
                check_name: f.rule,
                fingerprint,
                severity: severity(f.severity),
                location: Location {
                    path: &file.path,
                    lines: Lines {
                        begin: p.line,
                        end: p.end_line,
                    },
                },
            };
            text.push_str(if self.written == 0 { "[\n  " } else { ",\n  " });
            text.push_str(&super::pretty_at(&issue, 2));
            self.written += 1;
            // One finding at a time: a file with many findings is never held whole.
            out.write_all(text.as_bytes())?;
            text.clear();
        }
        out.write_all(text.as_bytes())
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, _: &Totals) -> std::io::Result<()> {
        out.write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })
    }
}
