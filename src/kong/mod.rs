//! Kong: enabling Akto's `akto-api-discovery` plugin in the form a Kong user deploys with (an
//! Admin API script, decK, Kong Ingress Controller resources, a Compose override, Helm values),
//! and judging a running Kong for `kong verify`.
//!
//! The model is checked here; the templates in `templates/kong/` only place checked values,
//! each escaped for its context (shell word, JSON, YAML scalar). Versions and modes follow
//! DESIGN §5: a plugin id that is a UUID v5 of scope and instance name upserts on every Kong
//! since 2.0; `instance_name` only from 3.2; decK `_format_version` "1.1" before 3.0.
//!
//! Submodules: `version` (what each Kong accepts), `flags` (which flag each format uses),
//! `compose` (the user's `KONG_PLUGINS`), `helm_values` (the release's `plugins.configMaps`), `plugin_files` (the name a
//! `schema.lua` declares), `admin` (reading Admin API answers), `verify` (the
//! checklist).

use serde::Serialize;
use uuid::Uuid;

use crate::error::{check_path_arg, refuse};
use crate::http_url::BaseUrl;
use crate::k8s::check_k8s_name;
use crate::render::{self, Artifact, Rendered, Syntax};

pub mod admin;
pub mod compose;
pub mod flags;
pub mod helm_values;
pub mod plugin_files;
pub mod verify;
pub mod version;

pub use version::KongVersion;

/// The plugin's name, as Kong knows it.
pub const PLUGIN: &str = "akto-api-discovery";
/// Where Kong looks for the plugin's Lua files.
pub const PLUGIN_PATH: &str = "/usr/local/share/lua/5.1/kong/plugins/akto-api-discovery";

/// The UUID namespace of plugin ids (fixed for ever: changing it would make every re-run
/// create a second plugin instead of updating the first).
pub const ID_NAMESPACE: Uuid = Uuid::from_u128(0x5b0e_8a52_6c1f_4e7a_9d3b_2f4c_8a1e_7d90);

/// Where the plugin runs: the seed's three scopes (Akto's plugin takes no consumer scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Service(String),
    Route(String),
    Global,
}

impl Scope {
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Service(_) => "service",
            Scope::Route(_) => "route",
            Scope::Global => "global",
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Scope::Service(n) | Scope::Route(n) => Some(n),
            Scope::Global => None,
        }
    }

    pub fn flag(&self) -> &'static str {
        match self {
            Scope::Service(_) => "--service",
            Scope::Route(_) => "--route",
            Scope::Global => "--global",
        }
    }

    /// The Admin API path of the scope's plugins: `/services/orders/plugins`, `/plugins`.
    pub fn plugins_path(&self) -> String {
        match self {
            Scope::Service(n) => format!("/services/{n}/plugins"),
            Scope::Route(n) => format!("/routes/{n}/plugins"),
            Scope::Global => "/plugins".to_string(),
        }
    }

    /// `service orders`, `route orders-api`, `all traffic (global)`.
    pub fn label(&self) -> String {
        match self.name() {
            Some(n) => format!("{} {n}", self.kind()),
            None => "all traffic (global)".to_string(),
        }
    }
}

/// The plugin id for a scope and instance name: UUID v5 in [`ID_NAMESPACE`] of
/// `"{kind}\n{name}\n{instance}"` (`name` empty for global), preceded by `"{workspace}\n"` in a
/// Kong Enterprise workspace other than `default` (plugin ids are unique across workspaces). A
/// PUT to this id upserts on every Kong since 2.0, so re-runs update the same plugin.
pub fn plugin_id(workspace: Option<&str>, scope: &Scope, instance: &str) -> Uuid {
    let mut key = format!(
        "{}\n{}\n{instance}",
        scope.kind(),
        scope.name().unwrap_or("")
    );
    if let Some(ws) = workspace {
        key = format!("{ws}\n{key}");
    }
    Uuid::new_v5(&ID_NAMESPACE, key.as_bytes())
}

/// `--workspace`: `None` for the default workspace.
pub fn workspace_prefix(workspace: Option<&str>) -> String {
    workspace.map(|w| format!("/{w}")).unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Curl,
    Deck,
    Kic,
    Compose,
    Helm,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Curl,
        Format::Deck,
        Format::Kic,
        Format::Compose,
        Format::Helm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Curl => "curl",
            Format::Deck => "deck",
            Format::Kic => "kic",
            Format::Compose => "compose",
            Format::Helm => "helm",
        }
    }

    /// Formats whose names become Kubernetes object names.
    fn is_kubernetes(self) -> bool {
        matches!(self, Format::Kic | Format::Helm)
    }
}

/// The plugin instance: what curl, decK, KIC and Helm configure.
#[derive(Debug, Clone)]
pub struct PluginSetup {
    pub service_url: BaseUrl,
    pub scope: Scope,
    pub timeout_ms: u32,
    /// `debug`, `info`, `warn` or `error`.
    pub log_level: &'static str,
    pub instance_name: Option<String>,
}

/// Everything a set-up is made from. `plugin` is `None` only for compose, which installs the
/// plugin's files and configures no instance.
#[derive(Debug, Clone)]
pub struct Setup {
    pub format: Format,
    pub plugin: Option<PluginSetup>,
    /// The Kong the offline formats target (decK format version, `instance_name`).
    pub kong_version: KongVersion,
    pub admin_url: BaseUrl,
    /// A Kong Enterprise workspace other than `default` (curl: entity paths start `/{ws}`;
    /// deck: `_workspace`).
    pub workspace: Option<String>,
    /// decK `_info.default_lookup_tags.services`: the tags of the user's service (deck, with a
    /// service scope). Empty: the file is for `deck gateway apply`.
    pub deck_lookup_tags: Vec<String>,
    /// Where the KongPlugin and the annotated Service live (kic, helm).
    pub namespace: String,
    /// Where Kong, its plugin ConfigMap and its Helm release live (helm).
    pub kong_namespace: String,
    pub ingress_class: String,
    pub kong_service: String,
    pub plugin_dir: String,
    /// `KONG_PLUGINS` for the Compose override, Akto's plugin included.
    pub plugins: Vec<String>,
    /// helm: the release's other `plugins.configMaps` entries, kept before Akto's.
    pub helm_config_maps: Vec<helm_values::PluginConfigMap>,
}

/// A Kong entity name: letters, digits, `.`, `-`, `_`, `~` (Kong's `utf8_name`, ASCII only so
/// it is safe in URLs and shells).
pub fn check_kong_name(input: &str, value: &str) -> anyhow::Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
    if !ok {
        return Err(refuse(
            input,
            value,
            "a Kong name is 1 to 128 letters, digits, `.`, `-`, `_` or `~`",
            "give the name exactly as Kong shows it (`curl -s $KONG_ADMIN_URL/services | jq -r '.data[].name'`)",
        ));
    }
    Ok(())
}

/// The instance name used when `--instance-name` is not given.
pub fn default_instance_name(scope: &Scope) -> String {
    match scope.name() {
        None => format!("{PLUGIN}-global"),
        Some(n) => {
            let n: String = n
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("{PLUGIN}-{}-{}", scope.kind(), n.trim_matches('-'))
        }
    }
}

#[derive(Serialize)]
struct Context<'a> {
    plugin: &'static str,
    plugin_path: &'static str,
    plugin_id: String,
    instance_name: String,
    with_instance_name: bool,
    scope_kind: &'static str,
    scope_name: Option<&'a str>,
    scope_flag: &'static str,
    scope_label: String,
    scope_path: String,
    service_url: &'a str,
    timeout_ms: u32,
    log_level: &'a str,
    admin_url: &'a str,
    workspace: Option<&'a str>,
    body_json_legacy: String,
    /// `--instance-name` given: sent even when the plugin found on the scope has another.
    instance_name_given: bool,
    /// The `kong enable … --format deck` command for the same plugin, shell-quoted.
    deck_command: String,
    deck_format_version: &'static str,
    /// How decK applies the file: `sync` (global: nothing to look up), `lookup` (sync, the
    /// service found by its tags) or `apply` (partial apply: every gateway entity is looked up).
    deck_mode: &'static str,
    deck_lookup_tags: &'a [String],
    kong_version: String,
    namespace: &'a str,
    kong_namespace: &'a str,
    ingress_class: &'a str,
    kong_service: &'a str,
    plugin_dir: &'a str,
    kong_plugins: String,
    configmap: String,
    helm_config_maps: &'a [helm_values::PluginConfigMap],
}

/// A Kong tag as `--deck-lookup-tag` takes it: printable ASCII without commas or blanks
/// (Kong lists tags comma-separated in `?tags=`), at most 128 characters.
fn check_tag(value: &str) -> anyhow::Result<()> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b',' && b != b'/');
    if !ok {
        return Err(refuse(
            "--deck-lookup-tag",
            value,
            "a Kong tag is 1 to 128 printable characters without blanks, `,` or `/`",
            "give a tag exactly as `deck gateway dump` shows it on your service",
        ));
    }
    Ok(())
}

/// How the decK file resolves the plugin's `service:` or `route:` reference. decK's `sync`
/// resolves a reference only among the file's entities plus those `_info.default_lookup_tags`
/// pulls from the gateway (Kong/deck `cmd/common.go`, go-database-reconciler
/// `pkg/file/builder.go`); `apply` (partial apply) looks up every entity the gateway has.
fn deck_mode(scope: Option<&Scope>, tags: &[String]) -> anyhow::Result<&'static str> {
    for t in tags {
        check_tag(t)?;
    }
    Ok(match (scope, tags.is_empty()) {
        (_, true) if matches!(scope, Some(Scope::Global) | None) => "sync",
        (_, true) => "apply",
        (Some(Scope::Service(_)), false) => "lookup",
        (Some(Scope::Route(_)), false) => {
            return Err(refuse(
                "--deck-lookup-tag",
                &tags.join(","),
                "decK adds its select tag to every route it looks up by tag (go-database-reconciler ingestRoute), so `deck gateway sync` would retag your route and take it over",
                "drop --deck-lookup-tag: the route-scoped file is for `deck gateway apply`, which finds the route without tags",
            ))
        }
        _ => {
            return Err(refuse(
                "--deck-lookup-tag",
                &tags.join(","),
                "a global plugin names no service or route, so there is nothing to look up",
                "drop --deck-lookup-tag, or scope the plugin with --service NAME",
            ))
        }
    })
}

/// Checks the set-up for its format and renders it.
pub fn render(setup: &Setup) -> anyhow::Result<Rendered> {
    let mut warnings = Vec::new();
    let plugin = match (&setup.plugin, flags::needs_plugin_config(setup.format)) {
        (Some(p), true) => Some(p),
        (None, false) => None,
        (None, true) => anyhow::bail!(
            "--format {} needs --service-url and one of --service, --route or --global",
            setup.format.name()
        ),
        (Some(_), false) => anyhow::bail!(
            "--format {} configures no plugin instance: drop --service-url and the scope",
            setup.format.name()
        ),
    };
    if setup.format.is_kubernetes() {
        check_k8s_name("--namespace", &setup.namespace, true)?;
        check_k8s_name("--ingress-class", &setup.ingress_class, false)?;
    }
    if setup.format == Format::Helm {
        check_k8s_name("--kong-namespace", &setup.kong_namespace, true)?;
    }
    let mut instance = String::new();
    let mut plugin_id_text = String::new();
    let mut body_legacy = String::new();
    let mut deck_command = String::new();
    if let Some(p) = plugin {
        if let Some(name) = p.scope.name() {
            if setup.format.is_kubernetes() {
                check_k8s_name(p.scope.flag(), name, false)?;
            } else {
                check_kong_name(p.scope.flag(), name)?;
            }
        }
        instance = p
            .instance_name
            .clone()
            .unwrap_or_else(|| default_instance_name(&p.scope));
        if setup.format.is_kubernetes() {
            check_k8s_name("--instance-name", &instance, false)?;
        } else {
            check_kong_name("--instance-name", &instance)?;
        }
        if !p.service_url.is_https() {
            warnings.push(format!(
                "--service-url {} uses http://: captured traffic travels to Akto in clear; use https:// unless the ingest service is on a private network",
                p.service_url.as_str()
            ));
        }
        if setup.format.is_kubernetes() && p.service_url.is_loopback() {
            warnings.push(format!(
                "--service-url {} points at the loopback address: inside Kong's pod that is the pod itself, not your ingest service; use the ingest service's cluster address (http://data-ingestion-service.<namespace>.svc.cluster.local:9091) or its external URL",
                p.service_url.as_str()
            ));
        }
        let config = serde_json::json!({
            "service_url": p.service_url.as_str(),
            "timeout": p.timeout_ms,
            "log_level": p.log_level,
        });
        body_legacy = serde_json::json!({"name": PLUGIN, "config": config}).to_string();
        plugin_id_text = plugin_id(setup.workspace.as_deref(), &p.scope, &instance).to_string();
        deck_command = deck_command_for(p);
    }
    if matches!(setup.format, Format::Compose | Format::Helm) {
        check_path_arg(
            "--plugin-dir",
            &setup.plugin_dir,
            "give the folder holding handler.lua and schema.lua",
        )?;
    }
    if setup.format == Format::Compose {
        // Bounded: a YAML mapping key (the service name is one) may be 1024 characters at most.
        let ok = !setup.kong_service.is_empty()
            && setup.kong_service.len() <= 128
            && setup
                .kong_service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(refuse(
                "--kong-service",
                &setup.kong_service,
                "a Compose service name is 1 to 128 letters, digits, `.`, `-` and `_`",
                "give the name of the Kong service in your compose file",
            ));
        }
        if !setup.plugins.iter().any(|p| p == PLUGIN) {
            anyhow::bail!("internal error: the plugin list lacks {PLUGIN}");
        }
    }
    if setup.format == Format::Curl && !setup.admin_url.is_https() && !setup.admin_url.is_loopback()
    {
        warnings.push(format!(
            "--admin-url {} uses http:// to a remote host: an admin token would travel in clear",
            setup.admin_url.as_str()
        ));
    }
    let scope = plugin.map(|p| &p.scope);
    let deck_mode = deck_mode(scope, &setup.deck_lookup_tags)?;
    let ctx = Context {
        plugin: PLUGIN,
        plugin_path: PLUGIN_PATH,
        plugin_id: plugin_id_text,
        instance_name: instance,
        with_instance_name: setup.kong_version.has_instance_name(),
        scope_kind: scope.map_or("", Scope::kind),
        scope_name: scope.and_then(Scope::name),
        scope_flag: scope.map_or("", Scope::flag),
        scope_label: scope.map(Scope::label).unwrap_or_default(),
        scope_path: scope
            .map(|s| {
                format!(
                    "{}{}",
                    workspace_prefix(setup.workspace.as_deref()),
                    s.plugins_path().trim_end_matches("/plugins")
                )
            })
            .unwrap_or_default(),
        service_url: plugin.map_or("", |p| p.service_url.as_str()),
        timeout_ms: plugin.map_or(0, |p| p.timeout_ms),
        log_level: plugin.map_or("", |p| p.log_level),
        admin_url: setup.admin_url.as_str(),
        workspace: setup.workspace.as_deref(),
        body_json_legacy: body_legacy,
        instance_name_given: plugin.is_some_and(|p| p.instance_name.is_some()),
        deck_command,
        deck_format_version: setup.kong_version.deck_format_version(),
        deck_mode,
        deck_lookup_tags: &setup.deck_lookup_tags,
        kong_version: setup.kong_version.to_string(),
        namespace: &setup.namespace,
        kong_namespace: &setup.kong_namespace,
        ingress_class: &setup.ingress_class,
        kong_service: &setup.kong_service,
        plugin_dir: &setup.plugin_dir,
        kong_plugins: setup.plugins.join(","),
        configmap: format!("kong-plugin-{PLUGIN}"),
        helm_config_maps: &setup.helm_config_maps,
    };
    let (template, file) = match setup.format {
        Format::Curl => ("kong/curl.sh.j2", "akto-kong-enable.sh"),
        Format::Deck => ("kong/deck.yaml.j2", "akto-kong-deck.yaml"),
        Format::Kic => ("kong/kic.yaml.j2", "akto-kong-plugin.yaml"),
        Format::Compose => ("kong/compose.yaml.j2", "docker-compose.override.yml"),
        Format::Helm => ("kong/helm.yaml.j2", "akto-kong-helm.yaml"),
    };
    let text = render::render(template, &ctx)?;
    let mut artifact = Artifact::new(file, text);
    if template.ends_with(".yaml.j2") {
        verify_yaml(&artifact.text, setup)
            .map_err(|p| anyhow::anyhow!("internal error: the generated YAML failed its own check ({p}); nothing was written. Please report this."))?;
        artifact = artifact.read_as(Syntax::Yaml);
    }
    Ok(Rendered { artifact, warnings })
}

/// `akto-connect kong enable … --format deck` for the same plugin (every setting that is not
/// the default), shell-quoted so it runs as printed.
fn deck_command_for(p: &PluginSetup) -> String {
    use crate::render::sh_quote;
    let mut cmd = format!(
        "akto-connect kong enable --service-url {} {}",
        sh_quote(p.service_url.as_str()),
        p.scope.flag()
    );
    if let Some(n) = p.scope.name() {
        cmd.push_str(&format!(" {}", sh_quote(n)));
    }
    if p.timeout_ms != 30_000 {
        cmd.push_str(&format!(" --timeout {}", p.timeout_ms));
    }
    if p.log_level != "warn" {
        cmd.push_str(&format!(" --log-level {}", p.log_level));
    }
    if let Some(i) = &p.instance_name {
        cmd.push_str(&format!(" --instance-name {}", sh_quote(i)));
    }
    cmd.push_str(" --format deck");
    cmd
}

/// Reads the YAML back: every document parses, the plugin's config is what was asked for,
/// `instance_name` appears only where the target Kong knows it, and the Compose override
/// lists every plugin.
fn verify_yaml(text: &str, setup: &Setup) -> Result<(), String> {
    use serde::Deserialize;
    let mut found_config = false;
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = serde_yaml::Value::deserialize(doc).map_err(|e| e.to_string())?;
        if let Some(plugin) = &setup.plugin {
            if let Some((entity, config)) = find_config(&v) {
                found_config = true;
                let url = config.get("service_url").and_then(|u| u.as_str());
                if url != Some(plugin.service_url.as_str()) {
                    return Err(format!("service_url reads back as {url:?}"));
                }
                let timeout = config.get("timeout").and_then(|t| t.as_u64());
                if timeout != Some(u64::from(plugin.timeout_ms)) {
                    return Err(format!("timeout reads back as {timeout:?}"));
                }
                let has_instance = entity.get("instance_name").is_some();
                if has_instance && !setup.kong_version.has_instance_name() {
                    return Err(format!(
                        "instance_name present for Kong {}",
                        setup.kong_version
                    ));
                }
            }
            if setup.format == Format::Deck {
                let fv = v.get("_format_version").and_then(|f| f.as_str());
                if fv != Some(setup.kong_version.deck_format_version()) {
                    return Err(format!("_format_version reads back as {fv:?}"));
                }
                let ws = v.get("_workspace").and_then(|w| w.as_str());
                if ws != setup.workspace.as_deref() {
                    return Err(format!("_workspace reads back as {ws:?}"));
                }
            }
        }
        if setup.format == Format::Compose {
            let plugins = v
                .get("services")
                .and_then(|s| s.get(setup.kong_service.as_str()))
                .and_then(|s| s.get("environment"))
                .and_then(|e| e.get("KONG_PLUGINS"))
                .and_then(|p| p.as_str());
            // Compose reads `$$` as `$`; the file holds the escaped form.
            if plugins != Some(setup.plugins.join(",").replace('$', "$$").as_str()) {
                return Err(format!("KONG_PLUGINS reads back as {plugins:?}"));
            }
        }
    }
    if setup.plugin.is_some() && !found_config {
        return Err("no plugin config".into());
    }
    Ok(())
}

/// The plugin entity and its config, in a decK state or a KongPlugin.
fn find_config(v: &serde_yaml::Value) -> Option<(&serde_yaml::Value, &serde_yaml::Value)> {
    if let Some(c) = v.get("config") {
        if c.get("service_url").is_some() {
            return Some((v, c));
        }
    }
    v.get("plugins")
        .and_then(|p| p.as_sequence())
        .and_then(|s| s.iter().find_map(|p| p.get("config").map(|c| (p, c))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_ids_are_fixed_per_scope_and_instance() {
        let s = Scope::Service("orders".into());
        let a = plugin_id(None, &s, "akto-api-discovery-service-orders");
        assert_eq!(a, plugin_id(None, &s, "akto-api-discovery-service-orders"));
        assert_ne!(
            a,
            plugin_id(Some("team-a"), &s, "akto-api-discovery-service-orders")
        );
        assert_eq!(a.get_version_num(), 5);
        assert_ne!(
            a,
            plugin_id(
                None,
                &Scope::Route("orders".into()),
                "akto-api-discovery-service-orders"
            )
        );
        assert_ne!(a, plugin_id(None, &s, "other"));
        assert_ne!(
            plugin_id(None, &Scope::Global, "x"),
            plugin_id(None, &Scope::Service(String::new()), "x")
        );
    }
}
