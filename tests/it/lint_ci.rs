//! `lint` as a CI step: an empty tree is an error, reports come in a fixed order in every
//! format, SARIF paths have a base, the walk honours .gitignore and hidden files, and `--fix`
//! over many files says what it fixed even when one file fails and judges a tree once fixed.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{bin, run};

const NO_BASE: &str = "<policies>\n    <inbound>\n        <set-header name=\"x\" exists-action=\"delete\" />\n    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>\n";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn no_policy_files_is_exit_2_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes/readme.txt", "not a policy");
    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "notes"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("no policy files") && err.contains("notes") && err.contains("--allow-empty"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--allow-empty", "notes"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("No problems found in 0 files."), "{out}");
}

#[test]
fn sarif_paths_are_relative_to_srcroot() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "apis/a b/policy.xml", NO_BASE);
    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--format", "sarif", "."]));
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let run = &v["runs"][0];
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let cwd = dir.path().canonicalize().unwrap();
    let cwd_name = cwd.file_name().unwrap().to_string_lossy().into_owned();
    assert!(root.contains(&cwd_name), "{root}");
    let loc = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "apis/a%20b/policy.xml");
    assert_eq!(loc["uriBaseId"], "%SRCROOT%");
}

/// (path, rule, line) of every `missing-base` finding (the one each test file has), in report
/// order; the security rules judged on a tree's effective policy are tested elsewhere.
fn json_order(dir: &Path, extra: &[&str]) -> Vec<(String, String, u64)> {
    let (_, out, err) = run(bin()
        .current_dir(dir)
        .args(["lint", "--no-config", "--format", "json"])
        .args(extra));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "missing-base")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn reports_are_in_path_order_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    // More files than the workers' window, named so creation order is not sorted order.
    let mut names: Vec<String> = (0..150)
        .map(|i| format!("apis/api{:03}/policy.xml", (i * 37) % 150))
        .collect();
    for n in &names {
        write(dir.path(), n, NO_BASE);
    }
    names.sort();
    let order = json_order(dir.path(), &["."]);
    let paths: Vec<&str> = order.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(paths, names, "json order");
    // The same order run after run, and in the other formats.
    assert_eq!(json_order(dir.path(), &["."]), order);
    for format in ["text", "github", "sarif"] {
        let (_, out, _) = run(bin().current_dir(dir.path()).args([
            "lint",
            "--no-config",
            "--color",
            "never",
            "--format",
            format,
            ".",
        ]));
        let mut seen = Vec::new();
        for n in &names {
            let at = out
                .find(&n.replace(' ', "%20"))
                .unwrap_or_else(|| panic!("{format}: {n}"));
            seen.push(at);
        }
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "{format}: not in path order"
        );
    }
}

#[test]
fn walk_honours_ignore_files_and_skips_hidden() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "apis/kept/policy.xml", NO_BASE);
    write(dir.path(), ".cache/policy.xml", NO_BASE);
    write(dir.path(), "apis/.hidden.xml", NO_BASE);
    write(dir.path(), "other/.ignore", "skip.xml\n");
    write(dir.path(), "other/skip.xml", NO_BASE);
    // Outside a git repository a .gitignore means nothing (as for ripgrep).
    write(dir.path(), ".gitignore", "apis/kept/\n");
    let paths: Vec<String> = json_order(dir.path(), &["."])
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(paths, ["apis/kept/policy.xml"], "{paths:?}");
    // A file named on the command line is linted whatever the ignore files say.
    let paths: Vec<String> = json_order(dir.path(), &["other/skip.xml"])
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(paths, ["other/skip.xml"]);
}

#[test]
#[ignore = "needs git"]
fn walk_honours_gitignore_in_a_repository() {
    crate::common::require_tool("git");
    let dir = tempfile::tempdir().unwrap();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(git.success());
    write(dir.path(), "apis/kept/policy.xml", NO_BASE);
    write(dir.path(), "apis/generated/policy.xml", NO_BASE);
    write(dir.path(), ".gitignore", "apis/generated/\n");
    let paths: Vec<String> = json_order(dir.path(), &["."])
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(paths, ["apis/kept/policy.xml"], "{paths:?}");
    // From a subfolder too: the repository's .gitignore above it applies.
    let paths: Vec<String> = json_order(dir.path(), &["apis"])
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(paths, ["apis/kept/policy.xml"], "{paths:?}");
}

#[test]
fn fix_over_many_files_reports_fixes_before_an_error_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "apis/a/policy.xml", NO_BASE);
    write(dir.path(), "apis/c/policy.xml", NO_BASE);
    // A file that opens but cannot be read (EIO at offset 0, even for root), between them.
    let (code, out, err) = run(bin().current_dir(dir.path()).args([
        "lint",
        "--no-config",
        "--fix",
        "apis/a/policy.xml",
        "/proc/self/mem",
        "apis/c/policy.xml",
    ]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("fixed apis/a/policy.xml:2:5: added <base />"),
        "{err}"
    );
    assert!(
        err.contains("fixed apis/c/policy.xml:2:5: added <base />"),
        "{err}"
    );
    assert!(
        err.contains("/proc/self/mem: cannot read the file"),
        "{err}"
    );
    assert!(err.contains("2 files were fixed before the error"), "{err}");
    assert!(out.contains("Fixed 2 files."), "{out}");
    for f in ["apis/a/policy.xml", "apis/c/policy.xml"] {
        let text = std::fs::read_to_string(dir.path().join(f)).unwrap();
        assert!(text.contains("<inbound>\n        <base />"), "{text}");
    }
}

#[test]
fn fix_uses_the_line_ending_of_the_place_it_inserts() {
    // First line LF, the rest CRLF: the inserted line takes CRLF from where it goes.
    let text = NO_BASE
        .replacen('\n', "\u{0}", 1)
        .replace('\n', "\r\n")
        .replace('\u{0}', "\n");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "p.xml", &text);
    let (code, _, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--fix", "p.xml"]));
    assert_eq!(code, 0, "{err}");
    let after = std::fs::read_to_string(dir.path().join("p.xml")).unwrap();
    assert!(
        after.contains("<inbound>\r\n        <base />\r\n"),
        "{after:?}"
    );
    assert_eq!(
        after.matches('\n').count() - after.matches("\r\n").count(),
        1,
        "{after:?}"
    );
}

#[test]
fn any_apiops_folder_marks_the_root_policy_global() {
    // A real layout whose root has only groups/ beside policy.xml (no apis/ or products/).
    let global = "<policies>\n    <inbound>\n        <cors />\n    </inbound>\n    <backend>\n        <forward-request />\n    </backend>\n    <outbound />\n    <on-error />\n</policies>\n";
    for folder in [
        "groups",
        "named values",
        "backends",
        "loggers",
        "version sets",
        "workspaces",
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "policy.xml", global);
        write(dir.path(), &format!("{folder}/x/info.json"), "{}");
        let (code, out, err) = run(bin().current_dir(dir.path()).args([
            "lint",
            "--no-config",
            "--color",
            "never",
            ".",
        ]));
        assert_eq!(code, 0, "{folder}: {out}{err}");
    }
}

#[test]
fn a_standalone_file_that_looks_global_gets_a_hint() {
    let global = "<policies>\n    <inbound>\n        <cors />\n    </inbound>\n    <backend>\n        <forward-request />\n    </backend>\n    <outbound />\n    <on-error />\n</policies>\n";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies/global.xml", global);
    write(dir.path(), "policies/echo.xml", NO_BASE);
    let (code, out, _) = run(bin().current_dir(dir.path()).args([
        "lint",
        "--no-config",
        "--format",
        "json",
        "policies",
    ]));
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    for f in v["findings"].as_array().unwrap() {
        let help = f["help"].as_str().unwrap();
        let hinted = help.contains("--scope global");
        match (f["path"].as_str().unwrap(), f["rule"].as_str().unwrap()) {
            ("policies/global.xml", "missing-base") => {
                assert!(
                    hinted && help.contains("\"policies/global.xml\" = \"global\""),
                    "{help}"
                )
            }
            (_, _) => assert!(!hinted, "{f}"),
        }
    }
    // Marked global, it is clean.
    let (code, out, _) = run(bin().current_dir(dir.path()).args([
        "lint",
        "--no-config",
        "--scope",
        "global",
        "policies/global.xml",
    ]));
    assert_eq!(code, 0, "{out}");
}

/// `--fix` on an APIOps tree: the files are fixed first and the tree is then judged as it
/// now stands. Before the fix, the operation's inbound without `<base />` cuts off the global
/// rate limit; after it, the rate limit reaches the operation and only what is still true
/// (no authentication anywhere on an open API) is reported.
#[test]
fn fix_on_a_tree_judges_the_fixed_effective_policies() {
    let with_base = "<policies>\n    <inbound>\n        <base />\n    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>\n";
    let global = "<policies>\n    <inbound>\n        <rate-limit calls=\"10\" renewal-period=\"60\" />\n    </inbound>\n    <backend>\n        <forward-request />\n    </backend>\n    <outbound />\n    <on-error />\n</policies>\n";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policy.xml", global);
    write(dir.path(), "apis/a/policy.xml", with_base);
    write(
        dir.path(),
        "apis/a/apiInformation.json",
        r#"{"properties": {"subscriptionRequired": false}}"#,
    );
    write(dir.path(), "apis/a/operations/get/policy.xml", NO_BASE);
    let rules = |args: &[&str]| -> (i32, Vec<(String, String)>, String) {
        let (code, out, err) = run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--format", "json"])
            .args(args)
            .arg("."));
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
        let found = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["rule"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        (code, found, err)
    };
    let op = "apis/a/operations/get/policy.xml".to_string();
    let (_, before, _) = rules(&[]);
    assert!(
        before.contains(&(op.clone(), "missing-base".into())),
        "{before:?}"
    );
    assert!(
        before.contains(&(op.clone(), "no-rate-limit".into())),
        "{before:?}"
    );

    let (code, after, err) = rules(&["--fix"]);
    assert!(
        err.contains("fixed apis/a/operations/get/policy.xml"),
        "{err}"
    );
    assert!(!after.iter().any(|(p, _)| *p == op), "{after:?}");
    assert!(
        after.contains(&("apis/a/policy.xml".into(), "no-authentication".into())),
        "{after:?}"
    );
    assert!(
        !after.iter().any(|(_, r)| r == "no-rate-limit"),
        "{after:?}"
    );
    assert_eq!(code, 1, "{err}");
}
