//! Small pieces the desktop app shows that the CLI does not need: the managed-settings snippet
//! on its own, and a preview with the key revealed on request.

use crate::domain::MarketplaceRepo;
use crate::key::HooksKey;
use crate::org::Org;
use crate::platform::Platform;
use crate::preview::PreviewFile;

/// Claude Code's managed settings that add the marketplace for everyone and turn the
/// observability plugin on (the same JSON the marketplace README shows admins), pretty-printed.
pub fn managed_settings(org: &Org, repo: &MarketplaceRepo) -> String {
    let mkt = org.marketplace_name.as_str();
    let settings = serde_json::json!({
        "extraKnownMarketplaces": { mkt: { "source": { "source": "github", "repo": repo.to_string() } } },
        "enabledPlugins": {
            format!("{}@{mkt}", Platform::Claude.observability_plugin_name(org.slug())): true
        },
    });
    let mut text = serde_json::to_string_pretty(&settings).unwrap_or_default();
    text.push('\n');
    text
}

/// The preview's files with the key shown in full: what the admin sees after pressing Reveal.
pub fn reveal(files: Vec<PreviewFile>, key: &HooksKey) -> Vec<PreviewFile> {
    let masked = key.masked();
    files
        .into_iter()
        .map(|file| PreviewFile {
            text: file.text.map(|t| t.replace(&masked, key.expose())),
            ..file
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::preview;
    use crate::render::{marketplace_for, observability_plugin_for, MarketplaceSpec};
    use crate::OrgConfig;

    fn config() -> OrgConfig {
        OrgConfig {
            org_name: "Acme Corp".into(),
            org_email: None,
            server_url: "https://app.getgram.ai".into(),
            project_slug: "default".into(),
            marketplace_name: None,
        }
    }

    #[test]
    fn the_snippet_is_the_one_the_marketplace_readme_shows() {
        let org = config().validate().unwrap();
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

    #[test]
    fn reveal_shows_the_whole_key_and_only_where_the_mask_was() {
        let key = HooksKey::placeholder();
        let bundle = observability_plugin_for(&config(), &key, Platform::Claude).unwrap();
        let masked = preview(&bundle, &key);
        assert!(masked
            .iter()
            .all(|f| !f.text.as_deref().unwrap_or("").contains(key.expose())));
        let shown = reveal(masked.clone(), &key);
        assert!(shown
            .iter()
            .any(|f| f.text.as_deref().unwrap_or("").contains(key.expose())));
        assert_eq!(shown.len(), masked.len());
        for (a, b) in shown.iter().zip(&masked) {
            assert_eq!((&a.path, a.size), (&b.path, b.size));
        }
    }
}

/// The marketplace's hooks key: minted once by the desktop app, kept in the keychain, and baked
/// into every publish — so publishing an unchanged marketplace writes nothing.
pub mod marketplace_key {
    use crate::bundle::Bundle;
    use crate::github::{GithubError, PublishEvent, PublishOutcome, PublishTarget, Publisher};
    use crate::gram::{ApiKey, GramError, MintedKey, SignedIn};
    use crate::key::HooksKey;
    use crate::platform::Platform;
    use crate::secrets::{SecretName, SecretStore, SecretStoreError};
    use crate::sensitive::Sensitive;

    /// Why publishing with the marketplace key failed.
    #[derive(Debug, thiserror::Error)]
    pub enum PublishError {
        #[error(transparent)]
        Gram(#[from] GramError),
        #[error(transparent)]
        Github(#[from] GithubError),
        #[error(transparent)]
        Render(#[from] crate::Error),
        #[error(transparent)]
        Keychain(#[from] SecretStoreError),
    }

    /// The saved key, if any (one gram-admin cannot parse counts as none).
    pub fn saved(store: &dyn SecretStore) -> Result<Option<HooksKey>, SecretStoreError> {
        Ok(store
            .get(SecretName::MarketplaceKey)?
            .and_then(|k| HooksKey::parse(k.expose()).ok()))
    }

    /// Renders with the saved key (or mints one — kept only if the publish succeeds) and
    /// publishes. A key minted here is revoked again when the publish fails.
    pub async fn publish(
        account: &SignedIn,
        store: &dyn SecretStore,
        publisher: &Publisher,
        target: &PublishTarget,
        render: impl Fn(&HooksKey) -> Result<Bundle, crate::Error>,
    ) -> Result<PublishOutcome, PublishError> {
        if let Some(key) = saved(store)? {
            return Ok(publisher.publish(target, &render(&key)?).await?);
        }
        publisher.report(PublishEvent::MintingKey);
        let minted = account.mint_hooks_key(Platform::Claude).await?;
        publish_with_new_key(account, store, publisher, target, &render, &minted, None).await
    }

    /// Saves `minted` as the marketplace key, renders and publishes with it. On failure the
    /// saved key goes back to `previous` (or none) and `minted` is revoked: a key that could
    /// not be kept is never published, and a key nobody publishes never stays live.
    async fn publish_with_new_key(
        account: &SignedIn,
        store: &dyn SecretStore,
        publisher: &Publisher,
        target: &PublishTarget,
        render: &impl Fn(&HooksKey) -> Result<Bundle, crate::Error>,
        minted: &MintedKey,
        previous: Option<&HooksKey>,
    ) -> Result<PublishOutcome, PublishError> {
        let published = async {
            store.set(
                SecretName::MarketplaceKey,
                &Sensitive::new(minted.key.expose().to_owned()),
            )?;
            let bundle = render(&minted.key)?;
            Ok::<_, PublishError>(publisher.publish(target, &bundle).await?)
        }
        .await;
        if published.is_err() {
            let _ = match previous {
                Some(old) => store.set(
                    SecretName::MarketplaceKey,
                    &Sensitive::new(old.expose().to_owned()),
                ),
                None => store.delete(SecretName::MarketplaceKey),
            };
            let _ = account
                .client()
                .revoke_key(account.session(), &minted.record.id)
                .await;
        }
        published
    }

    /// What a rotation did besides publishing.
    #[derive(Debug)]
    pub struct Rotation {
        pub outcome: PublishOutcome,
        /// The new key as Gram shows it (`gram_<env>_` + 5 hex).
        pub new_prefix: String,
        /// The previous publish's key, revoked once the new commit had landed.
        pub revoked: Option<ApiKey>,
        /// A sentence when the previous key could not be revoked (it is still live).
        pub left_live: Option<String>,
    }

    /// `publish --rotate-key`: mints a new hooks key, publishes with it, and revokes the key
    /// the previous publish used only after the new commit has landed. When the publish fails,
    /// the new key is revoked and the previous one stays saved and live: teammates' plugins
    /// never hold a revoked key.
    pub async fn rotate_and_publish(
        account: &SignedIn,
        store: &dyn SecretStore,
        publisher: &Publisher,
        target: &PublishTarget,
        render: impl Fn(&HooksKey) -> Result<Bundle, crate::Error>,
    ) -> Result<Rotation, PublishError> {
        let previous = saved(store)?;
        publisher.report(PublishEvent::MintingKey);
        let minted = account.mint_hooks_key(Platform::Claude).await?;
        let outcome = publish_with_new_key(
            account,
            store,
            publisher,
            target,
            &render,
            &minted,
            previous.as_ref(),
        )
        .await?;
        let (revoked, left_live) = match &previous {
            None => (None, None),
            Some(old) => revoke_previous(account, old, &minted.record.id).await,
        };
        Ok(Rotation {
            outcome,
            new_prefix: minted.key.prefix(),
            revoked,
            left_live,
        })
    }

    /// Revokes the gram-admin key whose prefix is `old`'s — when exactly one matches.
    async fn revoke_previous(
        account: &SignedIn,
        old: &HooksKey,
        new_id: &str,
    ) -> (Option<ApiKey>, Option<String>) {
        let prefix = old.prefix();
        let keys = match account.app_keys().await {
            Ok(keys) => keys,
            Err(e) => {
                return (
                    None,
                    Some(format!(
                        "The new key is published, but the previous key ({prefix}…) could not be looked up to revoke it ({e}); revoke it with `gram-admin keys list` and `gram-admin keys revoke ID`."
                    )),
                )
            }
        };
        let matching: Vec<&ApiKey> = keys
            .iter()
            .filter(|k| k.key_prefix == prefix && k.id != new_id)
            .collect();
        match matching.as_slice() {
            [] => (None, None),
            [one] => match account.revoke_app_key(&one.id).await {
                Ok(key) => (Some(key), None),
                Err(e) => (
                    None,
                    Some(format!(
                        "The new key is published, but revoking the previous key {} ({prefix}…) failed ({e}); revoke it with `gram-admin keys revoke {}`.",
                        one.name, one.id
                    )),
                ),
            },
            several => (
                None,
                Some(format!(
                    "Several of gram-admin's keys start with {prefix}: revoke the previous one yourself with `gram-admin keys revoke ID` (one of {}).",
                    several.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")
                )),
            ),
        }
    }
}
