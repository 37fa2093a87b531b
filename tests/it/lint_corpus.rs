//! The 59 real policies of ../shared/corpus/apim-snippets and the policy of seed 000.
//!
//! The expected findings below were worked out by reading each file: the sections present,
//! and whether each holds a direct `<base />` child.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::{bin, require_shared, run};

/// (file, line, message start) of every expected finding.
const EXPECTED: &[(&str, &str, usize, &str)] = &[
    ("Authenticate-using-Managed-Identity-to-access-Event-Hub.xml", "missing-base", 0, "<inbound>"),
    ("Authenticate-using-Managed-Identity-to-access-Event-Hub.xml", "backend-override", 0, "<backend> forwards"),
    ("Authenticate-using-Managed-Identity-to-access-Event-Hub.xml", "missing-base", 0, "<outbound>"),
    ("Authenticate-using-Managed-Identity-to-access-Event-Hub.xml", "missing-base", 0, "<on-error>"),
    ("Authorize-requests-using-external-authorizer.policy.xml", "missing-base", 14, "<policies> has no <on-error>"),
    // Its backend forwards inside <retry>: an intended override, not a missing <base />.
    ("Back-end-API-redundancy.policy.xml", "backend-override", 36, "<backend> forwards"),
    ("Call-out-to-an-HTTP-endpoint-and-cache-the-response.policy.xml", "parse-error", 41, "string literal"),
    ("Filter-on-IP-Address-when-using-Application-Gateway.policy.xml", "missing-base", 9, "<policies> has no <backend>"),
    ("Filter-on-IP-Address-when-using-Application-Gateway.policy.xml", "missing-base", 9, "<policies> has no <outbound>"),
    ("Filter-on-IP-Address-when-using-Application-Gateway.policy.xml", "missing-base", 9, "<policies> has no <on-error>"),
    ("Filter-response-content-based-on-product-name.policy.xml", "parse-error", 2, "`--` inside a comment"),
    ("GET-a-file-from-blobStorage-account.xml", "missing-base", 17, "<policies> has no <backend>"),
    ("Generate-Azure-Relay-Token.policy.xml", "missing-base", 54, "<outbound>"),
    ("Get-OAuth2-access-token-from-AAD-using-client-id-and-certificate-using-key-vault-manage-identity.xml", "missing-base", 0, "<inbound>"),
    ("Get-OAuth2-access-token-from-AAD-using-client-id-and-certificate-using-key-vault-manage-identity.xml", "backend-override", 0, "<backend> forwards"),
    ("Get-OAuth2-access-token-from-AAD-using-client-id-and-certificate-using-key-vault-manage-identity.xml", "missing-base", 0, "<outbound>"),
    ("Get-OAuth2-access-token-from-AAD-using-client-id-and-certificate-using-key-vault-manage-identity.xml", "missing-base", 0, "<on-error>"),
    ("Handle-Power-Query-access-request-to-custom-API.policy.xml", "missing-base", 60, "<on-error>"),
    // The sample leaves `https://your-custom-apim-domain` as the JWT audience to fill in.
    ("Handle-Power-Query-access-request-to-custom-API.policy.xml", "placeholder-url", 33, "<audience> still holds the placeholder `your-custom-apim-domain`"),
    ("Log-errors-to-Stackify.policy.xml", "missing-base", 20, "<on-error>"),
    // Its backend is a bare <forward-request />: an intended override.
    ("Mask-async-calls-as-synchronous.policy.xml", "backend-override", 11, "<backend> forwards"),
    ("Random-load-balancer-simpler.policy.xml", "missing-base", 5, "<inbound>"),
];

#[test]
#[ignore = "needs ../shared"]
fn corpus_findings_are_exactly_the_expected_ones() {
    let dir = require_shared("corpus/apim-snippets");
    let (code, out, err) =
        run(bin()
            .current_dir(&dir)
            .args(["lint", "--no-config", "--format", "json", "."]));
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["summary"]["files"], 59);
    let mut got: Vec<(String, String, usize, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        // The security rules' corpus findings are listed in security_rules.
        .filter(|f| !crate::security_rules::SECURITY.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    // Every expected finding is there, at its line (0: the line is checked elsewhere).
    let mut unmatched = got.clone();
    for (file, rule, line, msg) in EXPECTED {
        let at = unmatched.iter().position(|(p, r, l, m)| {
            p == file && r == rule && (*line == 0 || l == line) && m.starts_with(msg)
        });
        match at {
            Some(i) => {
                unmatched.remove(i);
            }
            None => panic!("expected {rule} at {file}:{line} ({msg}), got:\n{got:#?}"),
        }
    }
    assert!(unmatched.is_empty(), "unexpected findings: {unmatched:#?}");

    // 57 sound files read without a parse error; each broken one gives exactly one.
    let parse_errors: BTreeMap<_, usize> =
        got.iter()
            .filter(|f| f.1 == "parse-error")
            .fold(BTreeMap::new(), |mut m, f| {
                *m.entry(f.0.clone()).or_default() += 1;
                m
            });
    assert_eq!(parse_errors.len(), 2, "{parse_errors:?}");
    assert!(parse_errors.values().all(|&n| n == 1));
}

#[test]
#[ignore = "needs ../shared"]
fn corpus_policies_missing_every_base_are_reported_at_each_section() {
    // The two policies that omit <base /> everywhere: four findings each, at the section tags
    // (their backends forward themselves, so that one is a backend-override note).
    let dir = require_shared("corpus/apim-snippets");
    for file in [
        "Authenticate-using-Managed-Identity-to-access-Event-Hub.xml",
        "Get-OAuth2-access-token-from-AAD-using-client-id-and-certificate-using-key-vault-manage-identity.xml",
    ] {
        let src = std::fs::read_to_string(dir.join(file)).unwrap();
        let (_, out, _) = run(bin().current_dir(&dir).args(["lint", "--no-config", "--format", "json", file]));
        let report: Value = serde_json::from_str(&out).unwrap();
        let lines: Vec<u64> = report["findings"].as_array().unwrap().iter().map(|f| f["line"].as_u64().unwrap()).collect();
        let expected: Vec<u64> = ["<inbound", "<backend", "<outbound", "<on-error"]
            .iter()
            .map(|tag| src[..src.find(tag).unwrap()].matches('\n').count() as u64 + 1)
            .collect();
        assert_eq!(lines, expected, "{file}");
    }
}

/// The policy of seed 000 (from `<policies>` to `</policies>`), as users paste it.
fn seed_policy() -> String {
    let dir = require_shared("seeds");
    let seed = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("000_"))
        .expect("seed 000");
    let text = std::fs::read_to_string(seed).unwrap();
    let start = text.find("<policies>").unwrap();
    let end = text.find("</policies>").unwrap() + "</policies>".len();
    text[start..end].to_string()
}

#[test]
#[ignore = "needs ../shared"]
fn seed_policy_has_exactly_one_placeholder_url() {
    let policy = seed_policy();
    let (code, out, _) = run(bin()
        .args(["lint", "--no-config", "--format", "json", "-"])
        .write_stdin(policy.clone()));
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{out}");
    assert_eq!(findings[0]["rule"], "placeholder-url");
    let line = policy
        .lines()
        .position(|l| l.contains("<YOUR_AKTO"))
        .unwrap()
        + 1;
    assert_eq!(findings[0]["line"].as_u64().unwrap() as usize, line);
    let col = policy.lines().nth(line - 1).unwrap().find("<YOUR").unwrap() + 1;
    assert_eq!(findings[0]["column"].as_u64().unwrap() as usize, col);
}

#[test]
#[ignore = "needs ../shared"]
fn fix_on_a_copy_of_the_corpus_leaves_overriding_backends_alone() {
    let dir = require_shared("corpus/apim-snippets");
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let copy = tmp.path().join(p.file_name().unwrap());
        std::fs::copy(&p, &copy).unwrap();
        // The shared corpus may be read-only; the copy is the user's own, writable file.
        let mut perms = std::fs::metadata(&copy).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&copy, perms).unwrap();
    }
    let (code, _, err) =
        run(bin()
            .current_dir(tmp.path())
            .args(["lint", "--no-config", "--fix", "."]));
    // The two unreadable files still fail; everything fixable was fixed.
    assert_eq!(code, 1, "{err}");
    // Backends that forward themselves are untouched: no <base /> in front of forward-request.
    for file in [
        "Mask-async-calls-as-synchronous.policy.xml",
        "Back-end-API-redundancy.policy.xml",
    ] {
        let before = std::fs::read_to_string(dir.join(file)).unwrap();
        let after = std::fs::read_to_string(tmp.path().join(file)).unwrap();
        assert_eq!(before, after, "{file} was edited:\n{err}");
        assert!(!err.contains(file), "{file} reported as fixed:\n{err}");
    }
    // In the files missing <base /> everywhere, the other three sections were fixed and the
    // backend was not.
    let file = "Authenticate-using-Managed-Identity-to-access-Event-Hub.xml";
    let after = std::fs::read_to_string(tmp.path().join(file)).unwrap();
    let backend = &after[after.find("<backend>").unwrap()..after.find("</backend>").unwrap()];
    assert!(!backend.contains("<base"), "{backend}");
    for section in ["<inbound>", "<outbound>", "<on-error>"] {
        let at = after.find(section).unwrap();
        assert!(
            after[at..]
                .trim_start_matches(section)
                .trim_start()
                .starts_with("<base />"),
            "{section} not fixed in {file}"
        );
    }
    // The other fixes still apply: of what --fix handles (missing-base), nothing is left;
    // parse errors, notes, the placeholder and the security findings are not its to fix.
    let (_, out, _) =
        run(bin()
            .current_dir(tmp.path())
            .args(["lint", "--no-config", "--format", "json", "."]));
    let report: Value = serde_json::from_str(&out).unwrap();
    let left: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .filter(|r| *r == "missing-base" || *r == "duplicate-base")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
