//! Completion scripts driven by the shells themselves: a subcommand's flag completes below the
//! top level (clap_complete's bash script mislabels hyphenated binary names; see
//! `app::completion_script`).

use std::process::Command;

use crate::common::{bin, require_tool};

fn script(shell: &str) -> String {
    let a = bin().args(["completions", shell]).assert().success();
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

/// Sources the bash script in a real bash and runs the completion function the way readline
/// does for the words given (the last one being completed); returns COMPREPLY.
fn bash_complete(script_path: &std::path::Path, words: &[&str]) -> Vec<String> {
    let words_q: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let line = words.join(" ");
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}'\n\
         fn=$(complete -p akto-connect | sed -n 's/.*-F \\([^ ]*\\) akto-connect$/\\1/p')\n\
         [ -n \"$fn\" ] || {{ echo 'no completion registered for akto-connect' >&2; exit 3; }}\n\
         COMP_WORDS=({})\nCOMP_CWORD={cword}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         \"$fn\" akto-connect '{}' '{prev}'\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script_path.display(),
        words_q.join(" "),
        words[cword],
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_subcommands_and_their_flags() {
    let dir = tempfile_dir();
    let path = dir.join("akto-connect.bash");
    std::fs::write(&path, script("bash")).unwrap();

    let top = bash_complete(&path, &["akto-connect", "li"]);
    assert!(top.iter().any(|w| w == "lint"), "{top:?}");
    let nested = bash_complete(&path, &["akto-connect", "apim", "po"]);
    assert!(nested.iter().any(|w| w == "policy"), "{nested:?}");
    let flag = bash_complete(&path, &["akto-connect", "lint", "--fo"]);
    assert!(flag.iter().any(|w| w == "--format"), "{flag:?}");
    let deep = bash_complete(&path, &["akto-connect", "apim", "policy", "--ingest-u"]);
    assert!(deep.iter().any(|w| w == "--ingest-url"), "{deep:?}");
}

#[test]
#[ignore = "needs fish"]
fn fish_completes_a_subcommand_flag() {
    require_tool("fish");
    let dir = tempfile_dir();
    let path = dir.join("akto-connect.fish");
    std::fs::write(&path, script("fish")).unwrap();
    let out = Command::new("fish")
        .args(["--no-config", "-c"])
        .arg(format!(
            "source '{}'; complete -C 'akto-connect lint --fo'; complete -C 'akto-connect apim po'",
            path.display()
        ))
        .output()
        .expect("fish runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.lines().any(|l| l.starts_with("--format")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("policy")), "{text}");
}

#[test]
#[ignore = "needs zsh"]
fn zsh_script_loads_and_defines_its_function() {
    require_tool("zsh");
    let dir = tempfile_dir();
    let path = dir.join("_akto-connect");
    std::fs::write(&path, script("zsh")).unwrap();
    // zsh parses the script (-n), then loads it through compinit's autoload as a user's fpath
    // would and finds the completion function bound to the command.
    let syntax = Command::new("zsh").arg("-n").arg(&path).output().unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let program = format!(
        "fpath=('{}' $fpath); autoload -U compinit; compinit -u -D; print -r -- ${{_comps[akto-connect]}}",
        dir.display()
    );
    let out = Command::new("zsh")
        .args(["-f", "-c", &program])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.trim() == "_akto-connect",
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "akto-connect-completions-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
