//! What an admin deploys so teammates get the observability plugin without typing a command:
//! one builder per channel, used by the marketplace README and the app's rollout screen alike.
//!
//! What each agent reads, and how it was checked (see docs/rollout.md):
//! - Claude Code: `managed-settings.json` (Linux `/etc/claude-code/`, macOS
//!   `/Library/Application Support/ClaudeCode/`, Windows `C:\ProgramData\ClaudeCode\`), the macOS
//!   preference domain `com.anthropic.claudecode` (a configuration profile) and the Windows policy
//!   key `HKLM\SOFTWARE\Policies\ClaudeCode`, value `Settings` (a JSON string; the key and value
//!   names are in Claude Code's binary).
//! - Codex: the system config layer `/etc/codex/config.toml` (`[marketplaces.NAME]` +
//!   `[plugins."PLUGIN@NAME"]`, the keys `codex plugin marketplace add` and `codex plugin add`
//!   write); a session clones a configured git marketplace and installs its enabled plugins.
//! - Copilot CLI: `/etc/github-copilot/managed-settings.json` (the path and the schema, with
//!   `autoUpdate`, are in Copilot CLI's runtime), or the enterprise's managed settings on GitHub.
//! - Cursor: team marketplaces exist only in Cursor's dashboard: steps, not a file.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::org::Org;
use crate::platform::Platform;

/// Claude Code's environment variable that makes a session install managed plugins before it
/// starts (without it, `claude -p` installs them in the background and the first sessions fire
/// no plugin hooks).
pub const CLAUDE_SYNC_INSTALL_ENV: &str = "CLAUDE_CODE_SYNC_PLUGIN_INSTALL";

/// Where Claude Code reads its policy on Windows (`HKLM`, so only an administrator can write it).
pub const CLAUDE_WINDOWS_POLICY_KEY: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ClaudeCode";

/// The macOS preference domain Claude Code reads managed settings from.
pub const CLAUDE_MACOS_DOMAIN: &str = "com.anthropic.claudecode";

/// One way to roll the plugin out to every teammate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[ts(export)]
pub enum Channel {
    /// Claude Code's `managed-settings.json` (Linux, macOS and Windows file locations).
    Claude,
    /// Claude Code's settings as a macOS configuration profile (`.mobileconfig`).
    ClaudeMacos,
    /// Claude Code's settings as a Windows registry file (`.reg`) for its policy key.
    ClaudeWindows,
    /// Codex's system configuration (`/etc/codex/config.toml`).
    Codex,
    /// Cursor: steps in Cursor's team dashboard.
    Cursor,
    /// GitHub Copilot CLI's managed settings (`/etc/github-copilot/managed-settings.json`).
    Copilot,
}

impl Channel {
    /// Every channel, in the order the app's tabs show them.
    pub const ALL: [Channel; 6] = [
        Channel::Claude,
        Channel::ClaudeMacos,
        Channel::ClaudeWindows,
        Channel::Codex,
        Channel::Cursor,
        Channel::Copilot,
    ];

    /// The name on the command line and in the app's tabs' ids.
    pub fn id(self) -> &'static str {
        match self {
            Channel::Claude => "claude",
            Channel::ClaudeMacos => "claude-macos",
            Channel::ClaudeWindows => "claude-windows",
            Channel::Codex => "codex",
            Channel::Cursor => "cursor",
            Channel::Copilot => "copilot",
        }
    }

    /// What a tab is called.
    pub fn title(self) -> &'static str {
        match self {
            Channel::Claude => "Claude Code",
            Channel::ClaudeMacos => "Claude Code (macOS profile)",
            Channel::ClaudeWindows => "Claude Code (Windows registry)",
            Channel::Codex => "Codex",
            Channel::Cursor => "Cursor",
            Channel::Copilot => "Copilot CLI",
        }
    }

    /// The file name a save suggests.
    pub fn file_name(self) -> &'static str {
        match self {
            Channel::Claude | Channel::Copilot => "managed-settings.json",
            Channel::ClaudeMacos => "claude-code.mobileconfig",
            Channel::ClaudeWindows => "claude-code-policy.reg",
            Channel::Codex => "config.toml",
            Channel::Cursor => "cursor-team-marketplace.md",
        }
    }
}

/// One channel's file: its bytes as written, the text a screen shows, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutFile {
    pub channel: Channel,
    /// The suggested file name.
    pub file_name: String,
    /// The file's text (the `.reg` file is written as UTF-16LE; this is the same text).
    pub text: String,
    /// The bytes to write.
    pub bytes: Vec<u8>,
    /// Where the file goes and what it does, one sentence each.
    pub where_to: String,
}

/// The channel's file for the marketplace of `org` published to `repo` (`owner/name`).
pub fn rollout_file(org: &Org, repo: &str, channel: Channel) -> RolloutFile {
    let (text, where_to) = match channel {
        Channel::Claude => (
            pretty(&claude_managed_settings(org, repo)),
            "Deploy as managed-settings.json: /etc/claude-code/ on Linux, /Library/Application Support/ClaudeCode/ on macOS, C:\\ProgramData\\ClaudeCode\\ on Windows. Claude Code adds the marketplace and installs the observability plugin at the next session.".to_owned(),
        ),
        Channel::ClaudeMacos => (
            claude_mobileconfig(org, repo),
            format!("Upload to your device management (Jamf, Kandji, Intune, …) as a custom configuration profile; it sets Claude Code's managed preferences ({CLAUDE_MACOS_DOMAIN})."),
        ),
        Channel::ClaudeWindows => (
            claude_windows_reg(org, repo),
            format!("Import on each machine as an administrator (regedit /s, or Group Policy / Intune): it writes the value Settings under {CLAUDE_WINDOWS_POLICY_KEY}."),
        ),
        Channel::Codex => (
            codex_config(org, repo),
            "Deploy as /etc/codex/config.toml (Codex's system configuration; teammates' own ~/.codex/config.toml still applies on top). The next Codex session clones the marketplace and installs the observability plugin.".to_owned(),
        ),
        Channel::Cursor => (
            cursor_steps(org, repo),
            "Cursor reads team marketplaces from its dashboard only: follow these steps as a Cursor team admin.".to_owned(),
        ),
        Channel::Copilot => (
            pretty(&copilot_managed_settings(org, repo)),
            "Deploy as /etc/github-copilot/managed-settings.json on Linux, or paste it into your GitHub enterprise's Copilot CLI managed settings. Copilot CLI adds the marketplace and enables the observability plugin.".to_owned(),
        ),
    };
    let bytes = match channel {
        Channel::ClaudeWindows => utf16le_with_bom(&text),
        _ => text.clone().into_bytes(),
    };
    RolloutFile {
        channel,
        file_name: channel.file_name().to_owned(),
        text,
        bytes,
        where_to,
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("settings serialise");
    text.push('\n');
    text
}

/// Claude Code's managed settings (`managed-settings.json`): the marketplace, added for
/// everyone from its GitHub repository `repo` (`owner/name`) with auto-update on, the
/// observability plugin on, and plugins installed before a session starts (so a teammate's
/// first session already reports).
pub fn claude_managed_settings(org: &Org, repo: &str) -> Value {
    let mkt = org.marketplace_name.as_str();
    json!({
        "extraKnownMarketplaces": {
            mkt: { "source": { "source": "github", "repo": repo }, "autoUpdate": true }
        },
        "enabledPlugins": {
            format!("{}@{mkt}", Platform::Claude.observability_plugin_name(org.slug())): true
        },
        "env": { CLAUDE_SYNC_INSTALL_ENV: "1" },
    })
}

/// GitHub Copilot CLI's managed settings: Claude Code's keys (its schema takes the same
/// `extraKnownMarketplaces` and `enabledPlugins`, and honours `autoUpdate` from managed
/// settings at the start of every session), for the Copilot package of the observability plugin.
pub fn copilot_managed_settings(org: &Org, repo: &str) -> Value {
    let mkt = org.marketplace_name.as_str();
    json!({
        "extraKnownMarketplaces": {
            mkt: { "source": { "source": "github", "repo": repo }, "autoUpdate": true }
        },
        "enabledPlugins": {
            format!("{}@{mkt}", Platform::Copilot.observability_plugin_name(org.slug())): true
        },
    })
}

/// Codex's system configuration: the marketplace as a git source and the Codex observability
/// plugin enabled — the keys `codex plugin marketplace add` and `codex plugin add` write.
pub fn codex_config(org: &Org, repo: &str) -> String {
    let mkt = org.marketplace_name.as_str();
    let plugin = Platform::Codex.observability_plugin_name(org.slug());
    let mut w = String::new();
    let _ = writeln!(
        w,
        "# Codex system configuration (/etc/codex/config.toml), written by gram-admin.\n\
# The marketplace {mkt} for everyone, and {}'s observability plugin on.\n",
        toml_comment(org.name.as_str())
    );
    let _ = writeln!(w, "[marketplaces.{}]", toml_key(mkt));
    let _ = writeln!(w, "source_type = \"git\"");
    let _ = writeln!(
        w,
        "source = {}\n",
        toml_string(&format!("https://github.com/{repo}.git"))
    );
    let _ = writeln!(w, "[plugins.{}]", toml_key(&format!("{plugin}@{mkt}")));
    let _ = writeln!(w, "enabled = true");
    w
}

/// A TOML key: bare when it can be, else quoted.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// A TOML basic string (JSON's escapes are TOML's, for what a name or URL can hold).
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn toml_comment(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Cursor: team marketplaces are imported in Cursor's dashboard; the steps with the repository
/// and the plugin filled in.
pub fn cursor_steps(org: &Org, repo: &str) -> String {
    let plugin = Platform::Cursor.observability_plugin_name(org.slug());
    let mkt = org.marketplace_name.as_str();
    format!(
        "# Roll out {name}'s observability plugin in Cursor\n\n\
Cursor has no managed-settings file for plugins: a team admin imports the marketplace once in Cursor's dashboard \
(Teams and Enterprise plans), and every member of the team gets its plugins.\n\n\
1. Sign in to <https://cursor.com/dashboard> as a team admin and open the team's plugin settings (**Team Marketplaces**).\n\
2. Import a marketplace from GitHub: the repository `https://github.com/{repo}` (Cursor needs read access to it: the \
repository is private).\n\
3. Cursor lists the marketplace `{mkt}` and its plugins. Mark `{plugin}` **required** (every member gets it); leave \
the feature plugins (ending in `-cursor`) optional.\n\
4. Save. Members get the plugin from the team marketplace in Cursor.\n\n\
A teammate outside the team plan adds it by hand: in Cursor, **Settings → Plugins**, add the marketplace \
`https://github.com/{repo}` and install `{plugin}`.\n",
        name = org.name.as_str(),
    )
}

/// Claude Code's managed settings as a macOS configuration profile: one custom-settings payload
/// for the preference domain [`CLAUDE_MACOS_DOMAIN`], the settings as native plist values.
/// Identifiers and UUIDs are derived from the org and repository (rendering stays pure: the same
/// input, the same profile, so a re-upload replaces the previous one).
pub fn claude_mobileconfig(org: &Org, repo: &str) -> String {
    let settings = claude_managed_settings(org, repo);
    let slug = org.slug();
    let profile_id = format!("com.getgram.gram-admin.{slug}.claude-code");
    let payload_id = format!("{profile_id}.settings");
    let mut settings_xml = String::new();
    if let Value::Object(map) = &settings {
        for (key, value) in map {
            plist_entry(&mut settings_xml, key, value, 3);
        }
    }
    let name = xml_escape(org.name.as_str());
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadContent</key>
	<array>
		<dict>
			<key>PayloadDisplayName</key>
			<string>Claude Code: {name}'s Gram plugins</string>
			<key>PayloadIdentifier</key>
			<string>{payload_id}</string>
			<key>PayloadType</key>
			<string>{CLAUDE_MACOS_DOMAIN}</string>
			<key>PayloadUUID</key>
			<string>{payload_uuid}</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
{settings_xml}		</dict>
	</array>
	<key>PayloadDescription</key>
	<string>Adds {name}'s plugin marketplace to Claude Code and turns its observability plugin on.</string>
	<key>PayloadDisplayName</key>
	<string>Claude Code: {name}'s Gram plugins</string>
	<key>PayloadIdentifier</key>
	<string>{profile_id}</string>
	<key>PayloadScope</key>
	<string>System</string>
	<key>PayloadType</key>
	<string>Configuration</string>
	<key>PayloadUUID</key>
	<string>{profile_uuid}</string>
	<key>PayloadVersion</key>
	<integer>1</integer>
</dict>
</plist>
"#,
        payload_id = xml_escape(&payload_id),
        profile_id = xml_escape(&profile_id),
        payload_uuid = stable_uuid(&[&payload_id, repo]),
        profile_uuid = stable_uuid(&[&profile_id, repo]),
    )
}

/// One `<key>`/value pair of a plist dict, indented by `depth` tabs.
fn plist_entry(w: &mut String, key: &str, value: &Value, depth: usize) {
    let tabs = "\t".repeat(depth);
    let _ = writeln!(w, "{tabs}<key>{}</key>", xml_escape(key));
    plist_value(w, value, depth);
}

fn plist_value(w: &mut String, value: &Value, depth: usize) {
    let tabs = "\t".repeat(depth);
    match value {
        Value::Null => {
            let _ = writeln!(w, "{tabs}<string></string>");
        }
        Value::Bool(true) => {
            let _ = writeln!(w, "{tabs}<true/>");
        }
        Value::Bool(false) => {
            let _ = writeln!(w, "{tabs}<false/>");
        }
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let _ = writeln!(w, "{tabs}<integer>{n}</integer>");
        }
        Value::Number(n) => {
            let _ = writeln!(w, "{tabs}<real>{n}</real>");
        }
        Value::String(s) => {
            let _ = writeln!(w, "{tabs}<string>{}</string>", xml_escape(s));
        }
        Value::Array(items) => {
            let _ = writeln!(w, "{tabs}<array>");
            for item in items {
                plist_value(w, item, depth + 1);
            }
            let _ = writeln!(w, "{tabs}</array>");
        }
        Value::Object(map) => {
            let _ = writeln!(w, "{tabs}<dict>");
            for (k, v) in map {
                plist_entry(w, k, v, depth + 1);
            }
            let _ = writeln!(w, "{tabs}</dict>");
        }
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An RFC 4122 version-5-shaped UUID (uppercase, as Apple writes them) from the SHA-256 of
/// `parts`: stable for the same input.
fn stable_uuid(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p.as_bytes());
        hash.update([0]);
    }
    let mut b: [u8; 16] = hash.finalize()[..16].try_into().expect("16 bytes");
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Claude Code's managed settings as a Windows registry file: the value `Settings` (`REG_SZ`,
/// the settings as one line of JSON) under [`CLAUDE_WINDOWS_POLICY_KEY`]. The text is what
/// regedit exports (version 5.00 header, CRLF lines); [`rollout_file`] writes it as UTF-16LE with
/// a byte-order mark, as regedit's own files are.
pub fn claude_windows_reg(org: &Org, repo: &str) -> String {
    let json = serde_json::to_string(&claude_managed_settings(org, repo)).expect("serialises");
    format!(
        "Windows Registry Editor Version 5.00\r\n\r\n[{CLAUDE_WINDOWS_POLICY_KEY}]\r\n\"Settings\"={}\r\n",
        reg_string(&json)
    )
}

/// A `.reg` string value: in double quotes, with `\` and `"` escaped by a backslash.
fn reg_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '\\' || c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `text` as UTF-16LE with a byte-order mark (what "Windows Registry Editor Version 5.00" files
/// are; regedit also reads UTF-8, but its own exports are UTF-16LE).
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg_strings_escape_backslashes_and_quotes() {
        assert_eq!(
            reg_string(r#"{"a":"b\"c\\d"}"#),
            r#""{\"a\":\"b\\\"c\\\\d\"}""#
        );
    }

    #[test]
    fn utf16_has_the_bom_and_little_endian_units() {
        assert_eq!(
            utf16le_with_bom("Aé"),
            vec![0xFF, 0xFE, 0x41, 0x00, 0xE9, 0x00]
        );
    }

    #[test]
    fn stable_uuids_are_version_5_shaped_and_stable() {
        let a = stable_uuid(&["x", "y"]);
        assert_eq!(a, stable_uuid(&["x", "y"]));
        assert_ne!(a, stable_uuid(&["x", "z"]));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "5");
        assert!("89AB".contains(&a[19..20]), "{a}");
    }

    #[test]
    fn toml_keys_are_quoted_when_they_must_be() {
        assert_eq!(toml_key("acme-gram"), "acme-gram");
        assert_eq!(toml_key("p@acme-gram"), "\"p@acme-gram\"");
    }
}
