//! The one walk of a tree (`src/walk.rs`) as users see it through `lint`, `apim effective` and
//! `apim coverage`: a link inside the tree is followed, a link leaving it or a loop is named
//! and skipped, a FIFO is skipped.

use std::path::Path;

use crate::common::bin;

fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let o = cmd.output().expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const GLOBAL: &str = "<policies>
    <inbound />
    <backend>
        <forward-request />
    </backend>
    <outbound />
    <on-error />
</policies>
";

/// An API policy without `<base />` in its inbound.
const NO_BASE: &str = "<policies>
    <inbound>
        <set-header name=\"X-Pay\" exists-action=\"override\"><value>1</value></set-header>
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
";

/// A tree whose `apis/pay` is a link to a folder elsewhere in the repository.
fn tree_with_linked_api(root: &Path) {
    std::fs::write(root.join("policy.xml"), GLOBAL).unwrap();
    std::fs::create_dir_all(root.join(".shared/pay")).unwrap();
    std::fs::write(root.join(".shared/pay/policy.xml"), NO_BASE).unwrap();
    std::fs::create_dir_all(root.join("apis")).unwrap();
    std::os::unix::fs::symlink("../.shared/pay", root.join("apis/pay")).unwrap();
}

/// The reported bug: `lint .` said "No problems found in 1 file" while `apim effective . --api
/// pay` read the linked folder.
#[test]
fn lint_follows_a_linked_folder_inside_the_tree() {
    let t = tempfile::tempdir().unwrap();
    tree_with_linked_api(t.path());
    let (code, out, err) =
        run(bin()
            .current_dir(t.path())
            .args(["lint", "--no-config", "--color", "never", "."]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("apis/pay/policy.xml:") && out.contains("[missing-base]"),
        "{out}{err}"
    );
    assert!(!out.contains("No problems found"), "{out}");
    // The effective policy reads the same file.
    let (code, eff, err) =
        run(bin()
            .current_dir(t.path())
            .args(["apim", "effective", ".", "--api", "pay"]));
    assert_eq!(code, 0, "{err}");
    assert!(eff.contains("apis/pay/policy.xml"), "{eff}");
}

#[test]
fn a_link_leaving_the_tree_is_named_and_skipped_by_every_command() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("pay")).unwrap();
    std::fs::write(outside.path().join("pay/policy.xml"), NO_BASE).unwrap();
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("policy.xml"), GLOBAL).unwrap();
    std::fs::create_dir_all(t.path().join("apis/orders")).unwrap();
    std::fs::write(
        t.path().join("apis/orders/policy.xml"),
        GLOBAL.replace("<inbound />", "<inbound><base /></inbound>"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("pay"), t.path().join("apis/pay")).unwrap();
    let (code, out, err) =
        run(bin()
            .current_dir(t.path())
            .args(["lint", "--no-config", "--color", "never", "."]));
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(!out.contains("apis/pay"), "{out}");
    assert!(
        err.contains("apis/pay")
            && err.contains("leads out of the tree")
            && err.contains("skipped"),
        "{err}"
    );
    let (code, out, err) = run(bin().current_dir(t.path()).args(["apim", "coverage", "."]));
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(
        err.contains("apis/pay") && err.contains("leads out of the tree"),
        "{err}"
    );
}

#[test]
fn a_loop_is_named_and_skipped() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("policy.xml"), GLOBAL).unwrap();
    std::fs::create_dir_all(t.path().join("apis/orders")).unwrap();
    std::fs::write(t.path().join("apis/orders/policy.xml"), NO_BASE).unwrap();
    std::os::unix::fs::symlink("..", t.path().join("apis/orders/again")).unwrap();
    let (code, out, err) =
        run(bin()
            .current_dir(t.path())
            .args(["lint", "--no-config", "--color", "never", "."]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("apis/orders/policy.xml:"), "{out}");
    assert!(!out.contains("again/"), "{out}");
    assert!(
        err.contains("apis/orders/again") && err.contains("loops"),
        "{err}"
    );
}

#[test]
fn a_fifo_in_the_tree_is_skipped() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("policy.xml"), GLOBAL).unwrap();
    std::fs::create_dir_all(t.path().join("apis/orders")).unwrap();
    let fifo = t.path().join("apis/orders/policy.xml");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let (code, out, err) = run(bin()
        .current_dir(t.path())
        .timeout(std::time::Duration::from_secs(60))
        .args(["lint", "--no-config", "--color", "never", "."]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 file"), "{out}");
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// A tree whose files lead out of it every way a reader could be led: its global policy and
/// an API's information file are links to `/etc/passwd`, a product's `apis.json` and an
/// operation's policy are links to files outside holding a marker, an API folder is a link to
/// a folder outside, and another API's information file is a FIFO.
fn tree_with_links_out(t: &Path, outside: &Path) {
    use std::os::unix::fs::symlink;
    let marker_policy = NO_BASE.replace("X-Pay", "OUTSIDE-MARKER-7f3a");
    std::fs::write(outside.join("policy.xml"), &marker_policy).unwrap();
    std::fs::write(
        outside.join("apis.json"),
        "[\"orders\", \"OUTSIDE-MARKER-7f3a\"]",
    )
    .unwrap();
    std::fs::create_dir_all(outside.join("pay")).unwrap();
    std::fs::write(outside.join("pay/policy.xml"), &marker_policy).unwrap();
    std::fs::write(
        outside.join("pay/apiInformation.json"),
        "{\"properties\": {\"subscriptionRequired\": false, \"x\": \"OUTSIDE-MARKER-7f3a\"}}",
    )
    .unwrap();
    symlink("/etc/passwd", t.join("policy.xml")).unwrap();
    std::fs::create_dir_all(t.join("apis/orders/operations/get")).unwrap();
    std::fs::write(t.join("apis/orders/policy.xml"), NO_BASE).unwrap();
    symlink("/etc/passwd", t.join("apis/orders/apiInformation.json")).unwrap();
    symlink(
        outside.join("policy.xml"),
        t.join("apis/orders/operations/get/policy.xml"),
    )
    .unwrap();
    symlink(outside.join("pay"), t.join("apis/pay")).unwrap();
    std::fs::create_dir_all(t.join("apis/fifo")).unwrap();
    std::fs::write(t.join("apis/fifo/policy.xml"), NO_BASE).unwrap();
    mkfifo(&t.join("apis/fifo/apiInformation.json"));
    std::fs::create_dir_all(t.join("products/starter")).unwrap();
    symlink(
        outside.join("apis.json"),
        t.join("products/starter/apis.json"),
    )
    .unwrap();
}

#[test]
fn nothing_outside_the_tree_is_read_or_written_by_any_command() {
    let outside = tempfile::tempdir().unwrap();
    let t = tempfile::tempdir().unwrap();
    tree_with_links_out(t.path(), outside.path());
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let first_line = passwd.lines().next().unwrap_or("root:x:0:0").to_string();
    let commands: [&[&str]; 6] = [
        &["lint", "--no-config", "--color", "never", "."],
        &["lint", "--no-config", "--format", "json", "."],
        &["lint", "--no-config", "--format", "sarif", "."],
        &["apim", "coverage", "."],
        &["apim", "coverage", ".", "--format", "json"],
        &["apim", "effective", ".", "--api", "orders"],
    ];
    for args in commands {
        let (code, out, err) = run(bin()
            .current_dir(t.path())
            .timeout(std::time::Duration::from_secs(120))
            .args(args));
        assert!(matches!(code, 0 | 1), "{args:?}: exit {code}\n{out}{err}");
        for text in [&out, &err] {
            assert!(!text.contains("OUTSIDE-MARKER"), "{args:?}:\n{out}{err}");
            assert!(!text.contains(&first_line), "{args:?}:\n{out}{err}");
            assert!(!text.contains("root:x:"), "{args:?}:\n{out}{err}");
        }
        // Each link out is named (its path, not its content).
        assert!(err.contains("leads out of the tree"), "{args:?}:\n{err}");
    }
    // `--fix` fixes the files of the tree, and nothing through the links.
    let before: Vec<_> = ["policy.xml", "apis.json", "pay/policy.xml"]
        .iter()
        .map(|p| std::fs::read(outside.path().join(p)).unwrap())
        .collect();
    let (code, out, err) = run(bin()
        .current_dir(t.path())
        .timeout(std::time::Duration::from_secs(120))
        .args(["lint", "--no-config", "--fix", "."]));
    assert!(matches!(code, 0 | 1), "exit {code}\n{out}{err}");
    let after: Vec<_> = ["policy.xml", "apis.json", "pay/policy.xml"]
        .iter()
        .map(|p| std::fs::read(outside.path().join(p)).unwrap())
        .collect();
    assert_eq!(before, after, "a file outside the tree was changed");
    let fixed = std::fs::read_to_string(t.path().join("apis/orders/policy.xml")).unwrap();
    assert!(fixed.contains("<base />\n        <set-header"), "{fixed}");
}
