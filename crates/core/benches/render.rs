//! `cargo bench -p gram-admin-core --bench render`: what rendering and zipping cost.

use criterion::{criterion_group, criterion_main, Criterion};
use gram_admin_core::export::zip_bytes;
use gram_admin_core::render::{self, ServerEnv};
use gram_admin_core::{
    FeaturePlugin, FeatureServer, HooksKey, MarketplaceSpec, OrgConfig, Platform,
};

fn org() -> gram_admin_core::Org {
    OrgConfig {
        org_name: "Acme Corp".into(),
        org_email: Some("platform@acme.test".into()),
        server_url: "https://app.getgram.ai".into(),
        project_slug: "default".into(),
        marketplace_name: None,
        content: Default::default(),
    }
    .validate()
    .expect("valid org")
}

fn spec(n: usize) -> MarketplaceSpec {
    MarketplaceSpec {
        plugins: (0..n)
            .map(|i| FeaturePlugin {
                name: format!("Feature {i}"),
                slug: format!("feature-{i}"),
                description: format!("Tools for feature {i} | with a pipe and *markup*."),
                servers: vec![
                    FeatureServer {
                        display_name: format!("Server {i}"),
                        mcp_url: format!("https://app.getgram.ai/mcp/acme-feature-{i}"),
                        public: i % 2 == 0,
                        env: vec![ServerEnv {
                            name: "UPSTREAM_KEY".into(),
                            header: "X-Upstream-Key".into(),
                        }],
                    },
                    FeatureServer {
                        display_name: "Docs".into(),
                        mcp_url: "https://app.getgram.ai/mcp/acme-docs".into(),
                        public: true,
                        env: vec![],
                    },
                ],
            })
            .collect(),
        repository: Some("acme/agent-plugins".into()),
    }
}

fn benches(c: &mut Criterion) {
    let org = org();
    let key = HooksKey::placeholder();
    c.bench_function("render+zip one plugin (claude)", |b| {
        b.iter(|| {
            zip_bytes(&render::observability_plugin(&org, &key, Platform::Claude).expect("render"))
                .expect("zip")
        })
    });
    let spec = spec(500);
    c.bench_function("render marketplace, 500 feature plugins", |b| {
        b.iter(|| render::marketplace_for(&org, &key, &spec).expect("render"))
    });
    let bundle = render::marketplace_for(&org, &key, &spec).expect("render");
    c.bench_function("zip marketplace, 500 feature plugins", |b| {
        b.iter(|| zip_bytes(&bundle).expect("zip"))
    });
}

criterion_group! {
    name = render_benches;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(render_benches);
