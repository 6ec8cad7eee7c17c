//! `gram-admin rollout <channel>`: the file that turns the observability plugin on for every
//! teammate through one channel (managed settings, a macOS profile, a registry file, Codex's
//! system config, Cursor's dashboard steps) — an adapter over the core's `actions::rollout`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use gram_admin_core::actions::rollout;
use gram_admin_core::render::rollout::Channel;
use gram_admin_core::MarketplaceRepo;

use super::{org_config, KeyArgs, OrgArgs};
use crate::shell::{self, block_on};

#[derive(Debug, Args)]
pub struct RolloutArgs {
    /// Which agent, and which format.
    #[arg(value_name = "CHANNEL")]
    channel: Channel,
    /// The GitHub repository the marketplace is published to (as for `publish`).
    #[arg(long, value_name = "OWNER/NAME")]
    repo: String,
    /// Your Gram organisation's name (default: your signed-in organization).
    #[arg(long, value_name = "NAME")]
    org: Option<String>,
    /// Slug of the Gram project (default: the saved one, or the organization's only project).
    #[arg(long, value_name = "SLUG")]
    project: Option<String>,
    /// Gram's base URL (default: the server you signed in to).
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// Marketplace name (default: <org slug>-gram), as for `publish`.
    #[arg(long, value_name = "NAME")]
    marketplace_name: Option<String>,
    /// Write the file here (atomically; a .reg file as UTF-16LE) instead of printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn rollout(args: RolloutArgs) -> Result<()> {
    let repo = MarketplaceRepo::parse(args.repo.trim())?;
    let org = OrgArgs {
        org: args.org,
        project: args.project,
        server: args.server,
        email: None,
        // A rollout file names the marketplace, not what its hooks send.
        content: Default::default(),
        key: KeyArgs {
            key_file: None,
            placeholder_key: false,
        },
    };
    let ctx = shell::context(None)?;
    let config = org_config(&org, args.marketplace_name);
    let file = block_on(rollout::rollout(&ctx, &config, &repo, args.channel))
        .map_err(|e| org.remedy(e))?;
    match &args.out {
        None => {
            std::io::stdout().lock().write_all(file.text.as_bytes())?;
        }
        Some(path) => {
            rollout::save(&file, path)?;
            println!("Wrote {} ({} bytes).", path.display(), file.bytes.len());
            eprintln!("{}", file.where_to);
        }
    }
    Ok(())
}
