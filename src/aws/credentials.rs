//! The AWS default credential chain, as the AWS SDKs define it, resolved to a plan: which
//! source answers, and what must be fetched to get keys from it. Pure: the environment and the
//! shared files come in as text; `app::aws_verify` runs the plan (files, STS, ECS, IMDS).
//!
//! Order (the SDKs' default chain): environment keys; the shared config and credentials files
//! (`AWS_PROFILE`, else `default`: static keys, `role_arn` with `source_profile` or
//! `credential_source`, `web_identity_token_file`, `credential_process`); a web identity token
//! from the environment (EKS IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`); ECS container
//! credentials (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`); EC2 instance metadata
//! (IMDSv2) unless `AWS_EC2_METADATA_DISABLED=true`.

use std::fmt;

/// Where the keys came from: shown to the user (never the keys themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Environment,
    Profile(String),
    AssumeRole { role_arn: String, via: Box<Source> },
    WebIdentity { role_arn: String },
    Process(String),
    Ecs,
    Imds { role: String },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Environment => write!(f, "environment variables (AWS_ACCESS_KEY_ID)"),
            Source::Profile(p) => write!(f, "shared credentials, profile {p}"),
            Source::AssumeRole { role_arn, via } => {
                write!(f, "role {role_arn}, assumed with {via}")
            }
            Source::WebIdentity { role_arn } => {
                write!(f, "web identity token (IRSA), role {role_arn}")
            }
            Source::Process(p) => write!(f, "credential_process of profile {p}"),
            Source::Ecs => write!(f, "ECS container credentials"),
            Source::Imds { role } => write!(f, "EC2 instance metadata (IMDSv2), role {role}"),
        }
    }
}

/// AWS keys. `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub source: Source,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// How to get credentials: the first source of the chain that is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    Static(Credentials),
    AssumeRole {
        role_arn: String,
        session_name: String,
        external_id: Option<String>,
        source: Box<Provider>,
    },
    WebIdentity {
        role_arn: String,
        token_file: String,
        session_name: String,
    },
    Process {
        profile: String,
        command: String,
    },
    Ecs {
        url: String,
        token: Option<EcsToken>,
    },
    Imds {
        endpoint: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcsToken {
    Value(String),
    File(String),
}

/// An INI file as the AWS shared files write it: sections of `key = value`.
pub type Ini = Vec<(String, Vec<(String, String)>)>;

/// Reads a shared config or credentials file. Comments (`#`, `;`) and blank lines are skipped;
/// indented lines (sub-properties) are ignored.
pub fn parse_ini(text: &str) -> Ini {
    let mut out: Ini = Vec::new();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.trim().to_string(), Vec::new()));
        } else if let (Some((k, v)), Some(last)) = (line.split_once('='), out.last_mut()) {
            last.1
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

/// The keys of `profile`: the credentials file's section `[name]` over the config file's
/// `[profile name]` (`[default]` in both).
fn profile_keys(profile: &str, config: &Ini, creds: &Ini) -> Option<Vec<(String, String)>> {
    let config_name = if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    };
    let mut found = false;
    let mut keys: Vec<(String, String)> = Vec::new();
    for (name, kv) in config {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name == config_name || (profile == "default" && name == "profile default") {
            found = true;
            keys.extend(kv.iter().cloned());
        }
    }
    for (name, kv) in creds {
        if name == profile {
            found = true;
            for (k, v) in kv {
                keys.retain(|(k2, _)| k2 != k);
                keys.push((k.clone(), v.clone()));
            }
        }
    }
    found.then_some(keys)
}

fn get<'a>(keys: &'a [(String, String)], key: &str) -> Option<&'a str> {
    keys.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The value of `region` in `profile`, for the STS endpoint and the default region.
pub fn profile_region(profile: &str, config: &Ini) -> Option<String> {
    profile_keys(profile, config, &Vec::new()).and_then(|k| get(&k, "region").map(String::from))
}

fn profile_provider(
    profile: &str,
    config: &Ini,
    creds: &Ini,
    env: &dyn Fn(&str) -> Option<String>,
    seen: &mut Vec<String>,
) -> Result<Option<Provider>, String> {
    if seen.iter().any(|p| p == profile) {
        return Err(format!(
            "profile {profile}: source_profile loops back to itself ({} -> {profile}); point source_profile at a profile with keys",
            seen.join(" -> ")
        ));
    }
    seen.push(profile.to_string());
    let Some(keys) = profile_keys(profile, config, creds) else {
        return Ok(None);
    };
    let session_name = get(&keys, "role_session_name")
        .unwrap_or("akto-connect")
        .to_string();
    if let Some(role_arn) = get(&keys, "role_arn") {
        if let Some(token_file) = get(&keys, "web_identity_token_file") {
            return Ok(Some(Provider::WebIdentity {
                role_arn: role_arn.into(),
                token_file: token_file.into(),
                session_name,
            }));
        }
        let source = if let Some(src) = get(&keys, "source_profile") {
            if src == profile {
                // A profile that is its own source uses its own static keys.
                static_from_profile(profile, &keys)?
            } else {
                profile_provider(src, config, creds, env, seen)?.ok_or_else(|| {
                    format!("profile {profile}: source_profile {src} is in neither ~/.aws/config nor ~/.aws/credentials; add it or fix the name")
                })?
            }
        } else if let Some(cs) = get(&keys, "credential_source") {
            match cs {
                "Environment" => env_keys(env)?.ok_or_else(|| {
                    format!("profile {profile}: credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
                })?,
                "Ec2InstanceMetadata" => imds(env),
                "EcsContainer" => ecs(env)?.ok_or_else(|| {
                    format!("profile {profile}: credential_source = EcsContainer, but AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not set")
                })?,
                other => {
                    return Err(format!(
                        "profile {profile}: credential_source {other} is not Environment, Ec2InstanceMetadata or EcsContainer"
                    ))
                }
            }
        } else {
            return Err(format!(
                "profile {profile}: role_arn needs source_profile or credential_source to say which credentials assume it"
            ));
        };
        return Ok(Some(Provider::AssumeRole {
            role_arn: role_arn.into(),
            session_name,
            external_id: get(&keys, "external_id").map(String::from),
            source: Box::new(source),
        }));
    }
    if let Some(command) = get(&keys, "credential_process") {
        return Ok(Some(Provider::Process {
            profile: profile.into(),
            command: command.into(),
        }));
    }
    static_from_profile(profile, &keys).map(Some)
}

fn static_from_profile(profile: &str, keys: &[(String, String)]) -> Result<Provider, String> {
    match (get(keys, "aws_access_key_id"), get(keys, "aws_secret_access_key")) {
        (Some(id), Some(secret)) => Ok(Provider::Static(Credentials {
            access_key_id: id.into(),
            secret_access_key: secret.into(),
            session_token: get(keys, "aws_session_token").map(String::from),
            source: Source::Profile(profile.into()),
        })),
        (Some(_), None) | (None, Some(_)) => Err(format!(
            "profile {profile}: has only one of aws_access_key_id and aws_secret_access_key; give both"
        )),
        (None, None) => Err(format!(
            "profile {profile}: no credentials in it (aws_access_key_id, role_arn, credential_process or web_identity_token_file)"
        )),
    }
}

fn env_keys(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Provider>, String> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Ok(Some(Provider::Static(Credentials {
            access_key_id: id,
            secret_access_key: secret,
            session_token: var("AWS_SESSION_TOKEN"),
            source: Source::Environment,
        }))),
        (Some(_), None) => Err("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: export both, or neither to use the rest of the chain".into()),
        (None, Some(_)) => Err("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: export both, or neither to use the rest of the chain".into()),
        (None, None) => Ok(None),
    }
}

/// The hosts an ECS full URI may name over http: the SDKs allow loopback and the ECS/EKS
/// link-local agents only.
fn ecs_host_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host == "localhost"
        || host == "169.254.170.2"
        || host == "169.254.170.23"
        || host == "fd00:ec2::23"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn ecs(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Provider>, String> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let url = if let Some(rel) = var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        format!("http://169.254.170.2{rel}")
    } else if let Some(full) = var("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        if !ecs_host_allowed(&full) {
            return Err(format!("AWS_CONTAINER_CREDENTIALS_FULL_URI {full}: over http:// only a loopback address or the ECS/EKS agent (169.254.170.2, 169.254.170.23) may serve credentials; use https:// or a local agent"));
        }
        full
    } else {
        return Ok(None);
    };
    let token = if let Some(f) = var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(EcsToken::File(f))
    } else {
        var("AWS_CONTAINER_AUTHORIZATION_TOKEN").map(EcsToken::Value)
    };
    Ok(Some(Provider::Ecs { url, token }))
}

fn imds(env: &dyn Fn(&str) -> Option<String>) -> Provider {
    Provider::Imds {
        endpoint: env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .filter(|v| !v.is_empty())
            .map(|e| e.trim_end_matches('/').to_string())
            .unwrap_or_else(|| "http://169.254.169.254".into()),
    }
}

/// The profile the chain reads: `AWS_PROFILE`, else `default`; and whether it was asked for.
pub fn profile_name(env: &dyn Fn(&str) -> Option<String>) -> (String, bool) {
    match env("AWS_PROFILE").filter(|p| !p.is_empty()) {
        Some(p) => (p, true),
        None => ("default".into(), false),
    }
}

/// The first configured source of the default chain. `config` and `creds` are the shared
/// files' text, when they exist.
pub fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    config: Option<&str>,
    creds: Option<&str>,
) -> Result<Provider, String> {
    if let Some(p) = env_keys(env)? {
        return Ok(p);
    }
    let config = parse_ini(config.unwrap_or(""));
    let creds = parse_ini(creds.unwrap_or(""));
    let (profile, asked) = profile_name(env);
    match profile_provider(&profile, &config, &creds, env, &mut Vec::new())? {
        Some(p) => return Ok(p),
        None if asked => {
            return Err(format!(
                "AWS_PROFILE={profile}, but no such profile is in ~/.aws/config ([profile {profile}]) or ~/.aws/credentials ([{profile}]); fix the name or unset AWS_PROFILE"
            ))
        }
        None => {}
    }
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(token_file) = var("AWS_WEB_IDENTITY_TOKEN_FILE") {
        let Some(role_arn) = var("AWS_ROLE_ARN") else {
            return Err("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: IRSA sets both (check the ServiceAccount's eks.amazonaws.com/role-arn annotation)".into());
        };
        return Ok(Provider::WebIdentity {
            role_arn,
            token_file,
            session_name: var("AWS_ROLE_SESSION_NAME").unwrap_or_else(|| "akto-connect".into()),
        });
    }
    if let Some(p) = ecs(env)? {
        return Ok(p);
    }
    if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err("no AWS credentials: none in the environment, no profile in ~/.aws, no web identity token, no ECS container credentials, and instance metadata is off (AWS_EC2_METADATA_DISABLED=true); export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or set AWS_PROFILE".into());
    }
    Ok(imds(env))
}

/// Credentials from the JSON that ECS, IMDS and `credential_process` answer
/// (`AccessKeyId`, `SecretAccessKey`, `Token` or `SessionToken`).
pub fn from_json(text: &str, source: Source) -> Result<Credentials, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).filter(|x| !x.is_empty());
    match (s("AccessKeyId"), s("SecretAccessKey")) {
        (Some(id), Some(secret)) => Ok(Credentials {
            access_key_id: id.into(),
            secret_access_key: secret.into(),
            session_token: s("Token").or(s("SessionToken")).map(String::from),
            source,
        }),
        _ => Err(match s("Message").or(s("message")) {
            Some(m) => format!("no keys in the answer: {m}"),
            None => "no AccessKeyId and SecretAccessKey in the answer".into(),
        }),
    }
}

/// The text of the first `<tag>…</tag>` in `xml` (STS answers are small and flat).
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].trim())
}

/// Credentials from an STS `AssumeRole` or `AssumeRoleWithWebIdentity` answer.
pub fn from_sts_xml(xml: &str, source: Source) -> Result<Credentials, String> {
    let creds = xml_text(xml, "Credentials").ok_or("no <Credentials> in the STS answer")?;
    match (
        xml_text(creds, "AccessKeyId"),
        xml_text(creds, "SecretAccessKey"),
    ) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => Ok(Credentials {
            access_key_id: unescape(id),
            secret_access_key: unescape(secret),
            session_token: xml_text(creds, "SessionToken").map(unescape),
            source,
        }),
        _ => Err("no AccessKeyId and SecretAccessKey in the STS answer".into()),
    }
}

/// XML's five predefined entities.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_first() {
        let env = env_of(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "S"),
            ("AWS_PROFILE", "nope"),
        ]);
        let p = resolve(&env, None, None).unwrap();
        assert!(matches!(p, Provider::Static(c) if c.source == Source::Environment));
        let half = env_of(&[("AWS_ACCESS_KEY_ID", "AKID")]);
        assert!(resolve(&half, None, None)
            .unwrap_err()
            .contains("AWS_SECRET_ACCESS_KEY"));
    }

    #[test]
    fn profiles_assume_roles_from_source_profiles() {
        let config = "[profile akto]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\nexternal_id = x\n[default]\nregion = eu-west-1\n";
        let creds = "[base]\naws_access_key_id = AKID\naws_secret_access_key = S\n";
        let env = env_of(&[("AWS_PROFILE", "akto")]);
        match resolve(&env, Some(config), Some(creds)).unwrap() {
            Provider::AssumeRole {
                role_arn,
                external_id,
                source,
                ..
            } => {
                assert_eq!(role_arn, "arn:aws:iam::123456789012:role/r");
                assert_eq!(external_id.as_deref(), Some("x"));
                assert!(
                    matches!(*source, Provider::Static(c) if c.source == Source::Profile("base".into()))
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            profile_region("default", &parse_ini(config)).as_deref(),
            Some("eu-west-1")
        );
        let looped = "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = a\n";
        let env = env_of(&[("AWS_PROFILE", "a")]);
        assert!(resolve(&env, Some(looped), None)
            .unwrap_err()
            .contains("loops"));
        let env = env_of(&[("AWS_PROFILE", "missing")]);
        assert!(resolve(&env, Some(config), Some(creds))
            .unwrap_err()
            .contains("no such profile"));
    }

    #[test]
    fn web_identity_ecs_and_imds() {
        let env = env_of(&[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"),
        ]);
        assert!(matches!(
            resolve(&env, None, None).unwrap(),
            Provider::WebIdentity { .. }
        ));
        let env = env_of(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds")]);
        assert_eq!(
            resolve(&env, None, None).unwrap(),
            Provider::Ecs {
                url: "http://169.254.170.2/v2/creds".into(),
                token: None
            }
        );
        let env = env_of(&[(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://evil.example.com/c",
        )]);
        assert!(resolve(&env, None, None).is_err());
        let env = env_of(&[]);
        assert_eq!(
            resolve(&env, None, None).unwrap(),
            Provider::Imds {
                endpoint: "http://169.254.169.254".into()
            }
        );
        let env = env_of(&[("AWS_EC2_METADATA_DISABLED", "true")]);
        assert!(resolve(&env, None, None).is_err());
    }

    #[test]
    fn answers() {
        let xml = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s&amp;t</SecretAccessKey><SessionToken>tok</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let c = from_sts_xml(xml, Source::Ecs).unwrap();
        assert_eq!(c.secret_access_key, "s&t");
        assert_eq!(c.session_token.as_deref(), Some("tok"));
        let c = from_json(
            r#"{"AccessKeyId":"A","SecretAccessKey":"B","Token":"C"}"#,
            Source::Ecs,
        )
        .unwrap();
        assert_eq!(c.session_token.as_deref(), Some("C"));
        assert!(!format!("{c:?}").contains('B'));
    }
}
