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
