//! Where the sign-in lives: the session and the server it belongs to, together, in one keychain
//! secret; the chosen project (not a secret) in a plain config file. `GRAM_SERVER` and
//! `GRAM_SESSION`, when set, are used instead (automation, CI).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::account::SignedIn;
use super::client::GramClient;
use super::error::GramError;
use crate::domain::ServerUrl;
use crate::net::Network;
use crate::secrets::{SecretName, SecretStore};
use crate::sensitive::Sensitive;

pub const GRAM_SERVER_ENV: &str = "GRAM_SERVER";
pub const GRAM_SESSION_ENV: &str = "GRAM_SESSION";

/// A session and the server it was issued by. A session is only ever sent to its own server.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub server: ServerUrl,
    pub session: Sensitive<String>,
}

/// The keychain secret's shape (it is serialised only into the keychain).
#[derive(Serialize, Deserialize)]
struct SecretShape {
    server: String,
    session: String,
}

/// What the environment says, read once ([`Overrides::from_env`]) so tests can pass their own.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub server: Option<String>,
    pub session: Option<Sensitive<String>>,
}

impl Overrides {
    /// `GRAM_SERVER` and `GRAM_SESSION`; empty means unset.
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            server: var(GRAM_SERVER_ENV),
            session: var(GRAM_SESSION_ENV).map(|s| Sensitive::new(s.trim().to_owned())),
        }
    }
}

/// Saves a verified session for `server`, replacing any other. Nothing else is written.
pub fn save_session(
    store: &dyn SecretStore,
    server: &ServerUrl,
    session: &Sensitive<String>,
) -> Result<(), GramError> {
    let shape = SecretShape {
        server: server.to_string(),
        session: session.expose().clone(),
    };
    let json = Sensitive::new(serde_json::to_string(&shape).map_err(|e| {
        GramError::Account(format!(
            "Could not encode the session for the keychain ({e})."
        ))
    })?);
    store.set(SecretName::GramSession, &json)?;
    Ok(())
}

/// The saved session, if any.
pub fn saved_session(store: &dyn SecretStore) -> Result<Option<StoredSession>, GramError> {
    let Some(secret) = store.get(SecretName::GramSession)? else {
        return Ok(None);
    };
    // A secret gram-admin cannot read (another version, edited by hand, a server this version
    // no longer accepts) counts as signed out.
    Ok(serde_json::from_str::<SecretShape>(secret.expose())
        .ok()
        .and_then(|s| {
            Some(StoredSession {
                server: ServerUrl::parse(&s.server).ok()?,
                session: Sensitive::new(s.session),
            })
        }))
}

/// Forgets the saved session (signing out). Forgetting nothing is not an error.
pub fn forget_session(store: &dyn SecretStore) -> Result<(), GramError> {
    store.delete(SecretName::GramSession)?;
    Ok(())
}

/// What signing out did.
#[derive(Debug)]
pub enum SignedOut {
    /// No session was saved.
    WasNot,
    /// Gram ended the session (or had already: it answered 401), and it is forgotten here.
    Ended { server: ServerUrl },
    /// Forgotten here, but Gram could not be asked to end it: it works at Gram until it
    /// expires. `why` says what went wrong.
    ForgottenOnly { server: ServerUrl, why: GramError },
}

/// Signs out: asks Gram to end the saved session (`auth.logout`), so no copy of it (a browser's
/// cookie jar, a backup of the keychain) keeps working, then forgets it. The session is
/// forgotten even when Gram cannot be reached — a sign-out never keeps it.
pub async fn sign_out(store: &dyn SecretStore, net: &Network) -> Result<SignedOut, GramError> {
    let Some(saved) = saved_session(store)? else {
        forget_session(store)?;
        return Ok(SignedOut::WasNot);
    };
    let ended = match saved.client(net) {
        Ok(client) => client.logout(&saved.session).await,
        Err(e) => Err(e),
    };
    forget_session(store)?;
    Ok(match ended {
        Ok(()) | Err(GramError::NotSignedIn { .. }) => SignedOut::Ended {
            server: saved.server,
        },
        Err(why) => SignedOut::ForgottenOnly {
            server: saved.server,
            why,
        },
    })
}

/// The session to use: `GRAM_SESSION` (with `GRAM_SERVER`, or the saved server) when set, else
/// the saved one. With only `GRAM_SERVER` set, the saved session is used only if it belongs to
/// that server — a session is never sent to another server.
pub fn current_session(
    store: &dyn SecretStore,
    overrides: &Overrides,
) -> Result<StoredSession, GramError> {
    if let Some(session) = &overrides.session {
        let server = match &overrides.server {
            Some(server) => server.clone(),
            None => saved_session(store)
                .ok()
                .flatten()
                .map(|s| s.server.to_string())
                .ok_or_else(|| {
                    GramError::Account(format!(
                        "{GRAM_SESSION_ENV} is set but {GRAM_SERVER_ENV} is not: set {GRAM_SERVER_ENV} to the Gram server the session belongs to."
                    ))
                })?,
        };
        return Ok(StoredSession {
            server: ServerUrl::parse(&server)?,
            session: session.clone(),
        });
    }
    let saved = saved_session(store)?.ok_or(GramError::NoSession)?;
    if let Some(server) = &overrides.server {
        let wanted = ServerUrl::parse(server)?;
        if wanted != saved.server {
            return Err(GramError::Account(format!(
                "You are signed in to {}, not to {wanted} ({GRAM_SERVER_ENV}); sign in to {wanted} first, or set {GRAM_SESSION_ENV}.",
                saved.server
            )));
        }
    }
    Ok(saved)
}

/// Completes a sign-in: checks `session` with `auth.info` on `server`, then saves it with its
/// server in the keychain. A session Gram refuses, or a keychain that is not there, stores nothing.
pub async fn sign_in(
    store: &dyn SecretStore,
    server: &ServerUrl,
    session: Sensitive<String>,
    net: &Network,
) -> Result<SignedIn, GramError> {
    let account = SignedIn::verify(GramClient::new(server, net)?, session).await?;
    save_session(store, account.server(), account.session())?;
    Ok(account)
}

/// The saved (or GRAM_SESSION) sign-in, checked with `auth.info`.
pub async fn signed_in(
    store: &dyn SecretStore,
    overrides: &Overrides,
    net: &Network,
) -> Result<SignedIn, GramError> {
    let stored = current_session(store, overrides)?;
    SignedIn::verify(stored.client(net)?, stored.session).await
}

impl StoredSession {
    /// A client for this session's server.
    pub fn client(&self, net: &Network) -> Result<GramClient, GramError> {
        GramClient::new(&self.server, net)
    }
}

/// gram-admin's plain settings (no secrets): `$XDG_CONFIG_HOME/gram-admin/config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The project slug hook events go to, when the admin chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// A PEM file of CAs to trust besides the system's store (a company's TLS-inspecting proxy
    /// or private CA); not a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Keys a rotation replaced, to be revoked once due (ids and dates: nothing secret).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retiring: Vec<crate::actions::keys::RetiringKey>,
    /// The privacy level chosen per project (slug → level); a project not named is `full`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub content: std::collections::BTreeMap<String, crate::privacy::Content>,
}

/// `$XDG_CONFIG_HOME/gram-admin/config.json`, else `~/.config/gram-admin/config.json`.
pub fn settings_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("gram-admin").join("config.json"))
}

impl Settings {
    /// The settings at `path`; a missing file is the defaults.
    pub fn load(path: &Path) -> Result<Self, crate::Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                crate::Error::io(
                    "read the settings in",
                    path,
                    std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(crate::Error::io("read", path, e)),
        }
    }

    /// Writes the settings atomically, creating the folder if needed.
    pub fn save(&self, path: &Path) -> Result<(), crate::Error> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| crate::Error::io("create", dir, e))?;
        }
        let mut text = serde_json::to_string_pretty(self).expect("settings serialise");
        text.push('\n');
        crate::export::write_atomically(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> ServerUrl {
        ServerUrl::parse(s).unwrap()
    }
    use crate::secrets::MemoryStore;

    fn session(s: &str) -> Sensitive<String> {
        Sensitive::new(s.to_owned())
    }

    #[test]
    fn the_session_and_its_server_are_one_keychain_secret() {
        let store = MemoryStore::new();
        save_session(&store, &url("https://gram.acme.test/"), &session("sess-1")).unwrap();
        let raw = store.get(SecretName::GramSession).unwrap().unwrap();
        assert!(
            raw.expose().contains("https://gram.acme.test\""),
            "server normalised"
        );
        let saved = current_session(&store, &Overrides::default()).unwrap();
        assert_eq!(saved.server.as_str(), "https://gram.acme.test");
        assert_eq!(saved.session.expose(), "sess-1");
        assert!(!format!("{saved:?}").contains("sess-1"));
        forget_session(&store).unwrap();
        forget_session(&store).unwrap();
        assert!(matches!(
            current_session(&store, &Overrides::default()),
            Err(GramError::NoSession)
        ));
    }

    #[test]
    fn the_environment_wins_and_a_session_never_goes_to_another_server() {
        let store = MemoryStore::new();
        save_session(&store, &url("https://gram.acme.test"), &session("saved")).unwrap();
        let env = Overrides {
            server: Some("https://other.test".into()),
            session: Some(session("from-env")),
        };
        let s = current_session(&store, &env).unwrap();
        assert_eq!(
            (s.server.as_str(), s.session.expose().as_str()),
            ("https://other.test", "from-env")
        );

        let only_server = Overrides {
            server: Some("https://other.test".into()),
            session: None,
        };
        let err = current_session(&store, &only_server)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("signed in to https://gram.acme.test, not to https://other.test"),
            "{err}"
        );
        assert!(!err.contains("saved"));

        let same = Overrides {
            server: Some("https://gram.acme.test/".into()),
            session: None,
        };
        assert_eq!(
            current_session(&store, &same).unwrap().session.expose(),
            "saved"
        );

        let only_session = Overrides {
            server: None,
            session: Some(session("from-env")),
        };
        assert_eq!(
            current_session(&store, &only_session)
                .unwrap()
                .server
                .as_str(),
            "https://gram.acme.test"
        );
        let err = current_session(&MemoryStore::new(), &only_session)
            .unwrap_err()
            .to_string();
        assert!(err.contains("GRAM_SERVER is not"), "{err}");
    }

    #[test]
    fn an_unavailable_keychain_is_a_clear_error() {
        let store = MemoryStore::unavailable();
        let err = save_session(
            &store,
            &url("https://gram.acme.test"),
            &session("sess-secret"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("keychain"), "{err}");
        assert!(!err.to_string().contains("sess-secret"));
        let err = current_session(&store, &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("keychain"), "{err}");
    }

    #[test]
    fn settings_round_trip_and_hold_no_secret() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("gram-admin/config.json");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        let s = Settings {
            project: Some("default".into()),
            ..Settings::default()
        };
        s.save(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"project\": \"default\"\n}\n"
        );
        assert_eq!(Settings::load(&path).unwrap(), s);
        let with_ca = Settings {
            ca_file: Some("/etc/acme/ca.pem".into()),
            ..s
        };
        with_ca.save(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"project\": \"default\",\n  \"ca_file\": \"/etc/acme/ca.pem\"\n}\n"
        );
        assert_eq!(Settings::load(&path).unwrap(), with_ca);
        let mut s = with_ca;
        s.content
            .insert("default".into(), crate::privacy::Content::Metadata);
        s.save(&path).unwrap();
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .contains("\"content\": {\n    \"default\": \"metadata\"\n  }"));
        assert_eq!(Settings::load(&path).unwrap(), s);
    }
}
