//! `akto-connect kong verify`: asks a running Kong's Admin API (through `net`) and prints the
//! checklist judged by `kong::verify`, through the one check model (`crate::check`).

use std::process::ExitCode;
use std::time::Duration;

use crate::check::{Check, Status};
use crate::cli::kong::{VerifyArgs, VerifyFormatArg};
use crate::http_url::BaseUrl;
use crate::kong::admin::{find_on_scope, FoundPlugin, NodeInfo};
use crate::kong::verify;
use crate::kong::{check_kong_name, Scope};
use crate::net::{Client, NetConfig, NetErrorKind, Request};
use crate::output;

/// Most pages of a plugin list followed (1000 plugins a page).
const MAX_PAGES: usize = 50;

struct Admin {
    client: Client,
    base: BaseUrl,
    token: Option<String>,
}

impl Admin {
    /// GET `path`; a transport failure is an error (exit 2), any HTTP status an answer.
    fn get(&self, path: &str) -> anyhow::Result<(u16, Option<serde_json::Value>)> {
        let mut req = Request::get(self.base.join(path)).header("accept", "application/json");
        if let Some(t) = &self.token {
            req = req.header("Kong-Admin-Token", t.clone());
        }
        let resp = self.client.send(&req).map_err(|e| {
            let why = match e.kind {
                NetErrorKind::TlsToPlainHttp => format!(
                    "{}: the server answered in plain HTTP, not TLS: use http:// for this port (Kong's Admin API listens in plain HTTP on 8001 and in TLS on 8444 by default)",
                    e.url
                ),
                _ => e.to_string(),
            };
            anyhow::anyhow!("cannot reach Kong's Admin API: {why} (give the Admin API with --admin-url or KONG_ADMIN_URL)")
        })?;
        if resp.credentials_withheld {
            anyhow::bail!(
                "Kong's Admin API at {} redirected {path} to another origin (or from https:// to http://); the admin token was not sent there, so the answer says nothing about it: give the Admin API's own URL with --admin-url or KONG_ADMIN_URL",
                crate::redact_url::redact_url(self.base.as_str())
            );
        }
        Ok((resp.status, resp.json().ok()))
    }
}

pub fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let scope = match (&args.service, &args.route, args.global) {
        (Some(s), _, _) => Scope::Service(s.clone()),
        (_, Some(r), _) => Scope::Route(r.clone()),
        _ => Scope::Global,
    };
    if let Some(n) = scope.name() {
        check_kong_name(scope.flag(), n)?;
    }
    let expected = args
        .service_url
        .as_deref()
        .map(|v| BaseUrl::parse("--service-url", v))
        .transpose()?;
    let base = super::kong::resolve_admin_url(args.admin_url.as_deref())?;
    if args.ca_file.is_some() && !base.is_https() {
        eprintln!(
            "warning: --ca-file is not used: the Admin API URL is http://, so there is no TLS certificate to check"
        );
    }
    let workspace = super::kong::resolve_workspace(args.workspace.as_deref())?;
    let token = std::env::var("KONG_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    if token
        .as_deref()
        .is_some_and(|t| t.chars().any(char::is_control))
    {
        anyhow::bail!(
            "KONG_ADMIN_TOKEN holds a control character (a line break?); export the token alone"
        );
    }
    let client = Client::new(NetConfig {
        timeout: Duration::from_secs(args.timeout),
        connect_timeout: Duration::from_secs(args.timeout.min(10)),
        retries: 1,
        max_retry_wait: Duration::from_secs(5),
        ca_file: args.ca_file.clone(),
        max_body: 16 * 1024 * 1024,
    })?;
    let admin = Admin {
        client,
        base: base.clone(),
        token,
    };
    let checks = run_checks(&admin, &scope, workspace.as_deref(), expected.as_ref())?;
    let report = verify::report(
        base.as_str(),
        &scope,
        workspace.as_deref(),
        checks,
        args.strict,
    );
    let text = match args.format {
        VerifyFormatArg::Text => report.to_text(),
        VerifyFormatArg::Json => report.to_json_text(),
    };
    // One masking step on the rendered text: an answer quoted in a check cannot echo the token.
    let text = crate::mask::mask(
        &text,
        &admin.token.as_deref().into_iter().collect::<Vec<_>>(),
    );
    output::emit(None, &text)?;
    Ok(report.exit_code())
}

fn run_checks(
    admin: &Admin,
    scope: &Scope,
    workspace: Option<&str>,
    expected: Option<&BaseUrl>,
) -> anyhow::Result<Vec<Check>> {
    let mut checks = Vec::new();
    let skip_rest = |checks: &mut Vec<Check>, from: usize, why: &str| {
        for id in verify::CHECK_IDS.iter().skip(1 + from) {
            checks.push(Check::skip(id, format!("not checked: {why}")));
        }
    };

    let (status, root) = admin.get("/")?;
    let mut reach = verify::admin_api(status, admin.token.is_some());
    if status == 404 && !admin.base.path().is_empty() {
        if let Some(fix) = &mut reach.fix {
            fix.push_str("; if the path in the URL is a Kong Enterprise workspace, give the Admin API's root with --admin-url and the workspace with --workspace NAME");
        }
    }
    let reached = reach.status == Status::Ok;
    checks.push(reach);
    if !reached {
        skip_rest(&mut checks, 0, "the Admin API did not answer GET /");
        return Ok(checks);
    }
    let info = match root.as_ref().map(NodeInfo::from_root) {
        Some(Ok(info)) => info,
        Some(Err(why)) => {
            checks.push(Check::fail(
                "kong",
                why,
                "check that --admin-url is Kong's Admin API",
            ));
            skip_rest(&mut checks, 1, "GET / did not describe a Kong node");
            return Ok(checks);
        }
        None => {
            checks.push(Check::fail(
                "kong",
                "GET / did not answer JSON",
                "check that --admin-url is Kong's Admin API (port 8001), not its proxy",
            ));
            skip_rest(&mut checks, 1, "GET / did not describe a Kong node");
            return Ok(checks);
        }
    };
    checks.push(verify::node(&info));
    // The live schema says which plugin the files at Akto's path are.
    let schema = if info.plugin_installed {
        Some(admin.get(&format!("/schemas/plugins/{}", crate::kong::PLUGIN))?)
    } else {
        None
    };
    checks.push(verify::installed_with_schema(
        &info,
        schema.as_ref().map(|(s, b)| (*s, b.as_ref())),
    ));

    let found = match find_plugin(admin, scope, workspace)? {
        Ok(found) => found,
        Err(check) => {
            checks.push(check);
            skip_rest(&mut checks, 3, "no plugin list");
            return Ok(checks);
        }
    };
    let hint = verify::EnableHint {
        service_url: expected,
        workspace,
        dbless: info.is_dbless().then_some(info.parsed),
    };
    let instance = verify::instance(found.as_ref(), scope, &hint);
    checks.push(instance);
    match &found {
        Some(p) => checks.push(verify::service_url(p, expected)),
        None => skip_rest(&mut checks, 3, "no plugin instance"),
    }
    Ok(checks)
}

/// The plugin on the scope, following `next` pages; `Err(check)` when the list cannot be read.
fn find_plugin(
    admin: &Admin,
    scope: &Scope,
    workspace: Option<&str>,
) -> anyhow::Result<Result<Option<FoundPlugin>, Check>> {
    let list = format!(
        "{}{}",
        crate::kong::workspace_prefix(workspace),
        scope.plugins_path()
    );
    let mut path = format!("{list}?size=1000");
    for _ in 0..MAX_PAGES {
        let (status, body) = admin.get(&path)?;
        match status {
            200 => {}
            404 => {
                return Ok(Err(Check::fail(
                    "instance",
                    match workspace {
                        Some(ws) => format!("Kong has no {} in workspace {ws}", scope.label()),
                        None => format!("Kong has no {}", scope.label()),
                    },
                    format!(
                        "check the name (`curl $KONG_ADMIN_URL/{}s`), or create it first",
                        scope.kind()
                    ),
                )))
            }
            s => {
                return Ok(Err(Check::fail(
                    "instance",
                    format!("GET {path} answered HTTP {s}"),
                    "check the Admin API's logs; with RBAC, the token needs read access to plugins",
                )))
            }
        }
        let Some(body) = body else {
            return Ok(Err(Check::fail(
                "instance",
                format!("GET {path} did not answer JSON"),
                "check that --admin-url is Kong's Admin API",
            )));
        };
        let (found, next) = find_on_scope(&body, scope).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e}",
                crate::redact_url::redact_url(&admin.base.join(&path))
            )
        })?;
        if found.is_some() {
            return Ok(Ok(found));
        }
        // Only the query (the offset) is taken from Kong's link: its path may name the scope
        // by id or carry a workspace, and it drops the page size.
        let query = next
            .as_deref()
            .and_then(|n| n.split_once('?'))
            .map(|(_, q)| q);
        match (next.as_deref(), query) {
            (None, _) => return Ok(Ok(None)),
            (Some(_), Some(q)) if q.contains("size=") => path = format!("{list}?{q}"),
            (Some(_), Some(q)) => path = format!("{list}?{q}&size=1000"),
            (Some(n), None) => {
                return Ok(Err(Check::fail(
                    "instance",
                    format!("unexpected next page {n:?} in GET {path}"),
                    "check the plugin list by hand",
                )))
            }
        }
    }
    Ok(Err(Check::fail(
        "instance",
        format!("more than {MAX_PAGES} pages of plugins"),
        "check the plugin list by hand",
    )))
}
