//! `apim coverage` on a tree where Akto's capture sits at global, at one API, in fragments, and
//! is cut off by an operation, an API and a product without `<base />`.

use std::path::Path;

use akto_connect::apim::capture::PolicyFormat;

use crate::common::{bin, option_sets, options, render, require_shared, run};
use crate::effective::write_tree;

/// The generated capture policy (what `apim policy` writes).
fn capture() -> String {
    render(&options(
        "https://ingest.example.com:9091",
        &[],
        None,
        PolicyFormat::RawXml,
    ))
}

/// The children of `section` in the generated policy, without `<base />`, as a fragment.
fn fragment_of(policy: &str, section: &str) -> String {
    let open = format!("<{section}>");
    let close = format!("</{section}>");
    let start = policy.find(&open).unwrap() + open.len();
    let end = policy.find(&close).unwrap();
    format!(
        "<fragment>{}</fragment>\n",
        policy[start..end].replacen("<base />", "", 1)
    )
}

const WITH_BASE: &str = "<policies>
    <inbound><base /></inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>
";

const OUTBOUND_WITHOUT_BASE: &str = "<policies>
    <inbound><base /></inbound>
    <backend><base /></backend>
    <outbound>
        <set-header name=\"X-Op\" exists-action=\"override\"><value>1</value></set-header>
    </outbound>
    <on-error><base /></on-error>
</policies>
";

const INBOUND_WITHOUT_BASE: &str = "<policies>
    <inbound>
        <set-header name=\"X-Internal\" exists-action=\"override\"><value>1</value></set-header>
    </inbound>
    <backend><base /></backend>
    <outbound><base /></outbound>
    <on-error><base /></on-error>
</policies>
";

const FRAGMENTS_ONLY: &str = "<policies>
    <inbound>
        <include-fragment fragment-id=\"akto-capture-inbound\" />
    </inbound>
    <backend><base /></backend>
    <outbound>
        <include-fragment fragment-id=\"team-capture-outbound\" />
    </outbound>
    <on-error><base /></on-error>
</policies>
";

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture();
    // legacy drops every inherited policy but carries the capture itself.
    let legacy = cap.replace("<base />", "");
    write_tree(
        dir.path(),
        &[
            ("policy.xml", cap.as_str()),
            ("products/starter/policy.xml", WITH_BASE),
            ("products/starter/apis.json", r#"["echo", "orders"]"#),
            ("products/partners/policy.xml", OUTBOUND_WITHOUT_BASE),
            ("products/partners/apis.json", r#"["echo"]"#),
            (
                "policy fragments/akto-capture-inbound/policy.xml",
                &fragment_of(&cap, "inbound"),
            ),
            (
                "policy fragments/team-capture-outbound/policy.xml",
                &fragment_of(&cap, "outbound"),
            ),
            ("apis/echo/policy.xml", WITH_BASE),
            ("apis/orders/policy.xml", WITH_BASE),
            (
                "apis/orders/operations/get-order/policy.xml",
                OUTBOUND_WITHOUT_BASE,
            ),
            ("apis/orders/operations/list-orders/policy.xml", WITH_BASE),
            ("apis/legacy/policy.xml", legacy.as_str()),
            ("apis/frag/policy.xml", FRAGMENTS_ONLY),
            (
                "apis/frag/apiInformation.json",
                r#"{"properties": {"subscriptionRequired": false}}"#,
            ),
            ("apis/internal/policy.xml", INBOUND_WITHOUT_BASE),
        ],
    );
    dir
}

fn coverage(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(bin().arg("apim").arg("coverage").arg(dir).args(args))
}

#[test]
fn reports_covered_and_cut_off_paths_with_reasons() {
    let t = tree();
    let (code, out, err) = coverage(t.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let expected = "\
Akto capture runs on 5 of 8 API paths and operations (62.5 %); 2 of 5 APIs fully covered.

NOT covered  API echo, other operations, product partners
             product partners (products/partners/policy.xml): `<outbound>` has no `<base />`, so the capture in the global policy does not run
covered      API echo, other operations, product starter
covered      API frag, other operations, no product
NOT covered  API internal, other operations, no product
             API internal (apis/internal/policy.xml): `<inbound>` has no `<base />`, so the capture in the global policy does not run
covered      API legacy, other operations, no product
covered      API orders, other operations, product starter
NOT covered  API orders, operation get-order, product starter
             operation get-order (apis/orders/operations/get-order/policy.xml): `<outbound>` has no `<base />`, so the capture in the global policy does not run
covered      API orders, operation list-orders, product starter
";
    assert_eq!(out, expected);
}

#[test]
fn json_and_markdown_carry_the_same_verdicts() {
    let t = tree();
    let (code, out, _) = coverage(t.path(), &["--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["units"], 8);
    assert_eq!(v["summary"]["covered"], 5);
    assert_eq!(v["summary"]["percent"], 62.5);
    let get_order = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["operation"] == "get-order")
        .unwrap();
    assert_eq!(get_order["inbound"], true);
    assert_eq!(get_order["outbound"], false);
    assert_eq!(get_order["covered"], false);
    assert_eq!(get_order["product"], "starter");

    let (code, out, _) = coverage(t.path(), &["--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("### Akto capture coverage\n\nAkto capture runs on 5 of 8"),
        "{out}"
    );
    assert!(
        out.contains("| orders | get-order | starter | yes | **no** | operation get-order (apis/orders/operations/get-order/policy.xml): `<outbound>` has no `<base />`, so the capture in the global policy does not run |"),
        "{out}"
    );
    assert!(
        out.contains("| frag | (others) | (none) | yes | yes |  |"),
        "{out}"
    );
}

#[test]
fn min_coverage_fails_below_the_threshold() {
    let t = tree();
    let (code, _, _) = coverage(t.path(), &["--min-coverage", "60"]);
    assert_eq!(code, 0);
    let (code, out, err) = coverage(t.path(), &["--min-coverage", "70"]);
    assert_eq!(code, 1);
    assert!(out.contains("5 of 8"), "{out}");
    assert!(
        err.contains("coverage 62.5 % is below --min-coverage 70"),
        "{err}"
    );
    let (code, _, err) = coverage(t.path(), &["--min-coverage", "150"]);
    assert_eq!(code, 2);
    assert!(err.contains("outside 0..100"), "{err}");
}

#[test]
fn no_capture_anywhere_says_so() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), &[("apis/echo/policy.xml", WITH_BASE)]);
    let (code, out, _) = coverage(dir.path(), &["--min-coverage", "1"]);
    assert_eq!(code, 1);
    assert!(out.contains("Akto capture runs on 0 of 1"), "{out}");
    assert!(
        out.contains("no Akto capture in the effective `<inbound>` (global (no policy) → no product → API echo)"),
        "{out}"
    );
}

/// The wording of the reasons: a scope named without a broken possessive ("API orders's"), no
/// raw `<inbound>` in a Markdown cell (GitHub strips it as an HTML tag), and a policy that
/// cannot be read called so, with why, not "(no policy)".
#[test]
fn reasons_name_scopes_plainly_and_survive_markdown() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("policy.xml", "<policies><inbound><base /></policies>"),
            ("apis/orders/policy.xml", &capture()),
            (
                "apis/orders/operations/get-order/policy.xml",
                OUTBOUND_WITHOUT_BASE,
            ),
            ("apis/echo/policy.xml", WITH_BASE),
        ],
    );
    let (code, out, err) = coverage(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("operation get-order (apis/orders/operations/get-order/policy.xml): `<outbound>` has no `<base />`, so the capture in API orders does not run"),
        "{out}"
    );
    assert!(!out.contains("'s capture"), "{out}");
    assert!(
        out.contains("no Akto capture in the effective `<inbound>` (global (its policy policy.xml could not be read: line 1: "),
        "{out}"
    );
    assert!(!out.contains("(no policy)"), "{out}");

    let (code, md, _) = coverage(dir.path(), &["--format", "markdown"]);
    assert_eq!(code, 0);
    for line in md.lines().filter(|l| l.starts_with("| echo ")) {
        // Every `<` of a cell is inside a code span or written as an entity.
        let outside_code: String = line.split('`').step_by(2).collect::<Vec<_>>().concat();
        assert!(!outside_code.contains('<'), "{line}");
        assert!(line.contains("`<inbound>`"), "{line}");
    }
    assert!(md.lines().any(|l| l.starts_with("| echo ")), "{md}");
}

#[test]
fn every_generated_form_counts_as_capture() {
    for (name, opts) in option_sets() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path(), &[("apis/echo/policy.xml", &render(&opts))]);
        let (code, out, _) = coverage(dir.path(), &["--min-coverage", "100"]);
        assert_eq!(code, 0, "{name}:\n{out}");
    }
}

#[test]
#[ignore = "needs ../shared"]
fn the_original_policy_of_akto_docs_counts_as_capture() {
    // Seed 000: the policy Akto's documentation tells users to paste at an API.
    let seeds = require_shared("seeds");
    let seed = std::fs::read_dir(&seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("000_"))
        .expect("seed 000");
    let text = std::fs::read_to_string(seed).unwrap();
    let start = text.find("<policies>").unwrap();
    let end = text.find("</policies>").unwrap() + "</policies>".len();
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("apis/echo/policy.xml", &text[start..end]),
            ("apis/other/policy.xml", WITH_BASE),
        ],
    );
    let (code, out, _) = coverage(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(
        out.contains("covered      API echo, other operations, no product"),
        "{out}"
    );
    assert!(out.contains("NOT covered  API other"), "{out}");
}

/// Shape from Azure/apiops's current sample artifacts: a product names its APIs by folders,
/// `products/<p>/apis/<api>/productApiInformation.json`, with no `apis.json`. The API is
/// reached through that product, and the product's capture covers it.
#[test]
fn a_product_names_its_apis_by_folders() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("products/starter/policy.xml", &capture()),
            (
                "products/starter/productInformation.json",
                r#"{"properties": {"subscriptionRequired": true}}"#,
            ),
            (
                "products/starter/apis/echo/productApiInformation.json",
                "{}",
            ),
            ("apis/echo/policy.xml", WITH_BASE),
            (
                "apis/echo/apiInformation.json",
                r#"{"properties": {"subscriptionRequired": true}}"#,
            ),
        ],
    );
    let (code, out, err) = coverage(dir.path(), &["--min-coverage", "100"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Akto capture runs on 1 of 1"), "{out}");
    assert!(out.contains("product starter"), "{out}");
    assert!(!out.contains("no product"), "{out}");
    // lint finds the tree from its policy files: the same product path is judged.
    let (_, out, err) = run(bin().args(["lint", "--no-config"]).arg(dir.path()));
    assert!(
        out.contains("judged on global (no policy) → product starter → API echo"),
        "{out}{err}"
    );
}
