//! Check hook: one synthetic event through the rendered plugin's curl config, against the Gram
//! stand-in on 127.0.0.1, and what each answer (or its absence) is called.

use std::time::Duration;

use gram_admin_core::check_hook::{check_hook, CheckHookResult, CheckVerdict};
use gram_admin_core::{HooksKey, Platform};
use gram_admin_testkit::fixtures::{acme_org, test_key, test_key_text};
use gram_admin_testkit::{closed_port, Answer, GramStandIn, HungServer};
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(5);

fn check(server: &str, platform: Platform) -> CheckHookResult {
    check_hook(&acme_org(server), &test_key(), platform, TIMEOUT).expect("check")
}

/// Nothing a check returns may hold the key.
fn assert_no_key(result: &CheckHookResult) {
    let text = serde_json::to_string(result).expect("json") + &format!("{result:?}");
    assert!(!text.contains(&test_key_text()), "{text}");
}

#[test]
fn ok_sends_what_the_hook_sends_for_every_hook_script_agent() {
    let gram = GramStandIn::start();
    for (platform, event) in [
        (Platform::Claude, "Notification"),
        (Platform::Cursor, "afterAgentResponse"),
        (Platform::Codex, "SessionStart"),
    ] {
        gram.clear();
        let result = check(&gram.url(), platform);
        assert_eq!(result.verdict, CheckVerdict::Ok, "{result:?}");
        assert!(result.accepted());
        assert_eq!(result.status, Some(200));
        assert_eq!(result.answer, "{}");
        assert_eq!(result.event, event);
        assert_eq!(
            result.endpoint,
            format!("{}/rpc/hooks.{}", gram.url(), platform.id())
        );
        assert!(result.explanation.contains("accepted"), "{result:?}");
        assert!(result.latency_ms < TIMEOUT.as_millis() as u64);
        assert_no_key(&result);

        let requests = gram.requests();
        assert_eq!(requests.len(), 1, "one event per check");
        let r = &requests[0];
        assert_eq!(r.method, "POST");
        assert_eq!(r.operation, format!("hooks#{}", platform.id()));
        assert_eq!(r.header("Gram-Key"), Some(test_key_text().as_str()));
        assert_eq!(r.header("Gram-Project"), Some("default"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        let token = r.header("Idempotency-Key").expect("Idempotency-Key");
        assert!(
            token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
            "{token}"
        );
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
        assert_eq!(r.header("X-Gram-Hook-Hostname"), Some(host.trim()));
        let body = r.json().expect("a JSON body");
        assert_eq!(body["hook_event_name"], event);
        assert_eq!(
            body["session_id"],
            json!(format!("gram-admin-check-{token}")),
            "the session names the check"
        );
        assert!(
            !platform.decision_events().contains(&event),
            "{event} is never a decision"
        );
    }
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn opencode_posts_an_ingest_envelope_with_the_modules_headers() {
    let gram = GramStandIn::start();
    gram.expect(
        "ingestHookEvent",
        Answer::Json(200, json!({ "decision": "allow" })),
    );
    let result = check(&gram.url(), Platform::OpenCode);
    assert_eq!(result.verdict, CheckVerdict::Ok, "{result:?}");
    assert_eq!(result.event, "notification.reported");
    assert_eq!(result.endpoint, format!("{}/rpc/hooks.ingest", gram.url()));
    assert_no_key(&result);
    let requests = gram.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.operation, "ingestHookEvent");
    assert_eq!(r.header("Gram-Key"), Some(test_key_text().as_str()));
    assert_eq!(r.header("Gram-Project"), Some("default"));
    assert!(r.header("Idempotency-Key").is_some());
    let body = r.json().expect("JSON");
    assert_eq!(body["schema_version"], "hook.ingest.v1");
    assert_eq!(body["source"]["adapter"], "opencode");
    assert_eq!(body["event"]["type"], "notification.reported");
    assert_eq!(body["data"]["notification"]["type"], "gram-admin-check");
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_401_says_the_key_is_revoked_or_wrong() {
    let gram = GramStandIn::start();
    gram.answer_with(|_| Answer::error(401, "unauthorized", "invalid api key"));
    let result = check(&gram.url(), Platform::Claude);
    assert_eq!(result.verdict, CheckVerdict::Unauthorized);
    assert_eq!(result.status, Some(401));
    assert!(!result.accepted());
    assert!(
        result.explanation.contains("revoked")
            && result.explanation.contains("fresh key")
            && result.explanation.contains("invalid api key"),
        "{}",
        result.explanation
    );
    assert!(result.answer.contains("unauthorized"), "{}", result.answer);
    assert_no_key(&result);

    // The placeholder is named as the reason.
    let placeholder = check_hook(
        &acme_org(&gram.url()),
        &HooksKey::placeholder(),
        Platform::Claude,
        TIMEOUT,
    )
    .expect("check");
    assert_eq!(placeholder.verdict, CheckVerdict::Unauthorized);
    assert!(
        placeholder.explanation.contains("placeholder"),
        "{}",
        placeholder.explanation
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_403_is_about_the_project() {
    let gram = GramStandIn::start();
    gram.answer_with(|_| Answer::error(403, "forbidden", "permission denied"));
    let result = check(&gram.url(), Platform::Cursor);
    assert_eq!(result.verdict, CheckVerdict::Forbidden);
    assert_eq!(result.status, Some(403));
    assert!(
        result.explanation.contains("project \"default\""),
        "{}",
        result.explanation
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_server_error_is_told_apart_from_the_key() {
    let gram = GramStandIn::start();
    gram.answer_with(|_| Answer::error(502, "gateway_error", "upstream down"));
    let result = check(&gram.url(), Platform::Codex);
    assert_eq!(result.verdict, CheckVerdict::ServerError);
    assert!(
        result.explanation.contains("try the check again"),
        "{}",
        result.explanation
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_refused_connection_says_gram_is_not_reachable_there() {
    let server = closed_port();
    let result = check(&server, Platform::Claude);
    assert_eq!(result.verdict, CheckVerdict::Refused, "{result:?}");
    assert_eq!(result.status, None);
    assert!(
        result
            .explanation
            .contains(&format!("not reachable at {server}")),
        "{}",
        result.explanation
    );
    assert_no_key(&result);
}

#[test]
fn no_answer_in_time_is_a_timeout() {
    let hung = HungServer::start();
    let result = check_hook(
        &acme_org(&hung.url()),
        &test_key(),
        Platform::Claude,
        Duration::from_millis(700),
    )
    .expect("check");
    assert_eq!(result.verdict, CheckVerdict::Timeout, "{result:?}");
    assert_eq!(result.status, None);
    assert!(result.latency_ms >= 600, "{result:?}");
    assert!(
        result.explanation.contains("did not answer within 0.7 s"),
        "{}",
        result.explanation
    );
    assert_eq!(hung.accepted(), 1);
}

#[test]
fn a_tls_failure_is_named() {
    // A server that answers TLS's hello with plain HTTP: the handshake fails at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let (mut stream, _) = listener.accept().expect("accept");
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let result = check(&format!("https://{addr}"), Platform::Claude);
    server.join().expect("server");
    assert_eq!(result.verdict, CheckVerdict::Tls, "{result:?}");
    assert_eq!(result.status, None);
    assert!(
        result
            .explanation
            .starts_with("The TLS connection to 127.0.0.1 failed: "),
        "{}",
        result.explanation
    );
    assert!(result.explanation.contains("certificate"));
    assert!(
        result.answer.starts_with("curl: ("),
        "curl's own words are kept: {}",
        result.answer
    );
    assert_no_key(&result);
}

#[test]
fn the_result_holds_the_exact_body_sent_after_the_privacy_filter() {
    use gram_admin_core::privacy::Content;
    let gram = GramStandIn::start();
    for platform in [
        Platform::Claude,
        Platform::Cursor,
        Platform::Codex,
        Platform::Copilot,
        Platform::OpenCode,
    ] {
        for content in Content::ALL {
            gram.clear();
            if matches!(platform, Platform::Copilot | Platform::OpenCode) {
                gram.expect(
                    "ingestHookEvent",
                    Answer::Json(200, json!({ "decision": "allow" })),
                );
            }
            let org = acme_org(&gram.url()).with_content(content);
            let result = check_hook(&org, &test_key(), platform, TIMEOUT).expect("check");
            assert_eq!(result.verdict, CheckVerdict::Ok, "{result:?}");
            assert_eq!(result.content, content);
            let requests = gram.requests();
            assert_eq!(requests.len(), 1);
            assert_eq!(
                result.sent.as_bytes(),
                requests[0].body.as_slice(),
                "{platform:?} {content}: the body shown is the body sent"
            );
            // The check's message is text: it goes at full only.
            assert_eq!(
                result.sent.contains("Test event from gram-admin"),
                content == Content::Full,
                "{platform:?} {content}: {}",
                result.sent
            );
            assert!(result.sent.contains("gram-admin-check-"), "{}", result.sent);
            assert_no_key(&result);
        }
    }
    assert_eq!(gram.violations(), Vec::<String>::new());
}
