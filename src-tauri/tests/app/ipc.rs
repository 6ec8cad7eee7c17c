//! The commands invoked the way the UI invokes them (`ui/src/tauri.ts`): by name, with JSON
//! arguments, through Tauri's IPC on the mock runtime. Catches a renamed command or argument
//! and errors that would not reach the UI as an `AppError`.

use gram_admin_app::with_commands;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

use crate::config;

/// Invokes `cmd` with `args` in a fresh mock app; `Err` holds what the UI's promise rejects with.
fn invoke(cmd: &str, args: Value) -> Result<Value, Value> {
    let app = with_commands(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    get_ipc_response(
        &webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_owned(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON response"))
}

#[test]
fn preview_plugin_answers_the_ui_with_files_hooks_json_first() {
    let files = invoke(
        "preview_plugin",
        json!({ "config": config(), "platform": "cursor" }),
    )
    .expect("preview");
    let files = files.as_array().expect("a list");
    assert_eq!(files[0]["path"], "hooks/hooks.json");
    assert_eq!(files[0]["mode"], "regular");
    assert!(files[0]["size"].as_u64().expect("size") > 0);
    assert!(files
        .iter()
        .any(|f| f["path"] == ".cursor-plugin/plugin.json"));
    assert!(
        !Value::Array(files.clone())
            .to_string()
            .contains(&"0".repeat(64)),
        "the full key reached the UI"
    );
}

#[test]
fn optional_fields_may_be_left_out_as_the_form_does() {
    let minimal = json!({
        "org_name": "Acme Corp",
        "server_url": "https://app.getgram.ai",
        "project_slug": "default",
    });
    invoke(
        "preview_plugin",
        json!({ "config": minimal, "platform": "claude" }),
    )
    .expect("preview without email or marketplace name");
}

#[test]
fn invalid_input_rejects_with_an_app_error_naming_each_field() {
    let mut bad = serde_json::to_value(config()).expect("json");
    bad["project_slug"] = json!("");
    bad["server_url"] = json!("ftp://x");
    let err = invoke(
        "preview_plugin",
        json!({ "config": bad, "platform": "codex" }),
    )
    .expect_err("invalid");
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{err}"
    );
    let mut fields: Vec<&str> = err["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["field"].as_str().expect("field"))
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["project", "server"], "{err}");
}

#[test]
fn the_ui_cannot_reach_a_command_that_is_not_registered() {
    let err = invoke("write_plugin_zip", json!({})).expect_err("not a command");
    assert!(err.to_string().contains("not found"), "{err}");
}

#[test]
fn list_platforms_gives_the_ui_every_agent_from_the_core_table() {
    let platforms = invoke("list_platforms", json!({})).expect("platforms");
    assert_eq!(
        platforms,
        json!([
            { "platform": "claude", "display_name": "Claude Code" },
            { "platform": "cursor", "display_name": "Cursor" },
            { "platform": "codex", "display_name": "Codex" },
        ])
    );
}
