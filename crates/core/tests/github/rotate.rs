//! `publish --rotate-key`: a new hooks key per publish, the previous one revoked only after the
//! new commit has landed — checked on the Gram stand-in's key table and the real branch.

use gram_admin_core::app_flows::marketplace_key;
use gram_admin_core::gram::SignedIn;
use gram_admin_core::secrets::{MemoryStore, SecretName, SecretStore};
use gram_admin_core::HooksKey;
use gram_admin_testkit::gram_api::{GramApi, KeyRow};
use gram_admin_testkit::{Fault, GithubStandIn};
use serde_json::json;

use crate::support::*;

fn saved(store: &MemoryStore) -> String {
    store
        .get(SecretName::MarketplaceKey)
        .expect("read")
        .expect("a saved key")
        .expose()
        .clone()
}

fn row_of<'a>(keys: &'a [KeyRow], key: &str) -> &'a KeyRow {
    let prefix = HooksKey::parse(key).expect("key").prefix();
    keys.iter()
        .find(|k| k.key_prefix == prefix)
        .unwrap_or_else(|| panic!("no key {prefix} in {keys:?}"))
}

/// The first publish mints and saves key A.
fn first_publish(gh: &GithubStandIn, account: &SignedIn, store: &MemoryStore) -> String {
    let (publisher, _) = publisher(gh);
    block_on(marketplace_key::publish(
        account,
        store,
        &publisher,
        &target(gh),
        render_with_key,
    ))
    .expect("first publish");
    saved(store)
}

#[test]
fn rotating_revokes_the_previous_key_only_once_the_new_commit_has_landed() {
    let (gram, api) = GramApi::acme();
    let account = signed_in(&gram.url());
    let store = MemoryStore::new();
    let gh = GithubStandIn::start();
    seed_with(&gh, &marketplace_with(0));
    let a = first_publish(&gh, &account, &store);

    let (publisher, _) = publisher(&gh);
    let rotation = block_on(marketplace_key::rotate_and_publish(
        &account,
        &store,
        &publisher,
        &target(&gh),
        render_with_key,
    ))
    .expect("rotation");

    let b = saved(&store);
    assert_ne!(a, b, "a new key was minted and saved");
    assert!(rotation.outcome.changed);
    assert_eq!(rotation.left_live, None);
    let keys = api.keys();
    assert!(!row_of(&keys, &a).is_live(), "the previous key is revoked");
    assert!(row_of(&keys, &b).is_live(), "the new key is live");
    assert_eq!(rotation.revoked.expect("revoked").id, row_of(&keys, &a).id);
    assert_eq!(keys.iter().filter(|k| k.is_live()).count(), 1);
    let published = render_with_key(&HooksKey::parse(&b).unwrap()).unwrap();
    assert_branch_holds(&gh, "main", &published);
    assert_eq!(gh.violations(), Vec::<String>::new());
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());
}

#[test]
fn a_rotation_whose_publish_fails_keeps_the_previous_key_saved_and_live() {
    let (gram, api) = GramApi::acme();
    let account = signed_in(&gram.url());
    let store = MemoryStore::new();
    let gh = GithubStandIn::start();
    seed_with(&gh, &marketplace_with(0));
    let a = first_publish(&gh, &account, &store);
    let head = gh.head("main").expect("head");

    gh.fault(
        "git/create-commit",
        Fault::Status(502, json!({ "message": "Server Error" })),
    );
    let (publisher, _) = publisher(&gh);
    let err = block_on(marketplace_key::rotate_and_publish(
        &account,
        &store,
        &publisher,
        &target(&gh),
        render_with_key,
    ))
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
    let (gram, _api) = GramApi::acme();
    let account = signed_in(&gram.url());
    let store = MemoryStore::new();
    let gh = GithubStandIn::start();
    seed_with(&gh, &marketplace_with(0));
    let publish = || {
        let (publisher, events) = publisher(&gh);
        block_on(marketplace_key::publish(
            &account,
            &store,
            &publisher,
            &target(&gh),
            render_with_key,
        ))
        .expect("publish");
        let events = events.lock().unwrap().clone();
        events
    };
    let first = publish();
    assert_eq!(
        first.first(),
        Some(&gram_admin_core::github::PublishEvent::MintingKey),
        "{first:?}"
    );
    assert_eq!(
        first
            .iter()
            .filter(|e| **e == gram_admin_core::github::PublishEvent::MintingKey)
            .count(),
        1
    );
    let again = publish();
    assert!(
        !again.contains(&gram_admin_core::github::PublishEvent::MintingKey),
        "the saved key is reused: {again:?}"
    );
}
