//! `aws verify` against stand-ins of STS, API Gateway, CloudWatch Logs, ECS/IMDS credential
//! endpoints and a Kafka broker on 127.0.0.1. Every AWS request's SigV4 signature is checked
//! by an independent verifier (proven on AWS's `get-vanilla` vector below); a bad signature is
//! answered with AWS's own error shapes.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::{digest, hmac};
use serde_json::{json, Value};

use crate::common::{bin, run};

const KEY: &str = "AKIDSTANDIN";
const SECRET: &str = "standin/secret+key";
const API: &str = "a1b2c3d4e5";
const GROUP: &str = "API-Gateway-Execution-Logs_a1b2c3d4e5/prod";

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
fn sha(b: &[u8]) -> String {
    hexs(digest::digest(&digest::SHA256, b).as_ref())
}
fn mac(k: &[u8], d: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, k), d.as_bytes())
        .as_ref()
        .to_vec()
}
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Checks a request's `Authorization` as AWS does. `secrets` maps access key ids to
/// `(secret, session token)`. Returns the signing service on success.
fn verify_sigv4(
    method: &str,
    target: &str,
    headers: &HashMap<String, String>,
    body: &[u8],
    secrets: &HashMap<String, (String, Option<String>)>,
) -> Result<String, &'static str> {
    let auth = headers
        .get("authorization")
        .ok_or("MissingAuthenticationToken")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("IncompleteSignature")?;
    let mut cred = "";
    let mut signed = "";
    let mut sig = "";
    for part in rest.split(", ") {
        if let Some(v) = part.strip_prefix("Credential=") {
            cred = v;
        }
        if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = v;
        }
        if let Some(v) = part.strip_prefix("Signature=") {
            sig = v;
        }
    }
    let c: Vec<&str> = cred.split('/').collect();
    let [key, date, region, service, "aws4_request"] = c.as_slice() else {
        return Err("IncompleteSignature");
    };
    let (secret, token) = secrets.get(*key).ok_or("InvalidClientTokenId")?;
    if token.as_ref() != headers.get("x-amz-security-token") {
        return Err("InvalidClientTokenId");
    }
    let amz_date = headers.get("x-amz-date").ok_or("IncompleteSignature")?;
    if !amz_date.starts_with(date) || !signed.split(';').any(|h| h == "host") {
        return Err("SignatureDoesNotMatch");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut q: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            format!("{}={}", enc(k), enc(v))
        })
        .collect();
    q.sort();
    let canon_path: Vec<String> = path.split('/').map(enc).collect();
    let mut creq = format!("{method}\n{}\n{}\n", canon_path.join("/"), q.join("&"));
    for h in signed.split(';') {
        let v = headers.get(h).ok_or("SignatureDoesNotMatch")?;
        creq.push_str(&format!(
            "{h}:{}\n",
            v.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    creq.push_str(&format!("\n{signed}\n{}", sha(body)));
    let sts = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/{region}/{service}/aws4_request\n{}",
        sha(creq.as_bytes())
    );
    let k = mac(
        &mac(
            &mac(&mac(format!("AWS4{secret}").as_bytes(), date), region),
            service,
        ),
        "aws4_request",
    );
    if hexs(&mac(&k, &sts)) != sig {
        return Err("SignatureDoesNotMatch");
    }
    Ok(service.to_string())
}

#[test]
fn the_standin_verifier_accepts_aws_get_vanilla() {
    let mut h = HashMap::new();
    h.insert("host".to_string(), "example.amazonaws.com".to_string());
    h.insert("x-amz-date".to_string(), "20150830T123600Z".to_string());
    h.insert("authorization".to_string(), "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31".to_string());
    let mut s = HashMap::new();
    s.insert(
        "AKIDEXAMPLE".to_string(),
        ("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(), None),
    );
    assert_eq!(verify_sigv4("GET", "/", &h, b"", &s).unwrap(), "service");
    assert_eq!(
        verify_sigv4("GET", "/other", &h, b"", &s),
        Err("SignatureDoesNotMatch")
    );
}

/// The state of the stand-in account; each field is one fault to switch on.
#[derive(Default)]
struct World {
    secrets: HashMap<String, (String, Option<String>)>,
    no_cloudwatch_role: bool,
    logging_off: bool,
    data_trace_off: bool,
    no_recent_events: bool,
    groups: Vec<String>,
    /// Operations answered AccessDenied (`GetLogEvents`, `GetAccount`, …).
    denied: Vec<&'static str>,
    /// Requests whose signature failed.
    bad_signatures: usize,
}

struct StandIn {
    port: u16,
    world: Arc<Mutex<World>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn respond(s: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &str) {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    let _ = s.write_all(out.as_bytes());
}

fn sts_error(code: &str, msg: &str) -> String {
    format!("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{msg}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")
}

fn creds_xml(op: &str, key: &str, secret: &str, token: &str) -> String {
    format!("<{op}Response><{op}Result><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></{op}Result></{op}Response>")
}

fn handle(mut s: TcpStream, world: &Mutex<World>) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    if r.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = r.read_exact(&mut body);
    let text = String::from_utf8_lossy(&body).to_string();
    // Credential sources (unsigned by nature).
    if target == "/ecs-creds" {
        if headers.get("authorization").map(String::as_str) != Some("ecs-token") {
            return respond(&mut s, 401, &[], "{\"Message\":\"bad token\"}");
        }
        return respond(&mut s, 200, &[], &json!({"AccessKeyId": KEY, "SecretAccessKey": SECRET, "Expiration": "2099-01-01T00:00:00Z"}).to_string());
    }
    if target == "/latest/api/token" && method == "PUT" {
        return respond(&mut s, 200, &[], "imds-token");
    }
    if let Some(rest) = target.strip_prefix("/latest/meta-data/iam/security-credentials/") {
        if headers.get("x-aws-ec2-metadata-token").map(String::as_str) != Some("imds-token") {
            return respond(&mut s, 401, &[], "");
        }
        if rest.is_empty() {
            return respond(&mut s, 200, &[], "akto-node-role\n");
        }
        return respond(&mut s, 200, &[], &json!({"Code": "Success", "AccessKeyId": KEY, "SecretAccessKey": SECRET, "Token": "", "Expiration": "2099-01-01T00:00:00Z"}).to_string());
    }
    let mut w = world.lock().unwrap();
    let form: HashMap<String, String> = text
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%3A", ":").replace("%2F", "/")))
        .collect();
    if form.get("Action").map(String::as_str) == Some("AssumeRoleWithWebIdentity") {
        if form.get("WebIdentityToken").map(String::as_str) != Some("irsa-jwt") {
            return respond(
                &mut s,
                400,
                &[],
                &sts_error(
                    "InvalidIdentityToken",
                    "Couldn't retrieve verification key from your identity provider",
                ),
            );
        }
        w.secrets.insert(
            "ASIAWEBID".into(),
            ("webid-secret".into(), Some("webid-token".into())),
        );
        return respond(
            &mut s,
            200,
            &[],
            &creds_xml(
                "AssumeRoleWithWebIdentity",
                "ASIAWEBID",
                "webid-secret",
                "webid-token",
            ),
        );
    }
    let service = match verify_sigv4(&method, &target, &headers, &body, &w.secrets) {
        Ok(svc) => svc,
        Err(code) => {
            w.bad_signatures += 1;
            let msg = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.";
            return if form.contains_key("Action") {
                respond(&mut s, 403, &[], &sts_error(code, msg))
            } else if headers.contains_key("x-amz-target") {
                respond(&mut s, 400, &[("content-type", "application/x-amz-json-1.1")], &json!({"__type": if code == "SignatureDoesNotMatch" { "InvalidSignatureException" } else { "UnrecognizedClientException" }, "message": msg}).to_string())
            } else {
                respond(
                    &mut s,
                    403,
                    &[(
                        "x-amzn-ErrorType",
                        if code == "SignatureDoesNotMatch" {
                            "InvalidSignatureException"
                        } else {
                            "UnrecognizedClientException"
                        },
                    )],
                    &json!({"message": msg}).to_string(),
                )
            };
        }
    };
    let op = if let Some(a) = form.get("Action") {
        a.clone()
    } else if let Some(t) = headers.get("x-amz-target") {
        t.trim_start_matches("Logs_20140328.").to_string()
    } else if target == "/account" {
        "GetAccount".into()
    } else if target.starts_with("/restapis?") {
        "GetRestApis".into()
    } else if target.starts_with("/restapis/") {
        "GetStage".into()
    } else {
        "Unknown".into()
    };
    let expected = match op.as_str() {
        "GetCallerIdentity" | "AssumeRole" => "sts",
        "GetAccount" | "GetRestApis" | "GetStage" => "apigateway",
        _ => "logs",
    };
    assert_eq!(service, expected, "{op} signed for the wrong service");
    if w.denied.contains(&op.as_str()) {
        let msg =
            format!("User: arn:aws:iam::123456789012:user/akto is not authorized to perform: {op}");
        return match expected {
            "sts" => respond(&mut s, 403, &[], &sts_error("AccessDenied", &msg)),
            "logs" => respond(
                &mut s,
                400,
                &[],
                &json!({"__type": "AccessDeniedException", "message": msg}).to_string(),
            ),
            _ => respond(
                &mut s,
                403,
                &[("x-amzn-ErrorType", "AccessDeniedException")],
                &json!({"message": msg}).to_string(),
            ),
        };
    }
    let ok = |s: &mut TcpStream, v: Value| {
        respond(
            s,
            200,
            &[("content-type", "application/json")],
            &v.to_string(),
        )
    };
    match op.as_str() {
        "GetCallerIdentity" => respond(&mut s, 200, &[], "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/akto</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"),
        "AssumeRole" => {
            let arn = form.get("RoleArn").cloned().unwrap_or_default();
            if arn.contains(":role/AktoLogReaderRole") && !arn.contains("210987654321") {
                return respond(&mut s, 403, &[], &sts_error("AccessDenied", "not authorized to perform: sts:AssumeRole"));
            }
            w.secrets.insert("ASIAROLE".into(), ("role-secret".into(), Some("role-token".into())));
            respond(&mut s, 200, &[], &creds_xml("AssumeRole", "ASIAROLE", "role-secret", "role-token"))
        }
        "GetAccount" => ok(&mut s, if w.no_cloudwatch_role { json!({"throttleSettings": {}}) } else { json!({"cloudwatchRoleArn": "arn:aws:iam::123456789012:role/apigw-cw"}) }),
        "GetRestApis" => ok(&mut s, json!({"item": [{"id": API, "name": "orders"}]})),
        "GetStage" => {
            if target != format!("/restapis/{API}/stages/prod") {
                return respond(&mut s, 404, &[("x-amzn-ErrorType", "NotFoundException")], &json!({"message": "Invalid stage identifier specified"}).to_string());
            }
            ok(&mut s, json!({"stageName": "prod", "methodSettings": {"*/*": {"loggingLevel": if w.logging_off { "OFF" } else { "INFO" }, "dataTraceEnabled": !w.data_trace_off}}}))
        }
        "DescribeLogGroups" => {
            let req: Value = serde_json::from_slice(&body).unwrap();
            let prefix = req["logGroupNamePrefix"].as_str().unwrap_or("");
            ok(&mut s, json!({"logGroups": w.groups.iter().filter(|g| g.starts_with(prefix)).map(|g| json!({"logGroupName": g})).collect::<Vec<_>>()}))
        }
        "DescribeLogStreams" | "GetLogEvents" => {
            let req: Value = serde_json::from_slice(&body).unwrap();
            if !w.groups.iter().any(|g| g == req["logGroupName"].as_str().unwrap_or("")) {
                return respond(&mut s, 400, &[], &json!({"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."}).to_string());
            }
            let ts = if w.no_recent_events { now_ms() - 3 * 3_600_000 } else { now_ms() - 60_000 };
            if op == "GetLogEvents" {
                ok(&mut s, json!({"events": [{"timestamp": ts, "message": "(abc) Method request body before transformations: {}"}], "nextForwardToken": "f/1"}))
            } else {
                ok(&mut s, json!({"logStreams": [{"logStreamName": "stream-1", "lastEventTimestamp": ts}]}))
            }
        }
        _ => respond(&mut s, 400, &[], "{\"message\":\"unknown\"}"),
    }
}

fn standin(world: World) -> StandIn {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let world = Arc::new(Mutex::new(world));
    let w = world.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let w = w.clone();
            std::thread::spawn(move || handle(s, &w));
        }
    });
    StandIn { port, world }
}

#[derive(Clone, Copy)]
enum Broker {
    Kafka,
    NotKafka,
    Silent,
}

/// A Kafka broker that answers ApiVersions v0 to v3, or something that is not Kafka.
fn broker(kind: Broker) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut len = [0u8; 4];
                if s.read_exact(&mut len).is_err() {
                    return;
                }
                let mut req = vec![0u8; i32::from_be_bytes(len) as usize];
                if s.read_exact(&mut req).is_err() {
                    return;
                }
                match kind {
                    Broker::Silent => std::thread::sleep(Duration::from_secs(5)),
                    Broker::NotKafka => {
                        let _ =
                            s.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
                    }
                    Broker::Kafka => {
                        let key = i16::from_be_bytes([req[0], req[1]]);
                        let version = i16::from_be_bytes([req[2], req[3]]);
                        assert_eq!(key, 18, "not an ApiVersions request");
                        let apis: [(i16, i16, i16); 3] = [(0, 0, 9), (1, 0, 13), (18, 0, 3)];
                        let mut body = req[4..8].to_vec(); // correlation id
                        body.extend_from_slice(&0i16.to_be_bytes());
                        if version >= 3 {
                            body.push(apis.len() as u8 + 1); // compact array
                            for (a, mn, mx) in apis {
                                body.extend_from_slice(&a.to_be_bytes());
                                body.extend_from_slice(&mn.to_be_bytes());
                                body.extend_from_slice(&mx.to_be_bytes());
                                body.push(0);
                            }
                            body.extend_from_slice(&0i32.to_be_bytes());
                            body.push(0);
                        } else {
                            body.extend_from_slice(&(apis.len() as i32).to_be_bytes());
                            for (a, mn, mx) in apis {
                                body.extend_from_slice(&a.to_be_bytes());
                                body.extend_from_slice(&mn.to_be_bytes());
                                body.extend_from_slice(&mx.to_be_bytes());
                            }
                            if version >= 1 {
                                body.extend_from_slice(&0i32.to_be_bytes());
                            }
                        }
                        let mut out = (body.len() as i32).to_be_bytes().to_vec();
                        out.extend(body);
                        let _ = s.write_all(&out);
                    }
                }
            });
        }
    });
    port
}

fn good_world() -> World {
    let mut w = World {
        groups: vec![
            GROUP.to_string(),
            "API-Gateway-Execution-Logs_zzzzzzzzzz/dev".into(),
        ],
        ..World::default()
    };
    w.secrets.insert(KEY.into(), (SECRET.into(), None));
    w
}

/// Runs `aws verify` with `env` (nothing from the caller's AWS set-up leaks in).
fn verify(port: u16, kafka: u16, env: &[(&str, String)], extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = bin();
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir.path())
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let kafka = format!("127.0.0.1:{kafka}");
    cmd.args([
        "aws",
        "verify",
        "--region",
        "us-east-1",
        "--stage",
        &format!("{API}/prod"),
        "--kafka-broker",
        &kafka,
        "--timeout",
        "2",
    ])
    .args(extra);
    run(&mut cmd)
}

fn keys() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
    ]
}

#[test]
fn all_good_exits_0_and_every_request_is_signed() {
    let s = standin(good_world());
    let (code, out, err) = verify(s.port, broker(Broker::Kafka), &keys(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    for id in [
        "credentials",
        "identity",
        "cloudwatch-role",
        "stage-logging",
        "stage-data-trace",
        "log-group",
        "recent-events",
        "read-events",
        "connector-rest-apis",
        "kafka",
    ] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(id) && l.contains(" ok ")),
            "{id}:\n{out}"
        );
    }
    assert_eq!(s.world.lock().unwrap().bad_signatures, 0);
    assert!(!out.contains(SECRET) && !err.contains(SECRET));
}

#[test]
fn json_report_has_version_1() {
    let s = standin(good_world());
    let (code, out, _) = verify(
        s.port,
        broker(Broker::Kafka),
        &keys(),
        &["--format", "json"],
    );
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["connector"], "v1");
    assert!(v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] == "ok"));
}

fn expect_fault(w: World, kafka: Broker, extra: &[&str], id: &str, words: &str) {
    let s = standin(w);
    let (code, out, err) = verify(s.port, broker(kafka), &keys(), extra);
    assert_eq!(code, 1, "{id}: {out}{err}");
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with(id) && l.contains("FAIL"))
        .unwrap_or_else(|| panic!("{id} does not fail:\n{out}"));
    assert!(line.contains(words), "{id}: {line}");
    assert!(out.contains("fix: "), "{out}");
    let failing: Vec<&str> = out.lines().filter(|l| l.contains(" FAIL ")).collect();
    assert!(
        failing.iter().all(|l| l.trim_start().starts_with(id)),
        "{id}: more than one fault reported:\n{out}"
    );
}

#[test]
fn each_single_fault_exits_1_naming_it() {
    expect_fault(
        World {
            no_cloudwatch_role: true,
            ..good_world()
        },
        Broker::Kafka,
        &[],
        "cloudwatch-role",
        "no CloudWatch role",
    );
    expect_fault(
        World {
            logging_off: true,
            ..good_world()
        },
        Broker::Kafka,
        &[],
        "stage-logging",
        "logging is off",
    );
    expect_fault(
        World {
            data_trace_off: true,
            ..good_world()
        },
        Broker::Kafka,
        &[],
        "stage-data-trace",
        "data tracing is off",
    );
    expect_fault(
        World {
            no_recent_events: true,
            ..good_world()
        },
        Broker::Kafka,
        &[],
        "recent-events",
        "no event in the last 60 min",
    );
    expect_fault(
        good_world(),
        Broker::Silent,
        &[],
        "kafka",
        "answered nothing",
    );
    expect_fault(good_world(), Broker::NotKafka, &[], "kafka", "is not Kafka");
}

#[test]
fn a_wrong_group_name_suggests_the_real_one() {
    let s = standin(good_world());
    let (code, out, _) = verify(
        s.port,
        broker(Broker::Kafka),
        &keys(),
        &["--log-group", "API-Gateway-Execution-Logs_a1b2c3d4e5/prd"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("API-Gateway-Execution-Logs_a1b2c3d4e5/prd does not exist"),
        "{out}"
    );
    assert!(out.contains("did you mean"), "{out}");
}

#[test]
fn access_denied_on_each_call_names_the_action() {
    for (op, id, action) in [
        ("GetCallerIdentity", "identity", "sts:GetCallerIdentity"),
        (
            "GetAccount",
            "cloudwatch-role",
            "apigateway:GET on /account",
        ),
        ("GetStage", "stage-logging", "apigateway:GET on /restapis/*"),
        (
            "GetRestApis",
            "connector-rest-apis",
            "apigateway:GET on /restapis",
        ),
        ("DescribeLogStreams", "log-group", "logs:DescribeLogStreams"),
        ("GetLogEvents", "read-events", "logs:GetLogEvents"),
    ] {
        let s = standin(World {
            denied: vec![op],
            ..good_world()
        });
        let (code, out, _) = verify(s.port, broker(Broker::Kafka), &keys(), &[]);
        assert_eq!(code, 1, "{op}: {out}");
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(id) && l.contains("FAIL"))
            .unwrap_or_else(|| panic!("{op}: {out}"));
        assert!(
            line.contains("AccessDenied") && line.contains(action),
            "{op}: {line}"
        );
    }
}

#[test]
fn a_wrong_secret_is_refused_by_the_signature_check() {
    let s = standin(good_world());
    let (code, out, _) = verify(
        s.port,
        broker(Broker::Kafka),
        &[
            ("AWS_ACCESS_KEY_ID", KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", "wrong".into()),
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SignatureDoesNotMatch"), "{out}");
    assert!(s.world.lock().unwrap().bad_signatures > 0);
}

#[test]
fn credentials_from_each_source_of_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    std::fs::write(
        p("credentials"),
        format!("[base]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    std::fs::write(p("config"), format!("[profile role]\nrole_arn = arn:aws:iam::123456789012:role/akto\nsource_profile = base\n[profile proc]\ncredential_process = printf '{{\"Version\":1,\"AccessKeyId\":\"{KEY}\",\"SecretAccessKey\":\"{SECRET}\"}}'\n")).unwrap();
    std::fs::write(p("token"), "irsa-jwt\n").unwrap();
    let files = || {
        vec![
            ("AWS_CONFIG_FILE", p("config")),
            ("AWS_SHARED_CREDENTIALS_FILE", p("credentials")),
        ]
    };
    let s = standin(good_world());
    let url = format!("http://127.0.0.1:{}", s.port);
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("environment variables", keys()),
        ("shared credentials, profile base", [files(), vec![("AWS_PROFILE", "base".into())]].concat()),
        ("role arn:aws:iam::123456789012:role/akto, assumed with shared credentials, profile base", [files(), vec![("AWS_PROFILE", "role".into())]].concat()),
        ("credential_process of profile proc", [files(), vec![("AWS_PROFILE", "proc".into())]].concat()),
        ("web identity token (IRSA)", vec![("AWS_WEB_IDENTITY_TOKEN_FILE", p("token")), ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa".into())]),
        ("ECS container credentials", vec![("AWS_CONTAINER_CREDENTIALS_FULL_URI", format!("{url}/ecs-creds")), ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-token".into())]),
        ("EC2 instance metadata (IMDSv2), role akto-node-role", vec![("AWS_EC2_METADATA_DISABLED", "false".into()), ("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.clone())]),
    ];
    let kafka = broker(Broker::Kafka);
    for (source, env) in cases {
        let (code, out, err) = verify(s.port, kafka, &env, &[]);
        assert_eq!(code, 0, "{source}: {out}{err}");
        assert!(
            out.contains(&format!("credentials from {source}")),
            "{source}: {out}"
        );
    }
    assert_eq!(s.world.lock().unwrap().bad_signatures, 0);
}

#[test]
fn v2_cross_account_assumes_the_member_role() {
    let s = standin(good_world());
    let (code, out, _) = verify(
        s.port,
        broker(Broker::Kafka),
        &keys(),
        &["--connector", "v2", "--member-account", "210987654321"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("assumed arn:aws:iam::210987654321:role/AktoLogReaderRole"),
        "{out}"
    );
    let (code, out, _) = verify(
        s.port,
        broker(Broker::Kafka),
        &keys(),
        &["--connector", "v2", "--member-account", "111111111111"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot assume arn:aws:iam::111111111111:role/AktoLogReaderRole"),
        "{out}"
    );
}

#[test]
fn v2_stops_when_log_group_discovery_is_denied() {
    let s = standin(World {
        denied: vec!["DescribeLogGroups"],
        ..good_world()
    });
    let (code, out, _) = verify(
        s.port,
        broker(Broker::Kafka),
        &keys(),
        &["--connector", "v2"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("stops at start-up"), "{out}");
}

#[test]
fn plain_http_to_a_remote_endpoint_is_refused() {
    let mut cmd = bin();
    cmd.env("AWS_ENDPOINT_URL", "http://aws.example.com")
        .env("AWS_ACCESS_KEY_ID", KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .args([
            "aws",
            "verify",
            "--region",
            "us-east-1",
            "--log-group",
            GROUP,
        ]);
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("https://"), "{err}");
}
