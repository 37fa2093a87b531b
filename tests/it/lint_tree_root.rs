//! `lint` on a path inside an APIOps tree finds the tree's root above it and judges the
//! effective policy there; the README's CI step lints the root of a tree with no fragments
//! folder; when no tree is found, every format says the tree rules were not run; a
//! `[[suppress]]` entry that turned nothing off is named.

use std::path::Path;

use serde_json::Value;

use crate::common::{bin, run};
use crate::readme_examples::words;

const FIXTURE: &str = "tests/fixtures/trees/apiops-extractor-no-fragments";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The fixture tree (no fragments folder), copied to a fresh folder.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE),
        dir.path(),
    );
    for d in [
        "policy fragments",
        "policyFragments",
        "policy_fragments",
        "fragments",
    ] {
        assert!(!dir.path().join(d).exists(), "the fixture has no {d}/");
    }
    dir
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The README's section that starts with `heading`, up to the next heading of its level.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rest = &text[start + heading.len()..];
    let level = heading.split(' ').next().unwrap();
    let end = rest.find(&format!("\n{level} ")).unwrap_or(rest.len());
    &rest[..end]
}

/// Runs an `akto-connect …` command line as words, in `dir`.
fn run_line(dir: &Path, line: &[String]) -> (i32, String, String) {
    assert_eq!(line[0], "akto-connect", "{line:?}");
    run(bin().current_dir(dir).env("NO_COLOR", "1").args(&line[1..]))
}

/// The `(rule, path)` of every GitHub annotation with a file.
fn annotations(out: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| {
            let file = l.split("file=").nth(1)?.split(',').next()?;
            let rule = l.split("title=akto-connect ").nth(1)?.split("::").next()?;
            Some((rule.to_string(), file.to_string()))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn the_readmes_ci_step_lints_the_tree_root_and_gets_the_tree_rules() {
    let t = tree();
    let text = readme();
    let ci = section(&text, "## Linting policies in CI");
    // The pull-request step, as written in the README.
    let line = ci
        .lines()
        .find(|l| l.contains("# pull-request annotations"))
        .expect("the README's pull-request step");
    let step = words(line);
    assert!(step.contains(&"github".to_string()), "{step:?}");
    let (code, out, err) = run_line(t.path(), &step);
    assert_eq!(code, 1, "{line}\n{out}{err}");
    let found = annotations(&out);
    assert!(
        found.contains(&("no-authentication".into(), "apis/orders/policy.xml".into())),
        "{line}: {found:?}\n{out}"
    );
    assert!(!out.contains("outside an APIOps tree"), "{out}");
    assert!(!err.contains("outside an APIOps tree"), "{err}");

    // The GitHub Action's `paths:` in the README, linted the way action.yml does.
    let action = section(&text, "### GitHub Action");
    let paths_line = action
        .lines()
        .find(|l| l.trim_start().starts_with("paths:"))
        .expect("the action's paths input in the README");
    let value = paths_line.split_once(':').unwrap().1;
    let value = value.split(" #").next().unwrap().trim();
    assert!(!value.starts_with('|'), "paths is one line: {paths_line}");
    let (code, out, err) = run(bin().current_dir(t.path()).args([
        "lint",
        "--format",
        "github",
        "--fail-on",
        "warning",
        "--",
        value,
    ]));
    assert_eq!(code, 1, "{paths_line}\n{out}{err}");
    assert_eq!(annotations(&out), found, "{paths_line}");

    // The other CI systems' steps in the README lint the root too.
    for l in ci
        .lines()
        .filter(|l| l.contains("akto-connect lint --format"))
    {
        let cmd = &l[l.find("akto-connect lint --format").unwrap()..];
        let w = words(cmd.split('`').next().unwrap());
        assert_eq!(
            w.last().map(String::as_str),
            Some("."),
            "a CI step lints the tree's root: {l}"
        );
    }
}

#[test]
fn a_folder_or_file_inside_the_tree_is_judged_in_the_tree() {
    let t = tree();
    let github = |dir: &Path, path: &str| {
        let (code, out, err) =
            run(bin()
                .current_dir(dir)
                .args(["lint", "--no-config", "--format", "github", path]));
        assert_eq!(code, 1, "{path}: {out}{err}");
        assert!(!err.contains("outside an APIOps tree"), "{path}: {err}");
        assert!(!out.contains("outside an APIOps tree"), "{path}: {out}");
        out
    };
    let root = annotations(&github(t.path(), "."));
    // `lint apis/`: the same findings of the files below apis/, none of the others.
    let apis = annotations(&github(t.path(), "apis/"));
    let expected: Vec<_> = root
        .iter()
        .filter(|(_, p)| p.starts_with("apis/"))
        .cloned()
        .collect();
    assert_eq!(apis, expected);
    assert!(
        apis.contains(&("no-authentication".into(), "apis/orders/policy.xml".into())),
        "{apis:?}"
    );
    // One file of the tree, and `lint .` run from a folder inside it.
    let one = annotations(&github(t.path(), "apis/orders/policy.xml"));
    assert!(
        one.iter().all(|(_, p)| p == "apis/orders/policy.xml"),
        "{one:?}"
    );
    assert!(one.contains(&("no-authentication".into(), "apis/orders/policy.xml".into())));
    let inside = annotations(&github(&t.path().join("apis/orders"), "."));
    assert!(
        inside.contains(&("no-authentication".into(), "policy.xml".into())),
        "{inside:?}"
    );
    // Named twice (the root and a folder in it): each finding is reported once.
    let (_, out, _) = run(bin().current_dir(t.path()).args([
        "lint",
        "--no-config",
        "--format",
        "github",
        ".",
        "apis",
    ]));
    assert_eq!(annotations(&out), root);
}

/// Where each format carries the run's notes, for a report `out` and standard error `err`.
fn notes_of(format: &str, out: &str, err: &str) -> Vec<String> {
    let lines = |prefix: &str, from: &str| -> Vec<String> {
        from.lines()
            .filter_map(|l| l.strip_prefix(prefix).map(str::to_string))
            .collect()
    };
    match format {
        "text" | "gitlab" => lines("note: ", err),
        "json" => {
            let v: Value = serde_json::from_str(out).unwrap();
            v["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect()
        }
        "sarif" => {
            let v: Value = serde_json::from_str(out).unwrap();
            v["runs"][0]["invocations"][0]["toolExecutionNotifications"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|n| {
                            assert_eq!(n["level"], "note");
                            n["message"]["text"].as_str().unwrap().to_string()
                        })
                        .collect()
                })
                .unwrap_or_default()
        }
        "github" => lines("::notice title=akto-connect lint::", out),
        "azure" => lines("##[warning]note: ", out),
        "junit" => {
            let Some(start) = out.find("name=\"akto-connect lint notes\"") else {
                return Vec::new();
            };
            let body = &out[start..];
            let s = body.find("<system-out>").unwrap() + "<system-out>".len();
            let e = body.find("</system-out>").unwrap();
            body[s..e]
                .split("&#10;")
                .map(|n| {
                    n.strip_prefix("note: ")
                        .unwrap()
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&apos;", "'")
                        .replace("&quot;", "\"")
                        .replace("&amp;", "&")
                })
                .collect()
        }
        other => panic!("format {other}: say here where it carries the run's notes"),
    }
}

#[test]
fn outside_a_tree_every_format_says_the_tree_rules_were_not_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.xml"),
        "<policies>\n    <inbound><base /></inbound>\n    <backend><base /></backend>\n    <outbound><base /></outbound>\n    <on-error><base /></on-error>\n</policies>\n",
    )
    .unwrap();
    for f in akto_connect::report::FORMATS {
        let (code, out, err) = run(bin().current_dir(dir.path()).args([
            "lint",
            "--no-config",
            "--format",
            f.name,
            "policy.xml",
        ]));
        assert_eq!(code, 0, "{}: {out}{err}", f.name);
        let notes = notes_of(f.name, &out, &err);
        assert_eq!(notes.len(), 1, "{}: {notes:?}\n{out}\n{err}", f.name);
        assert!(
            notes[0].contains("1 file linted outside an APIOps tree")
                && notes[0].contains("tree rules were not run"),
            "{}: {notes:?}",
            f.name
        );
    }
    // Inside a tree there is no such note, in any format.
    let t = tree();
    for f in akto_connect::report::FORMATS {
        let (_, out, err) = run(bin().current_dir(t.path()).args([
            "lint",
            "--no-config",
            "--format",
            f.name,
            "apis",
        ]));
        assert!(
            notes_of(f.name, &out, &err).is_empty(),
            "{}: {out}{err}",
            f.name
        );
    }
}

#[test]
fn a_suppression_that_turns_nothing_off_is_named_in_every_format() {
    let t = tree();
    std::fs::write(
        t.path().join("akto-connect.toml"),
        r#"[[suppress]]
rule = "no-authentication"
paths = ["apis/orders/policy.xml"]
reason = "orders is public on purpose"

[[suppress]]
rule = "no-authentication"
paths = ["apis/order/policy.xml"]
reason = "a typo in the path"
"#,
    )
    .unwrap();
    // A run of some files only (a pre-commit hook) does not judge the entries for others.
    let (_, _, err) = run(bin()
        .current_dir(t.path())
        .args(["lint", "apis/health/policy.xml"]));
    assert!(!err.contains("[[suppress]]"), "{err}");
    // The used entry did its job.
    let (_, out, _) = run(bin()
        .current_dir(t.path())
        .args(["lint", "--format", "json", "."]));
    let v: Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.is_empty() && !rules.contains(&"no-authentication"),
        "{rules:?}"
    );
    for f in akto_connect::report::FORMATS {
        let (_, out, err) = run(bin()
            .current_dir(t.path())
            .args(["lint", "--format", f.name, "."]));
        // Standard error warns in every format, naming the entry.
        let warning = err
            .lines()
            .find(|l| l.starts_with("warning: ") && l.contains("[[suppress]]"))
            .unwrap_or_else(|| panic!("{}: no warning\n{err}", f.name));
        assert!(
            warning.contains("entry #2")
                && warning.contains("paths = [\"apis/order/policy.xml\"]")
                && warning.contains("turned off no finding"),
            "{}: {warning}",
            f.name
        );
        assert!(!err.contains("entry #1"), "{}: {err}", f.name);
        // The formats with a place for notes carry it too.
        if !matches!(f.name, "text" | "gitlab") {
            let notes = notes_of(f.name, &out, &err);
            assert!(
                notes.iter().any(|n| n.contains("[[suppress]] entry #2")),
                "{}: {notes:?}",
                f.name
            );
        }
    }
}

/// The README states lint's speed as a ratio to xmllint measured in the same run (seconds move
/// with the machine's load), for each of the three benchmarks.
#[test]
fn the_readmes_speed_figures_are_ratios_to_xmllint() {
    let text = readme();
    let start = text
        .find("\nSpeed, as a ratio to `xmllint --noout`")
        .expect("the Speed paragraph");
    let para = &text[start + 1..];
    let para = &para[..para.find("\n\n").unwrap()];
    for bench in [
        "bench/lint-vs-xmllint.sh",
        "bench/lint-scale.sh",
        "bench/lint-tree-vs-xmllint.sh",
    ] {
        let at = para
            .find(bench)
            .unwrap_or_else(|| panic!("{bench} in {para}"));
        let before = &para[..at];
        let claim = &before[before.rfind(';').map_or(0, |i| i + 1)..];
        assert!(
            claim.contains("of xmllint's time") || claim.contains("of its time"),
            "{claim}"
        );
    }
}
