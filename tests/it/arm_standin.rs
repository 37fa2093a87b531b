//! A stand-in for Azure Resource Manager and Entra ID, as `apim specs` sees them (DESIGN §3):
//! the client-credentials token endpoint, the paged API list (`nextLink`), the export call
//! answering `{"format":…,"value":{"link":…}}`, and the blob downloads behind the links. It can
//! answer 401/400 (bad credentials), 403, 404, 429 with `Retry-After`, and 500, and it records
//! every request so tests can check what the binary sent.
//!
//! The transport (loopback, port 0, one thread per connection, bounded reads and lifetime) is
//! the tests' one HTTP stand-in, `standin.rs`; this file is the routing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::standin::{HttpStandIn, Reply, Request};

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const CLIENT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
pub const SECRET: &str = "s3cr3t~Value.With+Chars&=";
pub const SUB: &str = "00000000-1111-2222-3333-444444444444";
pub const RG: &str = "rg-apis";
pub const SVC: &str = "contoso-apim";

#[derive(Debug, Clone)]
pub struct Api {
    pub name: String,
    pub display_name: String,
    pub path: String,
    pub revision: String,
    pub is_current: bool,
    /// `http`, `graphql`, …
    pub api_type: &'static str,
    /// Bumped to change what the export serves.
    pub content_version: u32,
}

/// How the export call of one API misbehaves.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Always this status.
    Status(u16),
    /// 429 with `Retry-After: N` the first time, then normal.
    ThrottleOnce(u64),
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub body: String,
    pub at: Instant,
}

#[derive(Debug)]
pub struct State {
    pub apis: Vec<Api>,
    pub page_size: usize,
    /// When set, the list call answers this status.
    pub list_status: Option<u16>,
    pub faults: HashMap<String, Fault>,
    /// A broken paging: `Some(true)` makes the last page link back to the first (the same URL
    /// again); `Some(false)` links on for ever with a new skip token, serving the APIs again.
    pub list_loops: Option<bool>,
    /// The token endpoint answers 400 with the form it received (secret included) as its
    /// `error`, as a broken proxy might.
    pub token_echoes_form: bool,
    pub throttled: Vec<String>,
    pub tokens_issued: u32,
    /// token-1 is refused (expired) after this many Resource Manager requests.
    pub expire_first_token_after: Option<usize>,
    pub arm_requests: usize,
    /// Each export call takes this long, so concurrent calls overlap.
    pub export_delay: Duration,
    pub in_flight: usize,
    pub max_in_flight: usize,
    pub requests: Vec<Seen>,
}

pub struct Standin {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    /// The transport: the tests' one HTTP stand-in, answering through [`answer`].
    _server: HttpStandIn,
}

/// `n` current APIs `api-01`…, plus `extra` non-current revisions of the first ones.
pub fn apis(n: usize, revisions: usize) -> Vec<Api> {
    let mut v: Vec<Api> = (1..=n)
        .map(|i| Api {
            name: format!("api-{i:02}"),
            display_name: format!("Orders \"{i}\" café"),
            path: format!("orders/v{i}"),
            revision: "1".into(),
            is_current: true,
            api_type: "http",
            content_version: 1,
        })
        .collect();
    for i in 1..=revisions {
        v.push(Api {
            name: format!("api-{i:02};rev=2"),
            display_name: format!("Orders \"{i}\" café"),
            path: format!("orders/v{i}"),
            revision: "2".into(),
            is_current: false,
            api_type: "http",
            content_version: 1,
        });
    }
    v
}

/// What the blob behind an export link holds, deliberately formatted the way no serializer
/// would write it, so a re-serialised file would differ.
pub fn definition(api: &Api, format: &str) -> Vec<u8> {
    let title = api.display_name.replace('"', "\\\"");
    let v = api.content_version;
    match format {
        "openapi-link" => format!(
            "openapi: 3.0.1\ninfo:\n  title: '{}'\n  version: '{v}'   # rev {}\npaths:\n  /{}/items: {{}}\n",
            api.display_name, api.revision, api.path
        )
        .into_bytes(),
        "swagger-link" => format!(
            "{{\"swagger\":\"2.0\",  \"info\":{{\"title\":\"{title}\",\"version\":\"{v}\"}},\"basePath\":\"/{}\",\"paths\":{{}}}}",
            api.path
        )
        .into_bytes(),
        _ => format!(
            "{{\r\n    \"openapi\": \"3.0.1\",\r\n    \"info\": {{ \"title\": \"{title}\", \"version\": \"{v}\" }},\r\n    \"paths\": {{ \"/{}/items\" : {{ }} }},\r\n    \"x-note\": \"caf\\u00e9 \u{2713}\"\r\n}}",
            api.path
        )
        .into_bytes(),
    }
}

impl Standin {
    pub fn start(apis: Vec<Api>, page_size: usize) -> Standin {
        let state = Arc::new(Mutex::new(State {
            apis,
            page_size,
            list_status: None,
            faults: HashMap::new(),
            list_loops: None,
            token_echoes_form: false,
            throttled: Vec::new(),
            tokens_issued: 0,
            expire_first_token_after: None,
            arm_requests: 0,
            export_delay: Duration::ZERO,
            in_flight: 0,
            max_in_flight: 0,
            requests: Vec::new(),
        }));
        let server = {
            let state = state.clone();
            HttpStandIn::start(move |r| answer(r, &state))
        };
        Standin {
            url: server.url().to_string(),
            state,
            _server: server,
        }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap())
    }
}

/// One request, as Resource Manager and Entra ID would answer it.
fn answer(r: &Request, state: &Mutex<State>) -> Reply {
    let (path, query) = r.path_and_query();
    let seen = Seen {
        method: r.method.clone(),
        path: path.to_string(),
        query: query.to_string(),
        authorization: r.header("authorization").map(str::to_string),
        body: String::from_utf8_lossy(&r.body).into_owned(),
        at: r.at,
    };
    let export = seen.query.contains("export=true");
    if export {
        let delay = {
            let mut st = state.lock().unwrap();
            st.in_flight += 1;
            st.max_in_flight = st.max_in_flight.max(st.in_flight);
            st.export_delay
        };
        std::thread::sleep(delay);
    }
    let (status, extra, body) = {
        let mut st = state.lock().unwrap();
        if export {
            st.in_flight -= 1;
        }
        st.requests.push(seen.clone());
        route(&mut st, &seen, &r.local)
    };
    let mut reply = Reply::status(status);
    for (k, v) in extra {
        reply = reply.header(&k, v);
    }
    reply.with_body(body)
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn json(status: u16, v: serde_json::Value) -> Answer {
    (
        status,
        vec![("Content-Type".into(), "application/json".into())],
        v.to_string().into_bytes(),
    )
}

fn arm_error(status: u16, code: &str, message: &str) -> Answer {
    json(
        status,
        serde_json::json!({"error": {"code": code, "message": message}}),
    )
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn params(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn route(st: &mut State, req: &Seen, base: &str) -> Answer {
    let q = params(&req.query);
    // Entra ID token endpoint.
    if req.method == "POST" && req.path.ends_with("/oauth2/v2.0/token") {
        let tenant = req
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        let form = params(&req.body);
        let aad = |status: u16, error: &str, code: u64| {
            json(
                status,
                serde_json::json!({"error": error, "error_description": format!("AADSTS{code}: refused. Trace ID: x"), "error_codes": [code]}),
            )
        };
        if st.token_echoes_form {
            return json(
                400,
                serde_json::json!({"error": form.get("client_secret").cloned().unwrap_or_default(), "error_description": req.body.clone()}),
            );
        }
        if tenant != TENANT {
            return aad(400, "invalid_request", 90002);
        }
        if form.get("grant_type").map(String::as_str) != Some("client_credentials")
            || !form.get("scope").is_some_and(|s| s.ends_with("/.default"))
        {
            return aad(400, "invalid_request", 900144);
        }
        if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
            return aad(400, "unauthorized_client", 700016);
        }
        if form.get("client_secret").map(String::as_str) != Some(SECRET) {
            return aad(401, "invalid_client", 7000215);
        }
        st.tokens_issued += 1;
        return json(
            200,
            serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "access_token": format!("token-{}", st.tokens_issued)}),
        );
    }
    // Blob downloads: the SAS signature is the credential; no bearer token expected.
    if let Some(file) = req.path.strip_prefix("/blob/") {
        if q.get("sig").map(String::as_str) != Some("SASSECRET") {
            return (403, vec![], b"AuthenticationFailed".to_vec());
        }
        let (name, format) = file.rsplit_once('.').unwrap_or((file, ""));
        let name = decode(name);
        return match st.apis.iter().find(|a| a.name == name) {
            Some(api) => (200, vec![], definition(api, format)),
            None => (404, vec![], b"BlobNotFound".to_vec()),
        };
    }
    // Resource Manager.
    let token_ok = req
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer token-"))
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| *n >= 1 && *n <= st.tokens_issued);
    st.arm_requests += 1;
    let expired = token_ok == Some(1)
        && st
            .expire_first_token_after
            .is_some_and(|n| st.arm_requests > n);
    if expired {
        return arm_error(
            401,
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        );
    }
    if token_ok.is_none() {
        return arm_error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    if q.get("api-version").map(String::as_str) != Some("2022-08-01") {
        return arm_error(400, "MissingApiVersionParameter", "api-version");
    }
    let service = format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SVC}/apis"
    );
    let Some(rest) = req.path.strip_prefix(&service) else {
        return arm_error(404, "ResourceNotFound", "The Resource was not found.");
    };
    if let Some(status) = st.list_status {
        return arm_error(status, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.ApiManagement/service/apis/read'.");
    }
    if rest.is_empty() {
        let skip: usize = q
            .get("$skipToken")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let page: Vec<serde_json::Value> = st
            .apis
            .iter()
            .cycle()
            .take(if st.list_loops == Some(false) { usize::MAX } else { st.apis.len() })
            .skip(skip)
            .take(st.page_size)
            .map(|a| {
                serde_json::json!({
                    "id": format!("{service}/{}", a.name),
                    "type": "Microsoft.ApiManagement/service/apis",
                    "name": a.name,
                    "properties": {
                        "type": a.api_type, "displayName": a.display_name, "path": a.path, "apiRevision": a.revision,
                        "isCurrent": a.is_current, "protocols": ["https"], "subscriptionRequired": true
                    }
                })
            })
            .collect();
        let mut answer = serde_json::json!({ "value": page, "count": st.apis.len() });
        let next = match st.list_loops {
            _ if skip + st.page_size < st.apis.len() => Some(skip + st.page_size),
            Some(true) => Some(0),
            Some(false) => Some(skip + st.page_size),
            None => None,
        };
        if let Some(next) = next {
            answer["nextLink"] = serde_json::Value::String(format!(
                "{base}{service}?api-version=2022-08-01&%24skipToken={next}"
            ));
        }
        return json(200, answer);
    }
    let name = decode(rest.trim_start_matches('/'));
    if !st.apis.iter().any(|a| a.name == name) {
        return arm_error(404, "ResourceNotFound", "Api not found.");
    }
    if q.get("export").map(String::as_str) != Some("true") {
        return arm_error(400, "ValidationError", "export=true expected");
    }
    match st.faults.get(&name).copied() {
        Some(Fault::Status(s)) => {
            return arm_error(s, "InternalServerError", "Something went wrong.")
        }
        Some(Fault::ThrottleOnce(secs)) if !st.throttled.contains(&name) => {
            st.throttled.push(name.clone());
            let mut a = arm_error(429, "TooManyRequests", "Rate limit exceeded.");
            a.1.push(("Retry-After".into(), secs.to_string()));
            return a;
        }
        _ => {}
    }
    let format = q.get("format").cloned().unwrap_or_default();
    let ext = match format.as_str() {
        "openapi+json-link" => "openapi-json-link",
        "openapi-link" => "openapi-link",
        "swagger-link" => "swagger-link",
        _ => return arm_error(400, "ValidationError", "format"),
    };
    let link = format!(
        "{base}/blob/{}.{ext}?sv=2021-08-06&se=2030-01-01&sr=b&sp=r&sig=SASSECRET",
        rest.trim_start_matches('/')
    );
    json(
        200,
        serde_json::json!({"format": format, "value": {"link": link}}),
    )
}
