//! The plugin's Lua files as the user has them: which plugin a `schema.lua` declares.
//!
//! Akto's public kong-integration repository holds two plugins: `api_plugin/` is
//! `akto-api-discovery` (config `service_url`, `timeout`, `log_level`), and `plugin/` is
//! another one, `akto-mcp-endpoint-shield` (`service_url`, `mode`, `timeout`). Mounting the wrong
//! folder at Kong's `akto-api-discovery` path loads a plugin of another name, so `--plugin-dir`
//! is read when it is on this machine.
//!
//! Pure: takes the file's text.

/// The `name = "…"` a Kong plugin schema returns (`return { name = "x", fields = … }`): the
/// first `name` assigned a string literal outside a comment. `None` when there is none.
pub fn schema_name(text: &str) -> Option<String> {
    for line in text.lines().take(10_000) {
        let code = line.split("--").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("name") {
            let before = rest[..i].chars().next_back();
            let after = &rest[i + 4..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(value) = after.trim_start().strip_prefix('=') else {
                continue;
            };
            let value = value.trim_start();
            let Some(q) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let body = &value[1..];
            if let Some(end) = body.find(q) {
                let name = &body[..end];
                if !name.is_empty() && name.len() <= 100 {
                    return Some(name.to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_schema_name_and_not_a_field_or_comment() {
        let api = "local typedefs = require \"kong.db.schema.typedefs\"\n-- name = \"not-this\"\nreturn {\n  name = \"akto-api-discovery\",\n  fields = {\n    { config = { type = \"record\", fields = {\n      { service_url = typedefs.url { required = true } },\n    } } },\n  },\n}\n";
        assert_eq!(schema_name(api).as_deref(), Some("akto-api-discovery"));
        let other = "return { name = 'akto-mcp-endpoint-shield', fields = { { config = { type = 'record', fields = { { mode = { type = 'string' } } } } } } }";
        assert_eq!(
            schema_name(other).as_deref(),
            Some("akto-mcp-endpoint-shield")
        );
        assert_eq!(schema_name("local plugin_name = 'x'\nreturn {}"), None);
        assert_eq!(schema_name(""), None);
    }
}
