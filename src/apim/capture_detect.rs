//! Recognises the Akto capture in a policy document or a policy fragment: the one place that
//! knows what a capture looks like, for `apim policy --into` (to replace a previous capture in
//! place) and for `apim coverage` (to tell captured APIs from the others).
//!
//! Recognition goes by element names and the capture's akto-prefixed variable names, never by
//! comments (APIM drops comments when it saves a policy). A step counts when it is a direct
//! child of a section (`<inbound>`, `<outbound>`, …) of a `<policies>` root, or of a
//! `<fragment>` root:
//! - `<set-variable name="aktoRegexList" …/>` and `<set-variable name="aktoCapture" …/>`; also the
//!   seed's bare `<set-variable name="regexList" …/>`, but only right before an `aktoCapture`
//!   whose expression reads `"regexList"` (as the seed and earlier versions wrote it): a user's
//!   own `regexList` is left alone;
//! - a `<choose>` whose only child is a `<when>` testing the `aktoCapture` variable and holding a
//!   `set-variable` of `aktoRequestBody`/`aktoRequestTime` (the request record) or of
//!   `aktoPayload` (the outbound send);
//! - the two `<choose>` of Akto's documented policy (seed 000), which test `"regexList"`: the
//!   inbound one sets `reqBody` and `requestTime`, the outbound one sets `reqHeaders` and
//!   `respBody` and holds the `send-one-way-request` (a user's own `<choose>` on `regexList`
//!   does neither);
//! - `<include-fragment fragment-id="…capture-inbound" />` and `…capture-outbound` (the ids
//!   `apim fragments` writes, whatever `--fragment-prefix` was).
//!
//! Not for: judging whether the capture is correct (lint does that).

use std::ops::Range;

use super::tree::{Document, Element};

/// What one recognised step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// The path filter variable (`aktoRegexList`, or the seed's `regexList`).
    RegexList,
    /// The capture decision (`aktoCapture`).
    Predicate,
    /// The inbound `<choose>` that stores the request body and time.
    RequestRecord,
    /// The outbound `<choose>` that builds the record and sends it.
    Send,
    /// `<include-fragment>` of the inbound capture fragment (the id).
    IncludeInbound(String),
    /// `<include-fragment>` of the outbound capture fragment (the id).
    IncludeOutbound(String),
}

/// One recognised step of the capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    /// The section it stands in (`inbound`, `outbound`, …); `None` in a fragment.
    pub section: Option<String>,
    /// The whole element, from `<` of its start tag to `>` of its end tag.
    pub span: Range<usize>,
}

/// The capture found in one document (possibly none, possibly partial).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    pub steps: Vec<Step>,
}

impl Capture {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    fn has(&self, section: &str, pred: impl Fn(&StepKind) -> bool) -> bool {
        self.steps
            .iter()
            .any(|s| s.section.as_deref() == Some(section) && pred(&s.kind))
    }

    /// The inbound half is there: the decision (inline) or the inbound fragment's include.
    pub fn captures_inbound(&self) -> bool {
        self.has("inbound", |k| {
            matches!(k, StepKind::Predicate | StepKind::IncludeInbound(_))
        })
    }

    /// The outbound half is there: the send (inline) or the outbound fragment's include.
    pub fn sends_outbound(&self) -> bool {
        self.has("outbound", |k| {
            matches!(k, StepKind::Send | StepKind::IncludeOutbound(_))
        })
    }

    /// A `<policies>` document that captures: both halves in their sections.
    pub fn is_complete(&self) -> bool {
        self.captures_inbound() && self.sends_outbound()
    }

    /// The fragment ids this document includes for the capture.
    pub fn fragment_ids(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::IncludeInbound(id) | StepKind::IncludeOutbound(id) => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Suffixes of the capture fragments' ids (`akto-capture-inbound` by default).
pub const INBOUND_FRAGMENT_SUFFIX: &str = "capture-inbound";
pub const OUTBOUND_FRAGMENT_SUFFIX: &str = "capture-outbound";

/// Finds the capture's steps in a read policy (`doc` read from `src` with [`super::tree::read`]).
pub fn detect(doc: &Document, src: &str) -> Capture {
    let mut steps = Vec::new();
    match doc.root.name.as_str() {
        "policies" => {
            for section in doc.root.elements() {
                collect(doc, src, section, Some(&section.name), &mut steps);
            }
        }
        "fragment" => collect(doc, src, &doc.root, None, &mut steps),
        _ => {}
    }
    Capture { steps }
}

/// A capture step that stands deeper than a section's direct children (for example moved into a
/// user's own `<choose>`), with the outermost element of the section that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedStep {
    pub step: Step,
    /// The name of the section's direct child that holds the step (`choose`, …).
    pub within: String,
    /// Where that element starts.
    pub within_offset: usize,
}

/// Capture steps that [`detect`] does not count because they are not direct children of a
/// section of a `<policies>` root: `--into` cannot replace them in place, and adding a capture
/// beside them would capture twice.
pub fn nested(doc: &Document, src: &str) -> Vec<NestedStep> {
    let mut out = Vec::new();
    if doc.root.name != "policies" {
        return out;
    }
    for section in doc.root.elements() {
        let mut top = Vec::new();
        collect(doc, src, section, Some(&section.name), &mut top);
        for child in section.elements() {
            let span = element_span(child);
            if top.iter().any(|s| s.span == span) {
                continue;
            }
            let mut found = Vec::new();
            // Depth first without recursion: a deeply nested policy cannot exhaust the stack.
            let mut stack = vec![child];
            while let Some(parent) = stack.pop() {
                let mut here = Vec::new();
                collect(doc, src, parent, Some(&section.name), &mut here);
                for e in parent.elements() {
                    if !here.iter().any(|s| s.span == element_span(e)) {
                        stack.push(e);
                    }
                }
                found.extend(here);
            }
            found.sort_by_key(|s| s.span.start);
            out.extend(found.into_iter().map(|step| NestedStep {
                step,
                within: child.name.clone(),
                within_offset: child.span.start,
            }));
        }
    }
    out
}

/// The whole element's byte range.
pub fn element_span(e: &Element) -> Range<usize> {
    e.span.start..e.end_span.as_ref().map_or(e.span.end, |s| s.end)
}

fn collect(
    doc: &Document,
    src: &str,
    parent: &Element,
    section: Option<&str>,
    out: &mut Vec<Step>,
) {
    let children: Vec<&Element> = parent.elements().collect();
    // The seed's `regexList`: directly followed by an `aktoCapture` that reads it, or by the
    // seed's own request-record `<choose>` (Akto's documented policy).
    let legacy_list = |i: usize| {
        children.get(i + 1).is_some_and(|next| {
            (variable_name(doc, src, next).as_deref() == Some("aktoCapture")
                && next
                    .attr("value")
                    .is_some_and(|a| doc.attr_value(src, a).contains("\"regexList\"")))
                || (next.name == "choose"
                    && choose_kind(doc, src, next) == Some(StepKind::RequestRecord))
        })
    };
    for (i, e) in children.iter().enumerate() {
        let kind = match variable_name(doc, src, e).as_deref() {
            Some("regexList") if legacy_list(i) => Some(StepKind::RegexList),
            _ => step_kind(doc, src, e),
        };
        if let Some(kind) = kind {
            out.push(Step {
                kind,
                section: section.map(str::to_string),
                span: element_span(e),
            });
        }
    }
}

/// What capture step `e` is by itself, without looking at its neighbours: the akto-prefixed
/// variables, the capture's `<choose>` steps (ours and the seed's), the fragment includes. The
/// seed's bare `regexList` needs its neighbour and is not counted here. For judging an effective
/// policy, whose steps come from several files (`apim coverage`).
pub fn step_kind(doc: &Document, src: &str, e: &Element) -> Option<StepKind> {
    match e.name.as_str() {
        "set-variable" => match variable_name(doc, src, e).as_deref() {
            Some("aktoRegexList") => Some(StepKind::RegexList),
            Some("aktoCapture") => Some(StepKind::Predicate),
            _ => None,
        },
        "choose" => choose_kind(doc, src, e),
        "include-fragment" => e.attr("fragment-id").and_then(|a| {
            let id = doc.attr_value(src, a);
            if id.ends_with(INBOUND_FRAGMENT_SUFFIX) {
                Some(StepKind::IncludeInbound(id))
            } else if id.ends_with(OUTBOUND_FRAGMENT_SUFFIX) {
                Some(StepKind::IncludeOutbound(id))
            } else {
                None
            }
        }),
        _ => None,
    }
}

fn variable_name(doc: &Document, src: &str, e: &Element) -> Option<String> {
    if e.name != "set-variable" {
        return None;
    }
    e.attr("name").map(|a| doc.attr_value(src, a))
}

fn choose_kind(doc: &Document, src: &str, choose: &Element) -> Option<StepKind> {
    let whens: Vec<&Element> = choose.elements().collect();
    let [when] = whens.as_slice() else {
        return None;
    };
    if when.name != "when" {
        return None;
    }
    let condition = when.attr("condition").map(|a| doc.attr_value(src, a))?;
    let names: Vec<String> = when
        .descendants()
        .into_iter()
        .filter_map(|e| variable_name(doc, src, e))
        .collect();
    if condition.contains("\"regexList\"") {
        // Akto's documented policy (seed 000), deployed by hand before this tool: its
        // `<choose>` steps test `regexList` and set these variables.
        let has = |n: &str| names.iter().any(|v| v == n);
        let sends = when
            .descendants()
            .iter()
            .any(|e| e.name == "send-one-way-request");
        return if sends && has("respBody") && has("reqHeaders") {
            Some(StepKind::Send)
        } else if !sends && has("reqBody") && has("requestTime") {
            Some(StepKind::RequestRecord)
        } else {
            None
        };
    }
    if !condition.contains("\"aktoCapture\"") {
        return None;
    }
    if names.iter().any(|n| n == "aktoPayload") {
        Some(StepKind::Send)
    } else if names
        .iter()
        .any(|n| n == "aktoRequestBody" || n == "aktoRequestTime")
    {
        Some(StepKind::RequestRecord)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apim::tree;

    fn kinds(src: &str) -> Vec<(Option<String>, StepKind)> {
        let doc = tree::read(src).unwrap();
        detect(&doc, src)
            .steps
            .into_iter()
            .map(|s| (s.section, s.kind))
            .collect()
    }

    #[test]
    fn a_users_own_regex_list_is_not_the_capture() {
        let src = r#"<policies><inbound><base /><set-variable name="regexList" value="x" /></inbound></policies>"#;
        assert!(kinds(src).is_empty());
    }

    #[test]
    fn a_users_regex_list_beside_the_capture_is_not_the_capture() {
        let src = r#"<policies><inbound><base /><set-variable name="aktoRegexList" value="" /><set-variable name="aktoCapture" value="@(context.Variables.GetValueOrDefault<string>(&quot;aktoRegexList&quot;, &quot;&quot;).Length == 0)" /><set-variable name="regexList" value="mine" /></inbound></policies>"#;
        assert_eq!(kinds(src).len(), 2);
        let src = r#"<policies><inbound><set-variable name="regexList" value="mine" /><set-variable name="aktoCapture" value="@(context.Variables.GetValueOrDefault<string>(&quot;aktoRegexList&quot;, &quot;&quot;).Length == 0)" /></inbound></policies>"#;
        assert_eq!(kinds(src).len(), 1);
    }

    #[test]
    fn includes_and_legacy_names_are_recognised() {
        let src = r#"<policies><inbound><base /><set-variable name="regexList" value="" /><set-variable name="aktoCapture" value="@(context.Variables.GetValueOrDefault<string>(&quot;regexList&quot;, &quot;&quot;).Length == 0)" /></inbound><outbound><include-fragment fragment-id="team-capture-outbound" /></outbound></policies>"#;
        let k = kinds(src);
        assert_eq!(k.len(), 3, "{k:?}");
        assert_eq!(
            k[2],
            (
                Some("outbound".to_string()),
                StepKind::IncludeOutbound("team-capture-outbound".to_string())
            )
        );
        let doc = tree::read(src).unwrap();
        let c = detect(&doc, src);
        assert!(c.is_complete());
        assert_eq!(c.fragment_ids(), ["team-capture-outbound"]);
    }

    #[test]
    fn a_capture_moved_into_a_users_element_is_found_as_nested() {
        let send = r#"<choose><when condition="@(context.Variables.GetValueOrDefault<bool>(&quot;aktoCapture&quot;, false))"><set-variable name="aktoPayload" value="x" /></when></choose>"#;
        let src = format!(
            r#"<policies><inbound><base /><set-variable name="aktoCapture" value="x" /></inbound><outbound><choose><when condition="@(true)">{send}</when></choose></outbound></policies>"#
        );
        let doc = tree::read(&src).unwrap();
        assert!(!detect(&doc, &src).is_complete());
        let n = nested(&doc, &src);
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0].step.kind, StepKind::Send);
        assert_eq!(n[0].within, "choose");
        assert_eq!(&src[n[0].step.span.clone()], send);
        // The capture's own steps, where --into puts them, are not nested.
        let flat = format!(r#"<policies><outbound><base />{send}</outbound></policies>"#);
        let doc = tree::read(&flat).unwrap();
        assert!(nested(&doc, &flat).is_empty());
    }

    #[test]
    fn the_documented_seed_policy_is_recognised_and_a_users_regex_list_choose_is_not() {
        let cond = r#"@(context.Variables.GetValueOrDefault<string>("regexList", "").Length == 0)"#;
        let src = format!(
            r#"<policies><inbound><base /><set-variable name="regexList" value="^/api" /><choose><when condition="{cond}"><set-variable name="reqBody" value="x" /><set-variable name="requestTime" value="y" /></when></choose></inbound><outbound><base /><choose><when condition="{cond}"><set-variable name="reqHeaders" value="h" /><set-variable name="respBody" value="b" /><send-one-way-request><set-url>https://i/api/ingestData</set-url></send-one-way-request></when></choose></outbound></policies>"#
        );
        let k: Vec<StepKind> = kinds(&src).into_iter().map(|(_, k)| k).collect();
        assert_eq!(
            k,
            [StepKind::RegexList, StepKind::RequestRecord, StepKind::Send]
        );
        let mine = format!(
            r#"<policies><inbound><set-variable name="regexList" value="x" /><choose><when condition="{cond}"><set-header name="a" exists-action="delete" /></when></choose></inbound><outbound><choose><when condition="{cond}"><send-one-way-request><set-url>https://log</set-url></send-one-way-request></when></choose></outbound></policies>"#
        );
        assert!(kinds(&mine).is_empty(), "{:?}", kinds(&mine));
    }

    #[test]
    fn a_choose_on_another_variable_is_not_the_capture() {
        let src = r#"<policies><outbound><choose><when condition="@(context.Variables.GetValueOrDefault<bool>(&quot;mine&quot;))"><set-variable name="aktoPayload" value="x" /></when></choose></outbound></policies>"#;
        assert!(kinds(src).is_empty());
    }
}
