//! `akto-connect aws …`

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// Deploy Akto's CloudWatch-log connector: Kubernetes manifests or a Compose file.
    #[command(after_long_help = MANIFEST_HELP)]
    Manifest(ManifestArgs),
    /// Print the env file template for the Compose deployment (secrets; empty values).
    #[command(
        after_long_help = "Examples:\n  akto-connect aws env-file -o api-gateway-logging.env   "
    )]
    EnvFile(EnvFileArgs),
    /// Print the connector's least-privilege IAM policy, or its IRSA trust policy.
    #[command(after_long_help = IAM_HELP)]
    IamPolicy(IamPolicyArgs),
    /// Turn on the stage logging the connector reads: AWS CLI command or CloudFormation.
    #[command(after_long_help = LOG_HELP)]
    LogSettings(LogSettingsArgs),
    /// Check the whole path before waiting for traffic: credentials, CloudWatch role, stage
    /// logging, log groups and recent events, the connector's calls, cross-account roles, Kafka.
    #[command(after_long_help = VERIFY_HELP)]
    Verify(AwsVerifyArgs),
    /// Cross-account (v2 connector): CloudFormation for AktoLogReaderRole in a member account.
    #[command(
        after_long_help = "Examples:\n  akto-connect aws member-role --connector-role-arn arn:aws:iam::123456789012:role/akto-connector -o akto-log-reader-role.json"
    )]
    MemberRole(MemberRoleArgs),
}

const VERIFY_HELP: &str = "\
Credentials come from the AWS default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
(+ AWS_SESSION_TOKEN); AWS_PROFILE in ~/.aws/config and ~/.aws/credentials (static keys,
role_arn with source_profile or credential_source, credential_process, web_identity_token_file);
AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (EKS IRSA); ECS container credentials; EC2 instance
metadata (IMDSv2). Run it with the credentials the connector will have. Endpoints follow
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_STS / _API_GATEWAY / _CLOUDWATCH_LOGS.

Examples:
  akto-connect aws verify --region us-east-1 --stage a1b2c3d4e5/prod --kafka-broker akto-nlb.example.com:9092 # needs network
  akto-connect aws verify --region us-east-1 --connector v2 --member-account 210987654321 --format json # needs network

Exit codes: 0 every check holds; 1 a check failed (each names its fix); 2 bad input.";

/// Which connector generation a manifest, policy or check is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConnectorArg {
    /// The connector of seed 001: reads the groups in LOG_GROUP_NAME.
    V1,
    /// Log reader v2: discovers API-Gateway-Execution-Logs_* groups, exits when discovery fails.
    V2,
}

#[derive(Debug, Args)]
pub struct AwsVerifyArgs {
    /// AWS region of the APIs and log groups.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: String,
    /// The connector generation the checks are for.
    #[arg(long, value_enum, default_value_t = ConnectorArg::V1)]
    pub connector: ConnectorArg,
    /// A REST API stage to check, API_ID/STAGE (repeatable); its execution log group is checked too.
    #[arg(long, value_name = "API_ID/STAGE")]
    pub stage: Vec<String>,
    /// Log group(s) the connector reads, comma-separated (LOG_GROUP_NAME).
    #[arg(long, value_name = "NAME[,NAME…]")]
    pub log_group: Option<String>,
    /// The mini-runtime Kafka, HOST:PORT: checked with a Kafka ApiVersions request.
    #[arg(long, value_name = "HOST:PORT")]
    pub kafka_broker: Option<String>,
    /// Events must be this recent.
    #[arg(long, value_name = "MIN", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=43_200))]
    pub recent_minutes: u64,
    /// Cross-account mode (v2): a member account whose AktoLogReaderRole the connector assumes (repeatable).
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub member_account: Vec<String>,
    #[command(flatten)]
    pub discovery: OpenApiDiscoveryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::verify::VerifyFormatArg::Text)]
    pub format: crate::cli::verify::VerifyFormatArg,
    /// Seconds to wait for each answer.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
}

const MANIFEST_HELP: &str = "\
Examples:
  # EKS with IRSA: no AWS keys anywhere
  akto-connect aws manifest --log-group 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' --region us-east-1 \\
      --kafka-broker akto-nlb.example.com:9092 --format k8s --irsa-role-arn arn:aws:iam::123456789012:role/akto-connector

  # A VM with an instance role, Docker Compose; secrets go to an env file
  akto-connect aws manifest --log-group 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' --region us-east-1 \\
      --kafka-broker akto-nlb.example.com:9092 --format compose -o docker-compose.yml
  akto-connect aws env-file -o api-gateway-logging.env   

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

const IAM_HELP: &str = "\
Examples:
  # The connector's permissions: reads the log group, and apigateway:GET for OpenAPI discovery
  akto-connect aws iam-policy --log-group 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' --region us-east-1 --account-id 123456789012

  # Without OpenAPI discovery (generate the manifest with --no-openapi-discovery too)
  akto-connect aws iam-policy --log-group 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' --region us-east-1 --account-id 123456789012 --no-openapi-discovery

  # The IRSA trust policy of the connector's role
  akto-connect aws iam-policy --kind trust --region us-east-1 --account-id 123456789012 \\
      --oidc-provider oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123 --service-account akto/api-gateway-logging";

const LOG_HELP: &str = "\
Examples:
  akto-connect aws log-settings --rest-api-id a1b2c3d4e5 --stage prod --region us-east-1 | bash
  akto-connect aws log-settings --rest-api-id a1b2c3d4e5 --stage prod --region us-east-1 --format cloudformation";

#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// CloudWatch log group(s) of the API Gateway stage logs, comma-separated.
    #[arg(long, value_name = "NAME[,NAME…]")]
    pub log_group: String,
    /// AWS region of the log groups.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: String,
    /// The Akto mini-runtime's Kafka, HOST:PORT (port 9092 usually).
    #[arg(long, value_name = "HOST:PORT")]
    pub kafka_broker: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ManifestFormatArg,
    /// Records per batch sent to Kafka.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// Seconds between batches.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub batch_time_secs: u32,
    /// The connector's AKTO_BYTES_IN_THRESHOLD.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(0..=1_000_000_000))]
    pub bytes_in_threshold: u32,
    /// Log events read per CloudWatch call.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub cloudwatch_read_batch_size: u32,
    #[command(flatten)]
    pub discovery: OpenApiDiscoveryArgs,
    /// Minutes between OpenAPI discovery runs.
    #[arg(long, value_name = "MIN", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=10_080))]
    pub openapi_interval_minutes: u32,
    /// Connector image.
    #[arg(
        long,
        value_name = "IMAGE",
        default_value = "aktosecurity/mirror-api-logging:api-gateway-logging-openapi"
    )]
    pub image: String,
    /// Kubernetes namespace (--format k8s).
    #[arg(long, value_name = "NS", default_value = "akto")]
    pub namespace: String,
    /// Name of the Deployment (and Compose service).
    #[arg(long, value_name = "NAME", default_value = "api-gateway-logging")]
    pub name: String,
    /// Read static AWS keys from the Secret (k8s) or the env file (compose); otherwise the
    /// default credential chain.
    #[arg(long, conflicts_with = "irsa_role_arn")]
    pub static_keys: bool,
    /// EKS IRSA: a ServiceAccount annotated with this role; no AWS keys at all (--format k8s).
    #[arg(long, value_name = "ARN")]
    pub irsa_role_arn: Option<String>,
    /// Use this existing Secret instead of emitting one (--format k8s).
    #[arg(long, value_name = "NAME")]
    pub existing_secret: Option<String>,
    /// Run as this non-root user id (sets runAsNonRoot; --format k8s).
    #[arg(long, value_name = "UID", value_parser = clap::value_parser!(u32).range(1..=2_147_483_647))]
    pub run_as_user: Option<u32>,
    /// Env file holding the secrets (--format compose).
    #[arg(long, value_name = "PATH", default_value = "./api-gateway-logging.env")]
    pub env_file: String,
    /// Add a watchtower service that keeps the image current (--format compose).
    #[arg(long)]
    pub watchtower: bool,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// OpenAPI discovery, spelt the same in `aws manifest` and `aws iam-policy`: on by default in
/// both, so the default IAM policy grants what the default manifest needs.
#[derive(Debug, Args)]
pub struct OpenApiDiscoveryArgs {
    /// OpenAPI discovery from API Gateway (the default): the manifest sets
    /// DISCOVER_OPENAPI_SPEC=true, the IAM policy (--kind permissions) grants apigateway:GET on
    /// /restapis and /apis.
    #[arg(long, overrides_with = "no_openapi_discovery")]
    pub openapi_discovery: bool,
    /// Turn OpenAPI discovery off: the manifest sets DISCOVER_OPENAPI_SPEC=false, the IAM
    /// policy (--kind permissions) leaves out apigateway:GET. Give it to both commands.
    #[arg(long, overrides_with = "openapi_discovery")]
    pub no_openapi_discovery: bool,
}

impl OpenApiDiscoveryArgs {
    pub fn enabled(&self) -> bool {
        !self.no_openapi_discovery
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ManifestFormatArg {
    K8s,
    Compose,
}

#[derive(Debug, Args)]
pub struct EnvFileArgs {
    /// Include the static AWS key variables.
    #[arg(long)]
    pub static_keys: bool,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// Which policy: the permissions, or the IRSA trust policy.
    #[arg(long, value_enum, default_value_t = PolicyKind::Permissions)]
    pub kind: PolicyKind,
    /// The connector generation the permissions are for (--kind permissions).
    #[arg(long, value_enum, default_value_t = ConnectorArg::V1)]
    pub connector: ConnectorArg,
    /// Cross-account mode of the v2 connector: a member account whose AktoLogReaderRole it
    /// assumes (repeatable; --kind permissions).
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub member_account: Vec<String>,
    /// CloudWatch log group(s), comma-separated (--kind permissions, where it is required).
    #[arg(long, value_name = "NAME[,NAME…]")]
    pub log_group: Option<String>,
    /// AWS region.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: String,
    /// The 12-digit AWS account id.
    #[arg(long, value_name = "ID")]
    pub account_id: String,
    #[command(flatten)]
    pub discovery: OpenApiDiscoveryArgs,
    /// The EKS cluster's OIDC provider (--kind trust).
    #[arg(long, value_name = "URL", required_if_eq("kind", "trust"))]
    pub oidc_provider: Option<String>,
    /// The connector's ServiceAccount as NAMESPACE/NAME (--kind trust).
    #[arg(long, value_name = "NS/NAME", required_if_eq("kind", "trust"))]
    pub service_account: Option<String>,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyKind {
    Permissions,
    Trust,
}

#[derive(Debug, Args)]
pub struct MemberRoleArgs {
    /// The connector's own role: the only principal AktoLogReaderRole trusts.
    #[arg(long, value_name = "ARN")]
    pub connector_role_arn: String,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LogSettingsArgs {
    /// The REST API's id (10 characters).
    #[arg(long, value_name = "ID")]
    pub rest_api_id: String,
    /// The stage name.
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// AWS region.
    #[arg(long, env = "AWS_REGION", value_name = "REGION")]
    pub region: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LogFormatArg::Cli)]
    pub format: LogFormatArg,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Cli,
    Cloudformation,
}
