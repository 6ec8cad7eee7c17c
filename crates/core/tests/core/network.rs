//! Corporate networks: Gram, GitHub's API and GitHub's device flow over https with a certificate
//! from a throwaway CA made at test time — refused without it (the message names the CA and
//! what to do), accepted with it as the extra CA file. The proxy and `SSL_CERT_FILE` (the OS
//! store on Linux) are covered end to end in the CLI's tests: they are read from the process'
//! environment.

use gram_admin_core::github::auth::DeviceFlow;
use gram_admin_core::github::{GithubConnection, GithubError, Publisher};
use gram_admin_core::gram::{GramClient, GramError};
use gram_admin_core::net::{NetProblem, Network};
use gram_admin_core::Sensitive;
use gram_admin_testkit::fixtures;
use gram_admin_testkit::gram_api::{GramApi, ACME_EMAIL, ACME_SESSION};
use gram_admin_testkit::{GithubStandIn, OAuthStandIn, TestCa, TlsFront};
use serde_json::json;

const CA_NAME: &str = "Acme Inspecting Proxy CA";

fn session() -> Sensitive<String> {
    Sensitive::new(ACME_SESSION.to_owned())
}

#[tokio::test]
async fn gram_signed_by_an_unknown_ca_is_refused_naming_it_and_trusted_with_its_pem() {
    let ca = TestCa::new(CA_NAME);
    let (gram, _api) = GramApi::acme();
    let front = TlsFront::new(&ca, &gram.url());
    let server = fixtures::server(&front.url());

    let err = GramClient::new(&server, &Network::system())
        .expect("client")
        .info(&session())
        .await
        .expect_err("an unknown CA is refused");
    let text = err.to_string();
    assert!(
        matches!(
            err.net_problem(),
            Some(NetProblem::UntrustedIssuer { issuer, .. }) if issuer.contains(CA_NAME)
        ),
        "{err:?}"
    );
    assert_eq!(
        text,
        format!("Could not reach Gram at {server} while checking who is signed in: the certificate of localhost:{} is signed by \u{201c}{CA_NAME}\u{201d} (Gram Admin Tests), which this computer does not trust: add the company's CA to the system store or give its PEM file.", front.port())
    );
    assert!(!text.contains("error sending request"), "{text}");
    // The stand-in saw the handshake refused (it logs it on its own thread).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while front.refused().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        front.refused().iter().any(|r| r.contains("fatal alert")),
        "{:?}",
        front.refused()
    );

    let dir = tempfile::tempdir().expect("tmp");
    let pem = ca.write_pem(dir.path(), "acme-ca.pem");
    let net = Network::with_ca_file(Some(pem.clone()));
    let info = GramClient::new(&server, &net)
        .expect("client")
        .info(&session())
        .await
        .expect("trusted with the CA file");
    assert_eq!(info.user_email, ACME_EMAIL);
    assert_eq!(
        net.trust(),
        format!("the system's certificate store and {}", pem.display())
    );
}

#[tokio::test]
async fn a_ca_file_that_is_not_a_certificate_says_which_file() {
    let (gram, _api) = GramApi::acme();
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("ca.pem");
    std::fs::write(&bad, "-----BEGIN NOTHING-----\n").expect("write");
    let err = GramClient::new(
        &fixtures::server(&gram.url()),
        &Network::with_ca_file(Some(bad.clone())),
    )
    .expect_err("refused");
    assert!(matches!(err, GramError::NetworkSetup { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&bad.display().to_string()),
        "{err}"
    );
}

#[test]
fn github_api_signed_by_an_unknown_ca_is_refused_naming_it_and_trusted_with_its_pem() {
    let ca = TestCa::new(CA_NAME);
    let gh = GithubStandIn::start();
    let front = TlsFront::new(&ca, &gh.api_url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let connection = GithubConnection::new(front.url(), Sensitive::new(gh.token()));
    let err = rt
        .block_on(
            Publisher::new(connection.clone())
                .expect("publisher")
                .user(),
        )
        .expect_err("an unknown CA is refused");
    assert!(
        matches!(
            &err,
            GithubError::Connection { problem: NetProblem::UntrustedIssuer { issuer, .. }, .. } if issuer.contains(CA_NAME)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("add the company's CA"), "{err}");

    let dir = tempfile::tempdir().expect("tmp");
    let net = Network::with_ca_file(Some(ca.write_pem(dir.path(), "ca.pem")));
    let login = rt
        .block_on(
            Publisher::new(connection.with_network(&net))
                .expect("publisher")
                .user(),
        )
        .expect("trusted with the CA file");
    assert!(!login.is_empty());
}

#[test]
fn the_device_flow_signed_by_an_unknown_ca_is_refused_naming_it_and_trusted_with_its_pem() {
    let ca = TestCa::new(CA_NAME);
    let oauth = OAuthStandIn::start(
        1,
        900,
        vec![json!({ "access_token": "t", "token_type": "bearer", "scope": "repo" })],
    );
    let front = TlsFront::new(&ca, &oauth.url());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let err = rt
        .block_on(DeviceFlow::new(front.url(), "test-client").request_code())
        .expect_err("an unknown CA is refused");
    assert!(
        matches!(
            &err,
            GithubError::Connection {
                problem: NetProblem::UntrustedIssuer { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with(&format!("GitHub could not be reached while signing in to GitHub at {}: the certificate of localhost:{} is signed by", front.url(), front.port())), "{err}");

    let dir = tempfile::tempdir().expect("tmp");
    let net = Network::with_ca_file(Some(ca.write_pem(dir.path(), "ca.pem")));
    let code = rt
        .block_on(
            DeviceFlow::new(front.url(), "test-client")
                .with_network(&net)
                .request_code(),
        )
        .expect("trusted with the CA file");
    assert_eq!(code.user_code, "WDJB-MJHT");
}

// ---- the rendered hook: the plugin's CA for curl, the teammate's proxy ----------------------

/// The Claude plugin for `server`, carrying `ca` (PEM) when given, unpacked in its own folder.
fn hook_plugin(server: &str, ca: Option<String>) -> tempfile::TempDir {
    let mut org = fixtures::acme_org(server);
    org.ca = ca;
    let bundle = gram_admin_core::render::observability_plugin(
        &org,
        &fixtures::test_key(),
        gram_admin_core::Platform::Claude,
    )
    .expect("render");
    assert_eq!(
        bundle.get(gram_admin_core::render::HOOK_CA_PATH).is_some(),
        org.ca.is_some()
    );
    let dir = tempfile::tempdir().expect("tmp");
    gram_admin_core::export::write_dir(&bundle, &dir.path().join("plugin")).expect("write");
    std::fs::create_dir(dir.path().join("home")).expect("home");
    dir
}

/// Runs the plugin's hook for one event as Claude Code does, with only `env` (and PATH) set:
/// nothing of the test's own environment (a proxy of the machine) leaks in.
fn run_hook(dir: &std::path::Path, env: &[(&str, &str)]) {
    use std::io::Write as _;
    let mut command = std::process::Command::new("sh");
    command
        .arg(dir.join("plugin/hooks/gram-hook.sh"))
        .arg("PostToolUse")
        .current_dir(dir.join("plugin"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join("home"))
        .env("CLAUDE_PLUGIN_DATA", dir.join("data"))
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = command.spawn().expect("sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"{\"hook_event_name\":\"PostToolUse\",\"session_id\":\"s-ca\"}\n")
        .expect("event");
    assert!(child.wait().expect("hook").success());
}

const DELIVERY: std::time::Duration = std::time::Duration::from_secs(15);

#[test]
fn the_hook_reaches_a_gram_signed_by_the_company_ca_only_with_the_plugins_ca_file() {
    let ca = TestCa::new(CA_NAME);
    let gram = gram_admin_testkit::GramStandIn::start();
    let front = TlsFront::new(&ca, &gram.url());

    // Without the CA: curl refuses the certificate (the stand-in sees the handshake fail) and
    // nothing arrives.
    let without = hook_plugin(&front.url(), None);
    run_hook(without.path(), &[]);
    let deadline = std::time::Instant::now() + DELIVERY;
    while front.refused().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!front.refused().is_empty(), "curl trusted an unknown CA");
    assert!(gram.requests().is_empty());

    // With it: delivered.
    let with = hook_plugin(&front.url(), Some(ca.pem()));
    run_hook(with.path(), &[]);
    let got = gram.wait_for(1, DELIVERY);
    assert_eq!(
        got.len(),
        1,
        "the hook did not deliver with the plugin's CA"
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn the_hook_goes_through_the_teammates_proxy_upper_or_lower_case_and_not_for_no_proxy_hosts() {
    let ca = TestCa::new(CA_NAME);
    let gram = gram_admin_testkit::GramStandIn::start();
    let front = TlsFront::new(&ca, &gram.url());
    let proxy = gram_admin_testkit::ConnectProxy::start();
    // gram.test resolves nowhere: only the proxy reaches it.
    let via_proxy = hook_plugin(&front.url_as("gram.test"), Some(ca.pem()));
    for (n, variable) in ["HTTPS_PROXY", "https_proxy"].into_iter().enumerate() {
        run_hook(via_proxy.path(), &[(variable, &proxy.url())]);
        let got = gram.wait_for(n + 1, DELIVERY);
        assert_eq!(got.len(), n + 1, "not delivered through {variable}");
    }
    let connects: Vec<String> = proxy.requests();
    let tunnel = format!("CONNECT gram.test:{} HTTP/1.1", front.port());
    assert!(
        connects.len() >= 2 && connects.iter().all(|r| r == &tunnel),
        "{connects:?}"
    );

    // NO_PROXY names the host: straight to it, the proxy sees nothing.
    let direct = hook_plugin(&front.url(), Some(ca.pem()));
    let before = proxy.requests().len();
    run_hook(
        direct.path(),
        &[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", "localhost")],
    );
    assert_eq!(gram.wait_for(3, DELIVERY).len(), 3);
    assert_eq!(proxy.requests().len(), before, "{:?}", proxy.requests());
    assert_eq!(gram.violations(), Vec::<String>::new());
}
