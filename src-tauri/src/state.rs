//! The app's managed state: the core's action context (keychain, settings, GitHub, the
//! verified Gram sign-in), kept for the whole session.

use std::path::PathBuf;
use std::sync::Arc;

use gram_admin_core::actions::{Context, Github};
use gram_admin_core::gram::session::{self, Overrides};
use gram_admin_core::secrets::{Keychain, SecretStore};

use crate::error::AppError;

/// Names the keychain service (tests use their own so they never touch the admin's entries).
pub const KEYCHAIN_SERVICE_ENV: &str = "GRAM_ADMIN_KEYCHAIN_SERVICE";

#[derive(Debug)]
pub struct AppState {
    ctx: Context,
}

impl AppState {
    pub fn new(
        store: Arc<dyn SecretStore>,
        overrides: Overrides,
        settings_path: Option<PathBuf>,
        github: Github,
    ) -> Self {
        Self {
            ctx: Context::new(store, overrides, settings_path, github),
        }
    }

    /// The OS keychain, `GRAM_SERVER`/`GRAM_SESSION`, `~/.config/gram-admin/config.json`, and
    /// GitHub as `GRAM_ADMIN_GITHUB_API`/`_URL` say (GitHub.com by default).
    pub fn from_env() -> Result<Self, AppError> {
        let keychain = match std::env::var(KEYCHAIN_SERVICE_ENV) {
            Ok(service) if !service.is_empty() => Keychain::new(service),
            _ => Keychain::default(),
        };
        Ok(Self::new(
            Arc::new(keychain),
            Overrides::from_env(),
            session::settings_path(),
            Github::from_env()?,
        ))
    }

    /// What every command runs its action in.
    pub fn ctx(&self) -> &Context {
        &self.ctx
    }
}
