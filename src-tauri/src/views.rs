//! What the UI is shown of the core's state: plain serialisable shapes, never a secret.

use gram_admin_core::actions::export::Exported;
use serde::Serialize;

pub use gram_admin_core::actions::session::{GramAccount, GramStatus};
pub use gram_admin_core::actions::ExportStep;

/// The event name of [`ExportStep`]s.
pub const EXPORT_STEP_EVENT: &str = "export-step";

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ExportedZip {
    pub path: String,
    /// True when Gram minted a key for this ZIP; false when it carries the placeholder key.
    pub minted: bool,
    /// The minted key's name in Gram (`gram-admin-hooks-…`).
    pub key_name: Option<String>,
    /// What may be shown of the key: `gram_<env>_` and 5 hex.
    pub key_prefix: String,
    pub files: u32,
    pub bytes: u32,
}

impl From<Exported> for ExportedZip {
    fn from(exported: Exported) -> Self {
        Self {
            path: exported.path.display().to_string(),
            minted: exported.minted.is_some(),
            key_name: exported.minted.map(|k| k.name),
            key_prefix: exported.key_prefix,
            files: u32::try_from(exported.files).unwrap_or(u32::MAX),
            bytes: u32::try_from(exported.bytes).unwrap_or(u32::MAX),
        }
    }
}
