//! The main window's size, remembered between runs in `~/.config/gram-admin/window.json`
//! (beside the settings; no secrets).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tauri::{LogicalSize, Runtime, WebviewWindow};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowSize {
    pub width: f64,
    pub height: f64,
}

fn path() -> Option<PathBuf> {
    gram_admin_core::gram::session::settings_path()
        .and_then(|p| p.parent().map(|d| d.join("window.json")))
}

/// Restores the saved size, if any (ignored when unreadable or absurd).
pub fn restore<R: Runtime>(window: &WebviewWindow<R>) {
    let saved = path()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str::<WindowSize>(&t).ok())
        .filter(|s| {
            (600.0..=10_000.0).contains(&s.width) && (400.0..=10_000.0).contains(&s.height)
        });
    if let Some(size) = saved {
        let _ = window.set_size(LogicalSize::new(size.width, size.height));
    }
}

/// Saves the window's current size (best effort: a convenience, never an error).
pub fn save<R: Runtime>(window: &WebviewWindow<R>) {
    let (Some(path), Ok(size), Ok(scale)) = (path(), window.inner_size(), window.scale_factor())
    else {
        return;
    };
    let logical = size.to_logical::<f64>(scale);
    let text = serde_json::to_string(&WindowSize {
        width: logical.width,
        height: logical.height,
    })
    .unwrap_or_default();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = gram_admin_core::export::write_atomically(&path, text.as_bytes());
}
