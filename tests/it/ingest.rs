//! `akto-connect ingest compose|helm`: the files checked by `docker-compose config`, the
//! Compose schema and PyYAML; the token only in the 0600 env file (or a Secret, for Helm);
//! hostile values refused naming the flag, with nothing written; the Helm script run against
//! recording stand-ins for kubectl and helm.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{bin, require_python, require_shared, require_tool, run, test_file};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJhY2NvdW50SWQiOjEwMDAwMDB9.c2lnbmF0dXJl";

fn ingest(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.arg("ingest").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn compose_into(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let d = dir.to_str().unwrap();
    ingest(
        &[
            &[
                "compose",
                "--kafka-ip",
                "10.0.1.4",
                "--token-env",
                "AKTO_TEST_TOKEN",
                "-o",
                d,
            ][..],
            extra,
        ]
        .concat(),
        &[("AKTO_TEST_TOKEN", TOKEN)],
    )
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
#[cfg(unix)]
fn writes_three_files_with_the_token_only_in_the_private_env_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("stack");
    let (code, out, err) = compose_into(&out_dir, &["--watchtower"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
    let compose = std::fs::read_to_string(out_dir.join("docker-compose.yml")).unwrap();
    let ingestion = std::fs::read_to_string(out_dir.join("data-ingestion-docker.env")).unwrap();
    let runtime = std::fs::read_to_string(out_dir.join("docker-mini-runtime.env")).unwrap();
    assert!(!compose.contains(TOKEN) && !ingestion.contains(TOKEN));
    assert!(!compose.contains("version:"));
    assert!(compose.contains("\"9091:8080\""), "{compose}");
    assert!(runtime.contains(&format!("\nDATABASE_ABSTRACTOR_SERVICE_TOKEN={TOKEN}\n")));
    assert_eq!(mode(&out_dir.join("docker-mini-runtime.env")), 0o600);
    assert_eq!(mode(&out_dir.join("docker-compose.yml")), 0o644);

    // A re-render keeps 0600 even over a file someone made world-readable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        out_dir.join("docker-mini-runtime.env"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (code, _, err) = compose_into(&out_dir, &["--port", "9191"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&out_dir.join("docker-mini-runtime.env")), 0o600);
    assert!(std::fs::read_to_string(out_dir.join("docker-compose.yml"))
        .unwrap()
        .contains("\"9191:8080\""));

    // Without --token-env, the filled-in env file is kept, not replaced by a placeholder.
    let (code, _, err) = ingest(
        &[
            "compose",
            "--kafka-ip",
            "10.0.1.4",
            "-o",
            out_dir.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("kept the existing"), "{err}");
    assert!(
        std::fs::read_to_string(out_dir.join("docker-mini-runtime.env"))
            .unwrap()
            .contains(TOKEN)
    );
}

#[test]
fn stdout_shows_each_file_with_a_separator_and_a_placeholder_token() {
    let (code, out, err) = ingest(&["compose", "--kafka-ip", "10.0.1.4"], &[]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("# ==> "))
        .collect();
    assert_eq!(
        names,
        [
            "docker-compose.yml <==",
            "data-ingestion-docker.env <==",
            "docker-mini-runtime.env (keep private: chmod 600) <=="
        ]
    );
    assert!(out.contains("DATABASE_ABSTRACTOR_SERVICE_TOKEN=REPLACE_WITH_YOUR_AKTO_TOKEN"));
    assert!(!out.contains("watchtower:"), "watchtower only when asked");
    // Printing would show the token: refused.
    let (code, out, err) = ingest(
        &[
            "compose",
            "--kafka-ip",
            "10.0.1.4",
            "--token-env",
            "AKTO_TEST_TOKEN",
        ],
        &[("AKTO_TEST_TOKEN", TOKEN)],
    );
    assert_eq!(code, 2);
    assert!(
        out.is_empty() && err.contains("--token-env") && err.contains("-o DIR"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}

#[test]
fn hostile_values_are_refused_naming_the_flag_and_nothing_is_written() {
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--kafka-ip".into(), "10.0.1.4\nx: y".into()],
            "--kafka-ip",
        ),
        (
            vec!["--kafka-ip".into(), "host\u{2028}name".into()],
            "--kafka-ip",
        ),
        (vec!["--kafka-ip".into(), "host\"name".into()], "--kafka-ip"),
        (
            vec![
                "--runtime-image".into(),
                "akto/runtime:1\nprivileged: true".into(),
            ],
            "--runtime-image",
        ),
        (
            vec!["--ingestion-image".into(), "akto/di:1\u{2029}".into()],
            "--ingestion-image",
        ),
        (
            vec!["--kafka-image".into(), "kafka:1\u{85}".into()],
            "--kafka-image",
        ),
        (
            vec!["--zookeeper-image".into(), "zk:'1'".into()],
            "--zookeeper-image",
        ),
        (
            vec![
                "--watchtower".into(),
                "--watchtower-image".into(),
                "containrrr/watchtower".into(),
            ],
            "--watchtower-image",
        ),
        (
            vec![
                "--database-abstractor-url".into(),
                "https://cyborg.akto.io\u{2028}".into(),
            ],
            "--database-abstractor-url",
        ),
        (
            vec!["--database-abstractor-url".into(), "https://a\"b".into()],
            "--database-abstractor-url",
        ),
    ];
    for (extra, flag) in cases {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("stack");
        let mut args: Vec<String> = ["compose", "--kafka-ip", "10.0.1.4", "-o"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(out_dir.display().to_string());
        if extra[0] == "--kafka-ip" {
            args[2] = extra[1].clone();
        } else {
            args.extend(extra.iter().cloned());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = ingest(&refs, &[]);
        assert_eq!(code, 2, "{extra:?}: {out}{err}");
        assert!(err.contains(flag), "{extra:?}: {err}");
        assert!(!out_dir.exists(), "{extra:?}: wrote something");
    }
    // A token with a line break or a quote: refused, never echoed.
    for bad in [
        "abc\nAKTO_DI_AUTHENTICATE=false",
        "abc\"def",
        "abc\u{2028}def",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("stack");
        let (code, _, err) = ingest(
            &[
                "compose",
                "--kafka-ip",
                "10.0.1.4",
                "--token-env",
                "AKTO_TEST_TOKEN",
                "-o",
                out_dir.to_str().unwrap(),
            ],
            &[("AKTO_TEST_TOKEN", bad)],
        );
        assert_eq!(code, 2, "{bad:?}");
        assert!(err.contains("--token-env AKTO_TEST_TOKEN"), "{err}");
        assert!(!err.contains("abc"), "{err}");
        assert!(!out_dir.exists());
    }
}

#[test]
#[ignore = "needs docker-compose"]
fn docker_compose_config_reads_the_stack_and_its_env_files() {
    require_tool("docker-compose");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = compose_into(dir.path(), &["--watchtower", "--port", "19091"]);
    assert_eq!(code, 0, "{err}");
    let out = Command::new("docker-compose")
        .current_dir(dir.path())
        .arg("config")
        .output()
        .unwrap();
    let merged = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        merged.contains("published: 19091") || merged.contains("19091:8080"),
        "{merged}"
    );
    assert!(
        merged.contains(&format!("DATABASE_ABSTRACTOR_SERVICE_TOKEN: {TOKEN}")),
        "the env file is read: {merged}"
    );
    assert!(
        merged.contains("AKTO_KAFKA_BROKER_URL: kafka1:19092"),
        "{merged}"
    );
    assert!(
        merged.contains("LISTENER_DOCKER_EXTERNAL_DIFFHOST://10.0.1.4:9092"),
        "{merged}"
    );
    assert!(
        merged.contains("WATCHTOWER_LABEL_ENABLE: 'true'")
            || merged.contains("WATCHTOWER_LABEL_ENABLE: \"true\""),
        "{merged}"
    );
    let services = Command::new("docker-compose")
        .current_dir(dir.path())
        .args(["config", "--services"])
        .output()
        .unwrap();
    let mut names: Vec<String> = String::from_utf8_lossy(&services.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "akto-api-security-runtime",
            "data-ingestion-service",
            "kafka1",
            "watchtower",
            "zoo1"
        ]
    );
}

#[test]
#[ignore = "needs python3 with yaml and jsonschema, and ../shared"]
fn compose_file_passes_the_compose_schema_and_pyyaml() {
    require_python(&["yaml", "jsonschema"]);
    let shared = require_shared("schemas/compose-spec.json");
    for extra in [
        &[][..],
        &["--watchtower"][..],
        &["--threat-detection"][..],
        &["--threat-detection", "--watchtower"][..],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (code, _, err) = compose_into(dir.path(), extra);
        assert_eq!(code, 0, "{err}");
        let out = Command::new("python3")
            .arg(test_file("conformance/kong_validate.py"))
            .arg("compose")
            .arg(dir.path().join("docker-compose.yml"))
            .arg(shared.parent().unwrap().parent().unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let docs: Value = serde_json::from_slice(&out.stdout).unwrap();
        let services = &docs[0]["services"];
        // YAML 1.1 keeps every environment value a string.
        for svc in services.as_object().unwrap().values() {
            if let Some(env) = svc.get("environment").and_then(Value::as_object) {
                assert!(env.values().all(Value::is_string), "{env:?}");
            }
        }
        assert_eq!(services["data-ingestion-service"]["ports"][0], "9091:8080");
    }
}

fn helm_files(dir: &Path, extra: &[&str]) {
    let (code, out, err) = ingest(
        &[&["helm", "-o", dir.to_str().unwrap()][..], extra].concat(),
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
#[ignore = "needs bash"]
fn helm_script_puts_the_token_in_a_secret_through_stdin_only() {
    require_tool("bash");
    let dir = tempfile::tempdir().unwrap();
    helm_files(
        dir.path(),
        &[
            "--namespace",
            "akto-test",
            "--token-env",
            "AKTO_TEST_TOKEN",
            "--chart-version",
            "0.7.22",
        ],
    );
    // kubectl and helm stand-ins: log the arguments, and what `create secret` reads.
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    let log = dir.path().join("calls.log");
    for tool in ["kubectl", "helm"] {
        let script = format!(
            "#!/usr/bin/env bash\necho \"{tool} $*\" >> '{}'\nif [[ \"$*\" == *'create secret'* ]]; then cat > '{}'; fi\nif [[ \"$*\" == *'apply -f -'* ]]; then cat > /dev/null; fi\n",
            log.display(),
            dir.path().join("secret-stdin").display()
        );
        let p = bin_dir.join(tool);
        std::fs::write(&p, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let missing = Command::new("bash")
        .arg(dir.path().join("install.sh"))
        .env("PATH", &path)
        .env_remove("AKTO_TEST_TOKEN")
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("AKTO_TEST_TOKEN"),
        "names the variable"
    );
    let out = Command::new("bash")
        .arg(dir.path().join("install.sh"))
        .env("PATH", &path)
        .env("AKTO_TEST_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        !calls.contains(TOKEN),
        "the token is never an argument: {calls}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret-stdin")).unwrap(),
        TOKEN
    );
    assert!(calls.contains("kubectl -n akto-test create secret generic akto-mini-runtime-token --from-file=token=/dev/stdin"), "{calls}");
    assert!(calls.contains("helm upgrade --install akto-mini-runtime akto/akto-mini-runtime -n akto-test -f mini-runtime-values.yaml --version 0.7.22"), "{calls}");
    assert!(calls.contains("helm upgrade --install data-ingestion-service akto/data-ingestion-service -n akto-test -f data-ingestion-values.yaml"), "{calls}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("akto-connect verify --ingest-url http://data-ingestion-service.akto-test.svc.cluster.local:9091"), "{stdout}");
    for f in [
        "mini-runtime-values.yaml",
        "data-ingestion-values.yaml",
        "install.sh",
    ] {
        assert!(!std::fs::read_to_string(dir.path().join(f))
            .unwrap()
            .contains(TOKEN));
    }
}

#[test]
#[ignore = "needs shellcheck"]
fn helm_script_passes_shellcheck() {
    require_tool("shellcheck");
    let dir = tempfile::tempdir().unwrap();
    helm_files(
        dir.path(),
        &[
            "--ingestion-chart-version",
            "0.1.11-sha",
            "--service-type",
            "LoadBalancer",
        ],
    );
    let out = Command::new("shellcheck")
        .arg(dir.path().join("install.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
#[ignore = "needs python3 with yaml"]
fn helm_values_read_by_pyyaml_point_the_chart_at_the_secret() {
    require_python(&["yaml"]);
    let dir = tempfile::tempdir().unwrap();
    helm_files(
        dir.path(),
        &[
            "--secret-name",
            "my-akto-token",
            "--service-type",
            "LoadBalancer",
        ],
    );
    let load = |f: &str| -> Value {
        let out = Command::new("python3")
            .args([
                "-c",
                "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            ])
            .arg(dir.path().join(f))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let runtime = load("mini-runtime-values.yaml");
    let env = &runtime["mini_runtime"]["aktoApiSecurityRuntime"]["env"];
    assert_eq!(env["useSecretsForDatabaseAbstractorToken"], true);
    assert_eq!(
        env["databaseAbstractorTokenSecrets"]["existingSecret"],
        "my-akto-token"
    );
    assert!(env.get("databaseAbstractorToken").is_none());
    let ingestion = load("data-ingestion-values.yaml");
    let svc = &ingestion["dataIngestionService"]["service"];
    assert_eq!(
        (
            svc["type"].as_str(),
            svc["port"].as_u64(),
            svc["targetPort"].as_u64()
        ),
        (Some("LoadBalancer"), Some(9091), Some(8080))
    );
    assert_eq!(
        ingestion["dataIngestionService"]["env"]["aktoKafkaBrokerUrl"],
        "akto-mini-runtime-mini-runtime:9092"
    );
}

#[test]
fn helm_refuses_bad_names_naming_the_flag() {
    for (args, flag) in [
        (vec!["helm", "--namespace", "Akto"], "--namespace"),
        (vec!["helm", "--token-env", "1TOKEN"], "--token-env"),
        (vec!["helm", "--token-env", "A;rm -rf /"], "--token-env"),
        (vec!["helm", "--secret-name", "a\nb"], "--secret-name"),
        (
            vec!["helm", "--chart-version", "1.0 --set x=y"],
            "--chart-version",
        ),
    ] {
        let (code, out, err) = ingest(&args, &[]);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains(flag), "{args:?}: {err}");
    }
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn snapshots() {
    for (name, args) in [
        ("ingest-compose", vec!["compose", "--kafka-ip", "10.0.1.4"]),
        (
            "ingest-compose-watchtower-ipv6-port",
            vec![
                "compose",
                "--kafka-ip",
                "fd00::4",
                "--watchtower",
                "--port",
                "8443",
            ],
        ),
        ("ingest-helm", vec!["helm"]),
        (
            "ingest-helm-pinned-loadbalancer",
            vec![
                "helm",
                "--namespace",
                "akto-ingest",
                "--token-env",
                "AKTO_TOKEN",
                "--chart-version",
                "0.7.22",
                "--service-type",
                "LoadBalancer",
            ],
        ),
    ] {
        let (code, out, err) = ingest(&args, &[]);
        assert_eq!(code, 0, "{args:?}: {err}");
        snapshot(name, &out);
    }
}

#[test]
fn kafka_ip_auto_uses_and_names_this_hosts_address_or_refuses() {
    let (code, out, err) = ingest(&["compose", "--kafka-ip", "auto"], &[]);
    match code {
        0 => {
            let ip = err
                .split("advertised at ")
                .nth(1)
                .and_then(|r| r.split(':').next())
                .unwrap_or_else(|| panic!("the note names the address: {err}"));
            let ip: std::net::IpAddr = ip.parse().unwrap_or_else(|_| panic!("{err}"));
            assert!(!ip.is_loopback() && !ip.is_unspecified());
            assert!(
                out.contains(&format!("LISTENER_DOCKER_EXTERNAL_DIFFHOST://{ip}:9092")),
                "{out}"
            );
        }
        2 => assert!(err.contains("--kafka-ip"), "{err}"),
        other => panic!("exit {other}: {err}"),
    }
}

#[test]
fn akto_images_on_latest_are_named_as_not_pinned_and_digests_are_not() {
    let (code, out, err) = ingest(&["compose", "--kafka-ip", "10.0.1.4"], &[]);
    assert_eq!(code, 0, "{err}");
    let warning = err
        .lines()
        .find(|l| l.starts_with("warning: "))
        .unwrap_or_else(|| panic!("no warning: {err}"));
    for flag in ["--runtime-image", "--ingestion-image"] {
        assert!(warning.contains(flag), "{warning}");
    }
    assert!(
        warning.contains("not pinned") && warning.contains("@sha256:"),
        "{warning}"
    );
    assert!(out.contains("# Not pinned to a version"), "{out}");
    assert!(
        out.contains("#   aktosecurity/data-ingestion-service:latest"),
        "{out}"
    );

    // With watchtower the rolling tag is the point: a note, not a warning.
    let (code, _, err) = ingest(&["compose", "--kafka-ip", "10.0.1.4", "--watchtower"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning:"), "{err}");
    assert!(err.contains("note: --runtime-image"), "{err}");

    // Pinned by digest (or a version tag): no warning, no comment.
    let digest = format!("@sha256:{}", "0".repeat(64));
    let runtime = format!("public.ecr.aws/aktosecurity/akto-api-security-mini-runtime{digest}");
    let ingestion = format!("aktosecurity/data-ingestion-service{digest}");
    let (code, out, err) = ingest(
        &[
            "compose",
            "--kafka-ip",
            "10.0.1.4",
            "--runtime-image",
            &runtime,
            "--ingestion-image",
            &ingestion,
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("warning:") && !err.contains("not pinned"),
        "{err}"
    );
    assert!(!out.contains("Not pinned"), "{out}");
    assert!(out.contains(&format!("image: \"{runtime}\"")), "{out}");
}

#[test]
fn akto_containers_rotate_their_logs_and_watchtower_speaks_to_docker_29() {
    let (code, out, err) = ingest(&["compose", "--kafka-ip", "10.0.1.4", "--watchtower"], &[]);
    assert_eq!(code, 0, "{err}");
    let compose = out
        .split("# ==> ")
        .find_map(|part| part.strip_prefix("docker-compose.yml <==\n"))
        .unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(compose).unwrap();
    let services = &doc["services"];
    // As Akto's current compose does for the runtime: without it, json-file logs grow until
    // the disk is full.
    for name in ["akto-api-security-runtime", "data-ingestion-service"] {
        let logging = &services[name]["logging"];
        assert_eq!(logging["driver"].as_str(), Some("json-file"), "{name}");
        assert_eq!(
            logging["options"]["max-size"].as_str(),
            Some("100m"),
            "{name}"
        );
        assert_eq!(logging["options"]["max-file"].as_str(), Some("2"), "{name}");
    }
    // Docker Engine 29 refuses API versions below 1.44, watchtower 1.7.1's default is 1.25.
    assert_eq!(
        services["watchtower"]["environment"]["DOCKER_API_VERSION"].as_str(),
        Some("1.44")
    );
}

#[test]
#[ignore = "needs bash"]
fn helm_script_stops_before_any_change_when_a_chart_is_missing() {
    require_tool("bash");
    let dir = tempfile::tempdir().unwrap();
    helm_files(
        dir.path(),
        &[
            "--token-env",
            "AKTO_TEST_TOKEN",
            "--ingestion-chart-version",
            "0.1.11-sha",
        ],
    );
    // A helm that knows every chart but data-ingestion-service 0.1.11-sha; kubectl records.
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    let log = dir.path().join("calls.log");
    let helm = format!(
        "#!/usr/bin/env bash\necho \"helm $*\" >> '{0}'\nif [[ \"$*\" == 'show chart akto/data-ingestion-service --version 0.1.11-sha' ]]; then echo 'Error: chart not found' >&2; exit 1; fi\n",
        log.display()
    );
    let kubectl = format!(
        "#!/usr/bin/env bash\necho \"kubectl $*\" >> '{0}'\ncat > /dev/null\n",
        log.display()
    );
    for (tool, script) in [("helm", helm), ("kubectl", kubectl)] {
        let p = bin_dir.join(tool);
        std::fs::write(&p, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(dir.path().join("install.sh"))
        .env("PATH", &path)
        .env("AKTO_TEST_TOKEN", TOKEN)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("no chart akto/data-ingestion-service --version 0.1.11-sha")
            && err.contains("nothing was installed"),
        "{err}"
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls.contains("helm show chart akto/akto-mini-runtime\n"),
        "{calls}"
    );
    assert!(
        !calls.contains("kubectl") && !calls.contains("upgrade --install"),
        "nothing changed in the cluster: {calls}"
    );
}

/// Runs install.sh with kubectl recording and `helm` the version-resolving stand-in
/// (tests/conformance/helm_standin.py) over Akto's index as recorded in `INDEX_VERSIONS`.
/// Returns (success, stderr, the charts and versions Helm resolved).
fn install_with_helm_standin(dir: &Path) -> (bool, String, Vec<String>) {
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let log = dir.join("calls.log");
    let index = dir.join("index.json");
    let map: serde_json::Map<String, serde_json::Value> =
        akto_connect::ingest::helm::INDEX_VERSIONS
            .iter()
            .map(|(c, v)| (c.to_string(), serde_json::json!(v)))
            .collect();
    std::fs::write(&index, serde_json::Value::Object(map).to_string()).unwrap();
    let helm = format!(
        "#!/usr/bin/env bash\nexec python3 '{}' \"$@\"\n",
        test_file("conformance/helm_standin.py").display()
    );
    let kubectl = format!(
        "#!/usr/bin/env bash\necho \"kubectl $*\" >> '{}'\ncat > /dev/null\n",
        log.display()
    );
    for (tool, script) in [("helm", helm), ("kubectl", kubectl)] {
        let p = bin_dir.join(tool);
        std::fs::write(&p, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(dir.join("install.sh"))
        .env("PATH", &path)
        .env("AKTO_TEST_TOKEN", TOKEN)
        .env("HELM_STANDIN_LOG", &log)
        .env("HELM_STANDIN_INDEX", &index)
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let installed = calls
        .lines()
        .zip(calls.lines().skip(1))
        .filter(|(call, _)| call.starts_with("helm upgrade --install"))
        .filter_map(|(_, r)| r.strip_prefix("resolved ").map(str::to_string))
        .collect();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        installed,
    )
}

#[test]
#[ignore = "needs bash and python3"]
fn helm_installs_the_charts_newest_releases_pre_releases_included() {
    require_tool("bash");
    require_tool("python3");
    // Unpinned: data-ingestion-service's newest is a pre-release, so --devel; without it Helm
    // would take 0.1.6.
    let dir = tempfile::tempdir().unwrap();
    helm_files(dir.path(), &["--token-env", "AKTO_TEST_TOKEN"]);
    let (ok, err, installed) = install_with_helm_standin(dir.path());
    assert!(ok, "{err}");
    assert_eq!(
        installed,
        [
            "akto/akto-mini-runtime 0.7.22",
            "akto/data-ingestion-service 0.1.11-sha"
        ]
    );
    // Pinned to an exact pre-release: installed as given.
    let dir = tempfile::tempdir().unwrap();
    helm_files(
        dir.path(),
        &[
            "--token-env",
            "AKTO_TEST_TOKEN",
            "--ingestion-chart-version",
            "0.1.9-sha",
            "--chart-version",
            "0.7.21",
        ],
    );
    let (ok, err, installed) = install_with_helm_standin(dir.path());
    assert!(ok, "{err}");
    assert_eq!(
        installed,
        [
            "akto/akto-mini-runtime 0.7.21",
            "akto/data-ingestion-service 0.1.9-sha"
        ]
    );
    // 0.1.11 exists only as 0.1.11-sha: refused now with the exact name, not at install time.
    let (code, out, err) = ingest(
        &[
            "helm",
            "--ingestion-chart-version",
            "0.1.11",
            "-o",
            dir.path().join("x").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("--ingestion-chart-version") && err.contains("0.1.11-sha"),
        "{err}"
    );
    assert!(!dir.path().join("x").exists());
}

/// The keys of Akto's current env files, in order, as read from akto-api-security/infra
/// (`compose::AKTO_SOURCE`: data-ingestion-docker.env at af563fcf, docker-mini-runtime.env at
/// d93a6fea, docker-threat-detection.env at 7bbc0f7e; read 2026-12-08). The mini-runtime's list
/// adds AKTO_THREAT_ENABLED, which seed 004's set-up sets and Akto's file leaves to its default.
const AKTO_INGESTION_ENV_KEYS: &[&str] = &[
    "AKTO_TRAFFIC_BATCH_SIZE",
    "AKTO_TRAFFIC_BATCH_TIME_SECS",
    "AKTO_KAFKA_BROKER_URL",
    "AKTO_KAFKA_PRODUCER_BATCH_SIZE",
    "AKTO_KAFKA_PRODUCER_LINGER_MS",
    "AKTO_KAFKA_TOPIC_NAME",
    "GUARDRAILS_SERVICE_URL",
    "GUARDRAILS_CLIENT_TIMEOUT_MS",
    "BLOCK_LOGS",
];
const AKTO_RUNTIME_ENV_KEYS: &[&str] = &[
    "AKTO_CONFIG_NAME",
    "AKTO_KAFKA_TOPIC_NAME",
    "AKTO_KAFKA_BROKER_URL",
    "AKTO_KAFKA_BROKER_MAL",
    "AKTO_KAFKA_GROUP_ID_CONFIG",
    "AKTO_KAFKA_MAX_POLL_RECORDS_CONFIG",
    "AKTO_ACCOUNT_NAME",
    "AKTO_TRAFFIC_BATCH_SIZE",
    "AKTO_TRAFFIC_BATCH_TIME_SECS",
    "USE_HOSTNAME",
    "AKTO_INSTANCE_TYPE",
    "DATABASE_ABSTRACTOR_SERVICE_URL",
    "DATABASE_ABSTRACTOR_SERVICE_TOKEN",
    "RUNTIME_MODE",
    "AKTO_LOG_LEVEL",
    "AKTO_THREAT_ENABLED",
];
const AKTO_THREAT_ENV_KEYS: &[&str] = &[
    "AKTO_MONGO_CONN",
    "AKTO_TRAFFIC_KAFKA_BOOTSTRAP_SERVER",
    "AKTO_INTERNAL_KAFKA_BOOTSTRAP_SERVER",
    "AKTO_THREAT_PROTECTION_BACKEND_URL",
    "RUNTIME_MODE",
    "AKTO_THREAT_PROTECTION_BACKEND_TOKEN",
    "DATABASE_ABSTRACTOR_SERVICE_TOKEN",
    "AKTO_LOG_LEVEL",
    "AKTO_THREAT_DETECTION_LOCAL_REDIS_URI",
    "AGGREGATION_RULES_ENABLED",
];

#[test]
fn env_files_hold_the_keys_of_aktos_current_files() {
    let keys = |p: &Path| -> Vec<String> {
        akto_connect::ingest::compose::read_env(&std::fs::read_to_string(p).unwrap())
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    let value = |p: &Path, key: &str| -> String {
        akto_connect::ingest::compose::read_env(&std::fs::read_to_string(p).unwrap())
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .unwrap_or_default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = compose_into(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    let d = dir.path();
    assert_eq!(
        keys(&d.join("data-ingestion-docker.env")),
        AKTO_INGESTION_ENV_KEYS
    );
    assert_eq!(
        keys(&d.join("docker-mini-runtime.env")),
        AKTO_RUNTIME_ENV_KEYS
    );
    assert_eq!(
        value(&d.join("docker-mini-runtime.env"), "AKTO_THREAT_ENABLED"),
        "false"
    );
    assert!(!d.join("docker-threat-detection.env").exists());
    let compose = std::fs::read_to_string(d.join("docker-compose.yml")).unwrap();
    assert!(
        compose.contains(
            "# Follows akto-api-security/infra docker-compose-mini-runtime-data-ingestion.yaml"
        ),
        "{compose}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = compose_into(dir.path(), &["--threat-detection"]);
    assert_eq!(code, 0, "{err}");
    let d = dir.path();
    assert_eq!(
        value(&d.join("docker-mini-runtime.env"), "AKTO_THREAT_ENABLED"),
        "true"
    );
    let threat = d.join("docker-threat-detection.env");
    assert_eq!(keys(&threat), AKTO_THREAT_ENV_KEYS);
    assert_eq!(mode(&threat), 0o600, "it holds the token");
    assert_eq!(value(&threat, "DATABASE_ABSTRACTOR_SERVICE_TOKEN"), TOKEN);
    assert_eq!(
        value(&threat, "AKTO_THREAT_DETECTION_LOCAL_REDIS_URI"),
        "redis://redis:6379"
    );
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(d.join("docker-compose.yml")).unwrap())
            .unwrap();
    assert_eq!(
        doc["services"]["threat-detection"]["depends_on"][1],
        "redis"
    );
    assert!(
        doc["services"]["redis"].get("ports").is_none(),
        "redis stays on the Compose network"
    );
    assert!(!std::fs::read_to_string(d.join("docker-compose.yml"))
        .unwrap()
        .contains(TOKEN));
}

#[test]
#[ignore = "needs docker-compose"]
fn docker_compose_config_reads_the_threat_detection_stack() {
    require_tool("docker-compose");
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = compose_into(dir.path(), &["--threat-detection", "--watchtower"]);
    assert_eq!(code, 0, "{err}");
    let out = Command::new("docker-compose")
        .current_dir(dir.path())
        .args(["config", "--services"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "akto-api-security-runtime",
            "data-ingestion-service",
            "kafka1",
            "redis",
            "threat-detection",
            "watchtower",
            "zoo1"
        ]
    );
    let merged = Command::new("docker-compose")
        .current_dir(dir.path())
        .arg("config")
        .output()
        .unwrap();
    let merged = String::from_utf8_lossy(&merged.stdout);
    assert!(
        merged.contains("AKTO_THREAT_DETECTION_LOCAL_REDIS_URI: redis://redis:6379"),
        "{merged}"
    );
    assert!(
        merged.contains("AKTO_THREAT_ENABLED: 'true'")
            || merged.contains("AKTO_THREAT_ENABLED: \"true\""),
        "{merged}"
    );
}
