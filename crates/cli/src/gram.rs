//! The commands that talk to Gram: login, logout, whoami, keys, plugins — adapters over the
//! core's `actions::{session, keys, plugins}`.

use std::io::{IsTerminal, Read, Write};

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand};
use gram_admin_core::actions::{keys as key_actions, plugins as plugin_actions, session};
use gram_admin_core::gram::session::SignedOut;
use gram_admin_core::{MarketplaceSpec, ProjectSlug, Sensitive, ServerUrl};
use serde::Serialize;

use crate::print_json;
use crate::shell::{block_on, context};

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
    /// Revoke the keys a `publish --rotate-key` replaced that are due (grace over, or unused for
    /// 24 h since the new key's first use); say what is still pending. For a daily cron job.
    Retire(JsonArgs),
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

/// `gram-admin login`.
pub fn login(args: LoginArgs) -> Result<()> {
    let server = ServerUrl::parse(&args.server)?;
    let project = args
        .project
        .as_deref()
        .map(ProjectSlug::parse)
        .transpose()?;
    let session = read_session_token()?;
    let ctx = context(None)?;
    let account = block_on(session::sign_in(&ctx, &server, session, project.as_ref()))?;
    let org = account.organization()?;
    writeln!(
        std::io::stdout().lock(),
        "Signed in to {} as {} (organization {}).",
        account.server(),
        account.info().user_email,
        org.name
    )?;
    Ok(())
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
    let ctx = context(None)?;
    let signed_out = block_on(session::sign_out(&ctx))?;
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
    let ctx = context(None)?;
    let account = block_on(async { ctx.checked(ctx.account().await).await })?;
    let view = session::view(&ctx, &account)?;
    let org = account.organization()?;
    let who = Whoami {
        server: &view.server,
        email: &view.email,
        organization: OrgJson {
            id: &org.id,
            name: &org.name,
            slug: &org.slug,
        },
        projects: view.projects.iter().map(|p| p.slug.as_str()).collect(),
        project: view.project.as_deref(),
    };
    if args.json {
        return print_json(&who);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "Signed in to {} as {}", who.server, who.email)?;
    writeln!(out, "Organization: {} ({})", org.name, org.slug)?;
    let projects: Vec<String> = view
        .projects
        .iter()
        .map(|p| {
            if Some(p.slug.as_str()) == who.project {
                format!("{} (used)", p.slug)
            } else {
                p.slug.clone()
            }
        })
        .collect();
    writeln!(out, "Projects: {}", projects.join(", "))?;
    Ok(())
}

/// `gram-admin keys …`.
pub fn keys(command: KeysCommand) -> Result<()> {
    let ctx = context(None)?;
    block_on(async {
        match command {
            KeysCommand::List(args) => {
                let keys = key_actions::list(&ctx).await?;
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
            KeysCommand::Retire(args) => {
                let retired = key_actions::retire(&ctx).await?;
                if args.json {
                    return print_json(&retired);
                }
                let mut out = std::io::stdout().lock();
                for key in &retired.revoked {
                    writeln!(
                        out,
                        "Revoked the replaced key {} ({}…).",
                        key.name, key.key_prefix
                    )?;
                }
                for p in &retired.pending {
                    writeln!(out, "{}", p.sentence)?;
                }
                if retired.revoked.is_empty() && retired.pending.is_empty() {
                    writeln!(out, "No replaced keys are waiting to be revoked.")?;
                }
                for problem in &retired.problems {
                    eprintln!("warning: {problem}");
                }
                Ok(())
            }
            KeysCommand::Revoke { id } => {
                let key = key_actions::revoke(&ctx, &id).await?;
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
    let project = project.as_deref().map(ProjectSlug::parse).transpose()?;
    let ctx = context(None)?;
    block_on(async {
        let plugin_actions::ProjectPlugins { project, plugins } =
            plugin_actions::list(&ctx, project.as_ref()).await?;
        if json {
            return print_json(&MarketplaceSpec {
                plugins,
                repository: None,
            });
        }
        let mut out = std::io::stdout().lock();
        if plugins.is_empty() {
            writeln!(out, "Project {project} has no plugins.")?;
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
