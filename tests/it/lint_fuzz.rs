//! The fuzz targets of `fuzz/` as a bounded run on stable Rust: inputs mutated from the seed
//! corpus (`fuzz/corpus/…` and the lint fixtures) by a seeded generator, fed to the same entry
//! points cargo-fuzz drives. `AKTO_FUZZ_ITERS` sets the mutations per target (default 300;
//! CI runs more), `AKTO_FUZZ_SEED` the generator's seed. A failing input is saved under
//! `target/fuzz-failures/` and named in the failure.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/harness.rs"]
mod fuzzing;

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iterations() -> usize {
    std::env::var("AKTO_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("AKTO_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_1234_ABCD_0001)
        | 1
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn seeds(dirs: &[&str]) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for d in dirs {
        files_under(&root.join(d), &mut paths);
    }
    let seeds: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(seeds.len() >= 5, "seed corpus missing under {dirs:?}");
    seeds
}

/// One mutation of `input`: flip, insert a token, delete, duplicate, splice with another seed.
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>], tokens: &[&str]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 | 2 => {
                let t = tokens[rng.below(tokens.len())].as_bytes();
                out.splice(at..at, t.iter().copied());
            }
            3 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            4 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(64)).min(out.len());
                let chunk = out[start..end].to_vec();
                for _ in 0..1 + rng.below(8) {
                    out.splice(at..at, chunk.iter().copied());
                }
            }
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                let end = (from + rng.below(256)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
        }
    }
    out.truncate(64 * 1024);
    out
}

fn run(name: &str, dirs: &[&str], tokens: &[&str], target: fn(&[u8])) {
    let seeds = seeds(dirs);
    let mut rng = Rng(seed());
    let mut inputs: Vec<Vec<u8>> = seeds.clone();
    for _ in 0..iterations() {
        let base = &seeds[rng.below(seeds.len())];
        inputs.push(mutate(&mut rng, base, &seeds, tokens));
    }
    for (n, input) in inputs.iter().enumerate() {
        if std::panic::catch_unwind(|| target(input)).is_err() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!("{name}-{n}"));
            let _ = std::fs::write(&path, input);
            panic!(
                "{name}: input {n} fails; saved as {} (replay: cargo +nightly fuzz run {name} {})",
                path.display(),
                path.display()
            );
        }
    }
}

#[test]
fn fuzz_lint_reader_rules_and_reports() {
    run(
        "lint",
        &["fuzz/corpus/lint", "tests/fixtures/lint"],
        &[
            "<",
            ">",
            "</",
            "/>",
            "\"",
            "'",
            "&",
            "&amp;",
            "&#x0;",
            "&#1;",
            "&nbsp;",
            "@(",
            "@{",
            ")",
            "}",
            "(",
            "{",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<base />",
            "<backend>",
            "</backend>",
            "<forward-request />",
            "<inbound>",
            "</inbound>",
            "<fragment>",
            "regexList",
            "\n",
            "\r\n",
            "\\",
            "\\d",
            "$\"",
            "@\"",
            "{{",
            "}}",
            "<YOUR_X>",
            "[a-[",
            "(?<",
            ")+",
            "*",
            "é",
            "\u{FEFF}",
            "\u{1}",
            "'ab'",
            "''",
            "System.IO.File.",
            "new WebClient()",
            "Regex.IsMatch(x, \"",
            "<set-url>https://YOUR_HOST/</set-url>",
        ],
        fuzzing::lint_input,
    );
}

#[test]
fn fuzz_dotnet_regex_parser_and_analysis() {
    run(
        "dotnet_regex",
        &["fuzz/corpus/dotnet_regex"],
        &[
            "(", ")", "[", "]", "-[", "\\", "\\p{", "}", "{2,", "{", "*", "+", "?", "|", "(?<n>",
            "(?(", "\\k<n>", "(?#", "(?>", "(?<=", "(?!", "^", "$", ".", "\\d", "\\w", "a", "é",
            "😀", "(?i)", "(?x)", "#", "\\1", "(?<a-n>", "[^", "\\c", "\\x4", "\\u00",
        ],
        fuzzing::regex_input,
    );
}
