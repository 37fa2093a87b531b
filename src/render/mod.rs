//! Templates and the escaping filters they use.
//!
//! Templates live in `templates/`, embedded in the binary at build time. Auto-escaping is off:
//! every template chooses the escape for the exact context a value lands in, with the filters
//! below. Undefined variables are errors, so a misspelt name fails the render instead of
//! printing nothing.
//!
//! Not for: validating values (the models do that before rendering).

pub mod artifact;

pub use artifact::{Artifact, Rendered, Syntax};

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// The embedded templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "apim/capture-policy.xml.j2",
        include_str!("../../templates/apim/capture-policy.xml.j2"),
    ),
    (
        "apim/capture-steps.xml.j2",
        include_str!("../../templates/apim/capture-steps.xml.j2"),
    ),
    (
        "apim/capture-fragment.xml.j2",
        include_str!("../../templates/apim/capture-fragment.xml.j2"),
    ),
    (
        "kong/curl.sh.j2",
        include_str!("../../templates/kong/curl.sh.j2"),
    ),
    (
        "kong/deck.yaml.j2",
        include_str!("../../templates/kong/deck.yaml.j2"),
    ),
    (
        "kong/kic.yaml.j2",
        include_str!("../../templates/kong/kic.yaml.j2"),
    ),
    (
        "kong/compose.yaml.j2",
        include_str!("../../templates/kong/compose.yaml.j2"),
    ),
    (
        "kong/helm.yaml.j2",
        include_str!("../../templates/kong/helm.yaml.j2"),
    ),
    (
        "aws/k8s.yaml.j2",
        include_str!("../../templates/aws/k8s.yaml.j2"),
    ),
    (
        "aws/compose.yaml.j2",
        include_str!("../../templates/aws/compose.yaml.j2"),
    ),
    (
        "aws/data-flow.j2",
        include_str!("../../templates/aws/data-flow.j2"),
    ),
    (
        "aws/env-file.j2",
        include_str!("../../templates/aws/env-file.j2"),
    ),
    (
        "aws/log-settings.sh.j2",
        include_str!("../../templates/aws/log-settings.sh.j2"),
    ),
    (
        "aws/log-settings.cfn.yaml.j2",
        include_str!("../../templates/aws/log-settings.cfn.yaml.j2"),
    ),
    (
        "kong/plugin-resource.yaml.j2",
        include_str!("../../templates/kong/plugin-resource.yaml.j2"),
    ),
    (
        "ingest/compose.yaml.j2",
        include_str!("../../templates/ingest/compose.yaml.j2"),
    ),
    (
        "ingest/mini-runtime.env.j2",
        include_str!("../../templates/ingest/mini-runtime.env.j2"),
    ),
    (
        "ingest/data-ingestion.env.j2",
        include_str!("../../templates/ingest/data-ingestion.env.j2"),
    ),
    (
        "ingest/helm-install.sh.j2",
        include_str!("../../templates/ingest/helm-install.sh.j2"),
    ),
    (
        "ingest/helm-mini-runtime-values.yaml.j2",
        include_str!("../../templates/ingest/helm-mini-runtime-values.yaml.j2"),
    ),
    (
        "ingest/helm-data-ingestion-values.yaml.j2",
        include_str!("../../templates/ingest/helm-data-ingestion-values.yaml.j2"),
    ),
    (
        "apim/access.sh.j2",
        include_str!("../../templates/apim/access.sh.j2"),
    ),
    (
        "apim/access.bicep.j2",
        include_str!("../../templates/apim/access.bicep.j2"),
    ),
    (
        "apim/policy.bicep.j2",
        include_str!("../../templates/apim/policy.bicep.j2"),
    ),
    (
        "apim/policy.tf.j2",
        include_str!("../../templates/apim/policy.tf.j2"),
    ),
    (
        "apim/fragments.bicep.j2",
        include_str!("../../templates/apim/fragments.bicep.j2"),
    ),
    (
        "ingest/threat-detection.env.j2",
        include_str!("../../templates/ingest/threat-detection.env.j2"),
    ),
    (
        "ingest/watchtower.yaml.j2",
        include_str!("../../templates/ingest/watchtower.yaml.j2"),
    ),
    (
        "apim/apim.tf.j2",
        include_str!("../../templates/apim/apim.tf.j2"),
    ),
    (
        "apim/fragments.tf.j2",
        include_str!("../../templates/apim/fragments.tf.j2"),
    ),
];

/// Renders template `name` with `ctx`.
pub fn render<S: Serialize>(name: &str, ctx: S) -> anyhow::Result<String> {
    let env = environment()?;
    let template = env.get_template(name)?;
    Ok(template.render(ctx)?)
}

fn environment() -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_keep_trailing_newline(true);
    env.add_filter("xml_attr", xml_attr);
    env.add_filter("xml_text", xml_text);
    env.add_filter("policy_expr", policy_expr);
    env.add_filter("sh", sh_quote);
    env.add_filter("yaml", yaml_str);
    env.add_filter("compose", compose_str);
    env.add_filter("bicep", bicep_str);
    env.add_filter("hcl", hcl_str);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// Escapes a value for a double-quoted XML attribute: `& < > "` become entities, and tab and
/// line breaks become character references so attribute-value normalisation keeps them.
pub fn xml_attr(value: &str) -> String {
    escape_xml(value, true)
}

/// Escapes a value for XML element text: `& < >` become entities.
pub fn xml_text(value: &str) -> String {
    escape_xml(value, false)
}

fn escape_xml(value: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match (c, attribute) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', _) => out.push_str("&gt;"),
            ('"', true) => out.push_str("&quot;"),
            ('\t', true) => out.push_str("&#9;"),
            ('\n', true) => out.push_str("&#10;"),
            ('\r', true) => out.push_str("&#13;"),
            (c, _) => out.push(c),
        }
    }
    out
}

/// Quotes a value as one shell word: single quotes, with `'` written as `'\''`.
pub fn sh_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// Writes a value as a double-quoted YAML scalar (JSON string syntax, which YAML 1.1 and 1.2
/// both read), so `on`, `yes`, `0755` or `1e3` stay strings. What JSON leaves raw but a YAML
/// reader would fold as a line break (U+0085, U+2028, U+2029) or refuse (other C1 controls,
/// a byte-order mark, noncharacters) is written as an escape. The models refuse these at the
/// input already; this is the last net.
pub fn yaml_str(value: &str) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string());
    if !json.chars().any(|c| crate::text::problem_char(c).is_some()) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        match c as u32 {
            _ if crate::text::problem_char(c).is_none() => out.push(c),
            n if n > 0xffff => out.push_str(&format!("\\U{n:08X}")),
            n => out.push_str(&format!("\\u{n:04X}")),
        }
    }
    out
}

/// Writes a value of a Docker Compose file: [`yaml_str`] with every `$` doubled, Compose's
/// escape for a literal dollar sign (its interpolation reads `$VAR`, `${VAR}`, `${VAR:-x}` in
/// every value; `$$` is one `$`, in docker-compose 1.x and Compose v2 alike). Keys are not
/// interpolated, so a service name keeps [`yaml_str`].
pub fn compose_str(value: &str) -> String {
    yaml_str(&value.replace('$', "$$"))
}

/// Writes a C# policy expression for the policy format: `rawxml` keeps it as the APIM portal
/// shows it; `xml` escapes `& < > "` so the document is well-formed XML (line breaks stay, as
/// C# does not care whether they come back as spaces).
pub fn policy_expr(code: &str, format: &str) -> Result<String, minijinja::Error> {
    match format {
        "rawxml" => Ok(code.to_string()),
        "xml" => Ok(xml_text(code).replace('"', "&quot;")),
        other => Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("unknown policy format {other:?}"),
        )),
    }
}

/// Writes a value as a single-quoted Bicep string, the one Bicep escape of the program. Per
/// Bicep's string grammar (its language specification, "Strings"): `\\` and `\'` are escaped,
/// `$` only where it would open an interpolation (`${` becomes `\${`; a lone `$` is literal),
/// line feed, carriage return and tab as `\n`, `\r`, `\t`, any other control character as
/// `\u{X}`.
pub fn bicep_str(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Writes a value as a double-quoted Terraform (HCL) string, the one HCL escape of the program:
/// `\\` and `"` are escaped, `${` and `%{` (which open an interpolation or a template
/// directive) are written `$${` and `%%{`, line feed, carriage return and tab as `\n`, `\r`,
/// `\t`, any other control character as `\uNNNN` (HCL's native syntax, "Template literals").
pub fn hcl_str(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_str_doubles_every_dollar() {
        assert_eq!(compose_str("${PLUGDIR:-/etc}"), "\"$${PLUGDIR:-/etc}\"");
        assert_eq!(compose_str("a$$b"), "\"a$$$$b\"");
        assert_eq!(compose_str("plain"), yaml_str("plain"));
    }

    #[test]
    fn yaml_str_escapes_what_yaml_reads_as_a_line_break() {
        for v in [
            "a\u{2028}b: c",
            "a\u{2029}b",
            "a\u{85}b\u{9f}",
            "\u{feff}x",
            "x\u{fffe}\u{1fffe}",
            "plain é",
        ] {
            let y = yaml_str(v);
            assert!(
                !y.chars().any(|c| crate::text::problem_char(c).is_some()),
                "{y:?}"
            );
            let back: String = serde_yaml::from_str(&format!("k: {y}"))
                .map(|m: std::collections::BTreeMap<String, String>| m["k"].clone())
                .unwrap_or_else(|e| panic!("{v:?} -> {y}: {e}"));
            assert_eq!(back, v);
        }
    }

    #[test]
    fn xml_attr_escapes_markup_and_whitespace() {
        assert_eq!(
            xml_attr("a&b<c>\"d'\t\n\r"),
            "a&amp;b&lt;c&gt;&quot;d'&#9;&#10;&#13;"
        );
    }

    #[test]
    fn xml_text_leaves_quotes() {
        assert_eq!(xml_text("a&b<c>\"d"), "a&amp;b&lt;c&gt;\"d");
    }

    #[test]
    fn policy_expr_by_format() {
        let code = "@(a<string>(\"k\") && b)";
        assert_eq!(policy_expr(code, "rawxml").unwrap(), code);
        assert_eq!(
            policy_expr(code, "xml").unwrap(),
            "@(a&lt;string&gt;(&quot;k&quot;) &amp;&amp; b)"
        );
        assert!(policy_expr(code, "json").is_err());
    }

    #[test]
    fn shell_and_yaml_quoting() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(yaml_str("on"), "\"on\"");
        assert_eq!(yaml_str("a\"\n"), "\"a\\\"\\n\"");
    }

    #[test]
    fn bicep_quoting() {
        assert_eq!(bicep_str("it's"), "'it\\'s'");
        assert_eq!(bicep_str("a\\b ${x} $y\n"), "'a\\\\b \\${x} $y\\n'");
        assert_eq!(bicep_str("a'b\\c${d}$"), "'a\\'b\\\\c\\${d}$'");
        assert_eq!(bicep_str("\r\t\u{1}"), "'\\r\\t\\u{1}'");
    }

    #[test]
    fn hcl_quoting() {
        assert_eq!(
            hcl_str("a\"b\\c${d}%{e}$f%g"),
            "\"a\\\"b\\\\c$${d}%%{e}$f%g\""
        );
        assert_eq!(hcl_str("x\ny\u{7f}"), "\"x\\ny\\u007F\"");
    }

    #[test]
    fn undefined_variables_fail() {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_template("t", "{{ missing }}").unwrap();
        let t = env.get_template("t").unwrap();
        assert!(t.render(minijinja::context! {}).is_err());
        // and the real environment is configured the same way
        assert!(render("apim/capture-policy.xml.j2", minijinja::context! {}).is_err());
    }
}
