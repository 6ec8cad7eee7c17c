//! The Gram commands invoked as the UI invokes them, against the Gram stand-in (checked against
//! Gram's published contract) with an in-memory keychain and a throwaway settings file.

use std::io::Read;
use std::sync::Arc;

use gram_admin_app::TEST_SAVE_PATH_ENV;
use gram_admin_core::secrets::{MemoryStore, SecretName, SecretStore};
use gram_admin_testkit::gram_api::{GramApi, ACME_EMAIL, ACME_SESSION};
use gram_admin_testkit::GramStandIn;
use serde_json::{json, Value};

use crate::ipc::Ui;

struct Desk {
    gram: GramStandIn,
    api: GramApi,
    store: Arc<MemoryStore>,
    dir: tempfile::TempDir,
    ui: Ui,
}

fn desk() -> Desk {
    let (gram, api) = GramApi::acme();
    let store = Arc::new(MemoryStore::new());
    let dir = tempfile::tempdir().expect("tmp");
    let ui = Ui::new(store.clone(), Some(dir.path().join("config.json")));
    Desk {
        gram,
        api,
        store,
        dir,
        ui,
    }
}

impl Desk {
    fn sign_in(&self) -> Value {
        self.ui
            .invoke(
                "gram_sign_in",
                json!({ "server": self.api.url(), "session": ACME_SESSION }),
            )
            .expect("signed in")
    }

    fn config(&self) -> Value {
        json!({ "org_name": "Acme Corp", "server_url": self.api.url(), "project_slug": "default" })
    }
}

#[test]
fn signing_in_keeps_the_session_in_the_keychain_and_shows_the_account_without_it() {
    let d = desk();
    assert_eq!(
        d.ui.invoke("gram_status", json!({})).expect("status"),
        json!({ "state": "signed_out", "server": null })
    );
    let account = d.sign_in();
    assert_eq!(account["email"], ACME_EMAIL);
    assert_eq!(account["organization"], "Acme Corp");
    assert_eq!(account["project"], "default", "the org's only project");
    assert!(!account.to_string().contains(ACME_SESSION), "{account}");
    let saved = d.store.get(SecretName::GramSession).expect("keychain");
    assert!(saved.expect("saved").expose().contains(ACME_SESSION));

    let status = d.ui.invoke("gram_status", json!({})).expect("status");
    assert_eq!(status["state"], "signed_in");
    assert_eq!(status["account"], account);
    assert!(!status.to_string().contains(ACME_SESSION));

    d.ui.invoke("gram_sign_out", json!({})).expect("signed out");
    assert!(d
        .store
        .get(SecretName::GramSession)
        .expect("keychain")
        .is_none());
    // Gram ended the session too: a copy kept anywhere (a cookie jar) no longer works.
    assert_eq!(
        d.gram
            .requests()
            .iter()
            .filter(|r| r.operation == "logout")
            .count(),
        1
    );
    assert!(!d.api.session_is_live(ACME_SESSION));
    assert_eq!(
        d.ui.invoke("gram_status", json!({})).expect("status")["state"],
        "signed_out"
    );
    assert!(d.gram.violations().is_empty(), "{:?}", d.gram.violations());
}

#[test]
fn a_session_gram_refuses_asks_to_sign_in_again_and_stores_nothing() {
    let d = desk();
    let err =
        d.ui.invoke(
            "gram_sign_in",
            json!({ "server": d.api.url(), "session": "not-a-session" }),
        )
        .expect_err("refused");
    assert_eq!(err["code"], "not_signed_in", "{err}");
    assert!(!err.to_string().contains("not-a-session"), "{err}");
    assert!(d
        .store
        .get(SecretName::GramSession)
        .expect("keychain")
        .is_none());

    let err =
        d.ui.invoke("list_app_keys", json!({}))
            .expect_err("nobody signed in");
    assert_eq!(err["code"], "not_signed_in", "{err}");
}

#[test]
fn an_unreachable_keychain_is_its_own_error_and_nothing_is_kept() {
    let (_gram, api) = GramApi::acme();
    let ui = Ui::new(Arc::new(MemoryStore::unavailable()), None);
    let err = ui
        .invoke(
            "gram_sign_in",
            json!({ "server": api.url(), "session": ACME_SESSION }),
        )
        .expect_err("no keychain");
    assert_eq!(err["code"], "keychain", "{err}");
}

#[test]
fn choosing_a_project_saves_it_and_an_unknown_one_is_refused() {
    let d = desk();
    d.sign_in();
    let account =
        d.ui.invoke("gram_choose_project", json!({ "slug": "default" }))
            .expect("chosen");
    assert_eq!(account["project"], "default");
    let settings = std::fs::read_to_string(d.dir.path().join("config.json")).expect("settings");
    assert!(settings.contains("\"default\""), "{settings}");
    assert!(!settings.contains(ACME_SESSION));
    let err =
        d.ui.invoke("gram_choose_project", json!({ "slug": "nope" }))
            .expect_err("unknown");
    assert!(
        err["message"].as_str().expect("message").contains("nope"),
        "{err}"
    );
}

#[test]
fn the_marketplace_carries_the_org_plugins_from_gram() {
    let d = desk();
    d.sign_in();
    let plugins = d.ui.invoke("org_plugins", json!({})).expect("plugins");
    let slugs: Vec<&str> = plugins
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(slugs, ["payments", "docs"]);
    let files =
        d.ui.invoke(
            "preview_marketplace",
            json!({ "config": d.config(), "repository": "acme/agent-plugins" }),
        )
        .expect("tree");
    let paths: Vec<&str> = files
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(
        paths.iter().any(|p| p.starts_with("payments/")),
        "{paths:?}"
    );
}

#[test]
fn download_mints_a_key_the_zip_carries_and_keys_can_revoke_it() {
    let d = desk();
    d.sign_in();
    assert_eq!(
        d.ui.invoke("list_app_keys", json!({})).expect("keys"),
        json!([])
    );

    let zip_path = d.dir.path().join("acme.zip");
    std::env::set_var(TEST_SAVE_PATH_ENV, &zip_path);
    let exported =
        d.ui.invoke(
            "export_plugin_zip",
            json!({ "config": d.config(), "platform": "codex" }),
        )
        .expect("exported");
    std::env::remove_var(TEST_SAVE_PATH_ENV);
    assert_eq!(exported["minted"], true, "{exported}");
    assert_eq!(exported["path"], zip_path.display().to_string());
    let live = d.api.live_keys();
    assert_eq!(live.len(), 1);
    assert_eq!(exported["key_prefix"], live[0].key_prefix.as_str());
    assert_eq!(exported["key_name"], live[0].name.as_str());
    assert!(live[0].name.starts_with("gram-admin-hooks-codex-"));
    assert_eq!(live[0].scopes, ["hooks"]);

    // The ZIP holds the minted key itself; the answer to the UI only its prefix.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("zip")).expect("ZIP");
    let mut all = String::new();
    for i in 0..zip.len() {
        zip.by_index(i)
            .expect("entry")
            .read_to_string(&mut all)
            .expect("text");
    }
    let plaintext = all
        .match_indices(live[0].key_prefix.as_str())
        .map(|(at, _)| &all[at..])
        .next()
        .expect("the key is in the ZIP");
    assert!(!exported.to_string().contains(&plaintext[..30]));

    let keys = d.ui.invoke("list_app_keys", json!({})).expect("keys");
    assert_eq!(keys.as_array().expect("list").len(), 1);
    let id = keys[0]["id"].as_str().expect("id").to_owned();
    let revoked =
        d.ui.invoke("revoke_app_key", json!({ "id": id }))
            .expect("revoked");
    assert_eq!(revoked["id"], id.as_str());
    assert!(d.api.live_keys().is_empty());
    assert_eq!(
        d.ui.invoke("list_app_keys", json!({})).expect("keys"),
        json!([])
    );

    let err =
        d.ui.invoke("revoke_app_key", json!({ "id": "someone-elses" }))
            .expect_err("not ours");
    assert_eq!(err["code"], "remote", "{err}");
}

#[test]
fn the_privacy_level_is_remembered_per_project_and_reaches_the_preview() {
    let d = desk();
    let level = |project: &str| {
        d.ui.invoke("content_level", json!({ "project": project }))
            .expect("level")
    };
    assert_eq!(level("default"), "full", "never chosen: full");
    d.ui.invoke(
        "set_content_level",
        json!({ "project": "default", "content": "metadata" }),
    )
    .expect("saved");
    assert_eq!(level("default"), "metadata");
    assert_eq!(level("other"), "full", "per project");
    let settings = std::fs::read_to_string(d.dir.path().join("config.json")).expect("settings");
    assert!(settings.contains("\"metadata\""), "{settings}");
    let err =
        d.ui.invoke(
            "set_content_level",
            json!({ "project": "default", "content": "everything" }),
        )
        .expect_err("not a level");
    assert!(err.to_string().contains("everything"), "{err}");
    // The level rides on the config every command takes: the preview's script names it.
    let files =
        d.ui.invoke(
            "preview_plugin",
            json!({ "config": {
                "org_name": "Acme Corp", "server_url": "https://app.getgram.ai",
                "project_slug": "default", "content": "metadata",
            }, "platform": "claude" }),
        )
        .expect("preview");
    let script = files
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"] == "hooks/gram-hook.sh")
        .expect("script");
    assert!(
        script["text"]
            .as_str()
            .is_some_and(|t| t.contains("# Privacy level: metadata (")),
        "{script}"
    );
}
