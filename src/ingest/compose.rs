//! The data-ingestion stack as one Compose file and its two env files (seed 000 step 1,
//! seed 004 step 3), made consistent: one file name set, no `version:` key, every image with a
//! tag or digest (Akto's two on its rolling `latest`, named as such, since Akto publishes no
//! version tags), the service on host port 9091 (container 8080), and the Akto token only in
//! `docker-mini-runtime.env`.
//!
//! Checked against Akto's infra repository (docker-compose-mini-runtime-data-ingestion.yaml,
//! docker-compose-data-ingestion-runtime.yml, data-ingestion-docker.env, docker-mini-runtime.env,
//! watchtower.env) and the data-ingestion service's source (KafkaUtils: AKTO_KAFKA_BROKER_URL,
//! AKTO_KAFKA_PRODUCER_BATCH_SIZE, AKTO_KAFKA_PRODUCER_LINGER_MS): the service names, env
//! names, Kafka listeners and ports are Akto's; Akto's `.env` with AKTO_KAFKA_IP becomes the
//! address written into the Compose file.
//!
//! Every value is checked before rendering, and every rendered file is read back.

use std::net::IpAddr;

use serde::Serialize;
use serde_yaml::Value;

use crate::error::refuse;
use crate::http_url::BaseUrl;
use crate::render;
use crate::render::{Artifact, Syntax};

/// The Compose file's name (read by `docker compose` and `docker-compose` without `-f`).
pub const COMPOSE_FILE: &str = "docker-compose.yml";
/// The mini-runtime's env file: holds the token, written mode 0600.
pub const RUNTIME_ENV_FILE: &str = "docker-mini-runtime.env";
/// The data-ingestion service's env file (no secrets).
pub const INGESTION_ENV_FILE: &str = "data-ingestion-docker.env";
/// The threat-detection service's env file (`--threat-detection`): holds the token, 0600.
pub const THREAT_ENV_FILE: &str = "docker-threat-detection.env";
/// Akto's threat-detection image and the redis it keeps its state in, as Akto's compose file
/// names them (rolling `latest`, as Akto publishes them).
pub const THREAT_DETECTION_IMAGE: &str = "aktosecurity/akto-threat-detection:latest";
pub const REDIS_IMAGE: &str = "public.ecr.aws/aktosecurity/redis:latest";
/// The Akto files this stack follows, and when they were read.
pub const AKTO_SOURCE: &str = "akto-api-security/infra docker-compose-mini-runtime-data-ingestion.yaml (commit ace34f49), data-ingestion-docker.env (af563fcf), docker-mini-runtime.env (d93a6fea), docker-threat-detection.env (7bbc0f7e), read 2026-12-08";
/// The env file key of the Akto token.
pub const TOKEN_KEY: &str = "DATABASE_ABSTRACTOR_SERVICE_TOKEN";
/// What stands in the env file until the user puts the token there.
pub const TOKEN_PLACEHOLDER: &str = "REPLACE_WITH_YOUR_AKTO_TOKEN";

/// Default images (Akto's compose files and charts; Confluent 6.2.1 as Akto pins it).
///
/// Akto's two images are published under its rolling `latest` tag: Akto's compose files and
/// its `akto-mini-runtime` and `data-ingestion-service` charts use `latest`, and Akto's pinned
/// charts (`akto-mini-runtime-sha`, `data-ingestion-service` `*-sha` releases) pin by
/// `@sha256:` digest, not by a version tag (helm-charts repository, checked 2026-08). No
/// versioned tag is known to pin by default, so [`rolling_tags`] names them for a warning.
pub const DEFAULT_ZOOKEEPER_IMAGE: &str = "confluentinc/cp-zookeeper:6.2.1";
pub const DEFAULT_KAFKA_IMAGE: &str = "confluentinc/cp-kafka:6.2.1";
pub const DEFAULT_RUNTIME_IMAGE: &str =
    "public.ecr.aws/aktosecurity/akto-api-security-mini-runtime:latest";
pub const DEFAULT_INGESTION_IMAGE: &str = "aktosecurity/data-ingestion-service:latest";
pub const DEFAULT_WATCHTOWER_IMAGE: &str = "containrrr/watchtower:1.7.1";
pub const DEFAULT_ABSTRACTOR_URL: &str = "https://cyborg.akto.io";

/// A container image reference pinned by tag or digest: `[REGISTRY/]NAME:TAG` or
/// `NAME@sha256:…`.
pub fn check_image(input: &str, value: &str) -> anyhow::Result<String> {
    let help = "give REPOSITORY:TAG or REPOSITORY@sha256:DIGEST, e.g. aktosecurity/data-ingestion-service:latest";
    let charset_ok = !value.is_empty()
        && value.len() <= 255
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/:@".contains(&b));
    if !charset_ok {
        return Err(refuse(
            input,
            value,
            "an image reference is 1 to 255 letters, digits, `.`, `_`, `-`, `/`, `:` and `@` (no spaces, quotes or line breaks)",
            help,
        ));
    }
    let name_end = value.find('@').unwrap_or(value.len());
    let last_segment = value[..name_end].rsplit('/').next().unwrap_or("");
    let digest_ok = value[name_end..]
        .strip_prefix("@sha256:")
        .is_some_and(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()));
    let tag = last_segment.split_once(':').map(|(_, t)| t);
    let tag_ok = tag.is_some_and(|t| !t.is_empty() && t.len() <= 128);
    if name_end < value.len() && !digest_ok {
        return Err(refuse(
            input,
            value,
            "the digest is not @sha256: and 64 hex digits",
            help,
        ));
    }
    if !digest_ok && !tag_ok {
        return Err(refuse(
            input,
            value,
            "the image is not pinned: it has no tag or digest, so each pull may bring a different version",
            help,
        ));
    }
    Ok(value.to_string())
}

/// The tag of an image reference, when it has one and no digest.
fn tag_of(image: &str) -> Option<&str> {
    if image.contains('@') {
        return None;
    }
    image.rsplit('/').next()?.split_once(':').map(|(_, t)| t)
}

/// The images (flag, reference) that follow a rolling tag (`latest`): each pull may bring
/// another version, so a re-created container can change under the user.
pub fn rolling_tags(images: &Images) -> Vec<(&'static str, &str)> {
    [
        ("--zookeeper-image", images.zookeeper.as_str()),
        ("--kafka-image", images.kafka.as_str()),
        ("--runtime-image", images.runtime.as_str()),
        ("--ingestion-image", images.ingestion.as_str()),
        ("--watchtower-image", images.watchtower.as_str()),
    ]
    .into_iter()
    .filter(|(_, image)| tag_of(image).is_some_and(|t| t.eq_ignore_ascii_case("latest")))
    .collect()
}

/// The address other hosts reach Kafka at: an IP address or a DNS name.
pub fn check_kafka_host(input: &str, value: &str) -> anyhow::Result<String> {
    if let Ok(ip) = value.parse::<IpAddr>() {
        if ip.is_unspecified() {
            return Err(refuse(
                input,
                value,
                "0.0.0.0 or :: is not an address clients can reach",
                "give this host's private IP address, e.g. 10.0.1.4",
            ));
        }
        return Ok(match ip {
            IpAddr::V6(v6) => format!("[{v6}]"),
            IpAddr::V4(v4) => v4.to_string(),
        });
    }
    let ok = !value.is_empty()
        && value.len() <= 253
        && value.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !ok {
        return Err(refuse(
            input,
            value,
            "not an IP address or host name",
            "give the private IP address of the host that runs the stack, e.g. 10.0.1.4 (or `auto` to read it from this host)",
        ));
    }
    Ok(value.to_string())
}

/// A value that goes into one of the stack's env files (`--database-abstractor-url`): no `$`,
/// quote or control character. docker-compose 1.x reads an env file's values as they are and
/// Compose v2 interpolates `$` in them, so no escape means the same to both: refused here,
/// naming the flag, rather than failing the generated files' own check.
pub fn check_env_value(input: &str, value: &str) -> anyhow::Result<()> {
    if let Some(c) = value
        .chars()
        .find(|&c| c.is_control() || matches!(c, '$' | '"' | '\''))
    {
        return Err(refuse(
            input,
            value,
            &format!(
                "{c:?} cannot stand in an env file: docker-compose 1.x takes it as it is, Compose v2 interpolates or unquotes it"
            ),
            "give the URL without `$` or quotes (percent-encode them, e.g. %24 for `$`)",
        ));
    }
    Ok(())
}

/// The Akto token as it may stand in an env file: one line of JWT or key characters (an env
/// file has no quoting that both Compose versions read the same way).
pub fn check_token(input: &str, value: &str) -> anyhow::Result<String> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 16 * 1024
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+/=~".contains(&b));
    if !ok {
        // Never echo the token itself.
        return Err(refuse(
            input,
            "(value hidden)",
            "the token is empty or holds characters a token never has (spaces, quotes, `$`, line breaks)",
            "copy the token again from the Akto dashboard (Quick Start > Hybrid SaaS Connector) into the variable, alone on one line",
        ));
    }
    Ok(v.to_string())
}

#[derive(Debug, Clone, Serialize)]
pub struct Images {
    pub zookeeper: String,
    pub kafka: String,
    pub runtime: String,
    pub ingestion: String,
    pub watchtower: String,
}

/// The stack, checked.
#[derive(Debug, Clone)]
pub struct Stack {
    /// How other hosts reach Kafka (already bracketed for IPv6).
    pub kafka_host: String,
    /// Host port of the data-ingestion service.
    pub port: u16,
    pub images: Images,
    pub watchtower: bool,
    /// Akto's threat-detection service and its redis.
    pub threat_detection: bool,
    pub abstractor_url: BaseUrl,
    /// `None`: the env file gets [`TOKEN_PLACEHOLDER`].
    pub token: Option<String>,
}

#[derive(Serialize)]
struct Context<'a> {
    images: &'a Images,
    kafka_advertised: String,
    port: u16,
    watchtower: bool,
    watchtower_label: &'static str,
    watchtower_image: &'a str,
    watchtower_scope: &'static str,
    threat_detection: bool,
    threat_image: &'static str,
    redis_image: &'static str,
    akto_source: &'static str,
    abstractor_url: &'a str,
    token: Option<&'a str>,
    placeholder: &'static str,
    /// Image references on a rolling tag, for a comment in the Compose file.
    rolling_images: Vec<&'a str>,
}

/// Renders the Compose file and both env files, and reads each back.
pub fn render(stack: &Stack) -> anyhow::Result<Vec<Artifact>> {
    let ctx = Context {
        images: &stack.images,
        kafka_advertised: format!("{}:9092", stack.kafka_host),
        port: stack.port,
        watchtower: stack.watchtower,
        watchtower_label: if stack.watchtower { "true" } else { "false" },
        watchtower_image: &stack.images.watchtower,
        watchtower_scope: if stack.threat_detection {
            "three Akto images"
        } else {
            "two Akto images"
        },
        threat_detection: stack.threat_detection,
        threat_image: THREAT_DETECTION_IMAGE,
        redis_image: REDIS_IMAGE,
        akto_source: AKTO_SOURCE,
        abstractor_url: stack.abstractor_url.as_str(),
        token: stack.token.as_deref(),
        placeholder: TOKEN_PLACEHOLDER,
        rolling_images: rolling_tags(&stack.images)
            .into_iter()
            .map(|(_, image)| image)
            .collect(),
    };
    let mut files = vec![
        Artifact::new(
            COMPOSE_FILE,
            render::render("ingest/compose.yaml.j2", &ctx)?,
        )
        .read_as(Syntax::Yaml),
        Artifact::new(
            INGESTION_ENV_FILE,
            render::render("ingest/data-ingestion.env.j2", &ctx)?,
        )
        .read_as(Syntax::Env),
        Artifact::private(
            RUNTIME_ENV_FILE,
            render::render("ingest/mini-runtime.env.j2", &ctx)?,
        )
        .read_as(Syntax::Env),
    ];
    if stack.threat_detection {
        files.push(
            Artifact::private(
                THREAT_ENV_FILE,
                render::render("ingest/threat-detection.env.j2", &ctx)?,
            )
            .read_as(Syntax::Env),
        );
    }
    check(stack, &files).map_err(|problem| {
        anyhow::anyhow!("internal error: the generated Compose files failed their own check ({problem}); nothing was written. Please report this with the command line you used.")
    })?;
    Ok(files)
}

/// The services of the stack, in order.
pub fn service_names(watchtower: bool, threat_detection: bool) -> Vec<&'static str> {
    let mut s = vec![
        "zoo1",
        "kafka1",
        "akto-api-security-runtime",
        "data-ingestion-service",
    ];
    if threat_detection {
        s.extend(["redis", "threat-detection"]);
    }
    if watchtower {
        s.push("watchtower");
    }
    s
}

pub use crate::render::artifact::read_env;

fn check(stack: &Stack, files: &[Artifact]) -> Result<(), String> {
    let compose = &files[0].text;
    let doc: Value = serde_yaml::from_str(compose).map_err(|e| e.to_string())?;
    if doc.get("version").is_some() {
        return Err("a version: key".into());
    }
    let services = doc
        .get("services")
        .and_then(Value::as_mapping)
        .ok_or("no services")?;
    let names: Vec<&str> = services.keys().filter_map(Value::as_str).collect();
    if names != service_names(stack.watchtower, stack.threat_detection) {
        return Err(format!("services {names:?}"));
    }
    for (_, svc) in services {
        if let Some(env) = svc.get("environment").and_then(Value::as_mapping) {
            if env.keys().any(|k| k.as_str() == Some(TOKEN_KEY)) {
                return Err("the token key in a Compose environment".into());
            }
            if env.values().any(|v| !v.is_string()) {
                return Err("a non-string environment value".into());
            }
        }
    }
    for name in ["akto-api-security-runtime", "data-ingestion-service"] {
        let rotated = services
            .get(name)
            .and_then(|s| s.get("logging"))
            .and_then(|l| l.get("options"))
            .and_then(|o| o.get("max-size"))
            .is_some();
        if !rotated {
            return Err(format!("{name} has no log rotation"));
        }
    }
    let ports = services
        .get("data-ingestion-service")
        .and_then(|s| s.get("ports"))
        .and_then(Value::as_sequence)
        .ok_or("no ports on data-ingestion-service")?;
    if ports.first().and_then(Value::as_str) != Some(format!("{}:8080", stack.port).as_str()) {
        return Err(format!("data-ingestion-service ports {ports:?}"));
    }
    if compose.contains('$') {
        return Err("a `$` in the Compose file (Compose would interpolate it)".into());
    }
    let runtime_env = read_env(&files[2].text)?;
    let tokens: Vec<&String> = runtime_env
        .iter()
        .filter(|(k, _)| k == TOKEN_KEY)
        .map(|(_, v)| v)
        .collect();
    let expected = stack.token.as_deref().unwrap_or(TOKEN_PLACEHOLDER);
    if let Some(threat) = files.get(3) {
        let env = read_env(&threat.text)?;
        if !threat.private || !env.iter().any(|(k, v)| k == TOKEN_KEY && v == expected) {
            return Err("the threat-detection env file lacks the token or is not private".into());
        }
    }
    if tokens.len() != 1 || tokens[0] != expected {
        return Err(format!(
            "{} {TOKEN_KEY} lines in the runtime env file",
            tokens.len()
        ));
    }
    let ingestion_env = read_env(&files[1].text)?;
    if ingestion_env.iter().any(|(k, _)| k == TOKEN_KEY) {
        return Err("the token in the ingestion env file".into());
    }
    if let Some(token) = &stack.token {
        if files
            .iter()
            .filter(|f| !f.private)
            .any(|f| f.text.contains(token.as_str()))
        {
            return Err("the token outside the private env file".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_must_be_pinned_and_plain() {
        assert!(check_image("--kafka-image", "confluentinc/cp-kafka:6.2.1").is_ok());
        assert!(check_image("--kafka-image", "registry.example.com:5000/kafka:7").is_ok());
        assert!(check_image("--kafka-image", &format!("kafka@sha256:{}", "a".repeat(64))).is_ok());
        for bad in [
            "confluentinc/cp-kafka",
            "registry.example.com:5000/kafka",
            "kafka:",
            "kafka@sha256:12",
            "a:b\nc",
            "a:b\u{2028}",
            "a:\"b\"",
            "",
        ] {
            assert!(check_image("--kafka-image", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rolling_tags_are_named_and_digests_are_not() {
        let mut images = Images {
            zookeeper: DEFAULT_ZOOKEEPER_IMAGE.into(),
            kafka: DEFAULT_KAFKA_IMAGE.into(),
            runtime: DEFAULT_RUNTIME_IMAGE.into(),
            ingestion: DEFAULT_INGESTION_IMAGE.into(),
            watchtower: DEFAULT_WATCHTOWER_IMAGE.into(),
        };
        assert_eq!(
            rolling_tags(&images),
            [
                ("--runtime-image", DEFAULT_RUNTIME_IMAGE),
                ("--ingestion-image", DEFAULT_INGESTION_IMAGE)
            ]
        );
        images.runtime = format!(
            "public.ecr.aws/aktosecurity/akto-api-security-mini-runtime@sha256:{}",
            "a".repeat(64)
        );
        images.ingestion = "registry.example.com:5000/data-ingestion-service:1.2.3".into();
        images.kafka = "registry.example.com:5000/kafka:LATEST".into();
        assert_eq!(
            rolling_tags(&images),
            [("--kafka-image", images.kafka.as_str())]
        );
    }

    #[test]
    fn kafka_hosts_and_tokens() {
        assert_eq!(
            check_kafka_host("--kafka-ip", "10.0.1.4").unwrap(),
            "10.0.1.4"
        );
        assert_eq!(
            check_kafka_host("--kafka-ip", "fd00::4").unwrap(),
            "[fd00::4]"
        );
        assert!(check_kafka_host("--kafka-ip", "0.0.0.0").is_err());
        assert!(check_kafka_host("--kafka-ip", "a b").is_err());
        assert!(check_kafka_host("--kafka-ip", "a\u{85}b").is_err());
        assert!(check_token("--token-env", "eyJhbGciOi.J9.x-_").is_ok());
        let e = check_token("--token-env", "secret\"x")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
