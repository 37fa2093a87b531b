use crate::apim::tree::Element;
use crate::lint::{declare_rule, Context, Diagnostic, Scope, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a `<backend>` section that has no `<base />` because it sends the request on
    /// itself (`<forward-request>`, directly or inside `<retry>`, `<choose>` or
    /// `<limit-concurrency>`), answers it itself (`<return-response>`, `<mock-response>`), or
    /// takes its backend from a policy fragment (`<include-fragment>`: AI-gateway estates keep
    /// their retry-and-forward logic in one, and a file alone cannot see what it holds).
    /// Such a backend *replaces* the inherited one on purpose; Microsoft's own examples do it.
    /// `missing-base` leaves these backends alone, and `--fix` never adds `<base />` to one:
    /// the inherited `<forward-request>` would run as well as this one. Not reported at global
    /// scope (nothing is inherited there) or in policy fragments.
    ///
    /// ## Why does it matter?
    /// Whatever the broader scopes put in their backend no longer runs for this API or
    /// operation: a `<set-backend-service>` or load-balanced backend pool, backend
    /// authentication (`<authentication-managed-identity>`, `<authentication-certificate>`),
    /// a `<retry>` or circuit-breaking policy, `<limit-concurrency>`, or the inherited
    /// `<forward-request>`'s timeout and buffering settings. That is usually intended; this
    /// note makes it visible in review.
    ///
    /// ## Example
    /// ```xml
    /// <backend>
    ///     <retry condition="@(context.Response.StatusCode == 503)" count="3" interval="1">
    ///         <forward-request buffer-request-body="true" />
    ///     </retry>
    /// </backend>
    /// ```
    ///
    /// ## Fix
    /// Nothing to fix when the override is intended. If the inherited backend must run, replace
    /// this backend's content with `<base />` (not in front of its `<forward-request>`).
    pub const BACKEND_OVERRIDE = {
        id: "backend-override",
        severity: Severity::Info,
        summary: "a <backend> that forwards or answers itself replaces the inherited backend",
        level: Level::File(check),
        enabled: true,
        rank: 30,
    };
}

/// Policies that send the request to a backend or answer it, and the fragment that stands for
/// such policies.
const OWN_BACKEND: &[&str] = &[
    "forward-request",
    "return-response",
    "mock-response",
    "include-fragment",
];

/// Elements that only decide whether or how often their content runs.
const FLOW: &[&str] = &["retry", "choose", "when", "otherwise", "limit-concurrency"];

/// The first element of `backend` that forwards or answers the request itself, looked for
/// directly and inside flow-control elements; `None` when the backend has none.
pub fn own_backend(backend: &Element) -> Option<&Element> {
    let mut stack: Vec<&Element> = backend.elements().collect();
    stack.reverse();
    while let Some(e) = stack.pop() {
        if OWN_BACKEND.contains(&e.name.as_str()) {
            return Some(e);
        }
        if FLOW.contains(&e.name.as_str()) {
            let before = stack.len();
            stack.extend(e.elements());
            stack[before..].reverse();
        }
    }
    None
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let root = &cx.doc.root;
    if matches!(cx.scope, Scope::Global | Scope::Fragment) || root.name != "policies" {
        return Vec::new();
    }
    let mut out = Vec::new();
    for backend in root.elements().filter(|e| e.name == "backend") {
        if backend.elements().any(|c| c.name == "base") {
            continue;
        }
        let Some(own) = own_backend(backend) else {
            continue;
        };
        let what = match own.name.as_str() {
            "forward-request" => "forwards the request itself",
            "include-fragment" => "takes its backend from a fragment",
            _ => "answers the request itself",
        };
        out.push(Diagnostic {
            span: backend.span.clone(),
            message: format!(
                "<backend> {what} (<{}>) instead of running the inherited backend: what the broader scopes' backends do (backend service, authentication, retries) does not run here",
                own.name
            ),
            help: "intended overrides need nothing; to run the inherited backend instead, replace the content of <backend> with <base />".to_string(),
            fix: None,
        });
    }
    out
}
