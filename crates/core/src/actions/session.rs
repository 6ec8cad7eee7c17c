//! Signing in to Gram and out again, choosing the project hook events go to, and who is signed
//! in.

use serde::Serialize;

use super::{Context, Error};
use crate::domain::{ProjectSlug, ServerUrl};
use crate::gram::session::{self as stored, SignedOut};
use crate::gram::{GramClient, GramError, Project, SignedIn};
use crate::secrets::SecretName;
use crate::sensitive::Sensitive;

/// The signed-in Gram account as a person is shown it (never the session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GramAccount {
    pub server: String,
    pub email: String,
    pub organization: String,
    pub organization_slug: String,
    pub projects: Vec<Project>,
    /// The project hook events go to: the one chosen, else the organization's only one.
    /// `None` when the organization has several and none was chosen yet.
    pub project: Option<String>,
}

impl GramAccount {
    pub fn of(account: &SignedIn, chosen: Option<&str>) -> Result<Self, GramError> {
        let org = account.organization()?;
        let project = account
            .project(chosen)
            .or_else(|_| account.project(None))
            .ok()
            .map(|p| p.slug.clone());
        Ok(Self {
            server: account.server().to_string(),
            email: account.info().user_email.clone(),
            organization: org.name.clone(),
            organization_slug: org.slug.clone(),
            projects: org.projects.clone(),
            project,
        })
    }
}

/// Whether Gram accepts the saved session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum GramStatus {
    /// No session saved, or Gram no longer accepts it; `server` is where the last one was from.
    SignedOut {
        server: Option<String>,
    },
    SignedIn {
        account: GramAccount,
    },
}

/// Who is signed in, checked with Gram.
pub async fn status(ctx: &Context) -> Result<GramStatus, Error> {
    match ctx.checked(ctx.account().await).await {
        Ok(account) => Ok(GramStatus::SignedIn {
            account: view(ctx, &account)?,
        }),
        Err(e) if e.needs_sign_in() => {
            let server = stored::saved_session(ctx.store())
                .ok()
                .flatten()
                .map(|s| s.server.to_string())
                .or_else(|| ctx.overrides().server.clone());
            Ok(GramStatus::SignedOut { server })
        }
        Err(e) => Err(e.into()),
    }
}

/// The account as shown, with the project commands use.
pub fn view(ctx: &Context, account: &SignedIn) -> Result<GramAccount, Error> {
    Ok(GramAccount::of(account, ctx.settings().project.as_deref())?)
}

/// Checks `session` with Gram on `server`, then keeps it — the keychain first, so if it is not
/// there nothing is written anywhere — and, when given, saves `project` (one of the
/// organization's) as the one hook events go to.
pub async fn sign_in(
    ctx: &Context,
    server: &ServerUrl,
    session: Sensitive<String>,
    project: Option<&ProjectSlug>,
) -> Result<SignedIn, Error> {
    let account = SignedIn::verify(GramClient::new(server, &ctx.network())?, session).await?;
    let project = match project {
        Some(slug) => Some(account.project(Some(slug.as_str()))?.slug.clone()),
        None => None,
    };
    stored::save_session(ctx.store(), account.server(), account.session())?;
    if project.is_some() {
        let mut settings = ctx.settings();
        settings.project = project;
        ctx.save_settings(&settings)?;
    }
    ctx.keep(Some(account.clone())).await;
    Ok(account)
}

/// Ends the saved session at Gram and forgets it ([`stored::sign_out`]), and forgets the
/// marketplace's hooks key (it belongs to that sign-in's organization). Signing out when signed
/// out is not an error.
pub async fn sign_out(ctx: &Context) -> Result<SignedOut, Error> {
    ctx.keep(None).await;
    let signed_out = stored::sign_out(ctx.store(), &ctx.network()).await?;
    ctx.store().delete(SecretName::MarketplaceKey)?;
    Ok(signed_out)
}

/// Saves `slug` (one of the organization's projects) as the one hook events go to.
pub async fn choose_project(ctx: &Context, slug: &ProjectSlug) -> Result<GramAccount, Error> {
    let account = ctx.checked(ctx.account().await).await?;
    let project = account.project(Some(slug.as_str()))?.slug.clone();
    let mut settings = ctx.settings();
    settings.project = Some(project);
    ctx.save_settings(&settings)?;
    view(ctx, &account)
}

/// The privacy level the admin chose for `project`'s plugins last time (`full` when never).
pub fn content_for(ctx: &Context, project: &ProjectSlug) -> crate::privacy::Content {
    ctx.settings()
        .content
        .get(project.as_str())
        .copied()
        .unwrap_or_default()
}

/// Remembers `content` as `project`'s privacy level (in the plain settings: it is no secret).
pub fn remember_content(
    ctx: &Context,
    project: &ProjectSlug,
    content: crate::privacy::Content,
) -> Result<(), Error> {
    let mut settings = ctx.settings();
    settings
        .content
        .insert(project.as_str().to_owned(), content);
    ctx.save_settings(&settings)?;
    Ok(())
}
