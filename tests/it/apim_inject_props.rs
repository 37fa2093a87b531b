//! Property tests for `--into`: on policies of any indentation, line ending and section layout,
//! the capture is added with inserted lines only, is recognised, a second run changes nothing,
//! and a capture made with other options is replaced in place.

use proptest::prelude::*;

use akto_connect::apim::capture::{self, FragmentIds, PolicyFormat, Steps};
use akto_connect::apim::capture_detect;
use akto_connect::apim::inject::inject;
use akto_connect::apim::tree;

use crate::apim_estate::assert_only_inserted;
use crate::common::options;

const CHILDREN: [&str; 6] = [
    "<base />",
    "<rate-limit calls=\"5\" renewal-period=\"60\" />",
    "<!-- keep me -->",
    "<set-header name=\"h\" exists-action=\"override\"><value>@(context.Request.Headers.GetValueOrDefault(\"a\", \"<b>\"))</value></set-header>",
    "<set-variable name=\"regexList\" value=\"mine\" />",
    "<forward-request />",
];

fn steps(patterns: &[&str], fragments: bool) -> Steps {
    let mut o = options(
        "https://ingest.example.com",
        patterns,
        None,
        PolicyFormat::RawXml,
    );
    if fragments {
        o.fragments = Some(FragmentIds::with_prefix("--fragment-prefix", "akto").unwrap());
    }
    capture::steps(&o).unwrap().0
}

fn policy(eol: &str, unit: &str, sections: &[(usize, Option<Vec<usize>>)]) -> String {
    let names = ["inbound", "backend", "outbound", "on-error"];
    let mut s = format!("<policies>{eol}");
    for (section, children) in sections {
        let name = names[*section];
        match children {
            None => s.push_str(&format!("{unit}<{name} />{eol}")),
            Some(children) => {
                s.push_str(&format!("{unit}<{name}>{eol}"));
                for c in children {
                    s.push_str(&format!("{unit}{unit}{}{eol}", CHILDREN[*c]));
                }
                s.push_str(&format!("{unit}</{name}>{eol}"));
            }
        }
    }
    s.push_str(&format!("</policies>{eol}"));
    s
}

fn layout() -> impl Strategy<Value = Vec<(usize, Option<Vec<usize>>)>> {
    proptest::sample::subsequence(vec![0usize, 1, 2, 3], 0..=4).prop_flat_map(|sections| {
        let n = sections.len();
        (
            Just(sections),
            proptest::collection::vec(
                proptest::option::weighted(0.85, proptest::collection::vec(0usize..6, 0..4)),
                n,
            ),
        )
            .prop_map(|(s, c)| s.into_iter().zip(c).collect())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn into_inserts_only_and_is_idempotent(
        crlf in any::<bool>(),
        unit in prop::sample::select(vec!["  ", "    ", "\t"]),
        sections in layout(),
        fragments in any::<bool>(),
        with_base in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let orig = policy(eol, unit, &sections);
        let st = steps(&[], fragments);
        let first = inject(&orig, &st, with_base).unwrap().text;
        assert_only_inserted("generated", &orig, &first);
        let doc = tree::read(&first).unwrap();
        prop_assert!(capture_detect::detect(&doc, &first).is_complete());
        if crlf {
            prop_assert!(!first.replace("\r\n", "").contains('\n'));
        }
        let again = inject(&first, &st, with_base).unwrap();
        prop_assert_eq!(&again.text, &first);
        prop_assert!(again.added_sections.is_empty() && again.replaced);
        let other = inject(&first, &steps(&["^/x/"], !fragments), with_base).unwrap().text;
        assert_only_inserted("generated", &orig, &other);
        prop_assert_eq!(inject(&other, &st, with_base).unwrap().text, first);
        // the user's own regexList is never taken for the capture's
        prop_assert_eq!(
            orig.matches("name=\"regexList\"").count(),
            other.matches("name=\"regexList\"").count()
        );
    }
}

/// `--into` takes the line ending of the place it inserts into, as `lint --fix` does: an LF
/// file with one CRLF line elsewhere gets LF lines, a CR-only file CR lines.
#[test]
fn into_uses_the_line_ending_of_the_section_it_inserts_into() {
    let st = steps(&["^/api/"], false);
    let sections = [
        (0, Some(vec![0])),
        (1, Some(vec![0])),
        (2, Some(vec![0])),
        (3, Some(vec![0])),
    ];
    // LF everywhere but the comment line before the root.
    let lf = format!("<!-- exported -->\r\n{}", policy("\n", "    ", &sections));
    let out = inject(&lf, &st, true).unwrap().text;
    assert_eq!(out.matches("\r\n").count(), 1, "{out:?}");
    assert_only_inserted("lf with one crlf line", &lf, &out);
    // CR alone (old Mac files): no LF appears.
    let cr = policy("\r", "\t", &sections);
    let out = inject(&cr, &st, true).unwrap().text;
    assert!(!out.contains('\n'), "{out:?}");
    assert!(out.len() > cr.len() + 100);
    // CRLF everywhere but an LF last line: the sections' CRLF is used.
    let crlf = policy("\r\n", "  ", &sections).trim_end().to_string() + "\n";
    let out = inject(&crlf, &st, true).unwrap().text;
    assert_eq!(out.replace("\r\n", "").matches('\n').count(), 1, "{out:?}");
}
