//! Build script: the registries that are folders. Each lint rule is a file of `src/lint/rules/`
//! (declaring `NAME` in upper case with `declare_rule!`), each lint report format a file of
//! `src/report/formats/` (declaring `pub const FORMAT: Format`). This script writes each
//! folder's module list and its registry constant, so adding a rule or a format is adding its
//! file (plus its test and the README), never editing a list kept by hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    registry(
        &root.join("src/lint/rules"),
        &out.join("rules.rs"),
        "/// Every rule, one per file of `src/lint/rules/` (sorted for the documentation by\n/// [`crate::lint::all_rules`]).\npub const ALL: &[&super::Rule] = &[\n",
        |n| format!("&{n}::{}", n.to_ascii_uppercase()),
    );
    registry(
        &root.join("src/report/formats"),
        &out.join("report_formats.rs"),
        "/// Every report format, by name.\npub const FORMATS: &[Format] = &[\n",
        |n| format!("{n}::FORMAT"),
    );
}

/// Writes `#[path] pub mod NAME;` for each `NAME.rs` of `dir` (but `mod.rs`), then `head`, one
/// `item(NAME),` line per module and `];`.
fn registry(dir: &Path, dest: &Path, head: &str, item: impl Fn(&str) -> String) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_string))
        .filter(|n| n != "mod")
        .collect();
    names.sort();
    for n in &names {
        let valid = n.starts_with(|c: char| c.is_ascii_lowercase())
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        assert!(
            valid,
            "{}/{n}.rs: a registry file is named like a module (a-z, 0-9, _)",
            dir.display()
        );
    }
    let mut out = String::new();
    for n in &names {
        let path = dir.join(format!("{n}.rs"));
        let _ = writeln!(
            out,
            "#[path = {:?}]\npub mod {n};",
            path.display().to_string()
        );
    }
    out.push_str(head);
    for n in &names {
        let _ = writeln!(out, "    {},", item(n));
    }
    out.push_str("];\n");
    std::fs::write(dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}
