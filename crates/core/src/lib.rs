//! gram-admin's core: everything that is not UI.
//!
//! The pieces, in the order data flows through them:
//! - [`org`] and [`key`] validate what the admin typed (org, project, server URL, hooks key);
//! - [`render`] turns them into a [`Bundle`] — the observability plugin for one agent
//!   platform, or the whole marketplace repository — purely, with no I/O;
//! - [`export`] writes a bundle as a deterministic flat ZIP (atomically) or into a directory;
//! - [`preview`] shows a bundle to a human with the key masked.
//!
//! This crate never depends on tauri: the desktop app and the CLI are thin shells over it.

pub mod bundle;
pub mod error;
pub mod export;
pub mod key;
pub mod names;
pub mod org;
pub mod preview;
pub mod render;
pub mod sensitive;

pub use bundle::{Bundle, BundleFile, FileMode};
pub use error::{Error, Problem};
pub use key::HooksKey;
pub use org::{Org, OrgConfig};
pub use render::{FeaturePlugin, FeatureServer, MarketplaceSpec, Platform};
pub use sensitive::Sensitive;
