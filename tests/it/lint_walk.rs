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
