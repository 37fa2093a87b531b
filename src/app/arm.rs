//! A Resource Manager session shared by every command that calls ARM (`apim specs`,
//! `apim apply`, `remove`, `pull`, `live-coverage`): the token from the first source of
//! [`crate::azure_identity`]'s chain that gives one, a bearer header on every ARM request (and on
//! no other: download links carry their own signature), a fresh token after a 401, and ARM's
//! error text for messages.

use std::sync::RwLock;
use std::time::Duration;

use anyhow::bail;

use crate::azure_identity::{self, Candidate, Env, Source};
use crate::error::printable;
use crate::net::{Client, Method, NetConfig, Request, Response};

/// A token source chosen, and the token it gave.
pub(crate) struct Arm {
    pub client: Client,
    pub management: String,
    authority: String,
    source: Source,
    token: RwLock<String>,
}

impl Arm {
    /// Runs the chain in order and keeps the first source that gives a token. A source the user
    /// configured on purpose that is refused stops the chain with its own error (as
    /// azure-identity does); when none gives one, the message names every source tried and why.
    pub fn connect(
        client: Client,
        management: String,
        authority: String,
        note: &dyn Fn(&str),
    ) -> anyhow::Result<Arm> {
        let env = Env::from_process();
        let mut tried: Vec<String> = Vec::new();
        for candidate in azure_identity::chain(&env) {
            let source = match candidate {
                Candidate::Unavailable { name, why } => {
                    tried.push(format!("{name}: {why}"));
                    continue;
                }
                Candidate::Ready(s) => s,
            };
            let arm = Arm {
                client: Client::new(client.config().clone())?,
                management: management.clone(),
                authority: authority.clone(),
                source,
                token: RwLock::new(String::new()),
            };
            match arm.fetch_token(note) {
                Ok(t) => {
                    *arm.token.write().unwrap_or_else(|e| e.into_inner()) = t;
                    return Ok(arm);
                }
                Err(Fetch::Refused(why)) => bail!("{why}"),
                Err(Fetch::Unavailable(why)) => tried.push(format!("{}: {why}", arm.source.name())),
            }
        }
        bail!(
            "no Azure credential found; tried, in order:\n  {}\n  help: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (an app registration; `akto-connect apim access` sets one up), or AZURE_FEDERATED_TOKEN_FILE with the first two (workload identity, GitHub Actions OIDC), run on Azure with a managed identity, or sign in with `az login`",
            tried.join("\n  ")
        )
    }

    /// Who the token is for, for a message about a missing role.
    pub fn identity(&self) -> String {
        self.source.identity()
    }

    fn fetch_token(&self, note: &dyn Fn(&str)) -> Result<String, Fetch> {
        match &self.source {
            Source::ClientSecret {
                tenant,
                client_id,
                secret,
            } => {
                self.check_authority(tenant)?;
                let form = azure_identity::secret_form(client_id, secret, &self.management);
                self.entra_token(tenant, form, note)
                    .map_err(|e| e.hide(secret, "[AZURE_CLIENT_SECRET]"))
            }
            Source::WorkloadIdentity {
                tenant,
                client_id,
                token_file,
            } => {
                self.check_authority(tenant)?;
                let bytes = crate::input::read_capped(token_file).map_err(|e| {
                    Fetch::Refused(format!(
                        "AZURE_FEDERATED_TOKEN_FILE {}: cannot read the federated token ({e}); check the path the workload identity webhook or the CI step wrote",
                        printable(&token_file.display().to_string())
                    ))
                })?;
                let assertion = String::from_utf8_lossy(&bytes).trim().to_string();
                if assertion.is_empty() {
                    return Err(Fetch::Refused(
                        "AZURE_FEDERATED_TOKEN_FILE: the file is empty; the federated token was not written".into(),
                    ));
                }
                let form = azure_identity::assertion_form(client_id, &assertion, &self.management);
                self.entra_token(tenant, form, note)
                    .map_err(|e| e.hide(&assertion, "[federated token]"))
            }
            Source::AppServiceIdentity { .. } | Source::Imds { .. } => {
                let (url, header, value) =
                    azure_identity::managed_identity_request(&self.source, &self.management)
                        .ok_or_else(|| Fetch::Unavailable("no endpoint".into()))?;
                let imds = matches!(self.source, Source::Imds { .. });
                // The metadata service is only probed: where there is none, a connect fails
                // fast or times out in a second, and the chain goes on.
                let client = if imds {
                    Client::new(NetConfig {
                        connect_timeout: Duration::from_secs(1),
                        retries: 1,
                        ..self.client.config().clone()
                    })
                    .map_err(|e| Fetch::Unavailable(e.to_string()))?
                } else {
                    Client::new(self.client.config().clone())
                        .map_err(|e| Fetch::Unavailable(e.to_string()))?
                };
                let req = Request::get(url)
                    .header(&header, value)
                    .header("accept", "application/json")
                    .no_redirects();
                let resp = client
                    .send(&req)
                    .map_err(|e| Fetch::Unavailable(format!("no endpoint answered ({e})")))?;
                if !resp.is_success() {
                    let why = format!(
                        "the endpoint answered HTTP {}{}",
                        resp.status,
                        mi_error(&resp)
                    );
                    return Err(if imds && resp.status != 429 {
                        Fetch::Unavailable(why)
                    } else {
                        Fetch::Refused(format!("{}: {why}", self.source.name()))
                    });
                }
                azure_identity::parse_token(&resp.body).map_err(Fetch::Unavailable)
            }
            Source::AzureCli { program } => {
                let out = std::process::Command::new(program)
                    .args(azure_identity::cli_args(&self.management))
                    .stdin(std::process::Stdio::null())
                    .output()
                    .map_err(|e| {
                        Fetch::Unavailable(if e.kind() == std::io::ErrorKind::NotFound {
                            format!("`{program}` is not on PATH")
                        } else {
                            format!("cannot run `{program}`: {e}")
                        })
                    })?;
                if !out.status.success() {
                    return Err(Fetch::Unavailable(azure_identity::cli_failure(
                        &String::from_utf8_lossy(&out.stderr),
                    )));
                }
                azure_identity::parse_cli_token(&out.stdout).map_err(Fetch::Unavailable)
            }
        }
    }

    fn check_authority(&self, tenant: &str) -> Result<(), Fetch> {
        if self
            .authority
            .to_ascii_lowercase()
            .contains(&format!("/{}", tenant.to_ascii_lowercase()))
        {
            return Err(Fetch::Refused(format!(
                "--authority-url (or AZURE_AUTHORITY_HOST) {}: give the host only, such as https://login.microsoftonline.com; the tenant from AZURE_TENANT_ID and /oauth2/v2.0/token are appended",
                self.authority
            )));
        }
        Ok(())
    }

    fn entra_token(
        &self,
        tenant: &str,
        form: String,
        note: &dyn Fn(&str),
    ) -> Result<String, Fetch> {
        let url = azure_identity::token_url(&self.authority, tenant);
        let mut req = Request::new(Method::Post, url, Some(form.into_bytes()))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        // Asking for a token twice is harmless: retry it on 5xx too.
        req.idempotent = true;
        let resp = self
            .client
            .send_with(&req, |why, wait| {
                note(&format!(
                    "token: {why}, retrying in {:.1} s",
                    wait.as_secs_f64()
                ))
            })
            .map_err(|e| Fetch::Refused(format!("cannot get a token: {e}")))?;
        if !resp.is_success() {
            return Err(Fetch::Refused(crate::apim::specs::token_failure(
                resp.status,
                &resp.body,
            )));
        }
        azure_identity::parse_token(&resp.body).map_err(Fetch::Refused)
    }

    /// Sends an ARM request with the bearer token; a 401 (the token expired during a long run)
    /// gets a fresh token and one more try. `note` hears about retries.
    pub fn send(&self, req: Request, what: &str, note: &dyn Fn(&str)) -> Result<Response, String> {
        let mut refreshed = false;
        loop {
            let token = self.token.read().unwrap_or_else(|e| e.into_inner()).clone();
            let r = req
                .clone()
                .header("authorization", format!("Bearer {token}"))
                .header("accept", "application/json")
                // A bearer token never follows a redirect to another host.
                .no_redirects();
            let resp = self
                .client
                .send_with(&r, |why, wait| {
                    note(&format!(
                        "{what}: {why}, retrying in {:.1} s",
                        wait.as_secs_f64()
                    ))
                })
                .map_err(|e| e.to_string())?;
            if resp.status == 401 && !refreshed {
                refreshed = true;
                let fresh = self.fetch_token(note).map_err(|e| match e {
                    Fetch::Refused(w) | Fetch::Unavailable(w) => w,
                })?;
                *self.token.write().unwrap_or_else(|e| e.into_inner()) = fresh;
                continue;
            }
            return Ok(resp);
        }
    }

    /// The token, only to be hidden from messages (tests and stand-ins may echo it).
    pub fn hide(&self, text: &str) -> String {
        let t = self.token.read().unwrap_or_else(|e| e.into_inner());
        if t.is_empty() {
            text.to_string()
        } else {
            text.replace(t.as_str(), "[token]")
        }
    }
}

enum Fetch {
    /// The source is not there (no metadata service, no CLI): try the next.
    Unavailable(String),
    /// The source is there and refused: stop with this message.
    Refused(String),
}

impl Fetch {
    fn hide(self, secret: &str, with: &str) -> Fetch {
        let h = |s: String| {
            if secret.is_empty() {
                s
            } else {
                s.replace(secret, with)
            }
        };
        match self {
            Fetch::Unavailable(s) => Fetch::Unavailable(h(s)),
            Fetch::Refused(s) => Fetch::Refused(h(s)),
        }
    }
}

/// A managed-identity endpoint's `error`/`error_description`, shortened.
fn mi_error(resp: &Response) -> String {
    let Ok(v) = resp.json() else {
        return String::new();
    };
    let e = v
        .get("error_description")
        .or_else(|| v.get("error"))
        .and_then(|e| {
            e.as_str().map(str::to_string).or_else(|| {
                e.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
        });
    // Masked before the cut: an endpoint that echoes the request's identity header or token
    // shows none of it.
    e.map(|e| {
        format!(
            ", {}",
            printable(&resp.mask(&e))
                .chars()
                .take(200)
                .collect::<String>()
        )
    })
    .unwrap_or_default()
}

/// ARM's `error.code: error.message`, as `, CODE: message`, for a status line.
pub(crate) fn arm_error(resp: &Response) -> String {
    let Ok(v) = resp.json() else {
        return String::new();
    };
    let field = |k: &str| {
        v.pointer(&format!("/error/{k}"))
            .and_then(|x| x.as_str())
            .map(|s| {
                printable(&resp.mask(s))
                    .chars()
                    .take(300)
                    .collect::<String>()
            })
    };
    match (field("code"), field("message")) {
        (Some(c), Some(m)) => format!(", {c}: {m}"),
        (Some(c), None) => format!(", {c}"),
        (None, Some(m)) => format!(", {m}"),
        (None, None) => String::new(),
    }
}
