//! `akto-connect verify` against a stand-in of Akto's data-ingestion service
//! (tests/conformance/ingest_standin.py), over HTTP and HTTPS with certificates made here by
//! openssl: what it sends (the contract's fields, all strings; the credential headers) and
//! how it classifies each failure (exit code, phase, message naming the fix).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use akto_connect::ingest::contract::{self, FIELDS};

use crate::common::{bin, require_tool, run, test_file};
use crate::standin::{HttpStandIn, Reply};

/// A running stand-in; killed when dropped.
struct StandIn {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl StandIn {
    fn start(args: &[&str]) -> StandIn {
        require_tool("python3");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("received.jsonl");
        let mut child = Command::new("python3")
            .arg(test_file("conformance/ingest_standin.py"))
            .arg("serve")
            .arg(&log)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the stand-in");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the stand-in prints its port");
        StandIn {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    fn url(&self, scheme: &str, host: &str) -> String {
        format!("{scheme}://{host}:{}", self.port)
    }

    /// The requests it received, once it has exited (after its --max-requests).
    fn received(mut self) -> Vec<Value> {
        for _ in 0..100 {
            if self.child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn verify(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.arg("verify").args(args).env_remove("AKTO_INGEST_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn verify_json(args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let (code, out, err) = verify(&[args, &["--format", "json"]].concat(), env);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

/// The check of a phase, by its label in the text report (`TCP connect` is `tcp-connect`).
fn phase<'a>(report: &'a Value, name: &str) -> &'a Value {
    let id = name.to_ascii_lowercase().replace(' ', "-");
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id.as_str())
        .unwrap_or_else(|| panic!("no phase {name}: {report}"))
}

/// Certificates for the HTTPS stand-in: a CA, and leaves signed by it.
pub(crate) struct Certs {
    dir: tempfile::TempDir,
}

impl Certs {
    pub(crate) fn make() -> Certs {
        require_tool("openssl");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ossl = |args: &[&str]| {
            let out = Command::new("openssl")
                .current_dir(d)
                .args(args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        ossl(
            &[
                &["req", "-x509"],
                &ec[..],
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-days",
                    "2",
                    "-subj",
                    "/CN=akto-connect test CA",
                ],
            ]
            .concat(),
        );
        for (name, san, days) in [
            ("good", "DNS:localhost,IP:127.0.0.1", "2"),
            ("expired", "DNS:localhost,IP:127.0.0.1", "-1"),
            ("wronghost", "DNS:ingest.other.example", "2"),
        ] {
            ossl(
                &[
                    &["req"],
                    &ec[..],
                    &[
                        "-keyout",
                        &format!("{name}.key"),
                        "-out",
                        &format!("{name}.csr"),
                        "-subj",
                        "/CN=stand-in",
                    ],
                ]
                .concat(),
            );
            std::fs::write(
                d.join(format!("{name}.ext")),
                format!("subjectAltName={san}\n"),
            )
            .unwrap();
            ossl(&[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{name}.pem"),
                "-days",
                days,
                "-extfile",
                &format!("{name}.ext"),
            ]);
        }
        Certs { dir }
    }

    pub(crate) fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

/// An RSA key pair for JWTs, and a token signed with it.
fn rsa_key(dir: &Path) -> (String, String) {
    require_tool("openssl");
    let key = dir.join("jwt.key");
    let public = dir.join("jwt.pub");
    for args in [
        vec![
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            key.to_str().unwrap(),
        ],
        vec![
            "pkey",
            "-in",
            key.to_str().unwrap(),
            "-pubout",
            "-out",
            public.to_str().unwrap(),
        ],
    ] {
        assert!(Command::new("openssl")
            .args(&args)
            .output()
            .unwrap()
            .status
            .success());
    }
    (key.display().to_string(), public.display().to_string())
}

fn jwt(key: &str, account: &str, expired: bool) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg(test_file("conformance/ingest_standin.py"))
        .args(["make-jwt", key, account]);
    if expired {
        cmd.arg("--expired");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
#[ignore = "needs python3"]
fn accepted_record_has_every_contract_field_as_a_string() {
    let s = StandIn::start(&[]);
    let url = s.url("http", "127.0.0.1");
    let (code, out, err) = verify(&["--ingest-url", &url], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("result: PASS"), "{out}");
    assert!(out.contains("HTTP        ok    200 OK"), "{out}");
    let got = s.received();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(req["method"], "POST");
    assert_eq!(req["path"], "/api/ingestData");
    assert_eq!(req["headers"]["content-type"], "application/json");
    assert!(req["headers"].get("authorization").is_none());
    assert!(req["headers"].get("x-api-key").is_none());
    let body: Value = serde_json::from_str(req["body"].as_str().unwrap()).unwrap();
    assert!(contract::check_batch(&body).is_empty(), "{body}");
    let records = body["batchData"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    let record = records[0].as_object().unwrap();
    let names: Vec<&str> = record.keys().map(String::as_str).collect();
    assert_eq!(names, FIELDS.iter().map(|f| f.name).collect::<Vec<_>>());
    assert!(record.values().all(Value::is_string));
    let path = record["path"].as_str().unwrap();
    assert!(path.starts_with("/akto-connect-verify/"), "{path}");
    assert!(
        out.contains(path),
        "the report names the record's path: {out}"
    );
    let headers: Value = serde_json::from_str(record["requestHeaders"].as_str().unwrap()).unwrap();
    assert_eq!(headers["host"], "127.0.0.1");
    assert!(record["time"]
        .as_str()
        .unwrap()
        .bytes()
        .all(|b| b.is_ascii_digit()));
    assert_eq!(record["akto_account_id"], "1000000");
    assert_eq!(record["type"], "HTTP/1.1");
}

#[test]
#[ignore = "needs python3"]
fn json_report_and_base_url_with_the_ingest_path() {
    let s = StandIn::start(&[]);
    let url = format!("{}/api/ingestData", s.url("http", "localhost"));
    let (code, v) = verify_json(&["--ingest-url", &url, "--account-id", "1234567"], &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["version"], 1);
    assert_eq!(v["accepted"], true);
    assert_eq!(v["http_status"], 200);
    assert_eq!(phase(&v, "DNS")["status"], "ok");
    assert_eq!(phase(&v, "TCP connect")["status"], "ok");
    assert_eq!(phase(&v, "TLS")["status"], "skip");
    assert_eq!(phase(&v, "HTTP")["status"], "ok");
    assert!(v["latency_ms"].is_u64());
    assert_eq!(v["url"], url, "posted once to /api/ingestData, not twice");
    let got = s.received();
    let body: Value = serde_json::from_str(got[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["batchData"][0]["akto_account_id"], "1234567");
}

#[test]
#[ignore = "needs python3 and openssl"]
fn api_key_mode_missing_wrong_and_right() {
    // Missing: the service has authentication on, nothing sent.
    let s = StandIn::start(&["--api-key", "s3cret-key:1000000"]);
    let (code, out, _) = verify(&["--ingest-url", &s.url("http", "127.0.0.1")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("HTTP 401"), "{out}");
    assert!(
        out.contains("--api-key-env VAR") && out.contains("--token-env VAR"),
        "{out}"
    );
    drop(s);

    // Wrong key; the key never appears in the report.
    let s = StandIn::start(&["--api-key", "s3cret-key:1000000"]);
    let (code, out, err) = verify(
        &[
            "--ingest-url",
            &s.url("http", "127.0.0.1"),
            "--api-key-env",
            "AKTO_TEST_KEY",
        ],
        &[("AKTO_TEST_KEY", "wrong-key-value")],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("HTTP 401") && out.contains("before ':'"),
        "{out}"
    );
    assert!(!out.contains("wrong-key-value") && !err.contains("wrong-key-value"));
    let got = s.received();
    assert_eq!(got[0]["headers"]["x-api-key"], "wrong-key-value");
    assert_eq!(got[0]["status"], 401);

    // Right key: the part before ':' of AKTO_DI_API_KEY.
    let s = StandIn::start(&["--api-key", "s3cret-key:1000000"]);
    let (code, out, _) = verify(
        &[
            "--ingest-url",
            &s.url("http", "127.0.0.1"),
            "--api-key-env",
            "AKTO_TEST_KEY",
        ],
        &[("AKTO_TEST_KEY", "s3cret-key")],
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("s3cret-key"), "{out}");
    assert!(
        out.contains("credential: X-API-KEY from $AKTO_TEST_KEY"),
        "{out}"
    );
}

#[test]
#[ignore = "needs python3 and openssl"]
fn jwt_mode_missing_wrong_expired_bearer_and_right() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = rsa_key(dir.path());
    let other_dir = tempfile::tempdir().unwrap();
    let (other_key, _) = rsa_key(other_dir.path());
    let good = jwt(&key, "1000000", false);
    let expired = jwt(&key, "1000000", true);
    let forged = jwt(&other_key, "1000000", false);

    let s = StandIn::start(&["--rsa-public-key", &public]);
    let (code, out, _) = verify(&["--ingest-url", &s.url("http", "127.0.0.1")], &[]);
    assert_eq!((code, out.contains("HTTP 401")), (1, true), "{out}");
    drop(s);

    for (what, token) in [("forged", &forged), ("expired", &expired)] {
        let s = StandIn::start(&["--rsa-public-key", &public]);
        let (code, out, err) = verify(
            &[
                "--ingest-url",
                &s.url("http", "127.0.0.1"),
                "--token-env",
                "AKTO_TEST_JWT",
            ],
            &[("AKTO_TEST_JWT", token)],
        );
        assert_eq!(code, 1, "{what}: {out}");
        assert!(
            out.contains("HTTP 401") && out.contains("RS256"),
            "{what}: {out}"
        );
        assert!(
            !out.contains(token.as_str()) && !err.contains(token.as_str()),
            "{what}"
        );
        let got = s.received();
        assert_eq!(
            got[0]["headers"]["authorization"],
            token.as_str(),
            "raw, no Bearer"
        );
    }

    // `Bearer …` is refused before sending: the service reads the header raw.
    let (code, _, err) = verify(
        &[
            "--ingest-url",
            "http://127.0.0.1:9",
            "--token-env",
            "AKTO_TEST_JWT",
        ],
        &[("AKTO_TEST_JWT", &format!("Bearer {good}"))],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--token-env") && err.contains("raw JWT"),
        "{err}"
    );
    assert!(!err.contains(&good));

    let s = StandIn::start(&["--rsa-public-key", &public]);
    let (code, out, _) = verify(
        &[
            "--ingest-url",
            &s.url("http", "127.0.0.1"),
            "--token-env",
            "AKTO_TEST_JWT",
        ],
        &[("AKTO_TEST_JWT", &good)],
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains(&good));
}

#[test]
#[ignore = "needs python3"]
fn refused_record_reports_422_with_action_errors() {
    let s = StandIn::start(&["--require", "destIp"]);
    let (code, out, _) = verify(&["--ingest-url", &s.url("http", "127.0.0.1")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("HTTP 422"), "{out}");
    assert!(
        out.contains("actionError: batchData[0].destIp: required"),
        "{out}"
    );
    assert!(
        out.contains("fix: ") && out.contains("data-ingestion image"),
        "{out}"
    );
    let s = StandIn::start(&["--require", "destIp"]);
    let (_, v) = verify_json(&["--ingest-url", &s.url("http", "127.0.0.1")], &[]);
    assert_eq!(v["http_status"], 422);
    assert_eq!(v["action_errors"][0], "batchData[0].destIp: required");
}

#[test]
#[ignore = "needs python3"]
fn the_stand_in_refuses_a_non_string_field_as_the_service_does() {
    // The stand-in itself, so the verdicts above rest on the contract: a number where a
    // string belongs is a 422 with actionErrors.
    let s = StandIn::start(&["--max-requests", "2"]);
    let post = |body: &str| -> String {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(c, "POST /api/ingestData HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        answer
    };
    let answer = post(r#"{"batchData":[{"path":"/a","statusCode":200}]}"#);
    assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
    assert!(answer.contains("batchData[0].statusCode"), "{answer}");
    let answer = post("not json");
    assert!(
        answer.starts_with("HTTP/1.1 422") && answer.contains("actionErrors"),
        "{answer}"
    );
}

#[test]
fn connection_refused_names_the_port_and_the_service() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, out, _) = verify(&["--ingest-url", &format!("http://127.0.0.1:{port}")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TCP connect FAIL"), "{out}");
    assert!(out.contains("connection refused"), "{out}");
    assert!(out.contains("fix: ") && out.contains("9091"), "{out}");
}

#[test]
fn a_silent_server_is_reported_within_the_timeout() {
    // Accepts and holds each connection without a word, until the client gives up.
    let holder = HttpStandIn::start(|_| Reply::silent());
    let port = holder.port();
    // The server never answers, so the run can only end by the binary's own 1 s timeout: its
    // verdict below proves the timeout held, without a clock here (a loaded machine may take
    // many seconds to start the binary).
    let (code, v) = verify_json(
        &[
            "--ingest-url",
            &format!("http://127.0.0.1:{port}"),
            "--timeout",
            "1",
        ],
        &[],
    );
    assert_eq!(code, 1, "{v}");
    assert_eq!(phase(&v, "TCP connect")["status"], "ok");
    assert_eq!(phase(&v, "HTTP")["status"], "fail");
    let summary = v["summary"].as_str().unwrap();
    assert!(summary.contains("no answer within 1.0 s"), "{summary}");
    assert!(
        v["fix"].as_str().unwrap().contains("data-ingestion port"),
        "{v}"
    );
    assert_eq!(holder.lines(), ["POST /api/ingestData HTTP/1.1"]);
}

#[test]
#[ignore = "needs python3"]
fn https_to_the_plain_http_port_is_named_as_such() {
    let s = StandIn::start(&[]);
    let (code, out, _) = verify(&["--ingest-url", &s.url("https", "127.0.0.1")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TLS         FAIL"), "{out}");
    assert!(
        out.contains("https:// to a port that speaks plain HTTP"),
        "{out}"
    );
    assert!(
        out.contains(&format!("use {}", s.url("http", "127.0.0.1"))),
        "{out}"
    );
}

#[test]
#[ignore = "needs python3 and openssl"]
fn https_with_a_private_ca_then_expired_wrong_host_and_untrusted() {
    let certs = Certs::make();
    let ca = certs.path("ca.pem");
    let tls = |name: &str| {
        StandIn::start(&[
            "--tls",
            &certs.path(&format!("{name}.pem")),
            &certs.path(&format!("{name}.key")),
        ])
    };

    let s = tls("good");
    let (code, v) = verify_json(
        &[
            "--ingest-url",
            &s.url("https", "localhost"),
            "--ca-file",
            &ca,
        ],
        &[],
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(phase(&v, "TLS")["status"], "ok");
    assert_eq!(s.received()[0]["status"], 200);

    let s = tls("good");
    let (code, out, _) = verify(&["--ingest-url", &s.url("https", "localhost")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("issuer is not trusted") && out.contains("--ca-file"),
        "untrusted: {out}"
    );
    drop(s);

    let s = tls("expired");
    let (code, out, _) = verify(
        &[
            "--ingest-url",
            &s.url("https", "localhost"),
            "--ca-file",
            &ca,
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("TLS         FAIL") && out.contains("has expired") && out.contains("renew"),
        "expired: {out}"
    );
    drop(s);

    // http:// to the TLS port: the server drops the plain request.
    let s = tls("good");
    let (code, out, _) = verify(&["--ingest-url", &s.url("http", "localhost")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("closed the connection") && out.contains("try https://"),
        "http to TLS: {out}"
    );
    drop(s);

    let s = tls("wronghost");
    let (code, out, _) = verify(
        &[
            "--ingest-url",
            &s.url("https", "localhost"),
            "--ca-file",
            &ca,
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not issued for localhost") && out.contains("subjectAltName"),
        "wrong host: {out}"
    );
}

#[test]
#[ignore = "needs python3"]
fn from_policy_takes_the_url_and_the_named_value_from_a_generated_policy() {
    let s = StandIn::start(&["--max-requests", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.xml");
    let (code, _, err) = run(bin().args([
        "apim",
        "policy",
        "--ingest-url",
        &s.url("http", "127.0.0.1"),
        "--ingest-token-named-value",
        "akto-ingest-token",
        "-o",
        policy.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let p = policy.to_str().unwrap();
    // Without the value: says which variable to set, sends without it.
    let (code, out, _) = verify(&["--from-policy", p], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("put its value in $AKTO_INGEST_TOKEN"), "{out}");
    // With it: the header the policy uses, raw.
    let (code, out, _) = verify(
        &["--from-policy", p],
        &[("AKTO_INGEST_TOKEN", "eyJ.test.token")],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("its value was read from $AKTO_INGEST_TOKEN"),
        "{out}"
    );
    assert!(!out.contains("eyJ.test.token"));
    let got = s.received();
    assert!(got[0]["headers"].get("authorization").is_none());
    assert_eq!(got[1]["headers"]["authorization"], "eyJ.test.token");
}

#[test]
#[ignore = "needs python3"]
fn from_policy_sends_the_account_and_vxlan_ids_the_policy_sends() {
    // The record verify sends is the one the gateway sends: same akto_account_id and
    // akto_vxlan_id as the policy's, unless the flags say otherwise.
    let s = StandIn::start(&["--max-requests", "2"]);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.xml");
    let (code, _, err) = run(bin().args([
        "apim",
        "policy",
        "--ingest-url",
        &s.url("http", "127.0.0.1"),
        "--account-id",
        "4242",
        "--vxlan-id",
        "7",
        "-o",
        policy.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let p = policy.to_str().unwrap();
    let (code, out, _) = verify(&["--from-policy", p], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("akto_account_id \"4242\" read from the policy"),
        "{out}"
    );
    let (code, out, _) = verify(&["--from-policy", p, "--account-id", "99"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "--account-id 99 is sent although the policy's records carry akto_account_id \"4242\""
        ),
        "{out}"
    );
    let got = s.received();
    let record = |i: usize| {
        let body: Value = serde_json::from_str(got[i]["body"].as_str().unwrap()).unwrap();
        body["batchData"][0].clone()
    };
    assert_eq!(record(0)["akto_account_id"], "4242");
    assert_eq!(record(0)["akto_vxlan_id"], "7");
    assert_eq!(record(1)["akto_account_id"], "99");
    assert_eq!(record(1)["akto_vxlan_id"], "7");
}

#[test]
#[ignore = "needs python3"]
fn from_kong_takes_the_service_url_from_a_deck_file_or_kic_resources() {
    let formats = ["deck", "kic", "helm"];
    let s = StandIn::start(&["--max-requests", "3"]);
    let url = s.url("http", "127.0.0.1");
    let dir = tempfile::tempdir().unwrap();
    for format in formats {
        let (code, text, err) = run(bin().args([
            "kong",
            "enable",
            "--service-url",
            &url,
            "--service",
            "orders",
            "--format",
            format,
        ]));
        assert_eq!(code, 0, "{err}");
        let f = dir.path().join(format!("kong-{format}.yaml"));
        std::fs::write(&f, text).unwrap();
        let (code, out, _) = verify(&["--from-kong", f.to_str().unwrap()], &[]);
        assert_eq!(code, 0, "{format}: {out}");
        assert!(out.contains(&format!("POST {url}/api/ingestData")), "{out}");
    }
    assert_eq!(s.received().len(), formats.len());
    let f = dir.path().join("other.yaml");
    std::fs::write(&f, "_format_version: \"3.0\"\nplugins:\n- name: cors\n").unwrap();
    let (code, _, err) = verify(&["--from-kong", f.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--from-kong") && err.contains("no akto-api-discovery plugin"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2_naming_the_flag() {
    for (args, env, flag) in [
        (vec!["--ingest-url", "ftp://x"], vec![], "--ingest-url"),
        (
            vec!["--ingest-url", "http://<YOUR_AKTO_INGESTION_SERVICE_URL>"],
            vec![],
            "--ingest-url",
        ),
        (
            vec!["--ingest-url", "http://127.0.0.1:9", "--timeout", "0"],
            vec![],
            "--timeout",
        ),
        (
            vec![
                "--ingest-url",
                "http://127.0.0.1:9",
                "--api-key-env",
                "AKTO_UNSET_VAR_X",
            ],
            vec![],
            "--api-key-env",
        ),
        (
            vec![
                "--ingest-url",
                "http://127.0.0.1:9",
                "--token-env",
                "AKTO_TEST_JWT",
            ],
            vec![("AKTO_TEST_JWT", "a\nb")],
            "--token-env",
        ),
        (
            vec!["--ingest-url", "http://127.0.0.1:9", "--account-id", "12a"],
            vec![],
            "--account-id",
        ),
        (
            vec!["--from-policy", "/nonexistent/policy.xml"],
            vec![],
            "--from-policy",
        ),
        (
            vec![
                "--ingest-url",
                "http://127.0.0.1:9",
                "--ca-file",
                "/nonexistent/ca.pem",
            ],
            vec![],
            "--ca-file",
        ),
    ] {
        let (code, out, err) = verify(&args, &env);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
    let (code, _, err) = verify(&[], &[]);
    assert_eq!(code, 2, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.xml");
    std::fs::write(&f, "<policies><inbound><base /></inbound></policies>").unwrap();
    let (code, _, err) = verify(&["--from-policy", f.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("no send-one-way-request"), "{err}");
}

#[test]
fn the_apim_policy_sets_exactly_the_contract_fields_as_strings() {
    // Static half of the cross-check (the runtime half executes the policy under Mono): the
    // generated policy's payload expression assigns each contract field once, from a string.
    let (code, policy, err) = run(bin().args([
        "apim",
        "policy",
        "--ingest-url",
        "https://ingest.example.com",
    ]));
    assert_eq!(code, 0, "{err}");
    let mut assigned = Vec::new();
    for line in policy.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("entry[\"") {
            let (name, value) = rest.split_once("\"] = ").expect("entry[\"name\"] = value;");
            assigned.push(name.to_string());
            let value = value.trim_end_matches(';');
            let stringy = value.starts_with('"')
                || value.contains("ToString()")
                || value.contains("SerializeObject(")
                || value.contains("GetValueOrDefault<string>")
                || value.ends_with("?? \"\"")
                || matches!(
                    value,
                    "context.Request.OriginalUrl.Path + query"
                        | "context.Request.Method"
                        | "time"
                        | "responseBody"
                );
            assert!(stringy, "{name} is not assigned a string: {value}");
        }
    }
    let expected: Vec<String> = FIELDS.iter().map(|f| f.name.to_string()).collect();
    // The payload is built in <outbound> and again in <on-error> (failed calls): the same
    // fields each time.
    assert_eq!(assigned.len(), 2 * expected.len(), "{assigned:?}");
    for copy in assigned.chunks(expected.len()) {
        assert_eq!(copy, expected.as_slice());
    }
}

#[test]
#[ignore = "needs python3 and ../shared"]
fn from_policy_reads_the_seed_policy_as_published() {
    // The policy of seed 000, as users paste it: raw C# in attributes, string-built body.
    let seed_dir = crate::common::require_shared("seeds");
    let seed = std::fs::read_dir(&seed_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("000_"))
        .expect("seed 000");
    let text = std::fs::read_to_string(seed).unwrap();
    let start = text.find("<policies>").unwrap();
    let end = text.find("</policies>").unwrap() + "</policies>".len();
    let policy = &text[start..end];
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("policy.xml");

    // As published: the URL is the documentation's placeholder.
    std::fs::write(&f, policy).unwrap();
    let (code, out, err) = verify(&["--from-policy", f.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("--from-policy") && err.contains("placeholder"),
        "{err}"
    );

    // With the placeholder filled in, it reaches the service.
    let s = StandIn::start(&[]);
    let host = format!("127.0.0.1:{}", s.port);
    std::fs::write(
        &f,
        policy.replace(
            "https://<YOUR_AKTO_INGESTION_SERVICE_URL>",
            &format!("http://{host}"),
        ),
    )
    .unwrap();
    let (code, out, err) = verify(&["--from-policy", f.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("POST http://{host}/api/ingestData")),
        "{out}"
    );
    assert_eq!(s.received().len(), 1);
}

#[test]
fn a_200_that_is_not_json_is_not_taken_for_the_ingest_service() {
    // A web server that answers any path with a page: the classic wrong-URL silence.
    let server =
        HttpStandIn::start(|_| Reply::status(200).body("text/html", "<html>welcome</html>\n"));
    let port = server.port();
    let (code, out, _) = verify(&["--ingest-url", &format!("http://127.0.0.1:{port}")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("not JSON") && out.contains("data-ingestion service itself"),
        "{out}"
    );
    assert_eq!(server.lines(), ["POST /api/ingestData HTTP/1.1"]);
}

#[test]
#[ignore = "needs python3"]
fn the_readme_example_matches_a_real_run() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("akto-connect verify: POST")
        .expect("README has the example");
    let block: Vec<&str> = readme[start..]
        .lines()
        .take_while(|l| !l.starts_with("```"))
        .collect();
    let s = StandIn::start(&[]);
    let (code, out, _) = verify(&["--ingest-url", &s.url("http", "127.0.0.1")], &[]);
    assert_eq!(code, 0, "{out}");
    let real: Vec<&str> = out.lines().collect();
    assert_eq!(
        block.len(),
        real.len(),
        "README:\n{}\nreal:\n{out}",
        block.join("\n")
    );
    for (doc, got) in block.iter().zip(&real) {
        // The label and status columns, or the sentence before the first variable part.
        let fixed = |l: &str| -> String { l.chars().take(20).collect() };
        assert_eq!(fixed(doc), fixed(got), "README line {doc:?} vs {got:?}");
    }
}

/// A server that answers a POST with `status` (code and reason) and `Location`, and anything
/// else with a 200 `{"success":true}`, as a load balancer in front of a working service might;
/// its `lines()` are the requests it saw.
fn redirecting_server(status: &'static str, location: String) -> (u16, HttpStandIn) {
    let code: u16 = status[..3].parse().expect("a status code");
    let s = HttpStandIn::start(move |r| {
        if r.method == "POST" {
            Reply::status(code).header("Location", location.clone())
        } else {
            Reply::json("{\"success\":true}")
        }
    });
    (s.port(), s)
}

#[test]
fn a_redirected_post_is_reported_not_followed() {
    // A load balancer sends http:// to https://, with a signed query that must not be shown.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (port, server) = redirecting_server(
        "301 Moved Permanently",
        format!("https://ingest.example.test:{port}/api/ingestData?sig=s3cret"),
    );
    let (code, v) = verify_json(&["--ingest-url", &format!("http://127.0.0.1:{port}")], &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["http_status"], 301, "{v}");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.contains("301") && summary.contains("https://ingest.example.test:"),
        "{summary}"
    );
    assert!(!v.to_string().contains("s3cret"), "{v}");
    assert!(v["fix"].as_str().unwrap().contains("https://"), "{v}");
    assert_eq!(server.lines(), ["POST /api/ingestData HTTP/1.1"]);

    // A 302 to a path where a GET happens to succeed: following it would report a record
    // accepted that no gateway could deliver.
    let (port, server) = redirecting_server("302 Found", "/v2/api/ingestData".into());
    let (code, out, _) = verify(&["--ingest-url", &format!("http://127.0.0.1:{port}")], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("HTTP 302: redirected to /v2/api/ingestData") && out.contains("do not follow"),
        "{out}"
    );
    assert_eq!(server.lines(), ["POST /api/ingestData HTTP/1.1"]);

    // 307 and 308 keep the method, but gateways do not follow them either.
    for status in ["307 Temporary Redirect", "308 Permanent Redirect"] {
        let (port, server) = redirecting_server(status, "/other".into());
        let (code, v) = verify_json(&["--ingest-url", &format!("http://127.0.0.1:{port}")], &[]);
        assert_eq!(code, 1, "{v}");
        assert_eq!(v["http_status"].as_u64(), status[..3].parse().ok(), "{v}");
        assert_eq!(server.lines(), ["POST /api/ingestData HTTP/1.1"]);
    }
}

/// The JSON report keeps one shape whatever happens: the same keys, the four phases in order
/// with the same keys, so a pipeline can read a failure as it reads a success.
#[test]
fn json_report_has_one_shape_on_every_outcome() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (port, server) = redirecting_server("308 Permanent Redirect", "/x".into());
    let outcomes = [
        format!("http://127.0.0.1:{closed}"),
        "http://no-such-host.invalid:9091".to_string(),
        format!("http://127.0.0.1:{port}"),
    ];
    for url in &outcomes {
        let (code, v) = verify_json(&["--ingest-url", url], &[]);
        assert_eq!(code, 1, "{v}");
        // The order is part of the shape: `version` first, then verify's own keys, then the
        // keys of every live check's report.
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "version",
                "url",
                "accepted",
                "http_status",
                "answer",
                "action_errors",
                "latency_ms",
                "record_path",
                "credential",
                "ok",
                "strict",
                "summary",
                "fix",
                "notes",
                "checks"
            ],
            "{url}"
        );
        assert_eq!(v["version"], 1);
        assert_eq!(v["ok"], false);
        let checks = v["checks"].as_array().unwrap();
        let ids: Vec<&str> = checks.iter().map(|p| p["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["dns", "tcp-connect", "tls", "http"], "{url}");
        for p in checks {
            let k: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                k,
                ["id", "status", "message", "fix", "detail", "ms"],
                "{url}"
            );
            assert!(
                ["ok", "fail", "skip"].contains(&p["status"].as_str().unwrap()),
                "{p}"
            );
        }
        // Exit 1 means a check failed, and that check carries the fix.
        assert_eq!(
            checks.iter().filter(|c| c["status"] == "fail").count(),
            1,
            "{v}"
        );
        let failed = checks.iter().find(|c| c["status"] == "fail").unwrap();
        assert_eq!(failed["fix"], v["fix"], "{v}");
        assert!(v["summary"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
        assert!(v["fix"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    }
    assert_eq!(server.lines(), ["POST /api/ingestData HTTP/1.1"]);
}

/// Akto's service answers `{"success":false}` to every batch it publishes (its Struts result
/// holds only the `success` property, which ingestData never sets); versions before that
/// property answered `{}`. Each is an accepted record; only a 422 or 5xx is a refusal.
#[test]
#[ignore = "needs python3"]
fn the_real_services_success_false_answer_is_an_accepted_record() {
    for answer in [None, Some("{}"), Some("{\"success\":true}")] {
        let s = StandIn::start(&answer.map_or(vec![], |a| vec!["--answer", a]));
        let (code, v) = verify_json(&["--ingest-url", &s.url("http", "127.0.0.1")], &[]);
        assert_eq!(code, 0, "{answer:?}: {v}");
        assert_eq!(v["accepted"], true, "{v}");
        let summary = v["summary"].as_str().unwrap();
        assert!(
            summary.starts_with("the service accepted the record"),
            "{summary}"
        );
        if answer.is_none() {
            assert_eq!(v["answer"], "{\"success\":false}", "{v}");
            assert!(
                summary.contains("\"success\":false to every batch"),
                "{summary}"
            );
        } else {
            assert!(!summary.contains("success"), "{summary}");
        }
        assert_eq!(s.received()[0]["status"], 200);
    }
}

#[test]
fn http_to_a_tls_port_answered_400_names_https() {
    // What nginx (and most TLS proxies) answer when plain HTTP reaches their HTTPS port.
    let server = HttpStandIn::start(|_| {
        let body = "<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>\n";
        Reply::status(400).body("text/html", body)
    });
    let port = server.port();
    let (code, v) = verify_json(&["--ingest-url", &format!("http://127.0.0.1:{port}")], &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["http_status"], 400);
    assert!(
        v["summary"].as_str().unwrap().contains("expects TLS"),
        "{v}"
    );
    assert!(
        v["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("https://127.0.0.1:{port}")),
        "{v}"
    );
    assert_eq!(server.lines(), ["POST /api/ingestData HTTP/1.1"]);
}

#[test]
#[ignore = "needs python3 and openssl"]
fn a_ca_file_with_an_http_url_is_named_as_unused() {
    let certs = Certs::make();
    let ca = certs.path("ca.pem");
    // A closed port: the run fails, and the note still says the CA file played no part.
    let (code, out, _) = verify(
        &["--ingest-url", "http://127.0.0.1:9", "--ca-file", &ca],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("--ca-file is not used"), "{out}");
    let (_, out, _) = verify(
        &["--ingest-url", "https://127.0.0.1:9", "--ca-file", &ca],
        &[],
    );
    assert!(!out.contains("--ca-file is not used"), "{out}");
    let (code, _, err) = crate::common::run(crate::common::bin().args([
        "kong",
        "verify",
        "--admin-url",
        "http://127.0.0.1:9",
        "--global",
        "--ca-file",
        &ca,
        "--timeout",
        "2",
    ]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("warning: --ca-file is not used"), "{err}");
}
