//! The marketplace's status at a glance, from reads only: not published yet, N changes to
//! publish, up to date (commit, when, by whom) — checked on the GitHub stand-in, which records
//! every request (none may write).

use std::sync::Arc;

use gram_admin_core::actions::publish::{PublishKey, StatusState};
use gram_admin_core::secrets::MemoryStore;
use gram_admin_testkit::fixtures::acme_config;
use gram_admin_testkit::gram_api::GramApi;
use gram_admin_testkit::GithubStandIn;

use crate::support::*;

#[test]
fn the_status_goes_from_not_published_to_up_to_date_to_changes_and_never_writes() {
    let (gram, _api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let ctx = admin(&gram.url(), &gh, store);
    gh.git().commit_files(
        "main",
        &[("README.md", b"# old\n", false)],
        "Initial commit",
    );
    let quiet = gram_admin_core::actions::quiet();
    let status = |plugins_desc: &str| {
        let publish = block_on(gram_admin_core::actions::publish::Publish::prepare(
            &ctx,
            &acme_config(&gram.url()),
            target(&gh),
            &gram_admin_core::actions::plugins::Plugins::Given(gram_admin_core::MarketplaceSpec {
                plugins: vec![plugin_on(&gram.url(), 0, plugins_desc)],
                repository: None,
            }),
            PublishKey::Marketplace,
        ))
        .expect("prepare");
        let writes_before = gh.writes().len();
        let status = block_on(publish.status(&ctx, &quiet)).expect("status");
        assert_eq!(gh.writes().len(), writes_before, "a status writes nothing");
        status
    };

    let before = status("Tools.");
    assert_eq!(before.state, StatusState::NotPublished, "{before:?}");
    assert_eq!(
        before.line(),
        format!("{} (main): not published yet.", gh.repo_name())
    );

    let sink: gram_admin_core::actions::Sink = Recorder::new();
    block_on(acme_publish(&ctx, &gram.url(), &gh, PublishKey::Marketplace).run(&ctx, &sink))
        .expect("publish");
    let head = gh.head("main").expect("a head");

    let now = status("Tools.");
    assert_eq!(now.state, StatusState::UpToDate, "{now:?}");
    let last = now.last.clone().expect("the last commit");
    assert_eq!(last.sha, head);
    assert!(!last.author.is_empty() && !last.date.is_empty(), "{last:?}");
    assert_eq!(
        now.line(),
        format!(
            "{} (main): up to date (commit {}, {}, by {}).",
            gh.repo_name(),
            &head[..7],
            last.date,
            last.author
        )
    );

    let changed = status("Other tools.");
    assert_eq!(changed.state, StatusState::Changes, "{changed:?}");
    assert!(
        changed.changes > 0 && changed.changed == changed.changes,
        "{changed:?}"
    );
    assert!(
        changed.line().starts_with(&format!(
            "{} (main): {} changes to publish (0 added, {} changed, 0 removed); last commit {}",
            gh.repo_name(),
            changed.changes,
            changed.changed,
            &head[..7]
        )),
        "{}",
        changed.line()
    );
    assert_eq!(gh.violations(), Vec::<String>::new());
}
