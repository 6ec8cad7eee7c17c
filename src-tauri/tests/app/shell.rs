//! The shell's configuration: what the window may do, and where the UI talks to Tauri.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_window_gets_core_default_and_no_plugin_permissions() {
    let dir = crate_dir().join("capabilities");
    let mut granted = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("capabilities/") {
        let capability = read_json(&entry.expect("entry").path());
        for permission in capability["permissions"].as_array().expect("permissions") {
            granted.push(permission.as_str().expect("a permission name").to_owned());
        }
    }
    assert_eq!(
        granted,
        ["core:default"],
        "fs, shell or http access from the webview needs a deliberate review"
    );
}

#[test]
fn the_app_serves_the_built_ui_under_a_content_security_policy() {
    let conf = read_json(&crate_dir().join("tauri.conf.json"));
    assert_eq!(conf["build"]["frontendDist"], "../ui/dist");
    let csp = conf["app"]["security"]["csp"].as_str().expect("a CSP");
    assert!(csp.contains("default-src 'self'"), "{csp}");
}

/// `ui/src/tauri.ts` is the only module that imports `@tauri-apps/*`; the rest calls it.
#[test]
fn only_ui_src_tauri_ts_imports_tauri() {
    let src = crate_dir().join("../ui/src");
    let mut offenders = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("ui/src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "ts")
                && path != src.join("tauri.ts")
                && std::fs::read_to_string(&path)
                    .expect("read")
                    .contains("@tauri-apps/")
            {
                offenders.push(
                    path.strip_prefix(&src)
                        .expect("under src")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "import Tauri only in ui/src/tauri.ts: {offenders:?}"
    );
}
