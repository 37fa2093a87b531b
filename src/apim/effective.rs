//! The effective policy: what APIM runs for one API, reached through one product (or none),
//! for one operation, section by section.
//!
//! Scopes nest global → product → API → operation. In each section a scope's `<base />` runs
//! the broader scopes' section where it stands; a section without `<base />` (or a missing
//! section) drops them; a scope with no policy file runs its parent's section unchanged (APIM's
//! default policy is `<base />` everywhere). `<include-fragment>` is replaced by the fragment's
//! elements. Every element keeps the file it came from, and the include that brought it in.
//!
//! The same computation judges a lone file (lint without a tree): its `<base />` then stands for
//! policies nobody can see, and the section says so (`inherited_unknown`).
//!
//! ## Bounded work
//!
//! Every computation counts the steps it appends. One effective policy (the four sections of
//! one path) holds at most [`STEP_BUDGET`] steps; past it the computation stops, marks the
//! section `over_budget` (rules do not judge it) and records an [`ProblemKind::OverBudget`]
//! problem, which lint reports as `effective-budget`: a tree whose `<include-fragment>`s
//! multiply (one large fragment included thousands of times) is reported, never aborted.
//! A second `<base />` in one section is collapsed: only the first runs the broader scopes
//! here (what the section holds is the same, so the absence rules judge the same; the
//! per-file rule `duplicate-base` reports the repeat). So `<base />` at every level never
//! multiplies: one path's work is the sum of its files' sizes, capped by the budget.
//!
//! Not for: reading files (see [`super::apiops`]) or judging what runs (lint).

use std::collections::BTreeMap;
use std::ops::Range;

use super::apiops::{ApiUnit, Level, PolicyFile, Product, Shared};
use super::tree::{Document, Element};
use super::SECTIONS;

/// The most steps one effective policy (all sections of one path, fragments inlined) may
/// hold; also the cap of [`own_steps`]. Real policies hold tens to hundreds.
pub const STEP_BUDGET: usize = 50_000;

/// A readable policy: where it is and its tree.
#[derive(Debug, Clone, Copy)]
pub struct FileRef<'a> {
    pub path: &'a str,
    pub level: Level,
    pub id: &'a str,
    pub src: &'a str,
    pub doc: &'a Document,
}

impl<'a> FileRef<'a> {
    pub fn of(f: &'a PolicyFile) -> Option<FileRef<'a>> {
        f.doc.as_ref().ok().map(|doc| FileRef {
            path: &f.path,
            level: f.level,
            id: &f.id,
            src: &f.src,
            doc,
        })
    }

    /// The path, or "this file" for a lone file.
    pub fn path_or_file(&self) -> &str {
        if self.path.is_empty() {
            "this file"
        } else {
            self.path
        }
    }

    /// "global", "product starter", "API echo", "operation get-order", "fragment cors".
    pub fn scope_name(&self) -> String {
        match self.level {
            Level::Global => "global".to_string(),
            Level::Product => format!("product {}", self.id),
            Level::Api => format!("API {}", self.id),
            Level::Operation => format!("operation {}", self.id),
            Level::Fragment => format!("fragment {}", self.id),
        }
    }
}

/// One element APIM runs, with its origin.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub element: &'a Element,
    /// The file whose text holds the element (the fragment's file for a fragment's elements).
    pub file: FileRef<'a>,
    /// The `<include-fragment>` (and its file) that brought the element in.
    pub included_at: Option<(FileRef<'a>, &'a Element)>,
}

/// Why the broader scopes' section does not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutKind {
    /// The section has no `<base />`.
    NoBase,
    /// The document has no such section.
    NoSection,
}

#[derive(Debug, Clone)]
pub struct Cut<'a> {
    pub file: FileRef<'a>,
    pub kind: CutKind,
    /// The section's start tag, or the root's when the section is missing.
    pub span: Range<usize>,
}

impl Cut<'_> {
    /// "`<outbound>` has no `<base />`" or "has no `<outbound>` section".
    pub fn describe(&self, section: &str) -> String {
        match self.kind {
            CutKind::NoBase => format!("`<{section}>` has no `<base />`"),
            CutKind::NoSection => format!("has no `<{section}>` section"),
        }
    }
}

/// One section of the effective policy.
#[derive(Debug, Clone)]
pub struct Section<'a> {
    pub name: &'static str,
    pub steps: Vec<Step<'a>>,
    /// Where the chain of `<base />` stopped below the top scope, if it did.
    pub cut: Option<Cut<'a>>,
    /// The files whose section ran, broadest first.
    pub reached: Vec<FileRef<'a>>,
    /// A lone file's `<base />` runs policies that cannot be seen.
    pub inherited_unknown: bool,
    /// An `<include-fragment>` could not be resolved (lone file, or unknown id): its content
    /// is unknown.
    pub unresolved_fragment: bool,
    /// The path's steps passed [`STEP_BUDGET`]: the section is cut short and not judged.
    pub over_budget: bool,
}

/// What kind of problem the computation met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// An `<include-fragment>` names a fragment that is not in the tree.
    UnknownFragment,
    /// The effective policy passed [`STEP_BUDGET`] steps.
    OverBudget,
}

/// A problem found while computing: an unknown fragment id, an unreadable file on the chain.
#[derive(Debug, Clone)]
pub struct Problem<'a> {
    pub kind: ProblemKind,
    pub file: FileRef<'a>,
    pub span: Range<usize>,
    pub message: String,
}

/// The effective policy of one API × product path × operation.
#[derive(Debug, Clone)]
pub struct Effective<'a> {
    pub api: &'a str,
    pub product: Option<&'a str>,
    pub operation: Option<&'a str>,
    /// The readable files of the chain, broadest first.
    pub chain: Vec<FileRef<'a>>,
    /// Files of the chain that could not be read (treated as absent, reported by lint).
    pub unreadable: Vec<&'a str>,
    /// The same files' levels and why each could not be read ("line 3: …"), so that the trail
    /// says a scope's policy could not be read rather than that it has none.
    pub unreadable_why: Vec<(Level, &'a str, String)>,
    pub sections: Vec<Section<'a>>,
    pub problems: Vec<Problem<'a>>,
}

impl<'a> Effective<'a> {
    pub fn section(&self, name: &str) -> &Section<'a> {
        self.sections
            .iter()
            .find(|s| s.name == name)
            .expect("a known section name")
    }

    /// "global → product starter → API echo → operation get", the scopes judged.
    pub fn trail(&self) -> String {
        // A scope without a readable policy: none at all, or one that could not be read.
        let absent = |level: Level, name: String| match self
            .unreadable_why
            .iter()
            .find(|(l, _, _)| *l == level)
        {
            Some((_, path, why)) => format!("{name} (its policy {path} could not be read: {why})"),
            None => format!("{name} (no policy)"),
        };
        let mut parts = Vec::new();
        if !self.chain.iter().any(|f| f.level == Level::Global) {
            parts.push(absent(Level::Global, "global".to_string()));
        }
        for f in &self.chain {
            parts.push(f.scope_name());
        }
        if self.product.is_none() {
            parts.insert(parts.len().min(1), "no product".to_string());
        } else if !self.chain.iter().any(|f| f.level == Level::Product) {
            parts.insert(
                parts.len().min(1),
                absent(
                    Level::Product,
                    format!("product {}", self.product.unwrap_or("")),
                ),
            );
        }
        if !self.api.is_empty() && !self.chain.iter().any(|f| f.level == Level::Api) {
            let at = self
                .chain
                .iter()
                .position(|f| f.level == Level::Operation)
                .map_or(parts.len(), |i| parts.len() - (self.chain.len() - i));
            parts.insert(at, absent(Level::Api, format!("API {}", self.api)));
        }
        parts.join(" → ")
    }
}

/// The effective policy of `api` through `product` (None: no product) for `operation` (None:
/// an operation with no policy of its own).
pub fn compute<'a>(
    shared: &'a Shared,
    api: &'a ApiUnit,
    product: Option<&'a Product>,
    operation: Option<&'a PolicyFile>,
) -> Effective<'a> {
    let files: Vec<&'a PolicyFile> = shared
        .global
        .iter()
        .chain(product.and_then(|p| p.policy.as_ref()))
        .chain(api.policy.as_ref())
        .chain(operation)
        .collect();
    let chain: Vec<FileRef<'a>> = files.iter().filter_map(|f| FileRef::of(f)).collect();
    let unreadable = files
        .iter()
        .filter(|f| f.doc.is_err())
        .map(|f| f.path.as_str())
        .collect();
    let unreadable_why = files
        .iter()
        .filter_map(|f| {
            let e = f.doc.as_ref().err()?;
            let line = f.src.as_bytes()[..e.offset.min(f.src.len())]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            Some((
                f.level,
                f.path.as_str(),
                format!("line {line}: {}", crate::error::printable(&e.message)),
            ))
        })
        .collect();
    let mut eff = build(&chain, Some(&shared.fragments), false);
    eff.api = &api.id;
    eff.product = product.map(|p| p.id.as_str());
    eff.operation = operation.map(|o| o.id.as_str());
    eff.unreadable = unreadable;
    eff.unreadable_why = unreadable_why;
    eff
}

/// A lone policy judged by itself: its `<base />` stands for what cannot be seen (unless it is
/// global), its fragments are unknown.
pub fn lone(file: FileRef<'_>) -> Effective<'_> {
    let open = !matches!(file.level, Level::Global);
    build(&[file], None, open)
}

fn build<'a>(
    chain: &[FileRef<'a>],
    fragments: Option<&'a BTreeMap<String, PolicyFile>>,
    open_top: bool,
) -> Effective<'a> {
    let mut problems = Vec::new();
    let mut left = STEP_BUDGET;
    let sections = SECTIONS
        .iter()
        .map(|name| {
            let mut s = Section {
                name,
                steps: Vec::new(),
                cut: None,
                reached: Vec::new(),
                inherited_unknown: false,
                unresolved_fragment: false,
                over_budget: false,
            };
            if !chain.is_empty() {
                let mut w = Work {
                    fragments,
                    open_top,
                    left: &mut left,
                    problems: &mut problems,
                };
                splice(chain, chain.len() - 1, name, &mut w, &mut s);
            }
            s.reached.reverse();
            s
        })
        .collect();
    // One problem per include, not one per section it was seen in.
    problems.dedup_by(|a: &mut Problem<'_>, b: &mut Problem<'_>| {
        a.file.path == b.file.path && a.span == b.span
    });
    Effective {
        api: "",
        product: None,
        operation: None,
        chain: chain.to_vec(),
        unreadable: Vec::new(),
        unreadable_why: Vec::new(),
        sections,
        problems,
    }
}

/// What one computation carries down: the fragments, whether the top scope is open, the
/// steps it may still append, and the problems met.
struct Work<'w, 'a> {
    fragments: Option<&'a BTreeMap<String, PolicyFile>>,
    open_top: bool,
    left: &'w mut usize,
    problems: &'w mut Vec<Problem<'a>>,
}

impl<'a> Work<'_, 'a> {
    /// Appends `step` if the budget allows; otherwise marks `out` over budget (reporting it
    /// once, at `at` in `file`) and returns false: the caller stops.
    fn push(
        &mut self,
        out: &mut Section<'a>,
        step: Step<'a>,
        file: FileRef<'a>,
        at: &Range<usize>,
    ) -> bool {
        if *self.left == 0 {
            if !out.over_budget {
                out.over_budget = true;
                if !self
                    .problems
                    .iter()
                    .any(|p| p.kind == ProblemKind::OverBudget)
                {
                    self.problems.push(Problem {
                        kind: ProblemKind::OverBudget,
                        file,
                        span: at.clone(),
                        message: format!(
                            "the effective policy of this path holds more than {STEP_BUDGET} policy elements (here, in <{}>, fragments are inlined again and again); akto-connect stops there and does not judge the rest",
                            out.name
                        ),
                    });
                }
            }
            return false;
        }
        *self.left -= 1;
        out.steps.push(step);
        true
    }
}

/// Appends level `at`'s `section` to `out`, splicing the broader levels at its first
/// `<base />` (a repeated `<base />` is collapsed, see the module notes). Depth is bounded by
/// the chain (at most four levels), and each level is spliced at most once per section.
fn splice<'a>(
    chain: &[FileRef<'a>],
    at: usize,
    section: &str,
    w: &mut Work<'_, 'a>,
    out: &mut Section<'a>,
) {
    let file = chain[at];
    let root = &file.doc.root;
    out.reached.push(file);
    let Some(sec) = root.elements().find(|e| e.name == section) else {
        if (at > 0 || w.open_top) && out.cut.is_none() {
            out.cut = Some(Cut {
                file,
                kind: CutKind::NoSection,
                span: root.span.clone(),
            });
        }
        return;
    };
    let mut has_base = false;
    for el in sec.elements() {
        if out.over_budget {
            break;
        }
        match el.name.as_str() {
            "base" if has_base => {}
            "base" => {
                has_base = true;
                if at > 0 {
                    splice(chain, at - 1, section, w, out);
                } else if w.open_top {
                    out.inherited_unknown = true;
                }
            }
            "include-fragment" => include(file, el, w, out),
            _ => {
                let step = Step {
                    element: el,
                    file,
                    included_at: None,
                };
                if !w.push(out, step, file, &el.span) {
                    break;
                }
            }
        }
    }
    if !has_base && (at > 0 || w.open_top) && out.cut.is_none() {
        out.cut = Some(Cut {
            file,
            kind: CutKind::NoBase,
            span: sec.span.clone(),
        });
    }
}

fn include<'a>(file: FileRef<'a>, el: &'a Element, w: &mut Work<'_, 'a>, out: &mut Section<'a>) {
    let id = el
        .attr("fragment-id")
        .map(|a| file.doc.attr_value(file.src, a))
        .unwrap_or_default();
    let keep = |w: &mut Work<'_, 'a>, out: &mut Section<'a>| {
        out.unresolved_fragment = true;
        let step = Step {
            element: el,
            file,
            included_at: None,
        };
        w.push(out, step, file, &el.span);
    };
    let Some(fragments) = w.fragments else {
        keep(w, out);
        return;
    };
    let Some(frag) = fragments.get(id.trim()) else {
        w.problems.push(Problem {
            kind: ProblemKind::UnknownFragment,
            file,
            span: el.span.clone(),
            message: format!(
                "<include-fragment> names fragment `{id}`, which is not in the tree (policy fragments/{id}/policy.xml); APIM refuses the policy"
            ),
        });
        keep(w, out);
        return;
    };
    let Some(fref) = FileRef::of(frag) else {
        // Unreadable fragment: lint reports it where it is; its content is unknown.
        keep(w, out);
        return;
    };
    for inner in fref.doc.root.elements() {
        let step = Step {
            element: inner,
            file: fref,
            included_at: Some((file, el)),
        };
        if !w.push(out, step, file, &el.span) {
            return;
        }
    }
}

/// A file's own `section`, `<base />` left out and its fragments inlined (unknown ones kept
/// as written): what the scope itself contributes.
pub fn own_steps<'a>(
    file: FileRef<'a>,
    section: &str,
    fragments: Option<&'a BTreeMap<String, PolicyFile>>,
) -> Vec<Step<'a>> {
    let mut out = Section {
        name: "",
        steps: Vec::new(),
        cut: None,
        reached: Vec::new(),
        inherited_unknown: false,
        unresolved_fragment: false,
        over_budget: false,
    };
    let mut problems = Vec::new();
    let mut left = STEP_BUDGET;
    let mut w = Work {
        fragments,
        open_top: false,
        left: &mut left,
        problems: &mut problems,
    };
    if let Some(sec) = file.doc.root.elements().find(|e| e.name == section) {
        for el in sec.elements() {
            if out.over_budget {
                break;
            }
            match el.name.as_str() {
                "base" => {}
                "include-fragment" => include(file, el, &mut w, &mut out),
                _ => {
                    let step = Step {
                        element: el,
                        file,
                        included_at: None,
                    };
                    if !w.push(&mut out, step, file, &el.span) {
                        break;
                    }
                }
            }
        }
    }
    out.steps
}
