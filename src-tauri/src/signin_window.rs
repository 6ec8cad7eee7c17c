//! Gram sign-in in an app window (SPEC §5): Gram has no token endpoint for dashboard sessions,
//! so the app loads `<server>/rpc/auth.login` in a window of its own and reads the
//! `gram_session` cookie once Gram's callback has set it. The window is a plain browser: no
//! capability names it, so the page it shows cannot call the app's commands.

use std::time::{Duration, Instant};

use gram_admin_core::Sensitive;
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::error::{AppError, ErrorCode};

pub const SIGN_IN_WINDOW: &str = "gram-sign-in";
const SESSION_COOKIE: &str = "gram_session";
/// How long the admin has to finish signing in.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);

/// Opens the sign-in window and waits (asynchronously: reading cookies from a synchronous
/// command deadlocks on Windows) for the session cookie; closes the window when it has it.
pub async fn session_from_window<R: Runtime>(
    app: &AppHandle<R>,
    server: &str,
) -> Result<Sensitive<String>, AppError> {
    let base: tauri::Url = server.parse().map_err(|e| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("{server:?} is not a URL: {e}."),
        )
    })?;
    let login = base.join("/rpc/auth.login").map_err(AppError::internal)?;
    if let Some(open) = app.get_webview_window(SIGN_IN_WINDOW) {
        let _ = open.close();
    }
    let window = WebviewWindowBuilder::new(app, SIGN_IN_WINDOW, WebviewUrl::External(login))
        .title("Sign in to Gram")
        .inner_size(520.0, 720.0)
        .build()
        .map_err(AppError::internal)?;
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(400)).await;
        if app.get_webview_window(SIGN_IN_WINDOW).is_none() {
            return Err(AppError::new(
                ErrorCode::NotSignedIn,
                "The sign-in window was closed before Gram signed you in; sign in again, or paste a session.",
            ));
        }
        if started.elapsed() > SIGN_IN_TIMEOUT {
            let _ = window.close();
            return Err(AppError::new(
                ErrorCode::NotSignedIn,
                "Signing in took more than 10 minutes; try again.",
            ));
        }
        let cookies = window.cookies_for_url(base.clone()).unwrap_or_default();
        if let Some(cookie) = cookies.iter().find(|c| c.name() == SESSION_COOKIE) {
            let session = Sensitive::new(cookie.value().to_owned());
            let _ = window.close();
            return Ok(session);
        }
    }
}
