//! The Kong chart's `plugins.configMaps` as the user's release has it, so the values
//! `kong enable --format helm` writes keep every custom plugin the release already mounts.
//!
//! Helm merges maps but replaces lists with `--reuse-values -f`, and the Kong chart builds
//! `KONG_PLUGINS` from `plugins.configMaps` and `plugins.secrets` (Kong/charts
//! `charts/kong/templates/_helpers.tpl`): a values file listing only Akto's ConfigMap would
//! unload every other custom plugin mounted from a ConfigMap. `plugins.secrets` is a separate
//! list the values file does not set, so Helm keeps it.
//!
//! Pure: takes the file's text (the output of `helm get values RELEASE -o yaml`).

use serde_yaml::Value;

use super::PLUGIN;
use crate::error::refuse;

/// One `plugins.configMaps` entry: the plugin's name and the ConfigMap holding its files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginConfigMap {
    pub plugin_name: String,
    pub name: String,
}

/// The entries of `plugins.configMaps` in a values file other than Akto's plugin, in order.
/// `file` names the file in messages.
pub fn base_config_maps(file: &str, text: &str) -> anyhow::Result<Vec<PluginConfigMap>> {
    let fix = "give the release's values: helm get values RELEASE -n NAMESPACE -o yaml > current-values.yaml";
    // Bounded before parsing, as every reader of user YAML (`depth`).
    crate::depth::check_config(text).map_err(|e| refuse("--base-values", file, &e, fix))?;
    let doc: Value = serde_yaml::from_str(text).map_err(|e| {
        refuse(
            "--base-values",
            file,
            &format!("not a YAML values file: {e}"),
            fix,
        )
    })?;
    if !(doc.is_mapping() || doc.is_null()) {
        return Err(refuse(
            "--base-values",
            file,
            "a values file is a YAML mapping",
            fix,
        ));
    }
    let list = match doc.get("plugins").and_then(|p| p.get("configMaps")) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Sequence(s)) => s,
        Some(_) => {
            return Err(refuse(
                "--base-values",
                file,
                "plugins.configMaps is not a list",
                "the Kong chart takes plugins.configMaps as a list of {pluginName, name}",
            ))
        }
    };
    let mut out: Vec<PluginConfigMap> = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let field = |k: &str| entry.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(plugin_name), Some(name)) = (field("pluginName"), field("name")) else {
            return Err(refuse(
                "--base-values",
                file,
                &format!("plugins.configMaps[{i}] lacks a pluginName or name string"),
                "the Kong chart takes plugins.configMaps as a list of {pluginName, name}",
            ));
        };
        for (what, v) in [("pluginName", &plugin_name), ("name", &name)] {
            let ok = (1..=253).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !ok {
                return Err(refuse(
                    "--base-values",
                    file,
                    &format!(
                        "plugins.configMaps[{i}].{what} `{}` is not a plugin or ConfigMap name",
                        crate::text::shorten(v)
                    ),
                    "give the values exactly as helm get values prints them",
                ));
            }
        }
        if plugin_name == PLUGIN || out.iter().any(|e| e.plugin_name == plugin_name) {
            continue;
        }
        out.push(PluginConfigMap { plugin_name, name });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_other_plugins_drops_ours_and_refuses_bad_shapes() {
        let base = "plugins:\n  configMaps:\n  - pluginName: my-plugin\n    name: kong-plugin-my\n  - pluginName: akto-api-discovery\n    name: old\n  secrets: []\n";
        assert_eq!(
            base_config_maps("v.yaml", base).unwrap(),
            vec![PluginConfigMap {
                plugin_name: "my-plugin".into(),
                name: "kong-plugin-my".into()
            }]
        );
        assert!(base_config_maps("v.yaml", "image:\n  tag: '3.4'\n")
            .unwrap()
            .is_empty());
        assert!(base_config_maps("v.yaml", "").unwrap().is_empty());
        for bad in [
            "plugins:\n  configMaps: x\n",
            "plugins:\n  configMaps:\n  - name: a\n",
            "- a\n",
            "plugins:\n  configMaps:\n  - pluginName: 'a b'\n    name: c\n",
            "[".repeat(200).as_str(),
        ] {
            let e = base_config_maps("v.yaml", bad).unwrap_err().to_string();
            assert!(e.contains("--base-values"), "{bad}: {e}");
        }
    }
}
