//! The marketplace's own hooks key through the use-case layer (`actions::publish`): minted on
//! the first publish and reused, bound to its server/org/project/repository, rotated with the
//! previous key revoked only after the new commit has landed — checked on the Gram stand-in's
//! key table and the real branch.

use std::sync::Arc;

use gram_admin_core::actions::publish::PublishKey;
use gram_admin_core::actions::session;
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

#[test]
fn rotating_revokes_the_previous_key_only_once_the_new_commit_has_landed() {
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let ctx = admin(&gram.url(), &gh, store.clone());
    seed_with(&gh, &marketplace_with(0));
    first_publish(&ctx, &gram.url(), &gh);
    let a = saved(&store);

    let sink: gram_admin_core::actions::Sink = Recorder::new();
    let published =
        block_on(acme_publish(&ctx, &gram.url(), &gh, PublishKey::Rotate).run(&ctx, &sink))
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
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let ctx = admin(&gram.url(), &gh, store.clone());
    seed_with(&gh, &marketplace_with(0));
    first_publish(&ctx, &gram.url(), &gh);
    let a = saved(&store);
    let head = gh.head("main").expect("head");

    gh.fault(
        "git/create-commit",
        Fault::Status(502, json!({ "message": "Server Error" })),
    );
    let sink: gram_admin_core::actions::Sink = Recorder::new();
    let err = block_on(acme_publish(&ctx, &gram.url(), &gh, PublishKey::Rotate).run(&ctx, &sink))
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
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let gh = GithubStandIn::start();
    let ctx = admin(&gram.url(), &gh, store.clone());
    seed_with(&gh, &marketplace_with(0));
    first_publish(&ctx, &gram.url(), &gh);
    let a = saved(&store);

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
