//! The flags that say what the capture is made of, shared by `apim policy`, `apim fragments`
//! and `apim apply` (its own file so that neither command module imports the other).

use std::path::PathBuf;

use clap::Args;

/// What the capture is made of; shared by `apim policy` and `apim fragments`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Base URL of the Akto data-ingestion service; the policy posts to <URL>/api/ingestData.
    #[arg(long, env = "AKTO_INGEST_URL", value_name = "URL")]
    pub ingest_url: String,

    /// A .NET regex for the paths to capture (repeatable); none captures every path.
    #[arg(long = "regex", value_name = "RE", allow_hyphen_values = true)]
    pub regex: Vec<String>,

    /// A file of path regexes, one per line; blank lines and lines starting with # are skipped.
    /// `-` reads standard input. Its patterns come after those of --regex. A file with no
    /// pattern is refused (to capture every path, give neither --regex nor --regex-file).
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

    /// Timeout for matching each path pattern; a timeout counts as no match.
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

    /// Prefix of the fragment ids: <PREFIX>-capture-inbound and <PREFIX>-capture-outbound.
    #[arg(long, value_name = "PREFIX", default_value = "akto")]
    pub fragment_prefix: String,
}
