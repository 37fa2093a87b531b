//! `akto-connect kong …`

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum KongCommand {
    /// Enable Akto's akto-api-discovery plugin: Admin API script, decK, Kong Ingress
    /// Controller, Docker Compose or Helm.
    #[command(after_long_help = ENABLE_HELP)]
    Enable(Box<EnableArgs>),
    /// Check a running Kong: Admin API reachable, version and mode, plugin installed, the
    /// instance on the scope enabled, its service_url.
    #[command(after_long_help = VERIFY_HELP)]
    Verify(VerifyArgs),
}

const ENABLE_HELP: &str = "\
Examples:
  # Admin API: run the script against Kong (any Kong 2.0+ with a database; idempotent;
  # KONG_ADMIN_URL and KONG_ADMIN_TOKEN are read at run time)
  akto-connect kong enable --service-url https://ingest.example.com --service orders --format curl | bash

  # decK state for one route, for Kong 2.8 (_format_version \"1.1\", no instance_name)
  akto-connect kong enable --service-url https://ingest.example.com --route orders-api --format deck --kong-version 2.8 -o akto.yaml

  # Kong Ingress Controller, every request (KongClusterPlugin labelled global: \"true\")
  akto-connect kong enable --service-url https://ingest.example.com --global --format kic | kubectl apply -f -

  # Install the plugin files: Compose override keeping your plugins, or Helm values + KongPlugin
  akto-connect kong enable --format compose --plugin-dir ./kong-integration/api_plugin --base-compose docker-compose.yml
  akto-connect kong enable --service-url http://data-ingestion-service.akto.svc.cluster.local:9091 --service orders --format helm --namespace shop --kong-namespace kong

Flags per format:
  curl            --service-url, scope, --timeout, --log-level, --instance-name, --admin-url,
                  --workspace (Kong Enterprise)
  deck            --service-url, scope, --timeout, --log-level, --instance-name, --kong-version,
                  --workspace (Kong Enterprise), --deck-lookup-tag (with --service: for deck gateway sync)
  kic, helm       --service-url, scope, --timeout, --log-level, --instance-name, --kong-version,
                  --namespace, --ingress-class; helm also --kong-namespace, --plugin-dir, --base-values
  compose         --kong-service, --plugin-dir, --plugins or --base-compose (no scope, no --service-url)
  A flag the chosen format does not use is refused (exit 2).

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

const VERIFY_HELP: &str = "\
Examples:
  akto-connect kong verify --admin-url http://localhost:8001 --service orders
  KONG_ADMIN_TOKEN=... akto-connect kong verify --admin-url https://kong-admin.example.com:8444 --global --service-url https://ingest.example.com
  akto-connect kong verify --route orders-api --format json | jq '.checks[] | select(.status == \"fail\")'
  # In CI: a warning fails too
  akto-connect kong verify --global --strict

A warning (WARN, JSON status \"warn\") is right in some set-ups and wrong in others: a
service_url on localhost/127.0.0.1 works when Kong runs on the ingest service's host outside a
container, and reaches Kong itself when Kong runs in a container or pod.

Exit codes: 0 every check holds (warnings allowed unless --strict); 1 a check failed (or a warning, with --strict); 2 usage error, or the Admin API could not be reached (the message names the URL and the likely cause).";

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("scope").multiple(false).args(["service", "route", "global", "consumer"])))]
pub struct EnableArgs {
    /// Base URL of the Akto ingest service; the plugin posts to <URL>/api/ingestData. Also read
    /// from AKTO_INGEST_URL. (--format curl, --format deck, --format kic, --format helm).
    #[arg(long, value_name = "URL")]
    pub service_url: Option<String>,

    /// Enable the plugin on this Kong service (a Kubernetes Service for kic and helm) (--format curl, --format deck, --format kic, --format helm).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Enable the plugin on this Kong route (an Ingress or HTTPRoute for kic and helm) (--format curl, --format deck, --format kic, --format helm).
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,

    /// Enable the plugin for all traffic (--format curl, --format deck, --format kic, --format helm).
    #[arg(long)]
    pub global: bool,

    /// Not supported: Akto's plugin runs on a service, a route or globally.
    #[arg(long, value_name = "NAME", hide = true)]
    pub consumer: Option<String>,

    /// Output format.
    #[arg(long, value_enum)]
    pub format: KongFormatArg,

    /// Timeout of the plugin's ingest call, in milliseconds [default: 30000] (--format curl, --format deck, --format kic, --format helm).
    #[arg(long, value_name = "MS", allow_hyphen_values = true,
          value_parser = clap::value_parser!(u32).range(1..=600_000))]
    pub timeout: Option<u32>,

    /// The plugin's log level [default: warn] (--format curl, --format deck, --format kic, --format helm).
    #[arg(long, value_enum)]
    pub log_level: Option<LogLevelArg>,

    /// Name of the plugin instance (default: akto-api-discovery-<scope>-<name>); with the
    /// scope it fixes the plugin's id, so re-runs update instead of duplicate (--format curl, --format deck, --format kic, --format helm).
    #[arg(long, value_name = "NAME")]
    pub instance_name: Option<String>,

    /// The Kong version the output is for (--format deck, --format kic, --format helm),
    /// MAJOR.MINOR [default: 3.4]: below
    /// 3.0 decK gets _format_version "1.1"; below 3.2 no instance_name. The curl script asks
    /// Kong itself at run time.
    #[arg(long, value_name = "X.Y")]
    pub kong_version: Option<String>,

    /// Kong Admin API (--format curl) [default: KONG_ADMIN_URL, else http://localhost:8001];
    /// the script also honours KONG_ADMIN_URL at run time.
    #[arg(long, value_name = "URL")]
    pub admin_url: Option<String>,

    /// Kong Enterprise workspace holding the service or route (--format curl, --format deck)
    /// [default: the default workspace]. Give it here, not in --admin-url: the script asks the
    /// Admin API's root for the version and prefixes only the plugin paths
    /// (/NAME/services/...); decK gets _workspace: NAME.
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,

    /// A tag your Kong service carries (--format deck, with --service; repeat for several):
    /// the file gets decK's `_info.default_lookup_tags.services`, so `deck gateway sync` finds
    /// the service on the gateway. List every tag the service has, or decK adds the `akto`
    /// select tag to it. Without it the file is for `deck gateway apply`.
    #[arg(long, value_name = "TAG")]
    pub deck_lookup_tag: Vec<String>,

    /// Namespace of the KongPlugin and of the Service/Ingress it is attached to (--format kic,
    /// --format helm) [default: default].
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Namespace where Kong runs: its plugin ConfigMap and Helm release (--format helm)
    /// [default: kong].
    #[arg(long, value_name = "NS")]
    pub kong_namespace: Option<String>,

    /// Ingress class for a global KongClusterPlugin (--format kic, --format helm) [default:
    /// kong].
    #[arg(long, value_name = "CLASS")]
    pub ingress_class: Option<String>,

    /// The Kong service in your compose file (--format compose) [default: kong].
    #[arg(long, value_name = "NAME")]
    pub kong_service: Option<String>,

    /// Folder holding the plugin's handler.lua and schema.lua (--format compose, --format
    /// helm) [default: ./kong-integration/api_plugin]. When it is on this machine, its
    /// schema.lua must declare akto-api-discovery (Akto's repository's plugin/ folder is
    /// another plugin).
    #[arg(long, value_name = "PATH")]
    pub plugin_dir: Option<String>,

    /// The plugins Kong loads today, comma-separated (--format compose): the override sets
    /// KONG_PLUGINS to these plus akto-api-discovery [default: bundled].
    #[arg(long, value_name = "LIST", conflicts_with = "base_compose")]
    pub plugins: Option<String>,

    /// Your compose file (--format compose): its Kong service's KONG_PLUGINS is kept and
    /// akto-api-discovery added.
    #[arg(long, value_name = "FILE")]
    pub base_compose: Option<PathBuf>,

    /// Your Kong release's values (--format helm), as `helm get values RELEASE -n NS -o yaml`
    /// prints them: their plugins.configMaps entries are kept beside Akto's, since Helm
    /// replaces the list with -f and Kong would unload every plugin missing from it.
    #[arg(long, value_name = "FILE")]
    pub base_values: Option<PathBuf>,

    /// Write to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("scope").required(true).multiple(false).args(["service", "route", "global"])))]
pub struct VerifyArgs {
    /// Kong Admin API [default: KONG_ADMIN_URL, else http://localhost:8001]. The token, if
    /// Kong needs one, is read from KONG_ADMIN_TOKEN.
    #[arg(long, value_name = "URL")]
    pub admin_url: Option<String>,

    /// Kong Enterprise workspace holding the service or route [default: the default
    /// workspace]. Give it here, not in --admin-url (GET / is asked at the Admin API's root).
    #[arg(long, value_name = "NAME")]
    pub workspace: Option<String>,

    /// Check the plugin on this Kong service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Check the plugin on this Kong route.
    #[arg(long, value_name = "NAME")]
    pub route: Option<String>,

    /// Check the global plugin.
    #[arg(long)]
    pub global: bool,

    /// The ingest URL the plugin should post to (checked when given).
    #[arg(long, value_name = "URL")]
    pub service_url: Option<String>,

    /// A private CA (PEM) for an https:// Admin API.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Seconds to wait for each Admin API answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,

    /// Count warnings as failures (exit 1). A warning is a finding that is right in some
    /// set-ups: a loopback service_url is fine when Kong runs on the ingest host outside a
    /// container, and wrong when Kong runs in a container or pod.
    #[arg(long)]
    pub strict: bool,

    /// Report format.
    #[arg(long, value_enum, default_value_t = VerifyFormatArg::Text)]
    pub format: VerifyFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormatArg {
    Text,
    Json,
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
