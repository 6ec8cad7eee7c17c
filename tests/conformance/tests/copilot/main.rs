//! The Copilot observability package in the real GitHub Copilot CLI (`@github/copilot` from npm),
//! fully offline: its bring-your-own-model mode against the fake Chat Completions API, the
//! published marketplace cloned from a git repository over loopback smart HTTP, every envelope
//! checked by the Gram stand-in against Gram's contract.
//!
//! One session serves several assertions (2 cores; each session takes 2–4 s): the marketplace
//! installs the Copilot package by name (not Claude's), every event arrives once and in order,
//! Gram's deny blocks the tool and the model sees the reason, the key is in no log or session
//! file. A second session runs with Gram down: no tool is blocked, and the kept envelopes are
//! replayed once when Gram answers again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use gram_admin_conformance::agents::{self, Finished};
use gram_admin_conformance::fake_model::{Api, FakeModel, Turn};
use gram_admin_conformance::{fixture_org, fixture_spec, test_key};
use gram_admin_core::render;
use gram_admin_testkit::{closed_port, Answer, GitHttpServer, GramStandIn, HookRequest};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(120);
const DELIVERY: Duration = Duration::from_secs(15);
const MARKETPLACE: &str = "acme-corp-gram";
const PLUGIN: &str = "acme-corp-observability-copilot";
const DENIED: &str = "touch gram-denied-marker";
const REASON: &str = "Gram policy: no markers here";

/// One Copilot session at a time: the machine has 2 cores.
fn one_session_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An isolated Copilot home: HOME, COPILOT_HOME and every XDG directory in a temp dir; the
/// unpacked CLI shared between homes (`COPILOT_PKG_CACHE_HOME`).
struct Home {
    dir: tempfile::TempDir,
    copilot: PathBuf,
    model: String,
}

impl Home {
    fn new(copilot: &Path) -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        for sub in [
            "home/.copilot",
            "project",
            "config",
            "state",
            "data",
            "cache",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        Self {
            dir,
            copilot: copilot.to_owned(),
            model: String::new(),
        }
    }

    /// Sessions talk to `model` from now on.
    fn use_model(&mut self, model: &FakeModel) {
        self.model = format!("{}/v1", model.url());
    }

    fn copilot_home(&self) -> PathBuf {
        self.dir.path().join("home/.copilot")
    }

    fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    fn command(&self, args: &[&str]) -> Command {
        let d = self.dir.path();
        let mut cmd = Command::new(&self.copilot);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", d.join("home"))
            .env("COPILOT_HOME", self.copilot_home())
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_CACHE_HOME", d.join("cache"))
            .env(
                "COPILOT_PKG_CACHE_HOME",
                agents::cache_dir().join("copilot-pkg"),
            )
            .env("COPILOT_OFFLINE", "true")
            .env("COPILOT_AUTO_UPDATE", "false")
            .env("COPILOT_PROVIDER_BASE_URL", &self.model)
            .env("COPILOT_PROVIDER_TYPE", "openai")
            .env("COPILOT_PROVIDER_API_KEY", "dummy")
            .env("COPILOT_MODEL", "fake-model")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1")
            .current_dir(self.project())
            .stdin(std::process::Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Finished {
        let done = agents::run(self.command(args), LIMIT);
        assert!(done.success(), "copilot {args:?}: {}", done.describe());
        done
    }

    /// `plugin marketplace add <git url>` and `plugin install <plugin>@<marketplace>`.
    fn install(&self, repo_url: &str) {
        self.run(&["plugin", "marketplace", "add", repo_url]);
        self.run(&["plugin", "install", &format!("{PLUGIN}@{MARKETPLACE}")]);
    }

    fn session(&self, prompt: &str) -> Finished {
        self.run(&["-p", prompt, "--allow-all-tools", "--no-auto-update"])
    }

    /// The installed copy of the observability package (cloned from the marketplace).
    fn installed_plugin(&self) -> PathBuf {
        find_dir(&self.copilot_home(), &|p| {
            p.ends_with(PLUGIN) && p.join("hooks/gram-hook.curlrc").is_file()
        })
        .unwrap_or_else(|| {
            panic!(
                "no installed {PLUGIN} under {}",
                self.copilot_home().display()
            )
        })
    }

    /// The hook's spool: under the plugin data directory Copilot gives the package.
    fn kept(&self) -> Vec<PathBuf> {
        let data = self
            .copilot_home()
            .join("plugin-data")
            .join(MARKETPLACE)
            .join(PLUGIN);
        let mut kept: Vec<PathBuf> = std::fs::read_dir(&data)
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|spool| {
                std::fs::read_dir(spool.path())
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ev"))
            .collect();
        kept.sort();
        kept
    }
}

fn find_dir(root: &Path, wanted: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    for entry in std::fs::read_dir(root).ok()?.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if wanted(&path) {
                return Some(path);
            }
            if let Some(found) = find_dir(&path, wanted) {
                return Some(found);
            }
        }
    }
    None
}

/// Every file under `root`, except under `skip`.
fn files(root: &Path, skip: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.starts_with(skip) {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out
}

/// The marketplace rendered for Gram at `server`, published as a git repository.
fn publish(git: &GitHttpServer, server: &str) -> String {
    let bundle = render::marketplace_for(&fixture_org(server), &test_key(), &fixture_spec(server))
        .expect("render");
    let dir = tempfile::tempdir().expect("tmp");
    gram_admin_core::export::write_dir(&bundle, dir.path()).expect("write");
    git.publish("agent-plugins", dir.path())
}

fn envelopes(requests: &[HookRequest]) -> Vec<Value> {
    let mut out: Vec<Value> = requests
        .iter()
        .filter(|r| r.operation == "ingestHookEvent" && (200..300).contains(&r.status))
        .map(|r| r.json().expect("JSON"))
        .collect();
    out.sort_by(|a, b| {
        a["event"]["occurred_at"]
            .as_str()
            .cmp(&b["event"]["occurred_at"].as_str())
    });
    out
}

fn raw_names(envelopes: &[Value]) -> Vec<&str> {
    envelopes
        .iter()
        .map(|e| e["source"]["raw_event_name"].as_str().unwrap_or("?"))
        .collect()
}

#[test]
fn the_published_marketplace_installs_the_copilot_package_and_every_event_reaches_gram() {
    let Some(copilot) = agents::copilot() else {
        return;
    };
    let _one = one_session_at_a_time();
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |r| {
        let body = r.json().unwrap_or_default();
        let command = body["data"]["tool_call"]["input"]["command"]
            .as_str()
            .unwrap_or_default();
        if body["event"]["type"] == "tool.requested" && command.contains(DENIED) {
            Answer::Json(
                200,
                json!({ "decision": "deny", "message": REASON, "reason": "policy" }),
            )
        } else {
            Answer::Json(200, json!({ "decision": "allow" }))
        }
    });
    let git = GitHttpServer::start();
    let repo = publish(&git, &gram.url());
    let mut home = Home::new(copilot);
    // The failing tool: a file that does not exist, inside the project (outside it Copilot
    // asks for a path permission instead of failing the tool).
    let missing = home.project().join("missing.txt");
    let model = FakeModel::start(
        Api::OpenAiChat,
        vec![
            Turn::Shell("echo hello-gram".into()),
            Turn::Shell(DENIED.into()),
            Turn::Call {
                name: "view".into(),
                arguments: json!({ "path": missing }).to_string(),
            },
            Turn::Text("All done.".into()),
        ],
    );
    home.use_model(&model);

    home.install(&repo);
    assert!(
        git.requests()
            .iter()
            .any(|r| r.url.ends_with("/git-upload-pack") && r.status == 200),
        "cloned over smart HTTP: {:?}",
        git.requests()
    );
    // The Copilot package, from the root marketplace.json — not Claude's from .claude-plugin/.
    let list = home.run(&["plugin", "list"]).stdout();
    assert!(list.contains(&format!("{PLUGIN}@{MARKETPLACE}")), "{list}");
    assert!(
        !list.contains(&format!("acme-corp-observability@{MARKETPLACE}")),
        "{list}"
    );
    let installed = home.installed_plugin();
    assert!(installed.join("plugin.json").is_file());
    assert!(!installed.join(".claude-plugin").exists());

    let session = home.session("Run the commands, then look at the file.");
    let want = [
        "sessionStart",
        "userPromptSubmitted",
        "preToolUse",
        "permissionRequest",
        "postToolUse",
        "preToolUse",
        "preToolUse",
        "postToolUseFailure",
        "agentStop",
        "sessionEnd",
    ];
    gram.wait_until(DELIVERY, |r| r.len() >= want.len());
    std::thread::sleep(Duration::from_millis(500));
    let requests = gram.requests();
    let got = envelopes(&requests);
    assert_eq!(raw_names(&got), want, "{}", session.describe());
    // Once each: one Idempotency-Key per request, none resent.
    let mut keys: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.header("Idempotency-Key"))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), requests.len());
    let session_id = got[0]["session"]["id"]
        .as_str()
        .expect("a session id")
        .to_owned();
    assert!(!session_id.is_empty());
    for e in &got {
        assert_eq!(e["session"]["id"], session_id.as_str(), "{e}");
        assert_eq!(e["source"]["adapter"], "copilot");
        assert!(
            e["event"]["occurred_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{e}"
        );
    }
    let tool = |i: usize| &got[i]["data"]["tool_call"];
    assert_eq!(
        got[1]["data"]["prompt"]["text"],
        "Run the commands, then look at the file."
    );
    assert_eq!(tool(2)["name"], "bash");
    assert_eq!(tool(2)["input"]["command"], "echo hello-gram");
    assert_eq!(tool(3)["input"]["command"], "echo hello-gram");
    assert_eq!(tool(4)["status"], "success");
    assert!(tool(4)["output"]["textResultForLlm"]
        .as_str()
        .unwrap_or_default()
        .contains("hello-gram"));
    assert_eq!(tool(5)["input"]["command"], DENIED);
    assert_eq!(tool(6)["name"], "view");
    assert_eq!(tool(7)["name"], "view");
    assert!(tool(7)["error"].is_string(), "{}", tool(7));
    assert_eq!(got[9]["data"]["usage"]["status"], "complete");

    // Gram's deny blocked the tool, and the model was told why.
    assert!(
        !home.project().join("gram-denied-marker").exists(),
        "the denied tool ran"
    );
    let told = model
        .requests()
        .iter()
        .any(|r| r.to_string().contains(REASON));
    assert!(told, "the model never saw Gram's reason");

    // The key is in the installed package's curl config only: never in a log or session file.
    let key = test_key().expose().to_owned();
    for file in files(&home.copilot_home(), &installed) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&key),
            "the key is in {}",
            file.display()
        );
    }
    assert!(session.stdout().contains("All done.") || session.success());
    assert!(!session.stdout().contains(&key) && !session.stderr().contains(&key));
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn with_gram_down_no_tool_is_blocked_and_the_kept_events_are_replayed_once() {
    let Some(copilot) = agents::copilot() else {
        return;
    };
    let _one = one_session_at_a_time();
    let down = closed_port();
    let git = GitHttpServer::start();
    let repo = publish(&git, &down);
    let model = FakeModel::start(
        Api::OpenAiChat,
        vec![
            Turn::Shell("touch gram-ran-anyway".into()),
            Turn::Text("Done.".into()),
        ],
    );
    let mut home = Home::new(copilot);
    home.use_model(&model);
    home.install(&repo);
    let session = home.session("Touch the file.");
    assert!(
        home.project().join("gram-ran-anyway").exists(),
        "a tool was blocked while Gram was down: {}",
        session.describe()
    );
    let want = [
        "sessionStart",
        "userPromptSubmitted",
        "preToolUse",
        "permissionRequest",
        "postToolUse",
        "agentStop",
        "sessionEnd",
    ];
    let deadline = std::time::Instant::now() + DELIVERY;
    while home.kept().len() < want.len() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        home.kept().len(),
        want.len(),
        "every event kept: {:?}",
        home.kept()
    );

    // Gram answers again (at a new address: the test's ports are ephemeral).
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |_| {
        Answer::Json(200, json!({ "decision": "allow" }))
    });
    gram_admin_testkit::fixtures::point_plugin_at(&home.installed_plugin(), &gram.url());
    let drain = Command::new("sh")
        .arg(home.installed_plugin().join("hooks/gram-hook.sh"))
        .arg("--drain")
        .env(
            "CLAUDE_PLUGIN_DATA",
            home.copilot_home()
                .join("plugin-data")
                .join(MARKETPLACE)
                .join(PLUGIN),
        )
        .output()
        .expect("drain");
    let printed = String::from_utf8_lossy(&drain.stdout).into_owned();
    assert!(
        printed.contains(&format!("replayed {}", want.len())),
        "{printed}"
    );
    let got = envelopes(&gram.requests());
    assert_eq!(raw_names(&got), want);
    assert!(home.kept().is_empty());
    let again = Command::new("sh")
        .arg(home.installed_plugin().join("hooks/gram-hook.sh"))
        .arg("--drain")
        .env(
            "CLAUDE_PLUGIN_DATA",
            home.copilot_home()
                .join("plugin-data")
                .join(MARKETPLACE)
                .join(PLUGIN),
        )
        .output()
        .expect("drain");
    assert!(String::from_utf8_lossy(&again.stdout).contains("replayed 0"));
    assert_eq!(gram.requests().len(), want.len(), "replayed once");
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_subagent_s_events_arrive_with_its_own_session_and_its_parent_s() {
    let Some(copilot) = agents::copilot() else {
        return;
    };
    let _one = one_session_at_a_time();
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |_| {
        Answer::Json(200, json!({ "decision": "allow" }))
    });
    let git = GitHttpServer::start();
    let repo = publish(&git, &gram.url());
    let task = json!({ "description": "look around", "prompt": "Say hi", "agent_type": "explore", "name": "scout" });
    let model = FakeModel::start(
        Api::OpenAiChat,
        vec![
            Turn::Call {
                name: "task".into(),
                arguments: task.to_string(),
            },
            Turn::Text("All done.".into()),
        ],
    );
    let mut home = Home::new(copilot);
    home.use_model(&model);
    home.install(&repo);
    let session = home.session("Use a subagent.");
    let want = [
        "sessionStart",
        "userPromptSubmitted",
        "preToolUse",
        "subagentStart",
        "userPromptSubmitted",
        "agentStop",
        "subagentStop",
        "postToolUse",
        "agentStop",
        "sessionEnd",
    ];
    gram.wait_until(DELIVERY, |r| r.len() >= want.len());
    std::thread::sleep(Duration::from_millis(500));
    let got = envelopes(&gram.requests());
    assert_eq!(raw_names(&got), want, "{}", session.describe());
    let parent = got[0]["session"]["id"].as_str().expect("id").to_owned();
    let child = got[4]["session"]["id"].as_str().expect("id").to_owned();
    assert_ne!(parent, child, "the subagent has a session of its own");
    assert_eq!(got[4]["raw"]["parentAgentId"], parent.as_str());
    assert_eq!(got[4]["data"]["prompt"]["text"], "Say hi");
    assert_eq!(got[2]["data"]["tool_call"]["name"], "task");
    assert_eq!(got[2]["data"]["tool_call"]["input"], task);
    for (i, status) in [(3, "subagent_started"), (6, "subagent_stopped")] {
        assert_eq!(got[i]["session"]["id"], parent.as_str());
        assert_eq!(got[i]["data"]["usage"]["status"], status);
    }
    assert_eq!(gram.violations(), Vec::<String>::new());
}

/// Issue #19 in a real Copilot CLI session: the prompt and the tool's output carry a canary
/// secret and sentence. At metadata neither reaches Gram (in any envelope, raw included) nor a
/// spool file, and the events still arrive with their names and the tool's name; at full the
/// sentence arrives and the secret only as `[redacted:aws_access_key]`.
#[test]
fn privacy_levels_hold_in_a_real_copilot_session() {
    use gram_admin_core::privacy::Content;
    const SECRET: &str = "AKIAZQ3DRSTUVWXY2345";
    const SENTENCE: &str = "the canary sang at midnight";
    let Some(copilot) = agents::copilot() else {
        return;
    };
    let _one = one_session_at_a_time();
    for content in Content::ALL {
        let gram = GramStandIn::start();
        gram.answer_operation_with("ingestHookEvent", |_| {
            Answer::Json(200, json!({ "decision": "allow" }))
        });
        let git = GitHttpServer::start();
        let bundle = render::marketplace_for(
            &fixture_org(&gram.url()).with_content(content),
            &test_key(),
            &fixture_spec(&gram.url()),
        )
        .expect("render");
        let dir = tempfile::tempdir().expect("tmp");
        gram_admin_core::export::write_dir(&bundle, dir.path()).expect("write");
        let repo = git.publish("agent-plugins", dir.path());
        let mut home = Home::new(copilot);
        let model = FakeModel::start(
            Api::OpenAiChat,
            vec![
                Turn::Shell(format!("echo '{SENTENCE}' '{SECRET}'")),
                Turn::Text("All done.".into()),
            ],
        );
        home.use_model(&model);
        home.install(&repo);
        let session = home.session(&format!("{SENTENCE}. My key is {SECRET}; run it."));
        gram.wait_until(DELIVERY, |r| {
            envelopes(r)
                .iter()
                .any(|e| e["source"]["raw_event_name"] == "sessionEnd")
        });
        std::thread::sleep(Duration::from_millis(500));
        let requests = gram.requests();
        let got = envelopes(&requests);
        let names = raw_names(&got);
        for name in [
            "sessionStart",
            "userPromptSubmitted",
            "preToolUse",
            "postToolUse",
            "sessionEnd",
        ] {
            assert!(
                names.contains(&name),
                "{content}: {names:?}\n{}",
                session.describe()
            );
        }
        for e in &got {
            if e["event"]["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("tool."))
            {
                assert_eq!(e["data"]["tool_call"]["name"], "bash", "{content}: {e}");
            }
        }
        let bodies: Vec<String> = requests
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect();
        for body in &bodies {
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
        let mut spool = files(&home.copilot_home().join("plugin-data"), &home.project());
        spool.extend(files(&home.dir.path().join("state"), &home.project()));
        for file in spool {
            let text =
                String::from_utf8_lossy(&std::fs::read(&file).unwrap_or_default()).into_owned();
            assert!(
                !text.contains(SECRET),
                "{content}: the secret is in {}",
                file.display()
            );
            if content == Content::Metadata {
                assert!(
                    !text.contains(SENTENCE),
                    "{content}: the sentence is in {}",
                    file.display()
                );
            }
        }
        assert_eq!(gram.violations(), Vec::<String>::new(), "{content}");
        eprintln!("copilot privacy {content}: {} envelopes", got.len());
    }
}

/// Zero teammate commands: only `/etc/github-copilot/managed-settings.json` from gram-admin in
/// place (a private mount namespace: the machine stays untouched) and git's
/// `url.<loopback>.insteadOf https://github.com/`: the first session installs the package (and
/// fires none of its hooks), the second delivers every event. Outside the managed settings, the
/// package shows as installed but disabled (`copilot plugin list`): the policy turns it on.
#[test]
fn the_managed_settings_alone_install_the_copilot_package_and_its_events_reach_gram() {
    let Some(copilot) = agents::copilot() else {
        return;
    };
    let _one = one_session_at_a_time();
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |_| {
        Answer::Json(200, json!({ "decision": "allow" }))
    });
    let git = GitHttpServer::start();
    let bundle = render::marketplace_for(
        &fixture_org(&gram.url()),
        &test_key(),
        &fixture_spec(&gram.url()),
    )
    .expect("render");
    let dir = tempfile::tempdir().expect("tmp");
    gram_admin_core::export::write_dir(&bundle, dir.path()).expect("write");
    git.publish("acme/agent-plugins", dir.path());
    let mut home = Home::new(copilot);
    let gitconfig = home.dir.path().join("home/.gitconfig");
    std::fs::write(
        &gitconfig,
        format!(
            "[url \"{}/\"]\n\tinsteadOf = https://github.com/\n",
            git.url()
        ),
    )
    .expect("gitconfig");
    let settings = gram_admin_core::render::rollout::rollout_file(
        &fixture_org(&gram.url()),
        "acme/agent-plugins",
        gram_admin_core::render::rollout::Channel::Copilot,
    );
    let mut per_session = Vec::new();
    for _ in 0..2 {
        let model = FakeModel::start(
            Api::OpenAiChat,
            vec![
                Turn::Shell("echo hello-gram".into()),
                Turn::Text("Done.".into()),
            ],
        );
        home.use_model(&model);
        let mut cmd = home.command(&[
            "-p",
            "Run the command.",
            "--allow-all-tools",
            "--no-auto-update",
        ]);
        cmd.env("GIT_CONFIG_GLOBAL", &gitconfig);
        let scratch = tempfile::tempdir().expect("scratch");
        let Some(cmd) = agents::with_etc_files(
            &cmd,
            scratch.path(),
            &[("/etc/github-copilot/managed-settings.json", &settings.bytes)],
        ) else {
            return;
        };
        let before = envelopes(&gram.requests()).len();
        let out = agents::run(cmd, LIMIT);
        assert!(out.success(), "{}", out.describe());
        gram.wait_until(DELIVERY, |r| {
            raw_names(&envelopes(r)[before..]).contains(&"sessionEnd")
        });
        let got = envelopes(&gram.requests());
        let names: Vec<String> = raw_names(&got[before..])
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        eprintln!(
            "copilot rollout session: {names:?} ({:.2} s)",
            out.elapsed.as_secs_f64()
        );
        per_session.push((names, out));
    }
    let list = home.run(&["plugin", "list"]).stdout();
    assert!(list.contains(&format!("{PLUGIN}@{MARKETPLACE}")), "{list}");
    assert!(
        git.requests()
            .iter()
            .any(|r| r.url.contains("/acme/agent-plugins")),
        "the marketplace came from the git server: {:?}",
        git.requests()
    );
    assert!(
        !Path::new("/etc/github-copilot").exists(),
        "the machine's /etc stayed untouched"
    );
    let want = [
        "sessionStart",
        "userPromptSubmitted",
        "preToolUse",
        "permissionRequest",
        "postToolUse",
        "agentStop",
        "sessionEnd",
    ];
    // Copilot CLI installs managed plugins during the first session (which fires none of their
    // hooks); from the second session on, every event arrives.
    assert_eq!(
        per_session[1].0,
        want,
        "the second session\n{}",
        per_session[1].1.describe()
    );
}
