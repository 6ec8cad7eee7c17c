//! A Gram stand-in for the hook endpoints, and servers that misbehave on purpose.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::contract::Contract;

/// One request as Gram received it, bytes untouched.
#[derive(Debug, Clone)]
pub struct HookRequest {
    pub method: String,
    /// Path and query, e.g. `/rpc/hooks.claude`.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received: Instant,
}

impl HookRequest {
    /// The value of a header (case-insensitive name), if sent exactly once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = values.next()?;
        values.next().is_none().then_some(first.1.as_str())
    }

    /// `claude`, `cursor` or `codex` for a hook endpoint.
    pub fn platform(&self) -> Option<&str> {
        self.url
            .strip_prefix("/rpc/hooks.")
            .filter(|p| matches!(*p, "claude" | "cursor" | "codex"))
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `hook_event_name` of the body (Claude, Codex) or `hook_event_name`/event of Cursor's.
    pub fn event(&self) -> Option<String> {
        self.json()?
            .get("hook_event_name")?
            .as_str()
            .map(str::to_owned)
    }
}

/// What the stand-in answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Status and a JSON body.
    Json(u16, Value),
    /// Wait, then answer.
    After(Duration, Box<Answer>),
}

impl Answer {
    /// `200 {}`: Gram's usual answer to an event it only records.
    pub fn ok() -> Self {
        Answer::Json(200, json!({}))
    }

    /// A Gram error body (`{name, id, message, temporary, timeout, fault}`).
    pub fn error(status: u16, name: &str, message: &str) -> Self {
        Answer::Json(
            status,
            json!({ "name": name, "id": "test-error", "message": message, "temporary": status >= 500, "timeout": false, "fault": status >= 500 }),
        )
    }
}

type Responder = dyn Fn(&HookRequest) -> Answer + Send + Sync;

struct State {
    requests: Mutex<Vec<HookRequest>>,
    violations: Mutex<Vec<String>>,
    arrived: Condvar,
    responder: Mutex<Arc<Responder>>,
}

/// Gram's `/rpc/hooks.*` endpoints on 127.0.0.1, checked against the contract.
pub struct GramStandIn {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for GramStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GramStandIn")
            .field("addr", &self.addr)
            .finish()
    }
}

impl GramStandIn {
    /// Starts a stand-in that answers `200 {}` to every hook.
    pub fn start() -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            responder: Mutex::new(Arc::new(|_: &HookRequest| Answer::ok())),
        });
        let thread = {
            let (server, state) = (server.clone(), state.clone());
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    let state = state.clone();
                    std::thread::spawn(move || handle(&state, request));
                }
            })
        };
        Self {
            addr,
            server,
            state,
            thread: Some(thread),
        }
    }

    /// Decides the answers from now on.
    pub fn answer_with(&self, responder: impl Fn(&HookRequest) -> Answer + Send + Sync + 'static) {
        *self.state.responder.lock().expect("lock") = Arc::new(responder);
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` — what the plugin's `--server` is.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<HookRequest> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// Contract violations seen so far (requests and answers).
    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().expect("lock").clone()
    }

    /// Waits until `done(requests)` holds or `timeout` passes; returns the requests either way.
    pub fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[HookRequest]) -> bool,
    ) -> Vec<HookRequest> {
        let deadline = Instant::now() + timeout;
        let mut requests = self.state.requests.lock().expect("lock");
        while !done(&requests) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            requests = self
                .state
                .arrived
                .wait_timeout(requests, left)
                .expect("lock")
                .0;
        }
        requests.clone()
    }

    /// Waits for at least `n` requests.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<HookRequest> {
        self.wait_until(timeout, |r| r.len() >= n)
    }

    pub fn clear(&self) {
        self.state.requests.lock().expect("lock").clear();
    }
}

impl Drop for GramStandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn handle(state: &State, mut request: tiny_http::Request) {
    let mut body = Vec::new();
    let read = request.as_reader().read_to_end(&mut body);
    let hook = HookRequest {
        method: request.method().as_str().to_owned(),
        url: request.url().to_owned(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_owned(),
                    h.value.as_str().to_owned(),
                )
            })
            .collect(),
        body,
        received: Instant::now(),
    };
    let mut violations = check_request(&hook);
    if let Err(e) = read {
        violations.push(format!("could not read the body: {e}"));
    }
    let responder = state.responder.lock().expect("lock").clone();
    let mut answer = if violations.is_empty() {
        responder(&hook)
    } else {
        Answer::error(400, "bad_request", &violations.join("; "))
    };
    {
        state.requests.lock().expect("lock").push(hook.clone());
        state.arrived.notify_all();
    }
    while let Answer::After(delay, next) = answer {
        std::thread::sleep(delay);
        answer = *next;
    }
    let Answer::Json(status, value) = answer else {
        unreachable!("After was unwrapped above")
    };
    violations.extend(check_answer(&hook, status, &value));
    if !violations.is_empty() {
        state.violations.lock().expect("lock").extend(
            violations
                .into_iter()
                .map(|v| format!("{} {}: {v}", hook.method, hook.url)),
        );
    }
    let response = tiny_http::Response::from_data(serde_json::to_vec(&value).expect("JSON"))
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header"),
        );
    let _ = request.respond(response);
}

fn payload_schema(platform: &str) -> &'static str {
    match platform {
        "claude" => "ClaudeHookPayload",
        "cursor" => "CursorHookPayload",
        _ => "CodexHookPayload",
    }
}

fn result_schema(platform: &str) -> &'static str {
    match platform {
        "claude" => "ClaudeHookResult",
        "cursor" => "CursorHookResult",
        _ => "CodexHookResult",
    }
}

/// What Gram's published contract requires of a hook request.
fn check_request(r: &HookRequest) -> Vec<String> {
    let mut v = Vec::new();
    let Some(platform) = r.platform() else {
        return vec![format!(
            "no such operation in the contract: {} {}",
            r.method, r.url
        )];
    };
    if r.method != "POST" {
        v.push(format!("method must be POST, was {}", r.method));
    }
    if r.header("Content-Type") != Some("application/json") {
        v.push(format!(
            "Content-Type must be application/json, was {:?}",
            r.header("Content-Type")
        ));
    }
    if r.header("Gram-Key").is_none_or(str::is_empty) {
        v.push("Gram-Key header missing (or sent twice)".into());
    }
    if r.header("Gram-Project").is_none_or(str::is_empty) {
        v.push("Gram-Project header missing (or sent twice)".into());
    }
    match r.json() {
        None => v.push("body is not JSON".into()),
        Some(body) => v.extend(Contract::gram().check(payload_schema(platform), &body)),
    }
    v
}

/// The stand-in must itself keep to the contract: tests of our answers' handling are only as
/// good as the answers.
fn check_answer(r: &HookRequest, status: u16, body: &Value) -> Vec<String> {
    let platform = r.platform().unwrap_or("claude");
    if (200..300).contains(&status) {
        Contract::gram().check(result_schema(platform), body)
    } else {
        Contract::gram().check("Error", body)
    }
}

/// A server that accepts connections and never answers.
#[derive(Debug)]
pub struct HungServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl HungServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, accepted) = (stop.clone(), accepted.clone());
            std::thread::spawn(move || {
                let mut held: Vec<TcpStream> = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        held.push(stream);
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            accepted,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections were accepted (and left hanging).
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for HungServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A `http://127.0.0.1:<port>` URL where nothing listens.
pub fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    drop(listener);
    format!("http://{addr}")
}
