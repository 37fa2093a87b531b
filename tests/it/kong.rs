//! `akto-connect kong enable`: every format for every scope, checked by its consumers (decK's
//! schema for Kong 2.8 and 3.x, the KongPlugin/KongClusterPlugin CRDs, the Compose schema and
//! `docker-compose config`, PyYAML as YAML 1.1), and every refusal. The curl script runs
//! against the Admin API stand-in in `kong_admin.rs`.

use std::process::Command;

use serde_json::Value;

use crate::common::{bin, require_python, require_shared, require_tool, run, test_file};

const URL: &str = "https://ingest.example.com:9091";

pub fn enable(args: &[&str]) -> (i32, String, String) {
    run(bin()
        .env_remove("KONG_ADMIN_URL")
        .env_remove("KONG_ADMIN_TOKEN")
        .env_remove("AKTO_INGEST_URL")
        .args(["kong", "enable"])
        .args(args))
}

pub fn scopes() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("service", vec!["--service", "orders"]),
        ("route", vec!["--route", "orders-api"]),
        ("global", vec!["--global"]),
    ]
}

const PLUGIN_FORMATS: [&str; 4] = ["curl", "deck", "kic", "helm"];

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name.to_string(), text);
    });
}

#[test]
fn snapshots_per_format_and_scope() {
    for format in PLUGIN_FORMATS {
        for (scope, args) in scopes() {
            let (code, out, err) =
                enable(&[&["--service-url", URL, "--format", format], args.as_slice()].concat());
            assert_eq!(code, 0, "{format} {scope}: {err}");
            snapshot(&format!("kong-{format}-{scope}"), &out);
        }
    }
    let (code, out, err) = enable(&["--format", "compose", "--plugins", "bundled,my-custom"]);
    assert_eq!(code, 0, "{err}");
    snapshot("kong-compose", &out);
}

/// Runs the Python checker on an artifact; returns its documents as JSON.
fn validate(format: &str, text: &str, deck_version: &str) -> Value {
    require_python(&["yaml", "jsonschema"]);
    let shared = require_shared("schemas")
        .parent()
        .expect("../shared")
        .to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("artifact.yaml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("python3")
        .arg(test_file("conformance/kong_validate.py"))
        .arg(format)
        .arg(&file)
        .arg(&shared)
        .arg(deck_version)
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
fn deck_kic_helm_pass_their_schemas_for_each_kong_version_and_scope() {
    // (--kong-version, decK _format_version, instance_name expected)
    let versions = [
        ("2.8", "1.1", false),
        ("3.0", "3.0", false),
        ("3.1.1", "3.0", false),
        ("3.2", "3.0", true),
    ];
    for (version, deck_version, with_instance) in versions {
        for format in ["deck", "kic", "helm"] {
            for (scope, args) in scopes() {
                let (code, out, err) = enable(
                    &[
                        &[
                            "--service-url",
                            URL,
                            "--format",
                            format,
                            "--kong-version",
                            version,
                        ],
                        args.as_slice(),
                    ]
                    .concat(),
                );
                assert_eq!(code, 0, "{err}");
                let docs = validate(format, &out, deck_version);
                let plugin = match format {
                    "deck" => &docs[0]["plugins"][0],
                    "kic" => &docs[0],
                    _ => &docs[1],
                };
                let ctx = format!("{format} {scope} Kong {version}: {docs}");
                assert_eq!(plugin["config"]["service_url"], URL, "{ctx}");
                assert_eq!(plugin["config"]["timeout"], 30000, "{ctx}");
                assert_eq!(
                    plugin.get("instance_name").is_some(),
                    with_instance,
                    "{ctx}"
                );
                if format == "deck" && scope != "global" {
                    assert_eq!(plugin[scope], args[1], "{ctx}");
                }
                if format == "deck" {
                    assert!(docs[0].get("_workspace").is_none(), "{ctx}");
                    // A Kong Enterprise workspace: decK's _workspace, still valid.
                    let (code, out, err) = enable(
                        &[
                            &[
                                "--service-url",
                                URL,
                                "--format",
                                "deck",
                                "--kong-version",
                                version,
                                "--workspace",
                                "team-a",
                            ],
                            args.as_slice(),
                        ]
                        .concat(),
                    );
                    assert_eq!(code, 0, "{err}");
                    let docs = validate("deck", &out, deck_version);
                    assert_eq!(docs[0]["_workspace"], "team-a", "{ctx}");
                }
                if format != "deck" {
                    let kind = if scope == "global" {
                        "KongClusterPlugin"
                    } else {
                        "KongPlugin"
                    };
                    assert_eq!(plugin["kind"], kind, "{ctx}");
                }
            }
        }
    }
}

#[test]
#[ignore = "needs python3 with yaml, jsonschema and ../shared"]
fn compose_passes_the_compose_schema() {
    let (code, out, err) = enable(&["--format", "compose", "--plugins", "bundled,my-custom"]);
    assert_eq!(code, 0, "{err}");
    let docs = validate("compose", &out, "3.0");
    assert_eq!(
        docs[0]["services"]["kong"]["environment"]["KONG_PLUGINS"],
        "bundled,my-custom,akto-api-discovery"
    );
}

#[test]
#[ignore = "needs python3 with yaml, jsonschema and ../shared"]
fn yaml_1_1_keeps_tricky_names_strings() {
    for name in ["on", "yes", "0755", "1e3", "null", "y"] {
        let (code, out, err) =
            enable(&["--service-url", URL, "--service", name, "--format", "deck"]);
        assert_eq!(code, 0, "{err}");
        let docs = validate("deck", &out, "3.0");
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
            "--namespace",
            name,
        ]);
        assert_eq!(code, 0, "{err}");
        let docs = validate("kic", &out, "3.0");
        assert_eq!(docs[0]["metadata"]["namespace"], name);
    }
    let (code, out, _) = enable(&[
        "--format",
        "compose",
        "--kong-service",
        "on",
        "--plugin-dir",
        "./0755",
    ]);
    assert_eq!(code, 0);
    let docs = validate("compose", &out, "3.0");
    assert!(
        docs[0]["services"]["on"]["volumes"][0]["source"] == "./0755",
        "{docs}"
    );
}

/// A base compose file whose Kong already loads a custom plugin of its own.
const BASE_COMPOSE: &str = "services:\n  kong:\n    image: kong:3.6\n    environment:\n      KONG_DATABASE: \"off\"\n      KONG_PLUGINS: bundled,my-custom\n    volumes:\n      - ./my-custom:/usr/local/share/lua/5.1/kong/plugins/my-custom:ro\n";

#[test]
#[ignore = "needs docker-compose"]
fn compose_override_keeps_the_users_plugins_under_docker_compose_config() {
    require_tool("docker-compose");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("docker-compose.yml"), BASE_COMPOSE).unwrap();
    std::fs::create_dir_all(dir.path().join("plugin")).unwrap();
    // The plugin's files, as --plugin-dir reads them when the folder is here (hand-written).
    std::fs::write(
        dir.path().join("plugin/schema.lua"),
        "return { name = \"akto-api-discovery\", fields = {} }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("plugin/handler.lua"), "return {}\n").unwrap();
    std::fs::create_dir_all(dir.path().join("my-custom")).unwrap();
    let merged = |override_text: &str| {
        std::fs::write(dir.path().join("akto.yml"), override_text).unwrap();
        let out = Command::new("docker-compose")
            .current_dir(dir.path())
            .args(["-f", "docker-compose.yml", "-f", "akto.yml", "config"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Read from the base file, and given by hand: the same result.
    let base = dir.path().join("docker-compose.yml");
    let (code, from_base, err) = run(bin()
        .current_dir(dir.path())
        .args([
            "kong",
            "enable",
            "--format",
            "compose",
            "--plugin-dir",
            "./plugin",
        ])
        .arg("--base-compose")
        .arg(&base));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
    let (code, by_hand, _) = enable(&[
        "--format",
        "compose",
        "--plugin-dir",
        "./plugin",
        "--plugins",
        "bundled,my-custom",
    ]);
    assert_eq!(code, 0);
    assert_eq!(from_base, by_hand);
    let text = merged(&from_base);
    assert!(
        text.contains("KONG_PLUGINS: bundled,my-custom,akto-api-discovery"),
        "{text}"
    );
    assert!(
        text.contains("target: /usr/local/share/lua/5.1/kong/plugins/akto-api-discovery"),
        "{text}"
    );
    assert!(
        text.contains("/usr/local/share/lua/5.1/kong/plugins/my-custom"),
        "the user's plugin mount survives: {text}"
    );
    assert!(
        text.contains("KONG_DATABASE: 'off'") || text.contains("KONG_DATABASE: \"off\""),
        "the base file's settings survive: {text}"
    );

    // Without either flag: a warning that KONG_PLUGINS is replaced.
    let (code, _, err) = enable(&["--format", "compose"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("--plugins") && err.contains("--base-compose"),
        "{err}"
    );
}

#[test]
fn base_compose_problems_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("c.yml");
    std::fs::write(
        &base,
        BASE_COMPOSE.replace("bundled,my-custom", "${PLUGINS}"),
    )
    .unwrap();
    let (code, out, err) = run(bin()
        .args(["kong", "enable", "--format", "compose", "--base-compose"])
        .arg(&base));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("variable") && err.contains("--plugins"),
        "{err}"
    );
    let (code, _, err) = run(bin()
        .args([
            "kong",
            "enable",
            "--format",
            "compose",
            "--kong-service",
            "gateway",
            "--base-compose",
        ])
        .arg(&base));
    assert_eq!(code, 2);
    assert!(
        err.contains("no service `gateway`") && err.contains("kong"),
        "{err}"
    );
    let (code, _, err) = run(bin().args([
        "kong",
        "enable",
        "--format",
        "compose",
        "--base-compose",
        "/nonexistent/c.yml",
    ]));
    assert_eq!(code, 2);
    assert!(
        err.contains("--base-compose") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn refusals_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--service-url", URL, "--format", "curl"], "needs a scope"),
        (&["--global", "--format", "deck"], "needs --service-url"),
        (
            &["--service-url", URL, "--consumer", "mobile", "--format", "curl"],
            "not per consumer",
        ),
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
        // flags the format does not use
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "curl",
                "--kong-version",
                "3.4",
            ],
            "--kong-version applies to --format deck or --format kic or --format helm only, not to --format curl",
        ),
        (
            &["--service-url", URL, "--format", "compose"],
            "--service-url applies to --format curl or --format deck or --format kic or --format helm only, not to --format compose",
        ),
        (
            &["--service", "orders", "--format", "compose"],
            "--service applies to --format curl or --format deck or --format kic or --format helm only, not to --format compose",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "deck",
                "--namespace",
                "shop",
            ],
            "--namespace applies to --format kic or --format helm only, not to --format deck",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "kic",
                "--kong-namespace",
                "kong",
            ],
            "--kong-namespace applies to --format helm only, not to --format kic",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "deck",
                "--admin-url",
                "http://localhost:8001",
            ],
            "--admin-url applies to --format curl only, not to --format deck",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "helm",
                "--plugins",
                "bundled",
            ],
            "--plugins applies to --format compose only, not to --format helm",
        ),
        (
            &["--format", "compose", "--plugins", "a", "--base-compose", "x"],
            "cannot be used with",
        ),
        (&["--format", "compose", "--plugins", "bundled,off"], "`off`"),
        (&["--format", "compose", "--plugins", "a;b"], "not a Kong plugin name"),
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
                "helm",
                "--kong-namespace",
                "Kong",
            ],
            "--kong-namespace",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "deck",
                "--kong-version",
                "1.5",
            ],
            "2.0 or later",
        ),
        (
            &[
                "--service-url",
                URL,
                "--global",
                "--format",
                "deck",
                "--kong-version",
                "latest",
            ],
            "not a Kong version",
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
            &["--format", "compose", "--kong-service", "a b"],
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
fn admin_url_without_scheme_suggests_an_admin_api_url() {
    let (code, out, err) = enable(&[
        "--service-url",
        URL,
        "--global",
        "--format",
        "curl",
        "--admin-url",
        "localhost:8001",
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("--admin-url 'localhost:8001': no scheme"),
        "{err}"
    );
    assert!(err.contains("http://localhost:8001"), "{err}");
    assert!(
        !err.contains("ingest"),
        "an Admin API is not an ingest URL: {err}"
    );
}

#[test]
fn environment_supplies_urls_only_where_they_are_used() {
    // AKTO_INGEST_URL set for compose is not a flag given: no refusal.
    let (code, _, err) = run(bin()
        .env("AKTO_INGEST_URL", URL)
        .env_remove("KONG_ADMIN_URL")
        .args([
            "kong",
            "enable",
            "--format",
            "compose",
            "--plugins",
            "bundled",
        ]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(bin()
        .env("AKTO_INGEST_URL", URL)
        .env("KONG_ADMIN_URL", "http://kong-admin.internal:8001")
        .args(["kong", "enable", "--global", "--format", "curl"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(URL), "{out}");
    assert!(out.contains("http://kong-admin.internal:8001"), "{out}");
}

#[test]
fn loopback_service_url_warns_for_cluster_formats_only() {
    for format in ["kic", "helm"] {
        let (code, _, err) = enable(&[
            "--service-url",
            "http://localhost:9091",
            "--global",
            "--format",
            format,
        ]);
        assert_eq!(code, 0);
        assert!(
            err.contains("loopback") && err.contains("svc.cluster.local"),
            "{format}: {err}"
        );
    }
    let (code, _, err) = enable(&[
        "--service-url",
        "http://127.0.0.1:9091",
        "--global",
        "--format",
        "curl",
    ]);
    assert_eq!(code, 0);
    assert!(!err.contains("loopback"), "{err}");
}

#[test]
fn helm_separates_kongs_namespace_from_the_plugins() {
    let (code, out, err) = enable(&[
        "--service-url",
        URL,
        "--service",
        "orders",
        "--format",
        "helm",
        "--namespace",
        "shop",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("kubectl create configmap kong-plugin-akto-api-discovery -n kong "),
        "{out}"
    );
    assert!(
        out.contains("helm upgrade kong kong/kong -n kong "),
        "{out}"
    );
    assert!(
        out.contains("kubectl annotate service orders -n shop "),
        "{out}"
    );
    assert!(out.contains("namespace: \"shop\""), "{out}");
    assert!(!out.contains("-n shop --from-file"), "{out}");
}

#[test]
fn output_file_and_http_warning() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("akto.yaml");
    let (code, out, err) = run(bin()
        .env_remove("AKTO_INGEST_URL")
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
            && out.contains("--kong-version 2.8")
            && out.contains("Flags per format")
            && out.contains("Exit codes"),
        "{out}"
    );
    assert!(!out.contains("--consumer"), "{out}");
    assert!(out.contains("--kong-namespace") && out.contains("--namespace"));
    let (code, out, _) = run(bin().args(["kong", "verify", "--help"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("Examples:") && out.contains("KONG_ADMIN_TOKEN"),
        "{out}"
    );
}

/// A Kong service or route as the gateway holds it (for the decK stand-in below).
#[derive(Clone)]
struct GatewayEntity {
    kind: &'static str,
    name: &'static str,
    tags: Vec<&'static str>,
}

/// What `deck gateway sync|apply FILE` would do with `file` against `gateway`, reproducing how
/// decK resolves a plugin's `service:` / `route:` reference. Written from decK's sources (Kong/deck
/// 4657ee37 `cmd/common.go`; Kong/go-database-reconciler 8f5e476d `pkg/dump/dump.go`,
/// `pkg/file/builder.go`), step by step:
/// 1. select tags: `_info.select_tags`, or `--select-tag`; both given and different is an error
///    (`determineSelectorTag`).
/// 2. current state: the gateway's entities carrying every select tag (`newOpt`: MatchAllTags).
/// 3. `_info.default_lookup_tags.services|routes`: an empty list is an error; else the gateway's
///    entities carrying every lookup tag are appended to the file's entities (`syncMain`).
/// 4. the lookup state: the file's entities, plus the whole current state for `apply`
///    (`isPartialApply`) only.
/// 5. each file entity whose sorted tags differ from the lookup tags gets the select tags
///    merged in (`ingestService`); a route always does (`ingestRoute`): a changed entity of the
///    user's is an update decK makes.
/// 6. a plugin's reference not in the lookup state: "service X for plugin Y: entity not found".
///
/// Returns the user's entities decK would change, or decK's error.
fn deck_stand_in(
    command: &str,
    file: &Value,
    gateway: &[GatewayEntity],
) -> Result<Vec<String>, String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let (verb, rest) = match words.as_slice() {
        ["deck", "gateway", verb, rest @ ..] => (*verb, rest),
        _ => return Err(format!("not a deck gateway command: {command}")),
    };
    assert!(
        verb == "sync" || verb == "apply",
        "unknown verb in {command}"
    );
    let mut flag_tags: Vec<String> = Vec::new();
    let mut it = rest.iter();
    while let Some(w) = it.next() {
        if *w == "--select-tag" {
            flag_tags.push(it.next().expect("a tag").to_string());
        }
    }
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array().map(|a| {
            let mut t: Vec<String> = a.iter().map(|s| s.as_str().unwrap().to_string()).collect();
            t.sort();
            t.dedup();
            t
        })
    };
    let info = &file["_info"];
    let mut select = strings(&info["select_tags"]).unwrap_or_default();
    flag_tags.sort();
    if !select.is_empty() && !flag_tags.is_empty() && select != flag_tags {
        return Err(
            "tags specified in the state file and via --select-tags flag are different".into(),
        );
    }
    if select.is_empty() {
        select = flag_tags;
    }
    let has_all =
        |e: &GatewayEntity, tags: &[String]| tags.iter().all(|t| e.tags.contains(&t.as_str()));
    let mut changed = Vec::new();
    for (kind, key) in [("service", "services"), ("route", "routes")] {
        let lookup = strings(&info["default_lookup_tags"][key]);
        if lookup.as_ref().is_some_and(Vec::is_empty) {
            return Err(format!("global {key} specified but no global tags"));
        }
        // The file's own entities of this kind: the looked-up ones (ours declares none).
        let mut known: Vec<&str> = Vec::new();
        if let Some(lookup) = &lookup {
            for e in gateway
                .iter()
                .filter(|e| e.kind == kind && has_all(e, lookup))
            {
                known.push(e.name);
                let mut tags: Vec<String> = e.tags.iter().map(|t| t.to_string()).collect();
                tags.sort();
                let merged = kind == "route" || &tags != lookup;
                if merged && select.iter().any(|t| !tags.contains(t)) {
                    changed.push(format!("{kind} {} gets tags {select:?}", e.name));
                }
            }
        }
        if verb == "apply" {
            known.extend(
                gateway
                    .iter()
                    .filter(|e| e.kind == kind && has_all(e, &select))
                    .map(|e| e.name),
            );
        }
        for p in file["plugins"].as_array().into_iter().flatten() {
            if let Some(name) = p[kind].as_str() {
                if !known.contains(&name) {
                    return Err(format!(
                        "{kind} {name} for plugin {}: entity not found",
                        p["name"].as_str().unwrap()
                    ));
                }
            }
        }
    }
    Ok(changed)
}

/// The command a decK file's header tells the user to run (`#   deck …`), for FILE.
fn header_command(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.trim_start_matches('#').trim_start().starts_with("deck "))
        .expect("the header names a deck command");
    let cmd = line.trim_start_matches('#').trim();
    let cmd = cmd.split("  (").next().unwrap().trim();
    assert!(cmd.ends_with(" this-file.yaml"), "{cmd}");
    cmd.to_string()
}

#[test]
#[ignore = "needs python3 with yaml, jsonschema and ../shared"]
fn deck_files_apply_on_their_own_with_the_command_their_header_prints() {
    let service = |tags: Vec<&'static str>| GatewayEntity {
        kind: "service",
        name: "orders",
        tags,
    };
    let route = GatewayEntity {
        kind: "route",
        name: "orders-api",
        tags: vec![],
    };
    for (version, deck_version) in [("2.8", "1.1"), ("3.4", "3.0")] {
        let deck = |extra: &[&str]| -> (String, Value) {
            let (code, out, err) = enable(
                &[
                    &[
                        "--service-url",
                        URL,
                        "--format",
                        "deck",
                        "--kong-version",
                        version,
                    ],
                    extra,
                ]
                .concat(),
            );
            assert_eq!(code, 0, "{err}");
            let doc = validate("deck", &out, deck_version)[0].clone();
            (header_command(&out), doc)
        };

        // The old header's command on a service-scoped file: decK's own error (issue 25).
        let (cmd, doc) = deck(&["--service", "orders"]);
        assert_eq!(
            deck_stand_in(
                "deck gateway sync --select-tag akto this-file.yaml",
                &doc,
                &[service(vec![])]
            ),
            Err("service orders for plugin akto-api-discovery: entity not found".to_string())
        );
        // The printed one resolves the service and changes nothing of the user's.
        assert_eq!(cmd, "deck gateway apply this-file.yaml");
        assert_eq!(deck_stand_in(&cmd, &doc, &[service(vec![])]), Ok(vec![]));

        let (cmd, doc) = deck(&["--route", "orders-api"]);
        assert_eq!(cmd, "deck gateway apply this-file.yaml");
        assert_eq!(
            deck_stand_in(&cmd, &doc, std::slice::from_ref(&route)),
            Ok(vec![])
        );

        // With the service's tags: a sync that finds it and leaves it as it is.
        let (cmd, doc) = deck(&["--service", "orders", "--deck-lookup-tag", "team-a"]);
        assert_eq!(cmd, "deck gateway sync this-file.yaml");
        assert_eq!(doc["_info"]["default_lookup_tags"]["services"][0], "team-a");
        assert_eq!(
            deck_stand_in(&cmd, &doc, &[service(vec!["team-a"])]),
            Ok(vec![])
        );
        // As the header warns: a service with more tags than listed would be retagged, and
        // one without the tag is not found.
        assert_eq!(
            deck_stand_in(&cmd, &doc, &[service(vec!["team-a", "prod"])]),
            Ok(vec!["service orders gets tags [\"akto\"]".to_string()])
        );
        assert!(deck_stand_in(&cmd, &doc, &[service(vec!["prod"])])
            .unwrap_err()
            .contains("entity not found"));

        // Global: nothing to resolve; sync manages the akto-tagged entities only.
        let (cmd, doc) = deck(&["--global"]);
        assert_eq!(cmd, "deck gateway sync this-file.yaml");
        assert_eq!(doc["_info"]["select_tags"][0], "akto");
        assert_eq!(
            deck_stand_in(&cmd, &doc, &[service(vec![]), route.clone()]),
            Ok(vec![])
        );
    }
}

#[test]
fn deck_lookup_tags_are_refused_where_deck_would_misuse_them() {
    for (args, problem) in [
        (vec!["--route", "orders-api"], "retag your route"),
        (vec!["--global"], "nothing to look up"),
        (vec!["--service", "orders"], "printable characters"),
    ] {
        let tag = if args[0] == "--service" {
            "a,b"
        } else {
            "team-a"
        };
        let (code, out, err) = enable(
            &[
                &[
                    "--service-url",
                    URL,
                    "--format",
                    "deck",
                    "--deck-lookup-tag",
                    tag,
                ],
                args.as_slice(),
            ]
            .concat(),
        );
        assert_eq!(code, 2, "{out}");
        assert!(
            err.contains("--deck-lookup-tag") && err.contains(problem),
            "{err}"
        );
        assert!(out.is_empty());
    }
}

/// Helm's `--reuse-values -f FILE`: the release's values with FILE's coalesced over them; maps
/// merge key by key, anything else (a list) is replaced whole (helm `pkg/chartutil` coalesce).
fn helm_reuse_values(base: &serde_yaml::Value, over: &serde_yaml::Value) -> serde_yaml::Value {
    match (base, over) {
        (serde_yaml::Value::Mapping(b), serde_yaml::Value::Mapping(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match b.get(k) {
                    Some(bv) => helm_reuse_values(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            serde_yaml::Value::Mapping(out)
        }
        (_, o) => o.clone(),
    }
}

#[test]
fn helm_values_over_a_release_that_mounts_another_plugin_keep_it() {
    let dir = tempfile::tempdir().unwrap();
    let base_text = "image:\n  tag: \"3.4\"\nplugins:\n  configMaps:\n    - pluginName: my-rate-limiter\n      name: kong-plugin-my-rate-limiter\n  secrets:\n    - pluginName: my-auth\n      name: kong-plugin-my-auth\n";
    let base_file = dir.path().join("current-values.yaml");
    std::fs::write(&base_file, base_text).unwrap();
    let base: serde_yaml::Value = serde_yaml::from_str(base_text).unwrap();
    let names = |v: &serde_yaml::Value, list: &str| -> Vec<String> {
        v["plugins"][list]
            .as_sequence()
            .map(|s| {
                s.iter()
                    .map(|e| e["pluginName"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let values_of = |out: &str| -> serde_yaml::Value {
        let first = out.split("\n---\n").next().unwrap();
        serde_yaml::from_str(first).unwrap()
    };

    // Without the release's values: the merged list would lose the other plugin, and the
    // command says so.
    let (code, out, err) = enable(&[
        "--service-url",
        URL,
        "--format",
        "helm",
        "--service",
        "orders",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("--base-values"), "{err}");
    let merged = helm_reuse_values(&base, &values_of(&out));
    assert_eq!(names(&merged, "configMaps"), ["akto-api-discovery"]);

    // With them: both ConfigMap plugins (and the Secret one, a list we do not touch).
    let (code, out, err) = enable(&[
        "--service-url",
        URL,
        "--format",
        "helm",
        "--service",
        "orders",
        "--base-values",
        base_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("--base-values"), "{err}");
    let merged = helm_reuse_values(&base, &values_of(&out));
    assert_eq!(
        names(&merged, "configMaps"),
        ["my-rate-limiter", "akto-api-discovery"]
    );
    assert_eq!(
        merged["plugins"]["configMaps"][0]["name"],
        "kong-plugin-my-rate-limiter"
    );
    assert_eq!(names(&merged, "secrets"), ["my-auth"]);
    assert_eq!(merged["image"]["tag"], "3.4");
    assert!(
        out.contains("keeps the release's other plugins (my-rate-limiter)"),
        "{out}"
    );

    // A file that is not values: exit 2, naming the flag, nothing printed.
    std::fs::write(&base_file, "plugins:\n  configMaps: nope\n").unwrap();
    let (code, out, err) = enable(&[
        "--service-url",
        URL,
        "--format",
        "helm",
        "--service",
        "orders",
        "--base-values",
        base_file.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("--base-values") && err.contains("not a list"),
        "{err}"
    );
}

#[test]
fn plugin_dir_must_hold_akto_api_discovery_when_it_is_here() {
    let dir = tempfile::tempdir().unwrap();
    // Hand-written stand-ins of the two folders of Akto's kong-integration repository.
    let api = dir.path().join("api_plugin");
    let other = dir.path().join("plugin");
    for (d, name, fields) in [
        (
            &api,
            "akto-api-discovery",
            "service_url, timeout, log_level",
        ),
        (
            &other,
            "akto-mcp-endpoint-shield",
            "service_url, mode, timeout",
        ),
    ] {
        std::fs::create_dir(d).unwrap();
        std::fs::write(
            d.join("schema.lua"),
            format!("-- fields: {fields}\nreturn {{\n  name = \"{name}\",\n  fields = {{}},\n}}\n"),
        )
        .unwrap();
        std::fs::write(d.join("handler.lua"), "return {}\n").unwrap();
    }
    for format in ["compose", "helm"] {
        let scope: &[&str] = if format == "helm" {
            &["--service-url", URL, "--service", "orders"]
        } else {
            &[]
        };
        let run = |d: &str| enable(&[&["--format", format, "--plugin-dir", d][..], scope].concat());
        let (code, out, err) = run(api.to_str().unwrap());
        assert_eq!(code, 0, "{format}: {err}");
        assert!(out.contains(api.to_str().unwrap()), "{format}: {out}");
        let (code, out, err) = run(other.to_str().unwrap());
        assert_eq!(code, 2, "{format}: {out}");
        assert!(out.is_empty());
        assert!(
            err.contains("--plugin-dir") && err.contains("akto-mcp-endpoint-shield"),
            "{format}: {err}"
        );
        // A path on the Kong host, not here: rendered, and said to be unchecked.
        let (code, _, err) = run("/srv/kong/plugins/akto");
        assert_eq!(code, 0, "{format}: {err}");
        assert!(
            err.contains("not a folder on this machine"),
            "{format}: {err}"
        );
    }
}
