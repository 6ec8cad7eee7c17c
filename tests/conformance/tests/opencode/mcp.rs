//! Feature plugins for OpenCode from the marketplace repository, in the real OpenCode: the
//! loader modules copied into the plugin folder, as the README says, register their MCP servers
//! through the `config` hook, and OpenCode connects to them (a local MCP stand-in), lists their
//! tools and calls one for the model.
//!
//! Which shape OpenCode 1.18 reads from a plugin: `mcp.<name>`. The broken variant puts the same
//! entries under `mcp.servers.<name>` (the shape OpenCode's docs show for a newer major, which
//! 1.18 lowers from its config *files* only) and OpenCode never contacts the server.

use std::path::Path;
use std::process::Command;

use gram_admin_conformance::agents;
use gram_admin_conformance::fake_model::{Api, FakeModel, Turn};
use gram_admin_conformance::mcp::{McpStandIn, TOOL, TOOL_ANSWER};
use gram_admin_conformance::{fixture_org, test_key};
use gram_admin_core::render::ServerEnv;
use gram_admin_core::render::{OPENCODE_MARKETPLACE_DIR, OPENCODE_MCP_LOADER};
use gram_admin_core::{render, FeaturePlugin, FeatureServer, MarketplaceSpec};
use serde_json::{json, Value};

use crate::{one_session_at_a_time, opencode, Home, SESSION_LIMIT};

/// A teammate's own Gram key and an upstream key: obviously fake.
const GRAM_KEY: &str = "gram_test_teammate_key_not_real";
const UPSTREAM_KEY: &str = "upstream_test_key_not_real";

/// Payments: a private server on "Gram" (the stand-in's 127.0.0.1 origin) and a public one on
/// another origin (localhost) with an env header.
fn marketplace(mcp: &McpStandIn) -> gram_admin_core::Bundle {
    let spec = MarketplaceSpec {
        plugins: vec![FeaturePlugin {
            name: "Payments".into(),
            slug: "payments".into(),
            description: "Ledger tools.".into(),
            servers: vec![
                FeatureServer {
                    display_name: "Ledger".into(),
                    mcp_url: format!("{}/mcp/acme-ledger", mcp.url()),
                    public: false,
                    env: vec![],
                },
                FeatureServer {
                    display_name: "Upstream".into(),
                    mcp_url: format!("{}/mcp/upstream", mcp.other_origin_url()),
                    public: true,
                    env: vec![ServerEnv {
                        name: "UPSTREAM_API_KEY".into(),
                        header: "X-Upstream-Key".into(),
                    }],
                },
            ],
        }],
        repository: Some("acme/agent-plugins".into()),
    };
    render::marketplace_for(&fixture_org(&mcp.url()), &test_key(), &spec).expect("render")
}

/// Copies the marketplace's `opencode/plugin/*` into the OpenCode config's plugin folder, as the
/// README's `cp` lines do; `loader` replaces the loader's text (the broken variant).
fn install(home: &Home, bundle: &gram_admin_core::Bundle, loader: &str) {
    let plugin_dir = home.config_dir().join("plugin");
    std::fs::create_dir_all(&plugin_dir).expect("mkdir");
    let prefix = format!("{OPENCODE_MARKETPLACE_DIR}/plugin/");
    for f in bundle.files() {
        if let Some(name) = f.path.strip_prefix(&prefix) {
            let contents = if name.ends_with(".js") {
                loader.as_bytes()
            } else {
                &f.contents[..]
            };
            std::fs::write(plugin_dir.join(name), contents).expect("write");
        }
    }
}

fn with_keys(mut cmd: Command) -> Command {
    cmd.env("GRAM_KEY", GRAM_KEY)
        .env("UPSTREAM_API_KEY", UPSTREAM_KEY);
    cmd
}

fn mcp_list(home: &Home, opencode: &Path) -> agents::Finished {
    let mut cmd = home.bare_command(opencode);
    cmd.args(["mcp", "list"]);
    let run = agents::run(with_keys(cmd), SESSION_LIMIT);
    assert!(
        run.success(),
        "opencode mcp list failed:\n{}",
        run.describe()
    );
    run
}

#[test]
fn opencode_lists_the_marketplace_s_mcp_servers_with_the_right_credentials() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let mcp = McpStandIn::start();
    let model = FakeModel::start(Api::OpenAiChat, vec![]);
    let home = Home::new(&model);
    install(&home, &marketplace(&mcp), OPENCODE_MCP_LOADER);

    let run = mcp_list(&home, opencode);
    let out = format!("{}{}", run.stdout(), run.stderr());
    for name in ["payments-ledger", "payments-upstream"] {
        let line = out
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} is not listed:\n{}", run.describe()));
        assert!(line.contains("connected"), "{line}\n{}", run.describe());
    }
    for path in ["/mcp/acme-ledger", "/mcp/upstream"] {
        assert!(
            !mcp.calls(path, "initialize").is_empty(),
            "OpenCode never initialized {path}"
        );
        assert!(
            !mcp.calls(path, "tools/list").is_empty(),
            "OpenCode never listed the tools of {path}"
        );
    }
    // The teammate's Gram key goes to the Gram-hosted server only; the upstream key to its own.
    for r in mcp.requests() {
        match r.path.as_str() {
            "/mcp/acme-ledger" => {
                assert_eq!(
                    r.header("Authorization"),
                    Some(format!("Bearer {GRAM_KEY}").as_str())
                );
                assert_eq!(r.header("X-Upstream-Key"), None);
            }
            "/mcp/upstream" => {
                assert_eq!(r.header("Authorization"), None, "a Gram key left Gram");
                assert_eq!(r.header("X-Upstream-Key"), Some(UPSTREAM_KEY));
            }
            other => panic!("unexpected path {other}"),
        }
    }
}

#[test]
fn opencode_reads_mcp_name_not_mcp_servers_name_from_a_plugin() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let mcp = McpStandIn::start();
    let model = FakeModel::start(Api::OpenAiChat, vec![]);
    let home = Home::new(&model);
    let nested = OPENCODE_MCP_LOADER.replace(
        "if (!Object.prototype.hasOwnProperty.call(mcp, name)) mcp[name] = server;",
        "((mcp.servers ??= {}))[name] = server;",
    );
    assert_ne!(
        nested, OPENCODE_MCP_LOADER,
        "the broken variant changed nothing"
    );
    install(&home, &marketplace(&mcp), &nested);

    let run = mcp_list(&home, opencode);
    assert!(
        !format!("{}{}", run.stdout(), run.stderr()).contains("payments-ledger"),
        "OpenCode read mcp.servers.<name> from a plugin after all:\n{}",
        run.describe()
    );
    assert!(
        mcp.requests().is_empty(),
        "OpenCode contacted a server registered as mcp.servers.<name>"
    );
}

#[test]
fn the_model_calls_a_marketplace_mcp_tool_in_a_session() {
    let Some(opencode) = opencode() else { return };
    let _one = one_session_at_a_time();
    let mcp = McpStandIn::start();
    // OpenCode names an MCP tool <server>_<tool>.
    let tool = format!("payments-ledger_{TOOL}");
    let model = FakeModel::start(
        Api::OpenAiChat,
        vec![
            Turn::Call {
                name: tool.clone(),
                arguments: json!({ "id": "42" }).to_string(),
            },
            Turn::Text("Paid.".into()),
        ],
    );
    let home = Home::new(&model);
    install(&home, &marketplace(&mcp), OPENCODE_MCP_LOADER);
    let run = agents::run(
        with_keys(home.command(opencode, "is invoice 42 paid?")),
        SESSION_LIMIT,
    );
    assert!(run.success(), "opencode run failed:\n{}", run.describe());

    let offered: Vec<String> = model
        .requests()
        .iter()
        .flat_map(|r| r["tools"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
        .collect();
    assert!(
        offered.contains(&tool),
        "OpenCode did not offer {tool} to the model: {offered:?}"
    );
    let calls = mcp.calls("/mcp/acme-ledger", "tools/call");
    assert_eq!(calls.len(), 1, "{:#?}", mcp.requests());
    assert_eq!(calls[0].params["name"], TOOL);
    assert_eq!(calls[0].params["arguments"], json!({ "id": "42" }));
    assert_eq!(
        calls[0].header("Authorization"),
        Some(format!("Bearer {GRAM_KEY}").as_str())
    );
    let results: Vec<Value> = model
        .requests()
        .iter()
        .flat_map(|r| r["messages"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["role"] == "tool")
        .collect();
    assert!(
        results
            .iter()
            .any(|m| m["content"].to_string().contains(TOOL_ANSWER)),
        "the model never saw the tool's answer: {results:?}"
    );
}
