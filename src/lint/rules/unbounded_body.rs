use crate::apim::effective::{FileRef, Step};
use crate::lint::tree_rules::{self, full_span, Absence};
use crate::lint::{declare_rule, Level, Severity};

declare_rule! {
    /// ## What it does
    /// Judged on the effective policy of an APIOps tree: reports an effective `<inbound>` that
    /// reads the whole request body (`context.Request.Body.As<…>` in an expression) with no size
    /// limit in force, and an effective `<outbound>` that reads the whole response body the
    /// same way. A limit is a `validate-content` with `max-size` in the effective `<inbound>`,
    /// or a check of `Content-Length` or the body's length in the same expression (as
    /// `akto-connect apim policy` writes). Akto's original capture policy (seed 000) reads
    /// both bodies unbounded.
    ///
    /// A warning: the gateway holds the whole body in memory for each request; large bodies
    /// slow every API on the gateway.
    ///
    /// ## Why is this bad?
    /// Seed 003: "API overloads". One client sending large bodies makes the gateway buffer
    /// them all.
    ///
    /// ## Example
    /// `<set-variable name="reqBody" value="@(context.Request.Body.As<string>(preserveContent: true))" />`
    ///
    /// ## Fix
    /// Add `<validate-content max-size="102400" size-exceeded-action="prevent" … />` before the
    /// read, or check `Content-Length` first (`akto-connect apim policy --max-body-bytes`).
    pub const UNBOUNDED_BODY = {
        id: "unbounded-body",
        severity: Severity::Warning,
        summary: "a whole body is read with no size limit in force",
        level: Level::Effective(&[INBOUND, OUTBOUND]),
        enabled: true,
        rank: 260,
    };
}

const INBOUND: Absence = Absence {
    section: "inbound",
    control: "the size limit",
    missing: missing_in,
    provided_by: limited,
    subscription: None,
    help: "add <validate-content max-size=\"…\" size-exceeded-action=\"prevent\" /> before the read, or check Content-Length first",
};

const OUTBOUND: Absence = Absence {
    section: "outbound",
    control: "the size limit",
    missing: missing_out,
    provided_by: |_| false,
    subscription: None,
    help: "check the response's Content-Length (or the body's length) before reading it whole",
};

/// Whether an expression inside `step` reads the `which` body whole with no size check. Works
/// on the text as written (both forms), without decoding: this runs for every path and
/// operation.
fn reads_unguarded(file: FileRef<'_>, step: &Step<'_>, which: &str) -> bool {
    let r = full_span(step.element);
    let codes = || {
        file.doc
            .expressions
            .iter()
            .filter(|x| x.span.start >= r.start && x.span.end <= r.end)
            .map(|x| &file.src[x.span.clone()])
    };
    let reads = |c: &str| c.contains(which) && (c.contains(".As<") || c.contains(".As&lt;"));
    let guards = |c: &str| {
        c.contains("Content-Length")
            || c.contains("GetByteCount")
            || c.contains(".Length >")
            || c.contains(".Length &gt;")
    };
    // The guards are looked for only when the step reads the body (most do not).
    codes().any(reads) && !codes().any(guards)
}

fn unguarded_read(steps: &[Step<'_>], which: &str) -> Option<String> {
    steps.iter().find_map(|s| {
        reads_unguarded(s.file, s, which)
            .then(|| format!("<{}> in {}", s.element.name, s.file.path_or_file()))
    })
}

fn missing_in(steps: &[Step<'_>]) -> Option<String> {
    let at = unguarded_read(steps, "Request.Body")?;
    (!limited(steps)).then(|| format!("size limit for the request body read whole by {at}"))
}

fn limited(steps: &[Step<'_>]) -> bool {
    tree_rules::any_element(steps, |e, f| {
        e.name == "validate-content" && tree_rules::attr_ci(f, e, "max-size").is_some()
    })
}

fn missing_out(steps: &[Step<'_>]) -> Option<String> {
    unguarded_read(steps, "Response.Body")
        .map(|at| format!("size limit for the response body read whole by {at}"))
}

