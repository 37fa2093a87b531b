//! Where `verify` sends its record when the user points at an artifact instead of a URL: the
//! ingest URL (and the credential header's named value) of an APIM policy, or the
//! `service_url` of the `akto-api-discovery` plugin in a decK file.
//!
//! Pure: takes the file's text, returns what it found or why it cannot be used.

use serde_yaml::Value;

use super::contract::INGEST_PATH;
use crate::apim::tree;

/// The header an artifact authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthHeader {
    /// `authorization`: a raw JWT (no `Bearer`).
    Authorization,
    /// `X-API-KEY`: the key part of the service's `AKTO_DI_API_KEY`.
    ApiKey,
}

impl AuthHeader {
    pub fn name(self) -> &'static str {
        match self {
            AuthHeader::Authorization => "authorization",
            AuthHeader::ApiKey => "X-API-KEY",
        }
    }
}

/// Where the credential's value comes from in the artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSource {
    /// An APIM named value, `{{name}}`.
    NamedValue(String),
    /// A literal in the policy text (a secret in the policy: we never read it out).
    Literal,
    /// An expression or anything else.
    Other,
}

/// The ingest target an artifact sends to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL as written (with `/api/ingestData` when the artifact has it).
    pub url: String,
    pub auth: Option<(AuthHeader, AuthSource)>,
    /// The `akto_account_id` the artifact's records carry, when it writes one literally.
    pub account_id: Option<String>,
    /// The `akto_vxlan_id` the artifact's records carry, when it writes one literally.
    pub vxlan_id: Option<String>,
}

/// The literal value a policy gives a record field: the digits in the string after `field`,
/// as the generated policy writes it (`entry["akto_account_id"] = "4242";`) and as the
/// published one does (`"\"akto_account_id\": \"1000000\", "`). `Ok(None)` when the policy
/// never names the field or computes it; an error when it writes two different values.
pub fn record_field(text: &str, field: &str) -> Result<Option<String>, String> {
    let mut values: Vec<String> = Vec::new();
    for (at, _) in text.match_indices(field) {
        let rest = &text[at + field.len()..];
        // Skip the key's closing quote, `]`, `=`, `:`, blanks and escaped quotes (bounded).
        let value_start = rest
            .char_indices()
            .take(16)
            .find(|&(_, c)| !matches!(c, '"' | '\\' | '\'' | ']' | ':' | '=' | ' ' | '\t'))
            .map(|(i, _)| i);
        let Some(i) = value_start else { continue };
        let before = &rest[..i];
        if !before.contains('"') || !(before.contains('=') || before.contains(':')) {
            continue;
        }
        let digits: String = rest[i..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(20)
            .collect();
        let closed = rest[i + digits.len()..].starts_with(['"', '\\']);
        if digits.is_empty() || !closed {
            continue;
        }
        if !values.contains(&digits) {
            values.push(digits);
        }
    }
    match values.len() {
        0 => Ok(None),
        1 => Ok(values.pop()),
        _ => Err(format!(
            "the policy writes {} different {field} values ({})",
            values.len(),
            values.join(", ")
        )),
    }
}

/// Finds the ingest call in an APIM policy: a `send-one-way-request` or `send-request` whose
/// `set-url` ends with `/api/ingestData`.
pub fn from_policy(text: &str) -> Result<Target, String> {
    let doc = tree::read(text).map_err(|e| {
        let line = text[..e.offset.min(text.len())].matches('\n').count() + 1;
        format!("the policy cannot be read (line {line}: {e})")
    })?;
    let mut found = Vec::new();
    for call in doc
        .root
        .descendants()
        .into_iter()
        .filter(|e| e.name == "send-one-way-request" || e.name == "send-request")
    {
        let Some(url) = call.elements().find(|c| c.name == "set-url") else {
            continue;
        };
        let url = doc.text(text, url).trim().to_string();
        if !url.contains(INGEST_PATH.trim_start_matches('/')) {
            continue;
        }
        let mut auth = None;
        for header in call.elements().filter(|c| c.name == "set-header") {
            let name = header
                .attr("name")
                .map(|a| doc.attr_value(text, a))
                .unwrap_or_default();
            let kind = if name.eq_ignore_ascii_case("authorization") {
                AuthHeader::Authorization
            } else if name.eq_ignore_ascii_case("x-api-key") {
                AuthHeader::ApiKey
            } else {
                continue;
            };
            let value = header
                .elements()
                .find(|v| v.name == "value")
                .map(|v| doc.text(text, v))
                .unwrap_or_default();
            let value = value.trim();
            let source = match value.strip_prefix("{{").and_then(|v| v.strip_suffix("}}")) {
                Some(name) if !name.contains(['{', '}']) => {
                    AuthSource::NamedValue(name.trim().to_string())
                }
                _ if value.starts_with('@') || value.contains("{{") => AuthSource::Other,
                _ => AuthSource::Literal,
            };
            auth = Some((kind, source));
        }
        found.push(Target {
            url,
            auth,
            account_id: None,
            vxlan_id: None,
        });
    }
    found.dedup();
    let account_id = record_field(text, "akto_account_id")
        .map_err(|e| format!("{e}; give the one to send with --account-id"))?;
    let vxlan_id = record_field(text, "akto_vxlan_id")
        .map_err(|e| format!("{e}; give the one to send with --vxlan-id"))?;
    for t in &mut found {
        t.account_id.clone_from(&account_id);
        t.vxlan_id.clone_from(&vxlan_id);
    }
    match found.len() {
        0 => Err(format!(
            "no send-one-way-request or send-request posts to …{INGEST_PATH} in this policy; is it the Akto capture policy?"
        )),
        1 => Ok(found.remove(0)),
        _ => Err(format!(
            "{} different ingest calls in this policy ({}); give the one to check with --ingest-url",
            found.len(),
            found.iter().map(|t| t.url.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Finds the `service_url` of every `akto-api-discovery` plugin in a decK file (top level,
/// or nested under services, routes and services' routes) or in Kong Ingress Controller
/// resources (`KongPlugin`, `KongClusterPlugin`, one YAML document each); they must agree.
pub fn from_deck(text: &str, plugin: &str) -> Result<Target, String> {
    use serde::Deserialize;
    let mut urls: Vec<String> = Vec::new();
    crate::depth::check_config(text)?;
    for doc in serde_yaml::Deserializer::from_str(text) {
        let doc = Value::deserialize(doc).map_err(|e| format!("not YAML or JSON: {e}"))?;
        if doc.get("plugin").and_then(Value::as_str) == Some(plugin) {
            match doc.get("config").and_then(|c| c.get("service_url")) {
                Some(Value::String(u)) if !urls.contains(u) => urls.push(u.clone()),
                Some(Value::String(_)) => {}
                _ => {
                    return Err(format!(
                        "the {plugin} resource has no config.service_url (configFrom is not read: give --ingest-url)"
                    ))
                }
            }
            continue;
        }
        collect_deck(&doc, plugin, &mut urls)?;
    }
    match urls.len() {
        0 => Err(format!("no {plugin} plugin in this file")),
        1 => Ok(Target {
            url: urls.remove(0),
            auth: None,
            account_id: None,
            vxlan_id: None,
        }),
        _ => Err(format!(
            "the {plugin} plugins here send to {} different URLs ({}); give the one to check with --ingest-url",
            urls.len(),
            urls.join(", ")
        )),
    }
}

fn collect_deck(doc: &Value, plugin: &str, urls: &mut Vec<String>) -> Result<(), String> {
    let mut visit = |plugins: Option<&Value>| -> Result<(), String> {
        for p in plugins.and_then(Value::as_sequence).into_iter().flatten() {
            if p.get("name").and_then(Value::as_str) != Some(plugin) {
                continue;
            }
            match p.get("config").and_then(|c| c.get("service_url")) {
                Some(Value::String(u)) => {
                    if !urls.contains(u) {
                        urls.push(u.clone());
                    }
                }
                _ => {
                    return Err(format!(
                        "a {plugin} plugin has no config.service_url string"
                    ))
                }
            }
        }
        Ok(())
    };
    visit(doc.get("plugins"))?;
    for key in ["services", "routes", "consumers"] {
        for entity in doc
            .get(key)
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            visit(entity.get("plugins"))?;
            for route in entity
                .get("routes")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                visit(route.get("plugins"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_url_and_named_value() {
        let p = r#"<policies><inbound><base /></inbound><backend><base /></backend><outbound><base />
            <send-one-way-request mode="new"><set-url>https://ingest.example.com/api/ingestData</set-url>
            <set-header name="Authorization" exists-action="override"><value>{{akto-ingest-token}}</value></set-header>
            <set-body>@(context.Variables.GetValueOrDefault<string>("x", ""))</set-body></send-one-way-request>
            </outbound><on-error><base /></on-error></policies>"#;
        let t = from_policy(p).unwrap();
        assert_eq!(t.url, "https://ingest.example.com/api/ingestData");
        assert_eq!(
            t.auth,
            Some((
                AuthHeader::Authorization,
                AuthSource::NamedValue("akto-ingest-token".into())
            ))
        );
        assert!(
            from_policy("<policies><inbound><base /></inbound></policies>")
                .unwrap_err()
                .contains("no send-one-way-request")
        );
    }

    #[test]
    fn deck_nested_and_top_level_plugins() {
        let d = "_format_version: \"3.0\"\nservices:\n- name: a\n  routes:\n  - name: r\n    plugins:\n    - name: akto-api-discovery\n      config: {service_url: 'http://10.0.0.4:9091'}\nplugins:\n- name: akto-api-discovery\n  service: a\n  config: {service_url: 'http://10.0.0.4:9091'}\n";
        assert_eq!(
            from_deck(d, "akto-api-discovery").unwrap().url,
            "http://10.0.0.4:9091"
        );
        let two = d.replacen("10.0.0.4", "10.0.0.5", 1);
        assert!(from_deck(&two, "akto-api-discovery")
            .unwrap_err()
            .contains("2 different URLs"));
        assert!(from_deck("_format_version: \"3.0\"\n", "akto-api-discovery").is_err());
    }

    #[test]
    fn record_fields_as_generated_and_as_published() {
        let generated =
            "entry[\"akto_account_id\"] = \"4242\";\n entry[\"akto_vxlan_id\"] = \"7\";";
        assert_eq!(
            record_field(generated, "akto_account_id")
                .unwrap()
                .as_deref(),
            Some("4242")
        );
        assert_eq!(
            record_field(generated, "akto_vxlan_id").unwrap().as_deref(),
            Some("7")
        );
        let published = r#""\"akto_account_id\": \"1000000\", " + "\"akto_vxlan_id\": \"0\", ""#;
        assert_eq!(
            record_field(published, "akto_account_id")
                .unwrap()
                .as_deref(),
            Some("1000000")
        );
        // Computed, absent or not digits: nothing to take.
        for none in [
            "entry[\"akto_account_id\"] = context.Variables[\"a\"];",
            "no field here",
            "entry[\"akto_account_id\"] = \"12ab\";",
            "<!-- akto_account_id 4242 -->",
        ] {
            assert_eq!(
                record_field(none, "akto_account_id").unwrap(),
                None,
                "{none}"
            );
        }
        let two = "entry[\"akto_account_id\"] = \"1\"; entry[\"akto_account_id\"] = \"2\";";
        assert!(record_field(two, "akto_account_id")
            .unwrap_err()
            .contains("2 different akto_account_id values (1, 2)"));
    }
}
