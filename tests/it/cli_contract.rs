//! The contract of the command line as a newcomer relies on it: a hostile value is refused at
//! its flag (never by the self-check as an "internal error"), an odd but legal value comes back
//! out of the artifact as given, and a flag that does not apply to the chosen format is a usage
//! error naming the formats it applies to.

use serde_json::Value;

use crate::common::{bin, run};

const GROUP: &str = "API-Gateway-Execution-Logs_a1b2c3d4e5/prod";

fn aws_manifest(format: &str, extra: &[&str]) -> (i32, String, String) {
    run(bin()
        .env_remove("AWS_REGION")
        .args([
            "aws",
            "manifest",
            "--log-group",
            GROUP,
            "--region",
            "us-east-1",
            "--kafka-broker",
            "akto-nlb.example.com:9092",
            "--format",
            format,
        ])
        .args(extra))
}

fn kong_compose(extra: &[&str]) -> (i32, String, String) {
    run(bin()
        .env_remove("AKTO_INGEST_URL")
        .env_remove("KONG_ADMIN_URL")
        .args(["kong", "enable", "--format", "compose"])
        .args(extra))
}

/// Every YAML document of `text`, as JSON values.
fn yaml_docs(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).expect("the artifact parses as YAML"))
        .filter(|v| !v.is_null())
        .collect()
}

/// The key paths of a JSON value (`services.kong.volumes.0.source`), to compare shapes.
fn key_paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = format!("{prefix}.{k}");
                out.push(p.clone());
                key_paths(v, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                key_paths(v, &format!("{prefix}.{i}"), out);
            }
        }
        _ => {}
    }
}

fn shape(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, d) in yaml_docs(text).iter().enumerate() {
        key_paths(d, &i.to_string(), &mut out);
    }
    out
}

/// The characters YAML readers take as a line break beyond CR and LF, and a noncharacter.
const BREAKERS: [char; 4] = ['\u{2028}', '\u{2029}', '\u{85}', '\u{fffe}'];

fn assert_refused_at(flag: &str, (code, out, err): (i32, String, String), what: &str) {
    assert_eq!(code, 2, "{what}: {err}");
    assert!(out.is_empty(), "{what}: nothing on standard output");
    assert!(
        err.starts_with(&format!("error: {flag} '")),
        "{what}: the message names {flag}: {err}"
    );
    assert!(!err.contains("internal error"), "{what}: {err}");
    assert!(
        !err.contains(['\u{2028}', '\u{2029}', '\u{85}']),
        "{what}: the value is shown escaped: {err:?}"
    );
}

#[test]
fn yaml_line_breaks_in_echoed_values_are_refused_at_the_flag() {
    for c in BREAKERS {
        let evil = format!("./x.env{c}include: [/etc/other.yml]");
        assert_refused_at(
            "--env-file",
            aws_manifest("compose", &["--env-file", &evil]),
            &format!("--env-file with U+{:04X}", c as u32),
        );
        let dir = format!("./plugin{c}include: [/etc/other.yml]");
        assert_refused_at(
            "--plugin-dir",
            kong_compose(&["--plugin-dir", &dir]),
            &format!("--plugin-dir with U+{:04X}", c as u32),
        );
        let image = format!("aktosecurity/mirror-api-logging{c}:latest");
        assert_refused_at(
            "--image",
            aws_manifest("k8s", &["--image", &image]),
            &format!("--image with U+{:04X}", c as u32),
        );
        let url = format!("https://ingest.example.com/{c}x");
        assert_refused_at(
            "--ingest-url",
            run(bin()
                .env_remove("AKTO_INGEST_URL")
                .args(["apim", "policy", "--ingest-url", &url])),
            &format!("--ingest-url with U+{:04X}", c as u32),
        );
    }
}

#[test]
fn absurd_lengths_are_refused_at_the_flag_with_a_short_message() {
    let long = "a".repeat(100_000);
    for (flag, result) in [
        ("--image", aws_manifest("k8s", &["--image", &long])),
        (
            "--env-file",
            aws_manifest("compose", &["--env-file", &long]),
        ),
        ("--name", aws_manifest("k8s", &["--name", &long])),
        ("--plugin-dir", kong_compose(&["--plugin-dir", &long])),
    ] {
        let err = result.2.clone();
        assert_refused_at(flag, result, flag);
        assert!(err.len() < 1_000, "{flag}: the message is short");
    }
}

#[test]
fn odd_but_legal_values_come_back_with_the_same_keys() {
    let (_, plain, _) = aws_manifest("compose", &[]);
    let (_, kong_plain, _) = kong_compose(&[]);
    for value in [
        "./a b.env",
        "./x #y: z.env",
        "./é'\"{}[],&*!|>%@`.env",
        "- a.env",
        "yes",
        "~/x.env",
        "./tab\\t.env",
        "./\u{200b}zero-width.env",
    ] {
        let (code, text, err) = aws_manifest("compose", &[&format!("--env-file={value}")]);
        assert_eq!(code, 0, "{value:?}: {err}");
        assert_eq!(shape(&text), shape(&plain), "{value:?}: same keys");
        let docs = yaml_docs(&text);
        assert_eq!(
            docs[0]["services"]["api-gateway-logging"]["env_file"][0], value,
            "{value:?} comes back as given"
        );
        let (code, text, err) = kong_compose(&[&format!("--plugin-dir={value}")]);
        assert_eq!(code, 0, "{value:?}: {err}");
        assert_eq!(shape(&text), shape(&kong_plain), "{value:?}: same keys");
        assert_eq!(
            yaml_docs(&text)[0]["services"]["kong"]["volumes"][0]["source"],
            value
        );
    }
}

/// A sample for one flag: the arguments to add (or to replace, when the flag is already in the
/// base command line), and any baseline arguments both runs get.
struct Sample {
    baseline: Vec<String>,
    args: Vec<String>,
    /// Flags (with their values) taken out of the base command line first: names that only
    /// another scope uses, or an `-o` the flag conflicts with.
    drop: Vec<&'static str>,
}

fn sample(path: &[&str], id: &str, dir: &std::path::Path, format: &str) -> Option<Sample> {
    let s = |args: &[&str]| {
        Some(Sample {
            baseline: Vec::new(),
            args: args.iter().map(|a| a.to_string()).collect(),
            drop: Vec::new(),
        })
    };
    let policy = || {
        let f = dir.join("existing-policy.xml");
        std::fs::write(
            &f,
            "<policies>\n  <inbound>\n    <base />\n    <rate-limit calls=\"5\" renewal-period=\"60\" />\n  </inbound>\n  <backend>\n    <base />\n  </backend>\n  <outbound>\n    <base />\n  </outbound>\n  <on-error>\n    <base />\n  </on-error>\n</policies>\n",
        )
        .unwrap();
        f.to_str().unwrap().to_string()
    };
    match id {
        "log_group" => s(&["--log-group", "other-group"]),
        // Another partition: the trust policy uses the region for its partition only.
        "region" => s(&["--region", "us-gov-west-1"]),
        "kafka_broker" => s(&["--kafka-broker", "b.example.com:9093"]),
        "batch_size" => s(&["--batch-size", "7"]),
        "batch_time_secs" => s(&["--batch-time-secs", "9"]),
        "bytes_in_threshold" => s(&["--bytes-in-threshold", "5"]),
        "cloudwatch_read_batch_size" => s(&["--cloudwatch-read-batch-size", "3"]),
        "openapi_discovery" => Some(Sample {
            // It restates the default: it is used when it overrides the opposite.
            baseline: vec!["--no-openapi-discovery".into()],
            args: vec!["--openapi-discovery".into()],
            drop: Vec::new(),
        }),
        "no_openapi_discovery" => s(&["--no-openapi-discovery"]),
        "openapi_interval_minutes" => s(&["--openapi-interval-minutes", "30"]),
        "image" => s(&["--image", "example/connector:1"]),
        "namespace" => s(&["--namespace", "other"]),
        "name" => s(&["--name", "other"]),
        "static_keys" => s(&["--static-keys"]),
        "irsa_role_arn" => s(&["--irsa-role-arn", "arn:aws:iam::123456789012:role/x"]),
        "existing_secret" => s(&["--existing-secret", "other-secret"]),
        "run_as_user" => s(&["--run-as-user", "10001"]),
        "env_file" => s(&["--env-file", "./other.env"]),
        "watchtower" => s(&["--watchtower"]),
        "account_id" => s(&["--account-id", "210987654321"]),
        "oidc_provider" => s(&[
            "--oidc-provider",
            "oidc.eks.us-east-1.amazonaws.com/id/OTHER",
        ]),
        "service_account" => s(&["--service-account", "other/sa"]),
        "rest_api_id" => s(&["--rest-api-id", "z9y8x7w6v5"]),
        // The v2 connector discovers its log groups: its manifest needs --image, not --log-group.
        "connector" if path == ["aws", "manifest"] => Some(Sample {
            baseline: Vec::new(),
            args: ["--connector", "v2", "--image", "example/connector:2"]
                .map(String::from)
                .to_vec(),
            drop: vec!["--log-group"],
        }),
        "connector" => s(&["--connector", "v2"]),
        "member_account"
        | "cyborg_base_url"
        | "account_mapping_refresh_minutes"
        | "ticker_interval_minutes"
        | "log_group_prefix"
        | "session_name"
            if path == ["aws", "manifest"] =>
        {
            let args: &[&str] = match id {
                "member_account" => &["--member-account", "210987654321"],
                "cyborg_base_url" => &["--cyborg-base-url", "https://cyborg.example.com"],
                "account_mapping_refresh_minutes" => &["--account-mapping-refresh-minutes", "9"],
                "ticker_interval_minutes" => &["--ticker-interval-minutes", "9"],
                "log_group_prefix" => &["--log-group-prefix", "API-Gateway-Execution-Logs_x"],
                _ => &["--session-name", "other-session"],
            };
            Some(Sample {
                // Read by the v2 connector only (refused with v1, the default).
                baseline: ["--connector", "v2", "--image", "example/connector:2"]
                    .map(String::from)
                    .to_vec(),
                args: args.iter().map(|a| a.to_string()).collect(),
                drop: vec!["--log-group"],
            })
        }
        "member_account" => Some(Sample {
            // Cross-account mode is the v2 connector's (and only the permissions have it).
            baseline: if format == "permissions" {
                vec!["--connector".into(), "v2".into()]
            } else {
                Vec::new()
            },
            args: vec!["--member-account".into(), "210987654321".into()],
            drop: Vec::new(),
        }),
        "stage" => s(&["--stage", "staging"]),
        "cloudwatch_role_arn" => s(&[
            "--cloudwatch-role-arn",
            "arn:aws:iam::123456789012:role/apigw-logs",
        ]),
        "large_events_log_group" => s(&["--large-events-log-group", "/akto/exec"]),
        "ingest_url" => s(&["--ingest-url", "https://other.example.com"]),
        "regex" => s(&["--regex", "^/other/"]),
        "regex_file" => {
            let f = dir.join("paths.txt");
            std::fs::write(&f, "^/from-file/\n").unwrap();
            s(&["--regex-file", f.to_str().unwrap()])
        }
        "allow_risky_regex" => Some(Sample {
            baseline: vec!["--regex".into(), r"^/api/([\w/]+)*$".into()],
            args: vec!["--allow-risky-regex".into()],
            drop: Vec::new(),
        }),
        "scope" => Some(Sample {
            baseline: Vec::new(),
            args: vec!["--scope".into(), "global".into()],
            drop: vec!["--api-id", "--operation-id"],
        }),
        "into" => s(&["--into", &policy()]),
        "in_place" => Some(Sample {
            baseline: vec!["--into".into(), policy()],
            args: vec!["--in-place".into()],
            drop: vec!["-o"],
        }),
        "with_fragments" => s(&["--with-fragments"]),
        // `apim fragments` always uses the ids; `apim policy` with --with-fragments only.
        "fragment_prefix" if path == ["apim", "fragments"] => s(&["--fragment-prefix", "corp"]),
        "fragment_prefix" => Some(Sample {
            baseline: vec!["--with-fragments".into()],
            args: vec!["--fragment-prefix".into(), "corp".into()],
            drop: Vec::new(),
        }),
        "service_url" => s(&["--service-url", "https://other.example.com:9091"]),
        "service" => s(&["--service", "other"]),
        "route" => Some(Sample {
            baseline: Vec::new(),
            args: vec!["--route".into(), "checkout".into()],
            drop: vec!["--service"],
        }),
        "global" => Some(Sample {
            baseline: Vec::new(),
            args: vec!["--global".into()],
            drop: vec!["--service"],
        }),
        "timeout" => s(&["--timeout", "1234"]),
        "log_level" => s(&["--log-level", "debug"]),
        "instance_name" => s(&["--instance-name", "other-instance"]),
        "kong_version" => s(&["--kong-version", "2.8"]),
        "admin_url" => s(&["--admin-url", "http://kong-admin.example.com:8001"]),
        "workspace" => s(&["--workspace", "team-a"]),
        "deck_lookup_tag" => s(&["--deck-lookup-tag", "team-a"]),
        // The ingress class belongs to the global KongClusterPlugin.
        "ingress_class" => Some(Sample {
            baseline: if ["kic", "helm"].contains(&format) {
                vec!["--global".into()]
            } else {
                Vec::new()
            },
            args: vec!["--ingress-class".into(), "internal".into()],
            drop: vec!["--service"],
        }),
        "kong_namespace" => s(&["--kong-namespace", "gateway"]),
        "kong_service" => s(&["--kong-service", "gateway"]),
        "plugin_dir" => s(&["--plugin-dir", "./other-plugin"]),
        "plugins" => s(&["--plugins", "bundled,my-custom"]),
        "base_compose" => {
            let f = dir.join("compose.yaml");
            std::fs::write(
                &f,
                "services:\n  kong:\n    image: kong:3.4\n    environment:\n      KONG_PLUGINS: bundled,my-custom\n",
            )
            .unwrap();
            s(&["--base-compose", f.to_str().unwrap()])
        }
        "base_values" => {
            let f = dir.join("values.yaml");
            std::fs::write(
                &f,
                "plugins:\n  configMaps:\n    - pluginName: my-custom\n      name: kong-plugin-my-custom\n",
            )
            .unwrap();
            s(&["--base-values", f.to_str().unwrap()])
        }
        "apim_service" => s(&["--apim-service", "other-service"]),
        "subscription" => s(&["--subscription", "11111111-2222-3333-4444-555555555555"]),
        "resource_group" => s(&["--resource-group", "rg-other"]),
        "app_name" => s(&["--app-name", "other-reader"]),
        "secret_days" => s(&["--secret-days", "30"]),
        "role" => s(&["--role", "policy-writer"]),
        "api_id" => s(&["--api-id", "other-api"]),
        "operation_id" => s(&["--operation-id", "other-op"]),
        "product_id" => Some(Sample {
            baseline: vec!["--scope".into(), "product".into()],
            args: vec!["--product-id".into(), "starter".into()],
            drop: vec!["--api-id", "--operation-id"],
        }),
        "vxlan_id" => s(&["--vxlan-id", "7"]),
        "match_timeout_ms" => s(&["--match-timeout-ms", "99"]),
        "max_body_bytes" => s(&["--max-body-bytes", "1000"]),
        "redact_header" => s(&["--redact-header", "Authorization"]),
        "sample_percent" => s(&["--sample-percent", "50"]),
        "send_timeout" => s(&["--send-timeout", "30"]),
        "no_request_body" => s(&["--no-request-body"]),
        "no_response_body" => s(&["--no-response-body"]),
        "no_on_error" => s(&["--no-on-error"]),
        "ingest_token_named_value" => s(&["--ingest-token-named-value", "akto-token"]),
        "output" => {
            let f = dir.join("out.txt");
            s(&["-o", f.to_str().unwrap()])
        }
        "apiops" => Some(Sample {
            baseline: Vec::new(),
            args: vec!["--apiops".into(), "apiops".into()],
            drop: vec!["-o"],
        }),
        "kafka_ip" => s(&["--kafka-ip", "10.9.9.9"]),
        "threat_detection" => s(&["--threat-detection"]),
        "port" => s(&["--port", "9092"]),
        // compose reads the variable now (and needs -o); helm's script reads it at run time.
        "token_env" if path == ["ingest", "compose"] => Some(Sample {
            baseline: vec!["-o".into(), "out".into()],
            args: vec!["--token-env".into(), "AKTO_CONTRACT_TOKEN".into()],
            drop: Vec::new(),
        }),
        "token_env" => s(&["--token-env", "AKTO_CONTRACT_TOKEN"]),
        "database_abstractor_url" => s(&["--database-abstractor-url", "https://akto.example.com"]),
        "zookeeper_image" => s(&["--zookeeper-image", "example/zookeeper:1"]),
        "kafka_image" => s(&["--kafka-image", "example/kafka:1"]),
        "runtime_image" => s(&["--runtime-image", "example/runtime:1"]),
        "ingestion_image" => s(&["--ingestion-image", "example/ingestion:1"]),
        "watchtower_image" => Some(Sample {
            baseline: vec!["--watchtower".into()],
            args: vec!["--watchtower-image".into(), "example/watchtower:1".into()],
            drop: Vec::new(),
        }),
        "secret_name" => s(&["--secret-name", "other-token"]),
        "chart_version" => s(&["--chart-version", "1.2.3"]),
        "ingestion_chart_version" => s(&["--ingestion-chart-version", "1.2.3"]),
        "service_type" => s(&["--service-type", "LoadBalancer"]),
        _ => None,
    }
}

/// The smallest valid command line of each command checked, for one selector value.
fn base_args(path: &[&str], selector_value: &str) -> Vec<String> {
    let v: Vec<&str> = match (path, selector_value) {
        (["aws", "manifest"], f) => vec![
            "--log-group",
            GROUP,
            "--region",
            "us-east-1",
            "--kafka-broker",
            "akto-nlb.example.com:9092",
            "--format",
            f,
        ],
        (["aws", "iam-policy"], "permissions") => vec![
            "--kind",
            "permissions",
            "--log-group",
            GROUP,
            "--region",
            "us-east-1",
            "--account-id",
            "123456789012",
        ],
        (["aws", "iam-policy"], _) => vec![
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
        ],
        (["aws", "log-settings"], f) => vec![
            "--rest-api-id",
            "a1b2c3d4e5",
            "--stage",
            "prod",
            "--region",
            "us-east-1",
            "--format",
            f,
        ],
        (["aws", "env-file"], _) => vec![],
        (["apim", "policy"], f) => {
            let mut v = vec![
                "--ingest-url",
                "https://ingest.example.com:9091",
                "--format",
                f,
            ];
            if ["arm", "bicep", "terraform"].contains(&f) {
                v.extend([
                    "--scope",
                    "operation",
                    "--apim-service",
                    "contoso",
                    "--api-id",
                    "orders",
                    "--operation-id",
                    "get-order",
                ]);
            }
            if ["bicep", "terraform"].contains(&f) {
                v.extend(["-o", "infra"]);
            }
            v
        }
        (["apim", "access"], f) => vec![
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--resource-group",
            "rg-apis",
            "--apim-service",
            "contoso",
            "--format",
            f,
        ],
        (["apim", "fragments"], f) => {
            let mut v = vec![
                "--ingest-url",
                "https://ingest.example.com:9091",
                "--format",
                f,
            ];
            if ["arm", "bicep", "terraform"].contains(&f) {
                v.extend(["--apim-service", "contoso"]);
            }
            if f != "arm" {
                v.extend(["-o", "fragments"]);
            }
            v
        }
        (["ingest", "compose"], _) => vec!["--kafka-ip", "10.0.1.4"],
        (["ingest", "helm"], _) => vec![],
        (["kong", "enable"], "compose") => vec!["--format", "compose"],
        (["kong", "enable"], f) => vec![
            "--service-url",
            "https://ingest.example.com:9091",
            "--service",
            "orders",
            "--format",
            f,
        ],
        _ => panic!("no base command line for {path:?}"),
    };
    path.iter().copied().chain(v).map(str::to_string).collect()
}

/// `args` without the flags named in `drop`, each with its value.
fn without(args: &[String], drop: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if drop.contains(&a.as_str()) {
            it.next();
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// `args` with `add` applied: a flag already present has its value replaced.
fn with(args: &[String], add: &[String]) -> Vec<String> {
    let mut out = args.to_vec();
    if add.len() == 2 && add[0].starts_with('-') {
        if let Some(i) = out.iter().position(|a| a == &add[0]) {
            out[i + 1] = add[1].clone();
            return out;
        }
    }
    out.extend(add.iter().cloned());
    out
}

/// Runs in `dir` (when given): exit code, stdout, stderr, and every file under `dir` (sorted,
/// with its content), so output written to files counts as output.
fn run_in(dir: Option<&std::path::Path>, args: &[String]) -> (i32, String, String, String) {
    let mut cmd = bin();
    cmd.env_remove("AWS_REGION")
        .env_remove("AKTO_INGEST_URL")
        .env(
            "AKTO_CONTRACT_TOKEN",
            "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl",
        )
        .args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let (code, out, err) = run(&mut cmd);
    let mut listing = String::new();
    if let Some(d) = dir {
        let mut files = Vec::new();
        let mut stack = vec![d.to_path_buf()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(d).unwrap().display().to_string();
                    files.push((rel, std::fs::read(&path).unwrap()));
                }
            }
        }
        files.sort();
        for (rel, bytes) in files {
            listing.push_str(&format!(
                "--- file {rel}\n{}\n",
                String::from_utf8_lossy(&bytes)
            ));
        }
    }
    (code, out, err, listing)
}

/// The commands held to the contract, with their selector (`None`: one format only).
const CHECKED: &[(&[&str], Option<&str>)] = &[
    (&["aws", "manifest"], Some("format")),
    (&["aws", "iam-policy"], Some("kind")),
    (&["aws", "log-settings"], Some("format")),
    (&["aws", "env-file"], None),
    (&["apim", "policy"], Some("format")),
    (&["kong", "enable"], Some("format")),
    (&["apim", "access"], Some("format")),
    (&["apim", "fragments"], Some("format")),
    (&["ingest", "compose"], None),
    (&["ingest", "helm"], None),
];

#[test]
fn every_flag_and_format_pair_is_used_or_refused() {
    use akto_connect::cli::format_flags;
    use clap::CommandFactory;
    let root = akto_connect::cli::Cli::command();
    // Every table row names a real flag, selector and selector value.
    for row in format_flags::TABLE {
        let cmd = row
            .command
            .iter()
            .try_fold(&root, |c, n| c.find_subcommand(n))
            .unwrap_or_else(|| panic!("{:?}: no such command", row.command));
        let arg = |id: &str| cmd.get_arguments().find(|a| a.get_id() == id).cloned();
        assert!(arg(row.flag).is_some(), "{row:?}: no flag {}", row.flag);
        let values: Vec<String> = arg(row.selector)
            .unwrap_or_else(|| panic!("{row:?}: no selector"))
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_string())
            .collect();
        for f in row.applies_to.iter().filter(|f| !f.is_empty()) {
            assert!(values.iter().any(|v| v == f), "{row:?}: no value {f}");
        }
        // The flag's help says where it applies.
        let help = arg(row.flag)
            .and_then(|a| a.get_help().map(|h| h.to_string()))
            .unwrap_or_default();
        let selector_long = format!("--{}", arg(row.selector).unwrap().get_long().unwrap());
        for f in row.applies_to.iter().filter(|f| !f.is_empty()) {
            assert!(
                help.contains(&format!("{selector_long} {f}")),
                "{row:?}: the help of --{} does not say `{selector_long} {f}`: {help}",
                row.flag
            );
        }
    }
    for (path, selector) in CHECKED {
        let cmd = path
            .iter()
            .try_fold(&root, |c, n| c.find_subcommand(n))
            .unwrap();
        let formats: Vec<String> = match selector {
            Some(sel) => cmd
                .get_arguments()
                .find(|a| a.get_id() == *sel)
                .unwrap()
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect(),
            None => vec![String::new()],
        };
        let rows: Vec<_> = format_flags::rows_for(path).collect();
        for format in &formats {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                // A hidden flag exists only to be refused with its own message.
                if Some(id) == *selector || id == "help" || id == "version" || arg.is_hide_set() {
                    continue;
                }
                // Before and after run in folders of their own, so files written count.
                let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
                let missing = || -> Sample {
                    panic!("{path:?}: flag `{id}` has no sample here: add one, and a table row if it applies to some formats only")
                };
                let sa = sample(path, id, dir_a.path(), format).unwrap_or_else(missing);
                let sb = sample(path, id, dir_b.path(), format).unwrap_or_else(missing);
                let base_a = with(&without(&base_args(path, format), &sa.drop), &sa.baseline);
                let base_b = with(&without(&base_args(path, format), &sb.drop), &sb.baseline);
                let before = run_in(Some(dir_a.path()), &base_a);
                let after = run_in(Some(dir_b.path()), &with(&base_b, &sb.args));
                let s = sb;
                let applies = rows
                    .iter()
                    .find(|r| r.flag == id)
                    .is_none_or(|r| r.applies_to.contains(&format.as_str()));
                let what = format!("{path:?} {format} {:?}", s.args);
                if applies {
                    assert_eq!(after.0, 0, "{what}: {}", after.2);
                    assert!(
                        (before.0, &before.1, &before.3) != (after.0, &after.1, &after.3),
                        "{what}: accepted but changes nothing"
                    );
                } else {
                    let long = format!("--{}", arg.get_long().unwrap());
                    assert_eq!(after.0, 2, "{what}: must be refused");
                    assert!(after.1.is_empty(), "{what}");
                    assert!(
                        after.2.contains(&format!("{long} applies to")),
                        "{what}: {}",
                        after.2
                    );
                    let row = rows.iter().find(|r| r.flag == id).unwrap();
                    for f in row.applies_to {
                        assert!(after.2.contains(f), "{what}: names {f}: {}", after.2);
                    }
                }
            }
        }
    }
}

#[test]
fn openapi_discovery_is_spelt_the_same_in_every_command() {
    use clap::CommandFactory;
    let root = akto_connect::cli::Cli::command();
    for path in [["aws", "manifest"], ["aws", "iam-policy"]] {
        let cmd = path
            .iter()
            .try_fold(&root, |c, n| c.find_subcommand(n))
            .unwrap();
        for long in ["openapi-discovery", "no-openapi-discovery"] {
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .unwrap_or_else(|| panic!("{path:?} lacks --{long}"));
            assert!(
                !arg.get_action().takes_values(),
                "{path:?} --{long} is a switch"
            );
        }
    }
}

#[test]
fn apim_policy_refuses_path_patterns_that_cannot_match() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("paths.txt");
    std::fs::write(&file, "# paths\n^/ok/\n/search\\?q=\n").unwrap();
    for (args, origin, word) in [
        (vec!["--regex", "^api/v1/"], "--regex #1", "not `/`"),
        (
            vec!["--regex", "^/ok/", "--regex", "^https://api.contoso.com/v1"],
            "--regex #2",
            "scheme and host",
        ),
        (
            vec!["--regex-file", file.to_str().unwrap()],
            "paths.txt:3",
            "query",
        ),
    ] {
        let (code, out, err) = run(bin()
            .env_remove("AKTO_INGEST_URL")
            .args([
                "apim",
                "policy",
                "--ingest-url",
                "https://ingest.example.com",
            ])
            .args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(
            err.contains(origin) && err.contains(word),
            "{args:?}: {err}"
        );
        assert!(err.contains("help:"), "{err}");
    }
}

#[test]
fn reports_and_messages_escape_terminal_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let name = "a\u{1b}[31mred\u{2028}.xml";
    // A finding on a line that holds an escape sequence too.
    std::fs::write(
        dir.path().join(name),
        "<policies><inbound>\u{1b}[2J<base /></inbound></policies>\n",
    )
    .unwrap();
    let (code, out, err) =
        run(bin()
            .current_dir(dir.path())
            .args(["lint", "--no-config", "--color", "never", "."]));
    assert_eq!(code, 1, "{err}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{2028}'),
        "{out:?}"
    );
    assert!(out.contains(r"a\u{1b}[31mred\u{2028}.xml:1:"), "{out}");
    assert!(
        out.contains(r"\u{1b}[2J"),
        "the source line is shown escaped: {out}"
    );
    let (code, out, err) = run(bin().args(["rule", "x\u{1b}[31m\u{85}"]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{85}'),
        "{err:?}"
    );
    assert!(err.contains(r"x\u{1b}[31m\u{85}"), "{err}");
}

#[test]
fn carets_line_up_under_escaped_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.xml");
    // `\u{7}` is shown as 6 characters; the caret under `<inbound>` moves with it.
    std::fs::write(
        &path,
        "<policies>\u{7}<inbound></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>\n",
    )
    .unwrap();
    let (code, out, _) = run(bin().current_dir(dir.path()).args([
        "lint",
        "--no-config",
        "--color",
        "never",
        "p.xml",
    ]));
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    let src = lines
        .iter()
        .position(|l| l.contains(r"\u{7}<inbound>"))
        .unwrap();
    let caret = lines[src + 1];
    // APIM refuses the control character itself (outside expressions a policy is XML): the
    // carets sit under its escaped form, all five characters of it.
    assert!(out.contains("parse-error"), "{out}");
    assert_eq!(caret.find('^'), lines[src].find(r"\u{7}"), "{out}");
    assert_eq!(caret.matches('^').count(), r"\u{7}".len(), "{out}");
}

/// Every generator command: a valid command line (writing into `out…` when it writes files),
/// and the free-text flags it places in its artifact, each with a valid value.
/// A command line, and its attacked flags with a valid value each (`""`: a switch to add).
type Generator = (Vec<&'static str>, Vec<(&'static str, &'static str)>);

fn generators() -> Vec<Generator> {
    let url = "https://ingest.example.com:9091";
    let sub = "00000000-0000-0000-0000-000000000000";
    vec![
        (
            vec![
                "ingest",
                "compose",
                "--kafka-ip",
                "10.0.1.4",
                "--watchtower",
                "-o",
                "out",
            ],
            vec![
                ("--kafka-ip", "10.0.1.4"),
                ("--database-abstractor-url", "https://akto.example.com"),
                ("--zookeeper-image", "example/zookeeper:1"),
                ("--kafka-image", "example/kafka:1"),
                ("--runtime-image", "example/runtime:1"),
                ("--ingestion-image", "example/ingestion:1"),
                ("--watchtower-image", "example/watchtower:1"),
                ("--token-env", "AKTO_CONTRACT_TOKEN"),
            ],
        ),
        (
            vec!["ingest", "helm", "-o", "out"],
            vec![
                ("--namespace", "akto"),
                ("--token-env", "AKTO_TOKEN"),
                ("--secret-name", "akto-token"),
                ("--database-abstractor-url", "https://akto.example.com"),
                ("--chart-version", "1.2.3"),
                ("--ingestion-chart-version", "1.2.3"),
            ],
        ),
        (
            vec![
                "apim",
                "access",
                "--subscription",
                sub,
                "--resource-group",
                "rg",
                "--apim-service",
                "contoso",
                "-o",
                "out.sh",
            ],
            vec![
                ("--subscription", sub),
                ("--resource-group", "rg-apis"),
                ("--apim-service", "contoso"),
                ("--app-name", "akto-reader"),
            ],
        ),
        (
            vec![
                "apim",
                "access",
                "--format",
                "bicep",
                "--subscription",
                sub,
                "--resource-group",
                "rg",
                "--apim-service",
                "contoso",
                "-o",
                "out.bicep",
            ],
            vec![
                ("--resource-group", "rg-apis"),
                ("--apim-service", "contoso"),
                ("--app-name", "akto-reader"),
            ],
        ),
        (
            vec![
                "apim",
                "fragments",
                "--ingest-url",
                url,
                "--format",
                "terraform",
                "--apim-service",
                "contoso",
                "-o",
                "out",
            ],
            vec![
                ("--apim-service", "contoso"),
                ("--fragment-prefix", "team-akto"),
                ("--ingest-url", url),
                ("--regex", "^/api/v1/"),
                ("--account-id", "1000000"),
                ("--vxlan-id", "0"),
                ("--ingest-token-named-value", "akto-token"),
            ],
        ),
        (
            vec!["apim", "fragments", "--ingest-url", url, "--apiops", "out"],
            vec![("--fragment-prefix", "team-akto"), ("--regex", "^/api/v1/")],
        ),
        (
            vec![
                "apim",
                "policy",
                "--ingest-url",
                url,
                "--format",
                "bicep",
                "--scope",
                "operation",
                "--apim-service",
                "contoso",
                "--api-id",
                "orders",
                "--operation-id",
                "get",
                "-o",
                "out",
            ],
            vec![
                ("--apim-service", "contoso"),
                ("--api-id", "orders"),
                ("--operation-id", "get-order"),
                ("--regex", "^/api/v1/"),
                ("--ingest-token-named-value", "akto-token"),
            ],
        ),
        (
            vec![
                "apim",
                "policy",
                "--ingest-url",
                url,
                "--format",
                "arm",
                "--scope",
                "product",
                "--apim-service",
                "contoso",
                "--product-id",
                "starter",
                "-o",
                "out.json",
            ],
            vec![
                ("--product-id", "starter"),
                ("--with-fragments", ""),
                ("--fragment-prefix", "team-akto"),
            ],
        ),
        (
            vec![
                "kong",
                "enable",
                "--service-url",
                url,
                "--service",
                "orders",
                "--format",
                "curl",
                "-o",
                "out.sh",
            ],
            vec![
                ("--service-url", url),
                ("--service", "orders"),
                ("--instance-name", "akto-orders"),
                ("--admin-url", "http://localhost:8001"),
            ],
        ),
        (
            vec![
                "kong",
                "enable",
                "--service-url",
                url,
                "--route",
                "orders",
                "--format",
                "deck",
                "-o",
                "out.yaml",
            ],
            vec![("--route", "orders"), ("--kong-version", "3.4")],
        ),
        (
            vec![
                "kong",
                "enable",
                "--service-url",
                url,
                "--global",
                "--format",
                "helm",
                "-o",
                "out.yaml",
            ],
            vec![
                ("--namespace", "shop"),
                ("--kong-namespace", "kong"),
                ("--ingress-class", "kong"),
                ("--instance-name", "akto-global"),
            ],
        ),
        (
            vec!["kong", "enable", "--format", "compose", "-o", "out.yaml"],
            vec![
                ("--kong-service", "kong"),
                ("--plugin-dir", "./plugin"),
                ("--plugins", "bundled,custom"),
            ],
        ),
        (
            vec![
                "aws",
                "manifest",
                "--log-group",
                GROUP,
                "--region",
                "us-east-1",
                "--kafka-broker",
                "b.example.com:9092",
                "--format",
                "k8s",
                "-o",
                "out.yaml",
            ],
            vec![
                ("--log-group", GROUP),
                ("--region", "us-east-1"),
                ("--kafka-broker", "b.example.com:9092"),
                ("--image", "example/connector:1"),
                ("--namespace", "akto"),
                ("--name", "connector"),
                ("--existing-secret", "aws-creds"),
                ("--irsa-role-arn", "arn:aws:iam::123456789012:role/x"),
            ],
        ),
        (
            vec![
                "aws",
                "manifest",
                "--log-group",
                GROUP,
                "--region",
                "us-east-1",
                "--kafka-broker",
                "b.example.com:9092",
                "--format",
                "compose",
                "-o",
                "out.yaml",
            ],
            vec![("--env-file", "./x.env")],
        ),
        (
            vec![
                "aws",
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
                "akto/sa",
                "-o",
                "out.json",
            ],
            vec![
                ("--account-id", "123456789012"),
                (
                    "--oidc-provider",
                    "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123",
                ),
                ("--service-account", "akto/api-gateway-logging"),
            ],
        ),
        (
            vec![
                "aws",
                "log-settings",
                "--rest-api-id",
                "a1b2c3d4e5",
                "--stage",
                "prod",
                "--region",
                "us-east-1",
                "-o",
                "out.sh",
            ],
            vec![("--rest-api-id", "a1b2c3d4e5"), ("--stage", "prod")],
        ),
    ]
}

#[test]
fn hostile_values_in_every_generator_are_refused_at_their_flag() {
    let long = "a".repeat(100_000);
    let hostile: Vec<String> = [
        "\u{2028}",
        "\u{2029}",
        "\u{85}",
        "\u{fffe}",
        "\u{1b}[31m",
        "\u{7}",
        "\u{202e}",
        "\u{feff}",
        "\n",
        "\r",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([long])
    .collect();
    let mut slipped = Vec::new();
    for (base, flags) in generators() {
        // The base line itself is valid and writes its artifact.
        let dir = tempfile::tempdir().unwrap();
        let (code, _, err, files) = run_in(Some(dir.path()), &owned(&base));
        assert_eq!(code, 0, "{base:?}: {err}");
        assert!(!files.is_empty(), "{base:?} writes a file");
        for (flag, good) in flags {
            // A switch (no value) is given as is, and a value of its neighbour is attacked.
            if good.is_empty() {
                continue;
            }
            for h in &hostile {
                // A path pattern may hold a line break: XML carries it as `&#10;`.
                if flag == "--regex" && (h == "\n" || h == "\r") {
                    continue;
                }
                let value = if h.len() > 1_000 {
                    h.clone()
                } else {
                    let mid = good.char_indices().nth(good.chars().count() / 2).unwrap().0;
                    format!("{}{h}{}", &good[..mid], &good[mid..])
                };
                let mut args = owned(&base);
                // Switches listed for this command line come along.
                for (f, g) in generators()
                    .into_iter()
                    .find(|(b, _)| *b == base)
                    .unwrap()
                    .1
                {
                    if g.is_empty() {
                        args.push(f.to_string());
                    }
                }
                let args = with(&args, &[flag.to_string(), value.clone()]);
                let dir = tempfile::tempdir().unwrap();
                let (code, out, err, files) = run_in(Some(dir.path()), &args);
                let what = format!("{:?} {flag} {:?}", &base[..2], text_shorten(&value));
                let bad_char = err
                    .chars()
                    .find(|&c| c != '\n' && akto_connect::text::problem_char(c).is_some());
                let problem = if code != 2 {
                    Some(format!("exit {code}"))
                } else if !out.is_empty() || !files.is_empty() {
                    Some("wrote output".to_string())
                } else if err.contains("internal error") {
                    Some("refused by the self-check only".to_string())
                } else if !err.contains(flag) {
                    Some("the message does not name the flag".to_string())
                } else if let Some(c) = bad_char {
                    Some(format!("the message holds U+{:04X} unescaped", c as u32))
                } else if err.len() > 2_000 {
                    Some(format!("a {}-byte message", err.len()))
                } else {
                    None
                };
                if let Some(p) = problem {
                    slipped.push(format!("{what}: {p}: {}", text_shorten(&err)));
                }
            }
        }
    }
    assert!(
        slipped.is_empty(),
        "{} slipped through:\n{}",
        slipped.len(),
        slipped.join("\n")
    );
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn text_shorten(s: &str) -> String {
    akto_connect::text::shorten(s)
}

#[test]
fn clap_errors_show_hostile_values_escaped_and_short() {
    let long = "x".repeat(100_000);
    for (value, shown) in [
        ("in\u{2028}fo", r"in\u{2028}fo"),
        ("in\u{85}fo", r"in\u{85}fo"),
        ("in\u{7}fo", r"in\u{7}fo"),
        ("in\u{202e}fo", r"in\u{202e}fo"),
        (long.as_str(), "xxxx…xxxx"),
    ] {
        let (code, out, err) = run(bin().args([
            "kong",
            "enable",
            "--format",
            "compose",
            "--log-level",
            value,
        ]));
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains("--log-level"), "{err}");
        assert!(err.contains(shown), "{shown}: {err:?}");
        assert!(
            !err.chars()
                .any(|c| c != '\n' && akto_connect::text::problem_char(c).is_some()),
            "{err:?}"
        );
        assert!(err.len() < 1_000, "{} bytes", err.len());
    }
    // A plain mistake keeps clap's own message.
    let (code, _, err) = run(bin().args(["kong", "enable", "--log-level", "loud"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("[possible values: debug, info, warn, error]"),
        "{err}"
    );
}

#[test]
fn a_flag_of_an_option_left_off_is_refused() {
    // Watchtower's image without watchtower would be dropped without a word.
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err, files) = run_in(
        Some(dir.path()),
        &owned(&[
            "ingest",
            "compose",
            "--kafka-ip",
            "10.0.1.4",
            "--watchtower-image",
            "example/watchtower:1",
            "-o",
            "out",
        ]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty() && files.is_empty());
    assert!(err.contains("--watchtower"), "{err}");
}

#[test]
fn endless_inputs_are_refused_not_read_into_memory() {
    let url = "https://ingest.example.com";
    for args in [
        vec!["apim", "policy", "--ingest-url", url, "--into", "/dev/zero"],
        vec![
            "apim",
            "policy",
            "--ingest-url",
            url,
            "--regex-file",
            "/dev/zero",
        ],
        vec![
            "kong",
            "enable",
            "--format",
            "compose",
            "--base-compose",
            "/dev/zero",
        ],
        vec!["verify", "--from-policy", "/dev/zero"],
        vec!["verify", "--from-kong", "/dev/zero"],
        vec![
            "verify",
            "--ingest-url",
            "http://127.0.0.1:9",
            "--ca-file",
            "/dev/zero",
        ],
    ] {
        let (code, out, err) = run(bin()
            .env_remove("AKTO_INGEST_URL")
            .args(&args)
            .timeout(std::time::Duration::from_secs(60)));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(err.contains("more than 64 MiB"), "{args:?}: {err}");
    }
    // lint reports an endless file as a finding (past --max-file-size it is not read), from a
    // path and from standard input (the device itself, not a copy of it in this process).
    let (code, out, err) = run(bin()
        .args(["lint", "--no-config", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(60)));
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("larger than 4 MiB"), "{out}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_akto-connect"))
        .args(["lint", "--no-config", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("larger than 4 MiB"), "{text}");
}

/// Every command (a path of subcommand names) below `cmd`, leaves only.
fn leaves(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let subs: Vec<_> = cmd
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .collect();
    if subs.is_empty() {
        out.push(prefix.to_vec());
    }
    for c in subs {
        let mut p = prefix.to_vec();
        p.push(c.get_name().to_string());
        leaves(c, &p, out);
    }
}

#[test]
fn every_command_that_exits_1_is_named_in_the_help_and_readme_exit_codes() {
    use clap::CommandFactory;
    let mut all = Vec::new();
    leaves(&akto_connect::cli::Cli::command(), &[], &mut all);
    let (_, top, _) = run(bin().arg("--help"));
    let top = top
        .split("Exit codes:")
        .nth(1)
        .expect("--help lists exit codes");
    let code1 = top.split("\n  2 ").next().unwrap().replace('\n', " ");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let readme1 = readme
        .lines()
        .find(|l| l.starts_with("| 1 |"))
        .expect("README's exit-code table has a row for 1");
    let mut exits_1 = Vec::new();
    for path in &all {
        let (code, help, err) = run(bin().args(path).arg("--help"));
        assert_eq!(code, 0, "{path:?}: {err}");
        let Some(codes) = help.split("Exit codes:").nth(1) else {
            continue;
        };
        // `1 …` as a code of this command (`; 1 a check failed`, `\n  1  findings`).
        if codes.contains("; 1 ") || codes.contains("\n  1 ") {
            let name = path.join(" ");
            // `verify` is in `kong verify` too: match it as a word of its own.
            let named = |text: &str| {
                text.match_indices(&name).any(|(i, _)| {
                    let before = text[..i].chars().last();
                    let after = text[i + name.len()..].chars().next();
                    before.is_none_or(|c| !c.is_alphanumeric() && c != '-')
                        && !(before == Some(' ') && text[..i].ends_with("kong "))
                        && after.is_none_or(|c| !c.is_alphanumeric() && c != '-')
                })
            };
            assert!(
                named(&code1),
                "--help's exit code 1 does not name `{name}`: {code1}"
            );
            assert!(
                named(readme1),
                "README's exit code 1 does not name `{name}`: {readme1}"
            );
            exits_1.push(name);
        }
    }
    // The commands known to exit 1 are found (the test would otherwise pass on nothing).
    for known in ["lint", "verify", "kong verify", "apim specs"] {
        assert!(exits_1.iter().any(|n| n == known), "{known}: {exits_1:?}");
    }
}

#[test]
fn lint_color_never_reaches_a_machine_format() {
    // As with ripgrep's --json, --color is accepted with every format (CI scripts pass it
    // everywhere) and colours the text report only: no escape sequence in JSON, SARIF or
    // GitHub annotations, even with --color always.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.xml"),
        "<policies><inbound></inbound></policies>",
    )
    .unwrap();
    for format in ["json", "sarif", "github"] {
        let (code, out, err) = run(bin().current_dir(dir.path()).args([
            "lint",
            "--no-config",
            "--format",
            format,
            "--color",
            "always",
            "p.xml",
        ]));
        assert_eq!(code, 1, "{format}: {err}");
        assert!(
            !out.is_empty() && !out.contains('\u{1b}'),
            "{format}: {out}"
        );
    }
    let (code, out, err) = run(bin().current_dir(dir.path()).args([
        "lint",
        "--no-config",
        "--format",
        "text",
        "--color",
        "always",
        "p.xml",
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(out.contains('\u{1b}'), "{out}");
}

#[test]
fn one_spelling_per_concept_across_commands() {
    use akto_connect::cli::{apim::ApimCommand, Cli, Command};
    use clap::Parser;
    // apim specs takes the spellings of the other commands: -o/--output for the folder it
    // writes, --api-id for an API.
    for (out_flag, api_flag) in [
        ("-o", "--api-id"),
        ("--output", "--api"),
        ("--out", "--api"),
    ] {
        let cli = Cli::try_parse_from([
            "akto-connect",
            "apim",
            "specs",
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--resource-group",
            "rg",
            "--apim-service",
            "contoso",
            out_flag,
            "specs",
            api_flag,
            "orders",
        ])
        .unwrap_or_else(|e| panic!("{out_flag} {api_flag}: {e}"));
        let Command::Apim(ApimCommand::Specs(a)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(a.out, std::path::PathBuf::from("specs"));
        assert_eq!(a.api, ["orders"]);
    }
}

#[test]
fn hostile_values_in_network_commands_are_refused_before_any_request() {
    let long = "a".repeat(100_000);
    let guid = "11111111-2222-3333-4444-555555555555";
    let mut cases: Vec<(&str, Vec<String>)> = Vec::new();
    for (flag, value) in [
        ("--token-env", long.as_str()),
        ("--api-key-env", long.as_str()),
        ("--token-env", "AKTO\u{1b}[31m"),
        ("--ca-file", long.as_str()),
    ] {
        cases.push((
            flag,
            owned(&["verify", "--ingest-url", "http://127.0.0.1:9", flag, value]),
        ));
    }
    for value in [
        "or\u{2028}ders",
        "or\u{1b}[2Jders",
        "or\u{202e}ders",
        long.as_str(),
    ] {
        cases.push((
            "--api",
            owned(&[
                "apim",
                "specs",
                "--subscription",
                guid,
                "--resource-group",
                "rg",
                "--apim-service",
                "contoso",
                "--management-url",
                "http://127.0.0.1:9",
                "--authority-url",
                "http://127.0.0.1:9",
                "--retries",
                "0",
                "--api",
                value,
            ]),
        ));
    }
    for (flag, args) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (code, out, err) = run(bin()
            .current_dir(dir.path())
            .env("AZURE_TENANT_ID", guid)
            .env("AZURE_CLIENT_ID", guid)
            .env("AZURE_CLIENT_SECRET", "s")
            .args(&args));
        let what = format!("{flag} {}", text_shorten(args.last().unwrap()));
        assert_eq!(code, 2, "{what}: {err}");
        assert!(out.is_empty(), "{what}");
        assert!(err.contains(flag), "{what}: {err}");
        assert!(err.len() < 2_000, "{what}: a {}-byte message", err.len());
        assert!(
            !err.contains("cannot connect"),
            "{what}: refused only after a request: {err}"
        );
        assert!(
            !err.chars()
                .any(|c| c != '\n' && akto_connect::text::problem_char(c).is_some()),
            "{what}: {err:?}"
        );
    }
}

/// Every subcommand path whose `--format` offers `json`, from the CLI definition itself.
fn json_commands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        let json = cmd.get_arguments().any(|a| {
            a.get_id() == "format"
                && a.get_possible_values()
                    .iter()
                    .any(|v| v.get_name() == "json")
        });
        if json {
            out.push(path.clone());
        }
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_string());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(
        &<akto_connect::cli::Cli as clap::CommandFactory>::command(),
        &mut Vec::new(),
        &mut out,
    );
    out
}

#[test]
fn every_json_command_prints_json_when_it_fails() {
    // One failing run per command that offers --format json: an input error the command
    // finds itself (exit 2) and a usage error clap finds; standard output is the JSON failure.
    let cases: &[(&str, &[&str])] = &[
        ("lint", &["lint", "/nonexistent/akto-tree"]),
        (
            "apim effective",
            &["apim", "effective", "/nonexistent/akto-tree", "--api", "x"],
        ),
        (
            "apim coverage",
            &["apim", "coverage", "/nonexistent/akto-tree"],
        ),
        (
            "apim live-coverage",
            &[
                "apim",
                "live-coverage",
                "--subscription",
                "00000000-0000-0000-0000-000000000000",
            ],
        ),
        ("aws verify", &["aws", "verify", "--region", "x y"]),
        (
            "kong verify",
            &[
                "kong",
                "verify",
                "--admin-url",
                "localhost:8001",
                "--global",
            ],
        ),
        (
            "verify",
            &["verify", "--ingest-url", "ftp://ingest.example.com"],
        ),
    ];
    let listed: Vec<String> = json_commands().iter().map(|p| p.join(" ")).collect();
    for name in &listed {
        assert!(
            cases.iter().any(|(n, _)| n == name),
            "`{name}` offers --format json: add a failing case for it here"
        );
    }
    for (name, args) in cases {
        assert!(
            listed.iter().any(|l| l == name),
            "{name} no longer offers json"
        );
        for extra in [
            &["--format", "json"][..],
            &["--format", "json", "--no-such-flag"][..],
        ] {
            let (code, out, err) = run(bin()
                .env_remove("AZURE_SUBSCRIPTION_ID")
                .env_remove("KONG_ADMIN_TOKEN")
                .args(*args)
                .args(extra));
            assert_eq!(code, 2, "{name} {extra:?}: {err}");
            let v: Value = serde_json::from_str(&out)
                .unwrap_or_else(|e| panic!("{name} {extra:?}: not JSON ({e}): {out:?}"));
            assert_eq!(v["version"], 1, "{name}: {out}");
            assert_eq!(v["ok"], false, "{name}: {out}");
            let message = v["error"].as_str().unwrap();
            assert!(
                !message.is_empty() && err.contains(message.lines().next().unwrap()),
                "{name}: the JSON error says what standard error says: {out} / {err}"
            );
        }
        // Without --format json, standard output stays empty on failure.
        let (code, out, _) = run(bin().env_remove("AZURE_SUBSCRIPTION_ID").args(*args));
        assert_eq!((code, out.as_str()), (2, ""), "{name}");
    }
}
