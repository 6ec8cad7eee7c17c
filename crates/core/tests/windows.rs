//! Windows only (the `hooks-windows` workflow job on `windows-latest`; no Windows machine or
//! PowerShell runs where gram-admin is developed, so this has never run there): Copilot CLI runs
//! a hook's `powershell` entry, which runs the same `gram-hook.sh` through Git for Windows'
//! `sh.exe`, found from `git.exe`. Checked: an event from a plugin folder whose path has spaces,
//! an apostrophe, `$` and `&` reaches Gram as an envelope; without Git the entry exits 0, says so
//! on stderr, and sends nothing.
#![cfg(windows)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use gram_admin_core::{export, render, Platform};
use gram_admin_testkit::fixtures::{acme_org, test_key};
use gram_admin_testkit::{Answer, GramStandIn};
use serde_json::{json, Value};

fn powershell_entry(plugin: &std::path::Path, event: &str) -> String {
    let hooks: Value = serde_json::from_slice(
        &std::fs::read(plugin.join("hooks/hooks.json")).expect("hooks.json"),
    )
    .expect("json");
    hooks["hooks"][event][0]["powershell"]
        .as_str()
        .expect("a powershell entry")
        .to_owned()
}

fn run(
    entry: &str,
    plugin: &std::path::Path,
    path: Option<&str>,
    stdin: &[u8],
) -> std::process::Output {
    let mut cmd = Command::new("powershell");
    cmd.args(["-NoProfile", "-NonInteractive", "-Command", entry])
        .env("COPILOT_PLUGIN_ROOT", plugin)
        .env("CLAUDE_PLUGIN_DATA", plugin.join("..").join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let mut child = cmd.spawn().expect("powershell");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn the_powershell_entry_runs_the_hook_through_git_for_windows_sh() {
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |_| {
        Answer::Json(200, json!({ "decision": "deny", "message": "no" }))
    });
    let tmp = tempfile::tempdir().expect("tmp");
    let plugin = tmp.path().join("it's a $dir & more");
    export::write_dir(
        &render::observability_plugin(&acme_org(&gram.url()), &test_key(), Platform::Copilot)
            .expect("render"),
        &plugin,
    )
    .expect("write");
    let payload = br#"{"sessionId":"win-1","timestamp":1764874025123,"cwd":"C:\\p","toolName":"powershell","toolArgs":{"command":"dir"}}"#;
    let out = run(
        &powershell_entry(&plugin, "preToolUse"),
        &plugin,
        None,
        payload,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("\"permissionDecision\":\"deny\""),
        "{stdout}"
    );
    let got = gram.wait_for(1, Duration::from_secs(10));
    assert_eq!(got.len(), 1);
    let e = got[0].json().expect("json");
    assert_eq!(e["session"]["id"], "win-1");
    assert_eq!(e["source"]["adapter"], "copilot");
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn without_git_for_windows_the_entry_exits_0_and_says_why() {
    let gram = GramStandIn::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let plugin = tmp.path().join("plugin");
    export::write_dir(
        &render::observability_plugin(&acme_org(&gram.url()), &test_key(), Platform::Copilot)
            .expect("render"),
        &plugin,
    )
    .expect("write");
    let system = std::env::var("SystemRoot").unwrap_or_else(|_| r"C:\Windows".into());
    let path = format!(r"{system}\System32;{system}\System32\WindowsPowerShell\v1.0");
    let out = run(
        &powershell_entry(&plugin, "postToolUse"),
        &plugin,
        Some(&path),
        b"{}",
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("Git for Windows was not found").count(),
        1,
        "{stderr}"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert!(gram.requests().is_empty());
}
