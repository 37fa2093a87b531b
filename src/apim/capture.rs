//! The Akto traffic-capture policy for Azure API Management (seed 000), built from checked
//! options, rendered, and read back before anyone sees it.
//!
//! The capture is two runs of steps, one for `<inbound>` and one for `<outbound>`
//! ([`steps`]); they are placed in a whole document for a scope ([`render`]), in two policy
//! fragments ([`render_fragments`]), or into an existing policy (`super::inject`).
//!
//! Kept from the seed: `<base />` in all four sections (below global scope), the path filter
//! (now the `aktoRegexList` variable), the ingest payload fields. Fixed: the JSON body is built with `JObject` (a `"` in a path cannot corrupt
//! it), regexes match with a timeout, oversized bodies are sent empty rather than cut, an
//! optional ingest token comes from a named value, and every step fails open.

use serde::Serialize;

use super::patterns::RegexList;
use super::{tree, SECTIONS};
use crate::error::InputError;
use crate::http_url::BaseUrl;
use crate::render::{self, Artifact, Rendered, Syntax};

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
    pub fn name(self) -> &'static str {
        match self {
            PolicyFormat::RawXml => "rawxml",
            PolicyFormat::Xml => "xml",
        }
    }
}

/// Where in APIM the policy goes; see [`Scope::describe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Product,
    Api,
    Operation,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Product => "product",
            Scope::Api => "api",
            Scope::Operation => "operation",
        }
    }

    /// Where the policy goes and what it captures.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Global => "All APIs > Policies: every API of the instance",
            Scope::Product => "Products > the product > Policies: every API of the product",
            Scope::Api => "APIs > the API > All operations: every operation of the API",
            Scope::Operation => "APIs > the API > the operation: that operation only",
        }
    }
}

/// The ids of the two capture fragments (`<prefix>-capture-inbound`, `<prefix>-capture-outbound`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FragmentIds {
    pub inbound: String,
    pub outbound: String,
}

/// The default `--fragment-prefix`.
pub const DEFAULT_FRAGMENT_PREFIX: &str = "akto";

impl FragmentIds {
    pub fn with_prefix(input: &str, prefix: &str) -> Result<Self, InputError> {
        let ok = !prefix.is_empty()
            && prefix.len() <= 60
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && prefix.as_bytes()[0].is_ascii_alphanumeric();
        if !ok {
            return Err(InputError::new(
                input,
                prefix,
                "a fragment id prefix is 1 to 60 letters, digits, `-` or `_`, starting with a letter or digit",
                "give a short name such as akto or team-akto",
            ));
        }
        Ok(Self {
            inbound: format!(
                "{prefix}-{}",
                super::capture_detect::INBOUND_FRAGMENT_SUFFIX
            ),
            outbound: format!(
                "{prefix}-{}",
                super::capture_detect::OUTBOUND_FRAGMENT_SUFFIX
            ),
        })
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
    pub scope: Scope,
    /// Include these fragments instead of writing the steps inline.
    pub fragments: Option<FragmentIds>,
    /// What each record holds and when it is sent.
    pub record: RecordOptions,
}

/// What goes into each record and when one is sent: the privacy and cost knobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOptions {
    /// Also capture in `<on-error>` (failed calls), once per call.
    pub on_error: bool,
    /// Header names (lower case) whose values are replaced by [`REDACTED`].
    pub redact_headers: Vec<String>,
    /// Percentage of matching calls that are sent, 1 to 100, decided once per call in `<inbound>`.
    pub sample_percent: u8,
    /// `send-one-way-request`'s `timeout`, in seconds.
    pub send_timeout_secs: u32,
    /// Read and send the request body.
    pub request_body: bool,
    /// Read and send the response body.
    pub response_body: bool,
}

impl Default for RecordOptions {
    fn default() -> Self {
        Self {
            on_error: true,
            redact_headers: Vec::new(),
            sample_percent: 100,
            send_timeout_secs: DEFAULT_SEND_TIMEOUT_SECS,
            request_body: true,
            response_body: true,
        }
    }
}

/// What a redacted header's value becomes in the record.
pub const REDACTED: &str = "[REDACTED]";

/// The headers of `--redact-header apim-credentials`: APIM's own credentials, which no test of
/// the backend needs.
pub const APIM_CREDENTIAL_HEADERS: [&str; 2] = ["Ocp-Apim-Subscription-Key", "Ocp-Apim-Trace-Key"];

/// The preset name `--redact-header` expands to [`APIM_CREDENTIAL_HEADERS`].
pub const APIM_CREDENTIALS_PRESET: &str = "apim-credentials";

/// Default of `--send-timeout`: the ingest call never holds a gateway thread for APIM's
/// default of 60 s.
pub const DEFAULT_SEND_TIMEOUT_SECS: u32 = 10;

/// Upper bound of `--send-timeout` (APIM's documented maximum for the request policies).
pub const MAX_SEND_TIMEOUT_SECS: u32 = 240;

/// An HTTP header name (RFC 9110 `token`), at most 256 bytes. It holds no `"` or `\`, so it
/// stands in a C# string literal as it is.
fn is_header_token(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 256
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl RecordOptions {
    /// Checks `--redact-header` values (a preset name or an HTTP header name) and returns them
    /// lower-cased, deduplicated, in the order given.
    pub fn parse_redact_headers(values: &[String]) -> Result<Vec<String>, InputError> {
        let mut out: Vec<String> = Vec::new();
        for v in values {
            let names: Vec<String> = if v.eq_ignore_ascii_case(APIM_CREDENTIALS_PRESET) {
                APIM_CREDENTIAL_HEADERS
                    .iter()
                    .map(|h| h.to_string())
                    .collect()
            } else {
                if !is_header_token(v) {
                    return Err(InputError::new(
                        "--redact-header",
                        v,
                        "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, at most 256)",
                        format!("give a header name such as Authorization, or {APIM_CREDENTIALS_PRESET} for APIM's own keys"),
                    ));
                }
                vec![v.clone()]
            };
            for n in names {
                let n = n.to_ascii_lowercase();
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        Ok(out)
    }
}

/// The capture steps of each section, unindented (nested levels use 4 spaces), `\n` line ends,
/// no trailing line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Steps {
    pub inbound: String,
    pub outbound: String,
    /// The steps for `<on-error>`: the inbound steps again (a call can fail before they ran in
    /// `<inbound>`; they decide the same way and keep what was already recorded), then the
    /// outbound steps (they send once per call: `aktoSent`). Empty when failed calls are not
    /// captured.
    pub on_error: String,
}

/// One rendered policy fragment.
#[derive(Debug, Clone)]
pub struct Fragment {
    pub id: String,
    pub description: String,
    pub text: String,
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
    /// A C# array literal of the lower-cased redacted header names; empty when none.
    redact_list: String,
    redacted: &'static str,
    /// The C# condition that keeps a matching call: `true`, or a draw from the call's id.
    sampled: String,
    send_timeout_secs: u32,
    request_body: bool,
    response_body: bool,
}

/// Checks the options and says what the user should hear about them.
fn prepare(opts: &CaptureOptions) -> anyhow::Result<(Context<'_>, Vec<String>)> {
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
    let r = &opts.record;
    if !(1..=100).contains(&r.sample_percent) {
        anyhow::bail!(InputError::new(
            "--sample-percent",
            r.sample_percent.to_string(),
            "must be from 1 to 100",
            "100 (the default) sends every matching call",
        ));
    }
    if !(1..=MAX_SEND_TIMEOUT_SECS).contains(&r.send_timeout_secs) {
        anyhow::bail!(InputError::new(
            "--send-timeout",
            r.send_timeout_secs.to_string(),
            format!("must be from 1 to {MAX_SEND_TIMEOUT_SECS} seconds"),
            format!("the default, {DEFAULT_SEND_TIMEOUT_SECS}, suits an ingest service nearby"),
        ));
    }
    // Names are header tokens (the check `parse_redact_headers` makes), so they need no
    // escaping inside a C# string literal; a caller that built the options another way gets the
    // same check here rather than a rendered policy.
    let mut redact = Vec::new();
    for h in &r.redact_headers {
        let h = h.to_ascii_lowercase();
        if !is_header_token(&h) {
            anyhow::bail!(InputError::new(
                "--redact-header",
                h,
                "is not an HTTP header name",
                "give a header name such as Authorization",
            ));
        }
        redact.push(format!("\"{h}\""));
    }
    let ctx = Context {
        redact_list: redact.join(", "),
        redacted: REDACTED,
        // context.RequestId is a fresh Guid per call: its hash is the call's own draw, taken
        // once in <inbound> and kept in aktoCapture for <outbound> and <on-error>.
        sampled: if r.sample_percent >= 100 {
            "true".to_string()
        } else {
            format!(
                "((uint)context.RequestId.GetHashCode() % 100) < {}",
                r.sample_percent
            )
        },
        send_timeout_secs: r.send_timeout_secs,
        request_body: r.request_body,
        response_body: r.response_body,
        format: opts.format.name(),
        regex_list: opts.patterns.joined(),
        endpoint: base.join(INGEST_PATH),
        account_id: &opts.account_id.0,
        vxlan_id: &opts.vxlan_id.0,
        match_timeout_ms: opts.match_timeout_ms,
        max_body_bytes: opts.max_body_bytes,
        token_named_value: opts.token_named_value.as_ref().map(|n| n.0.as_str()),
    };
    Ok((ctx, warnings))
}

#[derive(Serialize)]
struct StepsContext<'a> {
    #[serde(flatten)]
    ctx: &'a Context<'a>,
    section: &'static str,
}

fn render_steps(ctx: &Context<'_>, ctx_on_error: bool) -> anyhow::Result<Steps> {
    let one = |section| -> anyhow::Result<String> {
        let text = render::render("apim/capture-steps.xml.j2", StepsContext { ctx, section })?;
        Ok(text.trim_matches('\n').to_string())
    };
    let inbound = one("inbound")?;
    let outbound = one("outbound")?;
    Ok(Steps {
        on_error: if ctx_on_error {
            format!("{inbound}\n{outbound}")
        } else {
            String::new()
        },
        inbound,
        outbound,
    })
}

/// The steps each section holds: inline capture steps, or the fragments' includes when
/// `opts.fragments` is set. Unchecked on their own: [`render`], [`render_fragments`] and
/// `inject` read back what they build from them.
pub fn steps(opts: &CaptureOptions) -> anyhow::Result<(Steps, Vec<String>)> {
    let (ctx, warnings) = prepare(opts)?;
    let steps = match &opts.fragments {
        Some(ids) => Steps {
            inbound: include_line(&ids.inbound),
            outbound: include_line(&ids.outbound),
            on_error: if opts.record.on_error {
                format!(
                    "{}\n{}",
                    include_line(&ids.inbound),
                    include_line(&ids.outbound)
                )
            } else {
                String::new()
            },
        },
        None => render_steps(&ctx, opts.record.on_error)?,
    };
    Ok((steps, warnings))
}

fn include_line(id: &str) -> String {
    format!(
        "<include-fragment fragment-id=\"{}\" />",
        render::xml_attr(id)
    )
}

/// `text` with every line indented by `prefix` plus one `unit` per leading 4 spaces.
pub fn indent(text: &str, prefix: &str, unit: &str) -> String {
    text.split('\n')
        .map(|line| {
            let trimmed = line.trim_start_matches(' ');
            let spaces = line.len() - trimmed.len();
            let mut out = String::from(prefix);
            for _ in 0..spaces / 4 {
                out.push_str(unit);
            }
            out.push_str(&" ".repeat(spaces % 4));
            out.push_str(trimmed);
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Serialize)]
struct DocumentContext {
    global: bool,
    inbound_steps: String,
    outbound_steps: String,
    on_error_steps: String,
}

/// The file name of the whole policy document when it goes into a folder.
pub const POLICY_FILE: &str = "akto-capture-policy.xml";

/// Renders the whole policy document for `opts.scope` and reads it back; a policy that fails
/// its own check is never returned.
pub fn render(opts: &CaptureOptions) -> anyhow::Result<Rendered> {
    let (ctx, warnings) = prepare(opts)?;
    let (steps, _) = steps(opts)?;
    let text = render::render(
        "apim/capture-policy.xml.j2",
        DocumentContext {
            global: opts.scope == Scope::Global,
            inbound_steps: indent(&steps.inbound, "        ", "    "),
            outbound_steps: indent(&steps.outbound, "        ", "    "),
            on_error_steps: if steps.on_error.is_empty() {
                String::new()
            } else {
                indent(&steps.on_error, "        ", "    ")
            },
        },
    )?;
    check_size(&text)?;
    verify(&text, opts, &ctx.regex_list, &ctx.endpoint).map_err(internal)?;
    Ok(Rendered {
        artifact: policy_artifact(POLICY_FILE, text, opts.format),
        warnings,
    })
}

/// Renders the two capture fragments (ids from `opts.fragments`, or the default prefix), each
/// read back before it is returned.
pub fn render_fragments(opts: &CaptureOptions) -> anyhow::Result<(Vec<Fragment>, Vec<String>)> {
    let (ctx, warnings) = prepare(opts)?;
    let steps = render_steps(&ctx, opts.record.on_error)?;
    let ids = match &opts.fragments {
        Some(ids) => ids.clone(),
        None => FragmentIds::with_prefix("--fragment-prefix", DEFAULT_FRAGMENT_PREFIX)?,
    };
    let mut out = Vec::new();
    for (id, body, description) in [
        (
            &ids.inbound,
            &steps.inbound,
            "Akto traffic capture, inbound half: decides from the request path (aktoRegexList) whether to capture, and keeps the request body and time. Include it in <inbound> after <base />, with its outbound half in <outbound>. Generated by akto-connect.",
        ),
        (
            &ids.outbound,
            &steps.outbound,
            "Akto traffic capture, outbound half: sends the request and response to the Akto ingest service (fire and forget), once per call. Include it last in <outbound>, with its inbound half in <inbound>; to record failed calls include both halves, inbound then outbound, last in <on-error>. Generated by akto-connect.",
        ),
    ] {
        let text = render::render(
            "apim/capture-fragment.xml.j2",
            minijinja::context! { steps => indent(body, "    ", "    ") },
        )?;
        check_fragment_size(&text)?;
        verify_fragment(&text, opts).map_err(internal)?;
        out.push(Fragment {
            id: id.clone(),
            description: description.to_string(),
            text,
        });
    }
    Ok((out, warnings))
}

/// APIM refuses a policy document or fragment over 256 KiB; only the path patterns can make the
/// capture that long.
fn check_size(text: &str) -> Result<(), InputError> {
    let limit = super::MAX_POLICY_BYTES;
    if text.len() > limit {
        return Err(InputError::new(
            "--regex/--regex-file",
            format!("{} bytes of policy", text.len()),
            format!("with these path patterns the policy is over APIM's limit of {limit} bytes (256 KiB)"),
            "use fewer or shorter patterns (one pattern with alternatives is shorter than many)",
        ));
    }
    Ok(())
}

/// APIM refuses a policy fragment over 32 KB (Microsoft Learn, "Reuse policy configurations":
/// "The maximum size of a policy fragment is 32 KB"); counted as 32,000 bytes to stay clear of
/// either reading of "KB".
pub const MAX_FRAGMENT_BYTES: usize = 32_000;

fn check_fragment_size(text: &str) -> Result<(), InputError> {
    if text.len() > MAX_FRAGMENT_BYTES {
        return Err(InputError::new(
            "--regex/--regex-file",
            format!("{} bytes of fragment", text.len()),
            format!("with these path patterns a capture fragment is over APIM's limit of {MAX_FRAGMENT_BYTES} bytes (32 KB) for a policy fragment"),
            "use fewer or shorter patterns, or write the capture inline (without fragments), where the limit is 256 KiB",
        ));
    }
    Ok(())
}

fn internal(problem: String) -> anyhow::Error {
    anyhow::anyhow!(
        "internal error: the generated policy failed its own check ({problem}); nothing was written. Please report this with the command line you used."
    )
}

fn verify_fragment(text: &str, opts: &CaptureOptions) -> Result<(), String> {
    if opts.format == PolicyFormat::Xml {
        check_well_formed(text)?;
    }
    let doc = tree::read(text).map_err(|e| format!("unreadable at byte {}: {e}", e.offset))?;
    if doc.root.name != "fragment" {
        return Err(format!("root is <{}>, not <fragment>", doc.root.name));
    }
    let found = super::capture_detect::detect(&doc, text);
    if found.steps.is_empty() || doc.root.descendants().iter().any(|e| e.name == "base") {
        return Err("the fragment holds no capture step, or a <base />".to_string());
    }
    Ok(())
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
    let global = opts.scope == Scope::Global;
    for section in SECTIONS {
        let found: Vec<_> = doc.root.elements().filter(|e| e.name == section).collect();
        let [one] = found.as_slice() else {
            return Err(format!("{} <{section}> sections", found.len()));
        };
        let bases = one.elements().filter(|e| e.name == "base").count();
        if bases != usize::from(!global) {
            return Err(format!("<{section}> has {bases} <base /> children"));
        }
        let forwards = one
            .elements()
            .filter(|e| e.name == "forward-request")
            .count();
        if forwards != usize::from(global && section == "backend") {
            return Err(format!("<{section}> has {forwards} <forward-request />"));
        }
    }
    let found = super::capture_detect::detect(&doc, text);
    if !found.is_complete() {
        return Err("the capture is not recognised in <inbound> and <outbound>".to_string());
    }
    if opts.fragments.is_some() {
        return Ok(());
    }
    let all = doc.root.descendants();
    let regex_vars: Vec<_> = all
        .iter()
        .filter(|e| e.name == "set-variable")
        .filter(|e| {
            e.attr("name")
                .is_some_and(|a| doc.attr_value(text, a) == "aktoRegexList")
        })
        .collect();
    // Once in <inbound>, and again in <on-error> when failed calls are captured.
    let copies = 1 + usize::from(opts.record.on_error);
    if regex_vars.len() != copies {
        return Err(format!("{} aktoRegexList variables", regex_vars.len()));
    }
    for var in regex_vars {
        let value = var.attr("value").map(|a| doc.attr_value(text, a));
        if value.as_deref() != Some(regex_list) {
            return Err(format!("aktoRegexList reads back as {value:?}"));
        }
    }
    let urls: Vec<String> = all
        .iter()
        .filter(|e| e.name == "send-one-way-request")
        .flat_map(|e| e.elements().filter(|c| c.name == "set-url"))
        .map(|u| doc.text(text, u))
        .collect();
    if urls.len() != copies || urls.iter().any(|u| u != endpoint) {
        return Err(format!("set-url reads back as {urls:?}"));
    }
    Ok(())
}

use crate::render::artifact::check_well_formed;
pub use crate::render::artifact::is_well_formed_xml;

/// A policy document or fragment as an artifact: read back as well-formed XML in the `xml` form,
/// as APIM's dialect in the `rawxml` form.
pub fn policy_artifact(path: &str, text: String, format: PolicyFormat) -> Artifact {
    let syntax = match format {
        PolicyFormat::Xml => Syntax::Xml,
        PolicyFormat::RawXml => Syntax::Policy,
    };
    Artifact::new(path, text).read_as(syntax)
}

/// Where `apim fragments` puts the fragment files in a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FragmentLayout {
    /// `<id>.xml` for each.
    Files,
    /// As the APIOps extractor writes them: `policy fragments/<id>/policy.xml` and
    /// `policyFragmentInformation.json` (the name and the properties besides the text).
    ApiOps,
}

/// The fragments as files in `layout`.
pub fn fragment_files(
    fragments: &[Fragment],
    format: PolicyFormat,
    layout: FragmentLayout,
) -> Vec<Artifact> {
    let mut out = Vec::new();
    for f in fragments {
        match layout {
            FragmentLayout::Files => {
                out.push(policy_artifact(
                    &format!("{}.xml", f.id),
                    f.text.clone(),
                    format,
                ));
            }
            FragmentLayout::ApiOps => {
                let dir = std::path::Path::new("policy fragments").join(&f.id);
                let info = serde_json::json!({
                    "name": f.id,
                    "properties": { "description": f.description },
                });
                let info = serde_json::to_string_pretty(&info).unwrap_or_default() + "\n";
                let mut policy = policy_artifact("", f.text.clone(), format);
                policy.path = dir.join("policy.xml");
                out.push(policy);
                out.push(
                    Artifact::new(dir.join("policyFragmentInformation.json"), info)
                        .read_as(Syntax::Json),
                );
            }
        }
    }
    out
}
