//! Every example a user can copy, run: the `akto-connect …` commands in each `--help` and in
//! the README's shell blocks. Pipes and redirections are the user's shell: the akto-connect part
//! of each is run (with a sample policy on standard input when it reads one), in a folder laid
//! out like an APIOps repository. It must succeed (lint: exit 0 or 1, findings are its job).
//! An example that needs the network says so with a trailing `# needs network` and is skipped,
//! as are the commands that only talk to a service (`verify`, `kong verify`, `apim specs`).

use std::path::Path;

use crate::common::{bin, test_file};

/// Splits a shell command line into words: single and double quotes, backslash escapes, and a
/// `#` comment at the start of a word.
pub(crate) fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                if !"\"\\$`".contains(n) {
                                    cur.push('\\');
                                }
                                cur.push(n);
                            }
                        }
                        _ => cur.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// The akto-connect invocations of one example line: (arguments, reads standard input).
/// Pipeline stages are split at `|`, a `&&` or `;` ends the first command, redirections
/// (`> FILE`, `>> FILE`, `2>&1`) are dropped.
fn invocations(line: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut stage: Vec<String> = Vec::new();
    let mut stage_no = 0;
    let mut flush = |stage: &mut Vec<String>, stage_no: usize| {
        let s = std::mem::take(stage);
        if s.first().map(String::as_str) == Some("akto-connect") {
            out.push((s[1..].to_vec(), stage_no > 0));
        }
    };
    let mut ws = words(line).into_iter();
    while let Some(w) = ws.next() {
        match w.as_str() {
            "|" => {
                flush(&mut stage, stage_no);
                stage_no += 1;
            }
            "&&" | ";" | "||" => break,
            ">" | ">>" | "<" => {
                ws.next();
            }
            w if w.starts_with("2>") || w.starts_with('>') => {}
            _ => stage.push(w),
        }
    }
    flush(&mut stage, stage_no);
    out
}

/// A folder laid out like an APIOps repository, with the files the examples name.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let clean = std::fs::read_dir(test_file("fixtures/lint/clean"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xml"))
        .expect("a clean fixture");
    for sub in [
        "apis/orders",
        "products/starter",
        "policy fragments/akto",
        "apim-artifacts/apis/orders",
        "apis/orders/operations/get-order",
        "apis/echo/operations/get-order",
        "apim-artifacts/apis/echo",
    ] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    std::fs::copy(&clean, dir.path().join("apis/orders/policy.xml")).unwrap();
    std::fs::copy(
        &clean,
        dir.path().join("apim-artifacts/apis/orders/policy.xml"),
    )
    .unwrap();
    std::fs::copy(&clean, dir.path().join("products/starter/policy.xml")).unwrap();
    for p in [
        "apis/orders/operations/get-order/policy.xml",
        "apis/echo/policy.xml",
        "apis/echo/operations/get-order/policy.xml",
        "apim-artifacts/apis/echo/policy.xml",
    ] {
        std::fs::copy(&clean, dir.path().join(p)).unwrap();
    }
    std::fs::write(
        dir.path().join("products/starter/apis.json"),
        "[\"orders\", \"echo\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policy fragments/akto/policy.xml"),
        "<fragment>\n</fragment>\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("paths.txt"), "# paths\n^/api/v1/\n").unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  kong:\n    image: kong:3.4\n    environment:\n      KONG_PLUGINS: bundled\n",
    )
    .unwrap();
    dir
}

/// Runs one example; returns a failure description.
fn check(example: &str, dir: &Path) -> Result<usize, String> {
    if example.trim_end().ends_with("# needs network") {
        return Ok(0);
    }
    let stdin_policy = std::fs::read_to_string(dir.join("apis/orders/policy.xml")).unwrap();
    let mut ran = 0;
    for (args, reads_stdin) in invocations(example) {
        // Commands whose whole job is talking to a service: their examples name hosts that
        // are not here (and must not be contacted from a test); their own tests run them
        // against local stand-ins.
        let live_apim = ["apply", "pull", "live-coverage", "remove"]
            .iter()
            .any(|c| args.len() >= 2 && args[0] == "apim" && args[1] == *c)
            && args.iter().any(|a| a == "--subscription" || a == "...");
        let network = live_apim
            || [&["verify"][..], &["kong", "verify"], &["apim", "specs"]]
                .iter()
                .any(|p| args.len() >= p.len() && args[..p.len()] == **p);
        if network {
            continue;
        }
        let mut cmd = bin();
        cmd.current_dir(dir)
            .env_remove("AKTO_INGEST_URL")
            .env_remove("KONG_ADMIN_URL")
            .env_remove("AWS_REGION")
            .env("AKTO_TOKEN", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
            .env("AKTO_INGEST_TOKEN", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
            .args(&args);
        if reads_stdin || args.last().map(String::as_str) == Some("-") {
            cmd.write_stdin(stdin_policy.clone());
        }
        let out = cmd.output().map_err(|e| e.to_string())?;
        let code = out.status.code().unwrap_or(-1);
        // Commands whose exit 1 is a finding about the input, not a failure of the example.
        let judges = args.first().map(String::as_str) == Some("lint")
            || args
                .iter()
                .take(2)
                .map(String::as_str)
                .eq(["apim", "coverage"]);
        let ok = if judges {
            code == 0 || code == 1
        } else {
            code == 0
        };
        if !ok {
            return Err(format!(
                "`{example}` exited {code}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        ran += 1;
    }
    Ok(ran)
}

/// Lines of `text` that hold a command, continuation lines (`\` at the end) joined.
fn command_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in lines {
        let t = line.trim();
        if let Some(head) = t.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(t);
        let full = std::mem::take(&mut pending);
        if full.contains("akto-connect ") {
            out.push(full);
        }
    }
    out
}

/// Every subcommand path, with `--help` appended.
fn help_paths() -> Vec<Vec<String>> {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        out.push(prefix.to_vec());
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut p = prefix.to_vec();
            p.push(sub.get_name().to_string());
            walk(sub, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&akto_connect::cli::Cli::command(), &[], &mut out);
    out
}

#[test]
fn every_help_example_runs() {
    let mut ran = 0;
    let mut failures = Vec::new();
    for path in help_paths() {
        // Each page in a fresh folder: one page's examples may write what another's read.
        let dir = workspace();
        let out = bin().args(&path).arg("--help").output().unwrap();
        assert!(out.status.success(), "{path:?} --help");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        // Example lines are indented command lines after an `Examples:` heading.
        let Some(examples) = help.split("Examples:\n").nth(1) else {
            continue;
        };
        let block = examples
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .filter(|l| !l.trim_start().starts_with('#'));
        for example in command_lines(block) {
            match check(&example, dir.path()) {
                Ok(n) => ran += n,
                Err(e) => failures.push(format!("{path:?} --help: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 25, "only {ran} help examples ran");
}

#[test]
fn every_readme_shell_example_runs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    // Indented code blocks and fenced blocks; `cargo run --release --` is akto-connect.
    // A ```text fence shows output, not commands.
    let mut in_fence = false;
    let mut output_fence = false;
    let mut code = Vec::new();
    for line in readme.lines() {
        if let Some(info) = line.strip_prefix("```") {
            in_fence = !in_fence;
            output_fence = in_fence && info.trim() == "text";
            code.push(String::new());
            continue;
        }
        if (in_fence && !output_fence) || (!in_fence && line.starts_with("    ")) {
            let l = line
                .replace("cargo run --release -- ", "akto-connect ")
                .replace("- run: akto-connect", "akto-connect");
            code.push(l);
        } else {
            code.push(String::new());
        }
    }
    let dir = workspace();
    let mut ran = 0;
    let mut failures = Vec::new();
    for example in command_lines(code.iter().map(String::as_str)) {
        if !example.trim_start().starts_with("akto-connect ") {
            continue;
        }
        match check(&example, dir.path()) {
            Ok(n) => ran += n,
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(ran >= 10, "only {ran} README examples ran");
}

#[test]
fn the_example_splitter_reads_shell_as_a_shell_does() {
    assert_eq!(
        invocations(
            r#"akto-connect aws env-file > api-gateway-logging.env && chmod 600 api-gateway-logging.env"#
        ),
        vec![(vec!["aws".to_string(), "env-file".to_string()], false)]
    );
    assert_eq!(
        invocations(r#"az rest --url "https://x/y?a=1&b=2" | jq -r .v | akto-connect lint -"#),
        vec![(vec!["lint".to_string(), "-".to_string()], true)]
    );
    assert_eq!(
        words(r#"akto-connect apim policy --regex '^/api/v1/' --x "a\"b" # comment"#),
        [
            "akto-connect",
            "apim",
            "policy",
            "--regex",
            "^/api/v1/",
            "--x",
            "a\"b"
        ]
    );
}

#[test]
fn the_readme_names_every_reason_a_test_is_ignored() {
    // `cargo test` reports these tests as ignored; the README says what each needs.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let tests_section = readme
        .split("## Tests")
        .nth(1)
        .expect("a Tests section")
        .split("\n## ")
        .next()
        .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it");
    let mut reasons = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in text.lines() {
            let Some(part) = line.trim_start().strip_prefix("#[ignore = \"needs ") else {
                continue;
            };
            let reason = part.split('"').next().unwrap();
            for need in reason.split([',', '(', ')']).flat_map(|p| p.split(" and ")) {
                let need = need
                    .trim()
                    .trim_start_matches("python3 with ")
                    .trim_start_matches("needs ");
                let need = need.split_whitespace().next().unwrap_or("");
                if !need.is_empty() {
                    reasons.insert(need.to_string());
                }
            }
        }
    }
    assert!(reasons.len() >= 5, "{reasons:?}");
    let missing: Vec<_> = reasons
        .iter()
        .filter(|r| !tests_section.contains(r.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "README's Tests section does not name {missing:?}"
    );
}
