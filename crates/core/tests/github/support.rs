//! Helpers for the publishing tests: bundles of any size, a publisher aimed at the stand-in,
//! and checks made with the real `git`.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gram_admin_core::domain::MarketplaceRepo;
use gram_admin_core::github::{
    tree_id, GithubConnection, PublishEvent, PublishTarget, Publisher, RetryPolicy,
};
use gram_admin_core::gram::{GramClient, SignedIn};
use gram_admin_core::render::marketplace_for;
use gram_admin_core::{
    Bundle, FeaturePlugin, FeatureServer, FileMode, HooksKey, MarketplaceSpec, Sensitive,
};
use gram_admin_testkit::fixtures::{acme_org, test_key};
use gram_admin_testkit::gram_api::ACME_SESSION;
use gram_admin_testkit::GithubStandIn;

pub const GRAM: &str = "https://app.getgram.ai";

/// Runs git in `dir`; panics with its stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@t.test")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@t.test")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

pub fn plugin(i: usize, description: &str) -> FeaturePlugin {
    FeaturePlugin {
        name: format!("Feature {i}"),
        slug: format!("feature-{i}"),
        description: description.into(),
        servers: vec![FeatureServer {
            display_name: format!("Server {i}"),
            mcp_url: format!("{GRAM}/mcp/acme-feature-{i}"),
            public: false,
            env: vec![],
        }],
    }
}

/// Acme's marketplace with `n` feature plugins.
pub fn marketplace_with(n: usize) -> Bundle {
    marketplace_of((0..n).map(|i| plugin(i, "Tools.")).collect())
}

pub fn marketplace_of(plugins: Vec<FeaturePlugin>) -> Bundle {
    let spec = MarketplaceSpec {
        plugins,
        repository: Some("acme/agent-plugins".into()),
    };
    marketplace_for(&acme_org(GRAM), &test_key(), &spec).expect("render")
}

/// A policy that retries fast (tests) and waits at most `max_wait` for a rate limit.
pub fn fast_policy(max_wait: Duration) -> RetryPolicy {
    RetryPolicy {
        backoff: Duration::from_millis(10),
        max_wait,
        read_timeout: Duration::from_secs(10),
        ..RetryPolicy::default()
    }
}

/// Every event the publisher reported.
pub type Events = Arc<Mutex<Vec<PublishEvent>>>;

pub fn publisher_with_token(gh: &GithubStandIn, token: String) -> (Publisher, Events) {
    let events: Events = Arc::default();
    let sink = events.clone();
    let publisher = Publisher::with_policy(
        GithubConnection::new(gh.api_url(), Sensitive::new(token)),
        fast_policy(Duration::from_secs(5)),
    )
    .expect("publisher")
    .on_event(move |e| sink.lock().unwrap().push(e.clone()));
    (publisher, events)
}

pub fn publisher(gh: &GithubStandIn) -> (Publisher, Events) {
    publisher_with_token(gh, gh.token())
}

pub fn target(gh: &GithubStandIn) -> PublishTarget {
    PublishTarget::new(MarketplaceRepo::parse(&gh.repo_name()).expect("repo"))
}

/// Runs `f` on this test thread's one runtime (a publisher lives in the runtime it first ran in).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
    }
    RUNTIME.with(|rt| rt.block_on(f))
}

/// The branch holds exactly `bundle`: a real clone has the same files, bytes and modes
/// (`ls-tree` shows 100755 on scripts), and its tree id is the bundle's.
pub fn assert_branch_holds(gh: &GithubStandIn, branch: &str, bundle: &Bundle) {
    let dir = tempfile::tempdir().unwrap();
    let clone = dir.path().join("clone");
    gh.clone_into(&clone, branch);
    let listing = git(&clone, &["ls-tree", "-r", "HEAD"]);
    let mut seen = 0;
    for line in listing.lines() {
        let (meta, path) = line.split_once('\t').unwrap();
        let mode = meta.split(' ').next().unwrap();
        let file = bundle
            .get(path)
            .unwrap_or_else(|| panic!("{path} is on the branch but not in the render"));
        let expected = if file.mode == FileMode::Executable {
            "100755"
        } else {
            "100644"
        };
        assert_eq!(mode, expected, "{path}");
        assert_eq!(
            std::fs::read(clone.join(path)).unwrap(),
            file.contents,
            "{path}"
        );
        seen += 1;
    }
    assert_eq!(seen, bundle.len(), "every rendered file is on the branch");
    let tree = git(&clone, &["rev-parse", "HEAD^{tree}"]);
    assert_eq!(tree.trim(), tree_id(bundle).to_string());
}

/// Makes the stand-in's branch hold `bundle` already, as an earlier publish would have.
pub fn seed_with(gh: &GithubStandIn, bundle: &Bundle) -> String {
    let files: Vec<(&str, &[u8], bool)> = bundle
        .files()
        .map(|f| {
            (
                f.path.as_str(),
                f.contents.as_slice(),
                f.mode == FileMode::Executable,
            )
        })
        .collect();
    gh.git().commit_files("main", &files, "Earlier publish")
}

/// Acme's marketplace with one feature plugin, carrying `key` (what the key flows render).
pub fn render_with_key(key: &HooksKey) -> Result<Bundle, gram_admin_core::Error> {
    marketplace_for(
        &acme_org(GRAM),
        key,
        &MarketplaceSpec {
            plugins: vec![plugin(0, "Tools.")],
            repository: Some("acme/agent-plugins".into()),
        },
    )
}

/// The admin signed in to the Gram stand-in at `url`.
pub fn signed_in(url: &str) -> SignedIn {
    block_on(SignedIn::verify(
        GramClient::new(url).expect("client"),
        Sensitive::new(ACME_SESSION.to_owned()),
    ))
    .expect("signed in")
}
