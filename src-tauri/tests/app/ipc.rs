//! The commands invoked the way the UI invokes them (`ui/src/tauri.ts`): by name, with JSON
//! arguments, through Tauri's IPC on the mock runtime. Catches a renamed command or argument
//! and errors that would not reach the UI as an `AppError`.

use std::path::PathBuf;
use std::sync::Arc;

use gram_admin_app::{with_commands, AppState, GithubState};
use gram_admin_core::actions::{Context, Github};
use gram_admin_core::github::auth::DeviceFlow;
use gram_admin_core::gram::session::Overrides;
use gram_admin_core::secrets::MemoryStore;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindowBuilder;

use crate::config;

/// The UI's side of a mock app: one window that invokes commands, sharing one [`AppState`].
pub(crate) struct Ui {
    _app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
}

impl Ui {
    /// A mock app with a throwaway keychain (in memory), no environment overrides and settings
    /// in `settings` (or none).
    pub(crate) fn new(store: Arc<MemoryStore>, settings: Option<PathBuf>) -> Self {
        Self::with_github(
            store,
            settings,
            "http://127.0.0.1:9",
            DeviceFlow::new("http://127.0.0.1:9", "test-client"),
        )
    }

    /// As [`Ui::new`], with GitHub where `github` says.
    pub(crate) fn with_github(
        store: Arc<MemoryStore>,
        settings: Option<PathBuf>,
        api: &str,
        flow: DeviceFlow,
    ) -> Self {
        let github = Github {
            api: Github::api(api).expect("a GitHub API URL"),
            ..Github::com()
        };
        let app = with_commands(mock_builder())
            .manage(AppState::new(Context::new(
                store,
                Overrides::default(),
                settings,
                github,
            )))
            .manage(GithubState::new(flow))
            .build(mock_context(noop_assets()))
            .expect("mock app");
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window");
        Self { _app: app, webview }
    }

    /// Invokes `cmd` with `args`; `Err` holds what the UI's promise rejects with.
    pub(crate) fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.window().invoke(cmd, args)
    }

    /// The window alone, to invoke from another thread while a command runs (a second click).
    pub(crate) fn window(&self) -> UiWindow {
        UiWindow(self.webview.clone())
    }
}

/// The mock app's window; it can be sent to another thread (the app itself cannot).
pub(crate) struct UiWindow(tauri::WebviewWindow<MockRuntime>);

impl UiWindow {
    pub(crate) fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.0,
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
}

/// Invokes `cmd` with `args` in a fresh mock app.
fn invoke(cmd: &str, args: Value) -> Result<Value, Value> {
    Ui::new(Arc::new(MemoryStore::new()), None).invoke(cmd, args)
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
        serde_json::to_value(gram_admin_core::Platform::table()).expect("json"),
        "the UI lists exactly the core's table"
    );
    assert_eq!(
        platforms[0],
        json!({ "platform": "claude", "display_name": "Claude Code" })
    );
}

#[test]
fn list_publish_steps_gives_the_ui_each_steps_label_and_whether_it_moves_the_branch() {
    let steps = invoke("list_publish_steps", json!({})).expect("steps");
    let steps = steps.as_array().expect("a list");
    assert_eq!(steps.len(), gram_admin_core::github::Step::ALL.len());
    assert_eq!(
        steps[0],
        json!({ "step": "connect", "label": "Connecting to GitHub", "moves_branch": false })
    );
    let moving: Vec<&Value> = steps
        .iter()
        .filter(|s| s["moves_branch"] == true)
        .map(|s| &s["step"])
        .collect();
    assert_eq!(moving, [&json!("update_branch"), &json!("create_branch")]);
    let update = steps
        .iter()
        .find(|s| s["step"] == "update_branch")
        .expect("update_branch");
    assert_eq!(update["label"], "Moving the branch to the new commit");
}

#[test]
fn preview_reveals_the_key_only_when_asked() {
    let key = "0".repeat(64);
    let masked = invoke(
        "preview_plugin",
        json!({ "config": config(), "platform": "claude" }),
    )
    .expect("preview");
    assert!(!masked.to_string().contains(&key));
    let shown = invoke(
        "preview_plugin",
        json!({ "config": config(), "platform": "claude", "reveal": true }),
    )
    .expect("revealed");
    assert!(shown.to_string().contains(&format!("gram_local_{key}")));
    let again = invoke(
        "preview_plugin",
        json!({ "config": config(), "platform": "claude", "reveal": false }),
    )
    .expect("masked again");
    assert_eq!(again, masked);
}

#[test]
fn rollout_files_give_one_tab_per_channel_and_name_the_required_plugin() {
    let files = invoke(
        "rollout_files",
        json!({ "config": config(), "repository": "acme/agent-plugins" }),
    )
    .expect("rollout files");
    let files = files.as_array().expect("a list");
    let channels: Vec<&str> = files
        .iter()
        .map(|f| f["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        channels,
        [
            "claude",
            "claude-macos",
            "claude-windows",
            "codex",
            "cursor",
            "copilot"
        ]
    );
    let claude: Value =
        serde_json::from_str(files[0]["text"].as_str().expect("text")).expect("JSON");
    assert_eq!(
        claude["enabledPlugins"]["acme-corp-observability@acme-corp-gram"],
        true
    );
    assert_eq!(files[0]["file_name"], "managed-settings.json");
    assert!(files[0].get("bytes").is_none(), "bytes stay in the shell");
    let err = invoke(
        "rollout_files",
        json!({ "config": config(), "repository": "not a repo" }),
    )
    .expect_err("bad repository");
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert_eq!(err["problems"][0]["field"], "repository", "{err}");
}

#[test]
fn signed_out_the_marketplace_holds_the_observability_plugins_alone() {
    let files = invoke(
        "preview_marketplace",
        json!({ "config": config(), "repository": null }),
    )
    .expect("tree");
    let paths: Vec<&str> = files
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(
        paths.contains(&".claude-plugin/marketplace.json"),
        "{paths:?}"
    );
    assert!(
        paths.iter().all(|p| !p.starts_with("payments")),
        "{paths:?}"
    );
}

#[test]
fn check_hook_sends_the_pasted_key_and_returns_status_latency_and_verdict() {
    use gram_admin_testkit::fixtures::{acme_config, test_key_text};
    use gram_admin_testkit::{Answer, GramStandIn};

    let gram = GramStandIn::start();
    let config = acme_config(&gram.url());
    let ok = invoke(
        "check_hook",
        json!({ "config": config, "platform": "claude", "key": test_key_text() }),
    )
    .expect("check");
    assert_eq!(ok["verdict"], "ok", "{ok}");
    assert_eq!(ok["status"], 200);
    assert!(ok["latency_ms"].is_u64());
    assert_eq!(ok["answer"], "{}");
    assert!(
        !ok.to_string().contains(&test_key_text()),
        "the key reached the UI"
    );
    let requests = gram.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("Gram-Key"),
        Some(test_key_text().as_str())
    );

    // Without a key: the placeholder, which Gram refuses, and the explanation says so.
    gram.answer_with(|r| {
        if r.header("Gram-Key") == Some(test_key_text().as_str()) {
            Answer::ok()
        } else {
            Answer::error(401, "unauthorized", "unknown api key")
        }
    });
    let refused = invoke(
        "check_hook",
        json!({ "config": config, "platform": "cursor" }),
    )
    .expect("check");
    assert_eq!(refused["verdict"], "unauthorized", "{refused}");
    assert_eq!(refused["status"], 401);
    assert!(
        refused["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("placeholder")),
        "{refused}"
    );
    assert_eq!(gram.violations(), Vec::<String>::new());

    // A pasted key that is not one is a problem with the key field, and nothing is sent.
    let err = invoke(
        "check_hook",
        json!({ "config": config, "platform": "codex", "key": "not a key" }),
    )
    .expect_err("invalid key");
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert_eq!(err["problems"][0]["field"], "key", "{err}");
    assert_eq!(gram.requests().len(), 2);
}

/// With the shipped ACL (build.rs's app manifest, capabilities/): the main window may call the
/// app's commands; the Gram sign-in window may call none, even while it shows a local page —
/// it is protected by more than Tauri's remote-origin guard.
#[test]
fn with_the_shipped_capabilities_only_the_main_window_may_call_commands() {
    let app = with_commands(mock_builder())
        .manage(AppState::new(Context::new(
            Arc::new(MemoryStore::new()),
            Overrides::default(),
            None,
            Github::com(),
        )))
        .manage(GithubState::new(DeviceFlow::new(
            "http://127.0.0.1:9",
            "test-client",
        )))
        .build(tauri::generate_context!(test = true))
        .expect("mock app with the shipped capabilities");
    let window = |label: &str| {
        use tauri::Manager;
        app.get_webview_window(label).unwrap_or_else(|| {
            WebviewWindowBuilder::new(&app, label, Default::default())
                .build()
                .expect("mock window")
        })
    };
    let main = UiWindow(window("main"));
    let sign_in = UiWindow(window("gram-sign-in"));

    main.invoke("list_platforms", json!({}))
        .expect("the main window may list the agents");
    assert_eq!(
        main.invoke("gram_status", json!({})).expect("status")["state"],
        "signed_out"
    );
    for cmd in [
        "list_platforms",
        "gram_status",
        "gram_sign_out",
        "github_open_page",
    ] {
        let err = sign_in
            .invoke(cmd, json!({ "url": "https://github.com/" }))
            .expect_err(cmd);
        assert!(err.to_string().contains("not allowed"), "{cmd}: {err}");
    }
}

#[test]
fn retire_keys_with_nothing_scheduled_asks_nothing_of_gram() {
    let retired = invoke("retire_keys", json!({})).expect("nothing to retire");
    assert_eq!(
        retired,
        json!({ "revoked": [], "pending": [], "problems": [] })
    );
}
