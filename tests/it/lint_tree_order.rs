//! `lint` on an APIOps tree reports its files in path order, as they finish: the APIs' files,
//! the shared files (global, products, fragments) that wait for every API, and the files
//! linted alone between them, whatever order the threads finish in.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{bin, run};
use crate::effective::write_tree;

const BROKEN: &str = "<policies>\n    <inbound>\n";

const WITH_BASE: &str = "<policies>\n    <inbound>\n        <base />\n    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>\n";

const OPEN_API: &str = r#"{"properties": {"subscriptionRequired": false}}"#;

#[test]
fn a_tree_with_many_apis_is_reported_in_path_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, String)> = vec![
        ("policy.xml".into(), WITH_BASE.into()),
        ("aa/lone.xml".into(), BROKEN.into()),
        ("zz/lone.xml".into(), BROKEN.into()),
        // Outside the layout, between the shared files in path order.
        ("policy fragments/notes.xml".into(), BROKEN.into()),
        ("products/notes.xml".into(), BROKEN.into()),
    ];
    for p in 1..=3 {
        files.push((format!("products/p{p}/policy.xml"), BROKEN.into()));
        files.push((
            format!("products/p{p}/apis.json"),
            r#"["api1", "api2-x"]"#.into(),
        ));
        files.push((format!("policy fragments/f{p}/policy.xml"), BROKEN.into()));
    }
    // More APIs than the workers' window, ids that sort differently as strings and as paths
    // (api1, api1-x, api10), valid policies with tree findings and broken ones, and files
    // outside the layout among an API's files.
    for n in 1..=90 {
        for id in [format!("api{n}"), format!("api{n}-x")] {
            let policy = if n % 2 == 0 { WITH_BASE } else { BROKEN };
            files.push((format!("apis/{id}/policy.xml"), policy.into()));
            files.push((format!("apis/{id}/apiInformation.json"), OPEN_API.into()));
            files.push((format!("apis/{id}/notes.xml"), BROKEN.into()));
            for op in ["get", "put"] {
                let text = if n % 3 == 0 { BROKEN } else { WITH_BASE };
                files.push((format!("apis/{id}/operations/{op}/policy.xml"), text.into()));
            }
        }
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    write_tree(dir.path(), &borrowed);

    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--format", "json", "."]));
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let mut runs: Vec<&str> = paths.clone();
    runs.dedup();
    // Each file's findings together, and the files in path order (by folder, as the walk
    // sorts them).
    let mut sorted = runs.clone();
    sorted.sort_by_key(|p| PathBuf::from(p));
    sorted.dedup();
    assert_eq!(runs, sorted, "findings are not in path order");
    // Every broken file is there, and the tree rules fired on the shared and API files.
    for (p, t) in &files {
        if t == BROKEN {
            assert!(runs.contains(&p.as_str()), "{p} missing from {runs:?}");
        }
    }
    let rules_at = |path: &str| -> Vec<&str> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| f["rule"].as_str().unwrap())
            .collect()
    };
    assert!(rules_at("policy.xml").contains(&"no-rate-limit"), "{out}");
    assert!(
        rules_at("apis/api2/policy.xml").contains(&"no-authentication"),
        "{out}"
    );
}

/// An API folder whose name is not UTF-8 (no APIM id can be) does not break the tree: its
/// file is linted alone and the other APIs are judged on their effective policies.
#[cfg(unix)]
#[test]
fn an_api_folder_named_in_bytes_that_are_not_utf8_is_linted_alone() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("policy.xml", WITH_BASE),
            ("apis/a/policy.xml", WITH_BASE),
            ("apis/a/operations/get/policy.xml", WITH_BASE),
        ],
    );
    let odd = dir
        .path()
        .join("apis")
        .join(std::ffi::OsStr::from_bytes(b"b\xfe"));
    std::fs::create_dir_all(odd.join("operations").join("get")).unwrap();
    std::fs::write(odd.join("policy.xml"), BROKEN).unwrap();
    std::fs::write(odd.join("operations/get/policy.xml"), BROKEN).unwrap();
    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--format", "json", "."]));
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let at = |path: &str, rule: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"].as_str().unwrap_or("").starts_with(path) && f["rule"] == rule)
    };
    // The broken files under the odd name are read and reported, under a lossy path.
    assert!(at("apis/b\u{fffd}/policy.xml", "parse-error"), "{out}");
    assert!(
        at("apis/b\u{fffd}/operations/get/policy.xml", "parse-error"),
        "{out}"
    );
    // The rest is still a tree: API a is judged through global.
    assert!(at("apis/a/policy.xml", "no-rate-limit"), "{out}");
    assert!(err.contains("name is not UTF-8"), "{err}");
    // `apim coverage` says it too rather than leaving the API out silently.
    let (code, out, err) = run(bin().args(["apim", "coverage"]).arg(dir.path()));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("API a"), "{out}");
    assert!(err.contains("name is not UTF-8"), "{err}");
}
