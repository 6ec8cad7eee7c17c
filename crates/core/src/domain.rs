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

/// A server's base URL — Gram's, GitHub's API, an MCP server's origin: https, or http only to
/// this machine (`localhost`, `127.0.0.0/8`, `[::1]`) — a key, a session or a prompt never
/// travels unencrypted beyond it; a host; no credentials, query or fragment; no trailing slash,
/// so endpoints are `format!("{server}/rpc/…")`. One rule for every server gram-admin talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    url: Url,
    text: String,
}

impl ServerUrl {
    /// Gram's base URL (problems are about [`Field::Server`]).
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        Self::parse_as(raw, Field::Server, "The server URL")
    }

    /// Another server's base URL; `what` starts the sentence (`GitHub's API URL`).
    pub fn parse_as(raw: &str, field: Field, what: &str) -> Result<Self, Problem> {
        let raw = raw.trim();
        let bad = |why: &str| Problem::new(field, format!("{what} {raw:?} {why}"));
        if raw.is_empty() {
            return Err(Problem::new(
                field,
                format!("{what} is empty: enter your Gram server, e.g. https://app.getgram.ai."),
            ));
        }
        let url = parse_http_url(raw).map_err(|why| match why {
            UrlProblem::NotAUrl(e) => bad(&format!(
                "is not a valid URL ({e}); it should look like https://app.getgram.ai."
            )),
            UrlProblem::Scheme | UrlProblem::PlainHttp => bad(
                "must start with https:// (http:// only for a server on this machine: localhost, 127.0.0.1 or [::1]).",
            ),
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

    /// The parsed URL (for clients that join paths themselves).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Whether `url` is on this server (same scheme, host and port).
    pub fn same_origin(&self, url: &McpUrl) -> bool {
        self.url.origin() == url.0.origin()
    }

    /// Whether `url` (any URL) has this server's origin.
    pub fn is_origin_of(&self, url: &Url) -> bool {
        self.url.origin() == url.origin()
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An MCP server's URL: the [`ServerUrl`] rule (https, or http only to this machine), a host,
/// no credentials or fragment — and no `$`, `{` or `}`: Claude Code expands `${VAR}` and Cursor
/// `${env:VAR}` in URLs, so such a URL would send a teammate's environment to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpUrl(Url);

impl McpUrl {
    /// `context` names the server for the message, e.g. `server "Ledger" in plugin plugins[0]`;
    /// problems are about `field`.
    pub fn parse(raw: &str, field: Field, context: &str) -> Result<Self, Problem> {
        if raw.contains(['$', '{', '}']) {
            return Err(Problem::new(
                field,
                format!("The MCP URL of {context} contains $, {{ or }}: Claude Code and Cursor expand ${{VAR}} in URLs, so it could send a teammate's environment variables to that server. Remove them from the URL."),
            ));
        }
        parse_http_url(raw).map(Self).map_err(|why| {
            let why = match why {
                UrlProblem::Scheme | UrlProblem::PlainHttp => "must start with https:// (http:// only for a server on this machine: localhost, 127.0.0.1 or [::1]).".to_owned(),
                other => other.to_string(),
            };
            Problem::new(field, format!("The MCP URL of {context} {why}"))
        })
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }
}

/// Why a string is not a usable server URL: one rule for every server.
#[derive(Debug)]
enum UrlProblem {
    Spaces,
    NotAUrl(url::ParseError),
    Scheme,
    /// `http://` to a host that is not this machine.
    PlainHttp,
    NoHost,
    Credentials,
    Fragment,
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlProblem::Spaces => "contains spaces or control characters.",
            UrlProblem::NotAUrl(e) => return write!(f, "is not a valid URL ({e})."),
            UrlProblem::Scheme => "must be an https URL with a host.",
            UrlProblem::PlainHttp => {
                "must use https:// (http:// only for a server on this machine)."
            }
            UrlProblem::NoHost => "has no host name.",
            UrlProblem::Credentials => "must not contain a user name or password.",
            UrlProblem::Fragment => "must not contain a fragment (#…).",
        })
    }
}

/// Whether `url` points at this machine: `localhost`, `127.0.0.0/8` or `[::1]`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
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
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(UrlProblem::PlainHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    if url.fragment().is_some() {
        return Err(UrlProblem::Fragment);
    }
    Ok(url)
}

/// The Gram project that receives the events, sent as the `Gram-Project` header: a Gram slug
/// (lowercase ASCII letters, digits and single `-` between them). A slug Gram cannot have is
/// refused with its slug form suggested, instead of being baked into a plugin that Gram refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSlug(String);

impl ProjectSlug {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let problem = |message: String| Err(Problem::new(Field::Project, message));
        if raw.trim().is_empty() {
            return problem("The project slug is empty: enter the slug of the Gram project that should receive the hook events.".into());
        }
        let ok = raw.len() <= MAX_PROJECT_LEN && is_valid_plugin_name(raw);
        if ok {
            return Ok(Self(raw.to_owned()));
        }
        let suggestion = slug(raw);
        if raw.len() > MAX_PROJECT_LEN {
            problem(format!("The project slug is longer than {MAX_PROJECT_LEN} characters: use the slug Gram shows for the project."))
        } else if suggestion.is_empty() || suggestion.len() > MAX_PROJECT_LEN {
            problem(format!("{raw:?} is not a Gram project slug: a slug has lowercase letters, digits and '-' only, as Gram shows it for the project."))
        } else {
            problem(format!("{raw:?} is not a Gram project slug (lowercase letters, digits and '-'): did you mean {suggestion:?}?"))
        }
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
    /// A feature plugin's slug (short enough for its `-cursor` directory); `label` names the
    /// plugin for the message, problems are about `field`.
    pub fn parse(raw: &str, field: Field, label: &str) -> Result<Self, Problem> {
        Self::parse_max(raw, MAX_PLUGIN_SLUG_LEN).ok_or_else(|| {
            Problem::new(
                field,
                format!("The slug {raw:?} of plugin {label} is not a valid plugin name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most {MAX_PLUGIN_SLUG_LEN} characters."),
            )
        })
    }

    fn parse_max(raw: &str, max: usize) -> Option<Self> {
        (is_valid_plugin_name(raw) && raw.len() <= max).then(|| Self(raw.to_owned()))
    }

    /// A marketplace name.
    pub fn marketplace(raw: &str) -> Result<Self, Problem> {
        Self::parse_max(raw, MAX_NAME_LEN).ok_or_else(|| {
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
    owner: String,
    name: String,
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

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for MarketplaceRepo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// A branch name git and GitHub accept (letters, digits, `-`, `_`, `.`, `/`; no `..`, no
/// leading `-`, `.` or `/`, no trailing `/`, `.` or `.lock`), checked before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchName(String);

impl BranchName {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let b = raw;
        let ok = !b.is_empty()
            && b.len() <= 200
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-_./".contains(&c))
            && !b.starts_with(['/', '-', '.'])
            && !b.ends_with(['/', '.'])
            && !b.ends_with(".lock")
            && !b.contains("..")
            && !b.contains("//")
            && !b.contains("/.");
        if ok {
            Ok(Self(b.to_owned()))
        } else {
            Err(Problem::new(
                Field::Branch,
                format!("{b:?} is not a branch name gram-admin publishes to: use letters, digits, '-', '_', '.' and '/' (e.g. main or marketplace/v1)."),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BranchName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An environment variable name on the teammate's machine (`STRIPE_API_KEY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVarName(String);

impl EnvVarName {
    /// `context` names where the variable is used (`server "Ledger" of plugin plugins[0]`).
    pub fn parse(raw: &str, field: Field, context: &str) -> Result<Self, Problem> {
        let mut bytes = raw.bytes();
        let ok = matches!(bytes.next(), Some(b'A'..=b'Z' | b'_'))
            && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && raw.len() <= MAX_HEADER_LEN;
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Problem::new(field, format!("{raw:?} in {context} is not an environment variable name (use A-Z, 0-9 and _, not starting with a digit).")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An HTTP header name (RFC 9110 token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderName(String);

impl HeaderName {
    /// `context` names where the header is sent (`server "Ledger" of plugin plugins[0]`).
    pub fn parse(raw: &str, field: Field, context: &str) -> Result<Self, Problem> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_HEADER_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Problem::new(field, format!("{raw:?} in {context} is not a usable HTTP header name (use letters, digits and - only).")))
        }
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
    fn plain_http_is_only_for_this_machine() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:8080/",
            "http://LOCALHOST",
            "https://gram.acme.test/base/",
        ] {
            assert!(ServerUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://gram.acme.test",
            "http://10.0.0.5:8080",
            "http://192.168.1.2",
            "http://localhost.evil.test",
            "http://127.0.0.1.nip.io",
        ] {
            let err = ServerUrl::parse(bad).expect_err(bad);
            assert!(
                err.message
                    .contains("http:// only for a server on this machine"),
                "{bad}: {err}"
            );
            let mcp = McpUrl::parse(bad, Field::Server, "server \"Ledger\"").expect_err(bad);
            assert!(mcp.message.contains("https://"), "{bad}: {mcp}");
        }
        let api = ServerUrl::parse_as(
            "http://api.github.test",
            Field::Repository,
            "GitHub's API URL",
        )
        .unwrap_err();
        assert!(
            api.message.starts_with(
                "GitHub's API URL \"http://api.github.test\" must start with https://"
            ),
            "{api}"
        );
    }

    #[test]
    fn mcp_urls_never_hold_what_an_agent_would_expand() {
        for bad in [
            "https://x.test/?k=${AWS_SECRET_ACCESS_KEY}",
            "https://x.test/${env:HOME}",
            "https://x.test/$HOME",
            "https://x.test/{a}",
        ] {
            let err = McpUrl::parse(
                bad,
                Field::Server,
                "server \"Ledger\" in plugin plugins[0] (\"Payments\")",
            )
            .expect_err(bad);
            assert!(
                err.message.starts_with("The MCP URL of server \"Ledger\" in plugin plugins[0] (\"Payments\") contains $, { or }"),
                "{bad}: {err}"
            );
        }
        assert!(
            McpUrl::parse("https://app.getgram.ai/mcp/acme-ledger", Field::Server, "x").is_ok()
        );
    }

    #[test]
    fn project_slugs_are_gram_slugs_and_a_bad_one_gets_its_slug_suggested() {
        for ok in ["default", "acme-2", "a"] {
            assert_eq!(ProjectSlug::parse(ok).unwrap().as_str(), ok);
        }
        let err = ProjectSlug::parse("Bad Slug").unwrap_err();
        assert_eq!(err.field, Field::Project);
        assert_eq!(
            err.message,
            "\"Bad Slug\" is not a Gram project slug (lowercase letters, digits and '-'): did you mean \"bad-slug\"?"
        );
        let hostile = ProjectSlug::parse("x\"; touch /tmp/pwned; \"").unwrap_err();
        assert!(
            hostile
                .message
                .contains("did you mean \"x-touch-tmppwned\"?"),
            "{hostile}"
        );
        let none = ProjectSlug::parse("!!!").unwrap_err();
        assert!(
            none.message
                .contains("lowercase letters, digits and '-' only"),
            "{none}"
        );
        assert!(ProjectSlug::parse(" default").is_err());
        assert!(ProjectSlug::parse("-x").is_err());
        assert!(ProjectSlug::parse(&"a".repeat(MAX_PROJECT_LEN + 1)).is_err());
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        let repo = MarketplaceRepo::parse("acme/agent-plugins").unwrap();
        assert_eq!((repo.owner(), repo.name()), ("acme", "agent-plugins"));
        assert_eq!(repo.to_string(), "acme/agent-plugins");
        for bad in ["acme", "acme/", "/x", "a/../b", "a/..", "a b/c", "a/b/c"] {
            assert!(MarketplaceRepo::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plugin_slugs_fit_their_longest_directory() {
        let slug = |s: &str| PluginSlug::parse(s, Field::Marketplace, "plugins[0]");
        assert!(slug("payments").is_ok());
        assert!(slug(&"a".repeat(MAX_PLUGIN_SLUG_LEN)).is_ok());
        assert!(slug(&"a".repeat(MAX_PLUGIN_SLUG_LEN + 1)).is_err());
        let err = slug("pay.ments").unwrap_err();
        assert!(
            err.message.starts_with(
                "The slug \"pay.ments\" of plugin plugins[0] is not a valid plugin name"
            ),
            "{err}"
        );
    }

    #[test]
    fn env_and_header_names() {
        let at = Field::Server;
        assert!(EnvVarName::parse("STRIPE_API_KEY", at, "x").is_ok());
        assert!(EnvVarName::parse("1X", at, "x").is_err());
        let err = EnvVarName::parse("lower", at, "server \"S\" of plugin p").unwrap_err();
        assert_eq!(err.message, "\"lower\" in server \"S\" of plugin p is not an environment variable name (use A-Z, 0-9 and _, not starting with a digit).");
        assert!(HeaderName::parse("X-Stripe-Key", at, "x").is_ok());
        assert!(HeaderName::parse("Authorization", at, "x")
            .unwrap()
            .is_authorization());
        assert!(HeaderName::parse("Bad Header", at, "x").is_err());
    }
}
