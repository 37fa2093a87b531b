//! `akto-connect apim access`.

use std::process::ExitCode;

use crate::apim::access::{self, Access, AccessFormat, AccessRole};
use crate::apim::azure::ApimInstance;
use crate::cli::access::{AccessArgs, AccessFormatArg, AccessRoleArg};
use crate::output::{self, Destination};

pub fn run(args: &AccessArgs) -> anyhow::Result<ExitCode> {
    let role = match args.role {
        AccessRoleArg::Reader => AccessRole::Reader,
        AccessRoleArg::PolicyWriter => AccessRole::PolicyWriter,
        AccessRoleArg::Contributor => AccessRole::Contributor,
    };
    let app_name = args.app_name.as_deref().unwrap_or(role.default_app_name());
    let a = Access {
        instance: ApimInstance::parse(
            &args.subscription,
            &args.resource_group,
            &args.apim_service,
        )?,
        app_name: access::parse_app_name("--app-name", app_name)?,
        secret_days: args.secret_days,
        role,
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
