//! `akto-connect aws …`.

use std::process::ExitCode;

use crate::aws::{
    self, Connector, Credentials, LogSettingsFormat, ManifestFormat, Region, V2Settings,
};
use crate::cli::aws::{
    AwsCommand, ConnectorArg, LogFormatArg, ManifestArgs, ManifestFormatArg, PolicyKind,
};
use crate::error::InputError;
use crate::output::{self, Destination};

pub fn run(cmd: &AwsCommand) -> anyhow::Result<ExitCode> {
    let (artifact, path) = match cmd {
        AwsCommand::Manifest(a) => {
            let credentials = match (&a.irsa_role_arn, a.static_keys) {
                (Some(arn), _) => Credentials::Irsa(aws::parse_role_arn("--irsa-role-arn", arn)?),
                (None, true) => Credentials::StaticKeys,
                (None, false) => Credentials::DefaultChain,
            };
            let v2 = a.connector == ConnectorArg::V2;
            let log_groups = match (&a.log_group, v2) {
                (Some(g), false) => aws::parse_log_groups("--log-group", g)?,
                (None, false) => anyhow::bail!(
                    "--log-group is required with --connector v1 (the default): give the log group(s) the connector reads, \
                     e.g. --log-group 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod', or choose --connector v2, which discovers them"
                ),
                (Some(g), true) => {
                    return Err(InputError::new(
                        "--log-group",
                        g,
                        "the v2 connector ignores LOG_GROUP_NAME: it discovers the API-Gateway-Execution-Logs_* groups of the account's REST APIs itself",
                        "leave --log-group out (narrow the groups with --log-group-prefix), or choose --connector v1",
                    )
                    .into())
                }
                (None, true) => Vec::new(),
            };
            let settings = v2_settings(a, v2)?;
            let image = match (&a.image, v2) {
                (Some(i), _) => i.clone(),
                (None, false) => aws::DEFAULT_IMAGE.to_string(),
                (None, true) => anyhow::bail!(
                    "--image is required with --connector v2: give the log reader v2 image reference Akto gives you \
                     (Akto publishes no tag for it that akto-connect can confirm; the default {} is the v1 connector)",
                    aws::DEFAULT_IMAGE
                ),
            };
            let c = Connector {
                v2: settings,
                log_groups,
                region: Region::parse("--region", &a.region)?,
                kafka_broker: aws::parse_broker("--kafka-broker", &a.kafka_broker)?,
                batch_size: a.batch_size,
                batch_time_secs: a.batch_time_secs,
                bytes_in_threshold: a.bytes_in_threshold,
                cloudwatch_read_batch_size: a.cloudwatch_read_batch_size,
                openapi_discovery: a.discovery.enabled(),
                openapi_interval_minutes: a.openapi_interval_minutes,
                image,
                namespace: aws::parse_k8s_name("--namespace", &a.namespace)?,
                name: aws::parse_k8s_name("--name", &a.name)?,
                credentials,
                existing_secret: a
                    .existing_secret
                    .as_deref()
                    .map(|s| aws::parse_k8s_name("--existing-secret", s))
                    .transpose()?,
                run_as_user: a.run_as_user,
                env_file: a.env_file.clone(),
                watchtower: a.watchtower,
            };
            let format = match a.format {
                ManifestFormatArg::K8s => ManifestFormat::K8s,
                ManifestFormatArg::Compose => ManifestFormat::Compose,
            };
            (aws::manifest(&c, format)?, &a.output)
        }
        AwsCommand::EnvFile(a) => (
            aws::env_file(a.static_keys, a.connector == ConnectorArg::V2)?,
            &a.output,
        ),
        AwsCommand::IamPolicy(a) => {
            let region = Region::parse("--region", &a.region)?;
            let account = aws::parse_account("--account-id", &a.account_id)?;
            let artifact = match a.kind {
                PolicyKind::Permissions if a.connector == crate::cli::aws::ConnectorArg::V2 => {
                    let members: Vec<String> = a
                        .member_account
                        .iter()
                        .map(|m| aws::parse_account("--member-account", m))
                        .collect::<anyhow::Result<_>>()?;
                    let spec = aws::iam::PolicySpec {
                        generation: aws::iam::Generation::V2,
                        region: &region,
                        account: &account,
                        log_groups: &[],
                        openapi_discovery: a.discovery.enabled(),
                        member_accounts: &members,
                    };
                    aws::pretty("akto-connector-policy.json", &aws::iam::permissions(&spec))
                }
                PolicyKind::Permissions => {
                    if !a.member_account.is_empty() {
                        return Err(InputError::new(
                            "--member-account",
                            &a.member_account[0],
                            "cross-account mode is a feature of the newer connector only",
                            "add --connector v2",
                        )
                        .into());
                    }
                    let Some(log_group) = a.log_group.as_deref() else {
                        anyhow::bail!(
                            "--log-group is required for the permissions policy (--kind permissions, the default): \
                             give the log group(s) the connector reads, e.g. --log-group 'API-Gateway-Execution-Logs_a1b2c3d4e5/prod' \
                             (the same value as for `aws manifest`)"
                        );
                    };
                    let groups = aws::parse_log_groups("--log-group", log_group)?;
                    aws::iam_policy(&groups, &region, &account, a.discovery.enabled())
                }
                PolicyKind::Trust => {
                    let provider = aws::parse_oidc_provider(
                        "--oidc-provider",
                        a.oidc_provider.as_deref().unwrap_or(""),
                    )?;
                    let sa = a.service_account.as_deref().unwrap_or("");
                    let Some((ns, name)) = sa.split_once('/') else {
                        return Err(InputError::new(
                            "--service-account",
                            sa,
                            "give it as NAMESPACE/NAME",
                            "e.g. akto/api-gateway-logging",
                        )
                        .into());
                    };
                    let ns = aws::parse_k8s_name("--service-account", ns)?;
                    let name = aws::parse_k8s_name("--service-account", name)?;
                    aws::trust_policy(&region, &account, &provider, &ns, &name)
                }
            };
            (artifact, &a.output)
        }
        AwsCommand::Verify(a) => return super::aws_verify::run(a),
        AwsCommand::MemberRole(a) => {
            let arn = aws::parse_role_arn("--connector-role-arn", &a.connector_role_arn)?;
            let artifact = aws::pretty(
                "akto-member-role.json",
                &aws::iam::member_role_cloudformation(&arn),
            );
            (artifact, &a.output)
        }
        AwsCommand::LogSettings(a) => {
            let id = aws::parse_rest_api_id("--rest-api-id", &a.rest_api_id)?;
            let stage = aws::parse_stage("--stage", &a.stage)?;
            let region = Region::parse("--region", &a.region)?;
            let format = match a.format {
                LogFormatArg::Cli => LogSettingsFormat::Cli,
                LogFormatArg::Cloudformation => LogSettingsFormat::CloudFormation,
            };
            let options = aws::LogSettingsOptions {
                cloudwatch_role_arn: a
                    .cloudwatch_role_arn
                    .as_deref()
                    .map(|r| aws::parse_role_arn("--cloudwatch-role-arn", r))
                    .transpose()?,
                delivery_log_group: match a.large_events_log_group.as_deref() {
                    None => None,
                    Some(g) => {
                        let groups = aws::parse_log_groups("--large-events-log-group", g)?;
                        if groups.len() != 1 {
                            return Err(InputError::new(
                                "--large-events-log-group",
                                g,
                                "one log group receives the delivery",
                                "give a single name, e.g. /akto/api-gateway/execution-logs",
                            )
                            .into());
                        }
                        groups.into_iter().next()
                    }
                },
            };
            (
                aws::log_settings(&id, &stage, &region, format, &options)?,
                &a.output,
            )
        }
    };
    output::deliver(&[artifact], Destination::file_or_stdout(path.as_deref()))?;
    Ok(ExitCode::SUCCESS)
}

/// The v2 connector's settings from `--connector v2`'s flags; with v1 each is refused.
fn v2_settings(a: &ManifestArgs, v2: bool) -> anyhow::Result<Option<V2Settings>> {
    let f = &a.v2;
    if !v2 {
        let given: [(&str, Option<String>); 6] = [
            ("--member-account", f.member_account.first().cloned()),
            ("--cyborg-base-url", f.cyborg_base_url.clone()),
            (
                "--account-mapping-refresh-minutes",
                f.account_mapping_refresh_minutes.map(|m| m.to_string()),
            ),
            (
                "--ticker-interval-minutes",
                f.ticker_interval_minutes.map(|m| m.to_string()),
            ),
            ("--log-group-prefix", f.log_group_prefix.clone()),
            ("--session-name", f.session_name.clone()),
        ];
        if let Some((flag, value)) = given.into_iter().find_map(|(k, v)| v.map(|v| (k, v))) {
            return Err(InputError::new(
                flag,
                value,
                "only the v2 connector reads this; the v1 connector (the default) ignores it",
                "add --connector v2 (and its --image), or leave it out",
            )
            .into());
        }
        return Ok(None);
    }
    Ok(Some(V2Settings {
        member_accounts: f
            .member_account
            .iter()
            .map(|m| aws::parse_account("--member-account", m))
            .collect::<anyhow::Result<_>>()?,
        cyborg_base_url: match &f.cyborg_base_url {
            Some(u) => aws::parse_cyborg_url("--cyborg-base-url", u)?,
            None => aws::V2_CYBORG_BASE_URL.to_string(),
        },
        account_mapping_refresh_minutes: f
            .account_mapping_refresh_minutes
            .unwrap_or(aws::V2_ACCOUNT_MAPPING_REFRESH_MINUTES),
        ticker_interval_minutes: f
            .ticker_interval_minutes
            .unwrap_or(aws::V2_TICKER_INTERVAL_MINUTES),
        log_group_prefix: match &f.log_group_prefix {
            Some(p) => aws::parse_log_group_prefix("--log-group-prefix", p)?,
            None => aws::V2_LOG_GROUP_PREFIX.to_string(),
        },
        session_name: match &f.session_name {
            Some(n) => aws::parse_session_name("--session-name", n)?,
            None => aws::V2_SESSION_NAME.to_string(),
        },
    }))
}
