//! Codex: placeholder until the Codex facts are in.
