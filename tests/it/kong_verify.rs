//! `akto-connect kong verify` against the Admin API stand-in: every check holding, and each
//! failure, in text and in JSON, with the exit codes a pipeline acts on.

use serde_json::{json, Value};

use crate::common::{bin, run};
use crate::kong_admin::{list_pages, long_list, require_standin_tools, StandIn, INGEST, VERSIONS};
use crate::standin::{HttpStandIn, Reply};

/// Runs `kong verify ARGS` against `url` in both formats: (code, text, json).
fn verify(url: &str, token: Option<&str>, args: &[&str]) -> (i32, String, Value) {
    let go = |format: &str| {
        let mut cmd = bin();
        cmd.env_remove("KONG_ADMIN_URL")
            .args(["kong", "verify", "--admin-url", url, "--format", format])
            .args(args);
        match token {
            Some(t) => cmd.env("KONG_ADMIN_TOKEN", t),
            None => cmd.env_remove("KONG_ADMIN_TOKEN"),
        };
        run(&mut cmd)
    };
    let (code, text, err) = go("text");
    let (jcode, json, jerr) = go("json");
    assert_eq!(
        code, jcode,
        "text and JSON agree on the exit code: {err} {jerr}"
    );
    assert!(err.is_empty() && jerr.is_empty(), "{err} {jerr}");
    let report: Value = serde_json::from_str(&json).expect(&json);
    // The one check model's JSON: versioned, and its exit code follows `ok`.
    assert_eq!(report["version"], 1, "{json}");
    assert_eq!(report["ok"], code == 0, "{json}");
    (code, text, report)
}

/// The status of each check, in order.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn expect(report: &Value, want: &[(&str, &str)]) {
    let got = statuses(report);
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want, "{report:#}");
    assert_eq!(
        report["ok"],
        want.iter().all(|(_, s)| s == "ok"),
        "{report:#}"
    );
}

fn plugin(extra: Value) -> Value {
    let mut p = json!({
        "id": "6a3183f2-f9a9-59b3-8533-6ad56c2a3a81",
        "name": "akto-api-discovery",
        "service": {"id": "0b6f7c0e-2f3a-4c5d-8e9f-0a1b2c3d4e5f"},
        "config": {"service_url": INGEST, "timeout": 30000, "log_level": "warn"},
    });
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    json!([p])
}

const ALL_OK: [(&str, &str); 5] = [
    ("admin-api", "ok"),
    ("kong", "ok"),
    ("plugin-installed", "ok"),
    ("instance", "ok"),
    ("service-url", "ok"),
];

#[test]
#[ignore = "needs python3"]
fn every_check_holds_on_each_version_and_on_dbless() {
    require_standin_tools();
    for version in VERSIONS {
        let s = StandIn::start(&["--version", version], Some(&plugin(json!({}))));
        let (code, text, report) = verify(
            &s.url,
            None,
            &["--service", "orders", "--service-url", INGEST],
        );
        assert_eq!(code, 0, "{text}");
        expect(&report, &ALL_OK);
        assert!(
            text.contains(&format!("ok    Kong {version}, database postgres")),
            "{text}"
        );
        assert!(text.ends_with("all checks hold\n"), "{text}");
        assert!(s.writes().is_empty(), "verify only reads");
    }
    // DB-less Kong configured declaratively: the checks hold, the mode is named.
    let s = StandIn::start(&["--database", "off"], Some(&plugin(json!({}))));
    let (code, text, report) = verify(&s.url, None, &["--service", "orders"]);
    assert_eq!(code, 0, "{text}");
    expect(&report, &ALL_OK);
    assert!(text.contains("DB-less"), "{text}");
}

#[test]
#[ignore = "needs python3"]
fn each_failure_is_reported_with_its_fix() {
    require_standin_tools();
    // Not installed.
    let s = StandIn::start(&["--not-installed"], None);
    let (code, text, report) = verify(&s.url, None, &["--global"]);
    assert_eq!(code, 1, "{text}");
    expect(
        &report,
        &[
            ("admin-api", "ok"),
            ("kong", "ok"),
            ("plugin-installed", "fail"),
            ("instance", "fail"),
            ("service-url", "skip"),
        ],
    );
    assert!(
        text.contains("FAIL  akto-api-discovery is not installed"),
        "{text}"
    );
    assert!(
        text.contains("KONG_PLUGINS=bundled,akto-api-discovery"),
        "{text}"
    );
    assert!(text.ends_with("2 checks failed\n"), "{text}");

    // No instance on that scope (one on another scope does not count).
    let s = StandIn::start(&[], Some(&plugin(json!({}))));
    let (code, text, report) = verify(&s.url, None, &["--route", "orders-api"]);
    assert_eq!(code, 1);
    expect(
        &report,
        &[
            ("admin-api", "ok"),
            ("kong", "ok"),
            ("plugin-installed", "ok"),
            ("instance", "fail"),
            ("service-url", "skip"),
        ],
    );
    assert!(
        text.contains("FAIL  no akto-api-discovery plugin on route orders-api"),
        "{text}"
    );
    assert!(
        report["checks"][3]["fix"]
            .as_str()
            .unwrap()
            .contains("--service-url <ingest URL> --route 'orders-api' --format curl | bash"),
        "{report:#}"
    );

    // Disabled.
    let s = StandIn::start(&[], Some(&plugin(json!({"enabled": false}))));
    let (code, text, report) = verify(&s.url, None, &["--service", "orders"]);
    assert_eq!(code, 1);
    assert_eq!(report["checks"][3]["status"], "fail");
    assert!(text.contains("is disabled"), "{text}");

    // service_url not the expected one.
    let s = StandIn::start(&[], Some(&plugin(json!({}))));
    let (code, text, report) = verify(
        &s.url,
        None,
        &[
            "--service",
            "orders",
            "--service-url",
            "https://other.example.com",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(report["checks"][4]["status"], "fail");
    assert!(
        text.contains(&format!(
            "service_url is {INGEST}, expected https://other.example.com"
        )),
        "{text}"
    );

    // service_url on loopback: right when Kong and the ingest service share a host without
    // containers, so a warning (exit 0) that says when it is wrong; --strict fails on it.
    let s = StandIn::start(
        &[],
        Some(&plugin(
            json!({"config": {"service_url": "http://localhost:9091"}}),
        )),
    );
    let (code, text, report) = verify(&s.url, None, &["--service", "orders"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["checks"][4]["status"], "warn", "{report:#}");
    assert_eq!(report["ok"], true);
    assert!(
        text.contains("WARN  service_url http://localhost:9091 is a loopback address")
            && text.contains("container"),
        "{text}"
    );
    assert!(
        text.ends_with("all checks hold, with 1 warning (--strict makes a warning fail)\n"),
        "{text}"
    );
    let (code, text, report) = verify(&s.url, None, &["--service", "orders", "--strict"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(report["checks"][4]["status"], "warn");
    assert_eq!(report["ok"], false);
    assert_eq!(report["strict"], true);
    assert!(
        text.ends_with("1 warning, which --strict counts as failing\n"),
        "{text}"
    );
    // --strict changes nothing when every check holds.
    let s = StandIn::start(&[], Some(&plugin(json!({}))));
    let (code, text, report) = verify(&s.url, None, &["--service", "orders", "--strict"]);
    assert_eq!(code, 0, "{text}");
    expect(&report, &ALL_OK);

    // The service does not exist.
    let s = StandIn::start(&[], None);
    let (code, text, report) = verify(&s.url, None, &["--service", "nosuch"]);
    assert_eq!(code, 1);
    assert_eq!(report["checks"][3]["status"], "fail");
    assert!(text.contains("Kong has no service nosuch"), "{text}");

    // Not Kong's Admin API (GET / is a 404 under this prefix).
    let (code, text, report) = verify(&format!("{}/proxy", s.url), None, &["--global"]);
    assert_eq!(code, 1);
    expect(
        &report,
        &[
            ("admin-api", "fail"),
            ("kong", "skip"),
            ("plugin-installed", "skip"),
            ("instance", "skip"),
            ("service-url", "skip"),
        ],
    );
    assert!(text.contains("not Kong's Admin API"), "{text}");
}

#[test]
#[ignore = "needs python3"]
fn the_token_comes_from_kong_admin_token() {
    require_standin_tools();
    let s = StandIn::start(&["--token", "s3cr3t"], Some(&plugin(json!({}))));
    let (code, text, report) = verify(&s.url, None, &["--service", "orders"]);
    assert_eq!(code, 1);
    assert_eq!(report["checks"][0]["status"], "fail");
    assert!(
        text.contains("requires authentication") && text.contains("export KONG_ADMIN_TOKEN"),
        "{text}"
    );
    let (code, text, _) = verify(&s.url, Some("wrong"), &["--service", "orders"]);
    assert_eq!(code, 1);
    assert!(text.contains("refused the token"), "{text}");
    let (code, text, report) = verify(&s.url, Some("s3cr3t"), &["--service", "orders"]);
    assert_eq!(code, 0, "{text}");
    expect(&report, &ALL_OK);
    assert!(!text.contains("s3cr3t") && !report.to_string().contains("s3cr3t"));
}

#[test]
fn connection_failures_and_usage_errors_exit_2() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    for format in ["text", "json"] {
        let (code, out, err) = run(bin().env_remove("KONG_ADMIN_TOKEN").args([
            "kong",
            "verify",
            "--admin-url",
            &url,
            "--global",
            "--format",
            format,
        ]));
        assert_eq!(code, 2, "{err}");
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&out).expect(&out);
            assert_eq!(
                (v["version"].as_u64(), v["ok"].as_bool()),
                (Some(1), Some(false))
            );
            assert!(
                v["error"].as_str().unwrap().contains("cannot connect"),
                "{out}"
            );
        } else {
            assert!(out.is_empty());
        }
        assert!(
            err.contains(&format!("{url}/: cannot connect")) && err.contains("--admin-url"),
            "{err}"
        );
    }
    let cases: &[(&[&str], &str)] = &[
        (&["--admin-url", "http://127.0.0.1:1"], "--service"),
        (
            &["--admin-url", "localhost:8001", "--global"],
            "for example http://localhost:8001",
        ),
        (
            &["--service", "a b", "--admin-url", "http://127.0.0.1:1"],
            "Kong name",
        ),
        (
            &[
                "--global",
                "--service-url",
                "ftp://x",
                "--admin-url",
                "http://127.0.0.1:1",
            ],
            "unsupported scheme",
        ),
        (&["--global", "--route", "r"], "cannot be used with"),
    ];
    for (args, needle) in cases {
        let (code, out, err) = run(bin().args(["kong", "verify"]).args(*args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
#[ignore = "needs python3"]
fn verify_follows_kongs_paging() {
    require_standin_tools();
    for (scope, args) in [
        ("global", vec!["--global"]),
        ("service", vec!["--service", "orders"]),
    ] {
        let (preload, earlier) = long_list(scope);
        let s = StandIn::start(&[], Some(&preload));
        let (code, text, report) = verify(&s.url, None, &args);
        assert_eq!(code, 0, "{scope}: {text}");
        expect(&report, &ALL_OK);
        assert!(text.contains(earlier), "{scope}: {text}");
        // two runs (text and JSON), two pages each
        assert_eq!(list_pages(&s), 4, "{scope}");
    }
}

#[test]
fn timeouts_and_tls_to_a_plain_port_name_the_url_and_the_cause() {
    // A port that accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let (code, out, err) = run(bin().env_remove("KONG_ADMIN_TOKEN").args([
        "kong",
        "verify",
        "--admin-url",
        &url,
        "--global",
        "--timeout",
        "1",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains(&format!("{url}/: no answer within")) && err.contains("firewall"),
        "{err}"
    );
    drop(silent);

    // https:// to a port that speaks plain HTTP.
    let plain = HttpStandIn::start(|_| Reply::status(400));
    let addr = plain.url().trim_start_matches("http://").to_string();
    let (code, _, err) = run(bin().env_remove("KONG_ADMIN_TOKEN").args([
        "kong",
        "verify",
        "--admin-url",
        &format!("https://{addr}"),
        "--global",
        "--timeout",
        "5",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "https://{addr}/: the server answered in plain HTTP"
        )) && err.contains("8001"),
        "{err}"
    );
    // One connection, the TLS ClientHello: a TLS failure is not retried.
    assert_eq!(plain.lines(), ["TLS  HTTP/1.1"]);
}

/// `--workspace`: the plugin is looked for in that Kong Enterprise workspace (paging inside
/// it), not in the default one; a workspace put in the URL is explained.
#[test]
#[ignore = "needs python3"]
fn verify_looks_in_the_workspace_given() {
    require_standin_tools();
    let mut preload: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"name": "cors", "_workspace": "team-a",
                   "route": {"id": format!("00000000-0000-4000-8000-{i:012}")}})
        })
        .collect();
    preload.push(json!({"name": "akto-api-discovery", "_workspace": "team-a",
        "id": "11111111-2222-4333-8444-555555555555",
        "config": {"service_url": INGEST, "timeout": 30000, "log_level": "warn"}}));
    let s = StandIn::start(&["--workspace", "team-a"], Some(&Value::Array(preload)));
    let (code, text, report) = verify(&s.url, None, &["--global", "--workspace", "team-a"]);
    assert_eq!(code, 0, "{text}");
    expect(&report, &ALL_OK);
    assert!(
        text.contains("11111111-2222-4333-8444-555555555555"),
        "{text}"
    );
    assert!(
        text.starts_with(&format!(
            "Kong Admin API {}, akto-api-discovery on all traffic (global) in workspace team-a\n",
            s.url
        )),
        "{text}"
    );
    assert_eq!(report["scope"], "all traffic (global) in workspace team-a");
    // The default workspace has none.
    let (code, text, _) = verify(&s.url, None, &["--global"]);
    assert_eq!(code, 1, "{text}");
    let (code, text, _) = verify(
        &s.url,
        None,
        &["--service", "nosuch", "--workspace", "team-a"],
    );
    assert_eq!(code, 1);
    assert!(
        text.contains("Kong has no service nosuch in workspace team-a"),
        "{text}"
    );
    let (code, text, report) = verify(&format!("{}/team-a", s.url), None, &["--global"]);
    assert_eq!(code, 1);
    assert_eq!(report["checks"][0]["status"], "fail");
    assert!(text.contains("--workspace NAME"), "{text}");
}

/// The fix for a missing plugin is a command that runs as printed: with the ingest URL when
/// `--service-url` is given, the workspace, and for DB-less Kong the decK command for the
/// version that answered.
#[test]
#[ignore = "needs python3"]
fn the_fix_for_a_missing_plugin_runs_as_printed() {
    require_standin_tools();
    let s = StandIn::start(&["--workspace", "team-a"], None);
    let (code, _, report) = verify(
        &s.url,
        None,
        &[
            "--service",
            "orders",
            "--workspace",
            "team-a",
            "--service-url",
            INGEST,
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        report["checks"][3]["fix"],
        format!("akto-connect kong enable --service-url '{INGEST}' --service 'orders' --workspace team-a --format curl | bash")
    );

    let s = StandIn::start(&["--version", "2.8.1", "--database", "off"], None);
    let (code, _, report) = verify(
        &s.url,
        None,
        &["--route", "orders-api", "--service-url", INGEST],
    );
    assert_eq!(code, 1);
    let fix = report["checks"][3]["fix"].as_str().unwrap();
    let (command, _) = fix.split_once(", then").expect(fix);
    assert!(
        command.ends_with("--format deck --kong-version 2.8 > akto.yaml"),
        "{fix}"
    );
    let dir = tempfile::tempdir().unwrap();
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_akto-connect"));
    let path = format!(
        "{}:{}",
        exe.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", command])
        .current_dir(dir.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deck: Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.path().join("akto.yaml")).unwrap())
            .unwrap();
    assert_eq!(deck["_format_version"], "1.1");
    assert_eq!(deck["plugins"][0]["route"], "orders-api");
    assert_eq!(deck["plugins"][0]["config"]["service_url"], INGEST);
}

/// Kong older than 2.0 (the seed's floor): the version check fails, in text and JSON, and the
/// script stops before any write.
#[test]
#[ignore = "needs bash, curl and python3"]
fn kong_before_2_0_is_refused_by_verify_and_the_script() {
    require_standin_tools();
    let s = StandIn::start(&["--version", "1.5.1"], Some(&plugin(json!({}))));
    let (code, text, report) = verify(&s.url, None, &["--service", "orders"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(report["checks"][1]["id"], "kong");
    assert_eq!(report["checks"][1]["status"], "fail", "{report:#}");
    assert!(
        text.contains("FAIL  Kong 1.5.1 is older than 2.0"),
        "{text}"
    );
    let (code, out, err) = crate::kong::enable(&[
        "--service-url",
        INGEST,
        "--service",
        "orders",
        "--format",
        "curl",
    ]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enable.sh");
    std::fs::write(&path, out).unwrap();
    let run = std::process::Command::new("bash")
        .arg(&path)
        .env("KONG_ADMIN_URL", &s.url)
        .env_remove("KONG_ADMIN_TOKEN")
        .output()
        .unwrap();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("Kong 1.5.1 is older than 2.0"), "{err}");
    assert!(s.writes().is_empty());
}
