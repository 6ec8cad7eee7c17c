//! Gram: sign-in, the hooks key's lifecycle, the org's feature plugins.
//!
//! - [`GramClient`]: one constructor per server (base URL injectable for self-hosted Gram),
//!   bounded calls, typed errors ([`GramError`]) from Gram's error JSON; a `temporary` error is
//!   retried once.
//! - [`SignedIn`]: a session `auth.info` accepted — the organization, the project
//!   ([`SignedIn::project`]), the keys this app minted ([`SignedIn::app_keys`]).
//! - [`export_with_minted_key`]: destination checked → key minted → ZIP written, the key
//!   revoked if the write fails. The CLI's `export` and the app's Export button both call it.
//! - [`session`]: the session and its server in the keychain; the project in a config file.
//!
//! The session is a [`crate::Sensitive`] value: no Debug output, log, error or file outside the
//! keychain ever holds it.

mod account;
mod client;
mod error;
mod keys;
mod plugins;
pub mod session;
mod types;

pub use account::{SignedIn, HOOKS_KEY_NAME_PREFIX};
pub use client::{GramClient, Timeouts, USER_AGENT};
pub use error::{GramError, Operation};
pub use keys::{
    export_with_minted_key, hooks_key_name, with_minted_key, ExportError, ExportedPlugin,
    MintedKey, ZipDestination, HOOKS_SCOPE,
};
pub use types::{
    ApiKey, AuthInfo, HeaderDefinition, Organization, Plugin, PluginServer, Project,
    SecurityVariable, Toolset,
};
