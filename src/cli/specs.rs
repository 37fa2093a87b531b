//! `akto-connect apim specs`

use std::path::PathBuf;

use clap::{Args, ValueEnum};

pub const SPECS_HELP: &str = "\
Examples:
  # Credentials of an app registration holding API Management Service Reader Role on the instance
  # (`akto-connect apim access` sets one up); the secret is read from the environment only
  export AZURE_TENANT_ID=… AZURE_CLIENT_ID=… AZURE_CLIENT_SECRET=…
  akto-connect apim specs --subscription 00000000-1111-2222-3333-444444444444 \\
      --resource-group rg-apis --apim-service contoso-apim --out specs/

  # Two APIs as Swagger 2, from Azure China
  akto-connect apim specs --subscription 00000000-1111-2222-3333-444444444444 --resource-group rg-apis \\
      --apim-service contoso-apim --out specs/ --spec swagger --api orders --api payments --cloud china

Writes DIR/<api-id>.json (or .yaml) byte for byte as APIM exports it, and DIR/index.json (id, display
name, path, version, revision, format, file, sha256; sorted, no timestamps). A file whose content
has not changed is not rewritten, so a scheduled run followed by `git diff` shows only real changes.
Non-current revisions (ids with ;rev=) are skipped unless --include-revisions or named by --api;
GraphQL, WebSocket and gRPC APIs are skipped (they have no OpenAPI definition).

Exit codes: 0 every API exported; 1 some APIs failed (the others are written; a summary names
them); 2 bad input, refused credentials, missing role or I/O error.";

#[derive(Debug, Args)]
pub struct SpecsArgs {
    /// Subscription id (a GUID) of the API Management instance.
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", value_name = "ID")]
    pub subscription: String,
    /// Resource group of the instance.
    #[arg(long, value_name = "RG")]
    pub resource_group: String,
    /// Name of the API Management instance (NAME in NAME.azure-api.net).
    #[arg(long, value_name = "NAME")]
    pub apim_service: String,
    /// Directory for the definitions and index.json (created when missing). Also -o/--output,
    /// as in every other command that writes files.
    #[arg(long, short = 'o', alias = "output", value_name = "DIR")]
    pub out: PathBuf,
    /// Definition format: OpenAPI 3 JSON, OpenAPI 3 YAML, or Swagger 2 JSON.
    #[arg(long, value_enum, default_value_t = SpecArg::OpenapiJson)]
    pub spec: SpecArg,
    /// Export only this API id (repeatable); names a revision as `ID;rev=N`. Also --api-id, as
    /// in `apim policy`.
    #[arg(long = "api", alias = "api-id", value_name = "ID")]
    pub api: Vec<String>,
    /// Also export non-current revisions (ids with ;rev=).
    #[arg(long)]
    pub include_revisions: bool,
    /// Delete the .json and .yaml files in DIR that index.json does not list (APIs deleted from
    /// the instance, or written in another --spec): DIR then mirrors the instance. Other files
    /// are left alone.
    #[arg(long)]
    pub prune: bool,
    /// APIs exported at the same time.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub jobs: u32,
    /// Azure cloud, for its Resource Manager and login endpoints.
    #[arg(long, value_enum, default_value_t = CloudArg::Public)]
    pub cloud: CloudArg,
    /// Resource Manager endpoint, overriding --cloud.
    #[arg(long, value_name = "URL")]
    pub management_url: Option<String>,
    /// Entra ID authority host, overriding --cloud; /{tenant}/oauth2/v2.0/token is appended.
    #[arg(long, env = "AZURE_AUTHORITY_HOST", value_name = "URL")]
    pub authority_url: Option<String>,
    /// Seconds allowed for each HTTP exchange.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Further attempts after a 429 or 5xx answer (Retry-After is honoured).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// A PEM file of extra trusted CA certificates (for a TLS-inspecting proxy).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SpecArg {
    OpenapiJson,
    OpenapiYaml,
    Swagger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    Public,
    China,
    Usgov,
}
