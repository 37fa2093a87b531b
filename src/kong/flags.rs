//! Which `kong enable` flags each format uses. A flag given for a format that does not use it
//! is a usage error (exit 2) naming the flag and the formats it applies to: silently ignoring
//! it would let a user believe, say, `--kong-version` shaped a curl script.
//!
//! One table, so the shared "flags per format" mechanism can take it over as it stands.

use super::Format;
use crate::error::refuse;

const PLUGIN_FORMATS: &[Format] = &[Format::Curl, Format::Deck, Format::Kic, Format::Helm];
const K8S: &[Format] = &[Format::Kic, Format::Helm];

/// Flag -> the formats that use it. Flags missing here (`--format`, `-o`) apply to all.
pub const FLAG_FORMATS: &[(&str, &[Format])] = &[
    ("--service-url", PLUGIN_FORMATS),
    ("--service", PLUGIN_FORMATS),
    ("--route", PLUGIN_FORMATS),
    ("--global", PLUGIN_FORMATS),
    ("--timeout", PLUGIN_FORMATS),
    ("--log-level", PLUGIN_FORMATS),
    ("--instance-name", PLUGIN_FORMATS),
    ("--kong-version", &[Format::Deck, Format::Kic, Format::Helm]),
    ("--admin-url", &[Format::Curl]),
    ("--namespace", K8S),
    ("--ingress-class", K8S),
    ("--kong-namespace", &[Format::Helm]),
    ("--kong-service", &[Format::Compose]),
    ("--plugin-dir", &[Format::Compose]),
    ("--plugins", &[Format::Compose]),
    ("--base-compose", &[Format::Compose]),
];

/// The formats `flag` applies to (all of them for a flag not in the table).
pub fn formats_of(flag: &str) -> &'static [Format] {
    FLAG_FORMATS
        .iter()
        .find(|(f, _)| *f == flag)
        .map_or(Format::ALL, |(_, formats)| formats)
}

/// Refuses the first flag in `given` that `format` does not use.
pub fn check_given(format: Format, given: &[(&str, String)]) -> anyhow::Result<()> {
    for (flag, value) in given {
        let formats = formats_of(flag);
        if !formats.contains(&format) {
            let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
            return Err(refuse(
                flag,
                value,
                &format!(
                    "--format {} does not use {flag}; it applies to --format {}",
                    format.name(),
                    names.join(", ")
                ),
                &format!("drop {flag}, or choose one of those formats"),
            ));
        }
    }
    Ok(())
}

/// Whether `format` writes the plugin's configuration (and so needs a scope and
/// `--service-url`); `compose` only installs the plugin files.
pub fn needs_plugin_config(format: Format) -> bool {
    PLUGIN_FORMATS.contains(&format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_real_flags_and_refuses_with_the_formats() {
        assert_eq!(formats_of("--output"), Format::ALL);
        let err = check_given(Format::Curl, &[("--kong-version", "3.4".into())])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--format curl does not use --kong-version"),
            "{err}"
        );
        assert!(err.contains("deck, kic, helm"), "{err}");
        assert!(check_given(Format::Compose, &[("--plugins", "bundled".into())]).is_ok());
        assert!(needs_plugin_config(Format::Deck) && !needs_plugin_config(Format::Compose));
    }
}
