//! "Check hook": one labelled test event sent exactly as a teammate's hook sends it, and what
//! Gram's answer means (the check itself: [`crate::check_hook`]).

use std::time::Duration;

use super::{Account, Context, Error};
use crate::check_hook::{check_hook, CheckHookResult};
use crate::key::HooksKey;
use crate::org::OrgConfig;
use crate::platform::Platform;

/// Completes `config` (from the account only where it is missing something), then sends one
/// test event for `platform` with `key`. Runs curl off the async runtime's threads.
pub async fn check(
    ctx: &Context,
    config: &OrgConfig,
    platform: Platform,
    key: HooksKey,
    timeout: Duration,
) -> Result<CheckHookResult, Error> {
    let org = ctx.org(config, Account::ToComplete).await?.org;
    let result = tokio::task::spawn_blocking(move || check_hook(&org, &key, platform, timeout))
        .await
        .map_err(|e| {
            crate::Error::io(
                "run curl for",
                "the check",
                std::io::Error::other(e.to_string()),
            )
        })??;
    Ok(result)
}
