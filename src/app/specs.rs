//! `akto-connect apim specs`: gets a client-credentials token, lists the instance's APIs,
//! exports each with bounded concurrency, and writes the definitions and `index.json`,
//! leaving unchanged files untouched.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};

use crate::apim::azure::{self, ApimInstance, Cloud, READER_ROLE_ID, READER_ROLE_NAME};
use crate::apim::specs::{self, ApiEntry, IndexEntry, SpecFormat};
use crate::cli::specs::{CloudArg, SpecArg, SpecsArgs};
use crate::error::printable;
use crate::net::{Client, NetConfig, Request, Response};

use super::arm::{arm_error, Arm};
use crate::output;

const INDEX: &str = "index.json";

/// What every export needs; shared by the worker threads.
struct Ctx<'a> {
    arm: Arm,
    instance: ApimInstance,
    format: SpecFormat,
    out: &'a Path,
    progress: Progress,
}

/// One exported API.
struct Outcome {
    entry: IndexEntry,
    written: bool,
}

pub fn run(args: &SpecsArgs) -> anyhow::Result<ExitCode> {
    let instance =
        ApimInstance::parse(&args.subscription, &args.resource_group, &args.apim_service)?;
    for api in &args.api {
        // APIM's API ids are at most 256 characters; `;rev=N` may follow.
        crate::error::check_line(
            "--api",
            api,
            300,
            "give an API id as `az apim api list` shows it (name), e.g. --api orders",
        )?;
    }
    let cloud = match args.cloud {
        CloudArg::Public => Cloud::Public,
        CloudArg::China => Cloud::China,
        CloudArg::Usgov => Cloud::UsGov,
    };
    let management = match &args.management_url {
        Some(u) => azure::parse_endpoint("--management-url", u)?
            .as_str()
            .to_string(),
        None => cloud.management_url().to_string(),
    };
    let authority = match &args.authority_url {
        Some(u) => azure::parse_endpoint("--authority-url", u)?
            .as_str()
            .to_string(),
        None => cloud.authority_url().to_string(),
    };
    let format = match args.spec {
        SpecArg::OpenapiJson => SpecFormat::OpenApiJson,
        SpecArg::OpenapiYaml => SpecFormat::OpenApiYaml,
        SpecArg::Swagger => SpecFormat::Swagger,
    };
    if args.out.exists() && !args.out.is_dir() {
        bail!(
            "--out {}: not a directory; give a directory for the definitions",
            args.out.display()
        );
    }
    let client = Client::new(NetConfig {
        timeout: Duration::from_secs(args.timeout),
        retries: args.retries,
        ca_file: args.ca_file.clone(),
        ..NetConfig::default()
    })?;
    let progress = Progress::new(std::io::stderr().is_terminal());
    let arm = Arm::connect(client, management, authority, &|m| progress.note(m))?;
    let ctx = Ctx {
        arm,
        instance,
        format,
        out: &args.out,
        progress,
    };

    let all = ctx.list_apis()?;
    let (chosen, missing) = specs::select(&all, &args.api, args.include_revisions);
    let (chosen, no_openapi): (Vec<ApiEntry>, Vec<ApiEntry>) =
        chosen.into_iter().partition(ApiEntry::has_openapi);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("--out {}: cannot create the directory", args.out.display()))?;

    let results = export_all(&ctx, &chosen, args.jobs as usize);
    ctx.progress.finish();

    // index.json: this run's exports; for an API that failed, its previous entry while its
    // file is still there; with --api, the previous entries of the APIs not asked for.
    let index_path = args.out.join(INDEX);
    let previous = std::fs::metadata(&index_path)
        .is_ok_and(|m| m.is_file())
        .then(|| crate::input::read_capped(&index_path).ok())
        .flatten()
        .and_then(|b| String::from_utf8(b).ok())
        .map(|t| specs::parse_index(&t))
        .unwrap_or_default();
    let mut entries = Vec::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    let (mut written, mut unchanged) = (0, 0);
    for (api, result) in chosen.iter().zip(results) {
        match result {
            Ok(o) => {
                if o.written {
                    written += 1;
                } else {
                    unchanged += 1;
                }
                entries.push(o.entry);
            }
            Err(why) => {
                entries.extend(
                    previous
                        .iter()
                        .filter(|p| p.id == api.name && args.out.join(&p.file).is_file())
                        .cloned(),
                );
                failures.push((api.name.clone(), why));
            }
        }
    }
    if !args.api.is_empty() {
        entries.extend(
            previous
                .iter()
                .filter(|p| !chosen.iter().any(|c| c.name == p.id))
                .cloned(),
        );
    }
    for m in &missing {
        failures.push((
            m.clone(),
            "--api names no API of this instance (ids are case-sensitive; a revision is ID;rev=N)"
                .to_string(),
        ));
    }
    // Definition files in the directory that this index does not list (never the file of an
    // API that failed this time: it may be its last good copy).
    let failed_files: Vec<String> = failures
        .iter()
        .map(|(name, _)| specs::file_name(name, format))
        .collect();
    let listed: std::collections::HashSet<&str> = entries
        .iter()
        .map(|e| e.file.as_str())
        .chain(failed_files.iter().map(String::as_str))
        .collect();
    let mut stale: Vec<String> = std::fs::read_dir(&args.out)
        .with_context(|| format!("--out {}: cannot list the directory", args.out.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|f| specs::is_own_file(f) && !listed.contains(f.as_str()))
        .collect();
    stale.sort_unstable();
    if args.prune {
        for f in &stale {
            std::fs::remove_file(args.out.join(f)).with_context(|| {
                format!("--prune: cannot delete {}", args.out.join(f).display())
            })?;
        }
    }
    let index_written = write_if_changed(&index_path, specs::render_index(&entries).as_bytes())?;

    let mut summary = format!(
        "{} of {} APIs exported to {}: {written} written, {unchanged} unchanged; {INDEX} {}",
        written + unchanged,
        chosen.len() + missing.len(),
        args.out.display(),
        if index_written {
            "written"
        } else {
            "unchanged"
        }
    );
    if !no_openapi.is_empty() {
        summary.push_str(&format!(
            "\n{} skipped: GraphQL, WebSocket and gRPC APIs have no OpenAPI definition ({})",
            no_openapi.len(),
            shorten(no_openapi.iter().map(|a| a.name.as_str()))
        ));
    }
    if !stale.is_empty() {
        summary.push_str(&format!(
            "\n{} file(s) of APIs no longer exported {}: {}",
            stale.len(),
            if args.prune {
                "deleted"
            } else {
                "left in place (--prune deletes them)"
            },
            shorten(stale.iter().map(String::as_str))
        ));
    }
    if failures.is_empty() {
        eprintln!("{summary}");
        return Ok(ExitCode::SUCCESS);
    }
    summary.push_str(&format!("\n{} failed:", failures.len()));
    for (name, why) in &failures {
        summary.push_str(&format!("\n  {}: {why}", printable(name)));
    }
    eprintln!("{summary}");
    Ok(ExitCode::from(1))
}

/// Exports `apis` on at most `jobs` threads; the results in the order of `apis`.
fn export_all(ctx: &Ctx, apis: &[ApiEntry], jobs: usize) -> Vec<Result<Outcome, String>> {
    ctx.progress.start(apis.len());
    crate::par::map_ordered(jobs, crate::par::DEFAULT_STACK, apis, |api| {
        let result = ctx.export_one(api);
        ctx.progress.done(&api.name, &result);
        result
    })
}

impl Ctx<'_> {
    fn arm_get(&self, url: &str, what: &str) -> Result<Response, String> {
        self.arm
            .send(Request::get(url), what, &|m| self.progress.note(m))
    }

    fn role_missing(&self, resp: &Response) -> String {
        format!(
            "{} may not read {} (HTTP 403{}): the role \"{READER_ROLE_NAME}\" ({READER_ROLE_ID}) is missing on the instance; assign it with the script from `akto-connect apim access --subscription {} --resource-group {} --apim-service {}` (a new assignment can take a few minutes to apply)",
            self.arm.identity(),
            self.instance.scope(),
            arm_error(resp),
            self.instance.subscription,
            self.instance.resource_group,
            self.instance.service
        )
    }

    fn list_apis(&self) -> anyhow::Result<Vec<ApiEntry>> {
        let mut url = specs::list_url(&self.arm.management, &self.instance);
        let mut seen = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        let mut all = Vec::new();
        loop {
            if !seen.insert(url.clone()) || seen.len() > 10_000 {
                bail!("the API list's nextLink goes round in a loop; stopping");
            }
            let resp = self
                .arm_get(&url, "listing APIs")
                .map_err(|e| anyhow!("listing the APIs: {e}"))?;
            match resp.status {
                200 => {}
                401 => bail!(
                    "Resource Manager refused the token (HTTP 401{}); check AZURE_TENANT_ID: it must be the tenant of subscription {}",
                    arm_error(&resp),
                    self.instance.subscription
                ),
                403 => bail!("{}", self.role_missing(&resp)),
                404 => bail!(
                    "no API Management instance at {} (HTTP 404{}); check --subscription, --resource-group and --apim-service",
                    self.instance.scope(),
                    arm_error(&resp)
                ),
                s => bail!("listing the APIs failed: HTTP {s}{}", arm_error(&resp)),
            }
            let (apis, next) = specs::parse_list_page(&resp.body).map_err(|e| anyhow!(e))?;
            // A nextLink that changes on every page but serves APIs already listed never ends
            // by itself: each page must bring at least one API not seen before.
            let before = names.len();
            names.extend(apis.iter().map(|a| a.name.clone()));
            if !apis.is_empty() && names.len() == before && next.is_some() {
                bail!(
                    "the API list's nextLink goes round in a loop (page {} lists only APIs already listed); stopping",
                    seen.len()
                );
            }
            all.extend(apis);
            match next {
                Some(n) => {
                    specs::check_next_link(&self.arm.management, &n).map_err(|e| anyhow!(e))?;
                    url = n;
                }
                None => return Ok(all),
            }
        }
    }

    fn export_one(&self, api: &ApiEntry) -> Result<Outcome, String> {
        let url = specs::export_url(&self.arm.management, &self.instance, &api.name, self.format);
        let resp = self.arm_get(&url, &api.name)?;
        match resp.status {
            200 => {}
            403 => return Err(self.role_missing(&resp)),
            404 => {
                return Err(format!(
                    "export: HTTP 404{} (deleted during the run?)",
                    arm_error(&resp)
                ))
            }
            s => return Err(format!("export: HTTP {s}{}", arm_error(&resp))),
        }
        let link = specs::parse_export(&resp.body)?;
        specs::check_export_link(&self.arm.management, &link)?;
        // The link carries its own SAS signature: no bearer token goes with it.
        let download = self
            .arm
            .client
            .send_with(&Request::get(&link), |why, wait| {
                self.progress.note(&format!(
                    "{}: download: {why}, retrying in {:.1} s",
                    api.name,
                    wait.as_secs_f64()
                ))
            })
            .map_err(|e| format!("download: {e}"))?;
        if !download.is_success() {
            return Err(format!(
                "download: HTTP {} from {} (the link is valid 5 minutes; run again)",
                download.status,
                crate::redact_url::redact_url(&link)
            ));
        }
        let bytes = download.body;
        specs::check_definition(&bytes, self.format)?;
        let entry = IndexEntry::new(api, self.format, specs::sha256_hex(&bytes));
        let written =
            write_if_changed(&self.out.join(&entry.file), &bytes).map_err(|e| format!("{e:#}"))?;
        Ok(Outcome { entry, written })
    }
}

/// Up to ten names, comma-separated, then how many more.
fn shorten<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(printable).collect();
    let mut text = names
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        text.push_str(&format!(" and {} more", names.len() - 10));
    }
    text
}

/// Writes `bytes` to `path` atomically unless the file already holds exactly them; returns
/// whether it wrote. Definitions are UTF-8 (checked before), so the text path keeps every byte.
fn write_if_changed(path: &Path, bytes: &[u8]) -> anyhow::Result<bool> {
    // Only a regular file is compared (a FIFO there would block, a device never end); anything
    // else goes to the write path, which refuses it.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    if regular && crate::input::read_capped(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| anyhow!("{}: not UTF-8", path.display()))?;
    output::write_atomic(path, text)?;
    Ok(true)
}

/// Progress on standard error: a bar redrawn in place on a terminal, one line per API otherwise
/// (CI logs).
struct Progress {
    tty: bool,
    state: Mutex<(usize, usize, usize)>, // done, failed, total
}

impl Progress {
    fn new(tty: bool) -> Self {
        Self {
            tty,
            state: Mutex::new((0, 0, 0)),
        }
    }

    fn start(&self, total: usize) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *s = (0, 0, total);
        if self.tty {
            draw_bar(*s, "");
        }
    }

    fn done(&self, name: &str, result: &Result<Outcome, String>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 += 1;
        if result.is_err() {
            s.1 += 1;
        }
        if self.tty {
            draw_bar(*s, name);
            return;
        }
        let what = match result {
            Ok(o) if o.written => format!("written {}", o.entry.file),
            Ok(o) => format!("unchanged {}", o.entry.file),
            Err(why) => format!("FAILED: {why}"),
        };
        eprintln!("[{}/{}] {}: {what}", s.0, s.2, printable(name));
    }

    /// A message between progress updates (a retry).
    fn note(&self, msg: &str) {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.tty {
            eprint!("\r\x1b[2K");
            eprintln!("{}", printable(msg));
            draw_bar(*s, "");
        } else {
            eprintln!("{}", printable(msg));
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

fn draw_bar((done, failed, total): (usize, usize, usize), name: &str) {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
    let name: String = printable(name).chars().take(40).collect();
    let failed = if failed > 0 {
        format!(" ({failed} failed)")
    } else {
        String::new()
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r\x1b[2K[{}{}] {done}/{total}{failed} {name}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled)
    );
    let _ = err.flush();
}
