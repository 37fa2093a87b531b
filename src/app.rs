//! Runs a parsed command line: turns the clap arguments into checked models, calls the
//! library, prints warnings and writes the output. The only place that knows both sides.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::apim::capture::{self, CaptureOptions, Digits, NamedValueName, PolicyFormat};
use crate::apim::patterns::{self, PatternSource, RegexList};
use crate::cli::apim::{ApimCommand, PolicyArgs, PolicyFormatArg};
use crate::cli::{Cli, Command};
use crate::http_url::BaseUrl;
use crate::output;

/// Runs the command; `Err` means exit 2 (usage, input or I/O error).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Apim(ApimCommand::Policy(args)) => apim_policy(&args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "akto-connect", &mut buf);
            output::emit(None, &String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn apim_policy(args: &PolicyArgs) -> anyhow::Result<ExitCode> {
    let opts = capture_options(args)?;
    let rendered = capture::render(&opts)?;
    for w in &rendered.warnings {
        eprintln!("warning: {w}");
    }
    output::emit(args.output.as_deref(), &rendered.text)?;
    Ok(ExitCode::SUCCESS)
}

fn capture_options(args: &PolicyArgs) -> anyhow::Result<CaptureOptions> {
    let mut sources: Vec<PatternSource> = args
        .regex
        .iter()
        .enumerate()
        .map(|(i, p)| PatternSource {
            origin: format!("--regex #{}", i + 1),
            text: p.clone(),
        })
        .collect();
    for file in &args.regex_file {
        let (name, content) = read_input(file, "--regex-file")?;
        sources.extend(patterns::parse_pattern_file(&name, &content));
    }
    Ok(CaptureOptions {
        ingest_url: BaseUrl::parse("--ingest-url", &args.ingest_url)?,
        patterns: RegexList::new(&sources)?,
        account_id: Digits::parse("--account-id", &args.account_id)?,
        vxlan_id: Digits::parse("--vxlan-id", &args.vxlan_id)?,
        match_timeout_ms: args.match_timeout_ms,
        max_body_bytes: args.max_body_bytes,
        token_named_value: args
            .ingest_token_named_value
            .as_deref()
            .map(|n| NamedValueName::parse("--ingest-token-named-value", n))
            .transpose()?,
        format: match args.format {
            PolicyFormatArg::Rawxml => PolicyFormat::RawXml,
            PolicyFormatArg::Xml => PolicyFormat::Xml,
        },
    })
}

/// Reads a file named on the command line (`-` is standard input); returns its display name
/// and its text.
fn read_input(path: &Path, flag: &str) -> anyhow::Result<(String, String)> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .with_context(|| format!("{flag} -: cannot read standard input as UTF-8 text"))?;
        return Ok(("<stdin>".to_string(), s));
    }
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).with_context(|| format!("{flag} {name}: cannot read the file"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{flag} {name}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((name, text))
}
