use crate::lint::{declare_rule, Context, Diagnostic, Severity, Level};

declare_rule! {
    /// ## What it does
    /// Reports a `validate-jwt` that accepts more tokens than it should:
    /// `require-expiration-time="false"`, `require-signed-tokens="false"`, no `<audiences>`, no
    /// `<issuers>` (when no `openid-config` names the issuer either), a signing or decryption
    /// key written literally in the policy (not a `{{named value}}` or a `certificate-id`), or
    /// the token read from a query parameter (`query-parameter-name`).
    ///
    /// A warning: each weakens the check; whether it matters depends on the identity provider.
    ///
    /// ## Why is this bad?
    /// Seed 003: authentication that can be bypassed is no authentication. A token without
    /// expiry lives forever; an unsigned one can be forged; without audience any token of the
    /// same provider is accepted; a literal key leaks with the repository; a token in the URL is
    /// logged.
    ///
    /// ## Example
    /// `<validate-jwt header-name="Authorization" require-expiration-time="false">…</validate-jwt>`
    ///
    /// ## Fix
    /// Keep expiry and signature required, list `<audiences>` (and `<issuers>`), keep keys in
    /// named values or certificates, and read the token from the `Authorization` header.
    pub const JWT_WEAK = {
        id: "jwt-weak",
        severity: Severity::Warning,
        summary: "validate-jwt without expiry, signature, audience or issuer checks, with a literal key, or from the query",
        level: Level::File(check),
        enabled: true,
        rank: 210,
    };
}

fn check(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut push = |span, message: String, help: &str| {
        out.push(Diagnostic {
            span,
            message,
            help: help.to_string(),
            fix: None,
        })
    };
    for &jwt in cx.elements().iter().filter(|e| e.name == "validate-jwt") {
        for name in ["require-expiration-time", "require-signed-tokens"] {
            if let Some(a) = jwt.attr(name) {
                if cx
                    .doc
                    .attr_value(cx.src, a)
                    .trim()
                    .eq_ignore_ascii_case("false")
                {
                    push(
                        a.name_span.start..a.value_span.end + 1,
                        format!(
                            "validate-jwt {name}=\"false\" accepts tokens {}",
                            if name.contains("expiration") {
                                "that never expire"
                            } else {
                                "without a signature, which anyone can forge"
                            }
                        ),
                        "remove the attribute (the default is true)",
                    );
                }
            }
        }
        if let Some(a) = jwt.attr("query-parameter-name") {
            push(
                a.name_span.start..a.value_span.end + 1,
                "validate-jwt reads the token from the query string, where URLs are logged"
                    .to_string(),
                "use header-name=\"Authorization\"",
            );
        }
        let has = |n: &str| jwt.elements().any(|c| c.name == n);
        if !has("audiences") {
            push(
                jwt.span.clone(),
                "validate-jwt has no <audiences>: a token issued for any other application of the same provider is accepted".to_string(),
                "add <audiences><audience>api://your-api</audience></audiences>",
            );
        }
        if !has("issuers") && !has("openid-config") {
            push(
                jwt.span.clone(),
                "validate-jwt has no <issuers> and no <openid-config>: the token's issuer is not checked".to_string(),
                "add <issuers> or <openid-config url=\"…/.well-known/openid-configuration\" />",
            );
        }
        for key in crate::apim::secrets::jwt_keys(cx.src, cx.doc, jwt) {
            let crate::apim::secrets::Kind::JwtKey { container } = key.kind else {
                continue;
            };
            push(
                key.span,
                format!(
                    "a literal key in <{container}>: it leaks with the repository and every export"
                ),
                "store it as a named value ({{jwt-signing-key}}) or use certificate-id",
            );
        }
    }
    out
}
