//! Zero teammate commands: with only the rollout file gram-admin generates in place (its Linux
//! path, inside a private mount namespace so the machine is untouched), a teammate's first real
//! session clones the marketplace from "GitHub" (git's `url.<loopback>.insteadOf
//! https://github.com/` sends the clone to a loopback smart-HTTP server), installs the
//! observability plugin, runs it, and its events reach Gram.
//!
//! Claude Code: the first `claude -p` session delivers every event (the managed settings set
//! `CLAUDE_CODE_SYNC_PLUGIN_INSTALL=1`; without it that session delivers none). Codex: a session
//! clones the configured marketplace in the background and installs the plugin; the plugin's
//! hooks go live once the clone is done (mid-session), so the second session delivers every
//! event — given hook trust (`--dangerously-bypass-hook-trust` here; without it headless Codex
//! skips the plugin's hooks silently, and an interactive one asks the teammate once).

use std::path::Path;

use gram_admin_conformance::agents::{run, with_etc_files, Finished, Sandbox};
use gram_admin_conformance::fake_model::{Api, FakeModel, Turn};
use gram_admin_conformance::{fixture_org, fixture_spec};
use gram_admin_core::render::rollout::{rollout_file, Channel};
use gram_admin_core::{export, render};
use gram_admin_testkit::{GitHttpServer, GramStandIn};

use crate::support::{
    agents, counts, event_counts, key, one_session_at_a_time, DELIVERY, SESSION_LIMIT,
};

const REPO: &str = "acme/agent-plugins";

/// The teammate's git config: github.com is the loopback git server.
fn point_github_at(sandbox: &Sandbox, git: &GitHttpServer) {
    std::fs::write(
        sandbox.path().join("home/.gitconfig"),
        format!(
            "[url \"{}/\"]\n\tinsteadOf = https://github.com/\n",
            git.url()
        ),
    )
    .expect("gitconfig");
}

/// The marketplace for Gram at `server`, published as `acme/agent-plugins` on the git server.
fn publish(git: &GitHttpServer, server: &str) {
    let bundle = render::marketplace_for(&fixture_org(server), &key(), &fixture_spec(server))
        .expect("render");
    let dir = tempfile::tempdir().expect("tmp");
    export::write_dir(&bundle, dir.path()).expect("write");
    git.publish(REPO, dir.path());
}

fn session(
    sandbox: &Sandbox,
    model: &FakeModel,
    scratch: &Path,
    settings: &[u8],
) -> Option<Finished> {
    let mut cmd = sandbox.command(&agents()?.claude);
    cmd.env("ANTHROPIC_BASE_URL", model.url())
        .env("ANTHROPIC_API_KEY", "dummy")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-p",
            "Run the command, then say done.",
            "--allowedTools",
            "Bash",
        ]);
    let cmd = with_etc_files(
        &cmd,
        scratch,
        &[("/etc/claude-code/managed-settings.json", settings)],
    )?;
    Some(run(cmd, SESSION_LIMIT))
}

#[test]
fn claude_codes_first_session_installs_and_reports_with_only_the_managed_settings_in_place() {
    let _one = one_session_at_a_time();
    if agents().is_none() {
        return;
    }
    let gram = GramStandIn::start();
    let git = GitHttpServer::start();
    publish(&git, &gram.url());
    let sandbox = Sandbox::new();
    point_github_at(&sandbox, &git);
    let scratch = tempfile::tempdir().expect("scratch");
    let settings = rollout_file(&fixture_org(&gram.url()), REPO, Channel::Claude);
    let model = FakeModel::start(
        Api::AnthropicMessages,
        vec![
            Turn::Shell("echo gram-rollout-ok".into()),
            Turn::Text("Done.".into()),
        ],
    );
    let Some(out) = session(&sandbox, &model, scratch.path(), &settings.bytes) else {
        return;
    };
    assert!(out.success(), "{}", out.describe());
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
        "the first session's events, with no teammate command\n{}\ngit: {:?}",
        out.describe(),
        git.requests()
    );
    for r in &got {
        assert_eq!(r.url, "/rpc/hooks.claude");
        assert_eq!(r.header("Gram-Key"), Some(key().expose()));
    }
    assert!(
        git.requests()
            .iter()
            .any(|r| r.url.contains("/acme/agent-plugins")),
        "the marketplace came from the git server: {:?}",
        git.requests()
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
    assert!(
        !Path::new("/etc/claude-code").exists(),
        "the machine's /etc stayed untouched"
    );
    eprintln!(
        "claude rollout: {} events from the first session ({:.2} s), {} git requests",
        got.len(),
        out.elapsed.as_secs_f64(),
        git.requests().len()
    );
}

/// Event name → how many arrived.
type Counts = std::collections::BTreeMap<String, usize>;

/// `sessions` `codex exec` sessions, one after the other, with only `/etc/codex/config.toml`
/// from gram-admin in place (no teammate command before them), each with
/// `--dangerously-bypass-hook-trust` (headless Codex skips untrusted plugin hooks silently).
/// Per session: its outcome and the events Gram received while it ran.
fn codex_sessions(gram: &GramStandIn, sessions: usize) -> Option<(Vec<(Finished, Counts)>, usize)> {
    let codex = agents()?.codex.clone();
    let git = GitHttpServer::start();
    publish(&git, &gram.url());
    let sandbox = Sandbox::new();
    point_github_at(&sandbox, &git);
    let config = rollout_file(&fixture_org(&gram.url()), REPO, Channel::Codex);
    let mut outcomes = Vec::new();
    for i in 0..sessions {
        let scratch = tempfile::tempdir().expect("scratch");
        // Codex clones a configured marketplace in the background: the first session must last
        // long enough for the clone to finish (a headless session against a fake model ends in
        // about a second, before it has).
        let command = if i == 0 {
            "sleep 8; echo gram-rollout-ok"
        } else {
            "echo gram-rollout-ok"
        };
        let model = FakeModel::start(
            Api::OpenAiResponses,
            vec![Turn::Shell(command.into()), Turn::Text("Done.".into())],
        );
        let provider = format!("model_providers.fake={{name=\"fake\",base_url=\"{}/v1\",wire_api=\"responses\",env_key=\"FAKE_OPENAI_KEY\"}}", model.url());
        let mut cmd = sandbox.command(&codex);
        cmd.env("FAKE_OPENAI_KEY", "dummy")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .args([
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
        let cmd = with_etc_files(
            &cmd,
            scratch.path(),
            &[("/etc/codex/config.toml", &config.bytes)],
        )?;
        let before = gram.requests().len();
        let out = run(cmd, SESSION_LIMIT);
        let expected = codex_events();
        let got = gram.wait_until(DELIVERY, |r| {
            r.len() >= before && event_counts(&r[before..]) == expected
        });
        let got = event_counts(&got[before.min(got.len())..]);
        outcomes.push((out, got));
    }
    Some((outcomes, git.requests().len()))
}

fn codex_events() -> Counts {
    counts(&[
        ("SessionStart", 1),
        ("UserPromptSubmit", 1),
        ("PreToolUse", 1),
        ("PostToolUse", 1),
        ("Stop", 1),
    ])
}

#[test]
fn codex_installs_from_the_system_config_alone_and_reports_from_the_second_session() {
    let _one = one_session_at_a_time();
    let gram = GramStandIn::start();
    let Some((sessions, git_requests)) = codex_sessions(&gram, 2) else {
        return;
    };
    for (i, (out, got)) in sessions.iter().enumerate() {
        assert!(out.success(), "session {}: {}", i + 1, out.describe());
        eprintln!(
            "codex rollout session {}: {got:?} ({:.2} s)",
            i + 1,
            out.elapsed.as_secs_f64()
        );
    }
    assert!(git_requests > 0, "the marketplace came from the git server");
    assert_eq!(
        sessions[1].1,
        codex_events(),
        "the second session reports every event"
    );
    assert!(
        !Path::new("/etc/codex").exists(),
        "the machine's /etc stayed untouched"
    );
}
