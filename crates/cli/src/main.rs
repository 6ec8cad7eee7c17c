//! `gram-admin`: the headless command line over gram-admin-core.

mod gram;
mod publish;
mod rollout;
mod shell;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};
use gram_admin_core::actions::export::{Entry, Export, KeyChoice};
use gram_admin_core::actions::plugins::Plugins;
use gram_admin_core::actions::{check_hook, preview, Account};
use gram_admin_core::gram::ZipDestination;
use gram_admin_core::preview::PreviewFile;
use gram_admin_core::privacy::Content;
use gram_admin_core::{
    export, render, Bundle, HooksKey, MarketplaceRepo, MarketplaceSpec, OrgConfig, Platform,
};
use serde::Serialize;

use shell::block_on;

/// Render, preview and export Gram's observability plugin for every coding agent gram-admin
/// knows (Claude Code, Cursor, Codex, OpenCode), and publish the org's plugin marketplace.
#[derive(Debug, Parser)]
#[command(name = "gram-admin", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// A PEM file of CA certificates to trust besides the system's store (a company's
    /// TLS-inspecting proxy or private CA). Saved in gram-admin's settings for later commands
    /// (--no-ca-file forgets it); render, export and publish also put it in the plugin
    /// (hooks/gram-ca.pem), for the teammates' hooks.
    #[arg(long, global = true, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Forget the saved --ca-file: trust the system's certificate store alone.
    #[arg(long, global = true, conflicts_with = "ca_file")]
    no_ca_file: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the observability plugin for one agent into a new directory (flat layout).
    Render(RenderArgs),
    /// Write the observability plugin for one agent as a flat ZIP (mode 0600, atomic).
    Export(RenderArgs),
    /// Print the plugin's files, hooks/hooks.json first, with the key masked.
    Preview(PreviewArgs),
    /// Work with the plugin marketplace repository.
    #[command(subcommand)]
    Marketplace(MarketplaceCommand),
    /// Sign in to Gram: the session token from stdin (or a hidden prompt), kept in the OS keychain.
    Login(gram::LoginArgs),
    /// Sign out: forget the saved Gram session.
    Logout,
    /// Show who is signed in: email, organization, projects.
    Whoami(gram::JsonArgs),
    /// The hooks keys gram-admin minted in your Gram organization.
    #[command(subcommand)]
    Keys(gram::KeysCommand),
    /// Your organization's feature plugins in Gram.
    #[command(subcommand)]
    Plugins(gram::PluginsCommand),
    /// Connect GitHub: sign in (device flow or a pasted token), sign out, status.
    #[command(subcommand)]
    Github(publish::GithubCommand),
    /// Publish the marketplace to a GitHub repository in one commit (nothing when nothing changed).
    Publish(publish::PublishArgs),
    /// Print (or write with --out) the file that turns the observability plugin on for every
    /// teammate through one channel: managed settings, a macOS profile, a registry file, …
    Rollout(rollout::RolloutArgs),
    /// Send one labelled test event to Gram exactly as a teammate's hook would; show the status,
    /// the latency, Gram's answer and what it means. Exit 0 when Gram accepted it, 1 otherwise.
    CheckHook(CheckHookArgs),
}

#[derive(Debug, Subcommand)]
enum MarketplaceCommand {
    /// Write the marketplace repository (all agents' plugins, observability first) into a new directory.
    Render(MarketplaceArgs),
}

#[derive(Debug, Args)]
struct OrgArgs {
    /// Your Gram organisation's name, e.g. "Acme Corp" (its slug names the plugins; default: your signed-in organization).
    #[arg(long, value_name = "NAME")]
    org: Option<String>,
    /// Slug of the Gram project that receives the hook events (default: the saved one, or the organization's only project).
    #[arg(long, value_name = "SLUG")]
    project: Option<String>,
    /// Gram's base URL, e.g. https://app.getgram.ai (default: the server you signed in to).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Contact email shown as the plugin author and marketplace owner.
    #[arg(long, value_name = "EMAIL")]
    email: Option<String>,
    /// What the hooks send of each event: `full` (the whole event) or `metadata` (event, session,
    /// time, cwd, model, tool and MCP names, status and sizes; no prompt, tool input or output,
    /// assistant text). Credentials are redacted on the device at both levels.
    #[arg(long, value_name = "LEVEL", default_value = "full")]
    content: Content,
    #[command(flatten)]
    key: KeyArgs,
}

#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
struct KeyArgs {
    /// File whose first line is the hooks-scoped Gram API key (keeps it out of argv and shell history).
    /// Without it, `export` mints a key in your signed-in Gram organization; the others use the placeholder.
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Use an obviously fake key (gram_local_000…), e.g. to review the plugin before minting a key.
    #[arg(long)]
    placeholder_key: bool,
}

#[derive(Debug, Args)]
struct RenderArgs {
    /// The agent to render for.
    #[arg(long, value_name = "PLATFORM")]
    platform: Platform,
    #[command(flatten)]
    org: OrgArgs,
    /// Where to write: a new (or empty) directory for `render`, a .zip file for `export`.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Print what was written as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct PreviewArgs {
    /// The agent to render for.
    #[arg(long, value_name = "PLATFORM")]
    platform: Platform,
    #[command(flatten)]
    org: OrgArgs,
    /// Print the files as JSON (path, mode, size, text) instead of a tree.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CheckHookArgs {
    /// The agent whose hook to check.
    #[arg(long, value_name = "PLATFORM")]
    platform: Platform,
    #[command(flatten)]
    org: OrgArgs,
    /// How long to wait for Gram, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = gram_admin_core::check_hook::DEFAULT_TIMEOUT.as_secs_f64())]
    timeout: f64,
    /// Print the result as JSON (status, latency_ms, answer, verdict, explanation, …).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct MarketplaceArgs {
    #[command(flatten)]
    org: OrgArgs,
    /// JSON file listing the feature plugins: {"plugins": [{"name", "slug", "description", "servers": [...]}]} (see README).
    #[arg(long, value_name = "PLUGINS.json")]
    plugins: Option<PathBuf>,
    /// Marketplace name (default: <org slug>-gram).
    #[arg(long, value_name = "NAME")]
    marketplace_name: Option<String>,
    /// GitHub repository (owner/repo) the marketplace is published to, for the README's install commands.
    #[arg(long, value_name = "OWNER/REPO")]
    repository: Option<String>,
    /// A new (or empty) directory to write into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print what was written as JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let err = shell::with_remedy(err);
            let mut stderr = std::io::stderr().lock();
            for line in format!("{err:#}").lines() {
                let _ = writeln!(stderr, "error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    if let Some(ca_file) = &cli.ca_file {
        shell::save_ca_file(Some(ca_file))?;
    } else if cli.no_ca_file {
        shell::save_ca_file(None)?;
    }
    match cli.command {
        Command::Render(args) => render(args, Write::Dir),
        Command::Export(args) => render(args, Write::Zip),
        Command::Preview(args) => {
            let ctx = shell::context(None)?;
            let config = org_config(&args.org, None);
            let org = block_on(ctx.org(&config, Account::ToComplete))
                .map_err(|e| args.org.remedy(e))?
                .org;
            note_placeholder(&args.org.key);
            let key = read_key(&args.org.key)?;
            let files = gram_admin_core::preview::preview(
                &render::observability_plugin(&org, &key, args.platform)?,
                &key,
            );
            if args.json {
                print_json(&files)
            } else {
                print_preview(&files)
            }
        }
        Command::Marketplace(MarketplaceCommand::Render(args)) => {
            let repository = args
                .repository
                .as_deref()
                .map(MarketplaceRepo::parse)
                .transpose()?;
            let plugins = plugins_from(args.plugins.as_deref())?;
            let key = read_key(&args.org.key)?;
            let ctx = shell::context(None)?;
            let config = org_config(&args.org, args.marketplace_name.clone());
            let bundle = block_on(preview::render_marketplace(
                &ctx, &config, repository, &plugins, &key,
            ))
            .map_err(|e| args.org.remedy(e))?;
            note_placeholder(&args.org.key);
            export::write_dir(&bundle, &args.out)?;
            report(&args.out, &bundle, args.json)
        }
        Command::Login(args) => gram::login(args),
        Command::Logout => gram::logout(),
        Command::Whoami(args) => gram::whoami(args),
        Command::Keys(command) => gram::keys(command),
        Command::Plugins(command) => gram::plugins(command),
        Command::Github(command) => publish::github(command),
        Command::Publish(args) => publish::publish(args),
        Command::Rollout(args) => rollout::rollout(args),
        Command::CheckHook(args) => check_hook_command(args),
    }
}

/// Where `render` and `export` write the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Dir,
    Zip,
}

/// `render` (into a directory) and `export` (a ZIP): with a key file, the placeholder, or —
/// `export` without either — a key minted in the signed-in organization.
fn render(args: RenderArgs, to: Write) -> Result<()> {
    let key = match (&args.org.key, to) {
        (
            KeyArgs {
                key_file: Some(_), ..
            },
            _,
        ) => match read_key(&args.org.key) {
            Ok(key) => KeyChoice::Given(key),
            Err(e) => return Err(args.org.also_org_problems(e)),
        },
        (
            KeyArgs {
                placeholder_key: true,
                ..
            },
            _,
        )
        | (_, Write::Dir) => KeyChoice::Placeholder,
        (_, Write::Zip) => KeyChoice::Mint,
    };
    if to == Write::Zip {
        // Before anything is asked of Gram: a key is never minted for a ZIP that cannot be written.
        ZipDestination::check(&args.out)?;
    }
    let ctx = shell::context(None)?;
    let config = org_config(&args.org, None);
    let progress = shell::Stderr::lines();
    let exported = block_on(async {
        let export = Export::prepare(&ctx, &config, args.platform, key).await?;
        if to == Write::Dir {
            note_placeholder(&args.org.key);
        }
        match to {
            Write::Zip => export.zip(&ctx, &args.out, &progress).await,
            Write::Dir => export.dir(&ctx, &args.out, &progress).await,
        }
    })
    .map_err(|e| args.org.remedy(e))?;
    if let Some(key) = &exported.minted {
        eprintln!(
            "Minted hooks key {} ({}…) for project {}; revoke it with `gram-admin keys revoke {}`.",
            key.name, key.key_prefix, exported.project, key.id
        );
    }
    if args.json {
        return match &exported.minted {
            Some(key) => {
                #[derive(Serialize)]
                struct Minted<'a> {
                    out: &'a Path,
                    files: usize,
                    bytes: usize,
                    key: &'a gram_admin_core::gram::ApiKey,
                }
                print_json(&Minted {
                    out: &exported.path,
                    files: exported.files,
                    bytes: exported.bytes,
                    key,
                })
            }
            None => print_json(&Written {
                out: &exported.path,
                files: &exported.entries,
            }),
        };
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

fn plugins_from(path: Option<&Path>) -> Result<Plugins> {
    Ok(match path {
        Some(path) => Plugins::Given(read_plugins(path)?),
        None => Plugins::FromGram,
    })
}

fn check_hook_command(args: CheckHookArgs) -> Result<()> {
    if args.org.key.key_file.is_none() && !args.org.key.placeholder_key {
        eprintln!(
            "note: no --key-file given: checking with the placeholder key ({}), which Gram refuses; give --key-file to check a real key.",
            HooksKey::placeholder().masked()
        );
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 600.0) {
        anyhow::bail!("--timeout must be a number of seconds above 0 and at most 600.");
    }
    let key = read_key(&args.org.key)?;
    let ctx = shell::context(None)?;
    let result = block_on(check_hook::check(
        &ctx,
        &org_config(&args.org, None),
        args.platform,
        key,
        std::time::Duration::from_secs_f64(args.timeout),
    ))
    .map_err(|e| args.org.remedy(e))?;
    if args.json {
        print_json(&result)?;
    } else {
        let mut stdout = std::io::stdout().lock();
        writeln!(
            stdout,
            "Sent a {} test event ({}) to {}",
            result.platform.display_name(),
            result.event,
            result.endpoint
        )?;
        writeln!(stdout, "sent ({}): {}", result.content, result.sent)?;
        match result.status {
            Some(status) => writeln!(stdout, "status:  {status}")?,
            None => writeln!(stdout, "status:  no answer")?,
        }
        writeln!(stdout, "latency: {} ms", result.latency_ms)?;
        writeln!(stdout, "trust:   {}", result.trust)?;
        writeln!(
            stdout,
            "proxy:   {}",
            result
                .proxy
                .as_deref()
                .unwrap_or("none (a direct connection)")
        )?;
        writeln!(stdout, "answer:  {}", result.answer)?;
        if result.accepted() {
            writeln!(stdout, "{}", result.explanation)?;
        }
    }
    if result.accepted() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(result.explanation))
    }
}

impl OrgArgs {
    /// `err` (a key file that cannot be used), and whatever else is wrong with these flags: every
    /// problem of the command at once, not one per try.
    fn also_org_problems(&self, err: anyhow::Error) -> anyhow::Error {
        let config = org_config(self, None);
        let complete = self.org.is_some() && self.project.is_some() && self.server.is_some();
        match config.validate() {
            Err(problems) if complete => anyhow::anyhow!("{err:#}\n{problems}"),
            _ => err,
        }
    }

    /// The CLI's remedy for what the core found wrong with the org these flags gave.
    fn remedy(&self, err: impl Into<anyhow::Error>) -> anyhow::Error {
        shell::org_remedy(err.into(), |field| match field {
            gram_admin_core::Field::Org => self.org.is_some(),
            gram_admin_core::Field::Server => self.server.is_some(),
            gram_admin_core::Field::Project => self.project.is_some(),
            _ => true,
        })
    }
}

/// The org as the flags give it (empty where a flag is missing: the signed-in account fills
/// those in).
fn org_config(args: &OrgArgs, marketplace_name: Option<String>) -> OrgConfig {
    OrgConfig {
        org_name: args.org.clone().unwrap_or_default(),
        org_email: args.email.clone(),
        server_url: args.server.clone().unwrap_or_default(),
        project_slug: args.project.clone().unwrap_or_default(),
        marketplace_name,
        content: args.content,
    }
}

/// Says on stderr when the placeholder key is used because no key was given.
fn note_placeholder(key: &KeyArgs) {
    if key.key_file.is_none() && !key.placeholder_key {
        eprintln!(
            "note: no --key-file given: using the placeholder key ({}); this plugin cannot report to Gram. `gram-admin export` mints a real key.",
            HooksKey::placeholder().masked()
        );
    }
}

/// The key in the first line of `--key-file` (the key stays out of argv and shell history),
/// else the placeholder.
fn read_key(args: &KeyArgs) -> Result<HooksKey> {
    match &args.key_file {
        None => Ok(HooksKey::placeholder()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("Could not read the key file {}", path.display()))?;
            let first = text.lines().next().unwrap_or_default();
            HooksKey::parse(first).with_context(|| {
                format!("The first line of {} is not a usable key", path.display())
            })
        }
    }
}

fn read_plugins(path: &Path) -> Result<MarketplaceSpec> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("Could not read the plugins file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid plugins file (expected {{\"plugins\": [{{\"name\", \"slug\", \"description\", \"servers\"}}]}}, see README)",
            path.display()
        )
    })
}

#[derive(Debug, Serialize)]
struct Written<'a> {
    out: &'a Path,
    files: &'a [Entry],
}

/// What `marketplace render` wrote: `--json` lists every file, else one line.
fn report(out: &Path, bundle: &Bundle, json: bool) -> Result<()> {
    if json {
        return print_json(&Written {
            out,
            files: &Entry::of(bundle),
        });
    }
    writeln!(
        std::io::stdout().lock(),
        "Wrote {} files ({} bytes) to {}",
        bundle.len(),
        bundle.total_bytes(),
        out.display()
    )?;
    Ok(())
}

fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

fn print_preview(files: &[PreviewFile]) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "Files:")?;
    let mut by_path: Vec<&PreviewFile> = files.iter().collect();
    by_path.sort_by(|a, b| a.path.cmp(&b.path));
    for f in by_path {
        writeln!(stdout, "  {:o}  {:>6}  {}", f.mode.unix(), f.size, f.path)?;
    }
    for f in files {
        writeln!(stdout, "\n==> {} <==", f.path)?;
        match &f.text {
            Some(text) => write!(stdout, "{text}")?,
            None => writeln!(stdout, "(binary, {} bytes)", f.size)?,
        }
    }
    Ok(())
}
