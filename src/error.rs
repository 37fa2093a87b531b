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
            printable(&crate::text::shorten(&self.value)),
            self.problem,
            self.help
        )
    }
}

/// `s` with control characters (ANSI escapes included), line and paragraph separators,
/// noncharacters and bidirectional overrides escaped (`\n`, `\u{1b}`, `\u{2028}`), so a message
/// or a report line cannot corrupt the terminal or hide what it says; everything else,
/// backslashes included, is shown as typed.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                c.escape_debug().to_string()
            } else if crate::text::problem_char(c).is_some() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A multi-line message with every line made [`printable`]: line feeds stay, anything else
/// that could drive the terminal is escaped.
pub fn printable_lines(s: &str) -> String {
    s.split('\n').map(printable).collect::<Vec<_>>().join("\n")
}

impl std::error::Error for InputError {}

/// An [`InputError`] as the `anyhow::Error` commands return.
pub fn refuse(input: &str, value: &str, problem: &str, help: &str) -> anyhow::Error {
    InputError::new(input, value, problem, help).into()
}

/// A path given on the command line that lands in a generated file: one line of text that no
/// reader of the file takes apart (see [`crate::text::check_line`]), at most PATH_MAX long.
pub fn check_path_arg(input: &str, value: &str, help: &str) -> anyhow::Result<()> {
    crate::text::check_line(input, value, crate::text::MAX_PATH, help)
}
