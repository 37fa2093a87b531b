//! `akto-connect apim …`

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum ApimCommand {
    /// Render the traffic-capture policy (inbound + outbound) for an API or operation.
    #[command(after_long_help = POLICY_HELP)]
    Policy(PolicyArgs),
    /// Print the effective policy of an API in an APIOps tree (global → product → API →
    /// operation, spliced at <base />, fragments inlined), each element with its origin.
    #[command(after_long_help = super::apim_tree::EFFECTIVE_HELP)]
    Effective(super::apim_tree::EffectiveArgs),
    /// Report which APIs, operations and product paths of an APIOps tree run Akto's capture.
    #[command(after_long_help = super::apim_tree::COVERAGE_HELP)]
    Coverage(super::apim_tree::CoverageArgs),
}

const POLICY_HELP: &str = "\
Examples:
  # Capture /api/v1/… and send it to the ingest service; paste the output into the API's policy editor
  akto-connect apim policy --ingest-url https://ingest.example.com:9091 --regex '^/api/v1/'

  # Patterns from a file (one per line, # comments), escaped XML for Bicep/ARM format: xml
  akto-connect apim policy --ingest-url https://ingest.example.com --regex-file paths.txt --format xml -o policy.xml

  # Ingest service with authentication on: the token stays in the APIM named value akto-ingest-token
  akto-connect apim policy --ingest-url https://ingest.example.com --ingest-token-named-value akto-ingest-token

Where it goes: the API (all operations) or one operation, Inbound processing, Policy code editor;
paste the whole document. <base /> keeps the product and global policies running.

regexList: each pattern is a .NET regex matched with Regex.IsMatch against the request path
(without host or query). The policy splits the list on ';' and trims each entry, so a pattern may
not contain ';' (write \\x3B) or start or end with whitespace. Every pattern is parsed as .NET
parses it (lookbehind, balancing groups, class subtraction are fine; Python's (?P<n>…) or \\pL are
refused), and one with catastrophic backtracking such as ^/api/([\\w/]+)*$ is refused unless
--allow-risky-regex is given.

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Base URL of the Akto data-ingestion service; the policy posts to <URL>/api/ingestData.
    #[arg(long, env = "AKTO_INGEST_URL", value_name = "URL")]
    pub ingest_url: String,

    /// A .NET regex for the paths to capture (repeatable); none captures every path.
    #[arg(long = "regex", value_name = "RE", allow_hyphen_values = true)]
    pub regex: Vec<String>,

    /// A file of path regexes, one per line; blank lines and lines starting with # are skipped.
    /// `-` reads standard input. Its patterns come after those of --regex.
    #[arg(long, value_name = "FILE")]
    pub regex_file: Vec<PathBuf>,

    /// Keep a pattern with catastrophic backtracking (normally refused); the policy's match
    /// timeout still bounds each match.
    #[arg(long)]
    pub allow_risky_regex: bool,

    /// Akto account id sent with each record.
    #[arg(
        long,
        value_name = "DIGITS",
        default_value = "1000000",
        allow_hyphen_values = true
    )]
    pub account_id: String,

    /// Akto VXLAN id sent with each record.
    #[arg(
        long,
        value_name = "DIGITS",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub vxlan_id: String,

    /// Timeout for matching each regexList pattern; a timeout counts as no match.
    #[arg(long, value_name = "MS", default_value_t = 50, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u32).range(1..=60_000))]
    pub match_timeout_ms: u32,

    /// A request or response body larger than this is sent as an empty string (never cut).
    #[arg(long, value_name = "BYTES", default_value_t = 262_144, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u32).range(0..=2_147_483_647))]
    pub max_body_bytes: u32,

    /// Name of an APIM named value holding the ingest token; sent as the authorization header.
    #[arg(long, value_name = "NAME")]
    pub ingest_token_named_value: Option<String>,

    /// Policy text form: rawxml for the portal editor and ARM format rawxml; xml (escaped,
    /// well-formed) for ARM/Bicep format xml and Terraform xml_content.
    #[arg(long, value_enum, default_value_t = PolicyFormatArg::Rawxml)]
    pub format: PolicyFormatArg,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormatArg {
    Rawxml,
    Xml,
}
