//! User text that lands in a generated artifact: which characters a one-line free-form value
//! (a path, an image reference, a URL) may hold, and how to show a long one shortly. The
//! refusal built on it is `check_line` in the error module, which every generator runs before a
//! value is placed, so a refusal names the flag instead of surfacing as a failed self-check.
//!
//! A leaf: it imports nothing of the crate, so `error` can use it without a cycle.
//!
//! A value is one line: nothing any reader of our formats takes as a line break (YAML breaks a
//! line at U+0085, U+2028 and U+2029 as well as CR and LF, and a comment ends there), no other
//! control character, no Unicode noncharacter (YAML and XML refuse U+FFFE and U+FFFF), no
//! byte-order mark, no bidirectional override (it makes a reviewer read something other than
//! what the file says), and a bounded length.
//!
//! Not for: a value's own syntax (a URL, a Kubernetes name); the models check that, after this.

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
