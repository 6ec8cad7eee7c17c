//! Requests and wall time per publish, against the GitHub stand-in with 50 ms of latency per
//! request, for 10, 100 and 500 feature plugins: first publish (onto a README), one plugin
//! changed, every plugin changed, and unchanged.
//!
//! `cargo run --release -p gram-admin-core --example publish_bench [-- LATENCY_MS]`
//!
//! Targets (issue 7): a changed publish takes at most 6 requests plus one per large blob; an
//! unchanged one at most 3 reads and no writes, whatever the plugin count. Past one tree
//! request's budget (~768 KiB) a publish reads the branch's listing once more (7 + blobs), and
//! a change bigger than the budget takes one more tree request per budget's worth.

use std::time::{Duration, Instant};

use gram_admin_core::domain::MarketplaceRepo;
use gram_admin_core::github::{GithubConnection, PublishTarget, Publisher, RetryPolicy};
use gram_admin_core::render::marketplace_for;
use gram_admin_core::{Bundle, FeaturePlugin, FeatureServer, MarketplaceSpec, Sensitive};
use gram_admin_testkit::fixtures::{acme_org, test_key};
use gram_admin_testkit::GithubStandIn;

/// `n` plugins; plugins below `changed` say `description`, the rest "Tools.".
fn marketplace(n: usize, changed: usize, description: &str) -> Bundle {
    let plugins = (0..n)
        .map(|i| FeaturePlugin {
            name: format!("Feature {i}"),
            slug: format!("feature-{i}"),
            description: if i < changed { description } else { "Tools." }.into(),
            servers: vec![FeatureServer {
                display_name: format!("Server {i}"),
                mcp_url: format!("https://app.getgram.ai/mcp/acme-feature-{i}"),
                public: false,
                env: vec![],
            }],
        })
        .collect();
    let spec = MarketplaceSpec {
        plugins,
        repository: Some("acme/agent-plugins".into()),
    };
    marketplace_for(&acme_org("https://app.getgram.ai"), &test_key(), &spec).expect("render")
}

fn main() {
    let latency_ms: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("latency {latency_ms} ms per request");
    println!(
        "{:>8} {:>6} {:>9} {:>10} | {:>9} {:>6} {:>6} {:>6} {:>6} {:>9}",
        "plugins",
        "files",
        "bytes",
        "publish",
        "requests",
        "reads",
        "writes",
        "trees",
        "blobs",
        "wall"
    );
    for n in [10usize, 100, 500] {
        let gh = GithubStandIn::start();
        gh.git().commit_files(
            "main",
            &[("README.md", b"# agent plugins\n", false)],
            "Initial commit",
        );
        gh.set_latency(Duration::from_millis(latency_ms));
        let publisher = Publisher::with_policy(
            GithubConnection::new(gh.api_url(), Sensitive::new(gh.token())),
            RetryPolicy::default(),
        )
        .expect("publisher");
        let target = PublishTarget::new(MarketplaceRepo::parse(&gh.repo_name()).expect("repo"));
        let first = marketplace(n, 0, "");
        let one = marketplace(n, 1, "Changed tools.");
        let all = marketplace(n, n, "Changed tools.");
        for (label, bundle) in [
            ("first", &first),
            ("one", &one),
            ("all", &all),
            ("unchanged", &all),
        ] {
            gh.clear_requests();
            let started = Instant::now();
            let out = rt
                .block_on(publisher.publish(&target, bundle))
                .expect("publish");
            let wall = started.elapsed();
            let requests = gh.requests();
            let writes = requests.iter().filter(|r| r.is_write()).count();
            let count = |op: &str| requests.iter().filter(|r| r.operation == op).count();
            assert_eq!(out.changed, label != "unchanged");
            println!(
                "{:>8} {:>6} {:>9} {:>10} | {:>9} {:>6} {:>6} {:>6} {:>6} {:>7.0}ms",
                n,
                bundle.len(),
                bundle.total_bytes(),
                label,
                requests.len(),
                requests.len() - writes,
                writes,
                count("git/create-tree"),
                count("git/create-blob"),
                wall.as_secs_f64() * 1000.0
            );
        }
        assert!(gh.violations().is_empty(), "{:?}", gh.violations());
    }
}
