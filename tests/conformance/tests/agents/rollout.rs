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

/// The marketplace for Gram at `server` carrying `key`, published (again) on the git server.
fn publish_with(git: &GitHttpServer, server: &str, key: &gram_admin_core::HooksKey) {
    let bundle =
        render::marketplace_for(&fixture_org(server), key, &fixture_spec(server)).expect("render");
    let dir = tempfile::tempdir().expect("tmp");
    export::write_dir(&bundle, dir.path()).expect("write");
    git.publish(REPO, dir.path());
}

/// Hook requests carrying `key` that Gram accepted (or refused): (event, session id).
fn seen(
    requests: &[gram_admin_testkit::HookRequest],
    key: &str,
    accepted: bool,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = requests
        .iter()
        .filter(|r| r.header("Gram-Key") == Some(key) && (200..300).contains(&r.status) == accepted)
        .map(|r| {
            (
                r.event().unwrap_or_default(),
                r.json()
                    .and_then(|j| j["session_id"].as_str().map(str::to_owned))
                    .unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A key rotation as a teammate lives it, with the real Claude Code and only the managed
/// settings in place: the teammate who has not updated keeps being accepted during the grace
/// period; once the old key is revoked their events are refused (401) and kept in the hook's
/// spool; after `claude plugin marketplace update` (the README's step for a managed install) the
/// next session reports under the new key and the drain replays every kept event under it —
/// none lost.
#[test]
fn through_a_key_rotation_a_teammate_is_accepted_during_the_grace_and_loses_no_event() {
    let _one = one_session_at_a_time();
    let Some(claude) = agents().map(|a| a.claude.clone()) else {
        return;
    };
    let (gram, api) = gram_admin_testkit::gram_api::GramApi::acme();
    let (a_row, a) = api.mint_hooks_key("gram-admin-marketplace-a");
    let key_a = gram_admin_core::HooksKey::parse(&a).expect("key A");
    let git = GitHttpServer::start();
    publish_with(&git, &gram.url(), &key_a);
    let sandbox = Sandbox::new();
    point_github_at(&sandbox, &git);
    let settings = rollout_file(&fixture_org(&gram.url()), REPO, Channel::Claude).bytes;
    let one_session = |what: &str| {
        let scratch = tempfile::tempdir().expect("scratch");
        let model = FakeModel::start(
            Api::AnthropicMessages,
            vec![
                Turn::Shell("echo gram-rotation-ok".into()),
                Turn::Text("Done.".into()),
            ],
        );
        let out = session(&sandbox, &model, scratch.path(), &settings).expect("installed");
        assert!(out.success(), "{what}: {}", out.describe());
        out
    };
    let events = 6;

    // Day 0: installed by the managed settings; reports with key A.
    one_session("first session");
    gram.wait_until(DELIVERY, |r| seen(r, &a, true).len() >= events);
    assert_eq!(
        seen(&gram.requests(), &a, true).len(),
        events,
        "the first session, key A"
    );

    // The admin rotates: the marketplace now carries key B; A stays live for the grace period.
    let (_b_row, b) = api.mint_hooks_key("gram-admin-marketplace-b");
    let key_b = gram_admin_core::HooksKey::parse(&b).expect("key B");
    publish_with(&git, &gram.url(), &key_b);
    one_session("a session before the teammate updates, during the grace");
    gram.wait_until(DELIVERY, |r| seen(r, &a, true).len() >= 2 * events);
    assert_eq!(
        seen(&gram.requests(), &a, true).len(),
        2 * events,
        "not updated yet, still accepted under key A during the grace"
    );

    // The grace is over: A is revoked. The teammate (still not updated) is refused; the hook
    // keeps every event.
    api.revoke(&a_row.id);
    one_session("a session after the revoke, not updated");
    gram.wait_until(DELIVERY, |r| !seen(r, &a, false).is_empty());
    std::thread::sleep(std::time::Duration::from_secs(2));
    let refused: std::collections::BTreeSet<(String, String)> =
        seen(&gram.requests(), &a, false).into_iter().collect();
    assert_eq!(
        refused
            .iter()
            .map(|(e, _)| e.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        events,
        "every event of that session refused under the revoked key: {refused:?}"
    );

    // The teammate updates as the README says (a managed install: the marketplace update).
    let mut update = sandbox.command(&claude);
    update.env("GIT_CONFIG_NOSYSTEM", "1").args([
        "plugin",
        "marketplace",
        "update",
        "acme-corp-gram",
    ]);
    let scratch = tempfile::tempdir().expect("scratch");
    let update = with_etc_files(
        &update,
        scratch.path(),
        &[("/etc/claude-code/managed-settings.json", &settings)],
    )
    .expect("root");
    let updated = run(update, SESSION_LIMIT);
    assert!(
        updated.success(),
        "marketplace update: {}",
        updated.describe()
    );

    one_session("the first session after the update");
    // Its own events and the kept ones, all under key B.
    gram.wait_until(DELIVERY, |r| seen(r, &b, true).len() >= 2 * events);
    let under_b: std::collections::BTreeSet<(String, String)> =
        seen(&gram.requests(), &b, true).into_iter().collect();
    let lost: Vec<&(String, String)> = refused.iter().filter(|e| !under_b.contains(e)).collect();
    assert!(
        lost.is_empty(),
        "events kept while the key was revoked must be replayed under key B; lost: {lost:?}\nunder B: {under_b:?}"
    );
    assert!(under_b.len() >= 2 * events, "{under_b:?}");
    eprintln!(
        "claude rotation: {} events under A, {} refused after the revoke, {} accepted under B (replayed included)",
        seen(&gram.requests(), &a, true).len(),
        refused.len(),
        seen(&gram.requests(), &b, true).len()
    );
}
