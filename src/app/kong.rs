//! `akto-connect kong enable`, and the Admin API URL and workspace resolution that
//! `kong verify` (`app::kong_verify`, dispatched from `app::run`) shares with it.

use std::process::ExitCode;

use crate::cli::kong::{EnableArgs, KongFormatArg, LogLevelArg};
use crate::error::{refuse, InputError};
use crate::http_url::BaseUrl;
use crate::kong::{self, compose, flags, Format, KongVersion, PluginSetup, Scope, Setup};
use crate::output::{self, Destination};

/// The Admin API default when neither `--admin-url` nor `KONG_ADMIN_URL` is given.
pub(crate) const DEFAULT_ADMIN_URL: &str = "http://localhost:8001";

/// Parses an Admin API URL, with an example that is an Admin API (not an ingest URL).
pub(crate) fn admin_url(flag: &str, value: &str) -> Result<BaseUrl, InputError> {
    BaseUrl::parse(flag, value).map_err(|mut e| {
        e.help = e
            .help
            .replace("https://ingest.example.com:9091", "http://localhost:8001")
            .replace(
                "the URL of your Akto data-ingestion service",
                "the URL of Kong's Admin API",
            );
        e
    })
}

/// `--admin-url`, else `KONG_ADMIN_URL`, else the default.
pub(crate) fn resolve_admin_url(flag_value: Option<&str>) -> Result<BaseUrl, InputError> {
    match flag_value {
        Some(v) => admin_url("--admin-url", v),
        None => match std::env::var("KONG_ADMIN_URL") {
            Ok(v) if !v.is_empty() => admin_url("KONG_ADMIN_URL", &v),
            _ => admin_url("--admin-url", DEFAULT_ADMIN_URL),
        },
    }
}

/// The flags given on the command line, with their values, for the per-format check.
fn log_level(l: LogLevelArg) -> &'static str {
    match l {
        LogLevelArg::Debug => "debug",
        LogLevelArg::Info => "info",
        LogLevelArg::Warn => "warn",
        LogLevelArg::Error => "error",
    }
}

pub fn enable(args: &EnableArgs) -> anyhow::Result<ExitCode> {
    if let Some(c) = &args.consumer {
        return Err(refuse(
            "--consumer",
            c,
            "Akto's akto-api-discovery plugin runs on a service, a route or globally, not per consumer",
            "use --service NAME, --route NAME or --global",
        ));
    }
    let format = match args.format {
        KongFormatArg::Curl => Format::Curl,
        KongFormatArg::Deck => Format::Deck,
        KongFormatArg::Kic => Format::Kic,
        KongFormatArg::Compose => Format::Compose,
        KongFormatArg::Helm => Format::Helm,
    };
    let mut warnings = Vec::new();

    let plugin = if flags::needs_plugin_config(format) {
        let scope = match (&args.service, &args.route, args.global) {
            (Some(s), _, _) => Scope::Service(s.clone()),
            (_, Some(r), _) => Scope::Route(r.clone()),
            (_, _, true) => Scope::Global,
            _ => anyhow::bail!(
                "--format {} needs a scope: give --service NAME, --route NAME or --global",
                format.name()
            ),
        };
        let service_url = match &args.service_url {
            Some(v) => BaseUrl::parse("--service-url", v)?,
            None => match std::env::var("AKTO_INGEST_URL") {
                Ok(v) if !v.is_empty() => BaseUrl::parse("AKTO_INGEST_URL", &v)?,
                _ => anyhow::bail!(
                    "--format {} needs --service-url URL (or AKTO_INGEST_URL): the base URL of Akto's ingest service, for example https://ingest.example.com:9091",
                    format.name()
                ),
            },
        };
        Some(PluginSetup {
            service_url,
            scope,
            timeout_ms: args.timeout.unwrap_or(30_000),
            log_level: log_level(args.log_level.unwrap_or(LogLevelArg::Warn)),
            instance_name: args.instance_name.clone(),
        })
    } else {
        None
    };

    let kong_version = match &args.kong_version {
        Some(v) => KongVersion::parse_flag("--kong-version", v)?,
        None => KongVersion::DEFAULT,
    };
    let kong_service = args
        .kong_service
        .clone()
        .unwrap_or_else(|| "kong".to_string());
    let plugins = if format == Format::Compose {
        compose_plugins(args, &kong_service, &mut warnings)?
    } else {
        Vec::new()
    };
    let admin_url = if format == Format::Curl {
        resolve_admin_url(args.admin_url.as_deref())?
    } else {
        admin_url("--admin-url", DEFAULT_ADMIN_URL)?
    };

    let workspace = resolve_workspace(args.workspace.as_deref())?;
    if let (Some(dir), Format::Compose | Format::Helm) = (&args.plugin_dir, format) {
        check_plugin_dir(dir, &mut warnings)?;
    }
    let helm_config_maps = match (&args.base_values, format) {
        (Some(path), Format::Helm) => {
            let (name, text) = super::read_input(path, "--base-values")?;
            kong::helm_values::base_config_maps(&name, &text)?
        }
        (None, Format::Helm) => {
            warnings.push("the values' plugins.configMaps holds only akto-api-discovery, and Helm replaces that list with -f: a release that mounts other plugins from ConfigMaps would unload them. Pass --base-values FILE (helm get values RELEASE -o yaml) to keep them".to_string());
            Vec::new()
        }
        _ => Vec::new(),
    };
    let setup = Setup {
        format,
        plugin,
        kong_version,
        admin_url,
        workspace,
        deck_lookup_tags: args.deck_lookup_tag.clone(),
        namespace: args
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string()),
        kong_namespace: args
            .kong_namespace
            .clone()
            .unwrap_or_else(|| "kong".to_string()),
        ingress_class: args
            .ingress_class
            .clone()
            .unwrap_or_else(|| "kong".to_string()),
        kong_service,
        plugin_dir: args
            .plugin_dir
            .clone()
            .unwrap_or_else(|| "./kong-integration/api_plugin".to_string()),
        plugins,
        helm_config_maps,
    };
    let rendered = kong::render(&setup)?;
    for w in warnings.iter().chain(&rendered.warnings) {
        eprintln!("warning: {w}");
    }
    output::deliver(
        &[rendered.artifact],
        Destination::file_or_stdout(args.output.as_deref()),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `--plugin-dir` on this machine: its schema.lua must declare Akto's plugin. A folder that is
/// not here (a path on the Kong host) is named as not checked.
fn check_plugin_dir(dir: &str, warnings: &mut Vec<String>) -> anyhow::Result<()> {
    let path = std::path::Path::new(dir);
    if !path.is_dir() {
        warnings.push(format!("--plugin-dir {dir} is not a folder on this machine, so its schema.lua was not read: make sure it holds Akto's api_plugin files (schema.lua declares {})", kong::PLUGIN));
        return Ok(());
    }
    let schema = path.join("schema.lua");
    let (name, text) = super::read_input(&schema, "--plugin-dir")?;
    match kong::plugin_files::schema_name(&text) {
        Some(n) if n == kong::PLUGIN => {}
        Some(n) => {
            return Err(refuse(
                "--plugin-dir",
                dir,
                &format!("{name} declares the plugin `{n}`, not {}: Kong would load it under another name (Akto's kong-integration repository's plugin/ folder is another plugin)", kong::PLUGIN),
                "give the folder whose schema.lua says name = \"akto-api-discovery\" (the repository's api_plugin/ in Akto's documentation)",
            ))
        }
        None => warnings.push(format!(
            "--plugin-dir {dir}: {name} names no plugin (no name = \"…\"); check it is Akto's {}",
            kong::PLUGIN
        )),
    }
    if !path.join("handler.lua").is_file() {
        return Err(refuse(
            "--plugin-dir",
            dir,
            "the folder has no handler.lua beside schema.lua",
            "give the folder holding both of the plugin's files",
        ));
    }
    Ok(())
}

/// `--workspace`: a Kong name; `default` is the same as none (paths without a prefix).
pub(crate) fn resolve_workspace(value: Option<&str>) -> anyhow::Result<Option<String>> {
    match value {
        None | Some("default") => Ok(None),
        Some(w) => {
            kong::check_kong_name("--workspace", w)?;
            Ok(Some(w.to_string()))
        }
    }
}

/// KONG_PLUGINS for the Compose override: `--plugins`, or the base file's, plus Akto's.
fn compose_plugins(
    args: &EnableArgs,
    kong_service: &str,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Vec<String>> {
    if let Some(list) = &args.plugins {
        crate::error::check_line(
            "--plugins",
            list,
            4096,
            "give a comma-separated list, for example --plugins bundled,my-plugin",
        )?;
        return compose::plugin_list("--plugins", list);
    }
    if let Some(path) = &args.base_compose {
        let (name, text) = super::read_input(path, "--base-compose")?;
        let base = compose::base_plugins(&name, &text, kong_service)?;
        if base.has_env_file {
            warnings.push(format!(
                "--base-compose {name}: service `{kong_service}` reads an env_file, which may set KONG_PLUGINS too; the override's value wins, so check it lists every plugin you need"
            ));
        }
        return match base.value {
            Some(v) => compose::plugin_list(&format!("KONG_PLUGINS in {name}"), &v),
            None => compose::plugin_list("KONG_PLUGINS (Kong's default)", "bundled"),
        };
    }
    warnings.push(
        "the override sets KONG_PLUGINS=bundled,akto-api-discovery, replacing your compose file's value: if Kong loads other custom plugins, pass --plugins LIST or --base-compose FILE".to_string(),
    );
    compose::plugin_list("KONG_PLUGINS (Kong's default)", "bundled")
}
