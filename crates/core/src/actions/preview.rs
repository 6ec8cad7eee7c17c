//! Every file of a plugin or of the marketplace repository, as a person reviews it before
//! exporting or publishing: the deciding file first, the key masked (revealed on request).

use super::plugins::{self, Plugins};
use super::{Account, Context, Error};
use crate::bundle::Bundle;
use crate::domain::MarketplaceRepo;
use crate::key::HooksKey;
use crate::org::OrgConfig;
use crate::platform::Platform;
use crate::preview::{preview, PreviewFile};
use crate::render::{marketplace, observability_plugin};

/// Whether the preview shows the key in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Masked,
    Revealed,
}

/// The observability plugin for `platform`, with the placeholder key: a real key is minted only
/// when the plugin is exported.
pub async fn plugin(
    ctx: &Context,
    config: &OrgConfig,
    platform: Platform,
    key: Key,
) -> Result<Vec<PreviewFile>, Error> {
    let org = ctx.org(config, Account::ToComplete).await?.org;
    let placeholder = HooksKey::placeholder();
    let files = preview(
        &observability_plugin(&org, &placeholder, platform)?,
        &placeholder,
    );
    Ok(match key {
        Key::Masked => files,
        Key::Revealed => reveal(files, &placeholder),
    })
}

/// The whole marketplace repository with the placeholder key, its plugins from `plugins`.
pub async fn marketplace_repo(
    ctx: &Context,
    config: &OrgConfig,
    repository: Option<MarketplaceRepo>,
    plugins: &Plugins,
) -> Result<Vec<PreviewFile>, Error> {
    let key = HooksKey::placeholder();
    let bundle = render_marketplace(ctx, config, repository, plugins, &key).await?;
    Ok(preview(&bundle, &key))
}

/// The marketplace repository as files, with `key` in its observability plugins.
pub async fn render_marketplace(
    ctx: &Context,
    config: &OrgConfig,
    repository: Option<MarketplaceRepo>,
    plugins: &Plugins,
    key: &HooksKey,
) -> Result<Bundle, Error> {
    let resolved = ctx
        .org(config, plugins.account())
        .await
        .map_err(|e| plugins.explain(e))?;
    let mut market =
        plugins::marketplace(ctx, &resolved.org, resolved.account.as_ref(), plugins).await?;
    market.repository = repository;
    Ok(marketplace(&resolved.org, key, &market)?)
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
