//! `gram-admin check-hook` against the Gram stand-in: exact output, exit codes.

use gram_admin_testkit::fixtures::test_key_text;
use gram_admin_testkit::{closed_port, Answer, GramStandIn};

use crate::{gram_admin, key_file, Run};

fn check(server: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "check-hook",
        "--platform",
        "claude",
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        server,
    ];
    args.extend(extra);
    gram_admin(&args)
}

/// The latency line varies from run to run: `latency: N ms` → `latency: _ ms`.
fn stable(stdout: &str) -> String {
    stdout
        .lines()
        .map(|l| match l.strip_prefix("latency: ") {
            Some(rest) if rest.ends_with(" ms") => "latency: _ ms".to_owned(),
            _ => match l.split_once("): {") {
                Some((level, _)) if l.starts_with("sent (") => format!("{level}): _"),
                _ => l.to_owned(),
            },
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn an_accepted_event_exits_0_and_gram_got_the_hooks_request() {
    let gram = GramStandIn::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let run = check(&gram.url(), &["--key-file", key.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(
        stable(&run.stdout),
        format!(
            "Sent a Claude Code test event (Notification) to {url}/rpc/hooks.claude\n\
             sent (full): _\n\
             status:  200\n\
             latency: _ ms\n\
             trust:   curl's default CA bundle\n\
             proxy:   none (a direct connection)\n\
             answer:  {{}}\n\
             Gram accepted the test event (HTTP 200): Claude Code's hook reaches project \"default\" with this key.\n",
            url = gram.url()
        )
    );
    let requests = gram.requests();
    assert_eq!(requests.len(), 1);
    // The body shown is the body sent, after the privacy filter.
    let shown = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("sent (full): "))
        .expect("the body sent");
    assert_eq!(shown.as_bytes(), requests[0].body.as_slice());
    assert_eq!(
        requests[0].header("Gram-Key"),
        Some(test_key_text().as_str())
    );
    assert_eq!(requests[0].event().as_deref(), Some("Notification"));
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn the_placeholder_gets_a_401_that_says_so_and_exits_1() {
    let gram = GramStandIn::start();
    gram.answer_with(|r| {
        if r.header("Gram-Key") == Some(test_key_text().as_str()) {
            Answer::ok()
        } else {
            Answer::error(401, "unauthorized", "unknown api key")
        }
    });
    let run = check(&gram.url(), &["--json"]);
    assert_eq!(run.code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json["status"], 401);
    assert_eq!(json["verdict"], "unauthorized");
    assert!(json["latency_ms"].is_u64());
    assert!(json["answer"]
        .as_str()
        .expect("answer")
        .contains("unknown api key"));
    let explanation = json["explanation"].as_str().expect("explanation");
    assert!(explanation.contains("placeholder key"), "{explanation}");
    assert_eq!(
        run.stderr,
        format!(
            "note: no --key-file given: checking with the placeholder key (gram_local_00000…), which Gram refuses; give --key-file to check a real key.\n\
             error: {explanation}\n"
        )
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn gram_down_exits_1_with_what_to_do_and_no_key_anywhere() {
    let server = closed_port();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let run = check(&server, &["--key-file", key.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("status:  no answer\n"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        format!("error: Gram is not reachable at {server}: the connection was refused. Check the server URL and that Gram is running there.\n")
    );
    assert!(!run.stdout.contains(&test_key_text()) && !run.stderr.contains(&test_key_text()));
}

/// The real curl, found on the test's PATH.
fn real_curl() -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("curl"))
        .find(|p| p.is_file())
        .expect("curl on PATH")
}

#[test]
fn the_key_reaches_curl_only_through_a_private_config_that_is_deleted_after() {
    let gram = GramStandIn::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    // A curl that records its arguments and the config it was given, then runs the real one.
    let bin = tmp.path().join("bin");
    let log = tmp.path().join("log");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::create_dir_all(&log).expect("log");
    let script = format!(
        "#!/bin/sh\n\
         printf '%s\\n' \"$@\" > '{log}/argv'\n\
         prev=\n\
         for a in \"$@\"; do\n\
           if [ \"$prev\" = --config ]; then\n\
             stat -c %a \"$a\" > '{log}/mode'; stat -c %a \"${{a%/*}}\" > '{log}/dir-mode'\n\
             cp \"$a\" '{log}/config'; printf '%s' \"$a\" > '{log}/path'\n\
           fi\n\
           prev=$a\n\
         done\n\
         exec '{curl}' \"$@\"\n",
        log = log.display(),
        curl = real_curl().display()
    );
    let fake = bin.join("curl");
    std::fs::write(&fake, script).expect("fake curl");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let home = tempfile::tempdir().expect("home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gram-admin"))
        .args([
            "check-hook",
            "--platform",
            "codex",
            "--org",
            "Acme Corp",
            "--project",
            "default",
            "--server",
            &gram.url(),
            "--key-file",
            key.to_str().expect("utf-8"),
        ])
        .env_clear()
        .env("HOME", home.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name: &str| std::fs::read_to_string(log.join(name)).expect(name);
    let argv = read("argv");
    assert!(argv.starts_with("-q\n--config\n"), "{argv}");
    assert!(
        !argv.contains(&test_key_text()),
        "the key is on curl's command line: {argv}"
    );
    assert!(argv.contains("Idempotency-Key: "), "{argv}");
    assert_eq!(read("mode").trim(), "600");
    assert_eq!(read("dir-mode").trim(), "700");
    assert!(
        read("config").contains(&format!("Gram-Key: {}", test_key_text())),
        "the key travels in the config file"
    );
    let path = std::path::PathBuf::from(read("path"));
    assert!(!path.exists(), "the config outlived the check");
    assert!(!path.parent().expect("dir").exists(), "its directory too");
    assert_eq!(gram.requests().len(), 1);
    assert_eq!(gram.violations(), Vec::<String>::new());
}

/// `check` with `env` set (and a throwaway HOME, nothing else of the machine's environment).
fn check_with_env(server: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().expect("home");
    let mut args = vec![
        "check-hook",
        "--platform",
        "claude",
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        server,
    ];
    args.extend(extra);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gram-admin"))
        .args(&args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("run gram-admin");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

#[test]
fn with_the_company_ca_and_a_proxy_the_check_says_which_it_used() {
    let ca = gram_admin_testkit::TestCa::new("Acme Inspecting Proxy CA");
    let gram = GramStandIn::start();
    let front = gram_admin_testkit::TlsFront::new(&ca, &gram.url());
    let proxy = gram_admin_testkit::ConnectProxy::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let pem = ca.write_pem(tmp.path(), "acme-ca.pem");
    let key = key.to_str().expect("utf-8");

    // Without the CA, curl refuses Gram's certificate, and the check says to give the CA.
    let run = check_with_env(&front.url(), &["--key-file", key], &[]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("or give the company's CA so the plugin carries it"),
        "{}",
        run.stderr
    );

    // With it, through the proxy (gram.test is reachable only through it).
    let server = front.url_as("gram.test");
    let run = check_with_env(
        &server,
        &["--key-file", key, "--ca-file", pem.to_str().expect("utf-8")],
        &[("HTTPS_PROXY", &proxy.url())],
    );
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let out = stable(&run.stdout);
    assert!(
        out.contains("trust:   the company CA the plugin carries (hooks/gram-ca.pem), instead of curl's default CA bundle\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!("proxy:   {} (from HTTPS_PROXY)\n", proxy.url())),
        "{out}"
    );
    assert_eq!(
        proxy.requests(),
        [format!("CONNECT gram.test:{} HTTP/1.1", front.port())]
    );
    assert_eq!(gram.requests().len(), 1);

    // A proxy that wants credentials is named, with what to do.
    let refusing = gram_admin_testkit::ConnectProxy::refusing();
    let run = check_with_env(
        &server,
        &["--key-file", key, "--ca-file", pem.to_str().expect("utf-8")],
        &[("https_proxy", &refusing.url())],
    );
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!(
            "The proxy {} (from https_proxy) refused to connect to gram.test",
            refusing.url()
        )) && run.stderr.contains("407"),
        "{}",
        run.stderr
    );
}
