//! Builds the lint rule registry from the files of `src/lint/rules/`: each `NAME.rs` there
//! (other than `mod.rs`) is a rule module declaring the constant `NAME` in upper case with
//! `declare_rule!`. Adding a rule is adding its file; no list is edited by hand.

use std::fmt::Write as _;

fn main() {
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"))
        .join("src/lint/rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("src/lint/rules is readable")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_string))
        .filter(|n| n != "mod")
        .collect();
    names.sort();
    let mut out = String::new();
    for n in &names {
        let path = dir.join(format!("{n}.rs"));
        let _ = writeln!(
            out,
            "#[path = {:?}]\npub mod {n};",
            path.display().to_string()
        );
    }
    out.push_str("/// Every rule, one per file of `src/lint/rules/` (sorted for the documentation by\n/// [`crate::lint::all_rules`]).\npub const ALL: &[&super::Rule] = &[\n");
    for n in &names {
        let _ = writeln!(out, "    &{n}::{},", n.to_ascii_uppercase());
    }
    out.push_str("];\n");
    let dest =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("set by cargo")).join("rules.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
