//! Everything gram-admin knows about each coding agent, in one place: names and paths (the
//! [`PlatformInfo`] table), and the agent-specific JSON — plugin manifest, hooks file, MCP
//! server entry, marketplace file, Check hook's test event. The renderers in [`crate::render`]
//! hold no per-agent `match`.
//!
//! The table has no impossible states: an agent's [`Shape`] is either a [`Package`] (it installs
//! plugin packages from marketplaces and runs the hook script: Claude Code, Cursor, Codex) or a
//! [`Module`] (it loads a JavaScript module in-process: OpenCode), and each carries only the
//! facts of its kind. The manifest, hooks-file and marketplace builders are methods of
//! [`Package`], so nothing can ask a module agent for its manifest; the lists of agents of each
//! kind ([`Platform::packages`], [`Platform::hook_script_agents`]) are computed from the table.
//!
//! Adding an agent: a variant of [`Platform`], its row in [`Platform::info`] (a new
//! [`PackageFormat`] when its JSON differs), and its arms in the builders; the compiler points
//! at each. Then its tests and golden file (DEVELOPMENT.md, "Adding an agent").

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::org::Org;
use crate::render::hook_script::HOOK_SCRIPT_PATH;
use crate::render::opencode::OPENCODE_MODULE_PATH;

/// The coding agents a plugin is rendered for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[ts(export)]
pub enum Platform {
    Claude,
    Cursor,
    Codex,
    Copilot,
    #[serde(rename = "opencode")]
    #[cfg_attr(feature = "clap", value(name = "opencode"))]
    OpenCode,
}

/// How an agent's observability plugin reaches Gram (derived from [`Shape`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Observability {
    /// `hooks/hooks.json` runs `hooks/gram-hook.sh` per event, which posts the agent's own
    /// payload to `/rpc/hooks.<id>` (Claude Code, Cursor, Codex).
    HookScript,
    /// The agent loads a JavaScript module in-process, which maps its events to Gram's
    /// `hook.ingest.v1` envelopes and posts them to `/rpc/hooks.ingest` (OpenCode).
    Module,
}

/// A row of the platform table: what every agent has, and its [`Shape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PlatformInfo {
    pub platform: Platform,
    /// `claude`: the command line's `--platform`; for package agents Gram's `/rpc/hooks.<id>`.
    #[ts(skip)]
    #[serde(skip)]
    pub id: &'static str,
    /// "Claude Code".
    pub display_name: &'static str,
    /// Appended to a plugin's slug to name its directory for this agent (`payments-cursor`).
    #[ts(skip)]
    #[serde(skip)]
    pub dir_suffix: &'static str,
    /// The file a preview shows first: what decides what the plugin does.
    #[ts(skip)]
    #[serde(skip)]
    pub preview_first: &'static str,
    /// What kind of plugin the agent takes, with everything only that kind has.
    #[ts(skip)]
    #[serde(skip)]
    pub shape: Shape,
}

/// The two kinds of agent. Each carries only the facts its kind has: an agent without
/// marketplaces has no manifest or marketplace paths at all (not empty ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Installs plugin packages (manifest, `hooks/hooks.json`, MCP file) from a marketplace
    /// repository; its observability plugin is the hook script.
    Package(&'static Package),
    /// Loads JavaScript modules from its config directory; no manifest, no marketplace.
    Module(&'static Module),
}

/// The plugin package format of an agent with marketplaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package {
    pub format: PackageFormat,
    /// Where the plugin manifest lives in a plugin directory.
    pub manifest_path: &'static str,
    /// The variable the agent sets to the installed plugin's directory.
    pub plugin_root_var: &'static str,
    /// The MCP servers file of a feature plugin.
    pub mcp_path: &'static str,
    /// The marketplace file at the repository root.
    pub marketplace_path: &'static str,
    /// The hook events registered: exactly those Gram's `/rpc/hooks.<id>` accepts.
    pub hook_events: &'static [&'static str],
    /// Events whose hook output the agent reads as a decision (allow, deny, block): for these
    /// the hook waits (bounded) for Gram's answer; all others are fire-and-forget.
    pub decision_events: &'static [&'static str],
    /// The event "Check hook" sends: one Gram records and never decides on.
    pub check_event: &'static str,
    /// What the hook script posts, and where.
    pub delivery: Delivery,
}

/// How a package agent's hook script delivers an event to Gram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The agent's own payload, byte for byte, to its provider endpoint `/rpc/hooks.<id>`
    /// (Claude Code, Cursor, Codex): Gram knows the agent's payload shape.
    ProviderEndpoint,
    /// A `hook.ingest.v1` envelope built by the hook (`hooks/gram-envelope.awk`) from the
    /// agent's payload, to `/rpc/hooks.ingest` with `source.adapter` = `adapter` (GitHub
    /// Copilot CLI): Gram has no provider endpoint for the agent.
    IngestEnvelope { adapter: &'static str },
}

/// The JSON dialects of the package agents' manifests, hooks files and marketplace files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageFormat {
    ClaudeCode,
    Cursor,
    Codex,
    /// GitHub Copilot CLI: `plugin.json` at the package root (no `$schema`: that would make it
    /// an agent-plugins.org spec plugin, whose hooks Copilot reads from elsewhere), camelCase
    /// events with `bash`/`powershell`/`timeoutSec` entries and no `matcher`.
    Copilot,
}

/// An agent that loads the observability plugin as a module (OpenCode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    /// The plugin hooks the module implements (the agent's names, not Gram endpoints).
    pub hooks: &'static [&'static str],
    /// Hooks whose outcome the agent obeys (a thrown error vetoes a tool call).
    pub decision_hooks: &'static [&'static str],
}

const CLAUDE: PlatformInfo = PlatformInfo {
    platform: Platform::Claude,
    id: "claude",
    display_name: "Claude Code",
    dir_suffix: "",
    preview_first: HOOKS_JSON_PATH,
    shape: Shape::Package(&Package {
        format: PackageFormat::ClaudeCode,
        manifest_path: ".claude-plugin/plugin.json",
        plugin_root_var: "CLAUDE_PLUGIN_ROOT",
        mcp_path: ".mcp.json",
        marketplace_path: ".claude-plugin/marketplace.json",
        hook_events: &[
            "SessionStart",
            "UserPromptSubmit",
            "PreToolUse",
            "PostToolUse",
            "PostToolUseFailure",
            "Notification",
            "Stop",
            "SessionEnd",
        ],
        decision_events: &["PreToolUse", "UserPromptSubmit"],
        check_event: "Notification",
        delivery: Delivery::ProviderEndpoint,
    }),
};

const CURSOR: PlatformInfo = PlatformInfo {
    platform: Platform::Cursor,
    id: "cursor",
    display_name: "Cursor",
    dir_suffix: "-cursor",
    preview_first: HOOKS_JSON_PATH,
    shape: Shape::Package(&Package {
        format: PackageFormat::Cursor,
        manifest_path: ".cursor-plugin/plugin.json",
        plugin_root_var: "CURSOR_PLUGIN_ROOT",
        mcp_path: "mcp.json",
        marketplace_path: ".cursor-plugin/marketplace.json",
        hook_events: &[
            "beforeSubmitPrompt",
            "stop",
            "afterAgentResponse",
            "afterAgentThought",
            "preToolUse",
            "postToolUse",
            "postToolUseFailure",
            "beforeMCPExecution",
            "afterMCPExecution",
        ],
        decision_events: &["beforeSubmitPrompt", "preToolUse", "beforeMCPExecution"],
        check_event: "afterAgentResponse",
        delivery: Delivery::ProviderEndpoint,
    }),
};

const CODEX: PlatformInfo = PlatformInfo {
    platform: Platform::Codex,
    id: "codex",
    display_name: "Codex",
    dir_suffix: "-codex",
    preview_first: HOOKS_JSON_PATH,
    shape: Shape::Package(&Package {
        format: PackageFormat::Codex,
        manifest_path: ".codex-plugin/plugin.json",
        // Codex sets CLAUDE_PLUGIN_ROOT (and PLUGIN_ROOT) for `.codex-plugin` plugins.
        plugin_root_var: "CLAUDE_PLUGIN_ROOT",
        mcp_path: ".mcp.json",
        marketplace_path: ".agents/plugins/marketplace.json",
        // Codex also fires SessionEnd, but Gram's codex enum has none: not registered.
        hook_events: &[
            "SessionStart",
            "PreToolUse",
            "PermissionRequest",
            "PostToolUse",
            "UserPromptSubmit",
            "Stop",
        ],
        decision_events: &["PreToolUse", "PermissionRequest", "UserPromptSubmit"],
        check_event: "SessionStart",
        delivery: Delivery::ProviderEndpoint,
    }),
};

/// GitHub Copilot CLI (Gram PR #5376): Gram has no `/rpc/hooks.copilot`; the hook turns each
/// camelCase payload (which names no event: the event is the script's argument) into a
/// `hook.ingest.v1` envelope. The events are every one the CLI fires in a session (1.0.102:
/// Gram's ten plus subagentStart and errorOccurred). `preToolUse` and `permissionRequest` read
/// the hook's output as a decision; the hook relays only a deny.
const COPILOT: PlatformInfo = PlatformInfo {
    platform: Platform::Copilot,
    id: "copilot",
    display_name: "GitHub Copilot CLI",
    dir_suffix: "-copilot",
    preview_first: HOOKS_JSON_PATH,
    shape: Shape::Package(&Package {
        format: PackageFormat::Copilot,
        manifest_path: "plugin.json",
        plugin_root_var: "COPILOT_PLUGIN_ROOT",
        mcp_path: ".mcp.json",
        marketplace_path: "marketplace.json",
        hook_events: &[
            "sessionStart",
            "userPromptSubmitted",
            "preToolUse",
            "permissionRequest",
            "postToolUse",
            "postToolUseFailure",
            "agentStop",
            "subagentStart",
            "subagentStop",
            "errorOccurred",
            "sessionEnd",
            "notification",
        ],
        decision_events: &["preToolUse", "permissionRequest"],
        check_event: "notification",
        delivery: Delivery::IngestEnvelope { adapter: "copilot" },
    }),
};

/// OpenCode loads every `*.js` under `plugin/` of its config directory in-process: no manifest,
/// no hooks file, no marketplace. The observability plugin is one module plus its data file.
const OPENCODE: PlatformInfo = PlatformInfo {
    platform: Platform::OpenCode,
    id: "opencode",
    display_name: "OpenCode",
    dir_suffix: "-opencode",
    preview_first: OPENCODE_MODULE_PATH,
    shape: Shape::Module(&Module {
        hooks: &[
            "event",
            "chat.message",
            "tool.execute.before",
            "tool.execute.after",
            "dispose",
        ],
        decision_hooks: &["tool.execute.before"],
    }),
};

/// The hooks file of a plugin directory; previews show it first.
pub const HOOKS_JSON_PATH: &str = "hooks/hooks.json";
/// The environment variable a teammate sets to their own Gram API key for private Gram servers.
/// The hooks key baked into the observability plugin is never used for MCP.
pub const GRAM_KEY_ENV: &str = "GRAM_KEY";

/// Codex's policy values: the observability plugin is installed by default, features on request.
pub const CODEX_REQUIRED_INSTALLATION: &str = "INSTALLED_BY_DEFAULT";
pub const CODEX_OPTIONAL_INSTALLATION: &str = "AVAILABLE";
pub const CODEX_AUTHENTICATION: &str = "ON_INSTALL";

impl Platform {
    /// Every agent, in the order the app lists them.
    pub const ALL: [Platform; 5] = [
        Platform::Claude,
        Platform::Cursor,
        Platform::Codex,
        Platform::Copilot,
        Platform::OpenCode,
    ];

    /// The agents with plugin marketplaces (a [`Shape::Package`]), in table order: what the
    /// marketplace repository is rendered for. Computed from the table at compile time.
    pub const MARKETPLACE: [Platform; PACKAGE_AGENTS] = package_agents();

    /// The agents whose observability plugin is the hook script: every package agent.
    pub const HOOK_SCRIPT: [Platform; PACKAGE_AGENTS] = Self::MARKETPLACE;

    /// This agent's row of the platform table.
    pub const fn info(self) -> &'static PlatformInfo {
        match self {
            Platform::Claude => &CLAUDE,
            Platform::Cursor => &CURSOR,
            Platform::Codex => &CODEX,
            Platform::Copilot => &COPILOT,
            Platform::OpenCode => &OPENCODE,
        }
    }

    /// Every agent's row, in [`Platform::ALL`] order (what the UI lists).
    pub fn table() -> Vec<PlatformInfo> {
        Self::ALL.iter().map(|p| *p.info()).collect()
    }

    /// [`Platform::MARKETPLACE`], each with its package format.
    pub fn packages() -> impl Iterator<Item = (Platform, &'static Package)> {
        Self::ALL
            .into_iter()
            .filter_map(|p| Some((p, p.package()?)))
    }

    /// This agent's package format, or `None` for a module agent.
    pub fn package(self) -> Option<&'static Package> {
        match self.info().shape {
            Shape::Package(package) => Some(package),
            Shape::Module(_) => None,
        }
    }

    pub fn observability(self) -> Observability {
        match self.info().shape {
            Shape::Package(_) => Observability::HookScript,
            Shape::Module(_) => Observability::Module,
        }
    }

    pub fn has_marketplace(self) -> bool {
        self.package().is_some()
    }

    pub fn id(self) -> &'static str {
        self.info().id
    }

    pub fn display_name(self) -> &'static str {
        self.info().display_name
    }

    /// The hook events a package agent registers, or the hooks a module agent implements.
    pub fn hook_events(self) -> &'static [&'static str] {
        match self.info().shape {
            Shape::Package(p) => p.hook_events,
            Shape::Module(m) => m.hooks,
        }
    }

    /// The events (hooks) whose outcome the agent obeys as a decision.
    pub fn decision_events(self) -> &'static [&'static str] {
        match self.info().shape {
            Shape::Package(p) => p.decision_events,
            Shape::Module(m) => m.decision_hooks,
        }
    }

    /// The directory (and plugin name) of the feature plugin `slug` for this agent.
    pub fn plugin_dir(self, slug: &str) -> String {
        format!("{slug}{}", self.info().dir_suffix)
    }

    /// The observability plugin's name: `<org>-observability`, `-observability-cursor`, ….
    pub fn observability_plugin_name(self, org_slug: &str) -> String {
        self.plugin_dir(&format!("{org_slug}-observability"))
    }

    /// One MCP server's entry in this agent's MCP file (OpenCode: in a feature plugin's data
    /// file). Secrets are never written: only the names of environment variables the agent (for
    /// OpenCode, the loader module) expands at run time. `gram_key` sends the
    /// teammate's own Gram key (`$GRAM_KEY`) as a bearer token.
    pub(crate) fn mcp_entry(self, url: &str, gram_key: bool, env: &[(&str, &str)]) -> Value {
        let headers = |expand: fn(&str) -> String| -> Map<String, Value> {
            let mut headers = Map::new();
            if gram_key {
                headers.insert(
                    "Authorization".into(),
                    json!(format!("Bearer {}", expand(GRAM_KEY_ENV))),
                );
            }
            for (header, var) in env {
                headers.insert((*header).to_owned(), json!(expand(var)));
            }
            headers
        };
        let with_headers = |mut entry: Value, headers: Map<String, Value>| {
            if !headers.is_empty() {
                entry["headers"] = headers.into();
            }
            entry
        };
        match self {
            Platform::Claude => with_headers(
                json!({ "type": "http", "url": url }),
                headers(|var| format!("${{{var}}}")),
            ),
            Platform::Cursor => with_headers(
                json!({ "url": url }),
                headers(|var| format!("${{env:{var}}}")),
            ),
            // Copilot CLI's MCP server entry: `tools` lists what the agent may call (all).
            Platform::Copilot => {
                let mut entry = with_headers(
                    json!({ "type": "http", "url": url }),
                    headers(|var| format!("${{{var}}}")),
                );
                entry["tools"] = json!(["*"]);
                entry
            }
            Platform::Codex => {
                let mut entry = json!({ "url": url });
                if gram_key {
                    entry["bearer_token_env_var"] = json!(GRAM_KEY_ENV);
                }
                if !env.is_empty() {
                    entry["env_http_headers"] = env
                        .iter()
                        .map(|(header, var)| ((*header).to_owned(), json!(var)))
                        .collect::<Map<_, _>>()
                        .into();
                }
                entry
            }
            // OpenCode's own `mcp.<name>` entry. Its `{env:VAR}` is expanded by the loader module
            // (OpenCode expands it only in its config files), which sends `GRAM_KEY` to the org's
            // Gram server only.
            Platform::OpenCode => with_headers(
                json!({ "type": "remote", "url": url }),
                headers(|var| format!("{{env:{var}}}")),
            ),
        }
    }

    /// The marketplace README's install steps for this agent (Markdown, ends with a newline).
    pub(crate) fn install_steps(self, repo: &str, mkt: &str, observability: &str) -> String {
        match self {
            Platform::Claude => format!(
                "```sh\nclaude plugin marketplace add {repo}\nclaude plugin install {observability}@{mkt}\n```\n\n\
Then add any feature plugin the same way: `claude plugin install <plugin>@{mkt}`.\n"
            ),
            Platform::Cursor => format!(
                "In Cursor, open **Settings → Plugins**, add the marketplace `https://github.com/{repo}`, and install \
`{observability}` first, then any feature plugin ending in `{}`.\n",
                self.info().dir_suffix
            ),
            Platform::Codex => format!(
                "```sh\ncodex plugin marketplace add {repo}\ncodex plugin add {observability}@{mkt}\n```\n\n\
The marketplace marks `{observability}` as installed by default; feature plugins (ending in `{}`) are available \
to add with `codex plugin add <plugin>@{mkt}`.\n",
                self.info().dir_suffix
            ),
            Platform::Copilot => format!(
                "```sh\ncopilot plugin marketplace add {repo}\ncopilot plugin install {observability}@{mkt}\n```\n\n\
Then add any feature plugin ending in `{}` the same way: `copilot plugin install <plugin>@{mkt}`. Copilot CLI reads this \
repository's root `marketplace.json`, which lists only the Copilot packages. Hooks run in Copilot CLI only (not in VS Code's \
Copilot); on Windows they need Git for Windows.\n",
                self.info().dir_suffix
            ),
            // No marketplace: the teammate copies the plugin files into their config directory
            // (the README lists a command per plugin). `observability` is unused: OpenCode's
            // observability plugin is an export ZIP.
            Platform::OpenCode => format!(
                "OpenCode has no plugin marketplace: its feature plugins are in `{dir}/plugin/`, two files each, to copy \
into OpenCode's plugin folder (`~/.config/opencode/plugin/` for you, or a project's `.opencode/plugin/`). OpenCode adds \
their MCP servers at its next start (`opencode mcp list` shows them); to update, pull and copy again.\n\n\
```sh\ngit clone https://github.com/{repo}.git {mkt}\nmkdir -p ~/.config/opencode/plugin\n```\n",
                dir = crate::render::opencode::OPENCODE_MARKETPLACE_DIR,
            ),
        }
    }
}

/// How many agents of the table are package agents.
const PACKAGE_AGENTS: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < Platform::ALL.len() {
        if matches!(Platform::ALL[i].info().shape, Shape::Package(_)) {
            n += 1;
        }
        i += 1;
    }
    n
};

/// The package agents of the table, in its order.
const fn package_agents() -> [Platform; PACKAGE_AGENTS] {
    let mut out = [Platform::Claude; PACKAGE_AGENTS];
    let (mut i, mut j) = (0, 0);
    while i < Platform::ALL.len() {
        if matches!(Platform::ALL[i].info().shape, Shape::Package(_)) {
            out[j] = Platform::ALL[i];
            j += 1;
        }
        i += 1;
    }
    out
}

impl Package {
    /// The command the agent runs for `event`. It names only the plugin root variable and the
    /// event: the Gram URL stays out of it (Cursor drops hook files whose commands hold a URL),
    /// and `sh` runs the script even where the executable bit was lost.
    pub fn hook_command(&self, event: &str) -> String {
        format!(
            "sh \"${{{}}}/{HOOK_SCRIPT_PATH}\" {event}",
            self.plugin_root_var
        )
    }

    /// The `source.adapter` of the envelopes the hook builds, if it builds any.
    pub fn adapter(&self) -> Option<&'static str> {
        match self.delivery {
            Delivery::ProviderEndpoint => None,
            Delivery::IngestEnvelope { adapter } => Some(adapter),
        }
    }

    /// Where the hook script posts, relative to the org's server: the provider endpoint
    /// `rpc/hooks.<id>`, or the ingest endpoint for envelopes.
    pub fn hooks_path(&self, id: &str) -> String {
        match self.delivery {
            Delivery::ProviderEndpoint => format!("rpc/hooks.{id}"),
            Delivery::IngestEnvelope { .. } => crate::render::opencode::INGEST_PATH.to_owned(),
        }
    }

    /// `hooks/hooks.json`, every event running [`Self::hook_command`] with `timeout` seconds.
    pub fn hooks_json(&self, timeout: u32) -> Value {
        let mut events = Map::new();
        for &event in self.hook_events {
            let command = self.hook_command(event);
            let entry = match self.format {
                // Matcher groups, each with a list of hooks. No matcher: it would mean nothing
                // on non-tool events, and on tool events we want every tool.
                PackageFormat::ClaudeCode | PackageFormat::Codex => json!([{
                    "hooks": [{ "type": "command", "command": command, "timeout": timeout }]
                }]),
                PackageFormat::Cursor => json!([{ "command": command, "timeout": timeout }]),
                // No `matcher`: an empty one drops the plugin's whole hook config, and `*` is
                // not match-all. Windows runs `powershell`.
                PackageFormat::Copilot => json!([{
                    "type": "command",
                    "bash": command,
                    "powershell": crate::render::powershell::hook_command(self.plugin_root_var, event),
                    "timeoutSec": timeout,
                }]),
            };
            events.insert(event.to_owned(), entry);
        }
        match self.format {
            PackageFormat::Cursor | PackageFormat::Copilot => {
                json!({ "version": 1, "hooks": events })
            }
            PackageFormat::ClaudeCode | PackageFormat::Codex => json!({ "hooks": events }),
        }
    }

    /// The plugin manifest at [`Package::manifest_path`].
    pub(crate) fn manifest(&self, org: &Org, m: &Manifest<'_>) -> Value {
        let author = json!({ "name": org.name.as_str(), "url": org.server.as_str() });
        let contents = |value: &mut Value| match m.contents {
            Contents::Hooks => value["hooks"] = json!(format!("./{HOOKS_JSON_PATH}")),
            Contents::McpServers => {
                value["mcpServers"] = json!(format!("./{}", self.mcp_path));
            }
        };
        let homepage = |value: &mut Value| {
            if m.homepage {
                value["homepage"] = json!(org.server.as_str());
            }
        };
        match self.format {
            PackageFormat::ClaudeCode => {
                let mut v = json!({
                    "name": m.name, "displayName": m.display_name, "description": m.description,
                    "version": m.version, "author": author,
                });
                homepage(&mut v);
                // Declares which hosts the plugin talks to (shown to whoever installs it).
                // Claude Code finds `hooks/hooks.json` and `.mcp.json` by itself.
                v["network"] = json!({ "hosts": m.hosts });
                v
            }
            PackageFormat::Cursor => {
                let mut v = json!({
                    "name": m.name, "displayName": m.display_name, "description": m.description,
                    "version": m.version, "author": org.contact(),
                });
                homepage(&mut v);
                contents(&mut v);
                v
            }
            PackageFormat::Codex => {
                let mut v = json!({
                    "name": m.name, "version": m.version, "description": m.description,
                    "author": author,
                });
                homepage(&mut v);
                contents(&mut v);
                v["interface"] = json!({
                    "displayName": m.display_name,
                    "shortDescription": m.short_description,
                });
                v
            }
            // No `$schema`: with one Copilot reads hooks from `com.github.copilot/` instead.
            PackageFormat::Copilot => {
                let mut v = json!({
                    "name": m.name, "description": m.description, "version": m.version,
                    "author": author,
                });
                homepage(&mut v);
                match m.contents {
                    Contents::Hooks => v["hooks"] = json!(HOOKS_JSON_PATH),
                    Contents::McpServers => v["mcpServers"] = json!(self.mcp_path),
                }
                v
            }
        }
    }

    /// The marketplace file at [`Package::marketplace_path`], listing `plugins` in order.
    pub(crate) fn marketplace_json(&self, org: &Org, plugins: &[Listing<'_>]) -> Value {
        match self.format {
            // Copilot refuses a marketplace without `owner`; entry names are the packages'
            // `plugin.json` names.
            PackageFormat::ClaudeCode | PackageFormat::Cursor | PackageFormat::Copilot => json!({
                "name": org.marketplace_name.as_str(),
                "owner": org.contact(),
                "metadata": { "description": format!("{}'s coding-agent plugins, published from Gram.", org.name.as_str()) },
                "plugins": plugins.iter().map(|p| json!({
                    "name": p.name, "source": format!("./{}", p.name), "description": p.description,
                })).collect::<Vec<_>>(),
            }),
            PackageFormat::Codex => json!({
                "name": org.marketplace_name.as_str(),
                "interface": { "displayName": format!("{} plugins", org.name.as_str()) },
                "plugins": plugins.iter().map(|p| json!({
                    "name": p.name,
                    "source": { "source": "local", "path": format!("./{}", p.name) },
                    "policy": {
                        "installation": if p.required { CODEX_REQUIRED_INSTALLATION } else { CODEX_OPTIONAL_INSTALLATION },
                        "authentication": CODEX_AUTHENTICATION,
                    },
                })).collect::<Vec<_>>(),
            }),
        }
    }

    /// The payload of "Check hook"'s synthetic [`Package::check_event`], in this agent's shape:
    /// labelled as a gram-admin check in `session` and `message`.
    pub fn check_payload(&self, session: &str, marker: &str, message: &str) -> Value {
        let event = self.check_event;
        match self.format {
            PackageFormat::ClaudeCode => json!({
                "hook_event_name": event,
                "session_id": session,
                "notification_type": marker,
                "title": "gram-admin check",
                "message": message,
            }),
            PackageFormat::Cursor => json!({
                "hook_event_name": event,
                "conversation_id": session,
                "session_id": session,
                "text": message,
                "additional_data": { "gram_admin_check": true },
            }),
            PackageFormat::Codex => json!({
                "hook_event_name": event,
                "session_id": session,
                "additional_data": { "gram_admin_check": true, "message": message },
            }),
            // What the hook posts for Copilot's `notification`: an envelope, as its awk builds
            // them (no occurred_at: Gram dates it on arrival).
            PackageFormat::Copilot => json!({
                "schema_version": "hook.ingest.v1",
                "source": {
                    "adapter": self.adapter().unwrap_or_default(),
                    "adapter_version": crate::render::envelope::ADAPTER_VERSION,
                    "raw_event_name": event,
                },
                "session": { "id": session },
                "event": { "type": "notification.reported" },
                "data": { "notification": {
                    "type": marker, "title": "gram-admin check", "message": message,
                } },
            }),
        }
    }
}

/// What a plugin manifest says, whatever the agent.
#[derive(Debug)]
pub(crate) struct Manifest<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub description: &'a str,
    pub version: &'a str,
    /// The org's Gram server as homepage (the observability plugin).
    pub homepage: bool,
    /// The hosts the plugin talks to.
    pub hosts: Vec<&'a str>,
    pub contents: Contents,
    /// Codex's one-line description.
    pub short_description: &'a str,
}

/// What a plugin brings besides its manifest.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Contents {
    Hooks,
    McpServers,
}

/// One plugin as a marketplace file lists it.
#[derive(Debug)]
pub(crate) struct Listing<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// Installed by default where the agent supports it.
    pub required: bool,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Platform {
    type Err = crate::Problem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|p| p.id() == s).ok_or_else(|| {
            let ids: Vec<&str> = Self::ALL.iter().map(|p| p.id()).collect();
            crate::Problem::new(
                crate::Field::Platform,
                format!(
                    "Unknown platform {s:?}: choose {} or {}.",
                    ids[..ids.len() - 1].join(", "),
                    ids[ids.len() - 1]
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_serde() {
        for p in Platform::ALL {
            assert_eq!(p.id().parse::<Platform>().unwrap(), p);
            assert_eq!(serde_json::to_value(p).unwrap(), json!(p.id()));
        }
        let err = "gemini".parse::<Platform>().unwrap_err();
        assert_eq!(
            err.message,
            "Unknown platform \"gemini\": choose claude, cursor, codex, copilot or opencode."
        );
    }

    #[test]
    fn capability_lists_match_the_table() {
        let marketplace: Vec<Platform> = Platform::packages().map(|(p, _)| p).collect();
        assert_eq!(
            marketplace,
            [
                Platform::Claude,
                Platform::Cursor,
                Platform::Codex,
                Platform::Copilot
            ]
        );
        let scripts: Vec<Platform> = Platform::ALL
            .into_iter()
            .filter(|p| p.observability() == Observability::HookScript)
            .collect();
        assert_eq!(scripts, Platform::HOOK_SCRIPT);
        for (p, package) in Platform::packages() {
            for path in [
                package.manifest_path,
                package.mcp_path,
                package.marketplace_path,
            ] {
                assert!(!path.is_empty(), "{p}: a marketplace agent needs its paths");
            }
            assert!(
                package.hook_events.contains(&package.check_event)
                    && !package.decision_events.contains(&package.check_event),
                "{p}: the check event is registered and never decided on"
            );
        }
        assert!(Platform::OpenCode.package().is_none());
        assert_eq!(Platform::OpenCode.id(), "opencode");
        assert_eq!(
            serde_json::to_value(Platform::OpenCode).unwrap(),
            json!("opencode")
        );
        assert_eq!(
            Platform::OpenCode.observability_plugin_name("acme"),
            "acme-observability-opencode"
        );
    }

    #[test]
    fn directory_names_per_agent() {
        assert_eq!(Platform::Claude.plugin_dir("payments"), "payments");
        assert_eq!(Platform::Cursor.plugin_dir("payments"), "payments-cursor");
        assert_eq!(
            Platform::Codex.observability_plugin_name("acme"),
            "acme-observability-codex"
        );
        assert_eq!(
            Platform::Cursor.package().unwrap().hook_command("stop"),
            "sh \"${CURSOR_PLUGIN_ROOT}/hooks/gram-hook.sh\" stop"
        );
    }
}
