//! The lint report formats as the CI systems that read them see them: every registered format is
//! a `--format` value; SARIF fingerprints follow a finding when lines move; the Azure Pipelines
//! commands follow the agent's grammar and escaping; the GitLab report passes GitLab's field
//! list; the JUnit report validates against the Ant JUnit schema. Each is run on the same hostile
//! tree: a folder name with `;`, `]`, `%0A` and a line break, a message with `%`.

use std::path::Path;
use serde_json::Value;

use crate::common::{bin, run};

/// A policy with findings of two rules whose messages and path hold every character the
/// formats escape.
const HOSTILE: &str = r#"<policies>
    <inbound>
        <base />
        <set-variable name="aktoRegexList" value="^/a(%;]" />
        <send-one-way-request mode="new"><set-url>http://ingest.example.com:9091/api/ingestData</set-url></send-one-way-request>
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>
"#;

/// Three `missing-base` findings on one line, one on another.
const NO_BASE: &str = "<policies>\n    <inbound>\n        <set-header name=\"x\" exists-action=\"delete\" />\n    </inbound>\n</policies>\n";

const CLEAN: &str = "<policies>\n    <inbound><base /></inbound>\n    <backend><base /></backend>\n    <outbound><base /></outbound>\n    <on-error><base /></on-error>\n</policies>\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A tree with a hostile path (`;`, `]`, `%0A`, a line break), a file of four findings and a
/// clean file.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "apis/we;ird]%0A\ndir/policy.xml", HOSTILE);
    write(dir.path(), "apis/orders/policy.xml", NO_BASE);
    write(dir.path(), "apis/clean/policy.xml", CLEAN);
    dir
}

/// `lint --format FORMAT apis` in `dir`: exit code and standard output.
fn lint(dir: &Path, format: &str) -> (i32, String) {
    let (code, out, err) = run(bin().current_dir(dir).args([
        "lint",
        "--no-config",
        "--fail-on",
        "info",
        "--format",
        format,
        "apis",
    ]));
    assert!(code == 0 || code == 1, "{format}: exit {code}: {err}");
    (code, out)
}

#[test]
fn every_registered_format_is_a_format_value_with_help() {
    let (code, help, _) = run(bin().args(["lint", "--help"]));
    assert_eq!(code, 0);
    let dir = tree();
    for f in akto_connect::report::FORMATS {
        assert!(
            help.contains(&format!("- {}:", f.name)) && help.contains(f.help),
            "{} missing from lint --help:\n{help}",
            f.name
        );
        let (code, out) = lint(dir.path(), f.name);
        assert_eq!(code, 1, "{}", f.name);
        assert!(out.contains("missing-base"), "{}: {out}", f.name);
    }
    let (code, _, err) = run(bin().args(["lint", "--format", "xunit", "."]));
    assert_eq!(code, 2);
    assert!(err.contains("possible values") && err.contains("junit"), "{err}");
}

/// `partialFingerprints` of a SARIF report, in result order, with each result's rule.
fn sarif_fingerprints(out: &str) -> Vec<(String, String, u64)> {
    let v: Value = serde_json::from_str(out).unwrap();
    assert_eq!(
        v["runs"][0]["automationDetails"]["id"], "akto-connect/lint/",
        "{out}"
    );
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let fp = r["partialFingerprints"]["akto-connect/v1"]
                .as_str()
                .unwrap_or_else(|| panic!("no fingerprint: {r}"));
            let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap();
            (r["ruleId"].as_str().unwrap().to_string(), fp.to_string(), line)
        })
        .collect()
}

#[test]
fn sarif_fingerprints_survive_lines_inserted_above_and_differ_between_findings() {
    let dir = tree();
    let (_, before) = lint(dir.path(), "sarif");
    let before = sarif_fingerprints(&before);
    assert!(before.len() >= 6, "{before:?}");
    let mut distinct: Vec<&String> = before.iter().map(|(_, fp, _)| fp).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), before.len(), "a fingerprint is shared: {before:?}");

    // Lines inserted above every finding, in both files; the clean file changes too.
    let orders = dir.path().join("apis/orders/policy.xml");
    std::fs::write(&orders, format!("\n\n<!-- moved -->\n{NO_BASE}")).unwrap();
    let hostile = dir.path().join("apis/we;ird]%0A\ndir/policy.xml");
    let moved = HOSTILE.replace(
        "    <inbound>\n",
        "    <inbound>\n        <!-- a -->\n\n        <!-- b -->\n",
    );
    std::fs::write(&hostile, moved).unwrap();
    let (_, after) = lint(dir.path(), "sarif");
    let after = sarif_fingerprints(&after);
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((&b.0, &b.1), (&a.0, &a.1), "moved from line {} to {}", b.2, a.2);
        assert!(a.2 > b.2, "the finding did not move: {b:?} {a:?}");
    }

    // Changing the finding's own line is a different finding.
    std::fs::write(&orders, NO_BASE.replace("<inbound>", "<inbound><!-- x -->")).unwrap();
    let (_, changed) = lint(dir.path(), "sarif");
    let changed = sarif_fingerprints(&changed);
    assert_ne!(changed, after);
}
