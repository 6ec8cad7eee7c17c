//! The hook's awk JSON reader and the decision filter built on it, tested as a parser: whatever
//! Gram answers (hostile JSON, deep nesting, escapes, non-ASCII, huge strings), the filter prints
//! one valid JSON object that only denies or blocks, or nothing; never an allow. An answer that
//! serde_json reads is read the same way (the oracle below rebuilds it from serde's value).
//! Every awk found here runs it (awk, mawk, gawk, the one true awk, BusyBox): a teammate's
//! machine may have any of them.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;
use std::sync::OnceLock;

use gram_admin_core::render::hook_script::{copilot_decision_filter, decision_filter};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// An awk to run, and whether it reads bytes (not characters) in the C locale.
struct Awk {
    command: Vec<&'static str>,
    bytes: bool,
}

fn awks() -> &'static [Awk] {
    static AWKS: OnceLock<Vec<Awk>> = OnceLock::new();
    AWKS.get_or_init(|| {
        let candidates: [&[&'static str]; 5] = [
            &["awk"],
            &["mawk"],
            &["gawk"],
            &["original-awk"],
            &["busybox", "awk"],
        ];
        let found: Vec<Awk> = candidates
            .iter()
            .filter_map(|c| {
                let out = Command::new(c[0])
                    .args(&c[1..])
                    .arg("BEGIN { print length(\"\\303\\251\") }")
                    .env("LC_ALL", "C")
                    .output()
                    .ok()?;
                out.status.success().then(|| Awk {
                    command: c.to_vec(),
                    bytes: String::from_utf8_lossy(&out.stdout).trim() == "2",
                })
            })
            .collect();
        assert!(!found.is_empty(), "no awk on PATH");
        found
    })
}

/// What the decision filter prints for `answer`, as the hook runs it.
fn filter(awk: &Awk, agent: &str, event: &str, answer: &[u8]) -> Vec<u8> {
    let out = Command::new(awk.command[0])
        .args(&awk.command[1..])
        .arg("-v")
        .arg(format!("agent={agent}"))
        .arg("-v")
        .arg(format!("event={event}"))
        .arg(if agent == "copilot" {
            copilot_decision_filter()
        } else {
            decision_filter()
        })
        .env("GRAM_ANSWER", OsStr::from_bytes(answer))
        .env("LC_ALL", "C")
        .output()
        .expect("awk");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{:?}: {}",
        awk.command,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const AGENTS: [(&str, &str); 5] = [
    ("claude", "PreToolUse"),
    ("codex", "PermissionRequest"),
    ("cursor", "preToolUse"),
    ("copilot", "preToolUse"),
    ("copilot", "permissionRequest"),
];

/// Empty, or one line of JSON in exactly the shape that makes `agent` stricter.
fn check_output(out: &[u8], agent: &str, event: &str) -> Result<Option<Value>, String> {
    if out.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(out).map_err(|e| format!("not UTF-8: {e}"))?;
    let line = text
        .strip_suffix('\n')
        .filter(|l| !l.contains('\n'))
        .ok_or_else(|| format!("not one line: {text:?}"))?;
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line}"))?;
    let object = value.as_object().ok_or("not an object")?;
    let string = |v: &Value| v.is_string();
    let ok = !object.is_empty()
        && (agent != "copilot" || object.len() == 2)
        && object.iter().all(|(k, v)| match (agent, k.as_str()) {
            // Copilot: Gram's IngestHookResult deny in Copilot's words, with its message.
            ("copilot", "permissionDecision") => event == "preToolUse" && v == "deny",
            ("copilot", "permissionDecisionReason") => event == "preToolUse" && string(v),
            ("copilot", "behavior") => event == "permissionRequest" && v == "deny",
            ("copilot", "message") => event == "permissionRequest" && string(v),
            ("copilot", _) => false,
            (_, "continue") => v == &json!(false),
            ("cursor", "permission") => v == "deny",
            ("cursor", "user_message" | "agent_message") => string(v),
            ("cursor", _) => false,
            (_, "decision") => v == "block",
            (_, "reason" | "stopReason") => string(v),
            (_, "hookSpecificOutput") => v.as_object().is_some_and(|h| {
                h.get("hookEventName") == Some(&json!(event))
                    && h.len() > 1
                    && h.iter().all(|(k, v)| match k.as_str() {
                        "hookEventName" => true,
                        "permissionDecision" => v == "deny",
                        "permissionDecisionReason" => string(v),
                        "decision" => v.as_object().is_some_and(|d| {
                            d.get("behavior") == Some(&json!("deny"))
                                && d.iter()
                                    .all(|(k, v)| k == "behavior" || (k == "message" && string(v)))
                        }),
                        _ => false,
                    })
            }),
            _ => false,
        });
    if ok {
        Ok(Some(value))
    } else {
        Err(format!("not only a deny or block: {line}"))
    }
}

/// The oracle: what the filter must print for an answer serde_json reads as `value`.
fn rebuilt(value: &Value, agent: &str, event: &str, bytes: bool) -> Option<Value> {
    let answer = value.as_object()?;
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| bytes || s.is_ascii())
            .map(|s| json!(s))
    };
    let mut out = Map::new();
    let stop = answer.get("continue") == Some(&json!(false));
    if agent == "copilot" {
        if answer.get("decision") != Some(&json!("deny")) {
            return None;
        }
        let message = text(answer.get("message"))
            .or_else(|| text(answer.get("reason")))
            .unwrap_or_else(|| json!("Gram denied this tool call."));
        let (verdict, reason) = if event == "preToolUse" {
            ("permissionDecision", "permissionDecisionReason")
        } else {
            ("behavior", "message")
        };
        out.insert(verdict.into(), json!("deny"));
        out.insert(reason.into(), message);
    } else if agent == "cursor" {
        let deny = answer.get("permission") == Some(&json!("deny"));
        if stop {
            out.insert("continue".into(), json!(false));
        }
        if deny {
            out.insert("permission".into(), json!("deny"));
        }
        if deny || stop {
            for k in ["user_message", "agent_message"] {
                if let Some(v) = text(answer.get(k)) {
                    out.insert(k.into(), v);
                }
            }
        }
    } else {
        if stop {
            out.insert("continue".into(), json!(false));
            if let Some(v) = text(answer.get("stopReason")) {
                out.insert("stopReason".into(), v);
            }
        }
        if answer.get("decision") == Some(&json!("block")) {
            out.insert("decision".into(), json!("block"));
            if let Some(v) = text(answer.get("reason")) {
                out.insert("reason".into(), v);
            }
        }
        let h = answer.get("hookSpecificOutput").and_then(Value::as_object);
        let mut inner = Map::new();
        if let Some(h) = h {
            if h.get("permissionDecision") == Some(&json!("deny")) {
                inner.insert("permissionDecision".into(), json!("deny"));
                if let Some(v) = text(h.get("permissionDecisionReason")) {
                    inner.insert("permissionDecisionReason".into(), v);
                }
            }
            if let Some(d) = h.get("decision").and_then(Value::as_object) {
                if d.get("behavior") == Some(&json!("deny")) {
                    let mut decision = Map::new();
                    decision.insert("behavior".into(), json!("deny"));
                    if let Some(v) = text(d.get("message")) {
                        decision.insert("message".into(), v);
                    }
                    inner.insert("decision".into(), Value::Object(decision));
                }
            }
        }
        if !inner.is_empty() {
            inner.insert("hookEventName".into(), json!(event));
            out.insert("hookSpecificOutput".into(), Value::Object(inner));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Runs every awk and every agent on `answer`: the output has the right shape and, when
/// serde_json reads the answer, equals the oracle's.
fn check_everywhere(answer: &[u8]) -> Result<(), TestCaseError> {
    let parsed: Option<Value> = serde_json::from_slice(answer).ok();
    for awk in awks() {
        for (agent, event) in AGENTS {
            let out = filter(awk, agent, event, answer);
            let got = check_output(&out, agent, event).map_err(|e| {
                TestCaseError::fail(format!(
                    "{:?} {agent}: {e}\n  answer: {}",
                    awk.command,
                    String::from_utf8_lossy(answer)
                ))
            })?;
            if let Some(value) = &parsed {
                prop_assert_eq!(
                    got,
                    rebuilt(value, agent, event, awk.bytes),
                    "{:?} {}: {}",
                    awk.command,
                    agent,
                    String::from_utf8_lossy(answer)
                );
            }
        }
    }
    Ok(())
}

/// Strings that break naive readers.
fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("deny".to_owned()),
        Just("block".to_owned()),
        Just("allow".to_owned()),
        Just("ask".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("\\\"".to_owned()),
        Just("\u{0}\u{1}\u{1f}\n\t\r".to_owned()),
        Just("\u{1c}".to_owned()),
        Just("é😀Ü\u{2028}\u{feff}".to_owned()),
        Just("}]{[,:".to_owned()),
        Just("$(touch /tmp/pwned) `id` '".to_owned()),
        "[a-z]{0,8}",
        any::<String>(),
    ]
}

const KEYS: [&str; 16] = [
    "decision",
    "reason",
    "continue",
    "stopReason",
    "hookSpecificOutput",
    "permission",
    "user_message",
    "agent_message",
    "permissionDecision",
    "permissionDecisionReason",
    "hookEventName",
    "behavior",
    "message",
    "additionalContext",
    "updatedInput",
    "systemMessage",
];

/// Values shaped like decisions: objects over the keys above, at any depth.
fn answer_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        hostile_string().prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(&KEYS[..]).prop_map(str::to_owned),
                        hostile_string()
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// JSON text for `value` with every string and key written in \u escapes (surrogate pairs
/// beyond the BMP), as a JSON writer may.
fn escaped(value: &Value) -> String {
    fn string(s: &str) -> String {
        let mut out = String::from("\"");
        for unit in s.encode_utf16() {
            out.push_str(&format!("\\u{unit:04x}"));
        }
        out.push('"');
        out
    }
    match value {
        Value::String(s) => string(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(escaped).collect::<Vec<_>>().join(" , ")
        ),
        Value::Object(members) => format!(
            "{{\r\n{}\t}}",
            members
                .iter()
                .map(|(k, v)| format!("{} :\n{}", string(k), escaped(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// Fragments that make JSON invalid, or nearly so.
fn breaker() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"]".to_vec()),
        Just(b",".to_vec()),
        Just(b":".to_vec()),
        Just(b"\\u00".to_vec()),
        Just(b"\\ud800".to_vec()),
        Just(b"\\udc00".to_vec()),
        Just(b"\xff".to_vec()),
        Just(b"\xc3".to_vec()),
        Just(b"\xed\xa0\x80".to_vec()),
        Just(b"\x01".to_vec()),
        Just(b"\x0b".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"01".to_vec()),
        Just(b"1.".to_vec()),
        Just(b"tru".to_vec()),
        Just(b"//".to_vec()),
        Just(b"'".to_vec()),
        Just(b"\"deny\"".to_vec()),
        Just(b"\"permission\":\"deny\"".to_vec()),
        Just(b"{\"decision\":\"block\"}".to_vec()),
        prop::collection::vec(1u8..=255, 1..4),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_answer_is_read_as_json_reads_it(value in answer_value(), how in 0..3u8) {
        let text = match how {
            0 => serde_json::to_string(&value).expect("json"),
            1 => serde_json::to_string_pretty(&value).expect("json"),
            _ => escaped(&value),
        };
        check_everywhere(text.as_bytes())?;
    }

    #[test]
    fn a_broken_answer_prints_a_strict_decision_or_nothing(
        value in answer_value(),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        insert in breaker(),
        truncate in any::<bool>(),
    ) {
        let mut text = serde_json::to_vec(&value).expect("json");
        if truncate {
            text.truncate(cut.index(text.len() + 1));
        }
        let at = at.index(text.len() + 1);
        text.splice(at..at, insert);
        text.retain(|&b| b != 0);
        check_everywhere(&text)?;
    }
}

#[test]
fn answers_that_are_not_exactly_one_json_object_print_nothing() {
    let cases: [&[u8]; 22] = [
        b"",
        b" ",
        b"null",
        b"[{\"decision\":\"block\"}]",
        b"\"deny\"",
        b"{\"decision\":\"block\"} {}",
        b"{\"decision\":\"block\"}}",
        b"{\"decision\":\"block\",}",
        b"{\"decision\":\"block\"",
        b"{\"decision\" \"block\"}",
        b"{\"decision\":\"block\" \"reason\":\"x\"}",
        b"{'decision':'block'}",
        b"{decision:\"block\"}",
        b"{\"decision\":\"bl\\ock\"}",
        b"{\"decision\":\"block\x01\"}",
        b"{\"decision\":\"block\"}\x0b",
        b"\xef\xbb\xbf{\"decision\":\"block\"}",
        b"{\"decision\":\"block\",\"n\":01}",
        b"{\"decision\":\"block\",\"n\":NaN}",
        b"{\"decision\":\"block\",\"n\":[1,]}",
        b"{\"decision\":\"block\"}// comment",
        b"{\"decision\":\"block\",\"x\":\"\\u12\"}",
    ];
    for awk in awks() {
        for case in cases {
            assert_eq!(
                filter(awk, "claude", "PreToolUse", case),
                b"",
                "{:?}: {}",
                awk.command,
                String::from_utf8_lossy(case)
            );
        }
    }
}

#[test]
fn a_reason_that_would_not_print_as_valid_json_is_left_out_the_deny_stays() {
    let deny = br#"{"hookSpecificOutput":{"permissionDecision":"deny","permissionDecisionReason":"#;
    for awk in awks() {
        for bad in [
            &b"\"lone \\ud800 surrogate\""[..],
            b"\"lone \\udc00 low\"",
            b"\"cut \xc3\"",
            b"\"overlong \xc0\xaf\"",
            b"\"surrogate \xed\xa0\x80\"",
            b"\"\xff\"",
        ] {
            let answer = [&deny[..], bad, b"}}"].concat();
            let out = filter(awk, "claude", "PreToolUse", &answer);
            assert_eq!(
                String::from_utf8_lossy(&out),
                "{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"deny\"}}\n",
                "{:?}: {}",
                awk.command,
                String::from_utf8_lossy(&answer)
            );
        }
        // A valid pair and valid UTF-8 are kept as written.
        let answer = [&deny[..], "\"😀 \\ud83d\\ude00 é\"".as_bytes(), b"}}"].concat();
        let out = filter(awk, "claude", "PreToolUse", &answer);
        let want = if awk.bytes {
            "{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"😀 \\ud83d\\ude00 é\"}}\n"
        } else {
            "{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"deny\"}}\n"
        };
        assert_eq!(String::from_utf8_lossy(&out), want, "{:?}", awk.command);
    }
}

#[test]
fn deep_nesting_and_huge_strings_are_read_in_bounded_time() {
    // Within what one environment variable may hold (128 KiB), as the hook passes the answer.
    let depth = 12_000;
    let deep = format!(
        "{{\"x\":{}{},\"decision\":\"block\",\"y\":{{\"a\":{}0{}}}}}",
        "[".repeat(depth),
        "]".repeat(depth),
        "{\"a\":[".repeat(depth / 2),
        "]}".repeat(depth / 2)
    );
    let huge = "é\\\"x".repeat(20_000);
    let long = format!(
        "{{\"decision\":\"block\",\"reason\":\"{huge}\",\"pad\":\"{}\"}}",
        "y".repeat(20_000)
    );
    for awk in awks() {
        let start = std::time::Instant::now();
        assert_eq!(
            filter(awk, "claude", "UserPromptSubmit", deep.as_bytes()),
            b"{\"decision\":\"block\"}\n",
            "{:?}",
            awk.command
        );
        // One bracket short: nothing.
        assert_eq!(
            filter(awk, "claude", "UserPromptSubmit", &deep.as_bytes()[1..]),
            b"",
            "{:?}",
            awk.command
        );
        let out = filter(awk, "claude", "UserPromptSubmit", long.as_bytes());
        let value: Value = serde_json::from_slice(&out).expect("valid JSON");
        let reason = huge.replace("\\\"", "\"");
        if awk.bytes {
            assert_eq!(value, json!({"decision": "block", "reason": reason}));
        } else {
            assert_eq!(value, json!({"decision": "block"}));
        }
        let took = start.elapsed();
        eprintln!(
            "{:?}: nesting {depth} deep and a 100 KB string in {took:?}",
            awk.command
        );
        assert!(
            took < std::time::Duration::from_secs(20),
            "{:?} took {took:?}",
            awk.command
        );
    }
}

#[test]
fn copilot_gets_gram_s_deny_in_its_own_words_and_never_an_allow() {
    for awk in awks() {
        let out = filter(
            awk,
            "copilot",
            "preToolUse",
            br#"{"decision":"deny","message":"no \"x\" \u00e9","reason":"policy"}"#,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"permissionDecision\":\"deny\",\"permissionDecisionReason\":\"no \\\"x\\\" \\u00e9\"}\n",
            "{:?}",
            awk.command
        );
        let out = filter(
            awk,
            "copilot",
            "permissionRequest",
            b"{\"decision\":\n\"deny\",\"reason\":\"policy\"}",
        );
        // BWK awk (as on macOS) splits at newlines too when split() gets a one-character string:
        // the reader splits at a regex, so a newline between tokens keeps the deny in every awk.
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"behavior\":\"deny\",\"message\":\"policy\"}\n",
            "{:?}",
            awk.command
        );
        assert_eq!(
            filter(
                awk,
                "copilot",
                "permissionRequest",
                br#"{"decision":"deny"}"#
            ),
            b"{\"behavior\":\"deny\",\"message\":\"Gram denied this tool call.\"}\n"
        );
        for answer in [
            &br#"{"decision":"allow","message":"fine"}"#[..],
            br#"{"decision":"Deny"}"#,
            br#"{"decision":["deny"]}"#,
            br#"{"decision":"deny""#,
            br#"{"effects":{"decision":"deny"}}"#,
            br#"[{"decision":"deny"}]"#,
            br#"{"permissionDecision":"deny"}"#,
            b"",
        ] {
            for event in ["preToolUse", "permissionRequest", "userPromptSubmitted"] {
                assert_eq!(
                    filter(awk, "copilot", event, answer),
                    b"",
                    "{:?} {event}: {}",
                    awk.command,
                    String::from_utf8_lossy(answer)
                );
            }
        }
        assert_eq!(
            filter(
                awk,
                "copilot",
                "userPromptSubmitted",
                br#"{"decision":"deny"}"#
            ),
            b"",
            "only tool decisions"
        );
    }
}
