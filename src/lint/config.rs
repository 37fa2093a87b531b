//! `akto-connect.toml`: per-rule severity, ignored paths, scope overrides and suppressions.
//! APIM drops XML comments when a policy is saved, so suppressions live here, not in policies.
//!
//! ```toml
//! ignore = ["apis/legacy-*/**"]          # files not linted at all
//! fail-on = "warning"                    # default for --fail-on
//!
//! [rules]                                # error | warning | info | off
//! insecure-ingest-url = "error"
//!
//! [scopes]                               # glob = scope, first match wins
//! "apis/internal/policy.xml" = "global"
//!
//! [[suppress]]                           # a rule off for some files, with the reason
//! rule = "missing-base"
//! paths = ["apis/echo/policy.xml"]
//! reason = "the echo API deliberately drops inherited policies"
//! ```
//!
//! Globs match paths relative to the folder holding the config file, with `/` separators.

use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use super::{rule, Rule, Scope, Severity};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    ignore: Vec<String>,
    fail_on: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    scopes: BTreeMap<String, String>,
    #[serde(default)]
    suppress: Vec<RawSuppress>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppress {
    rule: String,
    paths: Vec<String>,
    /// Required, so every suppression says why; the linter itself does not use it.
    #[allow(dead_code)]
    reason: String,
}

/// A severity setting: a level or off.
pub type Level = Option<Severity>;

/// Parses `error|warning|info|off`.
pub fn parse_level(s: &str) -> Result<Level, String> {
    match s {
        "error" => Ok(Some(Severity::Error)),
        "warning" => Ok(Some(Severity::Warning)),
        "info" => Ok(Some(Severity::Info)),
        "off" => Ok(None),
        other => Err(format!(
            "`{other}` is not a level; use error, warning, info or off"
        )),
    }
}

/// The effective configuration.
#[derive(Debug, Default)]
pub struct Config {
    ignore: Option<GlobSet>,
    pub fail_on: Option<Severity>,
    levels: BTreeMap<&'static str, Level>,
    scopes: Vec<(GlobSet, Scope)>,
    suppress: Vec<(&'static str, GlobSet)>,
}

impl Config {
    /// Parses config text; errors name the key and the fix.
    pub fn parse(text: &str) -> Result<Config, String> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut cfg = Config {
            ignore: (!raw.ignore.is_empty())
                .then(|| globs("ignore", &raw.ignore))
                .transpose()?,
            ..Config::default()
        };
        if let Some(f) = &raw.fail_on {
            cfg.fail_on = Some(
                parse_level(f)
                    .map_err(|e| format!("fail-on: {e}"))?
                    .ok_or("fail-on: `off` is not a threshold; use error, warning or info")?,
            );
        }
        for (id, level) in &raw.rules {
            let r = known_rule(id, "rules")?;
            cfg.levels.insert(
                r.id,
                parse_level(level).map_err(|e| format!("rules.{id}: {e}"))?,
            );
        }
        for (glob, scope) in &raw.scopes {
            let s = Scope::parse(scope).ok_or_else(|| {
                format!("scopes.\"{glob}\": `{scope}` is not a scope; use global, workspace, product, api, operation or fragment")
            })?;
            cfg.scopes
                .push((globs("scopes", std::slice::from_ref(glob))?, s));
        }
        for s in &raw.suppress {
            let r = known_rule(&s.rule, "suppress")?;
            cfg.suppress
                .push((r.id, globs("suppress.paths", &s.paths)?));
        }
        Ok(cfg)
    }

    /// Whether `path` (relative to the config's folder, `/`-separated) is not linted.
    /// Whether any path is ignored (then a tree's layout cannot be read off the linted files).
    pub fn ignores_anything(&self) -> bool {
        self.ignore.is_some()
    }

    pub fn is_ignored(&self, path: &str) -> bool {
        self.ignore.as_ref().is_some_and(|g| g.is_match(path))
    }

    /// The scope set for `path`, if any.
    pub fn scope_for(&self, path: &str) -> Option<Scope> {
        self.scopes
            .iter()
            .find(|(g, _)| g.is_match(path))
            .map(|(_, s)| *s)
    }

    /// The severity of `rule` for `path`, `None` when the rule is off or suppressed there.
    pub fn severity(&self, rule: &Rule, path: &str) -> Option<Severity> {
        if self
            .suppress
            .iter()
            .any(|(id, g)| *id == rule.id && g.is_match(path))
        {
            return None;
        }
        match self.levels.get(rule.id) {
            Some(level) => *level,
            None => rule.default_enabled.then_some(rule.default_severity),
        }
    }
}

fn known_rule(id: &str, key: &str) -> Result<&'static Rule, String> {
    rule(id).ok_or_else(|| {
        let known: Vec<_> = super::all_rules().iter().map(|r| r.id).collect();
        format!("{key}: {}", crate::text::unknown_name("rule", id, &known))
    })
}

fn globs(key: &str, patterns: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| format!("{key}: bad glob `{p}`: {e}"))?);
    }
    b.build().map_err(|e| format!("{key}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::{
        insecure_ingest_url::INSECURE_INGEST_URL, missing_base::MISSING_BASE,
    };

    #[test]
    fn levels_suppressions_scopes_ignores() {
        let cfg = Config::parse(
            r#"
            ignore = ["legacy/**"]
            fail-on = "warning"
            [rules]
            insecure-ingest-url = "off"
            [scopes]
            "apis/root/policy.xml" = "global"
            [[suppress]]
            rule = "missing-base"
            paths = ["apis/echo/*.xml"]
            reason = "deliberate"
            "#,
        )
        .unwrap();
        assert!(cfg.is_ignored("legacy/a/policy.xml"));
        assert!(!cfg.is_ignored("apis/a/policy.xml"));
        assert_eq!(cfg.fail_on, Some(Severity::Warning));
        assert_eq!(cfg.severity(&INSECURE_INGEST_URL, "x.xml"), None);
        assert_eq!(cfg.severity(&MISSING_BASE, "apis/echo/policy.xml"), None);
        assert_eq!(
            cfg.severity(&MISSING_BASE, "apis/other/policy.xml"),
            Some(Severity::Error)
        );
        assert_eq!(cfg.scope_for("apis/root/policy.xml"), Some(Scope::Global));
    }

    #[test]
    fn errors_name_the_key() {
        assert!(Config::parse("[rules]\nmissing-bse = \"off\"")
            .unwrap_err()
            .contains("unknown rule `missing-bse`"));
        assert!(Config::parse("[rules]\nmissing-base = \"loud\"")
            .unwrap_err()
            .contains("rules.missing-base"));
        assert!(Config::parse("colour = 1").unwrap_err().contains("colour"));
        assert!(Config::parse("[scopes]\n\"x\" = \"planet\"")
            .unwrap_err()
            .contains("not a scope"));
    }
}
