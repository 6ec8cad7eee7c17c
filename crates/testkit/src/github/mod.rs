//! A GitHub stand-in on 127.0.0.1: the REST operations gram-admin publishes with, backed by a
//! real bare git repository driven through git plumbing (`hash-object -w`, `mktree`,
//! `commit-tree`, `update-ref`), so results can be checked with the real `git`.
//!
//! Every request is routed by `tests/contracts/github-openapi.json` and checked against it
//! strictly (an undeclared field such as `base_tre` is a violation, though GitHub ignores it);
//! every answer is checked too, except GitHub's global answers (401, 403, 429, 5xx) that any
//! operation can give. Faults are prepared per operation ([`GithubStandIn::fault`]). Dropping
//! the stand-in fails the test when a prepared fault was never used or a violation was never
//! looked at — the shape of [`crate::GramStandIn`].
//!
//! - this file: the stand-in, how it starts ([`GithubSetup`]), what a test prepares ([`Fault`],
//!   [`Access`]) and reads ([`GithubRequest`]);
//! - `routing.rs`: one request's way through — routed, checked, faults played, recorded;
//! - `operations.rs`: one handler per operation, by `operationId`;
//! - `git_repo.rs`: the bare repository ([`GitRepo`]);
//! - `oauth.rs`: the OAuth device flow's endpoints ([`OAuthStandIn`]).

mod base64;
mod git_repo;
mod oauth;
mod operations;
mod routing;

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub use git_repo::GitRepo;
pub use oauth::OAuthStandIn;

use crate::contract::Contract;
use crate::server::Server;
use git_repo::git_in;

/// What the token may do with the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Admin: read, push, create.
    Admin,
    /// Can read, `permissions.push` is false, writes answer 403.
    ReadOnly,
    /// A fine-grained token not granted this repository: everything under it answers 404.
    Invisible,
}

/// A prepared misbehaviour for the next request to one operation.
pub enum Fault {
    /// Answer this status (and JSON body) without doing anything.
    Status(u16, Value),
    /// 429 with `Retry-After: <seconds>`, without doing anything.
    RateLimited { retry_after: u64 },
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` this many seconds ahead.
    RateLimitReset { in_seconds: u64 },
    /// Do the operation, then break the connection instead of answering.
    DropAfter,
    /// Break the connection without doing anything.
    DropBefore,
    /// Run this against the repository first (someone else pushing), then answer normally.
    Before(Box<dyn FnOnce(&GitRepo) + Send>),
}

impl std::fmt::Debug for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Status(s, _) => write!(f, "Status({s})"),
            Fault::RateLimited { retry_after } => write!(f, "RateLimited({retry_after})"),
            Fault::RateLimitReset { in_seconds } => write!(f, "RateLimitReset({in_seconds})"),
            Fault::DropAfter => f.write_str("DropAfter"),
            Fault::DropBefore => f.write_str("DropBefore"),
            Fault::Before(_) => f.write_str("Before(..)"),
        }
    }
}

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct GithubRequest {
    pub method: String,
    /// Path below the API base, without the query.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The contract's `operationId` (`git/create-tree`), empty when none matched.
    pub operation: String,
    pub body: Vec<u8>,
    /// The status answered (0 when the connection was broken instead).
    pub status: u16,
}

impl GithubRequest {
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The one repository the stand-in serves.
struct Repo {
    owner: String,
    name: String,
    exists: bool,
    private: bool,
    default_branch: String,
}

/// Everything the handlers share.
struct State {
    git: GitRepo,
    repo: Mutex<Repo>,
    login: String,
    token: String,
    access: Mutex<Access>,
    prefix: String,
    requests: Mutex<Vec<GithubRequest>>,
    violations: Mutex<Vec<String>>,
    faults: Mutex<HashMap<String, VecDeque<Fault>>>,
    latency: Mutex<Duration>,
}

/// GitHub on 127.0.0.1 with one repository (`acme/agent-plugins` unless told otherwise).
pub struct GithubStandIn {
    server: Server,
    state: Arc<State>,
    violations_seen: AtomicBool,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for GithubStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubStandIn")
            .field("addr", &self.server.addr())
            .finish()
    }
}

/// How the stand-in starts.
#[derive(Debug, Clone)]
pub struct GithubSetup {
    pub owner: String,
    pub name: String,
    /// The authenticated user's login (the owner by default: `POST /user/repos` creates there).
    pub login: String,
    pub exists: bool,
    pub default_branch: String,
    /// Mount the API below this path (`/api/v3` plays GitHub Enterprise Server).
    pub prefix: String,
}

impl Default for GithubSetup {
    fn default() -> Self {
        Self {
            owner: "acme".into(),
            name: "agent-plugins".into(),
            login: "acme".into(),
            exists: true,
            default_branch: "main".into(),
            prefix: String::new(),
        }
    }
}

static TOKENS: AtomicU64 = AtomicU64::new(1);

impl GithubStandIn {
    /// An existing, empty repository `acme/agent-plugins` (default branch `main`).
    pub fn start() -> Self {
        Self::with(GithubSetup::default())
    }

    /// No repository yet (`GET /repos/…` answers 404 until it is created).
    pub fn missing() -> Self {
        Self::with(GithubSetup {
            exists: false,
            ..GithubSetup::default()
        })
    }

    pub fn with(setup: GithubSetup) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let git_dir = dir.path().join("repo.git");
        std::fs::create_dir_all(&git_dir).expect("mkdir");
        git_in(&git_dir, &["init", "-q", "--bare"], None).expect("git init --bare");
        git_in(
            &git_dir,
            &[
                "symbolic-ref",
                "HEAD",
                &format!("refs/heads/{}", setup.default_branch),
            ],
            None,
        )
        .expect("HEAD");
        let token = format!(
            "test-token-{}-{}",
            std::process::id(),
            TOKENS.fetch_add(1, Ordering::SeqCst)
        );
        let state = Arc::new(State {
            git: GitRepo {
                dir: git_dir,
                lock: Arc::new(Mutex::new(())),
            },
            repo: Mutex::new(Repo {
                owner: setup.owner,
                name: setup.name,
                exists: setup.exists,
                private: true,
                default_branch: setup.default_branch,
            }),
            login: setup.login,
            token,
            access: Mutex::new(Access::Admin),
            prefix: setup.prefix.trim_end_matches('/').to_owned(),
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            faults: Mutex::new(HashMap::new()),
            latency: Mutex::new(Duration::ZERO),
        });
        let server = {
            let state = state.clone();
            Server::start(move |request| routing::handle(&state, request))
        };
        Self {
            server,
            state,
            violations_seen: AtomicBool::new(false),
            _dir: dir,
        }
    }

    /// The API base URL to publish to (`http://127.0.0.1:PORT[/api/v3]`).
    pub fn api_url(&self) -> String {
        format!("{}{}", self.server.url(), self.state.prefix)
    }

    /// The one token the stand-in accepts (made at run time; anything else answers 401).
    pub fn token(&self) -> String {
        self.state.token.clone()
    }

    pub fn set_access(&self, access: Access) {
        *self.state.access.lock().expect("lock") = access;
    }

    /// Waits this long before every answer (the benchmark's network).
    /// Makes the repository public (`false`) or private, as its settings page would.
    pub fn set_private(&self, private: bool) {
        self.state.repo.lock().unwrap().private = private;
    }

    pub fn set_latency(&self, latency: Duration) {
        *self.state.latency.lock().expect("lock") = latency;
    }

    /// `owner/name`.
    pub fn repo_name(&self) -> String {
        let r = self.state.repo.lock().expect("lock");
        format!("{}/{}", r.owner, r.name)
    }

    pub fn repo_exists(&self) -> bool {
        self.state.repo.lock().expect("lock").exists
    }

    pub fn git(&self) -> &GitRepo {
        &self.state.git
    }

    pub fn head(&self, branch: &str) -> Option<String> {
        self.state.git.head(branch)
    }

    /// Prepares `fault` for the next request to `operation` (its `operationId`).
    pub fn fault(&self, operation: &str, fault: Fault) -> &Self {
        assert!(
            Contract::github()
                .operations()
                .iter()
                .any(|op| op.id == operation),
            "{operation:?} is not an operation of GitHub's contract"
        );
        self.state
            .faults
            .lock()
            .expect("lock")
            .entry(operation.to_owned())
            .or_default()
            .push_back(fault);
        self
    }

    pub fn requests(&self) -> Vec<GithubRequest> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// Requests that could change something (anything but GET).
    pub fn writes(&self) -> Vec<GithubRequest> {
        self.requests()
            .into_iter()
            .filter(GithubRequest::is_write)
            .collect()
    }

    /// The operations requested, in order (`repos/get`, `git/get-ref`, …).
    pub fn operations(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.operation).collect()
    }

    pub fn clear_requests(&self) {
        self.state.requests.lock().expect("lock").clear();
    }

    pub fn violations(&self) -> Vec<String> {
        self.violations_seen.store(true, Ordering::SeqCst);
        self.state.violations.lock().expect("lock").clone()
    }

    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *self.state.violations.lock().expect("lock"))
    }

    /// Clones the repository into `into` with the real `git` (a file:// clone of the bare repo).
    pub fn clone_into(&self, into: &Path, branch: &str) {
        let out = Command::new("git")
            .args(["clone", "-q", "--branch", branch])
            .arg(self.state.git.dir())
            .arg(into)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("run git clone");
        assert!(
            out.status.success(),
            "git clone: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for GithubStandIn {
    fn drop(&mut self) {
        self.server.stop();
        if std::thread::panicking() {
            return;
        }
        let unused: Vec<String> = self
            .state
            .faults
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, f)| !f.is_empty())
            .map(|(op, f)| format!("{op} ({f:?} never used)"))
            .collect();
        assert!(
            unused.is_empty(),
            "the GitHub stand-in had faults prepared for calls that never came: {}",
            unused.join(", ")
        );
        let violations = self.state.violations.lock().expect("lock");
        assert!(
            violations.is_empty() || self.violations_seen.load(Ordering::SeqCst),
            "GitHub contract violations nobody checked:\n{}",
            violations.join("\n")
        );
    }
}
