//! `akto-connect ingest …`.

use std::process::ExitCode;

use crate::cli::ingest::IngestCommand;

pub fn run(cmd: &IngestCommand) -> anyhow::Result<ExitCode> {
    match *cmd {}
}
