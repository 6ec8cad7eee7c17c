//! One request's way through the GitHub stand-in: read it, route it by the contract, check it
//! (the request's schema, Content-Type, the API prefix, the token), play a prepared [`Fault`],
//! let the operation's handler answer ([`super::operations`]), check the answer, record the
//! request, respond.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write as _;

use serde_json::Value;

use super::operations::{answer, error};
use super::{Fault, GithubRequest, State};
use crate::contract::{Contract, Operation};

/// What the stand-in does with a request.
enum Outcome {
    Answer(u16, Value, Vec<(String, String)>),
    /// Break the connection without an HTTP answer.
    Drop,
}

impl Outcome {
    fn error(status: u16, message: &str) -> Self {
        let (status, body) = error(status, message);
        Outcome::Answer(status, body, vec![])
    }

    /// The status answered (0 when the connection is broken instead).
    fn status(&self) -> u16 {
        match self {
            Outcome::Answer(status, ..) => *status,
            Outcome::Drop => 0,
        }
    }
}

/// A request as read off the connection.
struct Incoming {
    method: String,
    /// The path as sent, before the API prefix is taken off.
    raw_path: String,
    /// The path below the API prefix.
    path: String,
    query: Vec<(String, String)>,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Why the body could not be read, if it could not.
    unread: Option<String>,
}

impl Incoming {
    fn read(state: &State, request: &mut tiny_http::Request) -> Self {
        let mut body = Vec::new();
        let read = std::io::Read::read_to_end(request.as_reader(), &mut body);
        let url = request.url().to_owned();
        let (raw_path, raw_query) = url.split_once('?').unwrap_or((&url, ""));
        Self {
            method: request.method().as_str().to_ascii_uppercase(),
            raw_path: raw_path.to_owned(),
            path: raw_path
                .strip_prefix(state.prefix.as_str())
                .unwrap_or(raw_path)
                .to_owned(),
            query: url::form_urlencoded::parse(raw_query.as_bytes())
                .into_owned()
                .collect(),
            headers: request
                .headers()
                .iter()
                .map(|h| {
                    (
                        h.field.as_str().as_str().to_ascii_lowercase(),
                        h.value.as_str().to_owned(),
                    )
                })
                .collect(),
            body,
            unread: read.err().map(|e| e.to_string()),
        }
    }

    /// The first value of a header (lower-case name).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether it carries the one token the stand-in accepts.
    fn has_token(&self, state: &State) -> bool {
        let auth = self.header("authorization").unwrap_or_default();
        auth.strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("token "))
            .is_some_and(|t| t == state.token)
    }
}

/// Answers one request (the stand-in's server loop calls it on a thread of its own).
pub(super) fn handle(state: &State, mut request: tiny_http::Request) {
    let incoming = Incoming::read(state, &mut request);
    let contract = Contract::github();
    let routed = contract.route(&incoming.method, &incoming.path);
    let op = routed.as_ref().map(|(op, _)| *op);
    let mut violations = Vec::new();
    if let Some(e) = &incoming.unread {
        violations.push(format!("could not read the body: {e}"));
    }
    if !state.prefix.is_empty() && !incoming.raw_path.starts_with(&state.prefix) {
        violations.push(format!(
            "the request missed the API prefix {}",
            state.prefix
        ));
    }
    let outcome = match &routed {
        None => {
            violations.push("no such operation in the contract".into());
            Outcome::error(404, "Not Found")
        }
        Some((op, params)) => checked(state, contract, op, params, &incoming, &mut violations),
    };
    let latency = *state.latency.lock().expect("lock");
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    if let (Some(op), Outcome::Answer(status, value, _)) = (op, &outcome) {
        let global = matches!(*status, 401 | 403 | 429) || *status >= 500;
        if !global || op.responses.contains_key(&status.to_string()) {
            violations.extend(contract.check_response(op, *status, Some(value)));
        }
    }
    record(state, incoming, op, outcome.status(), violations);
    respond(request, outcome);
}

/// The request checked against its operation (a violation answers 422, a wrong token 401),
/// then the operation run, behind the fault prepared for it if any.
fn checked(
    state: &State,
    contract: &Contract,
    op: &Operation,
    params: &BTreeMap<String, String>,
    incoming: &Incoming,
    violations: &mut Vec<String>,
) -> Outcome {
    violations.extend(contract.check_request(op, &incoming.query, &incoming.body, true));
    if !incoming.body.is_empty()
        && incoming
            .header("content-type")
            .is_none_or(|c| !c.starts_with("application/json"))
    {
        violations.push("a JSON body without Content-Type: application/json".into());
    }
    let fault = state
        .faults
        .lock()
        .expect("lock")
        .get_mut(&op.id)
        .and_then(VecDeque::pop_front);
    if !violations.is_empty() {
        Outcome::error(422, &format!("Invalid request: {}", violations.join("; ")))
    } else if !incoming.has_token(state) {
        Outcome::error(401, "Bad credentials")
    } else {
        run(state, op, params, &incoming.query, &incoming.body, fault)
    }
}

/// Plays `fault` (if any) around the operation.
fn run(
    state: &State,
    op: &Operation,
    params: &BTreeMap<String, String>,
    query: &[(String, String)],
    body: &[u8],
    fault: Option<Fault>,
) -> Outcome {
    let drop_after = match fault {
        None => false,
        Some(Fault::Status(status, value)) => return Outcome::Answer(status, value, vec![]),
        Some(Fault::RateLimited { retry_after }) => {
            let (s, b) = error(429, "API rate limit exceeded");
            return Outcome::Answer(s, b, vec![("Retry-After".into(), retry_after.to_string())]);
        }
        Some(Fault::RateLimitReset { in_seconds }) => {
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs()
                + in_seconds;
            let (s, b) = error(403, "API rate limit exceeded");
            return Outcome::Answer(
                s,
                b,
                vec![
                    ("x-ratelimit-remaining".into(), "0".into()),
                    ("x-ratelimit-reset".into(), reset.to_string()),
                ],
            );
        }
        Some(Fault::DropBefore) => return Outcome::Drop,
        Some(Fault::DropAfter) => true,
        Some(Fault::Before(f)) => {
            f(&state.git);
            false
        }
    };
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let (status, value) = answer(state, op, params, query, &body);
    if drop_after {
        Outcome::Drop
    } else {
        Outcome::Answer(status, value, vec![])
    }
}

/// Keeps the request for the test to read, then its violations.
fn record(
    state: &State,
    incoming: Incoming,
    op: Option<&Operation>,
    status: u16,
    violations: Vec<String>,
) {
    let (method, path) = (incoming.method.clone(), incoming.path.clone());
    state.requests.lock().expect("lock").push(GithubRequest {
        method: incoming.method,
        path: incoming.path,
        query: incoming.query,
        operation: op.map(|op| op.id.clone()).unwrap_or_default(),
        body: incoming.body,
        status,
    });
    if !violations.is_empty() {
        state.violations.lock().expect("lock").extend(
            violations
                .into_iter()
                .map(|v| format!("{method} {path}: {v}")),
        );
    }
}

fn respond(request: tiny_http::Request, outcome: Outcome) {
    match outcome {
        Outcome::Answer(status, value, extra) => {
            let mut response =
                tiny_http::Response::from_data(serde_json::to_vec(&value).expect("JSON"))
                    .with_status_code(status)
                    .with_header(
                        tiny_http::Header::from_bytes(
                            "Content-Type",
                            "application/json; charset=utf-8",
                        )
                        .expect("header"),
                    );
            for (k, v) in extra {
                response.add_header(tiny_http::Header::from_bytes(k, v).expect("header"));
            }
            let _ = request.respond(response);
        }
        Outcome::Drop => {
            // No HTTP answer: bytes no client can parse, then the connection closes.
            let mut writer = request.into_writer();
            let _ = writer.write_all(b"XTTP/9.9 connection lost\r\n\r\n");
            let _ = writer.flush();
        }
    }
}
