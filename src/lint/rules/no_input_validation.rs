use crate::apim::effective::Step;
use crate::lint::tree_rules::{any_element, Absence};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports an effective `<inbound>` with none of `validate-content`,
    /// `validate-parameters`, `validate-headers` (judged like `no-rate-limit`: on the effective
    /// policy of an APIOps tree only), and, in
    /// any file, one of those policies whose `*-action` attribute is `ignore`.
    ///
    /// Info: validation against the API's schema needs that schema in APIM, which the policy
    /// does not show; an `ignore` action may be a deliberate first step (`detect`).
    ///
    /// ## Why is this bad?
    /// Requests that do not match the API's contract reach the backend unchecked (seed 003:
    /// "parameter tampering", "command injection").
    ///
    /// ## Example
    /// `<validate-parameters specified-parameter-action="ignore" unspecified-parameter-action="ignore" errors-variable-name="e" />`
    ///
    /// ## Fix
    /// Add `<validate-content unspecified-content-type-action="prevent" max-size="102400"
    /// size-exceeded-action="prevent" />` and `validate-parameters` with `prevent` or `detect`.
    pub const NO_INPUT_VALIDATION = {
        id: "no-input-validation",
        severity: Severity::Info,
        summary: "no validate-content/-parameters/-headers in force, or one set to ignore",
        level: Level::FileAndEffective(check, &[ABSENCE]),
        enabled: true,
        rank: 280,
    };
}

const ABSENCE: Absence = Absence {
    section: "inbound",
    control: "the input validation",
    missing,
    provided_by: |s| missing(s).is_none(),
    subscription: None,
    help: "add validate-content and validate-parameters to <inbound> (here or at a broader scope)",
};

const VALIDATORS: [&str; 3] = [
    "validate-content",
    "validate-parameters",
    "validate-headers",
];

fn missing(steps: &[Step<'_>]) -> Option<String> {
    let found = any_element(steps, |e, _| VALIDATORS.contains(&e.name.as_str()));
    (!found).then(|| {
        "input validation (validate-content, validate-parameters, validate-headers)".to_string()
    })
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &e in cx.elements() {
        if !VALIDATORS.contains(&e.name.as_str()) {
            continue;
        }
        let mut inner = vec![e];
        inner.extend(e.descendants());
        for el in inner {
            for a in &el.attributes {
                if a.name.ends_with("action") && cx.doc.attr_value(cx.src, a).trim() == "ignore" {
                    out.push(Diagnostic {
                        span: a.name_span.start..a.value_span.end + 1,
                        message: format!(
                            "<{}> {}=\"ignore\": requests that fail this check pass unchecked",
                            el.name, a.name
                        ),
                        help: "use prevent (or detect while rolling out)".to_string(),
                        fix: None,
                    });
                }
            }
        }
    }
    out
}
