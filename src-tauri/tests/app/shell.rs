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

/// The commands `generate_handler!` registers in src/lib.rs, by name.
fn registered_commands() -> Vec<String> {
    let lib = std::fs::read_to_string(crate_dir().join("src/lib.rs")).expect("src/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("generate_handler! in src/lib.rs");
    let list = &lib[start + "generate_handler![".len()..];
    let list = &list[..list.find(']').expect("the end of generate_handler!")];
    list.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.rsplit("::").next().expect("a name").to_owned())
        .collect()
}

/// The commands build.rs lists in the app manifest (`COMMANDS`).
fn manifest_commands() -> Vec<String> {
    let build = std::fs::read_to_string(crate_dir().join("build.rs")).expect("build.rs");
    let start = build.find("const COMMANDS").expect("COMMANDS in build.rs");
    let list = &build[start..];
    let list = &list[list.find('[').expect("[")..list.find("];").expect("];")];
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_app_manifest_lists_exactly_the_registered_commands() {
    let (mut registered, mut listed) = (registered_commands(), manifest_commands());
    assert!(registered.len() > 20, "{registered:?}");
    registered.sort();
    listed.sort();
    assert_eq!(
        listed, registered,
        "build.rs's COMMANDS must list each command of generate_handler! (a command missing \
there is refused to every window)"
    );
}

#[test]
fn the_main_window_gets_core_default_and_each_command_and_no_other_window_anything() {
    let dir = crate_dir().join("capabilities");
    let mut capabilities = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("capabilities/") {
        capabilities.push(read_json(&entry.expect("entry").path()));
    }
    assert_eq!(capabilities.len(), 1, "one capability, for the main window");
    let capability = &capabilities[0];
    assert_eq!(capability["windows"], serde_json::json!(["main"]));
    for field in ["webviews", "remote", "platforms"] {
        assert!(capability.get(field).is_none(), "{field}: {capability}");
    }
    let granted: Vec<&str> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("a permission name, no scopes"))
        .collect();
    let mut expected = vec!["core:default".to_owned()];
    expected.extend(
        registered_commands()
            .iter()
            .map(|c| format!("allow-{}", c.replace('_', "-"))),
    );
    let mut sorted = granted.clone();
    sorted.sort_unstable();
    sorted.dedup();
    expected.sort();
    assert_eq!(
        sorted, expected,
        "the app's commands and core:default only: fs, shell or http access from the webview \
needs a deliberate review"
    );
    assert_eq!(sorted.len(), granted.len(), "a permission granted twice");
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
