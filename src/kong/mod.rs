//! Kong: enabling Akto's `akto-api-discovery` plugin in the form a Kong user deploys with (an
//! Admin API script, decK, Kong Ingress Controller resources, a Compose override, Helm values).
//!
//! The model is checked here; the templates in `templates/kong/` only place checked values,
//! each escaped for its context (shell word, JSON, YAML scalar).

use serde::Serialize;

use crate::error::{check_path_arg, refuse};
use crate::http_url::BaseUrl;
use crate::k8s::check_k8s_name;
use crate::render;

/// The plugin's name, as Kong knows it.
pub const PLUGIN: &str = "akto-api-discovery";
/// Where Kong looks for the plugin's Lua files.
pub const PLUGIN_PATH: &str = "/usr/local/share/lua/5.1/kong/plugins/akto-api-discovery";

/// Where the plugin runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Service(String),
    Route(String),
    Consumer(String),
    Global,
}

impl Scope {
    fn kind(&self) -> &'static str {
        match self {
            Scope::Service(_) => "service",
            Scope::Route(_) => "route",
            Scope::Consumer(_) => "consumer",
            Scope::Global => "global",
        }
    }

    fn name(&self) -> Option<&str> {
        match self {
            Scope::Service(n) | Scope::Route(n) | Scope::Consumer(n) => Some(n),
            Scope::Global => None,
        }
    }

    fn flag(&self) -> &'static str {
        match self {
            Scope::Service(_) => "--service",
            Scope::Route(_) => "--route",
            Scope::Consumer(_) => "--consumer",
            Scope::Global => "--global",
        }
    }
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
    /// Formats whose names become Kubernetes object names.
    fn is_kubernetes(self) -> bool {
        matches!(self, Format::Kic | Format::Helm)
    }
}

/// Everything a plugin set-up is made from.
#[derive(Debug, Clone)]
pub struct Setup {
    pub service_url: BaseUrl,
    pub scope: Scope,
    pub timeout_ms: u32,
    /// `debug`, `info`, `warn` or `error`.
    pub log_level: &'static str,
    pub instance_name: Option<String>,
    pub admin_url: BaseUrl,
    pub namespace: String,
    pub ingress_class: String,
    pub kong_service: String,
    pub plugin_dir: String,
    pub format: Format,
}

/// A rendered artifact and what the user should hear about it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub warnings: Vec<String>,
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

fn default_instance_name(scope: &Scope) -> String {
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
    instance_name: &'a str,
    scope_kind: &'static str,
    scope_name: Option<&'a str>,
    scope_flag: &'static str,
    service_url: &'a str,
    timeout_ms: u32,
    log_level: &'a str,
    admin_url: &'a str,
    admin_path: String,
    body_json: String,
    namespace: &'a str,
    ingress_class: &'a str,
    kong_service: &'a str,
    plugin_dir: &'a str,
    configmap: String,
}

/// Checks the set-up for its format and renders it.
pub fn render(setup: &Setup) -> anyhow::Result<Rendered> {
    let mut warnings = Vec::new();
    if let Some(name) = setup.scope.name() {
        if setup.format.is_kubernetes() {
            check_k8s_name(setup.scope.flag(), name, false)?;
        } else {
            check_kong_name(setup.scope.flag(), name)?;
        }
    }
    let instance = setup
        .instance_name
        .clone()
        .unwrap_or_else(|| default_instance_name(&setup.scope));
    if setup.format.is_kubernetes() {
        check_k8s_name("--instance-name", &instance, false)?;
        check_k8s_name("--namespace", &setup.namespace, true)?;
        check_k8s_name("--ingress-class", &setup.ingress_class, false)?;
    } else {
        check_kong_name("--instance-name", &instance)?;
    }
    if setup.format == Format::Compose {
        let ok = !setup.kong_service.is_empty()
            && setup
                .kong_service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            return Err(refuse(
                "--kong-service",
                &setup.kong_service,
                "a Compose service name is letters, digits, `.`, `-` and `_`",
                "give the name of the Kong service in your compose file",
            ));
        }
    }
    if setup.format == Format::Compose {
        check_path_arg(
            "--plugin-dir",
            &setup.plugin_dir,
            "give the folder holding handler.lua and schema.lua",
        )?;
    }
    if !setup.service_url.is_https() {
        warnings.push(format!(
            "--service-url {} uses http://: captured traffic travels to Akto in clear; use https:// unless the ingest service is on a private network",
            setup.service_url.as_str()
        ));
    }
    if setup.format == Format::Curl && !setup.admin_url.is_https() && !setup.admin_url.is_loopback()
    {
        warnings.push(format!(
            "--admin-url {} uses http:// to a remote host: an admin token would travel in clear",
            setup.admin_url.as_str()
        ));
    }
    let admin_path = match &setup.scope {
        Scope::Global => format!("/plugins/{instance}"),
        Scope::Service(n) => format!("/services/{n}/plugins/{instance}"),
        Scope::Route(n) => format!("/routes/{n}/plugins/{instance}"),
        Scope::Consumer(n) => format!("/consumers/{n}/plugins/{instance}"),
    };
    let body = serde_json::json!({
        "name": PLUGIN,
        "instance_name": instance,
        "config": {
            "service_url": setup.service_url.as_str(),
            "timeout": setup.timeout_ms,
            "log_level": setup.log_level,
        }
    });
    let ctx = Context {
        plugin: PLUGIN,
        plugin_path: PLUGIN_PATH,
        instance_name: &instance,
        scope_kind: setup.scope.kind(),
        scope_name: setup.scope.name(),
        scope_flag: setup.scope.flag(),
        service_url: setup.service_url.as_str(),
        timeout_ms: setup.timeout_ms,
        log_level: setup.log_level,
        admin_url: setup.admin_url.as_str(),
        admin_path,
        body_json: body.to_string(),
        namespace: &setup.namespace,
        ingress_class: &setup.ingress_class,
        kong_service: &setup.kong_service,
        plugin_dir: &setup.plugin_dir,
        configmap: format!("kong-plugin-{PLUGIN}"),
    };
    let template = match setup.format {
        Format::Curl => "kong/curl.sh.j2",
        Format::Deck => "kong/deck.yaml.j2",
        Format::Kic => "kong/kic.yaml.j2",
        Format::Compose => "kong/compose.yaml.j2",
        Format::Helm => "kong/helm.yaml.j2",
    };
    let text = render::render(template, &ctx)?;
    if template.ends_with(".yaml.j2") {
        verify_yaml(&text, setup)
            .map_err(|p| anyhow::anyhow!("internal error: the generated YAML failed its own check ({p}); nothing was written. Please report this."))?;
    }
    Ok(Rendered { text, warnings })
}

/// Reads the YAML back: every document parses, and the plugin's config is what was asked for.
fn verify_yaml(text: &str, setup: &Setup) -> Result<(), String> {
    use serde::Deserialize;
    let mut found_config = false;
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = serde_yaml::Value::deserialize(doc).map_err(|e| e.to_string())?;
        if let Some(config) = find_config(&v) {
            found_config = true;
            let url = config.get("service_url").and_then(|u| u.as_str());
            if url != Some(setup.service_url.as_str()) {
                return Err(format!("service_url reads back as {url:?}"));
            }
            let timeout = config.get("timeout").and_then(|t| t.as_u64());
            if timeout != Some(u64::from(setup.timeout_ms)) {
                return Err(format!("timeout reads back as {timeout:?}"));
            }
        }
    }
    if setup.format != Format::Compose && !found_config {
        return Err("no plugin config".into());
    }
    Ok(())
}

fn find_config(v: &serde_yaml::Value) -> Option<&serde_yaml::Value> {
    if let Some(c) = v.get("config") {
        if c.get("service_url").is_some() {
            return Some(c);
        }
    }
    v.get("plugins")
        .and_then(|p| p.as_sequence())
        .and_then(|s| s.iter().find_map(|p| p.get("config")))
}
