//! Planning and publishing the marketplace repository, and rotating its hooks key.
//!
//! **The marketplace's own key.** Without a key given, the marketplace carries its own hooks key:
//! minted in the signed-in organization on the first publish, kept in the keychain, reused (so
//! an unchanged marketplace publishes nothing) until a rotation replaces it. The key is bound to
//! the {server, org, project, repository} it was minted for: a publish anywhere else mints a new
//! one instead of shipping the first org's key to a second server or repository, and signing
//! out forgets it. A key minted for a publish that fails is revoked and the saved one restored.

use serde::{Deserialize, Serialize};

use super::plugins::{self, Plugins};
use super::{Account, Context, Error, Event, Resolved, Sink};
use crate::bundle::Bundle;
use crate::github::{PublishEvent, PublishOutcome, PublishPlan, PublishTarget, Publisher};
use crate::gram::{ApiKey, MintedKey, SignedIn};
use crate::key::HooksKey;
use crate::org::{Org, OrgConfig};
use crate::platform::Platform;
use crate::render::{marketplace, Marketplace};
use crate::secrets::{SecretName, SecretStore, SecretStoreError};
use crate::sensitive::Sensitive;

/// Which hooks key the published observability plugins carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishKey {
    /// The marketplace's own key (minted on the first publish, then reused).
    Marketplace,
    /// A new marketplace key; the previous publish's key is revoked `grace` after the new commit
    /// landed (or earlier once unused, see [`super::keys`]); a zero grace revokes it at once.
    Rotate { grace: std::time::Duration },
    /// A key the admin gave.
    Given(HooksKey),
    /// The placeholder: the plugins cannot report to Gram.
    Placeholder,
}

impl PublishKey {
    fn is_own(&self) -> bool {
        matches!(self, PublishKey::Marketplace | PublishKey::Rotate { .. })
    }
}

/// A publish ready to plan or run: the org and plugins parsed once, the target checked.
#[derive(Debug, Clone)]
pub struct Publish {
    resolved: Resolved,
    market: Marketplace,
    target: PublishTarget,
    key: PublishKey,
}

/// What a publish would change, and whether a marketplace key will be minted for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PublishPreview {
    pub plan: PublishPlan,
    /// No marketplace key is saved for this marketplace yet: publishing mints one (the plan
    /// shows the placeholder where it goes).
    pub new_key: bool,
}

/// Where the marketplace repository stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatusState {
    /// No commit on the branch, or none of the marketplace's files in it.
    NotPublished,
    /// The branch differs from what a publish would write.
    Changes,
    /// The branch holds exactly what a publish would write.
    UpToDate,
}

/// The marketplace repository's state at a glance (reads only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MarketplaceStatus {
    pub repo: String,
    pub branch: String,
    pub state: StatusState,
    pub repository_exists: bool,
    /// Files a publish would add, change or remove.
    pub changes: usize,
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
    /// No marketplace key is saved here: a publish mints one (its files count as changes).
    pub new_key: bool,
    /// The branch's last commit.
    pub last: Option<crate::github::CommitInfo>,
}

impl MarketplaceStatus {
    /// One line: "not published yet", "3 changes to publish", "up to date (commit abc1234,
    /// 2026-12-04, by Ada)".
    pub fn line(&self) -> String {
        let last = self.last.as_ref().map(|c| {
            format!(
                "commit {}, {}, by {}",
                &c.sha[..c.sha.len().min(7)],
                c.date,
                if c.author.is_empty() {
                    "unknown"
                } else {
                    &c.author
                }
            )
        });
        let at = format!("{} ({})", self.repo, self.branch);
        match self.state {
            StatusState::NotPublished if !self.repository_exists => {
                format!("{at}: not published yet (the repository does not exist).")
            }
            StatusState::NotPublished => format!("{at}: not published yet."),
            StatusState::Changes => format!(
                "{at}: {} {} to publish ({} added, {} changed, {} removed){}; last {}.",
                self.changes,
                if self.changes == 1 {
                    "change"
                } else {
                    "changes"
                },
                self.added,
                self.changed,
                self.removed,
                if self.new_key {
                    ", a new hooks key among them"
                } else {
                    ""
                },
                last.unwrap_or_default()
            ),
            StatusState::UpToDate => {
                format!("{at}: up to date ({}).", last.unwrap_or_default())
            }
        }
    }
}

/// What a publish did.
#[derive(Debug)]
pub struct Published {
    pub outcome: PublishOutcome,
    /// How many files the marketplace has.
    pub files: usize,
    /// Set when the key was rotated.
    pub rotation: Option<Rotation>,
}

/// What a rotation did besides publishing.
#[derive(Debug)]
pub struct Rotation {
    /// The new key as Gram shows it (`gram_<env>_` + 5 hex).
    pub new_prefix: String,
    /// The previous publish's key, revoked once the new commit had landed (a zero grace).
    pub revoked: Option<ApiKey>,
    /// The previous publish's key, scheduled to be revoked (a grace period).
    pub retiring: Option<super::keys::PendingRetirement>,
    /// A sentence when the previous key could not be revoked (it is still live).
    pub left_live: Option<String>,
}

impl Publish {
    /// Completes and parses the org (from the account when a key is minted or the plugins come
    /// from Gram) and the marketplace's plugins.
    pub async fn prepare(
        ctx: &Context,
        config: &OrgConfig,
        target: PublishTarget,
        plugins: &Plugins,
        key: PublishKey,
    ) -> Result<Self, Error> {
        let account = if key.is_own() {
            Account::Required
        } else {
            plugins.account()
        };
        let resolved = ctx
            .org(config, account)
            .await
            .map_err(|e| plugins.explain(e))?;
        let mut market =
            plugins::marketplace(ctx, &resolved.org, resolved.account.as_ref(), plugins).await?;
        market.repository = Some(target.repo.clone());
        Ok(Self {
            resolved,
            market,
            target,
            key,
        })
    }

    pub fn org(&self) -> &Org {
        &self.resolved.org
    }

    fn render(&self, key: &HooksKey) -> Result<Bundle, crate::Error> {
        marketplace(&self.resolved.org, key, &self.market)
    }

    fn binding(&self) -> Binding {
        Binding::of(&self.resolved.org, &self.target)
    }

    /// The key the plan shows: the given one, the saved marketplace key, or the placeholder
    /// where a new key will be minted (`true`).
    fn plan_key(&self, ctx: &Context) -> Result<(HooksKey, bool), Error> {
        Ok(match &self.key {
            PublishKey::Given(key) => (key.clone(), false),
            PublishKey::Placeholder => (HooksKey::placeholder(), false),
            PublishKey::Rotate { .. } => (HooksKey::placeholder(), true),
            PublishKey::Marketplace => match saved_key(ctx.store(), &self.binding())? {
                Some(key) => (key, false),
                None => (HooksKey::placeholder(), true),
            },
        })
    }

    /// What publishing would change; writes nothing.
    pub async fn plan(&self, ctx: &Context, progress: &Sink) -> Result<PublishPreview, Error> {
        let (key, new_key) = self.plan_key(ctx)?;
        let publisher = publisher(ctx, progress)?;
        let plan = publisher.plan(&self.target, &self.render(&key)?).await?;
        Ok(PublishPreview { plan, new_key })
    }

    /// The repository's state at a glance, from reads only: not published yet, N changes to
    /// publish, or up to date — with the branch's last commit (who, when).
    pub async fn status(&self, ctx: &Context, progress: &Sink) -> Result<MarketplaceStatus, Error> {
        let preview = self.plan(ctx, progress).await?;
        let plan = &preview.plan;
        let last = match &plan.head {
            Some(head) => Some(
                publisher(ctx, progress)?
                    .read_commit(&self.target.repo, head)
                    .await?,
            ),
            None => None,
        };
        // Published once the branch holds the marketplace's manifest (a README alone is not).
        let manifest = Platform::Claude
            .package()
            .map_or(".claude-plugin/marketplace.json", |p| p.marketplace_path);
        let published = last.is_some() && !plan.added.iter().any(|f| f.path == manifest);
        let changes = plan.added.len() + plan.changed.len() + plan.removed.len();
        let state = match (published, changes) {
            (false, _) => StatusState::NotPublished,
            (true, 0) => StatusState::UpToDate,
            (true, _) => StatusState::Changes,
        };
        Ok(MarketplaceStatus {
            repo: plan.repo.clone(),
            branch: plan.branch.clone(),
            state,
            repository_exists: plan.repository_exists,
            changes,
            added: plan.added.len(),
            changed: plan.changed.len(),
            removed: plan.removed.len(),
            new_key: preview.new_key,
            last,
        })
    }

    /// Publishes the marketplace as one commit (nothing when nothing changed). A cancel through
    /// `progress` stops it while that is safe (before the branch moves).
    pub async fn run(&self, ctx: &Context, progress: &Sink) -> Result<Published, Error> {
        let publisher = publisher(ctx, progress)?.cancelled_by(progress.cancel());
        let account = self.resolved.account.as_ref();
        let (outcome, rotation) = match (&self.key, account) {
            (PublishKey::Given(key), _) => (self.publish_with(&publisher, key).await?, None),
            (PublishKey::Placeholder, _) => (
                self.publish_with(&publisher, &HooksKey::placeholder())
                    .await?,
                None,
            ),
            (PublishKey::Marketplace, Some(account)) => {
                match saved_key(ctx.store(), &self.binding())? {
                    Some(key) => (self.publish_with(&publisher, &key).await?, None),
                    None => {
                        publisher.report(PublishEvent::MintingKey);
                        let minted = ctx
                            .checked(account.mint_hooks_key(Platform::Claude).await)
                            .await?;
                        let outcome = self
                            .publish_with_new_key(ctx, account, &publisher, &minted, None)
                            .await?;
                        (outcome, None)
                    }
                }
            }
            (PublishKey::Rotate { grace }, Some(account)) => {
                let previous = saved_key(ctx.store(), &self.binding())?;
                publisher.report(PublishEvent::MintingKey);
                let minted = ctx
                    .checked(account.mint_hooks_key(Platform::Claude).await)
                    .await?;
                let outcome = self
                    .publish_with_new_key(ctx, account, &publisher, &minted, previous.as_ref())
                    .await?;
                let (revoked, retiring, left_live) = match &previous {
                    None => (None, None, None),
                    Some(old) if grace.is_zero() => {
                        let (revoked, left) =
                            revoke_previous(account, old, &minted.record.id).await;
                        (revoked, None, left)
                    }
                    Some(old) => {
                        let (retiring, left) =
                            schedule_previous(ctx, account, old, &minted.record, *grace).await;
                        (None, retiring, left)
                    }
                };
                let rotation = Rotation {
                    new_prefix: minted.key.prefix(),
                    revoked,
                    retiring,
                    left_live,
                };
                (outcome, Some(rotation))
            }
            (PublishKey::Marketplace | PublishKey::Rotate { .. }, None) => {
                unreachable!("a publish with the marketplace's key is prepared with an account")
            }
        };
        Ok(Published {
            outcome,
            files: self.render(&HooksKey::placeholder())?.len(),
            rotation,
        })
    }

    async fn publish_with(
        &self,
        publisher: &Publisher,
        key: &HooksKey,
    ) -> Result<PublishOutcome, Error> {
        Ok(publisher.publish(&self.target, &self.render(key)?).await?)
    }

    /// Saves `minted` as the marketplace key, renders and publishes with it. On failure the
    /// saved key goes back to `previous` (or none) and `minted` is revoked: a key that could
    /// not be kept is never published, and a key nobody publishes never stays live.
    async fn publish_with_new_key(
        &self,
        ctx: &Context,
        account: &SignedIn,
        publisher: &Publisher,
        minted: &MintedKey,
        previous: Option<&HooksKey>,
    ) -> Result<PublishOutcome, Error> {
        let binding = self.binding();
        let published = async {
            save_key(ctx.store(), &binding, &minted.key)?;
            self.publish_with(publisher, &minted.key).await
        }
        .await;
        if published.is_err() {
            let _ = match previous {
                Some(old) => save_key(ctx.store(), &binding, old),
                None => ctx.store().delete(SecretName::MarketplaceKey),
            };
            let _ = account
                .client()
                .revoke_key(account.session(), &minted.record.id)
                .await;
        }
        published
    }
}

fn publisher(ctx: &Context, progress: &Sink) -> Result<Publisher, Error> {
    let sink = progress.clone();
    Ok(ctx
        .publisher()?
        .on_event(move |event: &PublishEvent| sink.report(Event::Publish(event.clone()))))
}

/// What the marketplace key was minted for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Binding {
    server: String,
    org: String,
    project: String,
    repository: String,
}

impl Binding {
    fn of(org: &Org, target: &PublishTarget) -> Self {
        Self {
            server: org.server.to_string(),
            org: org.slug().to_owned(),
            project: org.project.to_string(),
            repository: target.repo.to_string().to_ascii_lowercase(),
        }
    }
}

/// The keychain secret's shape: the key and what it is for.
#[derive(Serialize, Deserialize)]
struct SavedKey {
    #[serde(flatten)]
    binding: Binding,
    key: String,
}

/// The saved marketplace key, if it was minted for `binding` (one for another server, org,
/// project or repository — or one saved before keys were bound — counts as none).
fn saved_key(
    store: &dyn SecretStore,
    binding: &Binding,
) -> Result<Option<HooksKey>, SecretStoreError> {
    Ok(store
        .get(SecretName::MarketplaceKey)?
        .and_then(|secret| serde_json::from_str::<SavedKey>(secret.expose()).ok())
        .filter(|saved| &saved.binding == binding)
        .and_then(|saved| HooksKey::parse(&saved.key).ok()))
}

fn save_key(
    store: &dyn SecretStore,
    binding: &Binding,
    key: &HooksKey,
) -> Result<(), SecretStoreError> {
    let saved = SavedKey {
        binding: binding.clone(),
        key: key.expose().to_owned(),
    };
    let json = serde_json::to_string(&saved).expect("the saved key serialises");
    store.set(SecretName::MarketplaceKey, &Sensitive::new(json))
}

/// The gram-admin key whose prefix is `old`'s (other than `new_id`), when exactly one matches;
/// else the sentence saying what to do (`None` when none matches: nothing to retire).
async fn find_previous(
    account: &SignedIn,
    old: &HooksKey,
    new_id: &str,
) -> Result<Option<ApiKey>, String> {
    let prefix = old.prefix();
    let keys = account.app_keys().await.map_err(|e| {
        format!(
            "The new key is published, but the previous key ({prefix}…) could not be looked up to retire it ({e}); revoke it from gram-admin's list of keys."
        )
    })?;
    let matching: Vec<&ApiKey> = keys
        .iter()
        .filter(|k| k.key_prefix == prefix && k.id != new_id)
        .collect();
    match matching.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        several => Err(format!(
            "Several of gram-admin's keys start with {prefix}: revoke the previous one yourself from gram-admin's list of keys (one of {}).",
            several.iter().map(|k| k.id.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Revokes the gram-admin key whose prefix is `old`'s — when exactly one matches.
async fn revoke_previous(
    account: &SignedIn,
    old: &HooksKey,
    new_id: &str,
) -> (Option<ApiKey>, Option<String>) {
    let prefix = old.prefix();
    match find_previous(account, old, new_id).await {
        Err(sentence) => (None, Some(sentence)),
        Ok(None) => (None, None),
        Ok(Some(one)) => match account.revoke_app_key(&one.id).await {
            Ok(key) => (Some(key), None),
            Err(e) => (
                None,
                Some(format!(
                    "The new key is published, but revoking the previous key {} ({prefix}…) failed ({e}); revoke key {} from gram-admin's list of keys.",
                    one.name, one.id
                )),
            ),
        },
    }
}

/// Schedules the revoke of the gram-admin key whose prefix is `old`'s, `grace` from now.
async fn schedule_previous(
    ctx: &Context,
    account: &SignedIn,
    old: &HooksKey,
    new: &ApiKey,
    grace: std::time::Duration,
) -> (Option<super::keys::PendingRetirement>, Option<String>) {
    match find_previous(account, old, &new.id).await {
        Err(sentence) => (None, Some(sentence)),
        Ok(None) => (None, None),
        Ok(Some(one)) => match super::keys::schedule(ctx, account, &one, new, grace) {
            Ok(pending) => (Some(pending), None),
            Err(e) => (
                None,
                Some(format!(
                    "The new key is published, but the previous key {} ({}…) could not be scheduled for revoking ({e}); revoke it yourself from gram-admin's list of keys once teammates have updated.",
                    one.name, one.key_prefix
                )),
            ),
        },
    }
}
