//! Getting a GitHub token: the OAuth device flow (polled here, so each of GitHub's answers gets
//! its own message, `access_denied` and `expired_token` included), or a pasted token. The token lives only in the OS keychain
//! ([`SecretName::GithubToken`]); `GITHUB_TOKEN`, when set, is used instead.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::GithubError;
use crate::net::Network;
use crate::secrets::{SecretName, SecretStore};
use crate::sensitive::Sensitive;

/// The environment variable that, when set, is the token (and the keychain is not read).
pub const TOKEN_ENV: &str = "GITHUB_TOKEN";
/// The environment variable that overrides [`DEFAULT_CLIENT_ID`].
pub const CLIENT_ID_ENV: &str = "GRAM_ADMIN_GITHUB_CLIENT_ID";
/// The OAuth app gram-admin signs in through (device flow enabled). Override it with
/// `--client-id` or [`CLIENT_ID_ENV`], e.g. for your own OAuth app or GitHub Enterprise.
pub const DEFAULT_CLIENT_ID: &str = "Ov23liGramAdminCli0";
/// Where GitHub.com's device-flow endpoints live; GitHub Enterprise Server: `https://HOST`.
pub const DEFAULT_OAUTH_URL: &str = "https://github.com";
/// What the token may do: `repo` lets it create the marketplace repository and push to it.
pub const SCOPES: &str = "repo";

/// Where the token in use came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TokenSource {
    /// The `GITHUB_TOKEN` environment variable.
    Environment,
    /// The OS keychain (saved by `github login`).
    Keychain,
}

/// The token to publish with: `GITHUB_TOKEN` when set (non-empty), else the keychain's.
pub fn current_token(
    store: &dyn SecretStore,
) -> Result<Option<(Sensitive<String>, TokenSource)>, GithubError> {
    token_from(store, std::env::var(TOKEN_ENV).ok())
}

/// [`current_token`] with the environment's value given (tests).
pub fn token_from(
    store: &dyn SecretStore,
    env: Option<String>,
) -> Result<Option<(Sensitive<String>, TokenSource)>, GithubError> {
    if let Some(token) = env.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) {
        return Ok(Some((Sensitive::new(token), TokenSource::Environment)));
    }
    Ok(store
        .get(SecretName::GithubToken)?
        .map(|t| (t, TokenSource::Keychain)))
}

/// Checks a pasted token's shape (no spaces or control characters) and keeps it in the keychain.
pub fn save_token(store: &dyn SecretStore, token: &Sensitive<String>) -> Result<(), GithubError> {
    parse_token(token.expose())?;
    store.set(SecretName::GithubToken, token)?;
    Ok(())
}

/// Forgets the saved token (not an error when there is none).
pub fn forget_token(store: &dyn SecretStore) -> Result<(), GithubError> {
    store.delete(SecretName::GithubToken)?;
    Ok(())
}

/// A pasted token, trimmed; refused when empty or holding whitespace or control characters.
/// The message never repeats the token.
pub fn parse_token(raw: &str) -> Result<Sensitive<String>, GithubError> {
    let token = raw.trim();
    if token.is_empty()
        || token.len() > 1024
        || token.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(GithubError::BadToken);
    }
    Ok(Sensitive::new(token.to_owned()))
}

/// What to show the user while the device flow waits: go to `verification_uri`, type `user_code`.
#[derive(Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Seconds between polls, as GitHub asks.
    pub interval: u64,
    #[serde(skip)]
    #[ts(skip)]
    device_code: Sensitive<String>,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// One answer of the token endpoint.
#[derive(Debug)]
pub enum DevicePoll {
    /// Not entered yet: poll again after the interval.
    Pending,
    /// Polling too fast: poll again after this many seconds.
    SlowDown { interval: u64 },
    /// Signed in.
    Token(Sensitive<String>),
}

/// GitHub's OAuth device flow, polled by us.
#[derive(Debug, Clone)]
pub struct DeviceFlow {
    http: Result<reqwest::Client, crate::net::NetProblem>,
    net: Network,
    oauth_url: String,
    client_id: String,
    /// The length of GitHub's "second" between polls (tests shorten it).
    second: Duration,
}

#[derive(Deserialize)]
struct CodeAnswer {
    device_code: String,
    user_code: String,
    verification_uri: String,
    expires_in: u64,
    interval: Option<u64>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    interval: Option<u64>,
}

impl DeviceFlow {
    /// `oauth_url`: [`DEFAULT_OAUTH_URL`], a GitHub Enterprise host, or a test server.
    ///
    /// Redirects are never followed: a 307 or 308 would re-send the form, device code and all,
    /// to wherever the answer points.
    pub fn new(oauth_url: impl Into<String>, client_id: impl Into<String>) -> Self {
        let net = Network::system();
        Self {
            http: Self::client(&net),
            net,
            oauth_url: oauth_url.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            second: Duration::from_secs(1),
        }
    }

    /// The same flow over `net` (its CA file; the proxy is the environment's either way).
    pub fn with_network(mut self, net: &Network) -> Self {
        self.http = Self::client(net);
        self.net = net.clone();
        self
    }

    fn client(net: &Network) -> Result<reqwest::Client, crate::net::NetProblem> {
        net.client(
            reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .redirect(reqwest::redirect::Policy::none()),
        )
    }

    /// Scales GitHub's poll intervals (tests play a whole flow in milliseconds).
    pub fn with_second(mut self, second: Duration) -> Self {
        self.second = second;
        self
    }

    async fn post_form<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<T, GithubError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let url = format!("{}{path}", self.oauth_url);
        let doing = || format!("signing in to GitHub at {}", self.oauth_url);
        let http = self
            .http
            .as_ref()
            .map_err(|problem| GithubError::Connection {
                doing: doing(),
                problem: problem.clone(),
            })?;
        let response = http
            .post(&url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if let Some(problem) = self.net.explain(&url, &e) {
                    return GithubError::Connection {
                        doing: doing(),
                        problem,
                    };
                }
                GithubError::DeviceFlow(format!(
                    "Could not reach GitHub's sign-in at {} ({}). Check the network, or paste a token instead.",
                    self.oauth_url,
                    e.without_url()
                ))
            })?;
        let status = response.status();
        if status.is_redirection() {
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map_or_else(|| "elsewhere".to_owned(), |l| format!("to {l}"));
            return Err(GithubError::DeviceFlow(format!(
                "GitHub's sign-in at {} answered {status}, sending gram-admin {to}; gram-admin does not follow redirects when signing in: set the GitHub address (--github-url or GRAM_ADMIN_GITHUB_URL) to where GitHub really is, or paste a token instead.",
                self.oauth_url
            )));
        }
        let text = response.text().await.unwrap_or_default();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(GithubError::DeviceFlow(format!(
                "GitHub's sign-in at {} does not know the client id {:?}, or device flow is not available there: check --client-id (the OAuth app must have device flow enabled), or paste a token instead.",
                self.oauth_url, self.client_id
            )));
        }
        serde_json::from_str(&text).map_err(|_| {
            GithubError::DeviceFlow(format!(
                "GitHub's sign-in answered {status} with something gram-admin does not understand; paste a token instead."
            ))
        })
    }

    /// Starts a sign-in: the code the user types at the verification URL.
    pub async fn request_code(&self) -> Result<DeviceCode, GithubError> {
        let answer: Result<CodeAnswer, _> = self
            .post_form(
                "/login/device/code",
                &[("client_id", &self.client_id), ("scope", SCOPES)],
            )
            .await;
        let a = answer?;
        Ok(DeviceCode {
            user_code: a.user_code,
            verification_uri: a.verification_uri,
            expires_in: a.expires_in,
            interval: a.interval.unwrap_or(5).max(1),
            device_code: Sensitive::new(a.device_code),
        })
    }

    /// Asks once whether the user has entered the code.
    pub async fn poll(&self, code: &DeviceCode) -> Result<DevicePoll, GithubError> {
        let answer: TokenAnswer = self
            .post_form(
                "/login/oauth/access_token",
                &[
                    ("client_id", &self.client_id),
                    ("device_code", code.device_code.expose()),
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ],
            )
            .await?;
        if let Some(token) = answer.access_token.filter(|t| !t.is_empty()) {
            return Ok(DevicePoll::Token(Sensitive::new(token)));
        }
        let error = answer.error.unwrap_or_default();
        let message = match error.as_str() {
            "authorization_pending" => return Ok(DevicePoll::Pending),
            "slow_down" => {
                return Ok(DevicePoll::SlowDown {
                    interval: answer.interval.unwrap_or(code.interval + 5),
                })
            }
            "expired_token" => "The sign-in code expired before it was entered on GitHub: run `gram-admin github login` again and enter the new code within its time.".to_owned(),
            "access_denied" => "Sign-in was cancelled on GitHub (access denied): run `gram-admin github login` again and choose Authorize, or paste a token instead.".to_owned(),
            "device_flow_disabled" => "Device sign-in is not enabled for this GitHub OAuth app: enable \"Device Flow\" in its settings, use another --client-id, or paste a token instead.".to_owned(),
            "incorrect_client_credentials" => format!("GitHub does not know the client id {:?}: check --client-id, or paste a token instead.", self.client_id),
            "incorrect_device_code" => "GitHub does not recognise this sign-in code: run `gram-admin github login` again.".to_owned(),
            _ => format!(
                "GitHub's sign-in failed ({}): run `gram-admin github login` again, or paste a token instead.",
                answer.error_description.as_deref().filter(|d| !d.is_empty()).unwrap_or(if error.is_empty() { "no token in the answer" } else { &error })
            ),
        };
        Err(GithubError::DeviceFlow(message))
    }

    /// Polls until the user has entered the code (or it expires, or they deny access).
    pub async fn wait_for_token(
        &self,
        code: &DeviceCode,
    ) -> Result<Sensitive<String>, GithubError> {
        let mut interval = code.interval;
        let deadline = tokio::time::Instant::now() + self.second * (code.expires_in as u32);
        loop {
            tokio::time::sleep(self.second * interval as u32).await;
            match self.poll(code).await? {
                DevicePoll::Token(token) => return Ok(token),
                DevicePoll::Pending => {}
                DevicePoll::SlowDown { interval: next } => interval = next.max(interval + 1),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(GithubError::DeviceFlow("The sign-in code expired before it was entered on GitHub: run `gram-admin github login` again and enter the new code within its time.".into()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;

    #[test]
    fn the_environment_wins_over_the_keychain() {
        let store = MemoryStore::new();
        assert!(token_from(&store, None).unwrap().is_none());
        save_token(&store, &Sensitive::new("from-keychain".into())).unwrap();
        let (t, source) = token_from(&store, None).unwrap().unwrap();
        assert_eq!(
            (t.expose().as_str(), source),
            ("from-keychain", TokenSource::Keychain)
        );
        let (t, source) = token_from(&store, Some("from-env".into()))
            .unwrap()
            .unwrap();
        assert_eq!(
            (t.expose().as_str(), source),
            ("from-env", TokenSource::Environment)
        );
        let (_, source) = token_from(&store, Some("  ".into())).unwrap().unwrap();
        assert_eq!(source, TokenSource::Keychain);
        forget_token(&store).unwrap();
        forget_token(&store).unwrap();
        assert!(token_from(&store, None).unwrap().is_none());
    }

    #[test]
    fn pasted_tokens_are_checked_without_echoing_them() {
        assert_eq!(parse_token("  abc123\n").unwrap().expose(), "abc123");
        let err = parse_token("abc 123-secretish").unwrap_err();
        assert!(!err.to_string().contains("secretish"), "{err}");
        assert!(parse_token("").is_err());
        assert!(save_token(&MemoryStore::new(), &Sensitive::new("a\tb".into())).is_err());
    }

    #[test]
    fn a_device_code_never_shows_its_device_code() {
        let code = DeviceCode {
            user_code: "ABCD-1234".into(),
            verification_uri: "https://github.com/login/device".into(),
            expires_in: 900,
            interval: 5,
            device_code: Sensitive::new("dev-secret".into()),
        };
        assert!(!format!("{code:?}").contains("dev-secret"));
        assert!(!serde_json::to_string(&code).unwrap().contains("dev-secret"));
    }
}
