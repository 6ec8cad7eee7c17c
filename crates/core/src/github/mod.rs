//! Publishing the marketplace repository to GitHub (SPEC §7): one atomic commit replacing the
//! branch's whole content, zero writes when nothing changed, safe against a concurrent push.
//!
//! - [`git_object`]: git blob and tree ids computed locally, to compare with the branch head;
//! - [`Publisher`]: [`Publisher::plan`] (what would change, with diffs) and
//!   [`Publisher::publish`], reporting each step as a [`PublishEvent`];
//! - [`auth`]: the OAuth device flow, the token's keychain entry, and `GITHUB_TOKEN`.

mod api;
pub mod auth;
pub mod git_object;
mod plan;
mod publish;

use serde::Serialize;

pub use api::{GithubConnection, RetryPolicy, DEFAULT_API_URL};
pub use git_object::{blob_id, folder_ids, tree_id, ObjectId};
pub use plan::{CommitInfo, FileChange, PublishPlan};
pub use publish::{
    Cancel, PublishOutcome, PublishTarget, Publisher, RepoAccess, MAX_INLINE_BYTES,
    MAX_PUBLISH_ATTEMPTS, MAX_TREE_REQUEST_BYTES,
};

use crate::secrets::SecretStoreError;

/// What the publisher is doing; each one is reported as it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Step {
    Connect,
    ReadRepository,
    ReadUser,
    CreateRepository,
    ReadBranch,
    ReadCommit,
    ReadTree,
    ReadFile,
    SeedRepository,
    UploadBlob,
    CreateTree,
    CreateCommit,
    UpdateBranch,
    CreateBranch,
}

impl Step {
    /// Every step, in the order a publish may start them (the app labels each one).
    pub const ALL: [Step; 14] = [
        Step::Connect,
        Step::ReadRepository,
        Step::ReadUser,
        Step::CreateRepository,
        Step::ReadBranch,
        Step::ReadCommit,
        Step::ReadTree,
        Step::ReadFile,
        Step::SeedRepository,
        Step::UploadBlob,
        Step::CreateTree,
        Step::CreateCommit,
        Step::UpdateBranch,
        Step::CreateBranch,
    ];

    /// What the step does, as a phrase ("reading the branch").
    pub fn doing(self) -> &'static str {
        match self {
            Step::Connect => "connecting to GitHub",
            Step::ReadRepository => "reading the repository",
            Step::ReadUser => "reading who the token belongs to",
            Step::CreateRepository => "creating the repository",
            Step::ReadBranch => "reading the branch",
            Step::ReadCommit => "reading the branch's last commit",
            Step::ReadTree => "listing the published files",
            Step::ReadFile => "reading a published file",
            Step::SeedRepository => "writing the first file into the empty repository",
            Step::UploadBlob => "uploading a large file",
            Step::CreateTree => "uploading the files",
            Step::CreateCommit => "creating the commit",
            Step::UpdateBranch => "moving the branch to the new commit",
            Step::CreateBranch => "creating the branch",
        }
    }

    /// Whether the step moves or creates the branch: once it is sent, a publish can no longer
    /// be cancelled (its answer may be lost; only a read of the branch then tells what happened).
    pub fn moves_branch(self) -> bool {
        matches!(self, Step::UpdateBranch | Step::CreateBranch)
    }

    /// Whether the step changes anything on GitHub.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Step::CreateRepository
                | Step::SeedRepository
                | Step::UploadBlob
                | Step::CreateTree
                | Step::CreateCommit
                | Step::UpdateBranch
                | Step::CreateBranch
        )
    }
}

/// Progress of a plan or a publish, for a progress line (CLI) or an event the app forwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum PublishEvent {
    /// A hooks key for the marketplace is being minted in Gram (a first publish, a rotation).
    MintingKey,
    /// A step starts.
    Step { step: Step },
    /// GitHub asked us to wait (rate limit); the step is sent again after `seconds`.
    Waiting {
        step: Step,
        seconds: u64,
        reason: String,
    },
    /// A step that is safe to repeat failed (a 5xx, a broken connection) and is sent again.
    Retrying {
        step: Step,
        attempt: u32,
        reason: String,
    },
    /// Someone else moved the branch meanwhile: the commit is rebuilt on their head.
    Conflict { attempt: u32 },
    /// The branch already holds exactly these files: nothing was written.
    Unchanged { commit: String },
    /// The branch now points at `commit`.
    Published { commit: String, url: String },
}

/// What the UI switches on ([`GithubError::code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum GithubErrorCode {
    /// Sign in again (401, or no token at all).
    SignIn,
    /// The repository is missing or invisible to the token.
    NotFound,
    /// The token cannot push.
    Forbidden,
    /// Wait and try again.
    RateLimited,
    /// Someone keeps pushing; try again.
    Conflict,
    /// GitHub could not be reached or failed; try again.
    Unavailable,
    /// The admin cancelled: nothing was published.
    Cancelled,
    /// Something else: the message says what.
    Other,
}

/// Why a GitHub call failed: one sentence a user can act on, never holding the token.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("{url:?} is not a GitHub API URL: use https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.")]
    BadApiUrl { url: String },

    #[error("Not signed in to GitHub: run `gram-admin github login`, or set GITHUB_TOKEN.")]
    NotSignedIn,

    #[error("GitHub refused the token (401 Bad credentials): it has expired or was revoked. Sign in again with `gram-admin github login`, or set a new GITHUB_TOKEN.")]
    Unauthorized,

    #[error("GitHub says {repo} does not exist, or your token cannot see it (a fine-grained token answers 404 for repositories it was not granted). Check the name; grant the token access to {repo} (Repository access, with Contents: Read and write); or pass --create to create it as a private repository.")]
    RepoNotFound { repo: String },

    #[error("Your token can read {repo} but cannot push to it. Grant it write access: a fine-grained token needs the permission Contents: Read and write on {repo}; a classic token needs the `repo` scope (or `public_repo` for a public repository); and your account needs write access to the repository.")]
    NoPush { repo: String },

    #[error("{repo} is public: every observability plugin in it carries your organization's hooks key, so anyone could send events to Gram as your teammates. Make the repository private (or internal) in its settings on GitHub (Settings → General → Danger Zone → Change visibility), then publish again; Claude Code's org marketplaces take private and internal repositories only.")]
    PublicRepository { repo: String },

    #[error("GitHub refused to create {repo} ({status}: {message}). Create it yourself on GitHub, or use a token allowed to create repositories (a fine-grained token needs Administration: Read and write).")]
    CannotCreate {
        repo: String,
        status: u16,
        message: String,
    },

    #[error("GitHub's rate limit was reached while {doing}; it asks to wait {wait_secs} s, more than gram-admin waits. Try again in {minutes} min.", doing = step.doing(), minutes = wait_secs.div_ceil(60))]
    RateLimited { step: Step, wait_secs: u64 },

    #[error("Someone else pushed to {branch} of {repo} while publishing, {attempts} times in a row; nothing of this publish was kept on the branch. Try again in a moment.")]
    Conflict {
        repo: String,
        branch: String,
        attempts: u32,
    },

    #[error("GitHub failed while {doing} ({status}{sep}{message}); the branch was not changed by this step. Try again in a moment.", doing = step.doing(), sep = if message.is_empty() { "" } else { ": " })]
    Server {
        step: Step,
        status: u16,
        message: String,
    },

    #[error("GitHub could not be reached while {doing} ({why}). Check the network (and --github-api), then try again; a publish never leaves the branch half-updated.", doing = step.doing())]
    Network { step: Step, why: String },

    /// The connection failed in a way the user can fix: an untrusted CA, a proxy that refused.
    #[error("GitHub could not be reached while {doing}: {problem}.")]
    Connection {
        doing: String,
        problem: crate::net::NetProblem,
    },

    #[error("GitHub refused {doing} ({status}{sep}{message}).", doing = step.doing(), sep = if message.is_empty() { "" } else { ": " })]
    Refused {
        step: Step,
        status: u16,
        message: String,
    },

    #[error("GitHub sent an answer gram-admin does not understand while {doing}: {what}.", doing = step.doing())]
    Unexpected { step: Step, what: String },

    #[error("Publishing to {repo} was cancelled before its branch moved: nothing was published{extra}.", extra = if *created_repository { "; the repository it created stays" } else if *seeded { "; the empty repository got its first file" } else { "" })]
    Cancelled {
        repo: String,
        created_repository: bool,
        seeded: bool,
    },

    #[error("{0}")]
    Keychain(#[from] SecretStoreError),

    #[error("{0}")]
    DeviceFlow(String),

    #[error("That is not a GitHub token: paste the whole token (classic or fine-grained) on one line, with nothing else.")]
    BadToken,
}

impl GithubError {
    /// What went wrong on the network, when the user can fix it (a CA to add, a proxy).
    pub fn net_problem(&self) -> Option<&crate::net::NetProblem> {
        match self {
            GithubError::Connection { problem, .. } => Some(problem),
            _ => None,
        }
    }

    pub fn code(&self) -> GithubErrorCode {
        match self {
            GithubError::NotSignedIn | GithubError::Unauthorized => GithubErrorCode::SignIn,
            GithubError::RepoNotFound { .. } => GithubErrorCode::NotFound,
            GithubError::NoPush { .. }
            | GithubError::CannotCreate { .. }
            | GithubError::PublicRepository { .. } => GithubErrorCode::Forbidden,
            GithubError::RateLimited { .. } => GithubErrorCode::RateLimited,
            GithubError::Cancelled { .. } => GithubErrorCode::Cancelled,
            GithubError::Conflict { .. } => GithubErrorCode::Conflict,
            GithubError::Server { .. }
            | GithubError::Network { .. }
            | GithubError::Connection { .. } => GithubErrorCode::Unavailable,
            _ => GithubErrorCode::Other,
        }
    }
}
