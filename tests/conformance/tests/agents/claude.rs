//! Claude Code: the plugin validates, the loader registers every hook, and a real `claude -p`
//! session delivers every event to Gram — installed from the exported ZIP and from the
//! marketplace — with Gram's decisions obeyed and Gram's failures never in the way.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gram_admin_conformance::agents::{run, Finished, Sandbox};
use gram_admin_conformance::fake_model::{Api, FakeModel, Turn};
use gram_admin_core::Platform;
use gram_admin_testkit::{closed_port, Answer, GramStandIn, HookRequest, HungServer};
use serde_json::json;

use crate::support::{
    agents, assert_canaries, counts, event_counts, marketplace, one_session_at_a_time, plugin,
    plugin_at, unzip_exported, write, CANARY_SECRET, CANARY_SENTENCE, DELIVERY, SESSION_LIMIT,
};
use gram_admin_core::privacy::Content;

const PLUGIN: &str = "acme-corp-observability";
const MARKETPLACE: &str = "acme-corp-gram";

fn claude(sandbox: &Sandbox) -> Option<Command> {
    agents().map(|a| sandbox.command(&a.claude))
}

fn claude_run(sandbox: &Sandbox, args: &[&str]) -> Option<Finished> {
    let mut cmd = claude(sandbox)?;
    cmd.args(args);
    Some(run(cmd, SESSION_LIMIT))
}

#[test]
fn validate_strict_passes_on_the_plugin_and_the_marketplace_and_fails_on_broken_ones() {
    let sandbox = Sandbox::new();
    let flat = sandbox.path().join("flat");
    write(&plugin("https://app.getgram.ai", Platform::Claude), &flat);
    let mkt = sandbox.path().join("mkt");
    write(&marketplace("https://app.getgram.ai"), &mkt);
    for dir in [&flat, &mkt] {
        let Some(out) = claude_run(
            &sandbox,
            &[
                "plugin",
                "validate",
                "--strict",
                dir.to_str().expect("utf-8"),
            ],
        ) else {
            return;
        };
        assert!(
            out.success() && out.stdout().contains("Validation passed"),
            "{}: {}",
            dir.display(),
            out.describe()
        );
        // The plugin's manifest declares where its hooks send events; Claude shows it as declared.
        if dir == &flat {
            assert!(
                out.stdout().contains("app.getgram.ai (declared)"),
                "{}",
                out.describe()
            );
        }
    }

    let broken: [(&str, &str, &str); 5] = [
        (
            "hooks/hooks.json",
            "{\"hooks\": {",
            "bad JSON in hooks.json",
        ),
        (
            "hooks/hooks.json",
            r#"{"hooks": {"NotAnEvent": [{"hooks": [{"type": "command", "command": "true"}]}]}}"#,
            "unknown event",
        ),
        (
            ".claude-plugin/plugin.json",
            r#"{"name": "Bad Name", "version": "1.0.0"}"#,
            "name with a space",
        ),
        (
            ".claude-plugin/plugin.json",
            r#"{"name": "acme.observability", "version": "1.0.0"}"#,
            "name with a dot (why gram-admin refuses dots)",
        ),
        (
            ".claude-plugin/plugin.json",
            r#"{"name": "acme-corp-observability", "version": 1}"#,
            "version not a string",
        ),
    ];
    for (file, contents, what) in broken {
        let dir = sandbox
            .path()
            .join(format!("broken-{}", what.replace(' ', "-")));
        write(&plugin("https://app.getgram.ai", Platform::Claude), &dir);
        std::fs::write(dir.join(file), contents).expect("break");
        let out = claude_run(
            &sandbox,
            &[
                "plugin",
                "validate",
                "--strict",
                dir.to_str().expect("utf-8"),
            ],
        )
        .expect("installed");
        assert!(
            !out.success(),
            "{what}: validate --strict accepted a broken plugin\n{}",
            out.describe()
        );
    }
}

/// The check that catches a hooks file Claude ignores: what the loader really registers.
fn registered_hooks(sandbox: &Sandbox, dir: &Path) -> Option<String> {
    let out = claude_run(
        sandbox,
        &[
            "--plugin-dir",
            dir.to_str().expect("utf-8"),
            "plugin",
            "details",
            PLUGIN,
        ],
    )?;
    assert!(out.success(), "{}", out.describe());
    Some(
        out.stdout()
            .lines()
            .find(|l| l.trim_start().starts_with("Hooks ("))
            .unwrap_or_default()
            .trim()
            .to_owned(),
    )
}

#[test]
fn the_loader_registers_exactly_the_eight_gram_events() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("plugin");
    unzip_exported(&plugin("https://app.getgram.ai", Platform::Claude), &dir);
    let Some(line) = registered_hooks(&sandbox, &dir) else {
        return;
    };
    let expected = Platform::Claude.hook_events().join(", ");
    assert!(
        line.starts_with(&format!("Hooks (8)  {expected}")),
        "registered: {line:?}"
    );

    // A hooks.json at the plugin root is silently never wired up: the check must see that.
    std::fs::rename(dir.join("hooks/hooks.json"), dir.join("hooks.json")).expect("move");
    let line = registered_hooks(&sandbox, &dir).expect("installed");
    assert!(
        line.starts_with("Hooks (0)"),
        "a root hooks.json was counted: {line:?}"
    );
}

/// How a teammate gets the plugin.
#[derive(Debug, Clone, Copy)]
enum Install {
    /// `--plugin-dir` on the unzipped exported ZIP.
    ExportedZip,
    /// `claude plugin marketplace add` + `claude plugin install` from the rendered marketplace.
    Marketplace,
    /// The exported ZIP of a plugin at a privacy level.
    ExportedZipAt(Content),
}

/// A Claude Code session with the plugin installed, ready to run.
struct Session {
    sandbox: Sandbox,
    plugin_dir: Option<PathBuf>,
    model: FakeModel,
}

impl Session {
    fn new(gram_url: &str, install: Install, script: Vec<Turn>) -> Option<Self> {
        agents()?;
        let sandbox = Sandbox::new();
        let model = FakeModel::start(Api::AnthropicMessages, script);
        let plugin_dir = match install {
            Install::ExportedZip => {
                let dir = sandbox.path().join("exported");
                unzip_exported(&plugin(gram_url, Platform::Claude), &dir);
                Some(dir)
            }
            Install::ExportedZipAt(content) => {
                let dir = sandbox.path().join("exported");
                unzip_exported(&plugin_at(gram_url, Platform::Claude, content), &dir);
                Some(dir)
            }
            Install::Marketplace => {
                let dir = sandbox.path().join("marketplace");
                write(&marketplace(gram_url), &dir);
                let add = claude_run(
                    &sandbox,
                    &["plugin", "marketplace", "add", dir.to_str().expect("utf-8")],
                )?;
                assert!(add.success(), "marketplace add: {}", add.describe());
                let install = claude_run(
                    &sandbox,
                    &["plugin", "install", &format!("{PLUGIN}@{MARKETPLACE}")],
                )?;
                assert!(install.success(), "plugin install: {}", install.describe());
                None
            }
        };
        Some(Self {
            sandbox,
            plugin_dir,
            model,
        })
    }

    fn run(&self, prompt: &str) -> Finished {
        let mut cmd = claude(&self.sandbox).expect("installed");
        cmd.env("ANTHROPIC_BASE_URL", self.model.url())
            .env("ANTHROPIC_API_KEY", "dummy")
            .args(["-p", prompt, "--allowedTools", "Bash,Read"]);
        if let Some(dir) = &self.plugin_dir {
            cmd.arg("--plugin-dir").arg(dir);
        }
        run(cmd, SESSION_LIMIT)
    }
}

/// One Bash turn that works, one that fails, then text: every event Claude fires headless.
fn tool_script(marker: &Path) -> Vec<Turn> {
    vec![
        Turn::Shell(format!(
            "touch '{}' && echo gram-conformance-ok",
            marker.display()
        )),
        Turn::Shell("exit 3".into()),
        Turn::Text("All done.".into()),
    ]
}

fn expected_events() -> std::collections::BTreeMap<String, usize> {
    counts(&[
        ("SessionStart", 1),
        ("UserPromptSubmit", 1),
        ("PreToolUse", 2),
        ("PostToolUse", 1),
        ("PostToolUseFailure", 1),
        ("Stop", 1),
        ("SessionEnd", 1),
    ])
}

fn assert_attributed(requests: &[HookRequest]) {
    for r in requests {
        assert_eq!(r.url, "/rpc/hooks.claude");
        assert_eq!(
            r.header("Gram-Key"),
            Some(gram_admin_conformance::test_key().expose()),
            "{:?}",
            r.event()
        );
        assert_eq!(r.header("Gram-Project"), Some("default"), "{:?}", r.event());
    }
}

const RUNS: usize = 5;

fn every_event_arrives(install: Install) {
    let _one = one_session_at_a_time();
    for run_no in 1..=RUNS {
        let gram = GramStandIn::start();
        let marker = std::env::temp_dir().join(format!(
            "gram-conformance-{}-{run_no}-{install:?}",
            std::process::id()
        ));
        let Some(session) = Session::new(&gram.url(), install, tool_script(&marker)) else {
            return;
        };
        let out = session.run("Run the two commands, then say done.");
        assert!(
            out.success(),
            "{install:?} run {run_no}: {}",
            out.describe()
        );
        let expected = expected_events();
        let got = gram.wait_until(DELIVERY, |r| event_counts(r) == expected);
        assert_eq!(
            event_counts(&got),
            expected,
            "{install:?} run {run_no}: events lost or extra\n{}",
            out.describe()
        );
        assert_attributed(&got);
        assert_eq!(
            gram.violations(),
            Vec::<String>::new(),
            "{install:?} run {run_no}: requests off the contract"
        );
        assert!(marker.exists(), "the allowed tool ran");
        let _ = std::fs::remove_file(&marker);
        eprintln!(
            "claude {install:?} run {run_no}/{RUNS}: {} events, session {:.2} s",
            got.len(),
            out.elapsed.as_secs_f64()
        );
    }
}

#[test]
fn a_real_session_delivers_every_event_from_the_exported_zip() {
    every_event_arrives(Install::ExportedZip);
}

#[test]
fn a_real_session_delivers_every_event_from_the_marketplace() {
    every_event_arrives(Install::Marketplace);
}

#[test]
fn grams_deny_stops_the_tool_and_its_block_stops_the_prompt() {
    let _one = one_session_at_a_time();
    let gram = GramStandIn::start();
    gram.answer_with(|r| match r.event().as_deref() {
        Some("PreToolUse") => Answer::Json(
            200,
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "Blocked by Gram policy"}}),
        ),
        _ => Answer::ok(),
    });
    let marker = std::env::temp_dir().join(format!("gram-conformance-deny-{}", std::process::id()));
    let Some(session) = Session::new(&gram.url(), Install::ExportedZip, tool_script(&marker))
    else {
        return;
    };
    let out = session.run("Run the command.");
    assert!(out.success(), "{}", out.describe());
    assert!(!marker.exists(), "Gram denied the tool but it ran");
    let got = gram.wait_until(DELIVERY, |r| event_counts(r).contains_key("SessionEnd"));
    let events = event_counts(&got);
    assert!(
        events.get("PreToolUse") >= Some(&1) && !events.contains_key("PostToolUse"),
        "{events:?}"
    );

    let gram = GramStandIn::start();
    gram.answer_with(|r| match r.event().as_deref() {
        Some("UserPromptSubmit") => Answer::Json(
            200,
            json!({"continue": false, "stopReason": "Blocked by Gram policy"}),
        ),
        _ => Answer::ok(),
    });
    let Some(session) = Session::new(&gram.url(), Install::ExportedZip, tool_script(&marker))
    else {
        return;
    };
    let out = session.run("Run the command.");
    assert_eq!(
        session.model.turns(),
        0,
        "Gram blocked the prompt but the model was asked\n{}",
        out.describe()
    );
    assert!(!marker.exists());
    let got = gram.wait_until(DELIVERY, |r| {
        event_counts(r).contains_key("UserPromptSubmit")
    });
    assert!(event_counts(&got).contains_key("UserPromptSubmit"));
}

#[test]
fn gram_down_hung_or_failing_never_breaks_the_session() {
    let _one = one_session_at_a_time();
    let text_only = || {
        vec![
            Turn::Shell("echo ok".into()),
            Turn::Text("All done.".into()),
        ]
    };

    let gram = GramStandIn::start();
    let Some(session) = Session::new(&gram.url(), Install::ExportedZip, text_only()) else {
        return;
    };
    let baseline = session.run("Say done.");
    assert!(baseline.success(), "{}", baseline.describe());

    let hung = HungServer::start();
    let failing = GramStandIn::start();
    failing.answer_with(|_| Answer::error(500, "unexpected", "boom"));
    let down = closed_port();
    for (what, url) in [
        ("down", down.clone()),
        ("hung", hung.url()),
        ("500", failing.url()),
    ] {
        let session = Session::new(&url, Install::ExportedZip, text_only()).expect("installed");
        let out = session.run("Say done.");
        assert!(
            out.success(),
            "Gram {what}: the session failed\n{}",
            out.describe()
        );
        assert!(
            out.stdout().contains("All done."),
            "Gram {what}: no final answer\n{}",
            out.describe()
        );
        assert_eq!(
            session.model.turns(),
            2,
            "Gram {what}: the session did not run both turns"
        );
        eprintln!(
            "claude session with Gram {what}: {:.2} s (baseline {:.2} s, +{:.2} s)",
            out.elapsed.as_secs_f64(),
            baseline.elapsed.as_secs_f64(),
            out.elapsed.as_secs_f64() - baseline.elapsed.as_secs_f64()
        );
        // Two decision events (prompt, tool) can each wait the hook's bound; nothing else waits.
        let bound = baseline.elapsed
            + Duration::from_millis(
                2 * u64::from(gram_admin_core::render::hook_script::DECISION_MAX_MS) + 4000,
            );
        assert!(
            out.elapsed < bound,
            "Gram {what}: the session took {:?}, bound {bound:?}",
            out.elapsed
        );
    }
}

#[test]
fn a_session_whose_gram_is_down_for_its_first_half_loses_no_event() {
    use gram_admin_testkit::GramHooks;

    let _one = one_session_at_a_time();
    for run_no in 1..=3 {
        let gram = GramStandIn::start();
        let marker = std::env::temp_dir().join(format!(
            "gram-conformance-outage-{}-{run_no}",
            std::process::id()
        ));
        // Exported against an address where nothing listens: Gram is down.
        let Some(session) =
            Session::new(&closed_port(), Install::ExportedZip, tool_script(&marker))
        else {
            return;
        };
        let plugin_dir = session.plugin_dir.clone().expect("exported");
        // Gram comes back once the model has been asked twice: SessionStart, UserPromptSubmit,
        // the first PreToolUse and PostToolUse happened while it was down.
        let done = std::sync::atomic::AtomicBool::new(false);
        let out = std::thread::scope(|scope| {
            scope.spawn(|| {
                while session.model.turns() < 2 && !done.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                gram_admin_testkit::fixtures::point_plugin_at(&plugin_dir, &gram.url());
            });
            let out = session.run("Run the two commands, then say done.");
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            out
        });
        assert!(out.success(), "run {run_no}: {}", out.describe());
        let expected = expected_events();
        let got = gram.wait_until(DELIVERY, |r| event_counts_stored(r) == expected);
        assert_eq!(
            event_counts_stored(&got),
            expected,
            "run {run_no}: events lost while Gram was down\n{}",
            out.describe()
        );
        assert_eq!(got.repeats(), 0, "run {run_no}: an event was stored twice");
        assert_ne!(
            got[0].event().as_deref(),
            Some("SessionStart"),
            "run {run_no}: SessionStart was not kept through the outage"
        );
        assert_attributed(&got);
        assert_eq!(gram.violations(), Vec::<String>::new());
        let _ = std::fs::remove_file(&marker);
        eprintln!(
            "claude outage run {run_no}/3: {} requests, {} events stored, session {:.2} s",
            got.len(),
            got.stored().len(),
            out.elapsed.as_secs_f64()
        );
    }
}

/// Event name → how many times Gram stored it (deduplicated on Idempotency-Key).
fn event_counts_stored(requests: &[HookRequest]) -> std::collections::BTreeMap<String, usize> {
    use gram_admin_testkit::GramHooks;
    let stored: Vec<HookRequest> = requests.stored().into_iter().cloned().collect();
    event_counts(&stored)
}

/// Issue #19 in a real session: the prompt and a tool's output carry a canary secret and a
/// canary sentence. At metadata neither reaches Gram or a spool file, and every event still
/// arrives with its name (and the tool's); at full the sentence arrives, the secret redacted.
#[test]
fn privacy_levels_hold_in_a_real_session() {
    let _one = one_session_at_a_time();
    for content in Content::ALL {
        let gram = GramStandIn::start();
        let script = vec![
            Turn::Shell(format!("echo '{CANARY_SENTENCE}' '{CANARY_SECRET}'")),
            Turn::Text("All done.".into()),
        ];
        let Some(session) = Session::new(&gram.url(), Install::ExportedZipAt(content), script)
        else {
            return;
        };
        let out = session.run(&format!(
            "{CANARY_SENTENCE}. My key is {CANARY_SECRET}; run the command."
        ));
        assert!(out.success(), "{content}: {}", out.describe());
        let expected = counts(&[
            ("SessionStart", 1),
            ("UserPromptSubmit", 1),
            ("PreToolUse", 1),
            ("PostToolUse", 1),
            ("Stop", 1),
            ("SessionEnd", 1),
        ]);
        let got = gram.wait_until(DELIVERY, |r| event_counts(r) == expected);
        assert_eq!(
            event_counts(&got),
            expected,
            "{content}: {}",
            out.describe()
        );
        let bodies: Vec<String> = got
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect();
        for (r, body) in got.iter().zip(&bodies) {
            if matches!(r.event().as_deref(), Some("PreToolUse" | "PostToolUse")) {
                let v: serde_json::Value = serde_json::from_str(body).expect("JSON");
                assert_eq!(v["tool_name"], "Bash", "{content}: {body}");
            }
        }
        assert_canaries("claude", content, &bodies, session.sandbox.path());
        assert_eq!(gram.violations(), Vec::<String>::new(), "{content}");
        eprintln!(
            "claude privacy {content}: {} events, session {:.2} s",
            got.len(),
            out.elapsed.as_secs_f64()
        );
    }
}

/// Issue 21: a teammate behind the company's TLS-inspecting proxy. Gram is reachable only
/// through the proxy (as `gram.test`, a name that resolves nowhere) and its certificate is
/// signed by the company's CA, which the exported plugin carries (`hooks/gram-ca.pem`). The
/// fake model stays direct (`NO_PROXY`). Every event arrives, and the proxy's log shows only
/// tunnels to Gram.
#[test]
fn a_real_session_behind_the_company_proxy_and_ca_delivers_every_event() {
    let _one = one_session_at_a_time();
    if agents().is_none() {
        return;
    }
    let ca = gram_admin_testkit::TestCa::new("Acme Inspecting Proxy CA");
    let gram = GramStandIn::start();
    let front = gram_admin_testkit::TlsFront::new(&ca, &gram.url());
    let proxy = gram_admin_testkit::ConnectProxy::start();
    let server = front.url_as("gram.test");
    let sandbox = Sandbox::new();
    let model = FakeModel::start(
        Api::AnthropicMessages,
        tool_script(&sandbox.path().join("ran")),
    );
    let mut org = gram_admin_conformance::fixture_org(&server);
    org.ca = Some(ca.pem());
    let bundle = gram_admin_core::render::observability_plugin(
        &org,
        &gram_admin_conformance::test_key(),
        Platform::Claude,
    )
    .expect("render");
    let dir = sandbox.path().join("exported");
    unzip_exported(&bundle, &dir);
    assert!(dir.join("hooks/gram-ca.pem").is_file());

    let mut cmd = claude(&sandbox).expect("installed");
    cmd.env("ANTHROPIC_BASE_URL", model.url())
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("HTTPS_PROXY", proxy.url())
        .env("NO_PROXY", "127.0.0.1,localhost")
        .args([
            "-p",
            "Run the two commands, then say done.",
            "--allowedTools",
            "Bash,Read",
        ])
        .arg("--plugin-dir")
        .arg(&dir);
    let out = run(cmd, SESSION_LIMIT);
    assert!(out.success(), "{}", out.describe());
    let expected = expected_events();
    let got = gram.wait_until(DELIVERY, |r| event_counts(r) == expected);
    assert_eq!(
        event_counts(&got),
        expected,
        "events lost or extra\n{}",
        out.describe()
    );
    assert_attributed(&got);
    assert_eq!(gram.violations(), Vec::<String>::new());
    let tunnels = proxy.requests();
    let to_gram = format!("CONNECT gram.test:{} HTTP/1.1", front.port());
    assert!(
        !tunnels.is_empty() && tunnels.iter().all(|t| t == &to_gram),
        "{tunnels:?}"
    );
    eprintln!(
        "claude behind the proxy: {} events through {} tunnels, session {:.2} s",
        got.len(),
        tunnels.len(),
        out.elapsed.as_secs_f64()
    );
}
