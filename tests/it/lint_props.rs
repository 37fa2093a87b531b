//! The reader and the linter never panic: on arbitrary text, and on mutations of the real
//! policies of the corpus (cut, duplicated, spliced).

use proptest::prelude::*;

use akto_connect::lint::{self, Config, Scope};

use crate::common::shared;

fn corpus() -> Vec<String> {
    let Some(dir) = shared("corpus/apim-snippets") else {
        return vec!["<policies><inbound><base /></inbound></policies>".to_string()];
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

fn lint_all_ways(text: &str) {
    for scope in [Scope::Unknown, Scope::Global, Scope::Fragment] {
        let findings = lint::lint_text(text, scope, &Config::default(), "x.xml");
        for f in &findings {
            assert!(f.span.start <= f.span.end && f.span.end <= text.len());
            assert!(text.is_char_boundary(f.span.start) && text.is_char_boundary(f.span.end));
        }
        let (fixed, _) = lint::fix::apply(text, &findings);
        let _ = lint::lint_text(&fixed, scope, &Config::default(), "x.xml");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(text in prop_oneof![
        any::<String>(),
        "[<>/=\"'@(){}!\\-\\[\\]&;a-z \n]{0,80}",
        "<policies>[<>/=\"'@(){}!\\-\\[\\]&;a-z \n]{0,80}",
    ]) {
        lint_all_ways(&text);
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let (text, findings) = lint::lint_bytes(&bytes, Scope::Unknown, &Config::default(), "x.xml");
        for f in &findings {
            prop_assert!(f.span.end <= text.len() && text.is_char_boundary(f.span.start));
        }
    }

    #[test]
    fn never_panics_on_mutated_corpus(
        pick in any::<prop::sample::Index>(),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
        op in 0..4u8,
        insert in "[<>\"'@(){}\\-&;/]{1,3}",
    ) {
        let files = corpus();
        let src = &files[pick.index(files.len())];
        let len = src.len().max(1);
        let (mut i, mut j) = (a.index(len), b.index(len));
        if i > j { std::mem::swap(&mut i, &mut j); }
        while !src.is_char_boundary(i) { i -= 1; }
        while !src.is_char_boundary(j) { j -= 1; }
        let mutated = match op {
            0 => format!("{}{}", &src[..i], &src[j..]),             // cut a range
            1 => format!("{}{}{}", &src[..j], &src[i..j], &src[j..]), // duplicate a range
            2 => format!("{}{insert}{}", &src[..i], &src[i..]),      // splice in markup
            _ => src[i..j].to_string(),                              // a slice of a policy
        };
        lint_all_ways(&mutated);
    }
}
