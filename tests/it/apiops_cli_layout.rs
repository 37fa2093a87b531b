//! A tree in the apiops-cli layout (camelCase folders, a fragment's XML in its information
//! file): `lint` and `apim effective` find the fragment, so its includes are judged on what the
//! fragment does, not reported as `unknown-fragment`.

use crate::common::{bin, run, test_file};

#[test]
fn lint_finds_fragments_kept_in_their_information_file() {
    let dir = test_file("fixtures/trees/apiops-cli-layout");
    let (_, out, err) = run(bin().arg("lint").args(["--format", "json"]).arg(&dir));
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}{err}"));
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"unknown-fragment"), "{out}");
    // The fragment's validate-jwt is in force on every path: no no-authentication.
    assert!(!rules.contains(&"no-authentication"), "{out}");
    // The tree is still judged: the API's policy has no input validation.
    assert!(rules.contains(&"no-input-validation"), "{out}");
}

#[test]
fn effective_policy_splices_the_fragment_from_its_information_file() {
    let dir = test_file("fixtures/trees/apiops-cli-layout");
    let (code, out, err) = run(bin()
        .args(["apim", "effective", "--api", "orders"])
        .arg(&dir));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("validate-jwt"), "{out}");
    assert!(!out.contains("include-fragment"), "{out}");
}
