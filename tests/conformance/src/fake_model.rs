//! Fake model APIs on 127.0.0.1 that drive a real agent through a scripted session:
//! Anthropic's Messages API for Claude Code, OpenAI's Responses API for Codex and OpenAI's
//! Chat Completions API for OpenCode (through `@ai-sdk/openai-compatible`), all streaming (SSE). Stateless: the turn is read from how many tool results the agent sent.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{json, Value};

/// What the model does on each turn of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// Run a shell command with the agent's shell tool.
    Shell(String),
    /// Answer with text and end the turn.
    Text(String),
    /// Call the agent's tool `name` with these JSON arguments (e.g. an MCP server's tool).
    Call { name: String, arguments: String },
}

/// Which wire protocol to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    AnthropicMessages,
    OpenAiResponses,
    /// `POST /v1/chat/completions`; the shell tool is `bash` with `command`.
    OpenAiChat,
}

/// A scripted model. `requests()` lists the JSON bodies the agent sent.
pub struct FakeModel {
    addr: std::net::SocketAddr,
    server: Arc<tiny_http::Server>,
    requests: Arc<Mutex<Vec<Value>>>,
    /// When each answer in `requests` was sent (wall clock, to compare with file times).
    answered: Arc<Mutex<Vec<std::time::SystemTime>>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeModel")
            .field("addr", &self.addr)
            .finish()
    }
}

impl FakeModel {
    pub fn start(api: Api, script: Vec<Turn>) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let addr = server.server_addr().to_ip().expect("IP address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (server, requests, answered) = (server.clone(), requests.clone(), answered.clone());
            std::thread::spawn(move || {
                while let Ok(mut request) = server.recv() {
                    let mut body = String::new();
                    let _ = request.as_reader().read_to_string(&mut body);
                    let url = request.url().to_owned();
                    let is_post = *request.method() == tiny_http::Method::Post;
                    let before = requests.lock().expect("lock").len();
                    let response = match (api, is_post, url.split('?').next().unwrap_or_default()) {
                        (Api::AnthropicMessages, true, "/v1/messages") => {
                            let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                            let sse = anthropic_reply(&value, &script);
                            requests.lock().expect("lock").push(value);
                            sse_response(sse)
                        }
                        (Api::OpenAiResponses, true, "/v1/responses") => {
                            let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                            let sse = openai_reply(&value, &script);
                            requests.lock().expect("lock").push(value);
                            sse_response(sse)
                        }
                        (Api::OpenAiChat, true, "/v1/chat/completions") => {
                            let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                            let sse = chat_reply(&value, &script);
                            requests.lock().expect("lock").push(value);
                            data_only_sse_response(sse)
                        }
                        (Api::OpenAiResponses | Api::OpenAiChat, false, "/v1/models") => {
                            json_response(
                                200,
                                &json!({"object": "list", "data": [{"id": "gpt-fake", "object": "model", "owned_by": "test"}]}),
                            )
                        }
                        _ => json_response(
                            404,
                            &json!({"type": "error", "error": {"type": "not_found_error", "message": "not found"}}),
                        ),
                    };
                    let _ = request.respond(response);
                    if requests.lock().expect("lock").len() > before {
                        answered
                            .lock()
                            .expect("lock")
                            .push(std::time::SystemTime::now());
                    }
                }
            })
        };
        Self {
            addr,
            server,
            requests,
            answered,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The JSON bodies of the model requests the agent made.
    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().expect("lock").clone()
    }

    /// When each request of [`Self::requests`] was answered, in the same order.
    pub fn answered(&self) -> Vec<std::time::SystemTime> {
        self.answered.lock().expect("lock").clone()
    }

    /// Requests that carried tools: the session's real turns (not title generation).
    pub fn turns(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| {
                r.get("tools")
                    .is_some_and(|t| t.as_array().is_some_and(|a| !a.is_empty()))
            })
            .count()
    }
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn sse_response(events: Vec<(String, Value)>) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut body = String::new();
    for (event, data) in events {
        body.push_str(&format!("event: {event}\ndata: {data}\n\n"));
    }
    tiny_http::Response::from_data(body.into_bytes())
        .with_header(
            tiny_http::Header::from_bytes("Content-Type", "text/event-stream").expect("header"),
        )
        .with_header(tiny_http::Header::from_bytes("Cache-Control", "no-cache").expect("header"))
}

/// Chat Completions streams `data:` lines only, ending with `data: [DONE]`.
fn data_only_sse_response(chunks: Vec<Value>) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let mut body = String::new();
    for chunk in chunks {
        body.push_str(&format!("data: {chunk}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    tiny_http::Response::from_data(body.into_bytes())
        .with_header(
            tiny_http::Header::from_bytes("Content-Type", "text/event-stream").expect("header"),
        )
        .with_header(tiny_http::Header::from_bytes("Cache-Control", "no-cache").expect("header"))
}

fn json_response(status: u16, value: &Value) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_data(value.to_string().into_bytes())
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header"),
        )
}

/// Tool results the agent has sent so far = how many turns are done.
fn count_items(value: &Value, key: &str, wanted: &str) -> usize {
    match value {
        Value::Object(map) => {
            usize::from(map.get(key).and_then(Value::as_str) == Some(wanted))
                + map
                    .values()
                    .map(|v| count_items(v, key, wanted))
                    .sum::<usize>()
        }
        Value::Array(items) => items.iter().map(|v| count_items(v, key, wanted)).sum(),
        _ => 0,
    }
}

fn turn_for(request: &Value, done: usize, script: &[Turn]) -> Turn {
    let has_tools = request
        .get("tools")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    if !has_tools {
        // Side requests (titles, summaries) get plain text.
        return Turn::Text("Gram conformance".into());
    }
    script
        .get(done)
        .cloned()
        .unwrap_or_else(|| Turn::Text("All done.".into()))
}

fn anthropic_reply(request: &Value, script: &[Turn]) -> Vec<(String, Value)> {
    let done = count_items(&request["messages"], "type", "tool_result");
    let turn = turn_for(request, done, script);
    let model = request["model"]
        .as_str()
        .unwrap_or("claude-fake")
        .to_owned();
    let id = format!("msg_fake_{done}");
    let usage = json!({"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0});
    let mut events = vec![
        (
            "message_start".into(),
            json!({"type": "message_start", "message": {"id": id, "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": usage}}),
        ),
        ("ping".into(), json!({"type": "ping"})),
    ];
    let stop_reason = match &turn {
        Turn::Text(text) => {
            events.push(("content_block_start".into(), json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})));
            events.push(("content_block_delta".into(), json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}})));
            "end_turn"
        }
        Turn::Shell(command) => {
            let input = json!({"command": command, "description": "Run a command"});
            events.push((
                "content_block_start".into(),
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": format!("toolu_fake_{done}"), "name": "Bash", "input": {}}}),
            ));
            events.push((
                "content_block_delta".into(),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": input.to_string()}}),
            ));
            "tool_use"
        }
        Turn::Call { name, arguments } => {
            events.push((
                "content_block_start".into(),
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": format!("toolu_fake_{done}"), "name": name, "input": {}}}),
            ));
            events.push((
                "content_block_delta".into(),
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": arguments}}),
            ));
            "tool_use"
        }
    };
    events.push((
        "content_block_stop".into(),
        json!({"type": "content_block_stop", "index": 0}),
    ));
    events.push(("message_delta".into(), json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": 5}})));
    events.push(("message_stop".into(), json!({"type": "message_stop"})));
    events
}

fn openai_reply(request: &Value, script: &[Turn]) -> Vec<(String, Value)> {
    let done = count_items(&request["input"], "type", "function_call_output");
    let turn = turn_for(request, done, script);
    let id = format!("resp_fake_{done}");
    let model = request["model"].as_str().unwrap_or("gpt-fake").to_owned();
    let item = match &turn {
        Turn::Text(text) => json!({
            "type": "message", "id": format!("msg_fake_{done}"), "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }),
        Turn::Shell(command) => json!({
            "type": "function_call", "id": format!("fc_fake_{done}"), "status": "completed", "call_id": format!("call_fake_{done}"),
            "name": "exec_command", "arguments": json!({"cmd": command}).to_string(),
        }),
        Turn::Call { name, arguments } => json!({
            "type": "function_call", "id": format!("fc_fake_{done}"), "status": "completed", "call_id": format!("call_fake_{done}"),
            "name": name, "arguments": arguments,
        }),
    };
    let mut events = vec![(
        "response.created".to_owned(),
        json!({"type": "response.created", "response": {"id": id, "object": "response", "status": "in_progress", "model": model, "output": []}}),
    )];
    let mut added = item.clone();
    if let Turn::Text(_) = &turn {
        added["content"] = json!([]);
        added["status"] = json!("in_progress");
    }
    events.push((
        "response.output_item.added".into(),
        json!({"type": "response.output_item.added", "output_index": 0, "item": added}),
    ));
    if let Turn::Text(text) = &turn {
        events.push((
            "response.output_text.delta".into(),
            json!({"type": "response.output_text.delta", "item_id": format!("msg_fake_{done}"), "output_index": 0, "content_index": 0, "delta": text}),
        ));
    }
    events.push((
        "response.output_item.done".into(),
        json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
    ));
    events.push((
        "response.completed".into(),
        json!({"type": "response.completed", "response": {"id": id, "object": "response", "status": "completed", "model": model, "output": [item],
            "usage": {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}}}),
    ));
    events
}

/// Whether a Chat Completions request offers the tool `name`.
fn offers(request: &Value, name: &str) -> bool {
    request["tools"]
        .as_array()
        .is_some_and(|tools| tools.iter().any(|t| t["function"]["name"] == name))
}

fn chat_reply(request: &Value, script: &[Turn]) -> Vec<Value> {
    let done = request["messages"]
        .as_array()
        .map_or(0, |m| m.iter().filter(|m| m["role"] == "tool").count());
    let turn = turn_for(request, done, script);
    let model = request["model"].as_str().unwrap_or("fake-model").to_owned();
    let chunk = |delta: Value, finish: Value| {
        json!({"id": format!("chatcmpl-fake-{done}"), "object": "chat.completion.chunk", "created": 1, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let usage = json!({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15});
    let mut last = match &turn {
        Turn::Text(text) => {
            let first = chunk(json!({"role": "assistant", "content": text}), Value::Null);
            return vec![first, {
                let mut c = chunk(json!({}), json!("stop"));
                c["usage"] = usage;
                c
            }];
        }
        Turn::Shell(command) => vec![chunk(
            json!({"role": "assistant", "tool_calls": [{"index": 0, "id": format!("call_fake_{done}"), "type": "function",
                "function": {"name": "bash", "arguments": json!({"command": command, "description": "Run a command"}).to_string()}}]}),
            Value::Null,
        )],
        // A request that does not offer the tool (a subagent's, with tools of its own) ends.
        Turn::Call { name, .. } if !offers(request, name) => {
            let first = chunk(
                json!({"role": "assistant", "content": "Subagent done."}),
                Value::Null,
            );
            return vec![first, {
                let mut c = chunk(json!({}), json!("stop"));
                c["usage"] = usage;
                c
            }];
        }
        Turn::Call { name, arguments } => vec![chunk(
            json!({"role": "assistant", "tool_calls": [{"index": 0, "id": format!("call_fake_{done}"), "type": "function",
                "function": {"name": name, "arguments": arguments}}]}),
            Value::Null,
        )],
    };
    let mut finish = chunk(json!({}), json!("tool_calls"));
    finish["usage"] = usage;
    last.push(finish);
    last
}
