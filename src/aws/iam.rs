//! The IAM each connector generation needs: one row per call its source makes, and the
//! policies built from those rows, so a policy grants every call and nothing else.
//!
//! Sources (Akto's `mirroring-api-logging`, Go module `api-gateway-logging`):
//! `logprocesser/logreader.go` (DescribeLogStreams, GetLogEvents), `loggroupdiscovery/
//! log_groups_discovery.go` (GetRestApis, DescribeLogGroups with the prefix
//! `API-Gateway-Execution-Logs_`), `loggroupdiscovery/cross_account.go` (AssumeRole of
//! `role/AktoLogReaderRole`), `openapiprocessor/` (GetRestApis, GetStages, GetExport, GetApis,
//! ExportApi).

use serde_json::{json, Value};

use super::Region;

/// Which `main.go` the manifest deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// Reads the log groups named in `LOG_GROUP_NAME`.
    V1,
    /// "Log reader v2": discovers the execution log groups itself and stops at start-up when
    /// a discovery call fails.
    V2,
}

/// The role the newer connector assumes in each member account (fixed in its source).
pub const MEMBER_ROLE: &str = "AktoLogReaderRole";
/// The session name it assumes it with.
pub const MEMBER_SESSION: &str = "AktoLogReader";
/// The prefix of REST API execution log groups.
pub const EXECUTION_PREFIX: &str = "API-Gateway-Execution-Logs_";

/// One call a connector makes.
#[derive(Debug, Clone, Copy)]
pub struct CallRow {
    pub api: &'static str,
    pub action: &'static str,
    pub v1: bool,
    pub v2: bool,
    /// Only with OpenAPI discovery on (`DISCOVER_OPENAPI_SPEC`).
    pub discovery_only: bool,
    pub source: &'static str,
}

/// Every call, for the README table and the policies.
pub const CALLS: &[CallRow] = &[
    CallRow { api: "DescribeLogStreams", action: "logs:DescribeLogStreams", v1: true, v2: true, discovery_only: false, source: "logprocesser/logreader.go (fetchLogStreams)" },
    CallRow { api: "GetLogEvents", action: "logs:GetLogEvents", v1: true, v2: true, discovery_only: false, source: "logprocesser/logreader.go (processLogStream)" },
    CallRow { api: "DescribeLogGroups", action: "logs:DescribeLogGroups", v1: false, v2: true, discovery_only: false, source: "loggroupdiscovery/log_groups_discovery.go, cross_account.go" },
    CallRow { api: "GetRestApis", action: "apigateway:GET /restapis", v1: true, v2: true, discovery_only: true, source: "v2: loggroupdiscovery/log_groups_discovery.go (listRestAPIIds, always); both: openapiprocessor/" },
    CallRow { api: "GetStages, GetExport", action: "apigateway:GET /restapis/*", v1: true, v2: true, discovery_only: true, source: "openapiprocessor/discovery.go" },
    CallRow { api: "GetApis, ExportApi", action: "apigateway:GET /apis, /apis/*", v1: true, v2: true, discovery_only: true, source: "openapiprocessor/discovery.go" },
    CallRow { api: "AssumeRole", action: "sts:AssumeRole", v1: false, v2: true, discovery_only: false, source: "loggroupdiscovery/cross_account.go (cross-account mode only)" },
];

/// What a policy is for.
#[derive(Debug, Clone)]
pub struct PolicySpec<'a> {
    pub generation: Generation,
    pub region: &'a Region,
    pub account: &'a str,
    /// V1: the groups named in `LOG_GROUP_NAME`. V2 discovers them: ignored.
    pub log_groups: &'a [String],
    pub openapi_discovery: bool,
    /// V2 cross-account mode: the member accounts whose `AktoLogReaderRole` it assumes.
    pub member_accounts: &'a [String],
}

fn group_arn(region: &Region, account: &str, group: &str) -> String {
    format!(
        "arn:{}:logs:{}:{account}:log-group:{group}:*",
        region.partition, region.code
    )
}

fn apigw_arn(region: &Region, path: &str) -> String {
    format!(
        "arn:{}:apigateway:{}::{path}",
        region.partition, region.code
    )
}

/// The statements that read execution logs in `account` as the newer connector does.
fn v2_log_statements(region: &Region, account: &str) -> Vec<Value> {
    vec![
        json!({
            "Sid": "DiscoverExecutionLogGroups",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": format!("arn:{}:logs:{}:{account}:log-group:*", region.partition, region.code),
        }),
        json!({
            "Sid": "ReadExecutionLogs",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogStreams", "logs:GetLogEvents"],
            "Resource": group_arn(region, account, &format!("{EXECUTION_PREFIX}*")),
        }),
    ]
}

/// The connector's own permissions policy.
pub fn permissions(spec: &PolicySpec) -> Value {
    let r = spec.region;
    let mut st = Vec::new();
    let cross = spec.generation == Generation::V2 && !spec.member_accounts.is_empty();
    match spec.generation {
        Generation::V1 => st.push(json!({
            "Sid": "ReadApiGatewayLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogStreams", "logs:GetLogEvents"],
            "Resource": spec.log_groups.iter().map(|g| group_arn(r, spec.account, g)).collect::<Vec<_>>(),
        })),
        Generation::V2 if cross => st.push(json!({
            "Sid": "AssumeMemberLogReaderRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": spec.member_accounts.iter().map(|a| member_role_arn(a)).collect::<Vec<_>>(),
        })),
        Generation::V2 => st.extend(v2_log_statements(r, spec.account)),
    }
    let mut paths: Vec<&str> = Vec::new();
    if spec.generation == Generation::V2 && !cross {
        // Log group discovery lists the REST APIs whether or not OpenAPI discovery is on;
        // without it the connector exits at start-up.
        paths.push("/restapis");
    }
    if spec.openapi_discovery {
        paths = super::DISCOVERY_PATHS.to_vec();
    }
    if !paths.is_empty() {
        st.push(json!({
            "Sid": if spec.openapi_discovery { "DiscoverOpenApiSpecs" } else { "ListRestApis" },
            "Effect": "Allow",
            "Action": "apigateway:GET",
            "Resource": paths.iter().map(|p| apigw_arn(r, p)).collect::<Vec<_>>(),
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": st })
}

/// The member role's ARN exactly as the connector builds it (partition `aws`, no path).
pub fn member_role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/{MEMBER_ROLE}")
}

/// The permissions of `AktoLogReaderRole` in a member account.
pub fn member_permissions(region: &Region, member: &str) -> Value {
    json!({ "Version": "2012-10-17", "Statement": v2_log_statements(region, member) })
}

/// Who may assume `AktoLogReaderRole`: the connector's role, and only it.
pub fn member_trust(connector_role_arn: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": connector_role_arn },
            "Action": "sts:AssumeRole",
        }]
    })
}

/// A CloudFormation template (JSON) creating `AktoLogReaderRole` in a member account: deploy
/// it in every member account, e.g. with a StackSet. The log group ARNs take the stack's own
/// account, region and partition.
pub fn member_role_cloudformation(connector_role_arn: &str) -> Value {
    let sub = |s: &str| json!({ "Fn::Sub": s });
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AktoLogReaderRole: lets Akto's API Gateway connector (log reader v2, cross-account mode) read this account's API Gateway execution logs. Generated by akto-connect.",
        "Resources": {
            "AktoLogReaderRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": MEMBER_ROLE,
                    "AssumeRolePolicyDocument": member_trust(connector_role_arn),
                    "Policies": [{
                        "PolicyName": "akto-read-api-gateway-execution-logs",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "DiscoverExecutionLogGroups",
                                    "Effect": "Allow",
                                    "Action": "logs:DescribeLogGroups",
                                    "Resource": sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"),
                                },
                                {
                                    "Sid": "ReadExecutionLogs",
                                    "Effect": "Allow",
                                    "Action": ["logs:DescribeLogStreams", "logs:GetLogEvents"],
                                    "Resource": sub(&format!("arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{EXECUTION_PREFIX}*:*")),
                                },
                            ],
                        },
                    }],
                },
            },
        },
        "Outputs": { "RoleArn": { "Value": { "Fn::GetAtt": ["AktoLogReaderRole", "Arn"] } } },
    })
}

/// The actions a generation calls, for `aws verify` to try one by one.
pub fn actions(generation: Generation, openapi_discovery: bool) -> Vec<&'static str> {
    CALLS
        .iter()
        .filter(|c| match generation {
            Generation::V1 => c.v1,
            Generation::V2 => c.v2,
        })
        .filter(|c| {
            openapi_discovery
                || !c.discovery_only
                || (generation == Generation::V2 && c.api == "GetRestApis")
        })
        .map(|c| c.action)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions_of(v: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for s in v["Statement"].as_array().unwrap() {
            match &s["Action"] {
                Value::String(a) => out.push(a.clone()),
                Value::Array(a) => out.extend(a.iter().map(|x| x.as_str().unwrap().to_string())),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn v2_without_discovery_still_lists_rest_apis() {
        let r = Region::parse("--region", "us-east-1").unwrap();
        let p = permissions(&PolicySpec {
            generation: Generation::V2,
            region: &r,
            account: "123456789012",
            log_groups: &[],
            openapi_discovery: false,
            member_accounts: &[],
        });
        let text = p.to_string();
        assert!(text.contains("arn:aws:apigateway:us-east-1::/restapis\""));
        assert!(text.contains("log-group:API-Gateway-Execution-Logs_*:*"));
        assert!(actions_of(&p).contains(&"logs:DescribeLogGroups".to_string()));
    }
}
