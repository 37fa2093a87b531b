//! `aws verify`: resolves the default credential chain, makes the calls (signed, through
//! `net`), talks Kafka to the broker, and hands every answer to `aws::verify` to judge.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::aws::api::{self, Call, Service};
use crate::aws::credentials::{self, Credentials, EcsToken, Provider, Source};
use crate::aws::iam::{self, Generation};
use crate::aws::verify::{self, Answer, Failure, KafkaFailure};
use crate::aws::{self as domain, kafka, sigv4, Region};
use crate::check::{Check, Report};
use crate::cli::aws::{AwsVerifyArgs, ConnectorArg};
use crate::cli::verify::VerifyFormatArg;
use crate::net::{Client, Method, NetConfig, Request};
use crate::output;

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

struct Aws {
    client: Client,
    region: Region,
}

impl Aws {
    /// Sends `call` (signed with `creds` unless it is unsigned) and returns the body of a 2xx.
    fn call(&self, creds: Option<&Credentials>, call: &Call) -> Answer<String> {
        let base = api::endpoint(call.service, &self.region, &env).map_err(Failure::Net)?;
        let url = format!("{base}{}", call.path);
        let method = if call.method == "POST" {
            Method::Post
        } else {
            Method::Get
        };
        let body = (method == Method::Post).then(|| call.body.clone());
        let mut req = Request::new(method, &url, body).no_redirects();
        req.idempotent = true;
        for (k, v) in &call.headers {
            req = req.header(k, v.clone());
        }
        if !call.unsigned {
            let creds = creds.ok_or_else(|| Failure::Net("no credentials to sign with".into()))?;
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let date = sigv4::amz_date(now);
            let scope = sigv4::Scope {
                region: &self.region.code,
                service: call.service.signing_name(),
                amz_date: &date,
            };
            let signed = sigv4::sign(creds, &scope, call.method, &url, &call.headers, &call.body)
                .map_err(Failure::Net)?;
            for (k, v) in signed {
                req = req.header(&k, v);
            }
        }
        let resp = self
            .client
            .send(&req)
            .map_err(|e| Failure::Net(e.to_string()))?;
        let text = resp.text();
        if resp.is_success() {
            Ok(text)
        } else {
            Err(Failure::Aws(api::parse_error(
                resp.status,
                resp.header("x-amzn-errortype"),
                &text,
            )))
        }
    }

    fn json(&self, creds: &Credentials, call: &Call) -> Answer<Value> {
        let text = self.call(Some(creds), call)?;
        serde_json::from_str(&text)
            .map_err(|e| Failure::Net(format!("the answer is not JSON ({e})")))
    }

    fn get_plain(
        &self,
        url: &str,
        headers: &[(&str, String)],
        put: bool,
    ) -> Result<String, String> {
        let mut req = if put {
            Request::new(Method::Put, url, Some(Vec::new()))
        } else {
            Request::get(url)
        }
        .no_redirects();
        for (k, v) in headers {
            req = req.header(k, v.clone());
        }
        let resp = self.client.send(&req).map_err(|e| e.to_string())?;
        if !resp.is_success() {
            return Err(format!(
                "HTTP {} from {}",
                resp.status,
                crate::redact_url::redact_url(url)
            ));
        }
        Ok(resp.text())
    }

    /// Runs a credential plan to keys.
    fn fetch(&self, p: &Provider) -> Result<Credentials, String> {
        match p {
            Provider::Static(c) => Ok(c.clone()),
            Provider::AssumeRole {
                role_arn,
                session_name,
                external_id,
                source,
            } => {
                let base = self.fetch(source)?;
                let xml = self
                    .call(
                        Some(&base),
                        &api::assume_role(role_arn, session_name, external_id.as_deref()),
                    )
                    .map_err(|f| describe("sts:AssumeRole of ".to_string() + role_arn, &f))?;
                credentials::from_sts_xml(
                    &xml,
                    Source::AssumeRole {
                        role_arn: role_arn.clone(),
                        via: Box::new(base.source),
                    },
                )
            }
            Provider::WebIdentity {
                role_arn,
                token_file,
                session_name,
            } => {
                let token = std::fs::read_to_string(token_file)
                    .map_err(|e| format!("cannot read the web identity token {token_file} ({e}); on EKS the pod's ServiceAccount must carry eks.amazonaws.com/role-arn"))?;
                let xml = self
                    .call(
                        None,
                        &api::assume_role_with_web_identity(role_arn, session_name, token.trim()),
                    )
                    .map_err(|f| {
                        describe(
                            "sts:AssumeRoleWithWebIdentity of ".to_string() + role_arn,
                            &f,
                        )
                    })?;
                credentials::from_sts_xml(
                    &xml,
                    Source::WebIdentity {
                        role_arn: role_arn.clone(),
                    },
                )
            }
            Provider::Process { profile, command } => {
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(command)
                    .output()
                    .map_err(|e| {
                        format!("profile {profile}: cannot run credential_process ({e})")
                    })?;
                if !out.status.success() {
                    return Err(format!(
                        "profile {profile}: credential_process exited with {}",
                        out.status
                    ));
                }
                credentials::from_json(
                    &String::from_utf8_lossy(&out.stdout),
                    Source::Process(profile.clone()),
                )
                .map_err(|e| format!("profile {profile}: credential_process: {e}"))
            }
            Provider::Ecs { url, token } => {
                let token = match token {
                    Some(EcsToken::Value(v)) => Some(v.clone()),
                    Some(EcsToken::File(f)) => Some(
                        std::fs::read_to_string(f)
                            .map_err(|e| {
                                format!(
                                    "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {f} ({e})"
                                )
                            })?
                            .trim()
                            .to_string(),
                    ),
                    None => None,
                };
                let headers: Vec<(&str, String)> =
                    token.into_iter().map(|t| ("authorization", t)).collect();
                let text = self
                    .get_plain(url, &headers, false)
                    .map_err(|e| format!("ECS container credentials: {e}"))?;
                credentials::from_json(&text, Source::Ecs)
                    .map_err(|e| format!("ECS container credentials: {e}"))
            }
            Provider::Imds { endpoint } => {
                let hint = |e: String| {
                    format!("EC2 instance metadata (IMDSv2) at {endpoint}: {e}; outside EC2 give credentials another way (AWS_PROFILE, AWS_ACCESS_KEY_ID)")
                };
                let token = self
                    .get_plain(
                        &format!("{endpoint}/latest/api/token"),
                        &[("x-aws-ec2-metadata-token-ttl-seconds", "21600".into())],
                        true,
                    )
                    .map_err(hint)?;
                let h = [("x-aws-ec2-metadata-token", token.trim().to_string())];
                let base = format!("{endpoint}/latest/meta-data/iam/security-credentials/");
                let role = self.get_plain(&base, &h, false).map_err(hint)?;
                let role = role.lines().next().unwrap_or("").trim().to_string();
                if role.is_empty() || role.contains('/') {
                    return Err(hint("the instance has no IAM role".into()));
                }
                let text = self
                    .get_plain(&format!("{base}{role}"), &h, false)
                    .map_err(hint)?;
                credentials::from_json(&text, Source::Imds { role }).map_err(hint)
            }
        }
    }
}

fn describe(what: String, f: &Failure) -> String {
    match f {
        Failure::Aws(e) => format!("{what}: {} ({})", e.code, e.message),
        Failure::Net(n) => format!("{what}: {n}"),
    }
}

fn shared_file(var: &str, default: &str) -> Option<String> {
    let path = match env(var).filter(|v| !v.is_empty()) {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(env("HOME")?)
            .join(".aws")
            .join(default),
    };
    std::fs::read_to_string(path).ok()
}

fn ask_kafka(broker: &str, timeout: Duration) -> Result<kafka::ApiVersions, KafkaFailure> {
    let addrs: Vec<_> = broker
        .to_socket_addrs()
        .map_err(|e| KafkaFailure::Connect(format!("cannot resolve it ({e})")))?
        .collect();
    let addr = addrs
        .first()
        .ok_or_else(|| KafkaFailure::Connect("no address".into()))?;
    let mut s = TcpStream::connect_timeout(addr, timeout)
        .map_err(|e| KafkaFailure::Connect(e.to_string()))?;
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    let id = 0x616b_746f;
    s.write_all(&kafka::api_versions_request(id))
        .map_err(|e| KafkaFailure::Connect(e.to_string()))?;
    let mut len = [0u8; 4];
    match s.read_exact(&mut len) {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Err(KafkaFailure::Silent(timeout.as_secs()))
        }
        Err(_) => {
            return Err(KafkaFailure::NotKafka(
                "it closed the connection without a Kafka answer".into(),
            ))
        }
    }
    let n = i32::from_be_bytes(len);
    if !(10..=1_048_576).contains(&n) {
        return Err(KafkaFailure::NotKafka(format!(
            "the answer starts with {:?}, not a Kafka frame",
            String::from_utf8_lossy(&len)
        )));
    }
    let mut frame = vec![0u8; n as usize];
    s.read_exact(&mut frame)
        .map_err(|e| KafkaFailure::NotKafka(format!("the answer is cut short ({e})")))?;
    kafka::parse_api_versions(&frame, id).map_err(KafkaFailure::NotKafka)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Streams of a group, newest first: `(name, lastEventTimestamp)`.
fn streams(aws: &Aws, c: &Credentials, group: &str) -> Answer<Vec<(String, Option<i64>)>> {
    let v = aws.json(c, &api::describe_log_streams(group))?;
    Ok(v.get("logStreams")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s.get("logStreamName")?.as_str()?.to_string(),
                s.get("lastEventTimestamp").and_then(Value::as_i64),
            ))
        })
        .collect())
}

fn group_names(v: &Value) -> Vec<String> {
    v.get("logGroups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("logGroupName")?.as_str().map(String::from))
        .collect()
}

/// The checks for one log group: exists, recent events, GetLogEvents.
fn group_checks(
    aws: &Aws,
    c: &Credentials,
    group: &str,
    minutes: u64,
    g: Generation,
    out: &mut Vec<Check>,
) {
    let s = streams(aws, c, group);
    let nearby = if s.is_err() {
        // Other execution log groups, when these credentials may list them.
        aws.json(c, &api::describe_log_groups(iam::EXECUTION_PREFIX))
            .map(|v| group_names(&v))
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n != group)
            .take(5)
            .collect()
    } else {
        Vec::new()
    };
    out.push(verify::log_group(group, &s, &nearby, g));
    let Ok(list) = s else {
        out.push(Check::skip(
            "recent-events",
            format!("log group {group}: not read"),
        ));
        return;
    };
    let newest = list.first().cloned();
    out.push(verify::recent_events(
        group,
        newest.as_ref().and_then(|n| n.1),
        now_ms(),
        minutes,
    ));
    match newest {
        Some((stream, _)) => {
            let a = aws.json(c, &api::get_log_events(group, &stream)).map(|v| {
                v.get("events")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            });
            out.push(verify::read_events(group, &stream, &a, g));
        }
        None => out.push(Check::skip(
            "read-events",
            format!("log group {group}: no stream to read"),
        )),
    }
}

pub fn run(a: &AwsVerifyArgs) -> anyhow::Result<ExitCode> {
    let region = Region::parse("--region", &a.region)?;
    let g = match a.connector {
        ConnectorArg::V1 => Generation::V1,
        ConnectorArg::V2 => Generation::V2,
    };
    let mut stages = Vec::new();
    for s in &a.stage {
        let Some((api_id, stage)) = s.split_once('/') else {
            anyhow::bail!(crate::error::InputError::new(
                "--stage",
                s,
                "give it as API_ID/STAGE",
                "e.g. --stage a1b2c3d4e5/prod"
            ));
        };
        stages.push((
            domain::parse_rest_api_id("--stage", api_id)?,
            domain::parse_stage("--stage", stage)?,
        ));
    }
    let mut groups = match &a.log_group {
        Some(v) => domain::parse_log_groups("--log-group", v)?,
        None => Vec::new(),
    };
    let broker = a
        .kafka_broker
        .as_deref()
        .map(|b| domain::parse_broker("--kafka-broker", b))
        .transpose()?;
    let members: Vec<String> = a
        .member_account
        .iter()
        .map(|m| domain::parse_account("--member-account", m))
        .collect::<anyhow::Result<_>>()?;
    if !members.is_empty() && g == Generation::V1 {
        anyhow::bail!(crate::error::InputError::new(
            "--member-account",
            &members[0],
            "cross-account mode is a feature of the newer connector only",
            "add --connector v2"
        ));
    }
    if g == Generation::V1 && groups.is_empty() && stages.is_empty() {
        anyhow::bail!(crate::error::InputError::missing(
            "--log-group",
            "the v1 connector reads the groups in LOG_GROUP_NAME: say which",
            "give --log-group NAME or --stage API_ID/STAGE"
        ));
    }
    for (api_id, stage) in &stages {
        let name = format!("{}{api_id}/{stage}", iam::EXECUTION_PREFIX);
        if g == Generation::V1 && !groups.contains(&name) {
            groups.push(name);
        }
    }
    for svc in [Service::Sts, Service::ApiGateway, Service::Logs] {
        api::endpoint(svc, &region, &env).map_err(|e| anyhow::anyhow!(e))?;
    }
    let timeout = Duration::from_secs(a.timeout);
    let client = Client::new(NetConfig {
        timeout,
        connect_timeout: timeout.min(Duration::from_secs(10)),
        retries: 1,
        max_retry_wait: Duration::from_secs(5),
        ca_file: None,
        max_body: 16 * 1024 * 1024,
    })?;
    let aws = Aws {
        client,
        region: region.clone(),
    };
    let mut checks = Vec::new();
    let config = shared_file("AWS_CONFIG_FILE", "config");
    let creds_file = shared_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let creds = credentials::resolve(&env, config.as_deref(), creds_file.as_deref())
        .and_then(|p| aws.fetch(&p));
    let creds = match creds {
        Ok(c) => {
            checks.push(Check::ok(
                "credentials",
                format!("credentials from {}", c.source),
            ));
            c
        }
        Err(why) => {
            checks.push(Check::fail(
                "credentials",
                format!("no AWS credentials: {why}"),
                "give the connector's credentials through the default chain (see --help)",
            ));
            return finish(a, &region, g, checks);
        }
    };
    let who = aws
        .call(Some(&creds), &api::get_caller_identity())
        .map(|xml| {
            (
                credentials::xml_text(&xml, "Arn")
                    .unwrap_or("?")
                    .to_string(),
                credentials::xml_text(&xml, "Account")
                    .unwrap_or("?")
                    .to_string(),
            )
        });
    checks.push(verify::identity(&who, g));
    if who.is_err() {
        checks.push(Check::skip(
            "cloudwatch-role",
            "the credentials were refused",
        ));
        return finish(a, &region, g, checks);
    }
    checks.push(verify::cloudwatch_role(
        &aws.json(&creds, &api::get_account()),
        &region.code,
        g,
    ));
    for (api_id, stage) in &stages {
        checks.extend(verify::stage(
            api_id,
            stage,
            &region.code,
            &aws.json(&creds, &api::get_stage(api_id, stage)),
            g,
        ));
    }
    if g == Generation::V2 || a.discovery.enabled() {
        let rest = aws
            .json(&creds, &api::get_rest_apis())
            .map(|v| v.get("item").and_then(Value::as_array).map_or(0, Vec::len));
        checks.push(verify::connector_call(
            "connector-rest-apis",
            "GetRestApis (the connector lists the REST APIs)",
            "apigateway:GET on /restapis",
            &rest,
            g,
        ));
    }
    if g == Generation::V2 && members.is_empty() {
        let found = aws
            .json(&creds, &api::describe_log_groups(iam::EXECUTION_PREFIX))
            .map(|v| group_names(&v));
        checks.push(verify::connector_call(
            "connector-log-groups",
            &format!(
                "DescribeLogGroups with the prefix {}",
                iam::EXECUTION_PREFIX
            ),
            "logs:DescribeLogGroups",
            &found.clone().map(|f| f.len()),
            g,
        ));
        if groups.is_empty() {
            groups = found.unwrap_or_default().into_iter().take(3).collect();
        }
    }
    for group in &groups {
        group_checks(&aws, &creds, group, a.recent_minutes, g, &mut checks);
    }
    for m in &members {
        let assumed = aws
            .call(
                Some(&creds),
                &api::assume_role(&iam::member_role_arn(m), iam::MEMBER_SESSION, None),
            )
            .and_then(|xml| {
                credentials::from_sts_xml(
                    &xml,
                    Source::AssumeRole {
                        role_arn: iam::member_role_arn(m),
                        via: Box::new(creds.source.clone()),
                    },
                )
                .map_err(Failure::Net)
            });
        checks.push(verify::assume_member(
            m,
            &assumed.as_ref().map(|_| ()).map_err(Clone::clone),
            g,
        ));
        if let Ok(member_creds) = assumed {
            let found = aws
                .json(
                    &member_creds,
                    &api::describe_log_groups(iam::EXECUTION_PREFIX),
                )
                .map(|v| group_names(&v));
            checks.push(verify::connector_call(
                "cross-account-log-groups",
                &format!("account {m}: DescribeLogGroups as {}", iam::MEMBER_ROLE),
                "logs:DescribeLogGroups",
                &found.clone().map(|f| f.len()),
                g,
            ));
            if let Some(first) = found.ok().and_then(|f| f.into_iter().next()) {
                group_checks(
                    &aws,
                    &member_creds,
                    &first,
                    a.recent_minutes,
                    g,
                    &mut checks,
                );
            }
        }
    }
    if let Some(b) = &broker {
        checks.push(verify::broker(b, &ask_kafka(b, timeout)));
    }
    finish(a, &region, g, checks)
}

fn finish(
    a: &AwsVerifyArgs,
    region: &Region,
    g: Generation,
    checks: Vec<Check>,
) -> anyhow::Result<ExitCode> {
    let generation = match g {
        Generation::V1 => "v1",
        Generation::V2 => "v2",
    };
    let mut report = Report {
        title: format!(
            "AWS API Gateway connector ({generation}) in {}",
            region.code
        ),
        checks,
        ..Report::default()
    };
    report
        .context
        .insert("region".into(), Value::from(region.code.clone()));
    report
        .context
        .insert("connector".into(), Value::from(generation));
    let text = match a.format {
        VerifyFormatArg::Json => report.to_json_text(),
        VerifyFormatArg::Text => report.to_text(),
    };
    output::emit(None, &text)?;
    Ok(report.exit_code())
}
