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
#[allow(dead_code)]
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}
