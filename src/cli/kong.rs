//! `akto-connect kong …`

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum KongCommand {
    /// Enable Akto's akto-api-discovery plugin: Admin API script, decK, Kong Ingress
    /// Controller, Docker Compose or Helm.
    #[command(after_long_help = ENABLE_HELP)]
    Enable(EnableArgs),
}

const ENABLE_HELP: &str = "\
Examples:
  # Admin API: run the script against Kong (idempotent; KONG_ADMIN_TOKEN is read at run time)
  akto-connect kong enable --service-url https://ingest.example.com --service orders --format curl | bash

  # decK state for one route
  akto-connect kong enable --service-url https://ingest.example.com --route orders-api --format deck -o akto.yaml

  # Kong Ingress Controller, every request (KongClusterPlugin labelled global: \"true\")
  akto-connect kong enable --service-url https://ingest.example.com --global --format kic | kubectl apply -f -

  # Install the plugin files: Compose override, or Helm values + KongPlugin
  akto-connect kong enable --service-url https://ingest.example.com --service orders --format compose --plugin-dir ./kong-integration/api_plugin
  akto-connect kong enable --service-url https://ingest.example.com --service orders --format helm --namespace kong

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("scope").required(true).multiple(false).args(["service", "route", "consumer", "global"])))]
pub struct EnableArgs {
    /// Base URL of the Akto ingest service; the plugin posts to <URL>/api/ingestData.
    #[arg(long, env = "AKTO_INGEST_URL", value_name = "URL")]
    pub service_url: String,

    /// Enable the plugin on this Kong service (Kubernetes Service for --format kic/helm).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Enable the plugin on this Kong route (Ingress or HTTPRoute for --format kic/helm).
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,

    /// Enable the plugin for this consumer (KongConsumer for --format kic/helm).
    #[arg(long, value_name = "NAME")]
    pub consumer: Option<String>,

    /// Enable the plugin for all traffic.
    #[arg(long)]
    pub global: bool,

    /// Output format.
    #[arg(long, value_enum)]
    pub format: KongFormatArg,

    /// Timeout of the plugin's ingest call, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000, allow_hyphen_values = true,
          value_parser = clap::value_parser!(u32).range(1..=600_000))]
    pub timeout: u32,

    /// The plugin's log level.
    #[arg(long, value_enum, default_value_t = LogLevelArg::Warn)]
    pub log_level: LogLevelArg,

    /// Name of the plugin instance (default: akto-api-discovery-<scope>-<name>), the key that
    /// makes re-runs update instead of duplicate.
    #[arg(long, value_name = "NAME")]
    pub instance_name: Option<String>,

    /// Kong Admin API (--format curl); the script also honours KONG_ADMIN_URL at run time.
    #[arg(
        long,
        env = "KONG_ADMIN_URL",
        value_name = "URL",
        default_value = "http://localhost:8001"
    )]
    pub admin_url: String,

    /// Namespace of the KongPlugin (--format kic/helm).
    #[arg(long, value_name = "NS", default_value = "kong")]
    pub namespace: String,

    /// Ingress class for a global KongClusterPlugin (--format kic/helm).
    #[arg(long, value_name = "CLASS", default_value = "kong")]
    pub ingress_class: String,

    /// The Kong service in your compose file (--format compose).
    #[arg(long, value_name = "NAME", default_value = "kong")]
    pub kong_service: String,

    /// Folder holding the plugin's handler.lua and schema.lua (--format compose).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "./kong-integration/api_plugin"
    )]
    pub plugin_dir: String,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KongFormatArg {
    Curl,
    Deck,
    Kic,
    Compose,
    Helm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevelArg {
    Debug,
    Info,
    Warn,
    Error,
}
