//! The .NET regular-expression dialect, as APIM evaluates `regexList` and `Regex` calls in
//! policy expressions: a parser that accepts and refuses exactly what .NET does (checked
//! against Microsoft's engine under Mono), and an analysis of backtracking risk.
//!
//! Not for: matching. Rust's regex crates cannot judge .NET syntax (they reject lookbehind,
//! balancing groups, class subtraction; they accept `(?P<n>…)` and `\pL`), so nothing here
//! uses them.

pub mod ast;
pub mod charset;
pub mod lookalike;
pub mod names;
pub mod parse;
pub mod redos;

pub use parse::{ErrorKind, ParseError};

/// A pattern .NET refuses, with positions in both encodings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPattern {
    pub kind: ErrorKind,
    /// .NET's offset: UTF-16 code units from the start of the pattern.
    pub utf16_offset: usize,
    /// The same place as a byte offset into the pattern's UTF-8 text.
    pub byte_offset: usize,
}

impl InvalidPattern {
    /// .NET's reason, as `new Regex(p)` reports it.
    pub fn message(&self) -> String {
        self.kind.message()
    }
}

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub root: ast::Node,
    /// UTF-16 offset → byte offset (one entry per code unit, plus the end).
    byte_at: Vec<usize>,
}

impl Pattern {
    /// The byte range of a UTF-16 span.
    pub fn byte_span(&self, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
        let at = |i: usize| {
            self.byte_at
                .get(i)
                .copied()
                .unwrap_or_else(|| self.byte_at.last().copied().unwrap_or(0))
        };
        at(span.start)..at(span.end)
    }
}

/// Parses `pattern` as .NET's `new Regex(pattern)` does.
pub fn parse(pattern: &str) -> Result<Pattern, InvalidPattern> {
    parse_with_options(pattern, 0)
}

/// Parses `pattern` as `new Regex(pattern, options)` does; `options` are `parse::OPT_*` bits.
pub fn parse_with_options(pattern: &str, options: u8) -> Result<Pattern, InvalidPattern> {
    let units: Vec<u16> = pattern.encode_utf16().collect();
    let mut byte_at = Vec::with_capacity(units.len() + 1);
    for (i, c) in pattern.char_indices() {
        for _ in 0..c.len_utf16() {
            byte_at.push(i);
        }
    }
    byte_at.push(pattern.len());
    match parse::parse_utf16(&units, options) {
        Ok(root) => Ok(Pattern { root, byte_at }),
        Err(e) => Err(InvalidPattern {
            byte_offset: byte_at.get(e.offset).copied().unwrap_or(pattern.len()),
            utf16_offset: e.offset,
            kind: e.kind,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(p: &str) -> (String, usize) {
        let e = parse(p).expect_err(p);
        (e.message(), e.utf16_offset)
    }

    #[test]
    fn accepts_dotnet_only_constructs() {
        for p in [
            r"(?<=/v)\d+",
            r"(?<open>\()(?<close-open>\))",
            r"\p{IsGreek}+",
            "x{1",
            r"[a-z-[aeiou]]",
            r"(?'n'a)\k'n'\k<n>",
            r"(?>a+)b",
            r"(?(1)a|b)(x)",
            r"(?i-m:a)(?#comment)",
            r"\G\Z\e\cA\101[\b]",
            "a{,3}",
            r"(?x) a # comment",
        ] {
            assert!(parse(p).is_ok(), "{p}: {:?}", parse(p).err());
        }
    }

    #[test]
    fn refuses_what_dotnet_refuses_at_its_offset() {
        assert_eq!(
            err("(?P<n>a)"),
            ("Unrecognized grouping construct.".into(), 3)
        );
        assert_eq!(
            err(r"\pL"),
            ("Incomplete \\p{X} character escape.".into(), 2)
        );
        assert_eq!(err("a++"), ("Nested quantifier +.".into(), 3));
        assert_eq!(err("[z-a]"), ("[x-y] range in reverse order.".into(), 4));
        assert_eq!(err("(a"), ("Not enough )'s.".into(), 2));
        assert_eq!(err("a)"), ("Too many )'s.".into(), 2));
        assert_eq!(err("*a"), ("Quantifier {x,y} following nothing.".into(), 1));
        assert_eq!(err(r"\q"), ("Unrecognized escape sequence \\q.".into(), 2));
        assert_eq!(
            err(r"\1"),
            ("Reference to undefined group number 1.".into(), 2)
        );
    }
}

#[cfg(test)]
mod depth_tests {
    /// The analysis recurses over the tree, about 4 KiB of stack per nested group; the tree is
    /// capped at `parse::MAX_TREE_DEPTH` groups, so 8 MiB (a main thread; lint workers get
    /// more) always suffices.
    #[test]
    fn deep_nesting_parses_and_analyses_without_overflow() {
        let run = || {
            for depth in [300, 999, 100_000] {
                let p = format!("{}a+{}$", "(".repeat(depth), ")+".repeat(depth));
                let parsed = super::parse(&p).expect("valid");
                let text: Vec<u16> = p.encode_utf16().collect();
                let risks = super::redos::analyze(&parsed.root, &text);
                // Below the cap the whole tree is analysed; beyond it, only what the cap keeps.
                if depth < super::parse::MAX_TREE_DEPTH {
                    assert!(!risks.is_empty(), "depth {depth}");
                }
            }
            // an unbalanced deep one is still refused
            assert!(super::parse(&"(".repeat(100_000)).is_err());
        };
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }
}
