//! The publisher against the GitHub stand-in: every scenario ends with the branch at the old
//! commit or at a complete new one, checked with the real `git`.

use std::time::Duration;

use gram_admin_core::github::{
    GithubConnection, GithubError, GithubErrorCode, PublishEvent, PublishTarget, Publisher,
};
use gram_admin_core::{Bundle, FileMode, Sensitive};
use gram_admin_testkit::{Access, Fault, GithubSetup, GithubStandIn};
use serde_json::json;

use gram_admin_core::BranchName;

use crate::support::*;

/// The stand-in with an earlier publish of `before` on `main`.
fn published(before: &Bundle) -> (GithubStandIn, String) {
    let gh = GithubStandIn::start();
    let head = seed_with(&gh, before);
    (gh, head)
}

fn no_violations(gh: &GithubStandIn) {
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn unchanged_publish_reads_three_times_and_writes_nothing() {
    let bundle = marketplace_with(3);
    let (gh, head) = published(&bundle);
    let (publisher, events) = publisher(&gh);
    let out = block_on(publisher.publish(&target(&gh), &bundle)).unwrap();
    assert!(!out.changed);
    assert_eq!(out.commit, head);
    assert_eq!(
        gh.operations(),
        ["repos/get", "git/get-ref", "git/get-commit"]
    );
    assert!(gh.writes().is_empty());
    assert_eq!(gh.head("main").unwrap(), head);
    assert!(events
        .lock()
        .unwrap()
        .contains(&PublishEvent::Unchanged { commit: head }));
    no_violations(&gh);
}

#[test]
fn changed_publish_is_one_tree_one_commit_one_fast_forward() {
    let before = marketplace_with(3);
    let (gh, head) = published(&before);
    let after = marketplace_of(vec![
        plugin(0, "Tools."),
        plugin(1, "Changed."),
        plugin(2, "Tools."),
    ]);
    let (publisher, _) = publisher(&gh);
    let out = block_on(publisher.publish(&target(&gh), &after)).unwrap();
    assert!(out.changed);
    assert_eq!(
        gh.operations(),
        [
            "repos/get",
            "git/get-ref",
            "git/get-commit",
            "git/create-tree",
            "git/create-commit",
            "git/update-ref"
        ]
    );
    let writes = gh.writes();
    assert!(
        writes[0].json().get("base_tree").is_none(),
        "the tree replaces everything"
    );
    assert_eq!(writes[1].json()["parents"], json!([head]));
    assert_eq!(writes[2].json()["force"], json!(false));
    assert_eq!(gh.head("main").unwrap(), out.commit);
    assert!(out
        .url
        .ends_with(&format!("/acme/agent-plugins/commit/{}", out.commit)));
    assert_branch_holds(&gh, "main", &after);
    no_violations(&gh);
}

#[test]
fn a_removed_plugin_disappears_from_the_branch() {
    let before = marketplace_with(3);
    let (gh, _) = published(&before);
    let after = marketplace_with(2);
    let (publisher, _) = publisher(&gh);
    block_on(publisher.publish(&target(&gh), &after)).unwrap();
    assert_branch_holds(&gh, "main", &after);
    let listing = gh.git().git(&["ls-tree", "-r", "--name-only", "main"]);
    assert!(!listing.contains("feature-2"), "{listing}");
    no_violations(&gh);
}

#[test]
fn first_publish_onto_an_existing_history_keeps_it() {
    let gh = GithubStandIn::start();
    let initial = gh.git().commit_files(
        "main",
        &[("README.md", b"# hello\n", false)],
        "Initial commit",
    );
    let bundle = marketplace_with(2);
    let (publisher, _) = publisher(&gh);
    let out = block_on(publisher.publish(&target(&gh), &bundle)).unwrap();
    assert_branch_holds(&gh, "main", &bundle);
    let parent = gh.git().git(&["rev-parse", &format!("{}^", out.commit)]);
    assert_eq!(parent.trim(), initial);
    no_violations(&gh);
}

#[test]
fn an_empty_repository_is_seeded_once_then_published() {
    let gh = GithubStandIn::start();
    let bundle = marketplace_with(2);
    let (publisher, _) = publisher(&gh);
    let out = block_on(publisher.publish(&target(&gh), &bundle)).unwrap();
    assert!(out.seeded && out.changed);
    let ops = gh.operations();
    assert_eq!(
        ops.iter()
            .filter(|o| *o == "repos/create-or-update-file-contents")
            .count(),
        1,
        "{ops:?}"
    );
    assert_branch_holds(&gh, "main", &bundle);
    assert_eq!(gh.git().git(&["rev-list", "--count", "main"]).trim(), "2");
    no_violations(&gh);
}

#[test]
fn a_missing_repository_is_explained_and_created_only_when_asked() {
    let gh = GithubStandIn::missing();
    let bundle = marketplace_with(1);
    let (publisher, _) = publisher(&gh);
    let err = block_on(publisher.publish(&target(&gh), &bundle)).unwrap_err();
    assert_eq!(err.code(), GithubErrorCode::NotFound);
    assert!(
        err.to_string().contains("--create") && err.to_string().contains("fine-grained"),
        "{err}"
    );
    assert!(gh.writes().is_empty());
    assert!(!gh.repo_exists());

    let mut t = target(&gh);
    t.create = true;
    let out = block_on(publisher.publish(&t, &bundle)).unwrap();
    assert!(out.created_repository && out.seeded);
    assert!(gh.repo_exists());
    let create = gh
        .writes()
        .into_iter()
        .find(|r| r.operation == "repos/create-for-authenticated-user")
        .unwrap();
    assert_eq!(create.json()["private"], json!(true));
    assert_branch_holds(&gh, "main", &bundle);
    no_violations(&gh);
}

#[test]
fn a_repository_of_another_owner_is_created_in_that_organisation() {
    let gh = GithubStandIn::with(GithubSetup {
        exists: false,
        login: "octo-admin".into(),
        ..GithubSetup::default()
    });
    let (publisher, _) = publisher(&gh);
    let mut t = target(&gh);
    t.create = true;
    block_on(publisher.publish(&t, &marketplace_with(1))).unwrap();
    assert!(gh.operations().contains(&"repos/create-in-org".to_owned()));
    no_violations(&gh);
}

#[test]
fn a_push_by_someone_else_is_kept_and_the_rebuilt_commit_lands_on_it() {
    let before = marketplace_with(2);
    let (gh, head) = published(&before);
    gh.fault(
        "git/update-ref",
        Fault::Before(Box::new(|repo| {
            repo.push_file("main", "THEIRS.md", b"their change\n");
        })),
    );
    let after = marketplace_with(3);
    let (publisher, events) = publisher(&gh);
    let out = block_on(publisher.publish(&target(&gh), &after)).unwrap();
    assert_eq!(out.attempts, 2);
    assert!(events
        .lock()
        .unwrap()
        .contains(&PublishEvent::Conflict { attempt: 2 }));
    // Their commit is the parent of ours; ours holds exactly the render.
    let parent = gh.git().git(&["rev-parse", &format!("{}^", out.commit)]);
    let theirs = gh.git().git(&["log", "-1", "--format=%s", parent.trim()]);
    assert_eq!(theirs.trim(), "Someone else's change");
    gh.git()
        .git(&["merge-base", "--is-ancestor", &head, &out.commit]);
    assert_branch_holds(&gh, "main", &after);
    // The tree was uploaded once; only the commit and the ref update were redone.
    let ops = gh.operations();
    assert_eq!(
        ops.iter().filter(|o| *o == "git/create-tree").count(),
        1,
        "{ops:?}"
    );
    no_violations(&gh);
}

#[test]
fn someone_pushing_every_time_gives_up_after_three_tries() {
    let before = marketplace_with(1);
    let (gh, _) = published(&before);
    for i in 0..3 {
        gh.fault(
            "git/update-ref",
            Fault::Before(Box::new(move |repo| {
                repo.push_file("main", &format!("THEIRS-{i}.md"), b"x\n");
            })),
        );
    }
    let (publisher, _) = publisher(&gh);
    let err = block_on(publisher.publish(&target(&gh), &marketplace_with(2))).unwrap_err();
    assert_eq!(err.code(), GithubErrorCode::Conflict);
    assert!(err.to_string().contains("3 times"), "{err}");
    let listing = gh.git().git(&["ls-tree", "--name-only", "main"]);
    assert!(
        listing.contains("THEIRS-2.md"),
        "their last push is the branch: {listing}"
    );
    no_violations(&gh);
}

#[test]
fn a_read_only_token_is_told_which_permission_to_grant_before_any_write() {
    let (gh, head) = published(&marketplace_with(1));
    gh.set_access(Access::ReadOnly);
    let (publisher, _) = publisher(&gh);
    let err = block_on(publisher.publish(&target(&gh), &marketplace_with(2))).unwrap_err();
    assert_eq!(err.code(), GithubErrorCode::Forbidden);
    assert!(
        err.to_string().contains("Contents: Read and write"),
        "{err}"
    );
    assert!(gh.writes().is_empty());
    assert_eq!(gh.head("main").unwrap(), head);
    let err = block_on(publisher.check_access(&target(&gh).repo)).unwrap_err();
    assert!(matches!(err, GithubError::NoPush { .. }));
    no_violations(&gh);
}

#[test]
fn a_fine_grained_token_that_cannot_see_the_repository_is_explained() {
    let (gh, _) = published(&marketplace_with(1));
    gh.set_access(Access::Invisible);
    let (publisher, _) = publisher(&gh);
    let err = block_on(publisher.check_access(&target(&gh).repo)).unwrap_err();
    assert_eq!(err.code(), GithubErrorCode::NotFound);
    assert!(
        err.to_string().contains("fine-grained token answers 404"),
        "{err}"
    );
    no_violations(&gh);
}

#[test]
fn a_revoked_token_says_sign_in_again_and_never_shows_the_token() {
    let (gh, head) = published(&marketplace_with(1));
    let bad = format!("revoked-{}", std::process::id());
    let (publisher, _) = publisher_with_token(&gh, bad.clone());
    let err = block_on(publisher.publish(&target(&gh), &marketplace_with(2))).unwrap_err();
    assert_eq!(err.code(), GithubErrorCode::SignIn);
    assert!(err.to_string().contains("github login"));
    assert!(!err.to_string().contains(&bad) && !format!("{err:?}{publisher:?}").contains(&bad));
    assert_eq!(gh.head("main").unwrap(), head);
    no_violations(&gh);
}

#[test]
fn a_429_with_retry_after_is_waited_out_and_reported() {
    let (gh, _) = published(&marketplace_with(1));
    gh.fault("git/create-commit", Fault::RateLimited { retry_after: 1 });
    let (publisher, events) = publisher(&gh);
    let started = std::time::Instant::now();
    let after = marketplace_with(2);
    block_on(publisher.publish(&target(&gh), &after)).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, PublishEvent::Waiting { seconds: 1, .. })));
    let commits = gh
        .requests()
        .into_iter()
        .filter(|r| r.operation == "git/create-commit")
        .count();
    assert_eq!(commits, 2, "sent again once, after the wait");
    assert_branch_holds(&gh, "main", &after);
    no_violations(&gh);
}

#[test]
fn a_rate_limit_beyond_the_cap_stops_before_writing_and_says_when() {
    let (gh, head) = published(&marketplace_with(1));
    gh.fault("git/get-commit", Fault::RateLimitReset { in_seconds: 3600 });
    let (publisher, _) = publisher(&gh);
    let err = block_on(publisher.publish(&target(&gh), &marketplace_with(2))).unwrap_err();
    assert_eq!(err.code(), GithubErrorCode::RateLimited);
    assert!(
        err.to_string().contains("60 min") || err.to_string().contains("61 min"),
        "{err}"
    );
    assert!(gh.writes().is_empty());
    assert_eq!(gh.head("main").unwrap(), head);
    no_violations(&gh);
}

/// 5xx on each step: safe steps are retried and the publish lands; an unsafe one (the commit)
/// is not re-sent and the branch stays where it was.
#[test]
fn a_server_error_on_each_step_leaves_the_old_or_a_complete_new_commit() {
    let before = marketplace_with(2);
    let after = marketplace_with(3);
    for op in [
        "repos/get",
        "git/get-ref",
        "git/get-commit",
        "git/create-tree",
        "git/create-commit",
        "git/update-ref",
    ] {
        let (gh, head) = published(&before);
        gh.fault(op, Fault::Status(502, json!({ "message": "Server Error" })));
        let (publisher, _) = publisher(&gh);
        let result = block_on(publisher.publish(&target(&gh), &after));
        let sent = gh
            .requests()
            .into_iter()
            .filter(|r| r.operation == op)
            .count();
        match op {
            "git/create-commit" => {
                let err = result.expect_err(op);
                assert_eq!(err.code(), GithubErrorCode::Unavailable, "{op}");
                assert_eq!(sent, 1, "{op}: a commit is never re-sent blindly");
                assert_eq!(gh.head("main").unwrap(), head, "{op}");
            }
            _ => {
                let out = result.unwrap_or_else(|e| panic!("{op}: {e}"));
                assert_eq!(sent, 2, "{op}");
                assert_eq!(gh.head("main").unwrap(), out.commit, "{op}");
                assert_branch_holds(&gh, "main", &after);
            }
        }
        no_violations(&gh);
    }
}

/// The connection breaks after GitHub did each write: the publisher finds out what happened
/// and the branch ends at the old commit or at a complete new one.
#[test]
fn a_connection_lost_after_each_write_never_leaves_the_branch_half_updated() {
    let before = marketplace_with(2);
    let mut after = marketplace_with(3);
    after
        .insert("big/data.bin", vec![0xffu8; 70 * 1024], FileMode::Regular)
        .unwrap();
    for op in [
        "git/create-blob",
        "git/create-tree",
        "git/create-commit",
        "git/update-ref",
    ] {
        let (gh, head) = published(&before);
        gh.fault(op, Fault::DropAfter);
        let (publisher, _) = publisher(&gh);
        let result = block_on(publisher.publish(&target(&gh), &after));
        let now = gh.head("main").unwrap();
        match result {
            Ok(out) => {
                assert_eq!(now, out.commit, "{op}");
                assert_branch_holds(&gh, "main", &after);
            }
            Err(e) => {
                assert_eq!(
                    op, "git/create-commit",
                    "only a lost commit answer stops the publish: {e}"
                );
                assert_eq!(now, head, "{op}");
                assert_eq!(e.code(), GithubErrorCode::Unavailable);
            }
        }
        no_violations(&gh);
    }
    // Seeding an empty repository and creating a missing one.
    for op in [
        "repos/create-or-update-file-contents",
        "repos/create-for-authenticated-user",
    ] {
        let gh = if op.starts_with("repos/create-for") {
            GithubStandIn::missing()
        } else {
            GithubStandIn::start()
        };
        gh.fault(op, Fault::DropAfter);
        let (publisher, _) = publisher(&gh);
        let mut t = target(&gh);
        t.create = true;
        let out = block_on(publisher.publish(&t, &after)).unwrap_or_else(|e| panic!("{op}: {e}"));
        assert_eq!(gh.head("main").unwrap(), out.commit, "{op}");
        assert_branch_holds(&gh, "main", &after);
        let sent = gh
            .requests()
            .into_iter()
            .filter(|r| r.operation == op)
            .count();
        assert_eq!(sent, 1, "{op}: checked, not re-sent");
        no_violations(&gh);
    }
}

#[test]
fn large_and_binary_files_are_uploaded_as_blobs_and_the_rest_inline() {
    let (gh, _) = published(&marketplace_with(1));
    let mut after = marketplace_with(1);
    after
        .insert(
            "assets/logo.png",
            vec![0x89, b'P', b'N', b'G', 0, 0xff],
            FileMode::Regular,
        )
        .unwrap();
    after
        .insert("docs/big.md", "x".repeat(65 * 1024 + 1), FileMode::Regular)
        .unwrap();
    let (publisher, _) = publisher(&gh);
    block_on(publisher.publish(&target(&gh), &after)).unwrap();
    let blobs = gh
        .requests()
        .into_iter()
        .filter(|r| r.operation == "git/create-blob")
        .count();
    assert_eq!(blobs, 2);
    let tree = gh
        .writes()
        .into_iter()
        .find(|r| r.operation == "git/create-tree")
        .unwrap()
        .json();
    let script = tree["tree"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("gram-hook.sh"))
        .unwrap()
        .clone();
    assert_eq!(script["mode"], "100755");
    assert!(script.get("content").is_some());
    assert_branch_holds(&gh, "main", &after);
    no_violations(&gh);
}

#[test]
fn github_enterprise_is_another_base_url() {
    let gh = GithubStandIn::with(GithubSetup {
        prefix: "/api/v3".into(),
        ..GithubSetup::default()
    });
    seed_with(&gh, &marketplace_with(1));
    assert!(gh.api_url().ends_with("/api/v3"));
    let (publisher, _) = publisher(&gh);
    let after = marketplace_with(2);
    let out = block_on(publisher.publish(&target(&gh), &after)).unwrap();
    assert!(out.changed);
    assert_branch_holds(&gh, "main", &after);
    no_violations(&gh);
}

#[test]
fn a_chosen_branch_is_created_then_fast_forwarded_and_main_is_untouched() {
    let (gh, main) = published(&marketplace_with(1));
    let (publisher, _) = publisher(&gh);
    let t = target(&gh).with_branch(Some(BranchName::parse("marketplace/v1").unwrap()));
    let first = block_on(publisher.publish(&t, &marketplace_with(2))).unwrap();
    assert!(gh.operations().contains(&"git/create-ref".to_owned()));
    assert_eq!(gh.head("marketplace/v1").unwrap(), first.commit);
    assert_eq!(
        gh.git()
            .git(&["rev-parse", &format!("{}^", first.commit)])
            .trim(),
        main,
        "the new branch starts on main's head, so a pull request can be opened from it"
    );
    assert_branch_holds(&gh, "marketplace/v1", &marketplace_with(2));
    let second = block_on(publisher.publish(&t, &marketplace_with(3))).unwrap();
    assert_eq!(
        gh.git()
            .git(&["rev-parse", &format!("{}^", second.commit)])
            .trim(),
        first.commit
    );
    assert_branch_holds(&gh, "marketplace/v1", &marketplace_with(3));
    assert_eq!(gh.head("main").unwrap(), main);
    assert!(BranchName::parse("bad branch").is_err());
    no_violations(&gh);
}

#[test]
fn the_plan_lists_added_changed_removed_with_masked_diffs_and_writes_nothing() {
    let before = marketplace_with(3);
    let (gh, head) = published(&before);
    let after = marketplace_of(vec![
        plugin(0, "Tools."),
        plugin(1, "Changed."),
        plugin(3, "New."),
    ]);
    let (publisher, _) = publisher(&gh);
    let plan = block_on(publisher.plan(&target(&gh), &after)).unwrap();
    assert!(gh.writes().is_empty());
    assert_eq!(plan.head.as_deref(), Some(head.as_str()));
    assert!(!plan.is_unchanged());
    assert!(
        plan.added.iter().any(|f| f.path.starts_with("feature-3/")),
        "{:?}",
        plan.added
    );
    assert!(
        plan.removed
            .iter()
            .any(|f| f.path.starts_with("feature-2/")),
        "{:?}",
        plan.removed
    );
    let readme = plan
        .changed
        .iter()
        .find(|f| f.path == "README.md")
        .expect("README changes");
    let diff = readme.diff.as_deref().unwrap();
    assert!(
        diff.starts_with("--- a/README.md\n+++ b/README.md\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+| Feature 1 ") && diff.contains("Changed\\."),
        "{diff}"
    );
    let key = gram_admin_testkit::fixtures::test_key_text();
    for change in plan.changed.iter().chain(&plan.added) {
        assert!(!change.diff.as_deref().unwrap_or("").contains(&key));
    }
    assert_eq!(plan.can_push, Some(true));

    // Unchanged: an empty plan.
    let plan = block_on(publisher.plan(&target(&gh), &before)).unwrap();
    assert!(plan.is_unchanged(), "{plan:?}");
    assert_eq!(plan.unchanged_files, before.len());
    assert!(gh.writes().is_empty());
    no_violations(&gh);
}

#[test]
fn a_key_change_shows_in_the_plan_masked() {
    let before = marketplace_with(1);
    let (gh, _) = published(&before);
    let other_key = format!("gram_live_{}", "fedcba9876543210".repeat(4));
    let spec = gram_admin_core::MarketplaceSpec {
        plugins: vec![plugin(0, "Tools.")],
        repository: Some("acme/agent-plugins".into()),
    };
    let key = gram_admin_core::HooksKey::parse(&other_key).unwrap();
    let after = gram_admin_core::render::marketplace_for(
        &gram_admin_testkit::fixtures::acme_org(GRAM),
        &key,
        &spec,
    )
    .unwrap();
    let (publisher, _) = publisher(&gh);
    let plan = block_on(publisher.plan(&target(&gh), &after)).unwrap();
    let curlrc = plan
        .changed
        .iter()
        .find(|c| c.path.ends_with("gram-hook.curlrc"))
        .expect("the key file changes");
    let diff = curlrc.diff.as_deref().unwrap();
    assert!(
        diff.contains("gram_live_fedcb…") && !diff.contains(&other_key),
        "{diff}"
    );
    assert!(
        !diff.contains(&gram_admin_testkit::fixtures::test_key_text()),
        "{diff}"
    );
    no_violations(&gh);
}

#[test]
fn the_stand_in_catches_a_misspelt_field_that_github_would_ignore() {
    let (gh, _) = published(&marketplace_with(1));
    // Sent raw, as a client with a typo would.
    let body = json!({ "tree": [], "base_tre": "abc" });
    let status = block_on(async {
        reqwest::Client::new()
            .post(format!(
                "{}/repos/acme/agent-plugins/git/trees",
                gh.api_url()
            ))
            .bearer_auth(gh.token())
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 422);
    let violations = gh.take_violations();
    assert!(
        violations.iter().any(|v| v.contains("base_tre")),
        "{violations:?}"
    );
}

#[test]
fn publisher_debug_never_shows_the_token() {
    let token = format!("secret-{}", std::process::id());
    let p = Publisher::new(GithubConnection::new(
        "https://api.github.com",
        Sensitive::new(token.clone()),
    ))
    .unwrap();
    assert!(!format!("{p:?}").contains(&token));
    let bad = Publisher::new(GithubConnection::new("ftp://x", Sensitive::new(token))).unwrap_err();
    assert!(bad.to_string().contains("https://api.github.com"));
}

#[test]
fn a_public_repository_is_refused_before_anything_is_written_unless_the_admin_allows_it() {
    let (gh, main) = published(&marketplace_with(1));
    gh.set_private(false);
    gh.clear_requests();
    let (publisher, _) = publisher(&gh);
    let err = block_on(publisher.publish(&target(&gh), &marketplace_with(2))).unwrap_err();
    assert_eq!(err.code(), GithubErrorCode::Forbidden, "{err}");
    assert!(
        err.to_string().starts_with(&format!(
            "{} is public: every observability plugin in it carries your organization's hooks key",
            gh.repo_name()
        )),
        "{err}"
    );
    assert!(
        err.to_string().contains("Make the repository private"),
        "{err}"
    );
    assert!(gh.writes().is_empty(), "nothing written: {:?}", gh.writes());
    assert_eq!(gh.head("main").unwrap(), main);

    let allowed = PublishTarget {
        allow_public: true,
        ..target(&gh)
    };
    let out = block_on(publisher.publish(&allowed, &marketplace_with(2))).unwrap();
    assert!(out.changed);
    assert_branch_holds(&gh, "main", &marketplace_with(2));
    no_violations(&gh);
}
