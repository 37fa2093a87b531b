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

/// Checks a one-line value given as `input` (a flag such as `--env-file`): not empty, at most
/// `max_chars` characters, and no character of [`crate::text::problem_char`]. `help` says what to give.
pub fn check_line(input: &str, value: &str, max_chars: usize, help: &str) -> anyhow::Result<()> {
    if value.is_empty() {
        return Err(refuse(input, value, "the value is empty", help));
    }
    if let Some((i, c, why)) = value
        .chars()
        .enumerate()
        .find_map(|(i, c)| crate::text::problem_char(c).map(|why| (i, c, why)))
    {
        return Err(refuse(
            input,
            value,
            &format!(
                "character {} at position {} is {why}; it cannot go into the generated file",
                crate::text::code_point(c),
                i + 1
            ),
            &format!("remove it; {help}"),
        ));
    }
    let len = value.chars().count();
    if len > max_chars {
        return Err(refuse(
            input,
            &crate::text::shorten(value),
            &format!("{len} characters is too long (at most {max_chars})"),
            help,
        ));
    }
    Ok(())
}

/// A path given on the command line that lands in a generated file: one line of text that no
/// reader of the file takes apart (see [`check_line`]), at most PATH_MAX long.
pub fn check_path_arg(input: &str, value: &str, help: &str) -> anyhow::Result<()> {
    check_line(input, value, crate::text::MAX_PATH, help)
}

/// The JSON a command with `--format json` prints on standard output when it fails before its
/// report exists (exit 2): `{"version": 1, "ok": false, "error": "…"}`, the message as on
/// standard error.
pub fn json_failure(message: &str) -> String {
    let v = serde_json::json!({ "version": 1, "ok": false, "error": message });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::problem_char;

    #[test]
    fn line_breaks_of_every_reader_are_refused_with_the_flag() {
        for bad in [
            "a\nb",
            "a\rb",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a\u{fffe}",
            "a\u{ffff}",
            "a\u{1fffe}",
            "a\u{fdd0}",
            "\u{feff}a",
            "a\u{202e}b",
            "a\u{7f}",
            "a\u{1b}[31m",
        ] {
            let e = check_line("--env-file", bad, 100, "e.g. ./x.env").unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("--env-file '"), "{bad:?}: {msg}");
            assert!(msg.contains("U+"), "{bad:?}: {msg}");
            // The message shows the value escaped: nothing in it breaks a line or a terminal.
            let shown = msg.split("\n  help:").next().unwrap();
            assert!(
                !shown.chars().any(|c| problem_char(c).is_some()),
                "{bad:?}: {msg:?}"
            );
        }
        for good in [
            "./api-gateway-logging.env",
            "/srv/akto é/x#1: y.env",
            "a'b\"c",
        ] {
            assert!(check_line("--env-file", good, 100, "").is_ok(), "{good:?}");
        }
    }

    #[test]
    fn lengths_are_bounded_and_messages_short() {
        let long = "a".repeat(100_000);
        let msg = check_line("--image", &long, 512, "give an image")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("100000 characters"), "{msg}");
        assert!(msg.len() < 600, "{msg}");
        assert!(check_line("--image", "", 10, "x").is_err());
    }
}
