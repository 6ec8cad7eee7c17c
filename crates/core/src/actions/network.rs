//! The network settings an admin can change: the company's CA file, trusted besides the system's
//! store by every client and carried by every plugin rendered afterwards. The proxy is not a
//! setting: it is the environment's (and on macOS and Windows the system's), see [`crate::net`].

use std::path::PathBuf;

use serde::Serialize;

use super::{Context, Error};

/// What gram-admin trusts, as both shells show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct NetworkSettings {
    /// The saved CA file (PEM), if any.
    pub ca_file: Option<String>,
    /// In words: "the system's certificate store and /etc/acme/ca.pem".
    pub trust: String,
}

/// The current settings.
pub fn settings(ctx: &Context) -> NetworkSettings {
    view(&ctx.network())
}

/// Trusts the certificates in `ca_file` (PEM) from now on and saves it; `None` forgets it. A
/// file without a certificate is refused and nothing changes.
pub fn set_ca_file(ctx: &Context, ca_file: Option<PathBuf>) -> Result<NetworkSettings, Error> {
    let ca_file = ca_file
        .map(|p| std::path::absolute(&p).unwrap_or(p))
        .filter(|p| !p.as_os_str().is_empty());
    Ok(view(&ctx.set_ca_file(ca_file)?))
}

fn view(net: &crate::net::Network) -> NetworkSettings {
    NetworkSettings {
        ca_file: net.ca_file().map(|p| p.display().to_string()),
        trust: net.trust(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::actions::Github;
    use crate::gram::session::Overrides;
    use crate::secrets::MemoryStore;

    #[test]
    fn a_ca_file_is_saved_shown_and_forgotten_and_a_bad_one_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = tmp.path().join("config.json");
        let ctx = Context::new(
            Arc::new(MemoryStore::new()),
            Overrides::default(),
            Some(settings.clone()),
            Github::com(),
        );
        assert_eq!(
            super::settings(&ctx),
            NetworkSettings {
                ca_file: None,
                trust: "the system's certificate store".into()
            }
        );
        let bad = tmp.path().join("bad.pem");
        std::fs::write(&bad, "nothing\n").unwrap();
        let err = set_ca_file(&ctx, Some(bad)).unwrap_err();
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
        assert!(!settings.exists(), "nothing saved");
        // A PEM certificate (any will do: it is only parsed here).
        let pem = tmp.path().join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let shown = set_ca_file(&ctx, Some(pem.clone())).unwrap();
        assert_eq!(shown.ca_file.as_deref(), Some(pem.to_str().unwrap()));
        let again = Context::new(
            Arc::new(MemoryStore::new()),
            Overrides::default(),
            Some(settings.clone()),
            Github::com(),
        );
        assert_eq!(super::settings(&again), shown, "saved for the next start");
        assert_eq!(set_ca_file(&ctx, None).unwrap().ca_file, None);
        assert_eq!(
            crate::gram::session::Settings::load(&settings)
                .unwrap()
                .ca_file,
            None
        );
    }
}
