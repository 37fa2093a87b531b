//! The .NET regex parser and the backtracking analysis never panic, on arbitrary text and on
//! combinations of regex fragments.

use proptest::prelude::*;

use akto_connect::dotnet_regex::{self, redos};

fn check(p: &str) {
    match dotnet_regex::parse(p) {
        Ok(parsed) => {
            let units: Vec<u16> = p.encode_utf16().collect();
            for r in redos::analyze(&parsed.root, &units) {
                let span = parsed.byte_span(&r.span);
                assert!(
                    span.start <= span.end && span.end <= p.len(),
                    "{p:?}: {r:?}"
                );
                assert!(p.is_char_boundary(span.start) && p.is_char_boundary(span.end));
            }
        }
        Err(e) => {
            assert!(e.byte_offset <= p.len() && p.is_char_boundary(e.byte_offset));
            assert!(e.utf16_offset <= p.encode_utf16().count());
        }
    }
}

fn fragments() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(vec![
        "a", "b", ".", "\\d", "\\w", "\\", "[a-z]", "[^a]", "[", "]", "^", "$", "|", "(", ")",
        "(?:", "(?=", "(?<=", "(?<n>", "(?<n-m>", "(?i)", "(?x)", "*", "+", "?", "{2}", "{1,3}",
        "{", "}", "\\1", "\\k<n>", "(?(", "(?(n)", "#", " ", "\n", "\\p{L}", "\\p{", "\\x4", "\\c",
        "(?#c)", "-", "[a-[b]]", "é", "😀", "(?>",
    ]);
    prop::collection::vec(atom, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_fragments(p in fragments()) {
        check(&p);
    }

    #[test]
    fn never_panics_on_arbitrary_text(p in any::<String>()) {
        check(&p);
    }
}
