//! The data-ingestion backend on Kubernetes (seed 004, option B), with Akto's charts as they
//! are: `akto-mini-runtime` (Kafka and the mini-runtime) and `data-ingestion-service` (the
//! ingest endpoint; the current mini-runtime chart no longer contains it, whatever the seed
//! says). Checked against Akto's helm-charts repository (charts/mini-runtime 0.7.22,
//! charts/data-ingestion-service 0.1.11-sha) and its published index (2026-08); the script
//! still checks that both charts exist before it changes anything. The token goes into a Secret created by the script from an environment variable at
//! run time, and the chart reads it from there (`useSecretsForDatabaseAbstractorToken`):
//! never in a values file, never on a command line.

use serde::Serialize;

use crate::error::refuse;
use crate::http_url::BaseUrl;
use crate::k8s::check_k8s_name;
use crate::render;
use crate::render::{Artifact, Syntax};

pub const SCRIPT_FILE: &str = "install.sh";
pub const RUNTIME_VALUES_FILE: &str = "mini-runtime-values.yaml";
pub const INGESTION_VALUES_FILE: &str = "data-ingestion-values.yaml";
/// The release names; the data-ingestion chart's default Kafka address
/// (`akto-mini-runtime-mini-runtime:9092`) follows from the first.
pub const RUNTIME_RELEASE: &str = "akto-mini-runtime";
pub const INGESTION_RELEASE: &str = "data-ingestion-service";
/// The in-cluster port of the ingest service (the Compose stack's host port, for one URL
/// shape everywhere); the container listens on 8080.
pub const SERVICE_PORT: u16 = 9091;

/// An environment variable name, as a POSIX shell reads it.
pub fn check_env_name(input: &str, value: &str) -> anyhow::Result<String> {
    let ok = value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(refuse(
            input,
            value,
            "an environment variable name is letters, digits and `_`, not starting with a digit",
            "e.g. DATABASE_ABSTRACTOR_SERVICE_TOKEN",
        ));
    }
    Ok(value.to_string())
}

/// The chart versions Akto's Helm repository index lists (akto-api-security/helm-charts,
/// branch gh-pages, index.yaml generated 2026-08-22), newest first. Every
/// `data-ingestion-service` release after 0.1.6 is a SemVer pre-release (`-sha`), which Helm
/// skips without `--devel` or the exact version; `akto-mini-runtime` stops at 0.7.22 (0.7.23 is
/// the separate chart `akto-mini-runtime-sha`).
pub const INDEX_VERSIONS: &[(&str, &[&str])] = &[
    (
        "akto-mini-runtime",
        &[
            "0.7.22",
            "0.7.21",
            "0.7.21-sha",
            "0.7.20",
            "0.7.20-sha",
            "0.7.19",
            "0.7.19-sha",
        ],
    ),
    (
        "data-ingestion-service",
        &[
            "0.1.11-sha",
            "0.1.10-sha",
            "0.1.9-sha",
            "0.1.8-sha",
            "0.1.7-sha",
            "0.1.6",
            "0.1.5-sha",
            "0.1.5-kafka-scram",
            "0.1.4",
            "0.1.4-sha",
            "0.1.3",
            "0.1.3-sha",
            "0.1.2-sha",
            "0.1.1",
            "0.1.1-sha",
            "0.1.0",
        ],
    ),
];

/// The chart's newest release is a pre-release: an unpinned install needs `--devel`.
pub fn newest_is_prerelease(chart: &str) -> bool {
    INDEX_VERSIONS
        .iter()
        .find(|(c, _)| *c == chart)
        .and_then(|(_, v)| v.first())
        .is_some_and(|v| v.contains('-'))
}

/// A chart version as a Helm repository index holds it: SemVer 2.0
/// (`MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`), given exactly (Helm matches `0.1.11` only to
/// 0.1.11, never to the pre-release 0.1.11-sha). A version the recorded index has only as a
/// pre-release is refused with its exact name.
pub fn check_chart_version(input: &str, chart: &str, value: &str) -> anyhow::Result<String> {
    let fix = format!("list them with: helm search repo akto/{chart} --versions --devel");
    let (core, rest) = match value.find(['-', '+']) {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && p.len() <= 9
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    let ident = |s: &str| {
        s.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let tail_ok = match rest.split_once('+') {
        _ if rest.is_empty() => true,
        Some((pre, build)) => {
            (pre.is_empty() || (pre.len() > 1 && ident(&pre[1..]))) && ident(build)
        }
        None => rest.len() > 1 && ident(&rest[1..]),
    };
    let ok = value.len() <= 64 && parts.len() == 3 && parts.iter().all(numeric) && tail_ok;
    if !ok {
        return Err(refuse(
            input,
            value,
            "a chart version is an exact SemVer version, MAJOR.MINOR.PATCH with an optional -PRERELEASE (Akto publishes e.g. 0.1.11-sha)",
            &fix,
        ));
    }
    if let Some((_, known)) = INDEX_VERSIONS.iter().find(|(c, _)| *c == chart) {
        if !known.contains(&value) {
            if let Some(pre) = known
                .iter()
                .find(|k| k.strip_prefix(value).is_some_and(|t| t.starts_with('-')))
            {
                return Err(refuse(
                    input,
                    value,
                    &format!("Akto publishes {chart} {value} only as the pre-release {pre}, and Helm matches a version exactly"),
                    &format!("give {input} {pre}"),
                ));
            }
        }
    }
    Ok(value.to_string())
}

#[derive(Debug, Clone)]
pub struct HelmSetup {
    pub namespace: String,
    pub token_env: String,
    pub secret_name: String,
    pub abstractor_url: BaseUrl,
    pub chart_version: Option<String>,
    pub ingestion_chart_version: Option<String>,
    /// `ClusterIP` or `LoadBalancer`.
    pub service_type: &'static str,
}

impl HelmSetup {
    /// Checks the names that land in the script and the values.
    pub fn check(&self) -> anyhow::Result<()> {
        check_k8s_name("--namespace", &self.namespace, true)?;
        check_k8s_name("--secret-name", &self.secret_name, false)?;
        check_env_name("--token-env", &self.token_env)?;
        for (flag, chart, v) in [
            ("--chart-version", "akto-mini-runtime", &self.chart_version),
            (
                "--ingestion-chart-version",
                INGESTION_RELEASE,
                &self.ingestion_chart_version,
            ),
        ] {
            if let Some(v) = v {
                check_chart_version(flag, chart, v)?;
            }
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Context<'a> {
    namespace: &'a str,
    token_env: &'a str,
    secret_name: &'a str,
    abstractor_url: &'a str,
    chart_version: Option<&'a str>,
    ingestion_chart_version: Option<&'a str>,
    /// `--devel` for an unpinned chart whose newest release is a pre-release.
    runtime_devel: bool,
    ingestion_devel: bool,
    service_type: &'a str,
    runtime_release: &'static str,
    ingestion_release: &'static str,
    kafka: String,
    port: u16,
    ingest_url: String,
    runtime_values: &'static str,
    ingestion_values: &'static str,
}

/// Renders the script and both values files, and reads the values back.
pub fn render(setup: &HelmSetup) -> anyhow::Result<Vec<Artifact>> {
    setup.check()?;
    let ctx = Context {
        namespace: &setup.namespace,
        token_env: &setup.token_env,
        secret_name: &setup.secret_name,
        abstractor_url: setup.abstractor_url.as_str(),
        chart_version: setup.chart_version.as_deref(),
        ingestion_chart_version: setup.ingestion_chart_version.as_deref(),
        runtime_devel: setup.chart_version.is_none() && newest_is_prerelease("akto-mini-runtime"),
        ingestion_devel: setup.ingestion_chart_version.is_none()
            && newest_is_prerelease(INGESTION_RELEASE),
        service_type: setup.service_type,
        runtime_release: RUNTIME_RELEASE,
        ingestion_release: INGESTION_RELEASE,
        kafka: format!("{RUNTIME_RELEASE}-mini-runtime:9092"),
        port: SERVICE_PORT,
        ingest_url: format!(
            "http://{INGESTION_RELEASE}.{}.svc.cluster.local:{SERVICE_PORT}",
            setup.namespace
        ),
        runtime_values: RUNTIME_VALUES_FILE,
        ingestion_values: INGESTION_VALUES_FILE,
    };
    let files = vec![
        Artifact::new(
            SCRIPT_FILE,
            render::render("ingest/helm-install.sh.j2", &ctx)?,
        ),
        Artifact::new(
            RUNTIME_VALUES_FILE,
            render::render("ingest/helm-mini-runtime-values.yaml.j2", &ctx)?,
        )
        .read_as(Syntax::Yaml),
        Artifact::new(
            INGESTION_VALUES_FILE,
            render::render("ingest/helm-data-ingestion-values.yaml.j2", &ctx)?,
        )
        .read_as(Syntax::Yaml),
    ];
    check(setup, &files).map_err(|problem| {
        anyhow::anyhow!("internal error: the generated Helm files failed their own check ({problem}); nothing was written. Please report this with the command line you used.")
    })?;
    Ok(files)
}

fn check(setup: &HelmSetup, files: &[Artifact]) -> Result<(), String> {
    use serde_yaml::Value;
    let runtime: Value = serde_yaml::from_str(&files[1].text).map_err(|e| e.to_string())?;
    let env = &runtime["mini_runtime"]["aktoApiSecurityRuntime"]["env"];
    if env["useSecretsForDatabaseAbstractorToken"] != Value::Bool(true) {
        return Err("the runtime does not read its token from the Secret".into());
    }
    if env["databaseAbstractorTokenSecrets"]["existingSecret"].as_str()
        != Some(setup.secret_name.as_str())
    {
        return Err("existingSecret".into());
    }
    if env.get("databaseAbstractorToken").is_some()
        || env["databaseAbstractorTokenSecrets"].get("token").is_some()
    {
        return Err("a token value in the values".into());
    }
    let ingestion: Value = serde_yaml::from_str(&files[2].text).map_err(|e| e.to_string())?;
    let svc = &ingestion["dataIngestionService"]["service"];
    if svc["port"].as_u64() != Some(u64::from(SERVICE_PORT))
        || svc["targetPort"].as_u64() != Some(8080)
    {
        return Err("service ports".into());
    }
    if !files[0]
        .text
        .contains(&format!("\"${{{}}}\"", setup.token_env))
    {
        return Err("the script does not read the token variable".into());
    }
    Ok(())
}

#[cfg(test)]
mod version_tests {
    use super::*;

    #[test]
    fn chart_versions_are_exact_semver_and_pre_releases_are_named() {
        for ok in [
            "0.7.22",
            "0.1.11-sha",
            "0.1.5-kafka-scram",
            "1.2.3+build.5",
            "10.0.0",
        ] {
            assert!(check_chart_version("--v", "x", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "0.1",
            "^0.1.0",
            "01.2.3",
            "0.1.0-",
            "0.1.0-a..b",
            "v0.1.0",
            "1.2.3.4",
        ] {
            assert!(check_chart_version("--v", "x", bad).is_err(), "{bad}");
        }
        let e = check_chart_version("--ingestion-chart-version", INGESTION_RELEASE, "0.1.11")
            .unwrap_err()
            .to_string();
        assert!(e.contains("0.1.11-sha"), "{e}");
        // Not in the recorded index: a newer release may exist; the script checks it.
        assert!(check_chart_version("--v", INGESTION_RELEASE, "0.1.12-sha").is_ok());
        assert!(newest_is_prerelease(INGESTION_RELEASE));
        assert!(!newest_is_prerelease("akto-mini-runtime"));
    }
}
