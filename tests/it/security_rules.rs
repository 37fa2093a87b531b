//! The security rules of seed 003 judged on an APIOps tree's effective policy: each tree rule
//! firing and not, placed where the fix belongs and reported once per cause; and the Microsoft
//! corpus giving no false error.

use std::path::Path;

use serde_json::Value;

use crate::common::{bin, require_shared, run};
use crate::effective::write_tree;

/// The rules judged only on a tree's effective policy.
pub const TREE_JUDGED: [&str; 6] = [
    "no-authentication",
    "no-rate-limit",
    "infrastructure-headers",
    "no-input-validation",
    "unknown-fragment",
    "unbounded-body",
];

/// Every security rule (seed 003).
pub const SECURITY: [&str; 13] = [
    "no-authentication",
    "no-rate-limit",
    "jwt-weak",
    "hardcoded-secret",
    "insecure-backend",
    "key-in-query",
    "infrastructure-headers",
    "error-details-leak",
    "cors-wildcard",
    "sensitive-trace",
    "no-input-validation",
    "unbounded-body",
    "unknown-fragment",
];

fn lint_json(dir: &Path) -> (i32, Vec<(String, String, String, String)>) {
    let (code, out, err) =
        run(bin()
            .current_dir(dir)
            .args(["lint", "--no-config", "--format", "json", "."]));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let got = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, got)
}

fn lint_text(dir: &Path) -> (i32, String, String) {
    run(bin()
        .current_dir(dir)
        .args(["lint", "--no-config", "--color", "never", "."]))
}

const WITH_BASE: &str = "<policies>
    <inbound>
        <base />
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
";

/// Every control in force at global scope: nothing for the tree rules to say.
const SECURE_GLOBAL: &str = r#"<policies>
    <inbound>
        <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
            <openid-config url="https://login.example.com/.well-known/openid-configuration" />
            <audiences>
                <audience>api://orders</audience>
            </audiences>
        </validate-jwt>
        <rate-limit-by-key calls="100" renewal-period="60" counter-key="@(context.Request.IpAddress)" />
        <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" />
    </inbound>
    <backend>
        <forward-request />
    </backend>
    <outbound>
        <set-header name="X-Powered-By" exists-action="delete" />
        <set-header name="X-AspNet-Version" exists-action="delete" />
        <set-header name="Server" exists-action="delete" />
    </outbound>
    <on-error />
</policies>
"#;

/// The operation drops the global inbound (no <base />).
const OP_WITHOUT_INBOUND_BASE: &str = r#"<policies>
    <inbound>
        <set-header name="X-Op" exists-action="override">
            <value>1</value>
        </set-header>
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
"#;

const INCLUDES_MISSING: &str = r#"<policies>
    <inbound>
        <base />
        <include-fragment fragment-id="rate-limits" />
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
"#;

const OPEN_API: &str = r#"{"properties": {"subscriptionRequired": false}}"#;

#[test]
fn a_secure_tree_has_nothing_to_report() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("policy.xml", SECURE_GLOBAL),
            ("apis/open/policy.xml", WITH_BASE),
            ("apis/open/apiInformation.json", OPEN_API),
            ("apis/open/operations/get/policy.xml", WITH_BASE),
            // The fragment exists: no unknown-fragment.
            (
                "apis/keyed/policy.xml",
                &INCLUDES_MISSING.replace("rate-limits", "headers"),
            ),
            (
                "policy fragments/headers/policy.xml",
                "<fragment>\n    <set-header name=\"X-Frame-Options\" exists-action=\"override\">\n        <value>DENY</value>\n    </set-header>\n</fragment>\n",
            ),
            ("products/starter/policy.xml", WITH_BASE),
            ("products/starter/apis.json", r#"["keyed"]"#),
        ],
    );
    let (code, out, err) = lint_text(dir.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("No problems found in 6 files."), "{out}");
}

#[test]
fn tree_rules_fire_where_the_fix_belongs() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            // Global: no authentication, no rate limit, no validation, headers kept.
            ("policy.xml", WITH_BASE),
            ("apis/open/policy.xml", WITH_BASE),
            ("apis/open/apiInformation.json", OPEN_API),
            ("apis/open/operations/get/policy.xml", WITH_BASE),
            ("apis/open/operations/put/policy.xml", WITH_BASE),
            // Subscription required (no apiInformation.json): no-authentication stays quiet.
            ("apis/keyed/policy.xml", INCLUDES_MISSING),
        ],
    );
    let (code, out, err) = lint_text(dir.path());
    assert_eq!(code, 1, "{err}");
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("security-tree-fires", out);
    });
    let (_, got) = lint_json(dir.path());
    let rules_at = |path: &str| -> Vec<&str> {
        got.iter()
            .filter(|f| f.0 == path)
            .map(|f| f.1.as_str())
            .collect()
    };
    // One finding per cause, at the API's policy: not repeated at its operations.
    assert_eq!(
        rules_at("apis/open/policy.xml"),
        [
            "no-authentication",
            "no-input-validation",
            "no-rate-limit",
            "infrastructure-headers"
        ]
    );
    assert!(rules_at("apis/open/operations/get/policy.xml").is_empty());
    let auth = got.iter().find(|f| f.1 == "no-authentication").unwrap();
    assert_eq!(auth.2, "error");
    assert!(
        auth.3.contains("judged on global → no product → API open")
            && auth.3.contains("and 2 more API paths or operations"),
        "{}",
        auth.3
    );
    // keyed needs a subscription: judged for everything but authentication.
    assert_eq!(
        rules_at("apis/keyed/policy.xml"),
        ["unknown-fragment", "infrastructure-headers"],
        "an unresolved fragment leaves the inbound unknown: no absence is claimed there"
    );
}

#[test]
fn a_scope_without_base_is_blamed_for_what_it_cuts_off() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("policy.xml", SECURE_GLOBAL),
            ("apis/open/policy.xml", WITH_BASE),
            ("apis/open/apiInformation.json", OPEN_API),
            (
                "apis/open/operations/upload/policy.xml",
                OP_WITHOUT_INBOUND_BASE,
            ),
        ],
    );
    let (code, got) = lint_json(dir.path());
    assert_eq!(code, 1);
    let tree: Vec<_> = got
        .iter()
        .filter(|f| TREE_JUDGED.contains(&f.1.as_str()))
        .collect();
    let at_op: Vec<_> = tree
        .iter()
        .filter(|f| f.0 == "apis/open/operations/upload/policy.xml")
        .map(|f| f.1.as_str())
        .collect();
    assert_eq!(
        at_op,
        ["no-authentication", "no-input-validation", "no-rate-limit"],
        "{tree:?}"
    );
    assert_eq!(tree.len(), 3, "nothing at the API or global: {tree:?}");
    let auth = tree.iter().find(|f| f.1 == "no-authentication").unwrap();
    assert!(
        auth.3.starts_with("operation upload `<inbound>` has no `<base />`, so the authentication configured at global does not run"),
        "{}",
        auth.3
    );
}

#[test]
fn a_product_without_subscription_needs_authentication() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("policy.xml", WITH_BASE),
            ("apis/keyed/policy.xml", WITH_BASE),
            ("products/free/policy.xml", WITH_BASE),
            ("products/free/apis.json", r#"["keyed"]"#),
            (
                "products/free/productInformation.json",
                r#"{"properties": {"subscriptionRequired": false}}"#,
            ),
            ("products/paid/policy.xml", WITH_BASE),
            ("products/paid/apis.json", r#"["keyed"]"#),
        ],
    );
    let (_, got) = lint_json(dir.path());
    let auth: Vec<_> = got.iter().filter(|f| f.1 == "no-authentication").collect();
    assert_eq!(auth.len(), 1, "{got:?}");
    assert!(
        auth[0]
            .3
            .contains("(judged on global → product free → API keyed)"),
        "{}",
        auth[0].3
    );
}

#[test]
fn a_lone_file_is_not_judged_for_inherited_controls_and_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("a.xml", WITH_BASE), ("b.xml", WITH_BASE)]);
    let (code, out, err) = lint_text(dir.path());
    assert_eq!(code, 0);
    assert!(out.starts_with("No problems found in 2 files."), "{out}");
    assert_eq!(err.matches("note:").count(), 1, "{err}");
    assert!(
        err.contains("2 files linted outside an APIOps tree") && err.contains("effective policy"),
        "{err}"
    );
}

const READS_BODY: &str = r#"<policies>
    <inbound>
        <base />
        <set-variable name="reqBody" value="@(context.Request.Body.As<string>(preserveContent: true))" />
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
        <set-variable name="respBody" value="@(context.Response.Body.As<string>(preserveContent: true))" />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
"#;

#[test]
fn unbounded_body_reads_are_judged_with_the_limits_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let limited = SECURE_GLOBAL.replace(
        "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"102400\" size-exceeded-action=\"prevent\" />",
        "",
    );
    assert_ne!(limited, SECURE_GLOBAL);
    write_tree(
        dir.path(),
        &[
            ("policy.xml", limited.as_str()),
            ("apis/reads/policy.xml", READS_BODY),
            // The generated capture checks Content-Length and the byte count before keeping a body.
            (
                "apis/captured/policy.xml",
                &crate::common::render(&crate::common::option_sets()[0].1),
            ),
        ],
    );
    let (_, got) = lint_json(dir.path());
    let unbounded: Vec<_> = got
        .iter()
        .filter(|f| f.1 == "unbounded-body")
        .map(|f| (f.0.as_str(), f.3.as_str()))
        .collect();
    assert_eq!(unbounded.len(), 2, "{unbounded:?}");
    assert!(unbounded.iter().all(|(p, _)| *p == "apis/reads/policy.xml"));
    assert!(
        unbounded[0]
            .1
            .contains("request body read whole by <set-variable> in apis/reads/policy.xml"),
        "{unbounded:?}"
    );
    assert!(unbounded[1].1.contains("response body"), "{unbounded:?}");

    // With validate-content max-size in force at global, the request body is bounded.
    std::fs::write(dir.path().join("policy.xml"), SECURE_GLOBAL).unwrap();
    let (_, got) = lint_json(dir.path());
    let unbounded: Vec<_> = got.iter().filter(|f| f.1 == "unbounded-body").collect();
    assert_eq!(unbounded.len(), 1, "{unbounded:?}");
    assert!(unbounded[0].3.contains("response body"), "{unbounded:?}");
}

/// Error-level findings on the Microsoft corpus, each with why a reader agrees with it.
const CORPUS_ERRORS: &[(&str, &str, &str)] = &[
    (
        "Route-requests-to-regional-backend-instances.xml",
        "insecure-backend",
        "set-backend-service base-url=\"http://contoso-us.com/\": a literal plain-HTTP backend",
    ),
    (
        "Route-requests-to-regional-backend-instances.xml",
        "insecure-backend",
        "same policy, http://contoso-asia.com/",
    ),
    (
        "Route-requests-to-regional-backend-instances.xml",
        "insecure-backend",
        "same policy, http://contoso-other.com/",
    ),
];

#[test]
#[ignore = "needs ../shared"]
fn corpus_has_no_false_security_errors() {
    let corpus = require_shared("corpus/apim-snippets");
    let security = SECURITY;
    let (_, out, err) =
        run(bin()
            .current_dir(&corpus)
            .args(["lint", "--no-config", "--format", "json", "."]));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let mut got: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" && security.contains(&f["rule"].as_str().unwrap()))
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let mut expected: Vec<(String, String)> = CORPUS_ERRORS
        .iter()
        .map(|(p, r, _)| (p.to_string(), r.to_string()))
        .collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn reports_never_print_the_secrets_they_find() {
    let fixture =
        crate::common::test_file("fixtures/lint/hardcoded-secret/literal-credentials.xml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    for format in ["text", "json", "sarif", "github"] {
        let (code, out, err) = run(bin()
            .args([
                "lint",
                "--no-config",
                "--color",
                "never",
                "--format",
                format,
            ])
            .arg(&fixture));
        assert_eq!(code, 1, "{format}: {err}");
        for secret in [
            "S3cret-Passw0rd",
            "4f1c2a9be07d4c55a1f0d1e2b3c4d5e6",
            "aZ19-functions-key-value",
            "p4ssw0rd-literal",
        ] {
            assert!(text.contains(secret));
            assert!(!out.contains(secret), "{format} prints {secret}:\n{out}");
        }
    }
}

#[test]
fn ignored_files_still_count_in_the_effective_policy() {
    // APIM runs an ignored file all the same: its validate-jwt protects the open API.
    let dir = tempfile::tempdir().unwrap();
    let with_jwt = SECURE_GLOBAL.replace(
        "<backend>\n        <forward-request />",
        "<backend>\n        <base />",
    );
    write_tree(
        dir.path(),
        &[
            ("policy.xml", WITH_BASE),
            ("apis/open/policy.xml", with_jwt.as_str()),
            ("apis/open/apiInformation.json", OPEN_API),
            ("akto-connect.toml", "ignore = [\"apis/open/**\"]\n"),
        ],
    );
    let (_, out, err) = run(bin()
        .current_dir(dir.path())
        .args(["lint", "--format", "json", "."]));
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(!rules.contains(&"no-authentication"), "{out}");
    assert_eq!(v["summary"]["files"], 1, "{out}");
}

#[test]
fn unreadable_files_in_a_tree_are_reported_once_and_left_out() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("policy.xml", SECURE_GLOBAL),
            ("apis/open/policy.xml", WITH_BASE),
            ("apis/open/apiInformation.json", OPEN_API),
            (
                "apis/open/operations/broken/policy.xml",
                "<policies>\n    <inbound>\n",
            ),
        ],
    );
    std::fs::create_dir_all(dir.path().join("apis/open/operations/latin1")).unwrap();
    std::fs::write(
        dir.path().join("apis/open/operations/latin1/policy.xml"),
        b"<policies><inbound><base /><set-header name=\"x\"><value>caf\xe9</value></set-header></inbound></policies>",
    )
    .unwrap();
    let (code, got) = lint_json(dir.path());
    assert_eq!(code, 1);
    let parse: Vec<_> = got
        .iter()
        .filter(|f| f.1 == "parse-error")
        .map(|f| (f.0.as_str(), f.3.as_str()))
        .collect();
    assert_eq!(parse.len(), 2, "{got:?}");
    assert!(
        parse
            .iter()
            .any(|(p, m)| p.ends_with("broken/policy.xml") && m.contains("never closed")),
        "{parse:?}"
    );
    assert!(
        parse
            .iter()
            .any(|(p, m)| p.ends_with("latin1/policy.xml") && m.contains("not UTF-8")),
        "{parse:?}"
    );
    // An unreadable operation is left out of its effective policy, so the API's controls
    // (all global here) are what is judged: nothing is claimed missing.
    assert!(
        got.iter().all(|f| !TREE_JUDGED.contains(&f.1.as_str())),
        "{got:?}"
    );
    let (code, out, _) = run(bin().arg("apim").arg("effective").arg(dir.path()).args([
        "--api",
        "open",
        "--operation",
        "broken",
    ]));
    assert_eq!(code, 0);
    assert!(
        out.contains("<!-- apis/open/operations/broken/policy.xml could not be read (see akto-connect lint); it is left out -->"),
        "{out}"
    );
}
