//! Built inputs that once crashed `lint` or blew up its time or memory (a CI step runs on pull
//! requests from anyone). Each input is generated here; each run must end by itself with exit
//! 0, 1 or 2 (never a signal), within a peak resident set of 200 MB and a processor-time
//! budget (`RLIMIT_CPU`, a count of work, not of seconds on the wall clock). Speed is never
//! asserted: the timings are in BENCHMARKS.md; bounds here are counts (steps, bytes, findings).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a bounded run ended with.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    /// The child's own peak RSS (`VmHWM` of its `/proc/<pid>/status`, polled while it runs,
    /// counted only once it runs akto-connect: before `exec` the entry shows this process's
    /// memory). `None` off Linux, where memory is not measured (the run is still bounded in
    /// time and checked for a clean exit).
    peak_rss_mb: Option<u64>,
    elapsed: Duration,
}

/// Memory a reproducer may use.
const MAX_RSS_MB: u64 = 200;
/// The processor time a reproducer may use, in seconds: a count of work done (`RLIMIT_CPU`,
/// enforced by the kernel with SIGXCPU), not wall-clock time, so a loaded machine that
/// runs the child slowly does not fail the test. The reproducers need well under 2 s.
const MAX_CPU_SECONDS: libc::rlim_t = 60;
/// A run blocked without using the processor (a read that never returns) is killed after
/// this long: a last-resort guard against a test that never ends, far beyond any run.
const BLOCKED: Duration = Duration::from_secs(600);

/// Runs the binary with `args` in `dir`, measuring its peak RSS with `wait4`.
fn bounded(dir: &Path, args: &[&str]) -> Outcome {
    let out_path = dir.join(".stdout");
    let err_path = dir.join(".stderr");
    let started = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_akto-connect"));
    // SAFETY: setrlimit is async-signal-safe; the closure touches nothing else.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: MAX_CPU_SECONDS,
                rlim_max: MAX_CPU_SECONDS + 5,
            };
            if libc::setrlimit(libc::RLIMIT_CPU, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let peak_kb = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let peak = peak_kb.clone();
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        loop {
            if let Some(kb) = child_peak_kb(pid) {
                peak.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
            }
            match done_rx.recv_timeout(Duration::from_millis(2)) {
                Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if start.elapsed() > BLOCKED => {
                    // SAFETY: kill(2) on the child we spawned and have not reaped yet.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                Err(_) => {}
            }
        }
    });
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 reaps our own child (std's handle is never waited on).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // (wait4 for the exit status; its ru_maxrss is not used: Linux carries this process's peak
    // over into the child at exec.)
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    // Until the child is reaped its last VmHWM reading stands; the watchdog stops polling now.
    let elapsed = started.elapsed();
    let _ = done_tx.send(());
    watchdog.join().unwrap();
    std::mem::forget(child);
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        !(libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGXCPU),
        "{args:?}: used more than {MAX_CPU_SECONDS} s of processor time (unbounded work)"
    );
    assert!(
        libc::WIFEXITED(status),
        "{args:?}: killed by signal {} after {elapsed:?} (abort, overflow or blocked)",
        libc::WTERMSIG(status)
    );
    Outcome {
        code: libc::WEXITSTATUS(status),
        stdout: String::from_utf8_lossy(&std::fs::read(&out_path).unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned(),
        peak_rss_mb: cfg!(target_os = "linux")
            .then(|| peak_kb.load(std::sync::atomic::Ordering::Relaxed) / 1024),
        elapsed,
    }
}

/// The peak RSS of process `pid` in KiB (`VmHWM`), once it runs akto-connect; `None` before
/// its `exec`, after it exits, or off Linux.
fn child_peak_kb(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let name = status.lines().find_map(|l| l.strip_prefix("Name:"))?.trim();
    if name != "akto-connect" {
        return None;
    }
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Writes `policy.xml` with `text` in a fresh folder and lints it.
fn lint_text(text: &str, extra: &[&str]) -> (tempfile::TempDir, Outcome) {
    let dir = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(dir.path().join("policy.xml")).unwrap();
    f.write_all(text.as_bytes()).unwrap();
    drop(f);
    let mut args = vec!["lint", "--no-config", "--color", "never"];
    args.extend_from_slice(extra);
    args.push("policy.xml");
    let out = bounded(dir.path(), &args);
    (dir, out)
}

/// Checks the outcome's bounds and prints its cost (visible with --nocapture).
fn check(name: &str, o: &Outcome) {
    eprintln!(
        "{name}: exit {}, {:?}, peak {}",
        o.code,
        o.elapsed,
        o.peak_rss_mb
            .map_or("not measured (not Linux)".to_string(), |m| format!(
                "{m} MB"
            ))
    );
    assert!(
        matches!(o.code, 0..=2),
        "{name}: exit {}\n{}",
        o.code,
        o.stderr
    );
    if let Some(mb) = o.peak_rss_mb {
        assert!(mb <= MAX_RSS_MB, "{name}: peak RSS {mb} MB");
    }
    assert!(!o.stderr.contains("panicked"), "{name}: {}", o.stderr);
}

fn regex_list(value: &str) -> String {
    format!(
        "<policies>\n<inbound>\n<base />\n<set-variable name=\"regexList\" value=\"{value}\" />\n</inbound>\n<backend><base /></backend>\n<outbound><base /></outbound>\n<on-error><base /></on-error>\n</policies>\n"
    )
}

#[test]
fn class_subtraction_nested_33k_deep() {
    // 32,000 levels: the pattern must fit one command-line argument (128 KiB) below.
    let n = 32_000;
    let pattern = format!("{}a{}", "[a-".repeat(n), "]".repeat(n));
    let (_d, o) = lint_text(&regex_list(&pattern), &["--format", "json"]);
    check("lint", &o);
    assert_eq!(o.code, 1, "{}", o.stdout);
    assert!(o.stdout.contains("too deep"), "{}", o.stdout);
    // `apim policy --regex` reads the same pattern.
    let dir = tempfile::tempdir().unwrap();
    let o = bounded(
        dir.path(),
        &[
            "apim",
            "policy",
            "--ingest-url",
            "https://ingest.example.com",
            "--regex",
            &pattern,
        ],
    );
    check("apim policy --regex", &o);
    assert_eq!(o.code, 2, "{}", o.stderr);
}

#[test]
fn elements_nested_131k_deep() {
    let n = 131_000;
    let text = format!(
        "<policies>{}{}</policies>",
        "<a>".repeat(n),
        "</a>".repeat(n)
    );
    let (_d, o) = lint_text(&text, &["--format", "json"]);
    check("lint", &o);
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("nested more than"), "{}", o.stdout);
}

#[test]
fn forty_thousand_bad_regex_list_entries_on_one_line() {
    // Once 11 s and 4.6 GB in a release build: every finding copied the whole 80 KB line. The
    // work is bounded by counts, not by a clock: one finding per entry, each a bounded
    // excerpt, so the report grows by a bounded number of bytes per finding (a report that
    // copied the line would be 40,000 × 80 KB = 3.2 GB, and the 200 MB memory bound of
    // `check` fails before that).
    let entries = 40_000;
    let value = vec!["("; entries].join(";");
    let (_d, o) = lint_text(&regex_list(&value), &["--format", "text"]);
    check("lint", &o);
    assert_eq!(o.code, 1);
    let findings = o
        .stdout
        .lines()
        .filter(|l| l.contains("regex-invalid"))
        .count();
    // One finding per bad entry up to the cap of one rule in one file, then one that counts
    // the rest (its help names the rule again).
    let cap = akto_connect::lint::MAX_FINDINGS_PER_RULE;
    assert!(
        (cap + 1..=cap + 2).contains(&findings),
        "{findings} lines name the rule"
    );
    assert!(
        o.stdout.contains(&format!(
            "{} more findings of this rule in this file are not listed",
            entries - cap
        )),
        "the rest are counted"
    );
    // Each finding shows a bounded excerpt of its line, not the whole 80 KB line.
    let longest = o.stdout.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 400, "a report line of {longest} bytes");
    let per_finding = o.stdout.len() / (cap + 1);
    assert!(
        per_finding < 1_000,
        "{per_finding} bytes of report per finding ({} in all)",
        o.stdout.len()
    );
}

#[test]
fn fifty_thousand_attributes_on_one_tag() {
    let attrs: String = (0..50_000).map(|i| format!(" a{i}=\"x\"")).collect();
    let text = format!(
        "<policies>\n<inbound{attrs}>\n<base />\n</inbound>\n<backend><base /></backend>\n<outbound><base /></outbound>\n<on-error><base /></on-error>\n</policies>\n"
    );
    let (_d, o) = lint_text(&text, &[]);
    check("lint", &o);
    assert_eq!(o.code, 0, "{}", o.stdout);
}

#[test]
fn a_hundred_thousand_root_children_on_one_line() {
    let text = format!(
        "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error>{}</policies>",
        "<x />".repeat(100_000)
    );
    let (_d, o) = lint_text(&text, &[]);
    check("lint", &o);
    assert!(o.code <= 1, "{}", o.stderr);
}

fn regex_slow_pattern(name: &str, pattern: &str) -> String {
    let (_d, o) = lint_text(&regex_list(pattern), &["--format", "json"]);
    check(name, &o);
    assert!(o.code <= 1, "{name}: {}", o.stderr);
    o.stdout
}

#[test]
fn regex_with_forty_thousand_distinct_characters() {
    // Every other code point: 40,000 one-character ranges that never merge.
    let body: String = (0..40_000u32)
        .filter_map(|i| char::from_u32(0x4E00 + 2 * i))
        .filter(|c| !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        .collect();
    let out = regex_slow_pattern("concatenation", &format!("^({body})+$"));
    assert!(out.contains("\"regex-too-complex\""), "{out}");
    // A class of 40,000 characters is one set: analysed fully, nothing to report.
    let out = regex_slow_pattern("class", &format!("^[{body}]+x$"));
    assert!(out.contains("\"findings\": []"), "{out}");
}

#[test]
fn regex_with_25k_alternatives_under_a_loop() {
    let alts: Vec<String> = (0..25_000).map(|i| format!("a{i}")).collect();
    let out = regex_slow_pattern("alternatives", &format!("^({})+$", alts.join("|")));
    assert!(
        out.contains("too large to analyse fully"),
        "{}",
        &out[..out.len().min(2000)]
    );
}

#[test]
fn regex_with_900_nested_loops_around_a_large_body() {
    let body: String = (0..2_000).map(|i| format!("b{i}")).collect();
    let pattern = format!("^{}{body}{}$", "(".repeat(900), ")*".repeat(900));
    let (_d, o) = lint_text(&regex_list(&pattern), &["--format", "json"]);
    check("nested loops", &o);
    assert_eq!(o.code, 1, "{}", o.stderr);
}

#[test]
fn dev_zero_is_refused_not_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let o = bounded(dir.path(), &["lint", "--no-config", "/dev/zero"]);
    check("lint /dev/zero", &o);
    assert!(matches!(o.code, 1 | 2), "{}{}", o.stdout, o.stderr);
    assert!(
        o.stdout.contains("MiB") || o.stderr.contains("MiB"),
        "{}{}",
        o.stdout,
        o.stderr
    );
    let o = bounded(
        dir.path(),
        &[
            "apim",
            "policy",
            "--ingest-url",
            "https://ingest.example.com",
            "--regex-file",
            "/dev/zero",
        ],
    );
    check("apim policy --regex-file /dev/zero", &o);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("--regex-file"), "{}", o.stderr);
}

/// Writes `files` (relative path, text) into a fresh folder.
fn tree(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Runs `lint`, `apim effective` and `apim coverage` on the tree at `dir` (API `a`, operation
/// `op`), checks each stays bounded, and returns their standard outputs.
fn three_commands(dir: &Path) -> [String; 3] {
    let lint = bounded(
        dir,
        &[
            "lint",
            "--no-config",
            "--color",
            "never",
            "--format",
            "json",
            ".",
        ],
    );
    check("lint", &lint);
    assert!(lint.code <= 1, "lint: {}", lint.stderr);
    let eff = bounded(
        dir,
        &[
            "apim",
            "effective",
            ".",
            "--api",
            "a",
            "--operation",
            "op",
            "--format",
            "json",
        ],
    );
    check("apim effective", &eff);
    assert_eq!(eff.code, 0, "apim effective: {}", eff.stderr);
    let cov = bounded(dir, &["apim", "coverage", ".", "--format", "json"]);
    check("apim coverage", &cov);
    assert_eq!(cov.code, 0, "apim coverage: {}", cov.stderr);
    [lint.stdout, eff.stdout, cov.stdout]
}

#[test]
fn base_repeated_150_times_at_every_level_does_not_multiply() {
    // Product, API and operation each with 150 `<base />` in `<inbound>`: once 150³ × 10
    // steps (an abort); a repeated `<base />` is collapsed, so the inbound holds the 10.
    let bases = "<base />".repeat(150);
    let level = format!("<policies><inbound>{bases}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>");
    let global = format!(
        "<policies><inbound>{}</inbound><backend><forward-request /></backend><outbound /><on-error /></policies>",
        "<set-header name=\"x\" exists-action=\"override\"><value>1</value></set-header>".repeat(10)
    );
    let dir = tree(&[
        ("policy.xml", global),
        ("products/p/policy.xml", level.clone()),
        ("products/p/apis.json", "[\"a\"]".to_string()),
        ("apis/a/policy.xml", level.clone()),
        ("apis/a/operations/op/policy.xml", level),
    ]);
    let [lint, eff, cov] = three_commands(dir.path());
    // Each file's repeats are reported, once per file.
    let v: serde_json::Value = serde_json::from_str(&lint).unwrap();
    let dup = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "duplicate-base")
        .count();
    assert!(dup >= 3, "{lint}");
    // The effective inbound of the path through the product holds the global's 10 steps once.
    let v: serde_json::Value = serde_json::from_str(&eff).unwrap();
    let paths = v.as_array().unwrap();
    assert!(!paths.is_empty(), "{eff}");
    for p in paths {
        let inbound = p["sections"]["inbound"]["elements"].as_array();
        assert_eq!(inbound.map(Vec::len), Some(10), "{eff}");
    }
    let v: serde_json::Value = serde_json::from_str(&cov).unwrap();
    assert!(v["summary"]["units"].as_u64().unwrap() >= 2, "{cov}");
}

#[test]
fn a_large_fragment_included_seven_thousand_times_is_reported_not_run() {
    // 20,000 elements in an 80 KB fragment, included 7,000 times by a 245 KB API policy
    // (both under APIM's 256 KiB): 140M inlined steps once; now cut at the budget.
    let fragment = format!("<fragment>{}</fragment>", "<a/>".repeat(20_000));
    let api = format!(
        "<policies><inbound><base />{}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
        "<include-fragment fragment-id=\"f\"/>".repeat(7_000)
    );
    assert!(api.len() < 256 * 1024 && fragment.len() < 256 * 1024);
    let dir = tree(&[
        ("policy fragments/f/policy.xml", fragment),
        ("apis/a/policy.xml", api),
        ("apis/a/operations/op/policy.xml", "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>".to_string()),
    ]);
    let [lint, eff, cov] = three_commands(dir.path());
    let v: serde_json::Value = serde_json::from_str(&lint).unwrap();
    let budget: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "effective-budget")
        .collect();
    // Reported once, at the API's policy (where the includes are), naming the budget.
    assert_eq!(budget.len(), 1, "{lint}");
    assert_eq!(budget[0]["path"], "apis/a/policy.xml", "{lint}");
    assert!(
        budget[0]["message"].as_str().unwrap().contains("50000"),
        "{lint}"
    );
    // `apim effective` shows a bounded result: at most the budget's steps.
    let v: serde_json::Value = serde_json::from_str(&eff).unwrap();
    for p in v.as_array().unwrap() {
        let n: usize = p["sections"]
            .as_object()
            .unwrap()
            .values()
            .map(|s| s["elements"].as_array().unwrap().len())
            .sum();
        assert!(n <= 50_000, "{n} steps");
    }
    // Coverage says why it did not judge the path to its end.
    assert!(
        cov.contains("policy elements and was not read to its end"),
        "{cov}"
    );
}

/// One API with `ops` operation policies, carried by `products` products that have only
/// `products/<p>/apis.json` (no policy): the fan-out the effective policy is memoised for.
fn fan_out_tree(products: usize, ops: usize) -> tempfile::TempDir {
    let all_base = "<policies>\n<inbound><base /></inbound>\n<backend><base /></backend>\n<outbound><base /></outbound>\n<on-error><base /></on-error>\n</policies>\n";
    let mut files = vec![(
        "policy.xml".to_string(),
        "<policies>\n<inbound><rate-limit calls=\"10\" renewal-period=\"60\" /></inbound>\n<backend><forward-request /></backend>\n<outbound />\n<on-error />\n</policies>\n".to_string(),
    )];
    files.push(("apis/a/policy.xml".to_string(), all_base.to_string()));
    for o in 0..ops {
        files.push((
            format!("apis/a/operations/o{o}/policy.xml"),
            all_base.to_string(),
        ));
    }
    for p in 0..products {
        files.push((format!("products/p{p}/apis.json"), "[\"a\"]".to_string()));
    }
    let files: Vec<(&str, String)> = files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    tree(&files)
}

#[test]
fn two_thousand_products_by_a_thousand_operations_cost_what_one_product_does() {
    let one = fan_out_tree(1, 1_000);
    let many = fan_out_tree(2_000, 1_000);
    let lint = |dir: &Path| {
        let o = bounded(dir, &["lint", "--no-config", "--format", "json", "."]);
        check("lint", &o);
        assert!(o.code <= 1, "{}", o.stderr);
        let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
        (v["findings"].as_array().unwrap().len(), o.stdout.len())
    };
    let (f1, len1) = lint(one.path());
    let (f2, len2) = lint(many.path());
    // The same causes are reported (once each), and the report is of the same size class.
    assert!(f1 > 0);
    assert_eq!(f1, f2);
    assert!(len2 < len1 * 2 + 4096, "{len1} → {len2} bytes");
    let coverage = |dir: &Path| {
        let o = bounded(dir, &["apim", "coverage", ".", "--format", "json"]);
        check("apim coverage", &o);
        assert_eq!(o.code, 0, "{}", o.stderr);
        let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
        (v, o.stdout.len())
    };
    let (c1, len1) = coverage(one.path());
    let (c2, len2) = coverage(many.path());
    // Every path is counted: 2,000 products × (1,000 operations + the API level)…
    assert_eq!(c1["summary"]["units"], 1_001);
    assert_eq!(c2["summary"]["units"], 2_000 * 1_001);
    // …by 1,001 units that stand for all of them, naming the other 1,999 products once.
    let units = c2["units"].as_array().unwrap();
    assert_eq!(units.len(), 1_001);
    assert!(units.iter().all(|u| u["more_products"] == 1_999));
    assert_eq!(units[0]["also_products"].as_array().unwrap().len(), 1_999);
    assert!(units[1..].iter().all(|u| u.get("also_products").is_none()));
    // The report grows with the product list, not with products × operations.
    assert!(len2 < len1 * 2 + 2_000 * 16, "{len1} → {len2} bytes");
}

/// A policy whose only problem is `n` `<inbound>` sections without `<base />`, one a line:
/// `n` fixable `missing-base` findings.
fn sections_without_base(n: usize) -> String {
    format!(
        "<policies>{}<backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>\n",
        "<inbound></inbound>\n".repeat(n)
    )
}

#[test]
fn a_rule_lists_at_most_its_cap_in_one_file_and_counts_the_rest() {
    use akto_connect::lint::MAX_FINDINGS_PER_RULE as CAP;
    let (_d, o) = lint_text(
        &sections_without_base(CAP + 500),
        &["--scope", "api", "--format", "json"],
    );
    check("cap", &o);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let report: serde_json::Value = serde_json::from_str(&o.stdout).expect("JSON report");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(
        findings.len(),
        CAP + 1,
        "the cap, then one finding that counts the rest"
    );
    assert!(findings.iter().all(|f| f["rule"] == "missing-base"));
    assert!(findings[..CAP].iter().all(|f| f["fixable"] == true));
    let last = &findings[CAP];
    let message = last["message"].as_str().unwrap();
    assert!(
        message.starts_with("500 more findings of this rule in this file are not listed"),
        "{message}"
    );
    // It stands where the first one not listed is: the section on line CAP + 1.
    assert_eq!(last["line"], CAP + 1, "{last}");
    assert_eq!(last["fixable"], false);
    assert_eq!(report["summary"]["errors"], CAP + 1);
}

#[test]
fn fix_fixes_every_finding_past_the_cap() {
    use akto_connect::lint::MAX_FINDINGS_PER_RULE as CAP;
    let n = CAP + 500;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.xml"), sections_without_base(n)).unwrap();
    let o = bounded(
        dir.path(),
        &[
            "lint",
            "--no-config",
            "--scope",
            "api",
            "--fix",
            "--format",
            "json",
            "policy.xml",
        ],
    );
    check("fix past the cap", &o);
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let fixed = std::fs::read_to_string(dir.path().join("policy.xml")).unwrap();
    assert_eq!(
        fixed.matches("<inbound><base /></inbound>").count(),
        n,
        "every section got its <base />: {}",
        &fixed[..fixed.len().min(400)]
    );
    assert_eq!(o.stderr.matches("added <base /> to <inbound>").count(), n);
    let report: serde_json::Value = serde_json::from_str(&o.stdout).expect("JSON report");
    assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{report}");
    assert_eq!(report["summary"]["fixed"], 1);
}

#[test]
fn a_fragment_of_more_elements_than_any_policy_holds_is_one_parse_error() {
    // 4 MiB of `<base />` (466,000 elements): once half a million findings and 1.7 GB. The
    // reader stops at its element cap, so the file is one `parse-error`, not a tree.
    let n = (4 << 20) / "<base />\n".len() - 4;
    let text = format!("<fragment>\n{}</fragment>\n", "<base />\n".repeat(n));
    let (_d, o) = lint_text(&text, &["--format", "json"]);
    check("lint", &o);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let report: serde_json::Value = serde_json::from_str(&o.stdout).expect("JSON report");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report}");
    assert_eq!(findings[0]["rule"], "parse-error");
    let message = findings[0]["message"].as_str().unwrap();
    assert!(message.contains("more than 131072 elements"), "{message}");
    // The first element past the cap: line 2 holds the first `<base />`.
    assert_eq!(findings[0]["line"], 131_072 + 1);
}
