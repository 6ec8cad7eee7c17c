//! The app's commands: each a thin adapter from typed arguments to one core call.
//!
//! Until minting arrives, previews and exports use the obviously fake placeholder key.

use std::path::{Path, PathBuf};

use gram_admin_core::preview::{preview, PreviewFile};
use gram_admin_core::render::observability_plugin_for;
use gram_admin_core::{export, HooksKey, OrgConfig, Platform, PlatformInfo};

use crate::error::AppError;

/// The agents gram-admin renders for, in the order the UI offers them.
#[tauri::command]
pub fn list_platforms() -> Vec<PlatformInfo> {
    Platform::table()
}

/// Every file of the plugin, `hooks/hooks.json` first, the key masked.
#[tauri::command]
pub fn preview_plugin(config: OrgConfig, platform: Platform) -> Result<Vec<PreviewFile>, AppError> {
    let key = HooksKey::placeholder();
    Ok(preview(
        &observability_plugin_for(&config, &key, platform)?,
        &key,
    ))
}

/// Asks where to save (native dialog), then writes the ZIP. `None` when the admin cancels.
#[tauri::command]
pub async fn export_plugin_zip(
    config: OrgConfig,
    platform: Platform,
) -> Result<Option<String>, AppError> {
    let file_name = default_zip_name(&config, platform)?;
    let Some(path) = crate::dialog::ask_save_path(&file_name).await? else {
        return Ok(None);
    };
    write_plugin_zip(&config, platform, &path)?;
    Ok(Some(path.display().to_string()))
}

/// The dialog's suggested name: `<org>-observability[-cursor|-codex].zip`.
pub fn default_zip_name(config: &OrgConfig, platform: Platform) -> Result<String, AppError> {
    let org = config.validate()?;
    Ok(format!(
        "{}.zip",
        platform.observability_plugin_name(org.slug())
    ))
}

/// The part of the export after the dialog: render and write atomically (mode 0600).
pub fn write_plugin_zip(
    config: &OrgConfig,
    platform: Platform,
    path: &Path,
) -> Result<PathBuf, AppError> {
    let key = HooksKey::placeholder();
    export::write_zip(&observability_plugin_for(config, &key, platform)?, path)?;
    Ok(path.to_owned())
}
