//! Kubernetes naming rules, shared by the generators that write Kubernetes objects.

use crate::error::refuse;

/// A Kubernetes object name (DNS-1123 subdomain): lower-case letters, digits, `-`, `.`.
pub fn check_k8s_name(input: &str, value: &str, label: bool) -> anyhow::Result<()> {
    let max = if label { 63 } else { 253 };
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !p.starts_with('-')
            && !p.ends_with('-')
    };
    let ok = value.len() <= max
        && if label {
            part_ok(value)
        } else {
            value.split('.').all(part_ok)
        };
    if !ok {
        let what = if label {
            "a DNS-1123 label (at most 63"
        } else {
            "a DNS-1123 subdomain (at most 253"
        };
        return Err(refuse(
            input,
            value,
            &format!("a Kubernetes name must be {what} lower-case letters, digits and `-`, starting and ending with a letter or digit)"),
            "use the object's name as `kubectl get` shows it",
        ));
    }
    Ok(())
}
