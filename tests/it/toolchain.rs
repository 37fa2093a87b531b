//! The stated toolchain is the true one: `rust-version` in Cargo.toml (and the README's "Rust
//! toolchain (X or newer)") equals the highest `rust-version` any package of `Cargo.lock` needs
//! in the resolved graph, so `cargo install --locked` works on exactly the versions we name.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

fn parse_version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn rust_version_is_the_highest_a_locked_dependency_needs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let stated = manifest["package"]["rust-version"]
        .as_str()
        .unwrap()
        .to_string();

    // Offline: the packages are in the local registry cache once this crate has been built.
    let out = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", "x86_64-unknown-linux-gnu"])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    // The packages of the resolved graph for this platform (what a build compiles), not every
    // package the lock file lists for other platforms.
    let resolved: BTreeSet<&str> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let mut needs: HashMap<&str, (u64, u64, u64)> = HashMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap();
        if p["name"] == "akto-connect" || !resolved.contains(id) {
            continue;
        }
        if let Some(v) = p["rust_version"].as_str() {
            needs.insert(p["name"].as_str().unwrap(), parse_version(v));
        }
    }
    let (name, highest) = needs
        .iter()
        .max_by_key(|(_, v)| **v)
        .map(|(n, v)| (*n, *v))
        .expect("some dependency states a rust-version");
    let stated_v = parse_version(&stated);
    assert_eq!(
        (stated_v.0, stated_v.1),
        (highest.0, highest.1),
        "Cargo.toml says rust-version {stated}, but {name} needs {}.{} with the locked versions",
        highest.0,
        highest.1
    );

    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let phrase = format!("Rust toolchain ({stated} or newer)");
    assert!(
        readme.contains(&phrase),
        "README should say `{phrase}` where it tells how to build from source"
    );
}
