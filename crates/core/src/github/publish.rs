//! The publish algorithm of SPEC §7: read the branch head, compare trees, and when they differ
//! write one tree (no `base_tree`: the bundle is the whole content), one commit on the head, and
//! move the branch with `force: false` — so the branch is always at the old commit or at a
//! complete new one, and a concurrent push is never overwritten.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use serde::Serialize;
use serde_json::{json, Value};

use super::api::{Api, EventSink, Method, Reply, Resend};
use super::git_object::{blob_id, folder_ids, git_mode, tree_id, ObjectId};
use super::plan::{self, PublishPlan};
use super::{GithubConnection, GithubError, PublishEvent, RetryPolicy, Step};
use crate::bundle::{Bundle, BundleFile};
use crate::domain::MarketplaceRepo;
use crate::error::Problem;
use crate::field::Field;

/// Files larger than this, or not UTF-8, are uploaded as blobs; the rest go inline in the tree.
pub const MAX_INLINE_BYTES: usize = 64 * 1024;
/// How many times a publish is rebuilt when someone else moves the branch meanwhile.
pub const MAX_PUBLISH_ATTEMPTS: u32 = 3;
/// A tree request's body stays well under the ~2 MB where GitHub starts failing: a bundle past
/// this budget references what the branch already holds by id, and what is still too much is
/// split over several tree requests ([`Publisher::publish`]).
pub const MAX_TREE_REQUEST_BYTES: usize = 768 * 1024;
/// What one entry of an uploaded blob (by its sha) adds to a tree request, at most.
const TREE_REF_COST: usize = 400;
/// How many times an empty repository is seeded (the second only when the first answer was
/// lost and the repository is still empty).
const MAX_SEEDS: u32 = 2;

/// Stops a publish while stopping is safe: any time before the request that moves the branch is
/// sent (until then GitHub only holds objects nothing refers to). After it, the publish runs to
/// its end — that request's answer may be lost, and only reading the branch tells what happened.
/// Cloning shares the switch.
#[derive(Debug, Clone, Default)]
pub struct Cancel(tokio_util::sync::CancellationToken);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the publish to stop (at once when it is waiting or between requests).
    pub fn cancel(&self) {
        self.0.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Where to publish.
#[derive(Debug, Clone)]
pub struct PublishTarget {
    pub repo: MarketplaceRepo,
    /// The branch; `None` is the repository's default branch.
    pub branch: Option<String>,
    /// Create the repository (private) when it does not exist.
    pub create: bool,
    /// The commit message.
    pub message: String,
}

impl PublishTarget {
    pub fn new(repo: MarketplaceRepo) -> Self {
        Self {
            repo,
            branch: None,
            create: false,
            message: "Publish the Gram plugin marketplace (gram-admin)".into(),
        }
    }

    /// A branch name git and GitHub accept, checked before anything is sent.
    pub fn with_branch(mut self, branch: Option<String>) -> Result<Self, Problem> {
        if let Some(b) = &branch {
            check_branch(b)?;
        }
        self.branch = branch;
        Ok(self)
    }
}

fn check_branch(b: &str) -> Result<(), Problem> {
    let ok = !b.is_empty()
        && b.len() <= 200
        && b.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./".contains(&c))
        && !b.starts_with(['/', '-', '.'])
        && !b.ends_with(['/', '.'])
        && !b.ends_with(".lock")
        && !b.contains("..")
        && !b.contains("//")
        && !b.contains("/.");
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            Field::Branch,
            format!("{b:?} is not a branch name gram-admin publishes to: use letters, digits, '-', '_', '.' and '/' (e.g. main or marketplace/v1)."),
        ))
    }
}

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PublishOutcome {
    /// `owner/name`.
    pub repo: String,
    pub branch: String,
    /// The branch's commit now: the new one, or the head that already held these files.
    pub commit: String,
    /// The commit's page on GitHub.
    pub url: String,
    /// `false`: the branch already held exactly these files and nothing was written.
    pub changed: bool,
    pub created_repository: bool,
    /// The repository was empty and got a first file before the publish.
    pub seeded: bool,
    /// How many times the commit was built (more than 1 when someone pushed meanwhile).
    pub attempts: u32,
}

/// What the token may do with a repository ([`Publisher::check_access`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RepoAccess {
    pub repo: String,
    pub default_branch: String,
    pub private: bool,
    /// `None` when GitHub did not say.
    pub can_push: Option<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct RepoInfo {
    pub default_branch: String,
    pub private: bool,
    pub can_push: Option<bool>,
}

impl RepoInfo {
    fn parse(step: Step, body: &Value) -> Result<Self, GithubError> {
        let default_branch = body["default_branch"]
            .as_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| GithubError::Unexpected {
                step,
                what: "no default_branch in the repository".into(),
            })?
            .to_owned();
        Ok(Self {
            default_branch,
            private: body["private"].as_bool().unwrap_or(true),
            can_push: body["permissions"]["push"].as_bool(),
        })
    }
}

/// Where a branch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    At(ObjectId),
    /// The repository has commits, but not this branch.
    Missing,
    /// The repository has no commits at all (GitHub answers 409).
    EmptyRepository,
}

/// Publishes bundles to GitHub; one per connection. Progress goes to the callback given to
/// [`Publisher::on_event`]. Use one publisher within one Tokio runtime (octocrab's client
/// lives in the runtime it first ran in).
pub struct Publisher {
    api: Api,
    cancel: Cancel,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").field("api", &self.api).finish()
    }
}

impl Publisher {
    pub fn new(connection: GithubConnection) -> Result<Self, GithubError> {
        Self::with_policy(connection, RetryPolicy::default())
    }

    pub fn with_policy(
        connection: GithubConnection,
        policy: RetryPolicy,
    ) -> Result<Self, GithubError> {
        let events: EventSink = Arc::new(|_: &PublishEvent| {});
        Ok(Self {
            api: Api::new(connection, policy, events)?,
            cancel: Cancel::default(),
        })
    }

    /// Reports every step, wait and retry to `sink` (the CLI prints them; the app forwards them).
    pub fn on_event(mut self, sink: impl Fn(&PublishEvent) + Send + Sync + 'static) -> Self {
        self.api.events = Arc::new(sink);
        self
    }

    /// Reports `event` to the sink given to [`Publisher::on_event`], for work around a publish
    /// that belongs in its progress (minting the marketplace's key).
    pub fn report(&self, event: PublishEvent) {
        self.api.emit(event);
    }

    /// Lets `cancel` stop [`Publisher::publish`] while that is safe (see [`Cancel`]).
    pub fn cancelled_by(mut self, cancel: Cancel) -> Self {
        self.cancel = cancel;
        self
    }

    pub fn connection(&self) -> &GithubConnection {
        &self.api.connection
    }

    /// The login the token belongs to (`GET /user`).
    pub async fn user(&self) -> Result<String, GithubError> {
        self.api.emit(PublishEvent::Step {
            step: Step::ReadUser,
        });
        let reply = self
            .api
            .call(
                Step::ReadUser,
                Method::Get,
                "/user",
                None::<&()>,
                Resend::Safe,
            )
            .await?;
        match reply.status {
            200 => reply
                .str("/login")
                .map(str::to_owned)
                .ok_or_else(|| unexpected(Step::ReadUser, "no login")),
            _ => Err(refused(Step::ReadUser, &reply)),
        }
    }

    /// Whether the token can push to `repo`, with the fix when it cannot: a fine-grained token
    /// answers 404 for a repository it cannot see ([`GithubError::RepoNotFound`]); a read-only
    /// one gets [`GithubError::NoPush`].
    pub async fn check_access(&self, repo: &MarketplaceRepo) -> Result<RepoAccess, GithubError> {
        let info = self
            .read_repo(repo)
            .await?
            .ok_or_else(|| GithubError::RepoNotFound {
                repo: repo.to_string(),
            })?;
        if info.can_push == Some(false) {
            return Err(GithubError::NoPush {
                repo: repo.to_string(),
            });
        }
        Ok(RepoAccess {
            repo: repo.to_string(),
            default_branch: info.default_branch,
            private: info.private,
            can_push: info.can_push,
        })
    }

    /// What publishing `bundle` would change, without writing anything: added, changed (with a
    /// unified diff of text files, keys masked) and removed paths.
    pub async fn plan(
        &self,
        target: &PublishTarget,
        bundle: &Bundle,
    ) -> Result<PublishPlan, GithubError> {
        let repo = &target.repo;
        let info = self.read_repo(repo).await?;
        let Some(info) = info else {
            if target.create {
                let branch = target.branch.clone().unwrap_or_else(|| "main".into());
                return Ok(PublishPlan::everything_new(repo, &branch, bundle, false));
            }
            return Err(GithubError::RepoNotFound {
                repo: repo.to_string(),
            });
        };
        let branch = target.branch.clone().unwrap_or(info.default_branch.clone());
        let head = self.read_head(repo, &branch).await?;
        let head_sha = match head {
            Head::At(sha) => sha,
            Head::Missing | Head::EmptyRepository => {
                let mut plan = PublishPlan::everything_new(repo, &branch, bundle, true);
                plan.can_push = info.can_push;
                return Ok(plan);
            }
        };
        let remote_tree = self.read_commit_tree(repo, head_sha).await?;
        let local_tree = tree_id(bundle);
        let mut plan = if remote_tree == local_tree {
            PublishPlan::unchanged(repo, &branch, head_sha, bundle)
        } else {
            let listing = self.read_tree(repo, remote_tree).await?;
            let mut fetch = Vec::new();
            let plan = plan::compare(repo, &branch, head_sha, bundle, &listing, &mut fetch);
            let mut old_texts = Vec::new();
            for (path, sha) in fetch {
                old_texts.push((path, self.read_blob(repo, &sha).await?));
            }
            plan.with_diffs(bundle, &old_texts)
        };
        plan.can_push = info.can_push;
        Ok(plan)
    }

    /// Publishes `bundle` as the whole content of the branch, in one commit; nothing is written
    /// when the branch already holds exactly these files.
    pub async fn publish(
        &self,
        target: &PublishTarget,
        bundle: &Bundle,
    ) -> Result<PublishOutcome, GithubError> {
        let repo = &target.repo;
        let mut created_repository = false;
        let mut seeded = false;
        let cancelled = |created_repository: bool, seeded: bool| GithubError::Cancelled {
            repo: repo.to_string(),
            created_repository,
            seeded,
        };
        let info = match self.unless_cancelled(self.read_repo(repo)).await {
            Ok(info) => info?,
            Err(()) => return Err(cancelled(false, false)),
        };
        let info = match info {
            Some(info) => info,
            None if target.create => {
                if self.cancel.is_cancelled() {
                    return Err(cancelled(false, false));
                }
                created_repository = true;
                self.create_repo(repo).await?
            }
            None => {
                return Err(GithubError::RepoNotFound {
                    repo: repo.to_string(),
                })
            }
        };
        if info.can_push == Some(false) {
            return Err(GithubError::NoPush {
                repo: repo.to_string(),
            });
        }
        let default_branch = info.default_branch;
        let branch = target.branch.clone().unwrap_or(default_branch.clone());
        let local_tree = tree_id(bundle);
        let mut tree_created = false;
        let mut seeds = 0u32;
        // A commit we asked the branch to move to, whose answer was lost.
        let mut pending: Option<ObjectId> = None;
        // The tree of the branch head last read (folders it holds need not be sent again).
        let mut head_tree: Option<ObjectId> = None;
        let mut attempt = 0u32;
        loop {
            // Once a branch move was sent and its answer lost, the publish may have landed: the
            // read that tells is never cut short.
            let cancellable = pending.is_none();
            let stop = || cancelled(created_repository, seeded);
            let head = self
                .maybe_cancelled(cancellable, self.read_head(repo, &branch))
                .await
                .map_err(|()| stop())??;
            let outcome = |commit: ObjectId, changed: bool, attempts: u32| PublishOutcome {
                repo: repo.to_string(),
                branch: branch.clone(),
                commit: commit.to_string(),
                url: self
                    .api
                    .connection
                    .web_url(&format!("{}/{}/commit/{commit}", repo.owner, repo.name)),
                changed,
                created_repository,
                seeded,
                attempts,
            };
            // The commit's parent, and whether the branch exists (else it is created).
            let (parent, exists) = match head {
                Head::EmptyRepository => {
                    if seeds >= MAX_SEEDS {
                        return Err(unexpected(
                            Step::SeedRepository,
                            "the repository is still empty after writing its first file",
                        ));
                    }
                    seeds += 1;
                    if self.cancel.is_cancelled() {
                        return Err(stop());
                    }
                    seeded |= self.seed(repo, &branch, bundle, &target.message).await?;
                    continue;
                }
                Head::At(sha) if Some(sha) == pending => {
                    let out = outcome(sha, true, attempt);
                    self.api.emit(PublishEvent::Published {
                        commit: out.commit.clone(),
                        url: out.url.clone(),
                    });
                    return Ok(out);
                }
                Head::At(sha) => {
                    let tree = self
                        .maybe_cancelled(cancellable, self.read_commit_tree(repo, sha))
                        .await
                        .map_err(|()| stop())??;
                    head_tree = Some(tree);
                    if tree == local_tree {
                        let mut out = outcome(sha, seeded, attempt.max(1));
                        if !out.changed {
                            out.url = self
                                .api
                                .connection
                                .web_url(&format!("{}/{}/tree/{branch}", repo.owner, repo.name));
                            self.api.emit(PublishEvent::Unchanged {
                                commit: out.commit.clone(),
                            });
                        }
                        return Ok(out);
                    }
                    (Some(sha), true)
                }
                // A new branch starts on the default branch's head, so it shares its history
                // (a pull request can be opened from it); its files are still exactly the bundle.
                Head::Missing if branch != default_branch => {
                    let base = self
                        .maybe_cancelled(cancellable, self.read_head(repo, &default_branch))
                        .await
                        .map_err(|()| stop())??;
                    match base {
                        Head::At(sha) => (Some(sha), false),
                        Head::Missing | Head::EmptyRepository => (None, false),
                    }
                }
                Head::Missing => (None, false),
            };
            attempt += 1;
            if attempt > MAX_PUBLISH_ATTEMPTS {
                return Err(GithubError::Conflict {
                    repo: repo.to_string(),
                    branch,
                    attempts: MAX_PUBLISH_ATTEMPTS,
                });
            }
            if attempt > 1 {
                self.api.emit(PublishEvent::Conflict { attempt });
            }
            // Trees and commits are objects nothing refers to until the branch moves: a
            // request for one may be cut short.
            if !tree_created {
                self.unless_cancelled(self.create_tree(repo, bundle, local_tree, head_tree))
                    .await
                    .map_err(|()| stop())??;
                tree_created = true;
            }
            let commit = self
                .unless_cancelled(self.create_commit(repo, &target.message, local_tree, parent))
                .await
                .map_err(|()| stop())??;
            // The last moment to stop: from here the publish runs to its end.
            if self.cancel.is_cancelled() {
                return Err(stop());
            }
            let moved = if exists {
                self.update_branch(repo, &branch, commit).await
            } else {
                self.create_branch(repo, &branch, commit).await
            };
            match moved {
                Ok(true) => {
                    let out = outcome(commit, true, attempt);
                    self.api.emit(PublishEvent::Published {
                        commit: out.commit.clone(),
                        url: out.url.clone(),
                    });
                    return Ok(out);
                }
                // Someone else moved the branch: rebuild on their head.
                Ok(false) => {}
                // The answer was lost: the next read of the branch tells whether it moved.
                Err(GithubError::Network { .. } | GithubError::Server { .. }) => {
                    pending = Some(commit);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs `work` unless the publish is cancelled first (`Err(())`; `work` is then dropped,
    /// so only use it where abandoning a request half-way is harmless).
    async fn unless_cancelled<T>(
        &self,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, ()> {
        tokio::select! {
            biased;
            () = self.cancel.0.cancelled() => Err(()),
            done = work => Ok(done),
        }
    }

    /// [`Self::unless_cancelled`] when `cancellable`, else `work` to its end.
    async fn maybe_cancelled<T>(
        &self,
        cancellable: bool,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, ()> {
        if cancellable {
            self.unless_cancelled(work).await
        } else {
            Ok(work.await)
        }
    }

    fn repo_path(repo: &MarketplaceRepo, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", repo.owner, repo.name)
    }

    async fn get(&self, step: Step, path: &str) -> Result<Reply, GithubError> {
        self.api.emit(PublishEvent::Step { step });
        self.api
            .call(step, Method::Get, path, None::<&()>, Resend::Safe)
            .await
    }

    async fn send(
        &self,
        step: Step,
        method: Method,
        path: &str,
        body: &Value,
        resend: Resend,
    ) -> Result<Reply, GithubError> {
        self.api.emit(PublishEvent::Step { step });
        let reply = self
            .api
            .call(step, method, path, Some(body), resend)
            .await?;
        if reply.status == 403 && path.starts_with("/repos/") {
            // A token that may read but not write ("Resource not accessible by … token").
            return Err(GithubError::NoPush {
                repo: repo_of(path),
            });
        }
        Ok(reply)
    }

    pub(crate) async fn read_repo(
        &self,
        repo: &MarketplaceRepo,
    ) -> Result<Option<RepoInfo>, GithubError> {
        let step = Step::ReadRepository;
        let reply = self.get(step, &Self::repo_path(repo, "")).await?;
        match reply.status {
            200 => RepoInfo::parse(step, &reply.body).map(Some),
            404 => Ok(None),
            301 => Err(GithubError::Refused {
                step,
                status: 301,
                message: format!("{repo} was renamed or moved; publish to its new name"),
            }),
            _ => Err(refused(step, &reply)),
        }
    }

    async fn create_repo(&self, repo: &MarketplaceRepo) -> Result<RepoInfo, GithubError> {
        let login = self.user().await?;
        let path = if login.eq_ignore_ascii_case(&repo.owner) {
            "/user/repos".to_owned()
        } else {
            format!("/orgs/{}/repos", repo.owner)
        };
        let body = json!({
            "name": repo.name,
            "description": "Plugin marketplace for Claude Code, Cursor and Codex, published by gram-admin.",
            "private": true,
            "auto_init": false,
        });
        let step = Step::CreateRepository;
        match self
            .send(step, Method::Post, &path, &body, Resend::Never)
            .await
        {
            Ok(reply) if reply.status == 201 => RepoInfo::parse(step, &reply.body),
            // Already there (made meanwhile, or our first answer was lost): use it.
            Ok(reply) if reply.status == 422 => self
                .read_repo(repo)
                .await?
                .ok_or_else(|| cannot_create(repo, &reply)),
            Ok(reply) => Err(cannot_create(repo, &reply)),
            Err(e @ (GithubError::Network { .. } | GithubError::Server { .. })) => {
                // The answer was lost: whether the repository exists now says what happened.
                self.read_repo(repo).await?.ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn read_head(
        &self,
        repo: &MarketplaceRepo,
        branch: &str,
    ) -> Result<Head, GithubError> {
        let step = Step::ReadBranch;
        let reply = self
            .get(
                step,
                &Self::repo_path(repo, &format!("/git/ref/heads/{branch}")),
            )
            .await?;
        match reply.status {
            200 => Ok(Head::At(parse_sha(step, reply.str("/object/sha"))?)),
            404 => Ok(Head::Missing),
            409 => Ok(Head::EmptyRepository),
            _ => Err(refused(step, &reply)),
        }
    }

    async fn read_commit_tree(
        &self,
        repo: &MarketplaceRepo,
        commit: ObjectId,
    ) -> Result<ObjectId, GithubError> {
        let step = Step::ReadCommit;
        let reply = self
            .get(
                step,
                &Self::repo_path(repo, &format!("/git/commits/{commit}")),
            )
            .await?;
        match reply.status {
            200 => parse_sha(step, reply.str("/tree/sha")),
            _ => Err(refused(step, &reply)),
        }
    }

    /// Every entry of a tree and its subtrees, in one recursive read; `None` when GitHub cut the
    /// listing short (`truncated`, over 100,000 entries).
    async fn list_tree(
        &self,
        repo: &MarketplaceRepo,
        tree: ObjectId,
    ) -> Result<Option<Vec<Value>>, GithubError> {
        let step = Step::ReadTree;
        let mut reply = self
            .get(
                step,
                &Self::repo_path(repo, &format!("/git/trees/{tree}?recursive=1")),
            )
            .await?;
        if reply.status != 200 {
            return Err(refused(step, &reply));
        }
        if reply.body["truncated"].as_bool() == Some(true) {
            return Ok(None);
        }
        Ok(Some(match reply.body["tree"].take() {
            Value::Array(entries) => entries,
            _ => Vec::new(),
        }))
    }

    /// Every blob of a tree: (path, mode, id). `truncated` listings are refused.
    async fn read_tree(
        &self,
        repo: &MarketplaceRepo,
        tree: ObjectId,
    ) -> Result<Vec<(String, String, ObjectId)>, GithubError> {
        let step = Step::ReadTree;
        let Some(entries) = self.list_tree(repo, tree).await? else {
            return Err(unexpected(
                step,
                "the repository has more files than GitHub lists at once (over 100,000)",
            ));
        };
        let mut out = Vec::new();
        for entry in entries.iter().filter(|e| e["type"] == "blob") {
            let path = entry["path"].as_str().unwrap_or_default().to_owned();
            let mode = entry["mode"].as_str().unwrap_or_default().to_owned();
            out.push((path, mode, parse_sha(step, entry["sha"].as_str())?));
        }
        Ok(out)
    }

    async fn read_blob(
        &self,
        repo: &MarketplaceRepo,
        sha: &ObjectId,
    ) -> Result<Vec<u8>, GithubError> {
        let step = Step::ReadFile;
        let reply = self
            .get(step, &Self::repo_path(repo, &format!("/git/blobs/{sha}")))
            .await?;
        if reply.status != 200 {
            return Err(refused(step, &reply));
        }
        let content: String = reply
            .str("/content")
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|_| unexpected(step, "a file that is not base64"))
    }

    /// Writes one file into an empty repository so it has a branch to publish on. Returns
    /// whether the file was written (`false`: the answer was lost; the caller re-reads).
    async fn seed(
        &self,
        repo: &MarketplaceRepo,
        branch: &str,
        bundle: &Bundle,
        message: &str,
    ) -> Result<bool, GithubError> {
        let (path, contents) = bundle
            .get("README.md")
            .or_else(|| bundle.files().next())
            .map(|f| (f.path.as_str(), f.contents.as_slice()))
            .unwrap_or((".gitkeep", b"".as_slice()));
        let body = json!({
            "message": message,
            "content": base64::engine::general_purpose::STANDARD.encode(contents),
            "branch": branch,
        });
        let step = Step::SeedRepository;
        match self
            .send(
                step,
                Method::Put,
                &Self::repo_path(repo, &format!("/contents/{path}")),
                &body,
                Resend::Never,
            )
            .await
        {
            Ok(reply) if matches!(reply.status, 200 | 201) => Ok(true),
            // Someone else wrote it first (422: the file exists; 409: the branch moved).
            Ok(reply) if matches!(reply.status, 409 | 422) => Ok(false),
            Ok(reply) => Err(refused(step, &reply)),
            Err(GithubError::Network { .. } | GithubError::Server { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The root tree of the whole bundle, in as few requests as the per-request budget allows.
    /// When everything fits, one request carries every file. Otherwise the branch's files are
    /// listed once (`head_tree`) and whatever GitHub already holds is referenced by id — whole
    /// folders when unchanged, single files otherwise — so only changed files travel; when even
    /// that does not fit, the tree is built in several requests, each one adding to the tree
    /// the previous one made (`base_tree` is only ever a tree of this publish, never the
    /// branch's: what is not in the bundle disappears). Small UTF-8 files go inline, large or
    /// binary ones are uploaded as blobs.
    async fn create_tree(
        &self,
        repo: &MarketplaceRepo,
        bundle: &Bundle,
        expected: ObjectId,
        head_tree: Option<ObjectId>,
    ) -> Result<(), GithubError> {
        let mut parts = tree_parts(bundle, &Held::default());
        if parts.iter().map(TreePart::cost).sum::<usize>() > MAX_TREE_REQUEST_BYTES {
            if let Some(tree) = head_tree {
                let held = self.read_held(repo, tree).await?;
                parts = tree_parts(bundle, &held);
            }
        }
        let mut requests: Vec<Vec<&TreePart<'_>>> = vec![Vec::new()];
        let mut used = 0usize;
        for part in &parts {
            let c = part.cost();
            if used + c > MAX_TREE_REQUEST_BYTES && used > 0 {
                requests.push(Vec::new());
                used = 0;
            }
            used += c;
            requests.last_mut().expect("one request").push(part);
        }
        let mut base: Option<ObjectId> = None;
        for request in &requests {
            let mut entries = Vec::with_capacity(request.len());
            for part in request {
                entries.push(match part {
                    TreePart::Inline(entry) | TreePart::Ref(entry) => (*entry).clone(),
                    TreePart::Upload(file) => {
                        let sha = self.upload_blob(repo, &file.contents).await?;
                        json!({ "path": file.path, "mode": git_mode(file.mode), "type": "blob", "sha": sha.to_string() })
                    }
                });
            }
            let mut body = json!({ "tree": entries });
            if let Some(base) = base {
                body["base_tree"] = Value::String(base.to_string());
            }
            let step = Step::CreateTree;
            let reply = self
                .send(
                    step,
                    Method::Post,
                    &Self::repo_path(repo, "/git/trees"),
                    &body,
                    Resend::Safe,
                )
                .await?;
            if reply.status != 201 {
                return Err(refused(step, &reply));
            }
            base = Some(parse_sha(step, reply.str("/sha"))?);
        }
        let made = base.expect("at least one request");
        if made != expected {
            return Err(unexpected(
                Step::CreateTree,
                &format!("GitHub made tree {made}, but these files make {expected}"),
            ));
        }
        Ok(())
    }

    /// Every blob and folder of a tree on the branch, by path (one recursive read). A listing
    /// GitHub cuts short is not used: everything is then sent.
    async fn read_held(&self, repo: &MarketplaceRepo, tree: ObjectId) -> Result<Held, GithubError> {
        let mut held = Held::default();
        for entry in self.list_tree(repo, tree).await?.unwrap_or_default() {
            let (Some(path), Ok(sha)) = (
                entry["path"].as_str(),
                parse_sha(Step::ReadTree, entry["sha"].as_str()),
            ) else {
                continue;
            };
            match entry["type"].as_str() {
                Some("tree") => {
                    held.trees.insert(path.to_owned(), sha);
                }
                Some("blob") => {
                    held.blobs.insert(sha);
                }
                _ => {}
            }
        }
        Ok(held)
    }

    async fn upload_blob(
        &self,
        repo: &MarketplaceRepo,
        contents: &[u8],
    ) -> Result<ObjectId, GithubError> {
        let step = Step::UploadBlob;
        let body = json!({
            "content": base64::engine::general_purpose::STANDARD.encode(contents),
            "encoding": "base64",
        });
        let reply = self
            .send(
                step,
                Method::Post,
                &Self::repo_path(repo, "/git/blobs"),
                &body,
                Resend::Safe,
            )
            .await?;
        if reply.status != 201 {
            return Err(refused(step, &reply));
        }
        let sha = parse_sha(step, reply.str("/sha"))?;
        let expected = blob_id(contents);
        if sha != expected {
            return Err(unexpected(
                step,
                &format!("GitHub stored blob {sha}, expected {expected}"),
            ));
        }
        Ok(sha)
    }

    async fn create_commit(
        &self,
        repo: &MarketplaceRepo,
        message: &str,
        tree: ObjectId,
        parent: Option<ObjectId>,
    ) -> Result<ObjectId, GithubError> {
        let step = Step::CreateCommit;
        let parents: Vec<String> = parent.iter().map(ToString::to_string).collect();
        let body = json!({ "message": message, "tree": tree.to_string(), "parents": parents });
        // Not re-sent: without a fixed date each attempt makes another commit. A lost answer
        // leaves at most an unreferenced commit; the branch is untouched.
        let reply = self
            .send(
                step,
                Method::Post,
                &Self::repo_path(repo, "/git/commits"),
                &body,
                Resend::Never,
            )
            .await?;
        if reply.status != 201 {
            return Err(refused(step, &reply));
        }
        parse_sha(step, reply.str("/sha"))
    }

    /// Moves the branch to `commit` if that is a fast-forward. `Ok(false)`: someone else moved
    /// it meanwhile.
    async fn update_branch(
        &self,
        repo: &MarketplaceRepo,
        branch: &str,
        commit: ObjectId,
    ) -> Result<bool, GithubError> {
        let step = Step::UpdateBranch;
        let reply = self
            .send(
                step,
                Method::Patch,
                &Self::repo_path(repo, &format!("/git/refs/heads/{branch}")),
                &json!({ "sha": commit.to_string(), "force": false }),
                Resend::Never,
            )
            .await?;
        match reply.status {
            200 => Ok(true),
            422 if reply
                .message()
                .to_ascii_lowercase()
                .contains("fast forward") =>
            {
                Ok(false)
            }
            _ => Err(refused(step, &reply)),
        }
    }

    async fn create_branch(
        &self,
        repo: &MarketplaceRepo,
        branch: &str,
        commit: ObjectId,
    ) -> Result<bool, GithubError> {
        let step = Step::CreateBranch;
        let reply = self
            .send(
                step,
                Method::Post,
                &Self::repo_path(repo, "/git/refs"),
                &json!({ "ref": format!("refs/heads/{branch}"), "sha": commit.to_string() }),
                Resend::Never,
            )
            .await?;
        match reply.status {
            201 => Ok(true),
            422 if reply
                .message()
                .to_ascii_lowercase()
                .contains("already exists") =>
            {
                Ok(false)
            }
            _ => Err(refused(step, &reply)),
        }
    }
}

/// What the branch already holds: folders by path, blobs by id.
#[derive(Debug, Default)]
struct Held {
    trees: HashMap<String, ObjectId>,
    blobs: HashSet<ObjectId>,
}

/// One entry of a tree request.
#[derive(Debug)]
enum TreePart<'a> {
    /// A small UTF-8 file, its content inline.
    Inline(Value),
    /// A folder or file GitHub already holds, by id.
    Ref(Value),
    /// A large or binary file, uploaded as a blob first.
    Upload(&'a BundleFile),
}

impl TreePart<'_> {
    /// What the entry adds to a request's body.
    fn cost(&self) -> usize {
        match self {
            TreePart::Inline(v) | TreePart::Ref(v) => {
                serde_json::to_string(v).map_or(MAX_TREE_REQUEST_BYTES, |s| s.len() + 1)
            }
            TreePart::Upload(_) => TREE_REF_COST,
        }
    }
}

/// The entries of a tree request for `bundle`: folders and files `held` by the branch by id
/// (the shallowest unchanged folder covers everything below it), the rest as content.
fn tree_parts<'a>(bundle: &'a Bundle, held: &Held) -> Vec<TreePart<'a>> {
    let folders = if held.trees.is_empty() {
        Default::default()
    } else {
        folder_ids(bundle)
    };
    let mut parts = Vec::new();
    let mut covered: Option<String> = None;
    for file in bundle.files() {
        if covered
            .as_ref()
            .is_some_and(|c| file.path.starts_with(c.as_str()))
        {
            continue;
        }
        let same = file
            .path
            .match_indices('/')
            .map(|(i, _)| &file.path[..i])
            .find(|folder| {
                held.trees
                    .get(*folder)
                    .is_some_and(|id| folders.get(*folder) == Some(id))
            });
        if let Some(folder) = same {
            parts.push(TreePart::Ref(json!({
                "path": folder,
                "mode": "040000",
                "type": "tree",
                "sha": held.trees[folder].to_string(),
            })));
            covered = Some(format!("{folder}/"));
            continue;
        }
        let id = blob_id(&file.contents);
        let mut entry = json!({ "path": file.path, "mode": git_mode(file.mode), "type": "blob" });
        if held.blobs.contains(&id) {
            entry["sha"] = Value::String(id.to_string());
            parts.push(TreePart::Ref(entry));
            continue;
        }
        match std::str::from_utf8(&file.contents) {
            Ok(text) if text.len() <= MAX_INLINE_BYTES => {
                entry["content"] = Value::String(text.to_owned());
                parts.push(TreePart::Inline(entry));
            }
            _ => parts.push(TreePart::Upload(file)),
        }
    }
    parts
}

/// `owner/name` of a `/repos/owner/name/…` path.
fn repo_of(path: &str) -> String {
    let mut parts = path.trim_start_matches("/repos/").split('/');
    match (parts.next(), parts.next()) {
        (Some(o), Some(n)) => format!("{o}/{n}"),
        _ => "the repository".into(),
    }
}

fn parse_sha(step: Step, s: Option<&str>) -> Result<ObjectId, GithubError> {
    s.and_then(|s| s.parse().ok())
        .ok_or_else(|| unexpected(step, "a missing or malformed object id"))
}

fn unexpected(step: Step, what: &str) -> GithubError {
    GithubError::Unexpected {
        step,
        what: what.to_owned(),
    }
}

fn refused(step: Step, reply: &Reply) -> GithubError {
    GithubError::Refused {
        step,
        status: reply.status,
        message: reply.message().to_owned(),
    }
}

fn cannot_create(repo: &MarketplaceRepo, reply: &Reply) -> GithubError {
    GithubError::CannotCreate {
        repo: repo.to_string(),
        status: reply.status,
        message: reply.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_names() {
        for ok in ["main", "marketplace/v1", "release-2.0", "a_b"] {
            assert!(check_branch(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "-x", "a..b", "a/", "x.lock", "a b", "a?b", "/a", "a//b", "a/.b", "%2e",
        ] {
            // Shown next to the branch input, not the repository's.
            assert_eq!(check_branch(bad).unwrap_err().field, Field::Branch, "{bad}");
        }
    }
}
