//! OpenCode's observability plugin: one JavaScript module that OpenCode loads in-process, and
//! the org's data beside it.
//!
//! OpenCode has no hooks file, no manifest and no marketplace: every `*.js` under `plugin/` of
//! its config directory (`~/.config/opencode/` or a project's `.opencode/`) is loaded as is. The
//! flat layout is what a teammate extracts into that directory:
//!
//! - [`OPENCODE_MODULE_PATH`]: the module ([`OPENCODE_MODULE`]), byte-identical for every org.
//!   It imports only `node:` built-ins, maps OpenCode's hooks to Gram's `hook.ingest.v1`
//!   envelopes (the mapping table is at its top and in `docs/opencode.md`) and posts them to
//!   `<server>/rpc/hooks.ingest`. Bounds and spool are described there.
//! - [`OPENCODE_DATA_PATH`]: endpoint, project, key and spool name as JSON, mode 0600. The
//!   module reads it relative to its own location, so org values are data, never code.

use serde_json::json;

use crate::bundle::{Bundle, FileMode};
use crate::error::Result;
use crate::key::HooksKey;
use crate::org::Org;

use super::{json_file, GENERATOR_NOTE};

/// The module OpenCode loads.
pub const OPENCODE_MODULE_PATH: &str = "plugin/gram-observability.js";
/// The org's data the module reads (the key is in it: 0600).
pub const OPENCODE_DATA_PATH: &str = "plugin/gram-observability.json";
/// The module's source: no org value in it.
pub const OPENCODE_MODULE: &str = include_str!("opencode.js");
/// Gram's feature-first endpoint, relative to the server.
pub const INGEST_PATH: &str = "rpc/hooks.ingest";

/// Bounds the module keeps (its constants; checked against these by a test).
pub const DECISION_MAX_MS: u32 = 1500;
pub const FLUSH_MAX_MS: u32 = 1500;
pub const HUNG_WINDOW_MS: u32 = 60_000;
pub const SPOOL_MAX_ENTRIES: u32 = 2000;
pub const SPOOL_MAX_ENTRY_BYTES: u64 = 8 << 20;
pub const SPOOL_MAX_BYTES: u64 = 64 << 20;
pub const SPOOL_MAX_DAYS: u32 = 14;

/// The spool directory's name under `gram-hooks/`: org, project and a hash of server and
/// project, in `[a-z0-9.-]` only (the module refuses anything else).
pub fn opencode_spool_name(org: &Org) -> String {
    use sha2::{Digest, Sha256};
    let project: String = org
        .project
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let mut hash = Sha256::new();
    hash.update(org.server.as_str().as_bytes());
    hash.update([0]);
    hash.update(org.project.as_str().as_bytes());
    let hex: String = hash
        .finalize()
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{}.{project}.opencode.{hex}", org.slug())
}

/// Renders OpenCode's observability plugin: the module and its data file.
pub fn opencode_plugin(org: &Org, key: &HooksKey) -> Result<Bundle> {
    let mut bundle = Bundle::new();
    bundle.insert(OPENCODE_MODULE_PATH, OPENCODE_MODULE, FileMode::Regular)?;
    let data = json!({
        "_": GENERATOR_NOTE,
        "org": org.name.as_str(),
        "server": org.server.as_str(),
        "endpoint": org.server.join(INGEST_PATH),
        "project": org.project.as_str(),
        "key": key.expose(),
        "spool": opencode_spool_name(org),
    });
    bundle.insert(OPENCODE_DATA_PATH, json_file(&data), FileMode::Private)?;
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_keeps_the_bounds_the_core_states() {
        for (name, value) in [
            ("DECISION_MAX_MS", DECISION_MAX_MS.to_string()),
            ("FLUSH_MAX_MS", FLUSH_MAX_MS.to_string()),
            ("HUNG_WINDOW_MS", HUNG_WINDOW_MS.to_string()),
            ("SPOOL_MAX_ENTRIES", SPOOL_MAX_ENTRIES.to_string()),
            ("SPOOL_MAX_BYTES", "64 * 1024 * 1024".into()),
            ("SPOOL_MAX_ENTRY_BYTES", "8 * 1024 * 1024".into()),
            (
                "SPOOL_MAX_AGE_MS",
                format!("{SPOOL_MAX_DAYS} * 24 * 3600 * 1000"),
            ),
            ("DATA_FILE", "\"gram-observability.json\"".into()),
        ] {
            let line = format!("const {name} = {value};");
            assert!(OPENCODE_MODULE.contains(&line), "missing {line}");
        }
        assert_eq!(SPOOL_MAX_BYTES, 64 * 1024 * 1024);
        assert_eq!(SPOOL_MAX_ENTRY_BYTES, 8 * 1024 * 1024);
        assert!(OPENCODE_DATA_PATH.ends_with("/gram-observability.json"));
    }

    #[test]
    fn the_module_imports_only_node_built_ins_and_exports_one_plugin() {
        for line in OPENCODE_MODULE.lines() {
            if let Some(from) = line.trim_start().strip_prefix("} from ") {
                assert!(from.starts_with("\"node:"), "{line}");
            }
            if line.starts_with("import ") && line.contains(" from ") {
                assert!(line.contains(" from \"node:"), "{line}");
            }
        }
        // OpenCode treats every exported function as a plugin.
        assert_eq!(OPENCODE_MODULE.matches("\nexport ").count(), 1);
    }
}
