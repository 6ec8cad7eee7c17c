//! A throwaway OpenCode home for the OpenCode suite and its benchmark: every XDG directory, a
//! project, the fake model provider's config, and the observability plugin installed from the
//! ZIP a teammate receives.

use std::path::{Path, PathBuf};
use std::process::Command;

use gram_admin_core::{export, render, Platform};
use serde_json::{json, Value};

use crate::fake_model::FakeModel;
use crate::{fixture_org, test_key};

/// A throwaway OpenCode home: every XDG directory, a project, the fake provider's config.
#[derive(Debug)]
pub struct OpenCodeHome {
    dir: tempfile::TempDir,
}

impl OpenCodeHome {
    pub fn new(model: &FakeModel) -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        for sub in [
            "home",
            "config/opencode",
            "data",
            "state",
            "cache",
            "project",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("dirs");
        }
        let config = json!({
            "$schema": "https://opencode.ai/config.json",
            "provider": { "fake": {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Fake",
                "options": { "baseURL": format!("{}/v1", model.url()), "apiKey": "dummy" },
                "models": { "fake-model": { "name": "Fake", "tool_call": true } },
            }},
            "permission": { "bash": "allow" },
        });
        std::fs::write(
            dir.path().join("config/opencode/opencode.json"),
            serde_json::to_vec_pretty(&config).expect("json"),
        )
        .expect("config");
        Self { dir }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config/opencode")
    }

    pub fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Exports the plugin for `server` as the ZIP a teammate receives and extracts it into the
    /// OpenCode config directory, as the README says.
    pub fn install_plugin(&self, server: &str) {
        self.install_plugin_at(server, gram_admin_core::privacy::Content::Full);
    }

    /// [`Self::install_plugin`], the plugin at privacy level `content`.
    pub fn install_plugin_at(&self, server: &str, content: gram_admin_core::privacy::Content) {
        let bundle = render::observability_plugin(
            &fixture_org(server).with_content(content),
            &test_key(),
            Platform::OpenCode,
        )
        .expect("render");
        let bytes = export::zip_bytes(&bundle).expect("zip");
        zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .expect("zip")
            .extract(self.config_dir())
            .expect("unzip");
    }

    /// The same installed plugin (same spool), now pointing at `server`: the same Gram on
    /// another port, back up.
    pub fn repoint(&self, server: &str) {
        let path = self.config_dir().join("plugin/gram-observability.json");
        let mut data: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("data file")).expect("json");
        data["server"] = json!(server);
        data["endpoint"] = json!(format!("{server}/rpc/hooks.ingest"));
        std::fs::write(&path, serde_json::to_vec(&data).expect("json")).expect("write");
    }

    /// OpenCode's data directory (sessions, logs).
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `opencode` in this home, offline, with no arguments yet.
    pub fn bare_command(&self, opencode: &Path) -> Command {
        let mut cmd = Command::new(opencode);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let d = self.dir.path();
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", d.join("home"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_STATE_HOME", d.join("state"))
            .env("XDG_CACHE_HOME", d.join("cache"))
            .env("TMPDIR", std::env::temp_dir())
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1")
            .env("OPENCODE_DISABLE_MODELS_FETCH", "1")
            .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
            .env("OPENCODE_DISABLE_SHARE", "1")
            .env("OPENCODE_DISABLE_LSP_DOWNLOAD", "1")
            .env("OPENCODE_DISABLE_DEFAULT_PLUGINS", "1")
            // OpenCode npm-installs @opencode-ai/plugin into the config dir at start: a dead
            // local registry, without npm's retries (10 s + 60 s), makes that fail at once.
            .env("npm_config_registry", "http://127.0.0.1:9/")
            .env("npm_config_fetch_retries", "0")
            .current_dir(self.project())
            .stdin(std::process::Stdio::null());
        cmd
    }
}
