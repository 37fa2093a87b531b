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
        .args([
            "kong",
            "enable",
            "--service-url",
            "https://ingest.example.com",
            "--service",
            "orders",
            "--format",
            "compose",
        ])
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
