//! `akto-connect ingest …`

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// Akto's data-ingestion stack as one Docker Compose file and its two env files.
    #[command(after_long_help = COMPOSE_HELP)]
    Compose(ComposeArgs),
    /// Akto's Helm charts: values files and the `helm upgrade --install` script; the token
    /// goes into a Kubernetes Secret at run time.
    #[command(after_long_help = HELM_HELP)]
    Helm(HelmArgs),
}

const COMPOSE_HELP: &str = "\
Examples:
  # Write the three files into ./akto-ingest; the token is read from the environment
  export AKTO_TOKEN='…from the Akto dashboard: Quick Start > Hybrid SaaS Connector…'
  akto-connect ingest compose --kafka-ip 10.0.1.4 --token-env AKTO_TOKEN -o akto-ingest
  cd akto-ingest && docker compose up -d
  akto-connect verify --ingest-url http://10.0.1.4:9091

  # Read Kafka's address from this host, keep the images current with watchtower
  akto-connect ingest compose --kafka-ip auto --watchtower -o akto-ingest

  # Print the files (the env file shows a placeholder token; a real one is never printed)
  akto-connect ingest compose --kafka-ip 10.0.1.4

Images: Akto's own compose files and charts use its two images as `latest` or by digest, never
by a version tag, so they are not pinned by default and a warning says so (a note with
--watchtower, which keeps them current). To pin them: docker pull each, read its digest with
`docker images --digests REPOSITORY`, and give --runtime-image / --ingestion-image
REPOSITORY@sha256:DIGEST.

Files: docker-compose.yml, data-ingestion-docker.env, docker-mini-runtime.env (mode 0600;
an existing one is kept when no --token-env is given, so a filled-in token survives).

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

const HELM_HELP: &str = "\
Examples:
  # Write the script and the two values files, then run the script where kubectl and helm
  # reach the cluster; it reads the token from $DATABASE_ABSTRACTOR_SERVICE_TOKEN
  akto-connect ingest helm --namespace akto -o akto-helm
  DATABASE_ABSTRACTOR_SERVICE_TOKEN='…' bash akto-helm/install.sh

  # Another variable for the token, a load balancer for gateways outside the cluster
  akto-connect ingest helm --namespace akto --token-env AKTO_TOKEN --service-type LoadBalancer -o akto-helm

Exit codes: 0 written; 2 refused input or I/O error, nothing written.";

#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// The address other hosts reach Kafka at (this host's private IP), or `auto` to read it
    /// from this host's default route.
    #[arg(long, value_name = "IP|auto")]
    pub kafka_ip: String,

    /// Host port of the data-ingestion service (container port 8080).
    #[arg(long, value_name = "PORT", default_value_t = 9091, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,

    /// Environment variable to read the Akto token from, now, into docker-mini-runtime.env
    /// (needs -o; without it the env file gets a placeholder).
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,

    /// Add watchtower, updating only the two Akto containers (by label).
    #[arg(long)]
    pub watchtower: bool,

    /// Add Akto's threat-detection service and its redis, as Akto's current compose file does
    /// and seed 004's set-up asks for (AKTO_THREAT_ENABLED=true, redis "used by the threat
    /// detection service"); its env file docker-threat-detection.env holds the token (0600).
    #[arg(long)]
    pub threat_detection: bool,

    /// The Akto backend the mini-runtime reports to (DATABASE_ABSTRACTOR_SERVICE_URL).
    #[arg(long, value_name = "URL", default_value = crate::ingest::compose::DEFAULT_ABSTRACTOR_URL)]
    pub database_abstractor_url: String,

    /// ZooKeeper image, pinned by tag or digest.
    #[arg(long, value_name = "IMAGE", default_value = crate::ingest::compose::DEFAULT_ZOOKEEPER_IMAGE)]
    pub zookeeper_image: String,

    /// Kafka image, pinned by tag or digest.
    #[arg(long, value_name = "IMAGE", default_value = crate::ingest::compose::DEFAULT_KAFKA_IMAGE)]
    pub kafka_image: String,

    /// Akto mini-runtime image, by tag or digest. Akto publishes it as `latest` (no version
    /// tags; a warning says so): pin it with REPOSITORY@sha256:DIGEST.
    #[arg(long, value_name = "IMAGE", default_value = crate::ingest::compose::DEFAULT_RUNTIME_IMAGE)]
    pub runtime_image: String,

    /// Akto data-ingestion service image, by tag or digest. Akto publishes it as `latest` (no
    /// version tags; a warning says so): pin it with REPOSITORY@sha256:DIGEST.
    #[arg(long, value_name = "IMAGE", default_value = crate::ingest::compose::DEFAULT_INGESTION_IMAGE)]
    pub ingestion_image: String,

    /// Watchtower image, pinned by tag or digest (with --watchtower).
    #[arg(long, value_name = "IMAGE", requires = "watchtower", default_value = crate::ingest::compose::DEFAULT_WATCHTOWER_IMAGE)]
    pub watchtower_image: String,

    /// Write the files into DIR (created if missing), each atomically; otherwise print them.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HelmArgs {
    /// Kubernetes namespace of both releases.
    #[arg(long, value_name = "NS", default_value = "akto")]
    pub namespace: String,

    /// Environment variable the script reads the Akto token from, at run time.
    #[arg(
        long,
        value_name = "VAR",
        default_value = "DATABASE_ABSTRACTOR_SERVICE_TOKEN"
    )]
    pub token_env: String,

    /// Name of the Secret the script creates for the token (key `token`).
    #[arg(long, value_name = "NAME", default_value = "akto-mini-runtime-token")]
    pub secret_name: String,

    /// The Akto backend the mini-runtime reports to.
    #[arg(long, value_name = "URL", default_value = crate::ingest::compose::DEFAULT_ABSTRACTOR_URL)]
    pub database_abstractor_url: String,

    /// Pin the akto-mini-runtime chart to this version.
    #[arg(long, value_name = "VERSION")]
    pub chart_version: Option<String>,

    /// Pin the data-ingestion-service chart to this version.
    #[arg(long, value_name = "VERSION")]
    pub ingestion_chart_version: Option<String>,

    /// Kubernetes Service type of the data-ingestion service.
    #[arg(long, value_enum, default_value_t = ServiceTypeArg::ClusterIp)]
    pub service_type: ServiceTypeArg,

    /// Write install.sh and the two values files into DIR; otherwise print them.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServiceTypeArg {
    #[value(name = "ClusterIP")]
    ClusterIp,
    #[value(name = "LoadBalancer")]
    LoadBalancer,
}
