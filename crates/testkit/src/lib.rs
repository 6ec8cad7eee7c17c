//! Test servers that behave like the outside world, on 127.0.0.1, and the fixtures every test
//! crate shares.
//!
//! - [`Contract`]: the vendored published contracts (`tests/contracts`), as operations to route
//!   by and JSON Schemas to check requests and answers with.
//! - [`GramStandIn`]: Gram, routed by the contract's operations. Records every request and checks
//!   it — and its own answer — against the contract; prepared answers ([`GramStandIn::expect`])
//!   that are never asked for, and violations nobody looked at, fail the test on drop.
//! - [`GithubStandIn`]: GitHub's REST API for publishing, backed by a real bare git repository,
//!   checked strictly against `github-openapi.json`; faults per operation ([`Fault`]).
//! - [`HungServer`]: accepts connections and never answers (a Gram that hangs).
//! - [`closed_port`]: an address where nothing listens (a Gram that is down).
//! - [`gram_api`]: a stateful Gram on a stand-in (sessions, orgs, projects, keys stored as
//!   SHA-256, plugins, toolsets); tests read its final key table.
//! - [`TestCa`] and [`TlsFront`]: a throwaway CA made at test time, and any stand-in over https
//!   with a leaf it signed; [`ConnectProxy`]: a company's HTTP proxy that logs every request and
//!   is the only way to the made-up `*.test` hosts.
//! - [`fixtures`]: the test key (built at run time), the Acme org and its plugins.
//!
//! Every server stops when dropped; they share one server loop (`server.rs`).

mod contract;
pub mod fixtures;
mod git_http;
mod github;
mod gram;
pub mod gram_api;
pub mod hooks;
mod proxy;
mod server;
mod tls;

pub use contract::{contracts_dir, Contract, Operation};
pub use git_http::{GitHttpServer, GitRequest};
pub use github::{Access, Fault, GitRepo, GithubRequest, GithubSetup, GithubStandIn, OAuthStandIn};
pub use gram::{closed_port, Answer, GramStandIn, HookRequest, HungServer, HOOK_OPERATIONS};
pub use hooks::GramHooks;
pub use proxy::ConnectProxy;
pub use tls::{TestCa, TlsFront, TLS_NAMES};
