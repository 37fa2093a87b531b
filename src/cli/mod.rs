//! Command-line definitions (clap derive types only). Nothing below `app` sees these types.

use clap::{Parser, Subcommand};

pub mod access;
pub mod apim;
pub mod apim_live;
pub mod apim_tree;
pub mod aws;
pub mod capture;
pub mod format_flags;
pub mod ingest;
pub mod kong;
pub mod lint;
pub mod specs;
pub mod verify;

/// The exit codes, once for the short and the long help. Each command's own help says what
/// 1 means for it; a test holds this list to them.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0  success
  1  lint: findings at or above --fail-on; verify: the service refused the record or could not
     be reached; kong verify, aws verify: a check failed; apim specs: some APIs were not
     exported (the others are written); apim coverage, apim live-coverage: coverage below
     --min-coverage; apim apply, apim remove: some scopes failed (the others are changed)
  2  usage, input or I/O error; a generator then writes nothing"
    };
}
const EXIT_CODES: &str = exit_codes!();

/// Generate and validate the artifacts that connect API gateways to Akto's traffic ingestion.
#[derive(Debug, Parser)]
#[command(
    name = "akto-connect",
    version,
    propagate_version = true,
    // Examples are commands to copy: print help as written, never re-wrapped.
    term_width = 0,
    after_help = EXIT_CODES,
    after_long_help = concat!(
        "Examples:\n",
        "  akto-connect apim policy --ingest-url https://ingest.example.com:9091 --regex '^/api/v1/'\n",
        "  akto-connect kong enable --service-url https://ingest.example.com --service orders --format deck\n",
        "  akto-connect lint --format github .\n",
        "  akto-connect completions bash > /etc/bash_completion.d/akto-connect\n\n",
        exit_codes!()
    )
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Azure API Management: the Akto traffic-capture policy; export API definitions.
    #[command(
        subcommand,
        after_long_help = "Examples:\n  akto-connect apim policy --ingest-url https://ingest.example.com:9091 --regex '^/api/v1/'\n  akto-connect apim policy --help"
    )]
    Apim(apim::ApimCommand),
    /// AWS API Gateway: the CloudWatch-log connector, its IAM policy, stage log settings.
    #[command(
        subcommand,
        after_long_help = "Examples:\n  akto-connect aws manifest --log-group 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' --region us-east-1 --kafka-broker akto-nlb.example.com:9092 --format k8s\n  akto-connect aws iam-policy --help"
    )]
    Aws(aws::AwsCommand),
    /// Kong: enable Akto's akto-api-discovery plugin.
    #[command(
        subcommand,
        after_long_help = "Examples:\n  akto-connect kong enable --service-url https://ingest.example.com --service orders --format curl\n  akto-connect kong enable --help"
    )]
    Kong(kong::KongCommand),
    /// Deploy Akto's data-ingestion service: Docker Compose files or Helm values.
    #[command(
        subcommand,
        after_long_help = "Examples:\n  akto-connect ingest compose --kafka-ip 10.0.1.4 --token-env AKTO_TOKEN -o akto-ingest\n  akto-connect ingest helm --namespace akto -o akto-helm"
    )]
    Ingest(ingest::IngestCommand),
    /// Send one synthetic record to the ingest service and report each phase.
    #[command(after_long_help = verify::VERIFY_HELP)]
    Verify(verify::VerifyArgs),
    /// Lint APIM policies: structure, security (auth, rate limits, secrets, JWT, CORS…) and regex (invalid, ReDoS…) rules.
    Lint(lint::LintArgs),
    /// List the lint rules.
    Rules,
    /// Print one lint rule's documentation.
    Rule(lint::RuleArgs),
    /// Print a shell completion script to stdout.
    #[command(after_long_help = "Examples:\n  \
        akto-connect completions bash > ~/.local/share/bash-completion/completions/akto-connect\n  \
        akto-connect completions zsh > \"${fpath[1]}/_akto-connect\"\n  \
        akto-connect completions fish > ~/.config/fish/completions/akto-connect.fish\n  \
        akto-connect completions powershell >> $PROFILE")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout, or write one page per command into a folder.
    #[command(after_long_help = "Examples:\n  \
        akto-connect man | man -l -\n  \
        akto-connect man -o ~/.local/share/man/man1   # then: man akto-connect, man akto-connect-lint")]
    Man {
        /// Write akto-connect.1 and one page per command (akto-connect-lint.1, …) into DIR.
        #[arg(short, long, value_name = "DIR")]
        output: Option<std::path::PathBuf>,
    },
}
