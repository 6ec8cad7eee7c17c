//! The use-case layer: every admin action, once. The desktop app's commands and the CLI's
//! handlers are adapters over these functions — parse the input, call, present — so a flow is
//! written here and nowhere else (GitButler's `but-api` is the model).
//!
//! Each action takes parsed domain values and a [`Context`] (the keychain, the saved settings,
//! where GitHub is, the verified Gram sign-in) and returns a typed outcome. Long actions report
//! through a [`Progress`] sink and stop through its [`Cancel`] switch; both shells implement it
//! (the app as events to the window, the CLI as lines on stderr and Ctrl-C). Error sentences say
//! what to do without naming either shell's buttons or flags; each shell adds its own remedy.
//!
//! One module per action: [`session`] (sign in, sign out, choose a project, status), [`network`]
//! (the company's CA file), [`preview`], [`export`], [`keys`] (list, revoke, retire what a
//! rotation replaced), [`plugins`], [`publish`] (plan, status, publish, rotate with a grace
//! period), [`check_hook`] and [`rollout`] (the file per channel that makes the plugin required
//! for every teammate).

pub mod check_hook;
pub mod export;
pub mod keys;
pub mod network;
pub mod plugins;
pub mod preview;
pub mod publish;
pub mod rollout;
pub mod session;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::domain::ServerUrl;
use crate::field::Field;
use crate::github::auth::{self, DeviceFlow, CLIENT_ID_ENV, DEFAULT_CLIENT_ID, DEFAULT_OAUTH_URL};
use crate::github::{
    Cancel, GithubConnection, GithubError, PublishEvent, Publisher, DEFAULT_API_URL,
};
use crate::gram::session::{Overrides, Settings};
use crate::gram::{ExportError, GramError, SignedIn};
use crate::net::Network;
use crate::org::{Org, OrgConfig};
use crate::secrets::{SecretStore, SecretStoreError};
use crate::Problem;

pub use export::ExportStep;

/// GitHub's API (GitHub Enterprise Server: `https://HOST/api/v3`), as both shells read it.
pub const GITHUB_API_ENV: &str = "GRAM_ADMIN_GITHUB_API";
/// GitHub's web address for the device flow (GitHub Enterprise Server: `https://HOST`).
pub const GITHUB_URL_ENV: &str = "GRAM_ADMIN_GITHUB_URL";

/// Where GitHub is: its API, its web address (device flow) and the OAuth app to sign in through.
#[derive(Debug, Clone)]
pub struct Github {
    pub api: ServerUrl,
    pub web: ServerUrl,
    pub client_id: String,
}

impl Github {
    /// GitHub.com.
    pub fn com() -> Self {
        Self {
            api: ServerUrl::parse_as(DEFAULT_API_URL, Field::Repository, "GitHub's API URL")
                .expect("GitHub's API URL"),
            web: ServerUrl::parse_as(DEFAULT_OAUTH_URL, Field::Repository, "GitHub's URL")
                .expect("GitHub's URL"),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
        }
    }

    /// GitHub.com, or what [`GITHUB_API_ENV`], [`GITHUB_URL_ENV`] and [`CLIENT_ID_ENV`] say.
    pub fn from_env() -> Result<Self, Problem> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut github = Self::com();
        if let Some(api) = var(GITHUB_API_ENV) {
            github.api = Self::api(&api)?;
        }
        if let Some(web) = var(GITHUB_URL_ENV) {
            github.web = Self::web(&web)?;
        }
        if let Some(id) = var(CLIENT_ID_ENV) {
            github.client_id = id;
        }
        Ok(github)
    }

    /// Parses GitHub's API URL (the one [`ServerUrl`] rule).
    pub fn api(raw: &str) -> Result<ServerUrl, Problem> {
        ServerUrl::parse_as(raw, Field::Repository, "GitHub's API URL")
    }

    /// Parses GitHub's web address.
    pub fn web(raw: &str) -> Result<ServerUrl, Problem> {
        ServerUrl::parse_as(raw, Field::Repository, "GitHub's URL")
    }

    /// The device flow through this GitHub's OAuth app, over `net`.
    pub fn device_flow(&self, net: &Network) -> DeviceFlow {
        DeviceFlow::new(self.web.as_str(), &self.client_id).with_network(net)
    }

    /// A connection to this GitHub's API with `token`, over `net`.
    pub fn connection(&self, token: crate::Sensitive<String>, net: &Network) -> GithubConnection {
        GithubConnection::new(self.api.as_str(), token).with_network(net)
    }
}

/// What every action runs in: the keychain, the plain settings file, the environment's
/// overrides, where GitHub is, the network (trust store, the settings' CA file, the proxy: every
/// client is built over it), and the Gram sign-in once it has been verified (kept for the
/// context's life: one command in the CLI, the whole session in the app).
#[derive(Debug)]
pub struct Context {
    store: Arc<dyn SecretStore>,
    overrides: Overrides,
    settings_path: Option<PathBuf>,
    github: Github,
    network: std::sync::RwLock<Network>,
    account: Mutex<Option<SignedIn>>,
    clock: Arc<dyn Clock>,
}

/// What time it is, for the actions that schedule (a key's retirement): the system clock, or a
/// test's.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> time::OffsetDateTime;
}

/// The system clock (UTC).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::now_utc()
    }
}

/// A clock a test sets and moves.
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<time::OffsetDateTime>);

impl FixedClock {
    pub fn at(now: time::OffsetDateTime) -> Arc<Self> {
        Arc::new(Self(std::sync::Mutex::new(now)))
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> time::OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Context {
    pub fn new(
        store: Arc<dyn SecretStore>,
        overrides: Overrides,
        settings_path: Option<PathBuf>,
        github: Github,
    ) -> Self {
        let ca_file = settings_path
            .as_deref()
            .and_then(|p| Settings::load(p).ok())
            .and_then(|s| s.ca_file);
        Self {
            store,
            overrides,
            settings_path,
            github,
            network: std::sync::RwLock::new(Network::with_ca_file(ca_file)),
            account: Mutex::new(None),
            clock: Arc::new(SystemClock),
        }
    }

    /// The network every client of this context is built over: the system's store, the saved
    /// CA file ([`Context::set_ca_file`]), the proxy the environment or the OS names.
    pub fn network(&self) -> Network {
        self.network
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Trusts the certificates in `ca_file` (PEM) besides the system's store from now on, and
    /// saves it in the plain settings; `None` forgets it. A file without a certificate is
    /// refused and nothing changes.
    pub fn set_ca_file(&self, ca_file: Option<PathBuf>) -> Result<Network, Error> {
        let network = Network::with_ca_file(ca_file.clone());
        network.ca_certificates().map_err(Error::Network)?;
        let mut settings = self.settings();
        if settings.ca_file != ca_file {
            settings.ca_file = ca_file;
            self.save_settings(&settings)?;
        }
        *self
            .network
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = network.clone();
        // A sign-in verified over the old settings keeps its old client: verify again.
        if let Ok(mut account) = self.account.try_lock() {
            *account = None;
        }
        Ok(network)
    }

    /// The same context on another clock (tests walk a schedule through time).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Now, by the context's clock.
    pub fn now(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    pub fn store(&self) -> &dyn SecretStore {
        self.store.as_ref()
    }

    pub fn github(&self) -> &Github {
        &self.github
    }

    pub fn overrides(&self) -> &Overrides {
        &self.overrides
    }

    /// The plain settings (a missing or unreadable file is the defaults).
    pub fn settings(&self) -> Settings {
        self.settings_path
            .as_deref()
            .and_then(|p| Settings::load(p).ok())
            .unwrap_or_default()
    }

    fn save_settings(&self, settings: &Settings) -> Result<(), crate::Error> {
        match &self.settings_path {
            Some(path) => settings.save(path),
            None => Ok(()),
        }
    }

    /// The verified sign-in (checked with Gram once, then kept); `None` when no session is saved
    /// (or in `GRAM_SESSION`) at all.
    pub async fn account_if_any(&self) -> Result<Option<SignedIn>, GramError> {
        let mut cached = self.account.lock().await;
        if let Some(account) = cached.as_ref() {
            return Ok(Some(account.clone()));
        }
        match crate::gram::session::signed_in(self.store(), &self.overrides, &self.network()).await
        {
            Ok(account) => {
                *cached = Some(account.clone());
                Ok(Some(account))
            }
            Err(GramError::NoSession) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The verified sign-in; [`GramError::NoSession`] when there is none.
    pub async fn account(&self) -> Result<SignedIn, GramError> {
        self.account_if_any().await?.ok_or(GramError::NoSession)
    }

    /// Passes `result` on, forgetting the kept sign-in when Gram said the session is gone.
    pub async fn checked<T>(&self, result: Result<T, GramError>) -> Result<T, GramError> {
        if let Err(e) = &result {
            self.forget_if_refused(e).await;
        }
        result
    }

    /// Forgets the kept sign-in when Gram said the session is gone (the next action asks again).
    pub async fn forget_if_refused(&self, e: &GramError) {
        if e.needs_sign_in() {
            *self.account.lock().await = None;
        }
    }

    async fn keep(&self, account: Option<SignedIn>) {
        *self.account.lock().await = account;
    }

    /// A publisher with the current GitHub token (`GITHUB_TOKEN`, else the keychain's).
    pub fn publisher(&self) -> Result<Publisher, GithubError> {
        let (token, _) = auth::current_token(self.store())?.ok_or(GithubError::NotSignedIn)?;
        Publisher::new(self.github.connection(token, &self.network()))
    }

    /// Completes `config` from the signed-in account as `account` says, then parses it — once.
    ///
    /// With an account: an empty org name, server or project is the account's (the project: the
    /// chosen one, else the organization's only one); a server other than the account's is
    /// refused (a key minted there is never baked into a plugin that sends it elsewhere), and so
    /// is a project the organization does not have. Every problem is reported at once.
    ///
    /// The org carries the CA file this context trusts ([`Org::ca`]), so every plugin rendered
    /// from it carries the company's CA for its hook.
    pub async fn org(&self, config: &OrgConfig, account: Account) -> Result<Resolved, Error> {
        let mut resolved = self.org_from(config, account).await?;
        resolved.org.ca = self.network().ca_pem().map_err(Error::Network)?;
        Ok(resolved)
    }

    async fn org_from(&self, config: &OrgConfig, account: Account) -> Result<Resolved, Error> {
        let complete = [&config.org_name, &config.project_slug, &config.server_url]
            .iter()
            .all(|v| !v.trim().is_empty());
        let signed_in = match account {
            Account::ToComplete if complete => None,
            Account::ToComplete | Account::IfSignedIn => {
                self.checked(self.account_if_any().await).await?
            }
            Account::Required => Some(self.checked(self.account().await).await?),
        };
        let Some(signed_in) = signed_in else {
            return Ok(Resolved {
                org: config.validate()?,
                account: None,
            });
        };
        let mut problems = Vec::new();
        let server = signed_in.server();
        let given = config.server_url.trim();
        if !given.is_empty() {
            match ServerUrl::parse(given) {
                Ok(url) if &url == server => {}
                Ok(url) => problems.push(Problem::new(
                    Field::Server,
                    format!("You are signed in to {server}, but the server is {url}: sign in to {url} first, or leave the server empty to report to {server}."),
                )),
                Err(problem) => problems.push(problem),
            }
        }
        let saved = self.settings().project;
        let wanted = Some(config.project_slug.trim())
            .filter(|p| !p.is_empty())
            .or(saved.as_deref());
        let project = match signed_in.project(wanted) {
            Ok(project) => project.slug.clone(),
            Err(e) => {
                problems.push(Problem::new(Field::Project, e.to_string()));
                wanted.unwrap_or_default().to_owned()
            }
        };
        let org_name = match config.org_name.trim() {
            "" => signed_in.organization()?.name.clone(),
            name => name.to_owned(),
        };
        let completed = OrgConfig {
            org_name,
            server_url: server.to_string(),
            project_slug: project,
            ..config.clone()
        };
        match completed.validate() {
            Ok(org) if problems.is_empty() => Ok(Resolved {
                org,
                account: Some(signed_in),
            }),
            Ok(_) => Err(crate::Error::from(problems).into()),
            Err(crate::Error::Invalid { problems: more }) => {
                // A field the account already found wrong is reported once, with that reason.
                for problem in more {
                    if problems.iter().all(|p| p.field != problem.field) {
                        problems.push(problem);
                    }
                }
                Err(crate::Error::from(problems).into())
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// How an action uses the signed-in Gram account to complete the org it renders for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    /// Only when the config lacks an org name, project or server (a preview, a render with a
    /// given key); signed out, the missing fields are the problems.
    ToComplete,
    /// Whenever signed in (an export mints a key then, a marketplace lists the org's plugins).
    IfSignedIn,
    /// Always: the action mints keys or reads the org's plugins.
    Required,
}

/// An org parsed once for an action, and the account that completed it (if any).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub org: Org,
    pub account: Option<SignedIn>,
}

/// What a long action reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Export(ExportStep),
    Publish(PublishEvent),
}

/// Where an action's progress goes, and the switch that stops it. The app sends events to its
/// window and cancels from a button; the CLI prints lines on stderr and cancels on Ctrl-C.
pub trait Progress: Send + Sync {
    fn report(&self, event: Event);

    /// The switch that stops the action where that is safe (a publish: before the branch moves).
    /// By default nothing ever cancels.
    fn cancel(&self) -> Cancel {
        Cancel::new()
    }
}

/// A shared progress sink: what every long action takes.
pub type Sink = Arc<dyn Progress>;

/// A sink that shows nothing and never cancels.
pub fn quiet() -> Sink {
    Arc::new(Quiet)
}

/// No progress shown, never cancelled (scripts, `--json`, tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn report(&self, _event: Event) {}
}

/// Why an action failed. Every message is a sentence that says what to do; none names a shell's
/// flags or buttons, and none contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input does not parse, or a file could not be written.
    #[error(transparent)]
    Render(#[from] crate::Error),
    #[error(transparent)]
    Gram(#[from] GramError),
    #[error(transparent)]
    Github(#[from] GithubError),
    #[error(transparent)]
    Keychain(#[from] SecretStoreError),
    /// A network setting cannot be used (the CA file).
    #[error("gram-admin cannot use this network setting: {0}.")]
    Network(crate::net::NetProblem),
    /// An export with a minted key failed; the message says what became of the key.
    #[error(transparent)]
    Export(Box<ExportError>),
    /// The marketplace's feature plugins come from Gram, and nobody is signed in.
    #[error("The marketplace lists your organization's plugins from Gram, and you are not signed in: sign in to Gram, or give a plugins file (`{{\"plugins\": []}}` for the observability plugins alone).")]
    PluginsNeedSignIn,
}

impl From<ExportError> for Error {
    fn from(err: ExportError) -> Self {
        Self::Export(Box::new(err))
    }
}

impl From<Problem> for Error {
    fn from(problem: Problem) -> Self {
        Self::Render(problem.into())
    }
}

impl Error {
    /// The problems per field, when the input was the cause.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Render(crate::Error::Invalid { problems }) => problems,
            _ => &[],
        }
    }

    /// What went wrong on the network, when the user can fix it (a CA to add, a proxy).
    pub fn net_problem(&self) -> Option<&crate::net::NetProblem> {
        match self {
            Error::Gram(e) => e.net_problem(),
            Error::Github(e) => e.net_problem(),
            Error::Network(problem) => Some(problem),
            Error::Export(e) => match e.as_ref() {
                ExportError::Gram(g) => g.net_problem(),
                _ => None,
            },
            _ => None,
        }
    }

    /// True when the fix is to sign in to Gram again.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, Error::PluginsNeedSignIn)
            || matches!(self, Error::Gram(e) if e.needs_sign_in())
            || matches!(self, Error::Export(e) if matches!(e.as_ref(), ExportError::Gram(g) if g.needs_sign_in()))
    }
}
