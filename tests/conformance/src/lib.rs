//! Support for the conformance suites: the fixtures they render, the real agents they install,
//! the fake model APIs the agents talk to, and an MCP server for feature plugins.

pub use gram_admin_testkit::fixtures::{
    acme_marketplace_on as fixture_spec, acme_org as fixture_org, test_key,
};

pub mod agents;
pub mod fake_model;
pub mod mcp;
pub mod opencode_home;
