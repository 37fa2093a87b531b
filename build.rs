//! Build script: the lint report formats are the files of `src/report/formats/`. Each file is
//! a module of `report` and declares itself with `pub const FORMAT: Format`; this script writes
//! the module list and the registry, so adding a format touches only its own file (plus its test
//! and the README), never a list kept by hand.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/formats");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| {
            let stem = p.file_stem()?.to_str()?.to_string();
            let valid = !stem.is_empty()
                && stem.starts_with(|c: char| c.is_ascii_lowercase())
                && stem
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            assert!(
                valid,
                "{}: a format file is named like a module (a-z, 0-9, _)",
                p.display()
            );
            Some((stem, p))
        })
        .collect();
    names.sort();
    let mut out = String::new();
    for (name, path) in &names {
        let _ = writeln!(
            out,
            "#[path = {:?}]\npub mod {name};",
            path.display().to_string()
        );
    }
    out.push_str("/// Every report format, by name.\npub const FORMATS: &[Format] = &[\n");
    for (name, _) in &names {
        let _ = writeln!(out, "    {name}::FORMAT,");
    }
    out.push_str("];\n");
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("report_formats.rs");
    std::fs::write(&target, out)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", target.display()));
}
