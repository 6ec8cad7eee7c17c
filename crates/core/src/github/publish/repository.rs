//! The repository: read (its default branch, whether the token may push), created when the
//! admin asked for it, and seeded with a first file when it is empty — GitHub's git database
//! takes no objects in a repository without commits.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{
    refused, unexpected, Method, PublishTarget, Publisher, Reply, RepoAccess, Resend, Run,
};
use crate::bundle::Bundle;
use crate::domain::MarketplaceRepo;
use crate::github::{GithubError, PublishEvent, Step};

/// How many times an empty repository is seeded (the second only when the first answer was
/// lost and the repository is still empty).
const MAX_SEEDS: u32 = 2;

/// What a repository read says.
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

impl Publisher {
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

    /// The repository a publish writes to, and whether this publish created it: read (a cancel
    /// stops here), created when missing and the target asks for it, refused when the token
    /// cannot push. Every check of the repository belongs here, before anything is written.
    pub(super) async fn repository_to_publish_to(
        &self,
        target: &PublishTarget,
    ) -> Result<(RepoInfo, bool), GithubError> {
        let repo = &target.repo;
        let cancelled = || GithubError::Cancelled {
            repo: repo.to_string(),
            created_repository: false,
            seeded: false,
        };
        let info = match self.unless_cancelled(self.read_repo(repo)).await {
            Ok(info) => info?,
            Err(()) => return Err(cancelled()),
        };
        let (info, created_repository) = match info {
            Some(info) => (info, false),
            None if target.create => {
                if self.cancel.is_cancelled() {
                    return Err(cancelled());
                }
                (self.create_repo(repo).await?, true)
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
        // Every observability plugin carries the org's hooks key: in a public repository anyone
        // could post events as the org's teammates. Nothing has been written yet.
        if !info.private && !target.allow_public {
            return Err(GithubError::PublicRepository {
                repo: repo.to_string(),
            });
        }
        Ok((info, created_repository))
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
        let path = if login.eq_ignore_ascii_case(repo.owner()) {
            "/user/repos".to_owned()
        } else {
            format!("/orgs/{}/repos", repo.owner())
        };
        let body = json!({
            "name": repo.name(),
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

    /// Gives the empty repository its first file (a cancel stops before it), at most
    /// [`MAX_SEEDS`] times; the caller then reads the branch again.
    pub(super) async fn seed_empty(&self, run: &mut Run<'_>) -> Result<(), GithubError> {
        if run.seeds >= MAX_SEEDS {
            return Err(unexpected(
                Step::SeedRepository,
                "the repository is still empty after writing its first file",
            ));
        }
        run.seeds += 1;
        if self.cancel.is_cancelled() {
            return Err(run.cancelled());
        }
        let target = run.target;
        run.seeded |= self
            .seed(&target.repo, &run.branch, run.bundle, &target.message)
            .await?;
        Ok(())
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
}

fn cannot_create(repo: &MarketplaceRepo, reply: &Reply) -> GithubError {
    GithubError::CannotCreate {
        repo: repo.to_string(),
        status: reply.status,
        message: reply.message().to_owned(),
    }
}
