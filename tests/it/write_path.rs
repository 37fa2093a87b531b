//! The one write path (`-o`, `lint --fix`, multi-file outputs), as a user meets it: only regular
//! files, links followed, modes kept, the umask honoured, read-only files left alone, and no
//! temporary file left behind by a signal. CI runs these as root, where the kernel would let
//! every write through: the checks must hold there too.

#![cfg(unix)]

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::{bin, run, test_file};

const POLICY: &[&str] = &[
    "apim",
    "policy",
    "--ingest-url",
    "https://ingest.example.com:9091",
    "-o",
];

/// `apim policy … -o PATH`: (exit code, stderr).
fn policy_to(path: &Path) -> (i32, String) {
    let (code, _, err) = run(bin().args(POLICY).arg(path));
    (code, err)
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().mode() & 0o7777
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".akto-connect-"))
        .collect()
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn devices_fifos_and_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    crate::common::mkfifo(&fifo);
    let link_to_null = dir.path().join("null-link");
    std::os::unix::fs::symlink("/dev/null", &link_to_null).unwrap();
    for (target, what) in [
        (PathBuf::from("/dev/null"), "a character device"),
        (PathBuf::from("/dev/full"), "a character device"),
        (fifo.clone(), "a FIFO"),
        (link_to_null.clone(), "a character device"),
        (dir.path().to_path_buf(), "a directory"),
    ] {
        let (code, err) = policy_to(&target);
        assert_eq!(code, 2, "{}: {err}", target.display());
        assert!(err.contains(what), "{}: {err}", target.display());
    }
    // Nothing was replaced: the device is a device, the FIFO a FIFO, the link a link.
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::symlink_metadata(&link_to_null)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn standard_output_as_a_file_name_is_refused() {
    // Under the test harness standard output is a pipe: `/dev/stdout` names it.
    let out = bin()
        .args(POLICY)
        .arg("/dev/stdout")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a regular file"), "{err}");
    assert!(err.contains("leave out -o"), "{err}");
}

#[test]
fn a_symlink_is_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real/policy.xml");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    // A relative link, and a link to that link.
    let link = dir.path().join("policy.xml");
    std::os::unix::fs::symlink("real/policy.xml", &link).unwrap();
    let link2 = dir.path().join("again.xml");
    std::os::unix::fs::symlink(&link, &link2).unwrap();
    for l in [&link, &link2] {
        std::fs::write(&target, "old").unwrap();
        let (code, err) = policy_to(l);
        assert_eq!(code, 0, "{err}");
        assert!(std::fs::symlink_metadata(l)
            .unwrap()
            .file_type()
            .is_symlink());
        let text = std::fs::read_to_string(&target).unwrap();
        assert!(text.contains("<set-url>"), "the target was updated: {text}");
        assert_eq!(mode(&target), 0o640, "the target keeps its mode");
    }
    assert!(temp_files(dir.path()).is_empty());
    assert!(temp_files(&dir.path().join("real")).is_empty());
}

#[test]
fn a_dangling_symlink_creates_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("out.xml");
    std::os::unix::fs::symlink("made.xml", &link).unwrap();
    let (code, err) = policy_to(&link);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(dir.path().join("made.xml"))
        .unwrap()
        .contains("<set-url>"));
}

#[test]
fn lint_fix_through_a_symlink_updates_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.xml");
    std::fs::copy(
        test_file("fixtures/lint/missing-base/section-without-base.xml"),
        &target,
    )
    .unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let link = dir.path().join("link.xml");
    std::os::unix::fs::symlink("real.xml", &link).unwrap();
    let (code, _, err) = run(bin().args(["lint", "--no-config", "--fix"]).arg(&link));
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("<base />"));
    assert_eq!(mode(&target), 0o600);
}

#[test]
fn new_files_honour_the_umask_and_existing_files_keep_their_mode() {
    let dir = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("akto-connect");
    for (umask, expected) in [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)] {
        let path = dir.path().join(format!("new-{umask:03o}.xml"));
        let mut cmd = std::process::Command::new(&binary);
        cmd.args([
            "apim",
            "policy",
            "--ingest-url",
            "https://ingest.example.com:9091",
            "-o",
        ])
        .arg(&path);
        // The child's umask, set between fork and exec (this process's stays as it is).
        use std::os::unix::process::CommandExt;
        // SAFETY: umask(2) is async-signal-safe and touches only the child.
        unsafe {
            cmd.pre_exec(move || {
                libc::umask(umask);
                Ok(())
            });
        }
        let status = cmd.status().unwrap();
        assert!(status.success());
        assert_eq!(mode(&path), expected, "umask {umask}");
    }
    // An existing 0600 file stays 0600 under a permissive umask.
    let path = dir.path().join("existing.xml");
    std::fs::write(&path, "old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(policy_to(&path).0, 0);
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_file_for_secrets_is_written_0600_with_o() {
    // `aws env-file -o FILE` is where the connector's token goes: 0600 whatever the umask,
    // and an existing world-readable file is tightened, as `ingest compose` does for its own.
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("api-gateway-logging.env");
    let (code, _, err) = run(bin().args(["aws", "env-file", "-o"]).arg(&fresh));
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&fresh), 0o600);
    let existing = dir.path().join("old.env");
    std::fs::write(&existing, "DATABASE_ABSTRACTOR_TOKEN=\n").unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, err) = run(bin()
        .args(["aws", "env-file", "--static-keys", "-o"])
        .arg(&existing));
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&existing), 0o600);
    assert!(std::fs::read_to_string(&existing)
        .unwrap()
        .contains("AWS_SECRET_ACCESS_KEY="));
}

#[test]
fn a_read_only_file_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ro.xml");
    std::fs::write(&path, "keep me").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (code, err) = policy_to(&path);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("read-only for you"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    assert_eq!(mode(&path), 0o444);
    // `--fix` too.
    let fix = dir.path().join("fix.xml");
    let original = std::fs::read_to_string(test_file(
        "fixtures/lint/missing-base/section-without-base.xml",
    ))
    .unwrap();
    std::fs::write(&fix, &original).unwrap();
    std::fs::set_permissions(&fix, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (code, _, err) = run(bin().args(["lint", "--no-config", "--fix"]).arg(&fix));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("read-only for you"), "{err}");
    assert_eq!(std::fs::read_to_string(&fix).unwrap(), original);
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
#[ignore = "needs root (CI runs as root)"]
fn root_leaves_read_only_files_alone_and_keeps_owners() {
    assert!(is_root(), "this test needs to run as root (CI does)");
    let dir = tempfile::tempdir().unwrap();
    // Someone else's read-only file: the kernel would let root replace it; we do not.
    let theirs = dir.path().join("theirs.xml");
    std::fs::write(&theirs, "theirs").unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (code, err) = policy_to(&theirs);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("read-only for you") && err.contains("owner uid 65534"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "theirs");
    assert_eq!(mode(&theirs), 0o444);
    // Writable by its owner (a checkout owned by a CI runner's user): replaced, and it keeps
    // its owner, group and mode.
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (code, err) = policy_to(&theirs);
    assert_eq!(code, 0, "{err}");
    let m = std::fs::metadata(&theirs).unwrap();
    assert_eq!((m.uid(), m.gid(), m.mode() & 0o7777), (65534, 65534, 0o640));
    assert!(std::fs::read_to_string(&theirs)
        .unwrap()
        .contains("<set-url>"));
    // A read-only folder: no new file in it.
    let ro_dir = dir.path().join("ro");
    std::fs::create_dir(&ro_dir).unwrap();
    std::fs::set_permissions(&ro_dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let (code, err) = policy_to(&ro_dir.join("new.xml"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("folder"), "{err}");
    assert_eq!(std::fs::read_dir(&ro_dir).unwrap().count(), 0);
}

#[test]
fn a_missing_folder_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = policy_to(&dir.path().join("no/such/dir/p.xml"));
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
}

/// Starts `apim policy -o PATH` held (by the debug-build hook) after its temporary file is
/// written, waits for that file, sends `signal`, and returns how the process ended.
fn signal_mid_write(signal: rustix::process::Signal) {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.xml");
    std::fs::write(&path, "previous").unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("akto-connect"))
        .args(POLICY)
        .arg(&path)
        .env("AKTO_CONNECT_TEST_WRITE_PAUSE_MS", "20000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while temp_files(dir.path()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "no temporary file appeared (debug build expected)"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the process ended early"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, signal).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(signal.as_raw()),
        "ends by the signal: {status:?}"
    );
    assert!(
        temp_files(dir.path()).is_empty(),
        "temporary files left: {:?}",
        temp_files(dir.path())
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous");
}

#[test]
fn sigterm_mid_write_leaves_no_temporary_file() {
    signal_mid_write(rustix::process::Signal::TERM);
}

#[test]
fn sigint_mid_write_leaves_no_temporary_file() {
    signal_mid_write(rustix::process::Signal::INT);
}

#[test]
fn several_files_are_all_checked_before_the_first_is_written() {
    use akto_connect::output;
    use akto_connect::render::Artifact;
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.txt");
    let ro = dir.path().join("ro.txt");
    std::fs::write(&ro, "ro").unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let err = output::write_many(&[
        Artifact::new(a.clone(), "a"),
        Artifact::new(ro.clone(), "new"),
    ])
    .expect_err("a read-only target");
    assert!(err.written.is_empty());
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert!(!a.exists(), "the first file was not written");
    assert_eq!(std::fs::read_to_string(&ro).unwrap(), "ro");
    let b = dir.path().join("b.txt");
    let done = output::write_many(&[Artifact::new(a.clone(), "a"), Artifact::new(b.clone(), "b")])
        .unwrap();
    assert_eq!(done, vec![a.clone(), b.clone()]);
    assert_eq!(std::fs::read_to_string(&b).unwrap(), "b");
}

#[test]
fn a_set_whose_artifact_fails_its_read_back_writes_nothing() {
    use akto_connect::output::{self, Destination};
    use akto_connect::render::{Artifact, Syntax};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new-folder");
    let set = [
        Artifact::new("good.yaml", "a: 1\n").read_as(Syntax::Yaml),
        Artifact::private("x.env", "A=1\n").read_as(Syntax::Env),
        Artifact::new("sub/bad.json", "{\"a\": }\n").read_as(Syntax::Json),
    ];
    let err = output::deliver(&set, Destination::Dir(&out)).expect_err("bad JSON");
    let err = format!("{err:#}");
    assert!(err.contains("sub/bad.json"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!out.exists(), "the folder was made");
    // The same set without the bad file: written, the private one 0600.
    let written = output::deliver(&set[..2], Destination::Dir(&out)).unwrap();
    assert_eq!(written, vec![out.join("good.yaml"), out.join("x.env")]);
    let mode = std::fs::metadata(out.join("x.env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // An artifact path leaving the folder is refused.
    let escape = [Artifact::new("../escaped", "x\n")];
    assert!(output::deliver(&escape, Destination::Dir(&out)).is_err());
    assert!(!dir.path().join("escaped").exists());
}

#[test]
fn a_folder_output_on_a_file_or_device_names_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "kept\n").unwrap();
    for target in [file.to_str().unwrap(), "/dev/null"] {
        for flag in ["-o", "--apiops"] {
            let (code, out, err) = crate::common::run(crate::common::bin().args([
                "apim",
                "fragments",
                "--ingest-url",
                "https://ingest.example.com",
                flag,
                target,
            ]));
            assert_eq!(code, 2, "{err}");
            assert!(out.is_empty());
            assert!(err.contains("is not a folder"), "{flag} {target}: {err}");
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept\n");
}

#[test]
fn a_signal_during_a_multi_file_write_leaves_no_temporary_file() {
    use std::os::unix::process::ExitStatusExt;
    // ingest compose: three files through write_many, one of them private (0600).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stack");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("akto-connect"))
        .args(["ingest", "compose", "--kafka-ip", "10.0.1.4", "-o"])
        .arg(&out)
        .env("AKTO_CONNECT_TEST_WRITE_PAUSE_MS", "20000")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !out.is_dir() || temp_files(&out).is_empty() {
        assert!(Instant::now() < deadline, "no temporary file appeared");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the process ended early"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(rustix::process::Signal::TERM.as_raw())
    );
    assert!(temp_files(&out).is_empty(), "{:?}", temp_files(&out));
}
