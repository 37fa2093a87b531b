//! Changing policies on a live API Management instance, as data: the scopes (global, product,
//! API, operation, fragment) and their Resource Manager paths, reading a policy answer (text,
//! format, ETag), what a change does (create, update, delete, nothing), the unified diff shown
//! before it, the PUT body, the names of backup files (the APIOps layout, so a backup is also a
//! tree `lint` and `apim coverage` read) and what APIM's refusals say.
//!
//! Decisions with ETags: a scope is read once (text and ETag), changed in memory, and written
//! with `If-Match: <that ETag>`; a scope that had no policy is created with
//! `If-None-Match: *`, so a policy someone else created meanwhile is not overwritten. A 412 means
//! the scope changed since it was read: it is reported and left as it is, never retried blindly.
//!
//! Not for: I/O (`app::apim_live` sends the requests and writes the backups).

use std::fmt::Write as _;

use super::azure::ApimInstance;
use super::specs::encode;

/// The ARM API version of the policy, fragment, product and operation calls.
pub const API_VERSION: &str = "2022-08-01";

/// One place a policy lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeRef {
    Global,
    Product(String),
    Api(String),
    Operation(String, String),
    Fragment(String),
}

impl ScopeRef {
    /// The path below the instance's ARM id.
    pub fn arm_path(&self) -> String {
        match self {
            ScopeRef::Global => "/policies/policy".to_string(),
            ScopeRef::Product(p) => format!("/products/{}/policies/policy", encode(p)),
            ScopeRef::Api(a) => format!("/apis/{}/policies/policy", encode(a)),
            ScopeRef::Operation(a, o) => format!(
                "/apis/{}/operations/{}/policies/policy",
                encode(a),
                encode(o)
            ),
            ScopeRef::Fragment(f) => format!("/policyFragments/{}", encode(f)),
        }
    }

    /// The URL of the policy resource; `format=rawxml` asks for the text as the portal shows it.
    pub fn url(&self, management: &str, instance: &ApimInstance) -> String {
        format!(
            "{}{}{}?api-version={API_VERSION}&format=rawxml",
            management.trim_end_matches('/'),
            instance.scope(),
            self.arm_path()
        )
    }

    /// How the scope is named in messages.
    pub fn label(&self) -> String {
        match self {
            ScopeRef::Global => "global".to_string(),
            ScopeRef::Product(p) => format!("product {p}"),
            ScopeRef::Api(a) => format!("API {a}"),
            ScopeRef::Operation(a, o) => format!("operation {a}/{o}"),
            ScopeRef::Fragment(f) => format!("fragment {f}"),
        }
    }

    /// The policy file of this scope in an APIOps tree (pull writes it, backups use it).
    pub fn apiops_path(&self) -> String {
        match self {
            ScopeRef::Global => "policy.xml".to_string(),
            ScopeRef::Product(p) => format!("products/{p}/policy.xml"),
            ScopeRef::Api(a) => format!("apis/{a}/policy.xml"),
            ScopeRef::Operation(a, o) => format!("apis/{a}/operations/{o}/policy.xml"),
            ScopeRef::Fragment(f) => format!("policy fragments/{f}/policy.xml"),
        }
    }

    /// Whether a section the capture needs, when missing, gets `<base />` (not at global).
    pub fn has_parent(&self) -> bool {
        !matches!(self, ScopeRef::Global)
    }
}

/// Whether an id is one APIM could have given and is safe as a folder name: no `/`, `\`, no
/// `.`/`..`, no control characters, at most 256 characters (`;rev=N` allowed).
pub fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 300
        && id != "."
        && id != ".."
        && !id
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\'))
}

/// A policy as Resource Manager answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub text: String,
    pub etag: Option<String>,
    /// The fragment's description (fragments only), kept on a write.
    pub description: Option<String>,
}

/// Reads a policy or fragment GET answer: `properties.value` (and `description`); the ETag
/// from the header, else from the body's `etag`.
pub fn parse_policy(body: &[u8], etag_header: Option<&str>) -> Result<Current, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the policy answer is not JSON".to_string())?;
    let text = v
        .pointer("/properties/value")
        .and_then(|x| x.as_str())
        .ok_or_else(|| "the policy answer has no properties.value".to_string())?
        .to_string();
    let etag = etag_header
        .map(str::to_string)
        .or_else(|| v.get("etag").and_then(|e| e.as_str()).map(str::to_string));
    let description = v
        .pointer("/properties/description")
        .and_then(|x| x.as_str())
        .map(str::to_string);
    Ok(Current {
        text,
        etag,
        description,
    })
}

/// The body of a policy or fragment PUT, in rawxml (the form the text was read in).
pub fn put_body(scope: &ScopeRef, text: &str, description: Option<&str>) -> serde_json::Value {
    let mut props = serde_json::json!({ "format": "rawxml", "value": text });
    if let (ScopeRef::Fragment(_), Some(d)) = (scope, description) {
        props["description"] = serde_json::Value::String(d.to_string());
    }
    serde_json::json!({ "properties": props })
}

/// What a run does to one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The text is already what it should be: no request.
    Unchanged,
    /// No policy there yet: PUT with `If-None-Match: *`.
    Create,
    /// PUT with `If-Match` on the ETag read.
    Update,
    /// DELETE with `If-Match` (removing a capture left only what APIM does by default).
    Delete,
}

/// The change to one scope: before (None: there was none), after (None: delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub scope: ScopeRef,
    pub before: Option<Current>,
    pub after: Option<String>,
}

impl Change {
    pub fn action(&self) -> Action {
        match (&self.before, &self.after) {
            (None, None) => Action::Unchanged,
            (None, Some(_)) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(b), Some(a)) if b.text == *a => Action::Unchanged,
            (Some(_), Some(_)) => Action::Update,
        }
    }

    /// The precondition header of the write: `If-Match: <etag>` (or `*` when the answer had
    /// none), `If-None-Match: *` for a create.
    pub fn precondition(&self) -> (&'static str, String) {
        match &self.before {
            None => ("if-none-match", "*".to_string()),
            Some(c) => (
                "if-match",
                c.etag.clone().unwrap_or_else(|| "*".to_string()),
            ),
        }
    }

    /// The unified diff of the change, labelled with the scope's APIOps path.
    pub fn diff(&self) -> String {
        let path = self.scope.apiops_path();
        let before = self.before.as_ref().map_or("", |c| c.text.as_str());
        let after = self.after.as_deref().unwrap_or("");
        let a = if self.before.is_some() {
            format!("a/{path}")
        } else {
            "/dev/null".to_string()
        };
        let b = if self.after.is_some() {
            format!("b/{path}")
        } else {
            "/dev/null".to_string()
        };
        unified_diff(before, after, &a, &b, 3)
    }
}

/// A unified diff (`diff -u` style, `context` lines around each change) of two texts, by
/// lines; empty when they are equal. A missing final newline is marked as `diff` marks it.
pub fn unified_diff(old: &str, new: &str, a: &str, b: &str, context: usize) -> String {
    if old == new {
        return String::new();
    }
    let ol: Vec<&str> = old.split_inclusive('\n').collect();
    let nl: Vec<&str> = new.split_inclusive('\n').collect();
    // Common head and tail first: a policy change is local, so the table below stays small.
    let head = ol.iter().zip(&nl).take_while(|(x, y)| x == y).count();
    let tail = ol[head..]
        .iter()
        .rev()
        .zip(nl[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (om, nm) = (&ol[head..ol.len() - tail], &nl[head..nl.len() - tail]);
    // Longest common subsequence of the middle, bounded: past 4 million cells, every middle
    // line counts as changed (a correct diff, only less minimal).
    let mut ops: Vec<(char, &str)> = Vec::new();
    if om.len().saturating_mul(nm.len()) <= 4_000_000 {
        let w = nm.len() + 1;
        let mut t = vec![0u32; (om.len() + 1) * w];
        for i in (0..om.len()).rev() {
            for j in (0..nm.len()).rev() {
                t[i * w + j] = if om[i] == nm[j] {
                    t[(i + 1) * w + j + 1] + 1
                } else {
                    t[(i + 1) * w + j].max(t[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < om.len() || j < nm.len() {
            if i < om.len() && j < nm.len() && om[i] == nm[j] {
                ops.push((' ', om[i]));
                i += 1;
                j += 1;
            } else if j < nm.len() && (i == om.len() || t[i * w + j + 1] >= t[(i + 1) * w + j]) {
                ops.push(('+', nm[j]));
                j += 1;
            } else {
                ops.push(('-', om[i]));
                i += 1;
            }
        }
    } else {
        ops.extend(om.iter().map(|l| ('-', *l)));
        ops.extend(nm.iter().map(|l| ('+', *l)));
    }
    let mut all: Vec<(char, &str)> = ol[..head].iter().map(|l| (' ', *l)).collect();
    all.extend(ops);
    all.extend(ol[ol.len() - tail..].iter().map(|l| (' ', *l)));

    let mut out = format!("--- {a}\n+++ {b}\n");
    let changed: Vec<usize> = (0..all.len()).filter(|&k| all[k].0 != ' ').collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(context);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * context + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + context + 1).min(all.len());
        let (mut o0, mut n0) = (1, 1);
        for (c, _) in &all[..start] {
            if *c != '+' {
                o0 += 1;
            }
            if *c != '-' {
                n0 += 1;
            }
        }
        let oc = all[start..end].iter().filter(|(c, _)| *c != '+').count();
        let nc = all[start..end].iter().filter(|(c, _)| *c != '-').count();
        let range = |s: usize, c: usize| {
            if c == 0 {
                format!("{},0", s - 1)
            } else if c == 1 {
                s.to_string()
            } else {
                format!("{s},{c}")
            }
        };
        let _ = writeln!(out, "@@ -{} +{} @@", range(o0, oc), range(n0, nc));
        for (c, line) in &all[start..end] {
            out.push(*c);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// What APIM said when it refused a policy on save (400 `ValidationError`): each detail's
/// message, and the first line and column it names (APIM's own numbering of the text sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: String,
    pub messages: Vec<String>,
    pub line: Option<(usize, usize)>,
}

pub fn parse_refusal(body: &[u8]) -> Option<Refusal> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let e = v.get("error")?;
    let code = e
        .get("code")
        .and_then(|c| c.as_str())
        .unwrap_or("")
        .to_string();
    let mut messages: Vec<String> = e
        .get("details")
        .and_then(|d| d.as_array())
        .map(|d| {
            d.iter()
                .filter_map(|x| x.get("message").and_then(|m| m.as_str()))
                .map(|m| crate::error::printable(m).chars().take(500).collect())
                .collect()
        })
        .unwrap_or_default();
    if messages.is_empty() {
        if let Some(m) = e.get("message").and_then(|m| m.as_str()) {
            messages.push(crate::error::printable(m).chars().take(500).collect());
        }
    }
    let line = messages.iter().find_map(|m| line_col(m));
    Some(Refusal {
        code,
        messages,
        line,
    })
}

/// `line 12, column 8` in APIM's wording.
fn line_col(msg: &str) -> Option<(usize, usize)> {
    let lower = msg.to_ascii_lowercase();
    let at = lower.find("line ")?;
    let rest = &lower[at + 5..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let line = digits.parse().ok()?;
    let col = rest
        .find("column ")
        .map(|c| {
            rest[c + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse().ok())
        .unwrap_or(1);
    Some((line, col))
}

/// The folder a run's backups go to by default: `akto-apim-backup/<service>-<UTC time>`.
pub fn backup_folder_name(service: &str, unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "akto-apim-backup/{service}-{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The backup manifest: which scopes were saved, and which had no policy (a restore deletes
/// those).
pub fn manifest(instance: &ApimInstance, saved: &[(ScopeRef, bool)]) -> String {
    let entries: Vec<serde_json::Value> = saved
        .iter()
        .map(|(s, existed)| {
            serde_json::json!({
                "scope": s.label(),
                "file": s.apiops_path(),
                "existed": existed,
            })
        })
        .collect();
    let v = serde_json::json!({
        "version": 1,
        "instance": instance.scope(),
        "scopes": entries,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_is_unified_and_local() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nX\ne\nf\ng\nh\n";
        assert_eq!(
            unified_diff(old, new, "a/p", "b/p", 3),
            "--- a/p\n+++ b/p\n@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n"
        );
        assert_eq!(unified_diff(old, old, "a", "b", 3), "");
        let d = unified_diff("", "x", "/dev/null", "b/p", 3);
        assert_eq!(
            d,
            "--- /dev/null\n+++ b/p\n@@ -0,0 +1 @@\n+x\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn actions_and_preconditions() {
        let cur = |t: &str| Current {
            text: t.into(),
            etag: Some("\"e1\"".into()),
            description: None,
        };
        let c = Change {
            scope: ScopeRef::Api("orders".into()),
            before: Some(cur("x")),
            after: Some("x".into()),
        };
        assert_eq!(c.action(), Action::Unchanged);
        let c = Change {
            after: Some("y".into()),
            ..c
        };
        assert_eq!(c.action(), Action::Update);
        assert_eq!(c.precondition(), ("if-match", "\"e1\"".to_string()));
        let c = Change { before: None, ..c };
        assert_eq!(c.action(), Action::Create);
        assert_eq!(c.precondition(), ("if-none-match", "*".to_string()));
    }

    #[test]
    fn refusals_name_the_line() {
        let body = br#"{"error":{"code":"ValidationError","message":"One or more fields contain incorrect values:","details":[{"code":"ValidationError","target":"representation","message":"Error in element 'rate-limit' on line 4, column 10: Policy is not allowed in this scope"}]}}"#;
        let r = parse_refusal(body).unwrap();
        assert_eq!(r.line, Some((4, 10)));
        assert_eq!(r.code, "ValidationError");
    }

    #[test]
    fn names_and_paths() {
        let s = ScopeRef::Operation("orders".into(), "get order".into());
        assert_eq!(
            s.arm_path(),
            "/apis/orders/operations/get%20order/policies/policy"
        );
        assert_eq!(
            s.apiops_path(),
            "apis/orders/operations/get order/policy.xml"
        );
        assert_eq!(
            backup_folder_name("contoso", 1_700_000_000),
            "akto-apim-backup/contoso-20231114T221320Z"
        );
        assert!(!safe_id("..") && !safe_id("a/b") && safe_id("api-1;rev=2"));
    }
}
