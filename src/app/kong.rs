//! `akto-connect kong enable`.

use std::process::ExitCode;

use crate::cli::kong::{EnableArgs, KongFormatArg, LogLevelArg};
use crate::http_url::BaseUrl;
use crate::kong::{self, Format, Scope, Setup};
use crate::output;

pub fn enable(args: &EnableArgs) -> anyhow::Result<ExitCode> {
    let scope = match (&args.service, &args.route, &args.consumer) {
        (Some(s), _, _) => Scope::Service(s.clone()),
        (_, Some(r), _) => Scope::Route(r.clone()),
        (_, _, Some(c)) => Scope::Consumer(c.clone()),
        _ => Scope::Global,
    };
    let setup = Setup {
        service_url: BaseUrl::parse("--service-url", &args.service_url)?,
        scope,
        timeout_ms: args.timeout,
        log_level: match args.log_level {
            LogLevelArg::Debug => "debug",
            LogLevelArg::Info => "info",
            LogLevelArg::Warn => "warn",
            LogLevelArg::Error => "error",
        },
        instance_name: args.instance_name.clone(),
        admin_url: BaseUrl::parse("--admin-url", &args.admin_url)?,
        namespace: args.namespace.clone(),
        ingress_class: args.ingress_class.clone(),
        kong_service: args.kong_service.clone(),
        plugin_dir: args.plugin_dir.clone(),
        format: match args.format {
            KongFormatArg::Curl => Format::Curl,
            KongFormatArg::Deck => Format::Deck,
            KongFormatArg::Kic => Format::Kic,
            KongFormatArg::Compose => Format::Compose,
            KongFormatArg::Helm => Format::Helm,
        },
    };
    let rendered = kong::render(&setup)?;
    for w in &rendered.warnings {
        eprintln!("warning: {w}");
    }
    output::emit(args.output.as_deref(), &rendered.text)?;
    Ok(ExitCode::SUCCESS)
}
