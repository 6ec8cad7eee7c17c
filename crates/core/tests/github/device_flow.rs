//! The device flow polled by gram-admin, against a local OAuth endpoint playing each answer.

use std::time::Duration;

use gram_admin_core::github::auth::DeviceFlow;
use gram_admin_testkit::OAuthStandIn;
use serde_json::json;

use crate::support::block_on;

/// GitHub's seconds, shortened so a whole flow plays in milliseconds.
const SECOND: Duration = Duration::from_millis(5);

fn flow(oauth: &OAuthStandIn) -> DeviceFlow {
    DeviceFlow::new(oauth.url(), "test-client").with_second(SECOND)
}

#[test]
fn pending_then_slow_down_then_a_token() {
    let token = format!("test-{}", std::process::id());
    let oauth = OAuthStandIn::start(
        1,
        900,
        vec![
            json!({ "error": "authorization_pending" }),
            json!({ "error": "slow_down", "interval": 3 }),
            json!({ "access_token": token, "token_type": "bearer", "scope": "repo" }),
        ],
    );
    let flow = flow(&oauth);
    let got = block_on(async {
        let code = flow.request_code().await.unwrap();
        assert_eq!(code.user_code, "WDJB-MJHT");
        assert_eq!(code.verification_uri, "https://github.com/login/device");
        flow.wait_for_token(&code).await.unwrap()
    });
    assert_eq!(got.expose(), &token);
    assert_eq!(oauth.unused(), 0);
    let requests = oauth.requests();
    assert_eq!(requests[0].0, "/login/device/code");
    assert!(
        requests[0].1.contains("client_id=test-client") && requests[0].1.contains("scope=repo")
    );
    assert!(requests[1]
        .1
        .contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"));
    assert!(requests[1].1.contains("device_code=dc-test"));
}

fn fails_with(answer: serde_json::Value) -> String {
    let oauth = OAuthStandIn::start(
        1,
        900,
        vec![json!({ "error": "authorization_pending" }), answer],
    );
    let flow = flow(&oauth);
    block_on(async {
        let code = flow.request_code().await.unwrap();
        flow.wait_for_token(&code).await.unwrap_err().to_string()
    })
}

#[test]
fn expired_and_denied_codes_say_what_to_do() {
    let expired = fails_with(json!({ "error": "expired_token" }));
    assert!(
        expired.contains("expired") && expired.contains("github login"),
        "{expired}"
    );
    let denied = fails_with(json!({ "error": "access_denied" }));
    assert!(
        denied.contains("cancelled") && denied.contains("Authorize"),
        "{denied}"
    );
    let disabled = fails_with(json!({ "error": "device_flow_disabled" }));
    assert!(disabled.contains("Device Flow"), "{disabled}");
    let other = fails_with(json!({ "error": "weird", "error_description": "Something odd" }));
    assert!(other.contains("Something odd"), "{other}");
}

#[test]
fn a_code_nobody_enters_expires_locally() {
    let pending: Vec<_> = (0..50)
        .map(|_| json!({ "error": "authorization_pending" }))
        .collect();
    let oauth = OAuthStandIn::start(1, 3, pending);
    let flow = flow(&oauth);
    let err = block_on(async {
        let code = flow.request_code().await.unwrap();
        flow.wait_for_token(&code).await.unwrap_err().to_string()
    });
    assert!(err.contains("expired"), "{err}");
}

#[test]
fn an_unreachable_sign_in_is_a_sentence() {
    let flow = DeviceFlow::new(gram_admin_testkit::closed_port(), "c").with_second(SECOND);
    let err = block_on(flow.request_code()).unwrap_err().to_string();
    assert!(err.contains("Could not reach GitHub's sign-in"), "{err}");
}

/// A server on 127.0.0.1 that answers every request `307 Temporary Redirect` to `location`,
/// and counts the requests it got.
fn redirecting_to(location: String) -> (String, std::thread::JoinHandle<usize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let served = std::thread::spawn(move || {
        listener.set_nonblocking(false).expect("blocking");
        let (stream, _) = listener.accept().expect("one request");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("a length");
            }
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .expect("answer");
        1
    });
    (url, served)
}

#[test]
fn a_redirect_is_not_followed_and_the_device_code_stays_home() {
    // Where the redirect points: a working OAuth endpoint that would hand out a token.
    let elsewhere = OAuthStandIn::start(
        1,
        900,
        vec![json!({ "access_token": "stolen", "token_type": "bearer", "scope": "repo" })],
    );
    let target = format!("{}/login/oauth/access_token", elsewhere.url());
    let (url, served) = redirecting_to(target.clone());
    let home = OAuthStandIn::start(1, 900, Vec::new());
    let code = block_on(flow(&home).request_code()).expect("a code");

    let err = block_on(
        DeviceFlow::new(&url, "test-client")
            .with_second(SECOND)
            .poll(&code),
    )
    .expect_err("a redirect is an error")
    .to_string();
    assert_eq!(served.join().expect("served"), 1);
    assert!(
        elsewhere.requests().is_empty(),
        "the device code was re-sent: {:?}",
        elsewhere.requests()
    );
    assert!(
        err.contains("307") && err.contains(&target) && err.contains("does not follow redirects"),
        "{err}"
    );
    assert!(!err.contains("dc-test"), "{err}");
}
