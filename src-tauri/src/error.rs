//! The one error the app's commands return: a small `code` the UI switches on, a sentence to
//! show, and, for bad input, the problems per field.

use gram_admin_core::{Error, Problem};
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub problems: Vec<Problem>,
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
            Error::Io { .. } | Error::Zip(_) => Self {
                code: ErrorCode::Io,
                message,
                problems: Vec::new(),
            },
        }
    }
}
