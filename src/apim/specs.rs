//! Exporting API definitions from an API Management instance, as data: the URLs of the token,
//! list and export calls, reading their answers, which APIs to export, file names, and the
//! `index.json` written beside the definitions.
//!
//! Facts (DESIGN §3): a client-credentials token for `{management}/.default`; `GET …/apis`
//! paged by `nextLink`; `GET …/apis/{id}?format=…-link&export=true` answers
//! `{"format": …, "value": {"link": "<blob SAS URL>"}}`, and the link serves the definition.
//!
//! Not for: I/O. `app::specs` sends the requests (through `net`) and writes the files.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::azure::ApimInstance;

/// The ARM API version of the list and export calls.
pub const API_VERSION: &str = "2022-08-01";

/// The definition format asked of APIM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecFormat {
    /// OpenAPI 3, JSON (`openapi+json-link`).
    OpenApiJson,
    /// OpenAPI 3, YAML (`openapi-link`).
    OpenApiYaml,
    /// Swagger 2 / OpenAPI 2, JSON (`swagger-link`).
    Swagger,
}

impl SpecFormat {
    /// The `format` query value of the export call.
    pub fn export_format(self) -> &'static str {
        match self {
            SpecFormat::OpenApiJson => "openapi+json-link",
            SpecFormat::OpenApiYaml => "openapi-link",
            SpecFormat::Swagger => "swagger-link",
        }
    }

    /// The file extension of the written definitions.
    pub fn extension(self) -> &'static str {
        match self {
            SpecFormat::OpenApiJson | SpecFormat::Swagger => "json",
            SpecFormat::OpenApiYaml => "yaml",
        }
    }

    /// The name used on the command line and in `index.json`.
    pub fn name(self) -> &'static str {
        match self {
            SpecFormat::OpenApiJson => "openapi-json",
            SpecFormat::OpenApiYaml => "openapi-yaml",
            SpecFormat::Swagger => "swagger",
        }
    }
}

/// The tenant from `AZURE_TENANT_ID`: a GUID or a domain name (`contoso.onmicrosoft.com`).
pub fn check_tenant(value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 253
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err("AZURE_TENANT_ID is not a tenant id: give the directory (tenant) GUID, or its domain such as contoso.onmicrosoft.com".to_string())
    }
}

/// `{authority}/{tenant}/oauth2/v2.0/token`.
pub fn token_url(authority: &str, tenant: &str) -> String {
    format!(
        "{}/{}/oauth2/v2.0/token",
        authority.trim_end_matches('/'),
        encode(tenant)
    )
}

/// The form body of the client-credentials request, for the management scope.
pub fn token_body(client_id: &str, client_secret: &str, management: &str) -> String {
    let scope = format!("{}/.default", management.trim_end_matches('/'));
    format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
        encode(client_id),
        encode(client_secret),
        encode(&scope)
    )
}

/// The access token of a successful token answer.
pub fn parse_token(body: &[u8]) -> Result<String, String> {
    #[derive(Deserialize)]
    struct Token {
        access_token: String,
    }
    serde_json::from_slice::<Token>(body)
        .map(|t| t.access_token)
        .map_err(|_| "the token endpoint answered without an access_token".to_string())
}

/// Why Entra ID refused the client credentials, and which variable to check.
pub fn token_failure(status: u16, body: &[u8]) -> String {
    #[derive(Deserialize, Default)]
    struct AadError {
        #[serde(default)]
        error: String,
        #[serde(default)]
        error_codes: Vec<u64>,
    }
    let e: AadError = serde_json::from_slice(body).unwrap_or_default();
    let code = e.error_codes.first().copied();
    let check = match code {
        Some(7_000_215) => "AZURE_CLIENT_SECRET: the secret is wrong (copy the secret's Value, not its Secret ID)",
        Some(7_000_222) => "AZURE_CLIENT_SECRET: the secret has expired; make a new one (`akto-connect apim access`)",
        Some(700_016) => "AZURE_CLIENT_ID: no application with this id in the tenant (or AZURE_TENANT_ID names another tenant)",
        Some(90_002) | Some(900_023) | Some(90_072) => "AZURE_TENANT_ID: no such tenant; give the directory (tenant) id of the app registration",
        _ if status == 401 || e.error == "invalid_client" => {
            "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET: the client credentials were refused"
        }
        _ => "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
    };
    let mut msg = format!("the token request was refused (HTTP {status}");
    // OAuth 2 error codes are lowercase words joined by `_` (invalid_client, …). Anything else
    // is not shown: a proxy or a broken endpoint may echo the form, secret included.
    if !e.error.is_empty()
        && e.error.len() <= 40
        && e.error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        let _ = write!(msg, ", {}", e.error);
    }
    if let Some(c) = code {
        let _ = write!(msg, ", AADSTS{c}");
    }
    let _ = write!(msg, "); check {check}");
    msg
}

/// The first page of the API list.
pub fn list_url(management: &str, instance: &ApimInstance) -> String {
    format!(
        "{}{}/apis?api-version={API_VERSION}",
        management.trim_end_matches('/'),
        instance.scope()
    )
}

/// The export call for one API.
pub fn export_url(
    management: &str,
    instance: &ApimInstance,
    api: &str,
    format: SpecFormat,
) -> String {
    format!(
        "{}{}/apis/{}?format={}&export=true&api-version={API_VERSION}",
        management.trim_end_matches('/'),
        instance.scope(),
        encode(api),
        encode(format.export_format())
    )
}

/// One API as the list call describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiEntry {
    /// The API id (the resource name, `echo-api` or `echo-api;rev=2`).
    pub name: String,
    pub display_name: String,
    pub path: String,
    pub api_version: String,
    pub revision: String,
    pub is_current: bool,
    /// `http`, `soap`, `graphql`, `websocket`, `grpc`, `odata` (absent means `http`).
    pub api_type: String,
}

impl ApiEntry {
    /// A non-current revision (`;rev=` in its id, or `isCurrent: false`).
    pub fn is_revision(&self) -> bool {
        self.name.contains(";rev=") || !self.is_current
    }

    /// Whether APIM can export it as OpenAPI/Swagger: GraphQL, WebSocket and gRPC APIs have no
    /// such definition.
    pub fn has_openapi(&self) -> bool {
        !matches!(
            self.api_type.to_ascii_lowercase().as_str(),
            "graphql" | "websocket" | "grpc"
        )
    }
}

/// One page of the list: its APIs and the next page's URL.
pub fn parse_list_page(body: &[u8]) -> Result<(Vec<ApiEntry>, Option<String>), String> {
    #[derive(Deserialize)]
    struct Page {
        // Resource Manager always sends `value` (`[]` when there are no APIs): an answer
        // without it is not a list, and read as "no APIs" it would make --prune delete all.
        value: Option<Vec<Item>>,
        #[serde(rename = "nextLink", default)]
        next_link: Option<String>,
    }
    #[derive(Deserialize)]
    struct Item {
        name: String,
        #[serde(default)]
        properties: Props,
    }
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct Props {
        display_name: Option<String>,
        path: Option<String>,
        api_version: Option<String>,
        api_revision: Option<String>,
        is_current: Option<bool>,
        #[serde(rename = "type")]
        api_type: Option<String>,
        #[serde(rename = "apiType")]
        api_type_alt: Option<String>,
    }
    let page: Page = serde_json::from_slice(body)
        .map_err(|e| format!("the API list is not the JSON ARM answers ({e})"))?;
    let Some(value) = page.value else {
        return Err(
            "the API list answer has no `value` (Resource Manager always sends one, `[]` when there are no APIs); nothing was written or pruned: check --management-url".to_string(),
        );
    };
    let apis = value
        .into_iter()
        .map(|i| ApiEntry {
            is_current: i.properties.is_current.unwrap_or(true),
            api_type: i
                .properties
                .api_type
                .or(i.properties.api_type_alt)
                .unwrap_or_else(|| "http".to_string()),
            display_name: i.properties.display_name.unwrap_or_default(),
            path: i.properties.path.unwrap_or_default(),
            api_version: i.properties.api_version.unwrap_or_default(),
            revision: i.properties.api_revision.unwrap_or_default(),
            name: i.name,
        })
        .collect();
    Ok((apis, page.next_link.filter(|l| !l.is_empty())))
}

/// A `nextLink` must stay on Resource Manager: the bearer token goes with it.
pub fn check_next_link(management: &str, link: &str) -> Result<(), String> {
    let base = format!("{}/", management.trim_end_matches('/'));
    if link.starts_with(&base) {
        Ok(())
    } else {
        Err(format!(
            "the API list's nextLink points away from {} ({}); not following it with the token",
            management.trim_end_matches('/'),
            crate::redact_url::redact_url(link)
        ))
    }
}

/// The download link of an export answer.
pub fn parse_export(body: &[u8]) -> Result<String, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the export answer is not JSON ({e})"))?;
    let link = v
        .pointer("/value/link")
        .and_then(|l| l.as_str())
        .ok_or("the export answer has no value.link")?;
    if link.starts_with("https://") || link.starts_with("http://") {
        Ok(link.to_string())
    } else {
        Err("the export answer's value.link is not an http(s) URL".to_string())
    }
}

/// The export link carries its SAS signature in the query: it is fetched over plain http only
/// when Resource Manager itself is (a stand-in on this machine, which `--management-url` allows
/// only for loopback).
pub fn check_export_link(management: &str, link: &str) -> Result<(), String> {
    if link.starts_with("http://") && !management.starts_with("http://") {
        return Err(format!(
            "the export link is plain http:// ({}); not fetching a signed link in clear",
            crate::redact_url::redact_url(link)
        ));
    }
    Ok(())
}

/// Which APIs to export: those named by `--api` (all when none), revisions only when asked or
/// named. Returns them sorted by id, and the `--api` ids the list does not hold.
pub fn select(
    all: &[ApiEntry],
    wanted: &[String],
    include_revisions: bool,
) -> (Vec<ApiEntry>, Vec<String>) {
    let mut chosen: Vec<ApiEntry> = all
        .iter()
        .filter(|a| {
            if wanted.is_empty() {
                include_revisions || !a.is_revision()
            } else {
                wanted.iter().any(|w| w == &a.name)
            }
        })
        .cloned()
        .collect();
    chosen.sort_by(|a, b| a.name.cmp(&b.name));
    chosen.dedup_by(|a, b| a.name == b.name);
    let mut missing: Vec<String> = wanted
        .iter()
        .filter(|w| !all.iter().any(|a| &a.name == *w))
        .cloned()
        .collect();
    missing.sort();
    missing.dedup();
    (chosen, missing)
}

/// The file a definition is written to: the API id, with every character other than ASCII
/// letters, digits, `-`, `_`, `;`, `=` and an inner `.` percent-encoded (so two ids never share
/// a name and none can leave the directory), then the format's extension. The id `index` (in
/// any case) has its first letter encoded too (`%69ndex.json`), so no definition is ever
/// written to `index.json`, the index.
pub fn file_name(api: &str, format: SpecFormat) -> String {
    let mut out = String::new();
    let is_index = api.eq_ignore_ascii_case("index");
    for (i, b) in api.bytes().enumerate() {
        let keep = !(is_index && i == 0) && b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b';' | b'=')
            || (b == b'.' && i > 0);
        if keep {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    format!("{out}.{}", format.extension())
}

/// Checks that a downloaded definition is what was asked for (UTF-8; JSON or YAML with
/// `openapi` or `swagger` at the top), without changing a byte of it.
pub fn check_definition(bytes: &[u8], format: SpecFormat) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "the definition is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        )
    })?;
    // A byte-order mark is kept in the file but is not JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    crate::depth::check(text).map_err(|e| format!("the definition is {e}"))?;
    // Only the top-level keys are kept; everything below is read and dropped (IgnoredAny), so
    // memory stays flat in the size of the definition.
    use serde::de::IgnoredAny;
    type Top<K> = std::collections::HashMap<K, IgnoredAny>;
    let top: Option<Vec<String>> = match format {
        SpecFormat::OpenApiJson | SpecFormat::Swagger => {
            match serde_json::from_str::<Top<String>>(text) {
                Ok(m) => Some(m.into_keys().collect()),
                Err(_) => {
                    serde_json::from_str::<IgnoredAny>(text)
                        .map_err(|e| format!("the definition is not JSON ({e})"))?;
                    None
                }
            }
        }
        SpecFormat::OpenApiYaml => match serde_yaml::from_str::<Top<serde_yaml::Value>>(text) {
            Ok(m) => Some(
                m.into_keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect(),
            ),
            Err(_) => {
                serde_yaml::from_str::<IgnoredAny>(text)
                    .map_err(|e| format!("the definition is not YAML ({e})"))?;
                None
            }
        },
    };
    match top {
        Some(keys) if keys.iter().any(|k| k == "openapi" || k == "swagger") => Ok(()),
        _ => Err("the definition has no top-level `openapi` or `swagger` field".to_string()),
    }
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest
        .as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// One line of `index.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexEntry {
    pub id: String,
    pub display_name: String,
    pub path: String,
    pub api_version: String,
    pub revision: String,
    pub format: String,
    pub file: String,
    pub sha256: String,
}

impl IndexEntry {
    pub fn new(api: &ApiEntry, format: SpecFormat, sha256: String) -> Self {
        Self {
            id: api.name.clone(),
            display_name: api.display_name.clone(),
            path: api.path.clone(),
            api_version: api.api_version.clone(),
            revision: api.revision.clone(),
            format: format.name().to_string(),
            file: file_name(&api.name, format),
            sha256,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Index {
    version: u32,
    apis: Vec<IndexEntry>,
}

/// `index.json`: the entries sorted by id, no timestamps, so an unchanged instance gives the
/// same bytes.
pub fn render_index(entries: &[IndexEntry]) -> String {
    let mut apis = entries.to_vec();
    apis.sort_by(|a, b| a.id.cmp(&b.id));
    apis.dedup_by(|a, b| a.id == b.id);
    let index = Index { version: 1, apis };
    let mut text = serde_json::to_string_pretty(&index).unwrap_or_default();
    text.push('\n');
    text
}

/// Whether `file`, a name in the output directory, looks like a definition this command
/// writes: `.json` or `.yaml`, not hidden, never `index.json` itself. Only such files are ever
/// pruned.
pub fn is_own_file(file: &str) -> bool {
    !file.is_empty()
        && file != "index.json"
        && !file.starts_with('.')
        && !file.contains(['/', '\\', '\0'])
        && (file.ends_with(".json") || file.ends_with(".yaml"))
}

/// The entries of an existing `index.json` (none when it cannot be read).
pub fn parse_index(text: &str) -> Vec<IndexEntry> {
    serde_json::from_str::<Index>(text)
        .map(|i| i.apis)
        .unwrap_or_default()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst() -> ApimInstance {
        ApimInstance::parse("00000000-1111-2222-3333-444444444444", "rg", "contoso").unwrap()
    }

    #[test]
    fn urls() {
        assert_eq!(
            token_url(
                "https://login.microsoftonline.com/",
                "contoso.onmicrosoft.com"
            ),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            token_body("id", "a+b&c=d", "https://management.azure.com"),
            "grant_type=client_credentials&client_id=id&client_secret=a%2Bb%26c%3Dd&scope=https%3A%2F%2Fmanagement.azure.com%2F.default"
        );
        assert_eq!(
            list_url("https://management.azure.com", &inst()),
            "https://management.azure.com/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso/apis?api-version=2022-08-01"
        );
        assert!(export_url("https://m", &inst(), "echo;rev=2", SpecFormat::OpenApiJson)
            .ends_with("/apis/echo%3Brev%3D2?format=openapi%2Bjson-link&export=true&api-version=2022-08-01"));
        assert!(check_next_link("https://m.example", "https://m.example/subscriptions/x").is_ok());
        assert!(check_next_link("https://m.example", "https://m.example.evil.com/x").is_err());
    }

    #[test]
    fn an_http_export_link_is_refused_unless_resource_manager_is_local() {
        let link = "http://blob.example/x.json?sv=1&sig=SASSECRET";
        let e = check_export_link("https://management.azure.com", link).unwrap_err();
        assert!(
            e.contains("plain http://") && !e.contains("SASSECRET"),
            "{e}"
        );
        assert!(check_export_link("http://127.0.0.1:8080", link).is_ok());
        assert!(check_export_link("https://management.azure.com", "https://b/x?sig=1").is_ok());
    }

    #[test]
    fn a_token_error_that_is_not_an_oauth_code_is_not_shown() {
        let echoed = token_failure(400, br#"{"error":"client_secret=Ab1~x.Y"}"#);
        assert!(!echoed.contains("Ab1"), "{echoed}");
        let code = token_failure(
            401,
            br#"{"error":"invalid_client","error_codes":[7000215]}"#,
        );
        assert!(code.contains("invalid_client, AADSTS7000215"), "{code}");
    }

    #[test]
    fn pages_selection_and_names() {
        let body = br#"{"value":[
            {"name":"b","properties":{"displayName":"B","path":"b","apiRevision":"1","isCurrent":true}},
            {"name":"a;rev=2","properties":{"displayName":"A","path":"a","apiRevision":"2","isCurrent":false}},
            {"name":"a","properties":{"displayName":"A","path":"a","apiVersion":"v1","apiRevision":"1"}}
        ],"nextLink":"https://m/next"}"#;
        let (apis, next) = parse_list_page(body).unwrap();
        assert_eq!(next.as_deref(), Some("https://m/next"));
        let names = |v: &[ApiEntry]| v.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&select(&apis, &[], false).0), ["a", "b"]);
        assert_eq!(names(&select(&apis, &[], true).0), ["a", "a;rev=2", "b"]);
        let (chosen, missing) = select(&apis, &["a;rev=2".into(), "zz".into()], false);
        assert_eq!(
            (names(&chosen), missing),
            (vec!["a;rev=2".to_string()], vec!["zz".to_string()])
        );
        assert_eq!(
            file_name("a;rev=2", SpecFormat::OpenApiYaml),
            "a;rev=2.yaml"
        );
        assert_eq!(
            file_name("../x/y", SpecFormat::Swagger),
            "%2E.%2Fx%2Fy.json"
        );
        assert_eq!(file_name(".hidden", SpecFormat::Swagger), "%2Ehidden.json");
        assert_eq!(file_name("index", SpecFormat::Swagger), "%69ndex.json");
        assert_eq!(file_name("INDEX", SpecFormat::OpenApiJson), "%49NDEX.json");
        assert_eq!(file_name("indexes", SpecFormat::Swagger), "indexes.json");
        assert!(parse_list_page(b"{}").unwrap_err().contains("no `value`"));
        assert!(parse_list_page(br#"{"value":[]}"#).unwrap().0.is_empty());
        assert!(is_own_file("a;rev=2.yaml") && is_own_file("%2E.%2Fx.json"));
        for bad in [
            "index.json",
            "../x.json",
            "a/b.json",
            ".x.json",
            "x.txt",
            "",
        ] {
            assert!(!is_own_file(bad), "{bad}");
        }
        let graphql = br#"{"value":[{"name":"g","properties":{"type":"graphql"}},{"name":"s","properties":{"apiType":"soap"}},{"name":"h","properties":{}}]}"#;
        let (apis, _) = parse_list_page(graphql).unwrap();
        assert_eq!(
            apis.iter().map(ApiEntry::has_openapi).collect::<Vec<_>>(),
            [false, true, true]
        );
    }

    #[test]
    fn answers() {
        assert_eq!(
            parse_export(br#"{"format":"x","value":{"link":"https://blob/x?sig=1"}}"#).unwrap(),
            "https://blob/x?sig=1"
        );
        assert!(parse_export(br#"{"value":{}}"#).is_err());
        assert!(check_definition(b"{\"openapi\":\"3.0.1\"}", SpecFormat::OpenApiJson).is_ok());
        assert!(check_definition(b"openapi: 3.0.1\ninfo: {}\n", SpecFormat::OpenApiYaml).is_ok());
        assert!(check_definition(b"<html>", SpecFormat::Swagger).is_err());
        assert!(
            check_definition(b"\xef\xbb\xbf{\"swagger\":\"2.0\"}", SpecFormat::Swagger).is_ok()
        );
        assert!(check_definition(b"{\"a\":1}", SpecFormat::Swagger).is_err());
        let msg = token_failure(401, br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret","error_codes":[7000215]}"#);
        assert!(
            msg.contains("AZURE_CLIENT_SECRET") && msg.contains("AADSTS7000215"),
            "{msg}"
        );
        assert!(token_failure(400, br#"{"error_codes":[90002]}"#).contains("check AZURE_TENANT_ID"));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn index_is_sorted_and_reads_back() {
        let api = |n: &str| ApiEntry {
            name: n.into(),
            display_name: n.to_uppercase(),
            path: n.into(),
            api_version: String::new(),
            revision: "1".into(),
            is_current: true,
            api_type: "http".into(),
        };
        let e = vec![
            IndexEntry::new(&api("b"), SpecFormat::OpenApiJson, "2".into()),
            IndexEntry::new(&api("a"), SpecFormat::OpenApiJson, "1".into()),
        ];
        let text = render_index(&e);
        let back = parse_index(&text);
        assert_eq!(
            back.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(render_index(&back), text);
        assert!(text.contains("\"displayName\": \"A\""));
    }
}
