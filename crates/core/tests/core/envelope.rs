//! `hooks/gram-envelope.awk` tested like a parser, in every awk on the machine (mawk, gawk, BWK
//! awk as on macOS, busybox): whatever the payload, the envelope is JSON that serde_json reads
//! and Gram's contract accepts — or nothing is printed and the hook sends nothing. Valid
//! payloads are never refused, and the values are copied exactly.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use gram_admin_core::render::envelope::{envelope_program, MAX_DEPTH, RAW_MAX_BYTES};
use gram_admin_testkit::Contract;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The awk implementations to run: `awk` always, the others where installed.
static AWKS: LazyLock<Vec<Vec<String>>> = LazyLock::new(|| {
    let on_path = |p: &str| {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .any(|d| d.join(p).is_file())
    };
    let mut awks = vec![vec!["awk".to_owned()]];
    for awk in ["mawk", "gawk", "original-awk"] {
        if on_path(awk) {
            awks.push(vec![awk.to_owned()]);
        }
    }
    if on_path("busybox") {
        awks.push(vec!["busybox".to_owned(), "awk".to_owned()]);
    }
    awks
});

static PROGRAM: LazyLock<(tempfile::TempDir, PathBuf)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("gram-envelope.awk");
    std::fs::write(
        &path,
        envelope_program("copilot", gram_admin_core::privacy::Content::Full),
    )
    .expect("write");
    (dir, path)
});

struct Run {
    status: Option<i32>,
    stdout: Vec<u8>,
}

fn run(awk: &[String], program: &Path, vars: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut cmd = Command::new(&awk[0]);
    cmd.args(&awk[1..]).env("LC_ALL", "C");
    for (name, value) in vars {
        cmd.arg("-v").arg(format!("{name}={value}"));
    }
    let mut child = cmd
        .arg("-f")
        .arg(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn awk");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("awk");
    writer.join().expect("writer");
    Run {
        status: out.status.code(),
        stdout: out.stdout,
    }
}

/// The envelope of `payload` for `event` in every awk (all must agree), or `None` when they
/// all printed nothing and failed.
fn envelope(event: &str, payload: &[u8]) -> Option<Value> {
    let program = &PROGRAM.1;
    let mut answers = Vec::new();
    for awk in AWKS.iter() {
        let r = run(
            awk,
            program,
            &[
                ("event", event),
                ("host", "dev-box.local"),
                ("now", "1764874025000"),
            ],
            payload,
        );
        answers.push((awk.join(" "), r));
    }
    let contract = Contract::gram_hooks();
    let check = |name: &str, r: &Run| -> Option<Value> {
        if r.status != Some(0) {
            assert!(r.stdout.is_empty(), "{name}: a refusal prints nothing");
            return None;
        }
        let value: Value = serde_json::from_slice(&r.stdout)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {:?}", short(&r.stdout)));
        let violations =
            contract.check_request(contract.operation("ingestHookEvent"), &[], &r.stdout, true);
        assert!(
            violations.is_empty(),
            "{name}: {violations:?}: {:?}",
            short(&r.stdout)
        );
        Some(value)
    };
    let (first_name, first) = &answers[0];
    let value = check(first_name, first);
    for (name, r) in &answers[1..] {
        let other = check(name, r);
        // NUL bytes never reach awk from the hook (sh drops them), and awks differ on them.
        if !payload.contains(&0) {
            assert!(
                (r.status, &r.stdout) == (first.status, &first.stdout),
                "{name} ({:?}) and {first_name} ({:?}) disagree on {:?}",
                r.status,
                first.status,
                short(payload)
            );
        } else {
            let _ = other;
        }
    }
    value
}

/// Equal JSON, floats within a few ULPs: serde_json's float reading (without its
/// `float_roundtrip` feature) may differ by one ULP for the same text in another place.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// At most 300 bytes of `bytes`, for a failure message.
fn short(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.chars().take(300).collect()
}

/// A JSON string's worst cases, mixed with arbitrary text.
fn hostile_string() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("\\\"".to_owned()),
        Just("\\u00e9".to_owned()),
        Just("\u{0}\u{1}\u{1f}\u{7f}".to_owned()),
        Just("\n\r\t\u{8}\u{c}".to_owned()),
        Just("é😀Ü€\u{10ffff}\u{fffd}".to_owned()),
        Just("{}[],:".to_owned()),
        Just("' $(id) `id` ${HOME}".to_owned()),
        Just("\u{2028}\u{2029}".to_owned()),
        Just(" true false null 1e400 -0 ".to_owned()),
        "[a-zA-Z0-9 ._-]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(fragment, 0..6).prop_map(|parts| parts.concat())
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((hostile_string(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Byte-level damage: what a broken or malicious payload looks like.
fn damage() -> impl Strategy<Value = (usize, Vec<u8>)> {
    let bytes = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"\\ud800".to_vec()),
        Just(b"\\udc00\\ud800".to_vec()),
        Just(b"\\ud83d\\ude00".to_vec()),
        Just(vec![0xff]),
        Just(vec![0xc3]),
        Just(vec![0xed, 0xa0, 0x80]),
        Just(vec![0xf4, 0x90, 0x80, 0x80]),
        Just(vec![0xc0, 0xaf]),
        Just(b"1e400".to_vec()),
        Just(b"1e-400".to_vec()),
        Just(b"9".repeat(400)),
        Just(b"-".to_vec()),
        Just(b"01".to_vec()),
        Just(b"\x0c".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\x00".to_vec()),
        Just(b"}".to_vec()),
        Just(b"]".to_vec()),
        Just(b",".to_vec()),
        Just(b":".to_vec()),
        Just(b"{".to_vec()),
        Just(b"nul".to_vec()),
        prop::collection::vec(any::<u8>(), 1..4),
    ];
    (any::<usize>(), bytes)
}

fn payload(session: &str, args: &Value) -> Value {
    json!({
        "sessionId": session,
        "timestamp": 1_764_874_025_123u64,
        "cwd": "/home/dev/p",
        "toolName": "bash",
        "toolArgs": args,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Valid payloads: always sent, every value exactly as Copilot wrote it.
    #[test]
    fn every_valid_payload_becomes_an_envelope_with_its_values(session in hostile_string(), args in json_value()) {
        let text = serde_json::to_vec(&payload(&session, &args)).expect("json");
        // What serde_json reads back (its float parsing is not always the writer's exact inverse).
        let p: Value = serde_json::from_slice(&text).expect("json");
        let args = &p["toolArgs"];
        let e = envelope("preToolUse", &text).expect("a valid payload is never refused");
        prop_assert_eq!(&e["session"]["id"], &json!(session));
        prop_assert!(same(&e["data"]["tool_call"]["input"], args), "{} != {}", e["data"]["tool_call"]["input"], args);
        prop_assert_eq!(&e["data"]["tool_call"]["name"], "bash");
        prop_assert_eq!(&e["event"]["occurred_at"], "2025-12-04T18:47:05.123Z");
        if text.len() <= RAW_MAX_BYTES as usize {
            prop_assert!(same(&e["raw"], &p));
        }
        // Pretty-printed, the same.
        let pretty = serde_json::to_vec_pretty(&p).expect("json");
        let again = envelope("preToolUse", &pretty).expect("pretty is valid too");
        // (Not compared value for value: serde_json's float reading may differ by one ULP.)
        prop_assert_eq!(&again["session"], &e["session"]);
        prop_assert!(again["data"]["tool_call"].get("input").is_some());
    }

    /// Damaged payloads: refused, or an envelope the contract accepts. Whatever serde_json
    /// reads is sent.
    #[test]
    fn damaged_payloads_give_a_valid_envelope_or_nothing(args in json_value(), cuts in prop::collection::vec(damage(), 1..4)) {
        let mut text = serde_json::to_vec(&payload("s-1", &args)).expect("json");
        for (at, bytes) in cuts {
            let at = at % (text.len() + 1);
            text.splice(at..at, bytes);
        }
        let e = envelope("postToolUse", &text);
        if let Ok(parsed) = serde_json::from_slice::<Value>(&text) {
            if parsed.is_object() {
                let e = e.expect("what serde_json reads is sent");
                if let Some(raw) = e.get("raw") {
                    prop_assert_eq!(raw, &parsed);
                }
            }
        }
    }
}

#[test]
fn nesting_of_any_depth_is_read_and_only_what_is_too_deep_is_left_out() {
    for (depth, kept) in [
        (MAX_DEPTH as usize, true),
        (MAX_DEPTH as usize + 1, false),
        (100_000, false),
    ] {
        let args = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let text = format!("{{\"sessionId\":\"deep\",\"toolName\":\"x\",\"toolArgs\":{args}}}");
        let e = envelope("preToolUse", text.as_bytes()).expect("sent");
        assert_eq!(e["session"]["id"], "deep");
        assert_eq!(e["data"]["tool_call"]["name"], "x");
        assert_eq!(
            e["data"]["tool_call"].get("input").is_some(),
            kept,
            "depth {depth}"
        );
        assert_eq!(e.get("raw").is_some(), kept, "depth {depth}");
    }
    // Unbalanced, deep: refused.
    let text = format!("{{\"toolArgs\":{}}}", "[".repeat(50_000));
    assert!(envelope("preToolUse", text.as_bytes()).is_none());
}

#[test]
fn huge_strings_and_many_escaped_quotes_are_copied_whole() {
    // 1.3 MB of JSON: non-ASCII throughout, 20,000 escaped quotes and 20,000 escaped backslashes
    // (busybox awk takes ~35 s for 400,000 escaped quotes; the others under 3 s).
    let big = format!("{}{}", "é x".repeat(300_000), "\"\\".repeat(20_000));
    let p = json!({ "sessionId": "big", "prompt": big });
    let text = serde_json::to_vec(&p).expect("json");
    let started = std::time::Instant::now();
    let e = envelope("userPromptSubmitted", &text).expect("sent");
    eprintln!("{} bytes in every awk: {:?}", text.len(), started.elapsed());
    assert_eq!(e["data"]["prompt"]["text"], json!(big));
    assert!(
        e.get("raw").is_none(),
        "raw only up to {RAW_MAX_BYTES} bytes"
    );
}

#[test]
fn fields_no_reader_would_take_are_left_out_and_the_rest_is_sent() {
    let text = br#"{"sessionId":"s\ud800","cwd":"/p","toolName":"bash","toolArgs":{"n":1e400},"timestamp":1764874025123}"#;
    let e = envelope("preToolUse", text).expect("sent");
    assert_eq!(
        e["session"],
        json!({ "cwd": "/p" }),
        "the lone surrogate's field is left out"
    );
    assert_eq!(
        e["data"]["tool_call"],
        json!({ "name": "bash" }),
        "1e400 overflows a double"
    );
    assert!(e.get("raw").is_none());
    let invalid_utf8 = b"{\"sessionId\":\"a\xff\",\"prompt\":\"ok \xc3\xa9\"}";
    let e = envelope("userPromptSubmitted", invalid_utf8).expect("sent");
    assert!(e.get("session").is_none());
    assert_eq!(e["data"]["prompt"]["text"], "ok é");
}

#[test]
fn occurred_at_is_the_payload_s_epoch_milliseconds_in_utc() {
    for (ms, at) in [
        (0u64, "1970-01-01T00:00:00.000Z"),
        (951_782_400_001, "2000-02-29T00:00:00.001Z"),
        (1_764_874_025_123, "2025-12-04T18:47:05.123Z"),
        (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
    ] {
        let text = format!("{{\"sessionId\":\"t\",\"timestamp\":{ms}}}");
        let e = envelope("sessionStart", text.as_bytes()).expect("sent");
        assert_eq!(e["event"]["occurred_at"], at, "{ms}");
    }
    // No usable timestamp: the hook's own clock.
    let e = envelope("sessionStart", br#"{"timestamp":"soon"}"#).expect("sent");
    assert_eq!(e["event"]["occurred_at"], "2025-12-04T18:47:05.000Z");
}
