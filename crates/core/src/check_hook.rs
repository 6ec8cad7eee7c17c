//! "Check hook": one synthetic, clearly labelled event sent exactly as a teammate's hook sends
//! it, and what Gram's answer means.
//!
//! - **The same request as the hook.** The observability plugin is rendered for the agent, and
//!   for hook-script agents its own `hooks/gram-hook.curlrc` is handed to the real
//!   `curl -q --config`, with the two headers the script adds on the command line
//!   (`Idempotency-Key`, `X-Gram-Hook-Hostname`) and the event on stdin. So a check tests the
//!   endpoint, key and project a teammate's plugin would use, through the same client.
//! - **OpenCode is checked the same way.** Its module posts a `hook.ingest.v1` envelope with
//!   `fetch`; the check reads endpoint, key and project from the rendered data file
//!   (`plugin/gram-observability.json`), writes them into a curl config of the same shape, and
//!   posts a `notification.reported` envelope with the headers the module sends (`Content-Type`,
//!   `Gram-Key`, `Gram-Project`, `Idempotency-Key`). One client, one classification of failures.
//! - **An event Gram records but never decides on**: Claude's `Notification`, Cursor's
//!   `afterAgentResponse`, Codex's `SessionStart`, OpenCode's `notification.reported` — each
//!   says it is a gram-admin check, with a session id `gram-admin-check-<token>`.
//! - **The key is never on a command line** nor in the result: the curl config is written to a
//!   private temporary directory (0700, the file 0600) and deleted afterwards; curl's error text
//!   and Gram's answer are scrubbed of the key before they are returned.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::key::HooksKey;
use crate::org::Org;
use crate::platform::{Package, Platform, Shape};
use crate::render::hook_script::{curl_config_quote, CONNECT_TIMEOUT_SECONDS};
use crate::render::{observability_plugin, HOOK_CONFIG_PATH, OPENCODE_DATA_PATH};

/// The file name the CA has beside the curl config, in a plugin and in the check's directory.
const CA_FILE: &str = "gram-ca.pem";

/// How long a check waits for Gram by default: the hook's own bound for background delivery.
pub const DEFAULT_TIMEOUT: Duration =
    Duration::from_secs(crate::render::hook_script::BACKGROUND_MAX_SECONDS as u64);
/// The most of Gram's answer a result carries, in bytes.
pub const ANSWER_MAX_BYTES: usize = 2000;
/// Marks the synthetic event (its notification type, title and session id prefix).
pub const CHECK_MARKER: &str = "gram-admin-check";

/// What the check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CheckVerdict {
    /// Gram accepted the event (2xx).
    Ok,
    /// 401: the key is revoked, expired or wrong (or the placeholder).
    Unauthorized,
    /// 403: the key may not write to that project.
    Forbidden,
    /// 404: no hook endpoint at that URL.
    NotFound,
    /// Any other 4xx.
    Rejected,
    /// 5xx.
    ServerError,
    /// Nothing listens at that address.
    Refused,
    /// The host name does not resolve.
    Unresolved,
    /// The TLS handshake or the certificate failed.
    Tls,
    /// No answer in time.
    Timeout,
    /// `curl` is not installed (a teammate's hook needs it too).
    NoCurl,
    /// Any other failure to get an answer.
    Failed,
}

/// One check: what was sent where, what came back, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CheckHookResult {
    pub platform: Platform,
    /// Where the event went (no secret in it).
    pub endpoint: String,
    /// The synthetic event's name (`Notification`, `notification.reported`, …).
    pub event: String,
    /// The plugin's privacy level the event was filtered at.
    pub content: crate::privacy::Content,
    /// The exact body sent, after the privacy filter (what the teammate's hook sends).
    pub sent: String,
    /// Gram's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Request time as curl measured it (whole wall time when there was no answer).
    #[ts(type = "number")]
    pub latency_ms: u64,
    /// Gram's answer body, truncated to [`ANSWER_MAX_BYTES`]; curl's error when none.
    pub answer: String,
    pub verdict: CheckVerdict,
    /// One or two sentences: what happened and what to do.
    pub explanation: String,
    /// The certificates curl trusted, as the hook would: "curl's default CA bundle", or the
    /// company CA the plugin carries.
    pub trust: String,
    /// The proxy curl went through, from the environment as a teammate's hook reads it
    /// (`https_proxy`/`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`); `None`: a direct connection.
    pub proxy: Option<String>,
}

impl CheckHookResult {
    /// Whether Gram accepted the event.
    pub fn accepted(&self) -> bool {
        self.verdict == CheckVerdict::Ok
    }
}

/// Parses `config` and checks its hook: what the app and the CLI call.
pub fn check_hook_for(
    config: &crate::OrgConfig,
    key: &HooksKey,
    platform: Platform,
    timeout: Duration,
) -> Result<CheckHookResult> {
    check_hook(&config.validate()?, key, platform, timeout)
}

/// Sends one synthetic event for `platform` through the rendered plugin's curl config and
/// classifies the answer. `Err` only when the plugin cannot be rendered or the temporary
/// config cannot be written; every network outcome is an `Ok` result with a verdict.
pub fn check_hook(
    org: &Org,
    key: &HooksKey,
    platform: Platform,
    timeout: Duration,
) -> Result<CheckHookResult> {
    let bundle = observability_plugin(org, key, platform)?;
    let token = token();
    let host = hostname();
    let (config, endpoint, event, body, extra_headers) = match platform.info().shape {
        Shape::Package(package) => {
            let config = bundle_text(&bundle, HOOK_CONFIG_PATH);
            let (event, body) = hook_event(package, &token);
            let mut headers = vec![format!("Idempotency-Key: {token}")];
            if let Some(host) = &host {
                headers.push(format!("X-Gram-Hook-Hostname: {host}"));
            }
            (config, org.hooks_endpoint(platform), event, body, headers)
        }
        Shape::Module(_) => {
            let data: Value = serde_json::from_str(&bundle_text(&bundle, OPENCODE_DATA_PATH))
                .expect("the rendered data file is JSON");
            let text = |name: &str| data[name].as_str().unwrap_or_default().to_owned();
            let endpoint = text("endpoint");
            let config = module_curl_config(&endpoint, &text("key"), &text("project"));
            let body = ingest_event(&token, host.as_deref());
            let headers = vec![format!("Idempotency-Key: {token}")];
            (
                config,
                endpoint,
                "notification.reported".to_owned(),
                body,
                headers,
            )
        }
    };
    // What the teammate's hook would send of it at the plugin's privacy level.
    let body = {
        let value: Value = serde_json::from_slice(&body).expect("the check event is JSON");
        let sent = match platform.info().shape {
            Shape::Package(package) if package.adapter().is_none() => {
                crate::privacy::filter(platform, org.content, &value)
            }
            // Envelopes (Copilot's hook, OpenCode's module) at the envelope's level.
            _ => crate::privacy::filter_envelope(org.content, &value),
        };
        serde_json::to_vec(&sent).expect("JSON")
    };
    let proxy = crate::net::env_proxy_for(&endpoint);
    let trust = match &org.ca {
        Some(_) => format!(
            "the company CA the plugin carries ({}), instead of curl's default CA bundle",
            match platform.info().shape {
                Shape::Package(_) => crate::render::HOOK_CA_PATH,
                Shape::Module(_) => crate::render::OPENCODE_CA_PATH,
            }
        ),
        None => "curl's default CA bundle".to_owned(),
    };
    let outcome = post(&config, org.ca.as_deref(), &body, &extra_headers, timeout)?;
    let scrub = |s: &str| s.replace(key.expose(), &key.masked());
    let (status, latency_ms, answer, verdict, explanation) = match outcome {
        Outcome::Answered {
            status,
            latency_ms,
            body,
        } => {
            let verdict = verdict_for_status(status);
            let explanation = explain_status(org, key, platform, status, &body, &endpoint);
            (
                Some(status),
                latency_ms,
                truncate(&scrub(&body)),
                verdict,
                explanation,
            )
        }
        Outcome::NoAnswer {
            curl_exit,
            error,
            latency_ms,
        } => {
            let error = scrub(&error);
            let (verdict, explanation) =
                explain_failure(org, curl_exit, &error, timeout, proxy.as_ref());
            (None, latency_ms, truncate(&error), verdict, explanation)
        }
    };
    Ok(CheckHookResult {
        platform,
        endpoint,
        event,
        content: org.content,
        sent: scrub(&String::from_utf8_lossy(&body)),
        status,
        latency_ms,
        answer,
        verdict,
        explanation: scrub(&explanation),
        trust,
        proxy: proxy.map(|p| p.to_string()),
    })
}

fn bundle_text(bundle: &crate::Bundle, path: &str) -> String {
    let file = bundle
        .get(path)
        .unwrap_or_else(|| panic!("the observability plugin has {path}"));
    String::from_utf8(file.contents.clone()).expect("the rendered file is UTF-8")
}

/// The synthetic event for a package agent: the table's check event, which Gram records and
/// never decides on.
fn hook_event(package: &Package, token: &str) -> (String, Vec<u8>) {
    let session = format!("{CHECK_MARKER}-{token}");
    let message = "Test event from gram-admin's Check hook: not agent activity, safe to ignore.";
    let body = package.check_payload(&session, CHECK_MARKER, message);
    (
        package.check_event.to_owned(),
        serde_json::to_vec(&body).expect("JSON"),
    )
}

/// OpenCode's synthetic event: a `hook.ingest.v1` envelope as its module builds them.
fn ingest_event(token: &str, host: Option<&str>) -> Vec<u8> {
    let mut source = json!({
        "adapter": "opencode",
        "adapter_version": "gram-admin-1.0.0",
        "raw_event_name": CHECK_MARKER,
    });
    if let Some(host) = host {
        source["hostname"] = json!(host);
    }
    let body = json!({
        "schema_version": "hook.ingest.v1",
        "source": source,
        "session": { "id": format!("{CHECK_MARKER}-{token}") },
        "event": { "type": "notification.reported", "occurred_at": rfc3339_now() },
        "data": { "notification": {
            "type": CHECK_MARKER,
            "title": "gram-admin check",
            "message": "Test event from gram-admin's Check hook: not agent activity, safe to ignore.",
        } },
    });
    serde_json::to_vec(&body).expect("JSON")
}

/// A curl config like the hook script's, for OpenCode's endpoint (the module has none).
fn module_curl_config(endpoint: &str, key: &str, project: &str) -> String {
    let header = |name: &str, value: &str| {
        format!(
            "header = {}\n",
            curl_config_quote(&format!("{name}: {value}"))
        )
    };
    let mut config = format!(
        "silent\ngloboff\nproto = \"=http,https\"\nconnect-timeout = {CONNECT_TIMEOUT_SECONDS}\nrequest = \"POST\"\n"
    );
    config.push_str(&header("Content-Type", "application/json"));
    config.push_str("header = \"Expect:\"\n");
    config.push_str(&header("Gram-Key", key));
    config.push_str(&header("Gram-Project", project));
    config.push_str(&format!("url = {}\n", curl_config_quote(endpoint)));
    config
}

enum Outcome {
    Answered {
        status: u16,
        latency_ms: u64,
        body: String,
    },
    NoAnswer {
        curl_exit: Option<i32>,
        error: String,
        latency_ms: u64,
    },
}

/// curl's exit status when it is not installed (our own marker; curl's codes stop below 100).
const NO_CURL: i32 = -1;

/// POSTs `body` with curl as the hook script does: `-q --config <file> --data-binary @-`.
///
/// With `ca`, the CA is written beside the config and curl is pointed at it with
/// `CURL_CA_BUNDLE`, as the hook script does with the plugin's `hooks/gram-ca.pem`.
fn post(
    config: &str,
    ca: Option<&str>,
    body: &[u8],
    headers: &[String],
    timeout: Duration,
) -> Result<Outcome> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("gram-admin-check-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder
        .tempdir()
        .map_err(|e| Error::io("create a private temporary directory in", "/tmp", e))?;
    let path = dir.path().join("gram-hook.curlrc");
    write_private(&path, config.as_bytes())?;
    let max_time = format!("{:.3}", timeout.as_secs_f64().max(0.001));
    let mut command = Command::new("curl");
    if let Some(ca) = ca {
        let ca_path = dir.path().join(CA_FILE);
        std::fs::write(&ca_path, ca).map_err(|e| Error::io("write the CA for", &ca_path, e))?;
        command.env("CURL_CA_BUNDLE", &ca_path);
    }
    command.arg("-q").arg("--config").arg(&path).args([
        "--show-error",
        "--data-binary",
        "@-",
        "--max-time",
        &max_time,
    ]);
    for header in headers {
        command.arg("-H").arg(header);
    }
    command
        .args(["-w", "\n%{http_code} %{time_total}"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let elapsed = || started.elapsed().as_millis() as u64;
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Outcome::NoAnswer {
                curl_exit: Some(NO_CURL),
                error: "curl: command not found".into(),
                latency_ms: 0,
            })
        }
        Err(e) => return Err(Error::io("run curl with", path, e)),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // curl may exit before reading (a refused connection): a broken pipe says nothing.
        // The event is small, so writing it all before reading the answer cannot block.
        let _ = stdin.write_all(body);
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Error::io("run curl with", &path, e))?;
    let wall = elapsed();
    drop(dir);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let (answer, trailer) = stdout.rsplit_once('\n').unwrap_or(("", &stdout));
    let mut trailer = trailer.split_whitespace();
    let status: u16 = trailer.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let latency_ms = trailer
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .map_or(wall, |secs| (secs * 1000.0).round() as u64);
    if output.status.success() && status != 0 {
        return Ok(Outcome::Answered {
            status,
            latency_ms,
            body: answer.to_owned(),
        });
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("curl failed without a message")
        .to_owned();
    Ok(Outcome::NoAnswer {
        curl_exit: output.status.code(),
        error,
        latency_ms: wall,
    })
}

fn write_private(path: &std::path::Path, contents: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::io("write the check's curl config", path, e))?;
    file.write_all(contents)
        .map_err(|e| Error::io("write the check's curl config", path, e))
}

fn verdict_for_status(status: u16) -> CheckVerdict {
    match status {
        200..=299 => CheckVerdict::Ok,
        401 => CheckVerdict::Unauthorized,
        403 => CheckVerdict::Forbidden,
        404 => CheckVerdict::NotFound,
        400..=499 => CheckVerdict::Rejected,
        500..=599 => CheckVerdict::ServerError,
        _ => CheckVerdict::Failed,
    }
}

/// Gram's own `message` from an error body, if it has one.
fn gram_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    value["message"].as_str().map(str::to_owned)
}

fn explain_status(
    org: &Org,
    key: &HooksKey,
    platform: Platform,
    status: u16,
    body: &str,
    endpoint: &str,
) -> String {
    let project = org.project.as_str();
    let said = gram_message(body)
        .map(|m| format!(" Gram said: \"{m}\"."))
        .unwrap_or_default();
    match verdict_for_status(status) {
        CheckVerdict::Ok => format!(
            "Gram accepted the test event (HTTP {status}): {}'s hook reaches project \"{project}\" with this key.",
            platform.display_name()
        ),
        CheckVerdict::Unauthorized if key.expose() == HooksKey::placeholder().expose() => format!(
            "Gram refused the key (HTTP 401): this check used the placeholder key, which Gram never accepts. \
             Check with the real key (--key-file), or export or publish the plugin to mint one.{said}"
        ),
        CheckVerdict::Unauthorized => format!(
            "Gram refused the key {} (HTTP 401): it was revoked, or it is wrong for this server. \
             Export or publish the plugin again with a fresh key, and have teammates install the new one.{said}",
            key.masked()
        ),
        CheckVerdict::Forbidden => format!(
            "Gram accepted the key but it may not write to project \"{project}\" (HTTP 403). \
             Pick the project the key belongs to, or export or publish again with a key minted for \"{project}\".{said}"
        ),
        CheckVerdict::NotFound => format!(
            "There is no Gram hook endpoint at {endpoint} (HTTP 404): check the server URL \
             ({}) — it should be Gram's base URL.{said}",
            org.server.as_str()
        ),
        CheckVerdict::ServerError => format!(
            "Gram failed to handle the event (HTTP {status}). Teammates' hooks keep such events and resend \
             them later; try the check again in a minute.{said}"
        ),
        _ => format!(
            "Gram rejected the test event (HTTP {status}); the plugin may be older than this server's hook \
             contract: export or publish it again.{said}"
        ),
    }
}

fn explain_failure(
    org: &Org,
    curl_exit: Option<i32>,
    error: &str,
    timeout: Duration,
    proxy: Option<&crate::net::Proxy>,
) -> (CheckVerdict, String) {
    let server = org.server.as_str();
    let host = org.server.host();
    if let Some(proxy) = proxy {
        let words = tls_problem(error);
        match curl_exit {
            Some(5) => return (
                CheckVerdict::Unresolved,
                format!("The proxy {proxy} could not be resolved ({words}): check the proxy's address, or unset it."),
            ),
            Some(7) => return (
                CheckVerdict::Refused,
                format!("The proxy {proxy} refused the connection ({words}): check the proxy's address and port, or unset it."),
            ),
            Some(56) if error.contains("CONNECT") || error.contains("proxy") => return (
                CheckVerdict::Failed,
                format!("The proxy {proxy} refused to connect to {host} ({words}): a 407 means it wants credentials (put them in the proxy's URL); otherwise ask IT to allow {host}. Teammates behind it fail the same way."),
            ),
            _ => {}
        }
    }
    match curl_exit {
        Some(NO_CURL) => (
            CheckVerdict::NoCurl,
            "curl is not installed, and the hook script needs it: install curl on this machine (teammates need it too)."
                .into(),
        ),
        Some(7) => (
            CheckVerdict::Refused,
            format!(
                "Gram is not reachable at {server}: the connection was refused. Check the server URL and that Gram is running there."
            ),
        ),
        Some(6) => (
            CheckVerdict::Unresolved,
            format!("The host name {host} could not be resolved: check the server URL ({server})."),
        ),
        Some(28) => {
            let what = if error.contains("Connection timed out") {
                format!("No connection to {server} within {CONNECT_TIMEOUT_SECONDS} s, the hook's own connect limit")
            } else if error.contains("SSL") {
                format!("The TLS handshake with {server} did not finish in time")
            } else {
                format!("Gram did not answer within {} s at {server}", timeout.as_secs_f64())
            };
            (
                CheckVerdict::Timeout,
                format!(
                    "{what}. Teammates' hooks give up as soon (they keep the event and resend it later): check the \
                     network, a proxy or firewall, and that Gram is up."
                ),
            )
        }
        Some(35 | 51 | 53 | 54 | 58 | 59 | 60 | 64 | 66 | 77 | 80 | 82 | 83 | 90 | 91) => (
            CheckVerdict::Tls,
            format!(
                "The TLS connection to {host} failed: {}. Teammates' curl will fail the same way: fix the server's \
                 certificate (it must be valid for {host} and trusted by the system), or install the CA that issued it{}.",
                tls_problem(error),
                if org.ca.is_some() {
                    " (the plugin's CA file is trusted instead of curl's bundle: it must hold the CA that signs this certificate)"
                } else {
                    ", or give the company's CA so the plugin carries it"
                }
            ),
        ),
        _ => (
            CheckVerdict::Failed,
            format!("The test event could not be sent to {server}: {error}"),
        ),
    }
}

/// curl's TLS error, named in words (`curl: (60) SSL certificate problem: …` → the problem).
fn tls_problem(error: &str) -> String {
    let text = error
        .split_once(") ")
        .map_or(error, |(_, rest)| rest)
        .trim()
        .trim_end_matches('.');
    if text.is_empty() {
        "curl reported a TLS error".into()
    } else {
        text.to_owned()
    }
}

fn truncate(text: &str) -> String {
    if text.len() <= ANSWER_MAX_BYTES {
        return text.to_owned();
    }
    let mut end = ANSWER_MAX_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// 128 random bits as 32 hex characters, like the script's `od -tx4 /dev/urandom`.
fn token() -> String {
    let mut bytes = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if read.is_err() {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(format!("{:?}{}", SystemTime::now(), std::process::id()));
        bytes.copy_from_slice(&hash.finalize()[..16]);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The machine's name as the script sends it (`[A-Za-z0-9._-]` only, else none).
fn hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| {
            Command::new("uname")
                .arg("-n")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        })?;
    let name = name.trim();
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    .then(|| name.to_owned())
}

/// Now as RFC 3339 UTC with milliseconds, as the OpenCode module's `toISOString()`.
fn rfc3339_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_problem_names_curls_words() {
        assert_eq!(
            tls_problem("curl: (60) SSL certificate problem: self-signed certificate"),
            "SSL certificate problem: self-signed certificate"
        );
    }

    #[test]
    fn truncation_keeps_utf8_whole() {
        let long = "é".repeat(ANSWER_MAX_BYTES);
        let cut = truncate(&long);
        assert!(cut.ends_with('…') && cut.len() <= ANSWER_MAX_BYTES + 3);
    }

    #[test]
    fn rfc3339_is_shaped_right() {
        let now = rfc3339_now();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }
}
