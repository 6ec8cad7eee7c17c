//! The commands that talk to Gram: login, logout, whoami, keys, plugins; and the parts of
//! export / render / preview / marketplace render that use the signed-in account.

use std::future::Future;
use std::io::{IsTerminal, Read, Write};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use gram_admin_core::gram::session::{
    self, current_session, save_session, settings_path, Overrides, Settings, SignedOut,
};
use gram_admin_core::gram::{export_with_minted_key, GramClient, SignedIn, ZipDestination};
use gram_admin_core::secrets::Keychain;
use gram_admin_core::{render, HooksKey, MarketplaceSpec, Platform, Sensitive};
use serde::Serialize;

use crate::{print_json, KeyArgs, OrgArgs, RenderArgs};

/// Hidden: files the keychain entries under another service name (tests isolate themselves).
const KEYCHAIN_SERVICE_ENV: &str = "GRAM_ADMIN_KEYCHAIN_SERVICE";

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Gram's base URL, e.g. https://app.getgram.ai
    #[arg(long, value_name = "URL")]
    server: String,
    /// The project hook events go to (saved for later commands); needed when the organization has several.
    #[arg(long, value_name = "SLUG")]
    project: Option<String>,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the hooks keys gram-admin minted in your organization (never the keys themselves).
    List(JsonArgs),
    /// Revoke a key gram-admin minted (its ID from `keys list`); plugins that carry it stop reporting.
    Revoke {
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// List the project's feature plugins as `marketplace render` reads them from Gram.
    List {
        /// The project to read (default: the saved one, or the organization's only project).
        #[arg(long, value_name = "SLUG")]
        project: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn keychain() -> Keychain {
    match std::env::var(KEYCHAIN_SERVICE_ENV) {
        Ok(service) if !service.is_empty() => Keychain::new(service),
        _ => Keychain::default(),
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded async runtime")
        .block_on(future)
}

fn settings() -> Result<Settings> {
    match settings_path() {
        Some(path) => Ok(Settings::load(&path)?),
        None => Ok(Settings::default()),
    }
}

/// The signed-in account: GRAM_SESSION/GRAM_SERVER, else the keychain; checked with auth.info.
async fn sign_in() -> Result<SignedIn> {
    let stored = current_session(&keychain(), &Overrides::from_env())?;
    let client = stored.client()?;
    Ok(SignedIn::verify(client, stored.session).await?)
}

/// `gram-admin login`.
pub fn login(args: LoginArgs) -> Result<()> {
    let session = read_session_token()?;
    block_on(async {
        let client = GramClient::new(&args.server)?;
        let account = SignedIn::verify(client, session.clone()).await?;
        let project = match &args.project {
            Some(slug) => Some(account.project(Some(slug))?.slug.clone()),
            None => None,
        };
        // The keychain first: if it is not there, nothing is written anywhere.
        save_session(&keychain(), account.server(), &session)?;
        if let Some(path) = settings_path() {
            Settings { project }.save(&path)?;
        }
        let org = account.organization()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "Signed in to {} as {} (organization {}).",
            account.server(),
            account.info().user_email,
            org.name
        )?;
        Ok(())
    })
}

/// The token from stdin when piped, else a prompt that does not echo.
fn read_session_token() -> Result<Sensitive<String>> {
    let stdin = std::io::stdin();
    let token = if stdin.is_terminal() {
        eprint!("Gram session token (the gram_session cookie; input is hidden): ");
        let _ = std::io::stderr().flush();
        let echo_off = set_echo(false);
        let mut line = String::new();
        let read = stdin.read_line(&mut line);
        if echo_off {
            set_echo(true);
            eprintln!();
        }
        read.context("Could not read the session token")?;
        line
    } else {
        let mut text = String::new();
        stdin
            .lock()
            .read_to_string(&mut text)
            .context("Could not read the session token from stdin")?;
        text
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        bail!("No session token was given: pipe it on stdin or type it at the prompt.");
    }
    Ok(Sensitive::new(token))
}

/// Turns terminal echo off or on with `stty` (the token never appears on screen).
fn set_echo(on: bool) -> bool {
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}

/// `gram-admin logout`: Gram ends the session (a copy of it elsewhere stops working too), and
/// the keychain forgets it — even when Gram cannot be reached.
pub fn logout() -> Result<()> {
    let store = keychain();
    let signed_out = block_on(session::sign_out(&store))?;
    let mut stdout = std::io::stdout().lock();
    match signed_out {
        SignedOut::Ended { server } => writeln!(stdout, "Signed out of {server}.")?,
        SignedOut::ForgottenOnly { server, why } => {
            writeln!(stdout, "Signed out of {server} on this machine.")?;
            eprintln!(
                "warning: {why} The session is forgotten here, but Gram still accepts it until it expires."
            );
        }
        SignedOut::WasNot => writeln!(stdout, "You were not signed in.")?,
    }
    if std::env::var_os("GRAM_SESSION").is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "note: GRAM_SESSION is still set in your environment; unset it to sign out completely."
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct Whoami<'a> {
    server: &'a str,
    email: &'a str,
    organization: OrgJson<'a>,
    projects: Vec<&'a str>,
    /// The project commands use (chosen, saved, or the only one), if any.
    project: Option<&'a str>,
}

#[derive(Serialize)]
struct OrgJson<'a> {
    id: &'a str,
    name: &'a str,
    slug: &'a str,
}

/// `gram-admin whoami`.
pub fn whoami(args: JsonArgs) -> Result<()> {
    let saved_project = settings()?.project;
    block_on(async {
        let account = sign_in().await?;
        let org = account.organization()?;
        let project = account
            .project(saved_project.as_deref())
            .ok()
            .map(|p| p.slug.as_str());
        let who = Whoami {
            server: account.server(),
            email: &account.info().user_email,
            organization: OrgJson {
                id: &org.id,
                name: &org.name,
                slug: &org.slug,
            },
            projects: org.projects.iter().map(|p| p.slug.as_str()).collect(),
            project,
        };
        if args.json {
            return print_json(&who);
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "Signed in to {} as {}", who.server, who.email)?;
        writeln!(out, "Organization: {} ({})", org.name, org.slug)?;
        let projects: Vec<String> = org
            .projects
            .iter()
            .map(|p| {
                if Some(p.slug.as_str()) == project {
                    format!("{} (used)", p.slug)
                } else {
                    p.slug.clone()
                }
            })
            .collect();
        writeln!(out, "Projects: {}", projects.join(", "))?;
        Ok(())
    })
}

/// `gram-admin keys …`.
pub fn keys(command: KeysCommand) -> Result<()> {
    block_on(async {
        let account = sign_in().await?;
        match command {
            KeysCommand::List(args) => {
                let keys = account.app_keys().await?;
                if args.json {
                    return print_json(&keys);
                }
                let mut out = std::io::stdout().lock();
                if keys.is_empty() {
                    writeln!(
                        out,
                        "gram-admin has minted no live keys in this organization."
                    )?;
                    return Ok(());
                }
                let rows: Vec<[String; 6]> = keys
                    .iter()
                    .map(|k| {
                        [
                            k.id.clone(),
                            k.name.clone(),
                            format!("{}…", k.key_prefix),
                            k.scopes.join(","),
                            k.created_at.clone(),
                            k.last_accessed_at.clone().unwrap_or_else(|| "never".into()),
                        ]
                    })
                    .collect();
                let header =
                    ["ID", "NAME", "PREFIX", "SCOPES", "CREATED", "LAST USED"].map(String::from);
                let widths: Vec<usize> = (0..6)
                    .map(|i| {
                        rows.iter()
                            .chain([&header])
                            .map(|r| r[i].chars().count())
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                for row in [&header].into_iter().chain(rows.iter()) {
                    let cells: Vec<String> = row
                        .iter()
                        .zip(&widths)
                        .map(|(c, w)| format!("{c:<w$}"))
                        .collect();
                    writeln!(out, "{}", cells.join("  ").trim_end())?;
                }
                Ok(())
            }
            KeysCommand::Revoke { id } => {
                let key = account.revoke_app_key(&id).await?;
                writeln!(
                    std::io::stdout().lock(),
                    "Revoked {} ({}…).",
                    key.name,
                    key.key_prefix
                )?;
                Ok(())
            }
        }
    })
}

/// `gram-admin plugins list`.
pub fn plugins(command: PluginsCommand) -> Result<()> {
    let PluginsCommand::List { project, json } = command;
    let project = project.or(settings()?.project);
    block_on(async {
        let account = sign_in().await?;
        let project = account.project(project.as_deref())?;
        let plugins = account.feature_plugins(project).await?;
        if json {
            return print_json(&MarketplaceSpec {
                plugins,
                repository: None,
            });
        }
        let mut out = std::io::stdout().lock();
        if plugins.is_empty() {
            writeln!(out, "Project {} has no plugins.", project.slug)?;
        }
        for p in &plugins {
            writeln!(out, "{} ({})", p.name, p.slug)?;
            for s in &p.servers {
                let access = if s.public {
                    "public"
                } else {
                    "private: GRAM_KEY"
                };
                let env: Vec<String> = s
                    .env
                    .iter()
                    .map(|e| format!("{} from ${}", e.header, e.name))
                    .collect();
                let env = if env.is_empty() {
                    String::new()
                } else {
                    format!("; {}", env.join(", "))
                };
                writeln!(out, "  {}  {}  ({access}{env})", s.display_name, s.mcp_url)?;
            }
        }
        Ok(())
    })
}

/// Fills `--org`, `--project` and `--server` from the signed-in account when any is missing
/// (or when `need_account`). With all three given and no account needed, Gram is not called.
pub fn complete_org(args: &mut OrgArgs, need_account: bool) -> Result<Option<SignedIn>> {
    let complete = args.org.is_some() && args.project.is_some() && args.server.is_some();
    if complete && !need_account {
        return Ok(None);
    }
    let saved_project = settings()?.project;
    let account = match block_on(sign_in()) {
        Err(e) if !need_account && is_no_session(&e) => bail!(
            "Give --org, --project and --server, or sign in to Gram first (gram-admin login --server URL) to use your account's."
        ),
        other => other?,
    };
    if let Some(server) = &args.server {
        let given = GramClient::new(server)?;
        if given.server() != account.server() {
            bail!(
                "You are signed in to {}, but --server is {}; sign in there first (gram-admin login --server {}).",
                account.server(),
                given.server(),
                given.server()
            );
        }
    }
    let project = account
        .project(args.project.as_deref().or(saved_project.as_deref()))?
        .slug
        .clone();
    args.project = Some(project);
    if args.org.is_none() {
        args.org = Some(account.organization()?.name.clone());
    }
    args.server = Some(account.server().to_owned());
    Ok(Some(account))
}

fn is_no_session(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<gram_admin_core::gram::GramError>(),
        Some(gram_admin_core::gram::GramError::NoSession)
    )
}

/// Says on stderr when the placeholder key is used because no key was given.
pub fn note_placeholder(key: &KeyArgs) {
    if key.key_file.is_none() && !key.placeholder_key {
        eprintln!(
            "note: no --key-file given: using the placeholder key ({}); this plugin cannot report to Gram. `gram-admin export` mints a real key.",
            HooksKey::placeholder().masked()
        );
    }
}

/// `gram-admin export` without --key-file: destination checked, key minted, ZIP written, the
/// key revoked if the write fails.
pub fn export_minted(mut args: RenderArgs) -> Result<()> {
    let dest = ZipDestination::check(&args.out)?;
    let account = complete_org(&mut args.org, true)?.expect("an account was required");
    let config = crate::org_config(&args.org, None);
    let platform: Platform = args.platform;
    let exported = block_on(export_with_minted_key(&account, platform, &dest, |key| {
        render::observability_plugin_for(&config, key, platform)
    }))?;
    eprintln!(
        "Minted hooks key {} ({}…) for project {}; revoke it with `gram-admin keys revoke {}`.",
        exported.key.name,
        exported.key.key_prefix,
        args.org.project.as_deref().unwrap_or_default(),
        exported.key.id
    );
    if args.json {
        #[derive(Serialize)]
        struct Exported<'a> {
            out: &'a std::path::Path,
            files: usize,
            bytes: usize,
            key: &'a gram_admin_core::gram::ApiKey,
        }
        return print_json(&Exported {
            out: &exported.path,
            files: exported.files,
            bytes: exported.bytes,
            key: &exported.key,
        });
    }
    writeln!(
        std::io::stdout().lock(),
        "Wrote {} files ({} bytes) to {}",
        exported.files,
        exported.bytes,
        exported.path.display()
    )?;
    Ok(())
}

/// The org's feature plugins from Gram, for `marketplace render` without --plugins.
pub fn marketplace_plugins(account: &SignedIn, project: &str) -> Result<MarketplaceSpec> {
    let project = account.project(Some(project))?;
    let plugins = block_on(account.feature_plugins(project))?;
    Ok(MarketplaceSpec {
        plugins,
        repository: None,
    })
}
