//! The org's feature plugins, read from Gram, as the marketplace renders them.

use std::collections::HashMap;

use super::account::SignedIn;
use super::error::GramError;
use super::types::{Project, Toolset};
use crate::render::{FeaturePlugin, FeatureServer, ServerEnv};

impl SignedIn {
    /// The project's plugins: `plugins.listPlugins`, `plugins.getPlugin` for each, and
    /// `toolsets.list` for the servers' MCP slugs. Each server's URL is `<server>/mcp/<mcp_slug>`;
    /// a public server carries the variables its toolset needs as headers the teammate fills
    /// from their environment. (Whether a Gram key may go to a URL is checked when rendering.)
    pub async fn feature_plugins(
        &self,
        project: &Project,
    ) -> Result<Vec<FeaturePlugin>, GramError> {
        let client = self.client();
        let listed = client.list_plugins(self.session(), &project.slug).await?;
        if listed.is_empty() {
            return Ok(Vec::new());
        }
        let toolsets: HashMap<String, Toolset> = client
            .list_toolsets(self.session(), &project.slug)
            .await?
            .into_iter()
            .map(|t| (t.id.clone(), t))
            .collect();
        let mut plugins = Vec::with_capacity(listed.len());
        for summary in listed {
            let mut plugin = client
                .get_plugin(self.session(), &project.slug, &summary.id)
                .await?;
            plugin.servers.sort_by_key(|s| s.sort_order);
            let mut servers = Vec::with_capacity(plugin.servers.len());
            for server in &plugin.servers {
                let toolset = toolsets.get(&server.toolset_id).ok_or_else(|| {
                    GramError::Account(format!(
                        "The plugin {:?} uses a toolset ({}) that project {:?} does not list; check the plugin in Gram's dashboard.",
                        plugin.name, server.display_name, project.slug
                    ))
                })?;
                let mcp_slug = toolset
                    .mcp_slug
                    .as_deref()
                    .filter(|s| !s.is_empty() && toolset.mcp_enabled != Some(false))
                    .ok_or_else(|| {
                        GramError::Account(format!(
                            "The toolset {:?} of plugin {:?} is not served over MCP; enable MCP for it in Gram's dashboard.",
                            toolset.name, plugin.name
                        ))
                    })?;
                if !is_gram_slug(mcp_slug) {
                    return Err(GramError::Account(format!(
                        "The toolset {:?} of plugin {:?} has an MCP slug gram-admin will not put in a URL ({mcp_slug:?}: a Gram slug has lowercase letters, digits, '-' and '_' only); check the toolset in Gram's dashboard.",
                        toolset.name, plugin.name
                    )));
                }
                let public = toolset.mcp_is_public == Some(true);
                servers.push(FeatureServer {
                    display_name: server.display_name.clone(),
                    mcp_url: client.mcp_url(mcp_slug),
                    public,
                    env: if public {
                        server_env(toolset)
                    } else {
                        Vec::new()
                    },
                });
            }
            let description = match servers.as_slice() {
                [] => String::new(),
                s => format!(
                    "MCP servers: {}.",
                    s.iter()
                        .map(|s| s.display_name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            plugins.push(FeaturePlugin {
                name: plugin.name,
                slug: plugin.slug,
                description,
                servers,
            });
        }
        Ok(plugins)
    }
}

/// Gram's slug alphabet (`[a-z0-9_-]`, at most 128): an MCP slug from Gram's answer goes into
/// every teammate's MCP URL, so nothing else — no `$`, `{`, `/`, `?` or `..` — ever does.
fn is_gram_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 128
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The headers a public toolset needs, each from an environment variable on the teammate's
/// machine: an external MCP server's declared headers as they are, and the variables of the
/// toolset's own credentials as Gram's `MCP-<NAME>` headers.
fn server_env(toolset: &Toolset) -> Vec<ServerEnv> {
    let mut env: Vec<ServerEnv> = Vec::new();
    let mut push = |name: &str, header: String| {
        if !env.iter().any(|e| e.header.eq_ignore_ascii_case(&header)) {
            env.push(ServerEnv {
                name: name.to_owned(),
                header,
            });
        }
    };
    for h in &toolset.external_mcp_header_definitions {
        push(&h.name, h.header_name.clone());
    }
    for var in toolset
        .security_variables
        .iter()
        .flat_map(|s| s.env_variables.iter())
    {
        push(var, format!("MCP-{var}"));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::is_gram_slug;

    #[test]
    fn mcp_slugs_keep_to_grams_alphabet() {
        for good in ["ledger", "acme-ledger_2", "a"] {
            assert!(is_gram_slug(good), "{good}");
        }
        for bad in [
            "",
            "x${AWS_SECRET_ACCESS_KEY}",
            "../admin",
            "a/b",
            "a?k=1",
            "Ledger",
            "a b",
            "é",
        ] {
            assert!(!is_gram_slug(bad), "{bad}");
        }
        assert!(!is_gram_slug(&"a".repeat(129)));
    }
}
