//! `akto-connect lint`, `rules`, `rule`: finds the files, applies the configuration, runs the
//! linter, writes fixes and prints the report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::cli::lint::{ColorArg, FailOn, LintArgs, LintFormat, ScopeArg};
use crate::lint::{self, fix, Config, Finding, Scope, Severity};
use crate::output;
use crate::report::{self, FileResult, Run};

/// The config file looked for in the current folder and its parents.
pub const CONFIG_NAME: &str = "akto-connect.toml";

/// A file to lint: where to read it, how to show it, how the config sees it.
struct Target {
    /// `None` for standard input.
    path: Option<PathBuf>,
    shown: String,
    /// Relative to the config's folder, `/`-separated (for ignore, scopes, suppressions).
    key: String,
}

pub fn run(args: &LintArgs) -> anyhow::Result<ExitCode> {
    let (config, base) = load_config(args)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if args.fix && paths.iter().any(|p| p.as_os_str() == "-") {
        bail!("--fix cannot fix standard input; give the file's path");
    }
    let targets = collect(&paths, &base, &config)?;
    let results = parallel_map(&targets, |t| lint_one(args, &config, t));
    let mut files = Vec::with_capacity(targets.len());
    let mut fixed = 0;
    for r in results {
        let (file, was_fixed) = r?;
        fixed += usize::from(was_fixed);
        files.push(file);
    }
    let run = Run {
        files: &files,
        fixed,
    };
    let text = match args.format {
        LintFormat::Text => report::text::render(&run, use_color(args)),
        LintFormat::Json => report::json::render(&run),
        LintFormat::Sarif => report::sarif::render(&run),
        LintFormat::Github => report::github::render(&run),
    };
    output::emit(args.output.as_deref(), &text)?;
    let threshold = match args.fail_on {
        Some(FailOn::Error) => Severity::Error,
        Some(FailOn::Warning) => Severity::Warning,
        Some(FailOn::Info) => Severity::Info,
        None => config.fail_on.unwrap_or(Severity::Error),
    };
    let failing = files
        .iter()
        .flat_map(|f| &f.findings)
        .any(|f| f.severity >= threshold);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Lints one file (and fixes it with `--fix`); returns its result and whether it was fixed.
fn lint_one(args: &LintArgs, config: &Config, t: &Target) -> anyhow::Result<(FileResult, bool)> {
    let bytes = match &t.path {
        None => read_stdin_bytes()?,
        Some(p) => crate::input::read_capped(p)
            .with_context(|| format!("{}: cannot read the file", p.display()))?,
    };
    let scope = scope_for(args, config, t);
    let (mut src, mut findings) = lint::lint_bytes(&bytes, scope, config, &t.key);
    let unreadable = findings.iter().any(|f| f.rule == "parse-error");
    let mut fixed = false;
    if args.fix && !unreadable {
        if let Some((new_src, new_findings, notes)) = try_fix(&src, &findings, scope, config, t)? {
            for n in notes {
                eprintln!("fixed {}:{n}", t.shown);
            }
            src = new_src;
            findings = new_findings;
            fixed = true;
        }
    }
    if findings.is_empty() {
        // Reports read a file's text only where it has findings; large trees stay small.
        src = String::new();
    }
    let file = FileResult {
        path: t.shown.clone(),
        src,
        findings,
    };
    Ok((file, fixed))
}

/// Maps `f` over `items` on all cores, keeping the order of `items`. The current thread works
/// too, so a worker that cannot be started only means fewer helpers.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            out.push((i, f(item)));
        }
        out
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        // Deeply nested regexes in a policy need stack (see dotnet_regex::parse).
        let helpers: Vec<_> = (1..workers)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(WORKER_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for h in helpers {
            done.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        done
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Stack of a lint worker: room for the deepest regex tree the analysis keeps.
const WORKER_STACK: usize = 64 << 20;

/// Applies the fixes of one file; returns the new text, its findings and what was fixed, or
/// `None` when nothing was fixable. A fixed text that does not read clean is never written.
#[allow(clippy::type_complexity)]
fn try_fix(
    src: &str,
    findings: &[Finding],
    scope: Scope,
    config: &Config,
    t: &Target,
) -> anyhow::Result<Option<(String, Vec<Finding>, Vec<String>)>> {
    let (new_src, applied) = fix::apply(src, findings);
    if applied.is_empty() {
        return Ok(None);
    }
    let after = lint::lint_text(&new_src, scope, config, &t.key);
    if let Some(bad) = after.iter().find(|f| f.rule == "parse-error") {
        bail!(
            "{}: --fix produced text that does not read ({}); the file was left unchanged. Please report this.",
            t.shown,
            bad.message
        );
    }
    let Some(path) = &t.path else {
        return Ok(None);
    };
    output::write_atomic(path, &new_src)?;
    let idx = report::LineIndex::new(src);
    let notes = applied
        .iter()
        .filter_map(|f| {
            let (line, col) = idx.line_col(f.span.start);
            f.fix
                .as_ref()
                .map(|e| format!("{line}:{col}: {}", e.description))
        })
        .collect();
    Ok(Some((new_src, after, notes)))
}

fn scope_for(args: &LintArgs, config: &Config, t: &Target) -> Scope {
    if let Some(s) = args.scope {
        return match s {
            ScopeArg::Global => Scope::Global,
            ScopeArg::Workspace => Scope::Workspace,
            ScopeArg::Product => Scope::Product,
            ScopeArg::Api => Scope::Api,
            ScopeArg::Operation => Scope::Operation,
            ScopeArg::Fragment => Scope::Fragment,
        };
    }
    if let Some(s) = config.scope_for(&t.key) {
        return s;
    }
    match &t.path {
        Some(p) => Scope::from_path(p, Path::is_dir),
        None => Scope::Unknown,
    }
}

fn use_color(args: &LintArgs) -> bool {
    match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            args.output.is_none()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Loads `--config`, or the nearest akto-connect.toml; returns it and the folder its globs are
/// relative to.
fn load_config(args: &LintArgs) -> anyhow::Result<(Config, PathBuf)> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let found = match (&args.config, args.no_config) {
        (_, true) => None,
        (Some(p), _) => Some(p.clone()),
        (None, _) => cwd
            .ancestors()
            .map(|d| d.join(CONFIG_NAME))
            .find(|p| p.is_file()),
    };
    let Some(path) = found else {
        return Ok((Config::default(), cwd));
    };
    let text = crate::input::read_capped(&path)
        .and_then(|b| {
            String::from_utf8(b)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let config =
        Config::parse(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
    let base = normalize(&path).parent().map_or(cwd, Path::to_path_buf);
    Ok((config, base))
}

/// Expands the command line's paths into files, in a stable order.
fn collect(paths: &[PathBuf], base: &Path, config: &Config) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Target {
                path: None,
                shown: "<stdin>".to_string(),
                key: "<stdin>".to_string(),
            });
            continue;
        }
        let meta = std::fs::metadata(p)
            .with_context(|| format!("{}: no such file or folder", p.display()))?;
        let mut files = Vec::new();
        if meta.is_dir() {
            walk(p, &mut files)
                .with_context(|| format!("cannot read the folder {}", p.display()))?;
        } else {
            files.push(p.clone());
        }
        for f in files {
            let key = config_key(&f, base);
            if config.is_ignored(&key) {
                continue;
            }
            out.push(Target {
                shown: shown(&f),
                path: Some(f),
                key,
            });
        }
    }
    Ok(out)
}

/// `*.xml` files below `dir`, sorted; hidden folders and symbolic links to folders skipped.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for e in entries {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let ft = e.file_type()?;
            if ft.is_dir() {
                if !name.starts_with('.') {
                    subdirs.push(e.path());
                }
            } else if (ft.is_file() || ft.is_symlink())
                && name.to_ascii_lowercase().ends_with(".xml")
                && e.path().is_file()
            {
                out.push(e.path());
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    out.sort();
    Ok(())
}

/// The path as shown in reports: as given, without a leading `./`, `/`-separated.
fn shown(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The path relative to the config's folder, `/`-separated; the shown path when outside it.
fn config_key(p: &Path, base: &Path) -> String {
    let abs = normalize(p);
    abs.strip_prefix(base).map_or_else(|_| shown(p), shown)
}

/// An absolute path with `.` and `..` resolved lexically (symbolic links are left alone, so
/// the config folder and the files are compared the same way).
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn read_stdin_bytes() -> anyhow::Result<Vec<u8>> {
    crate::input::read_all_capped(std::io::stdin().lock()).context("cannot read standard input")
}

pub fn list_rules() -> anyhow::Result<ExitCode> {
    let width = lint::all_rules()
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in lint::all_rules() {
        let level = if r.default_enabled {
            r.default_severity.as_str()
        } else {
            "off"
        };
        out.push_str(&format!("{:width$}  {level:7}  {}\n", r.id, r.summary));
    }
    out.push_str("\nOne rule's documentation: akto-connect rule ID. Levels and suppressions: akto-connect.toml (see akto-connect lint --help).\n");
    output::emit(None, &out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn show_rule(id: &str) -> anyhow::Result<ExitCode> {
    let Some(r) = lint::rule(id) else {
        let known: Vec<_> = lint::all_rules().iter().map(|r| r.id).collect();
        bail!("unknown rule `{id}`; known rules: {}", known.join(", "));
    };
    let level = if r.default_enabled {
        r.default_severity.as_str()
    } else {
        "off"
    };
    let text = format!(
        "# {} ({level} by default)\n\n{}\n",
        r.id,
        r.doc_text().trim_end()
    );
    output::emit(None, &text)?;
    Ok(ExitCode::SUCCESS)
}
