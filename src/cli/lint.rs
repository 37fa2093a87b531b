//! `akto-connect lint`, `rules`, `rule`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

pub const LINT_HELP: &str = "\
Examples:
  # Lint an APIOps repository; scope comes from the layout (apis/, products/, policy fragments/)
  akto-connect lint .

  # In GitHub Actions: annotations on the pull request, fail on warnings too
  akto-connect lint --format github --fail-on warning .

  # One folder of a tree: judged in its tree (the root is found above it), only apis/ reported
  akto-connect lint apis/

  # SARIF for code scanning
  akto-connect lint --format sarif -o akto-connect.sarif .

  # Add the missing <base /> elements, then show what is left
  akto-connect lint --fix apis/

  # A deployed operation's policy on standard input (ARM returns it in properties.value)
  az rest --method get --url \"https://management.azure.com/subscriptions/{subscriptionId}/resourceGroups/RG/providers/Microsoft.ApiManagement/service/SERVICE/apis/API/operations/OPERATION/policies/policy?api-version=2022-08-01&format=rawxml\" \\
      | jq -r .properties.value | akto-connect lint --scope operation -

Configuration: akto-connect.toml in the current folder or a parent (or --config FILE):
  ignore = [\"apis/legacy-*/**\"]
  [rules]
  insecure-ingest-url = \"error\"
  [[suppress]]
  rule = \"missing-base\"
  paths = [\"apis/echo/policy.xml\"]
  reason = \"the echo API deliberately drops inherited policies\"

Rules: akto-connect rules; one rule's documentation: akto-connect rule missing-base

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage, configuration or I/O error (a path that does not exist, an unreadable file,
     no policy file found unless --allow-empty)";

#[derive(Debug, Args)]
#[command(after_long_help = LINT_HELP)]
pub struct LintArgs {
    /// Policy files, folders (searched for *.xml, honouring .gitignore and .ignore files,
    /// skipping hidden ones) or `-` for standard input. Default: `.`. A path inside an APIOps
    /// tree is judged in that tree (its root is found above the path); only the paths given
    /// are reported.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: LintFormat,

    /// Exit 1 when a finding is at or above this severity (default: the config's fail-on, else error).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Fix what can be fixed (missing <base />) in place, then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// The policies' scope, overriding the APIOps layout and the config.
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,

    /// Configuration file (default: akto-connect.toml in the current folder or a parent).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Ignore any akto-connect.toml.
    #[arg(long)]
    pub no_config: bool,

    /// Colour in the text report (--format text): auto (on a terminal, unless NO_COLOR is set),
    /// always, never.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Exit 0 when no policy file is found (by default that is an error, exit 2, so a
    /// mistyped path cannot pass CI).
    #[arg(long)]
    pub allow_empty: bool,

    /// Files larger than this many MiB are not read; each is reported as a parse-error.
    #[arg(long, value_name = "MIB", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_file_size: u64,

    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The report formats: `src/report/formats/`, one file each (see `format_flags`).
pub use crate::report::Format as LintFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    Global,
    Workspace,
    Product,
    Api,
    Operation,
    Fragment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
#[command(after_long_help = "Examples:\n  akto-connect rule missing-base")]
pub struct RuleArgs {
    /// The rule id, as `akto-connect rules` lists it.
    #[arg(value_name = "ID")]
    pub id: String,
}
