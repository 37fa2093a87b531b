//! `akto-connect man`: the manual pages, made by clap_mangen from the same command definition
//! as `--help` and the shell completions, so they cannot drift from the binary.

use crate::render::artifact::Artifact;
use std::path::Path;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::output;

/// Without `dir`, prints `akto-connect(1)` (which lists every command); with it, writes that
/// page and one per command (`akto-connect-apim-policy.1`, …) into `dir`.
pub fn run(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut commands = Vec::new();
    collect(&cmd, "akto-connect", &mut commands);
    let main = main_page(&cmd, &commands)?;
    let Some(dir) = dir else {
        output::emit(None, &main)?;
        return Ok(ExitCode::SUCCESS);
    };
    if std::fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        anyhow::bail!(
            "cannot write the man pages into {}: it exists and is not a folder; nothing was written. Give a folder (it is created if missing)",
            crate::error::printable(&dir.display().to_string())
        );
    }
    let mut files = vec![Artifact::new("akto-connect.1", main)];
    for (path, sub) in &commands {
        let name = path.replace(' ', "-");
        let page = render(clap_mangen::Man::new(
            sub.clone().name(name.clone()).bin_name(path.clone()),
        ))?;
        files.push(Artifact::new(format!("{name}.1"), page));
    }
    let written = output::deliver(&files, output::Destination::Dir(dir))?;
    eprintln!(
        "wrote {} man pages into {}",
        written.len(),
        crate::error::printable(&dir.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

/// Every command below `cmd`, depth first, with its full name (`akto-connect apim policy`).
fn collect(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{path} {}", sub.get_name());
        out.push((name.clone(), sub.clone()));
        collect(sub, &name, out);
    }
}

fn render(man: clap_mangen::Man) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    man.render(&mut buf)
        .map_err(|e| anyhow::anyhow!("cannot render the man page: {e}"))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// The top-level page, with a COMMANDS section naming every command (nested ones too) and its
/// page.
fn main_page(cmd: &clap::Command, commands: &[(String, clap::Command)]) -> anyhow::Result<String> {
    let mut page = render(clap_mangen::Man::new(cmd.clone()))?;
    page.push_str(".SH \"ALL COMMANDS\"\n");
    for (path, sub) in commands {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        page.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(path), roff(&about)));
    }
    page.push_str(".SH \"SEE ALSO\"\n");
    let refs: Vec<String> = commands
        .iter()
        .map(|(path, _)| format!("\\fB{}\\fR(1)", roff(&path.replace(' ', "-"))))
        .collect();
    page.push_str(&refs.join(",\n"));
    page.push('\n');
    Ok(page)
}

/// Text for a roff line: backslashes and hyphens escaped, and a leading `.` or `'` (a request)
/// made literal.
fn roff(s: &str) -> String {
    let text = s.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}
