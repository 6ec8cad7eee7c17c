//! What an admin deploys so the observability plugin is on for every teammate, one file per
//! channel (Claude Code's managed settings as JSON, macOS profile or Windows registry file,
//! Codex's system config, Copilot CLI's managed settings, Cursor's dashboard steps), from the
//! same org and marketplace options as a publish.

use std::path::Path;

use serde::Serialize;

use super::{Account, Context, Error};
use crate::domain::MarketplaceRepo;
use crate::org::{Org, OrgConfig};
use crate::render::rollout::{claude_managed_settings, rollout_file, Channel, RolloutFile};

/// One channel's rollout file, as both shells show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Rollout {
    pub channel: Channel,
    /// The tab's title.
    pub title: String,
    /// The file name a save suggests.
    pub file_name: String,
    /// The file's text (a `.reg` file is saved as UTF-16LE; this is its text).
    pub text: String,
    /// Where the file goes and what it does.
    pub where_to: String,
    /// Bytes as saved (not sent to the UI: it saves through [`save`]).
    #[serde(skip)]
    #[ts(skip)]
    pub bytes: Vec<u8>,
}

impl From<RolloutFile> for Rollout {
    fn from(file: RolloutFile) -> Self {
        Self {
            channel: file.channel,
            title: file.channel.title().to_owned(),
            file_name: file.file_name,
            text: file.text,
            where_to: file.where_to,
            bytes: file.bytes,
        }
    }
}

/// The rollout file of `channel` for the marketplace published to `repo`: the org completed from
/// the account only where the config lacks a field (nothing is minted or read from Gram).
pub async fn rollout(
    ctx: &Context,
    config: &OrgConfig,
    repo: &MarketplaceRepo,
    channel: Channel,
) -> Result<Rollout, Error> {
    let org = ctx.org(config, Account::ToComplete).await?.org;
    Ok(file(&org, repo, channel))
}

/// Every channel's file, in the tabs' order.
pub async fn all(
    ctx: &Context,
    config: &OrgConfig,
    repo: &MarketplaceRepo,
) -> Result<Vec<Rollout>, Error> {
    let org = ctx.org(config, Account::ToComplete).await?.org;
    Ok(Channel::ALL
        .iter()
        .map(|&channel| file(&org, repo, channel))
        .collect())
}

/// The channel's file for a parsed org.
pub fn file(org: &Org, repo: &MarketplaceRepo, channel: Channel) -> Rollout {
    rollout_file(org, &repo.to_string(), channel).into()
}

/// Writes `rollout` to `path` atomically (a new file in the same folder, renamed over).
pub fn save(rollout: &Rollout, path: &Path) -> Result<(), Error> {
    Ok(crate::export::write_atomically(path, &rollout.bytes)?)
}

/// Claude Code's managed settings for the marketplace published to `repo`, pretty-printed:
/// the same JSON the marketplace README shows admins.
pub fn managed_settings(org: &Org, repo: &MarketplaceRepo) -> String {
    let mut text = serde_json::to_string_pretty(&claude_managed_settings(org, &repo.to_string()))
        .expect("settings serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::HooksKey;
    use crate::render::{marketplace_for, MarketplaceSpec};

    fn acme() -> Org {
        OrgConfig {
            org_name: "Acme Corp".into(),
            org_email: None,
            server_url: "https://app.getgram.ai".into(),
            project_slug: "default".into(),
            marketplace_name: None,
            content: Default::default(),
        }
        .validate()
        .unwrap()
    }

    fn readme(org: &Org) -> String {
        let spec = MarketplaceSpec {
            plugins: vec![],
            repository: Some("acme/agent-plugins".into()),
        };
        let bundle = marketplace_for(org, &HooksKey::placeholder(), &spec).unwrap();
        let readme = bundle
            .files()
            .find(|f| f.path == "README.md")
            .map(|f| String::from_utf8(f.contents.clone()).unwrap())
            .unwrap();
        readme
    }

    #[test]
    fn the_snippet_is_the_one_the_marketplace_readme_shows() {
        let org = acme();
        let repo = MarketplaceRepo::parse("acme/agent-plugins").unwrap();
        let snippet = managed_settings(&org, &repo);
        let value: serde_json::Value = serde_json::from_str(&snippet).unwrap();
        assert_eq!(
            value["enabledPlugins"]["acme-corp-observability@acme-corp-gram"],
            true
        );
        assert_eq!(
            value["extraKnownMarketplaces"]["acme-corp-gram"]["source"]["repo"],
            "acme/agent-plugins"
        );
        let readme = readme(&org);
        assert!(
            readme.contains(snippet.trim_end()),
            "the README's snippet drifted from the app's:\n{snippet}"
        );
        let copilot = file(&org, &repo, Channel::Copilot);
        assert!(
            readme.contains(copilot.text.trim_end()),
            "the README's Copilot snippet drifted from the rollout file:\n{}",
            copilot.text
        );
    }

    #[test]
    fn claude_code_installs_before_the_first_session_and_updates_the_marketplace() {
        let org = acme();
        let repo = MarketplaceRepo::parse("acme/agent-plugins").unwrap();
        let value: serde_json::Value =
            serde_json::from_str(&file(&org, &repo, Channel::Claude).text).unwrap();
        assert_eq!(value["env"]["CLAUDE_CODE_SYNC_PLUGIN_INSTALL"], "1");
        assert_eq!(
            value["extraKnownMarketplaces"]["acme-corp-gram"]["autoUpdate"],
            true
        );
    }

    #[test]
    fn every_channel_names_the_repository_and_the_observability_plugin() {
        let org = acme();
        let repo = MarketplaceRepo::parse("acme/agent-plugins").unwrap();
        for channel in Channel::ALL {
            let f = file(&org, &repo, channel);
            assert!(f.text.contains("acme/agent-plugins"), "{channel:?}");
            assert!(f.text.contains("acme-corp-observability"), "{channel:?}");
            assert!(!f.where_to.is_empty(), "{channel:?}");
            assert!(!f.bytes.is_empty(), "{channel:?}");
        }
    }
}
