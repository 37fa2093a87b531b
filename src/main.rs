use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

/// mimalloc: lint reads tens of thousands of small files on every core, where glibc's
/// allocator spends a sixth of the time and contends between threads (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut cmd = akto_connect::cli::Cli::command();
    let matches = match cmd.try_get_matches_from_mut(std::env::args_os()) {
        Ok(m) => m,
        Err(e) => exit_clap(e, &mut cmd),
    };
    // A flag typed for a format that ignores it is a usage error, like clap's own.
    if let Err(e) = akto_connect::cli::format_flags::check(&mut cmd, &matches) {
        exit_clap(e, &mut cmd);
    }
    let cli = match akto_connect::cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => exit_clap(e, &mut cmd),
    };
    match akto_connect::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Messages echo file names and values: nothing in them may drive the terminal.
            let message = akto_connect::error::printable_lines(&format!("{e:#}"));
            eprintln!("error: {message}");
            // A pipeline that asked for JSON gets JSON on every outcome, a failure included.
            if asked_for_json(&matches) {
                println!("{}", akto_connect::error::json_failure(&message));
            }
            ExitCode::from(2)
        }
    }
}

/// Whether the subcommand that ran was given `--format json`.
fn asked_for_json(matches: &clap::ArgMatches) -> bool {
    let mut m = matches;
    while let Some((_, sub)) = m.subcommand() {
        m = sub;
    }
    match m.try_get_raw("format") {
        Ok(Some(mut values)) => values.any(|v| v == "json"),
        _ => false,
    }
}

/// Whether the command line, as typed, asks for `--format json` (for errors found before the
/// arguments parse).
fn typed_json_format() -> bool {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json")
}

/// Prints clap's error and exits with its code. clap echoes a refused value as typed (or, when
/// it renders without colours, with escape sequences silently stripped, so the message shows a
/// value that was not typed). When an argument holds a control character, a line separator, a
/// bidirectional override or is absurdly long, the arguments are parsed again with those
/// characters escaped and long values cut, and that error is printed: the same message, naming
/// the value as `in\u{7}fo`.
fn exit_clap(e: clap::Error, cmd: &mut clap::Command) -> ! {
    // A usage error of a run that asked for JSON: the JSON failure on standard output too.
    if e.use_stderr() && typed_json_format() {
        let message = akto_connect::error::printable_lines(&e.render().to_string());
        println!(
            "{}",
            akto_connect::error::json_failure(message.trim_start_matches("error: ").trim_end())
        );
    }
    if !e.use_stderr() || !std::env::args_os().any(|a| is_hostile(&a.to_string_lossy())) {
        e.exit(); // --help, --version, or nothing to escape
    }
    let tame: Vec<OsString> = std::env::args_os()
        .map(|a| match a.to_str() {
            Some(s) if is_hostile(s) => cut(&akto_connect::error::printable(s)).into(),
            _ => a,
        })
        .collect();
    if let Err(again) = cmd.try_get_matches_from_mut(tame) {
        if again.kind() == e.kind() {
            again.exit();
        }
    }
    // The escaped arguments parse differently: clap's message, escaped and cut.
    let shown: Vec<String> = akto_connect::error::printable_lines(&e.render().to_string())
        .lines()
        .map(|l| l.split(' ').map(cut).collect::<Vec<_>>().join(" "))
        .collect();
    eprintln!("{}", shown.join("\n"));
    std::process::exit(e.exit_code());
}

fn is_hostile(arg: &str) -> bool {
    arg.chars().count() > 1_000
        || arg
            .chars()
            .any(|c| akto_connect::text::problem_char(c).is_some())
}

/// A word of a message, its middle cut when it is longer than 200 characters (the end stays: it
/// holds the closing quote).
fn cut(word: &str) -> String {
    let n = word.chars().count();
    if n <= 200 {
        return word.to_string();
    }
    let head: String = word.chars().take(190).collect();
    let tail: String = word.chars().skip(n - 5).collect();
    format!("{head}…{tail}")
}
