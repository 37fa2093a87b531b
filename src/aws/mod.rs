//! AWS API Gateway: deploying Akto's CloudWatch-log connector (Kubernetes or Compose), its
//! least-privilege IAM policy, and the stage log settings it reads.
//!
//! Secrets never go inline: the Akto token and any static AWS keys live in a Kubernetes
//! Secret or a Compose env file. The connector reads the AWS default credential chain, so an
//! IRSA role or an instance role needs no keys at all.

use serde::Serialize;

pub mod api;
pub mod credentials;
pub mod iam;
pub mod kafka;
pub mod sigv4;
pub mod verify;

use crate::error::{check_path_arg, refuse};
use crate::render::{self, Artifact, Syntax};

/// The connector image of seed 001.
pub const DEFAULT_IMAGE: &str = "aktosecurity/mirror-api-logging:api-gateway-logging-openapi";

/// An AWS region code, with its partition (`aws`, `aws-cn`, `aws-us-gov`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub partition: &'static str,
}

impl Region {
    pub fn parse(input: &str, value: &str) -> anyhow::Result<Region> {
        const AREAS: &[&str] = &["af", "ap", "ca", "cn", "eu", "il", "me", "mx", "sa", "us"];
        const DIRECTIONS: &[&str] = &[
            "north",
            "south",
            "east",
            "west",
            "central",
            "northeast",
            "southeast",
            "northwest",
            "southwest",
        ];
        let parts: Vec<&str> = value.split('-').collect();
        let (area, kind, direction, number) = match parts.as_slice() {
            [a, d, n] => (*a, "", *d, *n),
            [a, k, d, n] => (*a, *k, *d, *n),
            _ => ("", "", "", ""),
        };
        let number_ok = !number.is_empty()
            && number.len() <= 2
            && number.bytes().all(|b| b.is_ascii_digit())
            && !number.starts_with('0');
        let partition = match (area, kind) {
            ("cn", "") => Some("aws-cn"),
            ("us", "gov") => Some("aws-us-gov"),
            ("us", "iso") => Some("aws-iso"),
            ("us", "isob") => Some("aws-iso-b"),
            ("us", "isof") => Some("aws-iso-f"),
            ("eu", "isoe") => Some("aws-iso-e"),
            (a, "") if AREAS.contains(&a) => Some("aws"),
            _ => None,
        };
        match partition {
            Some(partition) if DIRECTIONS.contains(&direction) && number_ok => Ok(Region {
                code: value.to_string(),
                partition,
            }),
            _ => Err(refuse(
                input,
                value,
                "not an AWS region code",
                "give the region of the log group, like us-east-1, eu-west-2, ap-south-1, us-gov-west-1 or cn-north-1",
            )),
        }
    }
}

/// CloudWatch log group names: 1–512 of `[.-_/#A-Za-z0-9]`, not starting with `aws/`.
pub fn parse_log_groups(input: &str, value: &str) -> anyhow::Result<Vec<String>> {
    let groups: Vec<String> = value.split(',').map(|g| g.trim().to_string()).collect();
    for g in &groups {
        let ok = !g.is_empty()
            && g.len() <= 512
            && g.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_/#".contains(&b))
            && !g.starts_with("aws/");
        if !ok {
            return Err(refuse(
                input,
                g,
                "a CloudWatch log group name is 1 to 512 letters, digits, `.`, `-`, `_`, `/` or `#`, and does not start with `aws/`",
                "copy the name from the stage's Logs and tracing settings, e.g. API-Gateway-Execution-Logs_a1b2c3d4e5/prod; separate several with commas",
            ));
        }
    }
    Ok(groups)
}

/// `host:port` of the mini-runtime's Kafka.
pub fn parse_broker(input: &str, value: &str) -> anyhow::Result<String> {
    let help = "give the mini-runtime Kafka endpoint as HOST:PORT, e.g. akto-nlb-123.elb.us-east-1.amazonaws.com:9092";
    let Some((host, port)) = value.rsplit_once(':') else {
        return Err(refuse(
            input,
            value,
            "no port: the broker is HOST:PORT",
            help,
        ));
    };
    let port_ok = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && matches!(port.parse::<u32>(), Ok(1..=65535));
    if !port_ok {
        return Err(refuse(
            input,
            value,
            &format!("port `{port}` is not a number from 1 to 65535"),
            help,
        ));
    }
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    };
    if !host_ok {
        return Err(refuse(
            input,
            value,
            &format!("`{host}` is not a host name or IP address"),
            help,
        ));
    }
    Ok(value.to_string())
}

/// A 12-digit AWS account id.
pub fn parse_account(input: &str, value: &str) -> anyhow::Result<String> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(value.to_string());
    }
    Err(refuse(
        input,
        value,
        "an AWS account id is exactly 12 digits",
        "copy it from the console's account menu or `aws sts get-caller-identity`",
    ))
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
pub fn parse_role_arn(input: &str, value: &str) -> anyhow::Result<String> {
    let help =
        "give the role's ARN, e.g. arn:aws:iam::123456789012:role/akto-api-gateway-connector";
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let ok = match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] => {
            partition.starts_with("aws")
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|r| {
                    let name = r.rsplit('/').next().unwrap_or("");
                    !name.is_empty()
                        && name.len() <= 64
                        && r.len() <= 512
                        && r.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
                })
        }
        _ => false,
    };
    if !ok {
        return Err(refuse(input, value, "not an IAM role ARN", help));
    }
    Ok(value.to_string())
}

/// A Kubernetes DNS-1123 label (namespaces, names of Deployments and Secrets kept short).
pub fn parse_k8s_name(input: &str, value: &str) -> anyhow::Result<String> {
    crate::k8s::check_k8s_name(input, value, true)?;
    Ok(value.to_string())
}

/// How the connector gets AWS credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// The default chain: an instance profile or another ambient source; no keys.
    DefaultChain,
    /// IRSA: a ServiceAccount annotated with this role.
    Irsa(String),
    /// Static keys from the Secret or env file.
    StaticKeys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    K8s,
    Compose,
}

/// The connector's deployment.
#[derive(Debug, Clone)]
pub struct Connector {
    pub log_groups: Vec<String>,
    pub region: Region,
    pub kafka_broker: String,
    pub batch_size: u32,
    pub batch_time_secs: u32,
    pub bytes_in_threshold: u32,
    pub cloudwatch_read_batch_size: u32,
    pub openapi_discovery: bool,
    pub openapi_interval_minutes: u32,
    pub image: String,
    pub namespace: String,
    pub name: String,
    pub credentials: Credentials,
    pub existing_secret: Option<String>,
    pub run_as_user: Option<u32>,
    pub env_file: String,
    pub watchtower: bool,
}

/// An environment variable with a plain value (never a secret).
#[derive(Serialize)]
struct Var {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct ManifestContext<'a> {
    name: &'a str,
    namespace: &'a str,
    image: &'a str,
    vars: Vec<Var>,
    secret_name: String,
    emit_secret: bool,
    static_keys: bool,
    irsa_role: Option<&'a str>,
    run_as_user: Option<u32>,
    env_file: &'a str,
    watchtower: bool,
    log_groups: String,
}

/// Renders the connector's Kubernetes manifests or Compose file.
pub fn manifest(c: &Connector, format: ManifestFormat) -> anyhow::Result<Artifact> {
    let image_help = "e.g. aktosecurity/mirror-api-logging:api-gateway-logging-openapi";
    crate::error::check_line("--image", &c.image, 1024, image_help)?;
    if c.image.chars().any(char::is_whitespace) {
        return Err(refuse(
            "--image",
            &c.image,
            "an image reference has no spaces",
            image_help,
        ));
    }
    if format == ManifestFormat::Compose {
        check_path_arg("--env-file", &c.env_file, "e.g. ./api-gateway-logging.env")?;
    }
    let vars = vec![
        Var {
            name: "AWS_REGION",
            value: c.region.code.clone(),
        },
        Var {
            name: "LOG_GROUP_NAME",
            value: c.log_groups.join(","),
        },
        Var {
            name: "AKTO_KAFKA_BROKER_MAL",
            value: c.kafka_broker.clone(),
        },
        Var {
            name: "AKTO_TRAFFIC_BATCH_SIZE",
            value: c.batch_size.to_string(),
        },
        Var {
            name: "AKTO_TRAFFIC_BATCH_TIME_SECS",
            value: c.batch_time_secs.to_string(),
        },
        Var {
            name: "AKTO_BYTES_IN_THRESHOLD",
            value: c.bytes_in_threshold.to_string(),
        },
        Var {
            name: "CLOUDWATCH_READ_BATCH_SIZE",
            value: c.cloudwatch_read_batch_size.to_string(),
        },
        Var {
            name: "DISCOVER_OPENAPI_SPEC",
            value: c.openapi_discovery.to_string(),
        },
        Var {
            name: "OPENAPI_DISCOVERY_INTERVAL_MINUTES",
            value: c.openapi_interval_minutes.to_string(),
        },
    ];
    let ctx = ManifestContext {
        name: &c.name,
        namespace: &c.namespace,
        image: &c.image,
        vars,
        secret_name: c
            .existing_secret
            .clone()
            .unwrap_or_else(|| format!("{}-secrets", c.name)),
        emit_secret: c.existing_secret.is_none(),
        static_keys: c.credentials == Credentials::StaticKeys,
        irsa_role: match &c.credentials {
            Credentials::Irsa(r) => Some(r),
            _ => None,
        },
        run_as_user: c.run_as_user,
        env_file: &c.env_file,
        watchtower: c.watchtower,
        log_groups: c.log_groups.join(", "),
    };
    let (template, file) = match format {
        ManifestFormat::K8s => ("aws/k8s.yaml.j2", "api-gateway-logging.yaml"),
        ManifestFormat::Compose => ("aws/compose.yaml.j2", "docker-compose.yml"),
    };
    let text = render::render(template, &ctx)?;
    check_yaml(&text).map_err(|e| anyhow::anyhow!("internal error: the generated YAML failed its own check ({e}); nothing was written. Please report this."))?;
    Ok(Artifact::new(file, text).read_as(Syntax::Yaml))
}

/// The env file template for Compose: keys, comments, empty values.
pub fn env_file(static_keys: bool) -> anyhow::Result<Artifact> {
    let text = render::render("aws/env-file.j2", minijinja::context! { static_keys })?;
    // The place for the connector's token and keys: written 0600 like the ingest stack's own.
    Ok(Artifact::private("api-gateway-logging.env", text).read_as(Syntax::Env))
}

/// Variables that hold secrets: only ever from a Secret or an env file.
pub const SECRET_VARS: [&str; 4] = [
    "DATABASE_ABSTRACTOR_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Reads the YAML back and confirms no secret variable carries a value inline (a container
/// `env` entry with `value`, or a Compose `environment` key).
fn check_yaml(text: &str) -> Result<(), String> {
    use serde::Deserialize;
    use serde_yaml::Value;
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(doc).map_err(|e| e.to_string())?;
        let containers = v
            .get("spec")
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec"))
            .and_then(|p| p.get("containers"))
            .and_then(Value::as_sequence);
        for c in containers.into_iter().flatten() {
            for e in c
                .get("env")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                if SECRET_VARS.contains(&name) && e.get("value").is_some() {
                    return Err(format!("{name} has an inline value"));
                }
            }
        }
        let services = v.get("services").and_then(Value::as_mapping);
        for (_, svc) in services.into_iter().flatten() {
            if let Some(env) = svc.get("environment").and_then(Value::as_mapping) {
                if let Some(k) = env
                    .keys()
                    .filter_map(Value::as_str)
                    .find(|k| SECRET_VARS.contains(k))
                {
                    return Err(format!("{k} is in a Compose environment"));
                }
            }
        }
    }
    Ok(())
}

/// The API Gateway resources OpenAPI discovery reads with `apigateway:GET`.
pub const DISCOVERY_PATHS: [&str; 4] = ["/restapis", "/restapis/*", "/apis", "/apis/*"];

/// The least-privilege permissions policy for the v1 connector (see [`iam::permissions`]).
pub fn iam_policy(
    log_groups: &[String],
    region: &Region,
    account: &str,
    openapi_discovery: bool,
) -> Artifact {
    pretty(
        "akto-connector-policy.json",
        &iam::permissions(&iam::PolicySpec {
            generation: iam::Generation::V1,
            region,
            account,
            log_groups,
            openapi_discovery,
            member_accounts: &[],
        }),
    )
}

/// The IRSA trust policy: the cluster's OIDC provider may assume the role for one service
/// account.
pub fn trust_policy(
    region: &Region,
    account: &str,
    oidc_provider: &str,
    namespace: &str,
    service_account: &str,
) -> Artifact {
    let provider = oidc_provider.trim_start_matches("https://");
    let p = region.partition;
    pretty(
        "akto-connector-trust-policy.json",
        &serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "Federated": format!("arn:{p}:iam::{account}:oidc-provider/{provider}") },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": { "StringEquals": {
                    format!("{provider}:sub"): format!("system:serviceaccount:{namespace}:{service_account}"),
                    format!("{provider}:aud"): "sts.amazonaws.com",
                }}
            }]
        }),
    )
}

/// An EKS OIDC provider, `oidc.eks.REGION.amazonaws.com/id/ID` (an `https://` prefix is dropped).
pub fn parse_oidc_provider(input: &str, value: &str) -> anyhow::Result<String> {
    let v = value.trim_start_matches("https://");
    let ok = !v.is_empty()
        && v.len() <= 255
        && v.contains("/id/")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"./-_".contains(&b));
    if !ok {
        return Err(refuse(input, value, "not an OIDC provider URL", "run: aws eks describe-cluster --name CLUSTER --query cluster.identity.oidc.issuer --output text"));
    }
    Ok(v.to_string())
}

pub fn pretty(file: &str, v: &serde_json::Value) -> Artifact {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    Artifact::new(file, s).read_as(Syntax::Json)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSettingsFormat {
    Cli,
    CloudFormation,
}

/// A REST API id: 10 lower-case letters and digits.
pub fn parse_rest_api_id(input: &str, value: &str) -> anyhow::Result<String> {
    if value.len() == 10
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Ok(value.to_string());
    }
    Err(refuse(
        input,
        value,
        "a REST API id is 10 lower-case letters and digits",
        "run: aws apigateway get-rest-apis --query 'items[].[id,name]' --output text",
    ))
}

/// A stage name: letters, digits, `-`, `_`; at most 128.
pub fn parse_stage(input: &str, value: &str) -> anyhow::Result<String> {
    if !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(value.to_string());
    }
    Err(refuse(
        input,
        value,
        "a stage name is 1 to 128 letters, digits, `-` or `_`",
        "use the stage's name as the console shows it, e.g. prod",
    ))
}

/// The stage setting (execution logging with data tracing) that the connector reads.
pub fn log_settings(
    rest_api_id: &str,
    stage: &str,
    region: &Region,
    format: LogSettingsFormat,
) -> anyhow::Result<Artifact> {
    let ctx = minijinja::context! {
        rest_api_id, stage, region => &region.code,
        log_group => format!("API-Gateway-Execution-Logs_{rest_api_id}/{stage}"),
    };
    let artifact = match format {
        LogSettingsFormat::Cli => Artifact::new(
            "api-gateway-log-settings.sh",
            render::render("aws/log-settings.sh.j2", ctx)?,
        ),
        LogSettingsFormat::CloudFormation => Artifact::new(
            "api-gateway-log-settings.yaml",
            render::render("aws/log-settings.cfn.yaml.j2", ctx)?,
        )
        .read_as(Syntax::Yaml),
    };
    Ok(artifact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_in_every_partition() {
        for (r, p) in [
            ("us-east-1", "aws"),
            ("ap-southeast-2", "aws"),
            ("il-central-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
        ] {
            assert_eq!(Region::parse("--region", r).unwrap().partition, p, "{r}");
        }
        for bad in [
            "mars-1",
            "us-east",
            "us-east-0",
            "us-middle-1",
            "US-EAST-1",
            "xx-east-1",
            "",
        ] {
            assert!(Region::parse("--region", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_arns() {
        assert!(parse_log_groups(
            "--log-group",
            "API-Gateway-Execution-Logs_abc/prod,/aws/apigateway/x#1"
        )
        .is_ok());
        assert!(parse_log_groups("--log-group", "aws/reserved").is_err());
        assert!(parse_log_groups("--log-group", "a,,b").is_err());
        assert!(parse_log_groups("--log-group", &"a".repeat(513)).is_err());
        assert!(parse_broker("--kafka-broker", "b-1.example.com:9092").is_ok());
        assert!(parse_broker("--kafka-broker", "[::1]:9092").is_ok());
        assert!(parse_broker("--kafka-broker", "host").is_err());
        assert!(parse_broker("--kafka-broker", "host:0").is_err());
        assert!(parse_broker("--kafka-broker", "host:65536").is_err());
        assert!(parse_role_arn(
            "--irsa-role-arn",
            "arn:aws:iam::123456789012:role/path/akto"
        )
        .is_ok());
        assert!(parse_role_arn("--irsa-role-arn", "arn:aws:iam::123456789012:user/akto").is_err());
        assert!(parse_role_arn("--irsa-role-arn", "arn:aws:iam::12345:role/akto").is_err());
        assert!(parse_account("--account-id", "12345678901").is_err());
    }
}
