use crate::lint::csharp::{outside_allow_list, DISALLOWED_SHORT};
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a .NET type or namespace in a policy expression that is not on APIM's
    /// allow-list ("API Management policy expressions": `Regex`, `JObject`, `JsonConvert`,
    /// `Encoding`, `Convert`, `TimeSpan`, LINQ, the `System.Security.Cryptography` hashes …):
    /// a fully qualified name outside it (`System.IO.File`, `System.Net.WebClient`,
    /// `System.Environment`), and well-known types used without their namespace
    /// (`Environment.MachineName`, `new WebClient()`, `File.ReadAllText`).
    ///
    /// ## Why is this bad?
    /// APIM refuses to save a policy whose expressions use anything else: the deployment
    /// fails. Expressions cannot read files, the environment or the network on purpose.
    ///
    /// ## Example
    /// ```xml
    /// <set-header name="x-host" exists-action="override">
    ///     <value>@(System.Environment.MachineName)</value>
    /// </set-header>
    /// ```
    ///
    /// ## Fix
    /// Use what the context offers (`context.Deployment.Region`, `context.Request`), a
    /// `send-request` policy for network calls, or an allowed type.
    pub const EXPRESSION_DISALLOWED_TYPE = {
        id: "expression-disallowed-type",
        severity: Severity::Error,
        summary: "a .NET type outside the allow-list of policy expressions",
        level: Level::File(check),
        enabled: true,
        rank: 90,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for e in cx.expressions() {
        for name in &e.scan.names {
            let parts: Vec<&str> = name.parts.iter().map(|(p, _)| p.as_str()).collect();
            let bad = match outside_allow_list(&parts) {
                Some(k) => Some(k),
                None if DISALLOWED_SHORT.contains(&parts[0])
                    && (parts.len() >= 2 || name.after_new) =>
                {
                    Some(1)
                }
                None => None,
            };
            let Some(k) = bad else { continue };
            let shown = parts[..k].join(".");
            let span = name.parts[0].1.start..name.parts[k - 1].1.end;
            out.push(Diagnostic {
                span: e.source_span(&span),
                message: format!(
                    "`{shown}` is not on APIM's list of types policy expressions may use: the policy cannot be saved"
                ),
                help: "use the context (context.Request, context.Deployment …), a send-request policy for calls out, or an allowed type; see `akto-connect rule expression-disallowed-type`".to_string(),
                fix: None,
            });
        }
    }
    out
}
