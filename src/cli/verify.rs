//! `akto-connect verify`

use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};

pub const VERIFY_HELP: &str = "\
Examples:
  # The service as the gateway will reach it (run this from the gateway's network)
  akto-connect verify --ingest-url http://10.0.1.4:9091

  # The URL (and the token's named value) taken from a generated or existing APIM policy
  AKTO_INGEST_TOKEN=\"$(az apim nv show-secret ... --query value -o tsv)\" \\
      akto-connect verify --from-policy policy.xml --token-env AKTO_INGEST_TOKEN

  # The service_url of the akto-api-discovery plugin in a decK file
  akto-connect verify --from-kong kong.yaml

  # Authentication on (AKTO_DI_AUTHENTICATE): an API key, or a private CA for TLS
  akto-connect verify --ingest-url https://ingest.example.com --api-key-env AKTO_DI_KEY --ca-file ca.pem

  # For a pipeline
  akto-connect verify --ingest-url https://ingest.example.com --format json | jq .accepted

It sends one synthetic record (path /akto-connect-verify/<time>-<pid>, GET, 200), built with
the same fields as the APIM policy and the Kong plugin send, to <URL>/api/ingestData, and
reports DNS, TCP connect, TLS, the HTTP status, the service's answer and the latency.
Tokens and keys are read from environment variables and never printed.

Exit codes: 0 the service accepted the record; 1 refused or unreachable; 2 usage or input error.";

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).multiple(false).args(["ingest_url", "from_policy", "from_kong"])))]
#[command(group(ArgGroup::new("auth").multiple(false).args(["api_key_env", "token_env"])))]
pub struct VerifyArgs {
    /// Base URL of the Akto data-ingestion service (the record goes to <URL>/api/ingestData).
    #[arg(long, value_name = "URL")]
    pub ingest_url: Option<String>,

    /// Take the URL (and the token's named value) from this APIM policy file.
    #[arg(long, value_name = "FILE")]
    pub from_policy: Option<PathBuf>,

    /// Take the URL from the akto-api-discovery plugin's service_url in this decK file (or
    /// KongPlugin / KongClusterPlugin resource).
    #[arg(long, value_name = "FILE")]
    pub from_kong: Option<PathBuf>,

    /// Environment variable holding the API key, sent as X-API-KEY (the key part of the
    /// service's AKTO_DI_API_KEY=key:accountId).
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,

    /// Environment variable holding the JWT, sent raw in `authorization` (no `Bearer`).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,

    /// Seconds allowed for each phase and for the whole request.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub timeout: f64,

    /// PEM file of a private CA to trust, on top of the system's roots.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// akto_account_id of the synthetic record [default: the policy's with --from-policy,
    /// else 1000000].
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,

    /// akto_vxlan_id of the synthetic record [default: the policy's with --from-policy, else 0].
    #[arg(long, value_name = "ID")]
    pub vxlan_id: Option<String>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = VerifyFormatArg::Text)]
    pub format: VerifyFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormatArg {
    Text,
    Json,
}
