//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use akto_connect::apim::capture::{
    self, CaptureOptions, Digits, NamedValueName, PolicyFormat, Scope,
};
use akto_connect::apim::patterns::{PatternSource, RegexList};
use akto_connect::http_url::BaseUrl;

/// The built binary.
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("akto-connect").expect("binary builds")
}

/// Whether a program is on PATH.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// For a test marked `#[ignore = "needs NAME …"]`: fails, naming the tool and how to get it,
/// when NAME is not on PATH. Ignored tests run only when asked for (`cargo test --
/// --include-ignored`, as `.ci/run` does), and then a missing tool is a failure, never a skip.
pub fn require_tool(name: &str) {
    assert!(
        on_path(name),
        "this test needs `{name}` on PATH: `bash .ci/run` installs it (see README, Tests)"
    );
}

/// For a test marked `#[ignore = "needs python3 with …"]`: fails unless python3 imports every
/// module named.
pub fn require_python(modules: &[&str]) {
    let code = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    let ok = std::process::Command::new("python3")
        .args(["-c", &code])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "this test needs python3 with {modules:?}: `bash .ci/run` installs them in a venv"
    );
}

/// For a test marked `#[ignore = "needs ../shared"]`: the path under `../shared` (corpus,
/// seeds, schemas), failing when it is missing.
pub fn require_shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    assert!(
        p.exists(),
        "this test needs {} (the shared folder beside the checkout)",
        p.display()
    );
    p
}

/// A file under the project's tests/ folder.
pub fn test_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

/// Capture options as the command line would build them.
pub fn options(
    url: &str,
    patterns: &[&str],
    token: Option<&str>,
    format: PolicyFormat,
) -> CaptureOptions {
    let sources: Vec<PatternSource> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| PatternSource {
            origin: format!("--regex #{}", i + 1),
            text: p.to_string(),
        })
        .collect();
    CaptureOptions {
        ingest_url: BaseUrl::parse("--ingest-url", url).expect("valid test URL"),
        patterns: RegexList::new(&sources).expect("valid test patterns"),
        account_id: Digits::parse("--account-id", "1000000").expect("digits"),
        vxlan_id: Digits::parse("--vxlan-id", "0").expect("digits"),
        match_timeout_ms: 50,
        max_body_bytes: 262_144,
        token_named_value: token
            .map(|t| NamedValueName::parse("--ingest-token-named-value", t).expect("name")),
        format,
        scope: Scope::Api,
        fragments: None,
        record: Default::default(),
    }
}

/// A spread of option sets that exercises every branch of the template, in both formats.
pub fn option_sets() -> Vec<(String, CaptureOptions)> {
    let mut out = Vec::new();
    for (f, format) in [("rawxml", PolicyFormat::RawXml), ("xml", PolicyFormat::Xml)] {
        out.push((
            format!("all-paths-{f}"),
            options("https://ingest.example.com:9091", &[], None, format),
        ));
        out.push((
            format!("patterns-and-token-{f}"),
            options(
                "https://ingest.example.com/akto/",
                &[r"^/api/v1/.*", r#"a&b<c>"d"#, r"(?<=/v)\d+"],
                Some("akto-ingest-token"),
                format,
            ),
        ));
    }
    out
}

/// Renders, expecting success.
pub fn render(opts: &CaptureOptions) -> String {
    capture::render(opts).expect("renders").artifact.text
}

/// Runs the binary and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `cmd` with `input` on its standard input; returns its output.
pub fn pipe(cmd: &mut std::process::Command, input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("the program reads its input");
    child.wait_with_output().expect("the program finishes")
}

/// Makes a FIFO at `path` (mkfifo(3), no external program).
pub fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("no NUL in the path");
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}
