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

    /// Replace the value of this request and response header by [REDACTED] in every record
    /// (repeatable, case-insensitive). `apim-credentials` stands for APIM's own keys,
    /// Ocp-Apim-Subscription-Key and Ocp-Apim-Trace-Key, which no test of the backend needs.
    /// Trade-off: redacting Authorization or Cookie keeps credentials out of Akto, but Akto's
    /// tests replay captured requests with their auth headers, so those tests then need auth
    /// configured in Akto.
    #[arg(long, value_name = "NAME|apim-credentials")]
    pub redact_header: Vec<String>,

    /// Send this percentage of the matching calls (1-100), drawn once per call in <inbound>:
    /// a call is recorded whole or not at all, on success and on error alike.
    #[arg(long, value_name = "P", default_value_t = 100, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub sample_percent: u8,

    /// The ingest call's timeout (send-one-way-request `timeout`, 1-240 s; APIM's own default
    /// is 60 s).
    #[arg(long, value_name = "SECS", default_value_t = 10, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u32).range(1..=240))]
    pub send_timeout: u32,

    /// Leave request bodies out of the records (sent as an empty string, never read).
    #[arg(long)]
    pub no_request_body: bool,

    /// Leave response bodies out of the records (sent as an empty string, never read).
    #[arg(long)]
    pub no_response_body: bool,

    /// Do not capture in <on-error>: calls that fail (a rejected token, a rate limit, an
    /// unreachable backend) are then not recorded. By default they are, once per call.
    #[arg(long)]
    pub no_on_error: bool,

    /// Prefix of the fragment ids: <PREFIX>-capture-inbound and <PREFIX>-capture-outbound.
    #[arg(long, value_name = "PREFIX", default_value = "akto")]
    pub fragment_prefix: String,
}
