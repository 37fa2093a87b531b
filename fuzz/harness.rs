//! What the fuzz targets run (`fuzz/fuzz_targets/`, cargo-fuzz on nightly;
//! `tests/it/lint_fuzz.rs`, a bounded mutation run on stable, which compiles this file with
//! every `cargo test`): each entry point takes arbitrary bytes and panics only when a property
//! that must hold for every input breaks. Kept outside `src/` so the library carries no test
//! harness; both users include it with `#[path]`.

use akto_connect::dotnet_regex::{self, parse, redos};
use akto_connect::lint::{self, fix, Config, Scope};
use akto_connect::report::{self, FileResult, Run};

/// Reads `data` as a policy, runs every rule, renders every report format, and applies the
/// fixes. Properties: findings lie on character boundaries of the text; a fix never turns a
/// readable policy unreadable.
pub fn lint_input(data: &[u8]) {
    let config = Config::default();
    for scope in [Scope::Unknown, Scope::Global] {
        let (src, findings) = lint::lint_bytes(data, scope, &config, "fuzz.xml");
        for f in &findings {
            assert!(
                f.span.start <= f.span.end
                    && src.is_char_boundary(f.span.start)
                    && src.is_char_boundary(f.span.end),
                "{}: span {:?} off the text",
                f.rule,
                f.span
            );
        }
        let readable = !lint::rules::parse_error::unreadable(&findings);
        let (fixed, applied) = fix::apply(&src, &findings);
        if readable && !applied.is_empty() {
            let after = lint::lint_text(&fixed, scope, &config, "fuzz.xml");
            if let Some(bad) = after
                .iter()
                .find(|f| f.rule == lint::rules::parse_error::PARSE_ERROR.id)
            {
                panic!("a fix made the policy unreadable: {}\n{fixed}", bad.message);
            }
        }
        let files = [FileResult {
            path: "fuzz.xml".to_string(),
            src,
            findings,
        }];
        let run = Run {
            files: &files,
            fixed: 0,
        };
        let _ = report::text::render(&run, true);
        let json = report::json::render(&run);
        assert!(
            serde_json::from_str::<serde_json::Value>(&json).is_ok(),
            "{json}"
        );
        let sarif = report::sarif::render(&run);
        assert!(
            serde_json::from_str::<serde_json::Value>(&sarif).is_ok(),
            "{sarif}"
        );
        let _ = report::github::render(&run);
    }
}

/// Parses `data` (as UTF-8, lossily) as a .NET pattern under each option, analyses what
/// parses, and looks for other dialects' syntax. Properties: error offsets lie within the
/// pattern; analysis stays within its budget.
pub fn regex_input(data: &[u8]) {
    let pattern = String::from_utf8_lossy(data);
    let units: Vec<u16> = pattern.encode_utf16().collect();
    for options in [0, parse::OPT_I | parse::OPT_X, parse::OPT_N | parse::OPT_S] {
        match dotnet_regex::parse_with_options(&pattern, options) {
            Err(e) => {
                assert!(e.utf16_offset <= units.len(), "{e:?}");
                assert!(pattern.is_char_boundary(e.byte_offset), "{e:?}");
                let _ = e.message();
            }
            Ok(p) => {
                let a = redos::analyze_within(&p.root, &units, redos::DEFAULT_BUDGET);
                for r in &a.risks {
                    let span = p.byte_span(&r.span);
                    assert!(span.start <= span.end && span.end <= pattern.len(), "{r:?}");
                }
            }
        }
    }
    let _ = dotnet_regex::lookalike::find(&pattern);
}
