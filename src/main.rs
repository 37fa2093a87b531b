use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = akto_connect::cli::Cli::parse();
    match akto_connect::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
