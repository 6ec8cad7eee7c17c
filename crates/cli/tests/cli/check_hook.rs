//! `gram-admin check-hook` against the Gram stand-in: exact output, exit codes.

use gram_admin_testkit::fixtures::test_key_text;
use gram_admin_testkit::{closed_port, Answer, GramStandIn};

use crate::{gram_admin, key_file, Run};

fn check(server: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "check-hook",
        "--platform",
        "claude",
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        server,
    ];
    args.extend(extra);
    gram_admin(&args)
}

/// The latency line varies from run to run: `latency: N ms` → `latency: _ ms`.
fn stable(stdout: &str) -> String {
    stdout
        .lines()
        .map(|l| match l.strip_prefix("latency: ") {
            Some(rest) if rest.ends_with(" ms") => "latency: _ ms".to_owned(),
            _ => l.to_owned(),
        })
        .map(|l| l + "\n")
        .collect()
}

#[test]
fn an_accepted_event_exits_0_and_gram_got_the_hooks_request() {
    let gram = GramStandIn::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let run = check(&gram.url(), &["--key-file", key.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(
        stable(&run.stdout),
        format!(
            "Sent a Claude Code test event (Notification) to {url}/rpc/hooks.claude\n\
             status:  200\n\
             latency: _ ms\n\
             answer:  {{}}\n\
             Gram accepted the test event (HTTP 200): Claude Code's hook reaches project \"default\" with this key.\n",
            url = gram.url()
        )
    );
    let requests = gram.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].header("Gram-Key"),
        Some(test_key_text().as_str())
    );
    assert_eq!(requests[0].event().as_deref(), Some("Notification"));
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn the_placeholder_gets_a_401_that_says_so_and_exits_1() {
    let gram = GramStandIn::start();
    gram.answer_with(|r| {
        if r.header("Gram-Key") == Some(test_key_text().as_str()) {
            Answer::ok()
        } else {
            Answer::error(401, "unauthorized", "unknown api key")
        }
    });
    let run = check(&gram.url(), &["--json"]);
    assert_eq!(run.code, Some(1));
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json["status"], 401);
    assert_eq!(json["verdict"], "unauthorized");
    assert!(json["latency_ms"].is_u64());
    assert!(json["answer"]
        .as_str()
        .expect("answer")
        .contains("unknown api key"));
    let explanation = json["explanation"].as_str().expect("explanation");
    assert!(explanation.contains("placeholder key"), "{explanation}");
    assert_eq!(
        run.stderr,
        format!(
            "note: no --key-file given: checking with the placeholder key (gram_local_00000…), which Gram refuses; give --key-file to check a real key.\n\
             error: {explanation}\n"
        )
    );
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn gram_down_exits_1_with_what_to_do_and_no_key_anywhere() {
    let server = closed_port();
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let run = check(&server, &["--key-file", key.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stdout.contains("status:  no answer\n"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        format!("error: Gram is not reachable at {server}: the connection was refused. Check the server URL and that Gram is running there.\n")
    );
    assert!(!run.stdout.contains(&test_key_text()) && !run.stderr.contains(&test_key_text()));
}
