//! What a human sees before exporting: every file, the file that decides what the plugin does
//! first (the hooks file; OpenCode's module), the key masked.

use serde::Serialize;

use crate::bundle::{Bundle, FileMode};
use crate::key::HooksKey;
use crate::platform::Platform;

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

/// The files of `bundle` in preview order: every agent's first file
/// ([`crate::PlatformInfo::preview_first`]: `hooks/hooks.json`, OpenCode's module) first,
/// shallowest first, then the rest in path order. The plaintext key is replaced by
/// [`HooksKey::masked`].
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
        let first = Platform::ALL.iter().any(|p| {
            let first = p.info().preview_first;
            f.path == first || f.path.ends_with(&format!("/{first}"))
        });
        (
            !first,
            f.path.matches('/').count() * usize::from(first),
            f.path.clone(),
        )
    });
    files
}

/// Replaces every occurrence of the key in `text` with its masked prefix.
pub fn mask(text: &str, key: &HooksKey) -> String {
    text.replace(key.expose(), &key.masked())
}
