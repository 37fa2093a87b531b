//! Runs a parsed command line: turns the clap arguments into checked models, calls the
//! library, prints warnings and writes the output. The only place that knows both sides.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::apim::ApimCommand;
use crate::cli::kong::KongCommand;
use crate::cli::{Cli, Command};
use crate::output;

mod access;
mod apim;
mod apim_live;
mod apim_tree;
mod arm;
mod aws;
mod aws_verify;
mod ingest;
mod kong;
mod kong_verify;
mod lint;
mod man;
mod specs;
mod verify;

/// Runs the command; `Err` means exit 2 (usage, input or I/O error).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Apim(ApimCommand::Policy(args)) => apim::policy(&args),
        Command::Apim(ApimCommand::Fragments(args)) => apim::fragments(&args),
        Command::Apim(ApimCommand::Specs(args)) => specs::run(&args),
        Command::Apim(ApimCommand::Access(args)) => access::run(&args),
        Command::Apim(ApimCommand::Effective(args)) => apim_tree::effective(&args),
        Command::Apim(ApimCommand::Coverage(args)) => apim_tree::coverage(&args),
        Command::Apim(ApimCommand::Apply(args)) => apim_live::apply(&args),
        Command::Apim(ApimCommand::Remove(args)) => apim_live::remove(&args),
        Command::Apim(ApimCommand::Pull(args)) => apim_live::pull(&args),
        Command::Apim(ApimCommand::LiveCoverage(args)) => apim_live::live_coverage(&args),
        Command::Aws(cmd) => aws::run(&cmd),
        Command::Kong(KongCommand::Enable(args)) => kong::enable(&args),
        Command::Kong(KongCommand::Verify(args)) => kong_verify::verify(&args),
        Command::Ingest(cmd) => ingest::run(&cmd),
        Command::Verify(args) => verify::run(&args),
        Command::Lint(args) => lint::run(&args),
        Command::Rules => lint::list_rules(),
        Command::Rule(args) => lint::show_rule(&args.id),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "akto-connect", &mut buf);
            let script = String::from_utf8_lossy(&buf);
            output::emit(None, &completion_script(shell, &script))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { output } => man::run(output.as_deref()),
    }
}

/// The generated completion script, mended where clap_complete gets a hyphenated binary name
/// wrong: its bash script sets `cmd="akto__connect__subcmd__lint"` while walking the words but
/// labels the cases `akto__subcmd__connect__subcmd__lint)`, so nothing below the top level
/// completes. The labels are renamed to the name the walk sets.
fn completion_script(shell: clap_complete::Shell, script: &str) -> String {
    match shell {
        clap_complete::Shell::Bash => script.replace("akto__subcmd__connect", "akto__connect"),
        _ => script.to_string(),
    }
}

/// Reads a file named on the command line (`-` is standard input); returns its display name
/// and its text.
pub(crate) fn read_input(path: &Path, flag: &str) -> anyhow::Result<(String, String)> {
    // Bounded: `/dev/zero` or a runaway pipe is refused, not read until memory runs out.
    if path.as_os_str() == "-" {
        let bytes = crate::input::read_all_capped(std::io::stdin().lock())
            .with_context(|| format!("{flag} -: cannot read standard input"))?;
        let s = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{flag} -: cannot read standard input as UTF-8 text"))?;
        return Ok(("<stdin>".to_string(), s));
    }
    let name = path.display().to_string();
    let bytes = crate::input::read_capped(path)
        .with_context(|| format!("{flag} {name}: cannot read the file"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{flag} {name}: not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((name, text))
}
