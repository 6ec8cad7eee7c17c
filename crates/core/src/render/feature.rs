//! The org's feature plugins: each bundles one or more MCP servers (SPEC §6).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use url::Url;

use crate::bundle::{Bundle, FileMode};
use crate::error::Problem;
use crate::names::{is_valid_plugin_name, slug, MAX_NAME_LEN};
use crate::org::Org;

use super::{content_version, json_file, Platform};

/// The environment variable a teammate sets to their own Gram API key for private Gram servers.
/// The hooks key baked into the observability plugin is never used for MCP.
pub const GRAM_KEY_ENV: &str = "GRAM_KEY";

/// One feature plugin, as listed in PLUGINS.json or fetched from Gram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FeaturePlugin {
    /// Display name, e.g. "Payments".
    pub name: String,
    /// Plugin identifier, e.g. `payments` (kebab-case; names the plugin directories).
    pub slug: String,
    #[serde(default)]
    pub description: String,
    pub servers: Vec<FeatureServer>,
}

/// One MCP server of a feature plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct FeatureServer {
    pub display_name: String,
    /// `<gram server>/mcp/<mcp_slug>` for Gram-hosted toolsets.
    pub mcp_url: String,
    /// Public servers need no credentials. Private ones get `Authorization: Bearer ${GRAM_KEY}`
    /// — only when hosted on the org's Gram server.
    #[serde(default)]
    pub public: bool,
    /// Headers filled from the teammate's environment, e.g. an upstream API's own key.
    #[serde(default)]
    pub env: Vec<ServerEnv>,
}

/// A header whose value comes from an environment variable on the teammate's machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ServerEnv {
    /// Environment variable name, e.g. `STRIPE_API_KEY`.
    pub name: String,
    /// HTTP header to send it in, e.g. `X-Stripe-Key`.
    pub header: String,
}

const MAX_DESCRIPTION_LEN: usize = 1000;

impl FeaturePlugin {
    /// Directory (and plugin name) of this plugin for `platform`.
    pub fn dir_name(&self, platform: Platform) -> String {
        match platform {
            Platform::Claude => self.slug.clone(),
            Platform::Cursor => format!("{}-cursor", self.slug),
            Platform::Codex => format!("{}-codex", self.slug),
        }
    }

    /// Every problem with this plugin, `at` naming it for the user (e.g. `plugins[2]`).
    pub(crate) fn problems(&self, org: &Org, at: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut p = |field: &str, message: String| {
            problems.push(Problem::new(format!("{at}.{field}"), message))
        };
        let label = if self.name.trim().is_empty() {
            at.to_owned()
        } else {
            format!("{at} ({:?})", self.name)
        };

        if self.name.trim().is_empty() {
            p("name", format!("Plugin {at} has no name."));
        } else if self.name.chars().any(char::is_control) || self.name.chars().count() > 200 {
            p("name", format!("The name of plugin {at} must be at most 200 characters with no line breaks or control characters."));
        }
        if !is_valid_plugin_name(&self.slug) || self.slug.len() + "-cursor".len() > MAX_NAME_LEN {
            p(
                "slug",
                format!(
                    "The slug {:?} of plugin {label} is not a valid plugin name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most {} characters.",
                    self.slug,
                    MAX_NAME_LEN - "-cursor".len()
                ),
            );
        }
        if self.description.chars().count() > MAX_DESCRIPTION_LEN {
            p("description", format!("The description of plugin {label} is longer than {MAX_DESCRIPTION_LEN} characters."));
        }
        if self.servers.is_empty() {
            p(
                "servers",
                format!("Plugin {label} has no MCP servers: add at least one."),
            );
        }
        let mut keys = Vec::new();
        for (i, server) in self.servers.iter().enumerate() {
            let at = format!("servers[{i}]");
            let key = slug(&server.display_name);
            if key.is_empty() {
                p(&format!("{at}.display_name"), format!("Server {i} of plugin {label} needs a display name with at least one ASCII letter or digit."));
            } else if keys.contains(&key) {
                p(
                    &format!("{at}.display_name"),
                    format!(
                        "Plugin {label} has two servers named {:?}: give each a distinct name.",
                        server.display_name
                    ),
                );
            }
            if server.display_name.chars().any(char::is_control)
                || server.display_name.chars().count() > 200
            {
                p(&format!("{at}.display_name"), format!("Server {i} of plugin {label} has a display name with control characters or over 200 characters."));
            }
            keys.push(key);
            match check_mcp_url(&server.mcp_url) {
                Err(why) => p(
                    &format!("{at}.mcp_url"),
                    format!(
                        "The MCP URL of server {:?} in plugin {label} {why}",
                        server.display_name
                    ),
                ),
                Ok(url) => {
                    if !server.public && !same_origin(&url, &org.server) {
                        p(
                            &format!("{at}.mcp_url"),
                            format!(
                                "Server {:?} in plugin {label} is private but not hosted on {}: gram-admin never sends a Gram key to another host. Make it public, or host it on Gram.",
                                server.display_name, org.server
                            ),
                        );
                    }
                }
            }
            for (j, env) in server.env.iter().enumerate() {
                if !is_env_name(&env.name) {
                    p(&format!("{at}.env[{j}].name"), format!("{:?} in server {:?} of plugin {label} is not an environment variable name (use A-Z, 0-9 and _, not starting with a digit).", env.name, server.display_name));
                }
                if !is_header_name(&env.header)
                    || env.header.eq_ignore_ascii_case("authorization") && !server.public
                {
                    p(&format!("{at}.env[{j}].header"), format!("{:?} in server {:?} of plugin {label} is not a usable HTTP header name.", env.header, server.display_name));
                }
            }
        }
        problems
    }

    /// Renders this plugin for `platform`.
    pub(crate) fn render(&self, org: &Org, platform: Platform) -> Result<Bundle, Problem> {
        let mut bundle = Bundle::new();
        let mcp_path = match platform {
            Platform::Claude | Platform::Codex => ".mcp.json",
            Platform::Cursor => "mcp.json",
        };
        bundle.insert(
            mcp_path,
            json_file(&self.mcp_config(platform)),
            FileMode::Regular,
        )?;
        let version = content_version(&bundle);
        let name = self.dir_name(platform);
        let description = self.description.trim();
        let manifest = match platform {
            Platform::Claude => json!({
                "name": name,
                "displayName": self.name,
                "description": description,
                "version": version,
                "author": { "name": org.name, "url": org.server },
                // Declares which hosts the MCP servers are on.
                "network": { "hosts": self.hosts() },
            }),
            Platform::Cursor => {
                json!({
                    "name": name,
                    "displayName": self.name,
                    "description": description,
                    "version": version,
                    "author": super::org_contact(org),
                    "mcpServers": format!("./{mcp_path}"),
                })
            }
            Platform::Codex => json!({
                "name": name,
                "version": version,
                "description": description,
                "author": { "name": org.name, "url": org.server },
                "mcpServers": format!("./{mcp_path}"),
                "interface": { "displayName": self.name, "shortDescription": description },
            }),
        };
        bundle.insert(
            platform.manifest_path(),
            json_file(&manifest),
            FileMode::Regular,
        )?;
        Ok(bundle)
    }

    /// Hosts of this plugin's MCP servers, each once, in order.
    fn hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for server in &self.servers {
            let host = super::host_of(&server.mcp_url);
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        hosts
    }

    fn mcp_config(&self, platform: Platform) -> Value {
        let mut servers = Map::new();
        for server in &self.servers {
            servers.insert(slug(&server.display_name), server.mcp_entry(platform));
        }
        json!({ "mcpServers": servers })
    }
}

impl FeatureServer {
    /// The server's entry in the platform's MCP config. Secrets are never written: only the
    /// names of environment variables each agent expands at run time.
    fn mcp_entry(&self, platform: Platform) -> Value {
        let mut headers: Vec<(String, String)> = Vec::new();
        if !self.public {
            headers.push(("Authorization".into(), GRAM_KEY_ENV.into()));
        }
        headers.extend(self.env.iter().map(|e| (e.header.clone(), e.name.clone())));
        match platform {
            Platform::Claude => {
                let mut entry = json!({ "type": "http", "url": self.mcp_url });
                if !headers.is_empty() {
                    entry["headers"] = headers
                        .iter()
                        .map(|(h, env)| (h.clone(), json!(claude_value(h, env))))
                        .collect::<Map<_, _>>()
                        .into();
                }
                entry
            }
            Platform::Cursor => {
                let mut entry = json!({ "url": self.mcp_url });
                if !headers.is_empty() {
                    entry["headers"] = headers
                        .iter()
                        .map(|(h, env)| (h.clone(), json!(cursor_value(h, env))))
                        .collect::<Map<_, _>>()
                        .into();
                }
                entry
            }
            Platform::Codex => {
                let mut entry = json!({ "url": self.mcp_url });
                if !self.public {
                    entry["bearer_token_env_var"] = json!(GRAM_KEY_ENV);
                }
                if !self.env.is_empty() {
                    entry["env_http_headers"] = self
                        .env
                        .iter()
                        .map(|e| (e.header.clone(), json!(e.name)))
                        .collect::<Map<_, _>>()
                        .into();
                }
                entry
            }
        }
    }
}

fn claude_value(header: &str, env: &str) -> String {
    if header == "Authorization" && env == GRAM_KEY_ENV {
        format!("Bearer ${{{env}}}")
    } else {
        format!("${{{env}}}")
    }
}

fn cursor_value(header: &str, env: &str) -> String {
    if header == "Authorization" && env == GRAM_KEY_ENV {
        format!("Bearer ${{env:{env}}}")
    } else {
        format!("${{env:{env}}}")
    }
}

fn check_mcp_url(raw: &str) -> Result<Url, String> {
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("contains spaces or control characters.".into());
    }
    let url = Url::parse(raw).map_err(|e| format!("is not a valid URL ({e})."))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an http(s) URL with a host.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password.".into());
    }
    if url.fragment().is_some() {
        return Err("must not contain a fragment (#…).".into());
    }
    Ok(url)
}

fn same_origin(url: &Url, server: &str) -> bool {
    Url::parse(server).is_ok_and(|s| s.origin() == url.origin())
}

fn is_env_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z' | b'_'))
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && s.len() <= 128
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
