//! What an admin deploys so teammates get the observability plugin without typing a command:
//! one builder per channel, used by the marketplace README and the app's rollout screen alike.

use serde_json::{json, Value};

use crate::org::Org;
use crate::platform::Platform;

/// Claude Code's managed settings (`managed-settings.json`): the marketplace, added for
/// everyone from its GitHub repository `repo` (`owner/name`), and the observability plugin on.
pub fn claude_managed_settings(org: &Org, repo: &str) -> Value {
    let mkt = org.marketplace_name.as_str();
    json!({
        "extraKnownMarketplaces": { mkt: { "source": { "source": "github", "repo": repo } } },
        "enabledPlugins": {
            format!("{}@{mkt}", Platform::Claude.observability_plugin_name(org.slug())): true
        },
    })
}
