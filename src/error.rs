//! Errors about what the user gave us: they name the input, the problem and the fix, and make
//! the process exit 2.

use std::fmt;

/// A value the user supplied that cannot be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// Where the value came from: a flag (`--ingest-url`), or `FILE:LINE`.
    pub input: String,
    /// The offending value, as given.
    pub value: String,
    pub problem: String,
    /// How to fix it.
    pub help: String,
}

impl InputError {
    pub fn new(
        input: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Self {
            input: input.into(),
            value: value.into(),
            problem: problem.into(),
            help: help.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} '{}': {}\n  help: {}",
            self.input,
            printable(&self.value),
            self.problem,
            self.help
        )
    }
}

/// `s` with control characters escaped (`\n`, `\u{1}`), so a message cannot corrupt the
/// terminal; everything else, backslashes included, is shown as typed.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

impl std::error::Error for InputError {}

/// An [`InputError`] as the `anyhow::Error` commands return.
pub fn refuse(input: &str, value: &str, problem: &str, help: &str) -> anyhow::Error {
    InputError::new(input, value, problem, help).into()
}

/// A path given on the command line that lands in a generated file: not empty, and no control
/// characters (a line break would end a YAML scalar or a comment).
pub fn check_path_arg(input: &str, value: &str, help: &str) -> anyhow::Result<()> {
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(refuse(
            input,
            value,
            "the path is empty or holds control characters",
            help,
        ));
    }
    Ok(())
}
