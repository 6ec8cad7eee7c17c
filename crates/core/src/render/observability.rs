//! The per-org observability plugin, in the flat layout that is also the ZIP's root (SPEC §3).

use serde_json::{json, Map, Value};

use crate::bundle::{Bundle, FileMode};
use crate::error::Result;
use crate::key::HooksKey;
use crate::org::Org;

use super::hook_script::{
    curl_config, hook_script, HOOK_CONFIG_PATH, HOOK_SCRIPT_PATH, HOOK_TIMEOUT_SECONDS,
};
use super::{content_version, json_file, Platform, HOOKS_JSON_PATH};

/// Renders the observability plugin for `platform`: manifest, hooks file, hook script and
/// the curl config that holds its endpoint and key.
pub fn observability_plugin(org: &Org, key: &HooksKey, platform: Platform) -> Result<Bundle> {
    let mut bundle = Bundle::new();
    bundle.insert(
        HOOK_SCRIPT_PATH,
        hook_script(platform),
        FileMode::Executable,
    )?;
    bundle.insert(
        HOOK_CONFIG_PATH,
        curl_config(org, key, platform),
        FileMode::Regular,
    )?;
    bundle.insert(
        HOOKS_JSON_PATH,
        json_file(&hooks_json(platform)),
        FileMode::Regular,
    )?;
    let version = content_version(&bundle);
    bundle.insert(
        platform.manifest_path(),
        json_file(&manifest(org, platform, &version)),
        FileMode::Regular,
    )?;
    Ok(bundle)
}

/// Validates `config` and renders its observability plugin: what the app and the CLI call.
pub fn observability_plugin_for(
    config: &crate::OrgConfig,
    key: &HooksKey,
    platform: Platform,
) -> Result<Bundle> {
    observability_plugin(&config.validate()?, key, platform)
}

/// The command an agent runs for `event`. It names only the plugin root variable and the
/// event: the Gram URL stays out of it (Cursor drops hook files whose commands hold a URL),
/// and `sh` runs the script even where the executable bit was lost.
pub fn hook_command(platform: Platform, event: &str) -> String {
    let root = match platform {
        Platform::Claude | Platform::Codex => "${CLAUDE_PLUGIN_ROOT}",
        Platform::Cursor => "${CURSOR_PLUGIN_ROOT}",
    };
    format!("sh \"{root}/{HOOK_SCRIPT_PATH}\" {event}")
}

fn hooks_json(platform: Platform) -> Value {
    let mut events = Map::new();
    for &event in platform.hook_events() {
        let command = hook_command(platform, event);
        let entry = match platform {
            // Claude Code and Codex: matcher groups, each with a list of hooks. No matcher:
            // it would mean nothing on non-tool events, and on tool events we want every tool.
            Platform::Claude | Platform::Codex => json!([{
                "hooks": [{ "type": "command", "command": command, "timeout": HOOK_TIMEOUT_SECONDS }]
            }]),
            // Cursor: flat entries.
            Platform::Cursor => json!([{ "command": command, "timeout": HOOK_TIMEOUT_SECONDS }]),
        };
        events.insert(event.to_owned(), entry);
    }
    match platform {
        Platform::Cursor => json!({ "version": 1, "hooks": events }),
        Platform::Claude | Platform::Codex => json!({ "hooks": events }),
    }
}

fn description(org: &Org, platform: Platform) -> String {
    format!(
        "Reports {}'s hook events to {}'s Gram project so the team can see agent activity.",
        platform.display_name(),
        org.name
    )
}

fn manifest(org: &Org, platform: Platform, version: &str) -> Value {
    let name = platform.observability_plugin_name(&org.slug);
    let display_name = format!("{} Observability", org.name);
    let description = description(org, platform);
    match platform {
        Platform::Claude => json!({
            "name": name,
            "displayName": display_name,
            "description": description,
            "version": version,
            "author": { "name": org.name, "url": org.server },
            "homepage": org.server,
            // Declares where the hook sends events (Claude Code shows it to whoever installs).
            "network": { "hosts": [super::host_of(&org.server)] },
        }),
        Platform::Cursor => {
            json!({
                "name": name,
                "displayName": display_name,
                "description": description,
                "version": version,
                "author": super::org_contact(org),
                "homepage": org.server,
                "hooks": format!("./{HOOKS_JSON_PATH}"),
            })
        }
        Platform::Codex => json!({
            "name": name,
            "version": version,
            "description": description,
            "author": { "name": org.name, "url": org.server },
            "homepage": org.server,
            "hooks": format!("./{HOOKS_JSON_PATH}"),
            "interface": {
                "displayName": display_name,
                "shortDescription": format!("Reports agent activity to {}'s Gram project.", org.name),
            },
        }),
    }
}
