//! Where gram-admin keeps its secrets (the Gram session, the GitHub token): the OS keychain,
//! and nowhere else, behind one small seam ([`SecretStore`]) so tests can use [`MemoryStore`].
//!
//! [`Keychain`] is the OS store: Secret Service on Linux (GNOME Keyring, KWallet) with the
//! kernel keyutils as a fallback, the macOS Keychain, the Windows Credential Manager. Every call
//! is bounded by a timeout (a locked or wedged keyring must not hang the app). When no secure
//! store is reachable it says so and stores nothing — there is no plain-file fallback.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::sensitive::Sensitive;

/// The secrets gram-admin keeps, each one keychain entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretName {
    /// The Gram dashboard session and the server it belongs to.
    GramSession,
    /// The GitHub token publishing uses.
    GithubToken,
    /// The hooks key the desktop app minted for the published marketplace (reused by every
    /// publish, so an unchanged marketplace publishes nothing).
    MarketplaceKey,
}

impl SecretName {
    /// The keychain entry's account name.
    pub fn account(self) -> &'static str {
        match self {
            SecretName::GramSession => "gram-session",
            SecretName::GithubToken => "github-token",
            SecretName::MarketplaceKey => "marketplace-hooks-key",
        }
    }

    fn label(self) -> &'static str {
        match self {
            SecretName::GramSession => "your Gram session",
            SecretName::GithubToken => "your GitHub token",
            SecretName::MarketplaceKey => "the marketplace's hooks key",
        }
    }
}

/// Why the keychain could not be used. The message never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SecretStoreError {
    pub message: String,
}

impl SecretStoreError {
    fn unreachable(action: &str, name: SecretName, why: impl fmt::Display) -> Self {
        Self {
            message: format!(
                "Could not {action} {} in the system keychain ({why}). gram-admin keeps secrets only there: \
on Linux start a Secret Service (GNOME Keyring or KWallet) and unlock it, then try again.",
                name.label()
            ),
        }
    }
}

/// Get, set and delete one secret. Implementations must never log or echo a value.
pub trait SecretStore: Send + Sync + fmt::Debug {
    /// The secret, or `None` when nothing is stored under `name`.
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretStoreError>;
    fn set(&self, name: SecretName, value: &Sensitive<String>) -> Result<(), SecretStoreError>;
    /// Deleting what is not there is not an error.
    fn delete(&self, name: SecretName) -> Result<(), SecretStoreError>;
}

/// The service name every gram-admin keychain entry is filed under.
pub const KEYCHAIN_SERVICE: &str = "gram-admin";

/// How long one keychain call may take before gram-admin gives up on it.
pub const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The OS keychain.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
    timeout: Duration,
}

impl Default for Keychain {
    fn default() -> Self {
        Self::new(KEYCHAIN_SERVICE)
    }
}

impl Keychain {
    /// Entries filed under `service` (tests use their own, so they never touch real entries).
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            timeout: KEYCHAIN_TIMEOUT,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs one keychain job (given the service and account) on its own thread, bounded by the
    /// timeout.
    fn bounded<T: Send + 'static>(
        &self,
        action: &str,
        name: SecretName,
        job: impl FnOnce(&str, &str) -> Result<T, keyring::Error> + Send + 'static,
    ) -> Result<T, SecretStoreError> {
        let (tx, rx) = mpsc::channel();
        let service = self.service.clone();
        std::thread::spawn(move || {
            let _ = tx.send(job(&service, name.account()));
        });
        match rx.recv_timeout(self.timeout) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(SecretStoreError::unreachable(action, name, describe(&e))),
            Err(_) => Err(SecretStoreError::unreachable(
                action,
                name,
                format_args!("it did not answer within {} s", self.timeout.as_secs()),
            )),
        }
    }
}

/// Runs `op` on the platform's store; on Linux, when no Secret Service answers, on the kernel
/// keyutils instead. One round trip when the first store answers (a missing entry is an answer).
fn run<T>(
    service: &str,
    account: &str,
    op: &dyn Fn(&keyring::Entry) -> Result<T, keyring::Error>,
) -> Result<T, keyring::Error> {
    let primary = keyring::Entry::new(service, account).and_then(|entry| op(&entry));
    #[cfg(target_os = "linux")]
    if let Err(keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_)) = primary {
        let credential =
            keyring::keyutils::KeyutilsCredential::new_with_target(None, service, account)?;
        return op(&keyring::Entry::new_with_credential(Box::new(credential)));
    }
    primary
}

/// Runs `op` (a delete) on every store a copy may be in: on Linux on the Secret Service and on
/// the kernel keyutils, since a copy saved in the kernel keyring while the Secret Service was
/// locked must not outlive a sign-out. It fails when a store that answered could not run it,
/// or when no store answered at all.
fn run_everywhere(
    service: &str,
    account: &str,
    op: &dyn Fn(&keyring::Entry) -> Result<(), keyring::Error>,
) -> Result<(), keyring::Error> {
    let primary = keyring::Entry::new(service, account).and_then(|entry| op(&entry));
    #[cfg(target_os = "linux")]
    let primary =
        match keyring::keyutils::KeyutilsCredential::new_with_target(None, service, account) {
            // No kernel session keyring to reach: nothing can be kept there.
            Err(_) => primary,
            Ok(credential) => {
                let kernel = op(&keyring::Entry::new_with_credential(Box::new(credential)));
                match primary {
                    // The Secret Service deleted its copy, or it is not there: the kernel keyring's
                    // answer decides.
                    Ok(())
                    | Err(
                        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_),
                    ) => kernel,
                    Err(e) => Err(e),
                }
            }
        };
    primary
}

fn describe(e: &keyring::Error) -> String {
    match e {
        // Only a store that refused to keep the entry answers NoEntry here (reads map it to None).
        keyring::Error::NoEntry => {
            "no keyring accepted it: no Secret Service answered and there is no kernel session keyring".into()
        }
        keyring::Error::NoStorageAccess(_) => "it is locked or not reachable".into(),
        keyring::Error::PlatformFailure(inner) => format!("it failed: {inner}"),
        other => other.to_string(),
    }
}

impl SecretStore for Keychain {
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretStoreError> {
        self.bounded("read", name, |service, account| {
            run(service, account, &|entry| match entry.get_password() {
                Ok(value) => Ok(Some(Sensitive::new(value))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            })
        })
    }

    fn set(&self, name: SecretName, value: &Sensitive<String>) -> Result<(), SecretStoreError> {
        let value = value.clone();
        self.bounded("save", name, move |service, account| {
            run(service, account, &|entry| {
                entry.set_password(value.expose())
            })
        })
    }

    fn delete(&self, name: SecretName) -> Result<(), SecretStoreError> {
        self.bounded("delete", name, |service, account| {
            run_everywhere(service, account, &|entry| match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            })
        })
    }
}

/// An in-memory store for tests; [`MemoryStore::unavailable`] plays a keychain that is not there.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: Mutex<BTreeMap<SecretName, Sensitive<String>>>,
    unavailable: bool,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that refuses every call, as a machine with no reachable keychain does.
    pub fn unavailable() -> Self {
        Self {
            unavailable: true,
            ..Self::default()
        }
    }

    fn check(&self, action: &str, name: SecretName) -> Result<(), SecretStoreError> {
        if self.unavailable {
            Err(SecretStoreError::unreachable(
                action,
                name,
                "no keychain is reachable",
            ))
        } else {
            Ok(())
        }
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: SecretName) -> Result<Option<Sensitive<String>>, SecretStoreError> {
        self.check("read", name)?;
        Ok(self.values.lock().expect("lock").get(&name).cloned())
    }

    fn set(&self, name: SecretName, value: &Sensitive<String>) -> Result<(), SecretStoreError> {
        self.check("save", name)?;
        self.values
            .lock()
            .expect("lock")
            .insert(name, value.clone());
        Ok(())
    }

    fn delete(&self, name: SecretName) -> Result<(), SecretStoreError> {
        self.check("delete", name)?;
        self.values.lock().expect("lock").remove(&name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trips_and_deletes() {
        let store = MemoryStore::new();
        assert_eq!(store.get(SecretName::GithubToken).unwrap(), None);
        store
            .set(SecretName::GithubToken, &Sensitive::new("t0ken".to_owned()))
            .unwrap();
        assert_eq!(
            store
                .get(SecretName::GithubToken)
                .unwrap()
                .unwrap()
                .expose(),
            "t0ken"
        );
        store.delete(SecretName::GithubToken).unwrap();
        store.delete(SecretName::GithubToken).unwrap();
        assert_eq!(store.get(SecretName::GithubToken).unwrap(), None);
    }

    /// Without a backend feature for the platform, keyring silently uses its in-memory mock:
    /// every session and token would be gone at the next start.
    #[test]
    fn the_keychain_is_the_platform_store_never_keyring_s_mock() {
        let entry = keyring::Entry::new("gram-admin-test", "probe").expect("an entry");
        assert!(
            entry
                .get_credential()
                .downcast_ref::<keyring::mock::MockCredential>()
                .is_none(),
            "keyring was built without this platform's store"
        );
        // Naming each platform's store: a build without its feature does not compile.
        #[cfg(target_os = "macos")]
        assert!(entry
            .get_credential()
            .downcast_ref::<keyring::macos::MacCredential>()
            .is_some());
        #[cfg(target_os = "windows")]
        assert!(entry
            .get_credential()
            .downcast_ref::<keyring::windows::WinCredential>()
            .is_some());
        #[cfg(target_os = "linux")]
        assert!(entry
            .get_credential()
            .downcast_ref::<keyring::secret_service::SsCredential>()
            .is_some());
    }

    /// The check above runs only on the platform that builds it; the workspace's manifest must
    /// ask for every platform's store, so a Linux CI catches a macOS or Windows build that
    /// would get the mock.
    #[test]
    fn keyring_is_built_with_every_platform_s_store() {
        let manifest = include_str!("../../../Cargo.toml");
        let keyring = manifest
            .lines()
            .find(|l| l.starts_with("keyring = "))
            .expect("the workspace's keyring dependency");
        for feature in [
            "linux-native",
            "sync-secret-service",
            "apple-native",
            "windows-native",
        ] {
            assert!(
                keyring.contains(&format!("\"{feature}\"")),
                "{feature} missing: {keyring}"
            );
        }
    }

    #[test]
    fn an_unavailable_store_says_what_to_do_and_never_echoes_the_secret() {
        let store = MemoryStore::unavailable();
        let err = store
            .set(
                SecretName::GramSession,
                &Sensitive::new("s3cret-session".to_owned()),
            )
            .unwrap_err();
        assert!(err.message.contains("Secret Service"), "{err}");
        assert!(!err.message.contains("s3cret"), "{err}");
    }
}
