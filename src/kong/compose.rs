//! Kong's plugin list for the Compose override: the user's plugins, plus Akto's.
//!
//! A Compose override's `environment` entry replaces the base file's, so the override must
//! carry every plugin the user already loads (`bundled,my-custom`), not only ours.

use super::PLUGIN;
use crate::error::refuse;

/// Checks a `KONG_PLUGINS` list given as `input` (`--plugins`, or the base file) and returns it
/// with Akto's plugin added (once, at the end), in the user's order, duplicates dropped.
pub fn plugin_list(input: &str, value: &str) -> anyhow::Result<Vec<String>> {
    if value.contains('$') {
        return Err(refuse(
            input,
            value,
            "the plugin list uses a variable (`$`), which akto-connect cannot resolve",
            "give the resolved list with --plugins, for example --plugins bundled,my-plugin",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for raw in value.split(',') {
        let name = raw.trim();
        if name.is_empty() {
            continue;
        }
        let ok = name.len() <= 100
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(refuse(
                input,
                value,
                &format!(
                    "`{}` is not a Kong plugin name (1 to 100 letters, digits, `-`, `_`)",
                    crate::text::shorten(name)
                ),
                "give a comma-separated list, for example bundled,my-plugin",
            ));
        }
        if name == "off" {
            return Err(refuse(
                input,
                value,
                "`off` disables every plugin, Akto's too",
                "list the plugins Kong should load, for example bundled,akto-api-discovery",
            ));
        }
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    if !out.iter().any(|n| n == PLUGIN) {
        out.push(PLUGIN.to_string());
    }
    Ok(out)
}

/// What a base Compose file says about the Kong service's `KONG_PLUGINS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasePlugins {
    /// The value, or `None` when the service does not set it (Kong then loads `bundled`).
    pub value: Option<String>,
    /// The service reads an `env_file`, which may set `KONG_PLUGINS` out of sight.
    pub has_env_file: bool,
}

/// Reads `KONG_PLUGINS` of `service` from a Compose file's text (`file` names it in messages).
pub fn base_plugins(file: &str, text: &str, service: &str) -> anyhow::Result<BasePlugins> {
    crate::depth::check_config(text)
        .map_err(|e| anyhow::anyhow!("--base-compose {file}: {e}; give your Compose file"))?;
    let doc: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|e| anyhow::anyhow!("--base-compose {file}: not a YAML Compose file: {e}"))?;
    let services = doc.get("services").and_then(|s| s.as_mapping());
    let Some(services) = services else {
        anyhow::bail!("--base-compose {file}: no `services:` section; give your Compose file");
    };
    let Some(svc) = services.get(service) else {
        let names: Vec<String> = services
            .keys()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect();
        anyhow::bail!(
            "--base-compose {file}: no service `{service}` (the file has: {}); name Kong's service with --kong-service",
            names.join(", ")
        );
    };
    let has_env_file = svc.get("env_file").is_some();
    let value = match svc.get("environment") {
        None => None,
        Some(serde_yaml::Value::Mapping(m)) => match m.get("KONG_PLUGINS") {
            None | Some(serde_yaml::Value::Null) => None,
            Some(serde_yaml::Value::String(s)) => Some(s.clone()),
            Some(other) => anyhow::bail!(
                "--base-compose {file}: KONG_PLUGINS of `{service}` is not a string ({other:?})"
            ),
        },
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .find_map(|i| i.strip_prefix("KONG_PLUGINS=").map(str::to_string)),
        Some(_) => anyhow::bail!(
            "--base-compose {file}: `environment` of `{service}` is neither a map nor a list"
        ),
    };
    Ok(BasePlugins {
        value,
        has_env_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_users_plugins_and_adds_ours_once() {
        assert_eq!(
            plugin_list("--plugins", "bundled, my-custom,bundled").unwrap(),
            ["bundled", "my-custom", PLUGIN]
        );
        assert_eq!(
            plugin_list("--plugins", "akto-api-discovery,bundled").unwrap(),
            [PLUGIN, "bundled"]
        );
        assert!(plugin_list("--plugins", "bundled,${X}").is_err());
        assert!(plugin_list("--plugins", "a b").is_err());
        assert!(plugin_list("--plugins", "off").is_err());
    }

    #[test]
    fn reads_kong_plugins_from_map_or_list() {
        let map = "services:\n  kong:\n    environment:\n      KONG_PLUGINS: bundled,mine\n";
        assert_eq!(
            base_plugins("f", map, "kong").unwrap().value.as_deref(),
            Some("bundled,mine")
        );
        let list = "services:\n  gw:\n    env_file: .env\n    environment:\n      - A=1\n      - KONG_PLUGINS=bundled,x\n";
        let b = base_plugins("f", list, "gw").unwrap();
        assert_eq!(b.value.as_deref(), Some("bundled,x"));
        assert!(b.has_env_file);
        let err = base_plugins("f", list, "kong").unwrap_err().to_string();
        assert!(
            err.contains("no service `kong`") && err.contains("gw"),
            "{err}"
        );
        assert_eq!(
            base_plugins("f", "services:\n  kong:\n    image: kong\n", "kong")
                .unwrap()
                .value,
            None
        );
    }
}
