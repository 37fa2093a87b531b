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

fn sample(id: &str, dir: &std::path::Path, format: &str) -> Option<Sample> {
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
        "stage" => s(&["--stage", "staging"]),
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
        "apim_service" => s(&["--apim-service", "other-service"]),
        "subscription" => s(&["--subscription", "11111111-2222-3333-4444-555555555555"]),
        "resource_group" => s(&["--resource-group", "rg-other"]),
        "app_name" => s(&["--app-name", "other-reader"]),
        "secret_days" => s(&["--secret-days", "30"]),
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
        "ingest_token_named_value" => s(&["--ingest-token-named-value", "akto-token"]),
        "output" => {
            let f = dir.join("out.txt");
            s(&["-o", f.to_str().unwrap()])
        }
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
                let sa = sample(id, dir_a.path(), format).unwrap_or_else(missing);
                let sb = sample(id, dir_b.path(), format).unwrap_or_else(missing);
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
    // The one finding is <inbound> without <base />: the caret sits under its `<`.
    assert_eq!(caret.find('^'), lines[src].find("<inbound>"), "{out}");
}
