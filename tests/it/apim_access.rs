//! `apim access`: the set-up script checked by bash and shellcheck, and run twice against a
//! fake `az` that keeps state, to show the second run creates nothing; the Bicep form holds the
//! same role and scope.

use std::path::Path;
use std::process::Command;

use crate::common::{bin, require_tool, run};

const SUB: &str = "00000000-1111-2222-3333-444444444444";
const RG: &str = "rg-apis(prod).eu";
const SVC: &str = "contoso-apim";
const ROLE: &str = "71522526-b88f-4d52-b57f-d31fc3546d0d";

fn scope() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SVC}"
    )
}

fn access(extra: &[&str]) -> (i32, String, String) {
    let mut cmd = bin();
    cmd.env_remove("AZURE_SUBSCRIPTION_ID")
        .args([
            "apim",
            "access",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            SVC,
        ])
        .args(extra);
    run(&mut cmd)
}

/// A stand-in for Azure CLI: answers the calls the script makes from files in $FAKE_AZ_STATE,
/// and logs each call, one line, arguments separated by `|`.
const FAKE_AZ: &str = r#"#!/usr/bin/env bash
set -euo pipefail
state=$FAKE_AZ_STATE
printf '%s|' "$@" >> "$state/calls"; echo >> "$state/calls"
query=""
prev=""
for a in "$@"; do
  if [ "$prev" = "--query" ]; then query=$a; fi
  prev=$a
done
has() { [ -e "$state/$1" ]; }
case "$1 $2 ${3:-}" in
  "account set "*) ;;
  "account show "*) echo "tenant-guid" ;;
  "resource show "*)
    [ "$4" = "$FAKE_AZ_SCOPE" ] || { echo "ResourceNotFound" >&2; exit 3; }
    echo "$4" ;;
  "ad app list")
    if [ "$query" = "length(@)" ]; then if has app; then echo 1; else echo 0; fi
    elif has app; then echo "app-guid"; fi ;;
  "ad app create") touch "$state/app"; echo "app-guid" ;;
  "ad sp list") if has sp; then echo "sp-guid"; fi ;;
  "ad sp create")
    # Graph knows a new app registration only after FAKE_AZ_GRAPH_LAG attempts.
    tries=$(( $(cat "$state/sp_tries" 2>/dev/null || echo 0) + 1 ))
    echo "$tries" > "$state/sp_tries"
    if [ "$tries" -le "${FAKE_AZ_GRAPH_LAG:-0}" ]; then
      echo "ERROR: The appId 'app-guid' of the service principal does not reference a valid application object." >&2; exit 1
    fi
    touch "$state/sp"; echo "sp-guid" ;;
  "role assignment list")
    # Microsoft Graph does not know a service principal made moments ago.
    case " $* " in *" --assignee "*)
      if [ "${FAKE_AZ_RBAC_LAG:-0}" -gt 0 ]; then
        echo "ERROR: Cannot find user or service principal in graph database for 'sp-guid'." >&2; exit 1
      fi ;;
    esac
    if has role; then echo 1; else echo 0; fi ;;
  "role assignment create")
    if [ -n "${FAKE_AZ_ASSIGN_ERROR:-}" ]; then echo "ERROR: $FAKE_AZ_ASSIGN_ERROR" >&2; exit 1; fi
    # Azure RBAC sees a new service principal only after FAKE_AZ_RBAC_LAG attempts.
    tries=$(( $(cat "$state/assign_tries" 2>/dev/null || echo 0) + 1 ))
    echo "$tries" > "$state/assign_tries"
    if [ "$tries" -le "${FAKE_AZ_RBAC_LAG:-0}" ]; then
      echo "ERROR: (PrincipalNotFound) Principal sp-guid does not exist in the directory tenant-guid." >&2; exit 1
    fi
    echo "WARNING: a harmless warning on stderr" >&2
    touch "$state/role" ;;
  "role definition list")
    # One custom role at most, kept as the JSON it was created or updated with.
    if [ "$query" = "length(@)" ]; then if has roledef; then echo 1; else echo 0; fi
    elif has roledef; then
      case $query in
        "[0].name") echo "role-def-guid" ;;
        *actions*) python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["Actions"]))' "$state/roledef" ;;
        *) echo "fake az: unexpected role definition query $query" >&2; exit 2 ;;
      esac
    fi ;;
  "role definition create"|"role definition update")
    if [ -n "${FAKE_AZ_ROLEDEF_DENIED:-}" ]; then
      echo "ERROR: (AuthorizationFailed) The client does not have authorization to perform action 'Microsoft.Authorization/roleDefinitions/write'" >&2; exit 1
    fi
    def=""; prev=""
    for a in "$@"; do if [ "$prev" = "--role-definition" ]; then def=$a; fi; prev=$a; done
    # What Azure CLI requires of a definition: JSON with these fields; an update names the role.
    printf '%s' "$def" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("Name", "IsCustom", "Actions", "NotActions", "AssignableScopes"):
    assert k in d, k
assert sys.argv[1] != "update" or d.get("Id") == "role-def-guid", d
' "$3" || { echo "ERROR: invalid role definition" >&2; exit 1; }
    printf '%s' "$def" > "$state/roledef" ;;
  "ad app credential") 
    case "$4" in
      # $state/secret holds the end of each secret made, one a line.
      list) if has secret; then cat "$state/secret"; fi ;;
      reset)
        end=""; prev=""
        for a in "$@"; do if [ "$prev" = "--end-date" ]; then end=$a; fi; prev=$a; done
        echo "${end}T00:00:00Z" >> "$state/secret"; echo "fake-secret-Value~1" ;;
    esac ;;
  *) echo "fake az: unexpected call: $*" >&2; exit 2 ;;
esac
"#;

/// Runs `script` with the fake `az` first on PATH, in an empty working directory; returns
/// (status, stdout, stderr, the calls made by this run).
fn run_with_fake_az(
    script: &str,
    state: &Path,
    stub_dir: &Path,
    work: &Path,
) -> (bool, String, String, Vec<String>) {
    run_with_fake_az_env(script, state, stub_dir, work, &[])
}

/// [`run_with_fake_az`] with extra environment variables for the fake `az`.
fn run_with_fake_az_env(
    script: &str,
    state: &Path,
    stub_dir: &Path,
    work: &Path,
    envs: &[(&str, &str)],
) -> (bool, String, String, Vec<String>) {
    let before = std::fs::read_to_string(state.join("calls"))
        .unwrap_or_default()
        .lines()
        .count();
    let path = format!(
        "{}:{}",
        stub_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("PATH", path)
        .env("FAKE_AZ_STATE", state)
        .env("FAKE_AZ_SCOPE", scope())
        .env_remove("AKTO_ROTATE_SECRET")
        .env_remove("AKTO_GH_REPO")
        .envs(envs.iter().copied())
        .current_dir(work)
        .output()
        .unwrap();
    let calls: Vec<String> = std::fs::read_to_string(state.join("calls"))
        .unwrap_or_default()
        .lines()
        .skip(before)
        .map(str::to_string)
        .collect();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        calls,
    )
}

fn is_create(call: &str) -> bool {
    call.contains("|create|") || call.contains("|reset|")
}

#[test]
fn script_holds_the_exact_role_and_scope_and_no_secret() {
    let (code, sh, err) = access(&["--secret-days", "90"]);
    assert_eq!(code, 0, "{err}");
    assert!(sh.starts_with("#!/usr/bin/env bash\n"));
    assert!(sh.contains(&format!("\nrole_id='{ROLE}'\n")), "{sh}");
    assert!(sh.contains(&format!("\nscope='{}'\n", scope())), "{sh}");
    assert!(sh.contains("\nsecret_days=90\n"));
    assert!(sh.contains("--role \"$role_id\" --scope \"$scope\""));
    // The secret comes from az at run time: nothing in the script, no file written.
    assert!(sh.contains("--query password -o tsv"));
    assert!(
        !sh.contains("> ") && !sh.contains(">>") && !sh.contains("tee "),
        "the script writes no file: {sh}"
    );
}

#[test]
#[ignore = "needs bash"]
fn script_is_valid_bash() {
    require_tool("bash");
    let (_, sh, _) = access(&[]);
    let out = Command::new("bash")
        .args(["-n", "-c", &sh])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "needs shellcheck"]
fn script_is_shellcheck_clean() {
    require_tool("shellcheck");
    for extra in [
        &[][..],
        &["--app-name", "Akto reader 2", "--secret-days", "730"][..],
        &["--role", "policy-writer"][..],
        &["--role", "contributor"][..],
    ] {
        let (_, sh, _) = access(extra);
        let out = crate::common::pipe(Command::new("shellcheck").args(["--shell=bash", "-"]), &sh);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
#[ignore = "needs bash"]
fn a_second_run_against_a_fake_az_creates_nothing() {
    require_tool("bash");
    let (_, sh, _) = access(&["--secret-days", "90"]);
    let tmp = tempfile::tempdir().unwrap();
    let (state, stubs, work) = (
        tmp.path().join("state"),
        tmp.path().join("bin"),
        tmp.path().join("work"),
    );
    for d in [&state, &stubs, &work] {
        std::fs::create_dir(d).unwrap();
    }
    let az = stubs.join("az");
    std::fs::write(&az, FAKE_AZ).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();

    let (ok, stdout, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}\n{calls:#?}");
    let creates: Vec<&String> = calls.iter().filter(|c| is_create(c)).collect();
    assert_eq!(
        creates.len(),
        4,
        "app, service principal, role assignment, secret: {calls:#?}"
    );
    let assignment = creates
        .iter()
        .find(|c| c.starts_with("role|assignment|create|"))
        .expect("assigned");
    assert_eq!(
        assignment.as_str(),
        format!(
            "role|assignment|create|--assignee-object-id|sp-guid|--assignee-principal-type|ServicePrincipal|--role|{ROLE}|--scope|{}|--output|none|",
            scope()
        )
    );
    let reset = creates.iter().find(|c| c.contains("|reset|")).unwrap();
    let end = String::from_utf8(
        Command::new("date")
            .args(["-u", "-d", "+90 days", "+%Y-%m-%d"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        reset.contains(&format!("|--end-date|{}|", end.trim())),
        "{reset}"
    );
    assert!(reset.contains("|--append|"), "keeps other secrets: {reset}");
    assert_eq!(
        stdout,
        format!("AZURE_TENANT_ID=tenant-guid\nAZURE_CLIENT_ID=app-guid\nAZURE_SUBSCRIPTION_ID={SUB}\nAZURE_CLIENT_SECRET=fake-secret-Value~1\n")
    );
    assert!(
        !stderr.contains("fake-secret"),
        "the secret only on stdout: {stderr}"
    );
    assert_eq!(
        std::fs::read_dir(&work).unwrap().count(),
        0,
        "no file written"
    );

    let (ok, stdout, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}");
    assert!(
        calls.iter().all(|c| !is_create(c)),
        "the second run creates nothing: {calls:#?}"
    );
    assert!(
        stderr.contains("reusing the app registration") && stderr.contains("already assigned"),
        "{stderr}"
    );
    assert!(!stdout.contains("AZURE_CLIENT_SECRET"), "{stdout}");
}

#[test]
#[ignore = "needs bash"]
fn a_missing_instance_stops_before_any_create() {
    require_tool("bash");
    let mut cmd = bin();
    cmd.args([
        "apim",
        "access",
        "--subscription",
        SUB,
        "--resource-group",
        RG,
        "--apim-service",
        "other-apim",
    ]);
    let (_, sh, _) = run(&mut cmd);
    let tmp = tempfile::tempdir().unwrap();
    let (state, stubs) = (tmp.path().join("state"), tmp.path().join("bin"));
    std::fs::create_dir(&state).unwrap();
    std::fs::create_dir(&stubs).unwrap();
    let az = stubs.join("az");
    std::fs::write(&az, FAKE_AZ).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (ok, _, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, tmp.path());
    assert!(!ok);
    assert!(stderr.contains("no API Management instance at"), "{stderr}");
    assert!(calls.iter().all(|c| !is_create(c)), "{calls:#?}");
}

#[test]
fn bicep_holds_the_same_role_and_scope() {
    let (code, bicep, err) = access(&[
        "--format",
        "bicep",
        "--app-name",
        "akto reader",
        "--secret-days",
        "30",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(bicep.contains(&format!("var roleId = '{ROLE}'")));
    assert!(
        bicep.contains("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)")
    );
    assert!(bicep.contains(&format!("resource apim 'Microsoft.ApiManagement/service@2022-08-01' existing = {{\n  name: '{SVC}'\n}}")));
    assert!(bicep.contains("  scope: apim\n"));
    assert!(bicep.contains(&format!("--subscription {SUB} --resource-group '{RG}' ")));
    assert!(bicep.contains("name: guid(apim.id, appUniqueName, roleId)"));
    assert!(bicep.contains(&scope()));
    assert!(
        bicep.contains("displayName: 'akto reader'")
            && bicep.contains("var appUniqueName = 'akto-reader'")
    );
    assert!(bicep.contains("+30 days"));
    assert!(
        bicep.contains("not both for one app"),
        "warns that the script's app has no uniqueName"
    );
    assert!(
        !bicep.contains("passwordCredentials"),
        "no secret in the template"
    );
    let opens = bicep.matches('{').count();
    assert_eq!(opens, bicep.matches('}').count(), "balanced braces");
}

#[test]
fn bad_names_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("access.sh");
    let f = file.to_str().unwrap();
    for (flag, bad, why) in [
        ("--subscription", "0000-1111", "a subscription id is a GUID"),
        (
            "--resource-group",
            "rg apis",
            "not allowed in a resource group name",
        ),
        ("--resource-group", "rg.", "cannot end with '.'"),
        ("--apim-service", "contoso-", "cannot end with '-'"),
        (
            "--apim-service",
            "contoso_apim",
            "not allowed in an API Management service name",
        ),
        ("--app-name", "it's", "not allowed here"),
    ] {
        let mut args = vec![
            "apim",
            "access",
            "--subscription",
            SUB,
            "--resource-group",
            RG,
            "--apim-service",
            SVC,
            "-o",
            f,
        ];
        match args.iter().position(|a| *a == flag) {
            Some(i) => args[i + 1] = bad,
            None => args.extend([flag, bad]),
        }
        let mut cmd = bin();
        cmd.env_remove("AZURE_SUBSCRIPTION_ID").args(&args);
        let (code, _, stderr) = run(&mut cmd);
        assert_eq!(code, 2, "{flag} {bad}");
        assert!(stderr.contains(flag) && stderr.contains(why), "{stderr}");
        assert!(!file.exists(), "nothing written");
    }
    let (code, _, _) = access(&["--secret-days", "0"]);
    assert_eq!(code, 2);
}

/// A stand-in for `sleep` that only logs its argument with the az calls, so retries cost no time.
const FAKE_SLEEP: &str =
    "#!/usr/bin/env bash\nprintf 'sleep|%s|\\n' \"$1\" >> \"$FAKE_AZ_STATE/calls\"\n";

/// A stand-in for GitHub's CLI: logs each call with the az calls; what a call reads from standard
/// input (a value not given by --body) goes to $FAKE_AZ_STATE/gh-stdin.
const FAKE_GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
printf 'gh|' >> "$FAKE_AZ_STATE/calls"; printf '%s|' "$@" >> "$FAKE_AZ_STATE/calls"; echo >> "$FAKE_AZ_STATE/calls"
case " $* " in *" --body "*) ;; *) cat >> "$FAKE_AZ_STATE/gh-stdin" ;; esac
"#;

/// A temporary directory with `state/`, `bin/` (the fake `az` and `sleep`) and an empty `work/`.
fn fake_az_dirs() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    std::path::PathBuf,
) {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let (state, stubs, work) = (
        tmp.path().join("state"),
        tmp.path().join("bin"),
        tmp.path().join("work"),
    );
    for d in [&state, &stubs, &work] {
        std::fs::create_dir(d).unwrap();
    }
    for (name, text) in [("az", FAKE_AZ), ("sleep", FAKE_SLEEP), ("gh", FAKE_GH)] {
        let f = stubs.join(name);
        std::fs::write(&f, text).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (tmp, state, stubs, work)
}

#[test]
#[ignore = "needs bash"]
fn a_new_principal_not_yet_in_rbac_is_retried_until_it_appears() {
    require_tool("bash");
    let (_, sh, _) = access(&[]);
    let (_tmp, state, stubs, work) = fake_az_dirs();
    let (ok, stdout, stderr, calls) =
        run_with_fake_az_env(&sh, &state, &stubs, &work, &[("FAKE_AZ_RBAC_LAG", "2")]);
    assert!(ok, "{stderr}\n{calls:#?}");
    // The lookup before the assignment does not ask Graph for the new principal by --assignee.
    let list = calls
        .iter()
        .find(|c| c.starts_with("role|assignment|list|"))
        .unwrap();
    assert!(!list.contains("|--assignee|"), "{list}");
    assert!(
        list.contains("[?principalId=='sp-guid'] | length(@)"),
        "{list}"
    );
    let tries: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("role|assignment|create|") || c.starts_with("sleep|"))
        .collect();
    assert_eq!(
        tries
            .iter()
            .map(|c| c.split('|').next().unwrap())
            .collect::<Vec<_>>(),
        ["role", "sleep", "role", "sleep", "role"],
        "{calls:#?}"
    );
    assert_eq!(tries[1].as_str(), "sleep|10|");
    assert_eq!(tries[3].as_str(), "sleep|20|");
    assert!(
        stderr.contains("not visible to Azure RBAC yet (PrincipalNotFound); attempt 1 of 8 failed, retrying in 10s"),
        "{stderr}"
    );
    assert!(
        stdout.contains("AZURE_CLIENT_SECRET="),
        "went on to the secret: {stdout}"
    );
}

#[test]
#[ignore = "needs bash"]
fn the_principal_retry_is_bounded_and_other_errors_are_not_retried() {
    require_tool("bash");
    let (_, sh, _) = access(&[]);
    let (_tmp, state, stubs, work) = fake_az_dirs();
    let (ok, stdout, stderr, calls) =
        run_with_fake_az_env(&sh, &state, &stubs, &work, &[("FAKE_AZ_RBAC_LAG", "1000")]);
    assert!(!ok);
    let creates = calls
        .iter()
        .filter(|c| c.starts_with("role|assignment|create|"))
        .count();
    let sleeps: Vec<u32> = calls
        .iter()
        .filter_map(|c| c.strip_prefix("sleep|"))
        .map(|c| c.trim_end_matches('|').parse().unwrap())
        .collect();
    assert_eq!(creates, 8, "{calls:#?}");
    assert_eq!(sleeps, [10, 20, 30, 30, 30, 30, 30]);
    assert!(
        stderr.contains(
            "still unknown to Azure RBAC after 8 attempts: run this script again in a few minutes"
        ),
        "{stderr}"
    );
    assert!(
        !stdout.contains("AZURE_CLIENT_SECRET"),
        "stopped before the secret: {stdout}"
    );

    let (_tmp, state, stubs, work) = fake_az_dirs();
    let (ok, _, stderr, calls) = run_with_fake_az_env(
        &sh,
        &state,
        &stubs,
        &work,
        &[(
            "FAKE_AZ_ASSIGN_ERROR",
            "(AuthorizationFailed) no write access",
        )],
    );
    assert!(!ok);
    assert!(
        stderr.contains("(AuthorizationFailed) no write access"),
        "{stderr}"
    );
    assert!(calls.iter().all(|c| !c.starts_with("sleep|")), "{calls:#?}");
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("role|assignment|create|"))
            .count(),
        1
    );
}

#[test]
#[ignore = "needs bash"]
fn an_expired_secret_is_replaced_and_a_valid_one_kept() {
    require_tool("bash");
    let (_, sh, _) = access(&[]);
    let (_tmp, state, stubs, work) = fake_az_dirs();
    for f in ["app", "sp", "role"] {
        std::fs::write(state.join(f), "").unwrap();
    }
    // Made by an earlier run, 180 days ago: expired.
    std::fs::write(state.join("secret"), "2020-01-01T00:00:00Z\n").unwrap();
    let (ok, stdout, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("have all expired: making a new one"),
        "{stderr}"
    );
    assert_eq!(
        calls.iter().filter(|c| is_create(c)).count(),
        1,
        "{calls:#?}"
    );
    assert!(
        stdout.contains("AZURE_CLIENT_SECRET=fake-secret-Value~1"),
        "{stdout}"
    );

    // Now one is valid: the next run makes none.
    let (ok, stdout, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}");
    assert!(calls.iter().all(|c| !is_create(c)), "{calls:#?}");
    assert!(stderr.contains("is valid until 20"), "{stderr}");
    assert!(!stdout.contains("AZURE_CLIENT_SECRET"), "{stdout}");
}

#[test]
#[ignore = "needs bash"]
fn a_new_app_not_yet_in_graph_gets_its_service_principal_on_a_retry() {
    require_tool("bash");
    let (_, sh, _) = access(&[]);
    let (_tmp, state, stubs, work) = fake_az_dirs();
    let (ok, _, stderr, calls) =
        run_with_fake_az_env(&sh, &state, &stubs, &work, &[("FAKE_AZ_GRAPH_LAG", "2")]);
    assert!(ok, "{stderr}\n{calls:#?}");
    let tries: Vec<&str> = calls
        .iter()
        .filter(|c| c.starts_with("ad|sp|create|") || c.starts_with("sleep|"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        tries,
        [
            "ad|sp|create|--id|app-guid|--query|id|-o|tsv|",
            "sleep|5|",
            "ad|sp|create|--id|app-guid|--query|id|-o|tsv|",
            "sleep|10|",
            "ad|sp|create|--id|app-guid|--query|id|-o|tsv|"
        ]
    );
    assert!(
        stderr
            .contains("not visible to Microsoft Graph yet; attempt 1 of 6 failed, retrying in 5s"),
        "{stderr}"
    );
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("role|assignment|create|--assignee-object-id|sp-guid|")),
        "{calls:#?}"
    );

    // An app that already existed is not waited for: its service principal failing is final.
    let (_tmp, state, stubs, work) = fake_az_dirs();
    std::fs::write(state.join("app"), "").unwrap();
    let (ok, _, stderr, calls) =
        run_with_fake_az_env(&sh, &state, &stubs, &work, &[("FAKE_AZ_GRAPH_LAG", "1")]);
    assert!(!ok);
    assert!(
        stderr.contains("cannot create the service principal of app-guid"),
        "{stderr}"
    );
    assert!(calls.iter().all(|c| !c.starts_with("sleep|")), "{calls:#?}");
}

#[test]
#[ignore = "needs bash"]
fn akto_gh_repo_sets_what_the_scheduled_workflow_reads() {
    require_tool("bash");
    let (_, sh, _) = access(&[]);
    let (_tmp, state, stubs, work) = fake_az_dirs();
    let (ok, stdout, stderr, calls) =
        run_with_fake_az_env(&sh, &state, &stubs, &work, &[("AKTO_GH_REPO", "acme/apis")]);
    assert!(ok, "{stderr}");
    let gh: Vec<&str> = calls
        .iter()
        .filter(|c| c.starts_with("gh|"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        gh,
        [
            "gh|secret|set|AZURE_TENANT_ID|--repo|acme/apis|--body|tenant-guid|".to_string(),
            "gh|secret|set|AZURE_CLIENT_ID|--repo|acme/apis|--body|app-guid|".to_string(),
            format!("gh|variable|set|AZURE_SUBSCRIPTION_ID|--repo|acme/apis|--body|{SUB}|"),
            format!("gh|variable|set|APIM_RESOURCE_GROUP|--repo|acme/apis|--body|{RG}|"),
            format!("gh|variable|set|APIM_SERVICE|--repo|acme/apis|--body|{SVC}|"),
            "gh|secret|set|AZURE_CLIENT_SECRET|--repo|acme/apis|".to_string(),
        ]
    );
    // The secret went through standard input only.
    assert_eq!(
        std::fs::read_to_string(state.join("gh-stdin")).unwrap(),
        "fake-secret-Value~1"
    );
    assert!(!stdout.contains("fake-secret") && !stderr.contains("fake-secret"));

    // The README's workflow reads exactly these names.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for name in [
        "secrets.AZURE_TENANT_ID",
        "secrets.AZURE_CLIENT_ID",
        "secrets.AZURE_CLIENT_SECRET",
        "vars.AZURE_SUBSCRIPTION_ID",
        "vars.APIM_RESOURCE_GROUP",
        "vars.APIM_SERVICE",
    ] {
        assert!(readme.contains(&format!("${{{{ {name} }}}}")), "{name}");
    }
}

#[test]
fn help_names_the_script_s_environment_switches() {
    let (code, help, _) = run(bin().args(["apim", "access", "--help"]));
    assert_eq!(code, 0);
    for word in [
        "AKTO_ROTATE_SECRET=1",
        "AKTO_GH_REPO=OWNER/REPO",
        "has expired",
    ] {
        assert!(help.contains(word), "{word}: {help}");
    }
}

/// The identity for `apim apply`: the custom role is made once with exactly the actions apply
/// and remove use (the live test compares them with the calls), assignable in the instance's
/// resource group and assigned on the instance only; a second run changes nothing; a role whose
/// actions differ is updated in place; a user who may not create roles is told what to do.
#[test]
#[ignore = "needs bash and python3"]
fn policy_writer_makes_the_custom_role_once_and_assigns_it_on_the_instance() {
    require_tool("bash");
    require_tool("python3");
    let (code, sh, err) = access(&["--role", "policy-writer"]);
    assert_eq!(code, 0, "{err}");
    let (_tmp, state, stubs, work) = fake_az_dirs();
    let (ok, stdout, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}\n{calls:#?}");
    let def: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("roledef")).unwrap()).unwrap();
    let actions: Vec<&str> = def["Actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(actions, akto_connect::apim::access::POLICY_WRITER_ACTIONS);
    assert_eq!(def["IsCustom"], true);
    assert_eq!(def["NotActions"], serde_json::json!([]));
    assert_eq!(
        def["AssignableScopes"],
        serde_json::json!([format!("/subscriptions/{SUB}/resourceGroups/{RG}")])
    );
    assert_eq!(
        def["Name"],
        format!("Akto Connect APIM Policy Writer ({RG}/{SVC})")
    );
    let assignment = calls
        .iter()
        .find(|c| c.starts_with("role|assignment|create|"))
        .expect("assigned");
    assert_eq!(
        assignment.as_str(),
        format!(
            "role|assignment|create|--assignee-object-id|sp-guid|--assignee-principal-type|ServicePrincipal|--role|role-def-guid|--scope|{}|--output|none|",
            scope()
        )
    );
    assert!(stdout.contains("AZURE_CLIENT_SECRET="), "{stdout}");
    assert!(stderr.contains("akto-connect apim apply"), "{stderr}");

    // Again: nothing created, nothing updated.
    let (ok, _, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}");
    assert!(
        calls
            .iter()
            .all(|c| !is_create(c) && !c.starts_with("role|definition|update|")),
        "{calls:#?}"
    );
    assert!(stderr.contains("reusing the custom role"), "{stderr}");

    // A role left with other actions (an older akto-connect, a hand edit) is updated in place.
    let mut old = def.clone();
    old["Actions"] = serde_json::json!(["Microsoft.ApiManagement/service/apis/read"]);
    std::fs::write(state.join("roledef"), old.to_string()).unwrap();
    let (ok, _, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}\n{calls:#?}");
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("role|definition|update|")),
        "{calls:#?}"
    );
    let now: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state.join("roledef")).unwrap()).unwrap();
    assert_eq!(now["Actions"], def["Actions"]);

    // Nobody may create roles here: stop before any app is made, and say what to do instead.
    let (_tmp2, state2, stubs2, work2) = fake_az_dirs();
    let (ok, _, stderr, calls) = run_with_fake_az_env(
        &sh,
        &state2,
        &stubs2,
        &work2,
        &[("FAKE_AZ_ROLEDEF_DENIED", "1")],
    );
    assert!(!ok);
    assert!(
        stderr.contains("Microsoft.Authorization/roleDefinitions/write")
            && stderr.contains("--role contributor"),
        "{stderr}"
    );
    assert!(
        calls.iter().all(|c| !c.starts_with("ad|app|create|")),
        "{calls:#?}"
    );
}

#[test]
#[ignore = "needs bash"]
fn contributor_assigns_the_built_in_role_on_the_instance() {
    require_tool("bash");
    let (code, sh, err) = access(&["--role", "contributor"]);
    assert_eq!(code, 0, "{err}");
    assert!(sh.contains("wider") || sh.contains("API Management Service Contributor"));
    let (_tmp, state, stubs, work) = fake_az_dirs();
    let (ok, _, stderr, calls) = run_with_fake_az(&sh, &state, &stubs, &work);
    assert!(ok, "{stderr}");
    assert!(
        calls.iter().any(|c| c
            == &format!(
                "role|assignment|create|--assignee-object-id|sp-guid|--assignee-principal-type|ServicePrincipal|--role|{}|--scope|{}|--output|none|",
                akto_connect::apim::access::CONTRIBUTOR_ROLE_ID,
                scope()
            )),
        "{calls:#?}"
    );
    assert!(calls.iter().all(|c| !c.starts_with("role|definition|")));
}

#[test]
fn policy_writer_bicep_defines_the_role_with_exactly_the_actions() {
    let (code, bicep, err) = access(&["--role", "policy-writer", "--format", "bicep"]);
    assert_eq!(code, 0, "{err}");
    assert!(bicep
        .contains("resource policyWriter 'Microsoft.Authorization/roleDefinitions@2022-04-01'"));
    let listed: Vec<&str> = bicep
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("'Microsoft.ApiManagement/"))
        .map(|l| l.trim_matches('\''))
        .collect();
    assert_eq!(listed, akto_connect::apim::access::POLICY_WRITER_ACTIONS);
    assert!(bicep.contains("var roleId = policyWriter.name"));
    assert!(bicep.contains("assignableScopes: [\n      resourceGroup().id\n    ]"));
    assert!(bicep.contains("name: guid(apim.id, appUniqueName, roleId)"));
    assert!(bicep.contains("  scope: apim\n"));
    assert_eq!(bicep.matches('{').count(), bicep.matches('}').count());
}
