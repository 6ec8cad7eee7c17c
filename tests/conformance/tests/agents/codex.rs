//! Codex: the rendered marketplace is accepted by `codex plugin marketplace add` and
//! `codex plugin add`, and a real `codex exec` session delivers its events to
//! `/rpc/hooks.codex` with the right headers.

use std::path::Path;
use std::process::Command;

use gram_admin_conformance::agents::{run, Finished, Sandbox};
use gram_admin_conformance::fake_model::{Api, FakeModel, Turn};
use gram_admin_testkit::GramStandIn;

use crate::support::{
    agents, counts, event_counts, marketplace, one_session_at_a_time, write, DELIVERY,
    SESSION_LIMIT,
};

const PLUGIN: &str = "acme-corp-observability-codex";
const MARKETPLACE: &str = "acme-corp-gram";

fn codex(sandbox: &Sandbox) -> Option<Command> {
    agents().map(|a| sandbox.command(&a.codex))
}

fn codex_run(sandbox: &Sandbox, args: &[&str]) -> Option<Finished> {
    let mut cmd = codex(sandbox)?;
    cmd.args(args);
    Some(run(cmd, SESSION_LIMIT))
}

/// Adds the marketplace at `dir` and installs the observability plugin from it.
fn install(sandbox: &Sandbox, dir: &Path) -> Option<(Finished, Finished)> {
    let add = codex_run(
        sandbox,
        &["plugin", "marketplace", "add", dir.to_str().expect("utf-8")],
    )?;
    let plugin = codex_run(
        sandbox,
        &["plugin", "add", &format!("{PLUGIN}@{MARKETPLACE}")],
    )?;
    Some((add, plugin))
}

#[test]
fn codex_accepts_the_marketplace_and_rejects_broken_ones() {
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("mkt");
    write(&marketplace("https://app.getgram.ai"), &dir);
    let Some((add, plugin)) = install(&sandbox, &dir) else {
        return;
    };
    assert!(add.success(), "marketplace add: {}", add.describe());
    assert!(plugin.success(), "plugin add: {}", plugin.describe());
    assert!(
        plugin
            .stdout()
            .contains(&format!("Added plugin `{PLUGIN}`")),
        "{}",
        plugin.describe()
    );

    let broken: [(&str, &str, &str); 3] = [
        (
            ".agents/plugins/marketplace.json",
            "{\"name\": ",
            "bad JSON",
        ),
        (
            ".agents/plugins/marketplace.json",
            r#"{"name": "acme-corp-gram", "plugins": "nope"}"#,
            "plugins not a list",
        ),
        (
            "acme-corp-observability-codex/.codex-plugin/plugin.json",
            "{",
            "bad plugin manifest",
        ),
    ];
    for (file, contents, what) in broken {
        let sandbox = Sandbox::new();
        let dir = sandbox.path().join("mkt");
        write(&marketplace("https://app.getgram.ai"), &dir);
        std::fs::write(dir.join(file), contents).expect("break");
        let (add, plugin) = install(&sandbox, &dir).expect("installed");
        assert!(
            !(add.success() && plugin.success()),
            "{what}: codex accepted a broken marketplace\n{}\n{}",
            add.describe(),
            plugin.describe()
        );
    }
}

const RUNS: usize = 3;

#[test]
fn a_real_codex_session_delivers_its_events() {
    let _one = one_session_at_a_time();
    for run_no in 1..=RUNS {
        if !codex_session_delivers(run_no) {
            return;
        }
    }
}

/// One session; `false` when the agents are skipped on purpose.
fn codex_session_delivers(run_no: usize) -> bool {
    let gram = GramStandIn::start();
    let sandbox = Sandbox::new();
    let dir = sandbox.path().join("mkt");
    write(&marketplace(&gram.url()), &dir);
    let Some((add, plugin)) = install(&sandbox, &dir) else {
        return false;
    };
    assert!(
        add.success() && plugin.success(),
        "{}\n{}",
        add.describe(),
        plugin.describe()
    );

    let model = FakeModel::start(
        Api::OpenAiResponses,
        vec![
            Turn::Shell("echo gram-conformance-ok".into()),
            Turn::Text("All done.".into()),
        ],
    );
    let provider = format!("model_providers.fake={{name=\"fake\",base_url=\"{}/v1\",wire_api=\"responses\",env_key=\"FAKE_OPENAI_KEY\"}}", model.url());
    let mut cmd = codex(&sandbox).expect("installed");
    cmd.env("FAKE_OPENAI_KEY", "dummy").args([
        "exec",
        "--skip-git-repo-check",
        "--dangerously-bypass-hook-trust",
        "--dangerously-bypass-approvals-and-sandbox",
        "-c",
        "model_provider=fake",
        "-c",
        "model=gpt-fake",
        "-c",
        &provider,
        "Run the command, then say done.",
    ]);
    let out = run(cmd, SESSION_LIMIT);
    assert!(out.success(), "{}", out.describe());
    let expected = counts(&[
        ("SessionStart", 1),
        ("UserPromptSubmit", 1),
        ("PreToolUse", 1),
        ("PostToolUse", 1),
        ("Stop", 1),
    ]);
    let got = gram.wait_until(DELIVERY, |r| event_counts(r) == expected);
    assert_eq!(
        event_counts(&got),
        expected,
        "codex run {run_no}: events lost or extra\n{}",
        out.describe()
    );
    for r in &got {
        assert_eq!(r.url, "/rpc/hooks.codex");
        assert_eq!(
            r.header("Gram-Key"),
            Some(gram_admin_conformance::test_key().expose())
        );
        assert_eq!(r.header("Gram-Project"), Some("default"));
    }
    assert_eq!(gram.violations(), Vec::<String>::new());
    eprintln!(
        "codex run {run_no}/{RUNS}: {} events, session {:.2} s",
        got.len(),
        out.elapsed.as_secs_f64()
    );
    true
}

/// Issue #19 in a real Codex session: the prompt and the tool's output carry a canary secret and
/// sentence. At metadata neither reaches Gram or a spool file (and every body stays within
/// Gram's CodexHookPayload: the stand-in checks the contract); at full the sentence arrives, the
/// secret redacted.
#[test]
fn privacy_levels_hold_in_a_real_codex_session() {
    use crate::support::{assert_canaries, marketplace_at, CANARY_SECRET, CANARY_SENTENCE};
    use gram_admin_core::privacy::Content;
    let _one = one_session_at_a_time();
    for content in Content::ALL {
        let gram = GramStandIn::start();
        let sandbox = Sandbox::new();
        let dir = sandbox.path().join("mkt");
        write(&marketplace_at(&gram.url(), content), &dir);
        let Some((add, plugin)) = install(&sandbox, &dir) else {
            return;
        };
        assert!(add.success() && plugin.success(), "{}", plugin.describe());
        let model = FakeModel::start(
            Api::OpenAiResponses,
            vec![
                Turn::Shell(format!("echo '{CANARY_SENTENCE}' '{CANARY_SECRET}'")),
                Turn::Text("All done.".into()),
            ],
        );
        let provider = format!("model_providers.fake={{name=\"fake\",base_url=\"{}/v1\",wire_api=\"responses\",env_key=\"FAKE_OPENAI_KEY\"}}", model.url());
        let prompt = format!("{CANARY_SENTENCE}. My key is {CANARY_SECRET}; run the command.");
        let mut cmd = codex(&sandbox).expect("installed");
        cmd.env("FAKE_OPENAI_KEY", "dummy").args([
            "exec",
            "--skip-git-repo-check",
            "--dangerously-bypass-hook-trust",
            "--dangerously-bypass-approvals-and-sandbox",
            "-c",
            "model_provider=fake",
            "-c",
            "model=gpt-fake",
            "-c",
            &provider,
            &prompt,
        ]);
        let out = run(cmd, SESSION_LIMIT);
        assert!(out.success(), "{content}: {}", out.describe());
        let expected = counts(&[
            ("SessionStart", 1),
            ("UserPromptSubmit", 1),
            ("PreToolUse", 1),
            ("PostToolUse", 1),
            ("Stop", 1),
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
                assert!(v["tool_name"].is_string(), "{content}: {body}");
            }
        }
        assert_canaries("codex", content, &bodies, sandbox.path());
        assert_eq!(gram.violations(), Vec::<String>::new(), "{content}");
        eprintln!("codex privacy {content}: {} events", got.len());
    }
}
