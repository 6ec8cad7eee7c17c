//! The native save dialog (GTK on Linux through rfd).
//!
//! rfd's GTK backend runs its dialogs on a GTK thread of its own and waits for them there;
//! asking from the main thread (where Tauri's event loop runs) would deadlock it, so the
//! command awaits the dialog from the async runtime instead.

use std::path::PathBuf;

use crate::error::AppError;

/// Shows "Save as" with `file_name` suggested; `None` when cancelled.
pub async fn ask_save_path(file_name: &str) -> Result<Option<PathBuf>, AppError> {
    let handle = rfd::AsyncFileDialog::new()
        .set_title("Export the observability plugin")
        .set_file_name(file_name)
        .add_filter("ZIP archive", &["zip"])
        .save_file()
        .await;
    Ok(handle.map(|h| h.path().to_owned()))
}
