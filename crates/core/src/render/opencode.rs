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
//!
//! Feature plugins (MCP servers) for OpenCode live in the marketplace repository under
//! [`OPENCODE_MARKETPLACE_DIR`]`/plugin/`, two files per plugin for a teammate to copy into their
//! OpenCode plugin folder ([`opencode_feature`]): the loader [`OPENCODE_MCP_LOADER`], identical for
//! every plugin, and `<plugin>-opencode.json` beside it, whose `mcp` object is in OpenCode's own
//! `mcp.<name>` shape. The loader adds those servers through OpenCode's `config` hook.

use serde_json::{json, Map};

use crate::bundle::{Bundle, FileMode};
use crate::error::Result;
use crate::key::HooksKey;
use crate::org::Org;

use super::feature::{Feature, Server};
use super::{json_file, Platform, GENERATOR_NOTE};

/// The module OpenCode loads.
pub const OPENCODE_MODULE_PATH: &str = "plugin/gram-observability.js";
/// The org's data the module reads (the key is in it: 0600).
pub const OPENCODE_DATA_PATH: &str = "plugin/gram-observability.json";
/// The company CA(s) the admin gave, when there are any: the module passes them to `fetch`
/// (`tls: { ca }`, Bun's option).
pub const OPENCODE_CA_PATH: &str = "plugin/gram-ca.pem";
/// The module's source: no org value in it.
pub const OPENCODE_MODULE: &str = include_str!("opencode.js");
/// The marketplace repository's folder for OpenCode (its layout is a config directory's).
pub const OPENCODE_MARKETPLACE_DIR: &str = "opencode";
/// A feature plugin's loader module: no plugin or org value in it.
pub const OPENCODE_MCP_LOADER: &str = include_str!("opencode_mcp.js");
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
        "content": org.content.as_str(),
    });
    bundle.insert(OPENCODE_DATA_PATH, json_file(&data), FileMode::Private)?;
    if let Some(ca) = &org.ca {
        bundle.insert(OPENCODE_CA_PATH, ca.clone(), FileMode::Regular)?;
    }
    Ok(bundle)
}

/// The name of a feature plugin's MCP server in OpenCode's one `mcp` map, shared by every
/// plugin: `<plugin>-<server>`.
pub(crate) fn opencode_mcp_name(feature: &Feature, server: &Server) -> String {
    format!("{}-{}", feature.slug.as_str(), server.key)
}

/// A feature plugin for OpenCode, relative to [`OPENCODE_MARKETPLACE_DIR`]:
/// `plugin/<plugin>-opencode.js` (the loader) and `plugin/<plugin>-opencode.json` (its servers).
pub(crate) fn opencode_feature(org: &Org, feature: &Feature) -> Result<Bundle> {
    let platform = Platform::OpenCode;
    let name = feature.dir_name(platform);
    let mut servers = Map::new();
    for server in &feature.servers {
        let env: Vec<(&str, &str)> = server
            .env
            .iter()
            .map(|(h, v)| (h.as_str(), v.as_str()))
            .collect();
        servers.insert(
            opencode_mcp_name(feature, server),
            platform.mcp_entry(server.url.as_str(), server.private, &env),
        );
    }
    let data = json!({
        "_": GENERATOR_NOTE,
        "plugin": name,
        "name": feature.name,
        "server": org.server.as_str(),
        "mcp": servers,
    });
    let mut bundle = Bundle::new();
    bundle.insert(
        format!("plugin/{name}.js"),
        OPENCODE_MCP_LOADER,
        FileMode::Regular,
    )?;
    bundle.insert(
        format!("plugin/{name}.json"),
        json_file(&data),
        FileMode::Regular,
    )?;
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
    fn the_modules_privacy_table_is_the_one_generated_from_the_pattern_table() {
        let start = OPENCODE_MODULE
            .find("// --- privacy table\n")
            .expect("the table's start")
            + "// --- privacy table\n".len();
        let end = OPENCODE_MODULE
            .find("// --- privacy table end")
            .expect("the table's end");
        assert_eq!(
            &OPENCODE_MODULE[start..end],
            crate::privacy::js_table(),
            "the pattern table changed: paste the right side into opencode.js"
        );
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
        for line in OPENCODE_MCP_LOADER.lines() {
            if line.starts_with("import ") {
                assert!(line.contains(" from \"node:"), "{line}");
            }
        }
        assert_eq!(OPENCODE_MCP_LOADER.matches("\nexport ").count(), 1);
        assert!(OPENCODE_MCP_LOADER.contains(&format!(
            "const GRAM_KEY_ENV = \"{}\";",
            crate::render::GRAM_KEY_ENV
        )));
    }
}
