//! Cancelling a publish: honoured at once until the request that moves the branch is sent (the
//! branch stays where it was, a key minted for the publish is revoked), too late after it (the
//! publish lands whole).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gram_admin_core::actions::publish::PublishKey;
use gram_admin_core::github::{
    Cancel, GithubConnection, GithubError, GithubErrorCode, PublishEvent, Publisher, Step,
};
use gram_admin_core::secrets::{MemoryStore, SecretName, SecretStore};
use gram_admin_core::Sensitive;
use gram_admin_testkit::gram_api::GramApi;
use gram_admin_testkit::{Fault, GithubStandIn};

use crate::support::*;

/// A publisher that cancels itself when `when` reports the event, and the events it saw.
fn cancelling_publisher(
    gh: &GithubStandIn,
    when: impl Fn(&PublishEvent) -> bool + Send + Sync + 'static,
) -> (Publisher, Events) {
    let cancel = Cancel::new();
    let events: Events = Arc::new(Mutex::new(Vec::new()));
    let (sink, switch) = (events.clone(), cancel.clone());
    let publisher = Publisher::with_policy(
        GithubConnection::new(gh.api_url(), Sensitive::new(gh.token())),
        fast_policy(Duration::from_secs(60)),
    )
    .expect("publisher")
    .cancelled_by(cancel)
    .on_event(move |e| {
        sink.lock().unwrap().push(e.clone());
        if when(e) {
            switch.cancel();
        }
    });
    (publisher, events)
}

fn at_step(step: Step) -> impl Fn(&PublishEvent) -> bool + Send + Sync + 'static {
    move |e| *e == PublishEvent::Step { step }
}

fn assert_cancelled(err: &GithubError) {
    assert_eq!(err.code(), GithubErrorCode::Cancelled, "{err}");
    assert_eq!(
        err.to_string(),
        "Publishing to acme/agent-plugins was cancelled before its branch moved: nothing was published."
    );
}

#[test]
fn a_cancel_before_the_branch_moves_leaves_it_where_it_was_at_every_step() {
    for step in [
        Step::ReadRepository,
        Step::ReadBranch,
        Step::ReadCommit,
        Step::CreateTree,
        Step::CreateCommit,
    ] {
        let gh = GithubStandIn::start();
        let head = seed_with(&gh, &marketplace_with(1));
        let (publisher, events) = cancelling_publisher(&gh, at_step(step));
        let err =
            block_on(publisher.publish(&target(&gh), &marketplace_with(2))).expect_err("cancelled");
        assert_cancelled(&err);
        assert_eq!(gh.head("main").as_deref(), Some(head.as_str()), "{step:?}");
        assert!(
            !gh.operations().iter().any(|op| op == "git/update-ref"),
            "{step:?}: {:?}",
            gh.operations()
        );
        assert!(
            !events
                .lock()
                .unwrap()
                .iter()
                .any(|e| matches!(e, PublishEvent::Published { .. })),
            "{step:?}"
        );
        assert_branch_holds(&gh, "main", &marketplace_with(1));
        assert_eq!(gh.violations(), Vec::<String>::new());
    }
}

#[test]
fn a_cancel_during_a_rate_limit_wait_stops_the_wait_at_once() {
    let gh = GithubStandIn::start();
    let head = seed_with(&gh, &marketplace_with(1));
    gh.fault("git/get-commit", Fault::RateLimited { retry_after: 30 });
    let (publisher, events) =
        cancelling_publisher(&gh, |e| matches!(e, PublishEvent::Waiting { .. }));
    let started = Instant::now();
    let err =
        block_on(publisher.publish(&target(&gh), &marketplace_with(2))).expect_err("cancelled");
    assert_cancelled(&err);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the 30 s wait was cut short ({:?})",
        started.elapsed()
    );
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, PublishEvent::Waiting { seconds: 30, .. })));
    assert!(gh.writes().is_empty(), "{:?}", gh.writes());
    assert_eq!(gh.head("main"), Some(head));
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn a_cancel_once_the_branch_move_is_sent_is_too_late_and_the_publish_lands_whole() {
    let gh = GithubStandIn::start();
    seed_with(&gh, &marketplace_with(1));
    let (publisher, _) = cancelling_publisher(&gh, at_step(Step::UpdateBranch));
    let after = marketplace_with(2);
    let out = block_on(publisher.publish(&target(&gh), &after)).expect("landed");
    assert!(out.changed);
    assert_eq!(gh.head("main"), Some(out.commit));
    assert_branch_holds(&gh, "main", &after);
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn a_cancel_of_a_created_repository_says_the_repository_stays() {
    let gh = GithubStandIn::missing();
    let (publisher, _) = cancelling_publisher(&gh, at_step(Step::CreateTree));
    let mut target = target(&gh);
    target.create = true;
    let err = block_on(publisher.publish(&target, &marketplace_with(1))).expect_err("cancelled");
    assert_eq!(err.code(), GithubErrorCode::Cancelled);
    assert!(
        err.to_string()
            .ends_with("nothing was published; the repository it created stays."),
        "{err}"
    );
    let listing = gh.git().git(&["ls-tree", "-r", "--name-only", "main"]);
    assert_eq!(
        listing.lines().collect::<Vec<_>>(),
        ["README.md"],
        "only the seeded first file"
    );
}

#[test]
fn a_cancelled_first_publish_revokes_the_key_minted_for_it_and_saves_none() {
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let ctx = admin(&gram.url(), &gh, store.clone());
    let head = seed_with(&gh, &marketplace_with(0));
    let sink: gram_admin_core::actions::Sink =
        Recorder::cancelling_when(at_step(Step::CreateCommit));
    let err =
        block_on(acme_publish(&ctx, &gram.url(), &gh, PublishKey::Marketplace).run(&ctx, &sink))
            .expect_err("cancelled");
    assert!(err.to_string().contains("was cancelled"), "{err}");
    let keys = api.keys();
    assert_eq!(keys.len(), 1, "one key minted for the publish: {keys:?}");
    assert!(!keys[0].is_live(), "and revoked: {keys:?}");
    assert!(store
        .get(SecretName::MarketplaceKey)
        .expect("read")
        .is_none());
    assert_eq!(gh.head("main"), Some(head));
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());
}
