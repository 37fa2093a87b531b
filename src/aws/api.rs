//! The AWS calls `aws verify` makes, as plain data: endpoints (overridable the way the AWS SDKs
//! allow, `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`), request bodies for STS (query
//! protocol), API Gateway (REST JSON) and CloudWatch Logs (JSON 1.1), and the error shapes each
//! answers with. No I/O here.

use serde_json::{json, Value};

use super::Region;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Sts,
    ApiGateway,
    Logs,
}

impl Service {
    /// The SigV4 signing name.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::ApiGateway => "apigateway",
            Service::Logs => "logs",
        }
    }

    /// The suffix of `AWS_ENDPOINT_URL_<SERVICE>` (the service id, upper case, `_` for spaces).
    pub fn env_suffix(self) -> &'static str {
        match self {
            Service::Sts => "STS",
            Service::ApiGateway => "API_GATEWAY",
            Service::Logs => "CLOUDWATCH_LOGS",
        }
    }
}

/// The endpoint of `service` in `region`: the service's own override, then the global one,
/// then AWS's regional endpoint. Refuses plain http:// to anything but a loopback address,
/// since signed requests carry the session token.
pub fn endpoint(
    service: Service,
    region: &Region,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let own = format!("AWS_ENDPOINT_URL_{}", service.env_suffix());
    let (var, chosen) = match env(&own).filter(|v| !v.is_empty()) {
        Some(v) => (own, Some(v)),
        None => (
            "AWS_ENDPOINT_URL".to_string(),
            env("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()),
        ),
    };
    let Some(url) = chosen else {
        let suffix = if region.partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        return Ok(format!(
            "https://{}.{}.{suffix}",
            service.signing_name(),
            region.code
        ));
    };
    let url = url.trim_end_matches('/').to_string();
    if let Some(rest) = url.strip_prefix("http://") {
        let authority = rest.split('/').next().unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(format!("{var}={url}: signed AWS requests go over https:// (plain http:// only to a loopback address, for a local stand-in); use https://"));
        }
    } else if !url.starts_with("https://") {
        return Err(format!(
            "{var}={url}: not an http(s) URL; give e.g. https://sts.us-east-1.amazonaws.com"
        ));
    }
    Ok(url)
}

/// A request to sign and send.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: Service,
    /// The IAM action it needs, as IAM names it (`logs:GetLogEvents`).
    pub action: &'static str,
    pub method: &'static str,
    /// Path and query, appended to the endpoint.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sent without a signature (AssumeRoleWithWebIdentity).
    pub unsigned: bool,
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
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

fn sts(action: &'static str, iam: &'static str, mut params: Vec<(&str, &str)>) -> Call {
    params.insert(0, ("Action", action));
    params.push(("Version", "2011-06-15"));
    Call {
        service: Service::Sts,
        action: iam,
        method: "POST",
        path: "/".into(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: form(&params),
        unsigned: false,
    }
}

pub fn get_caller_identity() -> Call {
    sts("GetCallerIdentity", "sts:GetCallerIdentity", vec![])
}

pub fn assume_role(role_arn: &str, session: &str, external_id: Option<&str>) -> Call {
    let mut p = vec![("RoleArn", role_arn), ("RoleSessionName", session)];
    if let Some(x) = external_id {
        p.push(("ExternalId", x));
    }
    sts("AssumeRole", "sts:AssumeRole", p)
}

pub fn assume_role_with_web_identity(role_arn: &str, session: &str, token: &str) -> Call {
    let mut c = sts(
        "AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithWebIdentity",
        vec![
            ("RoleArn", role_arn),
            ("RoleSessionName", session),
            ("WebIdentityToken", token),
        ],
    );
    c.unsigned = true;
    c
}

fn apigw(action: &'static str, path: String) -> Call {
    Call {
        service: Service::ApiGateway,
        action,
        method: "GET",
        path,
        headers: vec![("accept".into(), "application/json".into())],
        body: Vec::new(),
        unsigned: false,
    }
}

/// `GetAccount`: the account's `cloudwatchRoleArn`.
pub fn get_account() -> Call {
    apigw("apigateway:GET", "/account".into())
}

pub fn get_stage(rest_api_id: &str, stage: &str) -> Call {
    apigw(
        "apigateway:GET",
        format!("/restapis/{rest_api_id}/stages/{stage}"),
    )
}

/// `GetRestApis`, the newer connector's first call.
pub fn get_rest_apis() -> Call {
    apigw("apigateway:GET", "/restapis?limit=500".into())
}

fn logs(op: &'static str, action: &'static str, body: Value) -> Call {
    Call {
        service: Service::Logs,
        action,
        method: "POST",
        path: "/".into(),
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            ("x-amz-target".into(), format!("Logs_20140328.{op}")),
        ],
        body: body.to_string().into_bytes(),
        unsigned: false,
    }
}

pub fn describe_log_groups(prefix: &str) -> Call {
    logs(
        "DescribeLogGroups",
        "logs:DescribeLogGroups",
        json!({ "logGroupNamePrefix": prefix, "limit": 50 }),
    )
}

/// The newest stream first: its `lastEventTimestamp` says whether events are recent.
pub fn describe_log_streams(group: &str) -> Call {
    logs(
        "DescribeLogStreams",
        "logs:DescribeLogStreams",
        json!({ "logGroupName": group, "orderBy": "LastEventTime", "descending": true, "limit": 1 }),
    )
}

pub fn get_log_events(group: &str, stream: &str) -> Call {
    logs(
        "GetLogEvents",
        "logs:GetLogEvents",
        json!({ "logGroupName": group, "logStreamName": stream, "limit": 1, "startFromHead": false }),
    )
}

/// An error answer: its code (`AccessDeniedException`, `SignatureDoesNotMatch`) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl AwsError {
    pub fn is_denied(&self) -> bool {
        matches!(
            self.code.as_str(),
            "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation"
        ) || (self.status == 403 && self.code.is_empty())
    }
}

/// Reads an error answer of any of the three protocols: the `x-amzn-ErrorType` header, a
/// JSON `__type`, or the XML `<Code>`.
pub fn parse_error(status: u16, error_type: Option<&str>, body: &str) -> AwsError {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let from_json = |k: &str| {
        json.as_ref()
            .and_then(|v| v.get(k))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let strip = |c: &str| {
        let c = c.split(':').next().unwrap_or(c);
        c.rsplit('#').next().unwrap_or(c).to_string()
    };
    let code = error_type
        .map(strip)
        .or_else(|| from_json("__type").map(|c| strip(&c)))
        .or_else(|| from_json("code"))
        .or_else(|| super::credentials::xml_text(body, "Code").map(String::from))
        .unwrap_or_default();
    let message = from_json("message")
        .or_else(|| from_json("Message"))
        .or_else(|| super::credentials::xml_text(body, "Message").map(super::credentials::unescape))
        .unwrap_or_else(|| crate::text::shorten(body.trim()).to_string());
    AwsError {
        status,
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let r = Region::parse("--region", "eu-west-1").unwrap();
        let none = |_: &str| None;
        assert_eq!(
            endpoint(Service::Logs, &r, &none).unwrap(),
            "https://logs.eu-west-1.amazonaws.com"
        );
        let local =
            |k: &str| (k == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:4566/".to_string());
        assert_eq!(
            endpoint(Service::Sts, &r, &local).unwrap(),
            "http://127.0.0.1:4566"
        );
        let own =
            |k: &str| (k == "AWS_ENDPOINT_URL_STS").then(|| "http://sts.example.com".to_string());
        assert!(endpoint(Service::Sts, &r, &own)
            .unwrap_err()
            .contains("https://"));
        assert!(endpoint(Service::Logs, &r, &own).is_ok());
    }

    #[test]
    fn error_shapes() {
        let e = parse_error(
            400,
            None,
            r#"{"__type":"com.amazonaws.logs#AccessDeniedException","message":"no"}"#,
        );
        assert!(e.is_denied());
        assert_eq!(e.message, "no");
        let e = parse_error(403, None, "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad</Message></Error></ErrorResponse>");
        assert_eq!(e.code, "SignatureDoesNotMatch");
        let e = parse_error(
            403,
            Some("AccessDeniedException:http://internal"),
            "{\"message\":\"x\"}",
        );
        assert_eq!(e.code, "AccessDeniedException");
    }
}
