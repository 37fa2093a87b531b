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
    /// Every header, names in lower case.
    pub headers: HashMap<String, String>,
}

#[derive(Debug)]
pub struct State {
    pub apis: Vec<Api>,
    pub page_size: usize,
    /// When set, the list call answers this status.
    pub list_status: Option<u16>,
    /// When set, the list call answers 200 with this body instead (`{}`: no `value`).
    pub list_body: Option<String>,
    /// When set, every blob download serves these bytes instead of [`definition`].
    pub blob_body: Option<Vec<u8>>,
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
    /// The first export call is held until a second one is in flight (or two minutes pass, a
    /// guard against a client that never sends one): proves concurrency by a count, whatever
    /// the machine's speed.
    pub first_export_waits_for_another: bool,
    pub exports_started: usize,
    pub in_flight: usize,
    pub max_in_flight: usize,
    pub requests: Vec<Seen>,
    /// Live APIM: policies and fragments by their path below the instance
    /// (`/policies/policy`, `/apis/a/policies/policy`, `/policyFragments/f`), with their ETag.
    pub policies: std::collections::BTreeMap<String, (String, u64)>,
    pub etag_counter: u64,
    /// Products and the APIs they carry.
    pub products: Vec<(String, Vec<String>)>,
    /// Operations of each API.
    pub operations: HashMap<String, Vec<String>>,
    /// How a policy path misbehaves.
    pub policy_faults: HashMap<String, PolicyFault>,
    /// Tokens a managed identity or the Azure CLI handed out, accepted by Resource Manager.
    pub accepted_tokens: Vec<String>,
}

/// How one policy resource misbehaves.
#[derive(Debug, Clone)]
pub enum PolicyFault {
    /// Someone saves the policy between our read and our write: the write answers 412.
    ConcurrentChange,
    /// The save is refused as APIM refuses a policy: 400 ValidationError naming a line.
    Refuse(String),
    /// Always this status.
    Status(u16),
    /// 429 with `Retry-After: N` the first time, then normal.
    ThrottleOnce(u64),
}

/// The assertion a federated token file holds, as the stand-in's Entra ID accepts it.
pub const FEDERATED_ASSERTION: &str = "eyJhbGciOiJSUzI1NiJ9.federated.signature";
/// The App Service identity header value the stand-in accepts.
pub const IDENTITY_HEADER: &str = "app-service-identity-header-value";

pub fn service_root() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SVC}"
    )
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
            list_body: None,
            blob_body: None,
            faults: HashMap::new(),
            list_loops: None,
            token_echoes_form: false,
            throttled: Vec::new(),
            tokens_issued: 0,
            expire_first_token_after: None,
            arm_requests: 0,
            export_delay: Duration::ZERO,
            first_export_waits_for_another: false,
            exports_started: 0,
            in_flight: 0,
            max_in_flight: 0,
            requests: Vec::new(),
            policies: std::collections::BTreeMap::new(),
            etag_counter: 0,
            products: Vec::new(),
            operations: HashMap::new(),
            policy_faults: HashMap::new(),
            accepted_tokens: Vec::new(),
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
        headers: r.headers.iter().cloned().collect(),
    };
    let export = seen.query.contains("export=true");
    if export {
        let (delay, hold) = {
            let mut st = state.lock().unwrap();
            st.in_flight += 1;
            st.exports_started += 1;
            st.max_in_flight = st.max_in_flight.max(st.in_flight);
            (
                st.export_delay,
                st.first_export_waits_for_another && st.exports_started == 1,
            )
        };
        if hold {
            let guard = Instant::now() + Duration::from_secs(120);
            while state.lock().unwrap().in_flight < 2 && Instant::now() < guard {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
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
        if let Some(assertion) = form.get("client_assertion") {
            if form.get("client_assertion_type").map(String::as_str)
                != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                || assertion != FEDERATED_ASSERTION
            {
                return aad(400, "invalid_client", 700211);
            }
            st.tokens_issued += 1;
            return json(
                200,
                serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "access_token": format!("token-{}", st.tokens_issued)}),
            );
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
    // Managed identity: the instance metadata service and App Service's local endpoint.
    if req.method == "GET"
        && (req.path == "/metadata/identity/oauth2/token" || req.path == "/msi/token")
    {
        let imds = req.path.starts_with("/metadata");
        let ok = if imds {
            req.headers.get("metadata").map(String::as_str) == Some("true")
                && q.get("api-version").map(String::as_str) == Some("2018-02-01")
        } else {
            req.headers.get("x-identity-header").map(String::as_str) == Some(IDENTITY_HEADER)
                && q.get("api-version").map(String::as_str) == Some("2019-08-01")
        };
        if !ok || !q.get("resource").is_some_and(|r| r.ends_with('/')) {
            return json(
                400,
                serde_json::json!({"error": "invalid_request", "error_description": "Required metadata header not specified or resource missing"}),
            );
        }
        let token = format!("mi-token-{}", if imds { "imds" } else { "appservice" });
        st.accepted_tokens.push(token.clone());
        return json(
            200,
            serde_json::json!({"access_token": token, "expires_on": "1900000000", "resource": q["resource"], "token_type": "Bearer"}),
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
            Some(_) if st.blob_body.is_some() => (200, vec![], st.blob_body.clone().unwrap()),
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
    let other_ok = req
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .is_some_and(|t| st.accepted_tokens.iter().any(|a| a == t));
    if token_ok.is_none() && !other_ok {
        return arm_error(
            401,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        );
    }
    if q.get("api-version").map(String::as_str) != Some("2022-08-01") {
        return arm_error(400, "MissingApiVersionParameter", "api-version");
    }
    if let Some(answer) = live_route(st, req, &q) {
        return answer;
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
    if let (true, Some(body)) = (rest.is_empty(), &st.list_body) {
        return json(200, serde_json::from_str(body).expect("list_body is JSON"));
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

/// Policies, fragments, products and operations of a live instance; `None` for what the export
/// routes above answer (the API list, exports).
fn live_route(st: &mut State, req: &Seen, q: &HashMap<String, String>) -> Option<Answer> {
    let root = service_root();
    let rest = decode(req.path.strip_prefix(&root)?);
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let api_exists = |st: &State, a: &str| st.apis.iter().any(|x| x.name == a);
    let list = |names: Vec<serde_json::Value>| json(200, serde_json::json!({ "value": names }));
    let is_policy = rest.ends_with("/policies/policy")
        || parts.first() == Some(&"policyFragments") && parts.len() == 2;
    if !is_policy {
        if req.method != "GET" {
            return None;
        }
        return match parts.as_slice() {
            ["products"] => Some(list(
                st.products
                    .iter()
                    .map(|(p, _)| serde_json::json!({"id": format!("{root}/products/{p}"), "name": p, "type": "Microsoft.ApiManagement/service/products", "properties": {"displayName": p, "subscriptionRequired": true, "state": "published"}}))
                    .collect(),
            )),
            ["products", p] => Some(match st.products.iter().find(|(x, _)| x == p) {
                Some(_) => json(200, serde_json::json!({"name": p})),
                None => arm_error(404, "ResourceNotFound", "Product not found."),
            }),
            ["products", p, "apis"] => Some(match st.products.iter().find(|(x, _)| x == p) {
                Some((_, apis)) => list(apis.iter().map(|a| serde_json::json!({"name": a, "properties": {"path": a}})).collect()),
                None => arm_error(404, "ResourceNotFound", "Product not found."),
            }),
            ["apis", a] if q.get("export").is_none() => Some(if api_exists(st, a) {
                json(200, serde_json::json!({"name": a}))
            } else {
                arm_error(404, "ResourceNotFound", "Api not found.")
            }),
            ["apis", a, "operations"] => Some(if api_exists(st, a) {
                list(st.operations.get(*a).cloned().unwrap_or_default().iter().map(|o| serde_json::json!({"name": o, "properties": {"method": "GET", "urlTemplate": format!("/{o}")}})).collect())
            } else {
                arm_error(404, "ResourceNotFound", "Api not found.")
            }),
            ["apis", a, "operations", o] => Some(if st.operations.get(*a).is_some_and(|v| v.iter().any(|x| x == o)) {
                json(200, serde_json::json!({"name": o}))
            } else {
                arm_error(404, "ResourceNotFound", "Operation not found.")
            }),
            ["policyFragments"] => Some(list(
                st.policies
                    .keys()
                    .filter_map(|k| k.strip_prefix("/policyFragments/"))
                    .map(|f| serde_json::json!({"name": f}))
                    .collect(),
            )),
            _ => None,
        };
    }
    // The scope must exist before its policy does.
    let scope_exists = match parts.as_slice() {
        ["policies", "policy"] | ["policyFragments", _] => true,
        ["apis", a, "policies", "policy"] => api_exists(st, a),
        ["apis", a, "operations", o, "policies", "policy"] => st
            .operations
            .get(*a)
            .is_some_and(|v| v.iter().any(|x| x == o)),
        ["products", p, "policies", "policy"] => st.products.iter().any(|(x, _)| x == p),
        _ => false,
    };
    if !scope_exists {
        return Some(arm_error(
            404,
            "ResourceNotFound",
            "The scope of the policy was not found.",
        ));
    }
    if req.method != "GET" {
        match st.policy_faults.get(&rest).cloned() {
            Some(PolicyFault::Status(s)) => {
                return Some(arm_error(s, if s == 403 { "AuthorizationFailed" } else { "Error" }, "The client does not have authorization to perform action 'Microsoft.ApiManagement/service/apis/policies/write'."))
            }
            Some(PolicyFault::ThrottleOnce(secs)) if !st.throttled.contains(&rest) => {
                st.throttled.push(rest.clone());
                let mut a = arm_error(429, "TooManyRequests", "Rate limit exceeded.");
                a.1.push(("Retry-After".into(), secs.to_string()));
                return Some(a);
            }
            Some(PolicyFault::ConcurrentChange) => {
                // Someone else saves it first: the ETag we hand out moves on.
                st.etag_counter += 1;
                let n = st.etag_counter;
                let entry = st.policies.entry(rest.clone()).or_insert_with(|| (String::new(), 0));
                entry.0.push_str("<!-- saved by someone else -->");
                entry.1 = n;
                st.policy_faults.remove(&rest);
            }
            Some(PolicyFault::Refuse(msg)) => {
                return Some(json(400, serde_json::json!({"error": {"code": "ValidationError", "message": "One or more fields contain incorrect values:", "details": [{"code": "ValidationError", "target": "representation", "message": msg}]}})));
            }
            _ => {}
        }
    }
    let current = st.policies.get(&rest).cloned();
    let etag = |n: u64| format!("\"{n}\"");
    let precondition_ok = |current: &Option<(String, u64)>| {
        let if_match = req.headers.get("if-match");
        let if_none = req.headers.get("if-none-match");
        match (current, if_match, if_none) {
            // If-None-Match: * creates only where there is nothing.
            (Some(_), _, Some(n)) => n != "*",
            // Updating needs the ETag (APIM: "required when updating an entity").
            (Some((_, e)), Some(m), _) => m == "*" || *m == etag(*e),
            (Some(_), None, None) => false,
            (None, Some(_), _) => false,
            (None, None, _) => true,
        }
    };
    match req.method.as_str() {
        "GET" => Some(match current {
            Some((text, e)) => {
                if q.get("format").map(String::as_str) != Some("rawxml") {
                    return Some(arm_error(
                        400,
                        "ValidationError",
                        "format=rawxml expected in this stand-in",
                    ));
                }
                let mut a = json(
                    200,
                    serde_json::json!({"id": format!("{root}{rest}"), "name": parts.last(), "properties": {"format": "rawxml", "value": text, "description": if rest.starts_with("/policyFragments/") { Some("fragment") } else { None } }}),
                );
                a.1.push(("ETag".into(), etag(e)));
                a
            }
            None => arm_error(404, "ResourceNotFound", "Policy not found."),
        }),
        "PUT" => {
            if !precondition_ok(&current) {
                return Some(arm_error(
                    412,
                    "PreconditionFailed",
                    "The entity's ETag does not match the If-Match header.",
                ));
            }
            let v: serde_json::Value = serde_json::from_str(&req.body).unwrap_or_default();
            let Some(text) = v.pointer("/properties/value").and_then(|x| x.as_str()) else {
                return Some(arm_error(
                    400,
                    "ValidationError",
                    "properties.value is required",
                ));
            };
            if v.pointer("/properties/format").and_then(|x| x.as_str()) != Some("rawxml") {
                return Some(arm_error(400, "ValidationError", "format"));
            }
            // As APIM does: rate-limit is not allowed at global scope.
            if rest == "/policies/policy" {
                if let Some(at) = text.find("<rate-limit ") {
                    let line = text[..at].matches('\n').count() + 1;
                    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
                    return Some(json(
                        400,
                        serde_json::json!({"error": {"code": "ValidationError", "message": "One or more fields contain incorrect values:", "details": [{"code": "ValidationError", "target": "rate-limit", "message": format!("Error in element 'rate-limit' on line {line}, column {col}: Policy is not allowed in this scope")}]}}),
                    ));
                }
            }
            st.etag_counter += 1;
            let n = st.etag_counter;
            let created = current.is_none();
            st.policies.insert(rest.clone(), (text.to_string(), n));
            let mut a = json(
                if created { 201 } else { 200 },
                serde_json::json!({"properties": {"format": "rawxml", "value": text}}),
            );
            a.1.push(("ETag".into(), etag(n)));
            Some(a)
        }
        "DELETE" => {
            if current.is_none() {
                return Some(json(200, serde_json::json!({})));
            }
            if !req.headers.contains_key("if-match") || !precondition_ok(&current) {
                return Some(arm_error(
                    412,
                    "PreconditionFailed",
                    "The entity's ETag does not match the If-Match header.",
                ));
            }
            st.policies.remove(&rest);
            Some(json(200, serde_json::json!({})))
        }
        _ => Some(arm_error(405, "MethodNotAllowed", "method")),
    }
}
