//! Every rule on its fixtures (snapshots of the report a user reads), and a set of policies
//! that must stay clean.

use std::path::Path;

use crate::common::{bin, run, test_file};

/// The text report for one fixture, as `akto-connect lint` prints it from tests/fixtures/lint.
fn report(path: &Path) -> (i32, String) {
    let dir = test_file("fixtures/lint");
    let rel = path
        .strip_prefix(&dir)
        .expect("fixture under tests/fixtures/lint");
    let (code, out, _) = run(bin()
        .current_dir(&dir)
        .args([
            "lint",
            "--no-config",
            "--color",
            "never",
            "--format",
            "text",
        ])
        .arg(rel));
    (code, out)
}

#[test]
fn rule_fixtures() {
    insta::glob!("../fixtures/lint", "*/*.xml", |path| {
        let rule = path
            .parent()
            .and_then(Path::file_name)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rule == "clean" {
            return;
        }
        let (code, out) = report(path);
        // Each fixture shows its folder's rule, and the exit code follows the severity.
        assert!(
            out.contains(&format!("[{rule}]")),
            "{}: no {rule} finding:\n{out}",
            path.display()
        );
        let has_error = out.lines().any(|l| l.contains(": error["));
        assert_eq!(code, if has_error { 1 } else { 0 }, "{out}");
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!("lint", out);
        });
    });
}

#[test]
fn clean_fixtures_stay_clean() {
    let dir = test_file("fixtures/lint/clean");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let (code, out) = report(&path);
        assert_eq!(code, 0, "{}:\n{out}", path.display());
        assert!(
            out.starts_with("No problems found in 1 file."),
            "{}:\n{out}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 6, "the clean set shrank to {n} files");
}

#[test]
fn generated_capture_policies_lint_clean() {
    // What `apim policy` writes must pass `lint`, in both forms and for every option set.
    for (name, opts) in crate::common::option_sets() {
        let policy = crate::common::render(&opts);
        let (code, out, _) = run(bin()
            .args(["lint", "--no-config", "--fail-on", "info", "-"])
            .write_stdin(policy));
        assert_eq!(code, 0, "{name}:\n{out}");
    }
}
