//! The one model of a live check: what `verify`, `kong verify` and every later command that asks
//! a running system report. A domain module judges what it was told (answers, probes) into
//! [`Check`]s and a [`Report`]; `app/` does the I/O, prints [`Report::to_text`] or
//! [`Report::to_json`], and exits with [`Report::exit_code`].
//!
//! Not for: lint findings (those have spans and rules, see `report/`), nor for errors in what
//! the user typed (those are `error::InputError`, exit 2, before anything is checked).
//!
//! The exit-code rule, one for every live check:
//! - 0: every check is `ok`, `warn` or `skip` (a `warn` counts as failing with `strict`);
//! - 1: a check is `fail` (or, with `strict`, a `warn`);
//! - 2 is never decided here: it is bad input or an I/O error, returned as `Err` before a
//!   report exists.

use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::printable;

/// The version of the JSON report; bumped when a key changes meaning or goes away.
pub const JSON_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Right in some set-ups, wrong in others: holds, unless the report is strict.
    Warn,
    Fail,
    /// Not checked, because an earlier check failed or it does not apply.
    Skip,
}

impl Status {
    /// The status column of the text report (four characters).
    fn mark(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        }
    }
}

/// One check: a stable id for pipelines, a status, one line saying what was found, what to do
/// about it, and optional evidence (an answer's body, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable identifier (`admin-api`, `tcp-connect`): pipelines branch on it.
    pub id: String,
    /// The name in the text report; the id when not set.
    pub label: Option<String>,
    pub status: Status,
    pub message: String,
    pub fix: Option<String>,
    /// Evidence, one or more lines (shown under the message).
    pub detail: Option<String>,
    /// How long the check took, when it was timed.
    pub elapsed: Option<Duration>,
}

impl Check {
    fn new(id: &str, status: Status, message: String, fix: Option<String>) -> Check {
        Check {
            id: id.to_string(),
            label: None,
            status,
            message,
            fix,
            detail: None,
            elapsed: None,
        }
    }

    pub fn ok(id: &str, message: impl Into<String>) -> Check {
        Check::new(id, Status::Ok, message.into(), None)
    }

    pub fn warn(id: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(id, Status::Warn, message.into(), Some(fix.into()))
    }

    pub fn fail(id: &str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check::new(id, Status::Fail, message.into(), Some(fix.into()))
    }

    pub fn skip(id: &str, why: impl Into<String>) -> Check {
        Check::new(id, Status::Skip, why.into(), None)
    }

    /// The name the text report shows instead of the id (`TCP connect` for `tcp-connect`).
    pub fn labelled(mut self, label: &str) -> Check {
        self.label = Some(label.to_string());
        self
    }

    pub fn timed(mut self, elapsed: Option<Duration>) -> Check {
        self.elapsed = elapsed;
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Check {
        let detail = detail.into();
        self.detail = (!detail.is_empty()).then_some(detail);
        self
    }

    fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id)
    }
}

/// A checklist and what it means as a whole.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The first line of the text report: what was asked, where.
    pub title: String,
    /// Things worth knowing that are not checks (where a URL was read from, an unused flag).
    pub notes: Vec<String>,
    pub checks: Vec<Check>,
    /// Lines after the checks in the text report: a label and a value.
    pub facts: Vec<(String, String)>,
    /// The outcome in one sentence; without one, it is said from the counts of the statuses.
    pub summary: Option<String>,
    /// `--strict`: a warning fails.
    pub strict: bool,
    /// Top-level keys of the JSON report particular to the command (`admin_url`, `url`): they
    /// come after `version` and before the keys every report has.
    pub context: Map<String, Value>,
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

impl Report {
    /// Every check holds (`warn` too, unless strict).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| match c.status {
            Status::Ok | Status::Skip => true,
            Status::Warn => !self.strict,
            Status::Fail => false,
        })
    }

    /// 0 when [`Report::passed`], else 1 (see the module's documentation).
    pub fn exit_code(&self) -> ExitCode {
        if self.passed() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    }

    fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }

    /// The fix of the first check that does not hold.
    pub fn first_fix(&self) -> Option<&str> {
        self.checks
            .iter()
            .find(|c| c.status == Status::Fail || (c.status == Status::Warn && self.strict))
            .and_then(|c| c.fix.as_deref())
    }

    /// [`Report::summary`], or a sentence from the counts.
    pub fn summary(&self) -> String {
        if let Some(s) = &self.summary {
            return s.clone();
        }
        let warnings = self.count(Status::Warn);
        let plural = if warnings == 1 { "" } else { "s" };
        match (self.passed(), warnings) {
            (true, 0) => "all checks hold".to_string(),
            (true, n) => {
                format!("all checks hold, with {n} warning{plural} (--strict makes a warning fail)")
            }
            (false, n) if n > 0 && self.count(Status::Fail) == 0 => {
                format!("{n} warning{plural}, which --strict counts as failing")
            }
            (false, _) => {
                let n = self.count(Status::Fail);
                if n == 1 {
                    "a check failed".to_string()
                } else {
                    format!("{n} checks failed")
                }
            }
        }
    }

    /// The text report: title, notes, one line per check (with its fix and detail under it),
    /// facts, and `result: PASS|FAIL: summary`. Every value is made printable.
    pub fn to_text(&self) -> String {
        let width = self
            .checks
            .iter()
            .map(|c| c.label().chars().count())
            .chain(self.facts.iter().map(|(l, _)| l.chars().count()))
            .max()
            .unwrap_or(0)
            .max(11);
        let indent = " ".repeat(2 + width + 1 + 4 + 2);
        let mut out = format!("{}\n", printable(&self.title));
        for n in &self.notes {
            out.push_str(&format!("  note: {}\n", printable(n)));
        }
        for c in &self.checks {
            let message = printable(&c.message);
            let line = match c.elapsed {
                Some(d) => format!(
                    "  {:<width$} {:<4}  {message:<50} {}",
                    c.label(),
                    c.status.mark(),
                    ms(d)
                ),
                None => format!("  {:<width$} {:<4}  {message}", c.label(), c.status.mark()),
            };
            out.push_str(line.trim_end());
            out.push('\n');
            if let Some(detail) = &c.detail {
                for l in detail.lines() {
                    out.push_str(&format!("{indent}{}\n", printable(l)));
                }
            }
            if let Some(fix) = &c.fix {
                out.push_str(&format!("{indent}fix: {}\n", printable(fix)));
            }
        }
        for (label, value) in &self.facts {
            out.push_str(&format!("  {label:<width$} {}\n", printable(value)));
        }
        out.push_str(&format!(
            "result: {}: {}\n",
            if self.passed() { "PASS" } else { "FAIL" },
            printable(&self.summary())
        ));
        out
    }

    /// The JSON report: `version`, the command's context keys, then `ok`, `strict`,
    /// `summary`, `fix` (of the first check that does not hold, or null), `notes` and
    /// `checks: [{id, status, message, fix, detail, ms}]`.
    pub fn to_json(&self) -> Value {
        let mut top = Map::new();
        top.insert("version".into(), json!(JSON_VERSION));
        for (k, v) in &self.context {
            top.insert(k.clone(), v.clone());
        }
        top.insert("ok".into(), json!(self.passed()));
        top.insert("strict".into(), json!(self.strict));
        top.insert("summary".into(), json!(self.summary()));
        top.insert("fix".into(), json!(self.first_fix()));
        top.insert("notes".into(), json!(self.notes));
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "status": c.status,
                    "message": c.message,
                    "fix": c.fix,
                    "detail": c.detail,
                    "ms": c.elapsed.map(|d| d.as_millis() as u64),
                })
            })
            .collect();
        top.insert("checks".into(), Value::Array(checks));
        Value::Object(top)
    }

    /// [`Report::to_json`] pretty-printed, with a final line break.
    pub fn to_json_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json())
            .unwrap_or_else(|e| format!("{{\"version\":{JSON_VERSION},\"error\":\"{e}\"}}"));
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(statuses: &[Status], strict: bool) -> Report {
        Report {
            title: "t".into(),
            checks: statuses
                .iter()
                .enumerate()
                .map(|(i, s)| Check {
                    status: *s,
                    ..Check::ok(&format!("c{i}"), "m")
                })
                .collect(),
            strict,
            ..Report::default()
        }
    }

    #[test]
    fn the_exit_rule_counts_fail_and_strict_warn_only() {
        use Status::*;
        assert!(report(&[Ok, Skip, Warn], false).passed());
        assert!(!report(&[Ok, Skip, Warn], true).passed());
        assert!(!report(&[Ok, Fail], false).passed());
        assert!(report(&[], true).passed());
        assert_eq!(report(&[Ok], false).summary(), "all checks hold");
        assert_eq!(
            report(&[Warn, Warn], true).summary(),
            "2 warnings, which --strict counts as failing"
        );
        assert_eq!(report(&[Fail, Warn], true).summary(), "a check failed");
    }

    #[test]
    fn text_aligns_columns_and_escapes_what_it_shows() {
        let r = Report {
            title: "probe \u{1b}[31m".into(),
            notes: vec!["n".into()],
            checks: vec![
                Check::ok("dns", "10.0.0.1")
                    .labelled("DNS")
                    .timed(Some(Duration::from_millis(3))),
                Check::fail("http", "500", "read the log").with_detail("answer: x\ny"),
            ],
            facts: vec![("record".into(), "path /p".into())],
            ..Report::default()
        };
        let text = r.to_text();
        let want = "probe \\u{1b}[31m
  note: n
  DNS         ok    10.0.0.1                                           3 ms
  http        FAIL  500
                    answer: x
                    y
                    fix: read the log
  record      path /p
result: FAIL: a check failed
";
        assert_eq!(text, want);
    }

    #[test]
    fn json_has_the_version_first_and_the_same_keys_on_every_check() {
        let mut r = report(&[Status::Ok, Status::Fail], false);
        r.checks[1].fix = Some("do x".into());
        r.context.insert("url".into(), json!("http://h"));
        let v = r.to_json();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["version", "url", "ok", "strict", "summary", "fix", "notes", "checks"]
        );
        assert_eq!(v["version"], 1);
        assert_eq!(v["ok"], false);
        assert_eq!(v["fix"], "do x");
        assert_eq!(v["checks"][1]["status"], "fail");
        for c in v["checks"].as_array().unwrap() {
            let k: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(k, ["id", "status", "message", "fix", "detail", "ms"]);
        }
    }
}
