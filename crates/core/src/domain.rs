//! Parse, don't validate: each input the admin types becomes a small type whose constructor is
//! the only place its rule lives. Once parsed, nothing downstream re-checks or re-parses it.
//!
//! Every constructor returns `Result<Self, Problem>` with one sentence a person can act on; the
//! problem names the top-level field it belongs to, and callers that parse a nested input (a
//! feature plugin's server) re-aim it with [`Problem::at`](crate::Problem::at).

use std::fmt;

use url::Url;

use crate::error::Problem;
use crate::field::Field;
use crate::names::{is_valid_plugin_name, slug};

/// Longest org slug: it must still fit `<slug>-observability-cursor` in a plugin name.
pub const MAX_ORG_SLUG_LEN: usize = 40;
/// Longest display text (org name, plugin and server names).
pub const MAX_TEXT_LEN: usize = 200;
/// Longest project slug (it is sent as an HTTP header).
pub const MAX_PROJECT_LEN: usize = 128;
/// Longest feature plugin description.
pub const MAX_DESCRIPTION_LEN: usize = 1000;
/// Longest plugin or marketplace name we produce.
pub const MAX_NAME_LEN: usize = crate::names::MAX_NAME_LEN;
/// Longest feature plugin slug: its Cursor directory `<slug>-cursor` must still be a name.
pub const MAX_PLUGIN_SLUG_LEN: usize = MAX_NAME_LEN - "-cursor".len();
/// Longest environment variable or header name.
pub const MAX_HEADER_LEN: usize = 128;
/// Longest email address.
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest part of a GitHub `owner/name`.
pub const MAX_REPO_PART_LEN: usize = 100;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// The organisation's display name, and the slug that names its plugins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName {
    name: String,
    slug: String,
}

impl OrgName {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let name = raw.trim();
        let org_slug = slug(name);
        let problem = |message: String| Err(Problem::new(Field::Org, message));
        if name.is_empty() {
            return problem(
                "The organisation name is empty: enter your Gram organisation's name.".into(),
            );
        }
        if has_control(name) || name.chars().count() > MAX_TEXT_LEN {
            return problem(format!("The organisation name must be at most {MAX_TEXT_LEN} characters with no control characters (line breaks, tabs)."));
        }
        if org_slug.is_empty() {
            return problem(format!("The organisation name {name:?} has no ASCII letters or digits, so no plugin name can be made from it: use a name with at least one."));
        }
        if org_slug.len() > MAX_ORG_SLUG_LEN {
            return problem(format!("The organisation name makes a slug of {} characters; use a shorter name (at most {MAX_ORG_SLUG_LEN} in its slug).", org_slug.len()));
        }
        Ok(Self {
            name: name.to_owned(),
            slug: org_slug,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// Gram's slug of the name, e.g. `acme-corp`: never empty, at most [`MAX_ORG_SLUG_LEN`].
    pub fn slug(&self) -> &str {
        &self.slug
    }
}

/// A contact address shown as plugin author and marketplace owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let s = raw.trim();
        let ok = s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }) && s.len() <= MAX_EMAIL_LEN
            && !s.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(
                        c,
                        '<' | '>'
                            | '"'
                            | '\''
                            | '`'
                            | '\\'
                            | '('
                            | ')'
                            | ','
                            | ';'
                            | ':'
                            | '['
                            | ']'
                    )
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(Problem::new(
                Field::Email,
                format!("{s:?} is not an email address (expected name@example.com)."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Gram's base URL: https, or http (for a local server); a host; no credentials, query or
/// fragment; no trailing slash, so endpoints are `format!("{server}/rpc/…")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    url: Url,
    text: String,
}

impl ServerUrl {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let raw = raw.trim();
        let bad = |why: &str| Problem::new(Field::Server, format!("The server URL {raw:?} {why}"));
        if raw.is_empty() {
            return Err(Problem::new(
                Field::Server,
                "The server URL is empty: enter your Gram server, e.g. https://app.getgram.ai.",
            ));
        }
        let url = parse_http_url(raw).map_err(|why| match why {
            UrlProblem::NotAUrl(e) => bad(&format!(
                "is not a valid URL ({e}); it should look like https://app.getgram.ai."
            )),
            UrlProblem::Scheme => bad("must start with https:// (or http:// for a local server)."),
            UrlProblem::Credentials => bad(
                "must not contain a user name or password: the plugin authenticates with its API key.",
            ),
            other => bad(&other.to_string()),
        })?;
        if url.query().is_some() {
            return Err(bad("must not contain a query string (?…)."));
        }
        // The URL ends up in JSON, Markdown and curl's config: keep it to the characters a
        // normalised URL is made of. `Url` percent-encodes everything else already.
        let text = url.as_str().trim_end_matches('/').to_owned();
        if text.contains(['\'', '"', '`', '\\', '$', '{', '}', '[', ']']) {
            return Err(bad("contains characters that do not belong in a server URL (quotes, $, braces or brackets)."));
        }
        Ok(Self { url, text })
    }

    /// Without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host name (what Claude Code's `network.hosts` lists).
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or_default()
    }

    /// `<server>/<path>` for a path without a leading slash, e.g. `rpc/auth.info`.
    pub fn join(&self, path: &str) -> String {
        format!("{}/{path}", self.text)
    }

    /// Whether `url` is on this server (same scheme, host and port).
    pub fn same_origin(&self, url: &McpUrl) -> bool {
        self.url.origin() == url.0.origin()
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An MCP server's URL: http(s), a host, no credentials or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpUrl(Url);

impl McpUrl {
    /// `context` names the server for the message, e.g. `server "Ledger" in plugin plugins[0]`.
    pub fn parse(raw: &str, context: &str) -> Result<Self, String> {
        parse_http_url(raw)
            .map(Self)
            .map_err(|why| format!("The MCP URL of {context} {why}"))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }
}

/// Why a string is not a usable http(s) URL: one rule for Gram's URL and MCP servers' URLs.
#[derive(Debug)]
enum UrlProblem {
    Spaces,
    NotAUrl(url::ParseError),
    Scheme,
    NoHost,
    Credentials,
    Fragment,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlProblem::Spaces => "contains spaces or control characters.",
            UrlProblem::NotAUrl(e) => return write!(f, "is not a valid URL ({e})."),
            UrlProblem::Scheme => "must be an http(s) URL with a host.",
            UrlProblem::NoHost => "has no host name.",
            UrlProblem::Credentials => "must not contain a user name or password.",
            UrlProblem::Fragment => "must not contain a fragment (#…).",
        })
    }
}

fn parse_http_url(raw: &str) -> Result<Url, UrlProblem> {
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(UrlProblem::Spaces);
    }
    let url = Url::parse(raw).map_err(UrlProblem::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlProblem::Scheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    if url.fragment().is_some() {
        return Err(UrlProblem::Fragment);
    }
    Ok(url)
}

/// The Gram project that receives the events; sent as the `Gram-Project` header, so printable
/// ASCII with no surrounding spaces. Kept literally: a hostile slug is data, never code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSlug(String);

impl ProjectSlug {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        if raw.trim().is_empty() {
            return Err(Problem::new(Field::Project, "The project slug is empty: enter the slug of the Gram project that should receive the hook events."));
        }
        if raw.len() > MAX_PROJECT_LEN
            || raw.trim() != raw
            || !raw.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(Problem::new(
                Field::Project,
                format!("The project slug must be at most {MAX_PROJECT_LEN} printable ASCII characters with no leading or trailing spaces (it is sent as an HTTP header)."),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plugin or marketplace name every agent accepts (kebab-case, no dots), at most `max` long.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PluginSlug(String);

impl PluginSlug {
    /// A feature plugin's slug (short enough for its `-cursor` directory).
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::parse_max(raw, MAX_PLUGIN_SLUG_LEN)
    }

    fn parse_max(raw: &str, max: usize) -> Result<Self, String> {
        if is_valid_plugin_name(raw) && raw.len() <= max {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("use lowercase letters, digits and '-', starting and ending with a letter or digit, at most {max} characters"))
        }
    }

    /// A marketplace name.
    pub fn marketplace(raw: &str) -> Result<Self, Problem> {
        Self::parse_max(raw, MAX_NAME_LEN).map_err(|_| {
            Problem::new(
                Field::Marketplace,
                format!("The marketplace name {raw:?} is not accepted by Claude Code and Cursor: use lowercase letters, digits and '-', starting and ending with a letter or digit."),
            )
        })
    }

    /// `<org slug>-gram`, the default marketplace name (an org slug is always a valid start).
    pub(crate) fn derived(name: String) -> Self {
        debug_assert!(is_valid_plugin_name(&name), "{name}");
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PluginSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A GitHub repository, `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceRepo {
    pub owner: String,
    pub name: String,
}

impl MarketplaceRepo {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let part = |p: &str| {
            !p.is_empty()
                && p.len() <= MAX_REPO_PART_LEN
                && p != "."
                && p != ".."
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        match raw.split_once('/') {
            Some((owner, name)) if part(owner) && part(name) => Ok(Self {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(Problem::new(
                Field::Repository,
                format!("{raw:?} is not a GitHub repository name: expected owner/repo."),
            )),
        }
    }
}

impl fmt::Display for MarketplaceRepo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// An environment variable name on the teammate's machine (`STRIPE_API_KEY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVarName(String);

impl EnvVarName {
    pub fn parse(raw: &str) -> Option<Self> {
        let mut bytes = raw.bytes();
        let ok = matches!(bytes.next(), Some(b'A'..=b'Z' | b'_'))
            && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && raw.len() <= MAX_HEADER_LEN;
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An HTTP header name (RFC 9110 token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderName(String);

impl HeaderName {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_HEADER_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_authorization(&self) -> bool {
        self.0.eq_ignore_ascii_case("authorization")
    }
}

/// Display text: at most [`MAX_TEXT_LEN`] characters, no control characters.
pub(crate) fn is_display_text(s: &str) -> bool {
    !has_control(s) && s.chars().count() <= MAX_TEXT_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let err = ServerUrl::parse(bad).expect_err(bad);
            assert!(err.message.contains(why), "{bad}: {err}");
            assert_eq!(err.field, Field::Server);
        }
        let url = ServerUrl::parse("http://127.0.0.1:8080/gram/").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/gram");
        assert_eq!(
            url.join("rpc/auth.info"),
            "http://127.0.0.1:8080/gram/rpc/auth.info"
        );
        assert_eq!(url.host(), "127.0.0.1");
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        let repo = MarketplaceRepo::parse("acme/agent-plugins").unwrap();
        assert_eq!(
            (repo.owner.as_str(), repo.name.as_str()),
            ("acme", "agent-plugins")
        );
        assert_eq!(repo.to_string(), "acme/agent-plugins");
        for bad in ["acme", "acme/", "/x", "a/../b", "a/..", "a b/c", "a/b/c"] {
            assert!(MarketplaceRepo::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plugin_slugs_fit_their_longest_directory() {
        assert!(PluginSlug::parse("payments").is_ok());
        assert!(PluginSlug::parse(&"a".repeat(MAX_PLUGIN_SLUG_LEN)).is_ok());
        assert!(PluginSlug::parse(&"a".repeat(MAX_PLUGIN_SLUG_LEN + 1)).is_err());
        assert!(PluginSlug::parse("pay.ments").is_err());
    }

    #[test]
    fn env_and_header_names() {
        assert!(EnvVarName::parse("STRIPE_API_KEY").is_some());
        assert!(EnvVarName::parse("1X").is_none());
        assert!(EnvVarName::parse("lower").is_none());
        assert!(HeaderName::parse("X-Stripe-Key").is_some());
        assert!(HeaderName::parse("Authorization")
            .unwrap()
            .is_authorization());
        assert!(HeaderName::parse("Bad Header").is_none());
    }
}
