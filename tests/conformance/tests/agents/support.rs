//! Shared pieces of the real-agent suite.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use gram_admin_conformance::agents::{self, Installed};
use gram_admin_conformance::{fixture_org, fixture_spec};
use gram_admin_core::{export, render, Bundle, HooksKey, Platform};
use gram_admin_testkit::HookRequest;

/// Agent sessions run one at a time: two at once on a 2-core machine would make the timings
/// meaningless and the sessions flaky.
pub fn one_session_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The installed agents, or `None` (after a loud warning) when skipped on purpose.
pub fn agents() -> Option<&'static Installed> {
    agents::installed()
}

pub fn key() -> HooksKey {
    gram_admin_conformance::test_key()
}

pub fn plugin(server: &str, platform: Platform) -> Bundle {
    render::observability_plugin(&fixture_org(server), &key(), platform).expect("render")
}

pub fn marketplace(server: &str) -> Bundle {
    render::marketplace_for(&fixture_org(server), &key(), &fixture_spec(server)).expect("render")
}

/// Exports the plugin as the ZIP a teammate receives and unzips it into `dir`, as they would.
pub fn unzip_exported(bundle: &Bundle, dir: &Path) {
    let bytes = export::zip_bytes(bundle).expect("zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip archive");
    archive.extract(dir).expect("unzip");
}

pub fn write(bundle: &Bundle, dir: &Path) {
    export::write_dir(bundle, dir).expect("write");
}

/// Event name → how many times it arrived.
pub fn event_counts(requests: &[HookRequest]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for r in requests {
        *counts
            .entry(r.event().unwrap_or_else(|| "<no hook_event_name>".into()))
            .or_insert(0) += 1;
    }
    counts
}

pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// Long enough for a background delivery after the agent exits, short enough to fail fast.
pub const DELIVERY: Duration = Duration::from_secs(15);
/// A whole agent session against local fakes takes a few seconds; this only stops a hang.
pub const SESSION_LIMIT: Duration = Duration::from_secs(120);
