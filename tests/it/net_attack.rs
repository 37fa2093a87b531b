//! The attack pass of issue 27 on the network clients and the generators, through the real
//! binary: credentials never cross a redirect to another origin, a credential echoed by a
//! service is masked however the report escapes or cuts it, `$` in a Compose value means `$`
//! to Compose, and deeply nested YAML is refused before any parser sees it.
//!
//! Two stand-ins on different ports are two origins.

use std::process::Command;

use serde_json::Value;

use crate::common::{bin, require_tool, run};
use crate::standin::{HttpStandIn, Reply};

/// A stand-in that answers every request with a redirect to the same target on `to`.
fn redirecting_to(to: &str, status: u16) -> HttpStandIn {
    let to = to.to_string();
    HttpStandIn::start(move |r| {
        Reply::status(status).header("Location", format!("{to}{}", r.target))
    })
}

/// Every window of `n` characters of `s`.
fn windows(s: &str, n: usize) -> Vec<String> {
    let c: Vec<char> = s.chars().collect();
    c.windows(n).map(|w| w.iter().collect()).collect()
}

#[test]
fn kong_verify_never_sends_the_admin_token_to_another_origin() {
    const TOKEN: &str = "kong-admin-SECRET-7f3a9c";
    let other = HttpStandIn::start(|_| {
        Reply::json(r#"{"version":"3.9.0","plugins":{"available_on_server":{}},"data":[]}"#)
    });
    for status in [301, 302, 307, 308] {
        let admin = redirecting_to(other.url(), status);
        let (code, stdout, stderr) = run(bin()
            .env_remove("KONG_ADMIN_URL")
            .env("KONG_ADMIN_TOKEN", TOKEN)
            .args(["kong", "verify", "--global", "--admin-url", admin.url()]));
        // The Admin API got the token, so the test would see it if it travelled on.
        assert!(
            admin
                .requests()
                .iter()
                .all(|r| r.header("kong-admin-token") == Some(TOKEN)),
            "{:?}",
            admin.requests()
        );
        assert_eq!(code, 2, "{status}: {stdout}{stderr}");
        assert!(
            stderr.contains("redirected") && stderr.contains("the admin token was not sent there"),
            "{status}: {stderr}"
        );
        assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    }
    let seen = other.requests();
    assert!(
        !seen.is_empty(),
        "the redirect was followed, without the token"
    );
    for r in seen {
        assert_eq!(r.header("kong-admin-token"), None, "{}", r.line());
    }
}

#[test]
fn verify_never_sends_the_key_or_token_to_another_origin() {
    const KEY: &str = "ingest-key-SECRET-51d0";
    for (flag, header) in [
        ("--api-key-env", "x-api-key"),
        ("--token-env", "authorization"),
    ] {
        let other = HttpStandIn::start(|_| Reply::json("{}"));
        let front = redirecting_to(other.url(), 307);
        let (code, stdout, stderr) = run(bin().env("AKTO_TEST_CREDENTIAL", KEY).args([
            "verify",
            "--ingest-url",
            front.url(),
            flag,
            "AKTO_TEST_CREDENTIAL",
        ]));
        assert!(
            front
                .requests()
                .iter()
                .any(|r| r.header(header).is_some_and(|v| v.contains(KEY))),
            "{flag}: {:?}",
            front.requests()
        );
        assert_ne!(
            code, 0,
            "a redirect is not an accepted record: {stdout}{stderr}"
        );
        key_never_reached(&other, KEY, flag, &stdout, &stderr);
    }
}

#[test]
fn verify_masks_a_key_echoed_across_the_cut_and_json_escaped() {
    // A key with `\` and `"` (JSON escapes both) long enough to straddle the 400-character cut.
    const KEY: &str = r#"Zq7"Wv\Lp9Rt2Mn8Xk4Bd6Hy3Cf5Gj1Ns0"#;
    let json_escaped = serde_json::to_string(KEY).unwrap();
    let json_escaped = &json_escaped[1..json_escaped.len() - 1];
    // Plain text echo, and a JSON answer that carries the key escaped.
    for as_json in [false, true] {
        let server = HttpStandIn::start(move |r| {
            let key = r.header("x-api-key").unwrap_or("").to_string();
            let pad = "p".repeat(390);
            if as_json {
                let body = serde_json::json!({ "error": format!("{pad}{key} refused") });
                Reply::status(401).body("application/json", body.to_string())
            } else {
                Reply::status(401).body("text/plain", format!("{pad}{key} refused"))
            }
        });
        for format in ["text", "json"] {
            let (code, stdout, stderr) = run(bin()
                .env("AKTO_TEST_KEY", KEY)
                .args([
                    "verify",
                    "--ingest-url",
                    server.url(),
                    "--api-key-env",
                    "AKTO_TEST_KEY",
                ])
                .args(["--format", format]));
            assert_eq!(code, 1, "{stdout}{stderr}");
            if format == "json" {
                let _: Value = serde_json::from_str(&stdout).expect(&stdout);
            }
            assert!(stdout.contains("ppppp"), "the answer is quoted: {stdout}");
            let out = format!("{stdout}{stderr}");
            for w in windows(KEY, 5).iter().chain(&windows(json_escaped, 5)) {
                assert!(
                    !out.contains(w.as_str()),
                    "json answer {as_json}, --format {format}: {w:?} of the key printed: {out}"
                );
            }
        }
        assert!(
            server
                .requests()
                .iter()
                .all(|r| r.header("x-api-key") == Some(KEY)),
            "the key was sent as given"
        );
    }
}

#[test]
fn compose_values_with_dollar_are_escaped_and_ingest_names_the_flag() {
    let (code, stdout, stderr) = run(bin().args([
        "kong",
        "enable",
        "--format",
        "compose",
        "--plugin-dir",
        "${PLUGDIR:-/etc}",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(r#"source: "$${PLUGDIR:-/etc}""#),
        "{stdout}"
    );
    let (code, stdout, stderr) = run(bin().args([
        "aws",
        "manifest",
        "--format",
        "compose",
        "--log-group",
        "g",
        "--region",
        "us-east-1",
        "--kafka-broker",
        "kafka:9092",
        "--env-file",
        "${HOME}/x.env",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(r#"- "$${HOME}/x.env""#), "{stdout}");
    let (code, stdout, stderr) = run(bin().args([
        "ingest",
        "compose",
        "--kafka-ip",
        "10.0.0.4",
        "--database-abstractor-url",
        "https://backend.example/${HOME}",
    ]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("--database-abstractor-url") && !stderr.contains("internal error"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "nothing half-written: {stdout}");
}

#[test]
#[ignore = "needs docker-compose"]
fn docker_compose_reads_back_every_dollar_as_given() {
    require_tool("docker-compose");
    let dir = tempfile::tempdir().unwrap();
    let config = |files: &[&str]| {
        let mut cmd = Command::new("docker-compose");
        cmd.current_dir(dir.path())
            .env("PLUGDIR", "/interpolated")
            .env("HOME", "/interpolated");
        for f in files {
            cmd.args(["-f", f]);
        }
        let out = cmd.arg("config").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_yaml::Value = serde_yaml::from_slice(&out.stdout).unwrap();
        v
    };
    std::fs::write(
        dir.path().join("base.yml"),
        "services:\n  kong:\n    image: kong:3.9\n",
    )
    .unwrap();
    // Control: a `$` written as is is interpolated by docker-compose in this very place.
    std::fs::write(
        dir.path().join("raw.yml"),
        "services:\n  kong:\n    volumes:\n      - type: bind\n        source: \"/opt/${PLUGDIR}\"\n        target: /p\n",
    )
    .unwrap();
    let raw = config(&["base.yml", "raw.yml"]);
    assert_eq!(
        raw["services"]["kong"]["volumes"][0]["source"],
        "/opt/interpolated"
    );

    let given = "/opt/${PLUGDIR:-x}/$$a$b";
    let (code, stdout, stderr) = run(bin()
        .args(["kong", "enable", "--format", "compose"])
        .args(["--plugin-dir", given]));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.path().join("akto.yml"), stdout).unwrap();
    let merged = config(&["base.yml", "akto.yml"]);
    // `config` prints the resolved file in Compose syntax again, `$` as `$$`.
    let source = merged["services"]["kong"]["volumes"][0]["source"]
        .as_str()
        .unwrap()
        .replace("$$", "$");
    assert_eq!(source, given);

    // --env-file: docker-compose opens exactly the file given, `$` and all.
    std::fs::create_dir_all(dir.path().join("${HOME}")).unwrap();
    std::fs::write(
        dir.path().join("${HOME}/x$y.env"),
        "DATABASE_ABSTRACTOR_TOKEN=from-the-literal-file\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(bin().args([
        "aws",
        "manifest",
        "--format",
        "compose",
        "--log-group",
        "g",
        "--region",
        "us-east-1",
        "--kafka-broker",
        "kafka:9092",
        "--env-file",
        "./${HOME}/x$y.env",
    ]));
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.path().join("aws.yml"), stdout).unwrap();
    let merged = config(&["aws.yml"]);
    let services = merged["services"].as_mapping().unwrap();
    let (_, svc) = services.iter().next().unwrap();
    assert_eq!(
        svc["environment"]["DATABASE_ABSTRACTOR_TOKEN"],
        "from-the-literal-file"
    );
}

/// `x: [[[…]]]`, over 200 KB.
fn nested_yaml() -> String {
    format!("x: {}{}\n", "[".repeat(100_000), "]".repeat(100_000))
}

#[test]
fn nested_yaml_is_refused_before_parsing_in_every_command_that_reads_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nested.yaml");
    std::fs::write(&file, nested_yaml()).unwrap();
    let (code, stdout, stderr) = run(bin().arg("verify").arg("--from-kong").arg(&file));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("--from-kong") && stderr.contains("nested more than 100 levels deep"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(bin()
        .args(["kong", "enable", "--format", "compose", "--base-compose"])
        .arg(&file));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("--base-compose") && stderr.contains("nested more than 100 levels deep"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    let (code, stdout, stderr) = run(bin()
        .args([
            "kong",
            "enable",
            "--format",
            "helm",
            "--service-url",
            "http://ingest:9091",
        ])
        .args(["--service", "orders", "--base-values"])
        .arg(&file));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("--base-values") && stderr.contains("nested more than 100 levels deep"),
        "{stderr}"
    );
    // The same depth as blocks, and an ordinary file still passes the check.
    let blocks: String = (0..150)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    std::fs::write(&file, blocks).unwrap();
    let (code, _, stderr) = run(bin().arg("verify").arg("--from-kong").arg(&file));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nested more than 100 levels deep"),
        "{stderr}"
    );
    std::fs::write(&file, "services:\n  kong:\n    image: kong:3.9\n").unwrap();
    let (code, _, stderr) = run(bin()
        .args(["kong", "enable", "--format", "compose", "--base-compose"])
        .arg(&file));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_non_ascii_literal_secret_leaves_nothing_readable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.xml");
    std::fs::write(
        &file,
        "<policies>\n  <inbound>\n    <base />\n    <set-header name=\"Ocp-Apim-Subscription-Key\" exists-action=\"override\">\n      <value>κλειδί*μυστικό*9Zq</value>\n    </set-header>\n  </inbound>\n  <backend><base /></backend>\n  <outbound><base /></outbound>\n  <on-error><base /></on-error>\n</policies>\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(bin().arg("lint").arg(&file));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("hardcoded-secret"), "{stdout}");
    for part in ["κ", "λ", "ό", "9Zq", "\u{fffd}"] {
        assert!(!stdout.contains(part), "{part:?} printed: {stdout}");
    }
    // The masked line keeps its place: the caret line still points at the value.
    assert!(stdout.contains("<value>***"), "{stdout}");
}

#[test]
fn kong_verify_masks_an_admin_token_echoed_in_an_answer() {
    // A token with characters JSON escapes, echoed by the Admin API in the version it reports
    // (which the `kong` check prints).
    const TOKEN: &str = r#"kat"Q\7vLm2Pz9Xc4"#;
    let admin = HttpStandIn::start(|r| {
        let token = r.header("kong-admin-token").unwrap_or("").to_string();
        let body = if r.target == "/" {
            serde_json::json!({ "version": format!("3.9.0-{token}"), "configuration": { "database": "off" }, "plugins": { "available_on_server": {} } })
        } else {
            serde_json::json!({ "data": [], "message": token })
        };
        Reply::json(body.to_string())
    });
    for format in ["text", "json"] {
        let (code, stdout, stderr) = run(bin()
            .env_remove("KONG_ADMIN_URL")
            .env("KONG_ADMIN_TOKEN", TOKEN)
            .args([
                "kong",
                "verify",
                "--global",
                "--admin-url",
                admin.url(),
                "--format",
                format,
            ]));
        assert_ne!(code, 0, "{stdout}{stderr}");
        let json_escaped = serde_json::to_string(TOKEN).unwrap();
        let out = format!("{stdout}{stderr}");
        assert!(
            out.contains("Kong 3.9.0-***"),
            "the echo is printed, masked: {out}"
        );
        for w in windows(TOKEN, 5)
            .iter()
            .chain(&windows(&json_escaped[1..json_escaped.len() - 1], 5))
        {
            assert!(
                !out.contains(w.as_str()),
                "--format {format}: {w:?} printed: {out}"
            );
        }
    }
    assert!(admin
        .requests()
        .iter()
        .all(|r| r.header("kong-admin-token") == Some(TOKEN)));
}

/// An HTTPS front (tests/conformance/redirect_standin.py) that answers every request with
/// `status` and a `Location` on `to`; it records what it received, and is killed when dropped.
pub(crate) struct HttpsRedirect {
    child: std::process::Child,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl HttpsRedirect {
    pub(crate) fn start(certs: &crate::verify::Certs, to: &str, status: u16) -> HttpsRedirect {
        use std::io::BufRead;
        require_tool("python3");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("received.jsonl");
        let mut child = Command::new("python3")
            .arg(crate::common::test_file("conformance/redirect_standin.py"))
            .args([certs.path("good.pem"), certs.path("good.key")])
            .arg(to)
            .arg(&log)
            .args(["--status", &status.to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs the stand-in");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the stand-in prints its port");
        HttpsRedirect {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// The headers of every request received so far.
    pub(crate) fn headers(&self) -> Vec<serde_json::Map<String, Value>> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["headers"].as_object().unwrap().clone()
            })
            .collect()
    }
}

impl Drop for HttpsRedirect {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs python3 and openssl"]
fn kong_verify_never_sends_the_admin_token_from_https_to_http() {
    const TOKEN: &str = "kong-admin-SECRET-d0wn9r";
    let certs = crate::verify::Certs::make();
    // The plain-HTTP target answers as an Admin API would, so following with the token would
    // look like success.
    let target = HttpStandIn::start(|_| {
        Reply::json(r#"{"version":"3.9.0","plugins":{"available_on_server":{}},"data":[]}"#)
    });
    let http = target.url().to_string();
    assert!(http.starts_with("http://127.0.0.1:"), "{http}");
    for status in [301, 302, 307, 308] {
        let front = HttpsRedirect::start(&certs, &http, status);
        let (code, stdout, stderr) = run(bin()
            .env_remove("KONG_ADMIN_URL")
            .env("KONG_ADMIN_TOKEN", TOKEN)
            .args(["kong", "verify", "--global", "--admin-url", &front.url()])
            .args(["--ca-file", &certs.path("ca.pem")]));
        // The HTTPS Admin API got the token (so the test would see it travel on).
        let got = front.headers();
        assert!(!got.is_empty(), "{status}: {stdout}{stderr}");
        assert!(
            got.iter().all(|h| h["kong-admin-token"] == TOKEN),
            "{status}: {got:?}"
        );
        assert_eq!(code, 2, "{status}: {stdout}{stderr}");
        // The message names the downgrade and what was withheld.
        assert!(
            stderr.contains("from https:// to http://")
                && stderr.contains("the admin token was not sent there"),
            "{status}: {stderr}"
        );
        assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    }
    let seen = target.requests();
    assert!(
        !seen.is_empty(),
        "the redirect to http:// was followed, without the token"
    );
    for r in seen {
        assert_eq!(r.header("kong-admin-token"), None, "{}", r.line());
        assert!(
            r.headers.iter().all(|(_, v)| !v.contains(TOKEN)),
            "{} carried the token",
            r.line()
        );
    }
}

#[test]
#[ignore = "needs python3 and openssl"]
fn verify_never_sends_the_key_or_token_from_https_to_http() {
    const KEY: &str = "ingest-key-SECRET-d0wn9r";
    let certs = crate::verify::Certs::make();
    for (flag, header) in [
        ("--api-key-env", "x-api-key"),
        ("--token-env", "authorization"),
    ] {
        for status in [302, 307] {
            let target = HttpStandIn::start(|_| Reply::json("{}"));
            let http = target.url().to_string();
            let front = HttpsRedirect::start(&certs, &http, status);
            let (code, stdout, stderr) = run(bin()
                .env("AKTO_TEST_CREDENTIAL", KEY)
                .args(["verify", "--ingest-url", &front.url(), flag])
                .args(["AKTO_TEST_CREDENTIAL", "--ca-file", &certs.path("ca.pem")]));
            let got = front.headers();
            assert!(
                got.iter().any(|h| h
                    .get(header)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.contains(KEY))),
                "{flag} {status}: the HTTPS front got the credential: {got:?} {stdout}{stderr}"
            );
            assert_ne!(
                code, 0,
                "a redirect is not an accepted record: {stdout}{stderr}"
            );
            key_never_reached(&target, KEY, &format!("{flag} {status}"), &stdout, &stderr);
        }
    }
}

/// The credential `key` is in none of `target`'s requests and in no output.
fn key_never_reached(target: &HttpStandIn, key: &str, what: &str, stdout: &str, stderr: &str) {
    for r in target.requests() {
        assert!(
            r.headers.iter().all(|(_, v)| !v.contains(key)),
            "{what}: {} carried the credential",
            r.line()
        );
    }
    assert!(
        !stdout.contains(key) && !stderr.contains(key),
        "{stdout}{stderr}"
    );
}
