//! The branch: where its head is, then the commit of the bundle's tree on it and the move of
//! the branch to that commit (`force: false`), rebuilt on the new head when someone else pushed
//! meanwhile, and checked by a read when the move's answer was lost.

use serde_json::json;

use super::{parse_sha, refused, Method, PublishOutcome, Publisher, Resend, Run};
use crate::domain::MarketplaceRepo;
use crate::github::git_object::ObjectId;
use crate::github::{GithubError, PublishEvent, Step};

/// How many times a publish is rebuilt when someone else moves the branch meanwhile.
pub const MAX_PUBLISH_ATTEMPTS: u32 = 3;

/// Where a branch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    At(ObjectId),
    /// The repository has commits, but not this branch.
    Missing,
    /// The repository has no commits at all (GitHub answers 409).
    EmptyRepository,
}

impl Publisher {
    /// One attempt: the tree (made once per publish), a commit on `parent`, and the branch
    /// moved to it — or created, when it does not `exist`. `None`: the branch has to be read
    /// again (someone else moved it, or the answer to the move was lost).
    pub(super) async fn commit_and_move(
        &self,
        run: &mut Run<'_>,
        parent: Option<ObjectId>,
        exists: bool,
    ) -> Result<Option<PublishOutcome>, GithubError> {
        let (repo, bundle) = (&run.target.repo, run.bundle);
        run.attempt += 1;
        if run.attempt > MAX_PUBLISH_ATTEMPTS {
            return Err(GithubError::Conflict {
                repo: repo.to_string(),
                branch: run.branch.clone(),
                attempts: MAX_PUBLISH_ATTEMPTS,
            });
        }
        if run.attempt > 1 {
            self.api.emit(PublishEvent::Conflict {
                attempt: run.attempt,
            });
        }
        // Trees and commits are objects nothing refers to until the branch moves: a
        // request for one may be cut short.
        if !run.tree_created {
            self.unless_cancelled(self.create_tree(repo, bundle, run.local_tree, run.head_tree))
                .await
                .map_err(|()| run.cancelled())??;
            run.tree_created = true;
        }
        let commit = self
            .unless_cancelled(self.create_commit(repo, &run.target.message, run.local_tree, parent))
            .await
            .map_err(|()| run.cancelled())??;
        // The last moment to stop: from here the publish runs to its end.
        if self.cancel.is_cancelled() {
            return Err(run.cancelled());
        }
        let moved = if exists {
            self.update_branch(repo, &run.branch, commit).await
        } else {
            self.create_branch(repo, &run.branch, commit).await
        };
        match moved {
            Ok(true) => Ok(Some(self.published(run, commit, run.attempt))),
            // Someone else moved the branch: rebuild on their head.
            Ok(false) => Ok(None),
            // The answer was lost: the next read of the branch tells whether it moved.
            Err(GithubError::Network { .. } | GithubError::Server { .. }) => {
                run.pending = Some(commit);
                Ok(None)
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

    /// Who made commit `commit` of `repo`, when, and where it is on the web.
    pub async fn read_commit(
        &self,
        repo: &MarketplaceRepo,
        commit: &str,
    ) -> Result<crate::github::CommitInfo, GithubError> {
        let step = Step::ReadCommit;
        let sha = parse_sha(step, Some(commit))?;
        let reply = self
            .get(step, &Self::repo_path(repo, &format!("/git/commits/{sha}")))
            .await?;
        match reply.status {
            200 => Ok(crate::github::CommitInfo {
                sha: sha.to_string(),
                author: reply.str("/author/name").unwrap_or_default().to_owned(),
                date: reply.str("/author/date").unwrap_or_default().to_owned(),
                message: reply
                    .str("/message")
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                url: reply.str("/html_url").unwrap_or_default().to_owned(),
            }),
            _ => Err(refused(step, &reply)),
        }
    }

    pub(super) async fn read_commit_tree(
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
