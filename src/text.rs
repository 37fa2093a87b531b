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

/// The candidate closest to a mistyped `word` (edit distance at most a third of its length,
/// and at least 1), for "did you mean …?" hints.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word: Vec<char> = word.chars().take(200).collect();
    let limit = (word.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "unknown rule `x`" with a "did you mean" when one is close, else every known id.
pub fn unknown_name(kind: &str, word: &str, known: &[&str]) -> String {
    match closest(word, known.iter().copied()) {
        Some(c) => format!("unknown {kind} `{word}`; did you mean `{c}`?"),
        None => format!("unknown {kind} `{word}`; known: {}", known.join(", ")),
    }
}

/// Levenshtein distance between `a` (as chars) and `b`, in O(len(a) × len(b)) with one row.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (up + 1).min(row[j] + 1).min(diag + usize::from(ca != cb));
            diag = up;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod closest_tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_rule_and_nonsense_finds_none() {
        let known = ["missing-base", "regex-invalid", "sensitive-trace"];
        assert_eq!(closest("missing-bse", known), Some("missing-base"));
        assert_eq!(closest("sensitve-trace", known), Some("sensitive-trace"));
        assert_eq!(closest("xyz", known), None);
        assert!(unknown_name("rule", "xyz", &known).contains("known: missing-base"));
        assert!(
            unknown_name("rule", "missing-bse", &known).contains("did you mean `missing-base`?")
        );
    }
}
