//! Where rendered text goes: standard output, or files written atomically. This is the one
//! write path of the program: `-o`, `lint --fix` and every multi-file output come through here.
//! Generators hand [`deliver`] their artifacts and a [`Destination`]; it reads every artifact
//! back (`render::artifact::read_back`), then prints them, writes the one file, or writes the
//! set into a folder ([`write_many`]).
//!
//! What a write promises:
//! - only regular files are written: a device (`/dev/null`), a FIFO, a socket or a directory is
//!   refused, and nothing is written;
//! - a symbolic link is followed: its final target is replaced atomically and the link stays;
//! - the text goes to a temporary file beside the target, is synced, then renamed over it, so a
//!   failed or interrupted run leaves an existing file byte for byte as it was;
//! - an existing file keeps its mode (and, when the process may, its owner); a new file gets
//!   `0666` less the umask, like a shell redirection;
//! - a file the user could not write is not replaced, and root, whom the kernel lets write
//!   anything, leaves a file or folder alone whose mode grants write to nobody (`0444`);
//! - a set of files is written as a set: every target is checked, then every temporary file is
//!   written and synced, and only then are they renamed into place, so a failure before the
//!   renames leaves every file (and every folder: those made for the set are removed again) as
//!   it was;
//! - SIGINT, SIGTERM and SIGHUP remove the temporary files of writes in progress, then end the
//!   process by the same signal (SIGKILL cannot be caught: nothing can clean up after it).

use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

use anyhow::{bail, Context};

use crate::render::Artifact;

/// Writes `text` to `path`, or to standard output when `path` is `None` or `-`.
pub fn emit(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(p) if p.as_os_str() != "-" => write_atomic(p, text),
        _ => write_stdout(text),
    }
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Writes `text` to `path` atomically, with the promises of the module documentation.
pub fn write_atomic(path: &Path, text: &str) -> anyhow::Result<()> {
    let target = check_target(path)?;
    write_resolved(path, &target, text, false)
}

/// Like [`write_atomic`], for a file that holds a secret: mode 0600 whatever the umask or an
/// existing file's mode, from the moment the temporary file exists.
pub fn write_atomic_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let target = check_target(path)?;
    write_resolved(path, &target, text, true)
}

/// Where [`deliver`] puts a set of artifacts.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// Standard output: one artifact as it is; several each after a `# ==> name <==` line.
    Stdout,
    /// `-o FILE` (`-` is standard output): the one artifact of the set.
    File(&'a Path),
    /// `-o DIR`, `--apiops DIR`: every artifact at its path below the folder, which is made
    /// when missing.
    Dir(&'a Path),
}

impl<'a> Destination<'a> {
    /// `-o PATH` for a single artifact: a file, or standard output when absent.
    pub fn file_or_stdout(path: Option<&'a Path>) -> Self {
        match path {
            Some(p) => Destination::File(p),
            None => Destination::Stdout,
        }
    }
}

/// Reads every artifact back, then puts the set where `dest` says; nothing is written or printed
/// when one fails its check. Returns the files written (none for standard output).
pub fn deliver(artifacts: &[Artifact], dest: Destination<'_>) -> anyhow::Result<Vec<PathBuf>> {
    for a in artifacts {
        crate::render::artifact::read_back(a).map_err(|problem| {
            anyhow::anyhow!(
                "internal error: the generated {} failed its own check ({problem}); nothing was written. Please report this with the command line you used.",
                crate::error::printable(&a.name())
            )
        })?;
    }
    match dest {
        Destination::Stdout => {
            write_stdout(&listing(artifacts))?;
            Ok(Vec::new())
        }
        Destination::File(path) => {
            let [one] = artifacts else {
                bail!(
                    "internal error: {} files for one output file; nothing was written. Please report this with the command line you used.",
                    artifacts.len()
                );
            };
            if one.private && path.as_os_str() != "-" {
                write_atomic_private(path, &one.text)?;
            } else {
                emit(Some(path), &one.text)?;
            }
            Ok(if path.as_os_str() == "-" {
                Vec::new()
            } else {
                vec![path.to_path_buf()]
            })
        }
        Destination::Dir(dir) => write_into(dir, artifacts),
    }
}

/// The text of a set for standard output: one artifact as it is; several each after a line
/// naming it (and saying so when it is private).
fn listing(artifacts: &[Artifact]) -> String {
    if let [one] = artifacts {
        return one.text.clone();
    }
    let mut out = String::new();
    for (i, a) in artifacts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let note = if a.private {
            " (keep private: chmod 600)"
        } else {
            ""
        };
        out.push_str(&format!("# ==> {}{note} <==\n", a.name()));
        out.push_str(&a.text);
    }
    out
}

/// The one folder writer: `dir` (made when missing, with the folders below it the artifacts'
/// paths need), then the set through [`write_many`]. On failure the folders it made are
/// removed again (when still empty).
fn write_into(dir: &Path, artifacts: &[Artifact]) -> anyhow::Result<Vec<PathBuf>> {
    // A file, a device or a FIFO where the folder should be: say so, not "File exists".
    if fs::metadata(dir).is_ok_and(|m| !m.is_dir()) {
        bail!(
            "cannot write into {}: it exists and is not a folder; nothing was written. Give a folder (it is created if missing)",
            crate::error::printable(&dir.display().to_string())
        );
    }
    for a in artifacts {
        if a.path.is_absolute()
            || a.path
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            bail!(
                "internal error: the artifact path {} leaves the output folder; nothing was written. Please report this with the command line you used.",
                crate::error::printable(&a.name())
            );
        }
    }
    let mut made: Vec<PathBuf> = Vec::new();
    let result = (|| -> anyhow::Result<Vec<PathBuf>> {
        for a in artifacts {
            let path = dir.join(&a.path);
            make_folders(parent_of(&path).as_path(), &mut made)?;
        }
        let set: Vec<Artifact> = artifacts
            .iter()
            .map(|a| Artifact {
                path: dir.join(&a.path),
                ..a.clone()
            })
            .collect();
        Ok(write_many(&set)?)
    })();
    if result.is_err() {
        for d in made.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
    result
}

/// `create_dir_all` that records each folder it made, outermost first.
fn make_folders(dir: &Path, made: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.as_os_str().is_empty() || fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    for d in missing.into_iter().rev() {
        match fs::create_dir(&d) {
            Ok(()) => made.push(d),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(e) => {
                bail!(
                    "cannot create the folder {}: {e}; nothing was written",
                    crate::error::printable(&d.display().to_string())
                )
            }
        }
    }
    Ok(())
}

/// A checked destination: the regular file (or the place for a new one) that a write replaces,
/// symbolic links resolved.
#[derive(Debug, Clone)]
pub struct Target {
    /// The file the rename lands on: `path` itself, or the final target of its links.
    pub resolved: PathBuf,
    /// The existing file's metadata; `None` for a new file.
    existing: Option<Metadata>,
}

/// Checks that `path` can be written without writing anything: a regular file or a new name in
/// an existing, writable folder. Use it to check every target before writing the first.
pub fn check_target(path: &Path) -> anyhow::Result<Target> {
    let shown = crate::error::printable(&path.display().to_string());
    if path.as_os_str().is_empty() {
        bail!("cannot write an empty file name; give a file name, or `-` for standard output");
    }
    // `stat` through every link first: it sees what `/dev/stdout` or `/proc/self/fd/1` really
    // are (a terminal, a pipe), which reading the links one by one cannot.
    match fs::metadata(path) {
        Ok(m) if !m.is_file() => return Err(not_regular(&shown, &m)),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot write {shown}")),
    }
    let mut resolved = path.to_path_buf();
    let mut hops = 0;
    let existing = loop {
        match fs::symlink_metadata(&resolved) {
            Ok(m) if m.file_type().is_symlink() => {
                hops += 1;
                if hops > 40 {
                    bail!("cannot write {shown}: too many levels of symbolic links");
                }
                let link = fs::read_link(&resolved)
                    .with_context(|| format!("cannot write {shown}: cannot read the link"))?;
                resolved = if link.is_absolute() {
                    link
                } else {
                    parent_of(&resolved).join(link)
                };
            }
            Ok(m) if m.is_file() => break Some(m),
            Ok(m) => return Err(not_regular(&shown, &m)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => break None,
            Err(e) => return Err(e).with_context(|| format!("cannot write {shown}")),
        }
    };
    let dir = parent_of(&resolved);
    let dir_meta = fs::metadata(&dir).map_err(|e| {
        let d = crate::error::printable(&dir.display().to_string());
        anyhow::anyhow!(
            "cannot write {shown}: the folder {d} {}; create it first or choose another file",
            if e.kind() == io::ErrorKind::NotFound {
                "does not exist".to_string()
            } else {
                format!("cannot be read ({e})")
            }
        )
    })?;
    if !dir_meta.is_dir() {
        bail!(
            "cannot write {shown}: {} is not a folder",
            crate::error::printable(&dir.display().to_string())
        );
    }
    if let Some(m) = &existing {
        if !may_write(&resolved, m) {
            bail!(
                "cannot write {shown}: the file is read-only for you ({}); it was left as it was. \
                 Make it writable (chmod u+w) if it should be replaced, or choose another file",
                describe_mode(m)
            );
        }
    }
    if !may_write(&dir, &dir_meta) {
        bail!(
            "cannot write {shown}: the folder {} is read-only for you ({}); nothing was written. \
             Choose a file in a folder you can write",
            crate::error::printable(&dir.display().to_string()),
            describe_mode(&dir_meta)
        );
    }
    Ok(Target { resolved, existing })
}

/// What went wrong in [`write_many`]: the files written before the error, and the error.
#[derive(Debug)]
pub struct PartialWrite {
    /// The files replaced before the failure, in order.
    pub written: Vec<PathBuf>,
    pub error: anyhow::Error,
}

impl std::fmt::Display for PartialWrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.written.is_empty() {
            write!(f, "{:#}; nothing was written", self.error)
        } else {
            let names: Vec<String> = self
                .written
                .iter()
                .map(|p| crate::error::printable(&p.display().to_string()))
                .collect();
            write!(f, "{:#}; already written: {}", self.error, names.join(", "))
        }
    }
}

impl std::error::Error for PartialWrite {}

/// Writes several files as a set: every target is checked first, so a bad one means nothing is
/// written; then every temporary file is written and synced; only then is each renamed into
/// place. An error in a rename (the last step, which the kernel makes atomic per file) names
/// the files already replaced.
pub fn write_many(files: &[Artifact]) -> Result<Vec<PathBuf>, PartialWrite> {
    let nothing = |error| PartialWrite {
        written: Vec::new(),
        error,
    };
    let mut targets = Vec::with_capacity(files.len());
    for f in files {
        targets.push(check_target(&f.path).map_err(nothing)?);
    }
    let mut staged = Vec::with_capacity(files.len());
    for (f, target) in files.iter().zip(&targets) {
        match stage(&f.path, target, &f.text, f.private) {
            Ok(s) => staged.push(s),
            Err(error) => {
                // Nothing was replaced: the temporary files go, every target stays as it was.
                discard(staged);
                return Err(nothing(error));
            }
        }
    }
    let mut written = Vec::with_capacity(files.len());
    let mut staged = staged.into_iter();
    for (f, target) in files.iter().zip(&targets) {
        let Some(tmp) = staged.next() else { break };
        if let Err(error) = commit(&f.path, target, tmp) {
            discard(staged);
            return Err(PartialWrite { written, error });
        }
        written.push(f.path.clone());
    }
    Ok(written)
}

fn write_resolved(path: &Path, target: &Target, text: &str, private: bool) -> anyhow::Result<()> {
    let tmp = stage(path, target, text, private)?;
    commit(path, target, tmp)
}

/// A complete, synced temporary file beside its target, registered for removal on a signal.
/// Hand it to [`commit`] or [`discard`].
struct Staged {
    file: tempfile::NamedTempFile,
    path: PathBuf,
}

/// Removes staged files that will not be renamed.
fn discard(staged: impl IntoIterator<Item = Staged>) {
    let mut pending = cleanup::pending();
    for s in staged {
        pending.retain(|p| p != &s.path);
        drop(s.file);
    }
}

fn stage(path: &Path, target: &Target, text: &str, private: bool) -> anyhow::Result<Staged> {
    let shown = crate::error::printable(&path.display().to_string());
    let mut staged = create(path, target, private)?;
    let written = staged
        .file
        .write_all(text.as_bytes())
        .with_context(|| format!("cannot write {shown}"));
    match written.and_then(|()| complete(path, target, private, &staged)) {
        Ok(()) => Ok(staged),
        Err(e) => {
            discard([staged]);
            Err(e)
        }
    }
}

/// An empty temporary file beside the target, registered for removal on a signal.
fn create(path: &Path, target: &Target, private: bool) -> anyhow::Result<Staged> {
    let shown = crate::error::printable(&path.display().to_string());
    let dir = parent_of(&target.resolved);
    cleanup::install();
    let mut builder = tempfile::Builder::new();
    builder.prefix(".akto-connect-").suffix(".tmp");
    if private {
        // tempfile's own 0600: never readable by others, not even before the rename.
    } else if target.existing.is_none() {
        // Created with 0666: the kernel takes the umask off, as for `>` in a shell.
        if let Some(p) = new_file_permissions() {
            builder.permissions(p);
        }
    }
    // Created and registered under the lock, so a signal sees every temporary file.
    let mut pending = cleanup::pending();
    let file = builder.tempfile_in(&dir).with_context(|| {
        format!(
            "cannot write {shown}: cannot create a file in {}",
            crate::error::printable(&dir.display().to_string())
        )
    })?;
    let path = file.path().to_path_buf();
    pending.push(path.clone());
    Ok(Staged { file, path })
}

/// Gives a fully written temporary file the target's owner and mode, and syncs it.
fn complete(path: &Path, target: &Target, private: bool, staged: &Staged) -> anyhow::Result<()> {
    let shown = crate::error::printable(&path.display().to_string());
    let tmp = &staged.file;
    if let Some(m) = &target.existing {
        keep_owner_and_mode(tmp.as_file(), m).with_context(|| format!("cannot write {shown}"))?;
    }
    if private {
        set_private(tmp.as_file()).with_context(|| format!("cannot write {shown}"))?;
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {shown}"))?;
    test_pause();
    Ok(())
}

/// A file written as it is produced (a report of any size, in constant memory) with the
/// promises of [`write_atomic`]: the bytes go to a temporary file beside the target, and only
/// [`AtomicFile::commit`] syncs it and renames it into place. Dropped without `commit` (an
/// error, a panic), the temporary file is removed and the target stays as it was.
pub struct AtomicFile {
    path: PathBuf,
    target: Target,
    staged: Option<Staged>,
}

impl AtomicFile {
    /// Checks `path` as [`write_atomic`] does and creates the temporary file.
    pub fn create(path: &Path) -> anyhow::Result<AtomicFile> {
        let target = check_target(path)?;
        let staged = create(path, &target, false)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            target,
            staged: Some(staged),
        })
    }

    /// Syncs the temporary file and renames it over the target.
    pub fn commit(mut self) -> anyhow::Result<()> {
        let Some(staged) = self.staged.take() else {
            bail!("cannot write {}: already written", self.path.display());
        };
        if let Err(e) = complete(&self.path, &self.target, false, &staged) {
            discard([staged]);
            return Err(e);
        }
        commit(&self.path, &self.target, staged)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.staged {
            Some(s) => s.file.write(buf),
            None => Err(io::Error::other("the file was already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.staged {
            Some(s) => s.file.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(s) = self.staged.take() {
            discard([s]);
        }
    }
}

/// Renames a staged file over its target.
fn commit(path: &Path, target: &Target, staged: Staged) -> anyhow::Result<()> {
    let shown = crate::error::printable(&path.display().to_string());
    // Under the lock, so a signal never removes a temporary file while it is renamed.
    let mut pending = cleanup::pending();
    let outcome = staged
        .file
        .persist(&target.resolved)
        .map(drop)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {shown}"));
    pending.retain(|p| p != &staged.path);
    outcome
}

/// The folder a file is in (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn not_regular(shown: &str, m: &Metadata) -> anyhow::Error {
    let what = kind_of(m);
    if m.is_dir() {
        anyhow::anyhow!("cannot write {shown}: it is a directory; give a file name")
    } else {
        anyhow::anyhow!(
            "cannot write {shown}: it is {what}, not a regular file; nothing was written. \
             Give a regular file, or leave out -o to write to standard output"
        )
    }
}

#[cfg(unix)]
fn kind_of(m: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_of(m: &Metadata) -> &'static str {
    if m.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(unix)]
fn set_private(file: &fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_file: &fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn new_file_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(0o666))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<fs::Permissions> {
    None
}

/// Whether the caller may write `path`. For an ordinary user, the kernel decides (`faccessat`
/// with the effective ids: permission bits, ACLs, read-only mounts). Root passes every such
/// check, so for root the permission bits are the statement of intent: a file or folder whose
/// mode grants write to nobody (`0444`, `0555`) was made read-only on purpose and is left
/// alone. A file writable by its owner is replaced, keeping that owner and mode (so root in a
/// CI container can still `--fix` a checkout owned by the runner's user).
#[cfg(unix)]
fn may_write(path: &Path, m: &Metadata) -> bool {
    use rustix::fs::{Access, AtFlags, CWD};
    use std::os::unix::fs::MetadataExt;
    let kernel_ok = rustix::fs::accessat(CWD, path, Access::WRITE_OK, AtFlags::EACCESS).is_ok();
    if !rustix::process::geteuid().is_root() {
        return kernel_ok;
    }
    kernel_ok && m.mode() & 0o222 != 0
}

#[cfg(not(unix))]
fn may_write(_path: &Path, m: &Metadata) -> bool {
    !m.permissions().readonly()
}

#[cfg(unix)]
fn describe_mode(m: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "mode {:04o}, owner uid {}, group gid {}",
        m.mode() & 0o7777,
        m.uid(),
        m.gid()
    )
}

#[cfg(not(unix))]
fn describe_mode(_m: &Metadata) -> String {
    "read-only".to_string()
}

/// Gives the new file the replaced file's owner (when the process may: as root, or the same
/// owner already) and its mode.
#[cfg(unix)]
fn keep_owner_and_mode(file: &fs::File, m: &Metadata) -> io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let now = file.metadata()?;
    if now.uid() != m.uid() || now.gid() != m.gid() {
        // Best effort: only root may give a file away, and a group change may be refused.
        let _ = std::os::unix::fs::fchown(file, Some(m.uid()), Some(m.gid()));
    }
    // After the owner change, which clears set-id bits.
    file.set_permissions(fs::Permissions::from_mode(m.mode() & 0o7777))
}

#[cfg(not(unix))]
fn keep_owner_and_mode(file: &fs::File, m: &Metadata) -> io::Result<()> {
    file.set_permissions(m.permissions())
}

/// A test hook, in debug builds only: `AKTO_CONNECT_TEST_WRITE_PAUSE_MS` holds a write after its
/// temporary file is complete and before the rename, so a test can signal the process at that
/// moment and check the temporary file is removed.
fn test_pause() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("AKTO_CONNECT_TEST_WRITE_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

/// Temporary files of writes in progress, removed when a termination signal arrives.
mod cleanup {
    use super::*;

    static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    static INSTALL: Once = Once::new();

    /// The list of temporary files; hold the guard while creating or renaming one.
    pub(super) fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
        PENDING.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts, once, the thread that waits for SIGINT, SIGTERM or SIGHUP.
    #[cfg(unix)]
    pub(super) fn install() {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        INSTALL.call_once(|| {
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            else {
                return;
            };
            let spawned = std::thread::Builder::new()
                .name("akto-connect-signals".into())
                .spawn(move || {
                    if let Some(sig) = signals.forever().next() {
                        // Keep the lock: no temporary file is created or renamed after this.
                        let pending = pending();
                        for p in pending.iter() {
                            let _ = fs::remove_file(p);
                        }
                        let _ = signal_hook::low_level::emulate_default_handler(sig);
                        std::process::exit(128 + sig);
                    }
                });
            drop(spawned);
        });
    }

    #[cfg(not(unix))]
    pub(super) fn install() {
        INSTALL.call_once(|| {});
    }
}

#[cfg(test)]
mod atomic_file_tests {
    use super::*;

    fn temporaries(dir: &Path) -> Vec<(PathBuf, u64)> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".tmp"))
            .map(|p| {
                let n = fs::metadata(&p).unwrap().len();
                (p, n)
            })
            .collect()
    }

    #[test]
    fn a_streamed_file_is_written_as_it_goes_and_renamed_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.sarif");
        fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        let chunk = vec![b'x'; 64 * 1024];
        for i in 1..=8u64 {
            f.write_all(&chunk).unwrap();
            f.flush().unwrap();
            // The bytes are on disk in the temporary file, not held in memory…
            let tmp = temporaries(dir.path());
            assert_eq!(tmp.len(), 1);
            assert_eq!(tmp[0].1, i * 64 * 1024);
            // …and the target is untouched until the end.
            assert_eq!(fs::read(&target).unwrap(), b"old");
        }
        f.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap().len(), 8 * 64 * 1024);
        assert!(temporaries(dir.path()).is_empty());
    }

    #[test]
    fn a_streamed_file_dropped_unfinished_leaves_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("report.json");
        fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"half a report").unwrap();
        drop(f);
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert!(temporaries(dir.path()).is_empty());
    }
}
