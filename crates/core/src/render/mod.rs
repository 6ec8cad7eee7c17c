//! Pure rendering: validated input in, a [`Bundle`] out. No I/O, no clock, no randomness, so
//! the same input always gives the same bytes (and so the same ZIP and the same git tree).

mod feature;
pub mod hook_script;
mod markdown;
mod marketplace;
mod observability;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use feature::{FeaturePlugin, FeatureServer, ServerEnv};
pub use hook_script::{curl_config, hook_script, HOOK_CONFIG_PATH, HOOK_SCRIPT_PATH};
pub use markdown::escape_table_cell;
pub use marketplace::{
    marketplace, MarketplaceSpec, CLAUDE_MARKETPLACE, CODEX_MARKETPLACE, CURSOR_MARKETPLACE,
};
pub use observability::{observability_plugin, observability_plugin_for};

use crate::bundle::Bundle;

/// The coding agents a plugin is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Platform {
    Claude,
    Cursor,
    Codex,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Claude, Platform::Cursor, Platform::Codex];

    /// The lowercase name used in Gram's endpoint (`/rpc/hooks.<id>`) and on the command line.
    pub fn id(self) -> &'static str {
        match self {
            Platform::Claude => "claude",
            Platform::Cursor => "cursor",
            Platform::Codex => "codex",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Claude => "Claude Code",
            Platform::Cursor => "Cursor",
            Platform::Codex => "Codex",
        }
    }

    /// The hook events registered, exactly those Gram's `/rpc/hooks.<platform>` accepts.
    pub fn hook_events(self) -> &'static [&'static str] {
        match self {
            Platform::Claude => &[
                "SessionStart",
                "UserPromptSubmit",
                "PreToolUse",
                "PostToolUse",
                "PostToolUseFailure",
                "Notification",
                "Stop",
                "SessionEnd",
            ],
            Platform::Cursor => &[
                "beforeSubmitPrompt",
                "stop",
                "afterAgentResponse",
                "afterAgentThought",
                "preToolUse",
                "postToolUse",
                "postToolUseFailure",
                "beforeMCPExecution",
                "afterMCPExecution",
            ],
            Platform::Codex => &[
                "SessionStart",
                "PreToolUse",
                "PermissionRequest",
                "PostToolUse",
                "UserPromptSubmit",
                "Stop",
            ],
        }
    }

    /// Events whose hook output the agent reads as a decision (allow, deny, block): for these
    /// the hook waits (bounded) for Gram's answer and prints it; all others are fire-and-forget.
    pub fn decision_events(self) -> &'static [&'static str] {
        match self {
            Platform::Claude => &["PreToolUse", "UserPromptSubmit"],
            Platform::Cursor => &["beforeSubmitPrompt", "preToolUse", "beforeMCPExecution"],
            Platform::Codex => &["PreToolUse", "PermissionRequest", "UserPromptSubmit"],
        }
    }

    /// Name of the observability plugin for this platform.
    pub fn observability_plugin_name(self, org_slug: &str) -> String {
        match self {
            Platform::Claude => format!("{org_slug}-observability"),
            Platform::Cursor => format!("{org_slug}-observability-cursor"),
            Platform::Codex => format!("{org_slug}-observability-codex"),
        }
    }

    /// Where this platform's plugin manifest lives inside a plugin directory.
    pub fn manifest_path(self) -> &'static str {
        match self {
            Platform::Claude => ".claude-plugin/plugin.json",
            Platform::Cursor => ".cursor-plugin/plugin.json",
            Platform::Codex => ".codex-plugin/plugin.json",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Platform {
    type Err = crate::Problem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "claude" => Ok(Platform::Claude),
            "cursor" => Ok(Platform::Cursor),
            "codex" => Ok(Platform::Codex),
            other => Err(crate::Problem::new(
                "platform",
                format!("Unknown platform {other:?}: choose claude, cursor or codex."),
            )),
        }
    }
}

/// The hooks file of a plugin directory; previews show it first.
pub const HOOKS_JSON_PATH: &str = "hooks/hooks.json";

/// Pretty JSON with a trailing newline: what every generated JSON file looks like.
pub(crate) fn json_file(value: &serde_json::Value) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("a serde_json::Value always serialises");
    out.push(b'\n');
    out
}

/// A version that changes whenever any other file of the plugin changes, so agents that cache
/// plugins by version pick up a new key or endpoint. Deterministic: the same files, the same
/// version.
pub(crate) fn content_version(files: &Bundle) -> String {
    let mut hash = Sha256::new();
    for file in files.files() {
        hash.update(file.path.as_bytes());
        hash.update([0]);
        hash.update(file.mode.unix().to_be_bytes());
        hash.update((file.contents.len() as u64).to_be_bytes());
        hash.update(&file.contents);
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    // A prerelease identifier may not be all digits with a leading zero: the `g` keeps it
    // alphanumeric whatever the hash.
    format!("{PLUGIN_BASE_VERSION}-g{hex}")
}

/// The org as Cursor's `author` and every marketplace's `owner`: `{name, email?}`.
pub(crate) fn org_contact(org: &crate::Org) -> serde_json::Value {
    let mut contact = serde_json::json!({ "name": org.name });
    if let Some(email) = &org.email {
        contact["email"] = serde_json::json!(email);
    }
    contact
}

/// The host name of a validated URL (what Claude Code's `network.hosts` lists).
pub(crate) fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Bumped when the shape of the generated plugins changes.
pub const PLUGIN_BASE_VERSION: &str = "1.0.0";

pub(crate) const GENERATOR_NOTE: &str =
    "Generated by gram-admin. Do not edit: export or publish again instead.";
