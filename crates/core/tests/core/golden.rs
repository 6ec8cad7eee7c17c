//! Golden files: the exact bytes we ship, reviewed by hand once. `UPDATE_GOLDEN=1 cargo test`
//! rewrites them after an intended change; review the diff before committing.

use std::path::PathBuf;

use gram_admin_core::{render, Bundle, Platform};

use crate::support::{key, org, spec};

const SERVER: &str = "https://app.getgram.ai";

/// Every file as `=== path (mode) ===` followed by its text: one reviewable file per case.
fn snapshot(bundle: &Bundle) -> String {
    let mut out = String::new();
    for file in bundle.files() {
        out.push_str(&format!("=== {} ({:o}) ===\n", file.path, file.mode.unix()));
        out.push_str(std::str::from_utf8(&file.contents).expect("generated files are text"));
        if !out.ends_with('\n') {
            out.push_str("\n[no newline at end of file]\n");
        }
    }
    out
}

fn check(name: &str, bundle: &Bundle) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    let actual = snapshot(bundle);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1 once)", path.display()));
    if actual != expected {
        let first = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(0);
        panic!(
            "{name} differs from {} at line {}:\n  actual:   {:?}\n  expected: {:?}\n(UPDATE_GOLDEN=1 rewrites it after an intended change)",
            path.display(),
            first + 1,
            actual.lines().nth(first),
            expected.lines().nth(first)
        );
    }
}

#[test]
fn claude_plugin_matches_golden() {
    check(
        "claude",
        &render::observability_plugin(&org(SERVER), &key(), Platform::Claude).expect("render"),
    );
}

#[test]
fn cursor_plugin_matches_golden() {
    check(
        "cursor",
        &render::observability_plugin(&org(SERVER), &key(), Platform::Cursor).expect("render"),
    );
}

#[test]
fn codex_plugin_matches_golden() {
    check(
        "codex",
        &render::observability_plugin(&org(SERVER), &key(), Platform::Codex).expect("render"),
    );
}

/// Copilot installs the entry whose name is the package's plugin.json name; without a root
/// marketplace.json it would install the Claude packages from `.claude-plugin/`.
#[test]
fn copilot_s_root_marketplace_names_its_own_packages_and_the_readme_says_how() {
    let bundle = render::marketplace_for(&org(SERVER), &key(), &spec()).expect("render");
    let json = |path: &str| json_file(&bundle, path);
    let mkt = json("marketplace.json");
    assert_eq!(
        mkt["owner"]["name"], "Acme Corp",
        "Copilot refuses a marketplace without owner"
    );
    let names: Vec<&str> = mkt["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "acme-corp-observability-copilot",
            "payments-copilot",
            "docs-copilot"
        ]
    );
    for p in mkt["plugins"].as_array().unwrap() {
        let dir = p["source"].as_str().unwrap().strip_prefix("./").unwrap();
        let manifest = json(&format!("{dir}/plugin.json"));
        assert_eq!(manifest["name"], p["name"]);
        assert!(manifest.get("$schema").is_none());
    }
    let mcp = json("payments-copilot/.mcp.json");
    assert_eq!(mcp["mcpServers"]["ledger"]["type"], "http");
    assert_eq!(
        mcp["mcpServers"]["ledger"]["headers"]["Authorization"],
        "Bearer ${GRAM_KEY}"
    );
    // The other agents' marketplace files are untouched by Copilot's.
    assert_eq!(
        json(".claude-plugin/marketplace.json")["plugins"][0]["name"],
        "acme-corp-observability"
    );
    let readme = std::str::from_utf8(&bundle.get("README.md").expect("README").contents)
        .unwrap()
        .to_owned();
    for line in [
        "copilot plugin marketplace add acme/agent-plugins",
        "copilot plugin install acme-corp-observability-copilot@acme-corp-gram",
        "\"acme-corp-observability-copilot@acme-corp-gram\": true",
    ] {
        assert!(readme.contains(line), "{line}");
    }
}

#[test]
fn copilot_plugin_matches_golden() {
    check(
        "copilot",
        &render::observability_plugin(&org(SERVER), &key(), Platform::Copilot).expect("render"),
    );
}

/// Each of these silently drops every hook in Copilot CLI 1.0.102 (AGENT-NOTES.md): a root
/// `hooks.json`, any `matcher`, a `$schema` in `plugin.json`.
#[test]
fn copilot_hooks_avoid_every_layout_trap_and_register_every_event() {
    let bundle =
        render::observability_plugin(&org(SERVER), &key(), Platform::Copilot).expect("render");
    assert!(
        bundle.get("hooks.json").is_none(),
        "a root hooks.json shadows hooks/hooks.json"
    );
    let json = |path: &str| json_file(&bundle, path);
    let manifest = json("plugin.json");
    assert!(manifest.get("$schema").is_none(), "{manifest}");
    assert_eq!(manifest["name"], "acme-corp-observability-copilot");
    assert_eq!(manifest["hooks"], "hooks/hooks.json");
    let hooks = json("hooks/hooks.json");
    assert_eq!(hooks["version"], 1);
    let events: Vec<&str> = hooks["hooks"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        events,
        [
            "sessionStart",
            "userPromptSubmitted",
            "preToolUse",
            "permissionRequest",
            "postToolUse",
            "postToolUseFailure",
            "agentStop",
            "subagentStart",
            "subagentStop",
            "errorOccurred",
            "sessionEnd",
            "notification"
        ]
    );
    for (event, entries) in hooks["hooks"].as_object().expect("object") {
        let entries = entries.as_array().expect("array");
        assert_eq!(entries.len(), 1, "{event}");
        let entry = entries[0].as_object().expect("object");
        let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["type", "bash", "powershell", "timeoutSec"],
            "{event}: no matcher, nothing else"
        );
        assert_eq!(entry["type"], "command");
        assert_eq!(
            entry["bash"],
            format!("sh \"${{COPILOT_PLUGIN_ROOT}}/hooks/gram-hook.sh\" {event}")
        );
        let ps = entry["powershell"].as_str().expect("powershell");
        assert!(
            ps.contains(&format!("'{event}'")) && ps.contains("$env:COPILOT_PLUGIN_ROOT"),
            "{ps}"
        );
        assert!(!ps.contains("://") && !entry["bash"].as_str().unwrap().contains("://"));
    }
    let config = std::str::from_utf8(
        &bundle
            .get("hooks/gram-hook.curlrc")
            .expect("config")
            .contents,
    )
    .unwrap()
    .to_owned();
    assert!(
        config.contains("url = \"https://app.getgram.ai/rpc/hooks.ingest\""),
        "{config}"
    );
    assert!(bundle.get("hooks/gram-envelope.awk").is_some());
}

#[test]
fn opencode_plugin_matches_golden() {
    check(
        "opencode",
        &render::observability_plugin(&org(SERVER), &key(), Platform::OpenCode).expect("render"),
    );
}

#[test]
fn marketplace_matches_golden() {
    check(
        "marketplace",
        &render::marketplace_for(&org(SERVER), &key(), &spec()).expect("render"),
    );
}

#[test]
fn claude_hooks_live_at_hooks_hooks_json_with_exactly_gram_events() {
    let bundle =
        render::observability_plugin(&org(SERVER), &key(), Platform::Claude).expect("render");
    assert!(
        bundle.get("hooks.json").is_none(),
        "a root hooks.json is never wired up by Claude"
    );
    let hooks: serde_json::Value =
        serde_json::from_slice(&bundle.get("hooks/hooks.json").expect("hooks file").contents)
            .expect("json");
    let events: Vec<&str> = hooks["hooks"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        events,
        [
            "SessionStart",
            "UserPromptSubmit",
            "PreToolUse",
            "PostToolUse",
            "PostToolUseFailure",
            "Notification",
            "Stop",
            "SessionEnd"
        ]
    );
    for (event, groups) in hooks["hooks"].as_object().expect("object") {
        let group = &groups[0];
        assert!(group.get("matcher").is_none(), "{event} has a matcher");
        let command = group["hooks"][0]["command"].as_str().expect("command");
        assert!(
            command.contains("${CLAUDE_PLUGIN_ROOT}") && command.ends_with(event.as_str()),
            "{command}"
        );
        assert!(
            !command.contains("://"),
            "the URL must stay out of the command: {command}"
        );
    }
}

#[test]
fn the_version_changes_whenever_the_content_does() {
    let version = |bundle: &Bundle| -> String {
        let manifest: serde_json::Value = serde_json::from_slice(
            &bundle
                .get(".claude-plugin/plugin.json")
                .expect("manifest")
                .contents,
        )
        .expect("json");
        manifest["version"].as_str().expect("version").to_owned()
    };
    let a = render::observability_plugin(&org(SERVER), &key(), Platform::Claude).expect("render");
    let b = render::observability_plugin(&org("https://gram.acme.test"), &key(), Platform::Claude)
        .expect("render");
    let c = render::observability_plugin(
        &org(SERVER),
        &gram_admin_core::HooksKey::placeholder(),
        Platform::Claude,
    )
    .expect("render");
    let again =
        render::observability_plugin(&org(SERVER), &key(), Platform::Claude).expect("render");
    assert_eq!(version(&a), version(&again));
    assert_ne!(version(&a), version(&b));
    assert_ne!(version(&a), version(&c));
    assert!(version(&a).starts_with("1.0.0-g"));
}

#[test]
fn marketplaces_list_the_observability_plugins_first_and_every_source_exists() {
    let bundle = render::marketplace_for(&org(SERVER), &key(), &spec()).expect("render");
    for (path, first) in [
        (".claude-plugin/marketplace.json", "acme-corp-observability"),
        (
            ".cursor-plugin/marketplace.json",
            "acme-corp-observability-cursor",
        ),
        (
            ".agents/plugins/marketplace.json",
            "acme-corp-observability-codex",
        ),
        // Copilot reads a root marketplace.json first, and then lists only that one.
        ("marketplace.json", "acme-corp-observability-copilot"),
    ] {
        let mkt: serde_json::Value =
            serde_json::from_slice(&bundle.get(path).expect(path).contents).expect("json");
        let plugins = mkt["plugins"].as_array().expect("plugins");
        assert_eq!(plugins[0]["name"], first, "{path}");
        assert_eq!(plugins.len(), 3, "{path}");
        for p in plugins {
            let source = p["source"]
                .as_str()
                .or_else(|| p["source"]["path"].as_str())
                .expect("source");
            let dir = source.strip_prefix("./").expect("relative source");
            let manifest = bundle
                .files()
                .any(|f| f.path.starts_with(&format!("{dir}/")) && f.path.ends_with("plugin.json"));
            assert!(manifest, "{path}: {source} has no plugin.json");
        }
    }
}

#[test]
fn feature_plugins_never_send_a_gram_key_to_another_host() {
    let bundle = render::marketplace_for(&org(SERVER), &key(), &spec()).expect("render");
    let mcp: serde_json::Value =
        serde_json::from_slice(&bundle.get("payments/.mcp.json").expect("mcp").contents)
            .expect("json");
    assert_eq!(
        mcp["mcpServers"]["ledger"]["headers"]["Authorization"],
        "Bearer ${GRAM_KEY}"
    );
    assert!(mcp["mcpServers"]["stripe"]["headers"]
        .get("Authorization")
        .is_none());
    let text = bundle
        .files()
        .filter(|f| !f.path.ends_with("gram-hook.curlrc"))
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
        .collect::<String>();
    assert!(
        !text.contains(crate::support::key().expose()),
        "the hooks key may only be in the hook's curl config"
    );

    let mut hostile = spec();
    hostile.plugins[0].servers[1].public = false;
    let err = render::marketplace_for(&org(SERVER), &key(), &hostile)
        .expect_err("private off-Gram server");
    assert!(
        err.to_string()
            .contains("never sends a Gram key to another host"),
        "{err}"
    );
}

/// The bundle's file at `path`, parsed as JSON (the test fails naming a missing file).
fn json_file(bundle: &Bundle, path: &str) -> serde_json::Value {
    serde_json::from_slice(
        &bundle
            .get(path)
            .unwrap_or_else(|| panic!("{path}"))
            .contents,
    )
    .expect("json")
}
