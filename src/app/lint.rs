//! `akto-connect lint`, `rules`, `rule`: finds the files, applies the configuration, runs the
//! linter, writes fixes and prints the report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::cli::lint::{ColorArg, FailOn, LintArgs, ScopeArg};
use crate::lint::{self, fix, Config, Finding, Scope, Severity};
use crate::output;
use crate::report::{self, FileResult};

/// The config file looked for in the current folder and its parents.
pub const CONFIG_NAME: &str = "akto-connect.toml";

use crate::lint::file::Target as PolicyFile;

pub fn run(args: &LintArgs) -> anyhow::Result<ExitCode> {
    let (config, base, config_path) = load_config(args)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if args.fix && paths.iter().any(|p| p.as_os_str() == "-") {
        bail!("--fix cannot fix standard input; give the file's path");
    }
    let targets = discover(&paths, &base, &config, scope_override(args))?;
    if targets.is_empty() && !args.allow_empty {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "no policy files (*.xml) found under {}: check the path (ignored by akto-connect.toml, .gitignore or .ignore files, or hidden?), or pass --allow-empty if an empty tree is fine",
            shown.join(", ")
        );
    }
    // Files of an APIOps tree are read once and judged on the effective policy too; the
    // others are linted one by one. Both are reported in the order of `targets`, as they finish.
    // `--fix` first edits the files one by one, so the report reads them as they now stand and
    // a tree's files are judged on their effective policies too.
    let mut fixed = 0;
    let mut errors: Vec<anyhow::Error> = Vec::new();
    // The files the fix pass could not read: their error is reported once.
    let mut failed = std::collections::HashSet::new();
    if args.fix {
        let all: Vec<(usize, &PolicyFile)> = targets.iter().enumerate().collect();
        crate::par::for_each_ordered(
            lint_threads(),
            WORKER_STACK,
            &all,
            |&(i, t)| (i, t, lint_one(args, &config, t, true)),
            |(i, t, result)| match result {
                Ok(linted) => {
                    for n in &linted.notes {
                        eprintln!("fixed {}:{n}", crate::error::printable(&t.shown));
                    }
                    fixed += usize::from(linted.fixed);
                }
                Err(e) => {
                    failed.insert(i);
                    errors.push(e);
                }
            },
        );
    }
    let trees = super::apim_tree::plan_trees(&config, &paths, &targets)?;
    let lone: Vec<(usize, &PolicyFile)> = targets
        .iter()
        .enumerate()
        .filter(|(i, _)| !trees.covers(*i))
        .collect();
    // Notes about the run itself go into the report where the format has a place for them,
    // and to standard error where it has none (text, GitLab's list of issues).
    let notes_in_report = !matches!(args.format.name, "text" | "gitlab");
    let mut notes: Vec<String> = Vec::new();
    if let Some(note) = super::apim_tree::lone_note(lone.len()) {
        if notes_in_report {
            notes.push(note);
        } else {
            eprintln!("note: {note}");
        }
    }
    let cwd = std::env::current_dir().ok();
    let settings = report::Settings {
        color: use_color(args),
        root: cwd.as_deref(),
    };
    let mut reporter = (args.format.reporter)(&settings);
    // The report is written as files finish, in order, to standard output or (`-o FILE`) to a
    // temporary file beside FILE, renamed over it once the report is complete: memory stays
    // flat in the report's size, and a failed run leaves FILE as it was.
    let to_file = args.output.as_deref().filter(|p| p.as_os_str() != "-");
    let mut file_sink = match to_file {
        Some(p) => Some(std::io::BufWriter::new(output::AtomicFile::create(p)?)),
        None => None,
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let sink: &mut dyn std::io::Write = match &mut file_sink {
        Some(f) => f,
        None => &mut stdout,
    };
    let threshold = match args.fail_on {
        Some(FailOn::Error) => Severity::Error,
        Some(FailOn::Warning) => Severity::Warning,
        Some(FailOn::Info) => Severity::Info,
        None => config.fail_on.unwrap_or(Severity::Error),
    };
    let mut totals = report::Totals::default();
    let mut failing = false;
    let mut write_error: Option<std::io::Error> = None;
    // One file's result into the report; tree results come in order between lone files.
    let mut emit = |mut file: FileResult| {
        file.src = lint::file::mask_flagged(std::mem::take(&mut file.src), &file.findings);
        totals.add(&file);
        failing |= file.findings.iter().any(|f| f.severity >= threshold);
        if write_error.is_none() {
            write_error = reporter.file(sink, &file).err();
        }
    };
    // One list of work: the lone files and the trees' APIs, by the lowest target index each
    // reports (stable, so the APIs without files stay in id order, last).
    let mut jobs: Vec<(usize, Job)> = lone.iter().map(|&(i, t)| (i, Job::Lone(i, t))).collect();
    jobs.extend(trees.jobs().into_iter().map(|(i, a)| (i, Job::Api(a))));
    jobs.sort_by_key(|(i, _)| *i);
    // lowest[k]: the lowest target index that jobs k.. can still report.
    let mut lowest = vec![usize::MAX; jobs.len() + 1];
    for k in (0..jobs.len()).rev() {
        lowest[k] = lowest[k + 1].min(jobs[k].0);
    }
    // Results waiting for a lower index to be reported first (few: an API's files, or files
    // waiting for a tree's shared files).
    let mut pending: std::collections::BTreeMap<usize, FileResult> =
        trees.without_apis(&config, &targets).into_iter().collect();
    let mut tree_error: Option<anyhow::Error> = None;
    let mut done = 0;
    crate::par::for_each_ordered(
        lint_threads(),
        WORKER_STACK,
        &jobs,
        |(_, job)| match job {
            Job::Lone(_, t) => Done::Lone(lint_one(args, &config, t, false)),
            Job::Api(a) => Done::Api(trees.judge(&config, &targets, *a)),
        },
        |result| {
            let job = &jobs[done].1;
            done += 1;
            match (job, result) {
                (Job::Lone(i, _), Done::Lone(result)) => match result {
                    Ok(linted) => {
                        pending.insert(*i, linted.file);
                    }
                    Err(e) => {
                        if !failed.contains(i) {
                            errors.push(e);
                        }
                    }
                },
                (Job::Api(a), Done::Api(Ok(api))) => {
                    pending.extend(api.files);
                    pending.extend(trees.judged(&config, &targets, *a, api.hits));
                }
                (Job::Api(_), Done::Api(Err(e))) => {
                    tree_error.get_or_insert(e);
                }
                _ => {}
            }
            let below = lowest[done].min(trees.lowest_waiting());
            while let Some(entry) = pending.first_entry() {
                if *entry.key() >= below {
                    break;
                }
                emit(entry.remove());
            }
        },
    );
    while let Some((_, file)) = pending.pop_first() {
        emit(file);
    }
    if let Some(e) = tree_error {
        return Err(e);
    }
    totals.fixed += fixed;
    // A suppression that turned nothing off: a typo in its rule or paths, or a finding fixed
    // since; either way the config no longer says what it seems to.
    let config_name = config_path
        .as_deref()
        .map_or_else(|| CONFIG_NAME.to_string(), |p| p.display().to_string());
    let linted: Vec<&str> = targets.iter().map(|t| t.key.as_str()).collect();
    let whole = paths
        .iter()
        .any(|p| p.as_os_str() != "-" && base.starts_with(crate::walk::normalize(p)));
    for (n, said) in config.unused_suppressions(&linted, whole) {
        let text = format!(
            "{config_name}: [[suppress]] entry #{n} ({said}) turned off no finding in this run: remove it, or correct its rule or paths (globs relative to the config's folder)"
        );
        eprintln!("warning: {}", crate::error::printable(&text));
        if notes_in_report {
            notes.push(text);
        }
    }
    totals.notes = notes;
    let finished = match write_error {
        Some(e) => Err(e),
        None => reporter.finish(sink, &totals).and_then(|()| sink.flush()),
    };
    if let Err(e) = finished {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow::Error::new(e).context("cannot write the report"));
        }
    }
    if let Some(f) = file_sink {
        f.into_inner()
            .map_err(|e| anyhow::Error::new(e.into_error()).context("cannot write the report"))?
            .commit()?;
    }
    if !errors.is_empty() {
        for e in &errors[1..] {
            eprintln!("error: {e:#}");
        }
        let fixed = if args.fix {
            format!(
                " ({} fixed before the error, as reported above)",
                match totals.fixed {
                    1 => "1 file was".to_string(),
                    n => format!("{n} files were"),
                }
            )
        } else {
            String::new()
        };
        let first = errors.swap_remove(0);
        return Err(first.context(format!(
            "{} of {} files could not be linted{fixed}",
            errors.len() + 1,
            targets.len()
        )));
    }
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A piece of `lint`'s work: a file linted alone (its index in `targets`), or an API of a tree.
enum Job<'a> {
    Lone(usize, &'a PolicyFile),
    Api(super::apim_tree::ApiJob),
}

/// What a [`Job`] gives.
enum Done {
    Lone(anyhow::Result<Linted>),
    Api(anyhow::Result<super::apim_tree::ApiDone>),
}

/// One file's outcome: its result, what `--fix` did to it.
struct Linted {
    file: FileResult,
    /// `line:col: what was fixed`, in order.
    notes: Vec<String>,
    fixed: bool,
}

/// Lints one file (and fixes it with `fix`).
fn lint_one(args: &LintArgs, config: &Config, t: &PolicyFile, fix: bool) -> anyhow::Result<Linted> {
    let cap = args.max_file_size.saturating_mul(1 << 20);
    let bytes = match &t.path {
        None => read_stdin_bytes(cap)?,
        Some(p) => crate::input::read_at_most(p, cap)
            .with_context(|| format!("{}: cannot read the file", p.display()))?,
    };
    let Some(bytes) = bytes else {
        return Ok(Linted {
            file: too_large(args, config, t),
            notes: Vec::new(),
            fixed: false,
        });
    };
    let scope = t.scope;
    // `--fix` fixes every fixable finding; the report lists at most
    // `lint::MAX_FINDINGS_PER_RULE` of a rule per file.
    let keep = if fix {
        lint::Keep::Fixes
    } else {
        lint::Keep::Report
    };
    let (mut src, mut findings) = lint::lint_bytes_keeping(&bytes, scope, config, &t.key, keep);
    drop(bytes);
    if scope == Scope::Unknown {
        lint::rules::missing_base::hint_global(&mut findings, &t.key, &src);
    }
    let unreadable = lint::rules::parse_error::unreadable(&findings);
    let mut fixed = false;
    let mut notes = Vec::new();
    if fix && !unreadable {
        if let Some((new_src, new_findings, done)) = try_fix(&src, &findings, scope, config, t)? {
            notes = done;
            src = new_src;
            findings = new_findings;
            fixed = true;
        }
    }
    if lint::over_cap(&findings) {
        // Nothing was fixed after all: the report is capped as without --fix.
        findings = lint::lint_text(&src, scope, config, &t.key);
        if scope == Scope::Unknown {
            lint::rules::missing_base::hint_global(&mut findings, &t.key, &src);
        }
    }
    // Reports read a file's text only on the lines with findings; large trees stay small.
    src = if findings.is_empty() {
        String::new()
    } else {
        lint::file::kept_text(&src, &mut findings)
    };
    let file = FileResult {
        path: t.shown.clone(),
        src,
        findings,
    };
    Ok(Linted { file, notes, fixed })
}

/// The result for a file over the size cap: one `parse-error` finding, nothing read.
fn too_large(args: &LintArgs, config: &Config, t: &PolicyFile) -> FileResult {
    let rule = &lint::rules::parse_error::PARSE_ERROR;
    let findings = config
        .severity(rule, &t.key)
        .map(|severity| Finding {
            rule: rule.id,
            severity,
            span: 0..0,
            message: format!(
                "the file is larger than {} MiB, so it was not read (APIM takes at most 256 KiB per policy)",
                args.max_file_size
            ),
            help: "lint the policy files only, or raise the limit with --max-file-size MIB"
                .to_string(),
            fix: None,
            secret: false,
        })
        .into_iter()
        .collect();
    FileResult {
        path: t.shown.clone(),
        src: String::new(),
        findings,
    }
}

/// Threads of lint's work: every core, at most 8.
fn lint_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
}

/// Stack of a lint worker: room for the deepest regex tree the analysis keeps (1,000 nested
/// groups at about 4 KiB each) with a wide margin.
const WORKER_STACK: usize = 16 << 20;

/// Applies the fixes of one file; returns the new text, its findings and what was fixed, or
/// `None` when nothing was fixable. A fixed text that does not read clean is never written.
#[allow(clippy::type_complexity)]
fn try_fix(
    src: &str,
    findings: &[Finding],
    scope: Scope,
    config: &Config,
    t: &PolicyFile,
) -> anyhow::Result<Option<(String, Vec<Finding>, Vec<String>)>> {
    let (new_src, applied) = fix::apply(src, findings);
    if applied.is_empty() {
        return Ok(None);
    }
    let after = lint::lint_text(&new_src, scope, config, &t.key);
    if let Some(bad) = after
        .iter()
        .find(|f| f.rule == lint::rules::parse_error::PARSE_ERROR.id)
    {
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

/// The scope `--scope` forces on every file, if given.
fn scope_override(args: &LintArgs) -> Option<Scope> {
    args.scope.map(|s| match s {
        ScopeArg::Global => Scope::Global,
        ScopeArg::Workspace => Scope::Workspace,
        ScopeArg::Product => Scope::Product,
        ScopeArg::Api => Scope::Api,
        ScopeArg::Operation => Scope::Operation,
        ScopeArg::Fragment => Scope::Fragment,
    })
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
fn load_config(args: &LintArgs) -> anyhow::Result<(Config, PathBuf, Option<PathBuf>)> {
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
        return Ok((Config::default(), cwd, None));
    };
    let text = crate::input::read_capped(&path)
        .and_then(|b| {
            String::from_utf8(b)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let config =
        Config::parse(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))?;
    let base = crate::walk::normalize(&path)
        .parent()
        .map_or(cwd, Path::to_path_buf);
    Ok((config, base, Some(path)))
}

/// The policy files under `paths` (files, folders searched for `*.xml`, `-` for standard
/// input), each with its scope, in a stable order: the paths in the order given, the files of
/// each folder sorted by path. Folders are walked in parallel, honouring `.gitignore` and
/// `.ignore` files and skipping hidden files and folders and symbolic links to folders;
/// files the config ignores are left out. `base` is the config's folder; `scope`, when given,
/// is every file's scope.
pub(crate) fn discover(
    paths: &[PathBuf],
    base: &Path,
    config: &Config,
    scope: Option<Scope>,
) -> anyhow::Result<Vec<PolicyFile>> {
    let mut out = Vec::new();
    let cwd = std::env::current_dir().ok();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(PolicyFile {
                path: None,
                shown: "<stdin>".to_string(),
                key: "<stdin>".to_string(),
                scope: scope
                    .or_else(|| config.scope_for("<stdin>"))
                    .unwrap_or(Scope::Unknown),
            });
            continue;
        }
        let meta = std::fs::metadata(p)
            .with_context(|| format!("{}: no such file or folder", p.display()))?;
        let files = if meta.is_dir() {
            walk(p).with_context(|| format!("cannot read the folder {}", p.display()))?
        } else {
            vec![p.clone()]
        };
        // The walk's files are the folder joined with plain names: their keys are the
        // folder's key joined with the same names, worked out once.
        let folder_key = meta
            .is_dir()
            .then(|| key_within(p, base, cwd.as_deref()))
            .flatten();
        for f in files {
            let key = match (&folder_key, f.strip_prefix(p)) {
                (Some(k), Ok(rel)) if !k.is_empty() => format!("{k}/{}", shown(rel)),
                (Some(_), Ok(rel)) => shown(rel),
                _ => config_key(&f, base, cwd.as_deref()),
            };
            if config.is_ignored(&key) {
                continue;
            }
            let scope = scope
                .or_else(|| config.scope_for(&key))
                .unwrap_or_else(|| Scope::from_path(&f, Path::is_dir));
            out.push(PolicyFile {
                shown: shown(&f),
                path: Some(f),
                key,
                scope,
            });
        }
    }
    Ok(out)
}

/// `*.xml` files below `dir`, sorted by path, walked in parallel (links: see [`crate::walk`]).
fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let opts = crate::walk::Options {
        ignore_files: true,
        max_depth: None,
        threads: 2,
    };
    let found = crate::walk::files(dir, opts, |name| {
        name.to_ascii_lowercase().ends_with(".xml")
    })?;
    for w in &found.warnings {
        eprintln!("warning: {}", crate::error::printable(w));
    }
    Ok(found.files)
}

/// The path as shown in reports: as given, without a leading `./`, `/`-separated.
fn shown(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The path relative to the config's folder, `/`-separated; the shown path when outside it.
/// `cwd` is the current folder, asked for once per run rather than once per file.
fn config_key(p: &Path, base: &Path, cwd: Option<&Path>) -> String {
    key_within(p, base, cwd).unwrap_or_else(|| shown(p))
}

/// The path relative to the config's folder, `/`-separated; `None` when outside it.
fn key_within(p: &Path, base: &Path, cwd: Option<&Path>) -> Option<String> {
    let abs = match cwd {
        Some(cwd) if p.is_relative() => crate::walk::normalize(&cwd.join(p)),
        _ => crate::walk::normalize(p),
    };
    abs.strip_prefix(base).ok().map(shown)
}

fn read_stdin_bytes(cap: u64) -> anyhow::Result<Option<Vec<u8>>> {
    crate::input::read_reader_at_most(std::io::stdin().lock(), cap, 0)
        .context("cannot read standard input")
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
        bail!(
            "{}; `akto-connect rules` lists them",
            crate::text::unknown_name("rule", id, &known)
        );
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
