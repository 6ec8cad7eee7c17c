//! The gram-admin desktop shell: Tauri commands over gram-admin-core, and nothing else.

pub mod commands;
mod dialog;
pub mod error;

/// Builds and runs the app.
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::preview_plugin,
            commands::export_plugin_zip
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("gram-admin could not start: {e}");
            std::process::exit(1);
        });
}
