//! What an admin deploys so the observability plugin is on for every teammate.

use crate::domain::MarketplaceRepo;
use crate::org::Org;
use crate::render::rollout::claude_managed_settings;

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
    use crate::OrgConfig;

    #[test]
    fn the_snippet_is_the_one_the_marketplace_readme_shows() {
        let org = OrgConfig {
            org_name: "Acme Corp".into(),
            org_email: None,
            server_url: "https://app.getgram.ai".into(),
            project_slug: "default".into(),
            marketplace_name: None,
            content: Default::default(),
        }
        .validate()
        .unwrap();
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
        let spec = MarketplaceSpec {
            plugins: vec![],
            repository: Some("acme/agent-plugins".into()),
        };
        let bundle = marketplace_for(&org, &HooksKey::placeholder(), &spec).unwrap();
        let readme = bundle
            .files()
            .find(|f| f.path == "README.md")
            .map(|f| String::from_utf8(f.contents.clone()).unwrap())
            .unwrap();
        assert!(
            readme.contains(snippet.trim_end()),
            "the README's snippet drifted from the app's:\n{snippet}"
        );
    }
}
