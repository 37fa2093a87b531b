//! Every rule judged on the effective policy by its fixture folder, found by name: a folder
//! `tests/fixtures/trees/rule-<id>/` holds `bad/`, an APIOps tree where `lint` must report the
//! rule, and `good/`, the same tree fixed, where it must not. A rule added on the effective
//! policy needs its rule file, this folder and its README row; nothing here changes.

use std::path::Path;

use crate::common::{bin, run, test_file};

/// Effective-policy rules tested by `security_rules.rs` (on trees written there) rather than by
/// a fixture folder here.
const COVERED_ELSEWHERE: [&str; 7] = [
    "no-authentication",
    "no-rate-limit",
    "infrastructure-headers",
    "no-input-validation",
    "unbounded-body",
    "unknown-fragment",
    // lint_bounds.rs (a generated tree of a large fragment included thousands of times)
    "effective-budget",
];

/// The rules `lint` reports on the tree at `dir`, with every rule on (`[rules]` in a config
/// turning on the rules off by default).
fn rules_reported(dir: &Path, enable: &str) -> (i32, Vec<String>, String) {
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), format!("[rules]\n{enable} = \"warning\"\n")).unwrap();
    let (code, out, err) = run(bin()
        .current_dir(dir)
        .arg("lint")
        .arg("--config")
        .arg(config.path())
        .args(["--format", "json", "."]));
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}: {e}\n{out}{err}", dir.display()));
    let rules = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    (code, rules, out)
}

/// Effective-policy rules as `akto-connect rule ID` documents them (the registry itself).
fn effective_rules() -> Vec<&'static str> {
    akto_connect::lint::all_rules()
        .iter()
        .filter(|r| r.level.is_effective())
        .map(|r| r.id)
        .collect()
}

#[test]
fn every_effective_rule_fires_on_its_bad_tree_and_not_on_its_good_one() {
    let root = test_file("fixtures/trees");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some(id) = name.strip_prefix("rule-") else {
            continue;
        };
        assert!(
            effective_rules().contains(&id),
            "{}: no effective-policy rule `{id}`",
            dir.display()
        );
        let (_, bad, out) = rules_reported(&dir.join("bad"), id);
        assert!(
            bad.iter().any(|r| r == id),
            "{id}: bad/ does not report it:\n{out}"
        );
        let (_, good, out) = rules_reported(&dir.join("good"), id);
        assert!(
            !good.iter().any(|r| r == id),
            "{id}: good/ reports it:\n{out}"
        );
        seen.push(id.to_string());
    }
    for id in effective_rules() {
        assert!(
            seen.iter().any(|s| s == id) || COVERED_ELSEWHERE.contains(&id),
            "effective-policy rule {id} has no fixture folder tests/fixtures/trees/rule-{id}/ (bad/ and good/)"
        );
    }
}

/// Every rule has its row in the README's rule tables.
#[test]
fn every_rule_is_in_the_readme() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for r in akto_connect::lint::all_rules() {
        assert!(
            readme.contains(&format!("\n| `{}` |", r.id)),
            "README.md has no row for rule {}",
            r.id
        );
    }
}
