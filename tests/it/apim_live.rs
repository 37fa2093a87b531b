//! `apim apply`, `apim remove`, `apim pull`, `apim live-coverage` and the credential chain, end
//! to end: the real binary against the ARM stand-in.

use std::path::Path;
use std::time::Duration;

use crate::arm_standin::{
    self, service_root, PolicyFault, Standin, CLIENT_ID, FEDERATED_ASSERTION, IDENTITY_HEADER, RG,
    SECRET, SUB, SVC, TENANT,
};
use crate::common::{bin, require_shared, run};

const CRED_VARS: [&str; 10] = [
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_CLI_PATH",
    "AZURE_SUBSCRIPTION_ID",
];

fn base_cmd(s: &Standin, sub: &str, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = bin();
    for v in CRED_VARS {
        cmd.env_remove(v);
    }
    cmd.args([
        "apim",
        sub,
        "--subscription",
        SUB,
        "--resource-group",
        RG,
        "--apim-service",
        SVC,
    ])
    .args(["--management-url", &s.url, "--authority-url", &s.url])
    .args(extra)
    .timeout(Duration::from_secs(120));
    cmd
}

/// A live command with the client secret in the environment.
fn live(s: &Standin, sub: &str, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = base_cmd(s, sub, extra);
    cmd.env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", SECRET);
    let (code, out, err) = run(&mut cmd);
    no_secret(&out);
    no_secret(&err);
    (code, out, err)
}

fn no_secret(text: &str) {
    assert!(!text.contains(SECRET), "the client secret leaked: {text}");
    assert!(
        !text.contains(FEDERATED_ASSERTION),
        "the federated token leaked: {text}"
    );
    assert!(
        !text.contains(IDENTITY_HEADER),
        "the identity header leaked: {text}"
    );
    assert!(
        !text.contains("token-1") && !text.contains("mi-token") && !text.contains("cli-token"),
        "a bearer token leaked: {text}"
    );
}

const INGEST: &str = "https://ingest.example.com";

fn policy(inbound: &str) -> String {
    format!("<policies>\n    <inbound>\n        <base />\n{inbound}    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>")
}

fn jwt() -> String {
    policy("        <validate-jwt header-name=\"Authorization\" failed-validation-httpcode=\"401\">\n            <openid-config url=\"https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration\" />\n            <required-claims>\n                <claim name=\"aud\"><value>api://orders</value></claim>\n            </required-claims>\n        </validate-jwt>\n")
}

fn rate() -> String {
    // Tabs and CRLF: the capture must follow them and leave them alone.
    "<policies>\r\n\t<inbound>\r\n\t\t<base />\r\n\t\t<rate-limit-by-key calls=\"10\" renewal-period=\"60\" counter-key=\"@(context.Request.IpAddress)\" />\r\n\t</inbound>\r\n\t<backend>\r\n\t\t<base />\r\n\t</backend>\r\n\t<outbound>\r\n\t\t<base />\r\n\t</outbound>\r\n</policies>".to_string()
}

fn cors() -> String {
    policy("        <cors allow-credentials=\"false\">\n            <allowed-origins><origin>*</origin></allowed-origins>\n            <allowed-methods><method>GET</method></allowed-methods>\n        </cors>\n        <set-header name=\"x-trace\" exists-action=\"override\"><value>@(context.RequestId.ToString())</value></set-header>\n")
}

fn api_path(a: &str) -> String {
    format!("/apis/{a}/policies/policy")
}

/// An instance of `n` APIs: validate-jwt, rate limits, CORS in turn, every fifth without a
/// policy; a product `starter` with the first two APIs; an operation policy on api-01.
fn instance(n: usize, hand_pasted: Option<&str>) -> Standin {
    let s = Standin::start(arm_standin::apis(n, 0), 20);
    s.set(|st| {
        for i in 1..=n {
            let name = format!("api-{i:02}");
            st.operations.insert(name.clone(), vec!["get-item".into(), "put-item".into()]);
            let text = match i % 5 {
                0 => continue,
                1 => jwt(),
                2 => rate(),
                3 => cors(),
                // Only <base />, but not in the generator's layout (that one, a remove
                // deletes: it is what apply creates where there was no policy).
                _ => policy("").replace("    ", "\t"),
            };
            st.etag_counter += 1;
            st.policies.insert(api_path(&name), (text, st.etag_counter));
        }
        if let Some(seed) = hand_pasted {
            st.policies.insert(api_path("api-04"), (seed.to_string(), 9999));
        }
        st.policies.insert("/policies/policy".into(), ("<policies>\n  <inbound />\n  <backend>\n    <forward-request />\n  </backend>\n  <outbound />\n  <on-error />\n</policies>".into(), 5000));
        st.policies.insert("/products/starter/policies/policy".into(), (policy("        <rate-limit calls=\"100\" renewal-period=\"60\" />\n"), 5001));
        st.policies.insert("/apis/api-01/operations/get-item/policies/policy".into(), (policy(""), 5002));
        st.products.push(("starter".into(), vec!["api-01".into(), "api-02".into()]));
    });
    s
}

fn stored(s: &Standin) -> std::collections::BTreeMap<String, String> {
    s.state
        .lock()
        .unwrap()
        .policies
        .iter()
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect()
}

fn writes(s: &Standin) -> usize {
    s.requests()
        .iter()
        .filter(|r| r.method == "PUT" || r.method == "DELETE")
        .count()
}

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

/// `apim remove --from` of one text, through the binary.
fn remove_offline(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("policy.xml");
    std::fs::write(&f, text).unwrap();
    let (code, out, err) = run(bin().args(["apim", "remove", "--from"]).arg(&f));
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
#[ignore = "needs ../shared"]
fn all_apis_on_fifty_keeps_every_byte_reruns_clean_and_backs_up() {
    let seed = seed_policy();
    let s = instance(50, Some(&seed));
    let before = stored(&s);
    let backup = tempfile::tempdir().unwrap();
    let bdir = backup.path().join("b");
    let bflag = bdir.to_str().unwrap();

    // --dry-run: the plan as diffs, and no write.
    let (code, out, err) = live(
        &s,
        "apply",
        &["--all-apis", "--ingest-url", INGEST, "--dry-run"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(writes(&s), 0);
    assert!(
        out.contains("--- a/apis/api-01/policy.xml\n+++ b/apis/api-01/policy.xml\n"),
        "{out}"
    );
    assert!(
        out.contains("--- /dev/null\n+++ b/apis/api-05/policy.xml\n"),
        "{out}"
    );
    assert!(
        err.contains("dry run: 50 of 50 scope(s) would change"),
        "{err}"
    );
    assert!(!bdir.exists());

    let (code, _, err) = live(
        &s,
        "apply",
        &["--all-apis", "--ingest-url", INGEST, "--backup-dir", bflag],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("50 of 50 scope(s) changed, 0 unchanged, 0 failed"),
        "{err}"
    );
    let after = stored(&s);
    for i in 1..=50 {
        let p = api_path(&format!("api-{i:02}"));
        let now = &after[&p];
        assert!(now.contains("aktoCapture"), "{p}: {now}");
        match before.get(&p) {
            // Every other byte kept: taking the capture out gives the original back.
            Some(old) if i != 4 => assert_eq!(&remove_offline(now), old, "{p}"),
            Some(_) => assert!(
                !now.contains("reqBody"),
                "the hand-pasted capture was replaced: {now}"
            ),
            None => {}
        }
    }
    // Every write carried the ETag read, or asked that nothing be there.
    for r in s.requests().iter().filter(|r| r.method == "PUT") {
        let pre = r.headers.get("if-match").or(r.headers.get("if-none-match"));
        assert!(pre.is_some(), "{r:?}");
    }
    // The backups hold every previous policy byte for byte, and say which had none.
    for (p, old) in &before {
        if let Some(api) = p
            .strip_prefix("/apis/")
            .and_then(|r| r.strip_suffix("/policies/policy"))
        {
            if !api.contains('/') {
                assert_eq!(
                    &std::fs::read_to_string(bdir.join(format!("apis/{api}/policy.xml"))).unwrap(),
                    old
                );
            }
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bdir.join("manifest.json")).unwrap())
            .unwrap();
    let scopes = manifest["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 50);
    assert!(scopes
        .iter()
        .any(|e| e["scope"] == "API api-05" && e["existed"] == false));

    // A second run changes nothing and makes no PUT.
    let n = writes(&s);
    let (code, out, err) = live(
        &s,
        "apply",
        &["--all-apis", "--ingest-url", INGEST, "--backup-dir", bflag],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(writes(&s), n, "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("0 of 50 scope(s) changed, 50 unchanged"),
        "{err}"
    );

    // Remove restores the original bytes of the policies that had no capture, deletes the ones
    // apply created, and a second remove is a no-op.
    let (code, _, err) = live(&s, "remove", &["--all-apis", "--backup-dir", bflag]);
    assert_eq!(code, 0, "{err}");
    let back = stored(&s);
    for i in (1..=50).filter(|i| *i != 4) {
        let p = api_path(&format!("api-{i:02}"));
        assert_eq!(back.get(&p), before.get(&p), "{p}: {err}");
    }
    let n = writes(&s);
    let (code, _, err) = live(&s, "remove", &["--all-apis"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(writes(&s), n, "{err}");
}

#[test]
fn each_scope_applies_and_a_concurrent_change_is_left_alone() {
    let s = instance(6, None);
    let before = stored(&s);
    let b = tempfile::tempdir().unwrap();
    let bflag = b.path().to_str().unwrap();
    for extra in [
        &["--scope", "global"][..],
        &["--scope", "product", "--product-id", "starter"],
        &["--scope", "api", "--api-id", "api-02"],
        &[
            "--scope",
            "operation",
            "--api-id",
            "api-01",
            "--operation-id",
            "get-item",
        ],
    ] {
        let mut args = extra.to_vec();
        args.extend(["--ingest-url", INGEST, "--backup-dir", bflag]);
        let (code, _, err) = live(&s, "apply", &args);
        assert_eq!(code, 0, "{extra:?}: {err}");
        assert!(err.contains("1 of 1 scope(s) changed"), "{err}");
    }
    let after = stored(&s);
    for p in [
        "/policies/policy",
        "/products/starter/policies/policy",
        "/apis/api-02/policies/policy",
        "/apis/api-01/operations/get-item/policies/policy",
    ] {
        assert!(after[p].contains("aktoCapture"), "{p}");
        assert_eq!(remove_offline(&after[p]), before[p], "{p}");
    }
    // The global capture has no <base /> to add and keeps <forward-request />.
    assert!(after["/policies/policy"].contains("<forward-request />"));

    // Someone saves api-03 between our read and our write: 412, named, left as they saved it;
    // the other APIs are applied; exit 1.
    s.set(|st| {
        st.policy_faults
            .insert(api_path("api-03"), PolicyFault::ConcurrentChange);
    });
    let (code, _, err) = live(
        &s,
        "apply",
        &["--all-apis", "--ingest-url", INGEST, "--backup-dir", bflag],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("API api-03 was changed by someone else since it was read (HTTP 412"),
        "{err}"
    );
    let now = stored(&s);
    assert!(now[&api_path("api-03")].ends_with("<!-- saved by someone else -->"));
    assert!(!now[&api_path("api-03")].contains("aktoCapture"));
    assert!(now[&api_path("api-04")].contains("aktoCapture"));
}

#[test]
fn apims_refusals_are_named_with_scope_line_and_fix() {
    let s = instance(3, None);
    // 400 as APIM words it, with the line of the text sent.
    s.set(|st| {
        st.policy_faults.insert(api_path("api-01"), PolicyFault::Refuse("Error in element 'set-variable' on line 4, column 10: Expression value is invalid.".into()));
        st.policy_faults.insert(api_path("api-02"), PolicyFault::Status(403));
        st.policy_faults.insert(api_path("api-03"), PolicyFault::ThrottleOnce(1));
    });
    let b = tempfile::tempdir().unwrap();
    let (code, _, err) = live(
        &s,
        "apply",
        &[
            "--all-apis",
            "--ingest-url",
            INGEST,
            "--backup-dir",
            b.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("APIM refused the policy of API api-01 on save (HTTP 400 ValidationError): Error in element 'set-variable' on line 4, column 10"), "{err}");
    assert!(err.contains("apis/api-01/policy.xml:4:10: "), "{err}");
    assert!(err.contains("the app registration aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee may not change API api-02 (HTTP 403"), "{err}");
    assert!(
        err.contains("Microsoft.ApiManagement/service/policies/write")
            && err.contains(&format!("`akto-connect apim access --role policy-writer --subscription {SUB} --resource-group {RG} --apim-service {SVC}`"))
            && err.contains("--role contributor"),
        "{err}"
    );
    assert!(err.contains("HTTP 429, retrying in 1.0 s"), "{err}");
    assert!(stored(&s)[&api_path("api-03")].contains("aktoCapture"));
    assert!(err.contains("2 failed:"), "{err}");
    // 404: the scope that does not exist is named.
    let (code, _, err) = live(
        &s,
        "apply",
        &[
            "--scope",
            "api",
            "--api-id",
            "nope",
            "--ingest-url",
            INGEST,
            "--dry-run",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("API nope does not exist on the instance contoso-apim (HTTP 404"),
        "{err}"
    );
    // Global refuses rate-limit, as APIM does; the line named is the one of the text sent.
    s.set(|st| {
        st.policies.insert("/policies/policy".into(), ("<policies>\n  <inbound>\n    <rate-limit calls=\"1\" renewal-period=\"1\" />\n  </inbound>\n</policies>".into(), 1));
    });
    let (code, _, err) = live(
        &s,
        "apply",
        &[
            "--scope",
            "global",
            "--ingest-url",
            INGEST,
            "--backup-dir",
            b.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{err}");
    // The capture came first in <inbound>, so APIM's line is further down than in the original;
    // the line quoted is the one APIM names in the text sent.
    let line: String = err
        .split("on line ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(err.contains(&format!("column 5: Policy is not allowed in this scope\n    policy.xml:{line}:5: <rate-limit calls=\"1\" renewal-period=\"1\" />")), "{err}");
}

#[test]
fn offline_remove_takes_out_inline_fragment_and_hand_pasted_captures() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("policy.xml");
    let original = jwt();
    std::fs::write(&f, &original).unwrap();
    for extra in [&[][..], &["--with-fragments"]] {
        let (code, _, err) = run(bin()
            .args([
                "apim",
                "policy",
                "--ingest-url",
                INGEST,
                "--in-place",
                "--into",
            ])
            .arg(&f)
            .args(extra));
        assert_eq!(code, 0, "{err}");
        assert_ne!(std::fs::read_to_string(&f).unwrap(), original);
        let (code, _, err) = run(bin()
            .args(["apim", "remove", "--in-place", "--from"])
            .arg(&f));
        assert_eq!(code, 0, "{err}");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), original, "{extra:?}");
    }
    // No capture: nothing changes, and it says so.
    let (code, out, err) = run(bin().args(["apim", "remove", "--from"]).arg(&f));
    assert_eq!((code, out.as_str()), (0, original.as_str()));
    assert!(err.contains("no capture found"), "{err}");
    // Unreadable input: exit 2 with the place.
    std::fs::write(&f, "<policies><inbound>").unwrap();
    let (code, _, err) = run(bin()
        .args(["apim", "remove", "--in-place", "--from"])
        .arg(&f));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("policy.xml:1:"), "{err}");
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "<policies><inbound>");
}

/// Coverage JSON of a folder: covered labels, sorted.
fn covered(dir: &Path) -> (Vec<String>, Vec<String>) {
    let (code, out, err) = run(bin()
        .args(["apim", "coverage", "--format", "json"])
        .arg(dir));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut yes = Vec::new();
    let mut no = Vec::new();
    for u in v["units"].as_array().unwrap() {
        let label = format!(
            "{}|{}|{}",
            u["api"].as_str().unwrap_or(""),
            u["operation"].as_str().unwrap_or("*"),
            u["product"].as_str().unwrap_or("-")
        );
        if u["covered"] == true {
            yes.push(label)
        } else {
            no.push(label)
        }
    }
    yes.sort();
    no.sort();
    (yes, no)
}

#[test]
fn pull_gives_a_tree_coverage_reads_before_and_after_apply() {
    let s = instance(3, None);
    let out = tempfile::tempdir().unwrap();
    let (code, _, err) = live(&s, "pull", &["--out", out.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Byte for byte as APIM returned them.
    let st = stored(&s);
    assert_eq!(
        std::fs::read_to_string(out.path().join("apis/api-02/policy.xml")).unwrap(),
        st[&api_path("api-02")]
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("products/starter/policy.xml")).unwrap(),
        st["/products/starter/policies/policy"]
    );
    assert_eq!(
        std::fs::read_to_string(
            out.path()
                .join("apis/api-01/operations/get-item/policy.xml")
        )
        .unwrap(),
        st["/apis/api-01/operations/get-item/policies/policy"]
    );
    let (yes, no) = covered(out.path());
    assert!(yes.is_empty(), "{yes:?}");
    assert!(!no.is_empty());

    // The capture on product starter only: its APIs (api-01, api-02) through starter, and
    // api-01's own get-item operation (it keeps <base />) are covered; api-03 is not.
    let b = tempfile::tempdir().unwrap();
    let (code, _, err) = live(
        &s,
        "apply",
        &[
            "--scope",
            "product",
            "--product-id",
            "starter",
            "--ingest-url",
            INGEST,
            "--backup-dir",
            b.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let out2 = tempfile::tempdir().unwrap();
    let (code, _, err) = live(&s, "pull", &["--out", out2.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (yes, no) = covered(out2.path());
    assert!(!yes.is_empty());
    assert!(
        yes.iter()
            .all(|l| (l.starts_with("api-01|") || l.starts_with("api-02|"))
                && l.ends_with("|starter")),
        "{yes:?}"
    );
    assert!(
        yes.iter().any(|l| l.starts_with("api-01|get-item|")),
        "{yes:?}"
    );
    assert!(no.iter().any(|l| l.starts_with("api-03|")), "{no:?}");
    assert!(no.iter().all(|l| !l.ends_with("|starter")), "{no:?}");

    // live-coverage says the same without a folder.
    let (code, text, err) = live(&s, "live-coverage", &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["summary"]["covered"].as_u64().unwrap() as usize,
        yes.len()
    );
}

fn pull_with(s: &Standin, env: &[(&str, String)], path: Option<&Path>) -> (i32, String, String) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = base_cmd(s, "pull", &["--out", out.path().to_str().unwrap()]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env(
        "PATH",
        path.map_or("/usr/bin:/bin".to_string(), |p| {
            format!("{}:/usr/bin:/bin", p.display())
        }),
    );
    let (code, o, e) = run(&mut cmd);
    no_secret(&o);
    no_secret(&e);
    (code, o, e)
}

/// A closed loopback port: the metadata service is not there.
fn closed_port() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn every_credential_source_gives_a_token_and_none_leaks() {
    let s = instance(2, None);
    let ok = |r: (i32, String, String)| {
        assert_eq!(r.0, 0, "{}", r.2);
        assert!(r.2.contains("file(s) written"), "{}", r.2);
    };
    // Workload identity: the federated token from a file.
    let dir = tempfile::tempdir().unwrap();
    let tok = dir.path().join("token");
    std::fs::write(&tok, format!("{FEDERATED_ASSERTION}\n")).unwrap();
    ok(pull_with(
        &s,
        &[
            ("AZURE_TENANT_ID", TENANT.into()),
            ("AZURE_CLIENT_ID", CLIENT_ID.into()),
            ("AZURE_FEDERATED_TOKEN_FILE", tok.display().to_string()),
        ],
        None,
    ));
    let fed = s
        .requests()
        .into_iter()
        .find(|r| r.body.contains("client_assertion="))
        .expect("a federated token request");
    assert!(fed.body.contains(
        "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
    ));
    // Managed identity: App Service's endpoint, then the metadata service.
    ok(pull_with(
        &s,
        &[
            ("IDENTITY_ENDPOINT", format!("{}/msi/token", s.url)),
            ("IDENTITY_HEADER", IDENTITY_HEADER.into()),
        ],
        None,
    ));
    ok(pull_with(
        &s,
        &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", s.url.clone())],
        None,
    ));
    assert!(s
        .requests()
        .iter()
        .any(|r| r.path == "/metadata/identity/oauth2/token"
            && r.headers.get("metadata").map(String::as_str) == Some("true")));
    // The Azure CLI, as a stub on PATH.
    let bin_dir = tempfile::tempdir().unwrap();
    let az = bin_dir.path().join("az");
    std::fs::write(&az, "#!/bin/sh\n[ \"$1 $2\" = \"account get-access-token\" ] || exit 3\necho '{\"accessToken\": \"cli-token-xyz\", \"tokenType\": \"Bearer\"}'\n").unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&az).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&az, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    s.set(|st| st.accepted_tokens.push("cli-token-xyz".into()));
    ok(pull_with(
        &s,
        &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", closed_port())],
        Some(bin_dir.path()),
    ));
    assert!(s
        .requests()
        .iter()
        .any(|r| r.authorization.as_deref() == Some("Bearer cli-token-xyz")));

    // Nothing: each source is named with why, exit 2, no secret.
    std::fs::write(
        &az,
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    )
    .unwrap();
    let (code, _, err) = pull_with(
        &s,
        &[
            ("AZURE_CLIENT_SECRET", SECRET.into()),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", closed_port()),
        ],
        Some(bin_dir.path()),
    );
    assert_eq!(code, 2, "{err}");
    for want in [
        "environment client secret: AZURE_TENANT_ID and AZURE_CLIENT_ID are not set",
        "workload identity (federated token): AZURE_TENANT_ID and AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE are not set",
        "managed identity (instance metadata service): no endpoint answered",
        "Azure CLI: not signed in: run `az login`",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    // A wrong federated token is refused and named, not passed over.
    std::fs::write(&tok, "eyJ.wrong.token").unwrap();
    let (code, _, err) = pull_with(
        &s,
        &[
            ("AZURE_TENANT_ID", TENANT.into()),
            ("AZURE_CLIENT_ID", CLIENT_ID.into()),
            ("AZURE_FEDERATED_TOKEN_FILE", tok.display().to_string()),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the token request was refused (HTTP 400, invalid_client, AADSTS700211)"),
        "{err}"
    );
    assert!(!err.contains("eyJ.wrong.token"), "{err}");
    let _ = service_root();
}

/// The Azure RBAC action an ARM request on the instance needs: the resource types of its path
/// below `Microsoft.ApiManagement/service`, then read / write / delete by method (Microsoft's
/// resource provider operations name them so). `None` for the token endpoint.
fn rbac_action(method: &str, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap();
    let below = path.split(&format!("/service/{SVC}")).nth(1)?;
    let segments: Vec<&str> = below.split('/').filter(|s| !s.is_empty()).collect();
    let mut action = "Microsoft.ApiManagement/service".to_string();
    for kind in segments.iter().step_by(2) {
        action.push('/');
        action.push_str(kind);
    }
    let verb = match method {
        "GET" | "HEAD" => "read",
        "PUT" | "PATCH" | "POST" => "write",
        "DELETE" => "delete",
        other => panic!("an ARM call of method {other}: {path}"),
    };
    Some(format!("{action}/{verb}"))
}

/// The scopes besides `--all-apis` that the writer-role test applies to and removes from:
/// products and operations with and without a policy of their own.
const OTHER_SCOPES: [&[&str]; 5] = [
    &["--scope", "global"],
    &["--scope", "product", "--product-id", "starter"],
    &["--scope", "product", "--product-id", "unlimited"],
    &[
        "--scope",
        "operation",
        "--api-id",
        "api-01",
        "--operation-id",
        "get-item",
    ],
    // An operation without a policy.
    &[
        "--scope",
        "operation",
        "--api-id",
        "api-02",
        "--operation-id",
        "put-item",
    ],
];

/// `apim apply --with-fragments` on a live instance: the fragments are saved before any policy
/// that includes them, a re-run writes nothing, remove gives every policy back byte for byte;
/// and the custom role `apim access --role policy-writer` defines holds exactly the actions
/// these commands use, at every scope.
#[test]
fn with_fragments_applies_fragments_first_and_the_writer_role_is_exactly_what_is_used() {
    let s = instance(6, None);
    // A product without a policy: apply creates one there, remove deletes it again.
    s.set(|st| {
        st.products
            .push(("unlimited".into(), vec!["api-03".into()]))
    });
    let before = stored(&s);
    let b = tempfile::tempdir().unwrap();
    let bflag = b.path().to_str().unwrap();
    let apply = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend([
            "--with-fragments",
            "--ingest-url",
            INGEST,
            "--backup-dir",
            bflag,
        ]);
        live(&s, "apply", &args)
    };

    let (code, _, err) = apply(&["--all-apis"]);
    assert_eq!(code, 0, "{err}");
    let puts: Vec<String> = s
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.path.clone())
        .collect();
    let last_fragment = puts
        .iter()
        .rposition(|p| p.contains("/policyFragments/"))
        .expect("the fragments were put");
    let first_policy = puts
        .iter()
        .position(|p| p.contains("/policies/policy"))
        .expect("the policies were put");
    assert!(last_fragment < first_policy, "{puts:#?}");
    let after = stored(&s);
    let fragments: Vec<&String> = after
        .keys()
        .filter(|k| k.starts_with("/policyFragments/"))
        .collect();
    assert!(!fragments.is_empty(), "{after:#?}");
    for i in 1..=6 {
        let p = api_path(&format!("api-{i:02}"));
        let now = &after[&p];
        assert!(now.contains("<include-fragment fragment-id="), "{p}: {now}");
        for f in &fragments {
            let id = f.trim_start_matches("/policyFragments/");
            assert!(
                now.contains(&format!("fragment-id=\"{id}\"")),
                "{p} includes {id}: {now}"
            );
        }
    }

    // The other scopes, with fragments too.
    for extra in OTHER_SCOPES {
        let (code, _, err) = apply(extra);
        assert_eq!(code, 0, "{extra:?}: {err}");
    }

    // A second run writes nothing.
    let n = writes(&s);
    let (code, _, err) = apply(&["--all-apis"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(writes(&s), n, "{err}");

    // Remove, at every scope: each policy is as it was (the ones apply created are gone).
    let (code, _, err) = live(&s, "remove", &["--all-apis", "--backup-dir", bflag]);
    assert_eq!(code, 0, "{err}");
    for extra in OTHER_SCOPES {
        let mut args = extra.to_vec();
        args.extend(["--backup-dir", bflag]);
        let (code, _, err) = live(&s, "remove", &args);
        assert_eq!(code, 0, "{extra:?}: {err}");
    }
    let back = stored(&s);
    for (p, old) in &before {
        assert_eq!(back.get(p), Some(old), "{p}");
    }
    for p in back.keys().filter(|p| !before.contains_key(*p)) {
        assert!(p.starts_with("/policyFragments/"), "left behind: {p}");
    }

    // Every call these runs made is an action of the policy-writer role, and the role holds no
    // action they did not use.
    let used: std::collections::BTreeSet<String> = s
        .requests()
        .iter()
        .filter_map(|r| rbac_action(&r.method, &r.path))
        .collect();
    let granted: std::collections::BTreeSet<String> =
        akto_connect::apim::access::POLICY_WRITER_ACTIONS
            .iter()
            .map(|a| a.to_string())
            .collect();
    assert_eq!(
        used,
        granted,
        "used but not granted: {:?}; granted but not used: {:?}",
        used.difference(&granted).collect::<Vec<_>>(),
        granted.difference(&used).collect::<Vec<_>>()
    );
}
