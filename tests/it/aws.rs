//! `akto-connect aws …`: the connector's manifests checked by `kubernetes-validate --strict`,
//! the Compose schema and `docker-compose config`, PyYAML; no secret outside a Secret or env
//! file; the IAM policy's exact actions and resources; every refusal.

use std::process::Command;

use serde_json::Value;

use crate::common::{bin, require_python, require_shared, require_tool, run, test_file};

const GROUP: &str = "API-Gateway-Execution-Logs_a1b2c3d4e5/prod";

fn aws(args: &[&str]) -> (i32, String, String) {
    run(bin().env_remove("AWS_REGION").arg("aws").args(args))
}

fn manifest(format: &str, extra: &[&str]) -> String {
    let base = [
        "manifest",
        "--log-group",
        GROUP,
        "--region",
        "us-east-1",
        "--kafka-broker",
        "akto-nlb.example.com:9092",
        "--format",
        format,
    ];
    let (code, out, err) = aws(&[&base[..], extra].concat());
    assert_eq!(code, 0, "{extra:?}: {err}");
    out
}

/// The k8s variants worth checking: credentials by default chain, IRSA, static keys.
fn k8s_variants() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("default-chain", vec![]),
        (
            "irsa",
            vec![
                "--irsa-role-arn",
                "arn:aws:iam::123456789012:role/akto-connector",
            ],
        ),
        (
            "static-keys",
            vec!["--static-keys", "--run-as-user", "10001"],
        ),
        (
            "existing-secret",
            vec![
                "--static-keys",
                "--existing-secret",
                "akto-credentials",
                "--namespace",
                "api-logs",
                "--name",
                "apigw",
            ],
        ),
    ]
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
    for (name, extra) in k8s_variants() {
        snapshot(&format!("aws-k8s-{name}"), &manifest("k8s", &extra));
    }
    snapshot("aws-compose", &manifest("compose", &[]));
    snapshot(
        "aws-compose-watchtower",
        &manifest("compose", &["--watchtower", "--no-openapi-discovery"]),
    );
    snapshot(
        "aws-env-file-static-keys",
        &aws(&["env-file", "--static-keys"]).1,
    );
    snapshot(
        "aws-iam-trust",
        &aws(&[
            "iam-policy",
            "--kind",
            "trust",
            "--region",
            "us-east-1",
            "--account-id",
            "123456789012",
            "--oidc-provider",
            "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123",
            "--service-account",
            "akto/api-gateway-logging",
        ])
        .1,
    );
    snapshot(
        "aws-log-settings-cli",
        &aws(&[
            "log-settings",
            "--rest-api-id",
            "a1b2c3d4e5",
            "--stage",
            "prod",
            "--region",
            "us-east-1",
        ])
        .1,
    );
    snapshot(
        "aws-log-settings-cloudformation",
        &aws(&[
            "log-settings",
            "--rest-api-id",
            "a1b2c3d4e5",
            "--stage",
            "prod",
            "--region",
            "us-east-1",
            "--format",
            "cloudformation",
        ])
        .1,
    );
}

/// The YAML documents of a text, as our YAML reader sees them, as JSON.
fn yaml_docs(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).expect("the artifact parses as YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

/// The YAML documents of a text as PyYAML (YAML 1.1) reads them, as JSON.
fn pyyaml_docs(text: &str) -> Vec<Value> {
    require_python(&["yaml"]);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("docs.yaml");
    std::fs::write(&f, text).unwrap();
    let out = Command::new("python3")
        .args(["-c", "import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every YAML artifact of `aws`, by name.
fn yaml_artifacts() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = k8s_variants()
        .into_iter()
        .map(|(name, extra)| (format!("k8s-{name}"), manifest("k8s", &extra)))
        .collect();
    out.push(("compose".into(), manifest("compose", &["--watchtower"])));
    out.push((
        "cloudformation".into(),
        aws(&[
            "log-settings",
            "--rest-api-id",
            "a1b2c3d4e5",
            "--stage",
            "prod",
            "--region",
            "us-east-1",
            "--format",
            "cloudformation",
        ])
        .1,
    ));
    out
}

#[test]
#[ignore = "needs python3 with yaml"]
fn pyyaml_reads_every_artifact_as_we_do() {
    // YAML 1.1 (PyYAML, many Kubernetes and Compose tools) and our 1.2 reader agree: no
    // `yes`/`no`/`0755` reads differently.
    for (name, text) in yaml_artifacts() {
        assert_eq!(pyyaml_docs(&text), yaml_docs(&text), "{name}");
    }
}

#[test]
#[ignore = "needs kubernetes-validate"]
fn k8s_passes_kubernetes_validate_strict() {
    require_tool("kubernetes-validate");
    for (name, extra) in k8s_variants() {
        let text = manifest("k8s", &extra);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("k8s.yaml");
        std::fs::write(&f, &text).unwrap();
        let out = Command::new("kubernetes-validate")
            .args(["--strict", "--kubernetes-version", "1.34.0"])
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}{}\n{text}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

const SECRET_VARS: [&str; 4] = [
    "DATABASE_ABSTRACTOR_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

#[test]
fn k8s_keeps_secrets_in_secrets() {
    for (name, extra) in k8s_variants() {
        let text = manifest("k8s", &extra);
        let docs = yaml_docs(&text);
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
        // The namespace is not created by the file: its header says which and how.
        let ns = deployment["metadata"]["namespace"].as_str().unwrap();
        assert!(
            text.contains(&format!("kubectl create namespace {ns}")),
            "{name}: the header names the namespace to create"
        );
        let pod = &deployment["spec"]["template"]["spec"];
        let container = &pod["containers"][0];
        let env = container["env"].as_array().unwrap();
        for e in env {
            let var = e["name"].as_str().unwrap();
            if SECRET_VARS.contains(&var) {
                assert!(
                    e.get("value").is_none(),
                    "{name}: {var} has an inline value"
                );
                assert!(
                    e["valueFrom"]["secretKeyRef"]["name"].is_string(),
                    "{name}: {var}"
                );
            } else {
                assert!(
                    e["value"].is_string(),
                    "{name}: {var} must be a string: {e}"
                );
            }
        }
        let has = |v: &str| env.iter().any(|e| e["name"] == v);
        assert!(
            has("AWS_REGION")
                && has("LOG_GROUP_NAME")
                && has("AKTO_KAFKA_BROKER_MAL")
                && has("DATABASE_ABSTRACTOR_TOKEN")
        );
        assert_eq!(
            container["securityContext"]["allowPrivilegeEscalation"],
            false
        );
        assert_eq!(
            container["securityContext"]["capabilities"]["drop"][0],
            "ALL"
        );
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        assert!(
            container["resources"]["limits"]["memory"].is_string()
                && container["resources"]["requests"]["cpu"].is_string()
        );
        match name {
            "irsa" => {
                assert_eq!(kinds, ["ServiceAccount", "Secret", "Deployment"]);
                assert_eq!(
                    docs[0]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
                    "arn:aws:iam::123456789012:role/akto-connector"
                );
                assert_eq!(pod["serviceAccountName"], "api-gateway-logging");
                assert_eq!(pod["automountServiceAccountToken"], true);
                assert!(
                    !has("AWS_ACCESS_KEY_ID") && !has("AWS_SECRET_ACCESS_KEY"),
                    "IRSA needs no keys"
                );
            }
            "default-chain" => {
                assert_eq!(kinds, ["Secret", "Deployment"]);
                assert_eq!(pod["automountServiceAccountToken"], false);
                assert!(!has("AWS_ACCESS_KEY_ID"));
                assert!(
                    pod["securityContext"].get("runAsNonRoot").is_none(),
                    "an image running as root is not broken by default"
                );
            }
            "static-keys" => {
                assert!(has("AWS_ACCESS_KEY_ID") && has("AWS_SECRET_ACCESS_KEY"));
                assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
                assert_eq!(pod["securityContext"]["runAsUser"], 10001);
                let secret = &docs[0];
                for v in secret["stringData"].as_object().unwrap().values() {
                    assert_eq!(v, "", "the Secret holds placeholders only");
                }
            }
            _ => {
                assert_eq!(
                    kinds,
                    ["Deployment"],
                    "--existing-secret leaves the Secret out"
                );
                assert_eq!(deployment["metadata"]["namespace"], "api-logs");
                let refs: Vec<&Value> = env.iter().filter_map(|e| e.get("valueFrom")).collect();
                assert!(refs
                    .iter()
                    .all(|r| r["secretKeyRef"]["name"] == "akto-credentials"));
            }
        }
    }
}

#[test]
fn compose_keeps_secrets_in_the_env_file() {
    let text = manifest("compose", &["--watchtower"]);
    assert!(!text.contains("version:"));
    let docs = yaml_docs(&text);
    let svc = &docs[0]["services"]["api-gateway-logging"];
    let env = svc["environment"].as_object().unwrap();
    for v in SECRET_VARS {
        assert!(!env.contains_key(v), "{v} inline in environment");
    }
    assert!(
        env.values().all(Value::is_string),
        "numbers must be strings: {env:?}"
    );
    assert_eq!(svc["env_file"][0], "./api-gateway-logging.env");
    assert!(docs[0]["services"]["watchtower"].is_object());
}

#[test]
#[ignore = "needs python3 with yaml, jsonschema and ../shared"]
fn compose_passes_the_compose_schema() {
    require_python(&["yaml", "jsonschema"]);
    let schemas = require_shared("schemas");
    let text = manifest("compose", &["--watchtower"]);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("compose.yaml");
    std::fs::write(&f, &text).unwrap();
    let out = Command::new("python3")
        .arg(test_file("conformance/kong_validate.py"))
        .arg("compose")
        .arg(&f)
        .arg(schemas.parent().unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs docker-compose"]
fn compose_passes_docker_compose_config_and_reads_the_env_file() {
    require_tool("docker-compose");
    let text = manifest("compose", &["--watchtower"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), &text).unwrap();
    let (_, env_file, _) = aws(&["env-file"]);
    std::fs::write(
        dir.path().join("api-gateway-logging.env"),
        env_file.replace(
            "DATABASE_ABSTRACTOR_TOKEN=",
            "DATABASE_ABSTRACTOR_TOKEN=test-token",
        ),
    )
    .unwrap();
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
        merged.contains("LOG_GROUP_NAME: API-Gateway-Execution-Logs_a1b2c3d4e5/prod"),
        "{merged}"
    );
    assert!(
        merged.contains("DATABASE_ABSTRACTOR_TOKEN: test-token"),
        "the env file is read: {merged}"
    );
}

#[test]
fn env_file_template_has_keys_comments_and_empty_values() {
    let (code, text, _) = aws(&["env-file"]);
    assert_eq!(code, 0);
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(keys, ["DATABASE_ABSTRACTOR_TOKEN="]);
    let (_, text, _) = aws(&["env-file", "--static-keys"]);
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(
        keys,
        [
            "DATABASE_ABSTRACTOR_TOKEN=",
            "AWS_ACCESS_KEY_ID=",
            "AWS_SECRET_ACCESS_KEY=",
            "AWS_SESSION_TOKEN="
        ]
    );
}

fn iam(extra: &[&str]) -> Value {
    let base = [
        "iam-policy",
        "--log-group",
        GROUP,
        "--region",
        "us-east-1",
        "--account-id",
        "123456789012",
    ];
    let (code, out, err) = aws(&[&base[..], extra].concat());
    assert_eq!(code, 0, "{extra:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn iam_policy_grants_reads_on_exactly_the_log_groups() {
    let (code, out, _) = aws(&[
        "iam-policy",
        "--log-group",
        &format!("{GROUP},other-group"),
        "--region",
        "eu-west-1",
        "--account-id",
        "123456789012",
        "--no-openapi-discovery",
    ]);
    assert_eq!(code, 0);
    let p: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(p["Version"], "2012-10-17");
    let st = p["Statement"].as_array().unwrap();
    // The v1 connector calls DescribeLogStreams and GetLogEvents only (logreader.go).
    assert_eq!(st.len(), 1, "no apigateway:GET with --no-openapi-discovery");
    assert_eq!(
        st[0]["Action"],
        serde_json::json!(["logs:DescribeLogStreams", "logs:GetLogEvents"])
    );
    assert_eq!(
        st[0]["Resource"],
        serde_json::json!([
            format!("arn:aws:logs:eu-west-1:123456789012:log-group:{GROUP}:*"),
            "arn:aws:logs:eu-west-1:123456789012:log-group:other-group:*"
        ])
    );
    assert!(!out.contains("\"*\""), "nothing on every resource: {out}");
    // Discovery is on by default, as in the manifest; `--openapi-discovery` says so.
    let (_, out, _) = aws(&[
        "iam-policy",
        "--log-group",
        GROUP,
        "--region",
        "us-gov-west-1",
        "--account-id",
        "123456789012",
    ]);
    let p: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        p["Statement"][1],
        serde_json::json!({
            "Sid": "DiscoverOpenApiSpecs", "Effect": "Allow", "Action": "apigateway:GET",
            "Resource": [
                "arn:aws-us-gov:apigateway:us-gov-west-1::/restapis",
                "arn:aws-us-gov:apigateway:us-gov-west-1::/restapis/*",
                "arn:aws-us-gov:apigateway:us-gov-west-1::/apis",
                "arn:aws-us-gov:apigateway:us-gov-west-1::/apis/*"
            ]
        })
    );
    assert!(p["Statement"][0]["Resource"][0]
        .as_str()
        .unwrap()
        .starts_with("arn:aws-us-gov:logs:"));
    assert_eq!(iam(&["--openapi-discovery"]), iam(&[]));
}

/// Whether IAM pattern `pattern` (with `*` and `?`) matches `value`, as IAM compares
/// actions (case-insensitively) and resources.
fn iam_match(pattern: &str, value: &str, case_insensitive: bool) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            pattern.to_lowercase().chars().collect(),
            value.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), value.chars().collect())
    };
    fn go(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('*', rest)) => (0..=v.len()).any(|i| go(rest, &v[i..])),
            Some(('?', rest)) => !v.is_empty() && go(rest, &v[1..]),
            Some((c, rest)) => v.first() == Some(c) && go(rest, &v[1..]),
        }
    }
    go(&p, &v)
}

/// Whether `policy` allows `action` on `resource`.
fn allows(policy: &Value, action: &str, resource: &str) -> bool {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => Vec::new(),
        }
    };
    policy["Statement"].as_array().unwrap().iter().any(|st| {
        st["Effect"] == "Allow"
            && list(&st["Action"])
                .iter()
                .any(|a| iam_match(a, action, true))
            && list(&st["Resource"])
                .iter()
                .any(|r| iam_match(r, resource, false))
    })
}

/// The calls the connector makes with a manifest's settings (DESIGN §6), as (action,
/// resource) pairs.
fn calls_of(manifest_text: &str, account: &str) -> Vec<(String, String)> {
    let docs = yaml_docs(manifest_text);
    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let var = |n: &str| {
        env.iter()
            .find(|e| e["name"] == n)
            .and_then(|e| e["value"].as_str())
            .map(String::from)
    };
    let region = var("AWS_REGION").unwrap();
    let mut calls = Vec::new();
    for group in var("LOG_GROUP_NAME").unwrap().split(',') {
        let stream = format!("arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:x");
        let group_arn = format!("arn:aws:logs:{region}:{account}:log-group:{group}:*");
        calls.push(("logs:DescribeLogStreams".to_string(), group_arn.clone()));
        calls.push(("logs:GetLogEvents".to_string(), stream));
    }
    if var("DISCOVER_OPENAPI_SPEC").as_deref() == Some("true") {
        for path in [
            "/restapis",
            "/restapis/a1b2c3d4e5",
            "/restapis/a1b2c3d4e5/stages",
            "/restapis/a1b2c3d4e5/stages/prod/exports/oas30",
            "/apis",
            "/apis/abc123",
            "/apis/abc123/exports/OAS30",
        ] {
            calls.push((
                "apigateway:GET".to_string(),
                format!("arn:aws:apigateway:{region}::{path}"),
            ));
        }
    }
    calls
}

#[test]
fn the_default_iam_policy_covers_the_default_manifest() {
    for (manifest_extra, iam_extra, discovery) in [
        (&[][..], &[][..], true),
        (
            &["--no-openapi-discovery"][..],
            &["--no-openapi-discovery"][..],
            false,
        ),
    ] {
        let text = manifest("k8s", manifest_extra);
        let calls = calls_of(&text, "123456789012");
        assert_eq!(
            calls.iter().any(|(a, _)| a == "apigateway:GET"),
            discovery,
            "{manifest_extra:?}"
        );
        let policy = iam(iam_extra);
        for (action, resource) in &calls {
            assert!(
                allows(&policy, action, resource),
                "{iam_extra:?}: {action} on {resource} is not granted:\n{policy:#}"
            );
        }
        assert_eq!(
            allows(
                &policy,
                "apigateway:GET",
                "arn:aws:apigateway:us-east-1::/restapis"
            ),
            discovery,
            "least privilege: apigateway:GET only with discovery"
        );
    }
    // The matcher itself: a narrower policy fails.
    let narrow = serde_json::json!({"Statement": [{"Effect": "Allow", "Action": "apigateway:GET",
        "Resource": "arn:aws:apigateway:us-east-1::/restapis"}]});
    assert!(allows(
        &narrow,
        "APIGateway:get",
        "arn:aws:apigateway:us-east-1::/restapis"
    ));
    assert!(!allows(
        &narrow,
        "apigateway:GET",
        "arn:aws:apigateway:us-east-1::/restapis/x"
    ));
}

#[test]
fn trust_policy_names_the_service_account() {
    let (code, out, err) = aws(&[
        "iam-policy",
        "--kind",
        "trust",
        "--region",
        "us-east-1",
        "--account-id",
        "123456789012",
        "--oidc-provider",
        "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123",
        "--service-account",
        "akto/api-gateway-logging",
    ]);
    assert_eq!(code, 0, "{err}");
    let p: Value = serde_json::from_str(&out).unwrap();
    let s = &p["Statement"][0];
    assert_eq!(s["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        s["Principal"]["Federated"],
        "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123"
    );
    assert_eq!(
        s["Condition"]["StringEquals"]["oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123:sub"],
        "system:serviceaccount:akto:api-gateway-logging"
    );
    let (code, _, err) = aws(&[
        "iam-policy",
        "--kind",
        "trust",
        "--region",
        "us-east-1",
        "--account-id",
        "123456789012",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn log_settings_name_the_log_group() {
    let (_, cli, _) = aws(&[
        "log-settings",
        "--rest-api-id",
        "a1b2c3d4e5",
        "--stage",
        "prod",
        "--region",
        "us-east-1",
    ]);
    assert!(
        cli.contains("aws apigateway update-stage")
            && cli.contains("logging/dataTrace,value=true")
            && cli.contains("logging/loglevel,value=INFO")
    );
    assert!(cli.contains("API-Gateway-Execution-Logs_a1b2c3d4e5/prod"));
    let (_, cfn, _) = aws(&[
        "log-settings",
        "--rest-api-id",
        "a1b2c3d4e5",
        "--stage",
        "prod",
        "--region",
        "us-east-1",
        "--format",
        "cloudformation",
    ]);
    let docs = yaml_docs(&cfn);
    let ms = &docs[0]["Resources"]["AktoLoggedStage"]["Properties"]["MethodSettings"][0];
    assert_eq!(ms["DataTraceEnabled"], true);
    assert_eq!(ms["LoggingLevel"], "INFO");
}

#[test]
#[ignore = "needs bash and shellcheck"]
fn log_settings_script_is_valid_bash() {
    require_tool("bash");
    require_tool("shellcheck");
    let (_, cli, _) = aws(&[
        "log-settings",
        "--rest-api-id",
        "a1b2c3d4e5",
        "--stage",
        "prod",
        "--region",
        "us-east-1",
    ]);
    let out = Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(&cli)
        .output()
        .unwrap();
    assert!(out.status.success(), "the script is valid bash");
    let out = crate::common::pipe(Command::new("shellcheck").args(["-s", "bash", "-"]), &cli);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn refusals_exit_2() {
    let m = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "manifest",
            "--log-group",
            GROUP,
            "--region",
            "us-east-1",
            "--kafka-broker",
            "b.example.com:9092",
            "--format",
            "k8s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for pair in extra.chunks(2) {
            if let Some(i) = v.iter().position(|x| x == pair[0]) {
                v[i + 1] = pair[1].to_string();
            } else {
                v.extend(pair.iter().map(|s| s.to_string()));
            }
        }
        v
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (m(&["--region", "mars-1"]), "not an AWS region"),
        (m(&["--region", "us-east"]), "not an AWS region"),
        (m(&["--log-group", "aws/reserved"]), "log group"),
        (m(&["--log-group", "bad name"]), "log group"),
        (m(&["--log-group", &"a".repeat(513)]), "log group"),
        (m(&["--kafka-broker", "b.example.com"]), "no port"),
        (m(&["--kafka-broker", "b.example.com:70000"]), "port"),
        (m(&["--kafka-broker", "b..x:9092"]), "host name"),
        (m(&["--batch-size", "ten"]), "--batch-size"),
        (m(&["--batch-time-secs", "1.5"]), "--batch-time-secs"),
        (
            m(&["--irsa-role-arn", "arn:aws:iam::123:role/x"]),
            "role ARN",
        ),
        (
            m(&[
                "--irsa-role-arn",
                "arn:aws:iam::123456789012:role/x",
                "--static-keys",
                "",
            ]),
            "cannot be used with",
        ),
        (m(&["--run-as-user", "0"]), "--run-as-user"),
        (m(&["--namespace", "Akto"]), "DNS-1123"),
        (
            m(&["--openapi-discovery", "yes"]),
            "unexpected argument 'yes'",
        ),
        (
            vec![
                "iam-policy".into(),
                "--region".into(),
                "us-east-1".into(),
                "--account-id".into(),
                "123456789012".into(),
            ],
            "--log-group is required for the permissions policy",
        ),
        (m(&["--format", "helm"]), "--format"),
        (
            vec![
                "iam-policy".into(),
                "--log-group".into(),
                GROUP.into(),
                "--region".into(),
                "us-east-1".into(),
                "--account-id".into(),
                "12345".into(),
            ],
            "12 digits",
        ),
        (
            vec![
                "log-settings".into(),
                "--rest-api-id".into(),
                "ABC".into(),
                "--stage".into(),
                "prod".into(),
                "--region".into(),
                "us-east-1".into(),
            ],
            "REST API id",
        ),
        (
            vec![
                "log-settings".into(),
                "--rest-api-id".into(),
                "a1b2c3d4e5".into(),
                "--stage".into(),
                "pr od".into(),
                "--region".into(),
                "us-east-1".into(),
            ],
            "stage name",
        ),
    ];
    for (args, needle) in cases {
        let args: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| !a.is_empty())
            .collect();
        let (code, out, err) = aws(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(
            err.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{err}"
        );
    }
}

fn actions(p: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in p["Statement"].as_array().unwrap() {
        match &s["Action"] {
            Value::String(a) => out.push(a.clone()),
            Value::Array(a) => out.extend(a.iter().map(|x| x.as_str().unwrap().to_string())),
            _ => {}
        }
    }
    out.sort();
    out
}

#[test]
fn v2_policy_grants_its_discovery_calls_even_without_openapi_discovery() {
    let base = [
        "iam-policy",
        "--connector",
        "v2",
        "--region",
        "eu-west-1",
        "--account-id",
        "123456789012",
    ];
    for extra in [&[][..], &["--no-openapi-discovery"][..]] {
        let (code, out, err) = aws(&[&base[..], extra].concat());
        assert_eq!(code, 0, "{err}");
        let p: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            actions(&p),
            [
                "apigateway:GET",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:GetLogEvents"
            ],
            "{extra:?}"
        );
        // GetRestApis, the start-up call, is always granted: without it the connector exits.
        assert!(
            out.contains("\"arn:aws:apigateway:eu-west-1::/restapis\""),
            "{out}"
        );
        assert!(
            out.contains("arn:aws:logs:eu-west-1:123456789012:log-group:*\""),
            "{out}"
        );
        assert!(
            out.contains("log-group:API-Gateway-Execution-Logs_*:*"),
            "{out}"
        );
    }
    let (_, out, _) = aws(&[&base[..], &["--no-openapi-discovery"]].concat());
    assert!(!out.contains("/apis"), "{out}");
}

#[test]
fn v2_cross_account_policy_and_member_role() {
    let (code, out, err) = aws(&[
        "iam-policy",
        "--connector",
        "v2",
        "--region",
        "us-east-1",
        "--account-id",
        "123456789012",
        "--member-account",
        "210987654321",
        "--member-account",
        "310987654321",
        "--no-openapi-discovery",
    ]);
    assert_eq!(code, 0, "{err}");
    let p: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(actions(&p), ["sts:AssumeRole"]);
    assert_eq!(
        p["Statement"][0]["Resource"],
        serde_json::json!([
            "arn:aws:iam::210987654321:role/AktoLogReaderRole",
            "arn:aws:iam::310987654321:role/AktoLogReaderRole"
        ])
    );
    let (code, out, err) = aws(&[
        "member-role",
        "--connector-role-arn",
        "arn:aws:iam::123456789012:role/akto",
    ]);
    assert_eq!(code, 0, "{err}");
    let t: Value = serde_json::from_str(&out).unwrap();
    let role = &t["Resources"]["AktoLogReaderRole"]["Properties"];
    assert_eq!(role["RoleName"], "AktoLogReaderRole");
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::123456789012:role/akto"
    );
    // v1 has no cross-account mode.
    let (code, _, err) = aws(&[
        "iam-policy",
        "--log-group",
        GROUP,
        "--region",
        "us-east-1",
        "--account-id",
        "123456789012",
        "--member-account",
        "210987654321",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--connector v2"), "{err}");
}

#[test]
#[ignore = "needs cfn-lint"]
fn cfn_lint_accepts_every_cloudformation_output() {
    let lint = [
        "/tmp/akto-connect-ci-venv/bin/cfn-lint",
        "/tmp/venv-aws/bin/cfn-lint",
        "cfn-lint",
    ]
    .into_iter()
    .find(|p| {
        Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
    .expect("cfn-lint: pip install cfn-lint");
    let dir = tempfile::tempdir().unwrap();
    let outputs = [
        (
            "member-role.json",
            vec![
                "member-role",
                "--connector-role-arn",
                "arn:aws:iam::123456789012:role/akto",
            ],
        ),
        (
            "log-settings.yaml",
            vec![
                "log-settings",
                "--rest-api-id",
                "a1b2c3d4e5",
                "--stage",
                "prod",
                "--region",
                "us-east-1",
                "--format",
                "cloudformation",
            ],
        ),
    ];
    for (name, args) in outputs {
        let (code, out, err) = aws(&args);
        assert_eq!(code, 0, "{err}");
        let path = dir.path().join(name);
        std::fs::write(&path, out).unwrap();
        let o = Command::new(lint).arg(&path).output().unwrap();
        assert!(
            o.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
