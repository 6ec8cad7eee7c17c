//! Real-agent conformance: the plugins gram-admin renders load and fire in the real Claude Code
//! and Codex CLIs (installed from npm at test time), against a Gram stand-in and a fake model
//! API on 127.0.0.1. See tests/conformance/README.md.

mod claude;
mod codex;
mod rollout;
mod support;
