//! The hook's privacy filter (issue #19), the awk program on the hook's JSON reader, tested
//! against the Rust reference `privacy::filter` in every awk found here (mawk, gawk, the one
//! true awk, BusyBox): whatever the event (hostile strings, escapes of every kind, non-ASCII,
//! secrets split by escapes, duplicate keys), the output is JSON equal to the reference's, for
//! every agent and level; and each pattern of the table is caught where it stands in a string.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use gram_admin_core::privacy::{self, Content, PATTERNS};
use gram_admin_core::render::hook_script::privacy_program;
use gram_admin_core::Platform;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn awks() -> &'static [Vec<&'static str>] {
    static AWKS: OnceLock<Vec<Vec<&'static str>>> = OnceLock::new();
    AWKS.get_or_init(|| {
        let candidates: [&[&'static str]; 5] = [
            &["awk"],
            &["mawk"],
            &["gawk"],
            &["original-awk"],
            &["busybox", "awk"],
        ];
        let found: Vec<Vec<&str>> = candidates
            .iter()
            .filter(|c| {
                Command::new(c[0])
                    .args(&c[1..])
                    .arg("BEGIN { exit 0 }")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .map(|c| c.to_vec())
            .collect();
        assert!(
            found.len() >= 4,
            "mawk, gawk, original-awk and busybox are needed: {found:?}"
        );
        found
    })
}

const PLATFORMS: [Platform; 4] = [
    Platform::Claude,
    Platform::Cursor,
    Platform::Codex,
    Platform::Copilot,
];

fn programs() -> &'static Vec<(Platform, Content, String)> {
    static P: OnceLock<Vec<(Platform, Content, String)>> = OnceLock::new();
    P.get_or_init(|| {
        let mut out = Vec::new();
        for p in PLATFORMS {
            for c in Content::ALL {
                out.push((p, c, privacy_program(p, c)));
            }
        }
        out
    })
}

/// What the hook's filter prints for `event` (None: it printed nothing and exited 1).
fn run(awk: &[&str], program: &str, event: &[u8]) -> Option<Vec<u8>> {
    let mut child = Command::new(awk[0])
        .args(&awk[1..])
        .arg(program)
        .env("LC_ALL", "C")
        .env_remove("GRAM_LIVE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("awk");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = event.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("awk");
    writer.join().expect("writer");
    assert!(
        out.stderr.is_empty(),
        "{awk:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => Some(out.stdout),
        Some(1) if out.stdout.is_empty() => None,
        other => panic!("{awk:?} exited {other:?}"),
    }
}

fn check(text: &[u8]) -> Result<(), TestCaseError> {
    let parsed: Option<Value> = serde_json::from_slice(text).ok();
    for awk in awks() {
        for (platform, content, program) in programs() {
            let out = run(awk, program, text);
            let Some(value) = &parsed else {
                // Not JSON serde_json reads: nothing is sent, or what the reader took.
                continue;
            };
            let out = out.ok_or_else(|| {
                TestCaseError::fail(format!(
                    "{awk:?} {platform:?} {content}: dropped valid JSON {}",
                    String::from_utf8_lossy(text)
                ))
            })?;
            let got: Value = serde_json::from_slice(&out).map_err(|e| {
                TestCaseError::fail(format!(
                    "{awk:?} {platform:?} {content}: not JSON ({e}): {}\n  input: {}",
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(text)
                ))
            })?;
            prop_assert_eq!(
                &got,
                &privacy::filter(*platform, *content, value),
                "{:?} {:?} {}: {}",
                awk,
                platform,
                content,
                String::from_utf8_lossy(text)
            );
        }
    }
    Ok(())
}

/// A JSON text for `value` whose strings escape characters at random (`\uXXXX`, surrogate
/// pairs, `\/`, upper- and lowercase hex): what an agent's serializer may write.
fn escaped(value: &Value, seed: &mut u64) -> String {
    fn next(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 33
    }
    fn string(s: &str, seed: &mut u64) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            let roll = next(seed) % 8;
            match c {
                '"' => out.push_str(if roll < 6 { "\\\"" } else { "\\u0022" }),
                '\\' => out.push_str(if roll < 6 { "\\\\" } else { "\\u005C" }),
                '\n' if roll < 6 => out.push_str("\\n"),
                '\r' if roll < 6 => out.push_str("\\r"),
                '\t' if roll < 6 => out.push_str("\\t"),
                '/' if roll < 3 => out.push_str("\\/"),
                c if (c as u32) < 0x20 || roll == 0 => {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        if next(seed) % 2 == 0 {
                            out.push_str(&format!("\\u{unit:04x}"));
                        } else {
                            out.push_str(&format!("\\u{unit:04X}"));
                        }
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
    match value {
        Value::String(s) => string(s, seed),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|v| escaped(v, seed))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}:{}", string(k, seed), escaped(v, seed)))
                .collect::<Vec<_>>()
                .join(if next(seed) % 2 == 0 { "," } else { " ,\n " })
        ),
        other => other.to_string(),
    }
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "AKIA[0-9A-Z]{15,18}",
        "ASIA[0-9A-Z]{16}",
        "gh[pousr]_[A-Za-z0-9]{35,38}",
        "github_pat_[A-Za-z0-9_]{20,24}",
        "glpat-[A-Za-z0-9_-]{19,22}",
        "xox[bpars]-[A-Za-z0-9-]{9,12}",
        "eyJ[A-Za-z0-9_-]{7,10}\\.eyJ[A-Za-z0-9_-]{7,10}\\.[A-Za-z0-9_-]{0,10}",
        "gram_[a-z]{0,5}_[0-9a-f]{63,65}",
        "[Bb]earer [A-Za-z0-9._~+/=-]{6,12}",
        "(password|Password|PASSWD|passwd|token|TOKEN|secret)=[A-Za-z0-9!#$%*+./:=?@^_~-]{0,8}",
        "-----BEGIN (RSA |EC )?PRIVATE KEY-----[\n\r]?[A-Za-z0-9+/= \n]{0,30}(-----END (RSA |EC )?PRIVATE KEY-----)?",
    ]
}

fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => secret(),
        2 => "[ -~]{0,12}",
        1 => Just("\"".to_owned()),
        1 => Just("\\".to_owned()),
        1 => Just("\u{0}\u{1}\u{1f}\n\t\r\u{7f}".to_owned()),
        1 => Just("é😀Ü\u{2028}".to_owned()),
        1 => Just("the canary sentence".to_owned()),
        1 => "\\PC{0,6}",
    ];
    prop::collection::vec(piece, 0..4).prop_map(|v| v.concat())
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "hook_event_name", "session_id", "tool_name", "tool_input", "tool_response",
            "prompt", "cwd", "model", "sessionId", "toolName", "toolArgs", "toolResult",
            "resultType", "textResultForLlm", "error", "name", "message", "url", "command",
            "last_assistant_message", "timestamp", "permission_type",
        ]).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e300f64..1e300).prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..7)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn event() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), value()), 0..8)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_filter_equals_the_reference_for_any_event(event in event(), seed in any::<u64>()) {
        check(serde_json::to_string(&event).unwrap().as_bytes())?;
        let mut seed = seed;
        check(escaped(&event, &mut seed).as_bytes())?;
    }

    #[test]
    fn any_value_at_the_root_stays_json(value in value(), seed in any::<u64>()) {
        let mut seed = seed;
        check(escaped(&value, &mut seed).as_bytes())?;
    }

    #[test]
    fn hostile_text_is_dropped_or_valid(bytes in prop::collection::vec(
        prop::sample::select(b"{}[]:,\"\\ ntrue1e9-.u0aAKIA\x01\xc3\xa9".to_vec()), 0..40)) {
        check(&bytes)?;
    }
}

#[test]
fn a_key_given_twice_counts_once_with_its_last_value() {
    for text in [
        r#"{"error":{"name":"a"},"error":"gone","toolName":"x","toolName":"bash"}"#,
        r#"{"tool_name":"a","prompt":"p","tool_name":"Bash","prompt":"q"}"#,
    ] {
        check(text.as_bytes()).unwrap();
    }
}

#[test]
fn every_pattern_is_caught_in_every_awk_even_behind_escapes() {
    let aws = "AKIAIOSFODNN7EXAMPLE";
    let pem =
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA+/x=\n-----END RSA PRIVATE KEY-----";
    let gram = format!("gram_live_{}", "0f".repeat(32));
    let samples = [
        aws.to_owned(),
        "ASIAY34FZKBOKMUTVV7A".to_owned(),
        format!("ghp_{}", "0".repeat(36)),
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop".to_owned(),
        "glpat-abcdefghij0123456789".to_owned(),
        "xoxb-1234567890-abcdef".to_owned(),
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N".to_owned(),
        gram,
        pem.to_owned(),
        "Bearer abcdefgh12345".to_owned(),
        "password=hunter2".to_owned(),
        "passwd=x".to_owned(),
        "token=abc".to_owned(),
        "SECRET=abc".to_owned(),
    ];
    assert!(samples.len() >= PATTERNS.len());
    for sample in samples {
        let scrubbed = privacy::scrub(&sample);
        assert!(scrubbed.contains("[redacted:"), "{sample}: {scrubbed}");
        let event = json!({"tool_input": {"command": format!("echo {sample} done")}});
        // As serde_json writes it, and with the secret behind escapes.
        let plain = serde_json::to_string(&event).unwrap();
        let hidden = plain.replacen('A', "\\u0041", 1).replace('/', "\\/");
        for text in [plain, hidden] {
            for awk in awks() {
                let program = privacy_program(Platform::Claude, Content::Full);
                let out = run(awk, &program, text.as_bytes()).expect("valid JSON");
                let got: Value = serde_json::from_slice(&out).expect("JSON");
                assert_eq!(
                    got["tool_input"]["command"],
                    json!(format!("echo {scrubbed} done")),
                    "{awk:?}: {text}"
                );
            }
        }
    }
}

#[test]
fn metadata_sends_names_and_no_content() {
    let event = br#"{"hook_event_name":"PostToolUse","session_id":"s","tool_name":"mcp__gh__search","tool_input":{"q":"AKIAIOSFODNN7EXAMPLE"},"tool_response":"the canary sentence","prompt":"p"}"#;
    for awk in awks() {
        let program = privacy_program(Platform::Claude, Content::Metadata);
        let out = run(awk, &program, event).expect("JSON");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"hook_event_name":"PostToolUse","session_id":"s","tool_name":"mcp__gh__search"}"#,
            "{awk:?}"
        );
    }
}

/// The OpenCode module's filter (the code between its `privacy begin` and `privacy end` marks,
/// run in node as the module holds it) on each `(envelope, level)`.
fn opencode_filter(cases: &[(Value, Content)]) -> Vec<Value> {
    let module = gram_admin_core::render::OPENCODE_MODULE;
    let start = module.find("// --- privacy begin").expect("begin");
    let end = module.find("// --- privacy end").expect("end");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("privacy.mjs");
    std::fs::write(
        &path,
        format!(
            "{}\nimport {{ readFileSync }} from \"node:fs\";\n\
             const cases = JSON.parse(readFileSync(0, \"utf8\"));\n\
             process.stdout.write(JSON.stringify(cases.map(([e, c]) => privacy(e, c))));\n",
            &module[start..end]
        ),
    )
    .expect("write");
    let input: Vec<Value> = cases.iter().map(|(e, c)| json!([e, c.as_str()])).collect();
    let mut child = Command::new("node")
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (scripts/setup.sh installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    let text = serde_json::to_vec(&input).unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&text));
    let out = child.wait_with_output().expect("node");
    writer.join().unwrap().expect("stdin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Values whose JSON text node writes back the same (integers, no floats).
fn js_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(|n| json!(n)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((envelope_key(), inner), 0..7)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn envelope_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "schema_version", "source", "session", "event", "data", "raw", "tool_call",
            "name", "input", "output", "status", "prompt", "text", "message", "usage",
            "notification", "type", "mcp", "skill", "__proto__", "1",
        ]).prop_map(str::to_owned),
        1 => text(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn the_opencode_filter_equals_the_reference(
        cases in prop::collection::vec((js_value(), prop::sample::select(Content::ALL.to_vec())), 40..60)
    ) {
        let got = opencode_filter(&cases);
        for ((event, content), got) in cases.iter().zip(&got) {
            prop_assert_eq!(
                got,
                &privacy::filter(Platform::OpenCode, *content, event),
                "{}: {}",
                content,
                event
            );
        }
    }
}

#[test]
fn opencode_at_metadata_sends_tool_names_and_no_content() {
    let envelope = json!({
        "schema_version": "hook.ingest.v1",
        "source": {"adapter": "opencode"},
        "session": {"id": "s"},
        "event": {"type": "tool.completed"},
        "data": {"tool_call": {"name": "bash", "input": {"command": "echo AKIAIOSFODNN7EXAMPLE"},
                 "output": "the canary sentence", "status": "completed"}},
        "raw": {"input": "the canary sentence"}
    });
    let got = opencode_filter(&[
        (envelope.clone(), Content::Metadata),
        (envelope, Content::Full),
    ]);
    assert_eq!(
        got[0]["data"],
        json!({"tool_call": {"name": "bash", "status": "completed"}})
    );
    assert!(got[0].get("raw").is_none());
    assert_eq!(
        got[1]["data"]["tool_call"]["input"]["command"],
        "echo [redacted:aws_access_key]"
    );
    assert_eq!(got[1]["raw"]["input"], "the canary sentence");
}
