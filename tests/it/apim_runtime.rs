//! The capture *executed*: every form (each scope, xml and rawxml, fragments included as APIM
//! inlines them, injection into the real-world corpus) is turned into C# section by section,
//! compiled with Mono's mcs against a working stand-in of the APIM context
//! (tests/conformance/apim_context.cs) and the real Newtonsoft.Json from Debian's
//! libnewtonsoft-json5.0-cil, and run on hostile requests. The ingest request each run sends is
//! checked field by field against the contract (DESIGN §3).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use akto_connect::apim::capture::{self, FragmentIds, PolicyFormat, Scope};
use akto_connect::apim::capture_detect;
use akto_connect::apim::dialect::{Kind, Place};
use akto_connect::apim::tree::{self, Document, Element, Node};
use serde_json::{json, Value};

use crate::common::{options, pipe, require_shared, require_tool, test_file};

pub const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";
const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.test-token";
const TOKEN_NAME: &str = "akto-ingest-token";
const ENDPOINT: &str = "https://ingest.example.com:9091/api/ingestData";

/// One policy to execute: its text (named values already substituted) and scope.
pub struct Policy {
    pub name: String,
    pub text: String,
    pub scope: Scope,
    /// Run only the capture's steps (and base, forward-request, includes): for real-world
    /// policies whose own steps need more of APIM than the stand-in has.
    pub capture_only: bool,
}

/// Turns policies into one C# class: `Generated.Policies.Run(policy, section, ctx)`.
pub struct Generator<'a> {
    fragments: &'a HashMap<String, String>,
    methods: String,
    count: usize,
}

impl<'a> Generator<'a> {
    pub fn new(fragments: &'a HashMap<String, String>) -> Self {
        Self {
            fragments,
            methods: String::new(),
            count: 0,
        }
    }

    pub fn source(mut self, policies: &[Policy]) -> String {
        let mut dispatch = String::new();
        let mut bodies = String::new();
        for (i, p) in policies.iter().enumerate() {
            let doc = tree::read(&p.text).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(doc.root.name, "policies", "{}", p.name);
            let steps = capture_detect::detect(&doc, &p.text);
            let xml_form = capture::is_well_formed_xml(&p.text);
            for section in doc.root.elements() {
                let method = format!("P{i}_{}", section.name.replace('-', "_"));
                dispatch.push_str(&format!(
                    "            case {}: {method}(ctx); break;\n",
                    cs_str(&format!("{}/{}", p.name, section.name))
                ));
                let mut body = String::new();
                for child in section.elements() {
                    let ours = steps
                        .steps
                        .iter()
                        .any(|s| s.span == capture_detect::element_span(child));
                    let structural = matches!(
                        child.name.as_str(),
                        "base" | "forward-request" | "include-fragment"
                    );
                    if p.capture_only && !ours && !structural {
                        body.push_str(&format!(
                            "        ctx.Trace.Add({});\n",
                            cs_str(&format!("skip:{}", child.name))
                        ));
                        continue;
                    }
                    self.element(&doc, &p.text, xml_form, &section.name, child, &mut body, 2);
                }
                bodies.push_str(&format!(
                    "    static void {method}(Context ctx)\n    {{\n{body}    }}\n\n"
                ));
            }
        }
        format!(
            "using System;\nusing System.Collections.Generic;\nusing System.Linq;\n\nnamespace Generated\n{{\npublic static class Policies\n{{\n    public static void Run(string policy, string section, Context ctx)\n    {{\n        switch (policy + \"/\" + section)\n        {{\n{dispatch}            default: break;\n        }}\n    }}\n\n{bodies}{}}}\n}}\n",
            self.methods
        )
    }

    /// A C# expression for an expression or a literal value at `range` of `src`.
    fn value(
        &mut self,
        doc: &Document,
        src: &str,
        xml_form: bool,
        range: std::ops::Range<usize>,
        literal: String,
    ) -> String {
        let inner: Vec<_> = doc
            .expressions
            .iter()
            .filter(|e| e.span.start >= range.start && e.span.end <= range.end)
            .collect();
        match inner.as_slice() {
            [] => cs_str(&literal),
            [e] if src[range.clone()].trim() == &src[e.span.clone()] => {
                let mut code = e.code(src);
                // An XML reader turns line breaks in an attribute value into spaces.
                if xml_form && e.place == Place::Attribute {
                    code = code.replace(['\n', '\r', '\t'], " ");
                }
                let name = format!("E{}", self.count);
                self.count += 1;
                let inner = &code[2..code.len() - 1];
                let body = match e.kind {
                    Kind::Single => format!("return ({inner});"),
                    Kind::Block => inner.to_string(),
                };
                self.methods.push_str(&format!(
                    "    static object {name}(IContext context)\n    {{\n{body}\n    }}\n\n"
                ));
                format!("{name}(ctx)")
            }
            _ => panic!("mixed literal and expression: {:?}", &src[range]),
        }
    }

    fn attr(&mut self, doc: &Document, src: &str, xml: bool, e: &Element, name: &str) -> String {
        let a = e
            .attr(name)
            .unwrap_or_else(|| panic!("<{}> without {name}", e.name));
        let literal = doc.attr_value(src, a);
        self.value(doc, src, xml, a.value_span.clone(), literal)
    }

    fn text(&mut self, doc: &Document, src: &str, xml: bool, e: &Element) -> String {
        let range = e.span.end..e.end_span.as_ref().map_or(e.span.end, |s| s.start);
        assert!(
            e.children.iter().all(|n| !matches!(n, Node::Element(_))),
            "<{}> holds elements",
            e.name
        );
        let literal = doc.text(src, e);
        self.value(doc, src, xml, range, literal)
    }

    #[allow(clippy::too_many_arguments)]
    fn element(
        &mut self,
        doc: &Document,
        src: &str,
        xml: bool,
        section: &str,
        e: &Element,
        out: &mut String,
        depth: usize,
    ) {
        let pad = "    ".repeat(depth);
        match e.name.as_str() {
            "base" => out.push_str(&format!("{pad}ctx.Base({});\n", cs_str(section))),
            "forward-request" => out.push_str(&format!("{pad}ctx.Forward();\n")),
            "include-fragment" => {
                let id = doc.attr_value(src, e.attr("fragment-id").unwrap());
                let text = self
                    .fragments
                    .get(&id)
                    .unwrap_or_else(|| panic!("fragment {id} is not there"))
                    .clone();
                let fdoc = tree::read(&text).unwrap();
                assert_eq!(fdoc.root.name, "fragment");
                let fxml = capture::is_well_formed_xml(&text);
                out.push_str(&format!(
                    "{pad}ctx.Trace.Add({});\n",
                    cs_str(&format!("include:{id}"))
                ));
                for child in fdoc.root.elements() {
                    self.element(&fdoc, &text, fxml, section, child, out, depth);
                }
            }
            "set-variable" => {
                let name = doc.attr_value(src, e.attr("name").unwrap());
                let value = self.attr(doc, src, xml, e, "value");
                out.push_str(&format!("{pad}ctx.Set({}, {value});\n", cs_str(&name)));
            }
            "choose" => {
                let mut first = true;
                for branch in e.elements() {
                    match branch.name.as_str() {
                        "when" => {
                            let cond = self.attr(doc, src, xml, branch, "condition");
                            let kw = if first { "if" } else { "else if" };
                            out.push_str(&format!("{pad}{kw} ((bool){cond})\n{pad}{{\n"));
                        }
                        "otherwise" => out.push_str(&format!("{pad}else\n{pad}{{\n")),
                        other => panic!("<{other}> in <choose>"),
                    }
                    first = false;
                    for child in branch.elements() {
                        self.element(doc, src, xml, section, child, out, depth + 1);
                    }
                    out.push_str(&format!("{pad}}}\n"));
                }
            }
            "send-one-way-request" | "send-request" => {
                let mode = e
                    .attr("mode")
                    .map(|a| doc.attr_value(src, a))
                    .unwrap_or_else(|| "new".to_string());
                out.push_str(&format!(
                    "{pad}{{\n{pad}    var r = new SentRequest {{ Element = {}, Mode = {} }};\n",
                    cs_str(&e.name),
                    cs_str(&mode)
                ));
                for child in e.elements() {
                    match child.name.as_str() {
                        "set-url" => {
                            let v = self.text(doc, src, xml, child);
                            out.push_str(&format!("{pad}    r.Url = Convert.ToString({v});\n"));
                        }
                        "set-method" => {
                            let v = self.text(doc, src, xml, child);
                            out.push_str(&format!("{pad}    r.Method = Convert.ToString({v});\n"));
                        }
                        "set-body" => {
                            let v = self.text(doc, src, xml, child);
                            out.push_str(&format!("{pad}    r.Body = Convert.ToString({v});\n"));
                        }
                        "set-header" => {
                            let name = doc.attr_value(src, child.attr("name").unwrap());
                            out.push_str(&format!(
                                "{pad}    r.Headers[{}] = new List<string>();\n",
                                cs_str(&name)
                            ));
                            for value in child.elements() {
                                assert_eq!(value.name, "value");
                                let v = self.text(doc, src, xml, value);
                                out.push_str(&format!(
                                    "{pad}    r.Headers[{}].Add(Convert.ToString({v}));\n",
                                    cs_str(&name)
                                ));
                            }
                        }
                        other => panic!("<{other}> in <{}>", e.name),
                    }
                }
                out.push_str(&format!("{pad}    ctx.Sent.Add(r);\n{pad}}}\n"));
            }
            other => panic!("the stand-in does not execute <{other}>"),
        }
    }
}

/// A C# verbatim string literal.
fn cs_str(s: &str) -> String {
    format!("@\"{}\"", s.replace('"', "\"\""))
}

/// Compiles the runner with the generated policies; returns the folder holding the program
/// (and a copy of Newtonsoft.Json.dll beside it, as Mono resolves it).
pub fn build(generated: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("generated.cs");
    std::fs::write(&src, generated).unwrap();
    std::fs::copy(NEWTONSOFT, dir.path().join("Newtonsoft.Json.dll")).unwrap();
    let exe = dir.path().join("runner.exe");
    let out = Command::new("mcs")
        .arg("-target:exe")
        .arg(format!("-out:{}", exe.display()))
        .arg(format!("-r:{NEWTONSOFT}"))
        .arg("-nowarn:168,219,162")
        .arg(test_file("conformance/apim_context.cs"))
        .arg(test_file("conformance/apim_runtime_runner.cs"))
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mcs rejected the generated policies:\n{}\n{}\n--- generated.cs (first 200 lines) ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        generated.lines().take(200).collect::<Vec<_>>().join("\n")
    );
    (dir, exe)
}

/// Runs scenarios; returns one result per scenario.
pub fn run(exe: &Path, scenarios: &[Value]) -> Vec<Value> {
    let input = serde_json::to_string(scenarios).unwrap();
    let out = pipe(Command::new("mono").arg(exe), &input);
    assert!(
        out.status.success(),
        "mono: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), scenarios.len());
    results
}

/// A request and the backend's answer.
#[derive(Clone)]
pub struct Exchange {
    pub method: &'static str,
    pub path: String,
    pub ip: &'static str,
    pub request_headers: Vec<(String, Vec<String>)>,
    pub request_body: Option<String>,
    pub status: u16,
    pub reason: String,
    pub response_headers: Vec<(String, Vec<String>)>,
    pub response_body: Option<String>,
}

impl Exchange {
    pub fn scenario(&self, policy: &str, scope: Scope) -> Value {
        let headers = |h: &[(String, Vec<String>)]| {
            Value::Object(h.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
        };
        json!({
            "policy": policy,
            "scope": scope.name(),
            "method": self.method,
            "path": self.path,
            "ip": self.ip,
            "requestHeaders": headers(&self.request_headers),
            "requestBody": self.request_body,
            "statusCode": self.status,
            "statusReason": self.reason,
            "responseHeaders": headers(&self.response_headers),
            "responseBody": self.response_body,
        })
    }
}

fn h(name: &str, values: &[&str]) -> (String, Vec<String>) {
    (
        name.to_string(),
        values.iter().map(|v| v.to_string()).collect(),
    )
}

const HOSTILE: &str =
    "q\"uote \\back\\slash \u{1}\u{1f}\t\r\n</x>&amp; {{named}} @(code) ünï 😀 \u{2028}";

/// Requests that would break a hand-built JSON body, and the limits of body capture.
pub fn hostile_exchanges(max_body: usize) -> Vec<(String, Exchange, bool)> {
    let base = Exchange {
        method: "POST",
        path: "/api/v1/orders".to_string(),
        ip: "203.0.113.7",
        request_headers: vec![
            h("Content-Type", &["application/json"]),
            h("X-Multi", &["a", "b\"c"]),
        ],
        request_body: Some(r#"{"id": 1, "note": "plain"}"#.to_string()),
        status: 201,
        reason: "Created".to_string(),
        response_headers: vec![h("Content-Type", &["application/json"])],
        response_body: Some(r#"{"ok":true}"#.to_string()),
    };
    let mut out = vec![("plain".to_string(), base.clone(), true)];
    let mut e = base.clone();
    e.path = format!("/api/v1/{}", HOSTILE.replace(['\r', '\n'], ""));
    e.request_headers.push(h("X-Hostile", &[HOSTILE, "\\\"\\"]));
    e.request_headers.push(h("Quote\"Name", &["v"]));
    e.request_body = Some(format!(
        "{{\"s\": \"{}\"}} trailing {HOSTILE}",
        "\\\"".repeat(50)
    ));
    e.response_headers
        .push(h("Set-Cookie", &["a=\"1\"; Path=/", "b=2"]));
    e.response_body = Some(HOSTILE.repeat(20));
    e.status = 500;
    e.reason = "Internal \"Server\" \\ Error".to_string();
    out.push(("hostile".to_string(), e, true));
    let mut e = base.clone();
    e.request_body = Some("x".repeat(max_body + 1));
    e.response_body = Some("é".repeat(max_body / 2 + 1)); // fewer chars than bytes
    out.push(("oversized".to_string(), e, true));
    let mut e = base.clone();
    e.request_body = Some("y".repeat(max_body));
    e.response_body = None;
    e.method = "DELETE";
    e.status = 204;
    e.reason = "No Content".to_string();
    out.push(("at-limit-and-no-response-body".to_string(), e, true));
    let mut e = base.clone();
    e.request_body = Some("small".to_string());
    e.request_headers
        .push(h("Content-Length", &[&(max_body + 10).to_string()]));
    out.push(("declared-oversized".to_string(), e, true));
    let mut e = base.clone();
    e.method = "GET";
    e.request_body = None;
    out.push(("no-request-body".to_string(), e, true));
    let mut e = base;
    e.path = "/health".to_string();
    out.push(("filtered-out".to_string(), e, false));
    out
}

/// Checks one run against the exchange: forwarded untouched, and (when `captured`) exactly one
/// ingest request whose body meets the contract field by field.
pub fn check(
    what: &str,
    ex: &Exchange,
    result: &Value,
    captured: bool,
    max_body: usize,
    token: bool,
) {
    assert_eq!(result["error"], Value::Null, "{what}: {}", result["error"]);
    assert_eq!(
        result["forwarded"], true,
        "{what}: the request was not forwarded"
    );
    assert_eq!(
        result["forwardedBody"].as_str().unwrap_or(""),
        ex.request_body.as_deref().unwrap_or(""),
        "{what}: the capture changed or consumed the request body the backend gets"
    );
    assert_eq!(
        result["clientBody"].as_str().unwrap_or(""),
        ex.response_body.as_deref().unwrap_or(""),
        "{what}: the capture consumed the response body the client gets"
    );
    let sent = result["sent"].as_array().unwrap();
    if !captured {
        assert!(
            sent.is_empty(),
            "{what}: captured a path it should not: {sent:?}"
        );
        return;
    }
    assert_eq!(sent.len(), 1, "{what}: {sent:?}");
    let r = &sent[0];
    assert_eq!(r["element"], "send-one-way-request", "{what}");
    assert_eq!(r["mode"], "new", "{what}");
    assert_eq!(r["url"], ENDPOINT, "{what}");
    assert_eq!(r["method"], "POST", "{what}");
    assert_eq!(
        r["headers"]["Content-Type"],
        json!(["application/json"]),
        "{what}"
    );
    if token {
        assert_eq!(r["headers"]["authorization"], json!([TOKEN]), "{what}");
    } else {
        assert!(r["headers"].get("authorization").is_none(), "{what}");
    }
    let body: Value = serde_json::from_str(r["body"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("{what}: the ingest body is not JSON: {e}"));
    let top = body.as_object().unwrap();
    assert_eq!(top.keys().collect::<Vec<_>>(), ["batchData"], "{what}");
    same_shape_as_verify(&body, what);
    let batch = body["batchData"].as_array().unwrap();
    assert_eq!(batch.len(), 1, "{what}");
    let entry = batch[0].as_object().unwrap();
    let mut keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = vec![
        "path",
        "requestHeaders",
        "responseHeaders",
        "method",
        "requestPayload",
        "responsePayload",
        "ip",
        "time",
        "statusCode",
        "type",
        "status",
        "akto_account_id",
        "akto_vxlan_id",
        "is_pending",
        "source",
    ];
    want.sort_unstable();
    assert_eq!(keys, want, "{what}: the entry's fields");
    for (k, v) in entry {
        assert!(v.is_string(), "{what}: {k} is not a string: {v}");
    }
    let field = |k: &str| entry[k].as_str().unwrap().to_string();
    assert_eq!(field("path"), ex.path, "{what}: path");
    assert_eq!(field("method"), ex.method, "{what}: method");
    assert_eq!(field("ip"), ex.ip, "{what}: ip");
    let headers_json = |h: &[(String, Vec<String>)]| -> Value {
        Value::Object(
            h.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.join(", "))))
                .collect(),
        )
    };
    let req_headers: Value = serde_json::from_str(&field("requestHeaders"))
        .unwrap_or_else(|e| panic!("{what}: requestHeaders is not a JSON object string: {e}"));
    assert_eq!(
        req_headers,
        headers_json(&ex.request_headers),
        "{what}: requestHeaders"
    );
    let resp_headers: Value = serde_json::from_str(&field("responseHeaders")).unwrap();
    assert_eq!(
        resp_headers,
        headers_json(&ex.response_headers),
        "{what}: responseHeaders"
    );
    let within = |b: &Option<String>, declared: Option<usize>| -> String {
        let b = b.clone().unwrap_or_default();
        if b.len() > max_body || declared.is_some_and(|d| d > max_body) {
            String::new()
        } else {
            b
        }
    };
    let declared = ex
        .request_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v[0].parse().ok());
    assert_eq!(
        field("requestPayload"),
        within(&ex.request_body, declared),
        "{what}: requestPayload"
    );
    assert_eq!(
        field("responsePayload"),
        within(&ex.response_body, None),
        "{what}: responsePayload"
    );
    let time: u64 = field("time")
        .parse()
        .unwrap_or_else(|_| panic!("{what}: time {:?}", field("time")));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        time <= now && now - time < 600,
        "{what}: time {time} is not unix seconds of now ({now})"
    );
    assert_eq!(
        field("statusCode"),
        ex.status.to_string(),
        "{what}: statusCode"
    );
    assert_eq!(field("status"), ex.reason, "{what}: status");
    assert_eq!(field("type"), "HTTP/1.1");
    assert_eq!(field("akto_account_id"), "1000000");
    assert_eq!(field("akto_vxlan_id"), "0");
    assert_eq!(field("is_pending"), "false");
    assert_eq!(field("source"), "MIRRORING");
}

const MAX_BODY: usize = 4096;

/// The record the policy sent meets the contract as the ingest side checks it, and has the
/// fields, in the order and of the types, of the record `akto-connect verify` sends.
fn same_shape_as_verify(body: &Value, what: &str) {
    use akto_connect::ingest::contract;
    let problems = contract::check_batch(body);
    assert!(problems.is_empty(), "{what}: {problems:?}");
    let verify = contract::synthetic_record(&contract::Synthetic {
        unix_time: 1,
        nonce: 1,
        host: "ingest.example.com",
        account_id: "1000000",
        vxlan_id: "0",
        version: "0",
    });
    let shape = |m: &serde_json::Map<String, Value>| -> Vec<(String, &'static str)> {
        m.iter()
            .map(|(k, v)| {
                let ty = match v {
                    Value::String(_) => "string",
                    Value::Number(_) => "number",
                    Value::Bool(_) => "bool",
                    Value::Null => "null",
                    Value::Array(_) => "array",
                    Value::Object(_) => "object",
                };
                (k.clone(), ty)
            })
            .collect()
    };
    let sent = body["batchData"][0].as_object().unwrap();
    assert_eq!(
        shape(sent),
        shape(&verify),
        "{what}: policy record vs verify record"
    );
}

fn capture_opts(format: PolicyFormat, token: bool) -> akto_connect::apim::capture::CaptureOptions {
    let mut o = options(
        "https://ingest.example.com:9091",
        &[r"^/api/v\d+/", r"(?<=/)orders$"],
        token.then_some(TOKEN_NAME),
        format,
    );
    o.max_body_bytes = MAX_BODY as u32;
    o
}

fn substitute(text: &str) -> String {
    text.replace(&format!("{{{{{TOKEN_NAME}}}}}"), TOKEN)
}

/// Runs every exchange through every policy and checks each run.
fn execute_and_check(
    policies: Vec<Policy>,
    fragments: &HashMap<String, String>,
    token_of: impl Fn(&str) -> bool,
) {
    let source = Generator::new(fragments).source(&policies);
    let (_dir, exe) = build(&source);
    let exchanges = hostile_exchanges(MAX_BODY);
    let mut scenarios = Vec::new();
    let mut expect = Vec::new();
    for p in &policies {
        for (what, ex, captured) in &exchanges {
            scenarios.push(ex.scenario(&p.name, p.scope));
            expect.push((
                format!("{} / {what}", p.name),
                ex.clone(),
                *captured,
                token_of(&p.name),
            ));
        }
    }
    let results = run(&exe, &scenarios);
    for ((what, ex, captured, token), result) in expect.iter().zip(&results) {
        check(what, ex, result, *captured, MAX_BODY, *token);
    }
}

#[test]
#[ignore = "needs mcs and mono with Newtonsoft.Json (libnewtonsoft-json5.0-cil)"]
fn every_scope_and_form_executes_and_sends_the_contract() {
    require_tool("mcs");
    require_tool("mono");
    let mut policies = Vec::new();
    for scope in [Scope::Global, Scope::Product, Scope::Api, Scope::Operation] {
        for format in [PolicyFormat::RawXml, PolicyFormat::Xml] {
            for token in [false, true] {
                let mut o = capture_opts(format, token);
                o.scope = scope;
                let text = capture::render(&o).unwrap().artifact.text;
                policies.push(Policy {
                    name: format!(
                        "{}-{}-{}",
                        scope.name(),
                        format.name(),
                        if token { "token" } else { "open" }
                    ),
                    text: substitute(&text),
                    scope,
                    capture_only: false,
                });
            }
        }
    }
    execute_and_check(policies, &HashMap::new(), |name| name.ends_with("-token"));
}

#[test]
#[ignore = "needs mcs and mono with Newtonsoft.Json (libnewtonsoft-json5.0-cil)"]
fn a_global_policy_with_base_in_its_backend_would_not_forward() {
    // The stand-in's own check: at global scope <base /> forwards nothing, so the test above
    // can tell a global policy that forwards from one that does not.
    require_tool("mcs");
    require_tool("mono");
    let mut o = capture_opts(PolicyFormat::RawXml, false);
    o.scope = Scope::Api;
    let text = capture::render(&o).unwrap().artifact.text;
    let policies = vec![Policy {
        name: "api-doc-at-global".into(),
        text,
        scope: Scope::Global,
        capture_only: false,
    }];
    let source = Generator::new(&HashMap::new()).source(&policies);
    let (_dir, exe) = build(&source);
    let (_, ex, _) = hostile_exchanges(MAX_BODY).remove(0);
    let r = run(&exe, &[ex.scenario("api-doc-at-global", Scope::Global)]);
    assert_eq!(r[0]["forwarded"], false);
}

#[test]
#[ignore = "needs mcs and mono with Newtonsoft.Json (libnewtonsoft-json5.0-cil)"]
fn fragments_included_as_apim_inlines_them_behave_like_inline_steps() {
    require_tool("mcs");
    require_tool("mono");
    let dir = tempfile::tempdir().unwrap();
    let common = [
        "--ingest-url",
        "https://ingest.example.com:9091",
        "--regex",
        r"^/api/v\d+/",
        "--regex",
        "(?<=/)orders$",
        "--max-body-bytes",
        "4096",
        "--ingest-token-named-value",
        TOKEN_NAME,
    ];
    let akto = |args: &[&str]| -> String {
        let out = crate::common::bin()
            .args(["apim", "policy"])
            .args(common)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let mut fragments = HashMap::new();
    let mut policies = Vec::new();
    for (prefix, format) in [("akto", "rawxml"), ("team-x", "xml")] {
        // The fragments as `apim fragments --apiops` writes them.
        let apiops = dir.path().join(prefix);
        let a = apiops.to_str().unwrap();
        let out = crate::common::bin()
            .args(["apim", "fragments"])
            .args(common)
            .args([
                "--apiops",
                a,
                "--fragment-prefix",
                prefix,
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for half in ["inbound", "outbound"] {
            let id = format!("{prefix}-capture-{half}");
            let text = std::fs::read_to_string(
                apiops.join("policy fragments").join(&id).join("policy.xml"),
            )
            .unwrap();
            fragments.insert(id, substitute(&text));
        }
        for scope in [Scope::Global, Scope::Api] {
            let s = scope.name();
            let with = akto(&[
                "--scope",
                s,
                "--format",
                format,
                "--with-fragments",
                "--fragment-prefix",
                prefix,
            ]);
            assert!(with.contains("include-fragment") && !with.contains("aktoRegexList"));
            let inline = akto(&["--scope", s, "--format", format]);
            for (kind, text) in [("fragments", with), ("inline", inline)] {
                policies.push(Policy {
                    name: format!("{prefix}-{s}-{format}-{kind}"),
                    text: substitute(&text),
                    scope,
                    capture_only: false,
                });
            }
        }
    }
    // Each run meets the contract ...
    let source = Generator::new(&fragments).source(&policies);
    let (_dir, exe) = build(&source);
    let exchanges = hostile_exchanges(MAX_BODY);
    let mut scenarios = Vec::new();
    for p in &policies {
        for (_, ex, _) in &exchanges {
            scenarios.push(ex.scenario(&p.name, p.scope));
        }
    }
    let results = run(&exe, &scenarios);
    let per_policy: Vec<&[Value]> = results.chunks(exchanges.len()).collect();
    for (p, runs) in policies.iter().zip(&per_policy) {
        for ((what, ex, captured), result) in exchanges.iter().zip(runs.iter()) {
            check(
                &format!("{} / {what}", p.name),
                ex,
                result,
                *captured,
                MAX_BODY,
                true,
            );
        }
    }
    // ... and the fragments send exactly what the inline steps send (time aside).
    let without_time = |r: &Value| -> Value {
        let mut r = r.clone();
        for sent in r["sent"].as_array_mut().unwrap() {
            let mut body: Value = serde_json::from_str(sent["body"].as_str().unwrap()).unwrap();
            body["batchData"][0]["time"] = Value::Null;
            sent["body"] = body;
        }
        r
    };
    for pair in policies
        .iter()
        .zip(&per_policy)
        .collect::<Vec<_>>()
        .chunks(2)
    {
        let [(pf, rf), (pi, ri)] = pair else {
            unreachable!()
        };
        for (a, b) in rf.iter().zip(ri.iter()) {
            assert_eq!(
                without_time(a)["sent"],
                without_time(b)["sent"],
                "{} vs {}",
                pf.name,
                pi.name
            );
        }
    }
}

#[test]
#[ignore = "needs mcs, mono with Newtonsoft.Json, and ../shared"]
fn injected_corpus_policies_execute_and_capture() {
    require_tool("mcs");
    require_tool("mono");
    let corpus = require_shared("corpus/apim-snippets");
    let opts = capture_opts(PolicyFormat::RawXml, true);
    let mut fopts = opts.clone();
    fopts.fragments = Some(FragmentIds::with_prefix("--fragment-prefix", "akto").unwrap());
    let mut fragments = HashMap::new();
    for f in capture::render_fragments(&fopts).unwrap().0 {
        fragments.insert(f.id.clone(), substitute(&f.text));
    }
    let mut policies = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        if tree::read(&text).map(|d| d.root.name == "policies") != Ok(true) {
            continue;
        }
        // The steps as `--into` would render them for this file's form.
        let mut o = opts.clone();
        let mut fo = fopts.clone();
        if capture::is_well_formed_xml(&text) {
            o.format = PolicyFormat::Xml;
            fo.format = PolicyFormat::Xml;
        }
        let (s, _) = capture::steps(&o).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (kind, st) in [("inline", s), ("fragments", capture::steps(&fo).unwrap().0)] {
            let injected = akto_connect::apim::inject::inject(&text, &st, true)
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            policies.push(Policy {
                name: format!("{name}-{kind}"),
                text: substitute(&injected.text),
                scope: Scope::Api,
                capture_only: true,
            });
        }
    }
    assert!(policies.len() >= 90, "{} policies", policies.len());
    // Corpus policies that answer from their own backend (or never forward) are still
    // captured; forwarding is the stand-in's <base />. Check the capture itself.
    let source = Generator::new(&fragments).source(&policies);
    let (_dir, exe) = build(&source);
    let exchanges = hostile_exchanges(MAX_BODY);
    let mut scenarios = Vec::new();
    let mut expect = Vec::new();
    for p in &policies {
        for (what, ex, captured) in &exchanges {
            scenarios.push(ex.scenario(&p.name, p.scope));
            expect.push((format!("{} / {what}", p.name), ex.clone(), *captured));
        }
    }
    let results = run(&exe, &scenarios);
    let mut checked = 0;
    for ((what, ex, captured), result) in expect.iter().zip(&results) {
        if result["forwarded"] != true {
            // The policy's own backend (skipped here) would answer; the outbound capture still
            // ran on an empty response: it must not fail and must send when the path matches.
            assert_eq!(result["error"], Value::Null, "{what}");
            assert_eq!(
                result["sent"].as_array().unwrap().len(),
                usize::from(*captured),
                "{what}"
            );
            continue;
        }
        check(what, ex, result, *captured, MAX_BODY, true);
        checked += 1;
    }
    assert!(
        checked >= expect.len() / 2,
        "only {checked} runs were forwarded"
    );
}

const SUBSCRIPTION_KEY: &str = "sekrit-subscription-key-0f3a";
const BEARER: &str = "Bearer sekrit-bearer-token-77c1";
const JWT_ERROR: &str =
    r#"{ "statusCode": 401, "message": "Unauthorized. Access token is missing or invalid." }"#;

/// A failure case: (what, failsIn, error status, error reason, error body, status recorded (0:
/// nothing), path).
type Case = (
    &'static str,
    Option<&'static str>,
    u16,
    &'static str,
    &'static str,
    u16,
    &'static str,
);

/// The ingest records one run sent, parsed, each checked against the contract.
fn records(what: &str, result: &Value) -> Vec<serde_json::Map<String, Value>> {
    assert_eq!(result["error"], Value::Null, "{what}: {}", result["error"]);
    result["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["url"], ENDPOINT, "{what}");
            let body: Value = serde_json::from_str(r["body"].as_str().unwrap())
                .unwrap_or_else(|e| panic!("{what}: the ingest body is not JSON: {e}"));
            same_shape_as_verify(&body, what);
            body["batchData"][0].as_object().unwrap().clone()
        })
        .collect()
}

/// Every scope, inline and as fragments, and a policy a capture was put `--into` (with a copy
/// of the send a user had put in `<on-error>` by hand): the query string is in the record's
/// path, a call that fails before the capture's inbound steps (a parent's validate-jwt, 401),
/// at the backend (500) or after the outbound send is recorded exactly once with the status the
/// client gets, and the redacted headers' values appear nowhere in what is sent.
#[test]
#[ignore = "needs mcs and mono with Newtonsoft.Json (libnewtonsoft-json5.0-cil)"]
fn failed_calls_are_recorded_once_with_the_query_and_redacted_headers_in_every_form() {
    require_tool("mcs");
    require_tool("mono");
    let redacting = |scope: Scope, format: PolicyFormat| {
        let mut o = capture_opts(format, false);
        o.scope = scope;
        o.record.redact_headers = vec!["ocp-apim-subscription-key".into(), "authorization".into()];
        o
    };
    let mut fragments = HashMap::new();
    let mut policies = Vec::new();
    for scope in [Scope::Global, Scope::Product, Scope::Api, Scope::Operation] {
        for (form, format) in [("rawxml", PolicyFormat::RawXml), ("xml", PolicyFormat::Xml)] {
            let o = redacting(scope, format);
            policies.push(Policy {
                name: format!("{}-{form}-inline", scope.name()),
                text: capture::render(&o).unwrap().artifact.text,
                scope,
                capture_only: false,
            });
        }
        let mut o = redacting(scope, PolicyFormat::RawXml);
        let ids = FragmentIds::with_prefix("--fragment-prefix", "akto").unwrap();
        o.fragments = Some(ids.clone());
        for f in capture::render_fragments(&o).unwrap().0 {
            fragments.insert(f.id, f.text);
        }
        policies.push(Policy {
            name: format!("{}-fragments", scope.name()),
            text: capture::render(&o).unwrap().artifact.text,
            scope,
            capture_only: false,
        });
    }
    // --into on a policy whose <on-error> holds a hand-made copy of an older capture's send:
    // the copy is replaced, so a failed call is recorded once, and a second --into changes
    // nothing.
    let orig = "<policies>\n    <inbound>\n        <base />\n    </inbound>\n    <backend>\n        <base />\n    </backend>\n    <outbound>\n        <base />\n    </outbound>\n    <on-error>\n        <base />\n    </on-error>\n</policies>\n";
    let mut older = capture_opts(PolicyFormat::RawXml, false);
    older.record.on_error = false;
    let (old_steps, _) = capture::steps(&older).unwrap();
    let plain = akto_connect::apim::inject::inject(orig, &old_steps, true)
        .unwrap()
        .text;
    let doc = tree::read(&plain).unwrap();
    let send = capture_detect::detect(&doc, &plain)
        .steps
        .into_iter()
        .find(|s| s.kind == capture_detect::StepKind::Send)
        .unwrap();
    let at = plain.find("    </on-error>").unwrap();
    let edited = format!(
        "{}        {}\n{}",
        &plain[..at],
        &plain[send.span.clone()],
        &plain[at..]
    );
    let (steps, _) = capture::steps(&redacting(Scope::Api, PolicyFormat::RawXml)).unwrap();
    let into = akto_connect::apim::inject::inject(&edited, &steps, true).unwrap();
    assert!(
        into.kept.is_empty(),
        "the hand-made on-error send is replaced"
    );
    let again = akto_connect::apim::inject::inject(&into.text, &steps, true).unwrap();
    assert_eq!(again.text, into.text, "a second --into changes nothing");
    policies.push(Policy {
        name: "into-with-hand-made-on-error-send".into(),
        text: into.text,
        scope: Scope::Api,
        capture_only: false,
    });

    let source = Generator::new(&fragments).source(&policies);
    let (_dir, exe) = build(&source);
    let mut base = hostile_exchanges(MAX_BODY).remove(0).1;
    base.request_headers
        .push(h("Ocp-Apim-Subscription-Key", &[SUBSCRIPTION_KEY]));
    base.request_headers.push(h("authorization", &[BEARER]));
    let query = "?q=a%20b&page=2&empty=";
    // (what, failsIn, error status, error reason, error body, status recorded, path)
    let cases: [Case; 5] = [
        ("succeeds", None, 0, "", "", 201, "/api/v1/orders"),
        (
            "validate-jwt fails in a parent's inbound",
            Some("inbound"),
            401,
            "Unauthorized",
            JWT_ERROR,
            401,
            "/api/v1/orders",
        ),
        (
            "backend unreachable",
            Some("backend"),
            500,
            "Internal Server Error",
            "",
            500,
            "/api/v1/orders",
        ),
        (
            "fails after the outbound send",
            Some("outbound"),
            500,
            "Internal Server Error",
            "",
            201,
            "/api/v1/orders",
        ),
        (
            "filtered out and fails",
            Some("inbound"),
            401,
            "Unauthorized",
            JWT_ERROR,
            0,
            "/health",
        ),
    ];
    let mut scenarios = Vec::new();
    let mut expect = Vec::new();
    for p in &policies {
        for (what, fails, status, reason, body, recorded, path) in cases {
            let mut ex = base.clone();
            ex.path = path.to_string();
            let mut sc = ex.scenario(&p.name, p.scope);
            sc["query"] = json!(query);
            if let Some(f) = fails {
                sc["failsIn"] = json!(f);
                sc["errorStatus"] = json!(status);
                sc["errorReason"] = json!(reason);
                sc["errorBody"] = json!(body);
            }
            scenarios.push(sc);
            expect.push((format!("{} / {what}", p.name), ex, fails, body, recorded));
        }
    }
    let results = run(&exe, &scenarios);
    for ((what, ex, fails, error_body, recorded), result) in expect.iter().zip(&results) {
        let sent = records(what, result);
        let raw = serde_json::to_string(result).unwrap();
        assert!(
            !raw.contains(SUBSCRIPTION_KEY) && !raw.contains("sekrit-bearer"),
            "{what}: a redacted value left the gateway or reached the trace: {raw}"
        );
        if *recorded == 0 {
            assert!(sent.is_empty(), "{what}: {sent:?}");
            continue;
        }
        assert_eq!(sent.len(), 1, "{what}: recorded {} times", sent.len());
        let entry = &sent[0];
        assert_eq!(
            entry["path"],
            json!(format!("{}{query}", ex.path)),
            "{what}"
        );
        assert_eq!(entry["statusCode"], json!(recorded.to_string()), "{what}");
        let headers: Value =
            serde_json::from_str(entry["requestHeaders"].as_str().unwrap()).unwrap();
        assert_eq!(headers["Ocp-Apim-Subscription-Key"], "[REDACTED]", "{what}");
        assert_eq!(headers["authorization"], "[REDACTED]", "{what}");
        assert_eq!(headers["Content-Type"], "application/json", "{what}");
        match fails {
            None | Some("outbound") => {
                assert_eq!(result["forwarded"], true, "{what}");
                assert_eq!(
                    entry["responsePayload"],
                    json!(ex.response_body.clone().unwrap()),
                    "{what}"
                );
                assert_eq!(
                    entry["requestPayload"],
                    json!(ex.request_body.clone().unwrap()),
                    "{what}"
                );
            }
            Some("inbound") => {
                assert_eq!(result["forwarded"], false, "{what}");
                assert_eq!(entry["responsePayload"], json!(error_body), "{what}");
                assert_eq!(entry["status"], "Unauthorized", "{what}");
                // The body the client sent is still recorded: the on-error steps read it.
                assert_eq!(
                    entry["requestPayload"],
                    json!(ex.request_body.clone().unwrap()),
                    "{what}"
                );
            }
            _ => assert_eq!(entry["responsePayload"], "", "{what}"),
        }
    }
}

/// `--sample-percent 50` over 1,000 calls (half of them failing at the backend, a tenth after
/// the send) sends between 400 and 600 records, each call whole or not at all and never twice;
/// `--no-request-body --no-response-body` sends both bodies as empty strings.
#[test]
#[ignore = "needs mcs and mono with Newtonsoft.Json (libnewtonsoft-json5.0-cil)"]
fn sampling_decides_once_per_call_and_bodies_can_be_left_out() {
    require_tool("mcs");
    require_tool("mono");
    let mut sampled = capture_opts(PolicyFormat::RawXml, false);
    sampled.record.sample_percent = 50;
    let mut bodiless = capture_opts(PolicyFormat::RawXml, false);
    bodiless.record.request_body = false;
    bodiless.record.response_body = false;
    let policies = vec![
        Policy {
            name: "sampled".into(),
            text: capture::render(&sampled).unwrap().artifact.text,
            scope: Scope::Api,
            capture_only: false,
        },
        Policy {
            name: "bodiless".into(),
            text: capture::render(&bodiless).unwrap().artifact.text,
            scope: Scope::Api,
            capture_only: false,
        },
    ];
    assert!(
        !policies[1].text.contains("aktoRequestBody\" value"),
        "the request body is never read"
    );
    assert!(
        !policies[1].text.contains("context.Response.Body"),
        "the response body is never read"
    );
    let source = Generator::new(&HashMap::new()).source(&policies);
    let (_dir, exe) = build(&source);
    let ex = hostile_exchanges(MAX_BODY).remove(0).1;
    let mut scenarios = Vec::new();
    for i in 0..1000 {
        let mut sc = ex.scenario("sampled", Scope::Api);
        match i % 10 {
            0 => sc["failsIn"] = json!("outbound"),
            1..=4 => sc["failsIn"] = json!("backend"),
            _ => {}
        }
        scenarios.push(sc);
    }
    scenarios.push(ex.scenario("bodiless", Scope::Api));
    let results = run(&exe, &scenarios);
    let mut sent = 0;
    for (i, result) in results[..1000].iter().enumerate() {
        let what = format!("sampled call {i}");
        let r = records(&what, result);
        assert!(r.len() <= 1, "{what}: recorded {} times", r.len());
        if let Some(entry) = r.first() {
            sent += 1;
            assert_eq!(
                entry["requestPayload"],
                json!(ex.request_body.clone().unwrap()),
                "{what}"
            );
            let status = if (1..=4).contains(&(i % 10)) {
                "500"
            } else {
                "201"
            };
            assert_eq!(entry["statusCode"], status, "{what}");
        }
    }
    assert!(
        (400..=600).contains(&sent),
        "{sent} of 1000 calls sent at 50%"
    );
    let r = records("bodiless", &results[1000]);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["requestPayload"], "");
    assert_eq!(r[0]["responsePayload"], "");
}

#[test]
#[ignore = "needs mcs, mono with Newtonsoft.Json, and ../shared"]
fn expanded_empty_policies_and_a_replaced_documented_capture_execute_and_capture() {
    require_tool("mcs");
    require_tool("mono");
    let seed = std::fs::read_to_string(require_shared("seeds/000_46d42d8a8bbb67eb.txt")).unwrap();
    let seed = &seed
        [seed.find("<policies>").unwrap()..seed.find("</policies>").unwrap() + "</policies>".len()];
    let seed = seed.replace(
        "https://<YOUR_AKTO_INGESTION_SERVICE_URL>",
        "https://10.0.0.5:9091",
    );
    let (steps, _) = capture::steps(&capture_opts(PolicyFormat::RawXml, true)).unwrap();
    let inject = |text: &str, with_base: bool| {
        substitute(
            &akto_connect::apim::inject::inject(text, &steps, with_base)
                .unwrap()
                .text,
        )
    };
    let policies = vec![
        Policy {
            name: "empty-api".into(),
            text: inject("<policies />\n", true),
            scope: Scope::Api,
            capture_only: false,
        },
        Policy {
            name: "empty-global".into(),
            text: inject("<policies />\n", false),
            scope: Scope::Global,
            capture_only: false,
        },
        Policy {
            name: "documented-replaced".into(),
            text: inject(&seed, true),
            scope: Scope::Api,
            capture_only: false,
        },
    ];
    // The documented policy's own send is gone: ours in <outbound> and in <on-error> (which
    // sends only when the outbound one did not) are the only ones.
    assert_eq!(policies[2].text.matches("<send-one-way-request").count(), 2);
    execute_and_check(policies, &HashMap::new(), |_| true);
}
