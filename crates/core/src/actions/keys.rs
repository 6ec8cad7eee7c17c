//! The hooks keys gram-admin minted in the organization.

use super::{Context, Error};
use crate::gram::ApiKey;

/// gram-admin's keys in the organization (never their plaintext), newest first.
pub async fn list(ctx: &Context) -> Result<Vec<ApiKey>, Error> {
    let account = ctx.checked(ctx.account().await).await?;
    Ok(ctx.checked(account.app_keys().await).await?)
}

/// Revokes the key `id` if gram-admin minted it (other keys belong to other tools).
pub async fn revoke(ctx: &Context, id: &str) -> Result<ApiKey, Error> {
    let account = ctx.checked(ctx.account().await).await?;
    Ok(ctx.checked(account.revoke_app_key(id).await).await?)
}
