//! The marketplace repository (SPEC §6): the observability plugins first, then the org's
//! feature plugins, for Claude Code, Cursor and Codex, with a README for teammates.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::bundle::{Bundle, FileMode};
use crate::error::{Problem, Result};
use crate::key::HooksKey;
use crate::org::Org;

use super::feature::{FeaturePlugin, GRAM_KEY_ENV};
use super::markdown::{escape_inline, escape_table_cell};
use super::{json_file, observability_plugin, Platform, GENERATOR_NOTE};

pub const CLAUDE_MARKETPLACE: &str = ".claude-plugin/marketplace.json";
pub const CURSOR_MARKETPLACE: &str = ".cursor-plugin/marketplace.json";
pub const CODEX_MARKETPLACE: &str = ".agents/plugins/marketplace.json";

/// What goes into the marketplace besides the org itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct MarketplaceSpec {
    /// The org's feature plugins, in the order they should be listed.
    #[serde(default)]
    pub plugins: Vec<FeaturePlugin>,
    /// `owner/repo` on GitHub, used in the README's install commands.
    #[serde(default)]
    #[ts(optional)]
    pub repository: Option<String>,
}

impl MarketplaceSpec {
    fn problems(&self, org: &Org) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut dirs: BTreeSet<String> = Platform::ALL
            .iter()
            .map(|p| p.observability_plugin_name(&org.slug))
            .collect();
        for (i, plugin) in self.plugins.iter().enumerate() {
            let at = format!("plugins[{i}]");
            problems.extend(plugin.problems(org, &at));
            for platform in Platform::ALL {
                let dir = plugin.dir_name(platform);
                if !dirs.insert(dir.clone()) {
                    problems.push(Problem::new(
                        format!("{at}.slug"),
                        format!("Two plugins would both be named {dir:?}: plugin slugs must be unique and must not collide with the observability plugins."),
                    ));
                    break;
                }
            }
        }
        if let Some(repo) = &self.repository {
            if !is_github_repo(repo) {
                problems.push(Problem::new(
                    "repository",
                    format!("{repo:?} is not a GitHub repository name: expected owner/repo."),
                ));
            }
        }
        problems
    }
}

fn is_github_repo(s: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    matches!(s.split_once('/'), Some((owner, repo)) if part(owner) && part(repo))
}

/// Renders the whole marketplace repository.
pub fn marketplace(org: &Org, key: &HooksKey, spec: &MarketplaceSpec) -> Result<Bundle> {
    let problems = spec.problems(org);
    if !problems.is_empty() {
        return Err(problems.into());
    }
    let mut bundle = Bundle::new();
    for platform in Platform::ALL {
        bundle.insert_under(
            &platform.observability_plugin_name(&org.slug),
            observability_plugin(org, key, platform)?,
        )?;
        for plugin in &spec.plugins {
            bundle.insert_under(&plugin.dir_name(platform), plugin.render(org, platform)?)?;
        }
    }
    bundle.insert(
        CLAUDE_MARKETPLACE,
        json_file(&marketplace_json(org, spec, Platform::Claude)),
        FileMode::Regular,
    )?;
    bundle.insert(
        CURSOR_MARKETPLACE,
        json_file(&marketplace_json(org, spec, Platform::Cursor)),
        FileMode::Regular,
    )?;
    bundle.insert(
        CODEX_MARKETPLACE,
        json_file(&codex_marketplace(org, spec)),
        FileMode::Regular,
    )?;
    bundle.insert("README.md", readme(org, spec), FileMode::Regular)?;
    Ok(bundle)
}

fn observability_description(org: &Org) -> String {
    format!(
        "Required. Reports your agent's hook events to {}'s Gram project.",
        org.name
    )
}

/// `.claude-plugin/marketplace.json` or `.cursor-plugin/marketplace.json`: the same shape, each
/// listing its own platform's plugins, the observability plugin first.
fn marketplace_json(org: &Org, spec: &MarketplaceSpec, platform: Platform) -> Value {
    let mut plugins = vec![entry(
        &platform.observability_plugin_name(&org.slug),
        &observability_description(org),
    )];
    plugins.extend(
        spec.plugins
            .iter()
            .map(|p| entry(&p.dir_name(platform), p.description.trim())),
    );
    json!({
        "name": org.marketplace_name,
        "owner": super::org_contact(org),
        "metadata": { "description": marketplace_description(org) },
        "plugins": plugins,
    })
}

fn entry(name: &str, description: &str) -> Value {
    json!({ "name": name, "source": format!("./{name}"), "description": description })
}

/// Codex's policy values: the observability plugin is installed by default, features on request.
pub const CODEX_REQUIRED_INSTALLATION: &str = "INSTALLED_BY_DEFAULT";
pub const CODEX_OPTIONAL_INSTALLATION: &str = "AVAILABLE";
pub const CODEX_AUTHENTICATION: &str = "ON_INSTALL";

fn codex_marketplace(org: &Org, spec: &MarketplaceSpec) -> Value {
    let codex_entry = |name: String, installation: &str| {
        json!({
            "name": name,
            "source": { "source": "local", "path": format!("./{name}") },
            "policy": { "installation": installation, "authentication": CODEX_AUTHENTICATION },
        })
    };
    let mut plugins = vec![codex_entry(
        Platform::Codex.observability_plugin_name(&org.slug),
        CODEX_REQUIRED_INSTALLATION,
    )];
    plugins.extend(
        spec.plugins
            .iter()
            .map(|p| codex_entry(p.dir_name(Platform::Codex), CODEX_OPTIONAL_INSTALLATION)),
    );
    json!({
        "name": org.marketplace_name,
        "interface": { "displayName": format!("{} plugins", org.name) },
        "plugins": plugins,
    })
}

fn marketplace_description(org: &Org) -> String {
    format!("{}'s coding-agent plugins, published from Gram.", org.name)
}

fn readme(org: &Org, spec: &MarketplaceSpec) -> String {
    let org_name = escape_inline(&org.name);
    let mkt = &org.marketplace_name;
    let repo = spec.repository.as_deref().unwrap_or("OWNER/REPO");
    let claude_obs = Platform::Claude.observability_plugin_name(&org.slug);
    let cursor_obs = Platform::Cursor.observability_plugin_name(&org.slug);
    let codex_obs = Platform::Codex.observability_plugin_name(&org.slug);
    let mut md = String::new();
    let w = &mut md;
    // Writing to a String cannot fail.
    let _ = writeln!(w, "# {org_name} agent plugins\n");
    let _ = writeln!(
        w,
        "This repository is {org_name}'s plugin marketplace `{mkt}` for Claude Code, Cursor and Codex. \
It is published by gram-admin from Gram; changes made here by hand are replaced by the next publish.\n"
    );
    let _ = writeln!(w, "> [!IMPORTANT]");
    let _ = writeln!(
        w,
        "> **Required:** install the observability plugin — `{claude_obs}` (Claude Code), `{cursor_obs}` (Cursor) or \
`{codex_obs}` (Codex). It reports your agent's hook events (sessions, prompts, tool use) to the Gram project \
`{}` so the team can see agent activity. It never blocks your agent when Gram is unreachable.\n",
        escape_inline(&org.project).replace('`', "'")
    );

    let _ = writeln!(w, "## Plugins\n");
    let _ = writeln!(w, "| Plugin | Claude Code | Cursor | Codex | Description |");
    let _ = writeln!(w, "| --- | --- | --- | --- | --- |");
    let _ = writeln!(
        w,
        "| {} Observability (**required**) | `{claude_obs}` | `{cursor_obs}` | `{codex_obs}` | {} |",
        escape_table_cell(&org.name),
        escape_table_cell(&observability_description(org))
    );
    for p in &spec.plugins {
        let _ = writeln!(
            w,
            "| {} | `{}` | `{}` | `{}` | {} |",
            escape_table_cell(&p.name),
            p.dir_name(Platform::Claude),
            p.dir_name(Platform::Cursor),
            p.dir_name(Platform::Codex),
            escape_table_cell(&p.description)
        );
    }
    let private: Vec<&FeaturePlugin> = spec
        .plugins
        .iter()
        .filter(|p| p.servers.iter().any(|s| !s.public))
        .collect();
    if !private.is_empty() {
        let _ = writeln!(
            w,
            "\nPlugins with private Gram MCP servers read your own Gram API key from the `{GRAM_KEY_ENV}` environment variable; \
set it before starting your agent (`export {GRAM_KEY_ENV}=gram_…`)."
        );
    }
    let mut env_rows = Vec::new();
    for p in &spec.plugins {
        for s in &p.servers {
            for e in &s.env {
                env_rows.push(format!(
                    "| {} | {} | `{}` |",
                    escape_table_cell(&p.name),
                    escape_table_cell(&s.display_name),
                    e.name
                ));
            }
        }
    }
    if !env_rows.is_empty() {
        let _ = writeln!(
            w,
            "\nSome servers also read credentials from your environment:\n"
        );
        let _ = writeln!(
            w,
            "| Plugin | Server | Environment variable |\n| --- | --- | --- |"
        );
        for row in env_rows {
            let _ = writeln!(w, "{row}");
        }
    }

    let _ = writeln!(w, "\n## Install\n");
    let _ = writeln!(w, "### Claude Code\n");
    let _ = writeln!(w, "```sh\nclaude plugin marketplace add {repo}\nclaude plugin install {claude_obs}@{mkt}\n```\n");
    let _ = writeln!(
        w,
        "Then add any feature plugin the same way: `claude plugin install <plugin>@{mkt}`.\n"
    );
    let _ = writeln!(w, "### Cursor\n");
    let _ = writeln!(
        w,
        "In Cursor, open **Settings → Plugins**, add the marketplace `https://github.com/{repo}`, and install \
`{cursor_obs}` first, then any feature plugin ending in `-cursor`.\n"
    );
    let _ = writeln!(w, "### Codex\n");
    let _ = writeln!(
        w,
        "```sh\ncodex plugin marketplace add {repo}\ncodex plugin add {codex_obs}@{mkt}\n```\n"
    );
    let _ = writeln!(
        w,
        "The marketplace marks `{codex_obs}` as installed by default; feature plugins (ending in `-codex`) are available \
to add with `codex plugin add <plugin>@{mkt}`.\n"
    );

    let _ = writeln!(w, "## For admins: make the observability plugin required\n");
    let _ = writeln!(
        w,
        "Claude Code reads managed settings (`managed-settings.json`, deployed by your device management) — this adds the \
marketplace for everyone and turns the observability plugin on:\n"
    );
    let settings = json!({
        "extraKnownMarketplaces": { mkt.clone(): { "source": { "source": "github", "repo": repo } } },
        "enabledPlugins": { format!("{claude_obs}@{mkt}"): true },
    });
    let _ = writeln!(
        w,
        "```json\n{}\n```\n",
        serde_json::to_string_pretty(&settings).unwrap_or_default()
    );
    let _ = writeln!(w, "---\n\n{GENERATOR_NOTE}");
    md
}
