//! `apim apply`, `apim remove`, `apim pull` and `apim live-coverage`: the I/O around
//! [`crate::apim::live`]. Every scope is read first (text and ETag), the whole plan is shown as
//! unified diffs, the previous policies are backed up, and only then is anything written, each
//! write guarded by the ETag read. One scope's failure is named and does not stop the others.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail};

use crate::apim::azure::{self, ApimInstance, Cloud};
use crate::apim::capture::{self, FragmentIds, Scope};
use crate::apim::live::{self, Action, Change, Current, ScopeRef};
use crate::apim::remove::{self, RemoveError};
use crate::cli::apim_live::{
    ApplyArgs, ArmArgs, LiveCoverageArgs, LiveScopeArg, PullArgs, RemoveArgs, TargetArgs,
};
use crate::cli::specs::CloudArg;
use crate::error::{printable, refuse};
use crate::net::{Client, Method, NetConfig, Request, Response};
use crate::output;
use crate::report::LineIndex;

use super::arm::{arm_error, Arm};

/// The actions of the policy and fragment resources, for messages about a missing role.
const WRITE_ROLE_HINT: &str = "Microsoft.ApiManagement/service/policies/write, …/apis/policies/write, …/apis/operations/policies/write, …/products/policies/write, …/policyFragments/write";

struct Live {
    arm: Arm,
    instance: ApimInstance,
}

fn required<'a>(v: &'a Option<String>, flag: &str) -> anyhow::Result<&'a str> {
    v.as_deref().ok_or_else(|| {
        anyhow!("{flag} is required for a live command: give the instance's {flag} (or use --from FILE to work on a file)")
    })
}

impl Live {
    fn connect(a: &ArmArgs) -> anyhow::Result<Live> {
        let instance = ApimInstance::parse(
            required(&a.subscription, "--subscription")?,
            required(&a.resource_group, "--resource-group")?,
            required(&a.apim_service, "--apim-service")?,
        )?;
        let cloud = match a.cloud {
            CloudArg::Public => Cloud::Public,
            CloudArg::China => Cloud::China,
            CloudArg::Usgov => Cloud::UsGov,
        };
        let management = match &a.management_url {
            Some(u) => azure::parse_endpoint("--management-url", u)?
                .as_str()
                .to_string(),
            None => cloud.management_url().to_string(),
        };
        let authority = match &a.authority_url {
            Some(u) => azure::parse_endpoint("--authority-url", u)?
                .as_str()
                .to_string(),
            None => cloud.authority_url().to_string(),
        };
        let client = Client::new(NetConfig {
            timeout: Duration::from_secs(a.timeout),
            retries: a.retries,
            ca_file: a.ca_file.clone(),
            ..NetConfig::default()
        })?;
        let arm = Arm::connect(client, management, authority, &note)?;
        Ok(Live { arm, instance })
    }

    fn base(&self) -> String {
        format!(
            "{}{}",
            self.arm.management.trim_end_matches('/'),
            self.instance.scope()
        )
    }

    fn send(&self, req: Request, what: &str) -> Result<Response, String> {
        self.arm
            .send(req, what, &note)
            .map_err(|e| self.arm.hide(&e))
    }

    /// Why a request about `scope` failed, in words that name the fix.
    fn failure(&self, scope: &str, resp: &Response, writing: bool) -> String {
        match resp.status {
            403 => format!(
                "{} may not {} {scope} (HTTP 403{}): the role is missing on the instance; {}",
                self.arm.identity(),
                if writing { "change" } else { "read" },
                arm_error(resp),
                if writing {
                    format!("apply and remove need the policy and fragment read and write actions ({WRITE_ROLE_HINT}), pull their read actions; `akto-connect apim access --role policy-writer --subscription {} --resource-group {} --apim-service {}` writes the script that makes a custom role with exactly those and assigns it at {} (or --role reader for pull, --role contributor where no custom role may be made)", self.instance.subscription, self.instance.resource_group, self.instance.service, self.instance.scope())
                } else {
                    format!("reading needs at least \"{}\"; `akto-connect apim access --subscription {} --resource-group {} --apim-service {}` sets it up", azure::READER_ROLE_NAME, self.instance.subscription, self.instance.resource_group, self.instance.service)
                }
            ),
            404 => format!(
                "{scope} does not exist on the instance {} (HTTP 404{}); check the ids (case-sensitive) and --subscription, --resource-group, --apim-service",
                self.instance.service,
                arm_error(resp)
            ),
            412 => format!(
                "{scope} was changed by someone else since it was read (HTTP 412{}); it was left as it is: run again to see the new diff",
                arm_error(resp)
            ),
            s => format!("{scope}: HTTP {s}{}", arm_error(resp)),
        }
    }

    /// Every `value` of a paged list below the instance (`/apis`, `/products`, …).
    fn list(&self, rel: &str, what: &str) -> anyhow::Result<Vec<serde_json::Value>> {
        let mut url = format!("{}{rel}?api-version={}", self.base(), live::API_VERSION);
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(url.clone()) || seen.len() > 10_000 {
                bail!("{what}: the list's nextLink goes round in a loop; stopping");
            }
            let resp = self
                .send(Request::get(&url), what)
                .map_err(|e| anyhow!("{what}: {e}"))?;
            if resp.status != 200 {
                bail!("{}", self.failure(what, &resp, false));
            }
            let v: serde_json::Value = resp
                .json()
                .map_err(|_| anyhow!("{what}: the answer is not JSON"))?;
            out.extend(v["value"].as_array().cloned().unwrap_or_default());
            match v.get("nextLink").and_then(|n| n.as_str()) {
                Some(n) => {
                    crate::apim::specs::check_next_link(&self.arm.management, n)
                        .map_err(|e| anyhow!("{what}: {e}"))?;
                    url = n.to_string();
                }
                None => return Ok(out),
            }
        }
    }

    /// The policy of `scope`, `None` when it has none (404 on a policy of a scope that exists).
    fn get(&self, scope: &ScopeRef) -> Result<Option<Current>, String> {
        let resp = self.send(
            Request::get(scope.url(&self.arm.management, &self.instance)),
            &scope.label(),
        )?;
        match resp.status {
            200 => live::parse_policy(&resp.body, resp.header("etag"))
                .map(Some)
                .map_err(|e| format!("{}: {e}", scope.label())),
            404 if matches!(scope, ScopeRef::Global) => Ok(None),
            404 => {
                // No policy, or no such API/product/operation: ask the parent resource.
                let parent = match scope {
                    ScopeRef::Fragment(_) => return Ok(None),
                    _ => scope.url(&self.arm.management, &self.instance).replacen(
                        "/policies/policy?",
                        "?",
                        1,
                    ),
                };
                let p = self.send(Request::get(parent), &scope.label())?;
                if p.status == 404 {
                    Err(self.failure(&scope.label(), &p, false))
                } else {
                    Ok(None)
                }
            }
            _ => Err(self.failure(&scope.label(), &resp, false)),
        }
    }

    /// Writes one change with its precondition; the text sent is named in a refusal.
    fn write(&self, change: &Change, description: Option<&str>) -> Result<(), String> {
        let url = change.scope.url(&self.arm.management, &self.instance);
        let label = change.scope.label();
        let (header, value) = change.precondition();
        let req = match &change.after {
            Some(text) => Request::json(
                Method::Put,
                url,
                &live::put_body(&change.scope, text, description),
            ),
            None => Request::new(Method::Delete, url, None),
        }
        .header(header, value);
        let resp = self.send(req, &label)?;
        if resp.is_success() {
            return Ok(());
        }
        if resp.status == 400 {
            if let Some(r) = live::parse_refusal(&resp.body) {
                let mut msg = format!(
                    "APIM refused the policy of {label} on save (HTTP 400 {}): {}",
                    r.code,
                    r.messages.join("; ")
                );
                if let (Some((line, col)), Some(text)) = (r.line, &change.after) {
                    let shown = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
                    msg.push_str(&format!(
                        "\n    {}:{line}:{col}: {}",
                        change.scope.apiops_path(),
                        printable(shown.trim())
                    ));
                }
                msg.push_str("\n    nothing was changed there");
                return Err(msg);
            }
        }
        Err(self.failure(&label, &resp, true))
    }

    /// The current revisions of every API.
    fn apis(&self) -> anyhow::Result<Vec<serde_json::Value>> {
        Ok(self
            .list("/apis", "listing the APIs")?
            .into_iter()
            .filter(|a| a.pointer("/properties/isCurrent").and_then(|c| c.as_bool()) != Some(false))
            .collect())
    }
}

/// A retry or token note on standard error.
fn note(m: &str) {
    eprintln!("{}", printable(m));
}

fn name_of(v: &serde_json::Value) -> Option<String> {
    v.get("name")
        .and_then(|n| n.as_str())
        .filter(|n| live::safe_id(n))
        .map(str::to_string)
}

/// The scopes a live command works on.
fn targets(live: &Live, t: &TargetArgs) -> anyhow::Result<Vec<ScopeRef>> {
    let id = |v: &Option<String>, flag: &str, scope: &str| -> anyhow::Result<String> {
        match v.as_deref() {
            Some(x) if live::safe_id(x) => Ok(x.to_string()),
            Some(x) => Err(refuse(
                flag,
                x,
                "not an APIM id (no '/', '\\', control characters or '..')",
                "give the id as `az apim api list` shows it (name)",
            )),
            None => Err(refuse(
                flag,
                "",
                &format!("--scope {scope} needs {flag}"),
                &format!("add {flag} ID"),
            )),
        }
    };
    if t.all_apis {
        let apis = live.apis()?;
        return Ok(apis.iter().filter_map(name_of).map(ScopeRef::Api).collect());
    }
    Ok(vec![match t.scope {
        None => {
            return Err(refuse(
                "--scope",
                "",
                "no scope given",
                "give --scope global|product|api|operation (with its ids), or --all-apis",
            ))
        }
        Some(LiveScopeArg::Global) => ScopeRef::Global,
        Some(LiveScopeArg::Product) => {
            ScopeRef::Product(id(&t.product_id, "--product-id", "product")?)
        }
        Some(LiveScopeArg::Api) => ScopeRef::Api(id(&t.api_id, "--api-id", "api")?),
        Some(LiveScopeArg::Operation) => ScopeRef::Operation(
            id(&t.api_id, "--api-id", "operation")?,
            id(&t.operation_id, "--operation-id", "operation")?,
        ),
    }])
}

fn capture_scope(s: &ScopeRef) -> Scope {
    match s {
        ScopeRef::Global => Scope::Global,
        ScopeRef::Product(_) => Scope::Product,
        ScopeRef::Operation(..) => Scope::Operation,
        _ => Scope::Api,
    }
}

pub fn apply(args: &ApplyArgs) -> anyhow::Result<ExitCode> {
    let (mut opts, warnings) =
        super::apim::capture_options(&args.capture, capture::PolicyFormat::RawXml)?;
    if args.with_fragments {
        opts.fragments = Some(FragmentIds::with_prefix(
            "--fragment-prefix",
            &args.capture.fragment_prefix,
        )?);
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let live = Live::connect(&args.arm)?;
    let mut scopes = targets(&live, &args.target)?;
    let mut fragment_texts = Vec::new();
    if args.with_fragments {
        let (frags, w) = capture::render_fragments(&opts)?;
        for w in w {
            eprintln!("warning: {w}");
        }
        for f in frags {
            fragment_texts.push((ScopeRef::Fragment(f.id.clone()), f.text, f.description));
        }
        // The fragments first: a policy that includes them must not be saved before they exist.
        let mut all: Vec<ScopeRef> = fragment_texts.iter().map(|(s, _, _)| s.clone()).collect();
        all.append(&mut scopes);
        scopes = all;
    }
    let (steps, _) = capture::steps(&opts)?;
    run_plan(
        &live,
        &args.target,
        &scopes,
        |scope, before| {
            if let Some((_, text, _)) = fragment_texts.iter().find(|(s, _, _)| s == scope) {
                return Ok(Some(text.clone()));
            }
            match before {
                None => {
                    let mut o = opts.clone();
                    o.scope = capture_scope(scope);
                    Ok(Some(
                        capture::render(&o)
                            .map_err(|e| format!("{e:#}"))?
                            .artifact
                            .text,
                    ))
                }
                Some(c) => crate::apim::inject::inject(&c.text, &steps, scope.has_parent())
                    .map(|i| Some(i.text))
                    .map_err(|e| inject_failure(scope, &c.text, e)),
            }
        },
        &fragment_texts,
    )
}

pub fn remove(args: &RemoveArgs) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.from {
        if args.in_place && file.as_os_str() == "-" {
            return Err(refuse(
                "--in-place",
                "--from -",
                "standard input cannot be replaced",
                "give --from a file, or drop --in-place",
            ));
        }
        let (name, text) = super::read_input(file, "--from")?;
        let removed = remove::remove(&text).map_err(|e| remove_error(&name, &text, e))?;
        if removed.steps == 0 {
            eprintln!("note: --from {name}: no capture found; the policy is unchanged");
        } else {
            eprintln!(
                "note: --from {name}: took out {} capture step(s)",
                removed.steps
            );
        }
        let target = if args.in_place {
            Some(file.as_path())
        } else {
            args.output.as_deref()
        };
        if args.in_place && removed.steps == 0 {
            return Ok(ExitCode::SUCCESS);
        }
        output::emit(target, &removed.text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let live = Live::connect(&args.arm)?;
    let scopes = targets(&live, &args.target)?;
    run_plan(
        &live,
        &args.target,
        &scopes,
        |scope, before| {
            let Some(c) = before else { return Ok(None) };
            let r = remove::remove(&c.text)
                .map_err(|e| format!("{:#}", remove_error(&scope.apiops_path(), &c.text, e)))?;
            if r.steps == 0 {
                return Ok(Some(c.text.clone()));
            }
            // A policy apply created (nothing left but the generator's skeleton) goes again, as
            // there was none before.
            let created = r.only_defaults
                && scope.has_parent()
                && remove::created_skeleton(capture_scope(scope)).is_some_and(|k| k == r.text);
            Ok(if created { None } else { Some(r.text) })
        },
        &[],
    )
}

/// Why the capture could not be added to a scope's policy, with the place in its text.
fn inject_failure(scope: &ScopeRef, src: &str, e: crate::apim::inject::InjectError) -> String {
    use crate::apim::inject::InjectError as E;
    let at = |o: usize| {
        let (l, c) = LineIndex::new(src).line_col(o);
        format!("{}:{l}:{c}", scope.apiops_path())
    };
    match e {
        E::Unreadable { offset, message } => format!("{}: cannot read the policy: {message}; nothing was changed there", at(offset)),
        E::Fragment | E::NotPolicies { .. } => "the policy's root is not <policies>; nothing was changed there".to_string(),
        E::Nested { offset, within, .. } => format!("{}: a capture step stands inside <{within}>; move it back into its section or delete it; nothing was changed there", at(offset)),
        E::TooLarge { bytes } => format!("with the capture the policy would be {bytes} bytes, over APIM's 256 KiB; use --with-fragments; nothing was changed there"),
        E::Internal(p) => format!("internal error: the result failed its own check ({p}); nothing was changed there"),
    }
}

fn remove_error(name: &str, src: &str, e: RemoveError) -> anyhow::Error {
    let at = |o: usize| {
        let (l, c) = LineIndex::new(src).line_col(o);
        format!("{name}:{l}:{c}")
    };
    match e {
        RemoveError::Unreadable { offset, message } => anyhow!(
            "{}: cannot read the policy: {message}\n  help: fix the policy text there (`akto-connect lint` shows every problem); nothing was changed",
            at(offset)
        ),
        RemoveError::Nested { offset, within, within_offset } => anyhow!(
            "{}: a capture step stands inside <{within}> (at {}), not directly in its section; taking it out would change that element's logic\n  help: take it out by hand; nothing was changed",
            at(offset),
            at(within_offset)
        ),
    }
}

/// Reads every scope, plans, shows the diffs, backs up and writes. `after` computes the new
/// text of a scope from its current one (`None`: delete or leave absent).
fn run_plan(
    live: &Live,
    t: &TargetArgs,
    scopes: &[ScopeRef],
    after: impl Fn(&ScopeRef, Option<&Current>) -> Result<Option<String>, String>,
    fragments: &[(ScopeRef, String, String)],
) -> anyhow::Result<ExitCode> {
    let total = scopes.len();
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut changes: Vec<Change> = Vec::new();
    for (i, scope) in scopes.iter().enumerate() {
        let planned = live.get(scope).and_then(|before| {
            let new = after(scope, before.as_ref())?;
            Ok(Change {
                scope: scope.clone(),
                before,
                after: new,
            })
        });
        match planned {
            Ok(c) => {
                eprintln!(
                    "[{}/{total}] read {}: {}",
                    i + 1,
                    printable(&scope.label()),
                    describe(c.action(), true)
                );
                changes.push(c);
            }
            Err(why) => {
                eprintln!(
                    "[{}/{total}] read {}: FAILED",
                    i + 1,
                    printable(&scope.label())
                );
                failures.push((scope.label(), why));
            }
        }
    }
    // The plan, on standard output.
    let mut out = std::io::stdout().lock();
    for c in &changes {
        let _ = out.write_all(c.diff().as_bytes());
    }
    let _ = out.flush();
    drop(out);
    let to_write: Vec<&Change> = changes
        .iter()
        .filter(|c| c.action() != Action::Unchanged)
        .collect();
    let unchanged = changes.len() - to_write.len();
    if t.dry_run {
        eprintln!(
            "dry run: {} of {total} scope(s) would change, {unchanged} unchanged; nothing was written",
            to_write.len()
        );
        return finish(failures);
    }
    if !to_write.is_empty() {
        let dir = match &t.backup_dir {
            Some(d) => d.clone(),
            None => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                PathBuf::from(live::backup_folder_name(&live.instance.service, now))
            }
        };
        backup(&dir, &live.instance, &to_write)?;
        eprintln!(
            "backup of {} previous polic(ies) in {}",
            to_write.len(),
            dir.display()
        );
    }
    let (mut written, n) = (0, to_write.len());
    for (i, c) in to_write.iter().enumerate() {
        // A fragment keeps its description; a new one gets the generator's.
        let description = c
            .before
            .as_ref()
            .and_then(|b| b.description.clone())
            .or_else(|| {
                fragments
                    .iter()
                    .find(|(s, _, _)| *s == c.scope)
                    .map(|(_, _, d)| d.clone())
            });
        match live.write(c, description.as_deref()) {
            Ok(()) => {
                written += 1;
                eprintln!(
                    "[{}/{n}] {}: {}",
                    i + 1,
                    printable(&c.scope.label()),
                    describe(c.action(), false)
                );
            }
            Err(why) => {
                eprintln!("[{}/{n}] {}: FAILED", i + 1, printable(&c.scope.label()));
                failures.push((c.scope.label(), why));
            }
        }
    }
    eprintln!(
        "{written} of {total} scope(s) changed, {unchanged} unchanged, {} failed",
        failures.len()
    );
    finish(failures)
}

fn describe(a: Action, planned: bool) -> &'static str {
    match (a, planned) {
        (Action::Unchanged, _) => "unchanged",
        (Action::Create, true) => "to create",
        (Action::Update, true) => "to update",
        (Action::Delete, true) => "to delete",
        (Action::Create, false) => "created",
        (Action::Update, false) => "updated",
        (Action::Delete, false) => "deleted",
    }
}

fn finish(failures: Vec<(String, String)>) -> anyhow::Result<ExitCode> {
    if failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("{} failed:", failures.len());
    for (scope, why) in &failures {
        eprintln!("  {}: {}", printable(scope), why);
    }
    Ok(ExitCode::from(1))
}

/// Saves the previous text of every scope about to change (APIOps layout) and manifest.json,
/// all before the first write; a scope that had no policy is listed as such.
fn backup(dir: &Path, instance: &ApimInstance, changes: &[&Change]) -> anyhow::Result<()> {
    let mut files: Vec<(String, String)> = changes
        .iter()
        .filter_map(|c| {
            c.before
                .as_ref()
                .map(|b| (c.scope.apiops_path(), b.text.clone()))
        })
        .collect();
    let saved: Vec<(ScopeRef, bool)> = changes
        .iter()
        .map(|c| (c.scope.clone(), c.before.is_some()))
        .collect();
    files.push((
        "manifest.json".to_string(),
        live::manifest(instance, &saved),
    ));
    write_tree(dir, &files).map_err(|e| {
        anyhow!(
            "--backup-dir {}: {e:#}; nothing was changed on the instance",
            dir.display()
        )
    })
}

/// Writes files (paths relative to `dir`) through the one write path.
fn write_tree(dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    let set: Vec<crate::render::artifact::Artifact> = files
        .iter()
        .map(|(rel, text)| crate::render::artifact::Artifact::new(rel, text.clone()))
        .collect();
    output::deliver(&set, output::Destination::Dir(dir))?;
    Ok(())
}

/// Pulls the instance into `files` (APIOps layout, relative paths).
fn pull_files(live: &Live) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    let policy = |scope: ScopeRef, files: &mut Vec<(String, String)>| -> anyhow::Result<()> {
        if let Some(c) = live.get(&scope).map_err(|e| anyhow!("{e}"))? {
            files.push((scope.apiops_path(), c.text));
        }
        Ok(())
    };
    policy(ScopeRef::Global, &mut files)?;
    let apis = live.apis()?;
    eprintln!("pulling {} API(s)", apis.len());
    for api in &apis {
        let Some(a) = name_of(api) else { continue };
        files.push((format!("apis/{a}/apiInformation.json"), pretty(api)));
        policy(ScopeRef::Api(a.clone()), &mut files)?;
        for op in live.list(
            &format!("/apis/{}/operations", crate::apim::specs::encode(&a)),
            &format!("listing the operations of API {a}"),
        )? {
            let Some(o) = name_of(&op) else { continue };
            policy(ScopeRef::Operation(a.clone(), o), &mut files)?;
        }
    }
    for product in live.list("/products", "listing the products")? {
        let Some(p) = name_of(&product) else { continue };
        files.push((
            format!("products/{p}/productInformation.json"),
            pretty(&product),
        ));
        let members: Vec<serde_json::Value> = live
            .list(
                &format!("/products/{}/apis", crate::apim::specs::encode(&p)),
                &format!("listing the APIs of product {p}"),
            )?
            .iter()
            .filter_map(name_of)
            .map(|n| serde_json::json!({ "name": n }))
            .collect();
        files.push((
            format!("products/{p}/apis.json"),
            pretty(&serde_json::Value::Array(members)),
        ));
        policy(ScopeRef::Product(p), &mut files)?;
    }
    for frag in live.list("/policyFragments", "listing the policy fragments")? {
        let Some(f) = name_of(&frag) else { continue };
        let scope = ScopeRef::Fragment(f.clone());
        if let Some(c) = live.get(&scope).map_err(|e| anyhow!("{e}"))? {
            let info = serde_json::json!({
                "name": f,
                "properties": { "description": c.description.clone().unwrap_or_default(), "format": "rawxml" },
            });
            files.push((scope.apiops_path(), c.text));
            files.push((
                format!("policy fragments/{f}/policyFragmentInformation.json"),
                pretty(&info),
            ));
        }
    }
    Ok(files)
}

pub fn pull(args: &PullArgs) -> anyhow::Result<ExitCode> {
    let live = Live::connect(&args.arm)?;
    let files = pull_files(&live)?;
    write_tree(&args.out, &files)?;
    eprintln!("{} file(s) written to {}", files.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}

pub fn live_coverage(args: &LiveCoverageArgs) -> anyhow::Result<ExitCode> {
    if let Some(m) = args.min_coverage {
        if !(0.0..=100.0).contains(&m) {
            return Err(refuse(
                "--min-coverage",
                &m.to_string(),
                "outside 0..100",
                "give a percentage like 90",
            ));
        }
    }
    let live = Live::connect(&args.arm)?;
    let files = pull_files(&live)?;
    let tmp = tempfile::tempdir().map_err(|e| anyhow!("cannot make a temporary folder: {e}"))?;
    write_tree(tmp.path(), &files)?;
    super::apim_tree::coverage(&crate::cli::apim_tree::CoverageArgs {
        dir: tmp.path().to_path_buf(),
        format: args.format,
        min_coverage: args.min_coverage,
        output: args.output.clone(),
    })
}
