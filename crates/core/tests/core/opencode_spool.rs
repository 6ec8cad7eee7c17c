//! The OpenCode module's spool at its edges, driven directly in `node` (the module imported, its
//! hooks called with synthetic inputs, as OpenCode calls them) against the Gram stand-in: the
//! 2,000-entry cap, expiry, two processes draining at once, an unwritable spool.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use gram_admin_core::{render, Platform};
use gram_admin_testkit::{closed_port, Answer, GramHooks, GramStandIn, HookRequest};
use serde_json::{json, Value};

use crate::support::{key, org};

const DELIVERY: Duration = Duration::from_secs(10);

/// Imports the module, sends `count` prompts `<prefix><i>` through `chat.message`, then
/// `dispose`, as OpenCode does at exit. A throw from any hook fails the process.
const DRIVER: &str = r#"
const [dir, count, prefix] = [process.argv[1], Number(process.argv[2]), process.argv[3]];
const { GramObservability } = await import(dir + "/gram-observability.js");
const hooks = await GramObservability({ directory: "/tmp/gram-admin-test-project" });
for (let i = 0; i < count; i++) {
  await hooks["chat.message"]({ sessionID: "ses_spool" }, { parts: [{ type: "text", text: prefix + i }] });
}
await hooks.dispose();
"#;

/// The plugin (module + data file) for Gram at `server`, and an XDG state directory.
struct Install {
    dir: tempfile::TempDir,
}

impl Install {
    fn new(server: &str) -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        Self::write_plugin(dir.path(), server);
        std::fs::create_dir_all(dir.path().join("state")).expect("state");
        Self { dir }
    }

    fn write_plugin(dir: &Path, server: &str) {
        let bundle =
            render::observability_plugin(&org(server), &key(), Platform::OpenCode).expect("render");
        for f in bundle.files() {
            let path = dir.join(&f.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, &f.contents).expect("write");
        }
    }

    /// The same plugin (same spool) pointing at `server`: the same Gram, on another port.
    fn repoint(&self, server: &str) {
        let path = self.dir.path().join(render::OPENCODE_DATA_PATH);
        let mut data: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        data["endpoint"] = json!(format!("{server}/rpc/hooks.ingest"));
        std::fs::write(&path, data.to_string()).expect("write");
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn spawn(&self, count: usize, prefix: &str) -> Child {
        Command::new("node")
            .args(["--input-type=module", "-e", DRIVER])
            .arg(self.dir.path().join("plugin"))
            .arg(count.to_string())
            .arg(prefix)
            .env("XDG_STATE_HOME", self.state())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node (scripts/setup.sh installs it)")
    }

    /// Runs the driver; the hooks never throw and the module never prints.
    fn run(&self, count: usize, prefix: &str) -> Output {
        let out = self.spawn(count, prefix).wait_with_output().expect("wait");
        assert_ok(&out);
        out
    }

    /// The spool's `.ev` files, oldest first.
    fn spooled(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for dir in std::fs::read_dir(self.state().join("gram-hooks"))
            .into_iter()
            .flatten()
            .flatten()
        {
            for f in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if f.path().extension().is_some_and(|e| e == "ev") {
                    files.push(f.path());
                }
            }
        }
        files.sort();
        files
    }
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "status {}, stdout {:?}, stderr {:?}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn prompt_of_file(path: &Path) -> String {
    let entry: Value = serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    entry["envelope"]["data"]["prompt"]["text"]
        .as_str()
        .expect("prompt")
        .to_owned()
}

fn prompt(r: &HookRequest) -> String {
    r.json().expect("json")["data"]["prompt"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn gram_up() -> GramStandIn {
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |_| {
        Answer::Json(200, json!({ "decision": "allow" }))
    });
    gram
}

fn replayed(requests: &[HookRequest]) -> Vec<&HookRequest> {
    requests
        .iter()
        .filter(|r| r.header("X-Gram-Replayed") == Some("true"))
        .collect()
}

#[test]
fn with_gram_down_2100_events_leave_the_newest_2000_in_the_spool() {
    let install = Install::new(&closed_port());
    install.run(2100, "");
    let files = install.spooled();
    assert_eq!(files.len(), 2000);
    let kept: Vec<String> = files.iter().map(|f| prompt_of_file(f)).collect();
    let newest: Vec<String> = (100..2100).map(|i| i.to_string()).collect();
    assert_eq!(
        kept, newest,
        "the oldest 100 are dropped, the rest kept in order"
    );
}

#[test]
fn entries_older_than_14_days_are_dropped_never_replayed() {
    let install = Install::new(&closed_port());
    install.run(3, "old-");
    let files = install.spooled();
    assert_eq!(files.len(), 3);
    // Age the two oldest past 14 days: the name's first 15 digits are its spool time (ms).
    let aged = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis()
        - 15 * 24 * 3600 * 1000;
    for (i, file) in files[..2].iter().enumerate() {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let renamed = format!("{:015}{}", aged + i as u128, &name[15..]);
        std::fs::rename(file, file.with_file_name(renamed)).expect("rename");
    }

    let gram = gram_up();
    install.repoint(&gram.url());
    install.run(1, "live-");
    let got = gram.wait_until(DELIVERY, |r| r.len() >= 2);
    std::thread::sleep(Duration::from_millis(300));
    let got = if got.len() >= 2 { gram.requests() } else { got };
    let replays: Vec<String> = replayed(&got).into_iter().map(prompt).collect();
    assert_eq!(
        replays,
        ["old-2"],
        "only the entry within 14 days is replayed"
    );
    assert!(install.spooled().is_empty(), "expired entries are deleted");
    assert_eq!(got.repeats(), 0);
}

#[test]
fn two_processes_draining_at_once_replay_each_event_exactly_once() {
    let install = Install::new(&closed_port());
    install.run(40, "spooled-");
    assert_eq!(install.spooled().len(), 40);

    let gram = gram_up();
    install.repoint(&gram.url());
    let a = install.spawn(1, "live-a-");
    let b = install.spawn(1, "live-b-");
    for child in [a, b] {
        assert_ok(&child.wait_with_output().expect("wait"));
    }
    let got = gram.wait_until(DELIVERY, |r| r.len() >= 42);
    assert_eq!(got.repeats(), 0, "an event was replayed twice");
    assert_eq!(got.without_idempotency_key(), 0);
    let mut replays: Vec<String> = replayed(&got).into_iter().map(prompt).collect();
    replays.sort_by_key(|p| p["spooled-".len()..].parse::<u32>().expect("n"));
    let expected: Vec<String> = (0..40).map(|i| format!("spooled-{i}")).collect();
    assert_eq!(replays, expected);
    assert_eq!(got.stored().len(), 42);
    assert!(install.spooled().is_empty());
}

#[test]
fn an_unwritable_spool_never_throws_and_events_still_go_live() {
    // A file where the spool's parent directory should be: no spool can be made, even as root.
    let gram = gram_up();
    let install = Install::new(&gram.url());
    std::fs::write(install.state().join("gram-hooks"), "not a directory").expect("write");
    install.run(3, "live-");
    let got = gram.wait_for(3, DELIVERY);
    let prompts: Vec<String> = got.iter().map(prompt).collect();
    assert_eq!(prompts, ["live-0", "live-1", "live-2"]);

    // Gram down as well: nothing can be kept, and still nothing throws or prints.
    install.repoint(&closed_port());
    install.run(3, "lost-");
    assert!(install.state().join("gram-hooks").is_file());
}

#[test]
fn a_redirect_is_never_followed_with_the_key() {
    // Gram's address answers 307 to another server: fetch would follow it, Gram-Key and all.
    let elsewhere = GramStandIn::start();
    let gram = GramStandIn::start();
    let location = format!("{}/rpc/hooks.ingest", elsewhere.url());
    gram.answer_operation_with("ingestHookEvent", move |_| Answer::Redirect {
        location: location.clone(),
        headers: Vec::new(),
    });
    let install = Install::new(&gram.url());
    install.run(2, "redirected-");
    assert_eq!(
        gram.wait_for(2, DELIVERY).len(),
        2,
        "the events went to Gram's address"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        elsewhere.requests().len(),
        0,
        "the redirect was followed, with the key"
    );
    // Not delivered: the events are kept for a later send.
    let kept: Vec<String> = install
        .spooled()
        .iter()
        .map(|f| prompt_of_file(f))
        .collect();
    assert_eq!(kept, ["redirected-0", "redirected-1"]);
    assert!(gram.requests().iter().all(|r| r.status == 307));
    gram.take_violations();
    elsewhere.take_violations();
}
