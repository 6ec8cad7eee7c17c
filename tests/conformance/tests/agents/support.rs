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

/// The canaries of the privacy tests (issue #19): an AWS access key id a teammate pasted and a
/// tool printed, and a sentence.
pub const CANARY_SECRET: &str = "AKIAZQ3DRSTUVWXY2345";
pub const CANARY_SENTENCE: &str = "the canary sang at midnight";

/// The marketplace, its observability plugins at privacy level `content`.
pub fn marketplace_at(server: &str, content: gram_admin_core::privacy::Content) -> Bundle {
    render::marketplace_for(
        &fixture_org(server).with_content(content),
        &key(),
        &fixture_spec(server),
    )
    .expect("render")
}

/// The observability plugin at privacy level `content`.
pub fn plugin_at(
    server: &str,
    platform: Platform,
    content: gram_admin_core::privacy::Content,
) -> Bundle {
    render::observability_plugin(&fixture_org(server).with_content(content), &key(), platform)
        .expect("render")
}

/// Every spool file the hooks left anywhere under `root` (`*.ev`, `*.live`, `*.answer`, and
/// OpenCode's `*.ev` in `gram-hooks/`).
pub fn spool_files(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() {
                dirs.push(path);
            } else if kind.is_file() {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                let in_spool = path.ancestors().any(|a| {
                    a.file_name().is_some_and(|n| {
                        n == "gram-hooks" || n.to_string_lossy().contains(".default.")
                    })
                });
                if in_spool
                    || ((name.ends_with(".ev")
                        || name.ends_with(".live")
                        || name.ends_with(".answer"))
                        && name.starts_with(|c: char| c.is_ascii_digit()))
                {
                    out.push(path);
                }
            }
        }
    }
    out
}

/// At `metadata` neither canary reaches Gram (`bodies`) nor any spool file under `root`; at
/// `full` the sentence reaches Gram and the secret only as `[redacted:aws_access_key]`.
pub fn assert_canaries(
    agent: &str,
    content: gram_admin_core::privacy::Content,
    bodies: &[String],
    root: &Path,
) {
    use gram_admin_core::privacy::Content;
    for body in bodies {
        assert!(
            !body.contains(CANARY_SECRET),
            "{agent} {content}: the secret reached Gram: {body}"
        );
        if content == Content::Metadata {
            assert!(
                !body.contains(CANARY_SENTENCE),
                "{agent} {content}: the sentence reached Gram: {body}"
            );
        }
    }
    if content == Content::Full {
        assert!(
            bodies.iter().any(|b| b.contains(CANARY_SENTENCE)),
            "{agent} full: the sentence never arrived"
        );
        assert!(
            bodies
                .iter()
                .any(|b| b.contains("[redacted:aws_access_key]")),
            "{agent} full: the secret never arrived redacted"
        );
    }
    for path in spool_files(root) {
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
        assert!(
            !text.contains(CANARY_SECRET),
            "{agent} {content}: the secret is in {}",
            path.display()
        );
        if content == Content::Metadata {
            assert!(
                !text.contains(CANARY_SENTENCE),
                "{agent} {content}: the sentence is in {}",
                path.display()
            );
        }
    }
}
