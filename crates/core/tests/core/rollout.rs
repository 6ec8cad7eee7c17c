//! The rollout files parse as the agents (and the OS tools) that read them would.

use gram_admin_core::actions::rollout::file;
use gram_admin_core::render::rollout::Channel;
use gram_admin_core::{MarketplaceRepo, Org, OrgConfig};
use serde_json::{json, Value};

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
    .expect("org")
}

fn repo() -> MarketplaceRepo {
    MarketplaceRepo::parse("acme/agent-plugins").expect("repo")
}

fn claude_settings() -> Value {
    json!({
        "extraKnownMarketplaces": {
            "acme-corp-gram": {
                "source": { "source": "github", "repo": "acme/agent-plugins" },
                "autoUpdate": true
            }
        },
        "enabledPlugins": { "acme-corp-observability@acme-corp-gram": true },
        "env": { "CLAUDE_CODE_SYNC_PLUGIN_INSTALL": "1" }
    })
}

#[test]
fn claude_code_managed_settings_round_trip_as_json() {
    let f = file(&acme(), &repo(), Channel::Claude);
    assert_eq!(f.file_name, "managed-settings.json");
    assert_eq!(f.bytes, f.text.as_bytes());
    let value: Value = serde_json::from_slice(&f.bytes).expect("JSON");
    assert_eq!(value, claude_settings());
    assert_eq!(
        serde_json::to_string_pretty(&value).unwrap() + "\n",
        f.text,
        "pretty JSON with a trailing newline"
    );
}

#[test]
fn the_macos_profile_parses_as_a_plist_with_the_settings_in_claude_codes_domain() {
    let f = file(&acme(), &repo(), Channel::ClaudeMacos);
    assert!(f.file_name.ends_with(".mobileconfig"));
    let profile: plist::Value = plist::Value::from_reader_xml(f.bytes.as_slice()).expect("a plist");
    let profile = profile.as_dictionary().expect("a dict");
    assert_eq!(
        profile.get("PayloadType").and_then(|v| v.as_string()),
        Some("Configuration")
    );
    let payloads = profile
        .get("PayloadContent")
        .and_then(|v| v.as_array())
        .expect("payloads");
    assert_eq!(payloads.len(), 1);
    let payload = payloads[0].as_dictionary().expect("payload dict");
    assert_eq!(
        payload.get("PayloadType").and_then(|v| v.as_string()),
        Some("com.anthropic.claudecode")
    );
    // The settings keys sit in the payload as native plist values: back to JSON, they are the
    // managed-settings.json.
    let mut settings = serde_json::Map::new();
    for (key, value) in payload.iter() {
        if !key.starts_with("Payload") {
            settings.insert(key.clone(), to_json(value));
        }
    }
    assert_eq!(Value::Object(settings), claude_settings());
    // UUIDs are stable and distinct.
    let uuid = |d: &plist::Dictionary| {
        d.get("PayloadUUID")
            .and_then(|v| v.as_string())
            .unwrap()
            .to_owned()
    };
    assert_ne!(uuid(profile), uuid(payload));
    assert_eq!(
        file(&acme(), &repo(), Channel::ClaudeMacos).bytes,
        f.bytes,
        "the same input gives the same profile"
    );
}

fn to_json(value: &plist::Value) -> Value {
    match value {
        plist::Value::Boolean(b) => Value::Bool(*b),
        plist::Value::String(s) => Value::String(s.clone()),
        plist::Value::Integer(i) => json!(i.as_signed().unwrap()),
        plist::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        plist::Value::Dictionary(d) => {
            Value::Object(d.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
        other => panic!("unexpected plist value {other:?}"),
    }
}

#[test]
fn the_windows_registry_file_is_utf16le_with_a_bom_and_its_settings_value_is_the_json() {
    let f = file(&acme(), &repo(), Channel::ClaudeWindows);
    assert!(f.file_name.ends_with(".reg"));
    assert_eq!(&f.bytes[..2], &[0xFF, 0xFE], "UTF-16LE byte-order mark");
    let units: Vec<u16> = f.bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).expect("UTF-16");
    assert_eq!(text, f.text);
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "Windows Registry Editor Version 5.00");
    assert_eq!(lines[1], "");
    assert_eq!(
        lines[2],
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ClaudeCode]"
    );
    let value = lines[3]
        .strip_prefix("\"Settings\"=\"")
        .and_then(|v| v.strip_suffix('"'))
        .expect("a Settings string value");
    // Undo regedit's escapes (\\ and \"), then it is the managed settings.
    let mut json_text = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            json_text.push(chars.next().expect("an escaped character"));
        } else {
            assert_ne!(c, '"', "an unescaped quote ends the value early");
            json_text.push(c);
        }
    }
    let parsed: Value = serde_json::from_str(&json_text).expect("JSON");
    assert_eq!(parsed, claude_settings());
    assert!(
        !text.contains('\n') || text.replace("\r\n", "").find('\n').is_none(),
        "CRLF only"
    );
}

#[test]
fn codex_system_config_parses_as_toml_with_the_keys_codex_writes() {
    let f = file(&acme(), &repo(), Channel::Codex);
    assert_eq!(f.file_name, "config.toml");
    let value: toml::Value = toml::from_str(&f.text).expect("TOML");
    let mkt = &value["marketplaces"]["acme-corp-gram"];
    assert_eq!(mkt["source_type"].as_str(), Some("git"));
    assert_eq!(
        mkt["source"].as_str(),
        Some("https://github.com/acme/agent-plugins.git")
    );
    assert_eq!(
        value["plugins"]["acme-corp-observability-codex@acme-corp-gram"]["enabled"].as_bool(),
        Some(true)
    );
}

#[test]
fn copilot_managed_settings_round_trip_as_json() {
    let f = file(&acme(), &repo(), Channel::Copilot);
    let value: Value = serde_json::from_slice(&f.bytes).expect("JSON");
    assert_eq!(
        value,
        json!({
            "extraKnownMarketplaces": {
                "acme-corp-gram": {
                    "source": { "source": "github", "repo": "acme/agent-plugins" },
                    "autoUpdate": true
                }
            },
            "enabledPlugins": { "acme-corp-observability-copilot@acme-corp-gram": true }
        })
    );
}

#[test]
fn cursor_steps_name_the_repository_and_the_plugin_to_require() {
    let f = file(&acme(), &repo(), Channel::Cursor);
    assert!(
        f.text.contains("`https://github.com/acme/agent-plugins`"),
        "{}",
        f.text
    );
    assert!(
        f.text
            .contains("Mark `acme-corp-observability-cursor` **required**"),
        "{}",
        f.text
    );
}

#[test]
fn the_published_readme_says_how_every_agent_updates() {
    let spec = gram_admin_core::MarketplaceSpec {
        plugins: vec![],
        repository: Some("acme/agent-plugins".into()),
    };
    let bundle = gram_admin_core::render::marketplace_for(
        &acme(),
        &gram_admin_core::HooksKey::placeholder(),
        &spec,
    )
    .expect("render");
    let readme = bundle
        .files()
        .find(|f| f.path == "README.md")
        .map(|f| String::from_utf8(f.contents.clone()).expect("utf-8"))
        .expect("a README");
    let update = &readme[readme.find("## Updating").expect("an Updating section")..];
    for step in [
        "`claude plugin update acme-corp-observability@acme-corp-gram`",
        "`codex plugin marketplace upgrade acme-corp-gram`, then `codex plugin add acme-corp-observability-codex@acme-corp-gram`",
        "`copilot plugin update acme-corp-observability-copilot@acme-corp-gram`",
        "update `acme-corp-observability-cursor` in **Settings → Plugins**",
        "**OpenCode**: pull this repository",
    ] {
        assert!(update.contains(step), "missing {step}:\n{update}");
    }
}
