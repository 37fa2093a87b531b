//! The one walk of a folder tree, for every command that reads one (`lint`, `apim effective`,
//! `apim coverage`).
//!
//! Symbolic links: a link to a file or folder inside the tree walked is followed (APIOps
//! repositories share an API's folder between trees this way); a link whose target leaves the
//! tree, a link that cannot be resolved, and a loop are named in a warning and skipped. FIFOs,
//! sockets and devices are skipped: only regular files (directly or through a link) are listed.
//! Hidden entries (a name starting with `.`) are always skipped.
//!
//! Not for: reading the files (`input`) or deciding what they mean (`apim::apiops`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How a walk filters what it finds.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Honour `.gitignore`, `.ignore` and `.git/info/exclude` files (lint does; the readers of
    /// a tree's layout list every file APIM would see).
    pub ignore_files: bool,
    /// Folders below the root to descend at most (`None`: no bound).
    pub max_depth: Option<usize>,
    /// Threads (the walk's own; 1 walks on the caller's thread).
    pub threads: usize,
}

/// What a walk found: the files (sorted by path) and the warnings about what it skipped.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    /// One line each, naming the entry: "PATH: the link leaves the tree …; skipped".
    pub warnings: Vec<String>,
    /// The first entry that could not be read (not a link): the walk stops there.
    failed: Option<String>,
}

/// Walks `root` for files whose name `keep` accepts; the tree is `root` itself. Fails when
/// the root or an entry below it (other than a link) cannot be read.
pub fn files(
    root: &Path,
    opts: Options,
    keep: impl Fn(&str) -> bool + Sync,
) -> anyhow::Result<Walk> {
    files_within(root, root, opts, keep)
}

/// [`files`] below `root`, a folder of the tree `tree` (links may lead anywhere inside `tree`).
pub fn files_within(
    root: &Path,
    tree: &Path,
    opts: Options,
    keep: impl Fn(&str) -> bool + Sync,
) -> anyhow::Result<Walk> {
    let canon = std::fs::canonicalize(tree)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the folder: {e}", tree.display()))?;
    std::fs::read_dir(root)
        .map_err(|e| anyhow::anyhow!("{}: cannot read the folder: {e}", root.display()))?;
    let found: Mutex<Walk> = Mutex::new(Walk::default());
    let lock = || found.lock().unwrap_or_else(|p| p.into_inner());
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .hidden(true)
        .ignore(opts.ignore_files)
        .git_ignore(opts.ignore_files)
        .git_exclude(opts.ignore_files)
        .git_global(false)
        .parents(opts.ignore_files)
        .follow_links(true)
        .max_depth(opts.max_depth)
        .threads(opts.threads.max(1));
    let visit = |entry: Result<ignore::DirEntry, ignore::Error>| -> ignore::WalkState {
        use ignore::WalkState;
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let mut w = lock();
                if is_link_problem(&e) {
                    w.warnings.push(describe(&e));
                    return WalkState::Continue;
                }
                w.failed.get_or_insert_with(|| e.to_string());
                return WalkState::Quit;
            }
        };
        if entry.depth() == 0 {
            return WalkState::Continue;
        }
        if entry.path_is_symlink() {
            match std::fs::canonicalize(entry.path()) {
                Ok(target) if target.starts_with(&canon) => {}
                Ok(target) => {
                    lock().warnings.push(format!(
                        "{}: the link leads out of the tree (to {}); skipped (copy the files into the tree, or lint the target folder itself)",
                        entry.path().display(),
                        target.display()
                    ));
                    return WalkState::Skip;
                }
                Err(e) => {
                    lock().warnings.push(format!(
                        "{}: the link cannot be followed ({e}); skipped",
                        entry.path().display()
                    ));
                    return WalkState::Skip;
                }
            }
        }
        let is_file = entry.file_type().is_some_and(|t| t.is_file());
        if is_file && keep(&entry.file_name().to_string_lossy()) {
            lock().files.push(entry.into_path());
        }
        WalkState::Continue
    };
    if opts.threads <= 1 {
        // The sequential walker cannot be told to skip a folder: what is below a skipped link
        // is left out here (else a link leading out of the tree would be walked after all).
        let mut skipped: Vec<PathBuf> = Vec::new();
        for entry in builder.build() {
            let path = entry.as_ref().ok().map(|e| e.path().to_path_buf());
            if let Some(p) = &path {
                if skipped.iter().any(|s| p.starts_with(s)) {
                    continue;
                }
            }
            match visit(entry) {
                ignore::WalkState::Quit => break,
                ignore::WalkState::Skip => skipped.extend(path),
                _ => {}
            }
        }
    } else {
        builder.build_parallel().run(|| Box::new(&visit));
    }
    let mut walk = found.into_inner().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = walk.failed.take() {
        anyhow::bail!("{e}");
    }
    walk.files.sort_unstable_by(|a, b| path_order(a, b));
    walk.warnings.sort();
    walk.warnings.dedup();
    Ok(walk)
}

/// Whether a walk error is about a symbolic link (a loop, a link to nothing), which is
/// skipped with a warning; any other entry that cannot be read stops the walk.
fn is_link_problem(e: &ignore::Error) -> bool {
    match e {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithDepth { err, .. } => is_link_problem(err),
        ignore::Error::WithPath { path, err } => {
            std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
                || is_link_problem(err)
        }
        _ => false,
    }
}

/// A walk error as a warning line: the loop or the entry that could not be read.
fn describe(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithPath { path, err } => {
            format!("{}: {}; skipped", path.display(), inner(err))
        }
        ignore::Error::WithDepth { err, .. } => describe(err),
        ignore::Error::Loop { child, ancestor } => format!(
            "{}: the link loops back to {}; skipped",
            child.display(),
            ancestor.display()
        ),
        other => format!("{other}; skipped"),
    }
}

fn inner(e: &ignore::Error) -> String {
    match e {
        ignore::Error::WithDepth { err, .. } => inner(err),
        ignore::Error::Io(io) => format!("cannot read it ({io})"),
        other => other.to_string(),
    }
}

/// The order of `Path`'s comparison (component by component) for the walk's paths, which
/// have no `.` components or doubled separators, on their bytes: a separator sorts before
/// every other byte. Several times faster than comparing components.
pub fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    let same = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let rank = |c: Option<&u8>| c.map(|&c| if c == b'/' { 0 } else { u16::from(c) + 1 });
    rank(a.get(same)).cmp(&rank(b.get(same)))
}

/// `p` made absolute (against the current folder) with `.` and `..` resolved by name, not by
/// the file system (a link is not followed): how two spellings of one path are compared
/// (the config's folder and the files alike).
pub fn normalize(p: &Path) -> PathBuf {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The walk's byte order is `Path`'s own order for paths a walk produces: a root
        /// joined with names, where names share prefixes and hold characters below and above
        /// the separator (`-`, `.`, ` `, `0`, `~`).
        #[test]
        fn path_order_is_the_order_of_paths(
            names in proptest::collection::vec(
                // `.` and `..` are not names a walk yields.
                proptest::collection::vec("[-. 0a~]{1,3}".prop_filter("a name", |n| n != "." && n != ".."), 1..4),
                2..12,
            )
        ) {
            let mut paths: Vec<PathBuf> = names
                .iter()
                .map(|n| Path::new("root/x").join(n.join("/")))
                .collect();
            let mut expected = paths.clone();
            expected.sort();
            paths.sort_unstable_by(|a, b| path_order(a, b));
            prop_assert_eq!(paths, expected);
        }
    }
}
