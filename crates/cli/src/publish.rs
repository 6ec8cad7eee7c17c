//! `gram-admin github login | logout | status` and `gram-admin publish`: the marketplace
//! published to GitHub in one commit, or nothing written when nothing changed — adapters over
//! the core's `actions::publish`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use gram_admin_core::actions::publish::{Publish, PublishKey};
use gram_admin_core::actions::{Github, GITHUB_API_ENV as API_ENV};
use gram_admin_core::domain::MarketplaceRepo;
use gram_admin_core::github::auth::{
    current_token, forget_token, parse_token, save_token, TokenSource, CLIENT_ID_ENV,
    DEFAULT_CLIENT_ID, DEFAULT_OAUTH_URL,
};
use gram_admin_core::github::{
    GithubError, PublishPlan, PublishTarget, Publisher, DEFAULT_API_URL,
};
use gram_admin_core::BranchName;
use serde::Serialize;

use super::{org_config, plugins_from, print_json, read_key, OrgArgs};
use crate::shell::{self, keychain, runtime, Stderr};

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
    /// Publish even if the repository is public: anyone can then read the hooks key in it and
    /// send events to Gram as your teammates. Without it a public repository is refused.
    #[arg(long)]
    allow_public_repository: bool,
    /// GitHub's API (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", env = API_ENV, default_value = DEFAULT_API_URL)]
    github_api: String,
    /// Show what would change (added, changed with diffs, removed) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// One line, from reads only: not published yet, N changes to publish, or up to date (the
    /// last commit, when, by whom). Writes nothing.
    #[arg(long, conflicts_with_all = ["dry_run", "rotate_key"])]
    status: bool,
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
    /// Mint a new hooks key for this publish; the key the previous publish used stays live for
    /// --grace, then `gram-admin keys retire` (or the app) revokes it (signed in to Gram; not with
    /// --key-file or --placeholder-key).
    #[arg(long)]
    rotate_key: bool,
    /// With --rotate-key: how long the previous key stays live so teammates can update, e.g. 7d,
    /// 36h, 90m; 0 revokes it as soon as the new commit has landed. It goes earlier once unused
    /// for 24 h after the new key's first use.
    #[arg(long, value_name = "DURATION", requires = "rotate_key", value_parser = parse_grace, default_value = "7d")]
    grace: std::time::Duration,
}

/// `7d`, `36h`, `90m`, `600s` or `0`.
fn parse_grace(raw: &str) -> Result<std::time::Duration, String> {
    let raw = raw.trim();
    if raw == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = number.parse().map_err(|_| {
        format!("{raw:?} is not a duration: give a number and a unit, e.g. 7d, 36h, 90m, or 0")
    })?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => {
            return Err(format!(
                "{raw:?} is not a duration: the unit is d, h, m or s (e.g. 7d), or give 0"
            ))
        }
    };
    n.checked_mul(seconds)
        .filter(|s| *s <= 365 * 86_400)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("{raw:?} is longer than a year: give at most 365d"))
}

/// GitHub as `--github-api` says (the device flow's web address and OAuth app as the
/// environment says).
fn github_at(api: &str) -> Result<Github> {
    Ok(Github {
        api: Github::api(api)?,
        ..Github::from_env()?
    })
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
    let github = Github {
        api: Github::api(&args.github_api)?,
        web: Github::web(&args.github_url)?,
        client_id: args.client_id.clone(),
    };
    let network = crate::shell::network();
    let rt = runtime();
    let token = if args.with_token {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        parse_token(&line)?
    } else {
        let flow = github.device_flow(&network);
        let code = rt.block_on(flow.request_code())?;
        eprintln!(
            "Open {} and enter the code {} (it expires in {} min).",
            code.verification_uri,
            code.user_code,
            code.expires_in.div_ceil(60)
        );
        rt.block_on(flow.wait_for_token(&code))?
    };
    let publisher = Publisher::new(github.connection(token.clone(), &network))?;
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
    let publisher =
        Publisher::new(github_at(&args.github_api)?.connection(token, &crate::shell::network()))?;
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

pub fn publish(args: PublishArgs) -> Result<()> {
    let repo = MarketplaceRepo::parse(&args.repo)?;
    let branch = args.branch.as_deref().map(BranchName::parse).transpose()?;
    let target = PublishTarget {
        create: args.create,
        allow_public: args.allow_public_repository,
        ..PublishTarget::new(repo).with_branch(branch)
    };
    // Without --key-file or --placeholder-key, the marketplace carries its own hooks key: minted
    // in the signed-in Gram organization on the first publish, kept in the keychain, and reused
    // (so an unchanged marketplace publishes nothing) until --rotate-key replaces it.
    let key = match (&args.org.key.key_file, args.org.key.placeholder_key, args.rotate_key) {
        (Some(_), _, true) | (_, true, true) => bail!("--rotate-key mints a new key in your Gram organization: leave out --key-file and --placeholder-key."),
        (Some(_), _, false) => PublishKey::Given(read_key(&args.org.key)?),
        (None, true, false) => PublishKey::Placeholder,
        (None, false, true) => PublishKey::Rotate { grace: args.grace },
        (None, false, false) => PublishKey::Marketplace,
    };
    let plugins = plugins_from(args.plugins.as_deref())?;
    let ctx = shell::context(Some(github_at(&args.github_api)?))?;
    let config = org_config(&args.org, args.marketplace_name.clone());
    let rt = runtime();
    let publish = rt
        .block_on(Publish::prepare(&ctx, &config, target, &plugins, key))
        .map_err(|e| args.org.remedy(e))?;

    if args.status {
        let quiet = gram_admin_core::actions::quiet();
        let status = rt.block_on(publish.status(&ctx, &quiet))?;
        return if args.json {
            print_json(&status)
        } else {
            println!("{}", status.line());
            Ok(())
        };
    }

    if args.dry_run {
        let quiet = gram_admin_core::actions::quiet();
        let preview = rt.block_on(publish.plan(&ctx, &quiet))?;
        if preview.new_key {
            eprintln!("note: the plan shows the placeholder key where the hooks key goes: publishing mints a new key.");
        }
        return if args.json {
            print_json(&preview.plan)
        } else {
            print_plan(&preview.plan)
        };
    }

    let progress = Stderr::with_ctrl_c(&rt);
    let published = rt.block_on(publish.run(&ctx, &progress))?;
    if let Some(rotation) = &published.rotation {
        if let Some(retiring) = &rotation.retiring {
            eprintln!(
                "The marketplace now carries {}…. {} Teammates update their plugin meanwhile (see the repository's README); `gram-admin keys retire` revokes it when due.",
                rotation.new_prefix, retiring.sentence
            );
        }
        if let Some(old) = &rotation.revoked {
            eprintln!(
                "Revoked the previous hooks key {} ({}…); the marketplace now carries {}….",
                old.name, old.key_prefix, rotation.new_prefix
            );
        }
        if let Some(left) = &rotation.left_live {
            eprintln!("warning: {left} (gram-admin keys list, gram-admin keys revoke ID)");
        }
    }
    let (out, files) = (&published.outcome, published.files);
    if args.json {
        return print_json(out);
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
