//! OpenCode's observability plugin: a module and its data file, no hooks file, no manifest.
//! (The module running in the real OpenCode is proven in tests/conformance/tests/opencode.)

use gram_admin_core::export::zip_bytes;
use gram_admin_core::preview::preview;
use std::path::Path;

use gram_admin_core::render::{
    OPENCODE_DATA_PATH, OPENCODE_MARKETPLACE_DIR, OPENCODE_MCP_LOADER, OPENCODE_MODULE,
    OPENCODE_MODULE_PATH,
};
use gram_admin_core::{render, FileMode, HooksKey, Platform};
use serde_json::{json, Value};

use crate::support::{key, org, spec};

const SERVER: &str = "https://app.getgram.ai";

#[test]
fn the_plugin_is_the_module_and_a_private_data_file() {
    let bundle =
        render::observability_plugin(&org(SERVER), &key(), Platform::OpenCode).expect("render");
    let paths: Vec<&str> = bundle.files().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, [OPENCODE_MODULE_PATH, OPENCODE_DATA_PATH]);
    let module = bundle.get(OPENCODE_MODULE_PATH).expect("module");
    assert_eq!(module.mode, FileMode::Regular);
    assert_eq!(module.contents, OPENCODE_MODULE.as_bytes());
    assert!(
        !String::from_utf8_lossy(&module.contents).contains(key().expose()),
        "the module holds no org value"
    );
    let data = bundle.get(OPENCODE_DATA_PATH).expect("data");
    assert_eq!(data.mode, FileMode::Private);
    let data: serde_json::Value = serde_json::from_slice(&data.contents).expect("json");
    assert_eq!(data["endpoint"], "https://app.getgram.ai/rpc/hooks.ingest");
    assert_eq!(data["project"], "default");
    assert_eq!(data["key"], key().expose());
}

#[test]
fn the_module_is_identical_for_every_org_and_key() {
    let a = render::observability_plugin(&org(SERVER), &key(), Platform::OpenCode).expect("a");
    let b = render::observability_plugin(
        &org("https://gram.other.test"),
        &HooksKey::placeholder(),
        Platform::OpenCode,
    )
    .expect("b");
    assert_eq!(
        a.get(OPENCODE_MODULE_PATH).expect("a").contents,
        b.get(OPENCODE_MODULE_PATH).expect("b").contents
    );
    assert_ne!(
        a.get(OPENCODE_DATA_PATH).expect("a").contents,
        b.get(OPENCODE_DATA_PATH).expect("b").contents
    );
}

#[test]
fn preview_shows_the_module_first_and_masks_the_key() {
    let bundle =
        render::observability_plugin(&org(SERVER), &key(), Platform::OpenCode).expect("render");
    let files = preview(&bundle, &key());
    assert_eq!(files[0].path, OPENCODE_MODULE_PATH);
    let all: String = files.iter().filter_map(|f| f.text.clone()).collect();
    assert!(all.contains(&key().masked()));
    assert!(!all.contains(key().expose()), "the full key is shown");

    // The hook-script agents still show hooks.json first.
    let claude =
        render::observability_plugin(&org(SERVER), &key(), Platform::Claude).expect("render");
    assert_eq!(preview(&claude, &key())[0].path, "hooks/hooks.json");
}

#[test]
fn the_zip_keeps_the_data_file_private() {
    let bundle =
        render::observability_plugin(&org(SERVER), &key(), Platform::OpenCode).expect("render");
    let bytes = zip_bytes(&bundle).expect("zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let modes: Vec<(String, u32)> = (0..zip.len())
        .map(|i| {
            let entry = zip.by_index(i).expect("entry");
            (
                entry.name().expect("a UTF-8 name").into_owned(),
                entry.unix_mode().expect("mode") & 0o777,
            )
        })
        .collect();
    assert_eq!(
        modes,
        [
            (OPENCODE_MODULE_PATH.to_owned(), 0o644),
            (OPENCODE_DATA_PATH.to_owned(), 0o600)
        ]
    );
    assert_eq!(
        Platform::OpenCode.observability_plugin_name(org(SERVER).slug()),
        "acme-corp-observability-opencode"
    );
}

#[test]
fn the_marketplace_has_each_feature_plugin_for_opencode_as_a_loader_and_its_servers() {
    let bundle = render::marketplace_for(&org(SERVER), &key(), &spec()).expect("render");
    let opencode: Vec<(&str, FileMode)> = bundle
        .files()
        .filter(|f| f.path.starts_with(&format!("{OPENCODE_MARKETPLACE_DIR}/")))
        .map(|f| (f.path.as_str(), f.mode))
        .collect();
    assert_eq!(
        opencode,
        [
            ("opencode/plugin/docs-opencode.js", FileMode::Regular),
            ("opencode/plugin/docs-opencode.json", FileMode::Regular),
            ("opencode/plugin/payments-opencode.js", FileMode::Regular),
            ("opencode/plugin/payments-opencode.json", FileMode::Regular),
        ]
    );
    for loader in ["docs", "payments"] {
        let file = bundle
            .get(&format!("opencode/plugin/{loader}-opencode.js"))
            .expect("loader");
        assert_eq!(
            file.contents,
            OPENCODE_MCP_LOADER.as_bytes(),
            "identical for every plugin"
        );
    }
    let data = |name: &str| -> Value {
        serde_json::from_slice(
            &bundle
                .get(&format!("opencode/plugin/{name}-opencode.json"))
                .expect("data")
                .contents,
        )
        .expect("json")
    };
    let payments = data("payments");
    assert_eq!(payments["server"], SERVER);
    assert_eq!(
        payments["mcp"],
        json!({
            "payments-ledger": {
                "type": "remote",
                "url": "https://app.getgram.ai/mcp/acme-ledger",
                "headers": { "Authorization": "Bearer {env:GRAM_KEY}" },
            },
            "payments-stripe": {
                "type": "remote",
                "url": "https://mcp.stripe.test/mcp",
                "headers": { "X-Stripe-Key": "{env:STRIPE_API_KEY}" },
            },
        })
    );
    assert_eq!(
        data("docs")["mcp"],
        json!({ "docs-handbook": { "type": "remote", "url": "https://app.getgram.ai/mcp/acme-handbook" } })
    );
    let text: String = bundle
        .files()
        .filter(|f| f.path.starts_with("opencode/"))
        .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
        .collect();
    assert!(!text.contains(key().expose()), "no hooks key for OpenCode");
    let readme =
        String::from_utf8_lossy(&bundle.get("README.md").expect("readme").contents).into_owned();
    assert!(readme.contains("### OpenCode"), "{readme}");
    assert!(
        readme.contains("cp acme-corp-gram/opencode/plugin/payments-opencode.js acme-corp-gram/opencode/plugin/payments-opencode.json ~/.config/opencode/plugin/\n"),
        "{readme}"
    );
}

#[test]
fn opencode_names_that_clash_are_refused() {
    // OpenCode names servers <plugin>-<server> in one map: payments + "ledger-eu" and
    // payments-ledger + "eu" would both be payments-ledger-eu.
    let mut clash = spec();
    clash.plugins[0].servers[0].display_name = "Ledger EU".into();
    let mut second = clash.plugins[1].clone();
    second.slug = "payments-ledger".into();
    second.servers[0].display_name = "EU".into();
    clash.plugins[1] = second;
    let err = render::marketplace_for(&org(SERVER), &key(), &clash).expect_err("clash");
    assert!(
        err.to_string()
            .contains("\"payments-ledger-eu\" in OpenCode"),
        "{err}"
    );

    // The folder is taken: a plugin called `opencode` would be Claude's `opencode/` directory.
    let mut folder = spec();
    folder.plugins[1].slug = OPENCODE_MARKETPLACE_DIR.into();
    let err = render::marketplace_for(&org(SERVER), &key(), &folder).expect_err("folder");
    assert!(err.to_string().contains("\"opencode\""), "{err}");
}

/// Runs the marketplace's OpenCode files as OpenCode does: imports each loader from a plugin
/// folder and calls its `config` hook with `config`; prints the config it leaves.
fn run_loaders(dir: &Path, config: Value, env: &[(&str, &str)]) -> Value {
    let script = r#"
const [dir, config] = [process.argv[1], JSON.parse(process.argv[2])];
const { readdirSync } = await import("node:fs");
for (const file of readdirSync(dir).filter((f) => f.endsWith(".js")).sort()) {
  const mod = await import(dir + "/" + file);
  for (const plugin of Object.values(mod)) {
    const hooks = await plugin({ directory: dir });
    await hooks.config(config);
  }
}
process.stdout.write(JSON.stringify(config));
"#;
    let out = std::process::Command::new("node")
        .args(["--input-type=module", "-e", script])
        .arg(dir)
        .arg(config.to_string())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("node (scripts/setup.sh installs it)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the config as JSON")
}

fn opencode_plugin_folder(server: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = render::marketplace_for(&org(server), &key(), &spec()).expect("render");
    for f in bundle.files() {
        if let Some(rest) = f.path.strip_prefix("opencode/plugin/") {
            std::fs::write(dir.path().join(rest), &f.contents).expect("write");
        }
    }
    dir
}

#[test]
fn the_loaders_add_their_servers_through_opencode_s_config_hook() {
    let dir = opencode_plugin_folder(SERVER);
    let gram_key = "gram_test_not_a_real_key";
    let config = run_loaders(
        dir.path(),
        json!({ "$schema": "https://opencode.ai/config.json" }),
        &[
            ("GRAM_KEY", gram_key),
            ("STRIPE_API_KEY", "sk_test_stand_in"),
        ],
    );
    assert_eq!(
        config["mcp"],
        json!({
            "docs-handbook": { "type": "remote", "url": "https://app.getgram.ai/mcp/acme-handbook" },
            "payments-ledger": {
                "type": "remote",
                "url": "https://app.getgram.ai/mcp/acme-ledger",
                "headers": { "Authorization": format!("Bearer {gram_key}") },
            },
            "payments-stripe": {
                "type": "remote",
                "url": "https://mcp.stripe.test/mcp",
                "headers": { "X-Stripe-Key": "sk_test_stand_in" },
            },
        })
    );
    assert_eq!(config["$schema"], "https://opencode.ai/config.json");

    // Unset variables: the header is left out, never sent empty.
    let config = run_loaders(dir.path(), json!({}), &[]);
    assert!(config["mcp"]["payments-ledger"].get("headers").is_none());
    assert!(config["mcp"]["payments-stripe"].get("headers").is_none());

    // The teammate's own entry wins (here: turned off), and other entries stay.
    let config = run_loaders(
        dir.path(),
        json!({ "mcp": { "payments-stripe": { "enabled": false }, "mine": { "type": "local", "command": ["x"] } } }),
        &[("GRAM_KEY", gram_key)],
    );
    assert_eq!(
        config["mcp"]["payments-stripe"],
        json!({ "enabled": false })
    );
    assert_eq!(config["mcp"]["mine"]["type"], "local");
    assert_eq!(config["mcp"]["payments-ledger"]["type"], "remote");
}

#[test]
fn the_loader_never_sends_the_gram_key_off_gram_even_from_an_edited_data_file() {
    let dir = opencode_plugin_folder(SERVER);
    let path = dir.path().join("payments-opencode.json");
    let mut data: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    data["mcp"]["payments-stripe"]["headers"]["Authorization"] = json!("Bearer {env:GRAM_KEY}");
    data["mcp"]["payments-stripe"]["headers"]["X-Both"] =
        json!("{env:STRIPE_API_KEY}:{env:GRAM_KEY}");
    std::fs::write(&path, data.to_string()).expect("write");
    let config = run_loaders(
        dir.path(),
        json!({}),
        &[
            ("GRAM_KEY", "gram_test_not_a_real_key"),
            ("STRIPE_API_KEY", "sk_test_stand_in"),
        ],
    );
    assert_eq!(
        config["mcp"]["payments-stripe"]["headers"],
        json!({ "X-Stripe-Key": "sk_test_stand_in" }),
        "no header naming GRAM_KEY reaches a server off Gram"
    );
    assert_eq!(
        config["mcp"]["payments-ledger"]["headers"]["Authorization"],
        "Bearer gram_test_not_a_real_key"
    );

    // The broken variant: without the loader's origin check the key would go (proves the test
    // can fail) — a data file that names the Stripe host as Gram's server sends it there.
    data["server"] = json!("https://mcp.stripe.test");
    std::fs::write(&path, data.to_string()).expect("write");
    let config = run_loaders(
        dir.path(),
        json!({}),
        &[
            ("GRAM_KEY", "gram_test_not_a_real_key"),
            ("STRIPE_API_KEY", "sk_test_stand_in"),
        ],
    );
    assert_eq!(
        config["mcp"]["payments-stripe"]["headers"]["Authorization"],
        "Bearer gram_test_not_a_real_key"
    );
}

#[test]
fn a_loader_without_its_data_file_adds_nothing_and_never_throws() {
    let dir = opencode_plugin_folder(SERVER);
    std::fs::remove_file(dir.path().join("payments-opencode.json")).expect("rm");
    std::fs::write(dir.path().join("docs-opencode.json"), "{ not json").expect("write");
    let config = run_loaders(dir.path(), json!({ "mcp": {} }), &[]);
    assert_eq!(config["mcp"], json!({}));
}

#[test]
fn the_module_parses_as_an_es_module_in_node() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("gram-observability.mjs");
    std::fs::write(&path, OPENCODE_MODULE).expect("write");
    let out = std::process::Command::new("node")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("node (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The broken variant: the same check refuses a syntax error.
    std::fs::write(&path, format!("{OPENCODE_MODULE}\nexport const = ;\n")).expect("write");
    let out = std::process::Command::new("node")
        .arg("--check")
        .arg(&path)
        .output()
        .expect("node");
    assert!(!out.status.success());
}
