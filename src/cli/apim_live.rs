//! `akto-connect apim apply`, `apim remove`, `apim pull` and `apim live-coverage`: the capture
//! on a live API Management instance, through Azure Resource Manager.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::apim_tree::CoverageFormat;
use super::capture::CaptureArgs;
use super::specs::CloudArg;

pub const APPLY_HELP: &str = "\
Examples:
  # See what would change on one API (a unified diff), change nothing
  akto-connect apim apply --subscription 00000000-1111-2222-3333-444444444444 --resource-group rg-apis \\
      --apim-service contoso-apim --scope api --api-id orders --ingest-url https://ingest.example.com --dry-run

  # Every API of the instance; the previous policies are saved to backup/ first
  akto-connect apim apply --subscription 00000000-1111-2222-3333-444444444444 --resource-group rg-apis \\
      --apim-service contoso-apim --all-apis --ingest-url https://ingest.example.com --backup-dir backup/

Each scope's policy is read (format rawxml) with its ETag, the capture is added or replaced the way
`apim policy --into` does it (every other byte kept), the diff is printed on standard output, and
the policy is written back with If-Match on the ETag read (If-None-Match: * where there was none).
A scope someone changed meanwhile (HTTP 412) is reported and left as it is. A scope whose policy
already holds this capture is not written, so a second run makes no change. Before the first
write, the previous policy of every scope to change is saved in --backup-dir (default
akto-apim-backup/<service>-<UTC time>/) in the APIOps layout, with manifest.json.

Credentials, in the order azure-identity uses: AZURE_TENANT_ID + AZURE_CLIENT_ID +
AZURE_CLIENT_SECRET; AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE (workload
identity, GitHub Actions OIDC); a managed identity (IDENTITY_ENDPOINT, else the instance metadata
service); the signed-in Azure CLI (`az account get-access-token`). The identity needs the policy
and fragment read and write actions on the instance (README: portal-managed estates).

Exit codes: 0 every scope applied (or unchanged); 1 some scopes failed (named; the others are
applied); 2 bad input, no credential, or the backup could not be written (nothing changed).";

pub const REMOVE_HELP: &str = "\
Examples:
  # Offline: a policy file in, the same file without the capture out (every other byte kept)
  akto-connect apim remove --from apis/orders/policy.xml --in-place

  # Live: take the capture off every API of the instance, diff first
  akto-connect apim remove --subscription 00000000-1111-2222-3333-444444444444 --resource-group rg-apis \\
      --apim-service contoso-apim --all-apis --dry-run

Removes what `apim policy --into` and `apim apply` add, the includes of the capture fragments, and
Akto's documented hand-pasted policy. A policy without a capture is left as it is. Live, the same
rules as `apim apply` hold (ETags, 412, backups, --dry-run); a policy that held nothing but the
capture and <base /> is deleted, as it was before `apim apply` created it.

Exit codes: 0 removed (or nothing to remove); 1 some scopes failed (named); 2 bad input.";

pub const PULL_HELP: &str = "\
Examples:
  akto-connect apim pull --subscription 00000000-1111-2222-3333-444444444444 --resource-group rg-apis \\
      --apim-service contoso-apim --out apim-artifacts/
  akto-connect apim coverage apim-artifacts/

Writes the APIOps layout `lint`, `apim effective` and `apim coverage` read: policy.xml (global),
products/<p>/policy.xml, productInformation.json, apis.json; apis/<api>/policy.xml,
apiInformation.json, operations/<op>/policy.xml; policy fragments/<id>/policy.xml and
policyFragmentInformation.json. Policies are written byte for byte as APIM returns them (rawxml).

Exit codes: 0 pulled; 2 bad input, no credential, missing role, or I/O error.";

pub const LIVE_COVERAGE_HELP: &str = "\
Examples:
  akto-connect apim live-coverage --subscription 00000000-1111-2222-3333-444444444444 \\
      --resource-group rg-apis --apim-service contoso-apim --min-coverage 90

Pulls the instance into a temporary folder (as `apim pull`), then reports as `apim coverage`.

Exit codes: 0 printed (and coverage at least --min-coverage); 1 below --min-coverage; 2 bad input,
no credential or missing role.";

/// The instance and how Resource Manager is reached.
#[derive(Debug, Args)]
pub struct ArmArgs {
    /// Subscription id (a GUID) of the API Management instance.
    #[arg(long, env = "AZURE_SUBSCRIPTION_ID", value_name = "ID")]
    pub subscription: Option<String>,
    /// Resource group of the instance.
    #[arg(long, value_name = "RG")]
    pub resource_group: Option<String>,
    /// Name of the API Management instance (NAME in NAME.azure-api.net).
    #[arg(long, value_name = "NAME")]
    pub apim_service: Option<String>,
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
pub enum LiveScopeArg {
    Global,
    Product,
    Api,
    Operation,
}

/// Which policies a live command changes.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The scope: global, product (--product-id), api (--api-id) or operation (--api-id and
    /// --operation-id).
    #[arg(long, value_enum, conflicts_with = "all_apis")]
    pub scope: Option<LiveScopeArg>,
    /// Every API of the instance (its current revisions), one API scope each.
    #[arg(long)]
    pub all_apis: bool,
    /// The API id (scopes api and operation).
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,
    /// The operation id (scope operation).
    #[arg(long, value_name = "ID")]
    pub operation_id: Option<String>,
    /// The product id (scope product).
    #[arg(long, value_name = "ID")]
    pub product_id: Option<String>,
    /// Print the plan (a unified diff per scope) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Folder for the previous policies (APIOps layout + manifest.json); default
    /// akto-apim-backup/<service>-<UTC time>.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub arm: ArmArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub capture: CaptureArgs,
    /// Put the capture fragments on the instance and include them, instead of inline steps.
    #[arg(long)]
    pub with_fragments: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Offline: the policy file to take the capture out of (`-` is standard input).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// With --from: replace FILE (atomically) with the result.
    #[arg(long, requires = "from", conflicts_with = "output")]
    pub in_place: bool,
    /// With --from: write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE", requires = "from")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub arm: ArmArgs,
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub arm: ArmArgs,
    /// The folder for the APIOps tree (created when missing).
    #[arg(long, short = 'o', alias = "output", value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct LiveCoverageArgs {
    #[command(flatten)]
    pub arm: ArmArgs,
    /// Output format; markdown is made for a pull-request comment.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Text)]
    pub format: CoverageFormat,
    /// Exit 1 when less than PCT percent of API paths and operations are captured.
    #[arg(long, value_name = "PCT")]
    pub min_coverage: Option<f64>,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
