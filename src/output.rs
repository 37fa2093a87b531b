//! Where rendered text goes: standard output, or files written atomically. This is the one
//! write path of the program: `-o`, `lint --fix` and every multi-file output come through here.
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
//! - SIGINT, SIGTERM and SIGHUP remove the temporary files of writes in progress, then end the
//!   process by the same signal (SIGKILL cannot be caught: nothing can clean up after it).

use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

use anyhow::{bail, Context};

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

/// One file of a [`write_many`] set.
#[derive(Debug, Clone)]
pub struct OutFile {
    pub path: PathBuf,
    pub text: String,
    /// Mode 0600 (it holds a secret), as [`write_atomic_private`].
    pub private: bool,
}

impl OutFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        Self {
            path,
            text,
            private: false,
        }
    }

    pub fn private(path: PathBuf, text: String) -> Self {
        Self {
            path,
            text,
            private: true,
        }
    }
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

/// Writes several files: every target is checked first, so a bad one means nothing is written;
/// then each is written atomically in order. An error after the first write names the files
/// already written.
pub fn write_many(files: &[OutFile]) -> Result<Vec<PathBuf>, PartialWrite> {
    let mut targets = Vec::with_capacity(files.len());
    for f in files {
        match check_target(&f.path) {
            Ok(t) => targets.push(t),
            Err(error) => {
                return Err(PartialWrite {
                    written: Vec::new(),
                    error,
                })
            }
        }
    }
    let mut written = Vec::with_capacity(files.len());
    for (f, target) in files.iter().zip(&targets) {
        if let Err(error) = write_resolved(&f.path, target, &f.text, f.private) {
            return Err(PartialWrite { written, error });
        }
        written.push(f.path.clone());
    }
    Ok(written)
}

fn write_resolved(path: &Path, target: &Target, text: &str, private: bool) -> anyhow::Result<()> {
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
    let mut tmp = {
        // Created and registered under the lock, so a signal sees every temporary file.
        let mut pending = cleanup::pending();
        let tmp = builder.tempfile_in(&dir).with_context(|| {
            format!(
                "cannot write {shown}: cannot create a file in {}",
                crate::error::printable(&dir.display().to_string())
            )
        })?;
        pending.push(tmp.path().to_path_buf());
        tmp
    };
    let tmp_path = tmp.path().to_path_buf();
    let result = (|| -> anyhow::Result<()> {
        tmp.write_all(text.as_bytes())
            .with_context(|| format!("cannot write {shown}"))?;
        if let Some(m) = &target.existing {
            keep_owner_and_mode(tmp.as_file(), m)
                .with_context(|| format!("cannot write {shown}"))?;
        }
        if private {
            set_private(tmp.as_file()).with_context(|| format!("cannot write {shown}"))?;
        }
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("cannot write {shown}"))?;
        test_pause();
        Ok(())
    })();
    let mut pending = cleanup::pending();
    let outcome = match result {
        Ok(()) => tmp
            .persist(&target.resolved)
            .map(drop)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {shown}")),
        Err(e) => {
            drop(tmp);
            Err(e)
        }
    };
    pending.retain(|p| p != &tmp_path);
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
