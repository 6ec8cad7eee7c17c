//! OpenCode's observability plugin: a module and its data file, no hooks file, no manifest.
//! (The module running in the real OpenCode is proven in tests/conformance/tests/opencode.)

use gram_admin_core::export::zip_bytes;
use gram_admin_core::preview::preview;
use gram_admin_core::render::{OPENCODE_DATA_PATH, OPENCODE_MODULE, OPENCODE_MODULE_PATH};
use gram_admin_core::{render, FileMode, HooksKey, Platform};

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
fn the_marketplace_has_no_opencode_files() {
    let bundle = render::marketplace_for(&org(SERVER), &key(), &spec()).expect("render");
    assert!(
        bundle
            .files()
            .all(|f| !f.path.contains("opencode") && !f.path.starts_with("plugin/")),
        "OpenCode has no marketplace"
    );
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
