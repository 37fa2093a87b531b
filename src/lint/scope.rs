//! Which scope a policy file belongs to, from its place in an APIOps repository.

use std::path::{Component, Path};

/// The folders the APIOps extractor writes at the root of a service: any of them beside a
/// `policy.xml` makes that file the service's global policy. apiops-cli writes the camelCase
/// names (`policyFragments`, `namedValues`, `versionSets`, `policyRestrictions`).
pub const APIOPS_FOLDERS: &[&str] = &[
    "apis",
    "products",
    "policy fragments",
    "policy_fragments",
    "groups",
    "named values",
    "backends",
    "loggers",
    "gateways",
    "tags",
    "version sets",
    "workspaces",
    "diagnostics",
    "subscriptions",
    "policy restrictions",
    "identity providers",
    "authorization servers",
    "policyFragments",
    "namedValues",
    "versionSets",
    "policyRestrictions",
];

/// Whether a file of unknown scope looks like a global policy: named so (`global…`), or a
/// `<backend>` holding `<forward-request>` with no `<base />` anywhere (global scope's shape).
/// Used for a hint only; scope is never guessed from it.
pub fn looks_global(file_name: &str, src: &str) -> bool {
    file_name.to_ascii_lowercase().contains("global")
        || (src.contains("<forward-request") && !src.contains("<base"))
}

/// A policy's scope. `Unknown` (a file outside an APIOps layout) is linted like an API or
/// operation policy: it has a parent whose policies `<base />` must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Global,
    Workspace,
    Product,
    Api,
    Operation,
    Fragment,
    Unknown,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "global" => Scope::Global,
            "workspace" => Scope::Workspace,
            "product" => Scope::Product,
            "api" => Scope::Api,
            "operation" => Scope::Operation,
            "fragment" => Scope::Fragment,
            "unknown" => Scope::Unknown,
            _ => return None,
        })
    }

    /// The scope of `path` in the APIOps layout:
    /// `policy.xml` beside any folder the APIOps extractor writes ([`APIOPS_FOLDERS`]:
    /// `apis/`, `products/`, `policy fragments/`, `groups/`, `named values/` …) is global;
    /// `apis/<api>/policy.xml` API; `apis/<api>/operations/<op>/policy.xml` operation;
    /// `products/<p>/policy.xml` product; `policy fragments/<id>/policy.xml` fragment;
    /// `workspaces/<w>/policy.xml` workspace. `is_dir` answers whether a sibling folder exists.
    pub fn from_path(path: &Path, is_dir: impl Fn(&Path) -> bool) -> Scope {
        // The last five names, last first (this runs for every file lint finds).
        let mut names: [Option<std::borrow::Cow<'_, str>>; 5] = Default::default();
        let normal = path.components().rev().filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy()),
            _ => None,
        });
        for (slot, name) in names.iter_mut().zip(normal) {
            *slot = Some(name);
        }
        let at = |back: usize| -> Option<&str> { names[back].as_deref() };
        if !at(0).is_some_and(|n| n.eq_ignore_ascii_case("policy.xml")) {
            return Scope::Unknown;
        }
        if at(4) == Some("apis") && at(2) == Some("operations") {
            return Scope::Operation;
        }
        match at(2) {
            Some("apis") => return Scope::Api,
            Some("products") => return Scope::Product,
            Some(d) if crate::apim::apiops::FRAGMENT_DIRS.contains(&d) => return Scope::Fragment,
            Some("workspaces") => return Scope::Workspace,
            _ => {}
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if APIOPS_FOLDERS.iter().any(|d| is_dir(&dir.join(d))) {
            return Scope::Global;
        }
        Scope::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(p: &str, dirs: &[&str]) -> Scope {
        Scope::from_path(Path::new(p), |d| dirs.iter().any(|x| Path::new(x) == d))
    }

    #[test]
    fn apiops_layout() {
        assert_eq!(scope("repo/apis/echo/policy.xml", &[]), Scope::Api);
        assert_eq!(
            scope("repo/apis/echo/operations/get-x/policy.xml", &[]),
            Scope::Operation
        );
        assert_eq!(
            scope("repo/products/starter/policy.xml", &[]),
            Scope::Product
        );
        assert_eq!(
            scope("repo/policy fragments/cors/policy.xml", &[]),
            Scope::Fragment
        );
        assert_eq!(scope("repo/policy.xml", &["repo/apis"]), Scope::Global);
        assert_eq!(scope("policy.xml", &["./products"]), Scope::Global);
        assert_eq!(scope("repo/policy.xml", &[]), Scope::Unknown);
        for d in [
            "groups",
            "named values",
            "backends",
            "version sets",
            "workspaces",
        ] {
            let dir = format!("repo/{d}");
            assert_eq!(scope("repo/policy.xml", &[&dir]), Scope::Global, "{d}");
        }
        assert_eq!(scope("repo/apis/echo/other.xml", &[]), Scope::Unknown);
    }
}
