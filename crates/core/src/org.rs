//! The organisation a plugin is rendered for, as the admin typed it ([`OrgConfig`]) and as
//! parsed ([`Org`]).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::{Email, OrgName, PluginSlug, ProjectSlug, ServerUrl};
use crate::error::Result;
use crate::platform::Platform;
use crate::privacy::Content;

/// What the admin provides. Nothing here is trusted until [`OrgConfig::validate`] parses it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct OrgConfig {
    /// The organisation's display name, e.g. "Acme Corp" (its slug names the plugins).
    pub org_name: String,
    /// Contact shown as the marketplace owner and plugin author.
    #[ts(optional)]
    pub org_email: Option<String>,
    /// Gram's base URL, e.g. `https://app.getgram.ai`.
    pub server_url: String,
    /// The Gram project that receives the hook events (sent as the `Gram-Project` header).
    pub project_slug: String,
    /// Marketplace name; defaults to `<org slug>-gram`.
    #[ts(optional)]
    pub marketplace_name: Option<String>,
    /// What the hooks send of each event (the privacy level): `full` unless chosen otherwise.
    #[serde(default)]
    #[ts(optional, as = "Option<Content>")]
    pub content: Content,
}

/// A parsed organisation: every field is safe to render into JSON, Markdown and curl's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub name: OrgName,
    pub email: Option<Email>,
    pub server: ServerUrl,
    pub project: ProjectSlug,
    pub marketplace_name: PluginSlug,
    /// The company CA(s) the plugin's hook trusts for Gram, PEM, certificates only: the CA file
    /// gram-admin itself trusts ([`crate::net::Network::ca_pem`]); rendered as
    /// `hooks/gram-ca.pem` (OpenCode: `plugin/gram-ca.pem`). `None`: the system's store.
    pub ca: Option<String>,
    /// What the hooks send of each event (the privacy level; [`Content::Full`] unless the
    /// admin chose otherwise for this render, export or publish).
    pub content: Content,
}

impl OrgConfig {
    /// Parses every field and reports every problem at once, one sentence each.
    pub fn validate(&self) -> Result<Org> {
        let mut problems = Vec::new();

        let name = ok_or_note(OrgName::parse(&self.org_name), &mut problems);
        let email = match self.org_email.as_deref().map(str::trim) {
            Some(e) if !e.is_empty() => ok_or_note(Email::parse(e).map(Some), &mut problems),
            _ => Some(None),
        };
        let server = ok_or_note(ServerUrl::parse(&self.server_url), &mut problems);
        let project = ok_or_note(ProjectSlug::parse(&self.project_slug), &mut problems);
        let marketplace_name = match self.marketplace_name.as_deref().map(str::trim) {
            Some(m) if !m.is_empty() => ok_or_note(PluginSlug::marketplace(m), &mut problems),
            _ => name
                .as_ref()
                .map(|n: &OrgName| PluginSlug::derived(format!("{}-gram", n.slug()))),
        };

        match (name, email, server, project, marketplace_name) {
            (Some(name), Some(email), Some(server), Some(project), Some(marketplace_name))
                if problems.is_empty() =>
            {
                Ok(Org {
                    name,
                    email,
                    server,
                    project,
                    marketplace_name,
                    ca: None,
                    content: self.content,
                })
            }
            _ => Err(problems.into()),
        }
    }
}

/// The value, or `None` with its problem noted: parse every field, report every problem.
fn ok_or_note<T>(
    result: Result<T, crate::Problem>,
    problems: &mut Vec<crate::Problem>,
) -> Option<T> {
    result.map_err(|p| problems.push(p)).ok()
}

impl Org {
    /// The same org with the hooks sending `content`.
    pub fn with_content(mut self, content: Content) -> Org {
        self.content = content;
        self
    }

    /// Gram's slug of the org name, e.g. `acme-corp`: it names the plugins.
    pub fn slug(&self) -> &str {
        self.name.slug()
    }

    /// Where the hook script posts events for `platform`: its provider endpoint
    /// (`rpc/hooks.claude`), or `rpc/hooks.ingest` for an agent whose hook builds envelopes
    /// (its package's [`crate::platform::Delivery`]) and for module agents.
    pub fn hooks_endpoint(&self, platform: Platform) -> String {
        let path = platform.package().map_or_else(
            || crate::render::opencode::INGEST_PATH.to_owned(),
            |package| package.hooks_path(platform.id()),
        );
        self.server.join(&path)
    }

    /// The org as Cursor's `author` and every marketplace's `owner`: `{name, email?}`.
    pub(crate) fn contact(&self) -> Value {
        let mut contact = json!({ "name": self.name.as_str() });
        if let Some(email) = &self.email {
            contact["email"] = json!(email.as_str());
        }
        contact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OrgConfig {
        OrgConfig {
            org_name: "Acme Corp".into(),
            org_email: Some("admin@acme.test".into()),
            server_url: "https://app.getgram.ai/".into(),
            project_slug: "default".into(),
            marketplace_name: None,
            content: Default::default(),
        }
    }

    #[test]
    fn valid_config_is_normalised() {
        let org = config().validate().expect("valid");
        assert_eq!(org.slug(), "acme-corp");
        assert_eq!(org.server.as_str(), "https://app.getgram.ai");
        assert_eq!(org.marketplace_name.as_str(), "acme-corp-gram");
        assert_eq!(
            org.hooks_endpoint(Platform::Claude),
            "https://app.getgram.ai/rpc/hooks.claude"
        );
        // Copilot's hook posts envelopes: Gram has no /rpc/hooks.copilot.
        assert_eq!(
            org.hooks_endpoint(Platform::Copilot),
            "https://app.getgram.ai/rpc/hooks.ingest"
        );
    }

    #[test]
    fn empty_slug_is_a_clear_error_never_dash_observability() {
        let err = OrgConfig {
            org_name: "!!!".into(),
            ..config()
        }
        .validate()
        .unwrap_err();
        assert!(
            err.to_string().contains("no ASCII letters or digits"),
            "{err}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = OrgConfig {
            org_name: String::new(),
            org_email: Some("nope".into()),
            server_url: "ftp://x".into(),
            project_slug: "a\nb".into(),
            marketplace_name: Some("Bad Name".into()),
            content: Default::default(),
        }
        .validate()
        .unwrap_err();
        let crate::Error::Invalid { problems } = err else {
            panic!("not Invalid")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.to_string()).collect();
        assert_eq!(fields, ["org", "email", "server", "project", "marketplace"]);
    }

    #[test]
    fn a_project_gram_cannot_have_is_refused_before_it_reaches_a_plugin() {
        let err = OrgConfig {
            project_slug: "x\"; touch /tmp/pwned; \"".into(),
            ..config()
        }
        .validate()
        .unwrap_err();
        assert!(
            err.to_string().contains("is not a Gram project slug"),
            "{err}"
        );
    }
}
