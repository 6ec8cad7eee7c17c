//! Pages the app opens in the system browser: only pages of the configured GitHub, checked
//! here as URLs (never as text), and handed to the `open` crate, which starts the platform's
//! opener without a shell (ShellExecuteW on Windows, `open` on macOS, xdg-open & co. on
//! Linux): nothing in a URL is ever parsed as a command.

use tauri::Url;

use crate::error::{AppError, ErrorCode};

/// Whether plain-http pages on this machine may be opened: only in debug builds, for the test
/// stand-ins on 127.0.0.1. A release build opens https pages only.
pub(crate) const LOOPBACK_HTTP: bool = cfg!(debug_assertions);

/// The characters a page address may hold: GitHub's pages the app opens (a commit, the
/// device-flow page) need no more, and none of them means anything to a shell (`&`, `|`,
/// `^`, quotes, whitespace are all refused).
fn url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~/:?#=%+,".contains(c)
}

/// `url` when it is a page on `web` (the configured GitHub's web address, e.g.
/// `https://github.com/`): the same scheme, host and port, https (or plain http on this
/// machine when `loopback_http`), no user name or password, and only [`url_char`]s. The error
/// is a sentence for the admin.
pub(crate) fn github_page(url: &str, web: &str, loopback_http: bool) -> Result<Url, String> {
    let refuse = || format!("Only pages on {web} are opened from the app.");
    let web: Url = web.parse().map_err(|_| refuse())?;
    if !url.chars().all(url_char) {
        return Err(refuse());
    }
    let page: Url = url.parse().map_err(|_| refuse())?;
    let secure = match page.scheme() {
        "https" => true,
        "http" => loopback_http && is_loopback(&page),
        _ => false,
    };
    if !secure
        || page.origin() != web.origin()
        || !page.username().is_empty()
        || page.password().is_some()
    {
        return Err(refuse());
    }
    Ok(page)
}

/// Whether `url`'s host is this machine (`localhost`, 127.0.0.0/8, `::1`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Opens a checked page in the system browser.
pub(crate) fn open(page: &Url) -> Result<(), AppError> {
    open::that_detached(page.as_str()).map_err(|e| {
        AppError::new(
            ErrorCode::Internal,
            format!("Could not open a browser ({e}); open {page} yourself."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GITHUB: &str = "https://github.com/";

    #[test]
    fn only_https_pages_of_the_configured_github_are_opened() {
        for ok in [
            "https://github.com/acme/agent-plugins/commit/0123abc",
            "https://github.com/login/device",
            "https://github.com",
            "https://github.com/acme/plugins?tab=readme#top",
        ] {
            assert!(github_page(ok, GITHUB, false).is_ok(), "{ok} refused");
        }
        for bad in [
            // A shell would have run calc after `&`; and the rest is not GitHub's page either.
            "https://github.com/x&calc",
            "https://github.com/x\"&calc",
            "https://github.com/x\n&calc",
            "https://github.com/x\t",
            "https://github.com/x y",
            "http://github.com/acme",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://github.com.evil.test/acme",
            "https://evil.test/https://github.com/",
            "https://github.com@evil.test/",
            "https://user:pw@github.com/acme",
            "https://github.com:8443/acme",
            "https://gist.github.com/acme",
            "//github.com/acme",
            "github.com/acme",
            "",
        ] {
            let err = github_page(bad, GITHUB, false).expect_err(bad);
            assert_eq!(
                err,
                "Only pages on https://github.com/ are opened from the app."
            );
        }
    }

    #[test]
    fn an_enterprise_github_is_its_own_origin() {
        let web = "https://github.acme.test/";
        assert!(github_page("https://github.acme.test/acme/p/commit/1", web, false).is_ok());
        assert!(github_page("https://github.com/acme/p/commit/1", web, false).is_err());
    }

    #[test]
    fn plain_http_only_on_this_machine_and_only_when_allowed() {
        let web = "http://127.0.0.1:4567/";
        let page = "http://127.0.0.1:4567/acme/p/commit/1";
        assert!(github_page(page, web, true).is_ok());
        assert!(github_page(page, web, false).is_err(), "release builds");
        let remote = "http://github.acme.test/";
        assert!(github_page("http://github.acme.test/acme", remote, true).is_err());
        assert!(github_page("http://127.0.0.1:9999/acme", web, true).is_err());
    }
}
