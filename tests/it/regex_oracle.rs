//! The .NET regex parser against Microsoft's engine: every pattern of
//! tests/conformance/regex_corpus.txt must get the verdict and the reason that `new Regex(p)`
//! gives under Mono (stored in regex_corpus.expected; re-checked live when Mono is here).

use std::process::Command;

use akto_connect::dotnet_regex;

use crate::common::{pipe, require_tool, test_file};

/// The corpus patterns, in order.
fn corpus() -> Vec<String> {
    let text = std::fs::read_to_string(test_file("conformance/regex_corpus.txt")).unwrap();
    text.split('\n')
        .filter(|l| !l.is_empty() && !l.starts_with("# "))
        .map(|l| match l.strip_prefix("b64:") {
            Some(b) => String::from_utf8(base64_decode(b)).unwrap(),
            None => l.to_string(),
        })
        .collect()
}

fn expected() -> Vec<String> {
    std::fs::read_to_string(test_file("conformance/regex_corpus.expected"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// What our parser says, in the oracle's format.
fn verdict(p: &str) -> String {
    match dotnet_regex::parse(p) {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("err\t{}", e.message()),
    }
}

#[test]
fn parser_agrees_with_dotnet_on_the_whole_corpus() {
    let patterns = corpus();
    let expected = expected();
    assert_eq!(
        patterns.len(),
        expected.len(),
        "regex_corpus.expected is stale: run tests/conformance/update-regex-expected.sh"
    );
    assert!(patterns.len() >= 300);
    let mismatches: Vec<String> = patterns
        .iter()
        .zip(&expected)
        .filter_map(|(p, want)| {
            let got = verdict(p);
            (got != *want).then(|| format!("{p:?}\n    .NET: {want}\n    ours: {got}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} patterns disagree with .NET:\n{}",
        mismatches.len(),
        patterns.len(),
        mismatches.join("\n")
    );
}

#[test]
#[ignore = "needs mcs and mono"]
fn stored_verdicts_are_monos() {
    require_tool("mcs");
    require_tool("mono");
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("oracle.exe");
    let out = Command::new("mcs")
        .arg(format!("-out:{}", exe.display()))
        .arg(test_file("conformance/regex_oracle.cs"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let input: String = corpus()
        .iter()
        .map(|p| format!("{}\n", base64_encode(p.as_bytes())))
        .collect();
    let out = pipe(
        Command::new("timeout").args(["300", "mono"]).arg(&exe),
        &input,
    );
    assert!(out.status.success(), "the oracle failed or timed out");
    let live: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        live,
        expected(),
        "Mono's verdicts differ from regex_corpus.expected"
    );
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&x| x == c).expect("base64") as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[test]
fn base64_round_trip() {
    for s in ["", "a", "ab", "abc", "(?x)a # c\nb", "é😀"] {
        assert_eq!(base64_decode(&base64_encode(s.as_bytes())), s.as_bytes());
    }
}
