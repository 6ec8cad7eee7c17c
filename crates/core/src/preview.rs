//! What a human sees before exporting: every file, the hooks file first, the key masked.

use serde::Serialize;

use crate::bundle::{Bundle, FileMode};
use crate::key::HooksKey;
use crate::render::HOOKS_JSON_PATH;

/// One file as shown in a preview. Text is shown with the key replaced by its masked prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PreviewFile {
    pub path: String,
    pub mode: FileMode,
    pub size: u32,
    /// The contents with the key masked, or `None` for a binary file.
    pub text: Option<String>,
}

/// The files of `bundle` in preview order: every `hooks/hooks.json` first (shallowest first),
/// then the rest in path order. The plaintext key is replaced by [`HooksKey::masked`].
pub fn preview(bundle: &Bundle, key: &HooksKey) -> Vec<PreviewFile> {
    let mut files: Vec<PreviewFile> = bundle
        .files()
        .map(|f| PreviewFile {
            path: f.path.clone(),
            mode: f.mode,
            size: u32::try_from(f.contents.len()).unwrap_or(u32::MAX),
            text: std::str::from_utf8(&f.contents).ok().map(|t| mask(t, key)),
        })
        .collect();
    files.sort_by_key(|f| {
        let is_hooks =
            f.path == HOOKS_JSON_PATH || f.path.ends_with(&format!("/{HOOKS_JSON_PATH}"));
        (
            !is_hooks,
            f.path.matches('/').count() * usize::from(is_hooks),
            f.path.clone(),
        )
    });
    files
}

/// Replaces every occurrence of the key in `text` with its masked prefix.
pub fn mask(text: &str, key: &HooksKey) -> String {
    text.replace(key.expose(), &key.masked())
}
