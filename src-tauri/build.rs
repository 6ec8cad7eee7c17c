//! The app manifest: every command the app registers (`generate_handler!` in src/lib.rs) is
//! listed here, so Tauri checks each call against the capabilities — a window gets exactly the
//! commands its capability grants (`capabilities/`), and a window no capability names (the Gram
//! sign-in window) gets none. `tests/app/shell.rs` checks this list against `generate_handler!`.

const COMMANDS: &[&str] = &[
    "list_platforms",
    "preview_plugin",
    "export_plugin_zip",
    "gram_status",
    "gram_sign_in",
    "gram_sign_in_window",
    "gram_sign_out",
    "gram_choose_project",
    "content_level",
    "set_content_level",
    "list_app_keys",
    "revoke_app_key",
    "retire_keys",
    "org_plugins",
    "preview_marketplace",
    "rollout_files",
    "save_rollout",
    "check_hook",
    "network_settings",
    "set_ca_file",
    "github_status",
    "github_sign_in_token",
    "github_device_start",
    "github_open_verification",
    "github_open_page",
    "github_device_finish",
    "github_device_cancel",
    "github_sign_out",
    "marketplace_status",
    "plan_publish",
    "publish_marketplace",
    "cancel_publish",
    "list_publish_steps",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri build step (tauri.conf.json, capabilities/, the app manifest)");
}
