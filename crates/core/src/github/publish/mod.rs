//! The publish algorithm of SPEC §7: read the branch head, compare trees, and when they differ
//! write one tree (no `base_tree`: the bundle is the whole content), one commit on the head, and
//! move the branch with `force: false` — so the branch is always at the old commit or at a
//! complete new one, and a concurrent push is never overwritten.
//!
//! - this file: the [`Publisher`], what it is asked ([`PublishTarget`]) and answers
//!   ([`PublishOutcome`]), [`Publisher::plan`] and the flow of [`Publisher::publish`];
//! - `repository.rs`: the repository read, created when asked, seeded when empty;
//! - `tree.rs`: the bundle's tree — blobs, tree requests within budget, reuse of what the
//!   branch holds — and the branch's files read back for a plan;
//! - `branch.rs`: the branch head, then the commit and the branch move, rebuilt when someone
//!   else pushed meanwhile.

mod branch;
mod repository;
mod tree;

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::api::{Api, EventSink, Method, Reply, Resend};
use super::git_object::{tree_id, ObjectId};
use super::plan::{self, PublishPlan};
use super::{GithubConnection, GithubError, PublishEvent, RetryPolicy, Step};
use crate::bundle::Bundle;
use crate::domain::{BranchName, MarketplaceRepo};

pub use branch::MAX_PUBLISH_ATTEMPTS;
pub use tree::{MAX_INLINE_BYTES, MAX_TREE_REQUEST_BYTES};

use branch::Head;

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
    pub branch: Option<BranchName>,
    /// Create the repository (private) when it does not exist.
    pub create: bool,
    /// Publish even to a public repository (the hooks key is then readable by anyone). Off
    /// unless the admin says so: a public repository is refused before anything is written.
    pub allow_public: bool,
    /// The commit message.
    pub message: String,
}

impl PublishTarget {
    pub fn new(repo: MarketplaceRepo) -> Self {
        Self {
            repo,
            branch: None,
            create: false,
            allow_public: false,
            message: "Publish the Gram plugin marketplace (gram-admin)".into(),
        }
    }

    /// Publishes to `branch` (`None`: the default branch).
    pub fn with_branch(mut self, branch: Option<BranchName>) -> Self {
        self.branch = branch;
        self
    }

    /// The branch name to publish to, if one was chosen.
    fn branch_name(&self) -> Option<String> {
        self.branch.as_ref().map(ToString::to_string)
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
                let branch = target.branch_name().unwrap_or_else(|| "main".into());
                return Ok(PublishPlan::everything_new(repo, &branch, bundle, false));
            }
            return Err(GithubError::RepoNotFound {
                repo: repo.to_string(),
            });
        };
        let branch = target.branch_name().unwrap_or(info.default_branch.clone());
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
        let (info, created_repository) = self.repository_to_publish_to(target).await?;
        let mut run = Run::new(target, bundle, info.default_branch, created_repository);
        loop {
            // Once a branch move was sent and its answer lost, the publish may have landed: the
            // read that tells is never cut short.
            let head = self
                .maybe_cancelled(run.cancellable(), self.read_head(&target.repo, &run.branch))
                .await
                .map_err(|()| run.cancelled())??;
            match self.after_reading(&mut run, head).await? {
                Next::Done(outcome) => return Ok(outcome),
                Next::ReadAgain => {}
                Next::Commit { parent, exists } => {
                    if let Some(outcome) = self.commit_and_move(&mut run, parent, exists).await? {
                        return Ok(outcome);
                    }
                }
            }
        }
    }

    /// What the branch head says to do: seed an empty repository, see that a lost branch move
    /// landed, stop when the branch already holds these files, or commit on its head (a new
    /// branch on the default branch's head).
    async fn after_reading(&self, run: &mut Run<'_>, head: Head) -> Result<Next, GithubError> {
        let repo = &run.target.repo;
        match head {
            Head::EmptyRepository => {
                self.seed_empty(run).await?;
                Ok(Next::ReadAgain)
            }
            Head::At(sha) if Some(sha) == run.pending => {
                Ok(Next::Done(self.published(run, sha, run.attempt)))
            }
            Head::At(sha) => {
                let tree = self
                    .maybe_cancelled(run.cancellable(), self.read_commit_tree(repo, sha))
                    .await
                    .map_err(|()| run.cancelled())??;
                run.head_tree = Some(tree);
                if tree != run.local_tree {
                    return Ok(Next::Commit {
                        parent: Some(sha),
                        exists: true,
                    });
                }
                let mut out = run.outcome(self, sha, run.seeded, run.attempt.max(1));
                if !out.changed {
                    out.url = self.api.connection.web_url(&format!(
                        "{}/{}/tree/{}",
                        repo.owner(),
                        repo.name(),
                        run.branch
                    ));
                    self.api.emit(PublishEvent::Unchanged {
                        commit: out.commit.clone(),
                    });
                }
                Ok(Next::Done(out))
            }
            // A new branch starts on the default branch's head, so it shares its history
            // (a pull request can be opened from it); its files are still exactly the bundle.
            Head::Missing if run.branch != run.default_branch => {
                let base = self
                    .maybe_cancelled(run.cancellable(), self.read_head(repo, &run.default_branch))
                    .await
                    .map_err(|()| run.cancelled())??;
                let parent = match base {
                    Head::At(sha) => Some(sha),
                    Head::Missing | Head::EmptyRepository => None,
                };
                Ok(Next::Commit {
                    parent,
                    exists: false,
                })
            }
            Head::Missing => Ok(Next::Commit {
                parent: None,
                exists: false,
            }),
        }
    }

    /// The outcome of a publish whose branch now points at `commit`, reported.
    fn published(&self, run: &Run<'_>, commit: ObjectId, attempts: u32) -> PublishOutcome {
        let out = run.outcome(self, commit, true, attempts);
        self.api.emit(PublishEvent::Published {
            commit: out.commit.clone(),
            url: out.url.clone(),
        });
        out
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
        format!("/repos/{}/{}{rest}", repo.owner(), repo.name())
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
}

/// A publish under way: where it goes, and what it did so far — for its outcome, and for what
/// a cancel says was left behind.
struct Run<'a> {
    target: &'a PublishTarget,
    bundle: &'a Bundle,
    /// The branch published to.
    branch: String,
    /// The repository's default branch (a new branch starts on its head).
    default_branch: String,
    /// The tree these files make.
    local_tree: ObjectId,
    created_repository: bool,
    /// Whether the empty repository got its first file, and how many times that was tried.
    seeded: bool,
    seeds: u32,
    /// The tree is made once, whatever the number of attempts.
    tree_created: bool,
    /// A commit we asked the branch to move to, whose answer was lost.
    pending: Option<ObjectId>,
    /// The tree of the branch head last read (folders it holds need not be sent again).
    head_tree: Option<ObjectId>,
    /// How many times the commit was built.
    attempt: u32,
}

impl<'a> Run<'a> {
    fn new(
        target: &'a PublishTarget,
        bundle: &'a Bundle,
        default_branch: String,
        created_repository: bool,
    ) -> Self {
        Self {
            target,
            bundle,
            branch: target.branch_name().unwrap_or(default_branch.clone()),
            default_branch,
            local_tree: tree_id(bundle),
            created_repository,
            seeded: false,
            seeds: 0,
            tree_created: false,
            pending: None,
            head_tree: None,
            attempt: 0,
        }
    }

    /// Whether a read may be cut short by a cancel: not once a branch move's answer was lost.
    fn cancellable(&self) -> bool {
        self.pending.is_none()
    }

    fn cancelled(&self) -> GithubError {
        GithubError::Cancelled {
            repo: self.target.repo.to_string(),
            created_repository: self.created_repository,
            seeded: self.seeded,
        }
    }

    fn outcome(
        &self,
        publisher: &Publisher,
        commit: ObjectId,
        changed: bool,
        attempts: u32,
    ) -> PublishOutcome {
        let repo = &self.target.repo;
        PublishOutcome {
            repo: repo.to_string(),
            branch: self.branch.clone(),
            commit: commit.to_string(),
            url: publisher.api.connection.web_url(&format!(
                "{}/{}/commit/{commit}",
                repo.owner(),
                repo.name()
            )),
            changed,
            created_repository: self.created_repository,
            seeded: self.seeded,
            attempts,
        }
    }
}

/// What reading the branch head leads to.
enum Next {
    /// The branch holds the files: published now, or already.
    Done(PublishOutcome),
    /// The empty repository got its first file: read the branch again.
    ReadAgain,
    /// Commit on `parent` and move the branch there (`exists`: else the branch is created).
    Commit {
        parent: Option<ObjectId>,
        exists: bool,
    },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Field;

    #[test]
    fn branch_names() {
        for ok in ["main", "marketplace/v1", "release-2.0", "a_b"] {
            assert!(BranchName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "-x", "a..b", "a/", "x.lock", "a b", "a?b", "/a", "a//b", "a/.b", "%2e",
        ] {
            // Shown next to the branch input, not the repository's.
            assert_eq!(
                BranchName::parse(bad).unwrap_err().field,
                Field::Branch,
                "{bad}"
            );
        }
    }
}
