//! `akto-connect apim access`.

use std::process::ExitCode;

use crate::apim::access::{self, Access, AccessFormat};
use crate::apim::azure::ApimInstance;
use crate::cli::access::{AccessArgs, AccessFormatArg};
use crate::output::{self, Destination};

pub fn run(args: &AccessArgs) -> anyhow::Result<ExitCode> {
    let a = Access {
        instance: ApimInstance::parse(
            &args.subscription,
            &args.resource_group,
            &args.apim_service,
        )?,
        app_name: access::parse_app_name("--app-name", &args.app_name)?,
        secret_days: args.secret_days,
    };
    let format = match args.format {
        AccessFormatArg::Cli => AccessFormat::Cli,
        AccessFormatArg::Bicep => AccessFormat::Bicep,
    };
    let artifact = access::render(&a, format)?;
    output::deliver(
        &[artifact],
        Destination::file_or_stdout(args.output.as_deref()),
    )?;
    Ok(ExitCode::SUCCESS)
}
