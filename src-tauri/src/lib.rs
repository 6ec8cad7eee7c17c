//! The gram-admin desktop shell: Tauri commands over gram-admin-core, and nothing else.

pub mod commands;
mod dialog;
pub mod error;

/// Registers every command the UI may invoke (also used by the IPC tests' mock runtime).
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::list_platforms,
        commands::preview_plugin,
        commands::export_plugin_zip
    ])
}

/// Builds and runs the app.
pub fn run() {
    with_commands(tauri::Builder::default())
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("gram-admin could not start: {e}");
            std::process::exit(1);
        });
}
