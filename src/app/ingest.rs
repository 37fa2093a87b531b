//! `akto-connect ingest compose|helm`: checks the arguments, renders every file, and only then
//! hands them to `output::deliver` (a folder written as a set, the env file with the token
//! mode 0600; or standard output).

use std::process::ExitCode;

use crate::cli::ingest::{ComposeArgs, HelmArgs, IngestCommand, ServiceTypeArg};
use crate::error::refuse;
use crate::http_url::BaseUrl;
use crate::ingest::compose::{self, Images, Stack};
use crate::ingest::helm::{self, HelmSetup};
use crate::net;
use crate::output::{self, Destination};

pub fn run(cmd: &IngestCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IngestCommand::Compose(a) => compose_cmd(a),
        IngestCommand::Helm(a) => helm_cmd(a),
    }
}

fn compose_cmd(a: &ComposeArgs) -> anyhow::Result<ExitCode> {
    let kafka_host = if a.kafka_ip == "auto" {
        let Some(ip) = net::local_ip() else {
            return Err(refuse(
                "--kafka-ip",
                "auto",
                "this host has no address on a default route (or only loopback)",
                "give the host's private IP address, e.g. --kafka-ip 10.0.1.4",
            ));
        };
        eprintln!("note: --kafka-ip auto: Kafka is advertised at {ip}:9092 (this host's default-route address); give --kafka-ip to choose another");
        compose::check_kafka_host("--kafka-ip", &ip.to_string())?
    } else {
        compose::check_kafka_host("--kafka-ip", &a.kafka_ip)?
    };
    let token = match &a.token_env {
        None => None,
        Some(var) => {
            if a.output.is_none() {
                return Err(refuse(
                    "--token-env",
                    var,
                    "the token would be printed to standard output",
                    "give -o DIR: the token is written only into DIR/docker-mini-runtime.env (mode 0600)",
                ));
            }
            crate::ingest::helm::check_env_name("--token-env", var)?;
            let value = std::env::var(var).map_err(|_| {
                refuse(
                    "--token-env",
                    var,
                    "the environment variable is not set (or not UTF-8)",
                    &format!("export {var}=… with the token from the Akto dashboard first"),
                )
            })?;
            Some(compose::check_token(&format!("--token-env {var}"), &value)?)
        }
    };
    compose::check_env_value("--database-abstractor-url", &a.database_abstractor_url)?;
    let stack = Stack {
        kafka_host,
        port: a.port,
        images: Images {
            zookeeper: compose::check_image("--zookeeper-image", &a.zookeeper_image)?,
            kafka: compose::check_image("--kafka-image", &a.kafka_image)?,
            runtime: compose::check_image("--runtime-image", &a.runtime_image)?,
            ingestion: compose::check_image("--ingestion-image", &a.ingestion_image)?,
            watchtower: compose::check_image("--watchtower-image", &a.watchtower_image)?,
        },
        watchtower: a.watchtower,
        threat_detection: a.threat_detection,
        abstractor_url: BaseUrl::parse("--database-abstractor-url", &a.database_abstractor_url)?,
        token,
    };
    let files = compose::render(&stack)?;
    let rolling = compose::rolling_tags(&stack.images);
    if !rolling.is_empty() {
        let list = rolling
            .iter()
            .map(|(flag, image)| format!("{flag} {image}"))
            .collect::<Vec<_>>()
            .join(", ");
        if stack.watchtower {
            eprintln!("note: {list}: a rolling tag, kept current by watchtower (Akto's own files use its images as latest or by digest, never by a version tag)");
        } else {
            eprintln!("warning: {list}: not pinned to a version (a rolling tag: each pull may bring a newer image; Akto's own files use its images as latest or by digest, never by a version tag). To pin: docker pull the image, then re-render with that flag set to REPOSITORY@sha256:DIGEST (docker images --digests REPOSITORY shows it)");
        }
    }
    match &a.output {
        Some(dir) => {
            // Keep a filled-in env file when no token was given to replace it.
            let keep_existing =
                stack.token.is_none() && dir.join(compose::RUNTIME_ENV_FILE).exists();
            // The token's files (the runtime's, threat detection's) are kept alike.
            let kept: Vec<_> = files
                .iter()
                .filter(|f| !(keep_existing && f.private && dir.join(&f.path).exists()))
                .cloned()
                .collect();
            output::deliver(&kept, Destination::Dir(dir))?;
            if keep_existing {
                eprintln!(
                    "note: kept the existing {} (it may hold your token); give --token-env VAR to replace it",
                    dir.join(compose::RUNTIME_ENV_FILE).display()
                );
            } else if stack.token.is_none() {
                eprintln!(
                    "note: {} holds the placeholder {}: put your Akto token there (or re-run with --token-env VAR)",
                    dir.join(compose::RUNTIME_ENV_FILE).display(),
                    compose::TOKEN_PLACEHOLDER
                );
            }
            eprintln!(
                "wrote {} files to {}; start with: cd {} && docker compose up -d",
                files.len(),
                dir.display(),
                dir.display()
            );
        }
        None => {
            output::deliver(&files, Destination::Stdout)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn helm_cmd(a: &HelmArgs) -> anyhow::Result<ExitCode> {
    let setup = HelmSetup {
        namespace: a.namespace.clone(),
        token_env: a.token_env.clone(),
        secret_name: a.secret_name.clone(),
        abstractor_url: BaseUrl::parse("--database-abstractor-url", &a.database_abstractor_url)?,
        chart_version: a.chart_version.clone(),
        ingestion_chart_version: a.ingestion_chart_version.clone(),
        service_type: match a.service_type {
            ServiceTypeArg::ClusterIp => "ClusterIP",
            ServiceTypeArg::LoadBalancer => "LoadBalancer",
        },
    };
    let files = helm::render(&setup)?;
    match &a.output {
        Some(dir) => {
            output::deliver(&files, Destination::Dir(dir))?;
            eprintln!(
                "wrote {} files to {}; run: {}=… bash {}",
                files.len(),
                dir.display(),
                setup.token_env,
                dir.join(helm::SCRIPT_FILE).display()
            );
        }
        None => {
            output::deliver(&files, Destination::Stdout)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
