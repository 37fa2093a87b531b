//! Rules judged on the effective policy: a control (authentication, rate limit, …) that must
//! be in force in a section, wherever it is configured.
//!
//! In an APIOps tree each API × product path × operation is computed once
//! ([`crate::apim::effective`]) and every absence rule looks at it; a finding is placed where the
//! fix belongs (the scope whose missing `<base />` cuts the control off, else the API's policy),
//! once per cause, naming the scopes judged. A file linted outside a tree is not judged by these
//! rules: its `<base />`, its API's subscription setting and its products are not in it, and
//! guessing would be noise (`lint` says so once).
//!
//! Not for: rules about what a file itself says (those are ordinary per-file rules).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use crate::apim::apiops::{self, ApiUnit, Level, PolicyFile, Shared};
use crate::apim::effective::{self, Effective, FileRef, Step};
use crate::apim::tree::Element;
pub use crate::apim::tree::{full_span, is_literal, text_span};

use super::{rules, Context, Rule};

/// A control that must be in force in one section of the effective policy.
pub struct Absence {
    pub section: &'static str,
    /// The control, as a message names it ("the authentication").
    pub control: &'static str,
    /// `None` when the steps hold the control; otherwise what is missing ("authentication").
    pub missing: fn(&[Step<'_>]) -> Option<String>,
    /// Whether a scope's own steps configure the control (to blame a scope whose missing
    /// `<base />` cuts it off).
    pub provided_by: fn(&[Step<'_>]) -> bool,
    /// Judged only on paths whose subscription requirement is this (`Some(false)`: only paths
    /// anyone may call, as for no-authentication); `None`: every path.
    pub subscription: Option<bool>,
    pub help: &'static str,
}

/// Whether `e` or an element below it satisfies `f`.
pub fn any_element(steps: &[Step<'_>], f: impl Fn(&Element, FileRef<'_>) -> bool) -> bool {
    // Runs for every path and operation: one stack, no list of descendants.
    let mut stack: Vec<&Element> = Vec::new();
    for s in steps {
        stack.clear();
        stack.push(s.element);
        while let Some(e) = stack.pop() {
            if f(e, s.file) {
                return true;
            }
            stack.extend(e.elements());
        }
    }
    false
}

/// One finding of an absence rule, before configuration.
#[derive(Clone)]
pub struct Hit<'a> {
    pub rule: &'static Rule,
    pub file: FileRef<'a>,
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
}

/// Judges `a` on one effective policy. `subscription`: whether the path needs a subscription
/// (`None`: unknown, a lone file). `trail` names what was judged.
pub fn judge<'a>(
    rule: &'static Rule,
    a: &Absence,
    eff: &Effective<'a>,
    subscription: Option<bool>,
    fragments: Option<&'a BTreeMap<String, PolicyFile>>,
    trail: &str,
) -> Option<Hit<'a>> {
    let sec = eff.section(a.section);
    if sec.inherited_unknown || sec.unresolved_fragment || sec.over_budget {
        return None;
    }
    if a.subscription.is_some() && subscription != a.subscription {
        return None;
    }
    let missing = (a.missing)(&sec.steps)?;
    if let Some(cut) = &sec.cut {
        let above: Vec<String> = eff
            .chain
            .iter()
            .filter(|f| {
                f.level < cut.file.level
                    && (a.provided_by)(&effective::own_steps(**f, a.section, fragments))
            })
            .map(FileRef::scope_name)
            .collect();
        if !above.is_empty() {
            return Some(Hit {
                rule,
                file: cut.file,
                span: cut.span.clone(),
                message: format!(
                    "{} {}, so {} configured at {} does not run: no {missing} in the effective <{}> ({trail})",
                    cut.file.scope_name(),
                    cut.describe(a.section),
                    a.control,
                    above.join(" and "),
                    a.section
                ),
                help: format!("add <base /> to <{}> in this file", a.section),
            });
        }
    }
    let target = eff
        .chain
        .iter()
        .rev()
        .find(|f| f.level == Level::Api)
        .or_else(|| eff.chain.last())?;
    let root = &target.doc.root;
    let span = root
        .elements()
        .find(|e| e.name == a.section)
        .map_or(root.span.clone(), |e| e.span.clone());
    Some(Hit {
        rule,
        file: *target,
        span,
        message: format!("no {missing} in the effective <{}> ({trail})", a.section),
        help: a.help.to_string(),
    })
}

/// A tree finding, owned, keyed by where it belongs.
#[derive(Clone)]
pub struct TreeHit {
    pub rule: &'static Rule,
    /// The file's path relative to the tree root.
    pub path: String,
    pub span: Range<usize>,
    pub message: String,
    pub help: String,
    /// How many API paths and operations showed this same cause.
    pub seen: usize,
}

/// Key of a cause: one finding per rule, file and place.
pub type HitKey = (&'static str, String, usize);

/// Judges every path and operation of one API; adds one hit per cause to `out`.
///
/// Memoised on the scopes' contents: paths through products without a policy of their own
/// (and the path without a product) run the same files, so, with the same subscription
/// setting, they give the same hits. Each such class is judged once; its other paths add
/// their count to the hits' `seen`. The work is (distinct product policies + 1) × operations,
/// not products × operations (a product carried only by `apis.json` costs a map lookup).
pub fn judge_api(shared: &Shared, api: &ApiUnit, out: &mut BTreeMap<HitKey, TreeHit>) {
    // (product policy, if any, by address; subscription) → the hits one path of the class
    // added, with how many of its operations showed each.
    let mut classes: HashMap<(Option<*const PolicyFile>, bool), BTreeMap<HitKey, usize>> =
        HashMap::new();
    for product in apiops::paths(shared, api) {
        let subscription = product.map_or(api.subscription_required, |p| p.subscription_required);
        let class = (
            product
                .and_then(|p| p.policy.as_ref())
                .map(|f| f as *const PolicyFile),
            subscription,
        );
        if let Some(seen) = classes.get(&class) {
            for (k, n) in seen {
                if let Some(t) = out.get_mut(k) {
                    t.seen += n;
                }
            }
            continue;
        }
        let mut seen_here: BTreeMap<HitKey, usize> = BTreeMap::new();
        for op in std::iter::once(None).chain(api.operations.iter().map(Some)) {
            #[cfg(test)]
            COMPUTED.with(|c| c.set(c.get() + 1));
            let eff = effective::compute(shared, api, product, op);
            let trail = format!("judged on {}", eff.trail());
            let mut hits: Vec<Hit<'_>> = Vec::new();
            for rule in super::all_rules() {
                hits.extend(rule.level.controls().iter().filter_map(|a| {
                    judge(
                        rule,
                        a,
                        &eff,
                        Some(subscription),
                        Some(&shared.fragments),
                        &trail,
                    )
                }));
            }
            for p in &eff.problems {
                let (rule, help) = problem_rule(p.kind);
                hits.push(Hit {
                    rule,
                    file: p.file,
                    span: p.span.clone(),
                    message: p.message.clone(),
                    help: help.to_string(),
                });
            }
            for h in hits {
                let key = (h.rule.id, h.file.path.to_string(), h.span.start);
                *seen_here.entry(key.clone()).or_default() += 1;
                out.entry(key)
                    .and_modify(|t| t.seen += 1)
                    .or_insert(TreeHit {
                        rule: h.rule,
                        path: h.file.path.to_string(),
                        span: h.span,
                        message: h.message,
                        help: h.help,
                        seen: 1,
                    });
            }
        }
        classes.insert(class, seen_here);
    }
}

#[cfg(test)]
thread_local! {
    /// How many effective policies [`judge_api`] computed on this thread (tests only).
    pub(crate) static COMPUTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The rule that reports a problem of the effective computation, and its help.
fn problem_rule(kind: effective::ProblemKind) -> (&'static Rule, &'static str) {
    match kind {
        effective::ProblemKind::UnknownFragment => (
            &rules::unknown_fragment::UNKNOWN_FRAGMENT,
            "add the fragment to `policy fragments/`, or correct the fragment-id",
        ),
        effective::ProblemKind::OverBudget => (
            &rules::effective_budget::EFFECTIVE_BUDGET,
            "include each fragment once where it is needed, or split the policy",
        ),
    }
}

/// Merges another API's hits (a cause at a shared file is reported once).
pub fn merge(into: &mut BTreeMap<HitKey, TreeHit>, from: BTreeMap<HitKey, TreeHit>) {
    for (k, v) in from {
        match into.get_mut(&k) {
            Some(t) => t.seen += v.seen,
            None => {
                into.insert(k, v);
            }
        }
    }
}

impl TreeHit {
    /// The message, with how many other paths showed the same cause.
    pub fn full_message(&self) -> String {
        let more = match self.seen {
            0 | 1 => return self.message.clone(),
            2 => "; and 1 more API path or operation".to_string(),
            n => format!("; and {} more API paths or operations", n - 1),
        };
        match self.message.strip_suffix(')') {
            Some(m) => format!("{m}{more})"),
            None => format!("{}{more}", self.message),
        }
    }
}

/// The element's attribute value, decoded.
pub fn attr(cx: &Context<'_>, e: &Element, name: &str) -> Option<String> {
    e.attr(name).map(|a| cx.doc.attr_value(cx.src, a))
}

/// The element's attribute value, decoded, case-insensitive name.
pub fn attr_ci(file: FileRef<'_>, e: &Element, name: &str) -> Option<String> {
    e.attributes
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| file.doc.attr_value(file.src, a))
}

/// The elements of a file below `section` (every element of a fragment, whose section is not
/// known, when `section` is `None`). `None` and a fragment: all elements.
pub fn elements_in<'d>(cx: &Context<'d>, section: Option<&str>) -> Vec<&'d Element> {
    let root = &cx.doc.root;
    match section {
        None => root.descendants(),
        Some(s) if root.name == "policies" => root
            .elements()
            .filter(|e| e.name == s)
            .flat_map(|e| e.descendants())
            .collect(),
        Some(_) => Vec::new(),
    }
}

/// The C# of every policy expression inside `e`, joined.
pub fn expressions_in(cx: &Context<'_>, e: &Element) -> String {
    let r = full_span(e);
    cx.doc
        .expressions
        .iter()
        .filter(|x| x.span.start >= r.start && x.span.end <= r.end)
        .map(|x| x.code(cx.src))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The decoded text of `e`'s first child element named `name`.
pub fn child_text(cx: &Context<'_>, e: &Element, name: &str) -> Option<(String, Range<usize>)> {
    e.elements()
        .find(|c| c.name == name)
        .map(|c| (cx.doc.text(cx.src, c), full_span(c)))
}

#[cfg(test)]
mod memo_tests {
    use super::*;
    use crate::apim::apiops::Product;

    const ALL_BASE: &str = "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

    /// An API with `ops` operation policies carried by `products` products, each with a policy
    /// of its own (the same text) when `own_policy`; returns the hits and how many effective
    /// policies were computed.
    fn judge(products: usize, ops: usize, own_policy: bool) -> (BTreeMap<HitKey, TreeHit>, usize) {
        let global = "<policies><inbound><set-header name=\"x\" exists-action=\"override\"><value>1</value></set-header></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>";
        let shared = Shared {
            global: Some(PolicyFile::new(
                "policy.xml",
                Level::Global,
                "",
                global.into(),
            )),
            products: (0..products)
                .map(|i| Product {
                    id: format!("p{i}"),
                    policy: own_policy.then(|| {
                        PolicyFile::new(
                            &format!("products/p{i}/policy.xml"),
                            Level::Product,
                            &format!("p{i}"),
                            ALL_BASE.into(),
                        )
                    }),
                    apis: vec!["a".to_string()],
                    subscription_required: true,
                })
                .collect(),
            ..Shared::default()
        };
        let api = ApiUnit {
            id: "a".to_string(),
            policy: Some(PolicyFile::new(
                "apis/a/policy.xml",
                Level::Api,
                "a",
                ALL_BASE.into(),
            )),
            subscription_required: true,
            operations: (0..ops)
                .map(|i| {
                    PolicyFile::new(
                        &format!("apis/a/operations/o{i}/policy.xml"),
                        Level::Operation,
                        &format!("o{i}"),
                        ALL_BASE.into(),
                    )
                })
                .collect(),
            notes: Vec::new(),
        };
        COMPUTED.with(|c| c.set(0));
        let mut out = BTreeMap::new();
        judge_api(&shared, &api, &mut out);
        (out, COMPUTED.with(|c| c.get()))
    }

    #[test]
    fn products_without_a_policy_are_judged_once_per_operation() {
        // 200 products × 50 operations: computed as often as one product (the 50 operations
        // and the API level), not 200 × 51 times.
        let (one, n_one) = judge(1, 50, false);
        let (many, n_many) = judge(200, 50, false);
        assert_eq!(n_one, 51);
        assert_eq!(n_many, 51);
        assert!(!many.is_empty());
        // The same causes, each seen on every path: 200 times as often as through one product.
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            many.keys().collect::<Vec<_>>()
        );
        for (k, t) in &many {
            assert_eq!(t.seen, one[k].seen * 200, "{k:?}");
            assert_eq!(t.message, one[k].message, "{k:?}");
        }
        // Products with policies of their own are each judged, and count the same.
        let (own, n_own) = judge(200, 50, true);
        assert_eq!(n_own, 200 * 51);
        for (k, t) in &many {
            assert_eq!(own[k].seen, t.seen, "{k:?}");
        }
    }
}
