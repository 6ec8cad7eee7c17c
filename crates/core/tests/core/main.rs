//! Integration tests of gram-admin-core: one binary, one module per area.

mod check_hook;
mod copilot;
mod delivery;
mod envelope;
mod golden;
mod gram;
mod hook;
mod json_reader;
mod keychain;
mod network;
mod opencode;
mod opencode_spool;
mod parse;
mod privacy;
mod props;
mod rollout;
mod support;
mod zip_export;
