//! The organisation a plugin is rendered for, as the admin typed it ([`OrgConfig`]) and as
//! validated ([`Org`]).

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Problem, Result};
use crate::names::{is_valid_plugin_name, slug};

/// Longest org slug we accept: it must still fit `<slug>-observability-cursor` in a plugin name.
pub const MAX_ORG_SLUG_LEN: usize = 40;
const MAX_TEXT_LEN: usize = 200;
const MAX_PROJECT_LEN: usize = 128;

/// What the admin provides. Nothing here is trusted until [`OrgConfig::validate`] says so.
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
}

/// A validated organisation: every field is safe to render into JSON, Markdown and the hook script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub name: String,
    pub slug: String,
    pub email: Option<String>,
    /// Base URL without a trailing slash; the hook endpoint is `<server>/rpc/hooks.<platform>`.
    pub server: String,
    pub project: String,
    pub marketplace_name: String,
}

impl OrgConfig {
    /// Checks every field and reports every problem at once, one sentence each.
    pub fn validate(&self) -> Result<Org> {
        let mut problems = Vec::new();

        let name = self.org_name.trim();
        let org_slug = slug(name);
        if name.is_empty() {
            problems.push(Problem::new(
                "org",
                "The organisation name is empty: enter your Gram organisation's name.",
            ));
        } else if has_control(name) || name.chars().count() > MAX_TEXT_LEN {
            problems.push(Problem::new(
                "org",
                format!("The organisation name must be at most {MAX_TEXT_LEN} characters with no control characters (line breaks, tabs)."),
            ));
        } else if org_slug.is_empty() {
            problems.push(Problem::new(
                "org",
                format!("The organisation name {name:?} has no ASCII letters or digits, so no plugin name can be made from it: use a name with at least one."),
            ));
        } else if org_slug.len() > MAX_ORG_SLUG_LEN {
            problems.push(Problem::new(
                "org",
                format!("The organisation name makes a slug of {} characters; use a shorter name (at most {MAX_ORG_SLUG_LEN} in its slug).", org_slug.len()),
            ));
        }

        let email = self
            .org_email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        if let Some(email) = email {
            if !looks_like_email(email) {
                problems.push(Problem::new(
                    "email",
                    format!("{email:?} is not an email address (expected name@example.com)."),
                ));
            }
        }

        let server = match validate_server_url(&self.server_url) {
            Ok(server) => server,
            Err(problem) => {
                problems.push(problem);
                String::new()
            }
        };

        let project = self.project_slug.as_str();
        if project.trim().is_empty() {
            problems.push(Problem::new("project", "The project slug is empty: enter the slug of the Gram project that should receive the hook events."));
        } else if project.len() > MAX_PROJECT_LEN
            || project.trim() != project
            || !project.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            problems.push(Problem::new(
                "project",
                format!("The project slug must be at most {MAX_PROJECT_LEN} printable ASCII characters with no leading or trailing spaces (it is sent as an HTTP header)."),
            ));
        }

        let marketplace_name = match self
            .marketplace_name
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
        {
            Some(m) => {
                if !is_valid_plugin_name(m) || m.len() > crate::names::MAX_NAME_LEN {
                    problems.push(Problem::new(
                        "marketplace",
                        format!("The marketplace name {m:?} is not accepted by Claude Code and Cursor: use lowercase letters, digits and '-', starting and ending with a letter or digit."),
                    ));
                }
                m.to_owned()
            }
            None => format!("{org_slug}-gram"),
        };

        if !problems.is_empty() {
            return Err(problems.into());
        }
        Ok(Org {
            name: name.to_owned(),
            slug: org_slug,
            email: email.map(str::to_owned),
            server,
            project: project.to_owned(),
            marketplace_name,
        })
    }
}

impl Org {
    /// Where the hook script posts events for `platform` (`claude`, `cursor`, `codex`).
    pub fn hooks_endpoint(&self, platform: &str) -> String {
        format!("{}/rpc/hooks.{platform}", self.server)
    }
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    '<' | '>' | '"' | '\'' | '`' | '\\' | '(' | ')' | ',' | ';' | ':' | '[' | ']'
                )
        })
        && !domain.contains('@')
}

/// Gram's base URL: http(s), a host, no credentials, query or fragment. Returned without a
/// trailing slash so endpoints can be appended.
pub fn validate_server_url(raw: &str) -> Result<String, Problem> {
    let raw = raw.trim();
    let bad = |why: &str| Problem::new("server", format!("The server URL {raw:?} {why}"));
    if raw.is_empty() {
        return Err(Problem::new(
            "server",
            "The server URL is empty: enter your Gram server, e.g. https://app.getgram.ai.",
        ));
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad("contains spaces or control characters."));
    }
    let url = Url::parse(raw).map_err(|e| {
        bad(&format!(
            "is not a valid URL ({e}); it should look like https://app.getgram.ai."
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(
            "must start with https:// (or http:// for a local server).",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host name."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "must not contain a user name or password: the plugin authenticates with its API key.",
        ));
    }
    if url.query().is_some() {
        return Err(bad("must not contain a query string (?…)."));
    }
    if url.fragment().is_some() {
        return Err(bad("must not contain a fragment (#…)."));
    }
    // The URL ends up inside a single-quoted shell string and JSON: keep it to the characters
    // a normalised URL is made of. `Url` percent-encodes everything else already.
    let normalised = url.as_str().trim_end_matches('/').to_owned();
    if normalised.contains(['\'', '"', '`', '\\', '$', '{', '}', '[', ']']) {
        return Err(bad("contains characters that do not belong in a server URL (quotes, $, braces or brackets)."));
    }
    Ok(normalised)
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
        }
    }

    #[test]
    fn valid_config_is_normalised() {
        let org = config().validate().expect("valid");
        assert_eq!(org.slug, "acme-corp");
        assert_eq!(org.server, "https://app.getgram.ai");
        assert_eq!(org.marketplace_name, "acme-corp-gram");
        assert_eq!(
            org.hooks_endpoint("claude"),
            "https://app.getgram.ai/rpc/hooks.claude"
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
        }
        .validate()
        .unwrap_err();
        let crate::Error::Invalid { problems } = err else {
            panic!("not Invalid")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["org", "email", "server", "project", "marketplace"]);
    }

    #[test]
    fn server_urls_with_secrets_query_or_other_schemes_are_refused() {
        for (bad, why) in [
            ("https://user:pw@gram.test", "user name or password"),
            ("https://gram.test/?a=b", "query string"),
            ("https://gram.test/#x", "fragment"),
            ("file:///etc/passwd", "https://"),
            ("javascript:alert(1)", "https://"),
            ("gram.test", "not a valid URL"),
            ("https://gram.test/a b", "spaces"),
            ("", "empty"),
        ] {
            let err = validate_server_url(bad).expect_err(bad);
            assert!(err.message.contains(why), "{bad}: {err}");
        }
        assert_eq!(
            validate_server_url("http://127.0.0.1:8080/gram/").unwrap(),
            "http://127.0.0.1:8080/gram"
        );
    }

    #[test]
    fn hostile_project_slugs_are_kept_literally_when_printable() {
        let hostile = "x\"; touch /tmp/pwned; \"";
        let org = OrgConfig {
            project_slug: hostile.into(),
            ..config()
        }
        .validate()
        .expect("printable");
        assert_eq!(org.project, hostile);
    }
}
