//! Backtracking risk of a .NET pattern under `Regex.IsMatch` on an input that fails.
//!
//! .NET's engine backtracks. A pattern is catastrophic when one text can be matched in
//! exponentially (or polynomially, degree three and up) many ways and something after that
//! part can fail, so the engine tries them all:
//! - an inner loop inside an outer loop whose characters overlap what may follow it in the same
//!   or the next iteration (`(a+)+$`, `(\w+\s?)*$`, `^/api/([\w/]+)*$`), or bounded repeats of
//!   such a body (`(.*a){8}`);
//! - alternatives under a loop that can match the same text (`(a|aa)+$`, `(\d|\d\d)+x`);
//! - three or more adjacent loops that can take the same characters (`a.*b.*c` scanned from
//!   every start); two are quadratic (`^a*a*$`, unanchored `a+b`), reported as slow.
//!
//! What .NET makes safe is left alone: alternatives of single characters (merged into one
//! class: `(a|a)*`, `(\w|\d)+`), a loop with nothing failable after it (`(a+)+` alone), a
//! mandatory separator outside the inner loop's class (`^(\w+\.)*\w+$`), atomic groups and
//! lookarounds (`(?>a+)+`), which are never backtracked into.
//!
//! Cost: one walk; each loop looks into its own body once, so time is linear in the pattern
//! times the nesting depth of loops. Every step is paid from a work budget
//! ([`analyze_within`]); a pattern that exhausts it is reported as not fully analysed rather
//! than analysed for ever.

use std::cell::Cell;
use std::collections::HashMap;
use std::ops::Range;

use super::ast::{GroupKind, Node, NodeKind};
use super::charset::CharSet;

/// How bad a risk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Quadratic: slow on long inputs.
    Quadratic,
    /// Cubic or worse, or exponential: one request can pin a thread.
    Catastrophic,
}

/// One finding of the analysis; `span` is in UTF-16 offsets of the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub severity: Severity,
    pub span: Range<usize>,
    pub message: String,
    pub suggestion: String,
}

/// Facts about a node, computed bottom-up.
#[derive(Debug, Clone)]
struct Info {
    /// Can match the empty string.
    nullable: bool,
    /// Matches the empty string whatever the input (no assertion can fail on the way).
    trivial: bool,
    /// Characters a non-empty match can start with.
    first: CharSet,
    /// Characters a non-empty match can end with.
    last: CharSet,
    /// Characters the node can consume anywhere.
    chars: CharSet,
    /// Width is not fixed (a loop or alternatives of different lengths inside).
    variable: bool,
}

/// Work units left for one pattern's analysis.
struct Budget(Cell<u64>);

impl Budget {
    /// Pays `units`; false once the budget is spent (and from then on).
    fn spend(&self, units: usize) -> bool {
        let left = self.0.get();
        let units = units as u64;
        if left < units {
            self.0.set(0);
            return false;
        }
        self.0.set(left - units);
        true
    }

    fn exhausted(&self) -> bool {
        self.0.get() == 0
    }
}

/// Computes the facts of `n` and of every node below it, once each, into `memo`. Past the
/// budget, the most conservative facts.
fn compute(n: &Node, memo: &mut HashMap<usize, Info>, budget: &Budget) -> Info {
    if !budget.spend(1) {
        return Info::anything();
    }
    let i = match &n.kind {
        NodeKind::Empty => Info::zero_width(true),
        NodeKind::Char(_, set) | NodeKind::Set(set) => Info {
            nullable: false,
            trivial: false,
            first: set.clone(),
            last: set.clone(),
            chars: set.clone(),
            variable: false,
        },
        NodeKind::Assert(_) => Info::zero_width(false),
        NodeKind::Backref(_) => Info::anything(),
        NodeKind::Group(kind, child) => {
            if is_lookaround(*kind) {
                Info::zero_width(false)
            } else {
                let mut i = compute(child, memo, budget);
                if matches!(kind, GroupKind::Balancing(..)) {
                    i.trivial = false;
                }
                i
            }
        }
        NodeKind::Concat(parts) => {
            let mut out = Info::zero_width(true);
            for p in parts {
                let i = compute(p, memo, budget);
                if !budget.spend(1 + out.chars.ranges().len() + i.chars.ranges().len()) {
                    return Info::anything();
                }
                if out.nullable {
                    out.first = out.first.union(&i.first);
                }
                out.last = if i.nullable {
                    out.last.union(&i.last)
                } else {
                    i.last.clone()
                };
                out.nullable &= i.nullable;
                out.trivial &= i.trivial;
                out.chars = out.chars.union(&i.chars);
                out.variable |= i.variable;
            }
            out
        }
        NodeKind::Alt(alts) => {
            let infos: Vec<Info> = alts.iter().map(|a| compute(a, memo, budget)).collect();
            let size: usize = infos.iter().map(|i| 1 + i.chars.ranges().len()).sum();
            if !budget.spend(size) {
                return Info::anything();
            }
            let widths: Vec<Option<usize>> = alts.iter().map(fixed_width).collect();
            Info {
                nullable: infos.iter().any(|i| i.nullable),
                trivial: infos.iter().any(|i| i.trivial),
                first: infos
                    .iter()
                    .fold(CharSet::empty(), |a, i| a.union(&i.first)),
                last: infos.iter().fold(CharSet::empty(), |a, i| a.union(&i.last)),
                chars: infos
                    .iter()
                    .fold(CharSet::empty(), |a, i| a.union(&i.chars)),
                variable: infos.iter().any(|i| i.variable)
                    || widths.windows(2).any(|w| w[0] != w[1]),
            }
        }
        NodeKind::Conditional { yes, no, .. } => {
            let y = compute(yes, memo, budget);
            let n = match no.as_deref() {
                Some(no) => compute(no, memo, budget),
                None => compute(&Node::new(NodeKind::Empty, 0..0), memo, budget),
            };
            Info {
                nullable: y.nullable || n.nullable,
                trivial: false,
                first: y.first.union(&n.first),
                last: y.last.union(&n.last),
                chars: y.chars.union(&n.chars),
                variable: true,
            }
        }
        NodeKind::Repeat {
            min, max, child, ..
        } => {
            let c = compute(child, memo, budget);
            let empty = *max == Some(0);
            Info {
                nullable: *min == 0 || c.nullable,
                trivial: *min == 0 || c.trivial,
                first: if empty {
                    CharSet::empty()
                } else {
                    c.first.clone()
                },
                last: if empty {
                    CharSet::empty()
                } else {
                    c.last.clone()
                },
                chars: if empty {
                    CharSet::empty()
                } else {
                    c.chars.clone()
                },
                variable: c.variable || *max != Some(*min),
            }
        }
    };
    memo.insert(n as *const Node as usize, i.clone());
    i
}

impl Info {
    /// The most conservative facts: may match anything, or nothing, and may fail.
    fn anything() -> Info {
        Info {
            nullable: true,
            trivial: false,
            first: CharSet::all(),
            last: CharSet::all(),
            chars: CharSet::all(),
            variable: true,
        }
    }

    /// A node that matches the empty string only; `trivial` when nothing in it can fail.
    fn zero_width(trivial: bool) -> Info {
        Info {
            nullable: true,
            trivial,
            first: CharSet::empty(),
            last: CharSet::empty(),
            chars: CharSet::empty(),
            variable: false,
        }
    }
}

/// The facts of every node of a tree, computed once.
struct Facts {
    memo: HashMap<usize, Info>,
    /// For a node not in the tree (never asked for): the most conservative facts.
    unknown: Info,
}

impl Facts {
    fn new(root: &Node, budget: &Budget) -> Self {
        let mut memo = HashMap::new();
        compute(root, &mut memo, budget);
        Facts {
            memo,
            unknown: Info::anything(),
        }
    }

    fn of(&self, n: &Node) -> &Info {
        self.memo
            .get(&(n as *const Node as usize))
            .unwrap_or(&self.unknown)
    }
}

fn is_lookaround(k: GroupKind) -> bool {
    matches!(
        k,
        GroupKind::Lookahead
            | GroupKind::NegativeLookahead
            | GroupKind::Lookbehind
            | GroupKind::NegativeLookbehind
    )
}

/// The fixed width of a node in characters, if it has one.
fn fixed_width(n: &Node) -> Option<usize> {
    match &n.kind {
        NodeKind::Empty | NodeKind::Assert(_) => Some(0),
        NodeKind::Char(..) | NodeKind::Set(_) => Some(1),
        NodeKind::Group(k, c) => {
            if is_lookaround(*k) {
                Some(0)
            } else {
                fixed_width(c)
            }
        }
        NodeKind::Concat(parts) => parts.iter().map(fixed_width).sum(),
        NodeKind::Alt(alts) => {
            let w = fixed_width(alts.first()?)?;
            alts.iter().all(|a| fixed_width(a) == Some(w)).then_some(w)
        }
        NodeKind::Repeat {
            min, max, child, ..
        } if *max == Some(*min) => fixed_width(child).map(|w| w * *min as usize),
        _ => None,
    }
}

/// What may come after a node: its first characters, and whether the rest always succeeds.
#[derive(Debug, Clone)]
struct Follow {
    first: CharSet,
    trivial: bool,
}

impl Follow {
    fn end() -> Self {
        Follow {
            first: CharSet::empty(),
            trivial: true,
        }
    }

    /// The follow of whatever comes just before `i` (which is followed by `self`).
    fn before(&self, i: &Info) -> Follow {
        Follow {
            first: if i.nullable {
                i.first.union(&self.first)
            } else {
                i.first.clone()
            },
            trivial: i.trivial && self.trivial,
        }
    }
}

/// Work units [`analyze`] spends on one pattern at most: far more than any real pattern needs
/// (a few thousand), and well under a second on a built one.
pub const DEFAULT_BUDGET: u64 = 2_000_000;

/// What the analysis found, and whether it looked at everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    pub risks: Vec<Risk>,
    /// False when the pattern was too large to analyse within the budget: `risks` then holds
    /// only what was found before it ran out.
    pub complete: bool,
}

/// Analyses a parsed pattern; `text` is its UTF-16 source, for quoting parts in messages.
/// Within [`DEFAULT_BUDGET`]; a pattern too large for it gets the risks found so far.
pub fn analyze(root: &Node, text: &[u16]) -> Vec<Risk> {
    analyze_within(root, text, DEFAULT_BUDGET).risks
}

/// Analyses a parsed pattern spending at most `budget` work units.
pub fn analyze_within(root: &Node, text: &[u16], budget: u64) -> Analysis {
    let budget = Budget(Cell::new(budget.max(1)));
    let facts = Facts::new(root, &budget);
    if budget.exhausted() {
        return Analysis {
            risks: Vec::new(),
            complete: false,
        };
    }
    let mut w = Walker {
        text,
        facts,
        risks: Vec::new(),
        budget,
    };
    w.walk_all(root);
    if !w.budget.exhausted() {
        w.chains(root, !starts_anchored(root));
    }
    let complete = !w.budget.exhausted();
    w.risks
        .sort_by_key(|r| (std::cmp::Reverse(r.severity), r.span.start));
    // One finding per place is enough: keep the worst for overlapping spans.
    let mut kept: Vec<Risk> = Vec::new();
    for r in w.risks {
        if !kept
            .iter()
            .any(|k| k.span.start < r.span.end && r.span.start < k.span.end)
        {
            kept.push(r);
        }
    }
    Analysis {
        risks: kept,
        complete,
    }
}

fn starts_anchored(n: &Node) -> bool {
    use super::ast::Assert;
    match &n.kind {
        NodeKind::Assert(Assert::Start | Assert::PreviousMatchEnd) => true,
        NodeKind::Concat(parts) => parts.first().is_some_and(starts_anchored),
        NodeKind::Group(k, c) if !is_lookaround(*k) => starts_anchored(c),
        NodeKind::Alt(alts) => alts.iter().all(starts_anchored),
        _ => false,
    }
}

struct Walker<'a> {
    text: &'a [u16],
    facts: Facts,
    risks: Vec<Risk>,
    budget: Budget,
}

impl Walker<'_> {
    fn quote(&self, span: &Range<usize>) -> String {
        let end = span.end.min(self.text.len());
        let s = String::from_utf16_lossy(&self.text[span.start.min(end)..end]);
        if s.chars().count() > 40 {
            format!("{}…", s.chars().take(40).collect::<String>())
        } else {
            s
        }
    }

    fn walk_all(&mut self, root: &Node) {
        self.walk(root, &Follow::end(), true);
    }

    /// Walks `n`, followed by `follow`; `backtrackable` is false inside atomic groups and
    /// lookarounds, whose loops are never re-entered once they have matched.
    fn walk(&mut self, n: &Node, follow: &Follow, backtrackable: bool) {
        if !self.budget.spend(1 + follow.first.ranges().len()) {
            return;
        }
        match &n.kind {
            NodeKind::Concat(parts) => {
                let mut after = follow.clone();
                let mut follows = Vec::with_capacity(parts.len());
                for p in parts.iter().rev() {
                    follows.push(after.clone());
                    after = after.before(self.facts.of(p));
                }
                follows.reverse();
                for (p, f) in parts.iter().zip(&follows) {
                    self.walk(p, f, backtrackable);
                }
            }
            NodeKind::Alt(alts) => {
                for a in alts {
                    self.walk(a, follow, backtrackable);
                }
            }
            NodeKind::Group(kind, child) => {
                if is_lookaround(*kind) || *kind == GroupKind::Atomic {
                    self.walk(child, &Follow::end(), false);
                } else {
                    self.walk(child, follow, backtrackable);
                }
            }
            NodeKind::Conditional {
                condition, yes, no, ..
            } => {
                if let Some(c) = condition {
                    self.walk(c, &Follow::end(), false);
                }
                self.walk(yes, follow, backtrackable);
                if let Some(no) = no {
                    self.walk(no, follow, backtrackable);
                }
            }
            NodeKind::Repeat { max, child, .. } => {
                let body = self.facts.of(child);
                let repeats = max.is_none_or(|m| m >= 2);
                let inner_follow = Follow {
                    first: if repeats {
                        body.first.union(&follow.first)
                    } else {
                        follow.first.clone()
                    },
                    trivial: follow.trivial,
                };
                if backtrackable {
                    self.check_loop(n, child, *max, follow);
                }
                self.walk(child, &inner_follow, backtrackable);
            }
            _ => {}
        }
    }

    /// An outer loop: does its body split text between iterations ambiguously?
    fn check_loop(&mut self, n: &Node, body: &Node, max: Option<u32>, follow: &Follow) {
        // A bounded loop of two is at most quadratic; of one, not a loop.
        let times = max.map_or(u32::MAX, |m| m);
        if times < 3 {
            return;
        }
        // Something after the loop must be able to fail; a loop that can only fail from inside
        // (too few iterations) tries a bounded number of splits (measured: `(.*a){8}` alone is
        // quadratic, `^(.*a){8}$` catastrophic).
        if follow.trivial {
            return;
        }
        let b = self.facts.of(body);
        let degree_word = match max {
            None => "exponential time".to_string(),
            Some(m) => format!("time growing like n^{m}"),
        };
        // In a bounded loop only unbounded inner loops multiply the work by the input length
        // (measured: `^(a?){20}a{20}$` is fast, `^(\w+){3}$` is not).
        if let Some(inner) = self.ambiguous_inner_loop(body, &b.first, max.is_some()) {
            let (outer_q, inner_q) = (self.quote(&n.span), self.quote(&inner));
            self.risks.push(Risk {
                severity: Severity::Catastrophic,
                span: n.span.clone(),
                message: format!(
                    "nested quantifiers: in `{outer_q}`, the inner loop `{inner_q}` can take the same characters as what follows it, so a failing input is tried in {degree_word}"
                ),
                suggestion: format!(
                    "make the inner loop atomic, `(?>{inner_q})`, or require a separator after it that its class excludes (like `(\\w+\\.)*`)"
                ),
            });
            return;
        }
        if let Some((a, c)) = self.ambiguous_alternatives(body) {
            let outer_q = self.quote(&n.span);
            self.risks.push(Risk {
                severity: Severity::Catastrophic,
                span: n.span.clone(),
                message: format!(
                    "overlapping alternatives under a loop: in `{outer_q}`, `{a}` and `{c}` can match the same text, so a failing input is tried in {degree_word}"
                ),
                suggestion: "make the alternatives exclusive (no alternative a prefix or repeat of another), or wrap the loop body in an atomic group `(?>…)`".to_string(),
            });
        }
    }

    /// A variable loop inside `body` (outside atomic groups) whose characters overlap what may
    /// follow it before the next iteration starts, or the next iteration itself.
    fn ambiguous_inner_loop(
        &self,
        body: &Node,
        next_iteration: &CharSet,
        unbounded_only: bool,
    ) -> Option<Range<usize>> {
        let end = Follow {
            first: next_iteration.clone(),
            trivial: false,
        };
        let mut stack: Vec<(&Node, Follow)> = vec![(body, end)];
        while let Some((n, follow)) = stack.pop() {
            if !self.budget.spend(1 + follow.first.ranges().len()) {
                return None;
            }
            match &n.kind {
                NodeKind::Concat(parts) => {
                    let mut after = follow.clone();
                    for p in parts.iter().rev() {
                        stack.push((p, after.clone()));
                        after = after.before(self.facts.of(p));
                    }
                }
                NodeKind::Alt(alts) => {
                    // Each alternative gets a copy of the follow: pay for them up front.
                    if !self
                        .budget
                        .spend(alts.len() * (1 + follow.first.ranges().len()))
                    {
                        return None;
                    }
                    stack.extend(alts.iter().map(|a| (a, follow.clone())));
                }
                NodeKind::Group(k, c) if !is_lookaround(*k) && *k != GroupKind::Atomic => {
                    stack.push((c, follow));
                }
                NodeKind::Repeat {
                    min, max, child, ..
                } if *max != Some(*min) => {
                    let c = self.facts.of(child);
                    let counts = !unbounded_only || max.is_none();
                    if counts && !c.chars.is_empty() && c.chars.intersects(&follow.first) {
                        return Some(n.span.clone());
                    }
                    let inner = Follow {
                        first: c.first.union(&follow.first),
                        trivial: false,
                    };
                    stack.push((child, inner));
                }
                NodeKind::Repeat { child, .. } => stack.push((child, follow)),
                _ => {}
            }
        }
        None
    }

    /// Two alternatives of a loop body that can match the same text, or one that is a
    /// sequence of others. Alternatives of single characters are merged by .NET: no risk.
    fn ambiguous_alternatives(&self, body: &Node) -> Option<(String, String)> {
        let mut n = body;
        while let NodeKind::Group(k, c) = &n.kind {
            if is_lookaround(*k) || *k == GroupKind::Atomic {
                return None;
            }
            n = c;
        }
        let NodeKind::Alt(alts) = &n.kind else {
            return None;
        };
        if alts.iter().all(|a| fixed_width(a) == Some(1)) {
            return None;
        }
        // Every pair is compared, and every alternative against every piece.
        if !self
            .budget
            .spend(alts.len().saturating_mul(alts.len()).saturating_mul(16))
        {
            return None;
        }
        let seqs: Vec<Option<Vec<CharSet>>> = alts.iter().map(|a| sequence(a, 16)).collect();
        for i in 0..alts.len() {
            for j in (i + 1)..alts.len() {
                let same = match (&seqs[i], &seqs[j]) {
                    (Some(x), Some(y)) => {
                        x.len() == y.len() && x.iter().zip(y).all(|(a, b)| a.intersects(b))
                    }
                    _ => false,
                };
                if same {
                    return Some((self.quote(&alts[i].span), self.quote(&alts[j].span)));
                }
            }
        }
        // One alternative spelled by two or more pieces of others (`aa` = `a` `a`).
        let pieces: Vec<&Vec<CharSet>> = seqs.iter().flatten().filter(|s| !s.is_empty()).collect();
        for (i, s) in seqs.iter().enumerate() {
            let Some(s) = s else { continue };
            if s.len() < 2 {
                continue;
            }
            // reach[k]: the first k characters can be covered, with how many pieces at most.
            let mut reach: Vec<Option<usize>> = vec![None; s.len() + 1];
            reach[0] = Some(0);
            for k in 0..s.len() {
                let Some(count) = reach[k] else { continue };
                for p in &pieces {
                    if k + p.len() <= s.len() && p.iter().zip(&s[k..]).all(|(a, b)| a.intersects(b))
                    {
                        let slot = &mut reach[k + p.len()];
                        *slot = Some(slot.map_or(count + 1, |c: usize| c.max(count + 1)));
                    }
                }
            }
            if reach[s.len()].is_some_and(|c| c >= 2) {
                let other = alts
                    .iter()
                    .zip(&seqs)
                    .find(|(_, q)| {
                        q.as_ref()
                            .is_some_and(|q| q.len() < s.len() && !q.is_empty())
                    })
                    .map_or_else(String::new, |(a, _)| self.quote(&a.span));
                return Some((self.quote(&alts[i].span), other));
            }
        }
        None
    }

    /// Adjacent loops that can take the same characters, in every concatenation.
    fn chains(&mut self, root: &Node, unanchored: bool) {
        let mut stack: Vec<(&Node, Follow, bool)> = vec![(root, Follow::end(), true)];
        while let Some((n, follow, top)) = stack.pop() {
            if !self.budget.spend(1 + follow.first.ranges().len()) {
                return;
            }
            match &n.kind {
                NodeKind::Concat(parts) => {
                    self.chain_in(parts, &follow, top && unanchored);
                    let mut after = follow.clone();
                    for p in parts.iter().rev() {
                        stack.push((p, after.clone(), false));
                        after = after.before(self.facts.of(p));
                    }
                }
                NodeKind::Alt(alts) => {
                    if !self
                        .budget
                        .spend(alts.len() * (1 + follow.first.ranges().len()))
                    {
                        return;
                    }
                    stack.extend(alts.iter().map(|a| (a, follow.clone(), top)));
                }
                NodeKind::Group(k, c) if !is_lookaround(*k) && *k != GroupKind::Atomic => {
                    stack.push((c, follow, top));
                }
                NodeKind::Repeat { child, .. } => stack.push((child, Follow::end(), false)),
                _ => {}
            }
        }
    }

    fn chain_in(&mut self, parts: &[Node], follow: &Follow, unanchored_start: bool) {
        let size: usize = parts
            .iter()
            .map(|p| 1 + self.facts.of(p).chars.ranges().len())
            .sum();
        if !self.budget.spend(size) {
            return;
        }
        // The follow after each part, to know whether anything can fail after a chain.
        let mut after = follow.clone();
        let mut follows = vec![follow.clone(); parts.len()];
        for (i, p) in parts.iter().enumerate().rev() {
            follows[i] = after.clone();
            after = after.before(self.facts.of(p));
        }
        let infos: Vec<&Info> = parts.iter().map(|p| self.facts.of(p)).collect();
        let mut best: Option<(usize, Range<usize>, bool)> = None;
        let mut chain: Option<Chain> = None;
        for (i, p) in parts.iter().enumerate() {
            let pi = &infos[i];
            if as_loop(p).is_some() && !pi.chars.is_empty() {
                chain = Some(match chain.take() {
                    Some(c) if c.links_to(pi) => Chain {
                        loops: c.loops + 1,
                        last: (*pi).clone(),
                        middle: Vec::new(),
                        end: i,
                        ..c
                    },
                    _ => Chain {
                        loops: 1,
                        last: (*pi).clone(),
                        middle: Vec::new(),
                        start: i,
                        end: i,
                        // Every start position is tried: the loop re-runs over what it took
                        // unless something before it cannot be taken by it.
                        from_start: unanchored_start
                            && infos[..i]
                                .iter()
                                .all(|q| !q.nullable && q.first.intersects(&pi.chars)),
                    },
                });
            } else if let Some(mut c) = chain.take() {
                // Fixed parts between loops are kept; anything else ends the chain.
                if !pi.variable && !pi.first.is_empty() {
                    c.middle.push(pi.first.clone());
                    chain = Some(c);
                }
            }
            if let Some(c) = &chain {
                // Something must fail after the chain, or inside its last loop: a repeat that
                // needs two or more iterations of a scanning body fails after scanning.
                let fails_inside = matches!(&parts[c.end].kind,
                    NodeKind::Repeat { min, child, .. } if *min >= 2 && has_unbounded_loop(child));
                if follows[c.end].trivial && !fails_inside {
                    continue;
                }
                let degree = c.loops + usize::from(c.from_start);
                if best.as_ref().is_none_or(|(d, _, _)| degree > *d) {
                    let span = parts[c.start].span.start..parts[c.end].span.end;
                    best = Some((degree, span, c.from_start));
                }
            }
        }
        let Some((degree, span, from_start)) = best else {
            return;
        };
        if degree < 2 {
            return;
        }
        let q = self.quote(&span);
        let (severity, power) = if degree >= 3 {
            (Severity::Catastrophic, format!("O(n^{degree})"))
        } else {
            (Severity::Quadratic, "O(n^2)".to_string())
        };
        let what = match (from_start, degree) {
            (true, 2) => format!("`{q}` is run again from every start position of the search"),
            (true, _) => format!(
                "adjacent loops in `{q}` can take the same characters, and the search tries every start position"
            ),
            (false, _) => format!("adjacent loops in `{q}` can take the same characters"),
        };
        self.risks.push(Risk {
            severity,
            span,
            message: format!("{what}: a failing input takes {power} time"),
            suggestion: "make each loop stop where the next part starts (for example `[^/]*` instead of `.*`), or anchor the pattern with `^`".to_string(),
        });
    }
}

/// A run of adjacent loops in one concatenation that can trade characters.
struct Chain {
    loops: usize,
    /// The last loop so far.
    last: Info,
    /// First characters of the fixed parts since the last loop.
    middle: Vec<CharSet>,
    start: usize,
    end: usize,
    from_start: bool,
}

impl Chain {
    /// Whether the next loop can take over characters from the last one: they share
    /// characters, the last loop can end with one of them, the next can start with one, and
    /// both can take every fixed part between them.
    fn links_to(&self, next: &Info) -> bool {
        let common = self.last.chars.intersect(&next.chars);
        !common.is_empty()
            && self.last.last.intersects(&common)
            && next.first.intersects(&common)
            && self.middle.iter().all(|m| m.intersects(&common))
    }
}

/// The loop a part is, looking through plain groups: a repeat of variable count, or a fixed
/// repeat of something holding an unbounded loop (`(.*a){8}` scans like a loop).
fn as_loop(n: &Node) -> Option<&Node> {
    match &n.kind {
        NodeKind::Repeat { min, max, .. } if *max != Some(*min) => Some(n),
        NodeKind::Repeat { child, .. } if has_unbounded_loop(child) => Some(n),
        NodeKind::Group(k, c) if !is_lookaround(*k) && *k != GroupKind::Atomic => as_loop(c),
        _ => None,
    }
}

fn has_unbounded_loop(n: &Node) -> bool {
    match &n.kind {
        NodeKind::Repeat { max: None, .. } => true,
        NodeKind::Repeat { child, .. } => has_unbounded_loop(child),
        NodeKind::Group(k, c) => !is_lookaround(*k) && has_unbounded_loop(c),
        NodeKind::Concat(v) | NodeKind::Alt(v) => v.iter().any(has_unbounded_loop),
        _ => false,
    }
}

/// The node as a fixed sequence of character sets (at most `limit` long), if it is one.
fn sequence(n: &Node, limit: usize) -> Option<Vec<CharSet>> {
    match &n.kind {
        NodeKind::Empty | NodeKind::Assert(_) => Some(Vec::new()),
        NodeKind::Char(_, s) | NodeKind::Set(s) => Some(vec![s.clone()]),
        NodeKind::Group(k, c) if !is_lookaround(*k) => sequence(c, limit),
        NodeKind::Concat(parts) => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(sequence(p, limit)?);
                if out.len() > limit {
                    return None;
                }
            }
            Some(out)
        }
        NodeKind::Repeat {
            min, max, child, ..
        } if *max == Some(*min) && (*min as usize) <= limit => {
            let one = sequence(child, limit)?;
            let mut out = Vec::new();
            for _ in 0..*min {
                out.extend(one.iter().cloned());
                if out.len() > limit {
                    return None;
                }
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn risks(p: &str) -> Vec<Risk> {
        let parsed = crate::dotnet_regex::parse(p).unwrap();
        let text: Vec<u16> = p.encode_utf16().collect();
        analyze(&parsed.root, &text)
    }

    fn catastrophic(p: &str) -> bool {
        risks(p)
            .iter()
            .any(|r| r.severity == Severity::Catastrophic)
    }

    #[test]
    fn flags_catastrophic_patterns() {
        for p in [
            "^(a+)+$",
            r"(\w+\s?)*$",
            r"^/api/([\w/]+)*$",
            "(a|aa)+$",
            "^(a|aa)+$",
            r"(\d|\d\d)+x",
            "^(.*a){8}$",
            "(a*)*b",
            "(a*a)+$",
            "a.*b.*c",
        ] {
            assert!(catastrophic(p), "{p}: {:?}", risks(p));
        }
    }

    #[test]
    fn leaves_safe_patterns_alone() {
        for p in [
            r"^(\w+\.)*\w+$",
            "(a|a)*x",
            r"(\w|\d)+",
            "(a+)+",
            "^(?>a+)+$",
            "^/api/v1/.*",
            r"^/api/v[0-9]+/users/\d+$",
            r"/orders/(?<id>\d+)",
            r"^/(?:users|orders)/\w+/?$",
            r"^(?!/internal/).*",
            r"\.json$",
        ] {
            assert!(!catastrophic(p), "{p}: {:?}", risks(p));
        }
    }

    #[test]
    fn a_spent_budget_is_reported_not_hidden() {
        let p = "^(a|aa)+$";
        let parsed = crate::dotnet_regex::parse(p).unwrap();
        let text: Vec<u16> = p.encode_utf16().collect();
        let full = analyze_within(&parsed.root, &text, DEFAULT_BUDGET);
        assert!(full.complete && !full.risks.is_empty());
        let cut = analyze_within(&parsed.root, &text, 3);
        assert!(!cut.complete);
    }

    #[test]
    fn quadratic_is_slow_not_catastrophic() {
        for p in ["^a*a*$", "a+b", "(.*a){8}", r"\d+x"] {
            let r = risks(p);
            assert!(
                r.iter().any(|r| r.severity == Severity::Quadratic),
                "{p}: {r:?}"
            );
            assert!(!catastrophic(p), "{p}: {r:?}");
        }
    }
}
