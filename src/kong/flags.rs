//! What each `kong enable` format does with the plugin. Which flags each format takes is in
//! the one table of format-specific flags, `cli/format_flags.rs`: a flag given for a format
//! that ignores it is refused there (exit 2) before anything runs.

use super::Format;

const PLUGIN_FORMATS: &[Format] = &[Format::Curl, Format::Deck, Format::Kic, Format::Helm];

/// Whether `format` writes the plugin's configuration (and so needs a scope and
/// `--service-url`); `compose` only installs the plugin files.
pub fn needs_plugin_config(format: Format) -> bool {
    PLUGIN_FORMATS.contains(&format)
}
