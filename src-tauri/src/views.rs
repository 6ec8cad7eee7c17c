//! What the UI is shown of the core's state: plain serialisable shapes, never a secret.

use gram_admin_core::gram::{GramError, Project, SignedIn};
use serde::Serialize;

/// The signed-in Gram account as the UI shows it (no session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GramAccount {
    pub server: String,
    pub email: String,
    pub organization: String,
    pub organization_slug: String,
    pub projects: Vec<Project>,
    /// The project hook events go to: the one chosen, else the organization's only one.
    /// `None` when the organization has several and none was chosen yet.
    pub project: Option<String>,
}

impl GramAccount {
    pub fn of(account: &SignedIn, chosen: Option<&str>) -> Result<Self, GramError> {
        let org = account.organization()?;
        let project = account
            .project(chosen)
            .or_else(|_| account.project(None))
            .ok()
            .map(|p| p.slug.clone());
        Ok(Self {
            server: account.server().to_owned(),
            email: account.info().user_email.clone(),
            organization: org.name.clone(),
            organization_slug: org.slug.clone(),
            projects: org.projects.clone(),
            project,
        })
    }
}

/// Whether the app is signed in to Gram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum GramStatus {
    /// No session saved, or Gram no longer accepts it; `server` is where the last one was from.
    SignedOut {
        server: Option<String>,
    },
    SignedIn {
        account: GramAccount,
    },
}

/// Each step of an export as it starts (the `export-step` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ExportStep {
    ChooseFile,
    MintKey,
    WriteZip,
}

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
