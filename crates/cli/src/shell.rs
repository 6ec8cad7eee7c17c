//! What the command line brings to the core's actions: the context (keychain, settings,
//! environment), progress as lines on stderr with Ctrl-C as the cancel switch, and the CLI's
//! own remedy after a core sentence (the flag or command that fixes it).

use std::future::Future;
use std::io::Write;
use std::sync::Arc;

use gram_admin_core::actions::{self, Context, Event, Github, Progress, Sink};
use gram_admin_core::github::{Cancel, PublishEvent};
use gram_admin_core::gram::session::{settings_path, Overrides};
use gram_admin_core::gram::GramError;
use gram_admin_core::secrets::Keychain;
use gram_admin_core::{Field, Problem};

/// Hidden: files the keychain entries under another service name (tests isolate themselves).
const KEYCHAIN_SERVICE_ENV: &str = "GRAM_ADMIN_KEYCHAIN_SERVICE";

pub fn keychain() -> Keychain {
    match std::env::var(KEYCHAIN_SERVICE_ENV) {
        Ok(service) if !service.is_empty() => Keychain::new(service),
        _ => Keychain::default(),
    }
}

/// The context every command runs in: the keychain, `GRAM_SERVER`/`GRAM_SESSION`, the settings
/// file, and GitHub as the environment (or `github`, from a flag) says.
pub fn context(github: Option<Github>) -> anyhow::Result<Context> {
    let github = match github {
        Some(github) => github,
        None => Github::from_env()?,
    };
    Ok(Context::new(
        Arc::new(keychain()),
        Overrides::from_env(),
        settings_path(),
        github,
    ))
}

/// The network every command's clients use: the system's store, the saved CA file
/// (`--ca-file`), the proxy the environment names.
pub fn network() -> gram_admin_core::net::Network {
    let ca_file = settings_path()
        .and_then(|p| gram_admin_core::gram::session::Settings::load(&p).ok())
        .and_then(|s| s.ca_file);
    gram_admin_core::net::Network::with_ca_file(ca_file)
}

/// `--ca-file PEM`: checked (it must hold a certificate) and saved for this and later commands;
/// `None` (`--no-ca-file`) forgets it.
pub fn save_ca_file(path: Option<&std::path::Path>) -> anyhow::Result<()> {
    let ca_file = path.map(std::path::absolute).transpose()?;
    Context::new(
        Arc::new(keychain()),
        Overrides::default(),
        settings_path(),
        Github::com(),
    )
    .set_ca_file(ca_file)?;
    Ok(())
}

/// One single-threaded runtime per command (a publisher lives in the runtime it first ran in).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded async runtime")
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

/// Progress as one line on stderr per step, wait and retry; the first Ctrl-C cancels while that
/// is safe, a second quits at once.
pub struct Stderr {
    cancel: Cancel,
}

impl Stderr {
    /// Progress lines, and Ctrl-C watched on `rt`.
    pub fn with_ctrl_c(rt: &tokio::runtime::Runtime) -> Sink {
        let cancel = Cancel::new();
        let switch = cancel.clone();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            eprintln!("Cancelling: the publish stops before the branch moves (Ctrl-C again to quit at once).");
            switch.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Quit at once: the branch is where it was or at the complete new commit; `gram-admin keys list` shows a key minted for this publish.");
                std::process::exit(130);
            }
        });
        Arc::new(Self { cancel })
    }

    /// Progress lines, never cancelled.
    pub fn lines() -> Sink {
        Arc::new(Self {
            cancel: Cancel::new(),
        })
    }
}

impl Progress for Stderr {
    fn report(&self, event: Event) {
        let line = match event {
            // An export is quick; its outcome line says what was minted.
            Event::Export(_) => return,
            Event::Publish(event) => match publish_line(&event) {
                Some(line) => line,
                None => return,
            },
        };
        let _ = writeln!(std::io::stderr(), "{line}");
    }

    fn cancel(&self) -> Cancel {
        self.cancel.clone()
    }
}

fn publish_line(event: &PublishEvent) -> Option<String> {
    Some(match event {
        PublishEvent::MintingKey => "Minting the marketplace's hooks key in Gram…".to_owned(),
        PublishEvent::Step { step } => {
            let doing = step.doing();
            let mut chars = doing.chars();
            let first = chars
                .next()
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_default();
            format!("{first}{}…", chars.as_str())
        }
        PublishEvent::Waiting {
            seconds, reason, ..
        } => format!("Waiting {seconds} s for {reason}…"),
        PublishEvent::Retrying {
            step,
            attempt,
            reason,
        } => format!(
            "{reason} while {}; trying again (attempt {attempt})…",
            step.doing()
        ),
        PublishEvent::Conflict { attempt } => format!(
            "Someone else pushed meanwhile; rebuilding the commit on theirs (attempt {attempt})…"
        ),
        PublishEvent::Unchanged { .. } | PublishEvent::Published { .. } => return None,
    })
}

/// The flag that sets `field` on the command line.
fn flag(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::Org => "--org",
        Field::Server => "--server",
        Field::Project => "--project",
        _ => return None,
    })
}

/// The problems of an org the flags left incomplete, each with the flag that fixes it; and, when
/// nothing could complete it (signed out), the two ways on.
pub fn org_remedy(err: anyhow::Error, given: impl Fn(Field) -> bool) -> anyhow::Error {
    let Some(problems) = err
        .downcast_ref::<actions::Error>()
        .map(actions::Error::problems)
        .filter(|p| !p.is_empty())
    else {
        return err;
    };
    let missing: Vec<&Problem> = problems
        .iter()
        .filter(|p| flag(p.field).is_some() && !given(p.field))
        .collect();
    if missing.is_empty() {
        return err;
    }
    let mut lines: Vec<String> = problems
        .iter()
        .map(|p| match (flag(p.field), p.message.strip_suffix('.')) {
            (Some(flag), Some(sentence)) if !given(p.field) => format!("{sentence} ({flag})."),
            _ => p.message.clone(),
        })
        .collect();
    let signed_out = [Field::Org, Field::Server, Field::Project]
        .iter()
        .all(|f| !given(*f) && missing.iter().any(|p| p.field == *f));
    if signed_out {
        lines.push("Give --org, --project and --server, or sign in to Gram first (gram-admin login --server URL) to use your account's.".into());
    }
    anyhow::anyhow!("{}", lines.join("\n"))
}

/// The core's sentence with the CLI's remedy for a lost or missing Gram sign-in: the command
/// that signs in.
pub fn with_remedy(err: anyhow::Error) -> anyhow::Error {
    let net = err
        .downcast_ref::<actions::Error>()
        .and_then(actions::Error::net_problem)
        .or_else(|| {
            err.downcast_ref::<GramError>()
                .and_then(GramError::net_problem)
        })
        .or_else(|| {
            err.downcast_ref::<gram_admin_core::github::GithubError>()
                .and_then(|e| e.net_problem())
        });
    if net.is_some_and(|p| p.needs_ca()) {
        return anyhow::anyhow!(
            "{}\nGive the CA's PEM file with --ca-file PEM (gram-admin keeps it for later commands), or add the CA to the system's certificate store.",
            err
        );
    }
    if let Some(e @ actions::Error::PluginsNeedSignIn) = err.downcast_ref::<actions::Error>() {
        return anyhow::anyhow!(
            "{}",
            e.to_string()
                .replace(
                    "sign in to Gram,",
                    "sign in (gram-admin login --server URL),"
                )
                .replace("give a plugins file", "give --plugins FILE")
        );
    }
    let gram = err
        .downcast_ref::<actions::Error>()
        .and_then(|e| match e {
            actions::Error::Gram(g) => Some(g),
            actions::Error::Export(e) => match e.as_ref() {
                gram_admin_core::gram::ExportError::Gram(g) => Some(g),
                _ => None,
            },
            _ => None,
        })
        .or_else(|| err.downcast_ref::<GramError>());
    match gram {
        Some(gram @ GramError::NoSession) => anyhow::anyhow!(
            "{} (gram-admin login --server URL).",
            gram.to_string().trim_end_matches('.')
        ),
        Some(gram @ GramError::NotSignedIn { server }) => anyhow::anyhow!(
            "{} (gram-admin login --server {server}).",
            gram.to_string().trim_end_matches('.')
        ),
        _ => err,
    }
}
