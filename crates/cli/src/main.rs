//! `gram-admin`: the headless command line over gram-admin-core.

mod gram;
mod publish;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use gram_admin_core::preview::{preview, PreviewFile};
use gram_admin_core::{
    check_hook, export, render, Bundle, HooksKey, MarketplaceSpec, OrgConfig, Platform,
};
use serde::Serialize;

/// Render, preview and export Gram's observability plugin for Claude Code, Cursor and Codex,
/// and the org's plugin marketplace.
#[derive(Debug, Parser)]
#[command(name = "gram-admin", version, about, long_about = None, propagate_version = true)]
struct Cli {
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
    #[arg(long, value_name = "SECONDS", default_value_t = check_hook::DEFAULT_TIMEOUT.as_secs_f64())]
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
            let mut stderr = std::io::stderr().lock();
            for line in format!("{err:#}").lines() {
                let _ = writeln!(stderr, "error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Render(mut args) => {
            gram::complete_org(&mut args.org, false)?;
            gram::note_placeholder(&args.org.key);
            let (bundle, _) = render_plugin(args.platform, &args.org)?;
            export::write_dir(&bundle, &args.out)?;
            report(&args.out, &bundle, args.json)
        }
        Command::Export(mut args) => {
            if args.org.key.key_file.is_none() && !args.org.key.placeholder_key {
                return gram::export_minted(args);
            }
            gram::complete_org(&mut args.org, false)?;
            let (bundle, _) = render_plugin(args.platform, &args.org)?;
            export::write_zip(&bundle, &args.out)?;
            report(&args.out, &bundle, args.json)
        }
        Command::Preview(mut args) => {
            gram::complete_org(&mut args.org, false)?;
            gram::note_placeholder(&args.org.key);
            let (bundle, key) = render_plugin(args.platform, &args.org)?;
            let files = preview(&bundle, &key);
            if args.json {
                print_json(&files)
            } else {
                print_preview(&files)
            }
        }
        Command::Marketplace(MarketplaceCommand::Render(mut args)) => {
            let account = gram::complete_org(&mut args.org, args.plugins.is_none())?;
            gram::note_placeholder(&args.org.key);
            let mut spec = match (&args.plugins, &account) {
                (Some(path), _) => read_plugins(path)?,
                (None, Some(account)) => gram::marketplace_plugins(
                    account,
                    args.org.project.as_deref().unwrap_or_default(),
                )?,
                (None, None) => MarketplaceSpec::default(),
            };
            if args.repository.is_some() {
                spec.repository.clone_from(&args.repository);
            }
            let org = org_config(&args.org, args.marketplace_name.clone()).validate()?;
            let key = read_key(&args.org.key)?;
            let bundle = render::marketplace_for(&org, &key, &spec)?;
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
        Command::CheckHook(args) => check_hook_command(args),
    }
}

fn check_hook_command(mut args: CheckHookArgs) -> Result<()> {
    gram::complete_org(&mut args.org, false)?;
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
    let result = check_hook::check_hook_for(
        &org_config(&args.org, None),
        &key,
        args.platform,
        std::time::Duration::from_secs_f64(args.timeout),
    )?;
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
        match result.status {
            Some(status) => writeln!(stdout, "status:  {status}")?,
            None => writeln!(stdout, "status:  no answer")?,
        }
        writeln!(stdout, "latency: {} ms", result.latency_ms)?;
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

fn org_config(args: &OrgArgs, marketplace_name: Option<String>) -> OrgConfig {
    OrgConfig {
        org_name: args.org.clone().unwrap_or_default(),
        org_email: args.email.clone(),
        server_url: args.server.clone().unwrap_or_default(),
        project_slug: args.project.clone().unwrap_or_default(),
        marketplace_name,
    }
}

fn render_plugin(platform: Platform, args: &OrgArgs) -> Result<(Bundle, HooksKey)> {
    let key = read_key(&args.key)?;
    let bundle = render::observability_plugin_for(&org_config(args, None), &key, platform)?;
    Ok((bundle, key))
}

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
    files: Vec<WrittenFile<'a>>,
}

#[derive(Debug, Serialize)]
struct WrittenFile<'a> {
    path: &'a str,
    mode: String,
    size: usize,
}

fn report(out: &Path, bundle: &Bundle, json: bool) -> Result<()> {
    if json {
        return print_json(&Written {
            out,
            files: bundle
                .files()
                .map(|f| WrittenFile {
                    path: &f.path,
                    mode: format!("{:o}", f.mode.unix()),
                    size: f.contents.len(),
                })
                .collect(),
        });
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
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
