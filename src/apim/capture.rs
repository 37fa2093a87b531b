//! The Akto traffic-capture policy for Azure API Management (seed 000), built from checked
//! options, rendered, and read back before anyone sees it.
//!
//! Kept from the seed: `<base />` in all four sections, the `regexList` path filter, the ingest
//! payload fields. Fixed: the JSON body is built with `JObject` (a `"` in a path cannot corrupt
//! it), regexes match with a timeout, oversized bodies are sent empty rather than cut, an
//! optional ingest token comes from a named value, and every step fails open.

use serde::Serialize;

use super::patterns::RegexList;
use super::{tree, SECTIONS};
use crate::error::InputError;
use crate::http_url::BaseUrl;
use crate::render;

/// Path of the ingest API below the service's base URL.
pub const INGEST_PATH: &str = "/api/ingestData";

/// The two ways APIM takes policy text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyFormat {
    /// The portal editor and ARM `format: rawxml`: expressions unescaped.
    RawXml,
    /// Well-formed XML for ARM/Bicep `format: xml` and Terraform `xml_content`.
    Xml,
}

impl PolicyFormat {
    fn name(self) -> &'static str {
        match self {
            PolicyFormat::RawXml => "rawxml",
            PolicyFormat::Xml => "xml",
        }
    }
}

/// A string of ASCII digits (Akto account and VXLAN ids).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digits(String);

impl Digits {
    pub fn parse(input: &str, value: &str) -> Result<Self, InputError> {
        if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InputError::new(
                input,
                value,
                "must be 1 to 19 digits (0-9) and nothing else",
                "give the number as Akto shows it, for example 1000000",
            ));
        }
        Ok(Self(value.to_string()))
    }
}

/// The name of an APIM named value (letters, digits, `.`, `-`, `_`; at most 256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedValueName(String);

impl NamedValueName {
    pub fn parse(input: &str, value: &str) -> Result<Self, InputError> {
        if value.starts_with("{{") || value.ends_with("}}") {
            return Err(InputError::new(
                input,
                value,
                "give the named value's name without the braces",
                format!("write {}", value.trim_matches(|c| c == '{' || c == '}')),
            ));
        }
        let ok = !value.is_empty()
            && value.len() <= 256
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !ok {
            return Err(InputError::new(
                input,
                value,
                "an APIM named value name is 1 to 256 letters, digits, `.`, `-` or `_`",
                "create the named value in APIM (Named values, type Secret) and give its name, for example akto-ingest-token",
            ));
        }
        Ok(Self(value.to_string()))
    }
}

/// Everything the capture policy is made from, already checked.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    pub ingest_url: BaseUrl,
    pub patterns: RegexList,
    pub account_id: Digits,
    pub vxlan_id: Digits,
    /// Match timeout for each `regexList` entry, 1 to 60000 ms.
    pub match_timeout_ms: u32,
    /// Bodies larger than this are sent as an empty string.
    pub max_body_bytes: u32,
    pub token_named_value: Option<NamedValueName>,
    pub format: PolicyFormat,
}

/// A rendered, self-checked policy and what the user should hear about it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    pub warnings: Vec<String>,
}

/// Upper bound of `match_timeout_ms`: beyond a minute a timeout bounds nothing useful.
pub const MAX_MATCH_TIMEOUT_MS: u32 = 60_000;

#[derive(Serialize)]
struct Context<'a> {
    format: &'static str,
    regex_list: String,
    endpoint: String,
    account_id: &'a str,
    vxlan_id: &'a str,
    match_timeout_ms: u32,
    max_body_bytes: u32,
    token_named_value: Option<&'a str>,
}

/// Renders the policy and reads it back; a policy that fails its own check is never returned.
pub fn render(opts: &CaptureOptions) -> anyhow::Result<Rendered> {
    let mut warnings = Vec::new();
    let base = match opts.ingest_url.strip_suffix(INGEST_PATH) {
        Some(base) => {
            warnings.push(format!(
                "--ingest-url already ends with {INGEST_PATH}; the policy posts to {} (give the service's base URL to silence this)",
                opts.ingest_url.as_str()
            ));
            base
        }
        None => opts.ingest_url.clone(),
    };
    if !base.is_https() {
        warnings.push(format!(
            "--ingest-url {} uses http://: captured requests, responses and any token travel in clear; use https:// unless the ingest service is on a private network",
            opts.ingest_url.as_str()
        ));
    }
    if !(1..=MAX_MATCH_TIMEOUT_MS).contains(&opts.match_timeout_ms) {
        anyhow::bail!(InputError::new(
            "--match-timeout-ms",
            opts.match_timeout_ms.to_string(),
            format!("must be from 1 to {MAX_MATCH_TIMEOUT_MS}"),
            "the default, 50, suits path patterns",
        ));
    }
    let endpoint = base.join(INGEST_PATH);
    let ctx = Context {
        format: opts.format.name(),
        regex_list: opts.patterns.joined(),
        endpoint: endpoint.clone(),
        account_id: &opts.account_id.0,
        vxlan_id: &opts.vxlan_id.0,
        match_timeout_ms: opts.match_timeout_ms,
        max_body_bytes: opts.max_body_bytes,
        token_named_value: opts.token_named_value.as_ref().map(|n| n.0.as_str()),
    };
    let text = render::render("apim/capture-policy.xml.j2", &ctx)?;
    verify(&text, opts, &ctx.regex_list, &endpoint).map_err(|problem| {
        anyhow::anyhow!(
            "internal error: the generated policy failed its own check ({problem}); nothing was written. Please report this with the command line you used."
        )
    })?;
    Ok(Rendered { text, warnings })
}

/// Reads the rendered policy back and confirms what the user depends on.
fn verify(
    text: &str,
    opts: &CaptureOptions,
    regex_list: &str,
    endpoint: &str,
) -> Result<(), String> {
    if opts.format == PolicyFormat::Xml {
        check_well_formed(text)?;
    }
    let doc = tree::read(text).map_err(|e| format!("unreadable at byte {}: {e}", e.offset))?;
    if doc.root.name != "policies" {
        return Err(format!("root is <{}>, not <policies>", doc.root.name));
    }
    for section in SECTIONS {
        let found: Vec<_> = doc.root.elements().filter(|e| e.name == section).collect();
        let [one] = found.as_slice() else {
            return Err(format!("{} <{section}> sections", found.len()));
        };
        let bases = one.elements().filter(|e| e.name == "base").count();
        if bases != 1 {
            return Err(format!("<{section}> has {bases} <base /> children"));
        }
    }
    let all = doc.root.descendants();
    let regex_vars: Vec<_> = all
        .iter()
        .filter(|e| e.name == "set-variable")
        .filter(|e| {
            e.attr("name")
                .is_some_and(|a| doc.attr_value(text, a) == "regexList")
        })
        .collect();
    let [var] = regex_vars.as_slice() else {
        return Err(format!("{} regexList variables", regex_vars.len()));
    };
    let value = var.attr("value").map(|a| doc.attr_value(text, a));
    if value.as_deref() != Some(regex_list) {
        return Err(format!("regexList reads back as {value:?}"));
    }
    let urls: Vec<String> = all
        .iter()
        .filter(|e| e.name == "send-one-way-request")
        .flat_map(|e| e.elements().filter(|c| c.name == "set-url"))
        .map(|u| doc.text(text, u))
        .collect();
    if urls != [endpoint] {
        return Err(format!("set-url reads back as {urls:?}"));
    }
    Ok(())
}

/// Reads `text` with a plain XML reader: the `xml` form must be well-formed as it stands.
fn check_well_formed(text: &str) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_comments = true;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return Ok(()),
            Ok(quick_xml::events::Event::Start(s) | quick_xml::events::Event::Empty(s)) => {
                for a in s.attributes().with_checks(true) {
                    let a = a.map_err(|e| format!("not well-formed XML: {e}"))?;
                    a.unescape_value()
                        .map_err(|e| format!("not well-formed XML: {e}"))?;
                }
            }
            Ok(quick_xml::events::Event::Text(t)) => {
                t.unescape()
                    .map_err(|e| format!("not well-formed XML: {e}"))?;
            }
            Ok(_) => {}
            Err(e) => return Err(format!("not well-formed XML: {e}")),
        }
    }
}
