//! The hooks key's lifecycle: minted for one export, baked into the ZIP, revoked when the ZIP
//! could not be written — so no key is ever left live without a plugin that uses it.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::account::{SignedIn, HOOKS_KEY_NAME_PREFIX};
use super::error::GramError;
use super::types::ApiKey;
use crate::bundle::Bundle;
use crate::key::HooksKey;
use crate::render::Platform;

/// The scope every minted key has: it can only send hook events.
pub const HOOKS_SCOPE: &str = "hooks";

/// `gram-admin-hooks-<platform>-<UTC yyyymmdd-hhmmss-mmm>`, e.g.
/// `gram-admin-hooks-claude-20261125-134501-042`. The milliseconds keep two keys minted within
/// one second (an export then a publish, a rotation right after a first publish) apart: Gram
/// refuses a second key of the same name, and a lost answer is recovered by the name.
pub fn hooks_key_name(platform: Platform, at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{HOOKS_KEY_NAME_PREFIX}{}-{y:04}{m:02}{d:02}-{:02}{:02}{:02}-{:03}",
        platform.id(),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A key Gram just minted: its record and, once, its plaintext.
#[derive(Debug, Clone)]
pub struct MintedKey {
    pub record: ApiKey,
    pub key: HooksKey,
}

impl SignedIn {
    /// Mints a hooks-scoped key for `platform`, named as [`hooks_key_name`].
    ///
    /// When Gram's answer is lost (a timeout) or garbled after it may have created the key, the
    /// key is looked up by its name and revoked, so a failed mint leaves no live key behind.
    pub async fn mint_hooks_key(&self, platform: Platform) -> Result<MintedKey, GramError> {
        let name = hooks_key_name(platform, SystemTime::now());
        let created = match self
            .client()
            .create_key(self.session(), &name, &[HOOKS_SCOPE])
            .await
        {
            Ok(created) => created,
            Err(e) if e.is_ambiguous() => {
                self.revoke_by_name(&name).await;
                return Err(self.in_org(e));
            }
            Err(e) => return Err(self.in_org(e)),
        };
        let key = created
            .key
            .as_deref()
            .map(HooksKey::parse)
            .and_then(Result::ok);
        match key {
            Some(key) => Ok(MintedKey {
                record: created.meta,
                key,
            }),
            None => {
                let _ = self.revoke_key(&created.meta.id).await;
                Err(GramError::Malformed {
                    operation: super::Operation::KeysCreate,
                    server: self.server().to_string(),
                    detail: "the new key's plaintext is missing or not shaped gram_<env>_<64 hex>; it was revoked".into(),
                })
            }
        }
    }

    /// Best effort: revokes every key named `name` (a mint whose answer was lost).
    async fn revoke_by_name(&self, name: &str) {
        if let Ok(keys) = self.client().list_keys(self.session()).await {
            for key in keys.iter().filter(|k| k.name == name) {
                let _ = self.revoke_key(&key.id).await;
            }
        }
    }
}

/// A ZIP file path checked to be writable before anything is minted for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipDestination {
    path: PathBuf,
}

impl ZipDestination {
    /// Checks that `path` can be written: its directory exists and accepts a new file, and the
    /// path itself is not a directory. Nothing is left behind.
    pub fn check(path: &Path) -> Result<Self, crate::Error> {
        let not_writable = |why: &str| {
            crate::Error::io(
                "write the ZIP to",
                path,
                std::io::Error::new(std::io::ErrorKind::PermissionDenied, why.to_owned()),
            )
        };
        if path.is_dir() {
            return Err(not_writable(
                "it is a directory; choose a file name ending in .zip",
            ));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(not_writable("its folder does not exist"));
        }
        tempfile::Builder::new()
            .prefix(".gram-admin-")
            .suffix(".probe")
            .tempfile_in(&dir)
            .map_err(|e| crate::Error::io("write the ZIP to", path, e))?;
        Ok(Self {
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What an export with a minted key wrote.
#[derive(Debug, Clone)]
pub struct ExportedPlugin {
    pub path: PathBuf,
    /// The minted key's record (id, name, prefix); its plaintext is only in the ZIP.
    pub key: ApiKey,
    pub files: usize,
    pub bytes: usize,
}

/// Why an export with a minted key failed, and what became of the key.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Nothing was minted (or a failed mint was cleaned up).
    #[error(transparent)]
    Gram(#[from] GramError),
    /// The plugin could not be rendered or written after the key was minted; the key is revoked.
    #[error("{source} The key minted for it ({name}, {prefix}…) has been revoked.")]
    Revoked {
        source: crate::Error,
        name: String,
        prefix: String,
    },
    /// As [`ExportError::Revoked`], but revoking failed too: the key is still live.
    #[error("{source} The key minted for it ({name}, {prefix}…) could not be revoked ({revoke_error}); revoke it in Gram's dashboard (API Keys) or with gram-admin's list of keys (id {id}).")]
    Orphaned {
        source: crate::Error,
        id: String,
        name: String,
        prefix: String,
        revoke_error: GramError,
    },
}

/// Mints a hooks key, renders the plugin with it and writes the ZIP to `dest` (atomically,
/// mode 0600). If rendering or writing fails, the key is revoked. `dest` is checked before
/// anything is minted ([`ZipDestination::check`]); a cancelled save dialog never gets here.
pub async fn export_with_minted_key(
    account: &SignedIn,
    platform: Platform,
    dest: &ZipDestination,
    render: impl FnOnce(&HooksKey) -> Result<Bundle, crate::Error>,
) -> Result<ExportedPlugin, ExportError> {
    let (bundle, minted) = with_minted_key(account, platform, |key| {
        let bundle = render(key)?;
        crate::export::write_zip(&bundle, dest.path())?;
        Ok(bundle)
    })
    .await?;
    Ok(ExportedPlugin {
        path: dest.path().to_owned(),
        key: minted.record,
        files: bundle.len(),
        bytes: bundle.total_bytes(),
    })
}

/// Mints a hooks key for `platform` and hands it to `write` (render and write a plugin). If
/// `write` fails, the key is revoked — a key no plugin carries is never left live — and the
/// error says what became of it.
pub async fn with_minted_key<T>(
    account: &SignedIn,
    platform: Platform,
    write: impl FnOnce(&HooksKey) -> Result<T, crate::Error>,
) -> Result<(T, MintedKey), ExportError> {
    let minted = account.mint_hooks_key(platform).await?;
    match write(&minted.key) {
        Ok(written) => Ok((written, minted)),
        Err(source) => {
            let prefix = minted.key.prefix();
            let MintedKey { record, .. } = minted;
            match account.revoke_key(&record.id).await {
                Ok(()) => Err(ExportError::Revoked {
                    source,
                    name: record.name,
                    prefix,
                }),
                Err(revoke_error) => Err(ExportError::Orphaned {
                    source,
                    id: record.id,
                    name: record.name,
                    prefix,
                    revoke_error,
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn key_names_carry_the_platform_and_utc_time_and_never_the_reserved_prefix() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_095_901); // 2026-11-19 13:45:01 UTC (date -u -d @1795095901)
        assert_eq!(
            hooks_key_name(Platform::Claude, at),
            "gram-admin-hooks-claude-20261119-134501-000"
        );
        assert_eq!(
            hooks_key_name(Platform::Codex, UNIX_EPOCH),
            "gram-admin-hooks-codex-19700101-000000-000"
        );
        // A leap day and the last second of a year.
        assert_eq!(
            hooks_key_name(
                Platform::Cursor,
                UNIX_EPOCH + Duration::from_secs(951_782_400)
            ),
            "gram-admin-hooks-cursor-20000229-000000-000"
        );
        assert_eq!(
            hooks_key_name(
                Platform::Cursor,
                UNIX_EPOCH + Duration::from_millis(1_798_761_599_999)
            ),
            "gram-admin-hooks-cursor-20261231-235959-999"
        );
        assert!(!hooks_key_name(Platform::Claude, at).starts_with("plugins-"));
    }

    #[test]
    fn a_destination_must_be_a_file_in_a_folder_that_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let ok = tmp.path().join("acme.zip");
        assert_eq!(ZipDestination::check(&ok).unwrap().path(), ok);
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "the probe is removed"
        );
        let err = ZipDestination::check(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("it is a directory"), "{err}");
        let err = ZipDestination::check(&tmp.path().join("no/such/acme.zip"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }
}
