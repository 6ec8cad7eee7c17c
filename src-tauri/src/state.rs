//! The app's managed state: where secrets and settings live, and the verified Gram sign-in.

use std::path::PathBuf;
use std::sync::Arc;

use gram_admin_core::gram::session::{self, Overrides, Settings};
use gram_admin_core::gram::{GramClient, GramError, SignedIn};
use gram_admin_core::secrets::{Keychain, SecretStore};
use gram_admin_core::Sensitive;
use tokio::sync::Mutex;

use crate::error::AppError;
use crate::views::{GramAccount, GramStatus};

/// Names the keychain service (tests use their own so they never touch the admin's entries).
pub const KEYCHAIN_SERVICE_ENV: &str = "GRAM_ADMIN_KEYCHAIN_SERVICE";

#[derive(Debug)]
pub struct AppState {
    store: Arc<dyn SecretStore>,
    overrides: Overrides,
    settings_path: Option<PathBuf>,
    /// The sign-in Gram last accepted; cleared when Gram says the session is gone.
    account: Mutex<Option<SignedIn>>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn SecretStore>,
        overrides: Overrides,
        settings_path: Option<PathBuf>,
    ) -> Self {
        Self {
            store,
            overrides,
            settings_path,
            account: Mutex::new(None),
        }
    }

    /// The OS keychain, `GRAM_SERVER`/`GRAM_SESSION`, and `~/.config/gram-admin/config.json`.
    pub fn from_env() -> Self {
        let keychain = match std::env::var(KEYCHAIN_SERVICE_ENV) {
            Ok(service) if !service.is_empty() => Keychain::new(service),
            _ => Keychain::default(),
        };
        Self::new(
            Arc::new(keychain),
            Overrides::from_env(),
            session::settings_path(),
        )
    }

    pub fn store(&self) -> &dyn SecretStore {
        self.store.as_ref()
    }

    pub fn store_arc(&self) -> Arc<dyn SecretStore> {
        self.store.clone()
    }

    fn settings(&self) -> Settings {
        self.settings_path
            .as_deref()
            .and_then(|p| Settings::load(p).ok())
            .unwrap_or_default()
    }

    /// The verified sign-in (checked with Gram once, then kept); `None` when no session is saved
    /// (or in `GRAM_SESSION`) at all.
    pub async fn account_if_any(&self) -> Result<Option<SignedIn>, AppError> {
        let mut cached = self.account.lock().await;
        if let Some(account) = cached.as_ref() {
            return Ok(Some(account.clone()));
        }
        match session::signed_in(self.store.as_ref(), &self.overrides).await {
            Ok(account) => {
                *cached = Some(account.clone());
                Ok(Some(account))
            }
            Err(GramError::NoSession) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The verified sign-in; "not signed in" when there is none.
    pub async fn account(&self) -> Result<SignedIn, AppError> {
        self.account_if_any()
            .await?
            .ok_or_else(|| GramError::NoSession.into())
    }

    /// When Gram said the session is gone, forgets the cached sign-in.
    pub async fn forget_if_refused(&self, e: &GramError) {
        if e.needs_sign_in() {
            *self.account.lock().await = None;
        }
    }

    /// Passes `result` on, forgetting the cached sign-in when Gram refused the session.
    pub async fn checked<T>(&self, result: Result<T, GramError>) -> Result<T, AppError> {
        if let Err(e) = &result {
            self.forget_if_refused(e).await;
        }
        Ok(result?)
    }

    pub fn chosen_project(&self) -> Option<String> {
        self.settings().project
    }

    pub fn view(&self, account: &SignedIn) -> Result<GramAccount, AppError> {
        Ok(GramAccount::of(account, self.chosen_project().as_deref())?)
    }

    pub async fn status(&self) -> Result<GramStatus, AppError> {
        match self.account().await {
            Ok(account) => Ok(GramStatus::SignedIn {
                account: self.view(&account)?,
            }),
            Err(e) if e.code == crate::error::ErrorCode::NotSignedIn => {
                let server = session::saved_session(self.store.as_ref())
                    .ok()
                    .flatten()
                    .map(|s| s.server)
                    .or_else(|| self.overrides.server.clone());
                Ok(GramStatus::SignedOut { server })
            }
            Err(e) => Err(e),
        }
    }

    /// Checks `session` with Gram and keeps it, with its server, in the keychain.
    pub async fn sign_in(
        &self,
        server: &str,
        session: Sensitive<String>,
    ) -> Result<GramAccount, AppError> {
        let account = session::sign_in(self.store.as_ref(), server, session).await?;
        let view = self.view(&account)?;
        *self.account.lock().await = Some(account);
        Ok(view)
    }

    /// Ends the saved session at Gram (`auth.logout`) and forgets it; it is forgotten even when
    /// Gram cannot be reached.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        *self.account.lock().await = None;
        session::sign_out(self.store.as_ref()).await?;
        Ok(())
    }

    /// Saves the project hook events go to (it must be one of the organization's).
    pub async fn choose_project(&self, slug: &str) -> Result<GramAccount, AppError> {
        let account = self.account().await?;
        let project = account.project(Some(slug))?.slug.clone();
        if let Some(path) = &self.settings_path {
            Settings {
                project: Some(project),
            }
            .save(path)?;
        }
        self.view(&account)
    }

    /// The project to use: the chosen one, else the organization's only project.
    pub fn project_slug(&self, account: &SignedIn) -> Result<String, AppError> {
        let chosen = self.chosen_project();
        Ok(account.project(chosen.as_deref())?.slug.clone())
    }

    /// A normalised client for `server`, for the sign-in window's URL.
    pub fn client(server: &str) -> Result<GramClient, AppError> {
        Ok(GramClient::new(server)?)
    }
}
