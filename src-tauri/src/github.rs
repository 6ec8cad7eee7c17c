//! The GitHub side of the app: connecting (device flow or a token), and publishing the
//! marketplace (plan, then one commit) with each step sent to the UI as an event.

use std::sync::Arc;

use gram_admin_core::app_flows::marketplace_key;
use gram_admin_core::github::auth::{
    self, DeviceCode, DeviceFlow, TokenSource, CLIENT_ID_ENV, DEFAULT_CLIENT_ID, DEFAULT_OAUTH_URL,
};
use gram_admin_core::github::{
    Cancel, GithubConnection, GithubError, PublishEvent, PublishOutcome, PublishPlan,
    PublishTarget, Publisher, DEFAULT_API_URL,
};
use gram_admin_core::render::marketplace_for;
use gram_admin_core::secrets::SecretStore;
use gram_admin_core::{Bundle, HooksKey, MarketplaceRepo, MarketplaceSpec, OrgConfig};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};
use tokio::sync::{Mutex, Notify};

use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// GitHub's API (GitHub Enterprise Server: `https://HOST/api/v3`), as the CLI reads it.
pub const API_ENV: &str = "GRAM_ADMIN_GITHUB_API";
/// GitHub's web address for the device flow (GitHub Enterprise Server: `https://HOST`).
pub const OAUTH_ENV: &str = "GRAM_ADMIN_GITHUB_URL";
/// The event each publish step is sent as ([`PublishEvent`]).
pub const PUBLISH_EVENT: &str = "publish-event";

/// Where GitHub is, the device flow in progress, and the switch that stops the running publish.
#[derive(Debug)]
pub struct GithubState {
    api_url: String,
    flow: DeviceFlow,
    pending: Mutex<Option<DeviceCode>>,
    cancel: Notify,
    publishing: std::sync::Mutex<Option<Cancel>>,
}

impl GithubState {
    /// GitHub's API at `api_url`, signing in through `flow`.
    pub fn new(api_url: &str, flow: DeviceFlow) -> Self {
        Self {
            api_url: api_url.to_owned(),
            flow,
            pending: Mutex::new(None),
            cancel: Notify::new(),
            publishing: std::sync::Mutex::new(None),
        }
    }

    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        Self::new(
            &var(API_ENV, DEFAULT_API_URL),
            DeviceFlow::new(
                var(OAUTH_ENV, DEFAULT_OAUTH_URL),
                var(CLIENT_ID_ENV, DEFAULT_CLIENT_ID),
            ),
        )
    }

    fn publisher(&self, store: &dyn SecretStore) -> Result<Publisher, AppError> {
        let (token, _) = auth::current_token(store)?.ok_or(GithubError::NotSignedIn)?;
        Ok(Publisher::new(GithubConnection::new(&self.api_url, token))?)
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

/// What a publish would change, and whether a marketplace key will be minted for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PublishPreview {
    pub plan: PublishPlan,
    /// No marketplace key is saved yet: publishing mints one (the plan shows the placeholder).
    pub new_key: bool,
}

/// Who the saved token (or `GITHUB_TOKEN`) belongs to.
#[tauri::command]
pub async fn github_status(
    state: State<'_, AppState>,
    github: State<'_, GithubState>,
) -> Result<GithubStatus, AppError> {
    let Some((token, source)) = auth::current_token(state.store())? else {
        return Ok(GithubStatus::SignedOut);
    };
    let login = Publisher::new(GithubConnection::new(&github.api_url, token))?
        .user()
        .await?;
    Ok(GithubStatus::SignedIn { login, source })
}

/// Checks a pasted token with GitHub, then keeps it in the keychain.
#[tauri::command]
pub async fn github_sign_in_token(
    state: State<'_, AppState>,
    github: State<'_, GithubState>,
    token: String,
) -> Result<GithubStatus, AppError> {
    let token = auth::parse_token(&token)?;
    sign_in_with(&state, &github, token).await
}

async fn sign_in_with(
    state: &AppState,
    github: &GithubState,
    token: gram_admin_core::Sensitive<String>,
) -> Result<GithubStatus, AppError> {
    let login = Publisher::new(GithubConnection::new(&github.api_url, token.clone()))?
        .user()
        .await?;
    auth::save_token(state.store(), &token)?;
    Ok(GithubStatus::SignedIn {
        login,
        source: TokenSource::Keychain,
    })
}

/// Starts GitHub's device flow: the code to show and the page to type it on.
#[tauri::command]
pub async fn github_device_start(github: State<'_, GithubState>) -> Result<DeviceCode, AppError> {
    let code = github.flow.request_code().await?;
    *github.pending.lock().await = Some(code.clone());
    Ok(code)
}

/// Opens the device flow's verification page in the system browser (only that page: the URL
/// comes from GitHub's answer, never from the webview, and must be a page of the configured
/// GitHub like any other the app opens).
#[tauri::command]
pub async fn github_open_verification(github: State<'_, GithubState>) -> Result<(), AppError> {
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
    let page = crate::opener::github_page(&url, &github_web(&github), crate::opener::LOOPBACK_HTTP)
        .map_err(|e| {
            AppError::new(
                ErrorCode::Remote,
                format!("GitHub sent a verification page the app does not open ({url}). {e}"),
            )
        })?;
    crate::opener::open(&page)
}

/// The configured GitHub's web address (`https://github.com/`, or the Enterprise host).
fn github_web(github: &GithubState) -> String {
    GithubConnection::new(
        &github.api_url,
        gram_admin_core::Sensitive::new(String::new()),
    )
    .web_url("")
}

/// Opens a page of the configured GitHub (the published commit) in the system browser; any
/// other address is refused, so the webview cannot open arbitrary URLs.
#[tauri::command]
pub async fn github_open_page(github: State<'_, GithubState>, url: String) -> Result<(), AppError> {
    let page = crate::opener::github_page(&url, &github_web(&github), crate::opener::LOOPBACK_HTTP)
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
    let token = tokio::select! {
        token = github.flow.wait_for_token(&code) => token,
        () = github.cancel.notified() => {
            return Err(AppError::new(ErrorCode::GithubNotSignedIn, "Signing in to GitHub was cancelled."));
        }
    };
    *github.pending.lock().await = None;
    sign_in_with(&state, &github, token?).await
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
    Ok(auth::forget_token(state.store())?)
}

/// The marketplace as it would be published: the org's plugins from Gram and the saved
/// marketplace key (or the placeholder until one is minted).
async fn marketplace(
    state: &AppState,
    config: OrgConfig,
    repo: &MarketplaceRepo,
) -> Result<(OrgConfig, MarketplaceSpec, bool), AppError> {
    let account = state.account().await?;
    let config = crate::commands::signed_in_config(state, &account, config)?;
    let project = account.project(Some(&config.project_slug))?.clone();
    let plugins = state
        .checked(account.feature_plugins(&project).await)
        .await?;
    config.validate()?;
    let new_key = marketplace_key::saved(state.store())?.is_none();
    Ok((
        config,
        MarketplaceSpec {
            plugins,
            repository: Some(repo.to_string()),
        },
        new_key,
    ))
}

fn render(
    config: &OrgConfig,
    spec: &MarketplaceSpec,
    key: &HooksKey,
) -> Result<Bundle, gram_admin_core::Error> {
    marketplace_for(&config.validate()?, key, spec)
}

/// What publishing would change: added, changed (with diffs, keys masked) and removed files.
#[tauri::command]
pub async fn plan_publish(
    state: State<'_, AppState>,
    github: State<'_, GithubState>,
    config: OrgConfig,
    repository: String,
) -> Result<PublishPreview, AppError> {
    let repo = MarketplaceRepo::parse(repository.trim())?;
    let (config, spec, new_key) = marketplace(&state, config, &repo).await?;
    let key = marketplace_key::saved(state.store())?.unwrap_or_else(HooksKey::placeholder);
    let bundle = render(&config, &spec, &key)?;
    let target = PublishTarget::new(repo);
    let plan = github
        .publisher(state.store())?
        .plan(&target, &bundle)
        .await?;
    Ok(PublishPreview { plan, new_key })
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
    let repo = MarketplaceRepo::parse(repository.trim())?;
    let (config, spec, _) = marketplace(&state, config, &repo).await?;
    let account = state.account().await?;
    let events = app.clone();
    let publisher = github
        .publisher(state.store())?
        .on_event(move |event: &PublishEvent| {
            let _ = events.emit(PUBLISH_EVENT, event);
        })
        .cancelled_by(cancel);
    let target = PublishTarget::new(repo);
    let store: Arc<dyn SecretStore> = state.store_arc();
    Ok(
        marketplace_key::publish(&account, store.as_ref(), &publisher, &target, |key| {
            render(&config, &spec, key)
        })
        .await?,
    )
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
