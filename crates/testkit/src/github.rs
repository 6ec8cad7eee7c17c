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

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

use crate::contract::{contracts_dir, Contract, Operation};

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

/// The bare repository behind the stand-in.
#[derive(Debug, Clone)]
pub struct GitRepo {
    dir: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl GitRepo {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs git in the bare repository; panics on failure (a test bug).
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.dir, args, None).unwrap_or_else(|e| panic!("git {args:?}: {e}"))
    }

    fn try_git(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String, String> {
        git_in(&self.dir, args, stdin)
    }

    /// The branch's commit, if the branch exists.
    pub fn head(&self, branch: &str) -> Option<String> {
        let _l = self.lock.lock().expect("lock");
        self.resolve(branch)
    }

    fn resolve(&self, branch: &str) -> Option<String> {
        self.try_git(
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}^{{commit}}"),
            ],
            None,
        )
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    }

    fn is_empty(&self) -> bool {
        self.try_git(&["for-each-ref", "--count=1", "refs/heads"], None)
            .map(|s| s.trim().is_empty())
            .unwrap_or(true)
    }

    /// Commits `files` (path, bytes, executable) as the whole content of `branch`, on top of its
    /// head if any — as someone else pushing. Returns the new commit.
    pub fn commit_files(
        &self,
        branch: &str,
        files: &[(&str, &[u8], bool)],
        message: &str,
    ) -> String {
        let _l = self.lock.lock().expect("lock");
        let bytes: Vec<&[u8]> = files.iter().map(|(_, b, _)| *b).collect();
        let shas = self.write_blobs(&bytes).expect("blobs");
        let entries: Vec<TreeEntry> = files
            .iter()
            .zip(shas)
            .map(|((path, _, exec), sha)| TreeEntry {
                path: (*path).to_owned(),
                mode: if *exec { "100755" } else { "100644" }.to_owned(),
                sha,
            })
            .collect();
        let tree = self.write_tree(&entries).expect("tree");
        let parent = self.resolve(branch);
        let commit = self
            .commit_tree(&tree, parent.as_deref(), message)
            .expect("commit");
        self.git(&["update-ref", &format!("refs/heads/{branch}"), &commit]);
        if self
            .try_git(&["symbolic-ref", "HEAD"], None)
            .map(|h| !h.contains(branch))
            .unwrap_or(true)
            && parent.is_none()
        {
            self.git(&["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")]);
        }
        commit
    }

    /// Adds one file on top of the branch's head, keeping everything else (someone else's push).
    pub fn push_file(&self, branch: &str, path: &str, contents: &[u8]) -> String {
        let _l = self.lock.lock().expect("lock");
        let head = self.resolve(branch).expect("the branch exists");
        let mut entries = self.entries_of(&head).expect("listing");
        entries.retain(|e| e.path != path);
        entries.push(TreeEntry {
            path: path.to_owned(),
            mode: "100644".into(),
            sha: self.write_blob(contents).expect("blob"),
        });
        let tree = self.write_tree(&entries).expect("tree");
        let commit = self
            .commit_tree(&tree, Some(&head), "Someone else's change")
            .expect("commit");
        self.git(&[
            "update-ref",
            &format!("refs/heads/{branch}"),
            &commit,
            &head,
        ]);
        commit
    }

    fn write_blob(&self, bytes: &[u8]) -> Result<String, String> {
        self.try_git(&["hash-object", "-w", "--stdin"], Some(bytes))
            .map(|s| s.trim().to_owned())
    }

    /// Writes many blobs with one git process; their ids, in order.
    fn write_blobs(&self, contents: &[&[u8]]) -> Result<Vec<String>, String> {
        if contents.is_empty() {
            return Ok(Vec::new());
        }
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut paths = String::new();
        for (i, bytes) in contents.iter().enumerate() {
            let path = tmp.path().join(i.to_string());
            std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
            paths.push_str(&format!("{}\n", path.display()));
        }
        let out = self.try_git(
            &["hash-object", "-w", "--no-filters", "--stdin-paths"],
            Some(paths.as_bytes()),
        )?;
        Ok(out.lines().map(str::to_owned).collect())
    }

    /// The kind of each object (`blob`, `tree`, …; `None` when missing), with one git process.
    fn kinds(&self, shas: &[&str]) -> Vec<Option<String>> {
        if shas.is_empty() {
            return Vec::new();
        }
        let input: String = shas.iter().map(|s| format!("{s}\n")).collect();
        let out = self
            .try_git(
                &["cat-file", "--batch-check=%(objecttype)"],
                Some(input.as_bytes()),
            )
            .unwrap_or_default();
        let mut kinds: Vec<Option<String>> = out
            .lines()
            .map(|l| (!l.ends_with(" missing") && !l.contains(' ')).then(|| l.to_owned()))
            .collect();
        kinds.resize(shas.len(), None);
        kinds
    }

    /// The blobs of a commit or tree, recursively.
    fn entries_of(&self, treeish: &str) -> Result<Vec<TreeEntry>, String> {
        let out = self.try_git(&["ls-tree", "-r", "--full-tree", treeish], None)?;
        Ok(out
            .lines()
            .filter_map(|line| {
                let (meta, path) = line.split_once('\t')?;
                let mut m = meta.split(' ');
                let (mode, _kind, sha) = (m.next()?, m.next()?, m.next()?);
                Some(TreeEntry {
                    path: path.to_owned(),
                    mode: mode.to_owned(),
                    sha: sha.to_owned(),
                })
            })
            .collect())
    }

    /// Builds nested trees bottom-up with `git mktree`.
    fn write_tree(&self, entries: &[TreeEntry]) -> Result<String, String> {
        #[derive(Default)]
        struct Dir {
            blobs: BTreeMap<String, (String, String)>,
            dirs: BTreeMap<String, Dir>,
        }
        let mut root = Dir::default();
        for e in entries {
            let mut dir = &mut root;
            let parts: Vec<&str> = e.path.split('/').collect();
            if parts
                .iter()
                .any(|p| p.is_empty() || *p == "." || *p == "..")
            {
                return Err(format!("bad path {:?}", e.path));
            }
            for part in &parts[..parts.len() - 1] {
                dir = dir.dirs.entry((*part).to_owned()).or_default();
            }
            dir.blobs.insert(
                parts[parts.len() - 1].to_owned(),
                (e.mode.clone(), e.sha.clone()),
            );
        }
        // One `git mktree --batch` for every folder, bottom-up (it answers each tree's id as
        // soon as the tree's listing ends with an empty line).
        struct Mktree {
            child: std::process::Child,
            out: std::io::BufReader<std::process::ChildStdout>,
        }
        fn write(m: &mut Mktree, dir: &Dir) -> Result<String, String> {
            let mut listing = String::new();
            for (name, sub) in &dir.dirs {
                if dir.blobs.contains_key(name) {
                    return Err(format!("{name} is both a file and a folder"));
                }
                listing.push_str(&format!("040000 tree {}\t{name}\n", write(m, sub)?));
            }
            for (name, (mode, sha)) in &dir.blobs {
                let kind = if mode == "040000" { "tree" } else { "blob" };
                listing.push_str(&format!("{mode} {kind} {sha}\t{name}\n"));
            }
            listing.push('\n');
            let stdin = m.child.stdin.as_mut().expect("stdin");
            stdin
                .write_all(listing.as_bytes())
                .and_then(|()| stdin.flush())
                .map_err(|e| format!("git mktree: {e}"))?;
            let mut line = String::new();
            std::io::BufRead::read_line(&mut m.out, &mut line).map_err(|e| e.to_string())?;
            let sha = line.trim().to_owned();
            if sha.len() == 40 {
                Ok(sha)
            } else {
                Err("git mktree refused a tree".into())
            }
        }
        let mut child = Command::new("git")
            .args(["mktree", "--batch"])
            .current_dir(&self.dir)
            .env("GIT_DIR", &self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("run git mktree: {e}"))?;
        let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut m = Mktree { child, out };
        let result = write(&mut m, &root);
        drop(m.child.stdin.take());
        let status = m.child.wait_with_output().map_err(|e| e.to_string())?;
        match result {
            Err(e) if !status.stderr.is_empty() => Err(format!(
                "{e}: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            )),
            other => other,
        }
    }

    fn commit_tree(
        &self,
        tree: &str,
        parent: Option<&str>,
        message: &str,
    ) -> Result<String, String> {
        let mut args = vec!["commit-tree", tree];
        if let Some(p) = parent {
            args.extend(["-p", p]);
        }
        args.extend(["-m", message]);
        self.try_git(&args, None).map(|s| s.trim().to_owned())
    }

    fn kind(&self, sha: &str) -> Option<String> {
        self.try_git(&["cat-file", "-t", sha], None)
            .ok()
            .map(|s| s.trim().to_owned())
    }
}

/// A file (`100644`, `100755`) or, in a tree request, a folder by id (`040000`).
#[derive(Debug, Clone)]
struct TreeEntry {
    path: String,
    mode: String,
    sha: String,
}

impl TreeEntry {
    fn kind(&self) -> &'static str {
        if self.mode == "040000" {
            "tree"
        } else {
            "blob"
        }
    }
}

fn git_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_DIR", dir)
        .env("GIT_AUTHOR_NAME", "Monalisa Octocat")
        .env("GIT_AUTHOR_EMAIL", "octocat@github.test")
        .env("GIT_COMMITTER_NAME", "GitHub")
        .env("GIT_COMMITTER_EMAIL", "noreply@github.test")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("run git: {e}"))?;
    if let Some(bytes) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(bytes)
            .map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

struct Repo {
    owner: String,
    name: String,
    exists: bool,
    private: bool,
    default_branch: String,
}

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
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
    violations_seen: AtomicBool,
    _dir: tempfile::TempDir,
}

impl std::fmt::Debug for GithubStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubStandIn")
            .field("addr", &self.addr)
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
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let addr = server.server_addr().to_ip().expect("an IP address");
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
        let thread = {
            let (server, state) = (server.clone(), state.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    let state = state.clone();
                    std::thread::spawn(move || handle(&state, request));
                }
            })
        };
        Self {
            addr,
            server,
            state,
            thread: Some(thread),
            violations_seen: AtomicBool::new(false),
            _dir: dir,
        }
    }

    /// The API base URL to publish to (`http://127.0.0.1:PORT[/api/v3]`).
    pub fn api_url(&self) -> String {
        format!("http://{}{}", self.addr, self.state.prefix)
    }

    /// The one token the stand-in accepts (made at run time; anything else answers 401).
    pub fn token(&self) -> String {
        self.state.token.clone()
    }

    pub fn set_access(&self, access: Access) {
        *self.state.access.lock().expect("lock") = access;
    }

    /// Waits this long before every answer (the benchmark's network).
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
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
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

/// The contract's examples (`components.examples.<name>.value`): the answers start from them.
fn example(name: &str) -> Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        let text = std::fs::read_to_string(contracts_dir().join("github-openapi.json"))
            .expect("read github-openapi.json");
        serde_json::from_str(&text).expect("parse github-openapi.json")
    });
    doc["components"]["examples"][name]["value"].clone()
}

fn error(status: u16, message: &str) -> (u16, Value) {
    (
        status,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string() }),
    )
}

enum Outcome {
    Answer(u16, Value, Vec<(String, String)>),
    Drop,
}

fn handle(state: &State, mut request: tiny_http::Request) {
    let mut body = Vec::new();
    let read = std::io::Read::read_to_end(request.as_reader(), &mut body);
    let method = request.method().as_str().to_ascii_uppercase();
    let url = request.url().to_owned();
    let (raw_path, raw_query) = url.split_once('?').unwrap_or((&url, ""));
    let path = raw_path
        .strip_prefix(state.prefix.as_str())
        .unwrap_or(raw_path)
        .to_owned();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let contract = Contract::github();
    let routed = contract.route(&method, &path);
    let op_only = routed.as_ref().map(|(op, _)| *op);
    let mut violations = Vec::new();
    if let Err(e) = read {
        violations.push(format!("could not read the body: {e}"));
    }
    if !state.prefix.is_empty() && !raw_path.starts_with(&state.prefix) {
        violations.push(format!(
            "the request missed the API prefix {}",
            state.prefix
        ));
    }
    let outcome = match &routed {
        None => {
            violations.push("no such operation in the contract".into());
            let (s, b) = error(404, "Not Found");
            Outcome::Answer(s, b, vec![])
        }
        Some((op, params)) => {
            violations.extend(contract.check_request(op, &query, &body, true));
            if !body.is_empty()
                && header("content-type").is_none_or(|c| !c.starts_with("application/json"))
            {
                violations.push("a JSON body without Content-Type: application/json".into());
            }
            let auth = header("authorization").unwrap_or_default();
            let token_ok = auth
                .strip_prefix("Bearer ")
                .or_else(|| auth.strip_prefix("token "))
                .is_some_and(|t| t == state.token);
            let fault = state
                .faults
                .lock()
                .expect("lock")
                .get_mut(&op.id)
                .and_then(VecDeque::pop_front);
            if !violations.is_empty() {
                let (s, b) = error(422, &format!("Invalid request: {}", violations.join("; ")));
                Outcome::Answer(s, b, vec![])
            } else if !token_ok {
                let (s, b) = error(401, "Bad credentials");
                Outcome::Answer(s, b, vec![])
            } else {
                run(state, op, params, &query, &body, fault)
            }
        }
    };
    let latency = *state.latency.lock().expect("lock");
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    let status = match &outcome {
        Outcome::Answer(status, ..) => *status,
        Outcome::Drop => 0,
    };
    if let (Some(op), Outcome::Answer(status, value, _)) = (op_only, &outcome) {
        let global = matches!(*status, 401 | 403 | 429) || *status >= 500;
        if !global || op.responses.contains_key(&status.to_string()) {
            violations.extend(contract.check_response(op, *status, Some(value)));
        }
    }
    {
        state.requests.lock().expect("lock").push(GithubRequest {
            method: method.clone(),
            path: path.clone(),
            query,
            operation: op_only.map(|op| op.id.clone()).unwrap_or_default(),
            body,
            status,
        });
    }
    if !violations.is_empty() {
        state.violations.lock().expect("lock").extend(
            violations
                .into_iter()
                .map(|v| format!("{method} {path}: {v}")),
        );
    }
    match outcome {
        Outcome::Answer(status, value, extra) => {
            let mut response =
                tiny_http::Response::from_data(serde_json::to_vec(&value).expect("JSON"))
                    .with_status_code(status)
                    .with_header(
                        tiny_http::Header::from_bytes(
                            "Content-Type",
                            "application/json; charset=utf-8",
                        )
                        .expect("header"),
                    );
            for (k, v) in extra {
                response.add_header(tiny_http::Header::from_bytes(k, v).expect("header"));
            }
            let _ = request.respond(response);
        }
        Outcome::Drop => {
            // No HTTP answer: bytes no client can parse, then the connection closes.
            let mut writer = request.into_writer();
            let _ = writer.write_all(b"XTTP/9.9 connection lost\r\n\r\n");
            let _ = writer.flush();
        }
    }
}

fn run(
    state: &State,
    op: &Operation,
    params: &BTreeMap<String, String>,
    query: &[(String, String)],
    body: &[u8],
    fault: Option<Fault>,
) -> Outcome {
    let drop_after = match fault {
        None => false,
        Some(Fault::Status(status, value)) => return Outcome::Answer(status, value, vec![]),
        Some(Fault::RateLimited { retry_after }) => {
            let (s, b) = error(429, "API rate limit exceeded");
            return Outcome::Answer(s, b, vec![("Retry-After".into(), retry_after.to_string())]);
        }
        Some(Fault::RateLimitReset { in_seconds }) => {
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs()
                + in_seconds;
            let (s, b) = error(403, "API rate limit exceeded");
            return Outcome::Answer(
                s,
                b,
                vec![
                    ("x-ratelimit-remaining".into(), "0".into()),
                    ("x-ratelimit-reset".into(), reset.to_string()),
                ],
            );
        }
        Some(Fault::DropBefore) => return Outcome::Drop,
        Some(Fault::DropAfter) => true,
        Some(Fault::Before(f)) => {
            f(&state.git);
            false
        }
    };
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let (status, value) = answer(state, op, params, query, &body);
    if drop_after {
        Outcome::Drop
    } else {
        Outcome::Answer(status, value, vec![])
    }
}

/// Does the operation against the bare repository; the answer GitHub would give.
fn answer(
    state: &State,
    op: &Operation,
    params: &BTreeMap<String, String>,
    query: &[(String, String)],
    body: &Value,
) -> (u16, Value) {
    let access = *state.access.lock().expect("lock");
    let git = &state.git;
    let _l = git.lock.lock().expect("lock");
    if op.id == "users/get-authenticated" {
        let mut user = example("private-user-response-with-public-and-private-profile-information");
        user["login"] = json!(state.login);
        return (200, user);
    }
    let mut repo = state.repo.lock().expect("lock");
    let (base, html) = ("https://api.github.test", "https://github.test");
    if matches!(
        op.id.as_str(),
        "repos/create-for-authenticated-user" | "repos/create-in-org"
    ) {
        if op.id == "repos/create-in-org" && params.get("org") != Some(&repo.owner) {
            return error(404, "Not Found");
        }
        if op.id == "repos/create-for-authenticated-user" && state.login != repo.owner {
            return error(
                422,
                "Repository creation failed: the stand-in only knows one owner.",
            );
        }
        if body["name"] != json!(repo.name) {
            return error(
                422,
                "Repository creation failed: the stand-in serves one repository.",
            );
        }
        if repo.exists {
            return error(
                422,
                "Repository creation failed: name already exists on this account",
            );
        }
        if access == Access::ReadOnly {
            return error(403, "Resource not accessible by personal access token");
        }
        repo.exists = true;
        repo.private = body["private"].as_bool().unwrap_or(false);
        return (201, full_repository(&repo, access, base, html));
    }
    if params.get("owner") != Some(&repo.owner)
        || params.get("repo") != Some(&repo.name)
        || !repo.exists
        || access == Access::Invisible
    {
        return error(404, "Not Found");
    }
    let write = op.method != "GET";
    if write && access == Access::ReadOnly {
        return error(403, "Resource not accessible by personal access token");
    }
    let repo_url = format!("{base}/repos/{}/{}", repo.owner, repo.name);
    let empty = git.is_empty();
    let empty_answer = || error(409, "Git Repository is empty.");
    match op.id.as_str() {
        "repos/get" => (200, full_repository(&repo, access, base, html)),
        "git/get-ref" => {
            if empty {
                return empty_answer();
            }
            let r = &params["ref"];
            let Some(branch) = r.strip_prefix("heads/") else {
                return error(404, "Not Found");
            };
            match git.resolve(branch) {
                Some(sha) => (200, git_ref(&repo_url, &format!("refs/{r}"), &sha)),
                None => error(404, "Not Found"),
            }
        }
        "git/get-commit" => {
            if empty {
                return empty_answer();
            }
            let sha = &params["commit_sha"];
            if git.kind(sha).as_deref() != Some("commit") {
                return error(404, "Not Found");
            }
            (
                200,
                commit_json(git, &repo_url, html, &repo.owner, &repo.name, sha),
            )
        }
        "git/get-tree" => {
            if empty {
                return empty_answer();
            }
            let sha = &params["tree_sha"];
            if git.kind(sha).as_deref() != Some("tree") {
                return error(404, "Not Found");
            }
            let recursive = query.iter().any(|(k, _)| k == "recursive");
            let mut args = vec!["ls-tree", "-l"];
            if recursive {
                args.extend(["-r", "-t"]);
            }
            args.push(sha);
            let listing = git.try_git(&args, None).unwrap_or_default();
            let entries: Vec<Value> = listing
                .lines()
                .filter_map(|line| {
                    let (meta, path) = line.split_once('\t')?;
                    let m: Vec<&str> = meta.split_whitespace().collect();
                    let (mode, kind, sha) = (m.first()?, m.get(1)?, m.get(2)?);
                    let mut e = json!({ "path": path, "mode": mode, "type": kind, "sha": sha, "url": format!("{repo_url}/git/{kind}s/{sha}") });
                    if let Some(size) = m.get(3).and_then(|s| s.parse::<u64>().ok()) {
                        e["size"] = json!(size);
                    }
                    Some(e)
                })
                .collect();
            (
                200,
                json!({ "sha": sha, "url": format!("{repo_url}/git/trees/{sha}"), "tree": entries, "truncated": false }),
            )
        }
        "git/get-blob" => {
            let sha = &params["file_sha"];
            if git.kind(sha).as_deref() != Some("blob") {
                return error(404, "Not Found");
            }
            let out = Command::new("git")
                .args(["cat-file", "blob", sha])
                .env("GIT_DIR", git.dir())
                .output()
                .expect("git cat-file");
            let mut blob = example("blob");
            blob["content"] = json!(base64_encode(&out.stdout));
            blob["sha"] = json!(sha);
            blob["size"] = json!(out.stdout.len());
            blob["url"] = json!(format!("{repo_url}/git/blobs/{sha}"));
            (200, blob)
        }
        "git/create-blob" => {
            if empty {
                return empty_answer();
            }
            let content = body["content"].as_str().unwrap_or_default();
            let bytes = match body["encoding"].as_str().unwrap_or("utf-8") {
                "base64" => match base64_decode(content) {
                    Some(b) => b,
                    None => return error(422, "content is not valid Base64"),
                },
                "utf-8" => content.as_bytes().to_vec(),
                other => return error(422, &format!("encoding {other} is not supported")),
            };
            match git.write_blob(&bytes) {
                Ok(sha) => (
                    201,
                    json!({ "sha": sha, "url": format!("{repo_url}/git/blobs/{sha}") }),
                ),
                Err(e) => error(422, &e),
            }
        }
        "git/create-tree" => {
            if empty {
                return empty_answer();
            }
            // base_tree: its files, each replaced by a sent entry of the same path (or below a
            // sent folder of that path), as GitHub merges nested paths into the base.
            let mut base = Vec::new();
            if let Some(b) = body.get("base_tree") {
                let b = b.as_str().unwrap_or_default();
                if git.kind(b).as_deref() != Some("tree") {
                    return error(422, "base_tree is not a valid tree");
                }
                base = git.entries_of(b).unwrap_or_default();
            }
            // Contents are written and ids checked in one git process each (a large tree has
            // thousands of entries).
            let mut entries = Vec::new();
            let mut contents: Vec<(usize, &[u8])> = Vec::new();
            let mut by_id: Vec<(usize, &str, &str)> = Vec::new();
            for e in body["tree"].as_array().into_iter().flatten() {
                let path = e["path"].as_str().unwrap_or_default().to_owned();
                let mode = e["mode"].as_str().unwrap_or_default().to_owned();
                let kind = match (e["type"].as_str(), mode.as_str()) {
                    (Some("tree"), "040000") => "tree",
                    (Some("blob"), "100644" | "100755") => "blob",
                    _ => {
                        return error(
                            422,
                            &format!("tree.{path}: the stand-in takes blobs of mode 100644/100755 and trees of mode 040000"),
                        )
                    }
                };
                match (
                    e.get("content").and_then(Value::as_str),
                    e.get("sha").and_then(Value::as_str),
                ) {
                    (Some(_), Some(_)) => {
                        return error(422, "Use either tree.sha or content, not both")
                    }
                    (Some(content), None) if kind == "blob" => {
                        contents.push((entries.len(), content.as_bytes()))
                    }
                    (None, Some(sha)) => by_id.push((entries.len(), sha, kind)),
                    _ => return error(422, &format!("tree.{path}: no content and no sha")),
                }
                entries.push(TreeEntry {
                    path,
                    mode,
                    sha: String::new(),
                });
            }
            let bytes: Vec<&[u8]> = contents.iter().map(|(_, b)| *b).collect();
            match git.write_blobs(&bytes) {
                Ok(shas) => {
                    for ((i, _), sha) in contents.iter().zip(shas) {
                        entries[*i].sha = sha;
                    }
                }
                Err(e) => return error(422, &e),
            }
            let ids: Vec<&str> = by_id.iter().map(|(_, sha, _)| *sha).collect();
            for ((i, sha, kind), found) in by_id.iter().zip(git.kinds(&ids)) {
                if found.as_deref() != Some(*kind) {
                    return error(422, &format!("tree.sha {sha} is not a valid {kind}"));
                }
                entries[*i].sha = (*sha).to_owned();
            }
            let sent: std::collections::HashSet<&str> =
                entries.iter().map(|e| e.path.as_str()).collect();
            let sent_parents: std::collections::HashSet<&str> = entries
                .iter()
                .flat_map(|e| e.path.match_indices('/').map(|(i, _)| &e.path[..i]))
                .collect();
            base.retain(|b| {
                let replaced = sent.contains(b.path.as_str())
                    || b.path
                        .match_indices('/')
                        .any(|(i, _)| sent.contains(&b.path[..i]));
                !replaced && !sent_parents.contains(b.path.as_str())
            });
            entries.extend(base);
            match git.write_tree(&entries) {
                Ok(sha) => {
                    let mut listing = Vec::new();
                    for e in &entries {
                        let kind = e.kind();
                        listing.push(json!({ "path": e.path, "mode": e.mode, "type": kind, "sha": e.sha, "url": format!("{repo_url}/git/{kind}s/{}", e.sha) }));
                    }
                    (
                        201,
                        json!({ "sha": sha, "url": format!("{repo_url}/git/trees/{sha}"), "tree": listing, "truncated": false }),
                    )
                }
                Err(e) => error(422, &e),
            }
        }
        "git/create-commit" => {
            if empty {
                return empty_answer();
            }
            let tree = body["tree"].as_str().unwrap_or_default();
            if git.kind(tree).as_deref() != Some("tree") {
                return error(422, "Tree SHA does not exist");
            }
            let parents: Vec<&str> = body["parents"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if parents.len() > 1 {
                return error(422, "the stand-in makes no merge commits");
            }
            if parents
                .iter()
                .any(|p| git.kind(p).as_deref() != Some("commit"))
            {
                return error(422, "Parent SHA does not exist or is not a commit object");
            }
            let message = body["message"].as_str().unwrap_or_default();
            match git.commit_tree(tree, parents.first().copied(), message) {
                Ok(sha) => (
                    201,
                    commit_json(git, &repo_url, html, &repo.owner, &repo.name, &sha),
                ),
                Err(e) => error(422, &e),
            }
        }
        "git/update-ref" => {
            if empty {
                return empty_answer();
            }
            let r = &params["ref"];
            let Some(branch) = r.strip_prefix("heads/") else {
                return error(422, "Reference does not exist");
            };
            let Some(old) = git.resolve(branch) else {
                return error(422, "Reference does not exist");
            };
            let new = body["sha"].as_str().unwrap_or_default();
            if git.kind(new).as_deref() != Some("commit") {
                return error(422, "Object does not exist");
            }
            let force = body["force"].as_bool().unwrap_or(false);
            let ff = git
                .try_git(&["merge-base", "--is-ancestor", &old, new], None)
                .is_ok();
            if !force && !ff {
                return error(422, "Update is not a fast forward");
            }
            match git.try_git(
                &["update-ref", &format!("refs/heads/{branch}"), new, &old],
                None,
            ) {
                Ok(_) => (200, git_ref(&repo_url, &format!("refs/{r}"), new)),
                Err(e) => error(422, &e),
            }
        }
        "git/create-ref" => {
            if empty {
                return empty_answer();
            }
            let r = body["ref"].as_str().unwrap_or_default();
            let new = body["sha"].as_str().unwrap_or_default();
            if !r.starts_with("refs/heads/") || git.kind(new).as_deref() != Some("commit") {
                return error(422, "Reference update failed");
            }
            if git
                .try_git(&["rev-parse", "--verify", "--quiet", r], None)
                .is_ok()
            {
                return error(422, "Reference already exists");
            }
            match git.try_git(&["update-ref", r, new, ""], None) {
                Ok(_) => (201, git_ref(&repo_url, r, new)),
                Err(e) => error(422, &e),
            }
        }
        "repos/create-or-update-file-contents" => {
            let path = params["path"].clone();
            let branch = body["branch"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or(repo.default_branch.clone());
            let Some(bytes) = body["content"].as_str().and_then(base64_decode) else {
                return error(422, "content is not valid Base64");
            };
            let head = git.resolve(&branch);
            let mut entries = match &head {
                Some(h) => git.entries_of(h).unwrap_or_default(),
                None if empty => Vec::new(),
                None => return error(404, "Branch not found"),
            };
            if entries.iter().any(|e| e.path == path) && body.get("sha").is_none() {
                return error(422, "Invalid request.\n\n\"sha\" wasn't supplied.");
            }
            entries.retain(|e| e.path != path);
            let blob = git.write_blob(&bytes).expect("blob");
            entries.push(TreeEntry {
                path: path.clone(),
                mode: "100644".into(),
                sha: blob.clone(),
            });
            let tree = git.write_tree(&entries).expect("tree");
            let message = body["message"].as_str().unwrap_or_default();
            let commit = git
                .commit_tree(&tree, head.as_deref(), message)
                .expect("commit");
            let old = head.clone().unwrap_or_default();
            if git
                .try_git(
                    &["update-ref", &format!("refs/heads/{branch}"), &commit, &old],
                    None,
                )
                .is_err()
            {
                return error(409, "is at a different commit");
            }
            let mut answer = example("file-commit-example-for-creating-a-file");
            answer["commit"] = commit_json(git, &repo_url, html, &repo.owner, &repo.name, &commit);
            answer["content"]["sha"] = json!(blob);
            answer["content"]["path"] = json!(path);
            answer["content"]["name"] = json!(path.rsplit('/').next().unwrap_or(&path));
            answer["content"]["size"] = json!(bytes.len());
            (if head.is_some() { 200 } else { 201 }, answer)
        }
        other => error(501, &format!("the stand-in does not implement {other}")),
    }
}

fn full_repository(repo: &Repo, access: Access, base: &str, html: &str) -> Value {
    let mut r = example("full-repository");
    let full = format!("{}/{}", repo.owner, repo.name);
    // The example predates fields the schema now requires.
    r["has_discussions"] = json!(false);
    r["name"] = json!(repo.name);
    r["full_name"] = json!(full);
    r["private"] = json!(repo.private);
    r["visibility"] = json!(if repo.private { "private" } else { "public" });
    r["default_branch"] = json!(repo.default_branch);
    r["owner"]["login"] = json!(repo.owner);
    r["url"] = json!(format!("{base}/repos/{full}"));
    r["html_url"] = json!(format!("{html}/{full}"));
    let admin = access == Access::Admin;
    r["permissions"] =
        json!({ "admin": admin, "maintain": admin, "push": admin, "triage": admin, "pull": true });
    r
}

fn git_ref(repo_url: &str, r: &str, sha: &str) -> Value {
    json!({
        "ref": r,
        "node_id": "REF_stand_in",
        "url": format!("{repo_url}/git/{r}"),
        "object": { "sha": sha, "type": "commit", "url": format!("{repo_url}/git/commits/{sha}") },
    })
}

fn commit_json(
    git: &GitRepo,
    repo_url: &str,
    html: &str,
    owner: &str,
    name: &str,
    sha: &str,
) -> Value {
    let raw = git
        .try_git(&["cat-file", "commit", sha], None)
        .unwrap_or_default();
    let (headers, message) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut tree = String::new();
    let mut parents = Vec::new();
    for line in headers.lines() {
        if let Some(t) = line.strip_prefix("tree ") {
            tree = t.to_owned();
        } else if let Some(p) = line.strip_prefix("parent ") {
            parents.push(json!({ "sha": p, "url": format!("{repo_url}/git/commits/{p}"), "html_url": format!("{html}/{owner}/{name}/commit/{p}") }));
        }
    }
    let mut c = example("git-commit");
    c["sha"] = json!(sha);
    c["url"] = json!(format!("{repo_url}/git/commits/{sha}"));
    c["html_url"] = json!(format!("{html}/{owner}/{name}/commit/{sha}"));
    c["tree"] = json!({ "sha": tree, "url": format!("{repo_url}/git/trees/{tree}") });
    c["message"] = json!(message.trim_end_matches('\n'));
    c["parents"] = json!(parents);
    c
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = if c == b'=' {
                pad += 1;
                0
            } else {
                B64.iter().position(|&b| b == c)? as u32
            };
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// GitHub's OAuth device-flow endpoints on 127.0.0.1, playing prepared answers in order:
/// `POST /login/device/code` answers a code; each `POST /login/oauth/access_token` answers the
/// next prepared JSON (`{"error": "authorization_pending"}`, `{"access_token": …}`, …).
pub struct OAuthStandIn {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    answers: Arc<Mutex<VecDeque<Value>>>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for OAuthStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthStandIn")
            .field("addr", &self.addr)
            .finish()
    }
}

impl OAuthStandIn {
    /// `interval` and `expires_in` are what the code answer says (in GitHub's seconds).
    pub fn start(interval: u64, expires_in: u64, token_answers: Vec<Value>) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let answers = Arc::new(Mutex::new(VecDeque::from(token_answers)));
        let requests: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let thread = {
            let (server, answers, requests) = (server.clone(), answers.clone(), requests.clone());
            std::thread::spawn(move || {
                while let Ok(mut request) = server.recv() {
                    let mut body = String::new();
                    let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
                    let url = request.url().to_owned();
                    requests.lock().expect("lock").push((url.clone(), body));
                    let form_ok = request.headers().iter().any(|h| {
                        h.field.equiv("Content-Type")
                            && h.value.as_str() == "application/x-www-form-urlencoded"
                    }) && request
                        .headers()
                        .iter()
                        .any(|h| h.field.equiv("Accept") && h.value.as_str() == "application/json");
                    let (status, value) = if !form_ok
                        || request.method() != &tiny_http::Method::Post
                    {
                        (400, json!({ "error": "bad_request" }))
                    } else if url == "/login/device/code" {
                        (
                            200,
                            json!({ "device_code": "dc-test", "user_code": "WDJB-MJHT", "verification_uri": "https://github.com/login/device", "expires_in": expires_in, "interval": interval }),
                        )
                    } else if url == "/login/oauth/access_token" {
                        match answers.lock().expect("lock").pop_front() {
                            Some(v) => (200, v),
                            None => (500, json!({ "error": "no answer prepared" })),
                        }
                    } else {
                        (404, json!({ "error": "Not Found" }))
                    };
                    let _ = request.respond(
                        tiny_http::Response::from_data(serde_json::to_vec(&value).expect("JSON"))
                            .with_status_code(status)
                            .with_header(
                                tiny_http::Header::from_bytes("Content-Type", "application/json")
                                    .expect("header"),
                            ),
                    );
                }
            })
        };
        Self {
            addr,
            server,
            answers,
            requests,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// (path, form body) of every request.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().expect("lock").clone()
    }

    /// Token answers not yet asked for.
    pub fn unused(&self) -> usize {
        self.answers.lock().expect("lock").len()
    }
}

impl Drop for OAuthStandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for bytes in [&b""[..], b"a", b"ab", b"abc", b"\x00\xff\x10binary"] {
            assert_eq!(base64_decode(&base64_encode(bytes)).unwrap(), bytes);
        }
        assert_eq!(base64_encode(b"hello"), "aGVsbG8=");
    }
}
