use crate::apim::tree::{Element, Node};
use crate::apim::SECTIONS;
use crate::lint::fix::Layout;
use crate::lint::rules::backend_override::own_backend;
use crate::lint::{declare_rule, Context, Diagnostic, Edit, Scope, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a section of a `<policies>` document (`<inbound>`, `<backend>`, `<outbound>`,
    /// `<on-error>`) that has no `<base />` as a direct child, and a section that is missing
    /// altogether. A commented-out `<base />` does not count. Not reported for policy
    /// fragments or at global scope, which has no parent, nor for a `<backend>` that forwards
    /// or answers the request itself (`<forward-request>`, `<return-response>`,
    /// `<mock-response>`) or takes it from a fragment (`<include-fragment>`): that backend
    /// replaces the inherited one on purpose and gets the `backend-override` note instead.
    /// Nor for a `<backend>` that never runs because `<inbound>` always answers the request
    /// (a `<return-response>` or `<mock-response>` directly in it).
    ///
    /// ## Why is this bad?
    /// `<base />` runs the policies of the broader scopes (global, workspace, product, API) for
    /// that section. Without it they are silently dropped: authentication, rate limits, IP
    /// filters and logging configured above stop applying to this API or operation.
    ///
    /// ## Example
    /// ```xml
    /// <policies>
    ///     <inbound>
    ///         <rate-limit calls="20" renewal-period="90" />
    ///     </inbound>
    ///     ...
    /// ```
    ///
    /// ## Fix
    /// Add `<base />` as the first child of the section (`akto-connect lint --fix` does, and
    /// adds a missing section with its `<base />`). If dropping the inherited policies is
    /// deliberate, suppress the rule for that file in `akto-connect.toml`.
    pub const MISSING_BASE = {
        id: "missing-base",
        severity: Severity::Error,
        summary: "a policy section without <base /> drops the inherited policies",
        level: Level::File(check),
        enabled: true,
        rank: 20,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let root = &cx.doc.root;
    if matches!(cx.scope, Scope::Global | Scope::Fragment) || root.name != "policies" {
        return Vec::new();
    }
    let layout = Layout::detect(cx.src, root);
    let mut out = Vec::new();
    for (i, section) in SECTIONS.iter().enumerate() {
        let present: Vec<&Element> = root.elements().filter(|e| e.name == *section).collect();
        if present.is_empty() {
            out.push(Diagnostic {
                span: root.span.clone(),
                message: format!(
                    "<policies> has no <{section}> section, so the {section} policies of the broader scopes do not run"
                ),
                help: format!("add <{section}><base /></{section}>"),
                fix: add_section(cx.src, root, i, &layout),
            });
        }
        for el in present {
            if el.elements().any(|c| c.name == "base") {
                continue;
            }
            // A backend that forwards or answers itself replaces the inherited one on purpose;
            // `<base />` in front of it would forward twice (see `backend-override`).
            if el.name == "backend" && (own_backend(el).is_some() || inbound_answers(root)) {
                continue;
            }
            let commented = el.children.iter().any(|n| match n {
                Node::Comment(r) => cx.src[r.clone()].contains("<base"),
                _ => false,
            });
            let mut help = format!("add <base /> as the first child of <{section}>");
            if commented {
                help.push_str(" (a commented-out <base /> does not count)");
            }
            out.push(Diagnostic {
                span: el.span.clone(),
                message: format!(
                    "<{section}> has no <base />, so the {section} policies of the broader scopes do not run"
                ),
                help,
                fix: Some(add_base(cx.src, el, &layout)),
            });
        }
    }
    out
}

/// Whether `<inbound>` always answers the request itself (a `<return-response>` or
/// `<mock-response>` as its direct child): the backend then never runs.
fn inbound_answers(root: &Element) -> bool {
    root.elements()
        .filter(|s| s.name == "inbound")
        .flat_map(Element::elements)
        .any(|e| e.name == "return-response" || e.name == "mock-response")
}

/// Inserts `<base />` as the first child of `el`, on its own line when the file is laid out
/// one element a line.
fn add_base(src: &str, el: &Element, layout: &Layout) -> Edit {
    let (range, replacement) = base_insertion(src, el, layout);
    Edit {
        range,
        replacement,
        description: format!("added <base /> to <{}>", el.name),
    }
}

fn base_insertion(src: &str, el: &Element, layout: &Layout) -> (std::ops::Range<usize>, String) {
    let indent = Layout::indent_of(src, el.span.start);
    if el.end_span.is_none() {
        // `<inbound />` becomes an element with a child.
        let name = &el.name;
        return match indent {
            Some(ind) => (
                el.span.clone(),
                format!(
                    "<{name}>{eol}{ind}{unit}<base />{eol}{ind}</{name}>",
                    eol = layout.eol_at(src, el.span.start),
                    unit = layout.unit
                ),
            ),
            None => (el.span.clone(), format!("<{name}><base /></{name}>")),
        };
    }
    let after = &src[el.span.end..];
    // Only the blanks after the start tag are looked at, never the rest of a long line: with
    // many sections on one line this stays linear in the line's length.
    let rest_of_line_blank = after
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        == Some(b'\n');
    match (indent, rest_of_line_blank) {
        (Some(ind), true) => {
            let child_indent = el
                .elements()
                .next()
                .and_then(|c| Layout::indent_of(src, c.span.start))
                .map_or_else(|| format!("{ind}{}", layout.unit), str::to_string);
            (
                el.span.end..el.span.end,
                format!("{}{child_indent}<base />", layout.eol_at(src, el.span.end)),
            )
        }
        _ => (el.span.end..el.span.end, "<base />".to_string()),
    }
}

/// Inserts the absent section `SECTIONS[index]`, with its `<base />`, in the canonical order.
fn add_section(src: &str, root: &Element, index: usize, layout: &Layout) -> Option<Edit> {
    let name = SECTIONS[index];
    let next = root
        .elements()
        .find(|e| SECTIONS[index + 1..].contains(&e.name.as_str()));
    let before = match next {
        Some(e) => e.span.start,
        None => root.end_span.as_ref()?.start,
    };
    let sibling_indent = root
        .elements()
        .find_map(|e| Layout::indent_of(src, e.span.start))
        .map(str::to_string);
    match Layout::indent_of(src, before) {
        Some(here) => {
            let ind = next.map_or_else(
                || sibling_indent.unwrap_or_else(|| format!("{here}{}", layout.unit)),
                |_| here.to_string(),
            );
            let line_start = before - here.len();
            let eol = layout.eol_at(src, before);
            Some(Edit {
                range: line_start..line_start,
                replacement: format!(
                    "{ind}<{name}>{eol}{ind}{unit}<base />{eol}{ind}</{name}>{eol}",
                    unit = layout.unit
                ),
                description: format!("added <{name}> with <base />"),
            })
        }
        None => Some(Edit {
            range: before..before,
            replacement: format!("<{name}><base /></{name}>"),
            description: format!("added <{name}> with <base />"),
        }),
    }
}

/// Adds to `missing-base` findings of a file of unknown scope that looks global how to mark
/// it global (a global policy has no parent, so no `<base />` is needed).
/// `key` is the file's path as the config sees it.
pub fn hint_global(findings: &mut [crate::lint::Finding], key: &str, src: &str) {
    let name = key.rsplit('/').next().unwrap_or(key);
    if !findings.iter().any(|f| f.rule == MISSING_BASE.id) || !crate::lint::scope::looks_global(name, src) {
        return;
    }
    for f in findings.iter_mut().filter(|f| f.rule == MISSING_BASE.id) {
        f.help.push_str(&format!(
            "; if this file is the global (all-APIs) policy, which has no parent, mark it global: --scope global, or `\"{key}\" = \"global\"` under [scopes] in akto-connect.toml"
        ));
    }
}
