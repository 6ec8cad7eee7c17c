//! The app's commands: each an adapter of a few lines over the core's actions — parse the
//! input, call the action, present its outcome.

use gram_admin_core::actions::export::{Export, KeyChoice};
use gram_admin_core::actions::keys::Retired;
use gram_admin_core::actions::network::{self, NetworkSettings};
use gram_admin_core::actions::plugins::Plugins;
use gram_admin_core::actions::preview::{self as previews, Key};
use gram_admin_core::actions::rollout::Rollout;
use gram_admin_core::actions::session::{self, GramAccount, GramStatus};
use gram_admin_core::actions::{check_hook as checks, keys, plugins, rollout};
use gram_admin_core::check_hook::{CheckHookResult, DEFAULT_TIMEOUT};
use gram_admin_core::github::Cancel;
use gram_admin_core::gram::ApiKey;
use gram_admin_core::preview::PreviewFile;
use gram_admin_core::privacy::Content;
use gram_admin_core::render::rollout::Channel;
use gram_admin_core::{
    FeaturePlugin, HooksKey, MarketplaceRepo, OrgConfig, Platform, PlatformInfo, ProjectSlug,
    Sensitive, ServerUrl,
};
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::error::AppError;
use crate::progress::Window;
use crate::state::AppState;
use crate::views::{ExportStep, ExportedZip, EXPORT_STEP_EVENT};

/// Sends one labelled test event through the rendered plugin's curl config, as a teammate's
/// hook would, with the key the admin pasted (used once, never kept or returned) or, without
/// one, the placeholder, which Gram refuses with 401.
#[tauri::command]
pub async fn check_hook(
    state: State<'_, AppState>,
    config: OrgConfig,
    platform: Platform,
    key: Option<String>,
) -> Result<CheckHookResult, AppError> {
    let key = match key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(text) => HooksKey::parse(text)?,
        None => HooksKey::placeholder(),
    };
    Ok(checks::check(state.ctx(), &config, platform, key, DEFAULT_TIMEOUT).await?)
}

/// The agents gram-admin renders for, in the order the UI offers them.
#[tauri::command]
pub fn list_platforms() -> Vec<PlatformInfo> {
    Platform::table()
}

/// Every file of the plugin, `hooks/hooks.json` first, the key masked unless `reveal` is set.
/// Previews use the placeholder key: a real key is minted only when the plugin is downloaded.
#[tauri::command]
pub async fn preview_plugin(
    state: State<'_, AppState>,
    config: OrgConfig,
    platform: Platform,
    reveal: Option<bool>,
) -> Result<Vec<PreviewFile>, AppError> {
    let key = if reveal == Some(true) {
        Key::Revealed
    } else {
        Key::Masked
    };
    Ok(previews::plugin(state.ctx(), &config, platform, key).await?)
}

/// Asks where to save (native dialog), then — signed in to Gram — mints a hooks key and writes
/// the ZIP with it (revoking the key if the write fails); with no Gram session, writes the ZIP
/// with the placeholder key. `None` when the admin cancels.
#[tauri::command]
pub async fn export_plugin_zip<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    config: OrgConfig,
    platform: Platform,
) -> Result<Option<ExportedZip>, AppError> {
    let ctx = state.ctx();
    let export = Export::prepare(ctx, &config, platform, KeyChoice::MintIfSignedIn).await?;
    let _ = app.emit(EXPORT_STEP_EVENT, ExportStep::ChooseFile);
    let Some(path) = crate::dialog::ask_save_path(&export.file_name()).await? else {
        return Ok(None);
    };
    let progress = Window::sink(&app, Cancel::new());
    Ok(Some(export.zip(ctx, &path, &progress).await?.into()))
}

/// Whether Gram accepts the saved session, and whose it is.
#[tauri::command]
pub async fn gram_status(state: State<'_, AppState>) -> Result<GramStatus, AppError> {
    Ok(session::status(state.ctx()).await?)
}

/// Checks a pasted dashboard session with Gram, then keeps it in the keychain.
#[tauri::command]
pub async fn gram_sign_in(
    state: State<'_, AppState>,
    server: String,
    session: String,
) -> Result<GramAccount, AppError> {
    let server = ServerUrl::parse(&server)?;
    let session = Sensitive::new(session.trim().to_owned());
    let account = session::sign_in(state.ctx(), &server, session, None).await?;
    Ok(session::view(state.ctx(), &account)?)
}

/// Forgets the saved session and the marketplace's hooks key.
#[tauri::command]
pub async fn gram_sign_out(state: State<'_, AppState>) -> Result<(), AppError> {
    session::sign_out(state.ctx()).await?;
    Ok(())
}

/// Saves the project hook events go to.
#[tauri::command]
pub async fn gram_choose_project(
    state: State<'_, AppState>,
    slug: String,
) -> Result<GramAccount, AppError> {
    let slug = ProjectSlug::parse(&slug)?;
    Ok(session::choose_project(state.ctx(), &slug).await?)
}

/// The privacy level last chosen for `project`'s plugins (`full` when never).
#[tauri::command]
pub fn content_level(state: State<'_, AppState>, project: String) -> Result<Content, AppError> {
    let project = ProjectSlug::parse(&project)?;
    Ok(session::content_for(state.ctx(), &project))
}

/// Remembers the privacy level chosen for `project`'s plugins.
#[tauri::command]
pub fn set_content_level(
    state: State<'_, AppState>,
    project: String,
    content: Content,
) -> Result<(), AppError> {
    let project = ProjectSlug::parse(&project)?;
    Ok(session::remember_content(state.ctx(), &project, content)?)
}

/// The hooks keys gram-admin minted in the organization, newest first.
#[tauri::command]
pub async fn list_app_keys(state: State<'_, AppState>) -> Result<Vec<ApiKey>, AppError> {
    Ok(keys::list(state.ctx()).await?)
}

/// Revokes a key gram-admin minted.
#[tauri::command]
pub async fn revoke_app_key(state: State<'_, AppState>, id: String) -> Result<ApiKey, AppError> {
    Ok(keys::revoke(state.ctx(), &id).await?)
}

/// Revokes the keys a rotation replaced that are due; the keys still waiting, with when.
#[tauri::command]
pub async fn retire_keys(state: State<'_, AppState>) -> Result<Retired, AppError> {
    Ok(keys::retire(state.ctx()).await?)
}

/// The chosen project's feature plugins, as Gram lists them.
#[tauri::command]
pub async fn org_plugins(state: State<'_, AppState>) -> Result<Vec<FeaturePlugin>, AppError> {
    Ok(plugins::list(state.ctx(), None).await?.plugins)
}

/// Every file of the marketplace repository, the key masked: with the org's plugins from Gram
/// when signed in, else the observability plugins alone.
#[tauri::command]
pub async fn preview_marketplace(
    state: State<'_, AppState>,
    config: OrgConfig,
    repository: Option<String>,
) -> Result<Vec<PreviewFile>, AppError> {
    let repository = repository
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(MarketplaceRepo::parse)
        .transpose()?;
    Ok(previews::marketplace_repo(
        state.ctx(),
        &config,
        repository,
        &Plugins::FromGramIfSignedIn,
    )
    .await?)
}

/// Every rollout channel's file (one tab each) for the marketplace published to `repository`.
#[tauri::command]
pub async fn rollout_files(
    state: State<'_, AppState>,
    config: OrgConfig,
    repository: String,
) -> Result<Vec<Rollout>, AppError> {
    let repo = MarketplaceRepo::parse(repository.trim())?;
    Ok(rollout::all(state.ctx(), &config, &repo).await?)
}

/// Asks where to save one channel's file (native dialog), then writes it atomically; the path
/// written, or `None` when the admin cancels.
#[tauri::command]
pub async fn save_rollout(
    state: State<'_, AppState>,
    config: OrgConfig,
    repository: String,
    channel: Channel,
) -> Result<Option<String>, AppError> {
    let repo = MarketplaceRepo::parse(repository.trim())?;
    let file = rollout::rollout(state.ctx(), &config, &repo, channel).await?;
    let Some(path) = crate::dialog::ask_save_rollout(&file.file_name).await? else {
        return Ok(None);
    };
    rollout::save(&file, &path)?;
    Ok(Some(path.display().to_string()))
}

/// What the app trusts besides the system's certificate store.
#[tauri::command]
pub fn network_settings(state: State<'_, AppState>) -> NetworkSettings {
    network::settings(state.ctx())
}

/// Trusts the company's CA file (PEM) from now on — every client, and every plugin rendered
/// afterwards carries it — and saves it; `null` forgets it.
#[tauri::command]
pub fn set_ca_file(
    state: State<'_, AppState>,
    github: State<'_, crate::github::GithubState>,
    path: Option<String>,
) -> Result<NetworkSettings, AppError> {
    let path = path
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from);
    let settings = network::set_ca_file(state.ctx(), path)?;
    github.follow_network(state.ctx());
    Ok(settings)
}

/// Signs in through Gram's own sign-in page in an app window, then keeps the session.
#[tauri::command]
pub async fn gram_sign_in_window<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    server: String,
) -> Result<GramAccount, AppError> {
    let server = ServerUrl::parse(&server)?;
    let session = crate::signin_window::session_from_window(&app, server.as_str()).await?;
    let account = session::sign_in(state.ctx(), &server, session, None).await?;
    Ok(session::view(state.ctx(), &account)?)
}
