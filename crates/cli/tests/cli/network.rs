//! Corporate networks end to end (issue 21): Gram and GitHub over https with certificates from
//! a throwaway CA, and a company proxy the test starts.
//!
//! - Trust: refused without the CA (the message names it, the CLI adds `--ca-file`); accepted
//!   through the OS store (`SSL_CERT_FILE`, `SSL_CERT_DIR`: what rustls-platform-verifier reads
//!   on Linux) and through `--ca-file`, which is saved for later commands.
//! - Proxy: the stand-ins are reached as `gram.test` / `github.test`, names that resolve
//!   nowhere, so every request of a command that succeeds went through the proxy; its log shows
//!   the tunnels. A `NO_PROXY` host is reached directly (the log stays as it was).
//!
//! Every run clears the environment: only what a test sets reaches the binary.

use std::path::Path;
use std::process::Command;

use gram_admin_testkit::gram_api::{GramApi, ACME_EMAIL, ACME_SESSION};
use gram_admin_testkit::{closed_port, ConnectProxy, GithubStandIn, TestCa, TlsFront};

use super::key_file;

const CA_NAME: &str = "Acme Inspecting Proxy CA";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// One admin's machine: a HOME kept across runs (the saved `--ca-file` lives there).
struct Machine {
    home: tempfile::TempDir,
}

impl Machine {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().expect("home"),
        }
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_gram-admin"))
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "GRAM_ADMIN_KEYCHAIN_SERVICE",
                format!("gram-admin-test-net-{}", std::process::id()),
            )
            .envs(env.iter().copied())
            .output()
            .expect("run gram-admin");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("utf-8"),
            stderr: String::from_utf8(out.stderr).expect("utf-8"),
        }
    }
}

fn signed_in(server: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GRAM_SERVER", server.to_owned()),
        ("GRAM_SESSION", ACME_SESSION.to_owned()),
    ]
}

fn env<'a>(
    pairs: &'a [(&'static str, String)],
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    out.extend_from_slice(more);
    out
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

#[test]
fn an_unknown_ca_is_refused_naming_it_and_the_os_store_or_ca_file_make_it_trusted() {
    let ca = TestCa::new(CA_NAME);
    let (gram, _api) = GramApi::acme();
    let front = TlsFront::new(&ca, &gram.url());
    let tmp = tempfile::tempdir().expect("tmp");
    let pem = ca.write_pem(tmp.path(), "acme-ca.pem");
    let machine = Machine::new();
    let me = signed_in(&front.url());

    let refused = machine.run(&["whoami"], &env(&me, &[]));
    assert_eq!(refused.code, Some(1), "{}", refused.stdout);
    assert_eq!(
        refused.stderr,
        format!(
            "error: Could not reach Gram at {} while checking who is signed in: the certificate of localhost:{} is signed by \u{201c}{CA_NAME}\u{201d} (Gram Admin Tests), which this computer does not trust: add the company's CA to the system store or give its PEM file.\n\
             error: Give the CA's PEM file with --ca-file PEM (gram-admin keeps it for later commands), or add the CA to the system's certificate store.\n",
            front.url(),
            front.port()
        )
    );

    // The OS store, as Linux has it: SSL_CERT_FILE, or a directory in SSL_CERT_DIR.
    let store = machine.run(&["whoami"], &env(&me, &[("SSL_CERT_FILE", path(&pem))]));
    assert_eq!(store.code, Some(0), "{}", store.stderr);
    assert!(store.stdout.contains(ACME_EMAIL), "{}", store.stdout);
    let dir = tempfile::tempdir().expect("cert dir");
    ca.write_pem(dir.path(), "acme-ca.pem");
    let store = machine.run(
        &["whoami"],
        &env(&me, &[("SSL_CERT_DIR", path(dir.path()))]),
    );
    assert_eq!(store.code, Some(0), "{}", store.stderr);

    // --ca-file: trusted now, and saved for the next command.
    let given = machine.run(&["whoami", "--ca-file", path(&pem)], &env(&me, &[]));
    assert_eq!(given.code, Some(0), "{}", given.stderr);
    let config =
        std::fs::read_to_string(machine.home.path().join(".config/gram-admin/config.json"))
            .expect("settings");
    assert!(
        config.contains(&format!("\"ca_file\": \"{}\"", pem.display())),
        "{config}"
    );
    let saved = machine.run(&["whoami"], &env(&me, &[]));
    assert_eq!(saved.code, Some(0), "{}", saved.stderr);
    // `--no-ca-file` forgets it.
    let forgotten = machine.run(&["whoami", "--no-ca-file"], &env(&me, &[]));
    assert_eq!(forgotten.code, Some(1), "{}", forgotten.stdout);
    assert!(forgotten.stderr.contains(CA_NAME), "{}", forgotten.stderr);

    // A file that is no certificate is refused, naming it; nothing is saved.
    let bogus = tmp.path().join("bogus.pem");
    std::fs::write(&bogus, "hello\n").expect("write");
    let bad = machine.run(&["whoami", "--ca-file", path(&bogus)], &env(&me, &[]));
    assert_eq!(bad.code, Some(1));
    assert!(
        bad.stderr.contains(&format!(
            "the CA file {} cannot be used (it holds no PEM certificate)",
            bogus.display()
        )),
        "{}",
        bad.stderr
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn sign_in_export_and_publish_go_through_the_proxy_and_a_no_proxy_host_does_not() {
    let ca = TestCa::new(CA_NAME);
    let (gram, api) = GramApi::acme();
    let gram_tls = TlsFront::new(&ca, &gram.url());
    let gh = GithubStandIn::start();
    gh.git().commit_files(
        "main",
        &[("README.md", b"# old\n", false)],
        "Initial commit",
    );
    let gh_tls = TlsFront::new(&ca, &gh.api_url());
    let proxy = ConnectProxy::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let pem = ca.write_pem(tmp.path(), "acme-ca.pem");
    let machine = Machine::new();
    let gram_url = gram_tls.url_as("gram.test");
    let me = signed_in(&gram_url);
    let token = gh.token();
    let proxy_url = proxy.url();
    let through = env(
        &me,
        &[("HTTPS_PROXY", &proxy_url), ("GITHUB_TOKEN", &token)],
    );
    let gram_tunnel = format!("CONNECT gram.test:{} HTTP/1.1", gram_tls.port());
    let gh_tunnel = format!("CONNECT github.test:{} HTTP/1.1", gh_tls.port());

    // Sign-in's check (auth.info), with the CA given once.
    let who = machine.run(&["whoami", "--ca-file", path(&pem)], &through);
    assert_eq!(who.code, Some(0), "{}", who.stderr);
    assert!(who.stdout.contains(ACME_EMAIL), "{}", who.stdout);
    assert!(
        proxy.requests().contains(&gram_tunnel),
        "{:?}",
        proxy.requests()
    );

    // Export: auth.info, keys.create — through the proxy; the ZIP carries the CA for the hook.
    let zip = tmp.path().join("acme-claude.zip");
    let export = machine.run(
        &["export", "--platform", "claude", "--out", path(&zip)],
        &through,
    );
    assert_eq!(export.code, Some(0), "{}", export.stderr);
    assert_eq!(api.keys().len(), 1, "the key was minted through the proxy");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).expect("zip")).expect("zip");
    let mut carried = String::new();
    std::io::Read::read_to_string(
        &mut archive
            .by_name("hooks/gram-ca.pem")
            .expect("the CA in the ZIP"),
        &mut carried,
    )
    .expect("read");
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(flat(&carried), flat(&ca.pem()));

    // The preview shows it too.
    let preview = machine.run(
        &["preview", "--platform", "claude", "--placeholder-key"],
        &through,
    );
    assert_eq!(preview.code, Some(0), "{}", preview.stderr);
    assert!(
        preview.stdout.contains("==> hooks/gram-ca.pem <=="),
        "{}",
        preview.stdout
    );

    // Publish: every GitHub call through the proxy (github.test resolves nowhere else).
    let key = key_file(tmp.path());
    let plugins = tmp.path().join("plugins.json");
    std::fs::write(&plugins, r#"{"plugins": []}"#).expect("plugins");
    let publish = machine.run(
        &[
            "publish",
            "--repo",
            "acme/agent-plugins",
            "--github-api",
            &gh_tls.url_as("github.test"),
            "--key-file",
            path(&key),
            "--plugins",
            path(&plugins),
        ],
        &through,
    );
    assert_eq!(publish.code, Some(0), "{}", publish.stderr);
    assert!(
        publish.stdout.starts_with("Published "),
        "{}",
        publish.stdout
    );
    assert!(!gh.writes().is_empty());
    let log = proxy.requests();
    eprintln!("the proxy saw {} tunnels: {log:?}", log.len());
    assert!(log.contains(&gh_tunnel), "{log:?}");
    assert!(
        log.iter().all(|r| r == &gram_tunnel || r == &gh_tunnel),
        "{log:?}"
    );

    // NO_PROXY: Gram as localhost is reached directly; the proxy sees nothing more.
    let before = proxy.requests().len();
    let local = signed_in(&gram_tls.url());
    let direct = machine.run(
        &["whoami"],
        &env(
            &local,
            &[("HTTPS_PROXY", &proxy.url()), ("NO_PROXY", "localhost")],
        ),
    );
    assert_eq!(direct.code, Some(0), "{}", direct.stderr);
    assert_eq!(proxy.requests().len(), before, "{:?}", proxy.requests());
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_proxy_that_refuses_or_is_not_there_is_named() {
    let ca = TestCa::new(CA_NAME);
    let (gram, _api) = GramApi::acme();
    let front = TlsFront::new(&ca, &gram.url());
    let tmp = tempfile::tempdir().expect("tmp");
    let pem = ca.write_pem(tmp.path(), "acme-ca.pem");
    let machine = Machine::new();
    let me = signed_in(&front.url_as("gram.test"));

    let refusing = ConnectProxy::refusing();
    let run = machine.run(
        &["whoami", "--ca-file", path(&pem)],
        &env(&me, &[("https_proxy", &refusing.url())]),
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "the proxy {} (from https_proxy) asks for a user name and password (407) before it lets gram-admin through to gram.test:{}",
            refusing.url(),
            front.port()
        )),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("error sending request"),
        "{}",
        run.stderr
    );

    let nowhere = closed_port();
    let run = machine.run(&["whoami"], &env(&me, &[("ALL_PROXY", &nowhere)]));
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "the proxy {nowhere} (from ALL_PROXY) could not be reached"
        )),
        "{}",
        run.stderr
    );
}
