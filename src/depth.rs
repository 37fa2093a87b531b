//! How deep a YAML or JSON text nests, measured in one linear pass before any parser sees it.
//!
//! The YAML parser takes time quadratic in the nesting of its input (a 200 KB `x: [[[…]]]`
//! took over 30 s before it failed on its own recursion limit), so every command that parses
//! user YAML or JSON runs [`check`] first and refuses a text nested deeper than [`MAX_DEPTH`].
//! No Compose file, decK file, Kubernetes resource or OpenAPI definition comes near it.
//!
//! The scan is an upper-bound estimate, not a parser: flow collections (`[`, `{`) outside
//! quoted scalars and comments, block nesting by indentation (a stack of the indentations of
//! the open lines), and the `- ` / `? ` indicators that open a block level on one line. Block
//! scalars (`|`, `>`) are skipped. It is linear in the text's length.
//!
//! A leaf: pure, imports nothing of the crate.

/// The deepest nesting accepted (the YAML parser's own limit is 128).
pub const MAX_DEPTH: usize = 100;

/// The most collections (mappings and sequences) a configuration file may hold: a parsed YAML
/// value takes about 500 bytes a collection, so this bounds the parse near 150 MB. A decK
/// state of 20,000 routes holds about 200,000.
pub const MAX_COLLECTIONS: usize = 300_000;

/// `Err` with a message saying how deep `text` nests and where, when it nests deeper than
/// [`MAX_DEPTH`]. For JSON too: JSON is YAML's flow style.
pub fn check(text: &str) -> Result<(), String> {
    match scan(text, MAX_DEPTH).0 {
        Some(line) => Err(format!(
            "nested more than {MAX_DEPTH} levels deep (line {line}); no Compose, decK, Kubernetes or OpenAPI file nests that deep"
        )),
        None => Ok(()),
    }
}

/// [`check`], and at most [`MAX_COLLECTIONS`] collections: for a configuration file (a decK
/// state, a Compose file) that is parsed whole into memory.
pub fn check_config(text: &str) -> Result<(), String> {
    let (deep, collections) = scan(text, MAX_DEPTH);
    if let Some(line) = deep {
        return Err(format!(
            "nested more than {MAX_DEPTH} levels deep (line {line}); no Compose, decK, Kubernetes or OpenAPI file nests that deep"
        ));
    }
    if collections > MAX_COLLECTIONS {
        return Err(format!(
            "more than {MAX_COLLECTIONS} mappings and lists ({collections}); give the file that holds the Kong or Compose configuration alone"
        ));
    }
    Ok(())
}

/// The 1-based line where the nesting first exceeds `max`, if it does.
pub fn deepest(text: &str, max: usize) -> Option<usize> {
    scan(text, max).0
}

/// The line where the nesting first exceeds `max` (the scan stops there), and an upper bound
/// of the collections seen until then (every flow opening, every block line, every `- `).
fn scan(text: &str, max: usize) -> (Option<usize>, usize) {
    let mut collections = 0usize;
    let mut blocks: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.split('\n').enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let rest = line[indent..].trim_end_matches('\r');
        if let Some(parent) = block_scalar {
            if rest.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let mut i = indent;
        if quote.is_none() && flow == 0 {
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            while blocks.last().is_some_and(|&top| top >= indent) {
                blocks.pop();
            }
            blocks.push(indent);
            // `- - - x`: each indicator opens one more level on this line.
            let mut opened = 0;
            while i < bytes.len()
                && matches!(bytes[i], b'-' | b'?')
                && bytes.get(i + 1).is_none_or(|&b| b == b' ' || b == b'\t')
            {
                opened += 1;
                i += 2;
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
            }
            collections += 1 + opened;
            if blocks.len() + opened > max {
                return (Some(n + 1), collections);
            }
        }
        let mut prev = b' ';
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(b'"') => {
                    if b == b'\\' {
                        i += 1;
                    } else if b == b'"' {
                        quote = None;
                    }
                }
                Some(_) => {
                    if b == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            quote = None;
                        }
                    }
                }
                None => match b {
                    b'#' if prev == b' ' || prev == b'\t' => break,
                    b'"' | b'\'' if matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b':') => {
                        quote = Some(b)
                    }
                    b'[' | b'{' => {
                        flow += 1;
                        collections += 1;
                        if blocks.len() + flow > max {
                            return (Some(n + 1), collections);
                        }
                    }
                    b']' | b'}' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
            prev = b;
            i += 1;
        }
        if quote.is_none() && flow == 0 && opens_block_scalar(rest) {
            block_scalar = Some(indent);
        }
    }
    (None, collections)
}

/// Whether a line ends with a block scalar's header (`key: |`, `- >-`, `|2+`), comment aside.
fn opens_block_scalar(line: &str) -> bool {
    let code = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    };
    let last = code.trim_end().rsplit([' ', '\t']).next().unwrap_or("");
    let mut chars = last.chars();
    matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| matches!(c, '-' | '+' | '1'..='9'))
        && last.len() <= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_files_pass() {
        let compose = "services:\n  kong:\n    image: kong:3.9\n    environment:\n      - KONG_PLUGINS=bundled\n    command: [\"kong\", \"start\"]\n    labels: {a: '[not', b: \"{nor}\"}\n";
        assert_eq!(deepest(compose, 5), None);
        let scalar = "a: |\n  [[[[[[[[\n      {{{{{{\n          x\nb: 1\n";
        assert_eq!(deepest(scalar, 2), None);
        assert!(check("{\"openapi\": \"3.0.1\", \"paths\": {\"/a\": {\"get\": {}}}}").is_ok());
    }

    #[test]
    fn deep_flow_block_and_dashes_are_refused() {
        let flow = format!("x: {}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert_eq!(deepest(&flow, MAX_DEPTH), Some(1));
        assert!(check(&flow).unwrap_err().contains("nested more than 100"));
        let dashes = format!("{}x\n", "- ".repeat(150));
        assert_eq!(deepest(&dashes, MAX_DEPTH), Some(1));
        let block: String = (0..150)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert_eq!(deepest(&block, MAX_DEPTH), Some(MAX_DEPTH + 1));
        let json = format!("{}1{}", "[".repeat(101), "]".repeat(101));
        assert!(check(&json).is_err());
        let json = format!("{}1{}", "[".repeat(99), "]".repeat(99));
        assert!(check(&json).is_ok());
    }

    #[test]
    fn many_collections_are_refused_for_configuration_only() {
        let line = format!("- {}{}\n", "[".repeat(50), "]".repeat(50));
        let text = line.repeat(MAX_COLLECTIONS / 50 + 1);
        assert!(check(&text).is_ok());
        assert!(check_config(&text)
            .unwrap_err()
            .contains("more than 300000"));
        assert!(check_config("services:\n  kong:\n    image: kong\n").is_ok());
    }

    #[test]
    fn brackets_in_quotes_and_comments_do_not_count() {
        let text = format!(
            "a: \"{}\"\nb: '{}'\n# {}\n",
            "[".repeat(500),
            "{".repeat(500),
            "[".repeat(500)
        );
        assert_eq!(deepest(&text, 3), None);
    }
}
