//! The lint report formats as the CI systems that read them see them: every registered format is
//! a `--format` value; SARIF fingerprints follow a finding when lines move; the Azure Pipelines
//! commands follow the agent's grammar and escaping; the GitLab report passes GitLab's field
//! list; the JUnit report validates against the Ant JUnit schema. Each is run on the same hostile
//! tree: a folder name with `;`, `]`, `%0A` and a line break, a message with `%`.

use serde_json::Value;
use std::path::Path;

use crate::common::{bin, require_python, require_tool, run};

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
    assert!(
        err.contains("possible values") && err.contains("junit"),
        "{err}"
    );
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
            (
                r["ruleId"].as_str().unwrap().to_string(),
                fp.to_string(),
                line,
            )
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
    assert_eq!(
        distinct.len(),
        before.len(),
        "a fingerprint is shared: {before:?}"
    );

    // Lines inserted above every finding, in both files; the clean file changes too.
    let orders = dir.path().join("apis/orders/policy.xml");
    std::fs::write(&orders, format!("\n\n<!-- moved -->\n{NO_BASE}")).unwrap();
    // The clean file has findings of the tree rules (it is judged in the tree `apis` is in).
    std::fs::write(
        dir.path().join("apis/clean/policy.xml"),
        format!("<!-- moved -->\n{CLEAN}"),
    )
    .unwrap();
    let hostile = dir.path().join("apis/we;ird]%0A\ndir/policy.xml");
    // (A comment above the root too: the tree rules report on the `<inbound>` line itself.)
    let moved = format!(
        "<!-- top -->\n{}",
        HOSTILE.replace(
            "    <inbound>\n",
            "    <inbound>\n        <!-- a -->\n\n        <!-- b -->\n",
        )
    );
    std::fs::write(&hostile, moved).unwrap();
    let (_, after) = lint(dir.path(), "sarif");
    let after = sarif_fingerprints(&after);
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(
            (&b.0, &b.1),
            (&a.0, &a.1),
            "moved from line {} to {}",
            b.2,
            a.2
        );
        assert!(a.2 > b.2, "the finding did not move: {b:?} {a:?}");
    }

    // Changing the finding's own line is a different finding.
    std::fs::write(&orders, NO_BASE.replace("<inbound>", "<inbound><!-- x -->")).unwrap();
    let (_, changed) = lint(dir.path(), "sarif");
    let changed = sarif_fingerprints(&changed);
    assert_ne!(changed, after);
}

/// The JSON report's findings: what every other format must carry.
fn findings(dir: &Path) -> Vec<Value> {
    let (_, out) = lint(dir, "json");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["findings"].as_array().unwrap().clone()
}

/// The Azure Pipelines agent's unescaping of a property value or message (`%AZP25` last).
fn azure_unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%5D", "]")
        .replace("%3B", ";")
        .replace("%AZP25", "%")
}

#[test]
fn azure_lines_follow_the_logging_command_grammar_and_round_trip() {
    let dir = tree();
    let expected = findings(dir.path());
    let (code, out) = lint(dir.path(), "azure");
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), expected.len(), "{out}");
    for (line, f) in lines.iter().zip(&expected) {
        assert!(!line.contains('\r'), "raw CR: {line:?}");
        let rest = line
            .strip_prefix("##vso[task.logissue ")
            .unwrap_or_else(|| panic!("not a logissue command: {line}"));
        // The property list ends at the first `]`: none may be inside a value.
        let (props, message) = rest.split_once(']').unwrap();
        let mut seen = std::collections::BTreeMap::new();
        for prop in props.split(';') {
            let (k, v) = prop
                .split_once('=')
                .unwrap_or_else(|| panic!("{prop} in {line}"));
            assert!(
                ["type", "sourcepath", "linenumber", "columnnumber", "code"].contains(&k),
                "unknown property {k}"
            );
            seen.insert(k, azure_unescape(v));
        }
        let kind = match f["severity"].as_str().unwrap() {
            "error" => "error",
            _ => "warning",
        };
        assert_eq!(seen["type"], kind, "{line}");
        assert_eq!(seen["sourcepath"], f["path"].as_str().unwrap(), "{line}");
        assert_eq!(seen["linenumber"], f["line"].to_string());
        assert_eq!(seen["columnnumber"], f["column"].to_string());
        assert_eq!(seen["code"], f["rule"].as_str().unwrap());
        let prefix = if f["severity"] == "info" {
            "info: "
        } else {
            ""
        };
        assert_eq!(
            azure_unescape(message),
            format!(
                "{prefix}{}\nhelp: {}",
                f["message"].as_str().unwrap(),
                f["help"].as_str().unwrap()
            )
        );
    }
    // The hostile path and message hold every escaped character.
    assert!(
        out.contains("sourcepath=apis/we%3Bird%5D%AZP250A%0Adir/policy.xml;"),
        "{out}"
    );
    assert!(out.contains("(%AZP25` is not a valid"), "{out}");
}

#[test]
#[ignore = "needs python3 with jsonschema"]
fn gitlab_report_passes_gitlabs_code_quality_field_list() {
    require_python(&["jsonschema"]);
    let dir = tree();
    let expected = findings(dir.path());
    let (code, out) = lint(dir.path(), "gitlab");
    assert_eq!(code, 1);
    assert!(
        !out.starts_with('\u{feff}'),
        "GitLab refuses a byte order mark"
    );
    let report = dir.path().join("gl-code-quality-report.json");
    std::fs::write(&report, &out).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance/gitlab-codequality.schema.json");
    let check = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
        ])
        .arg(&report)
        .arg(&schema)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let issues: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(issues.len(), expected.len());
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(
        fingerprints.len(),
        issues.len(),
        "GitLab shows equal fingerprints as one: {out}"
    );
    for (i, f) in issues.iter().zip(&expected) {
        assert_eq!(i["check_name"], f["rule"]);
        assert_eq!(i["location"]["path"], f["path"]);
        assert_eq!(i["location"]["lines"]["begin"], f["line"]);
        assert!(i["description"]
            .as_str()
            .unwrap()
            .contains(f["message"].as_str().unwrap()));
        let severity = match f["severity"].as_str().unwrap() {
            "error" => "major",
            "warning" => "minor",
            _ => "info",
        };
        assert_eq!(i["severity"], severity);
    }
    // No finding is an empty array, still valid (a clean file alone: in a tree the tree rules
    // would find what it lacks).
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "policy.xml", CLEAN);
    let (code, out, err) = run(bin().current_dir(clean.path()).args([
        "lint",
        "--no-config",
        "--format",
        "gitlab",
        "policy.xml",
    ]));
    assert_eq!((code, out.as_str()), (0, "[]\n"), "{err}");
}

#[test]
#[ignore = "needs xmllint (libxml2-utils)"]
fn junit_report_validates_against_the_ant_junit_schema() {
    require_tool("xmllint");
    let dir = tree();
    let expected = findings(dir.path());
    let (code, out) = lint(dir.path(), "junit");
    assert_eq!(code, 1);
    let report = dir.path().join("akto-connect.junit.xml");
    std::fs::write(&report, &out).unwrap();
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/junit.xsd");
    let check = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&report)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}\n{out}",
        String::from_utf8_lossy(&check.stderr)
    );
    // One failure per finding, a passed test case for the clean file; the hostile values come
    // back as they were.
    let xpath = |expr: &str| {
        let o = std::process::Command::new("xmllint")
            .args(["--xpath", expr])
            .arg(&report)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        text.strip_suffix('\n').unwrap_or(&text).to_string()
    };
    assert_eq!(
        xpath("count(//testcase/failure)"),
        expected.len().to_string()
    );
    assert_eq!(xpath("count(//testsuite)"), "3");
    // (In the tree `apis` sits in, the "clean" file has findings of the tree rules too.)
    let mut with_findings: Vec<&str> = expected
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    with_findings.sort();
    with_findings.dedup();
    assert_eq!(
        xpath("count(//testcase[not(failure)])"),
        (3 - with_findings.len()).to_string()
    );
    assert_eq!(
        xpath("sum(//testsuite/@failures)"),
        expected.len().to_string()
    );
    let hostile = expected
        .iter()
        .find(|f| f["rule"] == "regex-invalid")
        .unwrap();
    assert_eq!(
        xpath("string(//failure[@type='regex-invalid']/@message)"),
        hostile["message"].as_str().unwrap()
    );
    assert_eq!(
        xpath("string(//failure[@type='regex-invalid']/../@classname)"),
        hostile["path"].as_str().unwrap(),
        "the line break is kept as a character reference"
    );
}
