use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let mut cmd = akto_connect::cli::Cli::command();
    let matches = cmd.get_matches_mut();
    // A flag typed for a format that ignores it is a usage error, like clap's own.
    if let Err(e) = akto_connect::cli::format_flags::check(&mut cmd, &matches) {
        e.exit();
    }
    let cli = akto_connect::cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match akto_connect::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Messages echo file names and values: nothing in them may drive the terminal.
            eprintln!(
                "error: {}",
                akto_connect::error::printable_lines(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
