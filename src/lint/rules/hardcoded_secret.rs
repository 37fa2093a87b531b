use crate::apim::secrets::Kind;
use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a credential written literally in a policy: the `password` of
    /// `authentication-basic`; the value of a `set-header` named `Authorization`,
    /// `Ocp-Apim-Subscription-Key`, `x-api-key`, `api-key` or `x-functions-key`; the value of a
    /// `set-query-parameter` named like a key (`key`, `api-key`, `code`, `sig`,
    /// `subscription-key`, `access_token`, `client_secret`, `password`); a `client_secret=`
    /// with a literal value in any body or expression. A `{{named value}}` (resolved from APIM's
    /// named values, which can be Key Vault secrets) or a value computed by an expression is
    /// fine; so is an obvious placeholder (`<…>`, `your-…`, `xxx`).
    ///
    /// An error: the secret is in the repository and in every export of the policy.
    ///
    /// ## Why is this bad?
    /// Seed 003: "use of unprotected identity and keys". Anyone who can read the repository or
    /// the APIM configuration has the credential; rotating it means editing policies.
    ///
    /// ## Example
    /// `<authentication-basic username="svc" password="S3cret!" />`
    ///
    /// ## Fix
    /// Store it as a named value backed by Key Vault and write `{{backend-password}}`.
    pub const HARDCODED_SECRET = {
        id: "hardcoded-secret",
        severity: Severity::Error,
        summary: "a literal credential in a policy (use a {{named value}})",
        level: Level::File(check),
        enabled: true,
        rank: 190,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    cx.secrets()
        .iter()
        .filter_map(|s| {
            let message = match &s.kind {
                Kind::BasicPassword => "authentication-basic has a literal password".to_string(),
                Kind::Named { element, name } => format!("{element} `{name}` has a literal value"),
                Kind::ClientSecret => "a literal client_secret in the policy".to_string(),
                // jwt-weak reports a validate-jwt's keys.
                Kind::JwtKey { .. } => return None,
            };
            Some(Diagnostic {
                span: s.span.clone(),
                message,
                help:
                    "store the secret as an APIM named value (Key Vault backed) and write {{name}}"
                        .to_string(),
                fix: None,
            })
        })
        .collect()
}
