//! SARIF 2.1.0 for code scanning: one run, the rules with their documentation, one result per
//! finding with its region (columns in Unicode code points) and a `partialFingerprints` entry
//! that stays the same when lines move ([`super::fingerprints`]), so code scanning follows an
//! alert across commits. `automationDetails.id` names the run's category
//! (`akto-connect/lint/`); upload-sarif's `category` input replaces it.

use serde_json::{json, Value};

use super::{FileResult, LineIndex, Reporter, Run, Totals};
use crate::lint::{all_rules, Severity};

pub const FORMAT: super::Format = super::Format {
    name: "sarif",
    help: "SARIF 2.1.0 for code scanning (GitHub upload-sarif, Azure DevOps, IDEs)",
    reporter: |s| Box::new(Sarif::new(s.root)),
};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path as a URI reference: `/` separators, everything outside RFC 3986's
/// unreserved set and `/` percent-encoded (`policy fragments` → `policy%20fragments`).
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if path.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

pub fn render(run: &Run<'_>) -> String {
    super::render_with(&mut Sarif::new(None), run)
}

/// The run's category for code scanning: `category/` with no run id, so each analysis of the
/// same category replaces the previous one.
pub const AUTOMATION_ID: &str = "akto-connect/lint/";

/// The `partialFingerprints` key (versioned: a change of the hash gets a new key).
pub const FINGERPRINT_KEY: &str = "akto-connect/v1";

/// Marks where the results go in the document's head and tail.
const RESULTS: &str = "@@results@@";

/// The SARIF log, result by result. Relative paths are given against `%SRCROOT%`, which
/// `originalUriBaseIds` defines as the folder the paths are relative to (when known), so
/// code scanning places them whatever folder it runs from.
pub struct Sarif {
    head: String,
    tail: String,
    written: usize,
}

impl Sarif {
    /// `root`: the absolute folder the reported paths are relative to.
    pub fn new(root: Option<&std::path::Path>) -> Sarif {
        let rules: Vec<Value> = all_rules()
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.id,
                    "shortDescription": { "text": r.summary },
                    "fullDescription": { "text": r.summary },
                    "help": { "text": r.doc_text(), "markdown": r.doc_text() },
                    "defaultConfiguration": {
                        "level": level(r.default_severity),
                        "enabled": r.default_enabled,
                    },
                })
            })
            .collect();
        let srcroot = match root {
            Some(dir) => {
                let mut u = uri(&dir.to_string_lossy());
                if !u.ends_with('/') {
                    u.push('/');
                }
                json!({ "uri": u, "description": { "text": "The folder the paths are relative to." } })
            }
            None => json!({ "description": { "text": "The folder the paths are relative to." } }),
        };
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "akto-connect",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/akto-api-security",
                    "rules": rules,
                }},
                "originalUriBaseIds": { "%SRCROOT%": srcroot },
                "automationDetails": { "id": AUTOMATION_ID },
                "columnKind": "unicodeCodePoints",
                "results": RESULTS,
            }]
        });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        let marker = format!("\"{RESULTS}\"");
        let (head, tail) = text.split_once(&marker).unwrap_or((&text, ""));
        Sarif {
            head: head.to_string(),
            tail: tail.to_string(),
            written: 0,
        }
    }
}

impl Reporter for Sarif {
    fn file(&mut self, out: &mut dyn std::io::Write, file: &FileResult) -> std::io::Result<()> {
        if file.findings.is_empty() {
            return Ok(());
        }
        let idx = LineIndex::new(&file.src);
        let file_uri = uri(&file.path);
        let location = if file_uri.starts_with("file:") {
            json!({ "uri": file_uri })
        } else {
            json!({ "uri": file_uri, "uriBaseId": "%SRCROOT%" })
        };
        let mut text = String::new();
        let fingerprints = super::fingerprints(file);
        for (f, fingerprint) in file.findings.iter().zip(&fingerprints) {
            let p = idx.position(&f.span);
            let rule_index = all_rules().iter().position(|r| r.id == f.rule).unwrap_or(0);
            let result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": { "text": format!("{}\nhelp: {}", f.message, f.help) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": location,
                        "region": {
                            "startLine": p.line,
                            "startColumn": p.column,
                            "endLine": p.end_line,
                            "endColumn": p.end_column,
                        }
                    }
                }],
                "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
            });
            text.push_str(if self.written == 0 {
                self.head.as_str()
            } else {
                ","
            });
            if self.written == 0 {
                text.push('[');
            }
            text.push_str("\n        ");
            text.push_str(&super::pretty_at(&result, 8));
            self.written += 1;
            // One finding at a time: a file with many findings is never held whole.
            out.write_all(text.as_bytes())?;
            text.clear();
        }
        out.write_all(text.as_bytes())
    }

    fn finish(&mut self, out: &mut dyn std::io::Write, t: &Totals) -> std::io::Result<()> {
        // The run's notes as the invocation's tool execution notifications (after `results`,
        // the run object's last key).
        let invocations = if t.notes.is_empty() {
            String::new()
        } else {
            let notes: Vec<Value> = t
                .notes
                .iter()
                .map(|n| json!({ "level": "note", "message": { "text": n } }))
                .collect();
            let inv = json!([{ "executionSuccessful": true, "toolExecutionNotifications": notes }]);
            format!(",\n      \"invocations\": {}", super::pretty_at(&inv, 6))
        };
        let text = if self.written == 0 {
            format!("{}[]{invocations}{}\n", self.head, self.tail)
        } else {
            format!("\n      ]{invocations}{}\n", self.tail)
        };
        out.write_all(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_encoded() {
        assert_eq!(
            super::uri("policy fragments/a b/policy.xml"),
            "policy%20fragments/a%20b/policy.xml"
        );
        assert_eq!(super::uri("/abs/x.xml"), "file:///abs/x.xml");
    }
}
