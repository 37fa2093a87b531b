//! The policy linter: reads a policy, runs the rules, returns findings with byte spans.
//!
//! A rule is one file in `rules/`, declared with [`declare_rule!`]: its doc comment is the
//! user documentation that `akto-connect rule ID` prints. Findings carry byte ranges; line and
//! column are computed only when a report is printed.
//!
//! Not for: reading files, walking directories or printing (see `app::lint` and `report`).

use std::ops::Range;

use crate::apim::tree::{self, Document};

pub mod config;
pub mod csharp;
pub mod file;
pub mod fix;
pub mod regex_sites;
pub mod rules;
pub mod scope;
pub mod tree_rules;

pub use config::Config;
pub use scope::Scope;

/// How much a finding matters; ordered, so `Error > Warning > Info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A text edit that fixes a finding: replace `range` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
    /// What applying it does, in the past tense ("added <base /> to <inbound>").
    pub description: String,
}

/// What a rule says about one place in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
    /// Edits that fix it, applied by `--fix`.
    pub fix: Option<Edit>,
}

/// A diagnostic with its rule and effective severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
    pub fix: Option<Edit>,
    /// The span is a literal secret's text ([`crate::apim::secrets`]): reports print it masked.
    pub secret: bool,
}

/// What a rule sees.
pub struct Context<'a> {
    pub src: &'a str,
    pub doc: &'a Document,
    pub scope: Scope,
    /// The file is judged in an APIOps tree pass: rules about inherited controls leave it to
    /// the effective policy (see `tree_rules`).
    pub in_tree: bool,
    regex: std::cell::OnceCell<Vec<(regex_sites::Site, regex_sites::Verdict)>>,
    elements: std::cell::OnceCell<Vec<&'a tree::Element>>,
    code: std::cell::OnceCell<Vec<ScannedExpression>>,
    secrets: std::cell::OnceCell<Vec<crate::apim::secrets::Secret>>,
}

/// One policy expression's C# as the compiler reads it (entities decoded), where each of its
/// bytes is in the policy, and what a lexical scan of it finds.
pub struct ScannedExpression {
    pub code: String,
    /// Where the code starts in the policy.
    pub start: usize,
    /// `map[i]`: the policy offset of the code's byte `i` (one extra entry for the end), when
    /// decoding entities moved bytes; `None` when code byte `i` is at `start + i`.
    pub map: Option<Vec<usize>>,
    pub scan: csharp::Scan,
}

impl ScannedExpression {
    /// The policy range of a range of the code.
    pub fn source_span(&self, r: &Range<usize>) -> Range<usize> {
        let at = |i: usize| match &self.map {
            Some(map) => map.get(i).or(map.last()).copied().unwrap_or(0),
            None => self.start + i.min(self.code.len()),
        };
        at(r.start)..at(r.end).max(at(r.start))
    }
}

impl<'a> Context<'a> {
    /// Every element below the root, in document order, listed once per file.
    pub fn elements(&self) -> &[&'a tree::Element] {
        self.elements.get_or_init(|| self.doc.root.descendants())
    }

    /// The document's regular expressions with their verdicts, analysed once per file.
    pub fn regexes(&self) -> &[(regex_sites::Site, regex_sites::Verdict)] {
        self.regex
            .get_or_init(|| regex_sites::analyze(self.src, self.doc))
    }

    /// The document's literal secrets, found once per file.
    pub fn secrets(&self) -> &[crate::apim::secrets::Secret] {
        self.secrets
            .get_or_init(|| crate::apim::secrets::find_in(self.src, self.doc, self.elements()))
    }

    /// The document's expressions, decoded and scanned once per file.
    pub fn expressions(&self) -> &[ScannedExpression] {
        self.code.get_or_init(|| {
            self.doc
                .expressions
                .iter()
                .map(|e| {
                    let raw = &self.src[e.span.clone()];
                    let escaped = e.form == crate::apim::dialect::Form::Escaped;
                    let (code, map) = if escaped && raw.contains('&') {
                        let (code, map) = regex_sites::decode_with_map(self.src, e.span.clone());
                        (code, Some(map))
                    } else {
                        (raw.to_string(), None)
                    };
                    let scan = csharp::scan(&code);
                    ScannedExpression {
                        code,
                        start: e.span.start,
                        map,
                        scan,
                    }
                })
                .collect()
        })
    }
}

/// At which level a rule judges, declared in the rule's own file.
pub enum Level {
    /// The reader reports it itself (`parse-error`): no check runs.
    Reader,
    /// One file on its own: `check` sees the file's text and tree.
    File(fn(&Context<'_>) -> Vec<Diagnostic>),
    /// The effective policy of each API path and operation of an APIOps tree: every control
    /// listed must be in force ([`tree_rules::judge`]); a file linted alone is not judged. An
    /// empty list: the tree pass reports the rule itself (`unknown-fragment`).
    Effective(&'static [tree_rules::Absence]),
    /// Both: what one file says (`check`), and controls judged on the effective policy.
    FileAndEffective(
        fn(&Context<'_>) -> Vec<Diagnostic>,
        &'static [tree_rules::Absence],
    ),
}

impl Level {
    /// The check run on each file, if the rule judges files.
    pub fn file_check(&self) -> Option<fn(&Context<'_>) -> Vec<Diagnostic>> {
        match self {
            Level::File(f) | Level::FileAndEffective(f, _) => Some(*f),
            Level::Reader | Level::Effective(_) => None,
        }
    }

    /// The controls judged on the effective policy (none for a per-file rule).
    pub fn controls(&self) -> &'static [tree_rules::Absence] {
        match self {
            Level::Effective(c) | Level::FileAndEffective(_, c) => c,
            Level::Reader | Level::File(_) => &[],
        }
    }

    /// Whether the rule judges the effective policy of a tree.
    pub fn is_effective(&self) -> bool {
        matches!(self, Level::Effective(_) | Level::FileAndEffective(..))
    }
}

/// A rule's identity, documentation and check.
pub struct Rule {
    pub id: &'static str,
    pub default_severity: Severity,
    /// One line, for `akto-connect rules` and SARIF.
    pub summary: &'static str,
    /// The rule's doc comment: what it does, why it matters, example, fix.
    pub doc: &'static str,
    /// What the rule judges: the reader's result, one file, or the effective policy.
    pub level: Level,
    /// Off unless the configuration turns it on.
    pub default_enabled: bool,
    /// Where the rule stands in the documentation order (`akto-connect rules`, SARIF): rules
    /// are listed by rank, then id.
    pub rank: u16,
}

impl Rule {
    /// The doc comment as text, without rustdoc's leading space on each line.
    pub fn doc_text(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Declares a rule as a constant whose doc comment is also its runtime documentation.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub const $name:ident = {
            id: $id:literal,
            severity: $sev:expr,
            summary: $summary:literal,
            level: $level:expr,
            enabled: $enabled:expr,
            rank: $rank:expr $(,)?
        };
    ) => {
        $(#[doc = $doc])*
        pub const $name: $crate::lint::Rule = $crate::lint::Rule {
            id: $id,
            default_severity: $sev,
            summary: $summary,
            doc: concat!($($doc, "\n"),*),
            level: $level,
            default_enabled: $enabled,
            rank: $rank,
        };
    };
}
pub(crate) use declare_rule;

/// Every rule, in the order they are documented (by rank, then id).
pub fn all_rules() -> &'static [&'static Rule] {
    static SORTED: std::sync::OnceLock<Vec<&'static Rule>> = std::sync::OnceLock::new();
    SORTED.get_or_init(|| {
        let mut all = rules::ALL.to_vec();
        all.sort_by_key(|r| (r.rank, r.id));
        all
    })
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    all_rules().iter().copied().find(|r| r.id == id)
}

/// Lints a policy file's bytes. Text that is not UTF-8 is a `parse-error` at the first bad
/// byte. Returns the text (invalid bytes replaced, for the report) and the findings.
pub fn lint_bytes(
    bytes: &[u8],
    scope: Scope,
    config: &Config,
    path_for_config: &str,
) -> (String, Vec<Finding>) {
    lint_bytes_keeping(bytes, scope, config, path_for_config, Keep::Report)
}

/// [`lint_bytes`], keeping what `keep` says of a rule's findings past the cap.
pub fn lint_bytes_keeping(
    bytes: &[u8],
    scope: Scope,
    config: &Config,
    path_for_config: &str,
    keep: Keep,
) -> (String, Vec<Finding>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (
            text.to_string(),
            lint_text_keeping(text, scope, config, path_for_config, keep),
        ),
        Err(e) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let at = e.valid_up_to();
            let utf16 = bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]);
            let message = if utf16 {
                "the file is UTF-16; APIM policies are UTF-8".to_string()
            } else {
                format!("not UTF-8 text: invalid byte 0x{:02X}", bytes[at])
            };
            let diagnostic = Diagnostic {
                span: at..text[at..].chars().next().map_or(at, |c| at + c.len_utf8()),
                message,
                help: "save the file as UTF-8".to_string(),
                fix: None,
            };
            let mut findings = Vec::new();
            if let Some(severity) =
                config.severity(&rules::parse_error::PARSE_ERROR, path_for_config)
            {
                findings.push(Finding {
                    rule: rules::parse_error::PARSE_ERROR.id,
                    severity,
                    span: diagnostic.span,
                    message: diagnostic.message,
                    help: diagnostic.help,
                    fix: None,
                    secret: false,
                });
            }
            (text, findings)
        }
    }
}

/// Lints one policy text. `scope` comes from the file's place in an APIOps tree, the config or
/// `--scope`; a `<fragment>` root makes it a fragment whatever was given.
pub fn lint_text(src: &str, scope: Scope, config: &Config, path_for_config: &str) -> Vec<Finding> {
    lint_text_keeping(src, scope, config, path_for_config, Keep::Report)
}

/// [`lint_text`], keeping what `keep` says of a rule's findings past the cap.
pub fn lint_text_keeping(
    src: &str,
    scope: Scope,
    config: &Config,
    path_for_config: &str,
    keep: Keep,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut push = |rule: &'static Rule, d: Diagnostic| {
        if let Some(severity) = config.severity(rule, path_for_config) {
            findings.push(Finding {
                rule: rule.id,
                severity,
                span: d.span,
                message: d.message,
                help: d.help,
                fix: d.fix,
                secret: false,
            });
        }
    };
    let doc = match tree::read(src) {
        Ok(doc) => doc,
        Err(e) => {
            push(
                &rules::parse_error::PARSE_ERROR,
                rules::parse_error::diagnostic(src, &e),
            );
            return findings;
        }
    };
    lint_doc_keeping(src, &doc, scope, config, path_for_config, false, keep)
}

#[cfg(test)]
thread_local! {
    /// The file rules [`lint_doc`] ran on this thread, in order (tests only).
    pub(crate) static RULES_RUN: std::cell::RefCell<Vec<&'static str>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Lints a policy already read into `doc`. `in_tree`: the file belongs to an APIOps tree whose
/// effective policies are judged separately ([`tree_rules`]).
pub fn lint_doc(
    src: &str,
    doc: &Document,
    scope: Scope,
    config: &Config,
    path_for_config: &str,
    in_tree: bool,
) -> Vec<Finding> {
    lint_doc_keeping(
        src,
        doc,
        scope,
        config,
        path_for_config,
        in_tree,
        Keep::Report,
    )
}

/// At most this many findings of one rule are reported for one file; the rest are counted
/// into one more finding of the rule (at the first one not listed), so a file of half a
/// million `<base />` is reported in bounded memory. `--fix` still fixes every one.
pub const MAX_FINDINGS_PER_RULE: usize = 1_000;

/// Which of a rule's findings in one file are kept beyond [`MAX_FINDINGS_PER_RULE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// None: the first ones, then one finding that counts the rest (the report).
    Report,
    /// Every finding with a fix (`--fix` applies them all); the others as for `Report`.
    Fixes,
}

/// The finding that stands for `more` findings of `rule` not listed, at the first of them.
fn not_listed(rule: &'static Rule, severity: Severity, span: Range<usize>, more: usize) -> Finding {
    let (n, those) = if more == 1 {
        ("1 more finding".to_string(), "it")
    } else {
        (format!("{more} more findings"), "them")
    };
    Finding {
        rule: rule.id,
        severity,
        span,
        message: format!(
            "{n} of this rule in this file are not listed (at most {MAX_FINDINGS_PER_RULE} of one rule are reported per file); this is the first of {those}"
        ),
        help: format!(
            "fix the ones listed and lint again (`akto-connect lint --fix` fixes every fixable one), or `akto-connect rule {}` for what the rule wants",
            rule.id
        ),
        fix: None,
        secret: false,
    }
}

/// Whether a file's findings hold more than [`MAX_FINDINGS_PER_RULE`] of one rule (only a
/// list kept with [`Keep::Fixes`] can).
pub fn over_cap(findings: &[Finding]) -> bool {
    let mut count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    findings.iter().any(|f| {
        let n = count.entry(f.rule).or_default();
        *n += 1;
        *n > MAX_FINDINGS_PER_RULE + 1
    })
}

/// [`lint_doc`], keeping what `keep` says of a rule's findings past the cap.
pub fn lint_doc_keeping(
    src: &str,
    doc: &Document,
    scope: Scope,
    config: &Config,
    path_for_config: &str,
    in_tree: bool,
    keep: Keep,
) -> Vec<Finding> {
    let scope = if doc.root.name == "fragment" {
        Scope::Fragment
    } else {
        scope
    };
    let cx = Context {
        src,
        doc,
        scope,
        in_tree,
        regex: std::cell::OnceCell::new(),
        elements: std::cell::OnceCell::new(),
        code: std::cell::OnceCell::new(),
        secrets: std::cell::OnceCell::new(),
    };
    let mut findings = Vec::new();
    for rule in all_rules() {
        if let Some(check) = rule.level.file_check() {
            // A rule switched off for this file is not run at all (it does no work).
            let Some(severity) = config.severity(rule, path_for_config) else {
                continue;
            };
            #[cfg(test)]
            RULES_RUN.with(|r| r.borrow_mut().push(rule.id));
            let mut found = check(&cx);
            // The first ones in the file are the ones listed.
            found.sort_by_key(|d| d.span.start);
            let (mut listed, mut more) = (0, 0);
            let mut first_more = None;
            let is_secret = |span: &Range<usize>| cx.secrets().iter().any(|s| s.span == *span);
            for d in found {
                if listed < MAX_FINDINGS_PER_RULE || (keep == Keep::Fixes && d.fix.is_some()) {
                    listed += 1;
                    let secret = is_secret(&d.span);
                    findings.push(Finding {
                        rule: rule.id,
                        severity,
                        span: d.span,
                        message: d.message,
                        help: d.help,
                        fix: d.fix,
                        secret,
                    });
                } else {
                    more += 1;
                    first_more.get_or_insert(d.span);
                }
            }
            if let Some(span) = first_more {
                let mut f = not_listed(rule, severity, span, more);
                f.secret = is_secret(&f.span);
                findings.push(f);
            }
        }
    }
    findings.sort_by_key(|f| (f.span.start, f.rule));
    findings
}

#[cfg(test)]
mod rule_off_tests {
    use super::*;

    fn run(config: &Config) -> (Vec<Finding>, Vec<&'static str>) {
        let src = "<policies><inbound></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";
        let doc = tree::read(src).unwrap();
        RULES_RUN.with(|r| r.borrow_mut().clear());
        let f = lint_doc(src, &doc, Scope::Api, config, "policy.xml", false);
        (f, RULES_RUN.with(|r| r.borrow().clone()))
    }

    #[test]
    fn a_rule_switched_off_is_not_run() {
        let (on, ran) = run(&Config::parse("").unwrap());
        assert!(on.iter().any(|f| f.rule == "missing-base"));
        assert!(ran.contains(&"missing-base"));
        let off = Config::parse("[rules]\nmissing-base = \"off\"\n").unwrap();
        let (found, ran) = run(&off);
        assert!(!found.iter().any(|f| f.rule == "missing-base"));
        assert!(!ran.contains(&"missing-base"), "{ran:?}");
        assert!(!ran.is_empty());
    }
}
