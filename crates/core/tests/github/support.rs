//! Helpers for the publishing tests: bundles of any size, a publisher aimed at the stand-in,
//! and checks made with the real `git`.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gram_admin_core::actions::plugins::Plugins;
use gram_admin_core::actions::publish::{Publish, PublishKey};
use gram_admin_core::actions::{Context, Event, Github, Progress};
use gram_admin_core::domain::MarketplaceRepo;
use gram_admin_core::github::{
    tree_id, Cancel, GithubConnection, PublishEvent, PublishTarget, Publisher, RetryPolicy,
};
use gram_admin_core::gram::session::Overrides;
use gram_admin_core::render::marketplace_for;
use gram_admin_core::secrets::{MemoryStore, SecretName, SecretStore};
use gram_admin_core::{
    Bundle, FeaturePlugin, FeatureServer, FileMode, HooksKey, MarketplaceSpec, Sensitive,
};
use gram_admin_testkit::fixtures::{self, acme_config, acme_org, test_key};
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
    plugin_on(GRAM, i, description)
}

/// Feature plugin `i`, its server hosted on the Gram at `server`.
pub fn plugin_on(server: &str, i: usize, description: &str) -> FeaturePlugin {
    FeaturePlugin {
        name: format!("Feature {i}"),
        slug: format!("feature-{i}"),
        description: description.into(),
        servers: vec![FeatureServer {
            display_name: format!("Server {i}"),
            mcp_url: format!("{server}/mcp/acme-feature-{i}"),
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

/// An admin's context: signed in to the Gram stand-in at `gram` (through `GRAM_SERVER`/
/// `GRAM_SESSION`-style overrides), GitHub at the stand-in `gh` with its token in `store`.
pub fn admin(gram: &str, gh: &GithubStandIn, store: Arc<MemoryStore>) -> Context {
    store
        .set(SecretName::GithubToken, &Sensitive::new(gh.token()))
        .expect("token saved");
    Context::new(
        store,
        Overrides {
            server: Some(gram.to_owned()),
            session: Some(Sensitive::new(ACME_SESSION.to_owned())),
        },
        None,
        Github {
            api: fixtures::server(&gh.api_url()),
            web: fixtures::server(&gh.api_url()),
            client_id: "test".into(),
        },
    )
}

/// A publish of Acme's marketplace with one feature plugin (what [`render_with_key`] renders
/// for the Gram at `gram`) to the stand-in's repository.
pub fn acme_publish(ctx: &Context, gram: &str, gh: &GithubStandIn, key: PublishKey) -> Publish {
    block_on(Publish::prepare(
        ctx,
        &acme_config(gram),
        target(gh),
        &Plugins::Given(MarketplaceSpec {
            plugins: vec![plugin_on(gram, 0, "Tools.")],
            repository: None,
        }),
        key,
    ))
    .expect("a publish is prepared")
}

/// What [`acme_publish`] renders with `key`.
pub fn acme_render(gram: &str, key: &HooksKey) -> Bundle {
    marketplace_for(
        &acme_org(gram),
        key,
        &MarketplaceSpec {
            plugins: vec![plugin_on(gram, 0, "Tools.")],
            repository: Some("acme/agent-plugins".into()),
        },
    )
    .expect("render")
}

/// Records the publish events and pulls its cancel switch when `when` says so.
pub struct Recorder {
    pub events: Events,
    cancel: Cancel,
    when: Box<dyn Fn(&PublishEvent) -> bool + Send + Sync>,
}

impl Recorder {
    pub fn new() -> Arc<Self> {
        Self::cancelling_when(|_| false)
    }

    pub fn cancelling_when(
        when: impl Fn(&PublishEvent) -> bool + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            events: Arc::default(),
            cancel: Cancel::new(),
            when: Box::new(when),
        })
    }

    pub fn events(&self) -> Vec<PublishEvent> {
        self.events.lock().unwrap().clone()
    }
}

impl Progress for Recorder {
    fn report(&self, event: Event) {
        if let Event::Publish(event) = event {
            if (self.when)(&event) {
                self.cancel.cancel();
            }
            self.events.lock().unwrap().push(event);
        }
    }

    fn cancel(&self) -> Cancel {
        self.cancel.clone()
    }
}
