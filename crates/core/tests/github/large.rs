//! Large marketplaces (past one tree request's budget): the request count does not grow with
//! the plugin count — what the branch already holds is referenced by id, only changed files are
//! sent, and a tree is split over several requests only when its changed part does not fit.

use std::time::Duration;

use gram_admin_core::github::{
    blob_id, GithubConnection, Publisher, RetryPolicy, MAX_INLINE_BYTES, MAX_TREE_REQUEST_BYTES,
};
use gram_admin_core::{Bundle, Sensitive};
use gram_admin_testkit::{GithubRequest, GithubStandIn};

use crate::support::*;

const PLUGINS: usize = 500;

fn large(description_of: impl Fn(usize) -> &'static str, n: usize) -> Bundle {
    marketplace_of((0..n).map(|i| plugin(i, description_of(i))).collect())
}

/// A publisher that waits long enough for the stand-in to write thousands of objects on a busy
/// machine (a timed-out tree request would be re-sent, and the counts below would be off).
fn patient_publisher(gh: &GithubStandIn) -> Publisher {
    let policy = RetryPolicy {
        read_timeout: Duration::from_secs(300),
        ..fast_policy(Duration::from_secs(5))
    };
    Publisher::with_policy(
        GithubConnection::new(gh.api_url(), Sensitive::new(gh.token())),
        policy,
    )
    .expect("publisher")
}

fn tree_requests(gh: &GithubStandIn) -> Vec<GithubRequest> {
    gh.requests()
        .into_iter()
        .filter(|r| r.operation == "git/create-tree")
        .collect()
}

/// The files of `after` a publish must upload as blobs: large or binary, and not on the branch.
fn large_new_blobs(before: Option<&Bundle>, after: &Bundle) -> usize {
    after
        .files()
        .filter(|f| {
            f.contents.len() > MAX_INLINE_BYTES || std::str::from_utf8(&f.contents).is_err()
        })
        .filter(|f| {
            before.is_none_or(|b| {
                !b.files()
                    .any(|o| blob_id(&o.contents) == blob_id(&f.contents))
            })
        })
        .count()
}

/// Every tree request stays within the budget; the first has no `base_tree` (the tree replaces
/// the branch's content), each later one builds on the tree the one before made.
fn assert_tree_requests_are_well_formed(gh: &GithubStandIn) {
    let trees = tree_requests(gh);
    for (i, r) in trees.iter().enumerate() {
        assert!(
            r.body.len() <= MAX_TREE_REQUEST_BYTES,
            "a tree request of {} bytes",
            r.body.len()
        );
        assert_eq!(
            r.json().get("base_tree").is_some(),
            i > 0,
            "request {i} of {:?}",
            trees
                .iter()
                .map(|r| (r.status, r.body.len(), r.json().get("base_tree").cloned()))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_large_marketplace_does_not_fit_one_tree_request() {
    // The premise of the tests here: 500 plugins are more than one request carries.
    let bundle = large(|_| "Tools.", PLUGINS);
    let json: usize = bundle
        .files()
        .map(|f| {
            serde_json::json!({ "path": f.path, "content": String::from_utf8_lossy(&f.contents) })
                .to_string()
                .len()
        })
        .sum();
    assert!(json > MAX_TREE_REQUEST_BYTES, "{json}");
}

#[test]
fn changing_one_of_500_plugins_sends_only_the_changed_files_in_seven_requests() {
    let before = large(|_| "Tools.", PLUGINS);
    let gh = GithubStandIn::start();
    let head = seed_with(&gh, &before);
    // Plugin 7 changes, plugin 499 is removed.
    let after = large(|i| if i == 7 { "Changed." } else { "Tools." }, PLUGINS - 1);
    let publisher = patient_publisher(&gh);
    gh.clear_requests();
    let out = block_on(publisher.publish(&target(&gh), &after)).unwrap();
    assert!(out.changed);
    let blobs = large_new_blobs(Some(&before), &after);
    let ops: Vec<String> = gh
        .operations()
        .into_iter()
        .filter(|o| o != "git/create-blob")
        .collect();
    assert_eq!(
        ops,
        [
            "repos/get",
            "git/get-ref",
            "git/get-commit",
            "git/get-tree",
            "git/create-tree",
            "git/create-commit",
            "git/update-ref"
        ]
    );
    // At most 6 requests plus one per large blob, plus the one listing of the branch.
    assert_eq!(gh.requests().len(), 7 + blobs, "{:?}", gh.operations());
    let reads = gh.requests().iter().filter(|r| !r.is_write()).count();
    assert_eq!(reads, 4);
    let tree = tree_requests(&gh).remove(0).json();
    let entries = tree["tree"].as_array().unwrap();
    for e in entries.iter().filter(|e| e.get("content").is_some()) {
        let path = e["path"].as_str().unwrap();
        assert_ne!(
            before.get(path).map(|f| f.contents.as_slice()),
            Some(e["content"].as_str().unwrap().as_bytes()),
            "{path} did not change but was sent"
        );
    }
    let by_id = entries.iter().filter(|e| e["type"] == "tree").count();
    assert!(
        by_id > 3 * (PLUGINS - 2),
        "{by_id} folders referenced by id"
    );
    assert!(entries
        .iter()
        .filter(|e| e["type"] == "tree")
        .all(|e| e["mode"] == "040000" && e.get("content").is_none()));
    assert_tree_requests_are_well_formed(&gh);
    assert_eq!(
        gh.git()
            .git(&["rev-parse", &format!("{}^", out.commit)])
            .trim(),
        head
    );
    assert_branch_holds(&gh, "main", &after);
    let listing = gh.git().git(&["ls-tree", "-r", "--name-only", "main"]);
    assert!(
        !listing.contains("feature-499"),
        "removed plugins disappear"
    );
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn an_unchanged_large_publish_still_reads_three_times() {
    let bundle = large(|_| "Tools.", PLUGINS);
    let gh = GithubStandIn::start();
    seed_with(&gh, &bundle);
    let publisher = patient_publisher(&gh);
    gh.clear_requests();
    let out = block_on(publisher.publish(&target(&gh), &bundle)).unwrap();
    assert!(!out.changed);
    assert_eq!(
        gh.operations(),
        ["repos/get", "git/get-ref", "git/get-commit"]
    );
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn a_large_first_publish_takes_as_few_tree_requests_as_the_budget_allows() {
    let bundle = large(|_| "Tools.", PLUGINS);
    let gh = GithubStandIn::start();
    gh.git().commit_files(
        "main",
        &[("README.md", b"# someone else's readme\n", false)],
        "Initial commit",
    );
    let publisher = patient_publisher(&gh);
    gh.clear_requests();
    block_on(publisher.publish(&target(&gh), &bundle)).unwrap();
    let trees = tree_requests(&gh);
    let sent: usize = trees.iter().map(|r| r.body.len()).sum();
    assert!(trees.len() >= 2);
    // One fewer request could not have carried these bytes (each but the last is nearly full).
    assert!(
        sent > (trees.len() - 1) * (MAX_TREE_REQUEST_BYTES - 70 * 1024),
        "{} tree requests for {sent} bytes",
        trees.len()
    );
    let blobs = large_new_blobs(None, &bundle);
    assert_eq!(
        gh.requests().len(),
        4 + blobs + trees.len() + 2,
        "{:?}",
        gh.operations()
    );
    assert_tree_requests_are_well_formed(&gh);
    assert_branch_holds(&gh, "main", &bundle);
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn changing_every_one_of_500_plugins_splits_only_by_the_budget() {
    let before = large(|_| "Tools.", PLUGINS);
    let gh = GithubStandIn::start();
    seed_with(&gh, &before);
    let after = large(|_| "Changed tools.", PLUGINS);
    let publisher = patient_publisher(&gh);
    gh.clear_requests();
    block_on(publisher.publish(&target(&gh), &after)).unwrap();
    let trees = tree_requests(&gh).len();
    assert!((1..=3).contains(&trees), "{trees} tree requests");
    let blobs = large_new_blobs(Some(&before), &after);
    assert_eq!(
        gh.requests().len(),
        4 + blobs + trees + 2,
        "{:?}",
        gh.operations()
    );
    assert_tree_requests_are_well_formed(&gh);
    assert_branch_holds(&gh, "main", &after);
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn a_tree_by_an_id_the_repository_lacks_is_refused_by_the_stand_in() {
    // The broken variant: referencing a folder GitHub does not hold fails, so the tests above
    // show the publisher only references what the branch really has.
    let gh = GithubStandIn::start();
    gh.git()
        .commit_files("main", &[("README.md", b"x\n", false)], "Initial commit");
    let body = serde_json::json!({ "tree": [
        { "path": "plugin", "mode": "040000", "type": "tree", "sha": "1111111111111111111111111111111111111111" }
    ]});
    let url = format!("{}/repos/{}/git/trees", gh.api_url(), gh.repo_name());
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args(["-H", "Content-Type: application/json"])
        .args(["-H", &format!("Authorization: Bearer {}", gh.token())])
        .args(["--data", &body.to_string(), &url])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "422");
    assert_eq!(gh.violations(), Vec::<String>::new());
}
