//! Support for the conformance suites: the fixtures they render, the real agents they install,
//! and the fake model APIs the agents talk to.

use gram_admin_core::render::ServerEnv;
use gram_admin_core::{FeaturePlugin, FeatureServer, MarketplaceSpec, Org, OrgConfig};

/// Shaped like a real key, obviously fake.
pub const KEY_FIXTURE: &str =
    "gram_local_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub fn fixture_org(server: &str) -> Org {
    OrgConfig {
        org_name: "Acme Corp".into(),
        org_email: Some("platform@acme.test".into()),
        server_url: server.into(),
        project_slug: "default".into(),
        marketplace_name: None,
    }
    .validate()
    .expect("fixture org")
}

/// One feature plugin with a private server on the org's Gram `server` and a public one elsewhere.
pub fn fixture_spec(server: &str) -> MarketplaceSpec {
    MarketplaceSpec {
        plugins: vec![FeaturePlugin {
            name: "Payments".into(),
            slug: "payments".into(),
            description: "Ledger and Stripe tools.".into(),
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
        }],
        repository: Some("acme/agent-plugins".into()),
    }
}

pub mod agents;
pub mod fake_model;
