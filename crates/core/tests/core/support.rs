//! Shared fixtures: a fixed org, a fixed (obviously fake) key, and running the hook script.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use gram_admin_core::render::ServerEnv;
use gram_admin_core::{
    render, Bundle, FeaturePlugin, FeatureServer, HooksKey, MarketplaceSpec, Org, OrgConfig,
    Platform,
};

/// Shaped like a real key, obviously fake.
pub const KEY: &str = "gram_local_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub fn key() -> HooksKey {
    HooksKey::parse(KEY).expect("fixture key")
}

pub fn org_config(server: &str) -> OrgConfig {
    OrgConfig {
        org_name: "Acme Corp".into(),
        org_email: Some("platform@acme.test".into()),
        server_url: server.into(),
        project_slug: "default".into(),
        marketplace_name: None,
    }
}

pub fn org(server: &str) -> Org {
    org_config(server).validate().expect("fixture org")
}

pub fn spec() -> MarketplaceSpec {
    MarketplaceSpec {
        plugins: vec![
            FeaturePlugin {
                name: "Payments".into(),
                slug: "payments".into(),
                description: "Stripe and ledger tools | with a pipe".into(),
                servers: vec![
                    FeatureServer {
                        display_name: "Ledger".into(),
                        mcp_url: "https://app.getgram.ai/mcp/acme-ledger".into(),
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
            },
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

pub fn plugin(server: &str, platform: Platform) -> Bundle {
    render::observability_plugin(&org(server), &key(), platform).expect("render")
}

/// Writes the bundle into `dir` (with modes).
pub fn unpack(bundle: &Bundle, dir: &Path) {
    gram_admin_core::export::write_dir(bundle, dir).expect("write dir");
}

pub struct HookRun {
    pub output: Output,
    pub elapsed: Duration,
}

/// Runs `sh <dir>/hooks/gram-hook.sh <event>` with `stdin`, as the plugin's hooks.json does.
pub fn run_hook(dir: &Path, event: &str, stdin: &[u8]) -> HookRun {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg(dir.join("hooks/gram-hook.sh"))
        .arg(event)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    HookRun {
        output,
        elapsed: start.elapsed(),
    }
}
