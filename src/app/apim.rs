//! `akto-connect apim policy`.

use std::process::ExitCode;

use crate::apim::capture::{self, CaptureOptions, Digits, NamedValueName, PolicyFormat};
use crate::apim::patterns::{self, PatternSource, RegexList};
use crate::cli::apim::{PolicyArgs, PolicyFormatArg};
use crate::http_url::BaseUrl;
use crate::output;

use super::read_input;

pub fn policy(args: &PolicyArgs) -> anyhow::Result<ExitCode> {
    let (opts, regex_warnings) = capture_options(args)?;
    let rendered = capture::render(&opts)?;
    for w in regex_warnings.iter().chain(&rendered.warnings) {
        eprintln!("warning: {w}");
    }
    output::emit(args.output.as_deref(), &rendered.text)?;
    Ok(ExitCode::SUCCESS)
}

fn capture_options(args: &PolicyArgs) -> anyhow::Result<(CaptureOptions, Vec<String>)> {
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
    let ingest_url = BaseUrl::parse("--ingest-url", &args.ingest_url)?;
    let patterns = RegexList::new(&sources)?;
    let warnings = RegexList::check_dotnet(&sources, args.allow_risky_regex)?;
    let opts = CaptureOptions {
        ingest_url,
        patterns,
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
    };
    Ok((opts, warnings))
}
