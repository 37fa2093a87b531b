//! Where CI users are: the man page, the install script and the GitHub Action run against a
//! stand-in release, the workflows checked by a schema (and actionlint where installed), the
//! pre-commit hook run by pre-commit itself.

use std::path::Path;
use std::process::Command;

use clap::CommandFactory;

use crate::common::{bin, require_tool, run};

/// Every command's full name, as clap defines them (`akto-connect apim policy`).
fn all_commands() -> Vec<String> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{path} {}", sub.get_name());
            out.push(name.clone());
            walk(sub, &name, out);
        }
    }
    let mut out = Vec::new();
    walk(&akto_connect::cli::Cli::command(), "akto-connect", &mut out);
    out
}

#[test]
#[ignore = "needs man (man-db)"]
fn man_page_lists_every_command() {
    require_tool("man");
    let (code, roff, err) = run(bin().arg("man"));
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("akto-connect.1");
    std::fs::write(&page, &roff).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANWIDTH", "250")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // man renders hyphens as U+2010 in some locales; compare on plain ones.
    let text = String::from_utf8_lossy(&out.stdout).replace('\u{2010}', "-");
    let commands = all_commands();
    assert!(commands.len() > 20, "{commands:?}");
    for c in &commands {
        if c.ends_with(" help") {
            continue;
        }
        assert!(
            text.contains(c.as_str()),
            "`{c}` missing from man akto-connect:\n{text}"
        );
    }
    assert!(text.contains("ALL COMMANDS") && text.contains("akto-connect-lint(1)"));
}

#[test]
fn man_writes_one_page_per_command_and_refuses_a_file_as_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let (code, _, err) = run(bin().arg("man").arg("-o").arg(&out));
    assert_eq!(code, 0, "{err}");
    for c in all_commands().iter().filter(|c| !c.ends_with(" help")) {
        let page = out.join(format!("{}.1", c.replace(' ', "-")));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(
            text.starts_with(".ie") || text.contains(".TH"),
            "{}",
            page.display()
        );
    }
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "keep").unwrap();
    let (code, out, err) = run(bin().arg("man").arg("-o").arg(&file));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("not a folder"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep");
}

/// The repository root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The release target install.sh picks on this machine.
fn release_target() -> String {
    format!("{}-unknown-linux-musl", std::env::consts::ARCH)
}

/// A stand-in of a GitHub release in `dir`: the archive of the built binary and its checksum
/// file, as the release workflow names them; `good` false makes the checksum wrong.
pub(crate) fn stand_in_release(dir: &Path, good: bool) {
    let stage = dir.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(
        assert_cmd::cargo::cargo_bin("akto-connect"),
        stage.join("akto-connect"),
    )
    .unwrap();
    let archive = format!("akto-connect-{}.tar.gz", release_target());
    // gzip -1: the debug binary is large, and the level does not matter to the check.
    let ok = Command::new("sh")
        .arg("-c")
        .arg("tar -cf - -C \"$1\" akto-connect | gzip -1 > \"$2\"")
        .arg("sh")
        .arg(&stage)
        .arg(dir.join(&archive))
        .status()
        .unwrap();
    assert!(ok.success());
    let out = Command::new("sha256sum")
        .arg(&archive)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut sum = String::from_utf8(out.stdout).unwrap();
    if !good {
        sum = format!("{}{}", "0".repeat(64), &sum[64..]);
    }
    std::fs::write(dir.join(format!("{archive}.sha256")), sum).unwrap();
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

#[test]
#[ignore = "needs curl, tar and sha256sum"]
fn install_script_installs_a_good_release_and_refuses_a_bad_checksum() {
    for t in ["curl", "tar", "sha256sum"] {
        require_tool(t);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (good, bad, dest) = (
        tmp.path().join("good"),
        tmp.path().join("bad"),
        tmp.path().join("bin"),
    );
    std::fs::create_dir_all(&good).unwrap();
    std::fs::create_dir_all(&bad).unwrap();
    stand_in_release(&good, true);
    stand_in_release(&bad, false);
    let install = |release: &Path, extra: &[&str]| {
        Command::new("sh")
            .arg(root().join("install.sh"))
            .args(["--version", "v9.9.9", "--to"])
            .arg(&dest)
            .args(extra)
            .env("AKTO_CONNECT_DOWNLOAD_URL", file_url(release))
            .output()
            .unwrap()
    };

    let out = install(&bad, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("checksum mismatch") && err.contains("nothing was installed"),
        "{err}"
    );
    assert!(
        !dest.join("akto-connect").exists(),
        "a bad download was installed"
    );

    let out = install(&good, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = Command::new(dest.join("akto-connect"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("akto-connect "));

    // A bad checksum later leaves the installed binary as it was.
    let before = std::fs::read(dest.join("akto-connect")).unwrap();
    let out = install(&bad, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(dest.join("akto-connect")).unwrap(), before);

    // No release there: exit 3 (the action falls back to cargo install), not 1.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_eq!(install(&empty, &[]).status.code(), Some(3));
    // Bad arguments: exit 1 with the fix.
    let out = install(&good, &["--version"]);
    assert_eq!(out.status.code(), Some(1));
    let out = Command::new("sh")
        .arg(root().join("install.sh"))
        .args(["--version", "1.0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("with the v"));
}

#[test]
#[ignore = "needs shellcheck"]
fn install_script_passes_shellcheck() {
    require_tool("shellcheck");
    let out = Command::new("shellcheck")
        .arg("--shell=sh")
        .arg(root().join("install.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// One `run:` step of action.yml: its name, its env (expressions resolved), its script.
struct Step {
    name: String,
    env: Vec<(String, String)>,
    run: String,
}

/// The action's `run:` steps with `${{ … }}` resolved from `inputs` (over the defaults) and
/// `context`; any other expression in an env value, or one pasted into a script, fails.
fn action_steps(inputs: &[(&str, &str)], context: &[(&str, &str)]) -> Vec<Step> {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let mut values: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for (k, v) in doc["inputs"].as_mapping().unwrap() {
        let default = v["default"].as_str().unwrap_or("").to_string();
        values.insert(format!("inputs.{}", k.as_str().unwrap()), default);
    }
    for (k, v) in inputs {
        assert!(
            values.contains_key(&format!("inputs.{k}")),
            "action.yml has no input {k}"
        );
        values.insert(format!("inputs.{k}"), v.to_string());
    }
    for (k, v) in context {
        values.insert(k.to_string(), v.to_string());
    }
    let resolve = |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").unwrap() + at;
            let expr = rest[at + 3..end].trim();
            out.push_str(
                values
                    .get(expr)
                    .unwrap_or_else(|| panic!("unknown expression {expr}")),
            );
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    };
    doc["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|step| {
            let run = step["run"].as_str()?;
            if let Some(cond) = step["if"].as_str() {
                if !condition_holds(cond, &values) {
                    return None;
                }
            }
            assert!(
                !run.contains("${{"),
                "an expression pasted into a script: {run}"
            );
            assert_eq!(step["shell"].as_str(), Some("bash"));
            let env = step["env"]
                .as_mapping()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().unwrap().to_string(),
                                resolve(v.as_str().unwrap()),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(Step {
                name: step["name"].as_str().unwrap().to_string(),
                env,
                run: run.to_string(),
            })
        })
        .collect()
}

/// A run step's `if:` as the runner evaluates it, for the forms action.yml uses on run steps:
/// `${{ inputs.NAME != 'V' }}` and `==`, joined by `&&`. Any other form fails the test, so a
/// condition the test cannot judge is never taken as true.
fn condition_holds(cond: &str, values: &std::collections::BTreeMap<String, String>) -> bool {
    let inner = cond
        .trim()
        .strip_prefix("${{")
        .and_then(|c| c.strip_suffix("}}"))
        .unwrap_or(cond);
    inner.split("&&").all(|term| {
        let term = term.trim();
        let (name, op, value) = if let Some((l, r)) = term.split_once("!=") {
            (l.trim(), "!=", r.trim())
        } else if let Some((l, r)) = term.split_once("==") {
            (l.trim(), "==", r.trim())
        } else {
            panic!("a run step condition the test cannot evaluate: {cond}")
        };
        let value = value
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or_else(|| panic!("not a quoted literal in {cond}"));
        let actual = values
            .get(name)
            .unwrap_or_else(|| panic!("unknown expression {name} in {cond}"));
        (actual == value) == (op == "==")
    })
}

/// What one run of the action left: each step's name, exit code and output (then a last
/// `cargo` entry with the fallback's arguments, empty when it did not run), the step outputs,
/// and the folders the steps added to `PATH` for the job's next steps.
pub(crate) struct ActionRun {
    pub steps: Vec<(String, i32, String)>,
    pub outputs: String,
    pub path_added: Vec<String>,
}

/// Runs the action's steps in order in `workspace`, as the runner does (bash -e, GITHUB_PATH
/// and GITHUB_OUTPUT files), until one fails: each step's name, exit code and output.
fn run_action(
    workspace: &Path,
    release: &Path,
    inputs: &[(&str, &str)],
) -> (Vec<(String, i32, String)>, String) {
    let run = run_action_full(workspace, release, inputs);
    (run.steps, run.outputs)
}

/// [`run_action`], with the folders added to `PATH`.
pub(crate) fn run_action_full(
    workspace: &Path,
    release: &Path,
    inputs: &[(&str, &str)],
) -> ActionRun {
    let runner = workspace.parent().unwrap().join(format!(
        "runner-{}",
        workspace.file_name().unwrap().to_string_lossy()
    ));
    let temp = runner.join("temp");
    std::fs::create_dir_all(&temp).unwrap();
    // A cargo that only says it was asked: the fallback must not run after a checksum failure.
    let fake = runner.join("fake-bin");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(
        fake.join("cargo"),
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nexit 1\n",
            runner.join("cargo-called").display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(fake.join("cargo"))
        .status()
        .unwrap();
    let (gh_path, gh_output) = (runner.join("github_path"), runner.join("github_output"));
    std::fs::write(&gh_path, "").unwrap();
    std::fs::write(&gh_output, "").unwrap();
    let root_s = root().display().to_string();
    let temp_s = temp.display().to_string();
    let steps = action_steps(
        inputs,
        &[
            ("github.action_ref", "v9.9.9"),
            ("github.action_path", &root_s),
            ("runner.temp", &temp_s),
        ],
    );
    let mut results = Vec::new();
    for step in steps {
        let added: String = std::fs::read_to_string(&gh_path)
            .unwrap()
            .lines()
            .map(|l| format!("{l}:"))
            .collect();
        let path = format!(
            "{added}{}:{}",
            fake.display(),
            std::env::var("PATH").unwrap()
        );
        let out = Command::new("bash")
            .args([
                "--noprofile",
                "--norc",
                "-e",
                "-o",
                "pipefail",
                "-c",
                &step.run,
            ])
            .current_dir(workspace)
            .envs(step.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PATH", path)
            .env("GITHUB_PATH", &gh_path)
            .env("GITHUB_OUTPUT", &gh_output)
            .env("AKTO_CONNECT_DOWNLOAD_URL", file_url(release))
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        results.push((step.name, code, text));
        if code != 0 {
            break;
        }
    }
    let cargo = std::fs::read_to_string(runner.join("cargo-called")).unwrap_or_default();
    let outputs = std::fs::read_to_string(&gh_output).unwrap();
    results.push(("cargo".into(), 0, cargo));
    let path_added = std::fs::read_to_string(&gh_path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    ActionRun {
        steps: results,
        outputs,
        path_added,
    }
}

const NO_BASE: &str = "<policies>\n    <inbound>\n        <set-header name=\"x\" exists-action=\"delete\" />\n    </inbound>\n    <backend><base /></backend>\n    <outbound><base /></outbound>\n    <on-error><base /></on-error>\n</policies>\n";
const CLEAN: &str = "<policies>\n    <inbound><base /></inbound>\n    <backend><base /></backend>\n    <outbound><base /></outbound>\n    <on-error><base /></on-error>\n</policies>\n";

fn workspace(tmp: &Path, name: &str, policy: &str) -> std::path::PathBuf {
    let ws = tmp.join(name);
    let p = ws.join("apis/orders/policy.xml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, policy).unwrap();
    std::fs::create_dir_all(ws.join("policy fragments/auth")).unwrap();
    std::fs::write(
        ws.join("policy fragments/auth/policy.xml"),
        "<fragment>\n    <set-header name=\"y\" exists-action=\"delete\" />\n</fragment>\n",
    )
    .unwrap();
    ws
}

#[test]
#[ignore = "needs curl, tar and sha256sum"]
fn action_steps_run_against_a_stand_in_release() {
    for t in ["curl", "tar", "sha256sum"] {
        require_tool(t);
    }
    let tmp = tempfile::tempdir().unwrap();
    let (good, bad, empty) = (
        tmp.path().join("good"),
        tmp.path().join("bad"),
        tmp.path().join("empty"),
    );
    for d in [&good, &bad, &empty] {
        std::fs::create_dir_all(d).unwrap();
    }
    stand_in_release(&good, true);
    stand_in_release(&bad, false);
    let paths = [("paths", "apis\npolicy fragments\n")];

    // A missing <base />: the lint step fails with exit 1, annotations in the log, SARIF kept.
    let ws = workspace(tmp.path(), "ws-findings", NO_BASE);
    let (steps, outputs) = run_action(&ws, &good, &paths);
    assert_eq!(steps[0].1, 0, "install: {}", steps[0].2);
    assert!(steps[0].2.contains("akto-connect "), "{}", steps[0].2);
    let lint = &steps[1];
    assert_eq!(lint.1, 1, "lint: {}", lint.2);
    assert!(
        lint.2
            .contains("::error file=apis/orders/policy.xml,line=2"),
        "{}",
        lint.2
    );
    assert!(outputs.contains("exit-code=1"), "{outputs}");
    let sarif = outputs
        .lines()
        .find_map(|l| l.strip_prefix("sarif-file="))
        .expect("sarif-file output");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
    assert_eq!(v["runs"][0]["results"][0]["ruleId"], "missing-base");
    assert!(
        steps.last().unwrap().2.is_empty(),
        "cargo ran: {}",
        steps.last().unwrap().2
    );

    // A clean tree passes; with upload-sarif false no SARIF is written.
    let ws = workspace(tmp.path(), "ws-clean", CLEAN);
    let (steps, outputs) = run_action(
        &ws,
        &good,
        &[paths[0], ("upload-sarif", "false"), ("fail-on", "warning")],
    );
    assert_eq!(steps[1].1, 0, "{}", steps[1].2);
    assert!(
        outputs.contains("exit-code=0") && !outputs.contains("sarif-file="),
        "{outputs}"
    );

    // A wrong checksum stops at the install step, and nothing is built instead.
    let ws = workspace(tmp.path(), "ws-bad", CLEAN);
    let (steps, _) = run_action(&ws, &bad, &paths);
    assert_eq!(
        steps.len(),
        2,
        "went past the install step: {:?}",
        steps.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    assert_eq!(steps[0].1, 1, "{}", steps[0].2);
    assert!(steps[0].2.contains("checksum mismatch"), "{}", steps[0].2);
    assert!(
        steps[1].2.is_empty(),
        "fell back to cargo after a checksum failure"
    );

    // No release for this version: the fallback is cargo install --locked of the action.
    let ws = workspace(tmp.path(), "ws-none", CLEAN);
    let (steps, _) = run_action(&ws, &empty, &[paths[0], ("version", "v0.0.1")]);
    let cargo = &steps.last().unwrap().2;
    assert!(
        cargo.starts_with("install --locked --path ") && cargo.contains("--root"),
        "{cargo}"
    );
}

#[test]
#[ignore = "needs check-jsonschema (PyPI)"]
fn workflows_and_action_pass_the_github_schemas() {
    require_tool("check-jsonschema");
    let workflows: Vec<std::path::PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(workflows.len() >= 2, "{workflows:?}");
    for (schema, files) in [
        ("vendor.github-workflows", workflows.clone()),
        ("vendor.github-actions", vec![root().join("action.yml")]),
    ] {
        let out = Command::new("check-jsonschema")
            .args(["--builtin-schema", schema])
            .args(&files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{schema}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // actionlint also checks expressions and the shell scripts; it runs wherever installed.
    if crate::common::on_path("actionlint") {
        let out = Command::new("actionlint")
            .args(&workflows)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // The release matrix builds every platform the install script and binstall expect.
    let release = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&release).unwrap();
    let targets: Vec<&str> = doc["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(
            targets.contains(&t),
            "{t} missing from the release matrix: {targets:?}"
        );
    }
    let install = std::fs::read_to_string(root().join("install.sh")).unwrap();
    assert!(
        install.contains("akto-connect-$target.$ext") && release.contains("archive: $bin-$target")
    );
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("{ name }-{ target }.tgz")
            || cargo.contains("{ name }-{ target }{ archive-suffix }"),
        "binstall metadata"
    );
}

/// A git repository holding one policy, as a user's APIOps repository would.
fn policy_repo(dir: &Path, policy: &str) {
    let p = dir.join("apis/orders/policy.xml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, policy).unwrap();
    for args in [
        &["init", "-q"][..],
        &["add", "."],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "policy",
        ],
    ] {
        assert!(Command::new("git")
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap()
            .success());
    }
}

#[test]
#[ignore = "needs pre-commit (PyPI) and git"]
fn pre_commit_try_repo_fails_on_a_missing_base_and_passes_a_clean_policy() {
    require_tool("pre-commit");
    require_tool("git");
    // pre-commit's environments and the hook's cargo build are kept under target/, so the
    // crate is built once, not on every run.
    let cache = root().join("target/pre-commit");
    let try_repo = |dir: &Path, hook: &str, path: Option<&Path>| {
        let mut cmd = Command::new("pre-commit");
        cmd.args(["try-repo"])
            .arg(root())
            .args([hook, "--files", "apis/orders/policy.xml"])
            .current_dir(dir)
            .env("PRE_COMMIT_HOME", cache.join("home"))
            .env("CARGO_TARGET_DIR", cache.join("cargo-target"));
        if let Some(p) = path {
            cmd.env(
                "PATH",
                format!("{}:{}", p.display(), std::env::var("PATH").unwrap()),
            );
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let tmp = tempfile::tempdir().unwrap();
    let (bad, good) = (tmp.path().join("bad"), tmp.path().join("good"));
    policy_repo(&bad, NO_BASE);
    policy_repo(&good, CLEAN);

    let (code, out) = try_repo(&bad, "akto-connect-lint", None);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("missing-base") && out.contains("Failed"),
        "{out}"
    );
    let (code, out) = try_repo(&good, "akto-connect-lint", None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Passed"), "{out}");

    // The system hook runs the akto-connect on PATH.
    let built = assert_cmd::cargo::cargo_bin("akto-connect");
    let bin_dir = built.parent().unwrap();
    let (code, out) = try_repo(&bad, "akto-connect-lint-system", Some(bin_dir));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("missing-base"), "{out}");
    let (code, out) = try_repo(&good, "akto-connect-lint-system", Some(bin_dir));
    assert_eq!(code, Some(0), "{out}");
}
