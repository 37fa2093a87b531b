//! `akto-connect lint` as CI runs it: every format, exit codes, `--fix`, configuration, and the
//! `rules`/`rule` documentation commands.

use std::path::Path;

use serde_json::Value;

use crate::common::{bin, require_tool, run, test_file};

const MISSING: &str = "fixtures/lint/missing-base/section-without-base.xml";

fn lint(args: &[&str]) -> (i32, String, String) {
    run(bin()
        .current_dir(test_file(""))
        .args(["lint", "--no-config"])
        .args(args))
}

#[test]
fn json_carries_rule_path_line_column() {
    let (code, out, _) = lint(&["--format", "json", MISSING]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "missing-base");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["path"], MISSING);
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(5))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(2), Some(14))
    );
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("<inbound> has no <base />"));
    assert!(f["help"].as_str().unwrap().contains("first child"));
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn sarif_is_2_1_0_with_rules_and_regions() {
    let (code, out, _) = lint(&[
        "--format",
        "sarif",
        MISSING,
        "fixtures/lint/insecure-ingest-url",
    ]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "akto-connect");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["id"] == "missing-base"
        && r["help"]["text"]
            .as_str()
            .unwrap()
            .contains("## Why is this bad?")));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[idx]["id"], r["ruleId"],
            "ruleIndex points at the rule"
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("fixtures/lint/"));
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1);
    }
    let warning = results
        .iter()
        .find(|r| r["ruleId"] == "insecure-ingest-url")
        .unwrap();
    assert_eq!(warning["level"], "warning");
    assert_eq!(
        warning["locations"][0]["physicalLocation"]["region"]["startLine"],
        12
    );
}

#[test]
fn github_annotations() {
    let (code, out, _) = lint(&["--format", "github", MISSING]);
    assert_eq!(code, 1);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("::error file={MISSING},line=2,col=5,endLine=2,endColumn=14,title=akto-connect missing-base::<inbound> has no <base />")),
        "{first}"
    );
    assert!(first.contains("%0Ahelp: add <base />"), "{first}");
}

#[test]
fn text_shows_source_line_caret_and_help() {
    let (_, out, _) = lint(&[MISSING]);
    let expected = format!(
        "{MISSING}:2:5: error[missing-base] <inbound> has no <base />, so the inbound policies of the broader scopes do not run\n  |\n2 |     <inbound>\n  |     ^^^^^^^^^\n  = help: add <base /> as the first child of <inbound>\n"
    );
    assert!(out.starts_with(&expected), "{out}");
    assert!(
        out.ends_with("Found 2 errors, 0 warnings in 1 of 1 file.\n"),
        "{out}"
    );
    assert!(!out.contains('\x1b'), "no colour when not on a terminal");
    let (_, coloured, _) = lint(&["--color", "always", MISSING]);
    assert!(coloured.contains("\x1b[1;31merror\x1b[0m"));
}

#[test]
fn exit_codes_follow_fail_on() {
    let warn_only = "fixtures/lint/duplicate-base/two-bases.xml";
    assert_eq!(lint(&[warn_only]).0, 0, "a warning alone passes by default");
    assert_eq!(lint(&["--fail-on", "warning", warn_only]).0, 1);
    assert_eq!(lint(&["--fail-on", "error", MISSING]).0, 1);
    assert_eq!(lint(&["fixtures/lint/clean"]).0, 0);
    assert_eq!(lint(&["--fail-on", "info", "fixtures/lint/clean"]).0, 0);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let (code, out, err) = lint(&["fixtures/lint/no-such-file.xml"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("no-such-file.xml") && err.contains("no such file"),
        "{err}"
    );
    assert_eq!(lint(&["--format", "yaml", MISSING]).0, 2);
    assert_eq!(lint(&["--fix", "-"]).0, 2);
}

#[test]
fn text_that_is_not_utf8_is_a_parse_error_and_other_files_still_lint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-bad.xml"),
        b"<policies>\n  <inbound>\xff</inbound>\n</policies>",
    )
    .unwrap();
    std::fs::write(dir.path().join("b-utf16.xml"), b"\xff\xfe<\0p\0").unwrap();
    std::fs::write(
        dir.path().join("c-ok.xml"),
        "<policies><inbound /></policies>",
    )
    .unwrap();
    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--format", "json", "."]));
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let f = &v["findings"][0];
    assert_eq!(
        (f["path"].as_str(), f["rule"].as_str()),
        (Some("a-bad.xml"), Some("parse-error"))
    );
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(2), Some(12))
    );
    assert!(f["message"].as_str().unwrap().contains("0xFF"));
    assert!(v["findings"][1]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-16"));
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "c-ok.xml"));
}

#[test]
fn stdin_is_read() {
    let (code, out, _) = run(bin()
        .args(["lint", "--no-config", "--format", "json", "-"])
        .write_stdin("<policies><inbound><base /></inbound></policies>"));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"][0]["path"], "<stdin>");
    assert_eq!(v["summary"]["errors"], 3);
}

/// Lines of `after` that are not in `before`, checking that `before`'s lines all survive in
/// order (the fix only inserted).
fn inserted_lines(before: &str, after: &str) -> Vec<String> {
    let mut added = Vec::new();
    let mut old = before.split_inclusive('\n').peekable();
    for line in after.split_inclusive('\n') {
        if old.peek() == Some(&line) {
            old.next();
        } else {
            added.push(line.to_string());
        }
    }
    assert_eq!(
        old.next(),
        None,
        "--fix changed or removed an existing line"
    );
    added
}

#[test]
fn fix_inserts_only_base_lines_and_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "section-without-base.xml",
        "absent-sections.xml",
        "crlf-tabs-and-empty-section.xml",
        "one-line.xml",
    ] {
        let before =
            std::fs::read_to_string(test_file("fixtures/lint/missing-base").join(name)).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &before).unwrap();
        let (code, _, err) = run(bin().args(["lint", "--no-config", "--fix"]).arg(&path));
        assert_eq!(code, 0, "{name}: not clean after --fix:\n{err}");
        assert!(
            err.contains("fixed ") && err.contains("added <"),
            "{name}: {err}"
        );
        let after = std::fs::read_to_string(&path).unwrap();
        assert_ne!(before, after);
        // Clean on a second run, and a second --fix changes nothing.
        assert_eq!(
            run(bin().args(["lint", "--no-config", "--fix"]).arg(&path)).0,
            0
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            after,
            "{name}: --fix is not idempotent"
        );
        if name == "crlf-tabs-and-empty-section.xml" {
            // Line endings and tabs kept; the self-closing <backend /> is the one line rewritten.
            assert!(
                !after.replace("\r\n", "").contains('\n'),
                "LF crept into a CRLF file"
            );
            assert!(after.contains("\t<backend>\r\n\t\t<base />\r\n\t</backend>\r\n"));
            assert!(after.contains("\t<inbound>\r\n\t\t<base />\r\n"));
            continue;
        }
        if name == "one-line.xml" {
            assert_eq!(
                after,
                "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>\n"
            );
            continue;
        }
        let added = inserted_lines(&before, &after);
        assert!(!added.is_empty());
        for line in &added {
            let t = line.trim();
            assert!(
                t == "<base />"
                    || t == "<backend>"
                    || t == "</backend>"
                    || t == "<on-error>"
                    || t == "</on-error>",
                "{name}: unexpected inserted line {line:?}"
            );
        }
    }
}

#[test]
fn fix_keeps_indentation_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.xml");
    std::fs::write(&path, "<policies>\n  <inbound>\n    <set-header name=\"a\" exists-action=\"delete\" />\n  </inbound>\n  <outbound>\n    <base />\n  </outbound>\n  <on-error>\n    <base />\n  </on-error>\n</policies>\n").unwrap();
    assert_eq!(
        run(bin().args(["lint", "--no-config", "--fix"]).arg(&path)).0,
        0
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "<policies>\n  <inbound>\n    <base />\n    <set-header name=\"a\" exists-action=\"delete\" />\n  </inbound>\n  <backend>\n    <base />\n  </backend>\n  <outbound>\n    <base />\n  </outbound>\n  <on-error>\n    <base />\n  </on-error>\n</policies>\n"
    );
}

/// A small APIOps repository: scopes come from the layout.
fn apiops_repo(dir: &Path) {
    let no_base = "<policies>\n    <inbound>\n        <set-header name=\"x\" exists-action=\"delete\" />\n    </inbound>\n    <backend>\n        <forward-request />\n    </backend>\n    <outbound />\n    <on-error />\n</policies>\n";
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("policy.xml", no_base); // global: no parent, nothing to keep
    write("apis/echo/policy.xml", no_base);
    write("apis/echo/operations/get-item/policy.xml", no_base);
    write("products/starter/policy.xml", no_base);
    write(
        "policy fragments/cors/policy.xml",
        "<fragment>\n    <base />\n</fragment>\n",
    );
}

fn findings_by_path(dir: &Path, extra: &[&str]) -> Vec<(String, String)> {
    let (_, out, err) = run(bin()
        .current_dir(dir)
        .args(["lint", "--format", "json"])
        .args(extra));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    // The repository's backends forward themselves: their backend-override notes are not
    // what these tests are about.
    let mut got: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] != "backend-override")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        // The tree's effective policies have their own tests (security_rules).
        .filter(|(_, rule)| !crate::security_rules::TREE_JUDGED.contains(&rule.as_str()))
        .collect();
    got.dedup();
    got
}

#[test]
fn scope_from_apiops_layout() {
    let dir = tempfile::tempdir().unwrap();
    apiops_repo(dir.path());
    let got = findings_by_path(dir.path(), &["."]);
    assert_eq!(
        got,
        [
            (
                "apis/echo/operations/get-item/policy.xml".into(),
                "missing-base".into()
            ),
            ("apis/echo/policy.xml".into(), "missing-base".into()),
            (
                "policy fragments/cors/policy.xml".into(),
                "base-in-fragment".into()
            ),
            ("products/starter/policy.xml".into(), "missing-base".into()),
        ]
    );
    // --scope overrides the layout.
    let got = findings_by_path(dir.path(), &["--scope", "global", "apis/echo/policy.xml"]);
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn config_sets_levels_scopes_ignores_and_suppressions() {
    let dir = tempfile::tempdir().unwrap();
    apiops_repo(dir.path());
    std::fs::write(
        dir.path().join("akto-connect.toml"),
        r#"
ignore = ["products/**"]
[rules]
base-in-fragment = "warning"
no-rate-limit = "off"
no-input-validation = "off"
infrastructure-headers = "off"
[scopes]
"apis/echo/operations/**" = "global"
[[suppress]]
rule = "missing-base"
paths = ["apis/echo/policy.xml"]
reason = "the echo API deliberately drops inherited policies"
"#,
    )
    .unwrap();
    // Found from a subfolder too: globs are relative to the config's folder.
    let sub = dir.path().join("apis");
    let (code, out, err) = run(bin()
        .current_dir(&sub)
        .args(["lint", "--format", "json", ".."]));
    assert_eq!(code, 0, "only a warning is left:\n{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let findings: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] != "backend-override")
        .collect();
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(findings[0]["rule"], "base-in-fragment");
    assert_eq!(findings[0]["severity"], "warning");

    std::fs::write(
        dir.path().join("akto-connect.toml"),
        "[rules]\nmissing-bse = \"off\"\n",
    )
    .unwrap();
    let (code, _, err) = run(bin().current_dir(dir.path()).args(["lint", "."]));
    assert_eq!(code, 2);
    assert!(
        err.contains("akto-connect.toml") && err.contains("unknown rule `missing-bse`"),
        "{err}"
    );
}

#[test]
fn rules_and_rule_docs() {
    let (code, out, _) = run(bin().arg("rules"));
    assert_eq!(code, 0);
    for id in [
        "parse-error",
        "missing-base",
        "base-in-fragment",
        "duplicate-base",
        "placeholder-url",
        "insecure-ingest-url",
    ] {
        assert!(out.contains(id), "{id} not listed:\n{out}");
        let (code, doc, _) = run(bin().args(["rule", id]));
        assert_eq!(code, 0);
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Fix",
        ] {
            assert!(doc.contains(heading), "{id}: no {heading}:\n{doc}");
        }
    }
    let (code, _, err) = run(bin().args(["rule", "missing-bse"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `missing-base`?"), "{err}");
    let (code, _, err) = run(bin().args(["rule", "no-such-thing-at-all"]));
    assert_eq!(code, 2);
    assert!(err.contains("known: parse-error, missing-base"), "{err}");
}

#[test]
fn report_to_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let (code, stdout, _) = run(bin()
        .current_dir(test_file(""))
        .args(["lint", "--no-config", "--format", "sarif", "-o"])
        .arg(&out)
        .arg(MISSING));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 2);
}

#[test]
#[ignore = "needs script (util-linux)"]
fn colour_on_a_terminal_unless_no_color() {
    // `script` gives the command a real terminal.
    require_tool("script");
    let binary = assert_cmd::cargo::cargo_bin("akto-connect");
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec"])
            .arg(format!("{} lint --no-config {MISSING}", binary.display()))
            .arg("/dev/null")
            .current_dir(test_file(""))
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let coloured = on_tty(None);
    assert!(coloured.contains("missing-base"), "{coloured}");
    assert!(coloured.contains('\x1b'), "a terminal gets colour");
    let plain = on_tty(Some("1"));
    assert!(
        plain.contains("missing-base") && !plain.contains('\x1b'),
        "NO_COLOR turns it off: {plain:?}"
    );
}
