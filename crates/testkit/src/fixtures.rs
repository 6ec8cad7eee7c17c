//! The fixtures every test crate shares: one obviously fake key, the Acme org, its plugins.

use gram_admin_core::render::ServerEnv;
use gram_admin_core::{FeaturePlugin, FeatureServer, HooksKey, MarketplaceSpec, Org, OrgConfig};

/// A key shaped like a production one (`gram_local_` + 64 hex), built at run time so the tree
/// holds no key-shaped literal.
pub fn test_key_text() -> String {
    format!("gram_local_{}", "0123456789abcdef".repeat(4))
}

pub fn test_key() -> HooksKey {
    HooksKey::parse(&test_key_text()).expect("the test key is well formed")
}

/// A stand-in's base URL, parsed as the clients take it.
pub fn server(url: &str) -> gram_admin_core::ServerUrl {
    gram_admin_core::ServerUrl::parse(url).expect("a test server's URL is a server URL")
}

/// Acme Corp, reporting to project `default` on `server`.
pub fn acme_config(server: &str) -> OrgConfig {
    OrgConfig {
        org_name: "Acme Corp".into(),
        org_email: Some("platform@acme.test".into()),
        server_url: server.into(),
        project_slug: "default".into(),
        marketplace_name: None,
        content: Default::default(),
    }
}

pub fn acme_org(server: &str) -> Org {
    acme_config(server)
        .validate()
        .expect("the Acme fixture is valid")
}

/// Acme's feature plugins as the golden files show them: a private Gram server, a public one
/// with an env header, a pipe in a description.
pub fn acme_marketplace() -> MarketplaceSpec {
    MarketplaceSpec {
        plugins: vec![
            payments(
                "https://app.getgram.ai",
                "Stripe and ledger tools | with a pipe",
            ),
            FeaturePlugin {
                name: "Docs search".into(),
                slug: "docs".into(),
                description: "Search the handbook.".into(),
                servers: vec![FeatureServer {
                    display_name: "Handbook".into(),
                    mcp_url: "https://app.getgram.ai/mcp/acme-handbook".into(),
                    public: true,
                    env: vec![],
                }],
            },
        ],
        repository: Some("acme/agent-plugins".into()),
    }
}

/// One feature plugin whose private server is on the Gram at `server` (a stand-in).
pub fn acme_marketplace_on(server: &str) -> MarketplaceSpec {
    MarketplaceSpec {
        plugins: vec![payments(server, "Ledger and Stripe tools.")],
        repository: Some("acme/agent-plugins".into()),
    }
}

fn payments(server: &str, description: &str) -> FeaturePlugin {
    FeaturePlugin {
        name: "Payments".into(),
        slug: "payments".into(),
        description: description.into(),
        servers: vec![
            FeatureServer {
                display_name: "Ledger".into(),
                mcp_url: format!("{}/mcp/acme-ledger", server.trim_end_matches('/')),
                public: false,
                env: vec![],
            },
            FeatureServer {
                display_name: "Stripe".into(),
                mcp_url: "https://mcp.stripe.test/mcp".into(),
                public: true,
                env: vec![ServerEnv {
                    name: "STRIPE_API_KEY".into(),
                    header: "X-Stripe-Key".into(),
                }],
            },
        ],
    }
}

/// Points an exported Claude Code plugin's curl config (in `plugin_dir`) at `server`: from the
/// hook's side, Gram coming back at the address the plugin was exported with. Written aside and
/// renamed: a hook starting meanwhile reads the old config or the new one, never a half-written
/// one (a teammate's config never changes under a running session; only tests change it).
pub fn point_plugin_at(plugin_dir: &std::path::Path, server: &str) {
    let path = plugin_dir.join("hooks/gram-hook.curlrc");
    let config = std::fs::read_to_string(&path).expect("curlrc");
    let config: String = config
        .lines()
        .map(|l| {
            if l.starts_with("url = ") {
                // The same endpoint (`/rpc/hooks.claude`, `/rpc/hooks.ingest`) on `server`.
                let path = l.find("/rpc/").map_or("/rpc/hooks.claude\"", |i| &l[i..]);
                format!("url = \"{server}{path}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let aside = plugin_dir.join("hooks/gram-hook.curlrc.new");
    std::fs::write(&aside, config).expect("curlrc");
    std::fs::rename(&aside, &path).expect("curlrc");
}
