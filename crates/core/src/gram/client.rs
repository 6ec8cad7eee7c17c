//! The HTTP client for Gram's dashboard API: one constructor, an injectable base URL, bounded
//! calls, typed errors.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::error::{GramError, Operation};
use super::types::{
    ApiKey, AuthInfo, CreateKeyForm, CreatedKey, ErrorBody, KeyList, Plugin, PluginList, Project,
    ProjectList, Toolset, ToolsetList,
};
use crate::domain::ServerUrl;
use crate::net::Network;
use crate::sensitive::Sensitive;

/// How long gram-admin waits for Gram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the connection (TCP + TLS).
    pub connect: Duration,
    /// For one whole call, from sending the request to the last byte of the answer.
    pub total: Duration,
    /// Before the one retry of an answer Gram marks `temporary`.
    pub retry_backoff: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(20),
            retry_backoff: Duration::from_millis(500),
        }
    }
}

/// The User-Agent every call carries: `gram-admin/<version>`.
pub const USER_AGENT: &str = concat!("gram-admin/", env!("CARGO_PKG_VERSION"));

/// A client for one Gram server (`https://app.getgram.ai`, or a self-hosted one).
///
/// Every call takes the session explicitly; the client itself holds no secret. Redirects are
/// never followed, so the session header cannot be carried to another host.
#[derive(Debug, Clone)]
pub struct GramClient {
    http: reqwest::Client,
    server: ServerUrl,
    timeouts: Timeouts,
    net: Network,
}

impl GramClient {
    /// A client for `server` with the default timeouts, over `net` (trust store, CA, proxy).
    pub fn new(server: &ServerUrl, net: &Network) -> Result<Self, GramError> {
        Self::with_timeouts(server, net, Timeouts::default())
    }

    pub fn with_timeouts(
        server: &ServerUrl,
        net: &Network,
        timeouts: Timeouts,
    ) -> Result<Self, GramError> {
        let server = server.clone();
        let builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .redirect(reqwest::redirect::Policy::none());
        let http = net
            .client(builder)
            .map_err(|problem| GramError::NetworkSetup {
                server: server.to_string(),
                problem,
            })?;
        Ok(Self {
            http,
            server,
            timeouts,
            net: net.clone(),
        })
    }

    /// The network settings this client was built with.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// The server's base URL (`https://app.getgram.ai`, no trailing `/`).
    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    /// Where a toolset's MCP server lives on this Gram: `<server>/mcp/<mcp_slug>`.
    pub fn mcp_url(&self, mcp_slug: &str) -> String {
        format!("{}/mcp/{mcp_slug}", self.server)
    }

    /// `auth.info`: who the session belongs to, their organizations and projects.
    pub async fn info(&self, session: &Sensitive<String>) -> Result<AuthInfo, GramError> {
        self.call(Operation::AuthInfo, Method::GET, session, &Call::default())
            .await
    }

    /// `auth.logout`: Gram ends the session, so it stops working everywhere (a copy of it in a
    /// browser's cookie jar included).
    pub async fn logout(&self, session: &Sensitive<String>) -> Result<(), GramError> {
        self.call_no_content(
            Operation::AuthLogout,
            Method::POST,
            session,
            &Call::default(),
        )
        .await
    }

    /// `keys.create`: a new org-wide key. The answer holds the plaintext, once.
    pub(crate) async fn create_key(
        &self,
        session: &Sensitive<String>,
        name: &str,
        scopes: &[&str],
    ) -> Result<CreatedKey, GramError> {
        let body = serde_json::to_value(CreateKeyForm { name, scopes })
            .map_err(|e| GramError::Account(format!("Could not encode the key request ({e}).")))?;
        self.call(
            Operation::KeysCreate,
            Method::POST,
            session,
            &Call {
                body: Some(body),
                ..Call::default()
            },
        )
        .await
    }

    /// `keys.list`: the organization's keys (never their plaintext).
    pub async fn list_keys(&self, session: &Sensitive<String>) -> Result<Vec<ApiKey>, GramError> {
        let list: KeyList = self
            .call(Operation::KeysList, Method::GET, session, &Call::default())
            .await?;
        Ok(list.keys)
    }

    /// `keys.revoke`: the key stops working at once.
    pub async fn revoke_key(&self, session: &Sensitive<String>, id: &str) -> Result<(), GramError> {
        self.call_no_content(
            Operation::KeysRevoke,
            Method::DELETE,
            session,
            &Call {
                query: vec![("id", id.to_owned())],
                ..Call::default()
            },
        )
        .await
    }

    /// `projects.list` of one organization.
    pub async fn list_projects(
        &self,
        session: &Sensitive<String>,
        organization_id: &str,
    ) -> Result<Vec<Project>, GramError> {
        let list: ProjectList = self
            .call(
                Operation::ProjectsList,
                Method::GET,
                session,
                &Call {
                    query: vec![("organization_id", organization_id.to_owned())],
                    ..Call::default()
                },
            )
            .await?;
        Ok(list.projects)
    }

    /// `plugins.listPlugins` of a project.
    pub async fn list_plugins(
        &self,
        session: &Sensitive<String>,
        project: &str,
    ) -> Result<Vec<Plugin>, GramError> {
        let list: PluginList = self
            .call(
                Operation::PluginsList,
                Method::GET,
                session,
                &Call {
                    project: Some(project),
                    ..Call::default()
                },
            )
            .await?;
        Ok(list.plugins)
    }

    /// `plugins.getPlugin`: one plugin with its servers.
    pub async fn get_plugin(
        &self,
        session: &Sensitive<String>,
        project: &str,
        id: &str,
    ) -> Result<Plugin, GramError> {
        self.call(
            Operation::PluginsGet,
            Method::GET,
            session,
            &Call {
                project: Some(project),
                query: vec![("id", id.to_owned())],
                ..Call::default()
            },
        )
        .await
    }

    /// `toolsets.list` of a project.
    pub async fn list_toolsets(
        &self,
        session: &Sensitive<String>,
        project: &str,
    ) -> Result<Vec<Toolset>, GramError> {
        let list: ToolsetList = self
            .call(
                Operation::ToolsetsList,
                Method::GET,
                session,
                &Call {
                    project: Some(project),
                    ..Call::default()
                },
            )
            .await?;
        Ok(list.toolsets)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        op: Operation,
        method: Method,
        session: &Sensitive<String>,
        call: &Call<'_>,
    ) -> Result<T, GramError> {
        let bytes = self.send(op, method, session, call).await?;
        serde_json::from_slice(&bytes).map_err(|e| self.malformed(op, &e))
    }

    async fn call_no_content(
        &self,
        op: Operation,
        method: Method,
        session: &Sensitive<String>,
        call: &Call<'_>,
    ) -> Result<(), GramError> {
        self.send(op, method, session, call).await.map(drop)
    }

    /// Sends the call; a `temporary` error is retried once after the backoff.
    async fn send(
        &self,
        op: Operation,
        method: Method,
        session: &Sensitive<String>,
        call: &Call<'_>,
    ) -> Result<Vec<u8>, GramError> {
        match self.send_once(op, method.clone(), session, call).await {
            Err(Failure::Temporary(_)) => {
                tokio::time::sleep(self.timeouts.retry_backoff).await;
                self.send_once(op, method, session, call)
                    .await
                    .map_err(Failure::into_error)
            }
            other => other.map_err(Failure::into_error),
        }
    }

    async fn send_once(
        &self,
        op: Operation,
        method: Method,
        session: &Sensitive<String>,
        call: &Call<'_>,
    ) -> Result<Vec<u8>, Failure> {
        let mut request = self
            .http
            .request(method, self.server.join(&format!("rpc/{}", op.rpc())))
            .header("Gram-Session", session.expose().as_str());
        if let Some(project) = call.project {
            request = request.header("Gram-Project", project);
        }
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Final(self.transport(op, &e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| Failure::Final(self.transport(op, &e)))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        let error = self.refusal(op, status, body.as_ref(), call.project);
        match body {
            Some(ErrorBody {
                temporary: true, ..
            }) => Err(Failure::Temporary(error)),
            _ => Err(Failure::Final(error)),
        }
    }

    fn refusal(
        &self,
        op: Operation,
        status: StatusCode,
        body: Option<&ErrorBody>,
        project: Option<&str>,
    ) -> GramError {
        let message = body
            .map(|b| b.message.trim().to_owned())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("no explanation")
                    .to_owned()
            });
        match status {
            StatusCode::UNAUTHORIZED => GramError::NotSignedIn {
                server: self.server.to_string(),
            },
            StatusCode::FORBIDDEN => GramError::NotAllowed {
                operation: op,
                within: project
                    .map(|p| format!("the project {p:?}"))
                    .unwrap_or_default(),
                message,
            },
            _ => GramError::Refused {
                operation: op,
                status: status.as_u16(),
                name: body.map_or_else(|| "no error body".to_owned(), |b| b.name.clone()),
                message,
                temporary: body.is_some_and(|b| b.temporary || b.timeout),
            },
        }
    }

    fn transport(&self, op: Operation, e: &reqwest::Error) -> GramError {
        if e.is_timeout() {
            GramError::Timeout {
                operation: op,
                server: self.server.to_string(),
                after: self.timeouts.total,
            }
        } else if let Some(problem) = self.net.explain(self.server.as_str(), e) {
            GramError::Network {
                operation: op,
                server: self.server.to_string(),
                problem,
            }
        } else {
            GramError::Unreachable {
                operation: op,
                server: self.server.to_string(),
                detail: root_cause(e),
            }
        }
    }

    fn malformed(&self, op: Operation, e: &serde_json::Error) -> GramError {
        // serde quotes the offending value in some messages; a value may be a key, so those
        // are reduced to where the problem is.
        let message = e.to_string();
        let detail = if message.contains('"') {
            format!(
                "unexpected value at line {} column {}",
                e.line(),
                e.column()
            )
        } else if e.is_syntax() || e.is_eof() {
            format!("not JSON: {message}")
        } else {
            message
        };
        GramError::Malformed {
            operation: op,
            server: self.server.to_string(),
            detail,
        }
    }
}

/// The parts of a call besides its operation and session.
#[derive(Default)]
struct Call<'a> {
    project: Option<&'a str>,
    query: Vec<(&'static str, String)>,
    body: Option<serde_json::Value>,
}

enum Failure {
    /// Gram marked it `temporary`: worth one retry.
    Temporary(GramError),
    Final(GramError),
}

impl Failure {
    fn into_error(self) -> GramError {
        match self {
            Failure::Temporary(e) | Failure::Final(e) => e,
        }
    }
}

/// The innermost cause of an error, which names what really happened ("Connection refused").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// `https://app.getgram.ai/` → `https://app.getgram.ai`; refuses what cannot be a Gram base URL.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_names_the_app_and_its_version() {
        assert_eq!(
            USER_AGENT,
            format!("gram-admin/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
