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
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(
        !csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{csp}"
    );
}

/// Every kind of UI source a framework may bring: a module importing Tauri hides in any of them.
const UI_SOURCE_EXTENSIONS: [&str; 10] = [
    "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "svelte", "vue",
];

/// The UI sources below `src` other than `src/tauri.ts` (and its own test, which replaces Tauri
/// with a mock) that import `@tauri-apps/*`.
fn tauri_importers(src: &Path) -> Vec<String> {
    let mut offenders = Vec::new();
    let mut dirs = vec![src.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("ui/src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| UI_SOURCE_EXTENSIONS.contains(&e))
                && path != src.join("tauri.ts")
                && path != src.join("tauri.test.ts")
                && std::fs::read_to_string(&path)
                    .expect("read")
                    .contains("@tauri-apps/")
            {
                offenders.push(
                    path.strip_prefix(src)
                        .expect("under src")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    offenders.sort();
    offenders
}

/// `ui/src/tauri.ts` is the only module that imports `@tauri-apps/*`; the rest calls it.
#[test]
fn only_ui_src_tauri_ts_imports_tauri() {
    let offenders = tauri_importers(&crate_dir().join("../ui/src"));
    assert!(
        offenders.is_empty(),
        "import Tauri only in ui/src/tauri.ts: {offenders:?}"
    );
}

/// The check sees an import in every kind of source a component framework uses.
#[test]
fn the_tauri_import_check_covers_every_ui_source_kind() {
    let src = tempfile::tempdir().expect("tmp");
    std::fs::write(
        src.path().join("tauri.ts"),
        "import '@tauri-apps/api/core';",
    )
    .expect("write");
    std::fs::create_dir(src.path().join("screens")).expect("mkdir");
    for ext in UI_SOURCE_EXTENSIONS {
        std::fs::write(
            src.path().join("screens").join(format!("a.{ext}")),
            "import { invoke } from \"@tauri-apps/api/core\";",
        )
        .expect("write");
    }
    std::fs::write(src.path().join("notes.md"), "@tauri-apps/ in prose").expect("write");
    std::fs::write(
        src.path().join("tauri.test.ts"),
        "vi.mock(\"@tauri-apps/api/core\");",
    )
    .expect("write");
    let found = tauri_importers(src.path());
    assert_eq!(found.len(), UI_SOURCE_EXTENSIONS.len(), "{found:?}");
}
