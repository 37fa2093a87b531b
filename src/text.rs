//! User text that lands in a generated artifact: the one check every generator runs on a
//! free-form value (a path, an image reference, a URL) before it is placed, so a refusal names
//! the flag instead of surfacing as a failed self-check.
//!
//! A value is one line: nothing any reader of our formats takes as a line break (YAML breaks a
//! line at U+0085, U+2028 and U+2029 as well as CR and LF, and a comment ends there), no other
//! control character, no Unicode noncharacter (YAML and XML refuse U+FFFE and U+FFFF), no
//! byte-order mark, no bidirectional override (it makes a reviewer read something other than
//! what the file says), and a bounded length.
//!
//! Not for: a value's own syntax (a URL, a Kubernetes name); the models check that, after this.

use crate::error::refuse;

/// The longest path we place in an artifact (Linux's PATH_MAX).
pub const MAX_PATH: usize = 4096;

/// Why `c` cannot be carried in a one-line value, or `None` when it can.
pub fn problem_char(c: char) -> Option<&'static str> {
    let n = c as u32;
    Some(match c {
        '\n' | '\r' => "a line break",
        '\u{85}' => "NEXT LINE, which YAML reads as a line break",
        '\u{2028}' => "LINE SEPARATOR, which YAML reads as a line break",
        '\u{2029}' => "PARAGRAPH SEPARATOR, which YAML reads as a line break",
        '\u{feff}' => "a byte-order mark, which YAML and XML readers drop or refuse",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            "a bidirectional override, which makes the file read differently from what it says"
        }
        c if c.is_control() => "a control character",
        _ if (0xfdd0..=0xfdef).contains(&n) || n & 0xfffe == 0xfffe => {
            "a Unicode noncharacter, which YAML and XML refuse"
        }
        _ => return None,
    })
}

/// Checks a one-line value given as `input` (a flag such as `--env-file`): not empty, at most
/// `max_chars` characters, and no character of [`problem_char`]. `help` says what to give.
pub fn check_line(input: &str, value: &str, max_chars: usize, help: &str) -> anyhow::Result<()> {
    if value.is_empty() {
        return Err(refuse(input, value, "the value is empty", help));
    }
    if let Some((i, c, why)) = value
        .chars()
        .enumerate()
        .find_map(|(i, c)| problem_char(c).map(|why| (i, c, why)))
    {
        return Err(refuse(
            input,
            value,
            &format!(
                "character {} at position {} is {why}; it cannot go into the generated file",
                code_point(c),
                i + 1
            ),
            &format!("remove it; {help}"),
        ));
    }
    let len = value.chars().count();
    if len > max_chars {
        return Err(refuse(
            input,
            &shorten(value),
            &format!("{len} characters is too long (at most {max_chars})"),
            help,
        ));
    }
    Ok(())
}

/// `U+2028` for a character.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// The start of a long value, for a message that should not repeat 100,000 characters.
pub fn shorten(value: &str) -> String {
    const KEEP: usize = 200;
    match value.char_indices().nth(KEEP) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
