//! SARIF 2.1.0 for code scanning: one run, the rules with their documentation, one result per
//! finding with its region (columns in Unicode code points).

use serde_json::{json, Value};

use super::{LineIndex, Run};
use crate::lint::{all_rules, Severity};

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
    let mut results = Vec::new();
    for file in run.files {
        let idx = LineIndex::new(&file.src);
        for f in &file.findings {
            let p = idx.position(&f.span);
            let rule_index = all_rules().iter().position(|r| r.id == f.rule).unwrap_or(0);
            results.push(json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": { "text": format!("{}\nhelp: {}", f.message, f.help) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&file.path) },
                        "region": {
                            "startLine": p.line,
                            "startColumn": p.column,
                            "endLine": p.end_line,
                            "endColumn": p.end_column,
                        }
                    }
                }]
            }));
        }
    }
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
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
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
