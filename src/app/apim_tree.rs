//! `apim effective`, `apim coverage`, and the one way an APIOps tree is found and read (lint
//! uses it too).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::apim::apiops::{self, ApiUnit, Layout, Shared};
use crate::apim::coverage::{self, Summary, Unit};
use crate::apim::effective::{self, Effective, FileRef, Step};
use crate::cli::apim_tree::{CoverageArgs, CoverageFormat, EffectiveArgs, TreeFormat};
use crate::lint::tree_rules::{self, TreeHit};
use crate::lint::{self, Config, Finding};
use crate::output;
use crate::report::{FileResult, LineIndex};

use crate::lint::file::Target;

/// An APIOps tree on disk: its root and its layout (nothing read yet).
pub(crate) struct TreeDir {
    pub root: PathBuf,
    pub layout: Layout,
}

/// Folders of the layout below the root, and how deep their files sit.
fn tree_dirs() -> impl Iterator<Item = (&'static str, usize)> {
    [("apis", 4), ("products", 4)]
        .into_iter()
        .chain(apiops::FRAGMENT_DIRS.iter().map(|d| (*d, 2)))
}

impl TreeDir {
    /// Lists the layout's files below `root` (only the layout's folders are visited; hidden
    /// entries are skipped). `None` when `root` holds no APIOps layout.
    pub fn find(root: &Path) -> anyhow::Result<Option<TreeDir>> {
        let mut rel = Vec::new();
        if in_tree(root, &root.join("policy.xml")) {
            rel.push("policy.xml".to_string());
        }
        for (dir, depth) in tree_dirs() {
            let d = root.join(dir);
            if d.is_dir() {
                list(root, &d, dir, depth, &mut rel)
                    .with_context(|| format!("cannot read the folder {}", d.display()))?;
            }
        }
        let layout = Layout::from_paths(rel.iter().map(String::as_str));
        Ok(layout.is_tree().then(|| TreeDir {
            root: root.to_path_buf(),
            layout,
        }))
    }

    /// The tree whose policy files `lint` found below `root` (`rel`: their paths relative to
    /// it, `/`-separated): only the `apis/` and `products/` folders are listed again, for the
    /// APIs and products without a policy; information files are read where APIOps puts them.
    pub fn from_policies(root: &Path, rel: &[&str]) -> anyhow::Result<Option<TreeDir>> {
        let mut layout = Layout::from_paths(rel.iter().copied());
        if !layout.is_tree() {
            return Ok(None);
        }
        for (dir, products) in [("apis", false), ("products", true)] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for e in entries.flatten() {
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir() || t.is_symlink());
                // A name that is not UTF-8 cannot be an APIM id; its files are linted alone.
                let Ok(name) = e.file_name().into_string() else {
                    not_utf8(&e.path());
                    continue;
                };
                if !is_dir || name.starts_with('.') {
                    continue;
                }
                // A linked folder leading out of the tree is no part of it (the walk named it).
                let inside = std::fs::canonicalize(root)
                    .and_then(|r| std::fs::canonicalize(e.path()).map(|t| t.starts_with(r)));
                if !inside.unwrap_or(false) {
                    continue;
                }
                if products {
                    let api_dirs = api_folders(&e.path().join("apis"));
                    layout
                        .products
                        .entry(name)
                        .or_default()
                        .api_dirs
                        .extend(api_dirs);
                } else {
                    layout.apis.entry(name).or_default();
                }
            }
        }
        // apiops-cli keeps a fragment's XML in its information file, which is no policy file.
        let mut infos = Vec::new();
        for dir in apiops::FRAGMENT_DIRS {
            for e in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(id) = e.file_name().into_string() {
                    if e.path().join(apiops::FRAGMENT_INFO).is_file() {
                        infos.push(format!("{dir}/{id}/{}", apiops::FRAGMENT_INFO));
                    }
                }
            }
        }
        layout.add_fragment_infos(infos.iter().map(String::as_str));
        layout.assume_information_files();
        Ok(Some(TreeDir {
            root: root.to_path_buf(),
            layout,
        }))
    }

    /// Reads a file of the tree by its relative path; `None` when it does not exist, or when
    /// it is no regular file inside the tree (a link leading out of it, a FIFO, a device:
    /// named in a warning and left out, as the walk does, and never opened).
    pub fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        let cap = crate::lint::file::DEFAULT_MAX_FILE_SIZE;
        let path = self.root.join(rel);
        if !in_tree(&self.root, &path) {
            return Ok(None);
        }
        match crate::input::read_at_most(&path, cap) {
            Ok(Some(b)) => Ok(Some(b)),
            Ok(None) => Err(format!(
                "the file is larger than {} MiB, so it was not read (APIM takes at most 256 KiB per policy)",
                cap >> 20
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read the file: {e}")),
        }
    }

    pub fn shared(&self) -> anyhow::Result<Shared> {
        let read = |p: &str| self.read(p);
        let shared = Shared::load(&self.layout, &read).map_err(|e| self.error(e))?;
        self.warn(&shared.notes);
        Ok(shared)
    }

    pub fn api(&self, id: &str) -> anyhow::Result<ApiUnit> {
        let read = |p: &str| self.read(p);
        let api = ApiUnit::load(id, &self.layout.apis[id], &read).map_err(|e| self.error(e))?;
        self.warn(&api.notes);
        Ok(api)
    }

    /// Tells the problems that did not stop the reading, naming their files.
    fn warn(&self, notes: &[apiops::TreeError]) {
        for n in notes {
            eprintln!(
                "warning: {}: {}",
                self.root.join(&n.path).display(),
                n.message
            );
        }
    }

    fn error(&self, e: apiops::TreeError) -> anyhow::Error {
        anyhow::anyhow!("{}: {}", self.root.join(&e.path).display(), e.message)
    }
}

/// Whether `path` (below `root`) is a regular file inside the tree, links followed. A link
/// whose target leaves the tree, a link that cannot be followed, and anything but a regular
/// file (FIFO, socket, device, folder) are named in a warning and left out: nothing outside
/// the roots the user gave is ever read, and a FIFO never blocks. `false`, silently, when
/// there is no such entry.
fn in_tree(root: &Path, path: &Path) -> bool {
    let shown = || crate::error::printable(&path.display().to_string());
    if std::fs::symlink_metadata(path).is_err() {
        return false;
    }
    // Every file, not only links: a folder on the way may be a link leading out.
    {
        let inside =
            std::fs::canonicalize(root).and_then(|r| std::fs::canonicalize(path).map(|t| (r, t)));
        match inside {
            Ok((r, t)) if t.starts_with(&r) => {}
            Ok((_, t)) => {
                eprintln!(
                    "warning: {}: the link leads out of the tree (to {}); skipped (copy the file into the tree)",
                    shown(),
                    crate::error::printable(&t.display().to_string())
                );
                return false;
            }
            Err(e) => {
                eprintln!(
                    "warning: {}: the link cannot be followed ({e}); skipped",
                    shown()
                );
                return false;
            }
        }
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => true,
        Ok(m) if m.is_dir() => false,
        Ok(_) => {
            eprintln!(
                "warning: {}: not a regular file (a FIFO, socket or device); skipped",
                shown()
            );
            false
        }
        Err(_) => false,
    }
}

/// The API folders of a product's `apis/` folder (newer APIOps extractors name a product's
/// APIs this way), in no order; none when there is no such folder.
fn api_folders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect()
}

/// Says that an entry of an APIOps tree is left out of it for its name.
fn not_utf8(path: &Path) {
    eprintln!(
        "warning: {}: the name is not UTF-8, so it is no API, product or fragment id; left out of the tree (its policies are linted alone)",
        crate::error::printable(&path.to_string_lossy())
    );
}

/// Files below `dir` (a folder of the tree at `root`) down to `depth` levels of folders, as
/// `/`-separated paths prefixed with `prefix`, sorted. Links: see [`crate::walk`].
fn list(
    root: &Path,
    dir: &Path,
    prefix: &str,
    depth: usize,
    out: &mut Vec<String>,
) -> anyhow::Result<()> {
    let opts = crate::walk::Options {
        ignore_files: false,
        max_depth: Some(depth),
        threads: 1,
    };
    let found = crate::walk::files_within(dir, root, opts, |_| true)?;
    for w in &found.warnings {
        eprintln!("warning: {}", crate::error::printable(w));
    }
    'files: for f in found.files {
        let Ok(rel) = f.strip_prefix(dir) else {
            continue;
        };
        let mut s = prefix.to_string();
        for c in rel.components() {
            // A name that is not UTF-8 cannot be an APIM id (and could not be read back).
            let Some(name) = c.as_os_str().to_str() else {
                not_utf8(&f);
                continue 'files;
            };
            s.push('/');
            s.push_str(name);
        }
        out.push(s);
    }
    Ok(())
}

fn open(dir: &Path) -> anyhow::Result<TreeDir> {
    if !dir.is_dir() {
        bail!(
            "{}: not a folder; give the root of an APIOps tree (the folder holding apis/)",
            dir.display()
        );
    }
    if let Some(tree) = TreeDir::find(dir)? {
        return Ok(tree);
    }
    let below = trees_below(dir, 2);
    let hint = if below.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = below.iter().map(|p| p.display().to_string()).collect();
        format!(" (one is in {})", names.join(", "))
    };
    bail!(
        "{}: no APIOps tree here (no apis/, products/ or policy fragments/ folder); give the folder that holds them{hint}",
        dir.display()
    )
}

/// The folders at most `depth` levels below `dir` that hold an APIOps tree (hidden folders
/// skipped, at most three named), for a hint when `dir` itself holds none.
fn trees_below(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut subs: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subs.sort();
    for sub in subs {
        if out.len() >= 3 {
            break;
        }
        if matches!(TreeDir::find(&sub), Ok(Some(_))) {
            out.push(sub);
        } else if depth > 1 {
            out.extend(trees_below(&sub, depth - 1));
        }
    }
    out.truncate(3);
    out
}

pub fn effective(args: &EffectiveArgs) -> anyhow::Result<ExitCode> {
    let tree = open(&args.dir)?;
    if !tree.layout.apis.contains_key(&args.api) {
        let known: Vec<_> = tree.layout.apis.keys().map(String::as_str).collect();
        bail!(
            "--api {}: no such API in {} (apis/{}/); known APIs: {}",
            args.api,
            args.dir.display(),
            args.api,
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    }
    let shared = tree.shared()?;
    let api = tree.api(&args.api)?;
    let op = match &args.operation {
        None => None,
        Some(id) => Some(api.operation(id).ok_or_else(|| {
            let known: Vec<_> = api.operations.iter().map(|o| o.id.as_str()).collect();
            anyhow::anyhow!(
                "--operation {id}: API {} has no policy for that operation (apis/{}/operations/{id}/policy.xml); operations with a policy: {}. An operation without one runs the API's effective policy: omit --operation",
                api.id,
                api.id,
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )
        })?),
    };
    let mut paths = apiops::paths(&shared, &api);
    if let Some(p) = &args.product {
        let carriers: Vec<_> = shared.products_of(&api.id).map(|p| p.id.as_str()).collect();
        paths.retain(|x| x.is_some_and(|x| &x.id == p));
        if paths.is_empty() {
            bail!(
                "--product {p}: that product does not carry API {} (products/{p}/apis.json); products that do: {}",
                api.id,
                if carriers.is_empty() { "none".to_string() } else { carriers.join(", ") }
            );
        }
    }
    let docs: Vec<Effective<'_>> = paths
        .into_iter()
        .map(|p| effective::compute(&shared, &api, p, op))
        .collect();
    for d in &docs {
        for p in &d.problems {
            let (line, col) = LineIndex::new(p.file.src).line_col(p.span.start);
            eprintln!("warning: {}:{line}:{col}: {}", p.file.path, p.message);
        }
    }
    let texts = Texts::default();
    let text = match args.format {
        TreeFormat::Text => docs
            .iter()
            .map(|d| render_text(&texts, d))
            .collect::<Vec<_>>()
            .join("\n"),
        TreeFormat::Json => {
            let v: Vec<_> = docs.iter().map(|d| render_json(&texts, d)).collect();
            let mut s = serde_json::to_string_pretty(&v).context("cannot encode JSON")?;
            s.push('\n');
            s
        }
    };
    output::emit(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Each policy's line index and masked text, made once per file however many steps of the
/// file are shown (a fragment included thousands of times is indexed and masked once).
#[derive(Default)]
struct Texts<'a> {
    files: std::cell::RefCell<HashMap<*const str, std::rc::Rc<FileText<'a>>>>,
}

struct FileText<'a> {
    lines: LineIndex<'a>,
    masked: String,
}

impl<'a> Texts<'a> {
    fn of(&self, file: FileRef<'a>) -> std::rc::Rc<FileText<'a>> {
        let key: *const str = file.src;
        self.files
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                let secrets = crate::apim::secrets::find(file.src, file.doc);
                let masked =
                    crate::apim::secrets::mask(file.src, secrets.into_iter().map(|s| s.span));
                std::rc::Rc::new(FileText {
                    lines: LineIndex::new(file.src),
                    masked: masked.to_string(),
                })
            })
            .clone()
    }

    fn at(&self, file: FileRef<'a>, offset: usize) -> (usize, usize) {
        self.of(file).lines.line_col(offset)
    }
}

/// Where a step comes from, as a comment: "policy.xml:4 (global)", with the include for a
/// fragment's element.
fn origin<'a>(texts: &Texts<'a>, step: &Step<'a>) -> String {
    let (line, _) = texts.at(step.file, step.element.span.start);
    let mut s = format!("{}:{line} ({})", step.file.path, step.file.scope_name());
    if let Some((f, inc)) = step.included_at {
        let (l, _) = texts.at(f, inc.span.start);
        let _ = write!(s, ", included at {}:{l}", f.path);
    }
    s
}

/// The element's text as written (literal secrets masked), its first line's indentation
/// removed from every line.
fn element_text<'a>(texts: &Texts<'a>, step: &Step<'a>) -> String {
    let file = texts.of(step.file);
    let src: &str = &file.masked;
    let el = step.element;
    let end = el.end_span.as_ref().map_or(el.span.end, |e| e.end);
    let line_start = src[..el.span.start].rfind('\n').map_or(0, |i| i + 1);
    let lead = &src[line_start..el.span.start];
    let indent = if lead.trim().is_empty() {
        lead.len()
    } else {
        0
    };
    let mut out = String::new();
    for (i, line) in src[el.span.start..end].split('\n').enumerate() {
        let line = line.trim_end_matches('\r');
        if i > 0 {
            out.push('\n');
            // Only ASCII blanks are removed, so the cut is always on a character boundary.
            let ws = line
                .bytes()
                .take(indent)
                .take_while(|b| *b == b' ' || *b == b'\t')
                .count();
            out.push_str(&line[ws..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

fn title(d: &Effective<'_>) -> String {
    let mut s = format!("API {}", d.api);
    match d.operation {
        Some(op) => {
            let _ = write!(s, ", operation {op}");
        }
        None => s.push_str(", operations without their own policy"),
    }
    match d.product {
        Some(p) => {
            let _ = write!(s, ", through product {p}");
        }
        None => s.push_str(", without a product"),
    }
    s
}

fn render_text<'a>(texts: &Texts<'a>, d: &Effective<'a>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<!-- Effective policy: {} -->", title(d));
    let _ = writeln!(out, "<!-- Scopes: {} -->", d.trail());
    for u in &d.unreadable {
        let _ = writeln!(
            out,
            "<!-- {u} could not be read (see akto-connect lint); it is left out -->"
        );
    }
    for p in &d.problems {
        let (line, _) = texts.at(p.file, p.span.start);
        let _ = writeln!(out, "<!-- {}:{line}: {} -->", p.file.path, p.message);
    }
    out.push_str("<policies>\n");
    for s in &d.sections {
        let _ = writeln!(out, "    <{}>", s.name);
        if let Some(cut) = &s.cut {
            let (line, _) = texts.at(cut.file, cut.span.start);
            let _ = writeln!(
                out,
                "        <!-- {}:{line} ({}): {}; the broader scopes' {} policies do not run -->",
                cut.file.path,
                cut.file.scope_name(),
                cut.describe(s.name),
                s.name
            );
        }
        for step in &s.steps {
            let _ = writeln!(out, "        <!-- {} -->", origin(texts, step));
            for line in element_text(texts, step).split('\n') {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "        {line}");
                }
            }
        }
        let _ = writeln!(out, "    </{}>", s.name);
    }
    out.push_str("</policies>\n");
    out
}

/// `apim effective --format json`, typed so the output is written without a tree of values
/// (a path of 50,000 steps stays small). The field order is the output's.
#[derive(serde::Serialize)]
struct JsonScope<'x> {
    scope: &'x str,
    id: &'x str,
    file: &'x str,
}

#[derive(serde::Serialize)]
struct JsonPos<'x> {
    file: &'x str,
    line: usize,
    column: usize,
}

#[derive(serde::Serialize)]
struct JsonStep<'x> {
    file: &'x str,
    line: usize,
    column: usize,
    element: &'x str,
    scope: &'x str,
    scope_id: &'x str,
    included_at: Option<JsonPos<'x>>,
    text: String,
}

#[derive(serde::Serialize)]
struct JsonCut<'x> {
    file: &'x str,
    line: usize,
    column: usize,
    reason: String,
}

#[derive(serde::Serialize)]
struct JsonSection<'x> {
    cut: Option<JsonCut<'x>>,
    elements: Vec<JsonStep<'x>>,
}

#[derive(serde::Serialize)]
struct JsonProblem<'x> {
    file: &'x str,
    line: usize,
    column: usize,
    message: &'x str,
}

fn render_json<'a>(texts: &Texts<'a>, d: &'a Effective<'a>) -> JsonEffectiveOut<'a> {
    let pos = |f: FileRef<'a>, offset: usize| {
        let (line, column) = texts.at(f, offset);
        JsonPos {
            file: f.path,
            line,
            column,
        }
    };
    let mut sections = Vec::new();
    for s in &d.sections {
        let elements = s
            .steps
            .iter()
            .map(|st| {
                let p = pos(st.file, st.element.span.start);
                JsonStep {
                    file: p.file,
                    line: p.line,
                    column: p.column,
                    element: &st.element.name,
                    scope: st.file.level.as_str(),
                    scope_id: st.file.id,
                    included_at: st.included_at.map(|(f, inc)| pos(f, inc.span.start)),
                    text: element_text(texts, st),
                }
            })
            .collect();
        let cut = s.cut.as_ref().map(|c| {
            let p = pos(c.file, c.span.start);
            JsonCut {
                file: p.file,
                line: p.line,
                column: p.column,
                reason: c.describe(s.name),
            }
        });
        sections.push((s.name, JsonSection { cut, elements }));
    }
    let problems = d
        .problems
        .iter()
        .map(|p| {
            let at = pos(p.file, p.span.start);
            JsonProblem {
                file: at.file,
                line: at.line,
                column: at.column,
                message: &p.message,
            }
        })
        .collect();
    JsonEffectiveOut {
        api: d.api,
        product: d.product,
        operation: d.operation,
        scopes: d
            .chain
            .iter()
            .map(|f| JsonScope {
                scope: f.level.as_str(),
                id: f.id,
                file: f.path,
            })
            .collect(),
        unreadable: &d.unreadable,
        sections: SectionMap(sections),
        problems,
    }
}

/// The sections as one JSON object, in their order.
struct SectionMap<'x>(Vec<(&'static str, JsonSection<'x>)>);

impl serde::Serialize for SectionMap<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(serde::Serialize)]
struct JsonEffectiveOut<'x> {
    api: &'x str,
    product: Option<&'x str>,
    operation: Option<&'x str>,
    scopes: Vec<JsonScope<'x>>,
    unreadable: &'x [&'x str],
    sections: SectionMap<'x>,
    problems: Vec<JsonProblem<'x>>,
}

pub fn coverage(args: &CoverageArgs) -> anyhow::Result<ExitCode> {
    let tree = open(&args.dir)?;
    let shared = tree.shared()?;
    let mut units: Vec<Unit> = Vec::new();
    for id in tree.layout.apis.keys() {
        let api = tree.api(id)?;
        units.extend(coverage::units(&shared, &api));
    }
    let summary = Summary::of(&units);
    let text = match args.format {
        CoverageFormat::Text => coverage_text(&units, &summary),
        CoverageFormat::Json => {
            let v = serde_json::json!({
                "summary": {
                    "units": summary.units,
                    "covered": summary.covered,
                    "percent": (summary.percent() * 10.0).round() / 10.0,
                    "apis": summary.apis,
                    "apis_covered": summary.apis_covered,
                },
                "units": units.iter().map(|u| {
                    let mut o = serde_json::to_value(u).unwrap_or_default();
                    o["covered"] = serde_json::json!(u.covered());
                    o
                }).collect::<Vec<_>>(),
            });
            let mut s = serde_json::to_string_pretty(&v).context("cannot encode JSON")?;
            s.push('\n');
            s
        }
        CoverageFormat::Markdown => coverage_markdown(&units, &summary),
    };
    output::emit(args.output.as_deref(), &text)?;
    if let Some(min) = args.min_coverage {
        if summary.percent() < min {
            eprintln!(
                "coverage {:.1} % is below --min-coverage {min}",
                summary.percent()
            );
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn headline(s: &Summary) -> String {
    format!(
        "Akto capture runs on {} of {} API paths and operations ({:.1} %); {} of {} APIs fully covered.",
        s.covered,
        s.units,
        s.percent(),
        s.apis_covered,
        s.apis
    )
}

fn coverage_text(units: &[Unit], s: &Summary) -> String {
    let mut out = format!("{}\n\n", headline(s));
    for u in units {
        let mark = if u.covered() {
            "covered    "
        } else {
            "NOT covered"
        };
        let _ = writeln!(out, "{mark}  {}", u.label());
        for r in u.reasons.iter().chain(&u.notes) {
            let _ = writeln!(out, "             {r}");
        }
    }
    out
}

/// A Markdown table cell: `|` escaped, one line, and `<`, `>`, `&` outside code spans written
/// as entities, so GitHub shows `<inbound>` instead of stripping it as an HTML tag (inside
/// backticks they are shown as typed, so they stay).
fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_code = false;
    for c in s.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            '&' if !in_code => out.push_str("&amp;"),
            _ => out.push(c),
        }
    }
    out
}

/// The product cell: the product, and the products without a policy it stands for.
fn md_product(u: &Unit) -> String {
    let mut s = u.product.clone().unwrap_or_else(|| "(none)".to_string());
    if u.more_products > 0 {
        let _ = write!(s, " and {} more without a policy", u.more_products);
    }
    if !u.also_products.is_empty() {
        let _ = write!(s, " ({})", u.also_products.join(", "));
    }
    s
}

fn coverage_markdown(units: &[Unit], s: &Summary) -> String {
    let mut out = format!("### Akto capture coverage\n\n{}\n\n", headline(s));
    out.push_str(
        "| API | operation | product | inbound | outbound | why not |\n|---|---|---|---|---|---|\n",
    );
    let yes = |b: bool| if b { "yes" } else { "**no**" };
    for u in units {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            md_cell(&u.api),
            md_cell(u.operation.as_deref().unwrap_or("(others)")),
            md_cell(&md_product(u)),
            yes(u.inbound),
            yes(u.outbound),
            md_cell(&u.reasons.join("; "))
        );
    }
    out
}

/// The APIOps trees among the command line's folders, planned for `lint`: every policy is read
/// once, linted on its own, and every API path and operation judged on its effective policy.
/// The APIs are judged one by one ([`Trees::judge`], on any thread) and their files reported as
/// soon as their API is; the shared files (global, products, fragments) gather the hits of
/// every API of their tree, so they are reported once the tree's last API is judged
/// ([`Trees::judged`]). With `--fix` the files are fixed first, then planned as they stand.
pub(super) struct Trees {
    trees: Vec<Tree>,
    /// By index in `targets`: whether a tree reports the file.
    covered: Vec<bool>,
}

struct Tree {
    dir: TreeDir,
    shared: Shared,
    /// Target indices of the shared files, by path relative to the root.
    shared_files: Vec<(String, usize)>,
    /// The APIs in id order, with the target indices of their files.
    apis: Vec<(String, Vec<usize>)>,
    /// Target index of each file of the tree, by path relative to the root.
    index: HashMap<String, usize>,
    /// Filled as the APIs are judged.
    merge: std::sync::Mutex<Merge>,
}

/// The hits merged so far (in API id order), and the APIs judged but not merged yet.
#[derive(Default)]
struct Merge {
    hits: BTreeMap<tree_rules::HitKey, TreeHit>,
    waiting: BTreeMap<usize, BTreeMap<tree_rules::HitKey, TreeHit>>,
    merged: usize,
}

/// One API of a tree: `(tree, position among the tree's APIs)`.
pub(super) type ApiJob = (usize, usize);

/// What judging an API gives: its files' results by target index, and the hits on files
/// outside it (the shared files).
pub(super) struct ApiDone {
    pub files: Vec<(usize, FileResult)>,
    pub hits: BTreeMap<tree_rules::HitKey, TreeHit>,
}

pub(super) fn plan_trees(
    config: &Config,
    paths: &[PathBuf],
    targets: &[Target],
) -> anyhow::Result<Trees> {
    let mut out = Trees {
        trees: Vec::new(),
        covered: vec![false; targets.len()],
    };
    let mut seen: Vec<PathBuf> = Vec::new();
    // The targets' absolute paths, for a root found above the command line's paths.
    let absolute: Vec<Option<PathBuf>> = targets
        .iter()
        .map(|t| t.path.as_deref().map(crate::walk::normalize))
        .collect();
    // The command line's folders, then the trees found below one that is no tree itself, then
    // the tree a path sits inside (found by looking upward, as an absolute folder).
    let mut work: Vec<(PathBuf, Given)> = paths
        .iter()
        .rev()
        .map(|p| (p.clone(), Given::Path))
        .collect();
    while let Some((p, given)) = work.pop() {
        let p = &p;
        if p.as_os_str() == "-" || seen.contains(&crate::walk::normalize(p)) {
            continue;
        }
        if !p.is_dir() {
            // A policy file given by itself: the tree it sits in, if any (once per tree: a
            // file below a folder already planned was planned with it).
            let abs = crate::walk::normalize(p);
            if given == Given::Path && p.is_file() && !seen.iter().any(|s| abs.starts_with(s)) {
                if let Some(root) = enclosing_root(p)? {
                    work.push((root, Given::Above));
                }
            }
            continue;
        }
        seen.push(crate::walk::normalize(p));
        // The targets below `p`, by their path relative to it, `/`-separated.
        let below: Vec<(String, usize)> = targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let path = t.path.as_deref()?;
                let r = match (path.strip_prefix(p), &absolute[i]) {
                    (Ok(r), _) => r,
                    (Err(_), Some(abs)) if given == Given::Above => abs.strip_prefix(p).ok()?,
                    _ => return None,
                };
                Some((r, i))
            })
            .filter(|(_, i)| !out.covered[*i])
            .filter_map(|(r, i)| {
                // A file under a name that is not UTF-8 is not part of the tree (an APIM id is
                // text): it is linted alone.
                let mut rel = String::new();
                for c in r.components() {
                    if !rel.is_empty() {
                        rel.push('/');
                    }
                    rel.push_str(c.as_os_str().to_str()?);
                }
                Some((rel, i))
            })
            .collect();
        let rel: Vec<&str> = below.iter().map(|(r, _)| r.as_str()).collect();
        let below: HashMap<&str, usize> = below.iter().map(|(r, i)| (r.as_str(), *i)).collect();
        // Ignored files still run in APIM: with ignores, the whole tree is listed.
        let tree = if config.ignores_anything() || given == Given::Above {
            // Ignored files still run in APIM, and above the given paths lie files lint was not
            // given: the whole tree is listed.
            TreeDir::find(p)?
        } else {
            TreeDir::from_policies(p, &rel)?
        };
        let Some(dir) = tree else {
            if given == Given::Path {
                // A repository whose tree sits in a folder (`apimartifacts/`, as the APIOps
                // extractor names it): its trees are judged as trees.
                let mut roots = nested_roots(&rel);
                if roots.is_empty() {
                    // A folder inside a tree (`apis/`, `apis/orders/`): the tree's root.
                    if let Some(root) = enclosing_root(p)? {
                        work.push((root, Given::Above));
                    }
                }
                roots.reverse();
                work.extend(roots.into_iter().map(|r| (p.join(r), Given::Nested)));
            }
            continue;
        };
        let target_of = |rel: &str| below.get(rel).copied();
        let shared = dir.shared()?;
        let mut tree_index = HashMap::new();
        let mut shared_files = Vec::new();
        for f in shared.files() {
            if let Some(i) = target_of(&f.path) {
                shared_files.push((f.path.clone(), i));
                tree_index.insert(f.path.clone(), i);
                out.covered[i] = true;
            }
        }
        let mut apis = Vec::new();
        for (id, l) in &dir.layout.apis {
            // The files ApiUnit::load reads.
            let mut files = Vec::new();
            for rel in l.policy.iter().chain(l.operations.values()) {
                if let Some(i) = target_of(rel) {
                    files.push(i);
                    tree_index.insert(rel.clone(), i);
                    out.covered[i] = true;
                }
            }
            apis.push((id.clone(), files));
        }
        if given == Given::Above && tree_index.is_empty() {
            // The tree above a given path reports none of its files (a file outside the
            // layout, such as apis/orders/notes.xml): nothing to judge for it.
            continue;
        }
        out.trees.push(Tree {
            dir,
            shared,
            shared_files,
            apis,
            index: tree_index,
            merge: Default::default(),
        });
    }
    Ok(out)
}

/// Where a folder of `plan_trees`' work came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Given {
    /// A path of the command line.
    Path,
    /// A tree's root found below a given folder.
    Nested,
    /// The root of the tree a given path sits inside, found by looking upward (absolute).
    Above,
}

/// The root of the APIOps tree that `path` sits inside, when it is below one of the layout's
/// folders (`apis/`, `products/`, `policy fragments/` and the other fragment folders): the
/// nearest folder above it that holds that folder as a tree ([`TreeDir::find`]). `None` when
/// no folder above does, or `path` is not below such a folder.
fn enclosing_root(path: &Path) -> anyhow::Result<Option<PathBuf>> {
    let abs = crate::walk::normalize(path);
    let mut below = abs.as_path();
    while let Some(dir) = below.parent() {
        let first = below.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let marker =
            first == "apis" || first == "products" || apiops::FRAGMENT_DIRS.contains(&first);
        if marker && TreeDir::find(dir)?.is_some() {
            return Ok(Some(dir.to_path_buf()));
        }
        below = dir;
    }
    Ok(None)
}

/// The folders below a lint path that hold an APIOps layout, from the policy files found
/// there (`rel`, `/`-separated): the folder before `apis/<api>/policy.xml`,
/// `apis/<api>/operations/<op>/policy.xml`, `products/<p>/policy.xml` or
/// `policy fragments/<id>/policy.xml`; sorted, none twice, none inside another.
fn nested_roots(rel: &[&str]) -> Vec<String> {
    let mut roots: Vec<String> = Vec::new();
    for r in rel {
        let parts: Vec<&str> = r.split('/').collect();
        let n = parts.len();
        if n < 4 || !parts[n - 1].eq_ignore_ascii_case("policy.xml") {
            continue;
        }
        let at = match parts[..n - 1] {
            [.., "apis", _, "operations", _] => n - 5,
            [.., d, _] if d == "apis" || d == "products" || apiops::FRAGMENT_DIRS.contains(&d) => {
                n - 3
            }
            _ => continue,
        };
        if at > 0 {
            roots.push(parts[..at].join("/"));
        }
    }
    roots.sort();
    roots.dedup();
    let mut out: Vec<String> = Vec::new();
    for r in roots {
        if !out.iter().any(|o| r.starts_with(&format!("{o}/"))) {
            out.push(r);
        }
    }
    out
}

impl Trees {
    /// Whether a tree reports the target at index `i`.
    pub fn covers(&self, i: usize) -> bool {
        self.covered.get(i).copied().unwrap_or(false)
    }

    /// Every API of every tree, with the lowest target index among its files (`usize::MAX`
    /// for an API without policy files).
    pub fn jobs(&self) -> Vec<(usize, ApiJob)> {
        let mut out = Vec::new();
        for (t, tree) in self.trees.iter().enumerate() {
            for (a, (_, files)) in tree.apis.iter().enumerate() {
                let low = files.iter().copied().min().unwrap_or(usize::MAX);
                out.push((low, (t, a)));
            }
        }
        out
    }

    /// The lowest target index among the shared files still waiting for their tree's APIs.
    pub fn lowest_waiting(&self) -> usize {
        self.trees
            .iter()
            .filter(|t| t.lock().merged < t.apis.len())
            .flat_map(|t| t.shared_files.iter().map(|(_, i)| *i))
            .min()
            .unwrap_or(usize::MAX)
    }

    /// Reads one API, lints its files and judges its paths and operations.
    pub fn judge(
        &self,
        config: &Config,
        targets: &[Target],
        (t, a): ApiJob,
    ) -> anyhow::Result<ApiDone> {
        let tree = &self.trees[t];
        let api = tree.dir.api(&tree.apis[a].0)?;
        let mut hits = BTreeMap::new();
        tree_rules::judge_api(&tree.shared, &api, &mut hits);
        let mut files = Vec::new();
        for f in api.files() {
            let Some(&i) = tree.index.get(&f.path) else {
                continue;
            };
            let mut findings = lint_policy(config, &targets[i], f);
            hits.retain(|_, h: &mut TreeHit| {
                if h.path != f.path {
                    return true;
                }
                findings.extend(tree_finding(config, &targets[i], h));
                false
            });
            findings.sort_by_key(|x| (x.span.start, x.rule));
            files.push((i, result(&targets[i], &f.src, findings)));
        }
        Ok(ApiDone { files, hits })
    }

    /// Takes in the hits of a judged API (its files' results already taken out). Once the
    /// tree's last API is in, returns the results of the tree's shared files.
    pub fn judged(
        &self,
        config: &Config,
        targets: &[Target],
        (t, a): ApiJob,
        hits: BTreeMap<tree_rules::HitKey, TreeHit>,
    ) -> Vec<(usize, FileResult)> {
        let tree = &self.trees[t];
        let hits = {
            let mut m = tree.lock();
            // Merged in API id order, as the first API to show a cause names the path it was
            // judged on.
            m.waiting.insert(a, hits);
            loop {
                let next = m.merged;
                let Some(h) = m.waiting.remove(&next) else {
                    break;
                };
                tree_rules::merge(&mut m.hits, h);
                m.merged += 1;
            }
            if m.merged < tree.apis.len() {
                return Vec::new();
            }
            std::mem::take(&mut m.hits)
        };
        tree.shared_results(config, targets, &hits)
    }

    /// The results of the shared files of the trees without APIs (none waits for anything).
    pub fn without_apis(&self, config: &Config, targets: &[Target]) -> Vec<(usize, FileResult)> {
        let mut out = Vec::new();
        for tree in &self.trees {
            if tree.apis.is_empty() {
                out.extend(tree.shared_results(config, targets, &BTreeMap::new()));
            }
        }
        out
    }
}

impl Tree {
    fn lock(&self) -> std::sync::MutexGuard<'_, Merge> {
        self.merge.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn shared_results(
        &self,
        config: &Config,
        targets: &[Target],
        hits: &BTreeMap<tree_rules::HitKey, TreeHit>,
    ) -> Vec<(usize, FileResult)> {
        let mut out = Vec::new();
        for f in self.shared.files() {
            let Some(&i) = self.index.get(&f.path) else {
                continue;
            };
            let mut findings = lint_policy(config, &targets[i], f);
            for h in hits.values().filter(|h| h.path == f.path) {
                findings.extend(tree_finding(config, &targets[i], h));
            }
            findings.sort_by_key(|x| (x.span.start, x.rule));
            out.push((i, result(&targets[i], &f.src, findings)));
        }
        out
    }
}

/// Says once that files linted alone are not judged for inherited controls.
/// The note for files linted outside an APIOps tree: the rules judged on a tree's effective
/// policy were not run on them.
pub(super) fn lone_note(lone: usize) -> Option<String> {
    (lone > 0).then(|| format!(
        "{lone} file{} linted outside an APIOps tree: the tree rules were not run on {}: authentication, rate limits and other controls a policy inherits through <base /> are judged only on a tree's effective policy (lint the tree's root folder)",
        if lone == 1 { "" } else { "s" },
        if lone == 1 { "it" } else { "them" }
    ))
}

fn lint_policy(config: &Config, t: &Target, f: &apiops::PolicyFile) -> Vec<Finding> {
    let scope = t.scope;
    match (&f.doc, &f.raw) {
        (Ok(doc), _) => lint::lint_doc(&f.src, doc, scope, config, &t.key, true),
        (Err(_), Some(raw)) => lint::lint_bytes(raw, scope, config, &t.key).1,
        (Err(_), None) => lint::lint_text(&f.src, scope, config, &t.key),
    }
}

fn tree_finding(config: &Config, t: &Target, h: &TreeHit) -> Option<Finding> {
    let severity = config.severity(h.rule, &t.key)?;
    Some(Finding {
        rule: h.rule.id,
        severity,
        span: h.span.clone(),
        message: h.full_message(),
        help: h.help.clone(),
        fix: None,
        secret: false,
    })
}

/// A file's result. Of its text only the lines the findings are on are kept (the others
/// emptied, so line numbers and columns stay): memory stays small on trees where every API has
/// findings.
fn result(t: &Target, src: &str, mut findings: Vec<Finding>) -> FileResult {
    let src = if findings.is_empty() {
        String::new()
    } else {
        crate::lint::file::kept_text(src, &mut findings)
    };
    FileResult {
        path: t.shown.clone(),
        src,
        findings,
    }
}
