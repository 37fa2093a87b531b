//! `akto-connect ingest …`

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum IngestCommand {}
