//! gram-admin's core: everything that is not UI.
//!
//! The pieces, in the order data flows through them:
//! - [`domain`], [`org`] and [`key`] parse what the admin typed (org, project, server URL,
//!   plugins, hooks key) into types that cannot hold an invalid value; [`field`] names the input
//!   a [`Problem`] is about;
//! - [`platform`] is everything known about each coding agent, in one table and four builders;
//! - [`render`] turns them into a [`Bundle`] — the observability plugin for one agent
//!   platform, or the whole marketplace repository — purely, with no I/O;
//! - [`export`] writes a bundle as a deterministic flat ZIP (atomically) or into a directory;
//! - [`preview`] shows a bundle to a human with the key masked;
//! - [`gram`] and [`github`] are the clients of Gram's and GitHub's APIs, built over [`net`] (the
//!   OS trust store, an extra CA, the proxy), [`secrets`] the keychain;
//! - [`actions`] is the use-case layer: every admin action once, over all of the above, which
//!   the desktop app's commands and the CLI's handlers adapt (parse → call → present).
//!
//! This crate never depends on tauri: the desktop app and the CLI are thin shells over it.

pub mod actions;
pub mod bundle;
pub mod check_hook;
pub mod domain;
pub mod error;
pub mod export;
pub mod field;
pub mod github;
pub mod gram;
pub mod key;
pub mod names;
pub mod net;
pub mod org;
pub mod platform;
pub mod preview;
pub mod privacy;
pub mod render;
pub mod secrets;
pub mod sensitive;

pub use bundle::{Bundle, BundleFile, FileMode};
pub use domain::{BranchName, MarketplaceRepo, PluginSlug, ProjectSlug, ServerUrl};
pub use error::{Error, Problem};
pub use field::{Field, PluginField, ServerField};
pub use key::HooksKey;
pub use org::{Org, OrgConfig};
pub use platform::{Observability, Platform, PlatformInfo};
pub use render::{FeaturePlugin, FeatureServer, Marketplace, MarketplaceSpec};
pub use sensitive::Sensitive;
