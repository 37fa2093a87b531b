//! `apim specs` end to end: the real binary against the ARM stand-in.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::time::Duration;

use crate::arm_standin::{
    self, definition, Fault, Standin, CLIENT_ID, RG, SECRET, SUB, SVC, TENANT,
};
use crate::common::{bin, run};
use crate::standin::Reply;

/// `apim specs` pointed at the stand-in, with the stand-in's credentials and nothing from the
/// caller's environment.
fn specs(s: &Standin, out: &Path, extra: &[&str]) -> (i32, String, String) {
    specs_at(&s.url, &s.url, out, extra)
}

/// [`specs`] with Resource Manager at `management` (a front, a proxy) and Entra ID at
/// `authority`.
fn specs_at(
    management: &str,
    authority: &str,
    out: &Path,
    extra: &[&str],
) -> (i32, String, String) {
    let mut cmd = bin();
    for v in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_AUTHORITY_HOST",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", SECRET)
        .args([
            "apim",
            "specs",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            SVC,
        ])
        .arg("--out")
        .arg(out)
        .args(["--management-url", management, "--authority-url", authority])
        .args(extra)
        .timeout(Duration::from_secs(120));
    run(&mut cmd)
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn index(out: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(out.join("index.json")).expect("index.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("index.json is JSON");
    // Every JSON output of the tool is versioned, index.json included.
    assert_eq!(v["version"], 1, "{text}");
    v["apis"].as_array().expect("apis").clone()
}

/// File name -> (inode, mtime in ns) for every file in `dir`.
fn stamps(dir: &Path) -> BTreeMap<String, (u64, i64)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                (m.ino(), m.mtime() * 1_000_000_000 + m.mtime_nsec()),
            )
        })
        .collect()
}

fn no_secret(text: &str) {
    assert!(!text.contains(SECRET), "the client secret leaked: {text}");
    assert!(
        !text.contains("SASSECRET"),
        "a SAS signature leaked: {text}"
    );
    assert!(!text.contains("token-1"), "the bearer token leaked: {text}");
}

#[test]
fn exports_25_apis_over_3_pages_byte_for_byte() {
    // 25 current APIs and 2 non-current revisions, 10 to a page: 3 pages.
    let s = Standin::start(arm_standin::apis(25, 2), 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("specs");
    let (code, stdout, stderr) = specs(&s, &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    no_secret(&stdout);
    no_secret(&stderr);
    assert!(stderr.contains("25 of 25 APIs exported"), "{stderr}");

    let apis = s.state.lock().unwrap().apis.clone();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = (1..=25).map(|i| format!("api-{i:02}.json")).collect();
    expected.push("index.json".into());
    assert_eq!(
        names, expected,
        "one file per current API, revisions skipped"
    );
    for api in apis.iter().filter(|a| a.is_current) {
        let written = std::fs::read(out.join(format!("{}.json", api.name))).unwrap();
        assert_eq!(
            written,
            definition(api, "openapi-json-link"),
            "{} byte for byte",
            api.name
        );
    }

    let idx = index(&out);
    assert_eq!(idx.len(), 25);
    let ids: Vec<&str> = idx.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "index.json is sorted by id");
    let e = &idx[6];
    assert_eq!(e["id"], "api-07");
    assert_eq!(e["displayName"], "Orders \"7\" café");
    assert_eq!(e["path"], "orders/v7");
    assert_eq!(e["revision"], "1");
    assert_eq!(e["format"], "openapi-json");
    assert_eq!(e["file"], "api-07.json");
    assert_eq!(
        e["sha256"],
        sha256(&std::fs::read(out.join("api-07.json")).unwrap())
    );
    let text = std::fs::read_to_string(out.join("index.json")).unwrap();
    assert!(
        !text.contains("2026") && !text.to_lowercase().contains("time"),
        "no timestamps: {text}"
    );

    let reqs = s.requests();
    let lists: Vec<_> = reqs.iter().filter(|r| r.path.ends_with("/apis")).collect();
    assert_eq!(lists.len(), 3, "three pages followed by nextLink");
    assert!(lists
        .iter()
        .all(|r| r.authorization.as_deref() == Some("Bearer token-1")));
    let token = reqs.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(token.path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert!(
        token.body.contains("grant_type=client_credentials"),
        "{}",
        token.body
    );
    let blobs: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/blob/"))
        .collect();
    assert_eq!(blobs.len(), 25);
    assert!(
        blobs.iter().all(|r| r.authorization.is_none()),
        "no bearer token goes to the blob link"
    );
    let exports: Vec<_> = reqs
        .iter()
        .filter(|r| r.query.contains("export=true"))
        .collect();
    assert_eq!(exports.len(), 25);
    assert!(exports
        .iter()
        .all(|r| r.query.contains("format=openapi%2Bjson-link")));
}

#[test]
fn a_second_run_rewrites_nothing_and_a_change_rewrites_only_that_file() {
    let s = Standin::start(arm_standin::apis(6, 0), 4);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    assert_eq!(specs(&s, out, &[]).0, 0);
    let before = stamps(out);
    assert_eq!(before.len(), 7);

    let (code, _, stderr) = specs(&s, out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 written, 6 unchanged; index.json unchanged"),
        "{stderr}"
    );
    assert_eq!(stamps(out), before, "no file was replaced or touched");

    s.set(|st| st.apis[2].content_version = 2);
    let (code, _, stderr) = specs(&s, out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let after = stamps(out);
    let changed: Vec<&String> = after.keys().filter(|k| after[*k] != before[*k]).collect();
    assert_eq!(changed, ["api-03.json", "index.json"], "{stderr}");
    let api = s.state.lock().unwrap().apis[2].clone();
    assert_eq!(
        std::fs::read(out.join("api-03.json")).unwrap(),
        definition(&api, "openapi-json-link")
    );
}

#[test]
fn a_429_is_retried_after_its_retry_after() {
    let s = Standin::start(arm_standin::apis(3, 0), 10);
    s.set(|st| {
        st.faults.insert("api-02".into(), Fault::ThrottleOnce(2));
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = specs(&s, dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("HTTP 429, retrying in 2.0 s"), "{stderr}");
    let tries: Vec<_> = s
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/apis/api-02"))
        .collect();
    assert_eq!(tries.len(), 2, "one 429, then the retry");
    let waited = tries[1].at.duration_since(tries[0].at);
    assert!(
        waited >= Duration::from_secs(2),
        "retried after {waited:?}, before Retry-After"
    );
    assert!(dir.path().join("api-02.json").is_file());
}

#[test]
fn a_500_on_one_api_leaves_the_others_written_and_exits_1() {
    let s = Standin::start(arm_standin::apis(5, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    assert_eq!(specs(&s, out, &[]).0, 0);
    std::fs::remove_file(out.join("api-04.json")).unwrap();
    s.set(|st| {
        st.faults.insert("api-02".into(), Fault::Status(500));
        st.faults.insert("api-04".into(), Fault::Status(500));
        st.apis[0].content_version = 2;
        st.requests.clear();
    });
    let (code, _, stderr) = specs(&s, out, &["--retries", "1", "--jobs", "2", "--prune"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("2 failed:"), "{stderr}");
    assert!(
        stderr.contains("api-02: export: HTTP 500, InternalServerError"),
        "{stderr}"
    );
    assert!(stderr.contains("api-04: export: HTTP 500"), "{stderr}");
    let api1 = s.state.lock().unwrap().apis[0].clone();
    assert_eq!(
        std::fs::read(out.join("api-01.json")).unwrap(),
        definition(&api1, "openapi-json-link"),
        "the others are written"
    );
    assert!(out.join("api-05.json").is_file());
    // api-02 keeps its last good file and index entry; api-04 has neither any more.
    let ids: Vec<String> = index(out)
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["api-01", "api-02", "api-03", "api-05"]);
    assert!(
        out.join("api-02.json").is_file(),
        "--prune keeps a failed API's last good file"
    );
    // --retries 1: the 500 was tried twice per API
    let n = s
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/apis/api-02"))
        .count();
    assert_eq!(n, 2);
}

#[test]
fn wrong_credentials_exit_2_naming_the_variable_without_the_secret() {
    let s = Standin::start(arm_standin::apis(2, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("specs");
    let cases = [
        ("AZURE_CLIENT_SECRET", "wrong-but-secret-value"),
        ("AZURE_CLIENT_ID", "99999999-bbbb-cccc-dddd-eeeeeeeeeeee"),
        ("AZURE_TENANT_ID", "99999999-2222-3333-4444-555555555555"),
    ];
    for (var, value) in cases {
        let mut cmd = bin();
        cmd.env_remove("AZURE_AUTHORITY_HOST")
            .env("AZURE_TENANT_ID", TENANT)
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", SECRET)
            .env(var, value)
            .args([
                "apim",
                "specs",
                "--subscription",
                SUB,
                "--resource-group",
                RG,
                "--apim-service",
                SVC,
            ])
            .arg("--out")
            .arg(&out)
            .args(["--management-url", &s.url, "--authority-url", &s.url]);
        let (code, stdout, stderr) = run(&mut cmd);
        assert_eq!(code, 2, "{var}: {stderr}");
        assert!(stderr.contains(&format!("check {var}")), "{var}: {stderr}");
        no_secret(&stdout);
        no_secret(&stderr);
        assert!(!stderr.contains("wrong-but-secret-value"), "{stderr}");
        assert!(!out.exists(), "nothing written");
    }
    // A missing variable is named too.
    let mut cmd = bin();
    cmd.env_remove("AZURE_CLIENT_SECRET")
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .args([
            "apim",
            "specs",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            SVC,
        ])
        .arg("--out")
        .arg(&out)
        .args(["--management-url", &s.url, "--authority-url", &s.url]);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("AZURE_CLIENT_SECRET is not set"),
        "{stderr}"
    );
}

#[test]
fn a_403_says_the_role_is_missing_and_names_it() {
    let s = Standin::start(arm_standin::apis(2, 0), 10);
    s.set(|st| st.list_status = Some(403));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("specs");
    let (code, _, stderr) = specs(&s, &out, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("\"API Management Service Reader Role\" (71522526-b88f-4d52-b57f-d31fc3546d0d) is missing"), "{stderr}");
    assert!(stderr.contains(&format!("/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SVC}")), "{stderr}");
    assert!(stderr.contains("akto-connect apim access"), "{stderr}");
    no_secret(&stderr);
    assert!(!out.exists());
}

#[test]
fn an_unknown_instance_names_the_flags() {
    let s = Standin::start(arm_standin::apis(1, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", SECRET)
        .args([
            "apim",
            "specs",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            "other-apim",
        ])
        .arg("--out")
        .arg(dir.path())
        .args(["--management-url", &s.url, "--authority-url", &s.url]);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("check --subscription, --resource-group and --apim-service"),
        "{stderr}"
    );
}

#[test]
fn filters_and_formats() {
    let s = Standin::start(arm_standin::apis(4, 2), 3);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();

    // --include-revisions exports the non-current revisions too, as YAML.
    let (code, _, stderr) = specs(&s, out, &["--include-revisions", "--spec", "openapi-yaml"]);
    assert_eq!(code, 0, "{stderr}");
    let rev = s.state.lock().unwrap().apis[4].clone();
    assert_eq!(rev.name, "api-01;rev=2");
    assert_eq!(
        std::fs::read(out.join("api-01;rev=2.yaml")).unwrap(),
        definition(&rev, "openapi-link")
    );
    assert_eq!(index(out).len(), 6);
    assert!(s
        .requests()
        .iter()
        .any(|r| r.path.ends_with("/apis/api-01%3Brev%3D2")));

    // --api picks APIs; the index keeps the entries it did not ask about.
    let (code, _, stderr) = specs(&s, out, &["--api", "api-03", "--spec", "swagger"]);
    assert_eq!(code, 0, "{stderr}");
    let api3 = s.state.lock().unwrap().apis[2].clone();
    assert_eq!(
        std::fs::read(out.join("api-03.json")).unwrap(),
        definition(&api3, "swagger-link")
    );
    assert!(!out.join("api-02.json").exists());
    let idx = index(out);
    assert_eq!(idx.len(), 6, "one entry per API: the five others kept");
    assert!(idx
        .iter()
        .any(|e| e["id"] == "api-01" && e["format"] == "openapi-yaml"));
    assert!(idx
        .iter()
        .any(|e| e["id"] == "api-03" && e["format"] == "swagger"));

    // An --api that names nothing fails with a summary, exit 1.
    let (code, _, stderr) = specs(&s, out, &["--api", "nope", "--api", "api-04"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("nope: --api names no API of this instance"),
        "{stderr}"
    );
    assert!(out.join("api-04.json").is_file());
}

#[test]
fn progress_is_one_line_per_api_off_a_terminal() {
    let s = Standin::start(arm_standin::apis(3, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = specs(&s, dir.path(), &["--jobs", "1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("[1/3] api-01: written api-01.json"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[3/3] api-03: written api-03.json"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "no bar in a log: {stderr:?}"
    );
}

#[test]
fn bad_input_exits_2_before_any_request() {
    let s = Standin::start(arm_standin::apis(1, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    for (flag, bad, why) in [
        (
            "--subscription",
            "not-a-guid",
            "a subscription id is a GUID",
        ),
        ("--resource-group", "rg.", "cannot end with '.'"),
        ("--apim-service", "1apim", "starts with a letter"),
    ] {
        let mut args = vec![
            "apim",
            "specs",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            SVC,
        ];
        let i = args.iter().position(|a| *a == flag).unwrap();
        args[i + 1] = bad;
        let mut cmd = bin();
        cmd.env("AZURE_TENANT_ID", TENANT)
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", SECRET)
            .args(&args)
            .arg("--out")
            .arg(dir.path())
            .args(["--management-url", &s.url, "--authority-url", &s.url]);
        let (code, _, stderr) = run(&mut cmd);
        assert_eq!(code, 2, "{flag}");
        assert!(stderr.contains(flag) && stderr.contains(why), "{stderr}");
    }
    let mut cmd = bin();
    cmd.env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", SECRET)
        .args([
            "apim",
            "specs",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            SVC,
        ])
        .arg("--out")
        .arg(dir.path())
        .args([
            "--management-url",
            "http://management.example.com",
            "--authority-url",
            &s.url,
        ]);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 2);
    assert!(stderr.contains("in clear"), "{stderr}");
    assert!(stderr.contains("--management-url"), "{stderr}");
    assert!(s.requests().is_empty(), "nothing was sent");
}

#[test]
#[ignore = "needs script (util-linux)"]
fn progress_is_a_bar_on_a_terminal() {
    crate::common::require_tool("script");
    let s = Standin::start(arm_standin::apis(3, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("akto-connect");
    let line = format!(
        "{} apim specs --subscription {SUB} --resource-group {RG} --apim-service {SVC} --out {} --management-url {} --authority-url {} --jobs 1",
        binary.display(),
        dir.path().display(),
        s.url,
        s.url
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", SECRET)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("\r\x1b[2K[##########--------------------] 1/3 api-01"),
        "{text:?}"
    );
    assert!(
        text.contains("[##############################] 3/3 api-03"),
        "{text:?}"
    );
    assert!(
        !text.contains("[1/3]"),
        "no log lines on a terminal: {text:?}"
    );
    no_secret(&text);
}

/// The README's section: its workflow is YAML with the secrets wired as the command reads them,
/// and every `akto-connect apim …` command in it parses.
#[test]
fn readme_section_examples_are_valid() {
    use clap::Parser;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("## API definitions from APIM")
        .expect("the section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let yaml = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a yaml block");
    let wf: serde_yaml::Value = serde_yaml::from_str(yaml).expect("the workflow is YAML");
    let steps = wf["jobs"]["export"]["steps"].as_sequence().expect("steps");
    let export = steps
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("apim specs")))
        .expect("an export step");
    for var in ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"] {
        assert_eq!(
            export["env"][var].as_str(),
            Some(format!("${{{{ secrets.{var} }}}}").as_str())
        );
    }
    assert!(wf["on"]["schedule"][0]["cron"].is_string());
    // Commands, with their `\` continuations joined.
    let joined = section.replace("\\\n", " ");
    let mut seen = 0;
    for line in joined.lines() {
        let Some(at) = line.find("akto-connect apim ") else {
            continue;
        };
        let cmd = line[at..].split(" -o ").next().unwrap();
        let cmd = cmd.split(" #").next().unwrap().trim_end_matches('`');
        // The workflow's command takes its values from the job's variables: the test below
        // runs it.
        if cmd.contains('…') || cmd.contains("command") || cmd.contains("\"$") {
            continue;
        }
        let words: Vec<&str> = cmd.split_whitespace().collect();
        akto_connect::cli::Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("{cmd}: {e}"));
        seen += 1;
    }
    assert!(seen >= 2, "found {seen} commands");
}

#[test]
fn an_expired_token_is_renewed_mid_run() {
    let s = Standin::start(arm_standin::apis(4, 0), 10);
    s.set(|st| st.expire_first_token_after = Some(2));
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = specs(&s, dir.path(), &["--jobs", "1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s.state.lock().unwrap().tokens_issued, 2, "one renewal");
    assert_eq!(index(dir.path()).len(), 4);
    no_secret(&stderr);
}

#[test]
fn graphql_apis_are_skipped_and_prune_deletes_what_is_gone() {
    let s = Standin::start(arm_standin::apis(4, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    assert_eq!(specs(&s, out, &[]).0, 0);
    // api-02 becomes a GraphQL API, api-04 is deleted from the instance.
    s.set(|st| {
        st.apis[1].api_type = "graphql";
        st.apis.remove(3);
        st.requests.clear();
    });
    let (code, _, stderr) = specs(&s, out, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "1 skipped: GraphQL, WebSocket and gRPC APIs have no OpenAPI definition (api-02)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 file(s) of APIs no longer exported left in place (--prune deletes them): api-02.json, api-04.json"),
        "{stderr}"
    );
    assert!(
        !s.requests()
            .iter()
            .any(|r| r.path.ends_with("/apis/api-02")),
        "not asked for"
    );
    let ids: Vec<String> = index(out)
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["api-01", "api-03"]);
    assert!(out.join("api-04.json").is_file());

    // --prune deletes them, and only them.
    let (code, _, stderr) = specs(&s, out, &["--prune"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("2 file(s) of APIs no longer exported deleted: api-02.json, api-04.json"),
        "{stderr}"
    );
    let mut left: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["api-01.json", "api-03.json", "index.json", "notes.txt"]
    );
}

#[test]
fn jobs_bounds_the_exports_in_flight() {
    let s = Standin::start(arm_standin::apis(12, 0), 5);
    // The first export is held until a second is in flight: with --jobs 3 one arrives however
    // slow the machine (with one at a time it never would, and the stand-in lets go after its
    // guard, leaving max_in_flight at 1).
    s.set(|st| {
        st.export_delay = Duration::from_millis(150);
        st.first_export_waits_for_another = true;
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = specs(&s, dir.path(), &["--jobs", "3"]);
    assert_eq!(code, 0, "{stderr}");
    let max = s.state.lock().unwrap().max_in_flight;
    assert!(
        (2..=3).contains(&max),
        "at most 3 at a time, and more than one: {max}"
    );
    s.set(|st| {
        st.max_in_flight = 0;
        st.first_export_waits_for_another = false;
    });
    let (code, _, stderr) = specs(&s, dir.path(), &["--jobs", "1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(s.state.lock().unwrap().max_in_flight, 1);
}

#[test]
fn an_authority_url_with_the_tenant_is_refused() {
    let s = Standin::start(arm_standin::apis(1, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    cmd.env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", SECRET)
        .env("AZURE_AUTHORITY_HOST", format!("{}/{TENANT}", s.url))
        .args([
            "apim",
            "specs",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            SVC,
        ])
        .arg("--out")
        .arg(dir.path())
        .args(["--management-url", &s.url]);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("AZURE_AUTHORITY_HOST") && stderr.contains("give the host only"),
        "{stderr}"
    );
    assert!(s.requests().is_empty());
}

#[test]
fn a_next_link_loop_stops_the_run_after_a_few_pages() {
    // `true`: the last page links back to the first; `false`: new skip tokens for ever, serving
    // the same APIs again.
    for same_url in [true, false] {
        let s = Standin::start(arm_standin::apis(25, 0), 10);
        s.set(|st| st.list_loops = Some(same_url));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("specs");
        let (code, _, stderr) = specs(&s, &out, &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("the API list's nextLink goes round in a loop"),
            "{stderr}"
        );
        let lists = s
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/apis"))
            .count();
        assert!(lists <= 5, "{lists} list requests (same URL: {same_url})");
        assert!(!out.exists(), "nothing written");
    }
}

/// The README's workflow block, parsed.
fn readme_workflow() -> serde_yaml::Value {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("### On a schedule with GitHub Actions")
        .expect("the section");
    let yaml = readme[start..]
        .split("```yaml\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a yaml block");
    serde_yaml::from_str(yaml).expect("the workflow is YAML")
}

/// Runs the README's workflow as written, step by step, as GitHub's runner would (bash -eo
/// pipefail, the job's and the step's env with `${{ secrets.* }}` / `${{ vars.* }}` filled in),
/// in a git clone that pushes to a local bare repository. The install step is this
/// repository's action with `install-only`: its own steps run against a stand-in release of the
/// built binary; then `akto-connect` on `PATH` is the binary the action installed, pointed at the
/// ARM stand-in.
#[test]
#[ignore = "needs bash, git, curl, tar and sha256sum"]
fn readme_workflow_runs_as_written_against_the_standin() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    for tool in ["bash", "git", "curl", "tar", "sha256sum"] {
        crate::common::require_tool(tool);
    }
    let wf = readme_workflow();
    let job = &wf["jobs"]["export"];
    let steps = job["steps"].as_sequence().expect("steps");
    assert!(
        !serde_yaml::to_string(&wf).unwrap().contains("OWNER"),
        "no placeholder to edit"
    );
    let s = Standin::start(arm_standin::apis(5, 0), 2);
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .env("HOME", t)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    std::fs::create_dir(t.join("seed")).unwrap();
    std::fs::write(t.join("seed/README"), "definitions\n").unwrap();
    git(&t.join("seed"), &["init", "-q", "-b", "main"]);
    git(&t.join("seed"), &["add", "README"]);
    git(&t.join("seed"), &["commit", "-q", "-m", "start"]);
    git(t, &["clone", "-q", "--bare", "seed", "remote.git"]);
    git(t, &["clone", "-q", "remote.git", "ws"]);
    let (ws, remote) = (t.join("ws"), t.join("remote.git"));

    // The install step: this repository's action, its own steps, against a stand-in release.
    let install = steps
        .iter()
        .find(|st| st["name"].as_str() == Some("Install akto-connect"))
        .expect("an install step");
    assert!(
        install["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("akto-api-security/akto-connect@v")),
        "{install:?}"
    );
    assert_eq!(install["with"]["install-only"].as_str(), Some("true"));
    let release = t.join("release");
    std::fs::create_dir(&release).unwrap();
    crate::ci_integration::stand_in_release(&release, true);
    let installed =
        crate::ci_integration::run_action_full(&ws, &release, &[("install-only", "true")]);
    let names: Vec<&str> = installed.steps.iter().map(|st| st.0.as_str()).collect();
    assert_eq!(
        names,
        ["Install akto-connect", "cargo"],
        "install only: no lint step"
    );
    assert_eq!(installed.steps[0].1, 0, "{}", installed.steps[0].2);
    assert!(installed.steps[1].2.is_empty(), "nothing compiled");
    assert!(
        !installed.outputs.contains("exit-code="),
        "{}",
        installed.outputs
    );
    let [bin_dir] = installed.path_added.as_slice() else {
        panic!("one folder on PATH: {:?}", installed.path_added)
    };
    let binary = Path::new(bin_dir).join("akto-connect");
    assert!(binary.is_file(), "{}", binary.display());

    // akto-connect on PATH is the installed binary, pointed at the ARM stand-in.
    let stubs = t.join("bin");
    std::fs::create_dir(&stubs).unwrap();
    let f = stubs.join("akto-connect");
    std::fs::write(
        &f,
        format!(
            "#!/usr/bin/env bash\nexec '{}' \"$@\" --management-url '{}'\n",
            binary.display(),
            s.url
        ),
    )
    .unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    let settings = |skip: &str| -> Vec<(String, String)> {
        [
            ("secrets.AZURE_TENANT_ID", TENANT),
            ("secrets.AZURE_CLIENT_ID", CLIENT_ID),
            ("secrets.AZURE_CLIENT_SECRET", SECRET),
            ("vars.AZURE_SUBSCRIPTION_ID", SUB),
            ("vars.APIM_RESOURCE_GROUP", RG),
            ("vars.APIM_SERVICE", SVC),
        ]
        .iter()
        .map(|(k, v)| {
            (
                format!("${{{{ {k} }}}}"),
                if *k == skip {
                    String::new()
                } else {
                    v.to_string()
                },
            )
        })
        .collect()
    };
    let expand = |v: &serde_yaml::Value, set: &[(String, String)]| -> Vec<(String, String)> {
        v.as_mapping()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let mut v = v.as_str().unwrap().to_string();
                        for (from, to) in set {
                            v = v.replace(from.as_str(), to);
                        }
                        assert!(!v.contains("${{"), "a setting the test does not know: {v}");
                        (k.as_str().unwrap().to_string(), v)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // Runs the steps named; (exit status, stdout + stderr) of each.
    let run_steps = |names: &[&str], set: &[(String, String)]| -> Vec<(bool, String)> {
        names
            .iter()
            .map(|name| {
                let step = steps
                    .iter()
                    .find(|st| st["name"].as_str() == Some(name))
                    .unwrap_or_else(|| panic!("a step named {name}"));
                let mut cmd = Command::new("bash");
                cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
                    .arg(step["run"].as_str().unwrap())
                    .current_dir(&ws)
                    .env("HOME", t)
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .env(
                        "PATH",
                        format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap()),
                    )
                    .env("AZURE_AUTHORITY_HOST", &s.url);
                for v in [
                    "AZURE_TENANT_ID",
                    "AZURE_CLIENT_ID",
                    "AZURE_CLIENT_SECRET",
                    "AZURE_SUBSCRIPTION_ID",
                ] {
                    cmd.env_remove(v);
                }
                cmd.envs(expand(&job["env"], set))
                    .envs(expand(&step["env"], set));
                let out = cmd.output().unwrap();
                (
                    out.status.success(),
                    format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    ),
                )
            })
            .collect()
    };
    // Every step but the action's is a run step, and the test runs them all.
    let run_names: Vec<&str> = steps
        .iter()
        .filter(|st| st["run"].is_string())
        .map(|st| st["name"].as_str().unwrap())
        .collect();
    let all = [
        "Check the settings",
        "Export the definitions",
        "Commit what changed",
    ];
    assert_eq!(run_names, all);

    // A variable left unset stops the run at its first step, naming it.
    let r = run_steps(&all[..1], &settings("vars.APIM_SERVICE"));
    assert!(!r[0].0, "{}", r[0].1);
    assert!(
        r[0].1.contains("set the repository variable APIM_SERVICE"),
        "{}",
        r[0].1
    );

    let r = run_steps(&all, &settings(""));
    for (ok, log) in &r {
        assert!(ok, "{log}");
        no_secret(log);
    }
    assert_eq!(
        git(&remote, &["log", "-1", "--format=%s", "main"]).trim(),
        "APIM API definitions"
    );
    let files = git(
        &remote,
        &["ls-tree", "-r", "--name-only", "main", "apim-specs/"],
    );
    let mut expected: Vec<String> = (1..=5)
        .map(|i| format!("apim-specs/api-{i:02}.json"))
        .collect();
    expected.push("apim-specs/index.json".into());
    assert_eq!(files.lines().collect::<Vec<_>>(), expected);

    // The next night, nothing changed: no commit.
    let r = run_steps(&all[1..], &settings(""));
    assert!(r.iter().all(|(ok, _)| *ok), "{r:?}");
    assert!(r[1].1.contains("no definition changed"), "{}", r[1].1);
    assert_eq!(git(&remote, &["rev-list", "--count", "main"]).trim(), "2");

    // The commit step runs after a failed export too (exit 1 keeps what was exported).
    let commit = steps
        .iter()
        .find(|st| st["name"].as_str() == Some("Commit what changed"))
        .unwrap();
    let cond = commit["if"].as_str().unwrap();
    assert!(
        cond.contains("steps.export.outcome == 'failure'") && cond.contains("!cancelled()"),
        "{cond}"
    );
    assert!(steps.iter().any(|st| st["id"].as_str() == Some("export")));
}

#[test]
fn a_token_endpoint_echoing_the_secret_does_not_get_it_printed() {
    let s = Standin::start(arm_standin::apis(2, 0), 10);
    s.set(|st| st.token_echoes_form = true);
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = specs(&s, &dir.path().join("specs"), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the token request was refused (HTTP 400)"),
        "{stderr}"
    );
    no_secret(&stdout);
    no_secret(&stderr);
}

#[test]
fn a_fifo_or_device_in_the_out_folder_is_refused_not_read() {
    let mkfifo = crate::common::mkfifo;
    // A definition's file is a FIFO: reading it to compare would block for ever. That API
    // fails (named, exit 1), the others are written, the FIFO stays.
    let s = Standin::start(arm_standin::apis(3, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    mkfifo(&out.join("api-02.json"));
    let (code, _, stderr) = specs(&s, out, &["--timeout", "20"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("api-02") && stderr.contains("FIFO"),
        "{stderr}"
    );
    assert!(out.join("api-01.json").is_file() && out.join("api-03.json").is_file());
    assert!(std::fs::symlink_metadata(out.join("api-02.json"))
        .unwrap()
        .file_type()
        .is_fifo());
    // index.json is a link to /dev/zero: reading it would never end; refused, exit 2.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    std::os::unix::fs::symlink("/dev/zero", out.join("index.json")).unwrap();
    let (code, _, stderr) = specs(&s, out, &["--timeout", "20"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("index.json") && stderr.contains("character device"),
        "{stderr}"
    );
}

#[test]
fn an_api_named_index_keeps_both_files() {
    let mut apis = arm_standin::apis(2, 0);
    apis[0].name = "index".into();
    let served = definition(&apis[0], "openapi-json-link");
    let s = Standin::start(apis, 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let (code, _, stderr) = specs(&s, out, &[]);
    assert_eq!(code, 0, "{stderr}");
    // The definition is byte for byte what was served, under a name that is not the index.
    assert_eq!(std::fs::read(out.join("%69ndex.json")).unwrap(), served);
    let entries = index(out);
    let entry = entries
        .iter()
        .find(|e| e["id"] == "index")
        .expect("the index lists the API `index`");
    assert_eq!(entry["file"], "%69ndex.json");
    assert_eq!(entry["sha256"], sha256(&served).as_str());
    assert_eq!(entries.len(), 2);
    let mut names: Vec<String> = stamps(out).into_keys().collect();
    names.sort();
    assert_eq!(names, ["%69ndex.json", "api-02.json", "index.json"]);
}

#[test]
fn a_list_answer_without_value_exits_2_and_prune_deletes_nothing() {
    let s = Standin::start(arm_standin::apis(3, 0), 10);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    assert_eq!(specs(&s, out, &[]).0, 0);
    let before = stamps(out);
    assert_eq!(before.len(), 4, "{before:?}");
    s.set(|st| st.list_body = Some("{}".into()));
    let (code, stdout, stderr) = specs(&s, out, &["--prune"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("the API list answer has no `value`")
            && stderr.contains("nothing was written or pruned"),
        "{stderr}"
    );
    assert_eq!(stamps(out), before, "every file kept, none rewritten");
}

#[test]
fn a_deeply_nested_yaml_definition_is_refused_before_parsing() {
    let s = Standin::start(arm_standin::apis(1, 0), 10);
    let nested = format!(
        "openapi: 3.0.1\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(nested.len() > 200_000);
    s.set(|st| st.blob_body = Some(nested.into_bytes()));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let (code, stdout, stderr) = specs(&s, out, &["--spec", "openapi-yaml"]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("api-01") && stderr.contains("nested more than 100 levels deep (line 2)"),
        "{stderr}"
    );
    assert!(!out.join("api-01.yaml").exists());
}

#[test]
fn a_redirect_to_another_origin_never_carries_the_bearer_token() {
    let s = Standin::start(arm_standin::apis(2, 0), 10);
    let target = s.url.clone();
    // A front for Resource Manager that sends every request on to another origin (the ARM
    // stand-in, on another port), as a hostile or misconfigured proxy would.
    let front = crate::standin::HttpStandIn::start(move |r| {
        Reply::status(307).header("Location", format!("{target}{}", r.target))
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = specs_at(front.url(), &s.url, dir.path(), &[]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    no_secret(&stderr);
    // The front got the token (so the test can see one), the other origin never did.
    assert!(
        front.requests().iter().any(|r| r
            .header("authorization")
            .is_some_and(|a| a.starts_with("Bearer "))),
        "{:?}",
        front.lines()
    );
    for r in s.requests() {
        assert!(
            r.authorization.is_none(),
            "{} {} carried {:?}",
            r.method,
            r.path,
            r.authorization
        );
    }
    assert!(!stderr.contains("token-1"), "{stderr}");
}

#[test]
#[ignore = "needs python3 and openssl"]
fn a_redirect_from_https_to_http_never_carries_the_bearer_token() {
    let s = Standin::start(arm_standin::apis(2, 0), 10);
    let certs = crate::verify::Certs::make();
    // Resource Manager behind an HTTPS front that sends every request on to `http://`.
    let front = crate::net_attack::HttpsRedirect::start(&certs, &s.url, 302);
    let dir = tempfile::tempdir().unwrap();
    let ca = certs.path("ca.pem");
    let (code, stdout, stderr) = specs_at(&front.url(), &s.url, dir.path(), &["--ca-file", &ca]);
    assert_ne!(code, 0, "{stdout}{stderr}");
    no_secret(&stderr);
    // The HTTPS front got the token (so the test can see one), the http:// target never did.
    let got = front.headers();
    assert!(
        got.iter().any(|h| h
            .get("authorization")
            .and_then(|a| a.as_str())
            .is_some_and(|a| a.starts_with("Bearer "))),
        "{got:?} {stderr}"
    );
    for r in s.requests() {
        assert!(
            r.authorization.is_none(),
            "{} {} carried {:?}",
            r.method,
            r.path,
            r.authorization
        );
    }
    // `apim specs` does not follow Resource Manager redirects: it says so.
    assert!(stderr.contains("HTTP 302"), "{stderr}");
    assert!(!stderr.contains("token-1"), "{stderr}");
}

#[test]
fn an_arm_error_echoing_the_authorization_header_is_printed_masked() {
    let s = Standin::start(arm_standin::apis(1, 0), 10);
    // Resource Manager (or a proxy before it) quoting the request's header in its message.
    let arm = crate::standin::HttpStandIn::start(|r| {
        let auth = r.header("authorization").unwrap_or("").to_string();
        Reply::status(400).body(
            "application/json",
            serde_json::json!({"error": {"code": "InvalidAuthenticationToken", "message": format!("the header 'Authorization: {auth}' is not accepted")}})
                .to_string(),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = specs_at(arm.url(), &s.url, dir.path(), &[]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        arm.requests()
            .iter()
            .any(|r| r.header("authorization") == Some("Bearer token-1")),
        "the token was sent, so an echo would show it"
    );
    assert!(
        stderr.contains("InvalidAuthenticationToken") && stderr.contains("is not accepted"),
        "the message is still shown: {stderr}"
    );
    no_secret(&stderr);
    assert!(!stdout.contains("token-1"), "{stdout}");
}
