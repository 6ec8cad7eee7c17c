//! `gram-admin publish` and `gram-admin github status` against the GitHub stand-in.

use std::path::Path;
use std::process::Command;

use gram_admin_testkit::{Access, GithubStandIn};

use super::key_file;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// The binary with a clean environment, a throwaway HOME and keychain service, and `token` as
/// GITHUB_TOKEN (never on the command line).
fn run(args: &[&str], token: Option<&str>) -> Run {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gram-admin"));
    cmd.args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env(
            "GRAM_ADMIN_KEYCHAIN_SERVICE",
            format!("gram-admin-test-{}", std::process::id()),
        );
    if let Some(t) = token {
        cmd.env("GITHUB_TOKEN", t);
    }
    let out = cmd.output().expect("run gram-admin");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

/// A key file and a plugins file (one feature plugin) in `dir`.
fn inputs(dir: &std::path::Path) -> String {
    let plugins = dir.join("plugins.json");
    std::fs::write(
        &plugins,
        r#"{"plugins": [{"name": "Docs", "slug": "docs", "description": "Search the handbook.", "servers": [{"display_name": "Handbook", "mcp_url": "https://app.getgram.ai/mcp/acme-handbook", "public": false}]}]}"#,
    )
    .unwrap();
    key_file(dir);
    dir.to_str().unwrap().to_owned()
}

fn publish_args<'a>(gh_api: &'a str, dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let key: &'a str = Box::leak(format!("{dir}/hooks.key").into_boxed_str());
    let plugins: &'a str = Box::leak(format!("{dir}/plugins.json").into_boxed_str());
    let mut args = vec![
        "publish",
        "--repo",
        "acme/agent-plugins",
        "--github-api",
        gh_api,
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        "https://app.getgram.ai",
        "--key-file",
        key,
        "--plugins",
        plugins,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn publish_then_publish_again_says_nothing_changed() {
    let gh = GithubStandIn::start();
    gh.git().commit_files(
        "main",
        &[("README.md", b"# old\n", false)],
        "Initial commit",
    );
    let dir = tempfile::tempdir().unwrap();
    let (api, key) = (gh.api_url(), inputs(dir.path()));
    let token = gh.token();

    let dry = run(&publish_args(&api, &key, &["--dry-run"]), Some(&token));
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    assert!(
        dry.stdout
            .starts_with("Publishing to acme/agent-plugins (main) would add "),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("  M README.md\n") && dry.stdout.contains("--- a/README.md"),
        "{}",
        dry.stdout
    );
    assert!(gh.writes().is_empty(), "a dry run writes nothing");
    let status = run(&publish_args(&api, &key, &["--status"]), Some(&token));
    assert_eq!(status.code, Some(0), "{}", status.stderr);
    assert_eq!(
        status.stdout,
        "acme/agent-plugins (main): not published yet.\n"
    );

    let first = run(&publish_args(&api, &key, &[]), Some(&token));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let head = gh.head("main").unwrap();
    let files = gh
        .git()
        .git(&["ls-tree", "-r", "--name-only", "main"])
        .lines()
        .count();
    assert_eq!(
        first.stdout,
        format!(
            "Published {files} files to acme/agent-plugins (main) in commit {head}.\nhttp://{}/acme/agent-plugins/commit/{head}\n",
            api.trim_start_matches("http://")
        )
    );
    assert!(
        first
            .stderr
            .contains("Moving the branch to the new commit…"),
        "{}",
        first.stderr
    );
    assert!(!first.stderr.contains(&token) && !first.stdout.contains(&token));

    let writes = gh.writes().len();
    let status = run(&publish_args(&api, &key, &["--status"]), Some(&token));
    assert_eq!(status.code, Some(0), "{}", status.stderr);
    assert_eq!(gh.writes().len(), writes, "a status writes nothing");
    assert!(
        status.stdout.starts_with(&format!(
            "acme/agent-plugins (main): up to date (commit {}, ",
            &head[..7]
        )) && status.stdout.ends_with(").\n"),
        "{}",
        status.stdout
    );

    gh.clear_requests();
    let again = run(&publish_args(&api, &key, &["--json"]), Some(&token));
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    let out: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(out["changed"], false);
    assert_eq!(out["commit"], head.as_str());
    assert!(gh.writes().is_empty());
    let text = run(&publish_args(&api, &key, &[]), Some(&token));
    assert_eq!(
        text.stdout,
        format!("Nothing changed: acme/agent-plugins (main) already holds these {files} files (commit {head}); nothing was written.\n")
    );
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn publish_errors_are_sentences_with_exit_code_1() {
    let gh = GithubStandIn::missing();
    let dir = tempfile::tempdir().unwrap();
    let (api, key) = (gh.api_url(), inputs(dir.path()));
    let missing = run(&publish_args(&api, &key, &[]), Some(&gh.token()));
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.ends_with(
            "\nerror: GitHub says acme/agent-plugins does not exist, or your token cannot see it \
(a fine-grained token answers 404 for repositories it was not granted). Check the name; grant the \
token access to acme/agent-plugins (Repository access, with Contents: Read and write); or pass \
--create to create it as a private repository.\n"
        ),
        "{}",
        missing.stderr
    );
    assert!(missing.stderr.contains("--create"));

    let signed_out = run(&publish_args(&api, &key, &[]), None);
    assert_eq!(signed_out.code, Some(1));
    assert!(
        signed_out.stderr.contains("Not signed in to GitHub"),
        "{}",
        signed_out.stderr
    );

    let created = run(&publish_args(&api, &key, &["--create"]), Some(&gh.token()));
    assert_eq!(created.code, Some(0), "{}", created.stderr);
    assert!(gh.repo_exists());

    gh.set_access(Access::ReadOnly);
    let read_only = run(&publish_args(&api, &key, &[]), Some(&gh.token()));
    assert_eq!(read_only.code, Some(1));
    assert!(
        read_only.stderr.contains("Contents: Read and write"),
        "{}",
        read_only.stderr
    );
    assert_eq!(gh.violations(), Vec::<String>::new());
}

#[test]
fn github_status_names_the_account_and_the_token_source() {
    let gh = GithubStandIn::start();
    let api = gh.api_url();
    let ok = run(
        &["github", "status", "--github-api", &api, "--json"],
        Some(&gh.token()),
    );
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    let status: serde_json::Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(
        status,
        serde_json::json!({ "signed_in": true, "source": "environment", "login": "acme" })
    );
    let text = run(
        &["github", "status", "--github-api", &api],
        Some(&gh.token()),
    );
    assert_eq!(
        text.stdout,
        "Signed in to GitHub as acme (token from the GITHUB_TOKEN environment variable).\n"
    );
    let revoked = run(
        &["github", "status", "--github-api", &api],
        Some("not-the-token"),
    );
    assert_eq!(revoked.code, Some(1));
    assert!(
        revoked.stderr.contains("401 Bad credentials") && !revoked.stderr.contains("not-the-token"),
        "{}",
        revoked.stderr
    );
    assert_eq!(gh.violations(), Vec::<String>::new());
}

/// Runs the binary signed in to the Gram stand-in through GRAM_SERVER/GRAM_SESSION, with its
/// own keychain service (the marketplace key lives there between runs) and the home `home` (its
/// settings file, with the key-retirement schedule, too).
fn run_signed_in_at(args: &[&str], gram: &str, service: &str, token: &str, home: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_gram-admin"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(
            ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"]
                .iter()
                .filter_map(|k| std::env::var_os(k).map(|v| (*k, v))),
        )
        .env("GRAM_ADMIN_KEYCHAIN_SERVICE", service)
        .env("GRAM_SERVER", gram)
        .env("GRAM_SESSION", gram_admin_testkit::gram_api::ACME_SESSION)
        .env("GITHUB_TOKEN", token)
        .output()
        .expect("run gram-admin");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8"),
        stderr: String::from_utf8(out.stderr).expect("utf-8"),
    }
}

#[test]
fn publish_mints_the_marketplace_key_once_and_rotate_key_replaces_it() {
    let (gram, api) = gram_admin_testkit::gram_api::GramApi::acme();
    let gh = GithubStandIn::start();
    gh.git().commit_files(
        "main",
        &[("README.md", b"# old\n", false)],
        "Initial commit",
    );
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins.json");
    std::fs::write(&plugins, r#"{"plugins": []}"#).unwrap();
    let service = format!("gram-admin-test-rotate-{}", std::process::id());
    let (api_url, gram_url, token) = (gh.api_url(), gram.url(), gh.token());
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "publish",
            "--repo",
            "acme/agent-plugins",
            "--github-api",
            &api_url,
            "--plugins",
            plugins.to_str().unwrap(),
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };
    let home = tempfile::tempdir().expect("home");
    let go = |extra: &[&'static str]| {
        let args = args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_signed_in_at(&args, &gram_url, &service, &token, home.path())
    };

    let first = go(&[]);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(first.stdout.starts_with("Published "), "{}", first.stdout);
    assert!(
        first
            .stderr
            .starts_with("Minting the marketplace's hooks key in Gram…\n"),
        "{}",
        first.stderr
    );
    let keys = api.keys();
    assert_eq!(
        keys.len(),
        1,
        "one key minted for the marketplace: {keys:?}"
    );
    let first_key = keys[0].clone();

    let again = go(&[]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(!again.stderr.contains("Minting"), "{}", again.stderr);
    assert!(
        again.stdout.starts_with("Nothing changed"),
        "{}",
        again.stdout
    );
    assert_eq!(
        api.keys().len(),
        1,
        "the saved key is reused, nothing minted"
    );

    let rotated = go(&["--rotate-key", "--grace", "0"]);
    assert_eq!(rotated.code, Some(0), "{}", rotated.stderr);
    assert!(
        rotated.stdout.starts_with("Published "),
        "{}",
        rotated.stdout
    );
    assert!(
        rotated.stderr.contains("Revoked the previous hooks key")
            && rotated.stderr.contains(&first_key.key_prefix),
        "{}",
        rotated.stderr
    );
    let keys = api.keys();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().any(|k| k.id == first_key.id && !k.is_live()));
    assert_eq!(keys.iter().filter(|k| k.is_live()).count(), 1);
    let curlrc = gh.git().git(&[
        "show",
        "main:acme-corp-observability/hooks/gram-hook.curlrc",
    ]);
    assert!(
        !curlrc.contains(&first_key.key_prefix),
        "the old key left the repository"
    );

    // With the default grace, the previous key stays live and is scheduled.
    let second_key = keys.iter().find(|k| k.is_live()).expect("live").clone();
    let graced = go(&["--rotate-key"]);
    assert_eq!(graced.code, Some(0), "{}", graced.stderr);
    assert!(
        graced
            .stderr
            .contains(&format!("Key {}… (replaced by ", second_key.key_prefix))
            && graced.stderr.contains("is revoked in 7 days"),
        "{}",
        graced.stderr
    );
    assert!(api
        .keys()
        .iter()
        .any(|k| k.id == second_key.id && k.is_live()));
    let retire = run_signed_in_at(
        &["keys", "retire"],
        &gram_url,
        &service,
        &token,
        home.path(),
    );
    assert_eq!(retire.code, Some(0), "{}", retire.stderr);
    assert!(
        retire
            .stdout
            .starts_with(&format!("Key {}… (replaced by ", second_key.key_prefix))
            && retire.stdout.contains("is revoked in 7 days"),
        "{}",
        retire.stdout
    );
    assert!(
        api.keys()
            .iter()
            .any(|k| k.id == second_key.id && k.is_live()),
        "not due yet"
    );
    let bad = go(&["--rotate-key", "--grace", "7 weeks"]);
    assert_eq!(bad.code, Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("is not a duration"), "{}", bad.stderr);

    let mixed = go(&["--rotate-key", "--placeholder-key"]);
    assert_eq!(mixed.code, Some(1));
    assert!(
        mixed.stderr.contains("--rotate-key mints a new key"),
        "{}",
        mixed.stderr
    );
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());
}

#[test]
fn ctrl_c_while_github_makes_the_publish_wait_cancels_it_and_the_branch_stays() {
    let gh = GithubStandIn::start();
    let before = gh.git().commit_files(
        "main",
        &[("README.md", b"# old\n", false)],
        "Initial commit",
    );
    gh.fault(
        "git/get-commit",
        gram_admin_testkit::Fault::RateLimited { retry_after: 30 },
    );
    let dir = tempfile::tempdir().unwrap();
    let (api, key) = (gh.api_url(), inputs(dir.path()));
    let home = tempfile::tempdir().expect("home");
    let child = Command::new(env!("CARGO_BIN_EXE_gram-admin"))
        .args(publish_args(&api, &key, &[]))
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GITHUB_TOKEN", gh.token())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run gram-admin");
    // Ctrl-C once GitHub has asked it to wait (it has read the branch's commit).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !gh.operations().iter().any(|op| op == "git/get-commit") {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            gh.operations()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Cancelling: the publish stops before the branch moves"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "error: Publishing to acme/agent-plugins was cancelled before its branch moved: nothing was published.\n"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(gh.head("main"), Some(before), "the branch did not move");
    assert!(gh.writes().is_empty(), "{:?}", gh.writes());
}
