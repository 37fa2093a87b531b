//! The generated curl script, run with bash and curl against the Kong Admin API stand-in
//! (`tests/conformance/kong_admin_standin.py`) as Kong 2.8, 3.0 and 3.4: enabling on each
//! scope, re-runs, a plugin made by the seed's POST, a plugin that is not installed, DB-less
//! Kong, tokens, paging.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use crate::common::{require_tool, test_file};
use crate::kong::{enable, scopes};

pub const INGEST: &str = "https://ingest.example.com:9091";
pub const VERSIONS: [&str; 3] = ["2.8.1", "3.0.1", "3.4.2"];
const SERVICE_ID: &str = "0b6f7c0e-2f3a-4c5d-8e9f-0a1b2c3d4e5f";
const ROUTE_ID: &str = "1c7a8d1f-3a4b-4d6e-9fa0-1b2c3d4e5f60";

pub fn require_standin_tools() {
    for t in ["bash", "curl", "python3"] {
        require_tool(t);
    }
}

/// A running stand-in; killed when dropped.
pub struct StandIn {
    child: Child,
    pub url: String,
    state: PathBuf,
    _dir: tempfile::TempDir,
}

impl StandIn {
    /// Starts the stand-in with its flags (`--version 2.8.1`, `--database off`, …) and, when
    /// given, plugins it already holds.
    pub fn start(flags: &[&str], preload: Option<&Value>) -> StandIn {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let mut cmd = Command::new("python3");
        cmd.arg(test_file("conformance/kong_admin_standin.py"))
            .arg(&state)
            .args(flags);
        if let Some(p) = preload {
            let f = dir.path().join("preload.json");
            std::fs::write(&f, p.to_string()).unwrap();
            cmd.arg("--preload").arg(f);
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("python3 runs");
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        assert!(!port.trim().is_empty(), "the stand-in did not start");
        StandIn {
            child,
            url: format!("http://127.0.0.1:{}", port.trim()),
            state,
            _dir: dir,
        }
    }

    pub fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.state).unwrap()).unwrap()
    }

    pub fn plugins(&self) -> Vec<Value> {
        self.state()["plugins"].as_array().unwrap().clone()
    }

    /// Requests other than GET.
    pub fn writes(&self) -> Vec<Value> {
        self.state()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] != "GET")
            .cloned()
            .collect()
    }

    /// Runs `curl ARGS… URL+path` (as a user following the seed would).
    pub fn curl(&self, args: &[&str], path: &str) -> String {
        let out = Command::new("curl")
            .args(["-s"])
            .args(args)
            .arg(format!("{}{path}", self.url))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a script with bash against the stand-in; returns (code, stdout, stderr).
fn run_script(script: &str, standin: &StandIn, token: Option<&str>) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enable.sh");
    std::fs::write(&path, script).unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(&path).env("KONG_ADMIN_URL", &standin.url);
    match token {
        Some(t) => cmd.env("KONG_ADMIN_TOKEN", t),
        None => cmd.env_remove("KONG_ADMIN_TOKEN"),
    };
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn script(scope_args: &[&str], url: &str) -> String {
    let (code, out, err) =
        enable(&[&["--service-url", url, "--format", "curl"], scope_args].concat());
    assert_eq!(code, 0, "{err}");
    out
}

/// The fixed plugin id written into a script.
fn script_plugin_id(script: &str) -> String {
    script
        .lines()
        .find_map(|l| l.strip_prefix("plugin_id='"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("plugin_id in the script")
        .to_string()
}

/// Plugins named akto-api-discovery.
fn akto(plugins: &[Value]) -> Vec<Value> {
    plugins
        .iter()
        .filter(|p| p["name"] == "akto-api-discovery")
        .cloned()
        .collect()
}

fn assert_on_scope(p: &Value, scope: &str, ctx: &str) {
    let (service, route) = match scope {
        "service" => (serde_json::json!({"id": SERVICE_ID}), Value::Null),
        "route" => (Value::Null, serde_json::json!({"id": ROUTE_ID})),
        _ => (Value::Null, Value::Null),
    };
    assert_eq!(p["service"], service, "{ctx}: {p}");
    assert_eq!(p["route"], route, "{ctx}: {p}");
    assert_eq!(p["consumer"], Value::Null, "{ctx}: {p}");
}

fn without_updated_at(mut v: Vec<Value>) -> Vec<Value> {
    for p in &mut v {
        p.as_object_mut().unwrap().remove("updated_at");
    }
    v
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn script_enables_on_every_scope_and_version_and_reruns_change_nothing() {
    require_standin_tools();
    for version in VERSIONS {
        for (scope, args) in scopes() {
            let ctx = format!("Kong {version}, {scope}");
            let standin = StandIn::start(&["--version", version], None);
            let text = script(&args, INGEST);
            let (code, out, err) = run_script(&text, &standin, None);
            assert_eq!(code, 0, "{ctx}: {err}");
            assert!(
                out.starts_with("enabled akto-api-discovery"),
                "{ctx}: {out}"
            );
            let plugins = akto(&standin.plugins());
            let [p] = plugins.as_slice() else {
                panic!("{ctx}: {plugins:?}")
            };
            assert_on_scope(p, scope, &ctx);
            assert_eq!(p["id"], script_plugin_id(&text), "{ctx}");
            assert_eq!(
                p["config"],
                serde_json::json!({"service_url": INGEST, "timeout": 30000, "log_level": "warn"}),
                "{ctx}"
            );
            let instance = match scope {
                "global" => "akto-api-discovery-global".to_string(),
                _ => format!("akto-api-discovery-{scope}-{}", args[1]),
            };
            if version.starts_with("3.4") {
                assert_eq!(p["instance_name"], instance.as_str(), "{ctx}");
            } else {
                assert!(p.get("instance_name").is_none(), "{ctx}: {p}");
            }

            // Second run: the same plugin, nothing changed, no duplicate, no POST.
            let before = without_updated_at(standin.plugins());
            let (code, out, err) = run_script(&text, &standin, None);
            assert_eq!(code, 0, "{ctx}: {err}");
            assert!(out.starts_with("re-applied"), "{ctx}: {out}");
            assert_eq!(without_updated_at(standin.plugins()), before, "{ctx}");
            // The first run creates with PUT; the second updates in place with PATCH.
            let writes = standin.writes();
            assert_eq!(writes.len(), 2, "{ctx}: {writes:?}");
            assert_eq!(writes[0]["method"], "PUT", "{ctx}: {writes:?}");
            assert_eq!(writes[1]["method"], "PATCH", "{ctx}: {writes:?}");
            for w in &writes {
                assert_eq!(w["status"], 200, "{ctx}: {writes:?}");
            }

            // A script made again with a new ingest URL changes that plugin, still only one.
            let (code, _, err) = run_script(&script(&args, "http://10.0.1.4:9091"), &standin, None);
            assert_eq!(code, 0, "{ctx}: {err}");
            let plugins = akto(&standin.plugins());
            assert_eq!(plugins.len(), 1, "{ctx}");
            assert_eq!(plugins[0]["id"], script_plugin_id(&text), "{ctx}");
            assert_eq!(
                plugins[0]["config"]["service_url"], "http://10.0.1.4:9091",
                "{ctx}"
            );
        }
    }
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn script_updates_the_plugin_made_by_the_seeds_post_in_place() {
    require_standin_tools();
    for version in VERSIONS {
        for (scope, args) in scopes() {
            let ctx = format!("Kong {version}, {scope}");
            let standin = StandIn::start(&["--version", version], None);
            // Step 2 of the seed, verbatim but for the names.
            let path = match scope {
                "service" => "/services/orders/plugins",
                "route" => "/routes/orders-api/plugins",
                _ => "/plugins",
            };
            let made = standin.curl(
                &[
                    "-X",
                    "POST",
                    "--data",
                    "name=akto-api-discovery",
                    "--data",
                    "config.service_url=http://10.0.1.4:9091",
                ],
                path,
            );
            let made: Value = serde_json::from_str(&made).unwrap();
            let id = made["id"]
                .as_str()
                .expect("POST created a plugin")
                .to_string();

            let (code, out, err) = run_script(&script(&args, INGEST), &standin, None);
            assert_eq!(code, 0, "{ctx}: {err}");
            assert!(out.contains("updated the existing"), "{ctx}: {out}");
            let plugins = akto(&standin.plugins());
            let [p] = plugins.as_slice() else {
                panic!("{ctx}: {plugins:?}")
            };
            assert_eq!(p["id"], id.as_str(), "{ctx}: updated in place");
            assert_eq!(p["created_at"], made["created_at"], "{ctx}");
            assert_eq!(p["config"]["service_url"], INGEST, "{ctx}");
            assert_on_scope(p, scope, &ctx);
            assert!(
                standin.writes().iter().all(|w| w["status"] != 409),
                "{ctx}: {:?}",
                standin.writes()
            );
        }
    }
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn script_stops_without_writing_when_the_plugin_is_not_installed() {
    require_standin_tools();
    for version in VERSIONS {
        let standin = StandIn::start(&["--version", version, "--not-installed"], None);
        let (code, out, err) =
            run_script(&script(&["--service", "orders"], INGEST), &standin, None);
        assert_ne!(code, 0, "{version}: {out}");
        assert!(err.contains("is not installed"), "{version}: {err}");
        assert!(
            err.contains("KONG_PLUGINS=bundled,akto-api-discovery")
                && err.contains("/usr/local/share/lua/5.1/kong/plugins/akto-api-discovery/"),
            "{version}: the install hint: {err}"
        );
        assert!(standin.writes().is_empty(), "{version}");
        assert!(standin.plugins().is_empty(), "{version}");
    }
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn script_stops_without_writing_on_dbless_kong_and_points_to_deck() {
    require_standin_tools();
    for version in VERSIONS {
        let standin = StandIn::start(&["--version", version, "--database", "off"], None);
        let (code, _, err) =
            run_script(&script(&["--route", "orders-api"], INGEST), &standin, None);
        assert_ne!(code, 0, "{version}");
        let minor = &version[..3];
        assert!(err.contains("DB-less"), "{version}: {err}");
        assert!(
            err.contains(&format!(
                "akto-connect kong enable --service-url '{INGEST}' --route 'orders-api' --format deck --kong-version {minor}"
            )),
            "{version}: {err}"
        );
        assert!(standin.writes().is_empty(), "{version}");
    }
    // A hybrid data plane is DB-less too, and is told to use the control plane.
    let standin = StandIn::start(&["--database", "off", "--role", "data_plane"], None);
    let (code, _, err) = run_script(&script(&["--global"], INGEST), &standin, None);
    assert_ne!(code, 0);
    assert!(err.contains("control plane"), "{err}");
    assert!(standin.writes().is_empty());
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn script_sends_the_token_from_the_environment_only() {
    require_standin_tools();
    let standin = StandIn::start(&["--token", "s3cr3t"], None);
    let text = script(&["--global"], INGEST);
    assert!(!text.contains("s3cr3t"));
    let (code, _, err) = run_script(&text, &standin, None);
    assert_ne!(code, 0);
    assert!(
        err.contains("HTTP 401") && err.contains("KONG_ADMIN_TOKEN"),
        "{err}"
    );
    let (code, _, err) = run_script(&text, &standin, Some("wrong"));
    assert_ne!(code, 0, "{err}");
    assert!(standin.writes().is_empty());
    let (code, _, err) = run_script(&text, &standin, Some("s3cr3t"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(akto(&standin.plugins()).len(), 1);
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn script_names_a_missing_service_and_an_unreachable_kong() {
    require_standin_tools();
    let standin = StandIn::start(&[], None);
    let (code, _, err) = run_script(&script(&["--service", "nosuch"], INGEST), &standin, None);
    assert_ne!(code, 0);
    assert!(err.contains("Kong has no service nosuch"), "{err}");
    assert!(standin.writes().is_empty());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enable.sh");
    std::fs::write(&path, script(&["--global"], INGEST)).unwrap();
    let out = Command::new("bash")
        .arg(&path)
        .env("KONG_ADMIN_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!(
            "cannot reach Kong's Admin API at http://127.0.0.1:{port}"
        )),
        "{err}"
    );
}

/// 1,200 other plugins on the scope first, then an akto-api-discovery plugin made earlier by
/// hand, as the last entry.
pub fn long_list(scope: &str) -> (Value, &'static str) {
    let service = match scope {
        "service" => json!({"id": SERVICE_ID}),
        _ => Value::Null,
    };
    let mut preload: Vec<Value> = (0..1200)
        .map(|i| {
            json!({"name": "cors", "service": service,
                   "route": {"id": format!("00000000-0000-4000-8000-{i:012}")}})
        })
        .collect();
    let earlier = "11111111-2222-4333-8444-555555555555";
    preload.push(
        json!({"id": earlier, "name": "akto-api-discovery", "service": service,
        "config": {"service_url": INGEST, "timeout": 30000, "log_level": "warn"}}),
    );
    (Value::Array(preload), earlier)
}

/// Requests for plugin list pages.
pub fn list_pages(standin: &StandIn) -> usize {
    standin.state()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().unwrap().contains("plugins?"))
        .count()
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn script_pages_through_a_long_plugin_list() {
    require_standin_tools();
    for (scope, args) in [
        ("global", vec!["--global"]),
        ("service", vec!["--service", "orders"]),
    ] {
        let (preload, earlier) = long_list(scope);
        let standin = StandIn::start(&[], Some(&preload));
        let (code, out, err) = run_script(&script(&args, "http://10.0.1.4:9091"), &standin, None);
        assert_eq!(code, 0, "{scope}: {err}");
        assert!(out.contains(earlier), "{scope}: {out}");
        let plugins = akto(&standin.plugins());
        assert_eq!(plugins.len(), 1, "{scope}: {plugins:?}");
        assert_eq!(plugins[0]["config"]["service_url"], "http://10.0.1.4:9091");
        // Kong's next link drops the size; the script asks for 1,000 again.
        assert_eq!(
            list_pages(&standin),
            2,
            "{scope}: 1,201 plugins are two pages of 1,000"
        );
    }
}

/// The stand-in refuses what Kong refuses: the old script's PUT by instance name and the
/// instance_name field before 3.2, a duplicate POST, writes in DB-less mode.
#[test]
#[ignore = "needs bash, curl and python3"]
fn standin_refuses_what_each_kong_version_refuses() {
    require_standin_tools();
    let body = r#"{"name":"akto-api-discovery","instance_name":"akto-x","config":{"service_url":"http://i:9091"}}"#;
    let status = |s: &StandIn, method: &str, path: &str, data: &str| {
        s.curl(
            &[
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                method,
                "-H",
                "Content-Type: application/json",
                "--data",
                data,
            ],
            path,
        )
    };
    for version in ["2.8.1", "3.0.1", "3.1.1"] {
        let s = StandIn::start(&["--version", version], None);
        assert_eq!(
            status(&s, "PUT", "/services/orders/plugins/akto-x", body),
            "400",
            "{version}"
        );
        assert_eq!(
            status(
                &s,
                "PUT",
                "/plugins/6a3183f2-f9a9-59b3-8533-6ad56c2a3a81",
                body
            ),
            "400",
            "{version}: instance_name is an unknown field"
        );
        assert!(s.plugins().is_empty());
    }
    let s = StandIn::start(&["--version", "3.2.0"], None);
    assert_eq!(
        status(&s, "PUT", "/services/orders/plugins/akto-x", body),
        "200"
    );
    assert_eq!(
        status(&s, "PUT", "/services/orders/plugins/akto-x", body),
        "200"
    );
    let plain = r#"{"name":"akto-api-discovery","config":{"service_url":"http://i:9091"}}"#;
    assert_eq!(status(&s, "POST", "/services/orders/plugins", plain), "409");
    assert_eq!(status(&s, "POST", "/consumers/c/plugins", plain), "404");
    assert_eq!(akto(&s.plugins()).len(), 1);
    let s = StandIn::start(&["--database", "off"], None);
    assert_eq!(status(&s, "POST", "/plugins", plain), "405");
}

#[test]
#[ignore = "needs bash, curl, python3 and shellcheck"]
fn scripts_pass_shellcheck_and_ids_match_an_independent_uuid5() {
    require_standin_tools();
    require_tool("shellcheck");
    for (scope, args) in scopes() {
        let text = script(&args, INGEST);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("enable.sh");
        std::fs::write(&path, &text).unwrap();
        let out = Command::new("shellcheck").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{scope}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        // Python's uuid5 over the documented key: "{kind}\n{name}\n{instance}".
        let name = args.get(1).copied().unwrap_or("");
        let instance = match scope {
            "global" => "akto-api-discovery-global".to_string(),
            _ => format!("akto-api-discovery-{scope}-{name}"),
        };
        let py = Command::new("python3")
            .args([
                "-c",
                "import sys, uuid; print(uuid.uuid5(uuid.UUID('5b0e8a52-6c1f-4e7a-9d3b-2f4c8a1e7d90'), sys.argv[1]))",
                &format!("{scope}\n{name}\n{instance}"),
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&py.stdout).trim(),
            script_plugin_id(&text),
            "{scope}"
        );
    }
}

#[test]
#[ignore = "needs bash, curl and python3"]
fn an_instance_name_taken_elsewhere_is_explained() {
    require_standin_tools();
    // On 3.2+, instance names are unique: one on the route already holds the service's name.
    let taken = json!([{"name": "akto-api-discovery", "route": {"id": ROUTE_ID},
        "instance_name": "akto-api-discovery-service-orders",
        "config": {"service_url": INGEST, "timeout": 30000, "log_level": "warn"}}]);
    let standin = StandIn::start(&["--version", "3.4.2"], Some(&taken));
    let (code, _, err) = run_script(&script(&["--service", "orders"], INGEST), &standin, None);
    assert_ne!(code, 0);
    assert!(
        err.contains("HTTP 409") && err.contains("--instance-name"),
        "{err}"
    );
    assert_eq!(akto(&standin.plugins()).len(), 1);
    let (code, out, err) = run_script(
        &script(
            &["--service", "orders", "--instance-name", "akto-orders"],
            INGEST,
        ),
        &standin,
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("enabled"), "{out}");
    assert_eq!(akto(&standin.plugins()).len(), 2);
}

/// What the script's PATCH must keep: a plugin made in Kong Manager with tags, protocols, an
/// instance name, and switched off. The script enables it again and says so; only an explicit
/// `--instance-name` renames it.
#[test]
#[ignore = "needs bash, curl and python3"]
fn script_keeps_tags_protocols_and_instance_name_and_says_when_it_re_enables() {
    require_standin_tools();
    let made = "22222222-3333-4444-8555-666666666666";
    let tags = json!(["team-a", "ünï \"q\" \\ 日本"]);
    for version in VERSIONS {
        let ctx = format!("Kong {version}");
        let mut plugin = json!({"id": made, "name": "akto-api-discovery",
            "service": {"id": SERVICE_ID}, "enabled": false, "tags": tags,
            "protocols": ["https"],
            "config": {"service_url": "http://10.0.1.4:9091", "timeout": 30000, "log_level": "warn"}});
        if version.starts_with("3.4") {
            plugin["instance_name"] = json!("akto-by-hand");
        }
        let standin = StandIn::start(&["--version", version], Some(&json!([plugin])));
        let (code, out, err) =
            run_script(&script(&["--service", "orders"], INGEST), &standin, None);
        assert_eq!(code, 0, "{ctx}: {err}");
        assert!(
            out.contains("updated the existing")
                && out.contains("note: the plugin was disabled; it is enabled again"),
            "{ctx}: {out}"
        );
        let plugins = akto(&standin.plugins());
        let [p] = plugins.as_slice() else {
            panic!("{ctx}: {plugins:?}")
        };
        assert_eq!(p["id"], made, "{ctx}");
        assert_eq!(p["enabled"], true, "{ctx}");
        assert_eq!(p["tags"], tags, "{ctx}: tags kept");
        assert_eq!(p["protocols"], json!(["https"]), "{ctx}: protocols kept");
        assert_eq!(p["config"]["service_url"], INGEST, "{ctx}");
        assert_eq!(standin.writes()[0]["method"], "PATCH", "{ctx}");
        if version.starts_with("3.4") {
            assert_eq!(
                p["instance_name"], "akto-by-hand",
                "{ctx}: a name set by hand is kept"
            );
            // --instance-name given: that name is what the user asks for.
            let (code, out, err) = run_script(
                &script(
                    &["--service", "orders", "--instance-name", "akto-orders"],
                    INGEST,
                ),
                &standin,
                None,
            );
            assert_eq!(code, 0, "{ctx}: {err}");
            assert!(!out.contains("was disabled"), "{ctx}: {out}");
            let plugins = akto(&standin.plugins());
            assert_eq!(plugins.len(), 1, "{ctx}");
            assert_eq!(plugins[0]["instance_name"], "akto-orders", "{ctx}");
            assert_eq!(plugins[0]["tags"], tags, "{ctx}");
        } else {
            assert!(p.get("instance_name").is_none(), "{ctx}: {p}");
        }
    }
}

/// A small deterministic generator (no test may depend on luck).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % below as u64) as usize
    }
}

/// Strings that trouble a hand-written JSON reader: quotes, backslashes, `\/`, unicode,
/// control characters, text that looks like the reader's own paths, and strings longer than
/// its 512-byte chunks with an escape across the boundary.
fn tricky_string(rng: &mut Lcg) -> String {
    const PIECES: [&str; 12] = [
        "akto-api-discovery",
        "\"name\":\"akto-api-discovery\"",
        "\\",
        "\\\"",
        "/data/0/name\t\"akto-api-discovery",
        "日本語 ünïcödé 🚀",
        "\n\r\t\u{1}",
        "{[,:]}",
        "\"",
        "/",
        "null",
        "\u{2028}",
    ];
    let mut s = String::new();
    if rng.next(4) == 0 {
        s.push_str(&"x".repeat(505 + rng.next(10)));
    }
    for _ in 0..rng.next(5) {
        s.push_str(PIECES[rng.next(PIECES.len())]);
    }
    s
}

/// Plugins that must never be picked for `scope`: the right name on another scope or with a
/// consumer, near-miss names, and the right name nested inside another plugin's config.
fn decoy(rng: &mut Lcg, scope: &str, n: usize) -> Value {
    let service = json!({"id": SERVICE_ID});
    let route = json!({"id": ROUTE_ID});
    let consumer = json!({"id": "33333333-4444-4555-8666-777777777777"});
    let (name, svc, rt, cons) = match rng.next(6) {
        // The right name, the wrong scope.
        0 => match scope {
            "service" => (
                "akto-api-discovery".to_string(),
                Value::Null,
                route,
                Value::Null,
            ),
            "route" => (
                "akto-api-discovery".to_string(),
                service,
                Value::Null,
                Value::Null,
            ),
            _ => (
                "akto-api-discovery".to_string(),
                service,
                Value::Null,
                Value::Null,
            ),
        },
        // The right name and scope, plus a consumer or (Kong 3.4+) a consumer group.
        1 => {
            let (s, r) = match scope {
                "service" => (service, Value::Null),
                "route" => (Value::Null, route),
                _ => (Value::Null, Value::Null),
            };
            let n = format!("00000000-1111-4222-8333-{n:012}");
            if rng.next(2) == 0 {
                ("akto-api-discovery".to_string(), s, r, consumer)
            } else {
                return json!({"id": n, "name": "akto-api-discovery", "service": s, "route": r,
                    "consumer": null, "consumer_group": {"id": "55555555-6666-4777-8888-999999999999"},
                    "config": {"service_url": "http://decoy:1", "timeout": 1, "log_level": "warn"}});
            }
        }
        // Near-miss names on the right scope.
        k => {
            let names = [
                "akto-api-discovery-x",
                "Akto-api-discovery",
                "akto-api-discovery ",
                "xakto-api-discovery",
                "akto-api-discovery\"",
                "akto-api-discovery\\",
            ];
            let (s, r) = match scope {
                "service" => (service, Value::Null),
                "route" => (Value::Null, route),
                _ => (Value::Null, Value::Null),
            };
            let _ = k;
            (names[rng.next(names.len())].to_string(), s, r, Value::Null)
        }
    };
    let fake = format!("99999999-0000-4000-8000-{n:012}");
    json!({
        "id": format!("00000000-1111-4222-8333-{n:012}"),
        "name": name, "service": svc, "route": rt, "consumer": cons,
        "tags": [tricky_string(rng), tricky_string(rng)],
        "config": {
            "name": "akto-api-discovery", "id": fake, "service": null, "route": null,
            "note": tricky_string(rng),
            "nested": {"data": [{"name": "akto-api-discovery", "id": fake}],
                       "deep": [[[{"x": tricky_string(rng)}]], [], {}], "n": -1.5e3, "t": true}
        }
    })
}

/// Light fuzzing of the script's awk JSON reader through the stand-in (which writes JSON as
/// Kong does: raw UTF-8, `\/`): among hundreds of tricky neighbours, the plugin on exactly
/// the scope is the one updated, every time, and no other plugin changes.
#[test]
#[ignore = "needs bash, curl and python3"]
fn script_never_picks_the_wrong_plugin_among_tricky_neighbours() {
    require_standin_tools();
    for seed in 1..=6u64 {
        let mut rng = Lcg(seed);
        for (scope, args) in scopes() {
            let ctx = format!("seed {seed}, {scope}");
            let count = 40 + rng.next(160);
            let mut list: Vec<Value> = (0..count).map(|n| decoy(&mut rng, scope, n)).collect();
            let target_id = "44444444-5555-4666-8777-888888888888";
            let (svc, rt) = match scope {
                "service" => (json!({"id": SERVICE_ID}), Value::Null),
                "route" => (Value::Null, json!({"id": ROUTE_ID})),
                _ => (Value::Null, Value::Null),
            };
            let target = json!({"id": target_id, "name": "akto-api-discovery",
                "service": svc, "route": rt, "tags": [tricky_string(&mut rng)],
                "config": {"service_url": "http://10.0.1.4:9091", "timeout": 30000, "log_level": "warn"}});
            let at = rng.next(list.len() + 1);
            list.insert(at, target);
            let standin = StandIn::start(&["--version", "3.4.2"], Some(&Value::Array(list)));
            let before = standin.plugins();
            let (code, out, err) = run_script(&script(&args, INGEST), &standin, None);
            assert_eq!(code, 0, "{ctx}: {err}");
            assert!(out.contains(target_id), "{ctx}: {out}");
            let writes = standin.writes();
            assert_eq!(writes.len(), 1, "{ctx}: {writes:?}");
            assert!(
                writes[0]["path"].as_str().unwrap().ends_with(target_id),
                "{ctx}: {writes:?}"
            );
            let after = standin.plugins();
            assert_eq!(after.len(), before.len(), "{ctx}");
            for (b, a) in before.iter().zip(&after) {
                if b["id"] == target_id {
                    assert_eq!(a["config"]["service_url"], INGEST, "{ctx}");
                    assert_eq!(a["tags"], b["tags"], "{ctx}");
                } else {
                    assert_eq!(a, b, "{ctx}: a neighbour changed");
                }
            }
        }
    }
}

/// The DB-less stop prints the decK command on a line of its own; pasted into a shell as is,
/// it writes a decK file with the script's own settings for the Kong that answered.
#[test]
#[ignore = "needs bash, curl and python3"]
fn the_dbless_hint_runs_as_printed() {
    require_standin_tools();
    let standin = StandIn::start(&["--version", "2.8.1", "--database", "off"], None);
    let text = script(
        &[
            "--service",
            "orders",
            "--timeout",
            "5000",
            "--log-level",
            "info",
            "--instance-name",
            "akto-orders",
        ],
        "https://ingest.example.com/a&b;c",
    );
    let (code, _, err) = run_script(&text, &standin, None);
    assert_ne!(code, 0);
    let line = err
        .lines()
        .find(|l| l.trim_start().starts_with("akto-connect "))
        .unwrap_or_else(|| panic!("no command line: {err}"));
    assert!(line.ends_with("> akto.yaml"), "{line}");
    let dir = tempfile::tempdir().unwrap();
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_akto-connect"));
    let path = format!(
        "{}:{}",
        exe.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-c", line])
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("AKTO_INGEST_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deck: Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.path().join("akto.yaml")).unwrap())
            .unwrap();
    assert_eq!(deck["_format_version"], "1.1", "Kong 2.8: {deck}");
    let p = &deck["plugins"][0];
    assert_eq!(p["service"], "orders");
    assert_eq!(
        p["config"],
        json!({"service_url": "https://ingest.example.com/a&b;c", "timeout": 5000, "log_level": "info"})
    );
    assert!(p.get("instance_name").is_none(), "Kong 2.8: {p}");
}

/// Kong Enterprise workspaces: `--workspace` prefixes the plugin paths (GET / stays at the
/// root), the plugin lands in that workspace only, with an id of its own (ids are unique
/// across workspaces), and a re-run updates it. A workspace put in the URL is explained.
#[test]
#[ignore = "needs bash, curl and python3"]
fn script_enables_in_a_kong_enterprise_workspace() {
    require_standin_tools();
    let standin = StandIn::start(&["--workspace", "team-a"], None);
    // The default workspace already has the plugin on its own service "orders".
    let (code, _, err) = run_script(&script(&["--service", "orders"], INGEST), &standin, None);
    assert_eq!(code, 0, "{err}");
    let in_ws = || akto(standin.state()["workspaces"]["team-a"].as_array().unwrap());
    assert!(in_ws().is_empty());
    let text = script(
        &["--service", "orders", "--workspace", "team-a"],
        "http://10.0.1.4:9091",
    );
    for run in ["first", "second"] {
        let (code, out, err) = run_script(&text, &standin, None);
        assert_eq!(code, 0, "{run}: {err}");
        assert!(out.contains("plugin id"), "{run}: {out}");
        let ws = in_ws();
        assert_eq!(ws.len(), 1, "{run}: {ws:?}");
        assert_eq!(ws[0]["config"]["service_url"], "http://10.0.1.4:9091");
        assert_eq!(ws[0]["id"], script_plugin_id(&text), "{run}");
        let default = akto(&standin.plugins());
        assert_eq!(default.len(), 1, "{run}");
        assert_eq!(
            default[0]["config"]["service_url"], INGEST,
            "{run}: untouched"
        );
        assert_ne!(default[0]["id"], ws[0]["id"]);
    }
    let paths: Vec<String> = standin.state()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r["method"], r["path"]).replace('"', ""))
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("PATCH /team-a/services/orders/plugins/")),
        "{paths:?}"
    );
    // A service that is not in the workspace is named with the workspace.
    let (code, _, err) = run_script(
        &script(&["--service", "nosuch", "--workspace", "team-a"], INGEST),
        &standin,
        None,
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("Kong has no service nosuch in workspace team-a"),
        "{err}"
    );
    // The workspace in the URL: GET /team-a/ is no Admin API root; the message says where
    // the workspace goes.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enable.sh");
    std::fs::write(&path, script(&["--service", "orders"], INGEST)).unwrap();
    let out = Command::new("bash")
        .arg(&path)
        .env("KONG_ADMIN_URL", format!("{}/team-a", standin.url))
        .env_remove("KONG_ADMIN_TOKEN")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--workspace NAME"), "{err}");
}

/// Paging in a workspace: Kong's next link carries no workspace, so following it as given
/// would read the default workspace's next page; the script keeps to its own path.
#[test]
#[ignore = "needs bash, curl and python3"]
fn script_pages_inside_its_workspace() {
    require_standin_tools();
    let akto_global = |id: &str, ws: &str| {
        json!({"id": id, "_workspace": ws, "name": "akto-api-discovery",
               "config": {"service_url": "http://10.0.1.4:9091", "timeout": 30000, "log_level": "warn"}})
    };
    let cors = |i: usize, ws: &str| {
        json!({"name": "cors", "_workspace": ws,
               "route": {"id": format!("00000000-0000-4000-8000-{i:012}")}})
    };
    // Each workspace: 1,000 cors plugins, then its own global akto plugin on page two.
    let (mine, theirs) = (
        "11111111-2222-4333-8444-555555555555",
        "66666666-7777-4888-8999-000000000000",
    );
    let mut preload: Vec<Value> = Vec::new();
    for (ws, id) in [("default", theirs), ("team-a", mine)] {
        preload.extend((0..1000).map(|i| cors(i, ws)));
        preload.push(akto_global(id, ws));
    }
    let standin = StandIn::start(&["--workspace", "team-a"], Some(&Value::Array(preload)));
    let text = script(&["--global", "--workspace", "team-a"], INGEST);
    let (code, out, err) = run_script(&text, &standin, None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(mine), "{out}");
    let ws = akto(standin.state()["workspaces"]["team-a"].as_array().unwrap());
    assert_eq!(ws.len(), 1);
    assert_eq!(ws[0]["config"]["service_url"], INGEST);
    let default = akto(&standin.plugins());
    assert_eq!(
        default[0]["config"]["service_url"], "http://10.0.1.4:9091",
        "untouched"
    );
    assert_eq!(list_pages(&standin), 2);
}
