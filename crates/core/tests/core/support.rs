//! Shared fixtures: a fixed org, a fixed (obviously fake) key, and running the hook script.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use gram_admin_core::{render, Bundle, MarketplaceSpec, Platform};

pub use gram_admin_testkit::fixtures::{
    acme_config as org_config, acme_org as org, test_key as key,
};

/// The feature plugins the golden files show.
pub fn spec() -> MarketplaceSpec {
    gram_admin_testkit::fixtures::acme_marketplace()
}

pub fn plugin(server: &str, platform: Platform) -> Bundle {
    render::observability_plugin(&org(server), &key(), platform).expect("render")
}

/// Writes the bundle into `dir` (with modes).
pub fn unpack(bundle: &Bundle, dir: &Path) {
    gram_admin_core::export::write_dir(bundle, dir).expect("write dir");
}

pub struct HookRun {
    pub output: Output,
    pub elapsed: Duration,
}

/// Runs `sh <dir>/hooks/gram-hook.sh <event>` with `stdin`, as the plugin's hooks.json does, with
/// the plugin data directory (where the hook keeps its spool) inside `dir`.
pub fn run_hook(dir: &Path, event: &str, stdin: &[u8]) -> HookRun {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg(dir.join("hooks/gram-hook.sh"))
        .arg(event)
        .current_dir(dir)
        .env("CLAUDE_PLUGIN_DATA", dir.join(".plugin-data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    HookRun {
        output,
        elapsed: start.elapsed(),
    }
}

/// What the hook sends of a compact JSON event that holds no credential: the same text without
/// the line break after it (the privacy filter prints the event's tokens, nothing between them).
pub fn sent(body: &[u8]) -> Vec<u8> {
    body.strip_suffix(b"\n").unwrap_or(body).to_vec()
}
