//! The reader and the linter never panic: on arbitrary text, and on mutations of the real
//! policies of the corpus (cut, duplicated, spliced).

use proptest::prelude::*;

use akto_connect::lint::{self, Config, Scope};

use crate::common::{require_shared, test_file};

/// The `.xml` files of a folder, read, in name order.
fn xml_files(dir: &std::path::Path) -> Vec<String> {
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

/// The real policies of the shared corpus.
fn corpus() -> Vec<String> {
    xml_files(&require_shared("corpus/apim-snippets"))
}

/// The project's own lint fixtures, always here.
fn fixtures() -> Vec<String> {
    let root = test_file("fixtures/lint");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let files: Vec<String> = dirs.iter().flat_map(|d| xml_files(d)).collect();
    assert!(!files.is_empty(), "fixtures under {}", root.display());
    files
}

/// A policy cut, duplicated, spliced or sliced at `a`..`b`.
fn mutate(
    src: &str,
    a: prop::sample::Index,
    b: prop::sample::Index,
    op: u8,
    insert: &str,
) -> String {
    let len = src.len().max(1);
    let (mut i, mut j) = (a.index(len), b.index(len));
    if i > j {
        std::mem::swap(&mut i, &mut j);
    }
    while !src.is_char_boundary(i) {
        i -= 1;
    }
    while !src.is_char_boundary(j) {
        j -= 1;
    }
    match op {
        0 => format!("{}{}", &src[..i], &src[j..]), // cut a range
        1 => format!("{}{}{}", &src[..j], &src[i..j], &src[j..]), // duplicate a range
        2 => format!("{}{insert}{}", &src[..i], &src[i..]), // splice in markup
        _ => src[i..j].to_string(),                 // a slice of a policy
    }
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
    fn never_panics_on_mutated_fixtures(
        pick in any::<prop::sample::Index>(),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
        op in 0..4u8,
        insert in "[<>\"'@(){}\\-&;/]{1,3}",
    ) {
        let files = fixtures();
        lint_all_ways(&mutate(&files[pick.index(files.len())], a, b, op, &insert));
    }

    #[test]
    #[ignore = "needs ../shared"]
    fn never_panics_on_mutated_corpus(
        pick in any::<prop::sample::Index>(),
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
        op in 0..4u8,
        insert in "[<>\"'@(){}\\-&;/]{1,3}",
    ) {
        let files = corpus();
        lint_all_ways(&mutate(&files[pick.index(files.len())], a, b, op, &insert));
    }
}
