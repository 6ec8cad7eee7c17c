//! The core's errors. Every message is a sentence a user can act on, and none contains a secret.

use std::fmt;
use std::path::PathBuf;

use crate::field::Field;

/// One thing wrong with the input: which field, and one sentence that says what to do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Problem {
    /// The input the problem is about (`org`, `project`, `server`, `key`, `plugins[2].slug`, …).
    pub field: Field,
    pub message: String,
}

impl Problem {
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The same sentence, about another field (a nested input parsed by a shared type).
    pub fn at(self, field: Field) -> Self {
        Self { field, ..self }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input cannot be rendered; each problem is one sentence.
    #[error("{}", problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },

    /// The I/O error's own text is part of the sentence (not a separate cause, which a chain
    /// of causes would print a second time).
    #[error("Could not {action} {}: {cause}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        cause: std::io::Error,
    },

    #[error("Could not build the ZIP archive: {0}")]
    Zip(#[from] zip::result::ZipError),
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            cause,
        }
    }
}

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Self::Invalid {
            problems: vec![problem],
        }
    }
}

impl From<Vec<Problem>> for Error {
    fn from(problems: Vec<Problem>) -> Self {
        Self::Invalid { problems }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
