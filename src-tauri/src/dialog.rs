//! The native save dialog (GTK on Linux through rfd). GTK dialogs must run on the main thread:
//! the command hands the dialog to it and awaits the answer.

use std::path::PathBuf;

use tauri::AppHandle;

use crate::error::AppError;

/// Shows "Save as" with `file_name` suggested; `None` when cancelled.
pub async fn ask_save_path(app: &AppHandle, file_name: &str) -> Result<Option<PathBuf>, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let file_name = file_name.to_owned();
    app.run_on_main_thread(move || {
        let path = rfd::FileDialog::new()
            .set_title("Export the observability plugin")
            .set_file_name(&file_name)
            .add_filter("ZIP archive", &["zip"])
            .save_file();
        let _ = tx.send(path);
    })
    .map_err(|e| AppError::internal(format!("Could not open the save dialog: {e}")))?;
    rx.await
        .map_err(|_| AppError::internal("The save dialog closed without an answer."))
}
