//! `gram-admin github login | logout | status` and `gram-admin publish`: the marketplace
//! published to GitHub in one commit, or nothing written when nothing changed.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use gram_admin_core::app_flows::marketplace_key;
use gram_admin_core::domain::MarketplaceRepo;
use gram_admin_core::github::auth::{
    current_token, forget_token, parse_token, save_token, DeviceFlow, TokenSource, CLIENT_ID_ENV,
    DEFAULT_CLIENT_ID, DEFAULT_OAUTH_URL,
};
use gram_admin_core::github::{
    Cancel, GithubConnection, GithubError, PublishEvent, PublishPlan, PublishTarget, Publisher,
    DEFAULT_API_URL,
};
use gram_admin_core::secrets::Keychain;
use gram_admin_core::{render, HooksKey, MarketplaceSpec};
use serde::Serialize;

use super::{gram, org_config, print_json, read_key, read_plugins, OrgArgs};

/// Where the GitHub API is: GitHub.com, or `https://HOST/api/v3` for GitHub Enterprise Server.
const API_ENV: &str = "GRAM_ADMIN_GITHUB_API";

#[derive(Debug, Subcommand)]
pub enum GithubCommand {
    /// Sign in to GitHub in the browser (device flow), or save a token read from stdin (--with-token).
    Login(LoginArgs),
    /// Forget the saved GitHub token.
    Logout,
    /// Show which GitHub account publishing uses, and where its token comes from.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Read a token (classic or fine-grained) from stdin instead of signing in in the browser.
    #[arg(long)]
    with_token: bool,
    /// The OAuth app to sign in through (device flow enabled).
    #[arg(long, value_name = "ID", env = CLIENT_ID_ENV, default_value = DEFAULT_CLIENT_ID)]
    client_id: String,
    /// GitHub's web address for signing in (GitHub Enterprise Server: https://HOST).
    #[arg(long, value_name = "URL", default_value = DEFAULT_OAUTH_URL)]
    github_url: String,
    /// GitHub's API, to check the token (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", env = API_ENV, default_value = DEFAULT_API_URL)]
    github_api: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// GitHub's API (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", env = API_ENV, default_value = DEFAULT_API_URL)]
    github_api: String,
    /// Print the status as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The GitHub repository to publish to.
    #[arg(long, value_name = "OWNER/NAME")]
    repo: String,
    /// The branch to publish to (default: the repository's default branch).
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// Create the repository (private) when it does not exist.
    #[arg(long)]
    create: bool,
    /// GitHub's API (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", env = API_ENV, default_value = DEFAULT_API_URL)]
    github_api: String,
    /// Show what would change (added, changed with diffs, removed) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the outcome (or, with --dry-run, the plan) as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    org: OrgArgs,
    /// JSON file listing the feature plugins (see README); default: the org's plugins in Gram when signed in.
    #[arg(long, value_name = "PLUGINS.json")]
    plugins: Option<PathBuf>,
    /// Marketplace name (default: <org slug>-gram).
    #[arg(long, value_name = "NAME")]
    marketplace_name: Option<String>,
    /// Mint a new hooks key for this publish; the key the previous publish used is revoked once
    /// the new commit has landed (signed in to Gram; not with --key-file or --placeholder-key).
    #[arg(long)]
    rotate_key: bool,
}

/// The keychain, under the service tests set (the same variable `gram-admin login` reads).
fn keychain() -> Keychain {
    match std::env::var("GRAM_ADMIN_KEYCHAIN_SERVICE") {
        Ok(service) if !service.is_empty() => Keychain::new(service),
        _ => Keychain::default(),
    }
}

/// The first Ctrl-C stops the publish while that is safe (before the branch moves; a key minted
/// for it is then revoked); once the branch is being moved the publish runs to its end. A second
/// Ctrl-C quits at once.
fn cancel_on_ctrl_c(rt: &tokio::runtime::Runtime) -> Cancel {
    let cancel = Cancel::new();
    let switch = cancel.clone();
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!("Cancelling: the publish stops before the branch moves (Ctrl-C again to quit at once).");
        switch.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Quit at once: the branch is where it was or at the complete new commit; `gram-admin keys list` shows a key minted for this publish.");
            std::process::exit(130);
        }
    });
    cancel
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded async runtime")
}

fn publisher(api: &str, quiet: bool) -> Result<Publisher> {
    let (token, _) = current_token(&keychain())?.ok_or(GithubError::NotSignedIn)?;
    let publisher = Publisher::new(GithubConnection::new(api, token))?;
    Ok(if quiet {
        publisher
    } else {
        publisher.on_event(progress)
    })
}

/// One line on stderr per step, wait and retry.
fn progress(event: &PublishEvent) {
    let line = match event {
        PublishEvent::MintingKey => "Minting the marketplace's hooks key in Gram…".to_owned(),
        PublishEvent::Step { step } => {
            let doing = step.doing();
            let mut chars = doing.chars();
            let first = chars
                .next()
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_default();
            format!("{first}{}…", chars.as_str())
        }
        PublishEvent::Waiting {
            seconds, reason, ..
        } => {
            format!("Waiting {seconds} s for {reason}…")
        }
        PublishEvent::Retrying {
            step,
            attempt,
            reason,
        } => {
            format!(
                "{reason} while {}; trying again (attempt {attempt})…",
                step.doing()
            )
        }
        PublishEvent::Conflict { attempt } => {
            format!("Someone else pushed meanwhile; rebuilding the commit on theirs (attempt {attempt})…")
        }
        PublishEvent::Unchanged { .. } | PublishEvent::Published { .. } => return,
    };
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn github(command: GithubCommand) -> Result<()> {
    match command {
        GithubCommand::Login(args) => login(args),
        GithubCommand::Logout => {
            forget_token(&keychain())?;
            println!("Signed out of GitHub: the saved token is forgotten.");
            if std::env::var_os("GITHUB_TOKEN").is_some() {
                eprintln!("Note: GITHUB_TOKEN is set, and publishing still uses it.");
            }
            Ok(())
        }
        GithubCommand::Status(args) => status(args),
    }
}

fn login(args: LoginArgs) -> Result<()> {
    let rt = runtime();
    let token = if args.with_token {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        parse_token(&line)?
    } else {
        let flow = DeviceFlow::new(&args.github_url, &args.client_id);
        let code = rt.block_on(flow.request_code())?;
        eprintln!(
            "Open {} and enter the code {} (it expires in {} min).",
            code.verification_uri,
            code.user_code,
            code.expires_in.div_ceil(60)
        );
        rt.block_on(flow.wait_for_token(&code))?
    };
    let publisher = Publisher::new(GithubConnection::new(&args.github_api, token.clone()))?;
    let login = rt.block_on(publisher.user())?;
    save_token(&keychain(), &token)?;
    println!("Signed in to GitHub as {login}; the token is kept in the system keychain.");
    Ok(())
}

#[derive(Debug, Serialize)]
struct Status {
    signed_in: bool,
    source: Option<TokenSource>,
    login: Option<String>,
}

fn status(args: StatusArgs) -> Result<()> {
    let Some((token, source)) = current_token(&keychain())? else {
        if args.json {
            return print_json(&Status {
                signed_in: false,
                source: None,
                login: None,
            });
        }
        bail!(GithubError::NotSignedIn);
    };
    let publisher = Publisher::new(GithubConnection::new(&args.github_api, token))?;
    let login = runtime().block_on(publisher.user())?;
    if args.json {
        return print_json(&Status {
            signed_in: true,
            source: Some(source),
            login: Some(login),
        });
    }
    let from = match source {
        TokenSource::Environment => "the GITHUB_TOKEN environment variable",
        TokenSource::Keychain => "the system keychain",
    };
    println!("Signed in to GitHub as {login} (token from {from}).");
    Ok(())
}

pub fn publish(mut args: PublishArgs) -> Result<()> {
    let repo = MarketplaceRepo::parse(&args.repo)?;
    let target = PublishTarget {
        create: args.create,
        ..PublishTarget::new(repo.clone()).with_branch(args.branch.clone())?
    };
    // Without --key-file or --placeholder-key, the marketplace carries its own hooks key: minted
    // in the signed-in Gram organization on the first publish, kept in the keychain, and reused
    // (so an unchanged marketplace publishes nothing) until --rotate-key replaces it.
    let own_key = args.org.key.key_file.is_none() && !args.org.key.placeholder_key;
    if args.rotate_key && !own_key {
        bail!("--rotate-key mints a new key in your Gram organization: leave out --key-file and --placeholder-key.");
    }
    let account = gram::complete_org(&mut args.org, args.plugins.is_none() || own_key)?;
    let mut spec = match (&args.plugins, &account) {
        (Some(path), _) => read_plugins(path)?,
        (None, Some(account)) => {
            gram::marketplace_plugins(account, args.org.project.as_deref().unwrap_or_default())?
        }
        (None, None) => MarketplaceSpec::default(),
    };
    spec.repository = Some(repo.to_string());
    let org = org_config(&args.org, args.marketplace_name.clone()).validate()?;
    let render = |key: &HooksKey| render::marketplace_for(&org, key, &spec);
    let rt = runtime();
    let publisher = publisher(&args.github_api, false)?;
    let store = keychain();
    let account = match (own_key, account) {
        (true, Some(account)) => Some(account),
        (true, None) => bail!("Sign in to Gram first (gram-admin login --server URL): publishing mints the marketplace's hooks key there."),
        (false, _) => None,
    };

    if args.dry_run {
        let key = match &account {
            None => read_key(&args.org.key)?,
            Some(_) => match marketplace_key::saved(&store)? {
                Some(key) if !args.rotate_key => key,
                _ => {
                    eprintln!("note: the plan shows the placeholder key where the hooks key goes: publishing mints a new key.");
                    HooksKey::placeholder()
                }
            },
        };
        let plan = rt.block_on(publisher.plan(&target, &render(&key)?))?;
        return if args.json {
            print_json(&plan)
        } else {
            print_plan(&plan)
        };
    }

    let publisher = publisher.cancelled_by(cancel_on_ctrl_c(&rt));
    let (out, key) = match &account {
        None => {
            let key = read_key(&args.org.key)?;
            (
                rt.block_on(publisher.publish(&target, &render(&key)?))?,
                key,
            )
        }
        Some(account) if args.rotate_key => {
            let rotation = rt.block_on(marketplace_key::rotate_and_publish(
                account, &store, &publisher, &target, render,
            ))?;
            if let Some(old) = &rotation.revoked {
                eprintln!(
                    "Revoked the previous hooks key {} ({}…); the marketplace now carries {}….",
                    old.name, old.key_prefix, rotation.new_prefix
                );
            }
            if let Some(left) = &rotation.left_live {
                eprintln!("warning: {left}");
            }
            let key = marketplace_key::saved(&store)?.unwrap_or_else(HooksKey::placeholder);
            (rotation.outcome, key)
        }
        Some(account) => {
            let out = rt.block_on(marketplace_key::publish(
                account, &store, &publisher, &target, render,
            ))?;
            let key = marketplace_key::saved(&store)?.unwrap_or_else(HooksKey::placeholder);
            (out, key)
        }
    };
    let files = render(&key)?.len();
    if args.json {
        return print_json(&out);
    }
    let mut stdout = std::io::stdout().lock();
    if out.changed {
        writeln!(
            stdout,
            "Published {files} files to {} ({}) in commit {}.\n{}",
            out.repo, out.branch, out.commit, out.url
        )?;
    } else {
        writeln!(
            stdout,
            "Nothing changed: {} ({}) already holds these {files} files (commit {}); nothing was written.",
            out.repo, out.branch, out.commit
        )?;
    }
    Ok(())
}

fn print_plan(plan: &PublishPlan) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if plan.is_unchanged() {
        writeln!(
            out,
            "Nothing would change: {} ({}) already holds these {} files.",
            plan.repo, plan.branch, plan.unchanged_files
        )?;
        return Ok(());
    }
    let create = if plan.repository_exists {
        ""
    } else {
        " (the repository would be created, private)"
    };
    writeln!(
        out,
        "Publishing to {} ({}){create} would add {}, change {} and remove {} files:",
        plan.repo,
        plan.branch,
        plan.added.len(),
        plan.changed.len(),
        plan.removed.len()
    )?;
    for (mark, files) in [
        ("A", &plan.added),
        ("M", &plan.changed),
        ("D", &plan.removed),
    ] {
        for f in files {
            writeln!(out, "  {mark} {}", f.path)?;
        }
    }
    for f in &plan.changed {
        if let Some(diff) = &f.diff {
            write!(out, "\n{diff}")?;
        }
    }
    if plan.can_push == Some(false) {
        writeln!(
            out,
            "\nNote: your token cannot push to {}; publishing would fail.",
            plan.repo
        )?;
    }
    Ok(())
}
