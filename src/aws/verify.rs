//! `aws verify`: the checklist judged from AWS's answers (the calls are made by
//! `app::aws_verify`). Every check that fails names the fault and its fix. Checks use the
//! project's one check model (ok / warn / fail / skip, with a fix).

use serde_json::Value;

use super::api::AwsError;
use super::iam::Generation;
use super::kafka::ApiVersions;
use crate::check::Check;

/// What a call answered, when it did not answer with what was asked for.
#[derive(Debug, Clone)]
pub enum Failure {
    Aws(AwsError),
    /// No answer: the network, TLS, a timeout (the message says which).
    Net(String),
}

pub type Answer<T> = Result<T, Failure>;

fn gen_flag(g: Generation) -> &'static str {
    match g {
        Generation::V1 => "v1",
        Generation::V2 => "v2",
    }
}

/// The check for a failed call: a denial names the IAM action to grant.
pub fn failed_call(id: &str, what: &str, action: &str, f: &Failure, g: Generation) -> Check {
    match f {
        Failure::Aws(e) if e.is_denied() => Check::fail(
            id,
            format!("{what}: AccessDenied for {action} ({})", e.message),
            format!(
                "grant {action} to these credentials: akto-connect aws iam-policy --connector {} ... prints the policy the connector needs",
                gen_flag(g)
            ),
        ),
        Failure::Aws(e) if e.code.contains("Signature") || e.code == "InvalidClientTokenId" || e.code == "UnrecognizedClientException" => Check::fail(
            id,
            format!("{what}: AWS refused the credentials ({}: {})", e.code, e.message),
            "the secret key or session token does not belong to the access key, or the session expired: refresh the credentials (aws sso login, a new session token) and check the clock",
        ),
        Failure::Aws(e) => Check::fail(
            id,
            format!("{what}: HTTP {} {} ({})", e.status, e.code, e.message),
            "see the AWS error above; check the region (--region) and the names given",
        ),
        Failure::Net(why) => Check::fail(
            id,
            format!("{what}: no answer ({why})"),
            "check the network path to AWS (proxy, VPC endpoint) or AWS_ENDPOINT_URL",
        ),
    }
}

pub fn identity(a: &Answer<(String, String)>, g: Generation) -> Check {
    match a {
        Ok((arn, account)) => Check::ok(
            "identity",
            format!("signed in as {arn} (account {account})"),
        ),
        Err(f) => failed_call(
            "identity",
            "sts:GetCallerIdentity",
            "sts:GetCallerIdentity",
            f,
            g,
        ),
    }
}

/// `GET /account`: API Gateway writes execution logs only with the account's CloudWatch role.
pub fn cloudwatch_role(a: &Answer<Value>, region: &str, g: Generation) -> Check {
    const ID: &str = "cloudwatch-role";
    match a {
        Ok(v) => match v.get("cloudwatchRoleArn").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            Some(arn) => Check::ok(ID, format!("API Gateway's CloudWatch role in {region}: {arn}")),
            None => Check::fail(
                ID,
                format!("the account has no CloudWatch role for API Gateway in {region}: no stage writes execution logs"),
                format!("create a role that apigateway.amazonaws.com may assume, with the managed policy AmazonAPIGatewayPushToCloudWatchLogs, then: aws apigateway update-account --region {region} --patch-operations op=replace,path=/cloudwatchRoleArn,value=ROLE_ARN"),
            ),
        },
        Err(f) => failed_call(ID, "apigateway GetAccount", "apigateway:GET on /account", f, g),
    }
}

/// A stage's `*/*` method settings: execution logging at INFO and data tracing on.
pub fn stage(api: &str, stage: &str, region: &str, a: &Answer<Value>, g: Generation) -> Vec<Check> {
    let fix_cmd = format!("akto-connect aws log-settings --rest-api-id {api} --stage {stage} --region {region} | bash");
    let v = match a {
        Ok(v) => v,
        Err(Failure::Aws(e)) if e.status == 404 || e.code == "NotFoundException" => {
            return vec![Check::fail(
                "stage-logging",
                format!("stage {stage} of REST API {api} does not exist in {region} ({})", e.message),
                "check --stage API_ID/STAGE and --region: aws apigateway get-stages --rest-api-id API_ID",
            )]
        }
        Err(f) => return vec![failed_call("stage-logging", &format!("stage {api}/{stage}"), "apigateway:GET on /restapis/*", f, g)],
    };
    let all = v.get("methodSettings").and_then(|m| m.get("*/*"));
    let level = all
        .and_then(|s| s.get("loggingLevel"))
        .and_then(Value::as_str)
        .unwrap_or("OFF");
    let trace = all
        .and_then(|s| s.get("dataTraceEnabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let logging = match level {
        "INFO" => Check::ok("stage-logging", format!("stage {api}/{stage}: execution logging at INFO")),
        "ERROR" => Check::fail(
            "stage-logging",
            format!("stage {api}/{stage}: execution logging at ERROR only: successful requests are never logged"),
            fix_cmd.clone(),
        ),
        _ => Check::fail(
            "stage-logging",
            format!("stage {api}/{stage}: execution logging is off: the connector has nothing to read"),
            fix_cmd.clone(),
        ),
    };
    let tracing = if trace {
        Check::ok(
            "stage-data-trace",
            format!(
                "stage {api}/{stage}: data tracing on (request and response bodies are logged)"
            ),
        )
    } else {
        Check::fail(
            "stage-data-trace",
            format!("stage {api}/{stage}: data tracing is off: the logs hold no headers or bodies for Akto"),
            fix_cmd,
        )
    };
    vec![logging, tracing]
}

/// The log group exists (`DescribeLogStreams` answered, or said ResourceNotFound).
pub fn log_group(
    group: &str,
    a: &Answer<Vec<(String, Option<i64>)>>,
    nearby: &[String],
    g: Generation,
) -> Check {
    const ID: &str = "log-group";
    match a {
        Ok(_) => Check::ok(ID, format!("log group {group} exists")),
        Err(Failure::Aws(e)) if e.code == "ResourceNotFoundException" => {
            let hint = if nearby.is_empty() {
                "copy the name from the stage's Logs and tracing settings (API-Gateway-Execution-Logs_<rest-api-id>/<stage>)".to_string()
            } else {
                format!(
                    "did you mean {}? give that to --log-group (and LOG_GROUP_NAME)",
                    nearby.join(", ")
                )
            };
            Check::fail(
                ID,
                format!("log group {group} does not exist in this account and region"),
                hint,
            )
        }
        Err(f) => failed_call(
            ID,
            &format!("log group {group}"),
            "logs:DescribeLogStreams",
            f,
            g,
        ),
    }
}

/// The newest stream's last event is within `minutes`.
pub fn recent_events(group: &str, newest_ms: Option<i64>, now_ms: i64, minutes: u64) -> Check {
    const ID: &str = "recent-events";
    let fix = "send a request through the API and run again; if nothing arrives, check the stage's logging (stage-logging) and the CloudWatch role";
    match newest_ms {
        Some(t) if now_ms - t <= minutes as i64 * 60_000 => Check::ok(
            ID,
            format!(
                "log group {group}: last event {} min ago",
                (now_ms - t).max(0) / 60_000
            ),
        ),
        Some(t) => Check::fail(
            ID,
            format!(
                "log group {group}: no event in the last {minutes} min (the newest is {} min old)",
                (now_ms - t) / 60_000
            ),
            fix,
        ),
        None => Check::fail(
            ID,
            format!("log group {group}: no log stream holds any event"),
            fix,
        ),
    }
}

pub fn read_events(group: &str, stream: &str, a: &Answer<usize>, g: Generation) -> Check {
    match a {
        Ok(n) => Check::ok(
            "read-events",
            format!("log group {group}: GetLogEvents on stream {stream} read {n} event(s)"),
        ),
        Err(f) => failed_call(
            "read-events",
            &format!("log group {group}, stream {stream}"),
            "logs:GetLogEvents",
            f,
            g,
        ),
    }
}

/// One call the chosen connector makes at start-up, tried with these credentials.
pub fn connector_call(
    id: &str,
    what: &str,
    action: &str,
    a: &Answer<usize>,
    g: Generation,
) -> Check {
    match a {
        Ok(n) => Check::ok(id, format!("{what}: allowed ({n} found)")),
        Err(f) => {
            let mut c = failed_call(id, what, action, f, g);
            if g == Generation::V2 {
                c.message
                    .push_str(": the v2 connector stops at start-up when this call fails");
            }
            c
        }
    }
}

pub fn assume_member(member: &str, a: &Answer<()>, g: Generation) -> Check {
    let arn = super::iam::member_role_arn(member);
    match a {
        Ok(()) => Check::ok("cross-account-role", format!("assumed {arn}")),
        Err(Failure::Aws(e)) if e.is_denied() => Check::fail(
            "cross-account-role",
            format!("cannot assume {arn}: {}", e.message),
            format!("create the role in account {member} (akto-connect aws member-role --connector-role-arn <the connector's role>), and give the connector sts:AssumeRole on it (akto-connect aws iam-policy --connector v2 --member-account {member})"),
        ),
        Err(f) => failed_call("cross-account-role", &format!("assume {arn}"), "sts:AssumeRole", f, g),
    }
}

pub fn broker(broker: &str, a: &Result<ApiVersions, KafkaFailure>) -> Check {
    const ID: &str = "kafka";
    let net_fix = format!("open TCP from the connector's network to {broker} (security group of the Akto mini-runtime's NLB, port 9092) and check AKTO_KAFKA_BROKER_MAL");
    match a {
        Ok(v) => Check::ok(ID, format!("Kafka at {broker} answered ApiVersions ({} APIs{})", v.apis.len(), if v.error_code == 0 { String::new() } else { format!(", error code {}", v.error_code) })),
        Err(KafkaFailure::Connect(why)) => Check::fail(ID, format!("cannot connect to {broker}: {why}"), net_fix),
        Err(KafkaFailure::Silent(secs)) => Check::fail(
            ID,
            format!("{broker} accepted the connection but answered nothing to a Kafka ApiVersions request in {secs} s"),
            "something other than Kafka holds the port, or a firewall drops the traffic: point --kafka-broker at the mini-runtime's Kafka (<AktoNLB-DNS>:9092)",
        ),
        Err(KafkaFailure::NotKafka(why)) => Check::fail(
            ID,
            format!("{broker} is not Kafka: {why}"),
            "point --kafka-broker (and AKTO_KAFKA_BROKER_MAL) at the mini-runtime's Kafka listener, usually <AktoNLB-DNS>:9092",
        ),
    }
}

#[derive(Debug, Clone)]
pub enum KafkaFailure {
    Connect(String),
    Silent(u64),
    NotKafka(String),
}
