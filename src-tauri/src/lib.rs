//! The gram-admin desktop shell: Tauri commands over gram-admin-core, and nothing else.

pub mod commands;
mod dialog;
pub mod error;
pub mod github;
mod opener;
pub mod progress;
pub mod publish_steps;
mod signin_window;
pub mod state;
pub mod views;
mod window_state;

pub use dialog::TEST_SAVE_PATH_ENV;
pub use github::GithubState;
pub use state::AppState;

use tauri::Manager;

/// Registers every command the UI may invoke (also used by the IPC tests' mock runtime, which
/// manage their own [`AppState`]).
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::list_platforms,
        commands::preview_plugin,
        commands::export_plugin_zip,
        commands::gram_status,
        commands::gram_sign_in,
        commands::gram_sign_in_window,
        commands::gram_sign_out,
        commands::gram_choose_project,
        commands::content_level,
        commands::set_content_level,
        commands::list_app_keys,
        commands::revoke_app_key,
        commands::retire_keys,
        commands::org_plugins,
        commands::preview_marketplace,
        commands::rollout_files,
        commands::save_rollout,
        commands::check_hook,
        commands::network_settings,
        commands::set_ca_file,
        github::github_status,
        github::github_sign_in_token,
        github::github_device_start,
        github::github_open_verification,
        github::github_open_page,
        github::github_device_finish,
        github::github_device_cancel,
        github::github_sign_out,
        github::marketplace_status,
        github::plan_publish,
        github::publish_marketplace,
        github::cancel_publish,
        publish_steps::list_publish_steps,
    ])
}

/// Builds and runs the app.
pub fn run() {
    #[cfg(target_os = "linux")]
    {
        draw_without_dmabuf();
        run_javascript_without_jit();
    }
    let state = AppState::from_env().unwrap_or_else(|e| {
        eprintln!("gram-admin could not start: {}", e.message);
        std::process::exit(1);
    });
    let github = github::GithubState::for_github(state.ctx());
    with_commands(tauri::Builder::default())
        .manage(state)
        .manage(github)
        .setup(|app| {
            if let Some(main) = app.get_webview_window("main") {
                window_state::restore(&main);
                let window = main.clone();
                main.on_window_event(move |event| {
                    if let tauri::WindowEvent::CloseRequested { .. } = event {
                        window_state::save(&window);
                    }
                });
            }
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("gram-admin could not start: {e}");
            std::process::exit(1);
        });
}

/// WebKitGTK's DMA-BUF renderer composites on the GPU, which a page of forms does not need: it
/// costs ~95 MB (PSS, measured with scripts/bench-app.sh) and ~200 ms to first paint, and it is
/// the usual cause of blank windows on NVIDIA drivers. Without it WebKit paints in software.
/// The user's own setting wins. Called before GTK starts and before any other thread exists.
#[cfg(target_os = "linux")]
fn draw_without_dmabuf() {
    default_env("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
}

/// The app's pages (its own forms, and Gram's sign-in) run JavaScript in JavaScriptCore's
/// interpreter, without its JIT compilers: what Lockdown Mode does for every page on Apple's
/// devices, because the JIT is where most exploitable engine bugs are, in an app that holds an
/// admin's keys. A page of forms does not need the speed, and the JIT's code and memory cost the
/// web process ~7 MB (PSS, scripts/bench-app.sh) with no change to first paint. The web process
/// inherits the app's environment; the user's own setting wins. Called with
/// [`draw_without_dmabuf`].
#[cfg(target_os = "linux")]
fn run_javascript_without_jit() {
    default_env("JSC_useJIT", "false");
}

/// Sets `var` unless the user did: only while the process has one thread (before GTK starts).
#[cfg(target_os = "linux")]
fn default_env(var: &str, value: &str) {
    if std::env::var_os(var).is_none() {
        std::env::set_var(var, value);
    }
}
