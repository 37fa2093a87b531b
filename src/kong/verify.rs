//! `kong verify`: the checklist, judged from Admin API answers (the network calls live in
//! `app::kong_verify`), in the one check model (`crate::check`). Each check holds, fails (with
//! the fix), warns (holds unless `--strict`: right in some set-ups, wrong in others) or is
//! skipped because an earlier one failed. Check ids: `admin-api`, `kong`, `plugin-installed`,
//! `instance`, `service-url`.

use serde_json::json;

use super::admin::{FoundPlugin, NodeInfo};
use super::{Scope, PLUGIN, PLUGIN_PATH};
use crate::check::{Check, Report};
use crate::http_url::BaseUrl;

/// The ids of the checks, in the order they run.
pub const CHECK_IDS: [&str; 5] = [
    "admin-api",
    "kong",
    "plugin-installed",
    "instance",
    "service-url",
];

/// The whole checklist as a report: its title names the Admin API and the scope.
pub fn report(
    admin_url: &str,
    scope: &Scope,
    workspace: Option<&str>,
    checks: Vec<Check>,
    strict: bool,
) -> Report {
    let scope = match workspace {
        Some(ws) => format!("{} in workspace {ws}", scope.label()),
        None => scope.label(),
    };
    let mut context = serde_json::Map::new();
    context.insert("admin_url".into(), json!(admin_url));
    context.insert("scope".into(), json!(scope));
    Report {
        title: format!("Kong Admin API {admin_url}, {PLUGIN} on {scope}"),
        checks,
        strict,
        context,
        ..Report::default()
    }
}

/// The Admin API answered `GET /` with `status`.
pub fn admin_api(status: u16, token_sent: bool) -> Check {
    const ID: &str = "admin-api";
    match status {
        200..=299 => Check::ok(
            ID,
            if token_sent {
                "Admin API reachable (token from KONG_ADMIN_TOKEN accepted)"
            } else {
                "Admin API reachable (no KONG_ADMIN_TOKEN set, none needed)"
            },
        ),
        401 | 403 if token_sent => Check::fail(
            ID,
            format!("the Admin API refused the token from KONG_ADMIN_TOKEN (HTTP {status})"),
            "set KONG_ADMIN_TOKEN to a valid admin token (RBAC user token) for this Kong",
        ),
        401 | 403 => Check::fail(
            ID,
            format!("the Admin API requires authentication (HTTP {status})"),
            "export KONG_ADMIN_TOKEN=<admin token>: it is sent as Kong-Admin-Token",
        ),
        404 => Check::fail(
            ID,
            "GET / answered 404: this URL is not Kong's Admin API",
            "point --admin-url at the Admin API (port 8001, or 8444 for TLS), not the proxy (8000)",
        ),
        s => Check::fail(
            ID,
            format!("GET / answered HTTP {s}"),
            "check that --admin-url is Kong's Admin API and that Kong is healthy",
        ),
    }
}

/// Version and mode from `GET /`.
pub fn node(info: &NodeInfo) -> Check {
    const ID: &str = "kong";
    let mode = match (info.database.as_deref(), info.role.as_deref()) {
        (Some("off"), Some("data_plane")) => "hybrid data plane (no database)".to_string(),
        (Some("off"), _) => "DB-less (database = off: configure it declaratively)".to_string(),
        (Some(db), Some("control_plane")) => format!("hybrid control plane, database {db}"),
        (Some(db), _) => format!("database {db}"),
        (None, _) => "database mode not shown".to_string(),
    };
    match info.parsed {
        Some(v) if v.major >= 2 => Check::ok(ID, format!("Kong {}, {mode}", info.version)),
        Some(_) => Check::fail(
            ID,
            format!("Kong {} is older than 2.0", info.version),
            "the akto-api-discovery plugin needs Kong Gateway 2.0 or later: upgrade Kong",
        ),
        None => Check::fail(
            ID,
            format!("cannot read Kong's version {:?}", info.version),
            "check that --admin-url is Kong's Admin API",
        ),
    }
}

/// Whether the plugin is installed (`plugins.available_on_server`).
pub fn installed(info: &NodeInfo) -> Check {
    const ID: &str = "plugin-installed";
    if info.plugin_installed {
        Check::ok(
            ID,
            format!("{PLUGIN} is installed (plugins.available_on_server)"),
        )
    } else {
        Check::fail(
            ID,
            format!("{PLUGIN} is not installed: it is not in plugins.available_on_server"),
            format!("copy handler.lua and schema.lua to {PLUGIN_PATH}/, set KONG_PLUGINS=bundled,{PLUGIN} (keep your other plugins), restart Kong; `akto-connect kong enable --format compose` or `--format helm` writes that set-up"),
        )
    }
}

/// The config fields of Akto's akto-api-discovery (`api_plugin/schema.lua`).
pub const PLUGIN_FIELDS: [&str; 3] = ["service_url", "timeout", "log_level"];

/// The names of the `config` record's fields in a `GET /schemas/plugins/{name}` answer
/// (`{"fields": [{"protocols": …}, {"config": {"type": "record", "fields": [{"service_url": …}]}}]}`).
pub fn schema_config_fields(schema: &serde_json::Value) -> Option<Vec<String>> {
    let config = schema["fields"]
        .as_array()?
        .iter()
        .find_map(|f| f.get("config"))?;
    Some(
        config["fields"]
            .as_array()?
            .iter()
            .filter_map(|f| f.as_object().and_then(|o| o.keys().next().cloned()))
            .collect(),
    )
}

/// `plugin-installed`, refined by the plugin's live schema (`GET /schemas/plugins/{PLUGIN}`:
/// its status and answer): a plugin loaded under Akto's name whose config lacks Akto's fields
/// is another plugin's files at Akto's path.
pub fn installed_with_schema(
    info: &NodeInfo,
    schema: Option<(u16, Option<&serde_json::Value>)>,
) -> Check {
    let base = installed(info);
    if base.status != crate::check::Status::Ok {
        return base;
    }
    const ID: &str = "plugin-installed";
    let Some((status, body)) = schema else {
        return base;
    };
    let fields = match (status, body.and_then(schema_config_fields)) {
        (200, Some(f)) => f,
        (s, _) => {
            return Check::warn(
                ID,
                format!("{PLUGIN} is installed, but GET /schemas/plugins/{PLUGIN} answered HTTP {s} without its config schema"),
                "check the Admin API answers GET /schemas/plugins/akto-api-discovery (Kong 2.x and 3.x do)",
            )
        }
    };
    let missing: Vec<&str> = PLUGIN_FIELDS
        .iter()
        .copied()
        .filter(|f| !fields.iter().any(|g| g == f))
        .collect();
    if missing.is_empty() {
        Check::ok(
            ID,
            format!(
                "{PLUGIN} is installed (plugins.available_on_server), its schema has {}",
                PLUGIN_FIELDS.join(", ")
            ),
        )
    } else {
        Check::fail(
            ID,
            format!(
                "Kong loads a plugin named {PLUGIN} whose config has {} and lacks {}: these are another plugin's files (Akto's kong-integration repository's plugin/ folder is akto-mcp-endpoint-shield)",
                fields.join(", "),
                missing.join(", ")
            ),
            format!("put the api_plugin/ files (schema.lua says name = \"{PLUGIN}\") in {PLUGIN_PATH}/ and restart Kong"),
        )
    }
}

/// What `instance` needs to write the command that fixes a missing or disabled plugin.
pub struct EnableHint<'a> {
    /// `--service-url` given to verify; else a placeholder.
    pub service_url: Option<&'a BaseUrl>,
    pub workspace: Option<&'a str>,
    /// DB-less Kong: the decK command for this Kong version instead of the script.
    pub dbless: Option<Option<super::KongVersion>>,
}

/// The instance on the scope: present and enabled.
pub fn instance(found: Option<&FoundPlugin>, scope: &Scope, hint: &EnableHint) -> Check {
    use crate::render::sh_quote;
    const ID: &str = "instance";
    let mut args = match hint.service_url {
        Some(u) => format!("--service-url {}", sh_quote(u.as_str())),
        None => "--service-url <ingest URL>".to_string(),
    };
    match scope.name() {
        Some(n) => args.push_str(&format!(" {} {}", scope.flag(), sh_quote(n))),
        None => args.push_str(" --global"),
    }
    let enable = match hint.dbless {
        Some(version) => format!(
            "akto-connect kong enable {args} --format deck{} > akto.yaml, then merge its plugins entry into the declarative file Kong loads and reload Kong (DB-less: the Admin API refuses writes)",
            version.map(|v| format!(" --kong-version {v}")).unwrap_or_default()
        ),
        None => format!(
            "akto-connect kong enable {args}{} --format curl | bash",
            hint.workspace
                .map(|w| format!(" --workspace {w}"))
                .unwrap_or_default()
        ),
    };
    match found {
        None => Check::fail(
            ID,
            format!("no {PLUGIN} plugin on {}", scope.label()),
            enable,
        ),
        Some(p) if !p.enabled => Check::fail(
            ID,
            format!("{PLUGIN} on {} (id {}) is disabled", scope.label(), p.id),
            enable,
        ),
        Some(p) => Check::ok(
            ID,
            format!(
                "{PLUGIN} on {} is enabled (id {}{})",
                scope.label(),
                p.id,
                p.instance_name
                    .as_deref()
                    .map(|n| format!(", instance_name {n}"))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// `config.service_url`: as expected (when given), and not a loopback address.
pub fn service_url(found: &FoundPlugin, expected: Option<&BaseUrl>) -> Check {
    const ID: &str = "service-url";
    let Some(actual) = found.service_url.as_deref() else {
        return Check::fail(
            ID,
            "the plugin has no config.service_url",
            "re-run akto-connect kong enable with --service-url",
        );
    };
    if let Some(want) = expected {
        if actual.trim_end_matches('/') != want.as_str() {
            return Check::fail(
                ID,
                format!("service_url is {actual}, expected {}", want.as_str()),
                format!(
                    "re-run akto-connect kong enable --service-url {} with the same scope",
                    want.as_str()
                ),
            );
        }
    }
    match BaseUrl::parse("config.service_url", actual) {
        // Right when Kong and the ingest service share a host without containers; wrong when
        // Kong runs in a container or pod. The Admin API cannot tell which, so a warning.
        Ok(url) if url.is_loopback() => Check::warn(
            ID,
            format!("service_url {actual} is a loopback address: right only if Kong runs on the ingest service's host outside a container; in a container or pod it reaches Kong itself"),
            "if Kong runs in a container or pod, re-run akto-connect kong enable with an address Kong can reach (the ingest host's IP, its Compose service name or its cluster DNS name)",
        ),
        Ok(_) => Check::ok(ID, format!("service_url {actual}")),
        Err(e) => Check::fail(
            ID,
            format!("service_url {actual} is not a usable base URL ({})", e.problem),
            "re-run akto-connect kong enable with a valid --service-url",
        ),
    }
}

#[cfg(test)]
mod schema_tests {
    use super::*;

    #[test]
    fn config_fields_of_a_plugin_schema() {
        let schema = json!({"fields": [{"protocols": {}}, {"config": {"type": "record", "fields": [{"service_url": {}}, {"mode": {}}]}}]});
        assert_eq!(
            schema_config_fields(&schema).unwrap(),
            ["service_url", "mode"]
        );
        assert!(schema_config_fields(&json!({"message": "No plugin"})).is_none());
    }
}
