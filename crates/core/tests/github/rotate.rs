//! The marketplace's own hooks key through the use-case layer (`actions::publish`): minted on
//! the first publish and reused, bound to its server/org/project/repository, rotated with the
//! previous key revoked only after the new commit has landed — checked on the Gram stand-in's
//! key table and the real branch.

use std::sync::Arc;

use gram_admin_core::actions::publish::PublishKey;
use gram_admin_core::actions::{keys, session};
use gram_admin_core::github::PublishEvent;
use gram_admin_core::secrets::{MemoryStore, SecretName, SecretStore};
use gram_admin_core::HooksKey;
use gram_admin_testkit::gram_api::{GramApi, KeyRow};
use gram_admin_testkit::{Fault, GithubStandIn};
use serde_json::json;

use crate::support::*;

/// The saved marketplace key's plaintext.
fn saved(store: &MemoryStore) -> String {
    let secret = store
        .get(SecretName::MarketplaceKey)
        .expect("read")
        .expect("a saved key");
    let value: serde_json::Value = serde_json::from_str(secret.expose()).expect("JSON");
    value["key"].as_str().expect("the key").to_owned()
}

fn row_of<'a>(keys: &'a [KeyRow], key: &str) -> &'a KeyRow {
    let prefix = HooksKey::parse(key).expect("key").prefix();
    keys.iter()
        .find(|k| k.key_prefix == prefix)
        .unwrap_or_else(|| panic!("no key {prefix} in {keys:?}"))
}

/// The first publish mints and saves key A.
fn first_publish(
    ctx: &gram_admin_core::actions::Context,
    gram: &str,
    gh: &GithubStandIn,
) -> Arc<Recorder> {
    let progress = Recorder::new();
    let sink: gram_admin_core::actions::Sink = progress.clone();
    block_on(acme_publish(ctx, gram, gh, PublishKey::Marketplace).run(ctx, &sink))
        .expect("first publish");
    progress
}

/// An admin whose first publish to a seeded repository minted and saved key A.
struct Published {
    gram: gram_admin_testkit::GramStandIn,
    api: GramApi,
    store: Arc<MemoryStore>,
    gh: GithubStandIn,
    ctx: gram_admin_core::actions::Context,
    a: String,
}

fn published_once() -> Published {
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let ctx = admin(&gram.url(), &gh, store.clone());
    seed_with(&gh, &marketplace_with(0));
    first_publish(&ctx, &gram.url(), &gh);
    let a = saved(&store);
    Published {
        gram,
        api,
        store,
        gh,
        ctx,
        a,
    }
}

#[test]
fn rotating_revokes_the_previous_key_only_once_the_new_commit_has_landed() {
    let Published {
        gram,
        api,
        store,
        gh,
        ctx,
        a,
    } = published_once();

    let sink: gram_admin_core::actions::Sink = Recorder::new();
    let published = block_on(
        acme_publish(
            &ctx,
            &gram.url(),
            &gh,
            PublishKey::Rotate {
                grace: std::time::Duration::ZERO,
            },
        )
        .run(&ctx, &sink),
    )
    .expect("rotation");
    let rotation = published.rotation.expect("a rotation");

    let b = saved(&store);
    assert_ne!(a, b, "a new key was minted and saved");
    assert!(published.outcome.changed);
    assert_eq!(rotation.left_live, None);
    let keys = api.keys();
    assert!(!row_of(&keys, &a).is_live(), "the previous key is revoked");
    assert!(row_of(&keys, &b).is_live(), "the new key is live");
    assert_eq!(rotation.revoked.expect("revoked").id, row_of(&keys, &a).id);
    assert_eq!(keys.iter().filter(|k| k.is_live()).count(), 1);
    let expected = acme_render(&gram.url(), &HooksKey::parse(&b).unwrap());
    assert_branch_holds(&gh, "main", &expected);
    assert_eq!(gh.violations(), Vec::<String>::new());
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());
}

#[test]
fn a_rotation_whose_publish_fails_keeps_the_previous_key_saved_and_live() {
    let Published {
        gram,
        api,
        store,
        gh,
        ctx,
        a,
    } = published_once();
    let head = gh.head("main").expect("head");

    gh.fault(
        "git/create-commit",
        Fault::Status(502, json!({ "message": "Server Error" })),
    );
    let sink: gram_admin_core::actions::Sink = Recorder::new();
    let err = block_on(
        acme_publish(
            &ctx,
            &gram.url(),
            &gh,
            PublishKey::Rotate {
                grace: std::time::Duration::ZERO,
            },
        )
        .run(&ctx, &sink),
    )
    .expect_err("the commit failed");
    assert!(!err.to_string().is_empty());

    assert_eq!(saved(&store), a, "the previous key is still the saved one");
    assert_eq!(
        gh.head("main").expect("head"),
        head,
        "the branch is untouched"
    );
    let keys = api.keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(row_of(&keys, &a).is_live(), "the published key stays live");
    assert_eq!(
        keys.iter().filter(|k| k.is_live()).count(),
        1,
        "the key minted for the failed publish is revoked: {keys:?}"
    );
    assert_eq!(gh.violations(), Vec::<String>::new());
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());
}

#[test]
fn minting_the_marketplace_key_is_the_first_progress_a_publish_reports_and_reuse_reports_none() {
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let ctx = admin(&gram.url(), &gh, store.clone());
    seed_with(&gh, &marketplace_with(0));
    let first = first_publish(&ctx, &gram.url(), &gh).events();
    assert_eq!(first.first(), Some(&PublishEvent::MintingKey), "{first:?}");
    assert_eq!(
        first
            .iter()
            .filter(|e| **e == PublishEvent::MintingKey)
            .count(),
        1
    );
    let again = first_publish(&ctx, &gram.url(), &gh).events();
    assert!(
        !again.contains(&PublishEvent::MintingKey),
        "the saved key is reused: {again:?}"
    );
    assert!(
        again
            .iter()
            .any(|e| matches!(e, PublishEvent::Unchanged { .. })),
        "an unchanged marketplace writes nothing: {again:?}"
    );
    assert_eq!(api.keys().len(), 1, "one key for both publishes");
}

#[test]
fn the_marketplace_key_is_bound_to_its_repository_and_forgotten_at_sign_out() {
    let Published {
        gram,
        api,
        store,
        gh,
        ctx,
        a,
    } = published_once();

    // The same key saved as if minted for another repository: this one must not reuse it.
    let other = saved_json(&store).replace(&gh.repo_name().to_ascii_lowercase(), "acme/elsewhere");
    store
        .set(
            SecretName::MarketplaceKey,
            &gram_admin_core::Sensitive::new(other),
        )
        .expect("saved");
    let events = first_publish(&ctx, &gram.url(), &gh).events();
    assert_eq!(
        events.first(),
        Some(&PublishEvent::MintingKey),
        "a key for another repository is not reused: {events:?}"
    );
    let b = saved(&store);
    assert_ne!(a, b);
    assert_eq!(api.keys().len(), 2);

    // A key saved before keys were bound (the bare key) is not reused either.
    store
        .set(
            SecretName::MarketplaceKey,
            &gram_admin_core::Sensitive::new(b.clone()),
        )
        .expect("saved");
    let events = first_publish(&ctx, &gram.url(), &gh).events();
    assert_eq!(
        events.first(),
        Some(&PublishEvent::MintingKey),
        "{events:?}"
    );

    block_on(session::sign_out(&ctx)).expect("signed out");
    assert!(
        store
            .get(SecretName::MarketplaceKey)
            .expect("read")
            .is_none(),
        "signing out forgets the marketplace key"
    );
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());
}

fn saved_json(store: &MemoryStore) -> String {
    store
        .get(SecretName::MarketplaceKey)
        .expect("read")
        .expect("saved")
        .expose()
        .clone()
}

/// An admin like [`published_once`]'s, with a settings file and a clock the test moves.
fn published_once_on_a_clock() -> (
    Published,
    Arc<gram_admin_core::actions::FixedClock>,
    tempfile::TempDir,
) {
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let settings = tempfile::tempdir().expect("settings dir");
    let clock =
        gram_admin_core::actions::FixedClock::at(time::macros::datetime!(2026-12-01 09:00 UTC));
    let base = admin(&gram.url(), &gh, store.clone());
    let ctx = gram_admin_core::actions::Context::new(
        store.clone(),
        base.overrides().clone(),
        Some(settings.path().join("config.json")),
        base.github().clone(),
    )
    .with_clock(clock.clone());
    seed_with(&gh, &marketplace_with(0));
    first_publish(&ctx, &gram.url(), &gh);
    let a = saved(&store);
    (
        Published {
            gram,
            api,
            store,
            gh,
            ctx,
            a,
        },
        clock,
        settings,
    )
}

const DAY: time::Duration = time::Duration::days(1);

#[test]
fn a_rotation_keeps_the_previous_key_live_through_the_grace_and_retire_revokes_it_when_due() {
    let (p, clock, _settings) = published_once_on_a_clock();
    let Published {
        gram,
        api,
        store,
        gh,
        ctx,
        a,
    } = p;
    let sink: gram_admin_core::actions::Sink = Recorder::new();
    let grace = gram_admin_core::actions::keys::DEFAULT_GRACE;
    // Day 0 (Dec 1, 09:00): rotate with the default grace of 7 days.
    let published = block_on(
        acme_publish(&ctx, &gram.url(), &gh, PublishKey::Rotate { grace }).run(&ctx, &sink),
    )
    .expect("rotation");
    let rotation = published.rotation.expect("a rotation");
    let b = saved(&store);
    assert_ne!(a, b);
    assert_eq!(rotation.revoked, None, "nothing revoked at once");
    assert_eq!(rotation.left_live, None);
    let scheduled = rotation.retiring.expect("the previous key is scheduled");
    assert_eq!(scheduled.revoke_at, "2026-12-08T09:00:00Z");
    assert_eq!(scheduled.days_left, 7);
    assert!(
        row_of(&api.keys(), &a).is_live(),
        "a teammate not updated yet is still accepted"
    );
    assert!(row_of(&api.keys(), &b).is_live());

    // Day 3: nobody uses the new key yet — retire revokes nothing, says when.
    clock.advance(3 * DAY);
    let retired = block_on(keys::retire(&ctx)).expect("retire");
    assert_eq!(retired.revoked, vec![]);
    assert_eq!(retired.pending.len(), 1);
    assert_eq!(retired.pending[0].days_left, 4);
    assert!(
        retired.pending[0].sentence.contains("in 4 days"),
        "{}",
        retired.pending[0].sentence
    );
    assert!(row_of(&api.keys(), &a).is_live());

    // Day 4: the first teammate has updated (the new key used), one has not (the old key used).
    api.key_used_at(&row_of(&api.keys(), &b).key_prefix, "2026-12-05T10:00:00Z");
    api.key_used_at(&row_of(&api.keys(), &a).key_prefix, "2026-12-05T12:00:00Z");
    clock.advance(DAY + time::Duration::hours(4)); // Dec 5, 13:00
    let retired = block_on(keys::retire(&ctx)).expect("retire");
    assert_eq!(retired.revoked, vec![]);
    assert_eq!(
        retired.pending[0].revoke_at, "2026-12-06T12:00:00Z",
        "24 h after the old key's last use"
    );
    assert!(row_of(&api.keys(), &a).is_live());

    // Dec 6, 13:00: the old key has gone unused for 24 h since the new key's first use — revoked
    // before the grace ends.
    clock.advance(DAY);
    let retired = block_on(keys::retire(&ctx)).expect("retire");
    assert_eq!(retired.revoked.len(), 1, "{retired:?}");
    assert_eq!(retired.revoked[0].id, row_of(&api.keys(), &a).id);
    assert_eq!(retired.pending, vec![]);
    assert!(!row_of(&api.keys(), &a).is_live());
    assert!(row_of(&api.keys(), &b).is_live());
    // Nothing left to do.
    assert_eq!(
        block_on(keys::retire(&ctx)).expect("retire"),
        keys::Retired::default()
    );
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());
}

#[test]
fn a_replaced_key_nobody_moves_off_is_revoked_at_the_end_of_the_grace() {
    let (p, clock, _settings) = published_once_on_a_clock();
    let Published {
        gram,
        api,
        store: _,
        gh,
        ctx,
        a,
    } = p;
    let sink: gram_admin_core::actions::Sink = Recorder::new();
    block_on(
        acme_publish(
            &ctx,
            &gram.url(),
            &gh,
            PublishKey::Rotate {
                grace: std::time::Duration::from_secs(2 * 86_400),
            },
        )
        .run(&ctx, &sink),
    )
    .expect("rotation");
    clock.advance(2 * DAY - time::Duration::seconds(1));
    assert_eq!(
        block_on(keys::retire(&ctx)).expect("retire").revoked,
        vec![]
    );
    assert!(row_of(&api.keys(), &a).is_live());
    clock.advance(time::Duration::seconds(1));
    let retired = block_on(keys::retire(&ctx)).expect("retire");
    assert_eq!(retired.revoked.len(), 1);
    assert!(!row_of(&api.keys(), &a).is_live());
}

#[test]
fn revoking_a_retiring_key_by_hand_drops_it_from_the_schedule() {
    let (p, _clock, _settings) = published_once_on_a_clock();
    let Published {
        gram,
        api,
        store: _,
        gh,
        ctx,
        a,
    } = p;
    let sink: gram_admin_core::actions::Sink = Recorder::new();
    let rotation = block_on(
        acme_publish(
            &ctx,
            &gram.url(),
            &gh,
            PublishKey::Rotate {
                grace: keys::DEFAULT_GRACE,
            },
        )
        .run(&ctx, &sink),
    )
    .expect("rotation")
    .rotation
    .expect("rotation");
    let id = rotation.retiring.expect("scheduled").id;
    block_on(keys::revoke(&ctx, &id)).expect("revoke now");
    assert!(!row_of(&api.keys(), &a).is_live());
    assert!(ctx.settings().retiring.is_empty());
    assert_eq!(
        block_on(keys::retire(&ctx)).expect("retire"),
        keys::Retired::default()
    );
}
