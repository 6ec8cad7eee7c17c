//! The OpenCode observability module in the real OpenCode (`opencode-ai` from npm, run offline
//! against a fake Chat Completions API), reporting to the Gram stand-in's `ingestHookEvent`,
//! which checks every envelope against Gram's contract.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use gram_admin_conformance::agents::{self, Finished};
use gram_admin_conformance::fake_model::{Api, FakeModel, Turn};
use gram_admin_conformance::opencode_home::OpenCodeHome;
use gram_admin_conformance::test_key;
use gram_admin_testkit::{closed_port, Answer, GramStandIn, HookRequest, HungServer};
use serde_json::{json, Value};

mod mcp;
mod typecheck;

const SESSION_LIMIT: Duration = Duration::from_secs(120);
const DELIVERY: Duration = Duration::from_secs(10);

/// One OpenCode session at a time: timings on a shared 2-core machine mean nothing otherwise.
fn one_session_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The suite's OpenCode home, with its checks.
struct Home(OpenCodeHome);

impl std::ops::Deref for Home {
    type Target = OpenCodeHome;

    fn deref(&self) -> &OpenCodeHome {
        &self.0
    }
}

impl Home {
    fn new(model: &FakeModel) -> Self {
        Self(OpenCodeHome::new(model))
    }

    fn command(&self, opencode: &Path, prompt: &str) -> Command {
        let mut cmd = self.bare_command(opencode);
        cmd.args([
            "run",
            "--print-logs",
            "--log-level",
            "DEBUG",
            "-m",
            "fake/fake-model",
            prompt,
        ]);
        cmd
    }

    fn run(&self, opencode: &Path, prompt: &str) -> Finished {
        let run = agents::run(self.command(opencode, prompt), SESSION_LIMIT);
        assert!(run.success(), "opencode run failed:\n{}", run.describe());
        self.assert_no_key_anywhere(&run);
        run
    }

    /// The key is in none of OpenCode's output, logs or state files — only in the data file.
    fn assert_no_key_anywhere(&self, run: &Finished) {
        let key = test_key();
        let secret = &key.expose()[11..];
        assert!(
            !run.stdout().contains(secret),
            "the key is in OpenCode's stdout"
        );
        assert!(
            !run.stderr().contains(secret),
            "the key is in OpenCode's logs (stderr)"
        );
        for dir in [self.data(), self.state(), self.project()] {
            for file in files_under(&dir) {
                let bytes = std::fs::read(&file).unwrap_or_default();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(secret),
                    "the key is in {}",
                    file.display()
                );
            }
        }
    }

    /// The spool's `.ev` files, oldest first.
    fn spooled(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = files_under(&self.state().join("gram-hooks"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "ev"))
            .collect();
        files.sort();
        files
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn allow_all(gram: &GramStandIn) {
    gram.answer_operation_with("ingestHookEvent", |_| {
        Answer::Json(200, json!({ "decision": "allow" }))
    });
}

fn event_type(r: &HookRequest) -> String {
    r.json()
        .and_then(|v| v["event"]["type"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn types(requests: &[HookRequest]) -> Vec<String> {
    requests.iter().map(event_type).collect()
}

/// Every request is an ingest envelope with the plugin's headers, a fresh Idempotency-Key, and
/// no contract violation.
fn assert_envelopes(gram: &GramStandIn, requests: &[HookRequest], replayed: bool) {
    assert_eq!(gram.violations(), Vec::<String>::new());
    let mut tokens = BTreeSet::new();
    for r in requests {
        assert_eq!(r.operation, "ingestHookEvent", "{}", r.url);
        assert_eq!(r.url, "/rpc/hooks.ingest");
        assert_eq!(r.header("Gram-Key"), Some(test_key().expose()));
        assert_eq!(r.header("Gram-Project"), Some("default"));
        assert_eq!(
            r.header("X-Gram-Replayed"),
            replayed.then_some("true"),
            "{}",
            event_type(r)
        );
        let token = r.header("Idempotency-Key").expect("Idempotency-Key");
        assert!(
            token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "{token}"
        );
        assert!(tokens.insert(token.to_owned()), "Idempotency-Key reused");
        let body = r.json().expect("JSON body");
        assert_eq!(body["schema_version"], "hook.ingest.v1");
        assert_eq!(body["source"]["adapter"], "opencode");
        assert!(body["event"]["occurred_at"].is_string());
    }
}

fn opencode() -> Option<&'static Path> {
    agents::opencode()
}

const EXPECTED: [&str; 11] = [
    "session.started",
    "prompt.submitted",
    "tool.requested",
    "tool.completed",
    "usage.reported",
    "tool.requested",
    "tool.failed",
    "usage.reported",
    "assistant.responded",
    "usage.reported",
    "session.updated",
];

fn two_tools() -> Vec<Turn> {
    vec![
        Turn::Shell("echo made > first.txt; echo made".into()),
        Turn::Shell("echo failing > second.txt; exit 3".into()),
        Turn::Text("All done.".into()),
    ]
}

/// How long each tool of [`two_tools`] started after the model asked for it: from the model's
/// answer to the file the command wrote. What a decision wait costs the agent, measured where
/// it happens (wall-clock totals on a shared machine vary by seconds).
fn tool_delays(home: &Home, model: &FakeModel) -> [Duration; 2] {
    let answered: Vec<std::time::SystemTime> = model
        .requests()
        .iter()
        .zip(model.answered())
        .filter(|(r, _)| r["tools"].as_array().is_some_and(|t| !t.is_empty()))
        .map(|(_, at)| at)
        .collect();
    let written = |name: &str| {
        std::fs::metadata(home.project().join(name))
            .and_then(|m| m.modified())
            .unwrap_or_else(|e| panic!("{name}: {e}: the tool did not run"))
    };
    let delay = |asked: std::time::SystemTime, name: &str| {
        written(name)
            .duration_since(asked)
            .unwrap_or_else(|e| panic!("{name} written before the model asked for it: {e}"))
    };
    [
        delay(answered[0], "first.txt"),
        delay(answered[1], "second.txt"),
    ]
}

#[test]
fn a_session_reports_every_event_in_order_with_its_session_id() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let gram = GramStandIn::start();
    allow_all(&gram);
    let model = FakeModel::start(Api::OpenAiChat, two_tools());
    let home = Home::new(&model);
    home.install_plugin(&gram.url());
    home.run(opencode, "make a file");
    assert!(home.project().join("first.txt").exists(), "the tool ran");

    let got = gram.wait_for(EXPECTED.len(), DELIVERY);
    assert_eq!(types(&got), EXPECTED);
    assert_envelopes(&gram, &got, false);
    let session = got[0].json().expect("json")["session"]["id"].clone();
    assert!(
        session.as_str().is_some_and(|s| s.starts_with("ses_")),
        "{session}"
    );
    for r in &got {
        let body = r.json().expect("json");
        assert_eq!(body["session"]["id"], session, "{}", event_type(r));
        assert_eq!(
            body["session"]["cwd"],
            home.project().to_str().expect("utf-8")
        );
    }
    let body = |i: usize| got[i].json().expect("json");
    // `opencode run` hands the model the prompt in quotes.
    assert!(
        body(1)["data"]["prompt"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("make a file")),
        "{}",
        body(1)
    );
    assert_eq!(body(1)["session"]["model"], "fake/fake-model");
    assert_eq!(body(2)["data"]["tool_call"]["name"], "bash");
    assert_eq!(
        body(2)["data"]["tool_call"]["input"]["command"],
        "echo made > first.txt; echo made"
    );
    assert_eq!(body(3)["data"]["tool_call"]["output"], "made\n");
    assert_eq!(body(6)["data"]["tool_call"]["status"], "exit 3");
    assert_eq!(body(4)["data"]["usage"]["input_tokens"], 10);
    assert_eq!(body(8)["data"]["message"]["text"], "All done.");
    let stamps: Vec<String> = got
        .iter()
        .map(|r| {
            r.json().expect("json")["event"]["occurred_at"]
                .as_str()
                .expect("at")
                .to_owned()
        })
        .collect();
    let mut sorted = stamps.clone();
    sorted.sort();
    assert_eq!(stamps, sorted, "occurred_at follows the order of events");
    assert!(
        home.spooled().is_empty(),
        "nothing spooled while Gram is up"
    );
}

#[test]
fn a_gram_deny_stops_the_tool_and_the_model_sees_gram_s_message() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |r| {
        if event_type(r) == "tool.requested" {
            Answer::Json(
                200,
                json!({ "decision": "deny", "message": "Blocked by Acme policy: no files here.", "reason": "policy" }),
            )
        } else {
            Answer::Json(200, json!({ "decision": "allow" }))
        }
    });
    let model = FakeModel::start(
        Api::OpenAiChat,
        vec![
            Turn::Shell("touch created-by-tool.txt".into()),
            Turn::Text("Understood.".into()),
        ],
    );
    let home = Home::new(&model);
    home.install_plugin(&gram.url());
    home.run(opencode, "create a file");
    assert!(
        !home.project().join("created-by-tool.txt").exists(),
        "the denied command ran"
    );
    let tool_results: String = model
        .requests()
        .iter()
        .flat_map(|r| r["messages"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].to_string())
        .collect();
    assert!(
        tool_results.contains("Blocked by Acme policy: no files here."),
        "the model did not see Gram's message: {tool_results}"
    );
    let got = gram.wait_until(DELIVERY, |r| {
        r.iter().any(|r| event_type(r) == "session.updated")
    });
    let seen = types(&got);
    assert!(seen.contains(&"tool.requested".to_owned()), "{seen:?}");
    assert!(
        !seen
            .iter()
            .any(|t| t == "tool.completed" || t == "tool.failed"),
        "a denied tool never completes: {seen:?}"
    );
    assert_envelopes(&gram, &got, false);
}

/// Baseline wall time of the same session with Gram up.
fn baseline(opencode: &Path) -> Duration {
    let gram = GramStandIn::start();
    allow_all(&gram);
    let model = FakeModel::start(Api::OpenAiChat, two_tools());
    let home = Home::new(&model);
    home.install_plugin(&gram.url());
    let run = home.run(opencode, "make a file");
    gram.wait_for(EXPECTED.len(), DELIVERY);
    assert_eq!(gram.violations(), Vec::<String>::new());
    for (i, delay) in tool_delays(&home, &model).into_iter().enumerate() {
        assert!(
            delay < Duration::from_millis(1000),
            "Gram up: tool {i} waited {delay:?}"
        );
    }
    run.elapsed
}

#[test]
fn gram_down_costs_the_session_little_and_every_event_is_replayed_later() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let up = baseline(opencode);

    let model = FakeModel::start(Api::OpenAiChat, two_tools());
    let home = Home::new(&model);
    home.install_plugin(&closed_port());
    let down = home.run(opencode, "make a file");
    assert!(home.project().join("first.txt").exists(), "the tool ran");
    for (i, delay) in tool_delays(&home, &model).into_iter().enumerate() {
        assert!(
            delay < Duration::from_millis(1000),
            "Gram down: tool {i} waited {delay:?}"
        );
    }
    assert!(
        down.elapsed < up + Duration::from_secs(5),
        "Gram down: {:?} against {up:?} with Gram up",
        down.elapsed
    );
    let spooled = home.spooled();
    assert_eq!(spooled.len(), EXPECTED.len(), "every event is kept");
    let dir = spooled[0].parent().expect("spool dir");
    assert_eq!(
        std::fs::metadata(dir).expect("dir").permissions().mode() & 0o777,
        0o700
    );
    let mut tokens = Vec::new();
    for file in &spooled {
        assert_eq!(
            std::fs::metadata(file).expect("file").permissions().mode() & 0o777,
            0o600
        );
        let entry: Value =
            serde_json::from_slice(&std::fs::read(file).expect("read")).expect("json");
        tokens.push(entry["idempotency_key"].as_str().expect("token").to_owned());
    }

    // Gram is back: the next session's first accepted event replays the spool, oldest first.
    let gram = GramStandIn::start();
    allow_all(&gram);
    home.repoint(&gram.url());
    for file in ["first.txt", "second.txt"] {
        std::fs::remove_file(home.project().join(file)).expect("rm");
    }
    home.run(opencode, "make a file");
    let got = gram.wait_until(DELIVERY, |r| {
        r.iter()
            .filter(|r| r.header("X-Gram-Replayed").is_some())
            .count()
            >= EXPECTED.len()
    });
    let replayed: Vec<HookRequest> = got
        .iter()
        .filter(|r| r.header("X-Gram-Replayed").is_some())
        .cloned()
        .collect();
    assert_eq!(types(&replayed), EXPECTED, "replayed oldest first");
    let replayed_tokens: Vec<&str> = replayed
        .iter()
        .map(|r| r.header("Idempotency-Key").expect("key"))
        .collect();
    assert_eq!(
        replayed_tokens, tokens,
        "under their original Idempotency-Keys"
    );
    assert_envelopes(&gram, &replayed, true);
    let live: Vec<HookRequest> = got
        .iter()
        .filter(|r| r.header("X-Gram-Replayed").is_none())
        .cloned()
        .collect();
    assert_envelopes(&gram, &live, false);
    assert!(
        home.spooled().is_empty(),
        "the spool is empty once replayed"
    );
}

#[test]
fn gram_hanging_costs_one_decision_wait_then_fails_open() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let up = baseline(opencode);

    let hung = HungServer::start();
    let model = FakeModel::start(Api::OpenAiChat, two_tools());
    let home = Home::new(&model);
    home.install_plugin(&hung.url());
    let run = home.run(opencode, "make a file");
    assert!(home.project().join("first.txt").exists(), "the tool ran");
    // The first decision waits its 1.5 s; the next one does not wait at all.
    let [first, second] = tool_delays(&home, &model);
    assert!(
        first >= Duration::from_millis(1400) && first < Duration::from_millis(3000),
        "the first decision should wait for Gram about 1.5 s: {first:?}"
    );
    assert!(
        second < Duration::from_millis(1000),
        "after a timeout decisions do not wait: {second:?}"
    );
    // Plus the bounded flush at exit (1.5 s); the rest is spooled.
    assert!(
        run.elapsed < up + Duration::from_secs(6),
        "Gram hanging: {:?} against {up:?}",
        run.elapsed
    );
    assert_eq!(home.spooled().len(), EXPECTED.len(), "every event is kept");
    assert!(hung.accepted() >= 1, "the module did try Gram");
}

/// Issue #19 in a real OpenCode session: the prompt and the tool's output carry a canary secret
/// and sentence. At metadata neither reaches Gram nor the spool, and the events still arrive
/// with their types and the tool's name; at full the sentence arrives, the secret only as
/// `[redacted:aws_access_key]`.
#[test]
fn privacy_levels_hold_in_a_real_opencode_session() {
    use gram_admin_core::privacy::Content;
    const SECRET: &str = "AKIAZQ3DRSTUVWXY2345";
    const SENTENCE: &str = "the canary sang at midnight";
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    for content in Content::ALL {
        let gram = GramStandIn::start();
        allow_all(&gram);
        let model = FakeModel::start(
            Api::OpenAiChat,
            vec![
                Turn::Shell(format!("echo '{SENTENCE}' '{SECRET}'")),
                Turn::Text("All done.".into()),
            ],
        );
        let home = Home::new(&model);
        home.install_plugin_at(&gram.url(), content);
        home.run(
            opencode,
            &format!("{SENTENCE}. My key is {SECRET}; run it."),
        );
        let got = gram.wait_until(DELIVERY, |r| {
            types(r).iter().any(|t| t == "session.updated")
        });
        let kinds = types(&got);
        for kind in [
            "session.started",
            "prompt.submitted",
            "tool.requested",
            "tool.completed",
        ] {
            assert!(kinds.iter().any(|k| k == kind), "{content}: {kinds:?}");
        }
        let bodies: Vec<String> = got
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect();
        for (r, body) in got.iter().zip(&bodies) {
            if event_type(r).starts_with("tool.") {
                assert_eq!(
                    r.json().expect("json")["data"]["tool_call"]["name"],
                    "bash",
                    "{body}"
                );
            }
            assert!(
                !body.contains(SECRET),
                "{content}: the secret reached Gram: {body}"
            );
            if content == Content::Metadata {
                assert!(!body.contains(SENTENCE), "{content}: {body}");
            }
        }
        if content == Content::Full {
            assert!(
                bodies.iter().any(|b| b.contains(SENTENCE)),
                "full: no sentence"
            );
            assert!(
                bodies
                    .iter()
                    .any(|b| b.contains("[redacted:aws_access_key]")),
                "full: the secret never arrived redacted"
            );
        }
        for file in files_under(&home.state().join("gram-hooks")) {
            let text =
                String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
            assert!(
                !text.contains(SECRET),
                "{content}: the secret is in {}",
                file.display()
            );
        }
        assert_eq!(gram.violations(), Vec::<String>::new(), "{content}");
        eprintln!("opencode privacy {content}: {} envelopes", got.len());
    }
}

/// Issue 21: behind the company's proxy and CA. Gram is reachable only through the CONNECT proxy
/// (as `gram.test`) with a certificate the company's CA signed; the plugin carries the CA
/// (`plugin/gram-ca.pem`) and the module hands it to Bun's fetch (`tls: { ca }`); Bun takes the
/// proxy from `HTTPS_PROXY`. The fake model stays direct (`NO_PROXY`).
#[test]
fn a_session_behind_the_company_proxy_and_ca_reports_every_event() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let ca = gram_admin_testkit::TestCa::new("Acme Inspecting Proxy CA");
    let gram = GramStandIn::start();
    allow_all(&gram);
    let front = gram_admin_testkit::TlsFront::new(&ca, &gram.url());
    let proxy = gram_admin_testkit::ConnectProxy::start();
    let model = FakeModel::start(Api::OpenAiChat, two_tools());
    let home = Home::new(&model);
    let mut org = gram_admin_conformance::fixture_org(&front.url_as("gram.test"));
    org.ca = Some(ca.pem());
    let bundle = gram_admin_core::render::observability_plugin(
        &org,
        &test_key(),
        gram_admin_core::Platform::OpenCode,
    )
    .expect("render");
    let bytes = gram_admin_core::export::zip_bytes(&bundle).expect("zip");
    zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .expect("zip")
        .extract(home.config_dir())
        .expect("unzip");
    assert!(home.config_dir().join("plugin/gram-ca.pem").is_file());

    let mut cmd = home.command(opencode, "make a file");
    cmd.env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "127.0.0.1,localhost");
    let run = agents::run(cmd, SESSION_LIMIT);
    assert!(run.success(), "opencode run failed:\n{}", run.describe());
    let got = gram.wait_for(EXPECTED.len(), DELIVERY);
    assert_eq!(types(&got), EXPECTED, "{}", run.describe());
    assert_envelopes(&gram, &got, false);
    let tunnels = proxy.requests();
    let to_gram = format!("CONNECT gram.test:{} HTTP/1.1", front.port());
    assert!(
        !tunnels.is_empty() && tunnels.iter().all(|t| t == &to_gram),
        "{tunnels:?}"
    );
    eprintln!(
        "opencode behind the proxy: {} events through {} tunnels, session {:.2} s",
        got.len(),
        tunnels.len(),
        run.elapsed.as_secs_f64()
    );
}
