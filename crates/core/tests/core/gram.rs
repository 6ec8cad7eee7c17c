//! The Gram client, sign-in and the hooks key's lifecycle against a stateful Gram stand-in
//! (crates/testkit gram_api): every request and answer checked against the contract, and every
//! fault test ends by asserting Gram's key table.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use gram_admin_core::gram::session::{self, Overrides};
use gram_admin_core::gram::{
    export_with_minted_key, ExportError, GramClient, GramError, SignedIn, Timeouts, ZipDestination,
};
use gram_admin_core::net::Network;
use gram_admin_core::secrets::{MemoryStore, SecretName, SecretStore};
use gram_admin_core::{render, Platform, Sensitive};
use gram_admin_testkit::fixtures::{self, acme_config};
use gram_admin_testkit::gram_api::{AfterEffect, GramApi, KeyRow, ACME_EMAIL, ACME_SESSION};
use gram_admin_testkit::{closed_port, Answer, GramStandIn, HungServer};

fn session() -> Sensitive<String> {
    Sensitive::new(ACME_SESSION.to_owned())
}

fn quick() -> Timeouts {
    Timeouts {
        connect: Duration::from_millis(500),
        total: Duration::from_millis(400),
        retry_backoff: Duration::from_millis(50),
    }
}

async fn account(gram: &GramStandIn) -> SignedIn {
    let client =
        GramClient::with_timeouts(&fixtures::server(&gram.url()), &Network::system(), quick())
            .expect("client");
    SignedIn::verify(client, session())
        .await
        .expect("signed in")
}

/// Mint → render → write, as the CLI's export and the app's Export button do.
async fn export(account: &SignedIn, dest: &Path) -> Result<(), ExportError> {
    let dest = ZipDestination::check(dest).map_err(|e| GramError::Account(e.to_string()))?;
    let config = acme_config(account.server().as_str());
    export_with_minted_key(account, Platform::Claude, &dest, |key| {
        render::observability_plugin_for(&config, key, Platform::Claude)
    })
    .await
    .map(drop)
}

fn calls(gram: &GramStandIn, op: &str) -> usize {
    gram.requests().iter().filter(|r| r.operation == op).count()
}

fn no_violations(gram: &GramStandIn) {
    assert_eq!(gram.violations(), Vec::<String>::new());
}

/// The plaintext keys inside a ZIP (`gram_<env>_` + 64 hex anywhere in its files).
fn keys_in_zip(path: &Path) -> Vec<String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).expect("zip")).expect("a ZIP");
    let mut found = Vec::new();
    for i in 0..zip.len() {
        let mut text = String::new();
        zip.by_index(i)
            .expect("entry")
            .read_to_string(&mut text)
            .expect("text");
        for (at, _) in text.match_indices("gram_local_") {
            let candidate = &text[at..(at + 75).min(text.len())];
            if candidate.len() == 75 && candidate[11..].bytes().all(|b| b.is_ascii_hexdigit()) {
                found.push(candidate.to_owned());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn only_key(api: &GramApi) -> KeyRow {
    let keys = api.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    keys.into_iter().next().expect("one key")
}

#[tokio::test]
async fn auth_info_names_the_account_and_every_call_carries_session_and_user_agent() {
    let (gram, _api) = GramApi::acme();
    let account = account(&gram).await;
    assert_eq!(account.info().user_email, ACME_EMAIL);
    assert_eq!(account.organization().expect("org").name, "Acme Corp");
    assert_eq!(account.project(None).expect("project").slug, "default");
    let info = &gram.requests()[0];
    assert_eq!(info.operation, "sessionInfo");
    assert_eq!(info.header("Gram-Session"), Some(ACME_SESSION));
    assert_eq!(
        info.header("User-Agent"),
        Some(format!("gram-admin/{}", env!("CARGO_PKG_VERSION")).as_str())
    );
    // The session never shows in Debug output.
    assert!(!format!("{account:?}").contains(ACME_SESSION));
    no_violations(&gram);
}

#[tokio::test]
async fn a_refused_session_is_not_signed_in_and_names_the_fix() {
    let (gram, _api) = GramApi::acme();
    let client =
        GramClient::new(&fixtures::server(&gram.url()), &Network::system()).expect("client");
    let err = SignedIn::verify(client, Sensitive::new("stale-session".into()))
        .await
        .expect_err("refused");
    assert!(err.needs_sign_in());
    assert_eq!(
        err.to_string(),
        format!(
            "Gram at {0} says you are not signed in — sign in again.",
            gram.url()
        )
    );
    assert!(!err.to_string().contains("stale-session"));
    no_violations(&gram);
}

#[tokio::test]
async fn several_projects_need_a_choice_and_the_error_lists_them() {
    let (gram, api) = GramApi::acme();
    api.add_project("staging", "Staging");
    let account = account(&gram).await;
    let err = account.project(None).expect_err("ambiguous").to_string();
    assert_eq!(
        err,
        "The organization \"Acme Corp\" has several projects (default, staging); choose the one hook events go to."
    );
    assert_eq!(
        account.project(Some("staging")).expect("chosen").slug,
        "staging"
    );
    let err = account
        .project(Some("prod"))
        .expect_err("unknown")
        .to_string();
    assert!(
        err.contains("has no project \"prod\"; its projects are: default, staging."),
        "{err}"
    );
    no_violations(&gram);
}

#[tokio::test]
async fn mint_list_and_revoke_only_touch_gram_admin_keys() {
    let (gram, api) = GramApi::acme();
    let foreign = api.add_foreign_key("ci-deploy");
    let account = account(&gram).await;
    let minted = account
        .mint_hooks_key(Platform::Cursor)
        .await
        .expect("minted");
    assert!(
        minted.record.name.starts_with("gram-admin-hooks-cursor-"),
        "{}",
        minted.record.name
    );
    assert_eq!(minted.record.scopes, ["hooks"]);
    let row = api
        .live_key(minted.key.expose())
        .expect("the plaintext is a live key");
    assert_eq!(row.id, minted.record.id);
    assert_eq!(row.key_prefix, minted.key.prefix());
    assert!(!format!("{minted:?}").contains(&minted.key.expose()[16..]));

    let listed = account.app_keys().await.expect("listed");
    assert_eq!(
        listed.iter().map(|k| &k.id).collect::<Vec<_>>(),
        [&minted.record.id]
    );

    let err = account
        .revoke_app_key(&foreign.id)
        .await
        .expect_err("not ours");
    assert!(err.to_string().contains("minted by gram-admin"), "{err}");
    let revoked = account
        .revoke_app_key(&minted.record.id)
        .await
        .expect("revoked");
    assert_eq!(revoked.name, minted.record.name);
    assert!(api.live_key(minted.key.expose()).is_none());
    assert_eq!(api.live_keys(), [foreign]);
    no_violations(&gram);
}

#[tokio::test]
async fn projects_list_asks_for_the_organization_by_id() {
    let (gram, api) = GramApi::acme();
    api.add_project("staging", "Staging");
    let account = account(&gram).await;
    let org = account.organization().expect("org").id.clone();
    let projects = account
        .client()
        .list_projects(account.session(), &org)
        .await
        .expect("projects");
    let slugs: Vec<&str> = projects.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs, ["default", "staging"]);
    let request = gram.requests().into_iter().last().expect("a request");
    assert_eq!(request.operation, "listProjects");
    assert_eq!(request.query(), [("organization_id".to_owned(), org)]);
    no_violations(&gram);
}

#[tokio::test]
async fn export_writes_a_zip_whose_key_is_the_live_key_on_gram() {
    let (gram, api) = GramApi::acme();
    let tmp = tempfile::tempdir().expect("tmp");
    let dest = tmp.path().join("acme-claude.zip");
    let started = Instant::now();
    let account = account(&gram).await;
    export(&account, &dest).await.expect("exported");
    let elapsed = started.elapsed();
    eprintln!("export (auth.info + keys.create + render + zip) took {elapsed:?}");
    let key = only_key(&api);
    assert!(key.is_live());
    let in_zip = keys_in_zip(&dest);
    assert_eq!(in_zip.len(), 1, "{in_zip:?}");
    assert_eq!(api.live_key(&in_zip[0]).map(|k| k.id), Some(key.id));
    no_violations(&gram);
}

// ---- faults: each ends with Gram's key table ----

#[tokio::test]
async fn a_401_in_the_middle_of_an_export_mints_nothing_and_writes_nothing() {
    let (gram, api) = GramApi::acme();
    let tmp = tempfile::tempdir().expect("tmp");
    let dest = tmp.path().join("acme.zip");
    let account = account(&gram).await;
    api.end_session(ACME_SESSION); // signed out elsewhere after the window opened
    let err = export(&account, &dest).await.expect_err("401");
    assert!(
        matches!(err, ExportError::Gram(ref e) if e.needs_sign_in()),
        "{err}"
    );
    assert!(api.keys().is_empty());
    assert!(!dest.exists());
    no_violations(&gram);
}

#[tokio::test]
async fn a_temporary_500_is_retried_once_then_succeeds() {
    let (gram, api) = GramApi::acme();
    gram.expect(
        "createAPIKey",
        Answer::error(500, "unexpected", "database busy"),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let account = account(&gram).await;
    export(&account, &tmp.path().join("acme.zip"))
        .await
        .expect("retried");
    assert_eq!(calls(&gram, "createAPIKey"), 2);
    assert!(only_key(&api).is_live());
    no_violations(&gram);
}

#[tokio::test]
async fn a_temporary_500_twice_is_an_error_and_mints_nothing() {
    let (gram, api) = GramApi::acme();
    gram.expect(
        "createAPIKey",
        Answer::error(500, "unexpected", "database busy"),
    )
    .expect(
        "createAPIKey",
        Answer::error(500, "unexpected", "database busy"),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let dest = tmp.path().join("acme.zip");
    let account = account(&gram).await;
    let err = export(&account, &dest)
        .await
        .expect_err("still failing")
        .to_string();
    assert_eq!(
        err,
        "Gram failed while minting an API key (keys.create): database busy (HTTP 500, unexpected, still failing after a retry)."
    );
    assert_eq!(calls(&gram, "createAPIKey"), 2, "retried exactly once");
    assert!(api.keys().is_empty());
    assert!(!dest.exists());
    no_violations(&gram);
}

#[tokio::test]
async fn a_permanent_error_is_not_retried() {
    let (gram, api) = GramApi::acme();
    gram.expect(
        "createAPIKey",
        Answer::Json(
            400,
            serde_json::json!({"name": "bad_request", "id": "x", "message": "nope", "temporary": false, "timeout": false, "fault": false}),
        ),
    );
    let account = account(&gram).await;
    let err = account
        .mint_hooks_key(Platform::Codex)
        .await
        .expect_err("400");
    assert!(
        matches!(err, GramError::Refused { status: 400, .. }),
        "{err}"
    );
    assert_eq!(calls(&gram, "createAPIKey"), 1);
    assert!(api.keys().is_empty());
    no_violations(&gram);
}

#[tokio::test]
async fn a_timeout_after_gram_minted_leaves_no_live_key() {
    let (gram, api) = GramApi::acme();
    api.fail_after_effect(
        "createAPIKey",
        AfterEffect::Delay(Duration::from_millis(1500)),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let dest = tmp.path().join("acme.zip");
    let account = account(&gram).await;
    let err = export(&account, &dest)
        .await
        .expect_err("timed out")
        .to_string();
    assert_eq!(
        err,
        format!(
            "Gram at {} did not answer within 0.4 s while minting an API key; check your connection or try again later.",
            gram.url()
        )
    );
    let key = only_key(&api);
    assert!(
        !key.is_live(),
        "the key Gram made is found by name and revoked"
    );
    assert!(!dest.exists());
    no_violations(&gram);
}

#[tokio::test]
async fn a_gram_that_never_answers_times_out_with_a_sentence() {
    let hung = HungServer::start();
    let client =
        GramClient::with_timeouts(&fixtures::server(&hung.url()), &Network::system(), quick())
            .expect("client");
    let started = Instant::now();
    let err = client.info(&session()).await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(err, GramError::Timeout { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("did not answer within 0.4 s while checking who is signed in"),
        "{err}"
    );
}

#[tokio::test]
async fn a_gram_that_is_down_is_unreachable_with_the_cause() {
    let url = closed_port();
    let err = GramClient::new(&fixtures::server(&url), &Network::system())
        .expect("client")
        .info(&session())
        .await
        .expect_err("down");
    assert_eq!(
        err.to_string(),
        format!("Could not reach Gram at {url} while checking who is signed in (Connection refused (os error 111)); check the server URL and your connection.")
    );
}

#[tokio::test]
async fn malformed_json_is_a_clear_error_naming_the_operation() {
    let (gram, api) = GramApi::acme();
    gram.expect("sessionInfo", Answer::Raw(200, b"{\"user_id\": ".to_vec()));
    gram.expect(
        "sessionInfo",
        Answer::Json(200, serde_json::json!({"user_id": "u"})),
    );
    let client =
        GramClient::new(&fixtures::server(&gram.url()), &Network::system()).expect("client");
    let err = client
        .info(&session())
        .await
        .expect_err("malformed")
        .to_string();
    assert!(
        err.starts_with(
            "Gram's answer to auth.info was not understood (not JSON: EOF while parsing"
        ),
        "{err}"
    );
    let err = client
        .info(&session())
        .await
        .expect_err("missing fields")
        .to_string();
    assert!(
        err.contains("auth.info was not understood (missing field `user_email`"),
        "{err}"
    );
    gram.take_violations(); // the second answer breaks the contract on purpose
    assert!(api.keys().is_empty());
}

#[tokio::test]
async fn a_500_after_gram_minted_then_a_conflict_on_the_retry_leaves_no_live_key() {
    let (gram, api) = GramApi::acme();
    api.fail_after_effect(
        "createAPIKey",
        AfterEffect::Replace(Answer::error(500, "unexpected", "lost the commit ack")),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let dest = tmp.path().join("acme.zip");
    let account = account(&gram).await;
    let err = export(&account, &dest)
        .await
        .expect_err("conflict")
        .to_string();
    assert!(err.contains("(HTTP 409, conflict)"), "{err}");
    assert_eq!(calls(&gram, "createAPIKey"), 2, "retried once");
    assert!(
        !only_key(&api).is_live(),
        "the key the first attempt made is revoked"
    );
    assert!(!dest.exists());
    no_violations(&gram);
}

#[tokio::test]
async fn a_garbled_answer_after_gram_minted_leaves_no_live_key() {
    let (gram, api) = GramApi::acme();
    api.fail_after_effect(
        "createAPIKey",
        AfterEffect::Replace(Answer::Raw(200, b"{\"id\":".to_vec())),
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let dest = tmp.path().join("acme.zip");
    let account = account(&gram).await;
    let err = export(&account, &dest)
        .await
        .expect_err("garbled")
        .to_string();
    assert!(
        err.starts_with("Gram's answer to keys.create was not understood"),
        "{err}"
    );
    assert!(!only_key(&api).is_live());
    assert!(!dest.exists());
    no_violations(&gram);
}

#[tokio::test]
async fn a_zip_write_failing_after_minting_revokes_the_key() {
    let (gram, api) = GramApi::acme();
    let tmp = tempfile::tempdir().expect("tmp");
    let dest_path = tmp.path().join("acme.zip");
    let account = account(&gram).await;
    let dest = ZipDestination::check(&dest_path).expect("writable when checked");
    let config = acme_config(account.server().as_str());
    let err = export_with_minted_key(&account, Platform::Claude, &dest, |key| {
        // Between the check and the write, something else takes the path.
        std::fs::create_dir(&dest_path).expect("a directory where the ZIP goes");
        render::observability_plugin_for(&config, key, Platform::Claude)
    })
    .await
    .expect_err("the write fails");
    let key = only_key(&api);
    assert!(!key.is_live());
    assert!(matches!(err, ExportError::Revoked { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("Could not replace {}", dest_path.display())),
        "{message}"
    );
    assert!(
        message.ends_with(&format!(
            "The key minted for it ({}, {}…) has been revoked.",
            key.name, key.key_prefix
        )),
        "{message}"
    );
    assert!(dest_path.is_dir(), "the directory is untouched");
    assert_eq!(
        std::fs::read_dir(tmp.path()).expect("dir").count(),
        1,
        "no temporary file left"
    );
    no_violations(&gram);
}

#[tokio::test]
async fn a_key_that_cannot_be_revoked_is_named_so_the_admin_can() {
    let (gram, api) = GramApi::acme();
    gram.expect("revokeAPIKey", Answer::error(500, "unexpected", "down"))
        .expect("revokeAPIKey", Answer::error(500, "unexpected", "down"));
    let tmp = tempfile::tempdir().expect("tmp");
    let dest_path = tmp.path().join("acme.zip");
    let account = account(&gram).await;
    let dest = ZipDestination::check(&dest_path).expect("writable");
    let err = export_with_minted_key(&account, Platform::Claude, &dest, |_| {
        Err(gram_admin_core::Error::io(
            "write",
            &dest_path,
            std::io::Error::other("disk full"),
        ))
    })
    .await
    .expect_err("orphan");
    let key = only_key(&api);
    assert!(key.is_live());
    let message = err.to_string();
    assert!(message.contains(&format!("(id {})", key.id)), "{message}");
    assert!(message.contains(&key.key_prefix), "{message}");
    no_violations(&gram);
}

#[tokio::test]
async fn an_unwritable_destination_mints_nothing() {
    let (gram, api) = GramApi::acme();
    let tmp = tempfile::tempdir().expect("tmp");
    let _account = account(&gram).await;
    for bad in [
        tmp.path().join("missing/acme.zip"),
        tmp.path().to_path_buf(),
        Path::new("/proc/acme.zip").to_path_buf(),
    ] {
        let err = ZipDestination::check(&bad)
            .expect_err("not writable")
            .to_string();
        assert!(err.contains(&bad.display().to_string()), "{err}");
    }
    assert_eq!(calls(&gram, "createAPIKey"), 0);
    assert!(api.keys().is_empty());
    no_violations(&gram);
}

#[tokio::test]
async fn a_403_names_the_organization_or_project() {
    let (gram, api) = GramApi::acme();
    gram.expect(
        "createAPIKey",
        Answer::error(403, "forbidden", "admins only"),
    );
    gram.expect("listPlugins", Answer::error(403, "forbidden", "no access"));
    let account = account(&gram).await;
    let err = account
        .mint_hooks_key(Platform::Claude)
        .await
        .expect_err("403")
        .to_string();
    assert_eq!(
        err,
        "Gram does not allow you to do this in the organization \"Acme Corp\": minting an API key was refused (admins only). Ask an admin of the organization \"Acme Corp\" for access."
    );
    let project = account.project(None).expect("project").clone();
    let err = account
        .feature_plugins(&project)
        .await
        .expect_err("403")
        .to_string();
    assert!(
        err.starts_with("Gram does not allow you to do this in the project \"default\""),
        "{err}"
    );
    assert!(api.keys().is_empty());
    no_violations(&gram);
}

#[tokio::test]
async fn the_keychain_unavailable_stores_nothing_anywhere() {
    let (gram, api) = GramApi::acme();
    let config_home = tempfile::tempdir().expect("config");
    let store = MemoryStore::unavailable();
    let err = session::sign_in(
        &store,
        &fixtures::server(&gram.url()),
        session(),
        &Network::system(),
    )
    .await
    .expect_err("no keychain")
    .to_string();
    assert!(
        err.starts_with("Could not save your Gram session in the system keychain"),
        "{err}"
    );
    assert!(!err.contains(ACME_SESSION));
    assert_eq!(
        std::fs::read_dir(config_home.path()).expect("dir").count(),
        0
    );
    let err = session::signed_in(&store, &Overrides::default(), &Network::system())
        .await
        .expect_err("nothing");
    assert!(err.to_string().contains("keychain"), "{err}");
    assert!(api.keys().is_empty());
    no_violations(&gram);
}

#[tokio::test]
async fn sign_in_saves_the_session_with_its_server_and_env_overrides_win() {
    let (gram, _api) = GramApi::acme();
    let store = MemoryStore::new();
    let account = session::sign_in(
        &store,
        &fixtures::server(&format!("{}/", gram.url())),
        session(),
        &Network::system(),
    )
    .await
    .expect("signed in");
    assert_eq!(account.server().as_str(), gram.url());
    let raw = store
        .get(SecretName::GramSession)
        .expect("read")
        .expect("saved");
    let saved: serde_json::Value = serde_json::from_str(raw.expose()).expect("JSON");
    assert_eq!(
        saved,
        serde_json::json!({"server": gram.url(), "session": ACME_SESSION})
    );
    let again = session::signed_in(&store, &Overrides::default(), &Network::system())
        .await
        .expect("saved works");
    assert_eq!(again.info().user_email, ACME_EMAIL);

    // A refused session is not saved.
    let fresh = MemoryStore::new();
    session::sign_in(
        &fresh,
        &fixtures::server(&gram.url()),
        Sensitive::new("wrong".into()),
        &Network::system(),
    )
    .await
    .expect_err("refused");
    assert_eq!(fresh.get(SecretName::GramSession).expect("read"), None);
    no_violations(&gram);
}

#[tokio::test]
async fn the_orgs_plugins_come_from_gram_and_render_in_the_marketplace() {
    let (gram, _api) = GramApi::acme();
    let account = account(&gram).await;
    let project = account.project(None).expect("project").clone();
    let plugins = account.feature_plugins(&project).await.expect("plugins");
    let json = serde_json::to_value(&plugins).expect("json");
    let url = gram.url();
    assert_eq!(
        json,
        serde_json::json!([
            {"name": "Payments", "slug": "payments", "description": "MCP servers: Ledger, Stripe.", "servers": [
                {"display_name": "Ledger", "mcp_url": format!("{url}/mcp/acme-ledger"), "public": false, "env": []},
                {"display_name": "Stripe", "mcp_url": format!("{url}/mcp/acme-stripe"), "public": true,
                 "env": [{"name": "STRIPE_API_KEY", "header": "X-Stripe-Key"}]},
            ]},
            {"name": "Docs search", "slug": "docs", "description": "MCP servers: Handbook.", "servers": [
                {"display_name": "Handbook", "mcp_url": format!("{url}/mcp/acme-handbook"), "public": true,
                 "env": [{"name": "HANDBOOK_TOKEN", "header": "MCP-HANDBOOK_TOKEN"}]},
            ]},
        ])
    );
    assert_eq!(calls(&gram, "listPlugins"), 1);
    assert_eq!(calls(&gram, "getPlugin"), 2);
    assert_eq!(calls(&gram, "listToolsets"), 1);
    let org = acme_config(&url).validate().expect("org");
    let spec = gram_admin_core::MarketplaceSpec {
        plugins,
        repository: Some("acme/agent-plugins".into()),
    };
    let bundle = render::marketplace_for(&org, &gram_admin_testkit::fixtures::test_key(), &spec)
        .expect("the marketplace renders");
    assert!(bundle.files().any(|f| f.path == "payments/.mcp.json"));
    no_violations(&gram);
}

/// The exported plugin's own hook reports to Gram with the minted key; once the key is revoked,
/// Gram refuses the same hook (and the hook still exits 0: the agent is never blocked).
#[tokio::test]
async fn the_exported_hook_reports_with_the_minted_key_until_it_is_revoked() {
    let (gram, api) = GramApi::acme();
    let tmp = tempfile::tempdir().expect("tmp");
    let zip_path = tmp.path().join("acme-claude.zip");
    let account = account(&gram).await;
    export(&account, &zip_path).await.expect("exported");
    let plugin = tmp.path().join("plugin");
    zip::ZipArchive::new(std::fs::File::open(&zip_path).expect("zip"))
        .expect("a ZIP")
        .extract(&plugin)
        .expect("extract");
    let key = only_key(&api);
    let live = keys_in_zip(&zip_path).remove(0);

    let event = br#"{"hook_event_name":"Stop","session_id":"s-1"}"#;
    let hooks = |n: usize| {
        gram.wait_until(Duration::from_secs(10), |r| {
            r.iter().filter(|r| r.operation == "hooks#claude").count() >= n
        })
        .into_iter()
        .filter(|r| r.operation == "hooks#claude")
        .collect::<Vec<_>>()
    };
    let run = hook(&plugin, "Stop", event);
    assert!(run.status.success(), "{run:?}");
    let first = hooks(1);
    assert_eq!(first[0].header("Gram-Key"), Some(live.as_str()));
    assert_eq!(first[0].header("Gram-Project"), Some("default"));
    assert_eq!(first[0].status, 200, "accepted: the key is live");

    account.revoke_app_key(&key.id).await.expect("revoked");
    let run = hook(&plugin, "Stop", event);
    assert!(run.status.success(), "fails open: {run:?}");
    let second = hooks(2);
    assert_eq!(second[1].header("Gram-Key"), Some(live.as_str()));
    assert_eq!(second[1].status, 401, "Gram now refuses it");
    no_violations(&gram);
}

/// `sh hooks/gram-hook.sh <event>` in an unpacked plugin, as its hooks.json runs it.
fn hook(dir: &Path, event: &str, stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new("sh")
        .arg(dir.join("hooks/gram-hook.sh"))
        .arg(event)
        .current_dir(dir)
        // Whatever the hook keeps (a spool) stays in the test's directory, never the real HOME.
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("stdin");
    child.wait_with_output().expect("hook finished")
}

/// What the app's sign-in window does, hop by hop: auth.login → the identity provider's page →
/// "Continue" → auth.callback sets `gram_session` → the signed-in page. The cookie's value is a
/// session auth.info accepts, and signing in with it stores it in the keychain.
#[tokio::test]
async fn the_stand_in_plays_the_browser_sign_in_and_its_cookie_signs_in() {
    let (gram, api) = GramApi::acme();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let location =
        |r: &reqwest::Response| r.headers()["location"].to_str().expect("ascii").to_owned();
    let login = browser.get(api.login_url()).send().await.expect("login");
    assert_eq!(login.status(), 307);
    let authorize = location(&login);
    assert!(
        authorize.starts_with(&format!("{}/authorize?state=", api.idp_url())),
        "{authorize}"
    );
    let page = browser.get(&authorize).send().await.expect("idp page");
    let html = page.text().await.expect("html");
    assert!(html.contains("Continue as admin@acme.test"), "{html}");
    let href = html
        .split("id=\"continue\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a continue link");
    let approve = browser
        .get(format!("{}{href}", api.idp_url()))
        .send()
        .await
        .expect("approve");
    let callback = location(&approve);
    assert!(
        callback.starts_with(&format!("{}/rpc/auth.callback?code=", gram.url())),
        "{callback}"
    );
    let done = browser.get(&callback).send().await.expect("callback");
    assert_eq!(done.status(), 307);
    assert_eq!(location(&done), format!("{}/signed-in", api.idp_url()));
    let cookie = done.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let session = cookie
        .strip_prefix("gram_session=")
        .and_then(|c| c.split(';').next())
        .expect("the gram_session cookie")
        .to_owned();
    assert_eq!(api.issued_sessions(), std::slice::from_ref(&session));
    // The code is good once.
    let again = browser
        .get(&callback)
        .send()
        .await
        .expect("replayed callback");
    assert_eq!(again.status(), 401);

    let store = MemoryStore::new();
    let account = session::sign_in(
        &store,
        &fixtures::server(&gram.url()),
        Sensitive::new(session.clone()),
        &Network::system(),
    )
    .await
    .expect("the cookie is a session");
    assert_eq!(account.info().user_email, ACME_EMAIL);
    assert!(store.get(SecretName::GramSession).expect("read").is_some());
    no_violations(&gram);
}

#[tokio::test]
async fn a_cancelled_browser_sign_in_sets_no_cookie() {
    let (gram, api) = GramApi::acme();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = browser
        .get(api.login_url())
        .send()
        .await
        .expect("login")
        .headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let cancel = browser
        .get(format!("{}/cancel?state=x", api.idp_url()))
        .send()
        .await
        .expect("cancel");
    let callback = cancel.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let refused = browser.get(&callback).send().await.expect("callback");
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("set-cookie").is_none());
    assert!(api.issued_sessions().is_empty());
    assert!(page.contains("/authorize"));
    no_violations(&gram);
}

#[tokio::test]
async fn signing_out_ends_the_session_at_gram_and_forgets_it() {
    let (gram, api) = GramApi::acme();
    let store = MemoryStore::new();
    session::sign_in(
        &store,
        &fixtures::server(&gram.url()),
        session(),
        &Network::system(),
    )
    .await
    .expect("signed in");

    let out = session::sign_out(&store, &Network::system())
        .await
        .expect("signed out");
    assert!(
        matches!(&out, session::SignedOut::Ended { server } if server.as_str() == gram.url()),
        "{out:?}"
    );
    assert_eq!(calls(&gram, "logout"), 1);
    assert!(!api.session_is_live(ACME_SESSION));
    let logout = gram
        .requests()
        .into_iter()
        .find(|r| r.operation == "logout")
        .expect("auth.logout");
    assert_eq!((logout.method.as_str(), logout.status), ("POST", 200));
    assert_eq!(logout.header("Gram-Session"), Some(ACME_SESSION));
    // The old session is refused from now on, whoever still holds a copy of it.
    let client =
        GramClient::with_timeouts(&fixtures::server(&gram.url()), &Network::system(), quick())
            .expect("client");
    let err = client.info(&session()).await.expect_err("refused");
    assert!(matches!(err, GramError::NotSignedIn { .. }), "{err}");
    assert!(store.get(SecretName::GramSession).expect("read").is_none());

    // Signing out again: nothing saved, nothing sent.
    assert!(matches!(
        session::sign_out(&store, &Network::system())
            .await
            .expect("again"),
        session::SignedOut::WasNot
    ));
    assert_eq!(calls(&gram, "logout"), 1);
    no_violations(&gram);
}

#[tokio::test]
async fn a_gram_that_cannot_be_reached_still_gets_the_session_forgotten() {
    let store = MemoryStore::new();
    let server = closed_port();
    session::save_session(&store, &fixtures::server(&server), &session()).expect("saved");
    let out = session::sign_out(&store, &Network::system())
        .await
        .expect("signed out here");
    match out {
        session::SignedOut::ForgottenOnly { server: s, why } => {
            assert_eq!(s.as_str(), server);
            assert!(why.to_string().contains("signing out"), "{why}");
            assert!(!why.to_string().contains(ACME_SESSION), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(store.get(SecretName::GramSession).expect("read").is_none());
}

#[tokio::test]
async fn a_session_gram_already_ended_signs_out_cleanly() {
    let (gram, api) = GramApi::acme();
    let store = MemoryStore::new();
    session::save_session(&store, &fixtures::server(&gram.url()), &session()).expect("saved");
    api.end_session(ACME_SESSION);
    assert!(matches!(
        session::sign_out(&store, &Network::system())
            .await
            .expect("signed out"),
        session::SignedOut::Ended { .. }
    ));
    assert!(store.get(SecretName::GramSession).expect("read").is_none());
    no_violations(&gram);
}
