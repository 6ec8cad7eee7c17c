//! The GitHub commands invoked as the UI invokes them, against the GitHub and OAuth stand-ins
//! (a real bare git repository behind GitHub's REST contract) and the Gram stand-in.

use std::sync::Arc;
use std::time::Duration;

use gram_admin_core::github::auth::DeviceFlow;
use gram_admin_core::secrets::{MemoryStore, SecretName, SecretStore};
use gram_admin_testkit::gram_api::{GramApi, ACME_SESSION};
use gram_admin_testkit::{Access, GithubStandIn, OAuthStandIn};
use serde_json::{json, Value};

use crate::ipc::Ui;

fn ui_for(github: &GithubStandIn, oauth_url: &str, store: Arc<MemoryStore>) -> Ui {
    Ui::with_github(
        store,
        None,
        &github.api_url(),
        DeviceFlow::new(oauth_url, "test-client").with_second(Duration::from_millis(5)),
    )
}

#[test]
fn a_pasted_token_is_checked_with_github_and_kept_in_the_keychain() {
    let github = GithubStandIn::start();
    let store = Arc::new(MemoryStore::new());
    let ui = ui_for(&github, "http://127.0.0.1:9", store.clone());
    assert_eq!(
        ui.invoke("github_status", json!({})).expect("status"),
        json!({ "state": "signed_out" })
    );

    let err = ui
        .invoke("github_sign_in_token", json!({ "token": "two words" }))
        .expect_err("not a token");
    assert_eq!(err["code"], "invalid_input", "{err}");
    assert_eq!(err["problems"][0]["field"], "token", "{err}");

    let err = ui
        .invoke("github_sign_in_token", json!({ "token": "ghp_wrong" }))
        .expect_err("refused");
    assert_eq!(err["code"], "github_not_signed_in", "{err}");
    assert!(store
        .get(SecretName::GithubToken)
        .expect("keychain")
        .is_none());

    let signed_in = ui
        .invoke("github_sign_in_token", json!({ "token": github.token() }))
        .expect("signed in");
    assert_eq!(
        signed_in,
        json!({ "state": "signed_in", "login": "acme", "source": "keychain" })
    );
    assert!(!signed_in.to_string().contains(&github.token()));
    assert_eq!(
        ui.invoke("github_status", json!({})).expect("status"),
        signed_in
    );

    ui.invoke("github_sign_out", json!({})).expect("signed out");
    assert!(store
        .get(SecretName::GithubToken)
        .expect("keychain")
        .is_none());
}

#[test]
fn the_device_flow_shows_a_code_then_keeps_the_token() {
    let github = GithubStandIn::start();
    let oauth = OAuthStandIn::start(
        1,
        900,
        vec![
            json!({ "error": "authorization_pending" }),
            json!({ "access_token": github.token(), "token_type": "bearer", "scope": "repo" }),
        ],
    );
    let store = Arc::new(MemoryStore::new());
    let ui = ui_for(&github, &oauth.url(), store.clone());
    let code = ui.invoke("github_device_start", json!({})).expect("code");
    assert_eq!(code["user_code"], "WDJB-MJHT");
    assert_eq!(code["verification_uri"], "https://github.com/login/device");
    assert!(code.get("device_code").is_none(), "{code}");
    let status = ui
        .invoke("github_device_finish", json!({}))
        .expect("signed in");
    assert_eq!(status["login"], "acme");
    assert_eq!(
        store
            .get(SecretName::GithubToken)
            .expect("keychain")
            .expect("kept")
            .expose(),
        &github.token()
    );
}

struct Publishing {
    _gram: gram_admin_testkit::GramStandIn,
    api: GramApi,
    github: GithubStandIn,
    ui: Ui,
}

fn publishing() -> Publishing {
    let (gram, api) = GramApi::acme();
    let github = GithubStandIn::start();
    let ui = ui_for(&github, "http://127.0.0.1:9", Arc::new(MemoryStore::new()));
    ui.invoke(
        "gram_sign_in",
        json!({ "server": api.url(), "session": ACME_SESSION }),
    )
    .expect("gram");
    ui.invoke("github_sign_in_token", json!({ "token": github.token() }))
        .expect("github");
    Publishing {
        _gram: gram,
        api,
        github,
        ui,
    }
}

impl Publishing {
    fn args(&self) -> Value {
        json!({
            "config": { "org_name": "Acme Corp", "server_url": self.api.url(), "project_slug": "default" },
            "repository": "acme/agent-plugins",
        })
    }
}

#[test]
fn publish_plans_then_commits_once_and_an_unchanged_republish_writes_nothing() {
    let p = publishing();
    let preview = p.ui.invoke("plan_publish", p.args()).expect("plan");
    assert_eq!(preview["new_key"], true, "no marketplace key yet");
    let added: Vec<&str> = preview["plan"]["added"]
        .as_array()
        .expect("added")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(added.contains(&"README.md"), "{added:?}");
    assert!(
        added.iter().any(|a| a.starts_with("payments/")),
        "{added:?}"
    );
    assert!(p.github.writes().is_empty(), "a plan writes nothing");
    assert!(p.api.live_keys().is_empty(), "a plan mints nothing");

    let outcome =
        p.ui.invoke("publish_marketplace", p.args())
            .expect("published");
    assert_eq!(outcome["changed"], true, "{outcome}");
    let commit = outcome["commit"].as_str().expect("commit");
    assert_eq!(p.github.head("main").as_deref(), Some(commit));
    assert!(outcome["url"].as_str().expect("url").ends_with(commit));
    assert_eq!(p.api.live_keys().len(), 1, "one marketplace key minted");

    let again = p.ui.invoke("plan_publish", p.args()).expect("plan");
    assert_eq!(again["new_key"], false);
    assert_eq!(again["plan"]["added"], json!([]), "{again}");
    assert_eq!(again["plan"]["changed"], json!([]), "{again}");
    assert_eq!(again["plan"]["removed"], json!([]), "{again}");
    p.github.clear_requests();
    let outcome =
        p.ui.invoke("publish_marketplace", p.args())
            .expect("republished");
    assert_eq!(outcome["changed"], false, "{outcome}");
    assert!(
        p.github.writes().is_empty(),
        "nothing to publish: no writes"
    );
    assert_eq!(p.api.live_keys().len(), 1, "the same key is reused");
}

#[test]
fn a_read_only_token_is_explained_and_no_key_is_left_behind() {
    let p = publishing();
    p.github.set_access(Access::ReadOnly);
    let err =
        p.ui.invoke("publish_marketplace", p.args())
            .expect_err("cannot push");
    assert_eq!(err["code"], "forbidden", "{err}");
    assert!(
        err["message"]
            .as_str()
            .expect("message")
            .contains("Contents: Read and write"),
        "{err}"
    );
    assert!(p.api.live_keys().is_empty(), "the minted key was revoked");
}

#[test]
fn publishing_needs_both_sign_ins() {
    let github = GithubStandIn::start();
    let ui = ui_for(&github, "http://127.0.0.1:9", Arc::new(MemoryStore::new()));
    let args = json!({
        "config": { "org_name": "Acme Corp", "server_url": "https://app.getgram.ai", "project_slug": "default" },
        "repository": "acme/agent-plugins",
    });
    let err = ui
        .invoke("plan_publish", args.clone())
        .expect_err("no Gram");
    assert_eq!(err["code"], "not_signed_in", "{err}");
    let (_gram, api) = GramApi::acme();
    ui.invoke(
        "gram_sign_in",
        json!({ "server": api.url(), "session": ACME_SESSION }),
    )
    .expect("gram");
    // Signed in, the form sends the account's server.
    let args = json!({
        "config": { "org_name": "Acme Corp", "server_url": api.url(), "project_slug": "default" },
        "repository": "acme/agent-plugins",
    });
    let err = ui.invoke("plan_publish", args).expect_err("no GitHub");
    assert_eq!(err["code"], "github_not_signed_in", "{err}");
}

#[test]
fn a_publish_cancelled_while_github_makes_it_wait_leaves_the_branch_and_revokes_its_key() {
    let p = publishing();
    let head = Some(p.github.git().commit_files(
        "main",
        &[("README.md", b"# Acme's plugins\n", false)],
        "Someone's README",
    ));
    assert_eq!(
        p.ui.invoke("cancel_publish", json!({})).expect("cancel"),
        json!(false),
        "nothing to cancel yet"
    );
    p.github.fault(
        "git/get-commit",
        gram_admin_testkit::Fault::RateLimited { retry_after: 30 },
    );
    let window = p.ui.window();
    let github = &p.github;
    let err = std::thread::scope(|s| {
        s.spawn(move || {
            // The publish is waiting out GitHub's 30 s once it has read the branch's commit.
            while !github.operations().iter().any(|op| op == "git/get-commit") {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(
                window.invoke("cancel_publish", json!({})).expect("cancel"),
                json!(true)
            );
        });
        p.ui.invoke("publish_marketplace", p.args())
            .expect_err("cancelled")
    });
    assert_eq!(err["code"], "cancelled", "{err}");
    assert_eq!(
        err["message"],
        "Publishing to acme/agent-plugins was cancelled before its branch moved: nothing was published."
    );
    assert_eq!(p.github.head("main"), head, "the branch did not move");
    assert!(p.github.writes().is_empty(), "{:?}", p.github.writes());
    assert_eq!(p.api.keys().len(), 1, "a key was minted for the publish");
    assert!(
        p.api.live_keys().is_empty(),
        "and revoked when it was cancelled"
    );
}
