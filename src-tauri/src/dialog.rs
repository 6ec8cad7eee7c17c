//! The native save dialog (GTK on Linux through rfd).
//!
//! rfd's GTK backend runs its dialogs on a GTK thread of its own and waits for them there;
//! asking from the main thread (where Tauri's event loop runs) would deadlock it, so the
//! command awaits the dialog from the async runtime instead.

use std::path::PathBuf;

use crate::error::AppError;

/// Debug builds only: when set, the save dialog is skipped and this path is "chosen" (the
/// end-to-end tests export without driving GTK). Release builds never read it.
pub const TEST_SAVE_PATH_ENV: &str = "GRAM_ADMIN_TEST_SAVE_PATH";

/// Shows "Save as" with `file_name` suggested; `None` when cancelled.
pub async fn ask_save_path(file_name: &str) -> Result<Option<PathBuf>, AppError> {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os(TEST_SAVE_PATH_ENV).filter(|p| !p.is_empty()) {
        return Ok(Some(PathBuf::from(path)));
    }
    let handle = rfd::AsyncFileDialog::new()
        .set_title("Save the observability plugin")
        .set_file_name(file_name)
        .add_filter("ZIP archive", &["zip"])
        .save_file()
        .await;
    Ok(handle.map(|h| h.path().to_owned()))
}

/// Shows "Save as" for a rollout file (`file_name` suggested, any type); `None` when cancelled.
pub async fn ask_save_rollout(file_name: &str) -> Result<Option<PathBuf>, AppError> {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os(TEST_SAVE_PATH_ENV).filter(|p| !p.is_empty()) {
        return Ok(Some(PathBuf::from(path)));
    }
    let handle = rfd::AsyncFileDialog::new()
        .set_title("Save the rollout file")
        .set_file_name(file_name)
        .save_file()
        .await;
    Ok(handle.map(|h| h.path().to_owned()))
}
