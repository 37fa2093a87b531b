//! `akto-connect apim …`

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

pub use super::capture::CaptureArgs;

#[derive(Debug, Subcommand)]
pub enum ApimCommand {
    /// Render the traffic-capture policy for a scope, or add it to an existing policy (--into).
    #[command(after_long_help = POLICY_HELP)]
    Policy(PolicyArgs),
    /// Render the capture as two policy fragments (inbound, outbound) to include from policies.
    #[command(after_long_help = FRAGMENTS_HELP)]
    Fragments(FragmentsArgs),
    /// Export every API definition (OpenAPI 3 / Swagger 2) of an instance to a directory.
    #[command(after_long_help = super::specs::SPECS_HELP)]
    Specs(super::specs::SpecsArgs),
    /// Set up least-privilege read access for `apim specs`: Azure CLI script or Bicep.
    #[command(after_long_help = super::access::ACCESS_HELP)]
    Access(super::access::AccessArgs),
    /// Print the effective policy of an API in an APIOps tree (global → product → API →
    /// operation, spliced at <base />, fragments inlined), each element with its origin.
    #[command(after_long_help = super::apim_tree::EFFECTIVE_HELP)]
    Effective(super::apim_tree::EffectiveArgs),
    /// Report which APIs, operations and product paths of an APIOps tree run Akto's capture.
    #[command(after_long_help = super::apim_tree::COVERAGE_HELP)]
    Coverage(super::apim_tree::CoverageArgs),
    /// Add or replace the capture in live policies through Resource Manager (diff, ETags, backups).
    #[command(after_long_help = super::apim_live::APPLY_HELP)]
    Apply(super::apim_live::ApplyArgs),
    /// Take the capture out of a policy file, or of live policies.
    #[command(after_long_help = super::apim_live::REMOVE_HELP)]
    Remove(super::apim_live::RemoveArgs),
    /// Export a live instance's policies, fragments and products into an APIOps tree.
    #[command(after_long_help = super::apim_live::PULL_HELP)]
    Pull(super::apim_live::PullArgs),
    /// `apim coverage` of a live instance (pulled to a temporary folder).
    #[command(after_long_help = super::apim_live::LIVE_COVERAGE_HELP)]
    LiveCoverage(super::apim_live::LiveCoverageArgs),
}

const POLICY_HELP: &str = "\
Examples:
  # Capture /api/v1/… of one API and send it to the ingest service; paste into the API's policy editor
  akto-connect apim policy --ingest-url https://ingest.example.com:9091 --regex '^/api/v1/'

  # Every API of the instance: the global policy (no <base />, the backend keeps <forward-request />)
  akto-connect apim policy --ingest-url https://ingest.example.com --scope global -o global-policy.xml

  # Add the capture to the API's existing policy (validate-jwt, rate limits… stay as they are)
  akto-connect apim policy --ingest-url https://ingest.example.com --into apis/orders/policy.xml --in-place

  # Include the fragments written by `apim fragments` instead of inline steps
  akto-connect apim policy --ingest-url https://ingest.example.com --into apis/orders/policy.xml --with-fragments --in-place

  # Patterns from a file (one per line, # comments), escaped XML for ARM/Bicep format: xml
  akto-connect apim policy --ingest-url https://ingest.example.com --regex-file paths.txt --format xml -o policy.xml

  # Infrastructure as code: an ARM template, or Bicep/Terraform beside the policy file they load
  akto-connect apim policy --ingest-url https://ingest.example.com --format arm --apim-service contoso --api-id orders -o policy.json
  akto-connect apim policy --ingest-url https://ingest.example.com --format bicep --apim-service contoso --api-id orders -o infra/
  akto-connect apim policy --ingest-url https://ingest.example.com --format terraform --scope operation --apim-service contoso --api-id orders --operation-id get-order -o infra/

  # Ingest service with authentication on: the token stays in the APIM named value akto-ingest-token
  akto-connect apim policy --ingest-url https://ingest.example.com --ingest-token-named-value akto-ingest-token

Scopes (--scope), where the policy goes and what it captures:
  global     All APIs > Policies: every API of the instance. No <base /> (global has no parent);
             the backend holds <forward-request /> so requests still reach the backends.
  product    Products > the product > Policies: every API of the product.
  api        APIs > the API > All operations (default): every operation of the API.
  operation  APIs > the API > the operation: that operation only.
  Below global, all four sections keep <base />, so broader policies (auth, rate limits) still run.

--into FILE reads an existing policy (rawxml or xml) as `lint` does and adds the capture: in
<inbound> right after <base /> (first when there is none), last in <outbound>. Every other byte of
FILE stays as it was; the inserted lines follow its indentation and line endings, and take its
form (xml when FILE is well-formed XML, else rawxml; --format xml on a rawxml FILE is refused).
A missing <inbound> or <outbound> is added, with <base /> below --scope global; an empty
<policies /> becomes the four sections. A previous capture (recognised by its akto-prefixed
variables and element names, not comments), or the capture of Akto's documented policy, is
replaced in place, so a second run changes nothing; capture steps moved inside an element of
your own are refused (exit 2), and those in <backend> or <on-error> are left as they are.
Without --in-place the result goes to standard output or -o and FILE is not touched.

regexList: each pattern is a .NET regex matched with Regex.IsMatch against the request path
(without host or query); the policy keeps them in the variable aktoRegexList, split on ';' with
each entry trimmed, so a pattern may not contain ';' (write \\x3B) or start or end with
whitespace. Every pattern is parsed as .NET parses it (lookbehind, balancing groups, class
subtraction are fine; Python's (?P<n>…) or \\pL are refused), and one with catastrophic
backtracking such as ^/api/([\\w/]+)*$ is refused unless --allow-risky-regex is given.

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

const FRAGMENTS_HELP: &str = "\
Examples:
  # Two fragment files, akto-capture-inbound.xml and akto-capture-outbound.xml, in fragments/
  akto-connect apim fragments --ingest-url https://ingest.example.com -o fragments/

  # Into an APIOps repository: policy fragments/<id>/policy.xml + policyFragmentInformation.json
  akto-connect apim fragments --ingest-url https://ingest.example.com --apiops apim-artifacts/

  # Other ids (team-akto-capture-inbound, …), as ARM, Bicep or Terraform
  akto-connect apim fragments --ingest-url https://ingest.example.com --fragment-prefix team-akto --format arm --apim-service contoso
  akto-connect apim fragments --ingest-url https://ingest.example.com --format terraform --apim-service contoso -o infra/

Then include them where the capture should run, for example:
  akto-connect apim policy --ingest-url https://ingest.example.com --into apis/orders/policy.xml --with-fragments --in-place
which adds <include-fragment fragment-id=\"akto-capture-inbound\" /> after <base /> in <inbound>
and <include-fragment fragment-id=\"akto-capture-outbound\" /> last in <outbound>. Changing the
capture later (paths, ingest URL) then means updating two fragments, not every API.

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

/// Names of the APIM resources for --format arm|bicep|terraform.
#[derive(Debug, Args)]
pub struct IacArgs {
    /// The API Management instance (service) name (--format arm, --format bicep, --format terraform).
    #[arg(long, value_name = "NAME")]
    pub apim_service: Option<String>,

    /// The API id, scopes api and operation (--format arm, --format bicep, --format terraform).
    #[arg(long, value_name = "ID")]
    pub api_id: Option<String>,

    /// The operation id, scope operation (--format arm, --format bicep, --format terraform).
    #[arg(long, value_name = "ID")]
    pub operation_id: Option<String>,

    /// The product id, scope product (--format arm, --format bicep, --format terraform).
    #[arg(long, value_name = "ID")]
    pub product_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    /// Where the policy goes: global (every API), product, api (all operations) or operation.
    #[arg(long, value_enum, default_value_t = ScopeArg::Api)]
    pub scope: ScopeArg,

    /// Add the capture to this existing policy instead of rendering a whole document.
    #[arg(long, value_name = "FILE")]
    pub into: Option<PathBuf>,

    /// With --into: replace FILE (atomically) with the result (--format rawxml, --format xml, or
    /// no --format).
    #[arg(long, requires = "into", conflicts_with = "output")]
    pub in_place: bool,

    /// Include the capture fragments (see `apim fragments`) instead of inline steps.
    #[arg(long)]
    pub with_fragments: bool,

    /// Output: rawxml (portal editor, ARM format rawxml; the default) or xml (escaped,
    /// well-formed); arm (a template with the policy resource), bicep or terraform (a file
    /// beside the policy file it loads; need -o DIR). With --into the default is the file's form.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    #[command(flatten)]
    pub iac: IacArgs,

    /// Write to FILE (atomically) instead of standard output; a folder for bicep and terraform.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FragmentsArgs {
    #[command(flatten)]
    pub capture: CaptureArgs,

    /// Output: rawxml (default) or xml fragment files (need -o DIR or --apiops DIR); arm (one
    /// template with both fragments); bicep or terraform (beside the fragment files; need -o DIR).
    #[arg(long, value_enum, default_value_t = FormatArg::Rawxml)]
    pub format: FormatArg,

    /// Write the fragments into an APIOps artifacts folder: DIR/policy fragments/<id>/policy.xml
    /// and policyFragmentInformation.json (--format rawxml, --format xml).
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub apiops: Option<PathBuf>,

    /// The API Management instance name (--format arm, --format bicep, --format terraform).
    #[arg(long, value_name = "NAME")]
    pub apim_service: Option<String>,

    /// Folder to write the fragment files (and the bicep/terraform file) into; a file for arm.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Global,
    Product,
    Api,
    Operation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Rawxml,
    Xml,
    Arm,
    Bicep,
    Terraform,
}
