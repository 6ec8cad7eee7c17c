//! One connection to GitHub's REST API, with the retry rules publishing needs.
//!
//! The client is reqwest, built by [`crate::net`] like every other (the OS trust store, the CA
//! file, the proxy: octocrab's hyper connector ignored `HTTPS_PROXY`). No retry layer re-sends a
//! POST on a 5xx or ignores `Retry-After` (SPEC §7); the rules are here:
//! - a rate-limit answer (429, or 403 with `x-ratelimit-remaining: 0` or `Retry-After`) is
//!   waited out — `Retry-After`, else until `x-ratelimit-reset` — when the wait is within
//!   [`RetryPolicy::max_wait`], and the wait is reported; the request was not processed, so
//!   re-sending it is safe whatever it is;
//! - a 5xx or a broken connection is retried only for requests that are safe to repeat
//!   ([`Resend::Safe`]: reads, and content-addressed blob and tree creation); anything else
//!   returns to the caller, which checks what happened before doing anything more.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;

use super::{GithubError, PublishEvent, Step};
use crate::net::{NetProblem, Network};
use crate::sensitive::Sensitive;

/// GitHub.com's REST API. GitHub Enterprise Server's is `https://HOST/api/v3`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Where GitHub's API is and the token to use there.
#[derive(Debug, Clone)]
pub struct GithubConnection {
    /// The REST API's base URL, e.g. [`DEFAULT_API_URL`] or `https://github.example.com/api/v3`.
    pub api_url: String,
    pub token: Sensitive<String>,
    /// The trust store, CA file and proxy the API is reached through.
    pub network: Network,
}

impl GithubConnection {
    /// A connection over the system's store and the environment's proxy.
    pub fn new(api_url: impl Into<String>, token: Sensitive<String>) -> Self {
        Self {
            api_url: api_url.into(),
            token,
            network: Network::system(),
        }
    }

    /// The same connection over `net`.
    pub fn with_network(mut self, net: &Network) -> Self {
        self.network = net.clone();
        self
    }

    /// The web address of a page on this GitHub (`https://github.com/owner/name/commit/…`):
    /// GitHub.com's API lives on `api.github.com`, Enterprise Server's under `/api/v3`.
    pub fn web_url(&self, path: &str) -> String {
        let api = self.api_url.trim_end_matches('/');
        let web = if let Some(rest) = api.strip_prefix("https://api.") {
            format!("https://{rest}")
        } else if let Some(host) = api.strip_suffix("/api/v3") {
            host.to_owned()
        } else {
            api.to_owned()
        };
        format!("{web}/{}", path.trim_start_matches('/'))
    }
}

/// How hard to try before giving up.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request that is safe to repeat (a 5xx or a broken connection).
    pub attempts: u32,
    /// The first pause between attempts; it doubles each time.
    pub backoff: Duration,
    /// The longest rate-limit wait gram-admin accepts; beyond it the publish stops and says when
    /// to try again.
    pub max_wait: Duration,
    /// Connect timeout; and the longest wait for an answer.
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// Whether a request may be sent again when its outcome is unknown (a 5xx, a broken connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// Reads, and blob/tree creation (content-addressed: a repeat makes the same object).
    Safe,
    /// Commits, ref updates, file writes, repository creation.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Put,
}

/// A status and its JSON body (`Null` when there was none or it was not JSON).
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// GitHub's error `message`, if any.
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    pub fn str(&self, pointer: &str) -> Option<&str> {
        self.body.pointer(pointer).and_then(Value::as_str)
    }
}

pub(crate) type EventSink = Arc<dyn Fn(&PublishEvent) + Send + Sync>;

/// The HTTP side of the publisher: one reqwest client, and our rules.
pub(crate) struct Api {
    /// Built on first use (the CA file is read then).
    http: OnceLock<Result<reqwest::Client, NetProblem>>,
    pub policy: RetryPolicy,
    pub events: EventSink,
    pub connection: GithubConnection,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("api_url", &self.connection.api_url)
            .finish_non_exhaustive()
    }
}

impl Api {
    pub fn new(
        connection: GithubConnection,
        policy: RetryPolicy,
        events: EventSink,
    ) -> Result<Self, GithubError> {
        let url = connection.api_url.trim_end_matches('/').to_owned();
        let parsed =
            url::Url::parse(&url).map_err(|_| GithubError::BadApiUrl { url: url.clone() })?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(GithubError::BadApiUrl { url });
        }
        Ok(Self {
            http: OnceLock::new(),
            policy,
            events,
            connection,
        })
    }

    fn client(&self, step: Step) -> Result<&reqwest::Client, GithubError> {
        let built = self.http.get_or_init(|| {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static("application/vnd.github+json"),
            );
            headers.insert(
                http::HeaderName::from_static("x-github-api-version"),
                http::HeaderValue::from_static("2022-11-28"),
            );
            self.connection.network.client(
                reqwest::Client::builder()
                    .user_agent(crate::gram::USER_AGENT)
                    .default_headers(headers)
                    .connect_timeout(self.policy.connect_timeout)
                    .read_timeout(self.policy.read_timeout)
                    // A redirect would carry the token elsewhere; GitHub's API answers in place.
                    .redirect(reqwest::redirect::Policy::none()),
            )
        });
        built.as_ref().map_err(|problem| GithubError::Connection {
            doing: step.doing().to_owned(),
            problem: problem.clone(),
        })
    }

    /// Sends one request, the token in its `Authorization` header (never in the URL).
    async fn send_once<B: Serialize + ?Sized>(
        &self,
        http: &reqwest::Client,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let url = format!(
            "{}/{}",
            self.connection.api_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let method = match method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Put => reqwest::Method::PUT,
        };
        let mut request = http
            .request(method, url)
            .bearer_auth(self.connection.token.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await
    }

    pub fn emit(&self, event: PublishEvent) {
        (self.events)(&event);
    }

    /// Sends one request (a path below the API URL, e.g. `/repos/o/r`), retrying what the rules
    /// allow. Every status is returned to the caller except a rate limit beyond the cap, a 401,
    /// and a 5xx or broken connection once retries are used up (or not allowed).
    pub async fn call<B: Serialize + ?Sized>(
        &self,
        step: Step,
        method: Method,
        path: &str,
        body: Option<&B>,
        resend: Resend,
    ) -> Result<Reply, GithubError> {
        let http = self.client(step)?;
        let mut attempt = 1u32;
        let mut waits = 0u32;
        loop {
            let sent = self.send_once(http, method, path, body).await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    // An untrusted certificate or a refusing proxy: nothing was sent, and
                    // trying again changes nothing.
                    if let Some(problem) = self
                        .connection
                        .network
                        .explain(&self.connection.api_url, &e)
                    {
                        return Err(GithubError::Connection {
                            doing: step.doing().to_owned(),
                            problem,
                        });
                    }
                    let why = transport_reason(&e);
                    if resend == Resend::Safe && attempt < self.policy.attempts {
                        self.pause(step, attempt, &why).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(GithubError::Network { step, why });
                }
            };
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let retry_after = header("retry-after");
            let remaining = header("x-ratelimit-remaining");
            let reset = header("x-ratelimit-reset");
            let text = response.text().await.unwrap_or_default();
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let reply = Reply { status, body };

            let rate_limited = status == 429
                || (status == 403 && (retry_after.is_some() || remaining.as_deref() == Some("0")));
            if rate_limited {
                let wait = rate_limit_wait(retry_after.as_deref(), reset.as_deref());
                if wait > self.policy.max_wait || waits >= 3 {
                    return Err(GithubError::RateLimited {
                        step,
                        wait_secs: wait.as_secs().max(1),
                    });
                }
                waits += 1;
                self.emit(PublishEvent::Waiting {
                    step,
                    seconds: wait.as_secs_f64().ceil() as u64,
                    reason: "GitHub's rate limit".into(),
                });
                tokio::time::sleep(wait).await;
                continue;
            }
            if status == 401 {
                return Err(GithubError::Unauthorized);
            }
            if status >= 500 {
                let why = format!("GitHub answered {status}");
                if resend == Resend::Safe && attempt < self.policy.attempts {
                    self.pause(step, attempt, &why).await;
                    attempt += 1;
                    continue;
                }
                return Err(GithubError::Server {
                    step,
                    status,
                    message: reply.message().to_owned(),
                });
            }
            return Ok(reply);
        }
    }

    async fn pause(&self, step: Step, attempt: u32, why: &str) {
        self.emit(PublishEvent::Retrying {
            step,
            attempt: attempt + 1,
            reason: why.to_owned(),
        });
        let factor = 1u32 << (attempt - 1).min(6);
        tokio::time::sleep(self.policy.backoff * factor).await;
    }
}

/// `Retry-After` (seconds) when given; else until `x-ratelimit-reset` (epoch seconds); else the
/// minute GitHub asks for when it gives neither.
fn rate_limit_wait(retry_after: Option<&str>, reset: Option<&str>) -> Duration {
    if let Some(secs) = retry_after.and_then(|v| v.trim().parse::<u64>().ok()) {
        return Duration::from_secs(secs);
    }
    if let Some(reset) = reset.and_then(|v| v.trim().parse::<u64>().ok()) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        return Duration::from_secs(reset.saturating_sub(now) + 1);
    }
    Duration::from_secs(60)
}

/// A short reason for a failed exchange; the token is only ever in a header, never in an error.
fn transport_reason(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    format!("the connection failed: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_for_github_com_and_enterprise() {
        let token = Sensitive::new(String::new());
        let com = GithubConnection::new(DEFAULT_API_URL, token.clone());
        assert_eq!(com.web_url("acme/x"), "https://github.com/acme/x");
        let ghe = GithubConnection::new("https://git.acme.test/api/v3/", token);
        assert_eq!(ghe.web_url("/acme/x"), "https://git.acme.test/acme/x");
    }

    #[test]
    fn rate_limit_waits() {
        assert_eq!(rate_limit_wait(Some("3"), None), Duration::from_secs(3));
        assert_eq!(rate_limit_wait(None, None), Duration::from_secs(60));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let wait = rate_limit_wait(None, Some(&(now + 10).to_string()));
        assert!((10..=12).contains(&wait.as_secs()), "{wait:?}");
    }
}
