//! The one error the app's commands return: a small `code` the UI switches on, a sentence to
//! show, and, for bad input, the problems per field.

use gram_admin_core::actions;
use gram_admin_core::github::{GithubError, GithubErrorCode};
use gram_admin_core::gram::{ExportError, GramError};
use gram_admin_core::secrets::SecretStoreError;
use gram_admin_core::{Error, Field, Problem};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// Something the admin typed: show `problems` next to their fields.
    InvalidInput,
    /// Reading or writing a file failed: show the message, nothing was half-written.
    Io,
    /// A bug or an unexpected state.
    Internal,
    /// Gram has no (valid) session: take the admin to sign in.
    NotSignedIn,
    /// GitHub has no (valid) token: take the admin to connect GitHub.
    GithubNotSignedIn,
    /// Signed in, but not allowed to do this: the message says whom to ask.
    Forbidden,
    /// The repository (or another remote thing) does not exist or cannot be seen.
    NotFound,
    /// Too many requests: wait, then try again.
    RateLimited,
    /// Someone else changed it meanwhile: try again.
    Conflict,
    /// The server could not be reached or did not answer in time: check the connection.
    Network,
    /// The system keychain is locked or missing: nothing was stored anywhere else.
    Keychain,
    /// The server refused or answered something unexpected: the message says what.
    Remote,
    /// The admin cancelled the work: the message says what was left as it was.
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub problems: Vec<Problem>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }

    /// A bug or an unexpected state of the shell (a window that would not open).
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, err.to_string())
    }
}

impl From<Error> for AppError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::Invalid { problems } => Self {
                code: ErrorCode::InvalidInput,
                message,
                problems,
            },
            Error::Io { .. } | Error::Zip(_) => Self::new(ErrorCode::Io, message),
        }
    }
}

impl From<Problem> for AppError {
    fn from(problem: Problem) -> Self {
        Error::from(problem).into()
    }
}

impl From<GramError> for AppError {
    fn from(err: GramError) -> Self {
        // In the app the fix for a lost session is the sign-in the toast offers.
        let message = match &err {
            GramError::NotSignedIn { server } => format!(
                "Gram at {server} says you are not signed in any more: sign in again to continue."
            ),
            GramError::NoSession => "You are not signed in to Gram: sign in first.".to_owned(),
            other => other.to_string(),
        };
        let code = match &err {
            GramError::NotSignedIn { .. } | GramError::NoSession => ErrorCode::NotSignedIn,
            GramError::NotAllowed { .. } => ErrorCode::Forbidden,
            GramError::Timeout { .. }
            | GramError::Unreachable { .. }
            | GramError::Network { .. }
            | GramError::NetworkSetup { .. } => ErrorCode::Network,
            GramError::Keychain(_) => ErrorCode::Keychain,
            GramError::BadServer { .. } => {
                return Self {
                    code: ErrorCode::InvalidInput,
                    problems: vec![Problem::new(Field::Server, message.clone())],
                    message,
                }
            }
            GramError::Invalid(problem) => return problem.clone().into(),
            GramError::Refused { .. } | GramError::Malformed { .. } | GramError::Account(_) => {
                ErrorCode::Remote
            }
        };
        Self::new(code, message)
    }
}

impl From<ExportError> for AppError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Gram(e) => e.into(),
            // The write failed after minting: the message says what became of the key.
            other => Self::new(ErrorCode::Io, other.to_string()),
        }
    }
}

impl From<GithubError> for AppError {
    fn from(err: GithubError) -> Self {
        let code = match err.code() {
            GithubErrorCode::SignIn => ErrorCode::GithubNotSignedIn,
            GithubErrorCode::NotFound => ErrorCode::NotFound,
            GithubErrorCode::Forbidden => ErrorCode::Forbidden,
            GithubErrorCode::RateLimited => ErrorCode::RateLimited,
            GithubErrorCode::Conflict => ErrorCode::Conflict,
            GithubErrorCode::Unavailable => ErrorCode::Network,
            GithubErrorCode::Cancelled => ErrorCode::Cancelled,
            GithubErrorCode::Other => match &err {
                GithubError::Keychain(_) => ErrorCode::Keychain,
                GithubError::BadToken => {
                    return Self {
                        code: ErrorCode::InvalidInput,
                        problems: vec![Problem::new(Field::Token, err.to_string())],
                        message: err.to_string(),
                    }
                }
                _ => ErrorCode::Remote,
            },
        };
        Self::new(code, err.to_string())
    }
}

impl From<actions::Error> for AppError {
    fn from(err: actions::Error) -> Self {
        match err {
            actions::Error::Gram(e) => e.into(),
            actions::Error::Github(e) => e.into(),
            actions::Error::Render(e) => e.into(),
            actions::Error::Keychain(e) => e.into(),
            actions::Error::Export(e) => (*e).into(),
            e @ actions::Error::Network(_) => Self::new(ErrorCode::Network, e.to_string()),
            e @ actions::Error::PluginsNeedSignIn => {
                Self::new(ErrorCode::NotSignedIn, e.to_string())
            }
        }
    }
}

impl From<SecretStoreError> for AppError {
    fn from(err: SecretStoreError) -> Self {
        Self::new(ErrorCode::Keychain, err.to_string())
    }
}
