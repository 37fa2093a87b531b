//! Valid .NET that almost surely means something else: syntax from another regex dialect that
//! .NET reads as literal characters.

use std::ops::Range;

/// A look-alike: byte range in the pattern, what it means in .NET, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
}

/// Finds look-alikes in a pattern that .NET accepts.
pub fn find(pattern: &str) -> Vec<LookAlike> {
    let b = pattern.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut class_start: Option<usize> = None;
    while i < b.len() {
        match (b[i], class_start) {
            (b'\\', None) => {
                let next = b.get(i + 1).copied();
                if matches!(next, Some(b'<' | b'>')) {
                    out.push(LookAlike {
                        span: i..i + 2,
                        message: format!(
                            "`\\{}` is a word boundary in GNU and Vim regexes; .NET matches a literal `{}`",
                            next.unwrap_or(b'<') as char,
                            next.unwrap_or(b'<') as char
                        ),
                        help: "use `\\b` for a word boundary".into(),
                    });
                } else if next == Some(b'b') && b.get(i + 2) == Some(&b'{') {
                    let end = pattern[i..].find('}').map_or(b.len(), |e| i + e + 1);
                    out.push(LookAlike {
                        span: i..end,
                        message: format!(
                            "`{}` is a boundary type in Perl and ICU; .NET reads `\\b` followed by the literal text `{}`",
                            &pattern[i..end],
                            &pattern[i + 2..end]
                        ),
                        help: "use `\\b`, or lookarounds such as `(?<!\\w)(?=\\w)` for a word start".into(),
                    });
                }
                i += 2;
                continue;
            }
            (b'\\', Some(_)) => {
                i += 2;
                continue;
            }
            (b'[', None) => {
                class_start = Some(i);
                // `[]…]` and `[^]…]`: a first `]` is a literal.
                let mut j = i + 1;
                if b.get(j) == Some(&b'^') {
                    j += 1;
                }
                if b.get(j) == Some(&b']') {
                    j += 1;
                }
                i = j;
                continue;
            }
            (b'[', Some(_)) if b.get(i + 1) == Some(&b':') => {
                if let Some(end) = pattern[i + 2..].find(":]").map(|e| i + 2 + e + 2) {
                    let name = &pattern[i + 2..end - 2];
                    if !name.is_empty() && name.bytes().all(|c| c.is_ascii_lowercase()) {
                        out.push(LookAlike {
                            span: i..end,
                            message: format!(
                                "`[:{name}:]` is a POSIX class; .NET has none and matches the characters `[`, `:`, `{name}` one by one"
                            ),
                            help: posix_help(name).into(),
                        });
                        i = end;
                        continue;
                    }
                }
            }
            (b'&', Some(_)) if b.get(i + 1) == Some(&b'&') => {
                out.push(LookAlike {
                    span: i..i + 2,
                    message: "`&&` is class intersection in Java and ICU; in .NET it matches `&`"
                        .into(),
                    help: "use .NET class subtraction, e.g. `[a-z-[aeiou]]`".into(),
                });
                i += 2;
                continue;
            }
            (b']', Some(start)) if i > start => class_start = None,
            _ => {}
        }
        i += 1;
    }
    out
}

fn posix_help(name: &str) -> &'static str {
    match name {
        "alpha" => "use `\\p{L}` (letters) or `a-zA-Z` inside the class",
        "digit" => "use `\\d` or `0-9`",
        "alnum" => "use `\\p{L}\\p{Nd}` or `a-zA-Z0-9`",
        "space" => "use `\\s`",
        "upper" => "use `\\p{Lu}` or `A-Z`",
        "lower" => "use `\\p{Ll}` or `a-z`",
        "punct" => "use `\\p{P}`",
        "xdigit" => "use `0-9a-fA-F`",
        "word" => "use `\\w`",
        _ => "use a .NET class such as `\\w`, `\\d`, `\\s` or `\\p{…}`",
    }
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn finds_other_dialects() {
        let spans = |p: &str| {
            find(p)
                .into_iter()
                .map(|l| p[l.span].to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(spans("[[:alpha:]]+"), ["[:alpha:]"]);
        assert_eq!(spans("[a-z&&[^aeiou]]"), ["&&"]);
        assert_eq!(spans(r"\<word\>"), [r"\<", r"\>"]);
        assert_eq!(spans(r"\b{start}x"), [r"\b{start}"]);
        // escaped or literal uses are fine
        assert!(find(r"\[[:]a&b\\<").is_empty());
        assert!(find(r"[\&&]").len() <= 1);
        assert!(find(r"^/api/[a-z]+$").is_empty());
    }
}
