//! A verified sign-in: the client, the session and what `auth.info` said about it.

use super::client::GramClient;
use super::error::GramError;
use super::types::{ApiKey, AuthInfo, Organization, Project};
use crate::sensitive::Sensitive;

/// Every key gram-admin mints is named `gram-admin-hooks-<platform>-<UTC time>`.
pub const HOOKS_KEY_NAME_PREFIX: &str = "gram-admin-hooks-";

/// A session Gram accepted, with the account it belongs to.
#[derive(Debug, Clone)]
pub struct SignedIn {
    client: GramClient,
    session: Sensitive<String>,
    info: AuthInfo,
}

impl SignedIn {
    /// Checks the session with `auth.info`. Nothing is stored.
    pub async fn verify(client: GramClient, session: Sensitive<String>) -> Result<Self, GramError> {
        if session.expose().trim().is_empty() {
            return Err(GramError::NoSession);
        }
        let info = client.info(&session).await?;
        let signed_in = Self {
            client,
            session,
            info,
        };
        signed_in.organization()?;
        Ok(signed_in)
    }

    pub fn client(&self) -> &GramClient {
        &self.client
    }

    pub fn server(&self) -> &crate::ServerUrl {
        self.client.server()
    }

    pub fn session(&self) -> &Sensitive<String> {
        &self.session
    }

    pub fn info(&self) -> &AuthInfo {
        &self.info
    }

    /// The organization gram-admin works in: the session's active one.
    pub fn organization(&self) -> Result<&Organization, GramError> {
        let orgs = &self.info.organizations;
        orgs.iter()
            .find(|o| o.id == self.info.active_organization_id)
            .or(match orgs.as_slice() {
                [only] => Some(only),
                _ => None,
            })
            .ok_or_else(|| {
                GramError::Account(format!(
                    "{} belongs to no Gram organization gram-admin can use; create or join one in Gram's dashboard first.",
                    self.info.user_email
                ))
            })
    }

    /// The project hook events go to: the one `chosen` (a slug), else the organization's only
    /// project. Several and none chosen is an error that lists them.
    pub fn project(&self, chosen: Option<&str>) -> Result<&Project, GramError> {
        let org = self.organization()?;
        let slugs = || {
            org.projects
                .iter()
                .map(|p| p.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (chosen, org.projects.as_slice()) {
            (Some(slug), projects) => projects.iter().find(|p| p.slug == slug).ok_or_else(|| {
                GramError::Account(format!(
                    "The organization {:?} has no project {slug:?}; its projects are: {}.",
                    org.name,
                    slugs()
                ))
            }),
            (None, [only]) => Ok(only),
            (None, []) => Err(GramError::Account(format!(
                "The organization {:?} has no projects yet; create one in Gram's dashboard first.",
                org.name
            ))),
            (None, _) => Err(GramError::Account(format!(
                "The organization {:?} has several projects ({}); choose the one hook events go to.",
                org.name,
                slugs()
            ))),
        }
    }

    /// The keys gram-admin minted in this organization (named `gram-admin-hooks-…`), newest first.
    pub async fn app_keys(&self) -> Result<Vec<ApiKey>, GramError> {
        let mut keys: Vec<ApiKey> = self
            .client
            .list_keys(&self.session)
            .await
            .map_err(|e| self.in_org(e))?
            .into_iter()
            .filter(|k| k.name.starts_with(HOOKS_KEY_NAME_PREFIX))
            .collect();
        keys.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(keys)
    }

    /// Revokes a key gram-admin minted. Other keys are refused: they belong to other tools.
    pub async fn revoke_app_key(&self, id: &str) -> Result<ApiKey, GramError> {
        let keys = self.app_keys().await?;
        let key = keys.into_iter().find(|k| k.id == id).ok_or_else(|| {
            GramError::Account(format!(
                "No key with id {id:?} minted by gram-admin exists in the organization (gram-admin lists the keys it minted); other keys are revoked in Gram's dashboard."
            ))
        })?;
        self.revoke_key(&key.id).await?;
        Ok(key)
    }

    pub(crate) async fn revoke_key(&self, id: &str) -> Result<(), GramError> {
        self.client
            .revoke_key(&self.session, id)
            .await
            .map_err(|e| self.in_org(e))
    }

    /// Names the organization in a 403 from an org-wide operation.
    pub(crate) fn in_org(&self, e: GramError) -> GramError {
        match self.organization() {
            Ok(org) => e.within_org(&org.name),
            Err(_) => e,
        }
    }
}
