//! The backtracking analysis against measurement: tests/conformance/redos_labels.tsv holds, for
//! each pattern, how IsMatch time grew on failing inputs under Microsoft's engine (Mono),
//! measured by tests/conformance/measure-redos.sh. Catastrophic patterns must be flagged as
//! such; fast ones must get no finding at all; quadratic ones must not be called catastrophic.

use akto_connect::dotnet_regex::{self, redos};

use crate::common::test_file;

fn labels() -> Vec<(String, String)> {
    std::fs::read_to_string(test_file("conformance/redos_labels.tsv"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("# "))
        .map(|l| {
            let mut f = l.split('\t');
            (f.next().unwrap().to_string(), f.next().unwrap().to_string())
        })
        .collect()
}

fn analysis(p: &str) -> Option<redos::Severity> {
    let parsed = dotnet_regex::parse(p).unwrap_or_else(|e| panic!("{p}: {}", e.message()));
    let text: Vec<u16> = p.encode_utf16().collect();
    redos::analyze(&parsed.root, &text)
        .iter()
        .map(|r| r.severity)
        .max()
}

#[test]
fn analysis_agrees_with_measured_labels() {
    let labels = labels();
    assert!(labels.len() >= 50, "the measured corpus shrank");
    let mut wrong = Vec::new();
    for (p, label) in &labels {
        let got = analysis(p);
        let ok = match label.as_str() {
            "catastrophic" => got == Some(redos::Severity::Catastrophic),
            "quadratic" => got != Some(redos::Severity::Catastrophic),
            "fast" => got.is_none(),
            other => panic!("unknown label {other}"),
        };
        if !ok {
            wrong.push(format!("{p:?}: measured {label}, analysis says {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Every class of the measured corpus is represented.
    for l in ["catastrophic", "quadratic", "fast"] {
        assert!(
            labels.iter().filter(|(_, x)| x == l).count() >= 5,
            "few {l} patterns"
        );
    }
}

#[test]
fn quadratic_patterns_are_reported_as_slow() {
    let slow: Vec<_> = labels()
        .into_iter()
        .filter(|(_, l)| l == "quadratic")
        .collect();
    let flagged = slow
        .iter()
        .filter(|(p, _)| analysis(p) == Some(redos::Severity::Quadratic))
        .count();
    assert_eq!(
        flagged,
        slow.len(),
        "quadratic patterns not reported as slow: {:?}",
        slow.iter()
            .filter(|(p, _)| analysis(p).is_none())
            .map(|(p, _)| p)
            .collect::<Vec<_>>()
    );
}
