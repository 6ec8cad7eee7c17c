//! GitHub Copilot CLI's hook, run for real (`sh`, awk and `curl` against the Gram stand-in):
//! Copilot's camelCase payloads become `hook.ingest.v1` envelopes at `/rpc/hooks.ingest`, which
//! the stand-in checks strictly against the contract; a preToolUse relays only Gram's deny and
//! always exits 0; Gram down keeps envelopes in the spool and replays them.

use std::time::Duration;

use gram_admin_core::render::envelope::{ADAPTER_VERSION, COPILOT_EVENT_TYPES};
use gram_admin_core::{check_hook, Platform};
use gram_admin_testkit::{closed_port, Answer, GramStandIn, HookRequest};
use serde_json::{json, Value};

use crate::delivery::Plugin;
use crate::support::{key, org};

const DELIVERY: Duration = Duration::from_secs(10);
const TIMESTAMP_MS: u64 = 1_764_874_025_123;
const OCCURRED_AT: &str = "2025-12-04T18:47:05.123Z";

/// What Copilot CLI 1.0.102 sends for `event` (AGENT-NOTES.md), with unicode and escapes.
fn payload(event: &str) -> Value {
    let mut p = json!({
        "sessionId": "8a1f-é",
        "timestamp": TIMESTAMP_MS,
        "cwd": "/home/dev/my \"project\"",
    });
    let tool = json!({ "command": "ls -la 'a b'", "description": "List files ✓" });
    match event {
        "sessionStart" => p["source"] = json!("new"),
        "userPromptSubmitted" => p["prompt"] = json!("Run ls\nthen \"stop\" \\ now"),
        "preToolUse" => {
            p["toolName"] = json!("bash");
            p["toolArgs"] = tool;
        }
        // As Copilot CLI 1.0.102 sends it: `toolInput`, not `toolArgs`.
        "permissionRequest" => {
            p["hookName"] = json!("permissionRequest");
            p["toolName"] = json!("bash");
            p["toolInput"] = tool;
            p["permissionSuggestions"] = json!([]);
        }
        "postToolUse" => {
            p["toolName"] = json!("bash");
            p["toolArgs"] = tool;
            p["toolResult"] = json!({ "resultType": "success", "textResultForLlm": "a\nb\n" });
        }
        "postToolUseFailure" => {
            p["toolName"] = json!("view");
            p["toolArgs"] = json!({ "path": "/nope" });
            p["error"] = json!("Path does not exist");
        }
        "errorOccurred" => p["error"] = json!({ "message": "model unreachable", "name": "Error" }),
        "sessionEnd" => p["reason"] = json!("complete"),
        // As the CLI sends them: the parent's session, the child's agent id, a stop reason.
        "subagentStart" | "subagentStop" => {
            p["agentName"] = json!("explore");
            p["agentId"] = json!("00bb0898");
            p["stopReason"] = json!("end_turn");
        }
        "agentStop" => p["stopReason"] = json!("end_turn"),
        "notification" => {
            p["message"] = json!("Path permission needed: /x");
            p["title"] = json!("Permission needed");
            p["hook_event_name"] = json!("Notification");
            p["notification_type"] = json!("permission_prompt");
        }
        _ => {}
    }
    p
}

fn ingest(gram: &GramStandIn, answer: Value) {
    gram.answer_operation_with("ingestHookEvent", move |_| {
        Answer::Json(200, answer.clone())
    });
}

fn allow() -> Value {
    json!({ "decision": "allow" })
}

fn envelopes(requests: &[HookRequest]) -> Vec<Value> {
    requests
        .iter()
        .map(|r| {
            assert_eq!(r.operation, "ingestHookEvent", "{}", r.url);
            r.json().expect("the envelope is JSON")
        })
        .collect()
}

#[test]
fn every_event_arrives_once_as_an_envelope_the_contract_accepts() {
    let gram = GramStandIn::start();
    ingest(&gram, allow());
    let plugin = Plugin::for_platform(&gram.url(), Platform::Copilot);
    let events = Platform::Copilot.hook_events();
    assert_eq!(events.len(), COPILOT_EVENT_TYPES.len());
    for (i, row) in COPILOT_EVENT_TYPES.iter().enumerate() {
        assert_eq!(
            row.event, events[i],
            "the mapping table follows the hook events"
        );
        let (out, _) = plugin.run(row.event, payload(row.event).to_string().as_bytes());
        assert_eq!(out.status.code(), Some(0), "{}", row.event);
        assert!(
            out.stdout.is_empty(),
            "{}: Gram allowed: nothing to relay",
            row.event
        );
        let got = gram.wait_until(DELIVERY, |r| r.len() > i);
        assert_eq!(got.len(), i + 1, "{} was not delivered", row.event);
    }
    let requests = gram.requests();
    let mut keys: Vec<&str> = requests
        .iter()
        .map(|r| r.header("Idempotency-Key").expect("Idempotency-Key"))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), events.len(), "one key per event");
    for (row, e) in COPILOT_EVENT_TYPES.iter().zip(envelopes(&requests)) {
        let p = payload(row.event);
        assert_eq!(e["schema_version"], "hook.ingest.v1");
        assert_eq!(
            e["source"],
            json!({
                "adapter": "copilot",
                "adapter_version": ADAPTER_VERSION,
                "raw_event_name": row.event,
                "hostname": std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim(),
            })
        );
        assert_eq!(
            e["session"],
            json!({ "id": p["sessionId"], "cwd": p["cwd"] })
        );
        assert_eq!(
            e["event"],
            json!({ "type": row.event_type, "occurred_at": OCCURRED_AT })
        );
        assert_eq!(e["raw"], p, "{}", row.event);
        let data = &e["data"];
        match row.event {
            "userPromptSubmitted" => {
                assert_eq!(data, &json!({ "prompt": { "text": p["prompt"] } }))
            }
            "preToolUse" => assert_eq!(
                data,
                &json!({ "tool_call": { "name": "bash", "input": p["toolArgs"] } })
            ),
            "permissionRequest" => assert_eq!(
                data,
                &json!({ "tool_call": { "name": "bash", "input": p["toolInput"], "permission_type": "permissionRequest" } })
            ),
            "postToolUse" => assert_eq!(
                data,
                &json!({ "tool_call": { "name": "bash", "input": p["toolArgs"], "output": p["toolResult"], "status": "success" } })
            ),
            "postToolUseFailure" => assert_eq!(
                data,
                &json!({ "tool_call": { "name": "view", "input": { "path": "/nope" }, "error": "Path does not exist" } })
            ),
            "errorOccurred" => assert_eq!(
                data,
                &json!({ "notification": { "type": "error", "message": "model unreachable", "title": "Error" } })
            ),
            "notification" => assert_eq!(
                data,
                &json!({ "notification": { "type": "permission_prompt", "title": "Permission needed", "message": "Path permission needed: /x" } })
            ),
            "sessionEnd" => assert_eq!(data, &json!({ "usage": { "status": "complete" } })),
            "agentStop" => assert_eq!(data, &json!({ "usage": { "status": "end_turn" } })),
            "subagentStart" | "subagentStop" => {
                assert_eq!(data, &json!({ "usage": { "status": row.status } }))
            }
            "sessionStart" => assert!(data.is_null(), "{data}"),
            other => panic!("no expectation for {other}"),
        }
    }
    // The stand-in checked every envelope against IngestRequestBody, undeclared fields included.
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_pre_tool_use_relays_gram_s_deny_and_never_an_allow() {
    let gram = GramStandIn::start();
    let plugin = Plugin::for_platform(&gram.url(), Platform::Copilot);
    let body = payload("preToolUse").to_string();

    ingest(
        &gram,
        json!({ "decision": "deny", "message": "No \"rm\" in prod ✗", "reason": "policy" }),
    );
    let (out, _) = plugin.run("preToolUse", body.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"No \\\"rm\\\" in prod ✗\"}\n"
    );
    let (out, _) = plugin.run("permissionRequest", body.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let relayed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        relayed,
        json!({ "behavior": "deny", "message": "No \"rm\" in prod ✗" })
    );

    ingest(&gram, json!({ "decision": "deny", "reason": "policy" }));
    let (out, _) = plugin.run("preToolUse", body.as_bytes());
    let relayed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(relayed["permissionDecisionReason"], "policy");

    // An allow (which would skip Copilot's own permission prompt) is never relayed, nor is an
    // answer that is not Gram's (cut short, or in Copilot's own words).
    let answers = [
        Answer::Json(200, allow()),
        Answer::Json(200, json!({ "decision": "allow", "message": "fine" })),
        Answer::Raw(200, br#"{"decision":"deny","message":"cut"#.to_vec()),
        Answer::Raw(200, br#"{"permissionDecision":"deny"}"#.to_vec()),
    ];
    for answer in answers {
        let relay = answer.clone();
        gram.answer_operation_with("ingestHookEvent", move |_| relay.clone());
        for event in ["preToolUse", "permissionRequest"] {
            let (out, _) = plugin.run(event, body.as_bytes());
            assert_eq!(out.status.code(), Some(0));
            assert!(
                out.stdout.is_empty(),
                "{answer:?} relayed for {event}: {:?}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    assert_eq!(gram.requests().len(), 11);
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn gram_down_blocks_no_tool_keeps_the_envelopes_and_replays_them_once() {
    let down = closed_port();
    let plugin = Plugin::for_platform(&down, Platform::Copilot);
    for event in ["preToolUse", "permissionRequest"] {
        let (out, waited) = plugin.run(event, payload(event).to_string().as_bytes());
        assert_eq!(
            out.status.code(),
            Some(0),
            "exit 1 or 2 would deny the tool"
        );
        assert!(out.stdout.is_empty());
        assert!(waited < Duration::from_secs(3), "{waited:?}");
    }
    plugin.run("postToolUse", payload("postToolUse").to_string().as_bytes());
    let kept = plugin.wait_kept(3);
    assert_eq!(kept.len(), 3, "{kept:?}");
    for file in &kept {
        let e: Value =
            serde_json::from_slice(&std::fs::read(file).unwrap()).expect("an envelope is kept");
        assert_eq!(e["source"]["adapter"], "copilot");
    }

    let gram = GramStandIn::start();
    ingest(&gram, allow());
    plugin.point_at(&gram.url());
    let drained = plugin.drain();
    assert!(drained.contains("replayed 3"), "{drained}");
    let requests = gram.requests();
    let types: Vec<Value> = envelopes(&requests)
        .iter()
        .map(|e| e["source"]["raw_event_name"].clone())
        .collect();
    assert_eq!(
        types,
        [
            json!("preToolUse"),
            json!("permissionRequest"),
            json!("postToolUse")
        ]
    );
    for (r, file) in requests.iter().zip(&kept) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let token = r.header("Idempotency-Key").expect("key");
        assert!(
            name.contains(token),
            "replayed under its own key: {name} {token}"
        );
    }
    assert!(plugin.kept().is_empty());
    assert_eq!(
        plugin.drain().trim_end().split(", ").next().unwrap(),
        "gram-hook: replayed 0"
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_payload_that_is_not_one_json_object_is_not_sent_and_blocks_nothing() {
    let gram = GramStandIn::start();
    ingest(&gram, json!({ "decision": "deny", "message": "x" }));
    let plugin = Plugin::for_platform(&gram.url(), Platform::Copilot);
    for body in [
        "",
        "not json",
        "{\"sessionId\":\"a\"",
        "[1,2]",
        "{\"a\":1}{\"b\":2}",
        "{\"a\":'x'}",
    ] {
        let (out, _) = plugin.run("preToolUse", body.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{body}");
        assert!(out.stdout.is_empty(), "{body}");
    }
    // An unknown event (not in the mapping table) is not sent either.
    let (out, _) = plugin.run(
        "somethingNew",
        payload("sessionStart").to_string().as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0));
    std::thread::sleep(Duration::from_millis(500));
    assert!(gram.requests().is_empty(), "{:?}", gram.requests());
    assert!(plugin.kept().is_empty());
}

#[test]
fn check_hook_sends_the_envelope_the_hook_sends() {
    let gram = GramStandIn::start();
    gram.expect("ingestHookEvent", Answer::Json(200, allow()));
    let result = check_hook::check_hook(&org(&gram.url()), &key(), Platform::Copilot, DELIVERY)
        .expect("check");
    assert!(result.accepted(), "{result:?}");
    assert_eq!(result.endpoint, format!("{}/rpc/hooks.ingest", gram.url()));
    assert_eq!(result.event, "notification");
    let requests = gram.requests();
    let e = &envelopes(&requests)[0];
    assert_eq!(e["source"]["adapter"], "copilot");
    assert_eq!(e["event"]["type"], "notification.reported");
    assert_eq!(gram.violations(), Vec::<String>::new());
}

/// Where `awk` is gawk (Fedora, Arch) and the teammate's locale is UTF-8, gawk refuses the
/// program's byte ranges unless awk itself runs with LC_ALL=C.
#[test]
fn the_envelope_is_built_in_a_utf8_locale_with_gawk_as_awk() {
    let Some(gawk) = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("gawk"))
        .find(|p| p.is_file())
    else {
        eprintln!("WARNING: no gawk on PATH: the UTF-8 locale case is not checked");
        return;
    };
    let bin = tempfile::tempdir().expect("tmp");
    std::os::unix::fs::symlink(&gawk, bin.path().join("awk")).expect("symlink");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let gram = GramStandIn::start();
    ingest(&gram, json!({ "decision": "deny", "message": "non" }));
    let plugin = Plugin::for_platform(&gram.url(), Platform::Copilot);
    let mut cmd = plugin.command("preToolUse");
    cmd.env("PATH", path)
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL");
    let (out, _) = crate::delivery::run_command(cmd, payload("preToolUse").to_string().as_bytes());
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "{\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"non\"}\n"
    );
    assert_eq!(envelopes(&gram.requests())[0]["session"]["id"], "8a1f-é");
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn the_hook_s_spool_and_config_guarantees_hold_for_copilot_s_envelopes() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;

    // Gram hangs: the first decision waits its bound and is kept as an envelope; the next one
    // does not wait at all and is kept as an envelope too. The curl config is made private.
    let gram = GramStandIn::start();
    gram.answer_operation_with("ingestHookEvent", |_| {
        Answer::After(Duration::from_secs(6), Box::new(Answer::Json(200, allow())))
    });
    let plugin = Plugin::for_platform(&gram.url(), Platform::Copilot);
    let config = plugin.dir.path().join("plugin/hooks/gram-hook.curlrc");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut waits = Vec::new();
    for event in ["preToolUse", "permissionRequest"] {
        let (out, waited) = plugin.run(event, payload(event).to_string().as_bytes());
        assert_eq!(out.status.code(), Some(0), "{event}");
        assert!(out.stdout.is_empty(), "{event}");
        waits.push(waited);
    }
    assert!(
        waits[1] < Duration::from_secs(1),
        "the hung window: {waits:?}"
    );
    let kept = plugin.kept();
    assert_eq!(kept.len(), 2, "{kept:?}");
    for (file, event) in kept.iter().zip(["preToolUse", "permissionRequest"]) {
        let e: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).expect("envelope");
        assert_eq!(e["source"]["raw_event_name"], event);
        assert_eq!(mode(file), 0o600);
    }
    assert_eq!(mode(&config), 0o600, "the curl config is private");

    // A spool that is no longer the teammate's alone is not used: Gram down, the event is not
    // kept there, and --drain says what to fix; Gram up, it is sent from memory, as an envelope.
    let plugin = Plugin::for_platform(&closed_port(), Platform::Copilot);
    plugin.run("postToolUse", payload("postToolUse").to_string().as_bytes());
    assert_eq!(plugin.wait_kept(1).len(), 1, "a private spool is used");
    std::fs::set_permissions(plugin.spool(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    // A background sender asks `ls` and takes the spool's mark away; then decision events too
    // send without keeping.
    for event in ["postToolUse", "preToolUse"] {
        let (out, _) = plugin.run(event, payload(event).to_string().as_bytes());
        assert_eq!(out.status.code(), Some(0));
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(plugin.wait_kept(1).len(), 1, "{event}: the spool was used");
    }
    let report = plugin.drain();
    assert!(report.contains("not a folder of yours alone"), "{report}");
    let up = GramStandIn::start();
    ingest(&up, allow());
    plugin.point_at(&up.url());
    plugin.run("postToolUse", payload("postToolUse").to_string().as_bytes());
    let deadline = std::time::Instant::now() + DELIVERY;
    while up.requests().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = envelopes(&up.requests());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["source"]["raw_event_name"], "postToolUse");
    assert_eq!(up.violations(), Vec::<String>::new());
}
