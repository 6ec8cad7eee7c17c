//! Inputs are parsed once into domain types: every problem at once, each on its typed field,
//! each with the real reason.

use gram_admin_core::render::ServerEnv;
use gram_admin_core::{
    Error, FeaturePlugin, FeatureServer, Field, MarketplaceSpec, PluginField, Problem, ServerField,
};

use crate::support::org;

const SERVER: &str = "https://app.getgram.ai";

fn problems(spec: &MarketplaceSpec) -> Vec<Problem> {
    match spec.parse(&org(SERVER)) {
        Err(Error::Invalid { problems }) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

fn plugin(servers: Vec<FeatureServer>) -> FeaturePlugin {
    FeaturePlugin {
        name: "Payments".into(),
        slug: "payments".into(),
        description: String::new(),
        servers,
    }
}

fn server(url: &str, public: bool, env: &[(&str, &str)]) -> FeatureServer {
    FeatureServer {
        display_name: "Ledger".into(),
        mcp_url: url.into(),
        public,
        env: env
            .iter()
            .map(|(name, header)| ServerEnv {
                name: (*name).into(),
                header: (*header).into(),
            })
            .collect(),
    }
}

#[test]
fn a_private_servers_authorization_header_is_refused_for_the_real_reason() {
    let spec = MarketplaceSpec {
        plugins: vec![plugin(vec![server(
            "https://app.getgram.ai/mcp/ledger",
            false,
            &[("LEDGER_TOKEN", "Authorization")],
        )])],
        repository: None,
    };
    let problems = problems(&spec);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].field,
        Field::server(0, 0, ServerField::EnvHeader { index: 0 })
    );
    assert_eq!(
        problems[0].field.to_string(),
        "plugins[0].servers[0].env[0].header"
    );
    let message = &problems[0].message;
    assert!(
        message.contains("already sends the teammate's Gram key"),
        "{message}"
    );
    assert!(
        !message.contains("not a usable HTTP header name"),
        "{message}"
    );
}

#[test]
fn a_public_server_may_take_authorization_from_the_environment() {
    let spec = MarketplaceSpec {
        plugins: vec![plugin(vec![server(
            "https://mcp.vendor.test/mcp",
            true,
            &[("VENDOR_TOKEN", "Authorization")],
        )])],
        repository: None,
    };
    let market = spec.parse(&org(SERVER)).expect("valid");
    assert_eq!(market.plugins[0].servers[0].env.len(), 1);
}

#[test]
fn every_plugin_problem_is_reported_at_once_on_its_typed_field() {
    let spec = MarketplaceSpec {
        plugins: vec![
            FeaturePlugin {
                name: String::new(),
                slug: "Bad Slug".into(),
                description: "x".repeat(1001),
                servers: vec![],
            },
            plugin(vec![server("ftp://x", true, &[("1BAD", "Bad Header")])]),
        ],
        repository: Some("not a repo".into()),
    };
    let fields: Vec<Field> = problems(&spec).into_iter().map(|p| p.field).collect();
    assert_eq!(
        fields,
        [
            Field::plugin(0, PluginField::Name),
            Field::plugin(0, PluginField::Slug),
            Field::plugin(0, PluginField::Description),
            Field::plugin(0, PluginField::Servers),
            Field::server(1, 0, ServerField::McpUrl),
            Field::server(1, 0, ServerField::EnvName { index: 0 }),
            Field::server(1, 0, ServerField::EnvHeader { index: 0 }),
            Field::Repository,
        ]
    );
}

#[test]
fn parsed_inputs_are_normalised_once() {
    let org = org("https://app.getgram.ai/");
    assert_eq!(org.server.as_str(), "https://app.getgram.ai");
    assert_eq!(org.server.host(), "app.getgram.ai");
    let spec = MarketplaceSpec {
        plugins: vec![plugin(vec![server(
            "https://app.getgram.ai/mcp/x",
            false,
            &[],
        )])],
        repository: Some("acme/agent-plugins".into()),
    };
    let market = spec.parse(&org).expect("valid");
    let repo = market.repository.expect("repository");
    assert_eq!((repo.owner(), repo.name()), ("acme", "agent-plugins"));
    assert!(market.plugins[0].servers[0].private);
    assert_eq!(market.plugins[0].servers[0].key, "ledger");
}
