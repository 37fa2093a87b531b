//! `akto-connect apim effective` and `apim coverage`: questions about an APIOps tree.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

pub const EFFECTIVE_HELP: &str = "\
Examples:
  # What APIM runs for the echo API's get-order operation, reached through the starter product
  akto-connect apim effective . --api echo --operation get-order --product starter

  # Every product path of an API, as JSON
  akto-connect apim effective apim-artifacts --api echo --format json

The tree is an APIOps repository: policy.xml (global), products/<p>/policy.xml and apis.json,
apis/<api>/policy.xml and apiInformation.json, apis/<api>/operations/<op>/policy.xml,
policy fragments/<id>/policy.xml. Scopes nest global -> product -> API -> operation; <base />
runs the broader scope's section where it stands, a section without it drops them, and
<include-fragment> is replaced by the fragment. Each element is annotated with the file and line
it comes from. Without --product, every path is printed: each product that carries the API, and
no product when the API needs no subscription (apiInformation.json subscriptionRequired; a
missing file means required).

Exit codes: 0 printed; 2 unknown API, operation or product, unreadable tree.";

pub const COVERAGE_HELP: &str = "\
Examples:
  # Which APIs and operations does Akto see?
  akto-connect apim coverage .

  # As a pull-request comment; fail the build under 90 %
  akto-connect apim coverage . --format markdown --min-coverage 90 -o coverage.md

For every API, product path and operation with its own policy, the capture counts when its
effective inbound and outbound both hold Akto's capture: the generator's inline steps, the
akto-capture-inbound / akto-capture-outbound fragments, or the original policy of Akto's
documentation. Each uncovered one says why (a scope without <base /> cuts off the capture above
it, or there is none).

Exit codes: 0 printed (and coverage at least --min-coverage); 1 below --min-coverage;
2 unreadable tree.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TreeFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(after_long_help = EFFECTIVE_HELP)]
pub struct EffectiveArgs {
    /// The APIOps tree's root folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// The API (its folder name under apis/).
    #[arg(long, value_name = "ID")]
    pub api: String,

    /// An operation with its own policy (its folder under apis/<api>/operations/); without it,
    /// the API's operations that have no policy of their own.
    #[arg(long, value_name = "ID")]
    pub operation: Option<String>,

    /// Only the path through this product (it must carry the API).
    #[arg(long, value_name = "ID")]
    pub product: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TreeFormat::Text)]
    pub format: TreeFormat,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
#[command(after_long_help = COVERAGE_HELP)]
pub struct CoverageArgs {
    /// The APIOps tree's root folder.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Output format; markdown is made for a pull-request comment.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Text)]
    pub format: CoverageFormat,

    /// Exit 1 when less than PCT percent of API paths and operations are captured.
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    pub min_coverage: Option<f64>,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a number; give a percentage from 0 to 100, like 90"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("{s} is outside 0..100; give a percentage like 90"));
    }
    Ok(v)
}
