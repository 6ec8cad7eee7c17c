//! A Gram stand-in routed by the contract's operations, and servers that misbehave on purpose.

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use gram_admin_core::platform::Delivery;
use gram_admin_core::Platform;

use crate::contract::{Contract, Operation};
use crate::server::Server;

/// One request as Gram received it, bytes untouched.
#[derive(Debug, Clone)]
pub struct HookRequest {
    pub method: String,
    /// Path and query, e.g. `/rpc/hooks.claude`.
    pub url: String,
    /// The contract's `operationId` it was routed to (`hooks#claude`, `createAPIKey`), or
    /// empty when no operation matches (a contract violation).
    pub operation: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub received: Instant,
    /// The status the stand-in answered (or is about to answer, after a delay).
    pub status: u16,
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

    /// The agent of a hook endpoint (`hooks#claude` → Claude Code).
    pub fn platform(&self) -> Option<Platform> {
        self.operation.strip_prefix("hooks#")?.parse().ok()
    }

    /// The query parameters, decoded.
    pub fn query(&self) -> Vec<(String, String)> {
        self.url
            .split_once('?')
            .map(|(_, q)| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `hook_event_name` of a hook event's body.
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
    /// Status and raw bytes (a broken body, on purpose); not checked against the contract.
    Raw(u16, Vec<u8>),
    /// Wait, then answer.
    After(Duration, Box<Answer>),
    /// `307 Temporary Redirect` to `location`, with more headers (e.g. `Set-Cookie`).
    Redirect {
        location: String,
        headers: Vec<(String, String)>,
    },
    /// A status with no body, with more headers (e.g. `Set-Cookie`); checked against the
    /// contract (the status must be declared, without a body).
    Empty {
        status: u16,
        headers: Vec<(String, String)>,
    },
}

impl Answer {
    /// The status this answer ends with.
    pub fn status(&self) -> u16 {
        match self {
            Answer::Json(status, _) | Answer::Raw(status, _) => *status,
            Answer::After(_, next) => next.status(),
            Answer::Redirect { .. } => 307,
            Answer::Empty { status, .. } => *status,
        }
    }

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

/// The hook operations every Gram stand-in serves.
/// Gram's hook endpoint per agent, from the core's platform table (`hooks#claude`, …): the
/// agents whose hook script posts their own payload there. OpenCode's module and Copilot's hook
/// (which builds envelopes) post to `ingestHookEvent` instead.
pub static HOOK_OPERATIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    Platform::packages()
        .filter(|(_, package)| package.delivery == Delivery::ProviderEndpoint)
        .map(|(p, _)| format!("hooks#{}", p.id()))
        .collect()
});

#[derive(Default)]
struct Routes {
    /// Answers prepared with [`GramStandIn::expect`], used once each, in order.
    expected: HashMap<String, VecDeque<Answer>>,
    /// Standing answers per operation ([`GramStandIn::answer_with`]).
    standing: HashMap<String, Arc<Responder>>,
}

struct State {
    requests: Mutex<Vec<HookRequest>>,
    violations: Mutex<Vec<String>>,
    arrived: Condvar,
    routes: Mutex<Routes>,
}

/// Gram on 127.0.0.1: requests are routed by the contract's operations, and every request and
/// answer is checked against the contract. Hook endpoints answer `200 {}` unless told
/// otherwise; any other operation answers only what a test prepared with [`Self::expect`].
///
/// Dropping it fails the test when a prepared answer was never asked for, or when a contract
/// violation was never looked at ([`Self::violations`] / [`Self::take_violations`]).
pub struct GramStandIn {
    server: Server,
    state: Arc<State>,
    violations_seen: AtomicBool,
}

impl std::fmt::Debug for GramStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GramStandIn")
            .field("addr", &self.server.addr())
            .finish()
    }
}

impl GramStandIn {
    /// Starts a stand-in that answers `200 {}` to every hook.
    pub fn start() -> Self {
        let mut routes = Routes::default();
        for op in HOOK_OPERATIONS.iter() {
            routes
                .standing
                .insert(op.to_owned(), Arc::new(|_: &HookRequest| Answer::ok()));
        }
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            routes: Mutex::new(routes),
        });
        let server = {
            let state = state.clone();
            Server::start(move |request| handle(&state, request))
        };
        Self {
            server,
            state,
            violations_seen: AtomicBool::new(false),
        }
    }

    /// Decides the answers of every hook endpoint from now on.
    pub fn answer_with(&self, responder: impl Fn(&HookRequest) -> Answer + Send + Sync + 'static) {
        let responder: Arc<Responder> = Arc::new(responder);
        let mut routes = self.state.routes.lock().expect("lock");
        for op in HOOK_OPERATIONS.iter() {
            routes.standing.insert(op.to_owned(), responder.clone());
        }
    }

    /// Decides the answers of one operation (its `operationId`) from now on.
    pub fn answer_operation_with(
        &self,
        operation: &str,
        responder: impl Fn(&HookRequest) -> Answer + Send + Sync + 'static,
    ) {
        assert_known(operation);
        self.state
            .routes
            .lock()
            .expect("lock")
            .standing
            .insert(operation.to_owned(), Arc::new(responder));
    }

    /// Prepares the next answer to `operation` (its `operationId`). The test fails when the
    /// stand-in is dropped with a prepared answer nobody asked for.
    pub fn expect(&self, operation: &str, answer: Answer) -> &Self {
        assert_known(operation);
        self.state
            .routes
            .lock()
            .expect("lock")
            .expected
            .entry(operation.to_owned())
            .or_default()
            .push_back(answer);
        self
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` — what the plugin's `--server` is.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn requests(&self) -> Vec<HookRequest> {
        self.state.requests.lock().expect("lock").clone()
    }

    /// Contract violations seen so far (requests and answers).
    pub fn violations(&self) -> Vec<String> {
        self.violations_seen.store(true, Ordering::SeqCst);
        self.state.violations.lock().expect("lock").clone()
    }

    /// Contract violations seen so far, forgetting them (a test that provokes one on purpose).
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut *self.state.violations.lock().expect("lock"))
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
        self.server.stop();
        if std::thread::panicking() {
            return;
        }
        let unused: Vec<String> = self
            .state
            .routes
            .lock()
            .expect("lock")
            .expected
            .iter()
            .filter(|(_, answers)| !answers.is_empty())
            .map(|(op, answers)| {
                format!(
                    "{op} ({} prepared answer(s) never asked for)",
                    answers.len()
                )
            })
            .collect();
        assert!(
            unused.is_empty(),
            "the Gram stand-in expected calls that never came: {}",
            unused.join(", ")
        );
        let violations = self.state.violations.lock().expect("lock");
        assert!(
            violations.is_empty() || self.violations_seen.load(Ordering::SeqCst),
            "contract violations nobody checked:\n{}",
            violations.join("\n")
        );
    }
}

fn assert_known(operation: &str) {
    assert!(
        Contract::gram()
            .operations()
            .iter()
            .any(|op| op.id == operation)
            || Contract::gram_hooks()
                .operations()
                .iter()
                .any(|op| op.id == operation),
        "{operation:?} is not an operation of Gram's contract"
    );
}

/// Routes a request to its operation: the hook endpoints by the newer hooks contract, the rest
/// by Gram's admin contract.
fn route(method: &str, url: &str) -> Option<(&'static Contract, &'static Operation)> {
    [Contract::gram_hooks(), Contract::gram()]
        .into_iter()
        .find_map(|c| c.route(method, url).map(|(op, _)| (c, op)))
}

fn handle(state: &State, mut request: tiny_http::Request) {
    let mut body = Vec::new();
    let read = request.as_reader().read_to_end(&mut body);
    let method = request.method().as_str().to_owned();
    let url = request.url().to_owned();
    let routed = route(&method, &url);
    let mut hook = HookRequest {
        method,
        url,
        operation: routed.map(|(_, op)| op.id.clone()).unwrap_or_default(),
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
        status: 0,
    };
    let mut violations = match routed {
        None => vec![format!(
            "no such operation in the contract: {} {}",
            hook.method, hook.url
        )],
        Some((contract, op)) => check_request(contract, op, &hook),
    };
    if let Err(e) = read {
        violations.push(format!("could not read the body: {e}"));
    }
    let mut answer = if violations.is_empty() {
        next_answer(state, &hook)
    } else if routed.is_none() {
        Answer::Raw(404, b"{\"name\":\"not_found\"}".to_vec())
    } else {
        Answer::error(400, "bad_request", &violations.join("; "))
    };
    hook.received = Instant::now();
    hook.status = answer.status();
    {
        state.requests.lock().expect("lock").push(hook.clone());
        state.arrived.notify_all();
    }
    while let Answer::After(delay, next) = answer {
        std::thread::sleep(delay);
        answer = *next;
    }
    let mut extra_headers = Vec::new();
    let (status, bytes) = match answer {
        Answer::Json(status, value) => {
            if let Some((contract, op)) = routed {
                violations.extend(contract.check_response(op, status, Some(&value)));
            }
            (status, serde_json::to_vec(&value).expect("JSON"))
        }
        Answer::Raw(status, bytes) => (status, bytes),
        Answer::Redirect { location, headers } => {
            if let Some((contract, op)) = routed {
                violations.extend(contract.check_response(op, 307, None));
            }
            extra_headers.push(("Location".to_owned(), location));
            extra_headers.extend(headers);
            (307, Vec::new())
        }
        Answer::Empty { status, headers } => {
            if let Some((contract, op)) = routed {
                violations.extend(contract.check_response(op, status, None));
            }
            extra_headers.extend(headers);
            (status, Vec::new())
        }
        Answer::After(..) => unreachable!("After was unwrapped above"),
    };
    if !violations.is_empty() {
        state.violations.lock().expect("lock").extend(
            violations
                .into_iter()
                .map(|v| format!("{} {}: {v}", hook.method, hook.url)),
        );
    }
    let mut response = tiny_http::Response::from_data(bytes)
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header"),
        );
    for (name, value) in extra_headers {
        response.add_header(
            tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("header"),
        );
    }
    let _ = request.respond(response);
}

/// A prepared answer first, then the operation's standing answer; a call nobody prepared for
/// is a test error, answered 500 and recorded as a violation.
fn next_answer(state: &State, r: &HookRequest) -> Answer {
    let mut routes = state.routes.lock().expect("lock");
    if let Some(answer) = routes
        .expected
        .get_mut(&r.operation)
        .and_then(VecDeque::pop_front)
    {
        return answer;
    }
    if let Some(responder) = routes.standing.get(&r.operation).cloned() {
        drop(routes);
        return responder(r);
    }
    drop(routes);
    state.violations.lock().expect("lock").push(format!(
        "{} {}: unexpected call to {} (no answer prepared)",
        r.method, r.url, r.operation
    ));
    Answer::error(
        500,
        "unexpected",
        "the test prepared no answer for this call",
    )
}

/// What Gram's published contract requires of a request, beyond its schema: the hook
/// endpoints' headers; the admin operations' session.
fn check_request(contract: &Contract, op: &Operation, r: &HookRequest) -> Vec<String> {
    let is_hook = op.id.starts_with("hooks#");
    // Hook payloads come from the agents, which send fields Gram does not declare: only what
    // gram-admin itself sends is checked strictly.
    let mut v = contract.check_request(op, &r.query(), &r.body, !is_hook);
    if !r.body.is_empty() && r.header("Content-Type") != Some("application/json") {
        v.push(format!(
            "Content-Type must be application/json, was {:?}",
            r.header("Content-Type")
        ));
    }
    // The agents' hook endpoints and the feature-first ingest (OpenCode's module) both
    // authenticate with the hooks key and name the project.
    if is_hook || op.id == "ingestHookEvent" {
        if r.header("Gram-Key").is_none_or(str::is_empty) {
            v.push("Gram-Key header missing (or sent twice)".into());
        }
        if r.header("Gram-Project").is_none_or(str::is_empty) {
            v.push("Gram-Project header missing (or sent twice)".into());
        }
    }
    v
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

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// One HTTP/1.1 request over a raw socket; the status code of the answer.
    fn send(url: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> u16 {
        let addr = url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(addr).expect("connect");
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("a status line")
    }

    #[test]
    fn an_unknown_platform_is_a_contract_violation_never_a_fallback() {
        let gram = GramStandIn::start();
        let status = send(
            &gram.url(),
            "POST",
            "/rpc/hooks.gemini",
            &[
                ("Content-Type", "application/json"),
                ("Gram-Key", "k"),
                ("Gram-Project", "p"),
            ],
            r#"{"hook_event_name":"SessionStart"}"#,
        );
        assert_eq!(status, 404);
        let violations = gram.take_violations();
        assert!(
            violations.iter().any(|v| v.contains("no such operation")),
            "{violations:?}"
        );
    }

    #[test]
    fn every_hook_operation_is_in_the_contract() {
        for op in HOOK_OPERATIONS.iter() {
            assert_known(op);
        }
        // Copilot's hook posts envelopes to the ingest endpoint: Gram has no hooks.copilot.
        assert!(!HOOK_OPERATIONS.iter().any(|op| op == "hooks#copilot"));
        assert_eq!(HOOK_OPERATIONS.len(), 3);
    }

    #[test]
    fn hooks_are_routed_to_their_platform() {
        let gram = GramStandIn::start();
        let status = send(
            &gram.url(),
            "POST",
            "/rpc/hooks.cursor",
            &[
                ("Content-Type", "application/json"),
                ("Gram-Key", "k"),
                ("Gram-Project", "p"),
            ],
            r#"{"hook_event_name":"stop"}"#,
        );
        assert_eq!(status, 200, "{:?}", gram.violations());
        assert_eq!(gram.requests()[0].platform(), Some(Platform::Cursor));
    }

    #[test]
    fn ingest_requests_need_the_hooks_key_and_the_project_as_hooks_do() {
        let gram = GramStandIn::start();
        gram.answer_operation_with("ingestHookEvent", |_| Answer::Json(200, json!({})));
        let envelope = r#"{"schema_version":"hook.ingest.v1","source":{"adapter":"opencode"},"event":{"type":"session.started","occurred_at":"2026-01-01T00:00:00.000Z"}}"#;
        let json = ("Content-Type", "application/json");
        send(&gram.url(), "POST", "/rpc/hooks.ingest", &[json], envelope);
        let violations = gram.take_violations();
        for header in ["Gram-Key", "Gram-Project"] {
            assert!(
                violations
                    .iter()
                    .any(|v| v.contains(&format!("{header} header missing"))),
                "{violations:?}"
            );
        }
        // The same request with both headers has neither violation.
        let headers = [json, ("Gram-Key", "k"), ("Gram-Project", "p")];
        send(&gram.url(), "POST", "/rpc/hooks.ingest", &headers, envelope);
        let violations = gram.take_violations();
        assert!(
            !violations.iter().any(|v| v.contains("header missing")),
            "{violations:?}"
        );
    }

    #[test]
    fn a_prepared_answer_nobody_asked_for_fails_the_test() {
        let dropped = std::thread::spawn(|| {
            let gram = GramStandIn::start();
            gram.expect("listAPIKeys", Answer::ok());
        })
        .join();
        let panic = dropped.expect_err("dropping it with an unused answer panics");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(message.contains("listAPIKeys"), "{message}");
    }

    #[test]
    fn an_unprepared_admin_call_is_a_violation() {
        let gram = GramStandIn::start();
        let status = send(
            &gram.url(),
            "GET",
            "/rpc/keys.list",
            &[("Gram-Session", "s")],
            "",
        );
        assert_eq!(status, 500);
        let violations = gram.take_violations();
        assert!(
            violations.iter().any(|v| v.contains("no answer prepared")),
            "{violations:?}"
        );
    }
}
