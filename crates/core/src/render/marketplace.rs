//! The marketplace repository (SPEC §6): the observability plugins first, then the org's
//! feature plugins, for Claude Code, Cursor and Codex, with a README for teammates. OpenCode has
//! no marketplace: its feature plugins are files to copy, under `opencode/`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::bundle::{Bundle, FileMode};
use crate::domain::MarketplaceRepo;
use crate::error::{Problem, Result};
use crate::field::{Field, PluginField};
use crate::key::HooksKey;
use crate::org::Org;
use crate::platform::{Listing, GRAM_KEY_ENV};

use super::feature::{Feature, FeaturePlugin};
use super::markdown::{escape_inline, escape_table_cell};
use super::opencode::{opencode_feature, opencode_mcp_name, OPENCODE_MARKETPLACE_DIR};
use super::{json_file, observability_plugin, Platform, GENERATOR_NOTE};

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

/// A marketplace parsed from [`MarketplaceSpec`] for one org: what render takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marketplace {
    pub plugins: Vec<Feature>,
    pub repository: Option<MarketplaceRepo>,
}

impl MarketplaceSpec {
    /// Parses every plugin for `org`; every problem at once.
    pub fn parse(&self, org: &Org) -> Result<Marketplace> {
        let mut problems = Vec::new();
        let mut plugins = Vec::new();
        let mut dirs: BTreeSet<String> = Platform::MARKETPLACE
            .iter()
            .map(|p| p.observability_plugin_name(org.slug()))
            .chain([OPENCODE_MARKETPLACE_DIR.to_owned()])
            .collect();
        // OpenCode keeps every plugin's MCP servers in one map.
        let mut opencode_names = BTreeSet::new();
        for (i, plugin) in self.plugins.iter().enumerate() {
            match plugin.parse(org, i) {
                Err(p) => problems.extend(p),
                Ok(feature) => {
                    let clash = Platform::MARKETPLACE
                        .into_iter()
                        .map(|platform| feature.dir_name(platform))
                        .find(|dir| !dirs.insert(dir.clone()));
                    match clash {
                        Some(dir) => problems.push(Problem::new(
                            Field::plugin(i, PluginField::Slug),
                            format!("Two plugins would both be named {dir:?}: plugin slugs must be unique and must not collide with the observability plugins or the {OPENCODE_MARKETPLACE_DIR:?} folder."),
                        )),
                        None => {
                            let clash = feature
                                .servers
                                .iter()
                                .map(|server| opencode_mcp_name(&feature, server))
                                .find(|name| !opencode_names.insert(name.clone()));
                            match clash {
                                Some(name) => problems.push(Problem::new(
                                    Field::plugin(i, PluginField::Slug),
                                    format!("Two MCP servers would both be named {name:?} in OpenCode, which names them <plugin>-<server>: rename the plugin or the server."),
                                )),
                                None => plugins.push(feature),
                            }
                        }
                    }
                }
            }
        }
        let repository = self
            .repository
            .as_deref()
            .and_then(|r| MarketplaceRepo::parse(r).map_err(|p| problems.push(p)).ok());
        if !problems.is_empty() {
            return Err(problems.into());
        }
        Ok(Marketplace {
            plugins,
            repository,
        })
    }
}

/// Renders the whole marketplace repository.
pub fn marketplace(org: &Org, key: &HooksKey, market: &Marketplace) -> Result<Bundle> {
    let mut bundle = Bundle::new();
    for (platform, package) in Platform::packages() {
        bundle.insert_under(
            &platform.observability_plugin_name(org.slug()),
            observability_plugin(org, key, platform)?,
        )?;
        for plugin in &market.plugins {
            bundle.insert_under(
                &plugin.dir_name(platform),
                plugin.render(org, platform, package)?,
            )?;
        }
        let obs_name = platform.observability_plugin_name(org.slug());
        let obs_description = observability_description(org);
        let dirs: Vec<String> = market
            .plugins
            .iter()
            .map(|p| p.dir_name(platform))
            .collect();
        let mut listings = vec![Listing {
            name: &obs_name,
            description: &obs_description,
            required: true,
        }];
        listings.extend(market.plugins.iter().zip(&dirs).map(|(p, dir)| Listing {
            name: dir,
            description: &p.description,
            required: false,
        }));
        bundle.insert(
            package.marketplace_path,
            json_file(&package.marketplace_json(org, &listings)),
            FileMode::Regular,
        )?;
    }
    // OpenCode has no marketplace: its feature plugins are files to copy.
    for plugin in &market.plugins {
        bundle.insert_under(OPENCODE_MARKETPLACE_DIR, opencode_feature(org, plugin)?)?;
    }
    bundle.insert("README.md", readme(org, market), FileMode::Regular)?;
    Ok(bundle)
}

/// Parses `spec` for `org` and renders the marketplace: what the CLI and the app call.
pub fn marketplace_for(org: &Org, key: &HooksKey, spec: &MarketplaceSpec) -> Result<Bundle> {
    marketplace(org, key, &spec.parse(org)?)
}

fn observability_description(org: &Org) -> String {
    format!(
        "Required. Reports your agent's hook events to {}'s Gram project. {}",
        org.name.as_str(),
        org.content.short()
    )
}

/// The README teammates read first: one function per section, in order.
fn readme(org: &Org, market: &Marketplace) -> String {
    let repo = market
        .repository
        .as_ref()
        .map_or_else(|| "OWNER/REPO".to_owned(), ToString::to_string);
    [
        readme_intro(org),
        readme_required(org),
        readme_collected(org),
        readme_plugins(org, market),
        readme_install(org, market, &repo),
        readme_update(org),
        readme_for_admins(org, &repo),
        readme_for_copilot_admins(org, &repo),
        format!("---\n\n{GENERATOR_NOTE}\n"),
    ]
    .concat()
}

/// The display names of the agents with a marketplace.
fn marketplace_agents() -> Vec<&'static str> {
    Platform::MARKETPLACE
        .iter()
        .map(|p| p.display_name())
        .collect()
}

/// The title, and what this repository is.
fn readme_intro(org: &Org) -> String {
    let org_name = escape_inline(org.name.as_str());
    let mut w = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(w, "# {org_name} agent plugins\n");
    let _ = writeln!(
        w,
        "This repository is {org_name}'s plugin marketplace `{}` for {}. \
It is published by gram-admin from Gram; changes made here by hand are replaced by the next publish.\n",
        org.marketplace_name.as_str(),
        either(&marketplace_agents(), "and")
    );
    w
}

/// The callout: the observability plugin is required, and what it does.
fn readme_required(org: &Org) -> String {
    let required: Vec<String> = Platform::MARKETPLACE
        .iter()
        .map(|&p| {
            format!(
                "`{}` ({})",
                p.observability_plugin_name(org.slug()),
                p.display_name()
            )
        })
        .collect();
    let mut w = String::new();
    let _ = writeln!(w, "> [!IMPORTANT]");
    let _ = writeln!(
        w,
        "> **Required:** install the observability plugin — {}. It reports your agent's hook events (sessions, prompts, tool use) to the Gram project \
`{}` so the team can see agent activity. It never blocks your agent when Gram is unreachable.\n",
        either(&required, "or"),
        escape_inline(org.project.as_str()).replace('`', "'")
    );
    w
}

/// "What is collected": the privacy level the observability plugins send at, what leaves a
/// teammate's machine and what never does.
fn readme_collected(org: &Org) -> String {
    use crate::privacy::{Content, PATTERNS};
    let mut w = String::new();
    let _ = writeln!(
        w,
        "## What is collected
"
    );
    let level = match org.content {
        Content::Full => {
            "Privacy level **full**: each hook event is sent whole — prompts, tool input and output, \
assistant messages, session and tool names, timings."
        }
        Content::Metadata => {
            "Privacy level **metadata**: only what an event is, not what it says — event name, session id, \
timestamps, working directory, model, tool and MCP server/tool names, exit status and sizes. \
No prompt text, no tool input or output, no assistant or thinking text, no transcript contents leave your machine."
        }
    };
    let _ = writeln!(w, "{level}\n");
    let kinds: Vec<String> = PATTERNS
        .iter()
        .map(|p| p.what)
        .filter(|w| !w.is_empty())
        .map(escape_inline)
        .collect();
    let _ = writeln!(
        w,
        "At every level, values that look like credentials are replaced by `[redacted:<kind>]` on your machine, \
before anything is sent or kept for a resend: {}. The level is chosen by your admin when the plugin is published; \
each plugin's hook script says it in its first lines.\n",
        kinds.join("; ")
    );
    w
}

/// "Plugins": each plugin's folder per agent, then what the servers read from the environment.
fn readme_plugins(org: &Org, market: &Marketplace) -> String {
    let agents = marketplace_agents();
    let mut w = String::new();
    let _ = writeln!(w, "## Plugins\n");
    let _ = writeln!(w, "| Plugin | {} | Description |", agents.join(" | "));
    let _ = writeln!(w, "|{}", " --- |".repeat(agents.len() + 2));
    let dirs = |dir: &dyn Fn(Platform) -> String| -> String {
        Platform::MARKETPLACE
            .iter()
            .map(|&p| format!("`{}`", dir(p)))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let _ = writeln!(
        w,
        "| {} Observability (**required**) | {} | {} |",
        escape_table_cell(org.name.as_str()),
        dirs(&|p| p.observability_plugin_name(org.slug())),
        escape_table_cell(&observability_description(org))
    );
    for p in &market.plugins {
        let _ = writeln!(
            w,
            "| {} | {} | {} |",
            escape_table_cell(&p.name),
            dirs(&|platform| p.dir_name(platform)),
            escape_table_cell(&p.description)
        );
    }
    if market.plugins.iter().any(Feature::has_private_server) {
        let _ = writeln!(
            w,
            "\nPlugins with private Gram MCP servers read your own Gram API key from the `{GRAM_KEY_ENV}` environment variable; \
set it before starting your agent (`export {GRAM_KEY_ENV}=gram_…`)."
        );
    }
    w.push_str(&readme_environment(market));
    w
}

/// The environment variables the servers read credentials from (nothing when none does).
fn readme_environment(market: &Marketplace) -> String {
    let mut env_rows = Vec::new();
    for p in &market.plugins {
        for s in &p.servers {
            for (_, var) in &s.env {
                env_rows.push(format!(
                    "| {} | {} | `{}` |",
                    escape_table_cell(&p.name),
                    escape_table_cell(&s.display_name),
                    var.as_str()
                ));
            }
        }
    }
    let mut w = String::new();
    if env_rows.is_empty() {
        return w;
    }
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
    w
}

/// "Install": the steps per agent with a marketplace, then OpenCode's.
fn readme_install(org: &Org, market: &Marketplace, repo: &str) -> String {
    let mkt = org.marketplace_name.as_str();
    let mut w = String::new();
    let _ = writeln!(w, "\n## Install\n");
    for platform in Platform::MARKETPLACE {
        let _ = writeln!(w, "### {}\n", platform.display_name());
        let _ = writeln!(
            w,
            "{}",
            platform.install_steps(repo, mkt, &platform.observability_plugin_name(org.slug()))
        );
    }
    w.push_str(&readme_install_opencode(org, market, repo));
    w
}

/// OpenCode has no marketplace: the plugin files to copy, and the names its MCP servers get
/// (nothing when the org has no feature plugins).
fn readme_install_opencode(org: &Org, market: &Marketplace, repo: &str) -> String {
    let mut w = String::new();
    if market.plugins.is_empty() {
        return w;
    }
    let mkt = org.marketplace_name.as_str();
    let opencode = Platform::OpenCode;
    let _ = writeln!(w, "### {}\n", opencode.display_name());
    let _ = writeln!(w, "{}", opencode.install_steps(repo, mkt, ""));
    let _ = writeln!(w, "Then, for each plugin you want:\n\n```sh");
    for p in &market.plugins {
        let file = format!(
            "{mkt}/{OPENCODE_MARKETPLACE_DIR}/plugin/{}",
            p.dir_name(opencode)
        );
        let _ = writeln!(w, "cp {file}.js {file}.json ~/.config/opencode/plugin/");
    }
    let _ = writeln!(
        w,
        "```\n\n| Plugin | MCP servers in OpenCode |\n| --- | --- |"
    );
    for p in &market.plugins {
        let names: Vec<String> = p
            .servers
            .iter()
            .map(|s| format!("`{}`", opencode_mcp_name(p, s)))
            .collect();
        let _ = writeln!(
            w,
            "| {} | {} |",
            escape_table_cell(&p.name),
            names.join(", ")
        );
    }
    let _ = writeln!(
        w,
        "\nThe servers use the same environment variables as for the other agents. To turn one off, add \
`\"mcp\": {{ \"<server>\": {{ \"enabled\": false }} }}` to your `opencode.json`: your own configuration wins. \
The observability plugin for OpenCode is not in this repository: your Gram admin exports it as a ZIP \
(`gram-admin export --platform opencode`) to unzip into `~/.config/opencode`.\n"
    );
    w
}

/// "Updating": what each agent's teammate runs after a publish (a new hooks key after a
/// rotation): until they do, their plugin reports with the previous key, which the admin keeps
/// live for a grace period.
fn readme_update(org: &Org) -> String {
    let mkt = org.marketplace_name.as_str();
    let obs = |p: Platform| p.observability_plugin_name(org.slug());
    let mut w = String::new();
    let _ = writeln!(
        w,
        "## Updating
"
    );
    let _ = writeln!(
        w,
        "When your admin publishes again — for instance a new hooks key after a key rotation — update the plugins. The previous key keeps working for a grace period (7 days unless your admin chose otherwise), and events your agent could not deliver wait on your machine and are sent once the plugin can report again.
"
    );
    let _ = writeln!(
        w,
        "- **{}**: `claude plugin marketplace update {mkt}`, then `claude plugin update {}@{mkt}` and restart Claude Code (updating the marketplace alone is enough when your admin rolled the plugin out through managed settings).",
        Platform::Claude.display_name(),
        obs(Platform::Claude)
    );
    let _ = writeln!(
        w,
        "- **{}**: `codex plugin marketplace upgrade {mkt}`, then `codex plugin add {}@{mkt}`.",
        Platform::Codex.display_name(),
        obs(Platform::Codex)
    );
    let _ = writeln!(
        w,
        "- **{}**: `copilot plugin marketplace update {mkt}`, then `copilot plugin update {}@{mkt}`.",
        Platform::Copilot.display_name(),
        obs(Platform::Copilot)
    );
    let _ = writeln!(
        w,
        "- **{}**: a team marketplace your admin imported updates in Cursor; a marketplace you added yourself: update `{}` in **Settings → Plugins**.",
        Platform::Cursor.display_name(),
        obs(Platform::Cursor)
    );
    let _ = writeln!(
        w,
        "- **{}**: pull this repository and copy the plugin files again (see above); your admin sends a new observability ZIP after a key rotation.
",
        Platform::OpenCode.display_name()
    );
    w
}

/// "For admins": Claude Code's managed settings that add the marketplace for everyone and turn
/// the observability plugin on.
fn readme_for_admins(org: &Org, repo: &str) -> String {
    let mut w = String::new();
    let _ = writeln!(w, "## For admins: make the observability plugin required\n");
    let _ = writeln!(
        w,
        "Claude Code reads managed settings (`managed-settings.json`, deployed by your device management) — this adds the \
marketplace for everyone and turns the observability plugin on:\n"
    );
    let settings = super::rollout::claude_managed_settings(org, repo);
    let _ = writeln!(
        w,
        "```json\n{}\n```\n",
        serde_json::to_string_pretty(&settings).unwrap_or_default()
    );
    w
}

/// "For admins", continued: GitHub Copilot CLI's managed settings, which take Claude Code's keys.
fn readme_for_copilot_admins(org: &Org, repo: &str) -> String {
    let mut w = String::new();
    let mkt = org.marketplace_name.as_str();
    let observability = Platform::Copilot.observability_plugin_name(org.slug());
    let settings = super::rollout::copilot_managed_settings(org, repo);
    let _ = writeln!(
        w,
        "GitHub Copilot CLI's enterprise managed settings take the same keys — for Copilot, enable \
`{observability}`:\n\n```json\n{}\n```\n\nA teammate can do the same by hand: `copilot plugin marketplace add {repo}`, \
then `copilot plugin install {observability}@{mkt}`.\n",
        serde_json::to_string_pretty(&settings).unwrap_or_default()
    );
    w
}

/// `a, b and c` (or `or`).
fn either(items: &[impl AsRef<str>], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.as_ref().to_owned(),
        [init @ .., last] => format!(
            "{} {conjunction} {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}
