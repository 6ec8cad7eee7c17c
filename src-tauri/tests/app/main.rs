//! The app shell without a window: the commands called directly, the same commands invoked
//! through Tauri's IPC on the mock runtime (what the UI sends and receives), and the shell's
//! configuration (permissions, the one module that talks to Tauri), and how the app ships
//! (bundles, CI).

mod boundary;
mod commands;
mod github;
mod gram;
mod ipc;
mod release;
mod shell;

use gram_admin_core::OrgConfig;

/// A valid organisation, as the form sends it.
fn config() -> OrgConfig {
    OrgConfig {
        org_name: "Acme Corp".into(),
        org_email: None,
        server_url: "https://app.getgram.ai".into(),
        project_slug: "default".into(),
        marketplace_name: None,
        content: Default::default(),
    }
}
