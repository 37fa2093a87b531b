//! Reading Kong Admin API answers as data: `GET /` (version, database mode, installed
//! plugins) and a list of plugins (`GET /services/{s}/plugins`), the same reading the
//! generated curl script does in shell.

use serde_json::Value;

use super::{KongVersion, Scope, PLUGIN};

/// What `GET /` says about a Kong node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// `version`, as Kong gives it (`3.4.2`, `2.8.1.0-enterprise-edition`).
    pub version: String,
    pub parsed: Option<KongVersion>,
    /// `configuration.database` (`postgres`, `off`), when Kong shows it.
    pub database: Option<String>,
    /// `configuration.role` (`traditional`, `control_plane`, `data_plane`).
    pub role: Option<String>,
    /// Whether the plugin is in `plugins.available_on_server` (a map of name to `true` or to
    /// `{version, priority}`, depending on the release).
    pub plugin_installed: bool,
}

impl NodeInfo {
    pub fn from_root(root: &Value) -> Result<NodeInfo, String> {
        let version = root
            .get("version")
            .and_then(Value::as_str)
            .ok_or("the answer to GET / has no `version`: is this Kong's Admin API?")?
            .to_string();
        let config = root.get("configuration");
        let text = |k: &str| {
            config
                .and_then(|c| c.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let plugin_installed = root
            .get("plugins")
            .and_then(|p| p.get("available_on_server"))
            .and_then(|a| a.get(PLUGIN))
            .is_some_and(|v| v != &Value::Bool(false) && !v.is_null());
        Ok(NodeInfo {
            parsed: KongVersion::parse_prefix(&version),
            version,
            database: text("database"),
            role: text("role"),
            plugin_installed,
        })
    }

    pub fn is_dbless(&self) -> bool {
        self.database.as_deref() == Some("off")
    }
}

/// An akto-api-discovery plugin found on a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPlugin {
    pub id: String,
    pub enabled: bool,
    pub instance_name: Option<String>,
    pub service_url: Option<String>,
}

/// One page of `GET …/plugins`: the plugin on exactly `scope` (service, route or none set,
/// consumer and consumer group (Kong 3.4+) never), and the `next` page's path.
pub fn find_on_scope(
    page: &Value,
    scope: &Scope,
) -> Result<(Option<FoundPlugin>, Option<String>), String> {
    let data = page
        .get("data")
        .and_then(Value::as_array)
        .ok_or("the plugin list has no `data` array")?;
    let set = |p: &Value, k: &str| p.get(k).is_some_and(|v| !v.is_null());
    let found = data.iter().find(|p| {
        p.get("name").and_then(Value::as_str) == Some(PLUGIN)
            && set(p, "service") == matches!(scope, Scope::Service(_))
            && set(p, "route") == matches!(scope, Scope::Route(_))
            && !set(p, "consumer")
            && !set(p, "consumer_group")
    });
    let found = found.map(|p| FoundPlugin {
        id: p
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        enabled: p.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        instance_name: p
            .get("instance_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        service_url: p
            .get("config")
            .and_then(|c| c.get("service_url"))
            .and_then(Value::as_str)
            .map(str::to_string),
    });
    let next = page
        .get("next")
        .and_then(Value::as_str)
        .filter(|n| n.starts_with('/'))
        .map(str::to_string);
    Ok((found, next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_both_shapes_of_available_on_server() {
        let old = json!({"version": "2.8.1", "configuration": {"database": "postgres"},
                         "plugins": {"available_on_server": {"akto-api-discovery": true}}});
        let info = NodeInfo::from_root(&old).unwrap();
        assert!(info.plugin_installed && !info.is_dbless());
        let new = json!({"version": "3.4.2", "configuration": {"database": "off"},
                         "plugins": {"available_on_server": {"cors": {"version": "3.4.2"}}}});
        let info = NodeInfo::from_root(&new).unwrap();
        assert!(!info.plugin_installed && info.is_dbless());
        assert!(NodeInfo::from_root(&json!({})).is_err());
    }

    #[test]
    fn finds_the_plugin_on_exactly_its_scope() {
        let page = json!({"data": [
            {"id": "a", "name": "akto-api-discovery", "service": {"id": "s"}, "route": {"id": "r"}, "consumer": null},
            {"id": "b", "name": "cors", "service": {"id": "s"}, "route": null},
            {"id": "g", "name": "akto-api-discovery", "service": {"id": "s"}, "route": null, "consumer": null,
             "consumer_group": {"id": "cg"}},
            {"id": "c", "name": "akto-api-discovery", "service": {"id": "s"}, "route": null, "consumer": null, "enabled": false,
             "config": {"service_url": "http://x"}},
        ], "next": "/services/s/plugins?offset=x"});
        let (found, next) = find_on_scope(&page, &Scope::Service("s".into())).unwrap();
        let found = found.unwrap();
        assert_eq!((found.id.as_str(), found.enabled), ("c", false));
        assert_eq!(found.service_url.as_deref(), Some("http://x"));
        assert_eq!(next.as_deref(), Some("/services/s/plugins?offset=x"));
        let (found, _) = find_on_scope(&page, &Scope::Global).unwrap();
        assert!(found.is_none());
    }
}
