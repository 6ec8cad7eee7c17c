//! The app's commands: each a thin adapter from typed arguments to core calls.

use std::path::{Path, PathBuf};

use gram_admin_core::app_flows::{managed_settings as settings_snippet, reveal};
use gram_admin_core::check_hook::{check_hook_for, CheckHookResult, DEFAULT_TIMEOUT};
use gram_admin_core::gram::{
    export_with_minted_key, ApiKey, ExportError, SignedIn, ZipDestination,
};
use gram_admin_core::preview::{preview, PreviewFile};
use gram_admin_core::render::{marketplace_for, observability_plugin_for};
use gram_admin_core::{
    export, FeaturePlugin, HooksKey, MarketplaceRepo, MarketplaceSpec, OrgConfig, Platform,
    PlatformInfo, Sensitive,
};
use tauri::{AppHandle, Emitter, Runtime, State};

use crate::error::AppError;
use crate::state::AppState;
use crate::views::{ExportStep, ExportedZip, GramAccount, GramStatus, EXPORT_STEP_EVENT};

/// Sends one labelled test event through the rendered plugin's curl config, as a teammate's
/// hook would, with the key the admin pasted (used once, never kept or returned) or, without
/// one, the placeholder, which Gram refuses with 401. Runs off the UI thread.
#[tauri::command]
pub async fn check_hook(
    config: OrgConfig,
    platform: Platform,
    key: Option<String>,
) -> Result<CheckHookResult, AppError> {
    let key = match key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(text) => HooksKey::parse(text)?,
        None => HooksKey::placeholder(),
    };
    tauri::async_runtime::spawn_blocking(move || {
        check_hook_for(&config, &key, platform, DEFAULT_TIMEOUT)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::from)
}

/// The agents gram-admin renders for, in the order the UI offers them.
#[tauri::command]
pub fn list_platforms() -> Vec<PlatformInfo> {
    Platform::table()
}

/// Every file of the plugin, `hooks/hooks.json` first, the key masked unless `reveal` is set.
/// Previews use the placeholder key: a real key is minted only when the plugin is downloaded.
#[tauri::command]
pub fn preview_plugin(
    config: OrgConfig,
    platform: Platform,
    reveal: Option<bool>,
) -> Result<Vec<PreviewFile>, AppError> {
    let key = HooksKey::placeholder();
    let files = preview(&observability_plugin_for(&config, &key, platform)?, &key);
    Ok(if reveal == Some(true) {
        self::reveal(files, &key)
    } else {
        files
    })
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
    let step = |s: ExportStep| {
        let _ = app.emit(EXPORT_STEP_EVENT, s);
    };
    let account = state.account_if_any().await?;
    let config = match &account {
        Some(account) => signed_in_config(&state, account, config)?,
        None => config,
    };
    step(ExportStep::ChooseFile);
    let file_name = default_zip_name(&config, platform)?;
    let Some(path) = crate::dialog::ask_save_path(&file_name).await? else {
        return Ok(None);
    };
    let Some(account) = account else {
        step(ExportStep::WriteZip);
        return write_plugin_zip(&config, platform, &path).map(Some);
    };
    let dest = ZipDestination::check(&path)?;
    step(ExportStep::MintKey);
    let exported = export_with_minted_key(&account, platform, &dest, |key| {
        step(ExportStep::WriteZip);
        observability_plugin_for(&config, key, platform)
    })
    .await;
    if let Err(ExportError::Gram(e)) = &exported {
        state.forget_if_refused(e).await;
    }
    let exported = exported?;
    Ok(Some(ExportedZip {
        path: exported.path.display().to_string(),
        minted: true,
        key_name: Some(exported.key.name),
        key_prefix: exported.key.key_prefix,
        files: u32::try_from(exported.files).unwrap_or(u32::MAX),
        bytes: u32::try_from(exported.bytes).unwrap_or(u32::MAX),
    }))
}

/// Signed in, the plugin reports to the account's server and one of its projects: a key minted
/// there is never baked into a plugin that sends it elsewhere.
pub(crate) fn signed_in_config(
    state: &AppState,
    account: &SignedIn,
    config: OrgConfig,
) -> Result<OrgConfig, AppError> {
    let project = account
        .project(Some(&config.project_slug))
        .map(|p| p.slug.clone())
        .or_else(|_| state.project_slug(account))?;
    Ok(OrgConfig {
        server_url: account.server().to_owned(),
        project_slug: project,
        ..config
    })
}

/// The dialog's suggested name: `<org>-observability[-cursor|-codex].zip`.
pub fn default_zip_name(config: &OrgConfig, platform: Platform) -> Result<String, AppError> {
    let org = config.validate()?;
    Ok(format!(
        "{}.zip",
        platform.observability_plugin_name(org.slug())
    ))
}

/// The export without Gram: the placeholder key, rendered and written atomically (mode 0600).
pub fn write_plugin_zip(
    config: &OrgConfig,
    platform: Platform,
    path: &Path,
) -> Result<ExportedZip, AppError> {
    let key = HooksKey::placeholder();
    let bundle = observability_plugin_for(config, &key, platform)?;
    export::write_zip(&bundle, path)?;
    Ok(ExportedZip {
        path: PathBuf::from(path).display().to_string(),
        minted: false,
        key_name: None,
        key_prefix: key.prefix(),
        files: u32::try_from(bundle.len()).unwrap_or(u32::MAX),
        bytes: u32::try_from(bundle.total_bytes()).unwrap_or(u32::MAX),
    })
}

/// Whether Gram accepts the saved session, and whose it is.
#[tauri::command]
pub async fn gram_status(state: State<'_, AppState>) -> Result<GramStatus, AppError> {
    state.status().await
}

/// Checks a pasted dashboard session with Gram, then keeps it in the keychain.
#[tauri::command]
pub async fn gram_sign_in(
    state: State<'_, AppState>,
    server: String,
    session: String,
) -> Result<GramAccount, AppError> {
    state
        .sign_in(&server, Sensitive::new(session.trim().to_owned()))
        .await
}

/// Forgets the saved session.
#[tauri::command]
pub async fn gram_sign_out(state: State<'_, AppState>) -> Result<(), AppError> {
    state.sign_out().await
}

/// Saves the project hook events go to.
#[tauri::command]
pub async fn gram_choose_project(
    state: State<'_, AppState>,
    slug: String,
) -> Result<GramAccount, AppError> {
    state.choose_project(&slug).await
}

/// The hooks keys gram-admin minted in the organization, newest first.
#[tauri::command]
pub async fn list_app_keys(state: State<'_, AppState>) -> Result<Vec<ApiKey>, AppError> {
    let account = state.account().await?;
    state.checked(account.app_keys().await).await
}

/// Revokes a key gram-admin minted.
#[tauri::command]
pub async fn revoke_app_key(state: State<'_, AppState>, id: String) -> Result<ApiKey, AppError> {
    let account = state.account().await?;
    state.checked(account.revoke_app_key(&id).await).await
}

/// The chosen project's feature plugins, as Gram lists them.
#[tauri::command]
pub async fn org_plugins(state: State<'_, AppState>) -> Result<Vec<FeaturePlugin>, AppError> {
    let account = state.account().await?;
    let project = account
        .project(Some(&state.project_slug(&account)?))?
        .clone();
    state.checked(account.feature_plugins(&project).await).await
}

/// Every file of the marketplace repository, the key masked: with the org's plugins from Gram
/// when signed in, else the observability plugins alone.
#[tauri::command]
pub async fn preview_marketplace(
    state: State<'_, AppState>,
    config: OrgConfig,
    repository: Option<String>,
) -> Result<Vec<PreviewFile>, AppError> {
    let (config, plugins) = match state.account_if_any().await? {
        Some(account) => {
            let config = signed_in_config(&state, &account, config)?;
            let project = account.project(Some(&config.project_slug))?.clone();
            let plugins = state
                .checked(account.feature_plugins(&project).await)
                .await?;
            (config, plugins)
        }
        None => (config, Vec::new()),
    };
    let org = config.validate()?;
    let key = HooksKey::placeholder();
    let spec = MarketplaceSpec {
        plugins,
        repository: repository.filter(|r| !r.trim().is_empty()),
    };
    Ok(preview(&marketplace_for(&org, &key, &spec)?, &key))
}

/// The managed-settings JSON that makes the observability plugin required for the team.
#[tauri::command]
pub fn managed_settings(config: OrgConfig, repository: String) -> Result<String, AppError> {
    let org = config.validate()?;
    let repo = MarketplaceRepo::parse(repository.trim())?;
    Ok(settings_snippet(&org, &repo))
}

/// Signs in through Gram's own sign-in page in an app window, then keeps the session.
#[tauri::command]
pub async fn gram_sign_in_window<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    server: String,
) -> Result<GramAccount, AppError> {
    let client = AppState::client(&server)?;
    let session = crate::signin_window::session_from_window(&app, client.server()).await?;
    state.sign_in(client.server(), session).await
}
