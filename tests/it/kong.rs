//! `akto-connect kong enable`: every format for every scope, checked by its consumers (decK's
//! schema, the KongPlugin/KongClusterPlugin CRDs, the Compose schema and `docker-compose
//! config`, PyYAML as YAML 1.1), the curl script run against a local recording server, and
//! every refusal.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{bin, require_python, require_shared, run, shared, test_file, tool};

const URL: &str = "https://ingest.example.com:9091";

fn enable(args: &[&str]) -> (i32, String, String) {
    run(bin()
        .env_remove("KONG_ADMIN_URL")
        .env_remove("AKTO_INGEST_URL")
        .args(["kong", "enable"])
        .args(args))
}

fn scopes() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("service", vec!["--service", "orders"]),
        ("route", vec!["--route", "orders-api"]),
        ("consumer", vec!["--consumer", "mobile-app"]),
        ("global", vec!["--global"]),
    ]
}

const FORMATS: [&str; 5] = ["curl", "deck", "kic", "compose", "helm"];

#[test]
fn snapshots_per_format_and_scope() {
    for format in FORMATS {
        for (scope, args) in scopes() {
            let (code, out, err) =
                enable(&[&["--service-url", URL, "--format", format], args.as_slice()].concat());
            assert_eq!(code, 0, "{format} {scope}: {err}");
            insta::with_settings!({
                snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(format!("kong-{format}-{scope}"), out);
            });
        }
    }
}

/// Whether the Python side of the conformance checks can run here.
fn python_ready() {
    require_python(&["yaml", "jsonschema"]);
    require_shared("schemas");
}

/// Runs the Python checker on an artifact; returns its documents as JSON.
fn validate(format: &str, text: &str) -> Value {
    let shared = shared("schemas")
        .expect("../shared/schemas")
        .parent()
        .unwrap()
        .to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("artifact.yaml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("python3")
        .arg(test_file("conformance/kong_validate.py"))
        .arg(format)
        .arg(&file)
        .arg(&shared)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{format}: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
#[ignore = "needs python3 with yaml, jsonschema and ../shared"]
fn yaml_formats_pass_their_schemas_for_every_scope() {
    python_ready();
    for format in ["deck", "kic", "compose", "helm"] {
        for (scope, args) in scopes() {
            let (code, out, err) =
                enable(&[&["--service-url", URL, "--format", format], args.as_slice()].concat());
            assert_eq!(code, 0, "{err}");
            let docs = validate(format, &out);
            let text = docs.to_string();
            if format != "compose" {
                assert!(
                    text.contains(r#""service_url":"https://ingest.example.com:9091""#),
                    "{format} {scope}: {text}"
                );
            }
            if format == "deck" && scope != "global" {
                assert_eq!(docs[0]["plugins"][0][scope], args[1], "{text}");
            }
            if (format == "kic" || format == "helm") && scope == "global" {
                assert!(text.contains(r#""kind":"KongClusterPlugin""#), "{text}");
            }
        }
    }
}

#[test]
#[ignore = "needs python3 with yaml, jsonschema and ../shared"]
fn yaml_1_1_keeps_tricky_names_strings() {
    python_ready();
    for name in ["on", "yes", "0755", "1e3", "null", "y"] {
        let (code, out, err) =
            enable(&["--service-url", URL, "--service", name, "--format", "deck"]);
        assert_eq!(code, 0, "{err}");
        let docs = validate("deck", &out);
        assert_eq!(
            docs[0]["plugins"][0]["service"],
            Value::String(name.into()),
            "{name}: {out}"
        );
        // all valid Kubernetes names too
        let (code, out, err) = enable(&[
            "--service-url",
            URL,
            "--service",
            name,
            "--format",
            "kic",
            "--instance-name",
            "akto",
        ]);
        assert_eq!(code, 0, "{err}");
        validate("kic", &out);
    }
    let (code, out, _) = enable(&[
        "--service-url",
        URL,
        "--global",
        "--format",
        "compose",
        "--kong-service",
        "on",
        "--plugin-dir",
        "./0755",
    ]);
    assert_eq!(code, 0);
    let docs = validate("compose", &out);
    assert!(
        docs[0]["services"]["on"]["volumes"][0]["source"] == "./0755",
        "{docs}"
    );
}

#[test]
fn compose_override_merges_with_docker_compose_config() {
    if !tool("docker-compose") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  kong:\n    image: kong:3.6\n    environment:\n      KONG_DATABASE: \"off\"\n      KONG_PLUGINS: bundled\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("plugin")).unwrap();
    let (code, out, err) = enable(&[
        "--service-url",
        URL,
        "--service",
        "orders",
        "--format",
        "compose",
        "--plugin-dir",
        "./plugin",
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(dir.path().join("akto.yml"), &out).unwrap();
    let merged = Command::new("docker-compose")
        .current_dir(dir.path())
        .args(["-f", "docker-compose.yml", "-f", "akto.yml", "config"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&merged.stdout);
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert!(
        text.contains("KONG_PLUGINS: bundled,akto-api-discovery"),
        "{text}"
    );
    assert!(
        text.contains("target: /usr/local/share/lua/5.1/kong/plugins/akto-api-discovery"),
        "{text}"
    );
    assert!(text.contains("read_only: true"), "{text}");
    assert!(
        text.contains("KONG_DATABASE: 'off'") || text.contains("KONG_DATABASE: \"off\""),
        "the base file's settings survive: {text}"
    );
}

/// Runs a generated curl script against a recording server; returns the recorded requests.
fn run_script(script: &str, token: Option<&str>, requests: usize) -> (i32, Vec<Value>, String) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.jsonl");
    let mut server = Command::new("python3")
        .arg(test_file("conformance/record_server.py"))
        .arg(&log)
        .arg(requests.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let script_path = dir.path().join("enable.sh");
    std::fs::write(&script_path, script).unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(&script_path).env(
        "KONG_ADMIN_URL",
        format!("http://127.0.0.1:{}", port.trim()),
    );
    match token {
        Some(t) => cmd.env("KONG_ADMIN_TOKEN", t),
        None => cmd.env_remove("KONG_ADMIN_TOKEN"),
    };
    let out = cmd.output().unwrap();
    let _ = server.wait();
    let recorded = std::fs::read_to_string(&log).unwrap_or_default();
    let reqs = recorded
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        reqs,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn curl_script_sends_exactly_the_intended_request() {
    if !(tool("bash") && tool("curl") && tool("python3")) {
        return;
    }
    for (scope, args) in scopes() {
        let (code, script, err) = enable(
            &[
                &[
                    "--service-url",
                    URL,
                    "--format",
                    "curl",
                    "--timeout",
                    "5000",
                    "--log-level",
                    "debug",
                ],
                args.as_slice(),
            ]
            .concat(),
        );
        assert_eq!(code, 0, "{err}");
        let (code, reqs, err) = run_script(&script, Some("s3cr3t"), 1);
        assert_eq!(code, 0, "{scope}: {err}");
        let [req] = reqs.as_slice() else {
            panic!("{scope}: {reqs:?}")
        };
        assert_eq!(req["method"], "PUT");
        let instance = match scope {
            "global" => "akto-api-discovery-global".to_string(),
            _ => format!("akto-api-discovery-{scope}-{}", args[1]),
        };
        let path = match scope {
            "global" => format!("/plugins/{instance}"),
            _ => format!("/{scope}s/{}/plugins/{instance}", args[1]),
        };
        assert_eq!(req["path"], path.as_str());
        assert_eq!(req["headers"]["content-type"], "application/json");
        assert_eq!(req["headers"]["kong-admin-token"], "s3cr3t");
        let body: Value = serde_json::from_str(req["body"].as_str().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "name": "akto-api-discovery",
                "instance_name": instance,
                "config": {"service_url": URL, "timeout": 5000, "log_level": "debug"}
            })
        );
        assert!(!script.contains("s3cr3t"));
    }
}

#[test]
fn curl_script_without_token_sends_no_token_and_stops_on_errors() {
    if !(tool("bash") && tool("curl") && tool("python3")) {
        return;
    }
    let (_, script, _) = enable(&[
        "--service-url",
        URL,
        "--service",
        "orders",
        "--format",
        "curl",
    ]);
    let (code, reqs, _) = run_script(&script, None, 1);
    assert_eq!(code, 0);
    assert!(
        reqs[0]["headers"].get("kong-admin-token").is_none(),
        "{reqs:?}"
    );

    // A name with shell metacharacters is refused, and a Kong error stops the script.
    let (code, _, _) = enable(&[
        "--service-url",
        URL,
        "--service",
        "x;rm -rf /",
        "--format",
        "curl",
    ]);
    assert_eq!(code, 2);
    let (_, script, _) = enable(&[
        "--service-url",
        URL,
        "--service",
        "conflict",
        "--format",
        "curl",
    ]);
    let (code, reqs, err) = run_script(&script, None, 1);
    assert_ne!(code, 0, "a 409 must fail the script");
    assert_eq!(reqs.len(), 1);
    assert!(err.contains("409") || err.contains("error"), "{err}");
}

#[test]
fn refusals_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--service-url", URL, "--format", "curl"], "--service"),
        (
            &[
                "--service-url",
                URL,
                "--service",
                "a",
                "--route",
                "b",
                "--format",
                "curl",
            ],
            "cannot be used with",
        ),
        (
            &[
                "--service-url",
                URL,
                "--service",
                "a",
                "--global",
                "--format",
                "deck",
            ],
            "cannot be used with",
        ),
        (
            &["--service-url", "ftp://x", "--global", "--format", "curl"],
            "unsupported scheme",
        ),
        (
            &[
                "--service-url",
                "https://x/?a=1",
                "--global",
                "--format",
                "curl",
            ],
            "query",
        ),
        (
            &[
                "--service-url",
                "http://<AKTO_INGEST_URL>",
                "--global",
                "--format",
                "curl",
            ],
            "contains '<'",
        ),
        (
            &["--service-url", URL, "--service", "a b", "--format", "deck"],
            "Kong name",
        ),
        (
            &[
                "--service-url",
                URL,
                "--service",
                "Orders_API",
                "--format",
                "kic",
            ],
            "Kubernetes name",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "kic",
                "--namespace",
                "Kong",
            ],
            "DNS-1123 label",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "curl",
                "--instance-name",
                "a/b",
            ],
            "Kong name",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "curl",
                "--timeout",
                "0",
            ],
            "--timeout",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "curl",
                "--timeout",
                "-5",
            ],
            "--timeout",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "curl",
                "--log-level",
                "trace",
            ],
            "--log-level",
        ),
        (
            &["--service-url", URL, "--global", "--format", "yaml"],
            "--format",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "curl",
                "--admin-url",
                "localhost:8001",
            ],
            "no scheme",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "compose",
                "--kong-service",
                "a b",
            ],
            "Compose service name",
        ),
    ];
    for (args, needle) in cases {
        let (code, out, err) = enable(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{err}"
        );
    }
}

#[test]
fn output_file_and_http_warning() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("akto.yaml");
    let (code, out, err) = run(bin()
        .args([
            "kong",
            "enable",
            "--service-url",
            "http://10.0.0.5:9091",
            "--global",
            "--format",
            "deck",
            "-o",
        ])
        .arg(&target));
    assert_eq!(code, 0);
    assert!(out.is_empty());
    assert!(
        err.contains("warning:") && err.contains("in clear"),
        "{err}"
    );
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("_format_version: \"3.0\""));
}

#[test]
fn help_shows_examples_for_kong() {
    let (code, out, _) = run(bin().args(["kong", "enable", "--help"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("Examples:")
            && out.contains("--format curl | bash")
            && out.contains("Exit codes"),
        "{out}"
    );
}
