//! The org's feature plugins: read from Gram, or given by the admin as a plugins file.

use super::{Context, Error};
use crate::domain::ProjectSlug;
use crate::gram::SignedIn;
use crate::org::Org;
use crate::render::{FeaturePlugin, Marketplace, MarketplaceSpec};

/// Where a marketplace's feature plugins come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plugins {
    /// The project's plugins in Gram (the action needs the sign-in).
    FromGram,
    /// The project's plugins in Gram when signed in; none otherwise (the observability plugins
    /// alone, as the app previews a marketplace before sign-in).
    FromGramIfSignedIn,
    /// A list the admin gave (a plugins file; `{"plugins": []}` for the observability plugins
    /// alone).
    Given(MarketplaceSpec),
}

/// A project's feature plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPlugins {
    /// The project's slug.
    pub project: String,
    pub plugins: Vec<FeaturePlugin>,
}

/// The project's feature plugins as Gram lists them (`project`: else the saved one, else the
/// organization's only one).
pub async fn list(ctx: &Context, project: Option<&ProjectSlug>) -> Result<ProjectPlugins, Error> {
    let account = ctx.checked(ctx.account().await).await?;
    let saved = ctx.settings().project;
    let project = account
        .project(project.map(ProjectSlug::as_str).or(saved.as_deref()))?
        .clone();
    let plugins = ctx.checked(account.feature_plugins(&project).await).await?;
    Ok(ProjectPlugins {
        project: project.slug,
        plugins,
    })
}

impl Plugins {
    /// `err`, said as what it means for these plugins: signed out with the plugins to come from
    /// Gram, [`Error::PluginsNeedSignIn`] (both ways forward).
    pub(crate) fn explain(&self, err: Error) -> Error {
        match (self, err) {
            (Plugins::FromGram, Error::Gram(crate::gram::GramError::NoSession)) => {
                Error::PluginsNeedSignIn
            }
            (_, err) => err,
        }
    }

    /// How the action uses the account for these plugins.
    pub(crate) fn account(&self) -> super::Account {
        match self {
            Plugins::FromGram => super::Account::Required,
            Plugins::FromGramIfSignedIn => super::Account::IfSignedIn,
            Plugins::Given(_) => super::Account::ToComplete,
        }
    }
}

/// The marketplace's feature plugins for `org`, parsed (every problem at once).
pub(crate) async fn marketplace(
    ctx: &Context,
    org: &Org,
    account: Option<&SignedIn>,
    plugins: &Plugins,
) -> Result<Marketplace, Error> {
    let spec = match (plugins, account) {
        (Plugins::Given(spec), _) => spec.clone(),
        (Plugins::FromGram | Plugins::FromGramIfSignedIn, Some(account)) => {
            let project = account.project(Some(org.project.as_str()))?.clone();
            MarketplaceSpec {
                plugins: ctx.checked(account.feature_plugins(&project).await).await?,
                repository: None,
            }
        }
        (Plugins::FromGramIfSignedIn, None) => MarketplaceSpec::default(),
        (Plugins::FromGram, None) => return Err(Error::PluginsNeedSignIn),
    };
    Ok(spec.parse(org)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gram::GramError;

    #[test]
    fn signed_out_with_plugins_from_gram_says_both_ways_on_without_naming_flags() {
        let err = Plugins::FromGram.explain(GramError::NoSession.into());
        assert!(err.needs_sign_in());
        let sentence = err.to_string();
        assert!(
            sentence.contains("sign in to Gram, or give a plugins file"),
            "{sentence}"
        );
        assert!(
            sentence.contains(r#"`{"plugins": []}` for the observability plugins alone"#),
            "{sentence}"
        );
        assert!(!sentence.contains("--"), "no shell's flags: {sentence}");
        // A plugins file given: the sign-in was missing for something else; said as it was.
        let spec = MarketplaceSpec::default();
        assert!(matches!(
            Plugins::Given(spec).explain(GramError::NoSession.into()),
            Error::Gram(GramError::NoSession)
        ));
    }
}
