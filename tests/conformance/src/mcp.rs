//! A small MCP server on 127.0.0.1 speaking the streamable-HTTP transport (JSON answers, no
//! SSE): `initialize`, `tools/list` with one tool, `tools/call`; notifications get `202`, `GET`
//! (the optional server-to-client stream) gets `405`, as the transport allows. Every request is
//! recorded with its path and headers, so a test can see which server got which credentials.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{json, Value};

/// The one tool every path serves.
pub const TOOL: &str = "lookup_invoice";
/// What a call of [`TOOL`] answers.
pub const TOOL_ANSWER: &str = "Invoice 42 is paid (MCP stand-in).";

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct McpRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The JSON-RPC method (`initialize`, `tools/list`, …), if any.
    pub rpc: Option<String>,
    pub params: Value,
}

impl McpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct McpStandIn {
    addr: std::net::SocketAddr,
    server: Arc<tiny_http::Server>,
    requests: Arc<Mutex<Vec<McpRequest>>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for McpStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpStandIn")
            .field("addr", &self.addr)
            .finish()
    }
}

impl McpStandIn {
    pub fn start() -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let addr = server.server_addr().to_ip().expect("IP address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (server, requests) = (server.clone(), requests.clone());
            std::thread::spawn(move || {
                while let Ok(mut request) = server.recv() {
                    let mut body = String::new();
                    let _ = request.as_reader().read_to_string(&mut body);
                    let message: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let rpc = message["method"].as_str().map(str::to_owned);
                    let is_post = *request.method() == tiny_http::Method::Post;
                    requests.lock().expect("lock").push(McpRequest {
                        method: request.method().to_string(),
                        path: request.url().to_owned(),
                        headers: request
                            .headers()
                            .iter()
                            .map(|h| (h.field.to_string(), h.value.to_string()))
                            .collect(),
                        rpc: rpc.clone(),
                        params: message["params"].clone(),
                    });
                    let response = match (is_post, message.get("id")) {
                        (false, _) => {
                            tiny_http::Response::from_data(Vec::new()).with_status_code(405)
                        }
                        // A notification (no id): accepted, nothing to answer.
                        (true, None) => {
                            tiny_http::Response::from_data(Vec::new()).with_status_code(202)
                        }
                        (true, Some(id)) => {
                            let answer = answer(rpc.as_deref(), &message["params"], id);
                            tiny_http::Response::from_data(answer.to_string().into_bytes())
                                .with_header(
                                    "Content-Type: application/json"
                                        .parse::<tiny_http::Header>()
                                        .expect("header"),
                                )
                        }
                    };
                    let _ = request.respond(response);
                }
            })
        };
        Self {
            addr,
            server,
            requests,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same server under another origin (`http://localhost:PORT`): "another host" for a
    /// test about where a key may go.
    pub fn other_origin_url(&self) -> String {
        format!("http://localhost:{}", self.addr.port())
    }

    pub fn requests(&self) -> Vec<McpRequest> {
        self.requests.lock().expect("lock").clone()
    }

    /// The requests to `path` with JSON-RPC method `rpc`.
    pub fn calls(&self, path: &str, rpc: &str) -> Vec<McpRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path && r.rpc.as_deref() == Some(rpc))
            .collect()
    }
}

fn answer(rpc: Option<&str>, params: &Value, id: &Value) -> Value {
    let result = match rpc {
        Some("initialize") => json!({
            "protocolVersion": params["protocolVersion"].as_str().unwrap_or("2025-06-18"),
            "capabilities": { "tools": {} },
            "serverInfo": { "name": "gram-admin-mcp-stand-in", "version": "1.0.0" },
        }),
        Some("tools/list") => json!({ "tools": [{
            "name": TOOL,
            "description": "Looks up an invoice by id.",
            "inputSchema": { "type": "object", "properties": { "id": { "type": "string" } }, "required": ["id"] },
        }]}),
        Some("tools/call") if params["name"] == TOOL => {
            json!({ "content": [{ "type": "text", "text": TOOL_ANSWER }] })
        }
        Some("ping") => json!({}),
        _ => {
            return json!({ "jsonrpc": "2.0", "id": id, "error": { "code": -32601, "message": "Method not found" } })
        }
    };
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

impl Drop for McpStandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
