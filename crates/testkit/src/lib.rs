//! Test servers that behave like the outside world, on 127.0.0.1, for gram-admin's tests.
//!
//! - [`GramStandIn`]: Gram's hook endpoints. Records every request and checks it — and its own
//!   answer — against `shared/contracts/gram-openapi.yaml`; a test asserts no violations.
//! - [`HungServer`]: accepts connections and never answers (a Gram that hangs).
//! - [`closed_port`]: an address where nothing listens (a Gram that is down).
//!
//! Every server stops when dropped.

mod contract;
mod gram;

pub use contract::{shared_dir, Contract};
pub use gram::{closed_port, Answer, GramStandIn, HookRequest, HungServer};
