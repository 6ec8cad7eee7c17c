//! Gram sign-in in an app window (SPEC §5): Gram has no token endpoint for dashboard sessions,
//! so the app loads `<server>/rpc/auth.login` in a window of its own and reads the
//! `gram_session` cookie once Gram's callback has set it. The window is a plain browser: no
//! capability names it, so the page it shows cannot call the app's commands. It keeps its
//! cookies (Gram's, the identity provider's) in memory only — an ephemeral data store, gone
//! when the window closes — and it goes only to https pages and Gram's own origin; it opens
//! no other window.

use std::time::{Duration, Instant};

use gram_admin_core::Sensitive;
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindowBuilder};

use crate::error::{AppError, ErrorCode};
use crate::opener::{is_loopback, LOOPBACK_HTTP};

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
    let gram = base.clone();
    let window = WebviewWindowBuilder::new(app, SIGN_IN_WINDOW, WebviewUrl::External(login))
        .title("Sign in to Gram")
        .inner_size(520.0, 720.0)
        .incognito(ephemeral_store())
        .on_navigation(move |url| may_navigate(url, &gram, LOOPBACK_HTTP))
        .on_new_window(|_, _| NewWindowResponse::Deny)
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

/// Whether the sign-in window gets an ephemeral data store of its own: always, except in a
/// debug build driven by WebDriver (tauri-driver sets `TAURI_WEBVIEW_AUTOMATION=true`), where
/// WebKit lets only the first web context be automated and the e2e suite could not reach the
/// identity provider's page in a second, ephemeral one.
fn ephemeral_store() -> bool {
    !(cfg!(debug_assertions) && std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true"))
}

/// Where the sign-in window may go: Gram's own origin (whatever its scheme: a Gram on this
/// machine is plain http), any https page (Gram's identity provider is another site), and the
/// blank documents pages build frames from. Plain http elsewhere only on this machine, and only
/// when `loopback_http` (debug builds: the test stand-ins' identity provider).
pub(crate) fn may_navigate(url: &Url, gram: &Url, loopback_http: bool) -> bool {
    if url.origin() == gram.origin() && url.origin().is_tuple() {
        return true;
    }
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => loopback_http && is_loopback(url),
        "about" => matches!(url.path(), "blank" | "srcdoc"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        s.parse().expect(s)
    }

    #[test]
    fn the_sign_in_window_goes_only_to_https_pages_and_gram() {
        let gram = url("https://app.getgram.ai");
        for ok in [
            "https://app.getgram.ai/rpc/auth.login",
            "https://app.getgram.ai/rpc/auth.callback?code=1&state=2",
            "https://auth.workos.com/sso/authorize?client_id=x",
            "https://accounts.google.com/o/oauth2/v2/auth",
            "about:blank",
            "about:srcdoc",
        ] {
            assert!(may_navigate(&url(ok), &gram, false), "{ok} refused");
        }
        for bad in [
            "http://app.getgram.ai/rpc/auth.login",
            "http://evil.test/phish",
            "http://127.0.0.1:8080/",
            "file:///etc/passwd",
            "javascript:alert(document.cookie)",
            "data:text/html,<h1>sign in</h1>",
            "tauri://localhost/",
            "ipc://localhost/gram_sign_out",
            "ftp://files.test/",
            "about:config",
        ] {
            assert!(!may_navigate(&url(bad), &gram, false), "{bad} allowed");
        }
    }

    #[test]
    fn outside_webdriver_the_sign_in_window_keeps_no_cookie_on_disk() {
        assert_eq!(std::env::var_os("TAURI_WEBVIEW_AUTOMATION"), None);
        assert!(ephemeral_store(), "the sign-in window must be incognito");
    }

    #[test]
    fn a_gram_on_this_machine_is_reached_over_http_and_other_http_only_when_allowed() {
        let gram = url("http://127.0.0.1:4567");
        assert!(may_navigate(
            &url("http://127.0.0.1:4567/rpc/auth.callback"),
            &gram,
            false
        ));
        let idp = url("http://127.0.0.1:4568/authorize");
        assert!(!may_navigate(&idp, &gram, false), "release builds");
        assert!(
            may_navigate(&idp, &gram, true),
            "debug builds: the stand-in's IdP"
        );
        assert!(!may_navigate(&url("http://evil.test/"), &gram, true));
    }
}
