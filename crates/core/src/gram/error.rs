//! What can go wrong talking to Gram, as sentences a user can act on. No message ever holds the
//! session or a key.

use std::time::Duration;

/// One Gram operation, named as Gram names it (`keys.create`) and as a user reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    AuthInfo,
    AuthLogout,
    KeysCreate,
    KeysList,
    KeysRevoke,
    ProjectsList,
    PluginsList,
    PluginsGet,
    ToolsetsList,
}

impl Operation {
    /// Gram's RPC name, e.g. `keys.create` (the path is `/rpc/<name>`).
    pub fn rpc(self) -> &'static str {
        match self {
            Operation::AuthInfo => "auth.info",
            Operation::AuthLogout => "auth.logout",
            Operation::KeysCreate => "keys.create",
            Operation::KeysList => "keys.list",
            Operation::KeysRevoke => "keys.revoke",
            Operation::ProjectsList => "projects.list",
            Operation::PluginsList => "plugins.listPlugins",
            Operation::PluginsGet => "plugins.getPlugin",
            Operation::ToolsetsList => "toolsets.list",
        }
    }

    /// What gram-admin was doing, for an error sentence: "minting a hooks key".
    pub fn doing(self) -> &'static str {
        match self {
            Operation::AuthInfo => "checking who is signed in",
            Operation::AuthLogout => "signing out",
            Operation::KeysCreate => "minting an API key",
            Operation::KeysList => "listing API keys",
            Operation::KeysRevoke => "revoking an API key",
            Operation::ProjectsList => "listing projects",
            Operation::PluginsList => "listing plugins",
            Operation::PluginsGet => "reading a plugin",
            Operation::ToolsetsList => "listing toolsets",
        }
    }
}

/// A failed Gram call (or a sign-in that cannot go on). Each message is one sentence that says
/// what to do; none contains the session or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GramError {
    /// 401: the session is missing, expired or revoked.
    #[error("Gram at {server} says you are not signed in — sign in again.")]
    NotSignedIn { server: String },

    /// Nothing saved and nothing in GRAM_SESSION.
    #[error("You are not signed in to Gram — sign in first.")]
    NoSession,

    /// 403: signed in, but this account may not do this here.
    #[error("Gram does not allow you to do this in {within}: {} was refused ({message}). Ask an admin of {within} for access.", operation.doing())]
    NotAllowed {
        operation: Operation,
        /// "organization `Acme Corp`", "project `default`".
        within: String,
        message: String,
    },

    /// Any other error answer from Gram.
    #[error("Gram failed while {} ({}): {message} (HTTP {status}, {name}{}).", operation.doing(), operation.rpc(), if *temporary { ", still failing after a retry" } else { "" })]
    Refused {
        operation: Operation,
        status: u16,
        name: String,
        message: String,
        temporary: bool,
    },

    /// Gram answered something that is not what its API describes.
    #[error("Gram's answer to {} was not understood ({detail}); is {server} a Gram server, and is gram-admin up to date?", operation.rpc())]
    Malformed {
        operation: Operation,
        server: String,
        detail: String,
    },

    /// No answer within the total timeout.
    #[error("Gram at {server} did not answer within {} s while {}; check your connection or try again later.", after.as_secs_f32(), operation.doing())]
    Timeout {
        operation: Operation,
        server: String,
        after: Duration,
    },

    /// No connection at all (refused, DNS, TLS).
    #[error("Could not reach Gram at {server} while {} ({detail}); check the server URL and your connection.", operation.doing())]
    Unreachable {
        operation: Operation,
        server: String,
        detail: String,
    },

    /// The connection failed in a way the user can fix: the certificate is signed by a CA this
    /// computer does not trust, or the proxy refused.
    #[error("Could not reach Gram at {server} while {}: {problem}.", operation.doing())]
    Network {
        operation: Operation,
        server: String,
        problem: crate::net::NetProblem,
    },

    /// The network settings cannot be used (the CA file, the system's store).
    #[error("gram-admin cannot connect to Gram at {server}: {problem}.")]
    NetworkSetup {
        server: String,
        problem: crate::net::NetProblem,
    },

    /// The server URL itself is unusable.
    #[error("{server:?} is not a usable Gram server URL: {why}.")]
    BadServer { server: String, why: String },

    /// An input (a server URL, a project) does not parse.
    #[error(transparent)]
    Invalid(#[from] crate::Problem),

    /// The signed-in account has no organization, or not the one needed.
    #[error("{0}")]
    Account(String),

    /// The keychain that holds the session could not be used; nothing was stored elsewhere.
    #[error(transparent)]
    Keychain(#[from] crate::secrets::SecretStoreError),
}

impl GramError {
    /// True when the fix is to sign in again (the app switches to its sign-in view).
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, GramError::NotSignedIn { .. } | GramError::NoSession)
    }

    /// What went wrong on the network, when the user can fix it (a CA to add, a proxy).
    pub fn net_problem(&self) -> Option<&crate::net::NetProblem> {
        match self {
            GramError::Network { problem, .. } | GramError::NetworkSetup { problem, .. } => {
                Some(problem)
            }
            _ => None,
        }
    }

    /// The operation that failed, if a Gram call failed.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            GramError::NotAllowed { operation, .. }
            | GramError::Refused { operation, .. }
            | GramError::Malformed { operation, .. }
            | GramError::Timeout { operation, .. }
            | GramError::Network { operation, .. }
            | GramError::Unreachable { operation, .. } => Some(*operation),
            _ => None,
        }
    }

    /// Names the organization a 403 was about, when the client could not know it.
    pub(crate) fn within_org(self, org_name: &str) -> Self {
        match self {
            GramError::NotAllowed {
                operation,
                within,
                message,
            } if within.is_empty() => GramError::NotAllowed {
                operation,
                within: format!("the organization {org_name:?}"),
                message,
            },
            other => other,
        }
    }

    /// A failure after which Gram may still have acted on the request: the answer was lost
    /// (timeout, dropped connection) or garbled, Gram failed midway (5xx), or — after a retry —
    /// the first attempt had succeeded after all (409: the name is taken).
    pub(crate) fn is_ambiguous(&self) -> bool {
        match self {
            GramError::Timeout { .. }
            | GramError::Malformed { .. }
            | GramError::Unreachable { .. } => true,
            GramError::Refused { status, .. } => *status >= 500 || *status == 409,
            _ => false,
        }
    }
}
