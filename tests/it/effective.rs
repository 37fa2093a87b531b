//! `apim effective` on an APIOps tree built here: global, two products, three APIs, operations
//! and fragments, compared with documents written out by hand.

use std::path::Path;

use crate::common::{bin, run};

/// Writes `files` (relative path, text) below `dir`.
pub fn write_tree(dir: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const GLOBAL: &str = r#"<policies>
    <inbound>
        <cors allow-credentials="false">
            <allowed-origins>
                <origin>https://app.example.com</origin>
            </allowed-origins>
        </cors>
    </inbound>
    <backend>
        <forward-request />
    </backend>
    <outbound>
        <set-header name="X-Powered-By" exists-action="delete" />
    </outbound>
    <on-error />
</policies>
"#;

const STARTER: &str = r#"<policies>
    <inbound>
        <base />
        <rate-limit calls="5" renewal-period="60" />
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

const UNLIMITED: &str = r#"<policies>
    <inbound>
        <include-fragment fragment-id="auth" />
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
"#;

const AUTH: &str = r#"<fragment>
    <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
        <openid-config url="https://login.example.com/.well-known/openid-configuration" />
    </validate-jwt>
</fragment>
"#;

const HEADERS: &str = r#"<fragment>
    <set-header name="X-Frame-Options" exists-action="override">
        <value>DENY</value>
    </set-header>
</fragment>
"#;

const ECHO: &str = r#"<policies>
    <inbound>
        <set-header name="X-Echo" exists-action="override">
            <value>1</value>
        </set-header>
        <base />
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
        <include-fragment fragment-id="headers" />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
"#;

const GET_ITEM: &str = r#"<policies>
    <inbound>
        <base />
        <set-query-parameter name="v" exists-action="override">
            <value>2</value>
        </set-query-parameter>
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <set-header name="X-Op" exists-action="override">
            <value>get-item</value>
        </set-header>
    </outbound>
</policies>
"#;

const ORDERS: &str = r#"<policies>
    <inbound>
        <base />
        <include-fragment fragment-id="missing" />
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

/// The test tree: echo needs no subscription and is in starter; orders is in starter and
/// unlimited (subscription required by default: no apiInformation.json); health has no policy
/// and no product.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("policy.xml", GLOBAL),
            ("products/starter/policy.xml", STARTER),
            ("products/starter/apis.json", r#"["echo", "orders"]"#),
            ("products/unlimited/policy.xml", UNLIMITED),
            ("products/unlimited/apis.json", r#"["orders"]"#),
            ("policy fragments/auth/policy.xml", AUTH),
            ("policy fragments/headers/policy.xml", HEADERS),
            ("apis/echo/policy.xml", ECHO),
            (
                "apis/echo/apiInformation.json",
                r#"{"properties": {"displayName": "Echo", "subscriptionRequired": false}}"#,
            ),
            ("apis/echo/operations/get-item/policy.xml", GET_ITEM),
            ("apis/orders/policy.xml", ORDERS),
            (
                "apis/health/apiInformation.json",
                r#"{"properties": {"subscriptionRequired": false}}"#,
            ),
        ],
    );
    dir
}

fn effective(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(bin().arg("apim").arg("effective").arg(dir).args(args))
}

#[test]
fn operation_through_a_product_splices_each_base_where_it_stands() {
    let t = tree();
    let (code, out, err) = effective(
        t.path(),
        &[
            "--api",
            "echo",
            "--operation",
            "get-item",
            "--product",
            "starter",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // API echo's inbound runs its own set-header, then <base /> (the product: its <base />,
    // i.e. global's cors, then its rate-limit), then the operation's own step after its
    // <base />. The operation's outbound has no <base />: global's and the API's outbound
    // (the headers fragment) are gone; it has no on-error: nothing runs there.
    let expected = r#"<!-- Effective policy: API echo, operation get-item, through product starter -->
<!-- Scopes: global → product starter → API echo → operation get-item -->
<policies>
    <inbound>
        <!-- apis/echo/policy.xml:3 (API echo) -->
        <set-header name="X-Echo" exists-action="override">
            <value>1</value>
        </set-header>
        <!-- policy.xml:3 (global) -->
        <cors allow-credentials="false">
            <allowed-origins>
                <origin>https://app.example.com</origin>
            </allowed-origins>
        </cors>
        <!-- products/starter/policy.xml:4 (product starter) -->
        <rate-limit calls="5" renewal-period="60" />
        <!-- apis/echo/operations/get-item/policy.xml:4 (operation get-item) -->
        <set-query-parameter name="v" exists-action="override">
            <value>2</value>
        </set-query-parameter>
    </inbound>
    <backend>
        <!-- policy.xml:10 (global) -->
        <forward-request />
    </backend>
    <outbound>
        <!-- apis/echo/operations/get-item/policy.xml:11 (operation get-item): `<outbound>` has no `<base />`; the broader scopes' outbound policies do not run -->
        <!-- apis/echo/operations/get-item/policy.xml:12 (operation get-item) -->
        <set-header name="X-Op" exists-action="override">
            <value>get-item</value>
        </set-header>
    </outbound>
    <on-error>
        <!-- apis/echo/operations/get-item/policy.xml:1 (operation get-item): has no `<on-error>` section; the broader scopes' on-error policies do not run -->
    </on-error>
</policies>
"#;
    assert_eq!(out, expected);
}

#[test]
fn fragments_are_inlined_and_an_unknown_one_is_reported() {
    let t = tree();
    let (code, out, err) = effective(t.path(), &["--api", "orders", "--product", "unlimited"]);
    assert_eq!(code, 0, "{err}");
    // The product includes the auth fragment before its <base />, so validate-jwt runs before
    // global's cors; the API's unknown fragment stays as written and is reported.
    let expected = r#"<!-- Effective policy: API orders, operations without their own policy, through product unlimited -->
<!-- Scopes: global → product unlimited → API orders -->
<!-- apis/orders/policy.xml:4: <include-fragment> names fragment `missing`, which is not in the tree (policy fragments/missing/policy.xml); APIM refuses the policy -->
<policies>
    <inbound>
        <!-- policy fragments/auth/policy.xml:2 (fragment auth), included at products/unlimited/policy.xml:3 -->
        <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
            <openid-config url="https://login.example.com/.well-known/openid-configuration" />
        </validate-jwt>
        <!-- policy.xml:3 (global) -->
        <cors allow-credentials="false">
            <allowed-origins>
                <origin>https://app.example.com</origin>
            </allowed-origins>
        </cors>
        <!-- apis/orders/policy.xml:4 (API orders) -->
        <include-fragment fragment-id="missing" />
    </inbound>
    <backend>
        <!-- policy.xml:10 (global) -->
        <forward-request />
    </backend>
    <outbound>
        <!-- policy.xml:13 (global) -->
        <set-header name="X-Powered-By" exists-action="delete" />
    </outbound>
    <on-error>
    </on-error>
</policies>
"#;
    assert_eq!(out, expected);
    assert!(
        err.contains(
            "warning: apis/orders/policy.xml:4:9: <include-fragment> names fragment `missing`"
        ),
        "{err}"
    );
}

#[test]
fn every_path_of_an_api_without_product_flag() {
    let t = tree();
    // echo needs no subscription: reached without a product and through starter.
    let (code, out, _) = effective(t.path(), &["--api", "echo"]);
    assert_eq!(code, 0);
    let titles: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("<!-- Effective policy"))
        .collect();
    assert_eq!(
        titles,
        [
            "<!-- Effective policy: API echo, operations without their own policy, without a product -->",
            "<!-- Effective policy: API echo, operations without their own policy, through product starter -->",
        ]
    );
    // The API's outbound keeps <base /> and includes the headers fragment after it.
    let first = out.split("\n\n").next().unwrap();
    let expected_outbound = r#"    <outbound>
        <!-- policy.xml:13 (global) -->
        <set-header name="X-Powered-By" exists-action="delete" />
        <!-- policy fragments/headers/policy.xml:2 (fragment headers), included at apis/echo/policy.xml:13 -->
        <set-header name="X-Frame-Options" exists-action="override">
            <value>DENY</value>
        </set-header>
    </outbound>
"#;
    assert!(first.contains(expected_outbound), "{first}");
    // orders needs a subscription (no apiInformation.json): only its two products.
    let (_, out, _) = effective(t.path(), &["--api", "orders"]);
    assert_eq!(out.matches("<!-- Effective policy").count(), 2, "{out}");
    assert!(!out.contains("without a product"), "{out}");
}

#[test]
fn an_api_without_a_policy_runs_the_global_one() {
    let t = tree();
    let (code, out, _) = effective(t.path(), &["--api", "health"]);
    assert_eq!(code, 0);
    let expected = r#"<!-- Effective policy: API health, operations without their own policy, without a product -->
<!-- Scopes: global → no product → API health (no policy) -->
<policies>
    <inbound>
        <!-- policy.xml:3 (global) -->
        <cors allow-credentials="false">
            <allowed-origins>
                <origin>https://app.example.com</origin>
            </allowed-origins>
        </cors>
    </inbound>
    <backend>
        <!-- policy.xml:10 (global) -->
        <forward-request />
    </backend>
    <outbound>
        <!-- policy.xml:13 (global) -->
        <set-header name="X-Powered-By" exists-action="delete" />
    </outbound>
    <on-error>
    </on-error>
</policies>
"#;
    assert_eq!(out, expected);
}

#[test]
fn json_names_each_elements_origin() {
    let t = tree();
    let (code, out, _) = effective(
        t.path(),
        &[
            "--api",
            "orders",
            "--product",
            "unlimited",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let doc = &v[0];
    assert_eq!(doc["api"], "orders");
    assert_eq!(doc["product"], "unlimited");
    assert_eq!(doc["operation"], serde_json::Value::Null);
    let inbound = doc["sections"]["inbound"]["elements"].as_array().unwrap();
    let names: Vec<_> = inbound
        .iter()
        .map(|e| e["element"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["validate-jwt", "cors", "include-fragment"]);
    assert_eq!(inbound[0]["file"], "policy fragments/auth/policy.xml");
    assert_eq!(inbound[0]["scope"], "fragment");
    assert_eq!(inbound[0]["line"], 2);
    assert_eq!(inbound[0]["column"], 5);
    assert_eq!(
        inbound[0]["included_at"]["file"],
        "products/unlimited/policy.xml"
    );
    assert_eq!(inbound[0]["included_at"]["line"], 3);
    assert_eq!(inbound[1]["file"], "policy.xml");
    assert_eq!(doc["problems"][0]["file"], "apis/orders/policy.xml");
    assert_eq!(doc["problems"][0]["line"], 4);
}

#[test]
fn wrong_api_product_or_operation_is_a_usage_error() {
    let t = tree();
    let (code, _, err) = effective(t.path(), &["--api", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--api nope: no such API") && err.contains("known APIs: echo, health, orders"),
        "{err}"
    );
    let (code, _, err) = effective(t.path(), &["--api", "echo", "--product", "unlimited"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--product unlimited: that product does not carry API echo")
            && err.contains("products that do: starter"),
        "{err}"
    );
    let (code, _, err) = effective(t.path(), &["--api", "echo", "--operation", "post"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--operation post") && err.contains("get-item"),
        "{err}"
    );
    let (code, _, err) = effective(Path::new("/nonexistent-akto"), &["--api", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a folder"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = effective(empty.path(), &["--api", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("no APIOps tree here"), "{err}");
}

/// Shape from anotherRedbeard/apiops-demo: `apim coverage .` on the repository's root, whose
/// tree is in `apimartifacts/`. The error names the folder to give.
#[test]
fn no_tree_at_a_repository_root_names_the_folder_that_holds_one() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[(
            "apimartifacts/apis/echo/policy.xml",
            "<policies><inbound><base /></inbound></policies>",
        )],
    );
    for (sub, extra) in [("coverage", &[][..]), ("effective", &["--api", "echo"][..])] {
        let (code, _, err) = run(bin().args(["apim", sub]).arg(dir.path()).args(extra));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("no APIOps tree here"), "{err}");
        assert!(
            err.contains("(one is in ") && err.contains("apimartifacts)"),
            "{err}"
        );
    }
}

#[test]
fn bad_json_in_the_tree_is_an_input_error() {
    let t = tree();
    std::fs::write(t.path().join("products/starter/apis.json"), "{echo").unwrap();
    let (code, out, err) = effective(t.path(), &["--api", "echo"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("products/starter/apis.json: not valid JSON"),
        "{err}"
    );
}

/// Shape from Azure/apiops's sample artifacts (as forked by Jeroen-VdB/apiops): an
/// apiInformation.json left with a placeholder that is no JSON. Only `subscriptionRequired`
/// is read from it, so the estate is still judged, with a warning naming the file.
#[test]
fn an_information_file_that_is_no_json_is_a_warning_not_an_input_error() {
    let t = tree();
    let info = t.path().join("apis/orders/apiInformation.json");
    std::fs::write(&info, "{\"properties\": {\"serviceUrl\": [url here]}}").unwrap();
    std::fs::write(
        t.path().join("products/unlimited/productInformation.json"),
        r#"{"properties": {"subscriptionRequired": "yes"}}"#,
    )
    .unwrap();
    let (code, out, err) = effective(t.path(), &["--api", "orders", "--product", "starter"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("<policies"), "{out}");
    assert!(
        err.contains("orders/apiInformation.json: not valid JSON")
            && err.contains("read as subscriptionRequired: true"),
        "{err}"
    );
    assert!(
        err.contains("unlimited/productInformation.json: subscriptionRequired is \"yes\""),
        "{err}"
    );
    for sub in [&["apim", "coverage"][..], &["lint", "--no-config"][..]] {
        let (code, _, err) = run(bin().args(sub).arg(t.path()));
        assert_ne!(code, 2, "{sub:?}: {err}");
        assert!(
            err.contains("orders/apiInformation.json: not valid JSON"),
            "{sub:?}: {err}"
        );
    }
}

#[test]
fn literal_secrets_are_masked_in_the_printed_policy() {
    let t = tree();
    std::fs::write(
        t.path().join("apis/health/policy.xml"),
        "<policies>\n    <inbound>\n        <base />\n        <authentication-basic username=\"svc\" password=\"S3cret-Passw0rd\" />\n    </inbound>\n</policies>\n",
    )
    .unwrap();
    for format in ["text", "json"] {
        let (code, out, _) = effective(t.path(), &["--api", "health", "--format", format]);
        assert_eq!(code, 0);
        assert!(!out.contains("S3cret-Passw0rd"), "{out}");
        assert!(
            out.contains("password=\\\"***************\\\"")
                || out.contains("password=\"***************\""),
            "{out}"
        );
    }
}

/// The reported bug: `lint` masked a literal JWT signing key, `apim effective` printed it. The
/// one secret model masks it in every output: lint (every format), effective (text and JSON),
/// coverage.
#[test]
fn a_literal_jwt_signing_key_is_masked_in_every_output() {
    let key = "c2lnbmluZy1rZXktd3JpdHRlbi1pbi10aGUtcG9saWN5";
    let t = tree();
    std::fs::write(
        t.path().join("apis/health/policy.xml"),
        format!("<policies>\n    <inbound>\n        <base />\n        <validate-jwt header-name=\"Authorization\">\n            <issuer-signing-keys>\n                <key>{key}</key>\n            </issuer-signing-keys>\n            <audiences><audience>api://health</audience></audiences>\n            <issuers><issuer>https://login.example.com/</issuer></issuers>\n        </validate-jwt>\n    </inbound>\n</policies>\n"),
    )
    .unwrap();
    let masked = "*".repeat(key.len());
    for format in ["text", "json"] {
        let (code, out, err) = effective(t.path(), &["--api", "health", "--format", format]);
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains(key),
            "effective {format} prints the key:\n{out}"
        );
        assert!(out.contains(&format!("<key>{masked}</key>")), "{out}");
    }
    for format in ["text", "json", "sarif", "github"] {
        let (_, out, err) = run(bin().current_dir(t.path()).args([
            "lint",
            "--no-config",
            "--color",
            "never",
            "--format",
            format,
            ".",
        ]));
        assert!(out.contains("jwt-weak"), "{format}: {out}{err}");
        assert!(!out.contains(key), "lint {format} prints the key:\n{out}");
    }
    for format in ["text", "json", "markdown"] {
        let (_, out, err) = run(bin()
            .current_dir(t.path())
            .args(["apim", "coverage", ".", "--format", format]));
        assert!(!out.is_empty(), "{err}");
        assert!(
            !out.contains(key),
            "coverage {format} prints the key:\n{out}"
        );
    }
}

/// Shape from Azure-Samples/apiops-apim: the fragments sit in `policy_fragments/`, not
/// `policy fragments/`. They are the tree's fragments: inlined, and not unknown to lint.
#[test]
fn fragments_in_a_policy_underscore_fragments_folder_are_the_trees() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            (
                "apis/chat/policy.xml",
                "<policies><inbound><base /><include-fragment fragment-id=\"headers\" /></inbound>\
                 <backend><base /></backend><outbound><base /></outbound>\
                 <on-error><base /></on-error></policies>",
            ),
            (
                "policy_fragments/headers/policy.xml",
                "<fragment><set-header name=\"x-from-fragment\" exists-action=\"override\">\
                 <value>1</value></set-header></fragment>",
            ),
        ],
    );
    let (code, out, err) = effective(dir.path(), &["--api", "chat"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("x-from-fragment"), "{out}");
    assert!(!err.contains("not in the tree"), "{err}");
    let (_, out, err) = run(bin()
        .args(["lint", "--no-config", "--format", "json"])
        .arg(dir.path()));
    assert!(!out.contains("unknown-fragment"), "{out}");
    assert!(!err.contains("outside an APIOps tree"), "{err}");
}

/// Shape from Azure/apiops's sample artifacts: `apis/revisioned-api;rev=2/` beside
/// `apis/revisioned-api/`, the product naming only `revisioned-api`. APIM links a product to
/// the API, so every revision is reached through it.
#[test]
fn a_revision_is_carried_by_the_products_of_its_api() {
    let t = tree();
    write_tree(
        t.path(),
        &[(
            "apis/echo;rev=2/policy.xml",
            "<policies><inbound><base /></inbound><backend><base /></backend>\
             <outbound><base /></outbound><on-error><base /></on-error></policies>",
        )],
    );
    let (code, out, err) = effective(t.path(), &["--api", "echo;rev=2", "--product", "starter"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("product starter"), "{out}");
    let (_, out, _) = run(bin().args(["apim", "coverage"]).arg(t.path()));
    assert!(
        out.contains("API echo;rev=2, other operations, product starter"),
        "{out}"
    );
    assert!(
        !out.contains("API echo;rev=2, other operations, no product"),
        "{out}"
    );
}

/// Shape from Azure/apiops and anotherRedbeard/apiops-demo: the repository's root holds the
/// tree in a folder (`SampleArtifacts/`, `apimartifacts/`), beside an `apis/` folder of
/// application code with an XML file that is no policy (damayantiazure/apiops-devops).
/// `lint` on the root judges that tree as a tree.
#[test]
fn lint_on_a_repository_root_finds_the_tree_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let open = "<policies><inbound><base /></inbound><backend><base /></backend>\
                <outbound><base /></outbound><on-error><base /></on-error></policies>";
    write_tree(
        dir.path(),
        &[
            ("apimartifacts/policy.xml", "<policies><inbound /><backend><forward-request /></backend><outbound /><on-error /></policies>"),
            ("apimartifacts/apis/echo/policy.xml", open),
            ("apimartifacts/apis/echo/operations/get/policy.xml", open),
            ("apimartifacts/products/starter/policy.xml", open),
            ("apimartifacts/products/starter/apis.json", r#"["echo"]"#),
            ("apis/service-java/pom.xml", "<project><modelVersion>4.0.0</modelVersion></project>"),
        ],
    );
    let (_, out, err) = run(bin()
        .args(["lint", "--no-config", "--color", "never"])
        .arg(dir.path()));
    // Only the application's pom.xml is outside the tree.
    assert!(
        err.contains("1 file linted outside an APIOps tree"),
        "{err}"
    );
    assert!(
        out.contains("global → product starter → API echo"),
        "the tree's APIs are judged on their effective policy: {out}"
    );
}
