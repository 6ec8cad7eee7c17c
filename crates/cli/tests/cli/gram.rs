//! The commands that talk to Gram, end to end against the stateful Gram stand-in: login, whoami,
//! logout, export with a minted key, keys, plugins, and the marketplace read from Gram.
//!
//! Each test files its keychain entries under its own service name (the hidden
//! GRAM_ADMIN_KEYCHAIN_SERVICE), so it never touches a real entry, and signs out when done.
//! Under scripts/test.sh the keychain is a throwaway Secret Service / keyutils session.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use gram_admin_testkit::gram_api::{GramApi, ACME_SESSION};
use gram_admin_testkit::GramStandIn;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// One user's machine: a throwaway HOME and keychain namespace, and the environment the
/// binary sees (nothing else from the developer's machine).
struct Machine {
    home: tempfile::TempDir,
    service: String,
    env: Vec<(String, String)>,
}

static MACHINES: AtomicUsize = AtomicUsize::new(0);

impl Machine {
    fn new() -> Self {
        let n = MACHINES.fetch_add(1, Ordering::SeqCst);
        Self {
            home: tempfile::tempdir().expect("home"),
            service: format!("gram-admin-test-{}-{n}", std::process::id()),
            env: Vec::new(),
        }
    }

    fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gram-admin"));
        command
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GRAM_ADMIN_KEYCHAIN_SERVICE", &self.service)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The throwaway Secret Service of scripts/test.sh, when there is one.
        if let Some(bus) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
            command.env("DBUS_SESSION_BUS_ADDRESS", bus);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("run gram-admin");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("gram-admin finished");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
        }
    }

    fn login(&self, gram: &GramStandIn) {
        let run = self.run_with_stdin(
            &["login", "--server", &gram.url()],
            &format!("{ACME_SESSION}\n"),
        );
        assert_eq!(
            run.code,
            Some(0),
            "{} (the CLI tests need a keychain: run them with scripts/test.sh -p gram-admin-cli)",
            run.stderr
        );
    }

    /// Every file under HOME, with its contents.
    fn home_files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            for entry in std::fs::read_dir(dir).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    let bytes = std::fs::read(&path).expect("read");
                    out.push((path, bytes));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home.path(), &mut out);
        out
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        // Never leave an entry behind in the test keychain.
        let _ = Command::new(env!("CARGO_BIN_EXE_gram-admin"))
            .arg("logout")
            .env_clear()
            .env("HOME", self.home.path())
            .env("GRAM_ADMIN_KEYCHAIN_SERVICE", &self.service)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn calls(gram: &GramStandIn, op: &str) -> usize {
    gram.requests().iter().filter(|r| r.operation == op).count()
}

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

#[test]
fn login_whoami_logout() {
    let (gram, api) = GramApi::acme();
    let machine = Machine::new();
    let url = gram.url();

    let run = machine.run_with_stdin(
        &["login", "--server", &format!("{url}/")],
        &format!("{ACME_SESSION}\n"),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("Signed in to {url} as admin@acme.test (organization Acme Corp).\n")
    );
    assert_eq!(run.stderr, "");

    let run = machine.run(&["whoami"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("Signed in to {url} as admin@acme.test\nOrganization: Acme Corp (acme-corp)\nProjects: default (used)\n")
    );
    let run = machine.run(&["whoami", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        json,
        serde_json::json!({
            "server": url, "email": "admin@acme.test",
            "organization": {"id": "org-acme", "name": "Acme Corp", "slug": "acme-corp"},
            "projects": ["default"], "project": "default",
        })
    );

    // The session is in the keychain only: no file under HOME holds it.
    for (path, bytes) in machine.home_files() {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(ACME_SESSION),
            "{} holds the session",
            path.display()
        );
    }

    let run = machine.run(&["logout"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), format!("Signed out of {url}.\n").as_str())
    );
    // Gram ended the session: a copy of it anywhere else (the browser it came from) is refused.
    assert!(!api.session_is_live(ACME_SESSION), "Gram still accepts it");
    assert_eq!(calls(&gram, "logout"), 1);
    let run = machine.run(&["whoami"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: You are not signed in to Gram — sign in first (gram-admin login --server URL).\n"
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_refused_token_is_not_saved() {
    let (gram, _api) = GramApi::acme();
    let machine = Machine::new();
    let url = gram.url();
    let run = machine.run_with_stdin(&["login", "--server", &url], "expired-session\n");
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        format!("error: Gram at {url} says you are not signed in — sign in again (gram-admin login --server {url}).\n")
    );
    assert!(!run.stderr.contains("expired-session"));
    let run = machine.run(&["whoami"]);
    assert!(
        run.stderr.contains("You are not signed in to Gram"),
        "{}",
        run.stderr
    );
    assert!(machine.home_files().is_empty(), "nothing written");
    let run = machine.run_with_stdin(&["login", "--server", &url], "\n");
    assert_eq!(
        run.stderr,
        "error: No session token was given: pipe it on stdin or type it at the prompt.\n"
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn gram_server_and_gram_session_are_used_without_a_login() {
    let (gram, _api) = GramApi::acme();
    let machine = Machine::new()
        .with_env("GRAM_SERVER", &gram.url())
        .with_env("GRAM_SESSION", ACME_SESSION);
    let run = machine.run(&["whoami"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run
        .stdout
        .starts_with(&format!("Signed in to {} as admin@acme.test\n", gram.url())));
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn export_without_a_key_file_mints_a_key_and_the_zip_carries_it() {
    let (gram, api) = GramApi::acme();
    let machine = Machine::new();
    machine.login(&gram);
    let out = machine.home.path().join("acme-codex.zip");
    let started = Instant::now();
    let run = machine.run(&[
        "export",
        "--platform",
        "codex",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let elapsed = started.elapsed();
    eprintln!("gram-admin export with a minted key took {elapsed:?} (process start to exit)");
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let keys = api.keys();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert!(key.is_live());
    assert!(
        key.name.starts_with("gram-admin-hooks-codex-"),
        "{}",
        key.name
    );
    assert_eq!(
        run.stderr,
        format!(
            "Minted hooks key {} ({}…) for project default; revoke it with `gram-admin keys revoke {}`.\n",
            key.name, key.key_prefix, key.id
        )
    );
    assert!(run.stdout.starts_with("Wrote 4 files ("), "{}", run.stdout);
    let in_zip = keys_in_zip(&out);
    assert_eq!(in_zip.len(), 1);
    assert_eq!(
        api.live_key(&in_zip[0]).map(|k| k.id.clone()),
        Some(key.id.clone())
    );
    // The full key is printed nowhere.
    assert!(!run.stdout.contains(&in_zip[0]) && !run.stderr.contains(&in_zip[0]));
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn export_to_an_unwritable_destination_mints_nothing() {
    let (gram, api) = GramApi::acme();
    let machine = Machine::new();
    machine.login(&gram);
    gram.clear();
    for out in ["/proc/acme.zip", "/nonexistent/dir/acme.zip"] {
        let run = machine.run(&["export", "--platform", "claude", "--out", out]);
        assert_eq!(run.code, Some(1), "{out}");
        assert!(
            run.stderr
                .starts_with(&format!("error: Could not write the ZIP to {out}")),
            "{}",
            run.stderr
        );
    }
    assert!(gram.requests().is_empty(), "Gram was not even asked");
    assert!(api.keys().is_empty());
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn export_when_signed_out_says_so_and_mints_nothing() {
    let (gram, api) = GramApi::acme();
    let machine = Machine::new();
    let out = machine.home.path().join("acme.zip");
    let run = machine.run(&[
        "export",
        "--platform",
        "claude",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: You are not signed in to Gram — sign in first (gram-admin login --server URL).\n"
    );
    assert!(!out.exists());
    assert!(api.keys().is_empty());
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn render_without_org_details_or_a_sign_in_says_what_to_give() {
    let machine = Machine::new();
    let out = machine.home.path().join("plugin");
    let run = machine.run(&[
        "render",
        "--platform",
        "claude",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: The organisation name is empty: enter your Gram organisation's name (--org).\n\
error: The server URL is empty: enter your Gram server, e.g. https://app.getgram.ai (--server).\n\
error: The project slug is empty: enter the slug of the Gram project that should receive the hook events (--project).\n\
error: Give --org, --project and --server, or sign in to Gram first (gram-admin login --server URL) to use your account's.\n"
    );
    assert!(!out.exists());
}

#[test]
fn several_projects_need_one_chosen() {
    let (gram, api) = GramApi::acme();
    api.add_project("staging", "Staging");
    let machine = Machine::new();
    machine.login(&gram);
    let out = machine.home.path().join("acme.zip");
    let out_s = out.to_str().expect("utf-8");
    let run = machine.run(&["export", "--platform", "claude", "--out", out_s]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.ends_with("error: The organization \"Acme Corp\" has several projects (default, staging); choose the one hook events go to (--project).\n"),
        "{}",
        run.stderr
    );
    assert!(api.keys().is_empty());
    let run = machine.run(&[
        "export",
        "--platform",
        "claude",
        "--project",
        "staging",
        "--out",
        out_s,
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("for project staging;"),
        "{}",
        run.stderr
    );
    assert_eq!(api.live_keys().len(), 1);
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn keys_list_shows_only_gram_admin_keys_and_revoke_revokes() {
    let (gram, api) = GramApi::acme();
    let foreign = api.add_foreign_key("ci-deploy");
    let machine = Machine::new();
    machine.login(&gram);
    let out = machine.home.path().join("acme.zip");
    let run = machine.run(&[
        "export",
        "--platform",
        "cursor",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let key = api
        .live_keys()
        .into_iter()
        .find(|k| k.id != foreign.id)
        .expect("minted");

    let run = machine.run(&["keys", "list"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(lines[0].starts_with("ID "), "{}", lines[0]);
    assert!(
        lines[0].ends_with("CREATED               LAST USED"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        format!(
            "{}  {}  {}…  hooks   {}  never",
            key.id, key.name, key.key_prefix, key.created_at
        )
    );
    assert!(!run.stdout.contains("ci-deploy"));

    let run = machine.run(&["keys", "list", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(1));
    assert_eq!(json[0]["id"], key.id.as_str());
    assert!(json[0].get("key").is_none(), "never the plaintext");

    let run = machine.run(&["keys", "revoke", &foreign.id]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("minted by gram-admin"),
        "{}",
        run.stderr
    );
    let run = machine.run(&["keys", "revoke", &key.id]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("Revoked {} ({}…).\n", key.name, key.key_prefix)
    );
    assert_eq!(api.live_keys(), [foreign]);
    let run = machine.run(&["keys", "list"]);
    assert_eq!(
        run.stdout,
        "gram-admin has minted no live keys in this organization.\n"
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn plugins_come_from_gram_and_the_marketplace_renders_them() {
    let (gram, api) = GramApi::acme();
    let machine = Machine::new();
    machine.login(&gram);
    let url = gram.url();

    let run = machine.run(&["plugins", "list"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "Payments (payments)\n  Ledger  {url}/mcp/acme-ledger  (private: GRAM_KEY)\n  Stripe  {url}/mcp/acme-stripe  (public; X-Stripe-Key from $STRIPE_API_KEY)\nDocs search (docs)\n  Handbook  {url}/mcp/acme-handbook  (public; MCP-HANDBOOK_TOKEN from $HANDBOOK_TOKEN)\n"
        )
    );
    // --json is a plugins file `marketplace render --plugins` reads.
    let run = machine.run(&["plugins", "list", "--json"]);
    let plugins_file = machine.home.path().join("plugins.json");
    std::fs::write(&plugins_file, &run.stdout).expect("plugins.json");

    let from_gram = machine.home.path().join("from-gram");
    let run = machine.run(&[
        "marketplace",
        "render",
        "--out",
        from_gram.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "note: no --key-file given: using the placeholder key (gram_local_00000…); this plugin cannot report to Gram. `gram-admin export` mints a real key.\n"
    );
    let mcp = std::fs::read_to_string(from_gram.join("payments/.mcp.json")).expect("payments");
    assert!(mcp.contains(&format!("{url}/mcp/acme-ledger")), "{mcp}");

    let from_file = machine.home.path().join("from-file");
    let run = machine.run(&[
        "marketplace",
        "render",
        "--plugins",
        plugins_file.to_str().expect("utf-8"),
        "--out",
        from_file.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        std::fs::read(from_file.join("payments/.mcp.json")).expect("same"),
        mcp.as_bytes()
    );
    assert!(api.keys().is_empty(), "a render never mints");
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn render_and_preview_without_a_key_use_the_placeholder_and_never_mint() {
    let (gram, api) = GramApi::acme();
    let machine = Machine::new();
    machine.login(&gram);
    let run = machine.run(&["preview", "--platform", "claude"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("note: no --key-file given: using the placeholder key"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("gram_local_00000…"));
    let out = machine.home.path().join("plugin");
    let run = machine.run(&[
        "render",
        "--platform",
        "cursor",
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        "https://app.getgram.ai",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.starts_with("note: no --key-file given"),
        "{}",
        run.stderr
    );
    assert_eq!(calls(&gram, "createAPIKey"), 0);
    assert!(api.keys().is_empty());
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_server_other_than_the_signed_in_one_is_refused() {
    let (gram, api) = GramApi::acme();
    let machine = Machine::new();
    machine.login(&gram);
    let out = machine.home.path().join("acme.zip");
    let run = machine.run(&[
        "export",
        "--platform",
        "claude",
        "--server",
        "https://other.test",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        format!("error: You are signed in to {0}, but the server is https://other.test: sign in to https://other.test first, or leave the server empty to report to {0}.\n", gram.url())
    );
    assert!(api.keys().is_empty());
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn signed_out_publish_without_plugins_says_both_ways_forward() {
    let machine = Machine::new();
    let run = machine.run(&[
        "publish",
        "--repo",
        "acme/agent-plugins",
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        "https://app.getgram.ai",
        "--placeholder-key",
    ]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: The marketplace lists your organization's plugins from Gram, and you are not signed in: sign in (gram-admin login --server URL), or give --plugins FILE (`{\"plugins\": []}` for the observability plugins alone).\n"
    );
}

#[test]
fn signed_out_the_marketplace_says_both_ways_forward() {
    let machine = Machine::new();
    let out = machine.home.path().join("marketplace");
    let run = machine.run(&[
        "marketplace",
        "render",
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        "https://app.getgram.ai",
        "--placeholder-key",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, Some(1));
    assert_eq!(
        run.stderr,
        "error: The marketplace lists your organization's plugins from Gram, and you are not signed in: sign in (gram-admin login --server URL), or give --plugins FILE (`{\"plugins\": []}` for the observability plugins alone).\n"
    );
    assert!(!out.exists());
}
