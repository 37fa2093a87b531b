//! Flags that apply to some output formats only. A flag given on the command line for a format
//! that would ignore it is a usage error (exit 2) naming the flag and the formats it applies
//! to, never silently dropped.
//!
//! One table for every command: a row says "in COMMAND, the flag FLAG means something only when
//! SELECTOR (usually `--format`) is one of APPLIES_TO". A flag with no row applies to every
//! format; the table-driven test in `tests/it/cli_contract.rs` holds each flag to that (it
//! must change the output for every format it is accepted with). Only values typed on the
//! command line count: a default or an environment variable is no user's statement.

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// One flag that applies to some values of a selector only.
#[derive(Debug, Clone, Copy)]
pub struct FormatOnly {
    /// The subcommand path, e.g. `["aws", "manifest"]`.
    pub command: &'static [&'static str],
    /// The clap id of the selector argument (`format`, `kind`).
    pub selector: &'static str,
    /// The clap id of the flag (the field name: `irsa_role_arn`).
    pub flag: &'static str,
    /// The selector values the flag applies to; `""` stands for the selector left out (an
    /// optional `--format` whose absence means "decide from the input").
    pub applies_to: &'static [&'static str],
}

const MANIFEST: &[&str] = &["aws", "manifest"];
const IAM: &[&str] = &["aws", "iam-policy"];
const APIM_POLICY: &[&str] = &["apim", "policy"];
const APIM_FRAGMENTS: &[&str] = &["apim", "fragments"];
const KONG_ENABLE: &[&str] = &["kong", "enable"];
/// The Kong formats that configure the plugin (compose only installs its files).
const KONG_PLUGIN: &[&str] = &["curl", "deck", "kic", "helm"];
const KONG_K8S: &[&str] = &["kic", "helm"];
const IAC: &[&str] = &["arm", "bicep", "terraform"];

/// Every format-specific flag. To add a command's flags (Kong's, say), add rows here.
pub const TABLE: &[FormatOnly] = &[
    // The fragments are the same with or without it: the on-error capture is in the policy
    // that includes them (`apim policy --with-fragments`, `--into`).
    FormatOnly {
        command: APIM_FRAGMENTS,
        selector: "format",
        flag: "no_on_error",
        applies_to: &[],
    },
    FormatOnly {
        command: MANIFEST,
        selector: "format",
        flag: "irsa_role_arn",
        applies_to: &["k8s"],
    },
    FormatOnly {
        command: MANIFEST,
        selector: "format",
        flag: "existing_secret",
        applies_to: &["k8s"],
    },
    FormatOnly {
        command: MANIFEST,
        selector: "format",
        flag: "namespace",
        applies_to: &["k8s"],
    },
    FormatOnly {
        command: MANIFEST,
        selector: "format",
        flag: "run_as_user",
        applies_to: &["k8s"],
    },
    FormatOnly {
        command: MANIFEST,
        selector: "format",
        flag: "env_file",
        applies_to: &["compose"],
    },
    FormatOnly {
        command: MANIFEST,
        selector: "format",
        flag: "watchtower",
        applies_to: &["compose"],
    },
    FormatOnly {
        command: IAM,
        selector: "kind",
        flag: "log_group",
        applies_to: &["permissions"],
    },
    FormatOnly {
        command: IAM,
        selector: "kind",
        flag: "no_openapi_discovery",
        applies_to: &["permissions"],
    },
    FormatOnly {
        command: IAM,
        selector: "kind",
        flag: "openapi_discovery",
        applies_to: &["permissions"],
    },
    FormatOnly {
        command: IAM,
        selector: "kind",
        flag: "connector",
        applies_to: &["permissions"],
    },
    FormatOnly {
        command: IAM,
        selector: "kind",
        flag: "member_account",
        applies_to: &["permissions"],
    },
    FormatOnly {
        command: IAM,
        selector: "kind",
        flag: "oidc_provider",
        applies_to: &["trust"],
    },
    FormatOnly {
        command: IAM,
        selector: "kind",
        flag: "service_account",
        applies_to: &["trust"],
    },
    FormatOnly {
        command: APIM_POLICY,
        selector: "format",
        flag: "apim_service",
        applies_to: IAC,
    },
    FormatOnly {
        command: APIM_POLICY,
        selector: "format",
        flag: "api_id",
        applies_to: IAC,
    },
    FormatOnly {
        command: APIM_POLICY,
        selector: "format",
        flag: "operation_id",
        applies_to: IAC,
    },
    FormatOnly {
        command: APIM_POLICY,
        selector: "format",
        flag: "product_id",
        applies_to: IAC,
    },
    FormatOnly {
        command: APIM_POLICY,
        selector: "format",
        flag: "in_place",
        applies_to: &["rawxml", "xml", ""],
    },
    FormatOnly {
        command: APIM_FRAGMENTS,
        selector: "format",
        flag: "apim_service",
        applies_to: IAC,
    },
    FormatOnly {
        command: APIM_FRAGMENTS,
        selector: "format",
        flag: "apiops",
        applies_to: &["rawxml", "xml"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "service_url",
        applies_to: KONG_PLUGIN,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "service",
        applies_to: KONG_PLUGIN,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "route",
        applies_to: KONG_PLUGIN,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "global",
        applies_to: KONG_PLUGIN,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "timeout",
        applies_to: KONG_PLUGIN,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "log_level",
        applies_to: KONG_PLUGIN,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "instance_name",
        applies_to: KONG_PLUGIN,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "kong_version",
        applies_to: &["deck", "kic", "helm"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "admin_url",
        applies_to: &["curl"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "workspace",
        applies_to: &["curl", "deck"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "deck_lookup_tag",
        applies_to: &["deck"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "namespace",
        applies_to: KONG_K8S,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "ingress_class",
        applies_to: KONG_K8S,
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "kong_namespace",
        applies_to: &["helm"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "kong_service",
        applies_to: &["compose"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "plugin_dir",
        applies_to: &["compose", "helm"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "plugins",
        applies_to: &["compose"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "base_compose",
        applies_to: &["compose"],
    },
    FormatOnly {
        command: KONG_ENABLE,
        selector: "format",
        flag: "base_values",
        applies_to: &["helm"],
    },
];

/// `lint --format`: the values are the report formats' registry, each with its own help line.
impl clap::ValueEnum for crate::report::Format {
    fn value_variants<'a>() -> &'a [Self] {
        crate::report::FORMATS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name).help(self.help))
    }
}

/// The rows of one command (`["aws", "manifest"]`).
pub fn rows_for<'a>(command: &'a [&'a str]) -> impl Iterator<Item = &'static FormatOnly> + 'a {
    TABLE.iter().filter(move |r| r.command == command)
}

/// Checks parsed arguments against [`TABLE`]; `cmd` is the built top-level command, used to
/// render the error like clap's own usage errors.
pub fn check(cmd: &mut Command, matches: &ArgMatches) -> Result<(), clap::Error> {
    let mut path: Vec<&str> = Vec::new();
    let mut m = matches;
    while let Some((name, sub)) = m.subcommand() {
        path.push(name);
        m = sub;
    }
    for row in rows_for(&path) {
        if m.value_source(row.flag) != Some(ValueSource::CommandLine) {
            continue;
        }
        // A selector left out (an optional --format) chooses none of the listed values.
        let chosen = m
            .get_raw(row.selector)
            .and_then(|mut v| v.next())
            .map(|v| v.to_string_lossy().into_owned());
        if row.applies_to.contains(&chosen.as_deref().unwrap_or("")) {
            continue;
        }
        let sub = path
            .iter()
            .try_fold(&mut *cmd, |c, name| c.find_subcommand_mut(name));
        let Some(sub) = sub else { continue };
        let flag = long_of(sub, row.flag);
        let selector = long_of(sub, row.selector);
        let formats: Vec<String> = row
            .applies_to
            .iter()
            .filter(|f| !f.is_empty())
            .map(|f| format!("{selector} {f}"))
            .collect();
        let not = match &chosen {
            Some(c) => format!("not to {selector} {c}"),
            None => format!("and {selector} is not given"),
        };
        let msg = if formats.is_empty() {
            // A flag shared by several commands (a flattened group) that one of them ignores.
            format!(
                "{flag} applies to other commands only, not to `akto-connect {}`: leave it out",
                path.join(" ")
            )
        } else {
            format!(
                "{flag} applies to {} only, {not}: leave it out, or choose {}",
                formats.join(" or "),
                formats.join(" or ")
            )
        };
        return Err(sub.error(clap::error::ErrorKind::ArgumentConflict, msg));
    }
    Ok(())
}

/// `--long-name` of the argument with clap id `id`.
fn long_of(cmd: &Command, id: &str) -> String {
    cmd.get_arguments()
        .find(|a| a.get_id() == id)
        .and_then(|a| a.get_long())
        .map_or_else(|| id.to_string(), |l| format!("--{l}"))
}
