//! `akto-connect apim policy` and `akto-connect apim fragments`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::apim::capture::{
    self, CaptureOptions, Digits, FragmentIds, FragmentLayout, NamedValueName, PolicyFormat, Scope,
};
use crate::apim::inject::{self, InjectError, MAX_POLICY_BYTES};
use crate::apim::patterns::{self, PatternSource, RegexList};
use crate::cli::apim::{CaptureArgs, FormatArg, FragmentsArgs, PolicyArgs, ScopeArg};
use crate::error::refuse;
use crate::http_url::BaseUrl;
use crate::output::{self, Destination};
use crate::report::LineIndex;

use super::read_input;

pub fn policy(args: &PolicyArgs) -> anyhow::Result<ExitCode> {
    let scope = match args.scope {
        ScopeArg::Global => Scope::Global,
        ScopeArg::Product => Scope::Product,
        ScopeArg::Api => Scope::Api,
        ScopeArg::Operation => Scope::Operation,
    };
    let iac = iac_target(args.format);
    if !args.with_fragments && args.capture.fragment_prefix != "akto" {
        return Err(refuse(
            "--fragment-prefix",
            &args.capture.fragment_prefix,
            "apim policy uses the fragment ids only with --with-fragments",
            "add --with-fragments to include the fragments, or leave --fragment-prefix out",
        ));
    }
    if args.in_place {
        if let Some(kind) = iac {
            return Err(refuse(
                "--in-place",
                &format!("--format {}", kind.name()),
                "--in-place replaces FILE with the policy, and --format arm|bicep|terraform writes infrastructure files instead of a policy",
                "drop --in-place and give -o, or drop --format",
            ));
        }
        if args.into.as_deref().is_some_and(|f| f.as_os_str() == "-") {
            return Err(refuse(
                "--in-place",
                "--into -",
                "standard input cannot be replaced",
                "give --into a file, or drop --in-place and use -o",
            ));
        }
    }
    let names = match iac {
        Some(_) => Some(crate::apim::iac::Names::for_policy(
            scope,
            args.iac.apim_service.as_deref(),
            args.iac.api_id.as_deref(),
            args.iac.operation_id.as_deref(),
            args.iac.product_id.as_deref(),
        )?),
        None => None,
    };
    let output_dir = check_output(iac, args.output.as_deref())?;
    let (mut opts, mut warnings) = capture_options(&args.capture, PolicyFormat::RawXml)?;
    opts.scope = scope;
    if args.with_fragments {
        opts.fragments = Some(FragmentIds::with_prefix(
            "--fragment-prefix",
            &args.capture.fragment_prefix,
        )?);
    }
    let policy = match &args.into {
        None => {
            opts.format = text_format(args.format);
            let rendered = capture::render(&opts)?;
            warnings.extend(rendered.warnings);
            rendered.artifact
        }
        Some(file) => {
            let (name, original) = read_input(file, "--into")?;
            opts.format = match args.format {
                Some(FormatArg::Xml) if !capture::is_well_formed_xml(&original) => {
                    return Err(refuse(
                        "--format",
                        "xml",
                        &format!("--into {name} is not well-formed XML (the rawxml form, with raw expressions), so the result would not be either, and APIM refuses it with format xml"),
                        "drop --format: the capture then follows the file's rawxml form (deploy it as rawxml)",
                    ));
                }
                Some(FormatArg::Xml) => PolicyFormat::Xml,
                Some(_) => PolicyFormat::RawXml,
                None if capture::is_well_formed_xml(&original) => PolicyFormat::Xml,
                None => PolicyFormat::RawXml,
            };
            let (steps, step_warnings) = capture::steps(&opts)?;
            warnings.extend(step_warnings);
            let injected = inject::inject(&original, &steps, scope != Scope::Global)
                .map_err(|e| inject_error(&name, &original, e))?;
            for section in &injected.added_sections {
                let base = match (scope == Scope::Global, *section) {
                    (false, _) => " with <base />",
                    (true, "backend") => " with <forward-request />",
                    (true, _) => "",
                };
                eprintln!("note: --into {name} had no <{section}>; added one{base}");
            }
            if let Some(old) = &injected.legacy_patterns {
                if args.capture.regex.is_empty() && args.capture.regex_file.is_empty() {
                    eprintln!("warning: --into {name}: replaced the capture of Akto's documented policy, whose regexList was \"{old}\"; without --regex the new capture takes every path. Give those patterns again with --regex (separated by ; there, one per --regex here)");
                } else {
                    eprintln!("note: --into {name}: replaced the capture of Akto's documented policy, whose regexList was \"{old}\"; the new capture uses your --regex/--regex-file patterns");
                }
            }
            for (offset, section) in &injected.kept {
                let (line, col) = LineIndex::new(&original).line_col(*offset);
                eprintln!("note: --into {name}:{line}:{col}: a capture step in <{section}> was left as it is (--into replaces the capture in <inbound> and <outbound> only); update it by hand if the options changed");
            }
            capture::policy_artifact(capture::POLICY_FILE, injected.text, opts.format)
        }
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let (files, dest) = match (iac, names) {
        (Some(kind), Some(names)) => {
            // The fragments the policy includes, for the IaC files to order them first.
            let fragments = if args.with_fragments {
                let mut fopts = opts.clone();
                fopts.format = PolicyFormat::RawXml;
                Some(capture::render_fragments(&fopts)?.0)
            } else {
                None
            };
            let files =
                crate::apim::iac::policy_files(kind, &names, &policy.text, fragments.as_deref())?;
            let dest = match output_dir.as_deref() {
                Some(dir) => Destination::Dir(dir),
                None => Destination::file_or_stdout(args.output.as_deref()),
            };
            (files, dest)
        }
        _ => {
            let target = if args.in_place {
                args.into.as_deref()
            } else {
                args.output.as_deref()
            };
            (vec![policy], Destination::file_or_stdout(target))
        }
    };
    output::deliver(&files, dest)?;
    Ok(ExitCode::SUCCESS)
}

pub fn fragments(args: &FragmentsArgs) -> anyhow::Result<ExitCode> {
    let iac = iac_target(Some(args.format));
    let service = match iac {
        Some(_) => Some(crate::apim::iac::Names::for_fragments(
            args.apim_service.as_deref(),
        )?),
        None => None,
    };
    if iac.is_some() && args.apiops.is_some() {
        return Err(refuse(
            "--apiops",
            &args
                .apiops
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            "APIOps folders hold policy files, not ARM, Bicep or Terraform",
            "drop --format, or drop --apiops and give -o",
        ));
    }
    let (mut opts, mut warnings) = capture_options(&args.capture, text_format(Some(args.format)))?;
    opts.fragments = Some(FragmentIds::with_prefix(
        "--fragment-prefix",
        &args.capture.fragment_prefix,
    )?);
    let (fragments, render_warnings) = capture::render_fragments(&opts)?;
    warnings.extend(render_warnings);
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let format = text_format(Some(args.format));
    let (files, dest) = match (iac, service, &args.apiops) {
        (Some(kind), Some(names), _) => {
            check_output(Some(kind), args.output.as_deref())?;
            let files = crate::apim::iac::fragment_files(kind, &names, &fragments)?;
            let dest = match (kind, args.output.as_deref()) {
                (crate::apim::iac::Kind::Arm, out) => Destination::file_or_stdout(out),
                (_, Some(dir)) => Destination::Dir(dir),
                (_, None) => Destination::Stdout,
            };
            (files, dest)
        }
        (_, _, Some(dir)) => (
            capture::fragment_files(&fragments, format, FragmentLayout::ApiOps),
            Destination::Dir(dir),
        ),
        _ => match args.output.as_deref() {
            Some(dir) if dir.as_os_str() != "-" => (
                capture::fragment_files(&fragments, format, FragmentLayout::Files),
                Destination::Dir(dir),
            ),
            given => {
                let problem = "two fragments are written as two files, so a folder is needed";
                let help = "give -o DIR (writes <id>.xml for each) or --apiops DIR";
                return Err(match given {
                    Some(p) => refuse("-o", &p.display().to_string(), problem, help),
                    None => crate::error::refuse_missing("-o", problem, help),
                });
            }
        },
    };
    output::deliver(&files, dest)?;
    Ok(ExitCode::SUCCESS)
}

fn text_format(format: Option<FormatArg>) -> PolicyFormat {
    match format {
        Some(FormatArg::Xml) => PolicyFormat::Xml,
        _ => PolicyFormat::RawXml,
    }
}

fn iac_target(format: Option<FormatArg>) -> Option<crate::apim::iac::Kind> {
    use crate::apim::iac::Kind;
    match format {
        Some(FormatArg::Arm) => Some(Kind::Arm),
        Some(FormatArg::Bicep) => Some(Kind::Bicep),
        Some(FormatArg::Terraform) => Some(Kind::Terraform),
        _ => None,
    }
}

/// Bicep and Terraform write two files and need `-o DIR`; the folder is created if missing.
fn check_output(
    iac: Option<crate::apim::iac::Kind>,
    output: Option<&Path>,
) -> anyhow::Result<Option<PathBuf>> {
    use crate::apim::iac::Kind;
    match iac {
        Some(kind @ (Kind::Bicep | Kind::Terraform)) => match output {
            Some(dir) if dir.as_os_str() != "-" => {
                if dir.exists() && !dir.is_dir() {
                    return Err(refuse(
                        "-o",
                        &dir.display().to_string(),
                        &format!("--format {} writes two files (the {} file and the policy file it loads), so -o names a folder, and this is a file", kind.name(), kind.name()),
                        "give a folder (it is created if missing)",
                    ));
                }
                Ok(Some(dir.to_path_buf()))
            }
            given => {
                let problem = format!("--format {} writes two files (the {} file and the policy file it loads, so no policy text is re-escaped)", kind.name(), kind.name());
                let help = "give -o DIR (created if missing)";
                Err(match given {
                    Some(p) => refuse("-o", &p.display().to_string(), &problem, help),
                    None => crate::error::refuse_missing("-o", &problem, help),
                })
            }
        },
        _ => Ok(None),
    }
}

fn inject_error(name: &str, src: &str, e: InjectError) -> anyhow::Error {
    let at = |offset: usize| {
        let (line, col) = LineIndex::new(src).line_col(offset);
        format!("{name}:{line}:{col}")
    };
    match e {
        InjectError::Unreadable { offset, message } => anyhow::anyhow!(
            "--into {}: cannot read the policy: {message}\n  help: fix the policy text there (`akto-connect lint {name}` shows every problem); nothing was written",
            at(offset)
        ),
        InjectError::Fragment => anyhow::anyhow!(
            "--into {name}: the root is <fragment>: the capture goes into a policy (<policies>), not into a fragment\n  help: for fragments use `akto-connect apim fragments`, then `--with-fragments --into` a policy; nothing was written"
        ),
        InjectError::NotPolicies { offset, root } => anyhow::anyhow!(
            "--into {}: the root is <{root}>, not <policies>\n  help: give an APIM policy document (root <policies>); nothing was written",
            at(offset)
        ),
        InjectError::Nested {
            offset,
            step,
            section,
            within,
            within_offset,
        } => anyhow::anyhow!(
            "--into {}: the policy already holds a capture step (<{step}>) inside <{within}> (at {}), not directly in <{section}>: it cannot be replaced there, and adding the capture beside it would capture twice\n  help: move the capture's steps back directly into <inbound>/<outbound>, or delete them, then run again (or edit that capture by hand); nothing was written",
            at(offset),
            at(within_offset)
        ),
        InjectError::TooLarge { bytes } => anyhow::anyhow!(
            "--into {name}: with the capture the policy would be {bytes} bytes, over APIM's limit of {MAX_POLICY_BYTES} bytes (256 KiB)\n  help: use --with-fragments (two short includes instead of the inline steps), or move parts of the policy into fragments; nothing was written"
        ),
        InjectError::Internal(problem) => anyhow::anyhow!(
            "internal error: adding the capture to {name} failed its own check ({problem}); nothing was written. Please report this with the file and command line you used."
        ),
    }
}

pub(super) fn capture_options(
    args: &CaptureArgs,
    format: PolicyFormat,
) -> anyhow::Result<(CaptureOptions, Vec<String>)> {
    let mut sources: Vec<PatternSource> = args
        .regex
        .iter()
        .enumerate()
        .map(|(i, p)| PatternSource {
            origin: format!("--regex #{}", i + 1),
            text: p.clone(),
        })
        .collect();
    for file in &args.regex_file {
        let (name, content) = read_input(file, "--regex-file")?;
        let found = patterns::parse_pattern_file(&name, &content);
        if found.is_empty() {
            // A file meant to narrow the capture that narrows nothing: refused, so that a
            // truncated or mistyped file never silently captures every path.
            let what = if content.trim().is_empty() {
                "is empty"
            } else {
                "holds only blank lines and # comments"
            };
            anyhow::bail!(
                "--regex-file {name}: {what}, so it names no path to capture\n  help: add one .NET regex per line (e.g. ^/api/v1/); to capture every path, leave out --regex-file (no --regex and no --regex-file captures every path); nothing was written"
            );
        }
        sources.extend(found);
    }
    let ingest_url = BaseUrl::parse("--ingest-url", &args.ingest_url)?;
    let patterns = RegexList::new(&sources)?;
    let warnings = RegexList::check_dotnet(&sources, args.allow_risky_regex)?;
    let opts = CaptureOptions {
        ingest_url,
        patterns,
        account_id: Digits::parse("--account-id", &args.account_id)?,
        vxlan_id: Digits::parse("--vxlan-id", &args.vxlan_id)?,
        match_timeout_ms: args.match_timeout_ms,
        max_body_bytes: args.max_body_bytes,
        token_named_value: args
            .ingest_token_named_value
            .as_deref()
            .map(|n| NamedValueName::parse("--ingest-token-named-value", n))
            .transpose()?,
        format,
        scope: Scope::Api,
        fragments: None,
    };
    Ok((opts, warnings))
}
