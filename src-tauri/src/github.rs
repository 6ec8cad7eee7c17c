//! The GitHub side of the app: connecting (device flow or a token), and publishing the
//! marketplace (plan, then one commit) with each step sent to the UI as an event — adapters
//! over the core's `actions::publish`.

use gram_admin_core::actions::plugins::Plugins;
use gram_admin_core::actions::publish::{MarketplaceStatus, Publish, PublishKey, PublishPreview};
use gram_admin_core::github::auth::{self, DeviceCode, DeviceFlow, TokenSource};
use gram_admin_core::github::{Cancel, PublishOutcome, PublishTarget, Publisher};
use gram_admin_core::{MarketplaceRepo, OrgConfig};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tokio::sync::{Mutex, Notify};

use crate::error::{AppError, ErrorCode};
use crate::progress::Window;
use crate::state::AppState;

pub use crate::progress::PUBLISH_EVENT;

/// The device flow in progress, and the switch that stops the running publish.
#[derive(Debug)]
pub struct GithubState {
    /// Rebuilt when the network settings change (the company's CA file).
    flow: std::sync::RwLock<DeviceFlow>,
    pending: Mutex<Option<DeviceCode>>,
    cancel: Notify,
    publishing: std::sync::Mutex<Option<Cancel>>,
}

impl GithubState {
    /// Signing in through `flow`.
    pub fn new(flow: DeviceFlow) -> Self {
        Self {
            flow: std::sync::RwLock::new(flow),
            pending: Mutex::new(None),
            cancel: Notify::new(),
            publishing: std::sync::Mutex::new(None),
        }
    }

    /// The device flow of the GitHub the app's context points at.
    pub fn for_github(ctx: &gram_admin_core::actions::Context) -> Self {
        Self::new(ctx.github().device_flow(&ctx.network()))
    }

    /// Signs in over the context's current network settings from now on.
    pub fn follow_network(&self, ctx: &gram_admin_core::actions::Context) {
        *self
            .flow
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            ctx.github().device_flow(&ctx.network());
    }

    fn flow(&self) -> DeviceFlow {
        self.flow
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Whether the app can publish to GitHub, and as whom (never the token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum GithubStatus {
    SignedOut,
    SignedIn { login: String, source: TokenSource },
}

/// Who the saved token (or `GITHUB_TOKEN`) belongs to.
#[tauri::command]
pub async fn github_status(state: State<'_, AppState>) -> Result<GithubStatus, AppError> {
    let Some((_, source)) = auth::current_token(state.ctx().store())? else {
        return Ok(GithubStatus::SignedOut);
    };
    let login = state.ctx().publisher()?.user().await?;
    Ok(GithubStatus::SignedIn { login, source })
}

/// Checks a pasted token with GitHub, then keeps it in the keychain.
#[tauri::command]
pub async fn github_sign_in_token(
    state: State<'_, AppState>,
    token: String,
) -> Result<GithubStatus, AppError> {
    let token = auth::parse_token(&token)?;
    sign_in_with(&state, token).await
}

async fn sign_in_with(
    state: &AppState,
    token: gram_admin_core::Sensitive<String>,
) -> Result<GithubStatus, AppError> {
    let login = Publisher::new(
        state
            .ctx()
            .github()
            .connection(token.clone(), &state.ctx().network()),
    )?
    .user()
    .await?;
    auth::save_token(state.ctx().store(), &token)?;
    Ok(GithubStatus::SignedIn {
        login,
        source: TokenSource::Keychain,
    })
}

/// Starts GitHub's device flow: the code to show and the page to type it on.
#[tauri::command]
pub async fn github_device_start(github: State<'_, GithubState>) -> Result<DeviceCode, AppError> {
    let code = github.flow().request_code().await?;
    *github.pending.lock().await = Some(code.clone());
    Ok(code)
}

/// Opens the device flow's verification page in the system browser (only that page: the URL
/// comes from GitHub's answer, never from the webview, and must be a page of the configured
/// GitHub like any other the app opens).
#[tauri::command]
pub async fn github_open_verification(
    state: State<'_, AppState>,
    github: State<'_, GithubState>,
) -> Result<(), AppError> {
    let url = github
        .pending
        .lock()
        .await
        .as_ref()
        .map(|c| c.verification_uri.clone())
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::GithubNotSignedIn,
                "Start signing in to GitHub first.",
            )
        })?;
    let page = crate::opener::github_page(&url, &github_web(&state), crate::opener::LOOPBACK_HTTP)
        .map_err(|e| {
            AppError::new(
                ErrorCode::Remote,
                format!("GitHub sent a verification page the app does not open ({url}). {e}"),
            )
        })?;
    crate::opener::open(&page)
}

/// The configured GitHub's web address (`https://github.com/`, or the Enterprise host).
fn github_web(state: &AppState) -> String {
    state
        .ctx()
        .github()
        .connection(
            gram_admin_core::Sensitive::new(String::new()),
            &state.ctx().network(),
        )
        .web_url("")
}

/// Opens a page of the configured GitHub (the published commit) in the system browser; any
/// other address is refused, so the webview cannot open arbitrary URLs.
#[tauri::command]
pub async fn github_open_page(state: State<'_, AppState>, url: String) -> Result<(), AppError> {
    let page = crate::opener::github_page(&url, &github_web(&state), crate::opener::LOOPBACK_HTTP)
        .map_err(|e| AppError::new(ErrorCode::InvalidInput, e))?;
    crate::opener::open(&page)
}

/// Waits until the code is entered on GitHub (or refused, expired, cancelled), then keeps the
/// token in the keychain.
#[tauri::command]
pub async fn github_device_finish(
    state: State<'_, AppState>,
    github: State<'_, GithubState>,
) -> Result<GithubStatus, AppError> {
    let code = github.pending.lock().await.clone().ok_or_else(|| {
        AppError::new(
            ErrorCode::GithubNotSignedIn,
            "Start signing in to GitHub first.",
        )
    })?;
    let flow = github.flow();
    let token = tokio::select! {
        token = flow.wait_for_token(&code) => token,
        () = github.cancel.notified() => {
            return Err(AppError::new(ErrorCode::GithubNotSignedIn, "Signing in to GitHub was cancelled."));
        }
    };
    *github.pending.lock().await = None;
    sign_in_with(&state, token?).await
}

/// Stops waiting for the device flow.
#[tauri::command]
pub async fn github_device_cancel(github: State<'_, GithubState>) -> Result<(), AppError> {
    *github.pending.lock().await = None;
    github.cancel.notify_waiters();
    Ok(())
}

/// Forgets the saved GitHub token.
#[tauri::command]
pub async fn github_sign_out(state: State<'_, AppState>) -> Result<(), AppError> {
    Ok(auth::forget_token(state.ctx().store())?)
}

/// The marketplace as the app publishes it: the org's plugins from Gram, the marketplace's own
/// hooks key, to the default branch of `repository`.
async fn prepared(
    state: &AppState,
    config: &OrgConfig,
    repository: &str,
) -> Result<Publish, AppError> {
    let repo = MarketplaceRepo::parse(repository.trim())?;
    Ok(Publish::prepare(
        state.ctx(),
        config,
        PublishTarget::new(repo),
        &Plugins::FromGram,
        PublishKey::Marketplace,
    )
    .await?)
}

/// The repository's state at a glance, from reads only: not published yet, N changes to
/// publish, or up to date (the last commit, when, by whom).
#[tauri::command]
pub async fn marketplace_status(
    state: State<'_, AppState>,
    config: OrgConfig,
    repository: String,
) -> Result<MarketplaceStatus, AppError> {
    let publish = prepared(&state, &config, &repository).await?;
    Ok(publish
        .status(state.ctx(), &gram_admin_core::actions::quiet())
        .await?)
}

/// What publishing would change: added, changed (with diffs, keys masked) and removed files.
#[tauri::command]
pub async fn plan_publish(
    state: State<'_, AppState>,
    config: OrgConfig,
    repository: String,
) -> Result<PublishPreview, AppError> {
    let publish = prepared(&state, &config, &repository).await?;
    Ok(publish
        .plan(state.ctx(), &gram_admin_core::actions::quiet())
        .await?)
}

/// Publishes the marketplace as one commit, sending each step as a `publish-event`.
#[tauri::command]
pub async fn publish_marketplace<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    github: State<'_, GithubState>,
    config: OrgConfig,
    repository: String,
) -> Result<PublishOutcome, AppError> {
    // Cancel works from the first moment: a cancel while Gram is still being asked stops the
    // publish before its first GitHub request.
    let cancel = Cancel::new();
    *github.publishing.lock().map_err(AppError::internal)? = Some(cancel.clone());
    let _running = Running(&github.publishing);
    let publish = prepared(&state, &config, &repository).await?;
    let progress = Window::sink(&app, cancel);
    Ok(publish.run(state.ctx(), &progress).await?.outcome)
}

/// The running publish's switch, cleared when the publish ends, however it ends.
struct Running<'a>(&'a std::sync::Mutex<Option<Cancel>>);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Ok(mut running) = self.0.lock() {
            *running = None;
        }
    }
}

/// Stops the running publish if that is still safe (before the branch moves): it then fails
/// with the code `cancelled`, and a key minted for it is revoked. `false`: nothing to stop.
#[tauri::command]
pub fn cancel_publish(github: State<'_, GithubState>) -> Result<bool, AppError> {
    let running = github.publishing.lock().map_err(AppError::internal)?.take();
    Ok(running.map(|cancel| cancel.cancel()).is_some())
}
