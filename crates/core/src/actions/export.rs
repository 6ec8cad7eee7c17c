//! Exporting the observability plugin: as a flat ZIP (atomically, mode 0600) or into a new
//! directory, with a key minted for it in Gram, a key the admin gave, or the placeholder.
//!
//! An export is prepared first — the org completed and parsed, the file name known — so a shell
//! can ask where to save (a dialog) before anything is minted; a cancelled dialog mints nothing.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Account, Context, Error, Event, Resolved, Sink};
use crate::bundle::Bundle;
use crate::export::{write_dir, write_zip};
use crate::gram::{with_minted_key, ApiKey, ZipDestination};
use crate::key::HooksKey;
use crate::org::OrgConfig;
use crate::platform::Platform;
use crate::render::observability_plugin;

/// Each step of an export as it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ExportStep {
    ChooseFile,
    MintKey,
    WriteZip,
}

/// Which hooks key the plugin carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChoice {
    /// Mint one in the signed-in organization (revoked again if the write fails).
    Mint,
    /// Mint one when signed in; the placeholder otherwise (the app's export).
    MintIfSignedIn,
    /// A key the admin gave.
    Given(HooksKey),
    /// The obviously fake key: the plugin cannot report to Gram.
    Placeholder,
}

/// An export ready to write: the org parsed once, the account if a key is to be minted.
#[derive(Debug, Clone)]
pub struct Export {
    resolved: Resolved,
    platform: Platform,
    key: KeyChoice,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub path: PathBuf,
    /// The key minted for it (its record; the plaintext is only in the plugin).
    pub minted: Option<ApiKey>,
    /// What may be shown of the key: `gram_<env>_` and 5 hex.
    pub key_prefix: String,
    /// The project the plugin reports to.
    pub project: String,
    pub files: usize,
    pub bytes: usize,
    /// Each file written: path, mode and size.
    pub entries: Vec<Entry>,
}

/// One file an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub path: String,
    /// The unix mode, in octal (`755`, `644`, `600`).
    pub mode: String,
    pub size: usize,
}

impl Entry {
    /// Every file of `bundle`, in path order.
    pub fn of(bundle: &Bundle) -> Vec<Entry> {
        bundle
            .files()
            .map(|f| Entry {
                path: f.path.clone(),
                mode: format!("{:o}", f.mode.unix()),
                size: f.contents.len(),
            })
            .collect()
    }
}

impl Export {
    /// Completes and parses `config` (from the account when one is needed or signed in).
    pub async fn prepare(
        ctx: &Context,
        config: &OrgConfig,
        platform: Platform,
        key: KeyChoice,
    ) -> Result<Self, Error> {
        let account = match key {
            KeyChoice::Mint => Account::Required,
            KeyChoice::MintIfSignedIn => Account::IfSignedIn,
            KeyChoice::Given(_) | KeyChoice::Placeholder => Account::ToComplete,
        };
        let resolved = ctx.org(config, account).await?;
        let key = match (key, &resolved.account) {
            (KeyChoice::MintIfSignedIn, Some(_)) => KeyChoice::Mint,
            (KeyChoice::MintIfSignedIn, None) => KeyChoice::Placeholder,
            (key, _) => key,
        };
        Ok(Self {
            resolved,
            platform,
            key,
        })
    }

    /// The name to suggest for the ZIP: `<org>-observability[-cursor|-codex|…].zip`.
    pub fn file_name(&self) -> String {
        format!(
            "{}.zip",
            self.platform
                .observability_plugin_name(self.resolved.org.slug())
        )
    }

    /// Whether writing mints a key in Gram.
    pub fn mints(&self) -> bool {
        self.key == KeyChoice::Mint
    }

    /// Writes the ZIP to `path`. With a key to mint, `path` is checked first (its folder
    /// exists and takes a new file), then the key is minted and the ZIP written; if the write
    /// fails, the key is revoked.
    pub async fn zip(
        &self,
        ctx: &Context,
        path: &Path,
        progress: &Sink,
    ) -> Result<Exported, Error> {
        let dest = ZipDestination::check(path)?;
        self.write(ctx, progress, |bundle| write_zip(bundle, dest.path()), path)
            .await
    }

    /// Writes the plugin into `out`, a new (or empty) directory.
    pub async fn dir(&self, ctx: &Context, out: &Path, progress: &Sink) -> Result<Exported, Error> {
        self.write(ctx, progress, |bundle| write_dir(bundle, out), out)
            .await
    }

    async fn write(
        &self,
        ctx: &Context,
        progress: &Sink,
        write: impl Fn(&Bundle) -> Result<(), crate::Error>,
        path: &Path,
    ) -> Result<Exported, Error> {
        let org = &self.resolved.org;
        let render = |key: &HooksKey| observability_plugin(org, key, self.platform);
        let exported = |bundle: &Bundle, key: &HooksKey, minted: Option<ApiKey>| Exported {
            path: path.to_owned(),
            minted,
            key_prefix: key.prefix(),
            project: org.project.to_string(),
            files: bundle.len(),
            bytes: bundle.total_bytes(),
            entries: Entry::of(bundle),
        };
        let key = match &self.key {
            KeyChoice::Given(key) => key.clone(),
            KeyChoice::Placeholder | KeyChoice::MintIfSignedIn => HooksKey::placeholder(),
            KeyChoice::Mint => {
                let account = self
                    .resolved
                    .account
                    .as_ref()
                    .expect("a mint is prepared with an account");
                progress.report(Event::Export(ExportStep::MintKey));
                let written = with_minted_key(account, self.platform, |key| {
                    progress.report(Event::Export(ExportStep::WriteZip));
                    let bundle = render(key)?;
                    write(&bundle)?;
                    Ok(bundle)
                })
                .await;
                if let Err(crate::gram::ExportError::Gram(e)) = &written {
                    ctx.forget_if_refused(e).await;
                }
                let (bundle, minted) = written?;
                return Ok(exported(&bundle, &minted.key, Some(minted.record)));
            }
        };
        progress.report(Event::Export(ExportStep::WriteZip));
        let bundle = render(&key)?;
        write(&bundle)?;
        Ok(exported(&bundle, &key, None))
    }
}
