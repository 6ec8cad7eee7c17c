//! The org's feature plugins: each bundles one or more MCP servers (SPEC §6).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use crate::bundle::{Bundle, FileMode};
use crate::domain::{
    is_display_text, EnvVarName, HeaderName, McpUrl, PluginSlug, MAX_DESCRIPTION_LEN, MAX_TEXT_LEN,
};
use crate::error::Problem;
use crate::field::{Field, PluginField, ServerField};
use crate::names;
use crate::org::Org;
use crate::platform::{Contents, Manifest, Package};

use super::{content_version, json_file, Platform};

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

/// A feature plugin parsed from [`FeaturePlugin`]: what render takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub name: String,
    pub slug: PluginSlug,
    pub description: String,
    pub servers: Vec<Server>,
}

/// An MCP server parsed from [`FeatureServer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub display_name: String,
    /// The key of its entry in the MCP file: the slug of its display name.
    pub key: String,
    pub url: McpUrl,
    /// Private servers are on the org's Gram and get the teammate's own Gram key.
    pub private: bool,
    pub env: Vec<(HeaderName, EnvVarName)>,
}

impl FeaturePlugin {
    /// Parses this plugin (the `index`-th of the list); every problem at once.
    pub(crate) fn parse(&self, org: &Org, index: usize) -> Result<Feature, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut p = |field: PluginField, message: String| {
            problems.push(Problem::new(Field::plugin(index, field), message))
        };
        let at = format!("plugins[{index}]");
        let label = if self.name.trim().is_empty() {
            at.clone()
        } else {
            format!("{at} ({:?})", self.name)
        };

        if self.name.trim().is_empty() {
            p(PluginField::Name, format!("Plugin {at} has no name."));
        } else if !is_display_text(&self.name) {
            p(PluginField::Name, format!("The name of plugin {at} must be at most {MAX_TEXT_LEN} characters with no line breaks or control characters."));
        }
        let slug = PluginSlug::parse(&self.slug, Field::plugin(index, PluginField::Slug), &label)
            .map_err(|problem| problems.push(problem))
            .ok();
        let mut p = |field: PluginField, message: String| {
            problems.push(Problem::new(Field::plugin(index, field), message))
        };
        if self.description.chars().count() > MAX_DESCRIPTION_LEN {
            p(PluginField::Description, format!("The description of plugin {label} is longer than {MAX_DESCRIPTION_LEN} characters."));
        }
        if self.servers.is_empty() {
            p(
                PluginField::Servers,
                format!("Plugin {label} has no MCP servers: add at least one."),
            );
        }
        let mut servers = Vec::new();
        for (i, server) in self.servers.iter().enumerate() {
            let mut sp = |field: ServerField, message: String| {
                p(PluginField::Server { index: i, field }, message)
            };
            let name = &server.display_name;
            let key = names::slug(name);
            if key.is_empty() {
                sp(ServerField::DisplayName, format!("Server {i} of plugin {label} needs a display name with at least one ASCII letter or digit."));
            } else if servers.iter().any(|s: &Server| s.key == key) {
                sp(
                    ServerField::DisplayName,
                    format!(
                        "Plugin {label} has two servers named {name:?}: give each a distinct name."
                    ),
                );
            }
            if !is_display_text(name) {
                sp(ServerField::DisplayName, format!("Server {i} of plugin {label} has a display name with control characters or over {MAX_TEXT_LEN} characters."));
            }
            let context = format!("server {name:?} in plugin {label}");
            let url_field = Field::server(index, i, ServerField::McpUrl);
            let url = match McpUrl::parse(&server.mcp_url, url_field, &context) {
                Err(problem) => {
                    sp(ServerField::McpUrl, problem.message);
                    None
                }
                Ok(url) if !server.public && !org.server.same_origin(&url) => {
                    sp(
                        ServerField::McpUrl,
                        format!(
                            "Server {name:?} in plugin {label} is private but not hosted on {}: gram-admin never sends a Gram key to another host. Make it public, or host it on Gram.",
                            org.server
                        ),
                    );
                    None
                }
                Ok(url) => Some(url),
            };
            let mut env = Vec::new();
            for (j, e) in server.env.iter().enumerate() {
                let used_in = format!("server {name:?} of plugin {label}");
                let var = EnvVarName::parse(
                    &e.name,
                    Field::server(index, i, ServerField::EnvName { index: j }),
                    &used_in,
                )
                .map_err(|problem| sp(ServerField::EnvName { index: j }, problem.message))
                .ok();
                let header = match HeaderName::parse(
                    &e.header,
                    Field::server(index, i, ServerField::EnvHeader { index: j }),
                    &used_in,
                ) {
                    Err(problem) => {
                        sp(ServerField::EnvHeader { index: j }, problem.message);
                        None
                    }
                    Ok(h) if h.is_authorization() && !server.public => {
                        sp(ServerField::EnvHeader { index: j }, format!("Server {name:?} of plugin {label} is private, so gram-admin already sends the teammate's Gram key in its {:?} header: send {:?} in another header, or make the server public.", e.header, e.name));
                        None
                    }
                    Ok(h) => Some(h),
                };
                env.extend(header.zip(var));
            }
            if let Some(url) = url {
                servers.push(Server {
                    display_name: name.clone(),
                    key,
                    url,
                    private: !server.public,
                    env,
                });
            }
        }
        match slug {
            Some(slug) if problems.is_empty() => Ok(Feature {
                name: self.name.clone(),
                slug,
                description: self.description.trim().to_owned(),
                servers,
            }),
            _ => Err(problems),
        }
    }
}

impl Feature {
    /// Directory (and plugin name) of this plugin for `platform`.
    pub fn dir_name(&self, platform: Platform) -> String {
        platform.plugin_dir(self.slug.as_str())
    }

    /// Renders this plugin as `platform`'s package.
    pub(crate) fn render(
        &self,
        org: &Org,
        platform: Platform,
        package: &Package,
    ) -> Result<Bundle, Problem> {
        let mut bundle = Bundle::new();
        let mut servers = Map::new();
        for server in &self.servers {
            let env: Vec<(&str, &str)> = server
                .env
                .iter()
                .map(|(h, v)| (h.as_str(), v.as_str()))
                .collect();
            servers.insert(
                server.key.clone(),
                platform.mcp_entry(server.url.as_str(), server.private, &env),
            );
        }
        bundle.insert(
            package.mcp_path,
            json_file(&json!({ "mcpServers": servers })),
            FileMode::Regular,
        )?;
        let version = content_version(&bundle);
        let name = self.dir_name(platform);
        let manifest = package.manifest(
            org,
            &Manifest {
                name: &name,
                display_name: &self.name,
                description: &self.description,
                version: &version,
                homepage: false,
                hosts: self.hosts(),
                contents: Contents::McpServers,
                short_description: &self.description,
            },
        );
        bundle.insert(
            package.manifest_path,
            json_file(&manifest),
            FileMode::Regular,
        )?;
        Ok(bundle)
    }

    /// Hosts of this plugin's MCP servers, each once, in order.
    fn hosts(&self) -> Vec<&str> {
        let mut hosts: Vec<&str> = Vec::new();
        for server in &self.servers {
            if !hosts.contains(&server.url.host()) {
                hosts.push(server.url.host());
            }
        }
        hosts
    }

    /// Whether any server gets the teammate's Gram key.
    pub fn has_private_server(&self) -> bool {
        self.servers.iter().any(|s| s.private)
    }
}
