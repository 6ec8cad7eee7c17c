//! GitHub's OAuth device flow (the sign-in), as a stand-in of its own: it lives on another host
//! than the REST API.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::server::Server;

/// GitHub's OAuth device-flow endpoints on 127.0.0.1, playing prepared answers in order:
/// `POST /login/device/code` answers a code; each `POST /login/oauth/access_token` answers the
/// next prepared JSON (`{"error": "authorization_pending"}`, `{"access_token": …}`, …).
pub struct OAuthStandIn {
    server: Server,
    answers: Arc<Mutex<VecDeque<Value>>>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl std::fmt::Debug for OAuthStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthStandIn")
            .field("addr", &self.server.addr())
            .finish()
    }
}

impl OAuthStandIn {
    /// `interval` and `expires_in` are what the code answer says (in GitHub's seconds).
    pub fn start(interval: u64, expires_in: u64, token_answers: Vec<Value>) -> Self {
        let answers = Arc::new(Mutex::new(VecDeque::from(token_answers)));
        let requests: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let server = {
            let (answers, requests) = (answers.clone(), requests.clone());
            Server::serial(move |mut request| {
                let mut body = String::new();
                let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
                let url = request.url().to_owned();
                requests.lock().expect("lock").push((url.clone(), body));
                let form_ok = request.headers().iter().any(|h| {
                    h.field.equiv("Content-Type")
                        && h.value.as_str() == "application/x-www-form-urlencoded"
                }) && request
                    .headers()
                    .iter()
                    .any(|h| h.field.equiv("Accept") && h.value.as_str() == "application/json");
                let (status, value) = if !form_ok || request.method() != &tiny_http::Method::Post {
                    (400, json!({ "error": "bad_request" }))
                } else if url == "/login/device/code" {
                    (
                        200,
                        json!({ "device_code": "dc-test", "user_code": "WDJB-MJHT", "verification_uri": "https://github.com/login/device", "expires_in": expires_in, "interval": interval }),
                    )
                } else if url == "/login/oauth/access_token" {
                    match answers.lock().expect("lock").pop_front() {
                        Some(v) => (200, v),
                        None => (500, json!({ "error": "no answer prepared" })),
                    }
                } else {
                    (404, json!({ "error": "Not Found" }))
                };
                let _ = request.respond(
                    tiny_http::Response::from_data(serde_json::to_vec(&value).expect("JSON"))
                        .with_status_code(status)
                        .with_header(
                            tiny_http::Header::from_bytes("Content-Type", "application/json")
                                .expect("header"),
                        ),
                );
            })
        };
        Self {
            server,
            answers,
            requests,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// (path, form body) of every request.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().expect("lock").clone()
    }

    /// Token answers not yet asked for.
    pub fn unused(&self) -> usize {
        self.answers.lock().expect("lock").len()
    }
}
