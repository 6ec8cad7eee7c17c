//! The hook in hostile hosts (issue 9) and through Gram outages (issue 12), run for real: `sh`
//! and `curl` against the Gram stand-in on 127.0.0.1, with a harness that kills the hook's
//! process group or its whole session the moment the hook exits, as some agents do.
//!
//! `GRAM_HOOK_SCRIPT_UNDER_TEST=<file>` runs them against another hook script (say the
//! previous release's, whose curl config still carried `data-binary`) to watch them fail.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use gram_admin_core::render::hook_script::{self, HUNG_WINDOW_SECONDS, SPOOL_MAX_ENTRIES};
use gram_admin_core::Platform;
use gram_admin_testkit::{closed_port, Answer, GramHooks, GramStandIn, HookRequest, HungServer};

use crate::support::{key, plugin, sent, unpack};
use gram_admin_core::privacy::Content;

const DELIVERY: Duration = Duration::from_secs(20);

/// A plugin unpacked in its own folder, with its own plugin data directory (the spool) and HOME,
/// so tests never share a spool or touch the real one.
pub struct Plugin {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
}

impl Plugin {
    pub fn new(server: &str) -> Self {
        Self::for_platform(server, Platform::Claude)
    }

    pub fn for_platform(server: &str, platform: Platform) -> Self {
        Self::at_level(server, platform, Content::Full)
    }
    /// The plugin for `platform` whose hooks send at privacy level `content`.
    pub fn at_level(server: &str, platform: Platform, content: Content) -> Self {
        let dir = tempfile::tempdir().expect("tmp");
        let bundle = if content == Content::Full {
            plugin(server, platform)
        } else {
            gram_admin_core::render::observability_plugin(
                &crate::support::org(server).with_content(content),
                &key(),
                platform,
            )
            .expect("render")
        };
        unpack(&bundle, &dir.path().join("plugin"));
        if let Some(other) = std::env::var_os("GRAM_HOOK_SCRIPT_UNDER_TEST") {
            let hooks = dir.path().join("plugin/hooks");
            std::fs::copy(other, hooks.join("gram-hook.sh")).expect("script under test");
            let mut config =
                std::fs::read_to_string(hooks.join("gram-hook.curlrc")).expect("curlrc");
            config.push_str("data-binary = \"@-\"\n");
            std::fs::write(hooks.join("gram-hook.curlrc"), config).expect("curlrc");
        }
        std::fs::create_dir(dir.path().join("home")).expect("home");
        let data = dir.path().join("data");
        Self { dir, data }
    }

    pub fn script(&self) -> PathBuf {
        self.dir.path().join("plugin/hooks/gram-hook.sh")
    }

    /// The command an agent runs for `event`: `sh <plugin>/hooks/gram-hook.sh <event>`.
    pub fn command(&self, event: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg(self.script())
            .arg(event)
            .current_dir(self.dir.path().join("plugin"))
            .env("CLAUDE_PLUGIN_DATA", &self.data)
            .env("HOME", self.dir.path().join("home"))
            .env_remove("XDG_STATE_HOME")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs the hook for `event` with `body` on stdin, as the agent does; returns its output
    /// and how long the agent waited for it.
    pub fn run(&self, event: &str, body: &[u8]) -> (Output, Duration) {
        run_command(self.command(event), body)
    }

    /// Points the plugin's curl config at another server, as when Gram comes back (the same
    /// plugin, the same spool).
    pub fn point_at(&self, server: &str) {
        gram_admin_testkit::fixtures::point_plugin_at(&self.dir.path().join("plugin"), server);
    }

    /// The spool directory: the only folder in the plugin data directory.
    pub fn spool(&self) -> PathBuf {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&self.data)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(dirs.len() <= 1, "one spool per plugin: {dirs:?}");
        dirs.pop().unwrap_or_else(|| self.data.join("<no spool>"))
    }

    /// Kept events (`*.ev`), in name order (= arrival order).
    pub fn kept(&self) -> Vec<PathBuf> {
        self.entries(".ev")
    }

    /// Every spool entry, kept or being sent.
    pub fn entries(&self, suffix: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.spool())
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            name.starts_with(|c: char| c.is_ascii_digit()) && name.ends_with(suffix)
        });
        files.sort();
        files
    }

    /// Waits until the spool holds `n` kept events and nothing is being sent.
    pub fn wait_kept(&self, n: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + DELIVERY;
        loop {
            let kept = self.kept();
            if (kept.len() == n && self.entries(".live").is_empty() && self.senders().is_empty())
                || Instant::now() > deadline
            {
                return kept;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until nothing is being sent and the spool holds at most `n` kept events.
    pub fn wait_kept_at_most(&self, n: usize) -> Vec<PathBuf> {
        let deadline = Instant::now() + DELIVERY;
        loop {
            let kept = self.kept();
            if (kept.len() <= n && self.entries(".live").is_empty() && self.senders().is_empty())
                || Instant::now() > deadline
            {
                return kept;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Processes still running this plugin's hook script (senders and drains).
    pub fn senders(&self) -> Vec<u32> {
        let script = self.script().to_string_lossy().into_owned();
        std::fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .filter_map(|e| {
                let pid = e.file_name().to_string_lossy().parse().ok()?;
                let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
                String::from_utf8_lossy(&cmdline)
                    .contains(&script)
                    .then_some(pid)
            })
            .collect()
    }

    /// `sh gram-hook.sh --drain`: what support asks a teammate to run.
    pub fn drain(&self) -> String {
        let (out, _) = self.run("--drain", b"");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).expect("utf-8")
    }
}

pub fn run_command(mut cmd: Command, body: &[u8]) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn sh");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body)
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    (output, start.elapsed())
}

/// A unique event body: unicode, escapes and a trailing newline, so byte-exact delivery shows.
pub fn body(event: &str, n: usize) -> Vec<u8> {
    format!("{{\"hook_event_name\":\"{event}\",\"session_id\":\"s-1\",\"seq\":{n},\"cwd\":\"/tmp/é \\\"q\\\"\"}}\n")
        .into_bytes()
}

fn seq(r: &HookRequest) -> Option<u64> {
    r.json()?.get("seq")?.as_u64()
}

/// What every request must carry: the key and project from the curl config, a fresh 128-bit
/// Idempotency-Key and the machine's hostname.
fn assert_headers(requests: &[HookRequest]) {
    for r in requests {
        assert_eq!(r.header("Gram-Key"), Some(key().expose()));
        assert_eq!(r.header("Gram-Project"), Some("default"));
        let token = r.header("Idempotency-Key").unwrap_or_default();
        assert!(
            token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "Idempotency-Key {token:?}"
        );
        assert!(
            r.header("X-Gram-Hook-Hostname")
                .is_some_and(|h| !h.is_empty()),
            "X-Gram-Hook-Hostname missing"
        );
    }
}

/// Kills process groups and sessions within microseconds of being told: a shell already running,
/// whose builtin `kill` needs no new process.
struct Reaper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Reaper {
    fn start() -> Self {
        let mut child = Command::new("sh")
            .arg("-c")
            // dash's `kill` takes no `--` (it refuses the whole command): drop it.
            .arg("while read -r how targets; do [ \"$how\" = -- ] && how=; kill -TERM $how $targets 2>/dev/null; kill -KILL $how $targets 2>/dev/null; kill -HUP $how $targets 2>/dev/null; echo done; done")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("reaper");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// `kill -TERM`, then `-KILL`, then `-HUP` to `targets` (`-- -<pgid>` for a group).
    fn kill(&mut self, how: &str, targets: &str) {
        writeln!(self.stdin, "{how} {targets}").expect("reaper");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("reaper");
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every live process whose session id is `sid`.
fn session_members(sid: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp session …; comm may hold spaces and parentheses.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        if fields.get(3).and_then(|s| s.parse::<u32>().ok()) == Some(sid) {
            pids.push(pid);
        }
    }
    pids
}

/// An agent that runs each hook as the leader of its own process group and kills that group the
/// instant the hook has exited (SIGTERM, SIGKILL, SIGHUP), as several agents' hook runners do:
/// a `bash` with job control, so nothing stands between the hook's exit and the kill.
struct GroupKillingAgent {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    files: tempfile::TempDir,
    runs: usize,
}

impl GroupKillingAgent {
    fn start(plugin: &Plugin) -> Self {
        let template = plugin.command("");
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(
                "set -m\n\
                 while read -r event body out; do\n\
                 sh \"$HOOK\" \"$event\" < \"$body\" > \"$out\" 2>&1 &\n\
                 pg=$!; wait $pg; status=$?\n\
                 kill -TERM -- -$pg 2>/dev/null; kill -KILL -- -$pg 2>/dev/null; kill -HUP -- -$pg 2>/dev/null\n\
                 echo $status\n\
                 done",
            )
            .env("HOOK", plugin.script())
            .current_dir(template.get_current_dir().expect("cwd"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let mut child = cmd.spawn().expect("bash");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Self {
            child,
            stdin,
            stdout,
            files: tempfile::tempdir().expect("tmp"),
            runs: 0,
        }
    }

    /// Runs the hook for `event`; returns its exit status and everything it printed.
    fn run(&mut self, event: &str, body: &[u8]) -> (i32, Vec<u8>) {
        // A file per event: the hook's sender reads it after the hook has exited.
        self.runs += 1;
        let input = self.files.path().join(format!("body-{}", self.runs));
        let output = self.files.path().join("out");
        std::fs::write(&input, body).expect("body");
        writeln!(
            self.stdin,
            "{event} {} {}",
            input.display(),
            output.display()
        )
        .expect("agent");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("agent");
        let status = line.trim().parse().expect("exit status");
        (status, std::fs::read(&output).expect("out"))
    }
}

impl Drop for GroupKillingAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the hook as the leader of a new session (an agent and its terminal) and, the instant it
/// has exited, kills every process left in that session.
fn run_session_torn_down(plugin: &Plugin, reaper: &mut Reaper, event: &str, body: &[u8]) -> Output {
    let inner = plugin.command(event);
    let mut cmd = Command::new("setsid");
    cmd.arg(inner.get_program()).args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.current_dir(inner.get_current_dir().expect("cwd"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let sid = child.id();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body)
        .expect("stdin");
    let out = child.wait_with_output().expect("wait");
    let members = session_members(sid);
    if !members.is_empty() {
        let pids: Vec<String> = members.iter().map(u32::to_string).collect();
        reaper.kill("--", &pids.join(" "));
    }
    out
}

/// Waits for `n` stored events (deduplicated as Gram does) and returns every request.
fn wait_stored(gram: &GramStandIn, n: usize) -> Vec<HookRequest> {
    gram.wait_until(DELIVERY, |r| r.stored().len() >= n)
}

/// The stored events' sequence numbers, in arrival order.
fn stored_seqs(requests: &[HookRequest]) -> Vec<u64> {
    requests.stored().into_iter().filter_map(seq).collect()
}

// ---- issue 9: background delivery survives the agent reaping the hook -----------------------

#[test]
fn no_event_is_lost_when_the_hooks_process_group_is_killed_the_moment_it_exits() {
    let gram = GramStandIn::start();
    let plugin = Plugin::new(&gram.url());
    let mut agent = GroupKillingAgent::start(&plugin);
    let events = ["PostToolUse", "Stop", "SessionEnd", "Notification"];
    let mut bodies = Vec::new();
    for n in 0..200 {
        let event = events[n % events.len()];
        let body = body(event, n);
        let (status, printed) = agent.run(event, &body);
        assert_eq!(status, 0);
        assert!(
            printed.is_empty(),
            "{:?}",
            String::from_utf8_lossy(&printed)
        );
        bodies.push(body);
    }
    let got = wait_stored(&gram, 200);
    eprintln!(
        "group killed at exit: {} of 200 events stored",
        got.stored().len()
    );
    assert_eq!(
        got.stored().len(),
        200,
        "events lost when the hook's group was killed"
    );
    let stored: BTreeSet<&[u8]> = got.stored().iter().map(|r| r.body.as_slice()).collect();
    let bodies: Vec<Vec<u8>> = bodies.iter().map(|b| sent(b)).collect();
    let sent: BTreeSet<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
    assert!(stored == sent, "every event byte for byte");
    assert_eq!(got.repeats(), 0);
    assert_headers(&got);
    assert_eq!(gram.violations(), Vec::<String>::new());
    assert!(plugin.wait_kept(0).is_empty(), "nothing left in the spool");
}

#[test]
fn no_event_is_lost_when_the_agents_whole_session_is_torn_down() {
    let gram = GramStandIn::start();
    let plugin = Plugin::new(&gram.url());
    let mut reaper = Reaper::start();
    for n in 0..50 {
        let out =
            run_session_torn_down(&plugin, &mut reaper, "PostToolUse", &body("PostToolUse", n));
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stdout.is_empty());
    }
    let got = wait_stored(&gram, 50);
    assert_eq!(
        stored_seqs(&got).into_iter().collect::<BTreeSet<_>>(),
        (0..50).collect()
    );
    assert_eq!(got.repeats(), 0);
    assert_headers(&got);
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn ten_decision_events_against_a_hung_gram_cost_about_one_timeout() {
    let hung = HungServer::start();
    let plugin = Plugin::new(&hung.url());
    let start = Instant::now();
    for n in 0..10 {
        let (out, _) = plugin.run("PreToolUse", &body("PreToolUse", n));
        assert_eq!(
            out.status.code(),
            Some(0),
            "never 2: that would block the tool"
        );
        assert!(
            out.stdout.is_empty(),
            "no decision is printed when Gram does not answer"
        );
    }
    let stall = start.elapsed();
    eprintln!("10 decision events against a hung Gram: {stall:?}");
    // The first waits its bound; the rest of the window fails open at once. The bound leaves
    // one more timeout of room for a loaded machine: ten timeouts would be 15 s.
    let bound = Duration::from_millis(2 * u64::from(hook_script::DECISION_MAX_MS) + 1000);
    assert!(
        stall < bound,
        "10 decision events stalled {stall:?}, bound {bound:?}"
    );
    // One request re-checks Gram in the window (a background drain), not one per event.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        hung.accepted() <= 2,
        "{} requests reached the hung Gram",
        hung.accepted()
    );
    // Every event is kept for later.
    assert_eq!(
        plugin.entries("").len(),
        10,
        "every decision event's record is kept"
    );

    // After the window, the next decision event checks on Gram again (and waits its bound).
    let state = plugin.spool().join("gram-hung");
    let until: u64 = std::fs::read_to_string(&state)
        .expect("the window's state file")
        .trim()
        .parse()
        .expect("an epoch second");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(until > now && until <= now + u64::from(HUNG_WINDOW_SECONDS) + 2);
    std::fs::write(&state, "1\n").expect("age the window");
    let (out, waited) = plugin.run("PreToolUse", &body("PreToolUse", 10));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        waited >= Duration::from_millis(u64::from(hook_script::DECISION_MAX_MS) - 100),
        "after the window the hook asks Gram again: waited {waited:?}"
    );
}

#[test]
fn the_window_ends_when_gram_answers_again() {
    let gram = GramStandIn::start();
    gram.answer_with(|_| Answer::After(Duration::from_secs(3), Box::new(Answer::ok())));
    let plugin = Plugin::new(&gram.url());
    let (_, waited) = plugin.run("PreToolUse", &body("PreToolUse", 0));
    assert!(waited >= Duration::from_millis(1400), "{waited:?}");
    let (_, waited) = plugin.run("PreToolUse", &body("PreToolUse", 1));
    assert!(
        waited < Duration::from_millis(1000),
        "in the window: {waited:?}"
    );
    // Gram is back: the background check clears the window and sends what was kept.
    gram.answer_with(|_| Answer::ok());
    let (out, _) = plugin.run("Stop", &body("Stop", 2));
    assert_eq!(out.status.code(), Some(0));
    let got = wait_stored(&gram, 3);
    assert_eq!(
        stored_seqs(&got).into_iter().collect::<BTreeSet<_>>(),
        (0..3).collect(),
        "every event arrives once Gram answers"
    );
    // The drain clears it once its batch is through, a moment after Gram stored the events.
    let deadline = Instant::now() + DELIVERY;
    while plugin.spool().join("gram-hung").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !plugin.spool().join("gram-hung").exists(),
        "the window was cleared"
    );
    let (_, waited) = plugin.run("PreToolUse", &body("PreToolUse", 3));
    assert!(waited < Duration::from_millis(1000), "{waited:?}");
    assert_eq!(gram.violations(), Vec::<String>::new());
}

// ---- issue 12: the write-ahead spool --------------------------------------------------------

const CLAUDE_EVENTS: [&str; 8] = [
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "Notification",
    "Stop",
    "SessionEnd",
];

/// Fires `range` mixed events (decision and not) at a plugin whose Gram is down; each exits 0
/// at once and prints nothing.
fn fire_while_down(plugin: &Plugin, range: std::ops::Range<usize>) {
    for n in range {
        let event = CLAUDE_EVENTS[n % CLAUDE_EVENTS.len()];
        let (out, waited) = plugin.run(event, &body(event, n));
        assert_eq!(out.status.code(), Some(0), "{event}");
        assert!(out.stdout.is_empty(), "{event} printed {:?}", out.stdout);
        assert!(waited < Duration::from_secs(2), "{event} waited {waited:?}");
    }
}

#[test]
fn events_kept_while_gram_is_down_arrive_once_in_order_after_the_next_success() {
    let plugin = Plugin::new(&closed_port());
    fire_while_down(&plugin, 0..100);
    assert_eq!(plugin.wait_kept(100).len(), 100, "every event is kept");

    let gram = GramStandIn::start();
    plugin.point_at(&gram.url());
    let (out, _) = plugin.run("Stop", &body("Stop", 100));
    assert_eq!(out.status.code(), Some(0));
    let got = wait_stored(&gram, 101);
    let seqs = stored_seqs(&got);
    assert_eq!(seqs.first(), Some(&100), "the live event goes first");
    assert_eq!(
        seqs[1..].to_vec(),
        (0..100).collect::<Vec<u64>>(),
        "the kept events, oldest first"
    );
    assert_eq!(got.repeats(), 0, "each exactly once");
    assert_eq!(got.len(), 101);
    assert_headers(&got);
    for r in got.stored() {
        let n = seq(r).expect("seq") as usize;
        let event = if n == 100 {
            "Stop"
        } else {
            CLAUDE_EVENTS[n % 8]
        };
        assert_eq!(r.body, sent(&body(event, n)), "byte for byte");
    }
    assert!(plugin.wait_kept(0).is_empty());
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn events_refused_with_500_are_resent_under_the_same_idempotency_key() {
    let gram = GramStandIn::start();
    gram.answer_with(|_| Answer::error(500, "unexpected", "deploy in progress"));
    let plugin = Plugin::new(&gram.url());
    fire_while_down(&plugin, 0..20);
    assert_eq!(plugin.wait_kept(20).len(), 20);
    let refused = gram.requests();
    assert_eq!(refused.len(), 20);

    gram.answer_with(|_| Answer::ok());
    plugin.run("Stop", &body("Stop", 20));
    let got = wait_stored(&gram, 21);
    assert_eq!(
        stored_seqs(&got)[1..].to_vec(),
        (0..20).collect::<Vec<u64>>()
    );
    assert_eq!(got.repeats(), 0);
    for r in &refused {
        let replay = got
            .stored()
            .into_iter()
            .find(|s| s.body == r.body)
            .expect("replayed");
        assert_eq!(
            replay.header("Idempotency-Key"),
            r.header("Idempotency-Key"),
            "a resend reuses the event's key"
        );
    }
    let keys: BTreeSet<&str> = got
        .iter()
        .filter_map(|r| r.header("Idempotency-Key"))
        .collect();
    assert_eq!(keys.len(), 21, "a fresh key per event");
    gram.violations();
}

#[test]
fn a_401_is_kept_and_a_definitive_4xx_is_not() {
    let gram = GramStandIn::start();
    let plugin = Plugin::new(&gram.url());
    gram.answer_with(|_| Answer::error(401, "unauthorized", "key revoked"));
    plugin.run("Stop", &body("Stop", 0));
    assert_eq!(
        plugin.wait_kept(1).len(),
        1,
        "401 is kept: a new key will send it"
    );
    gram.answer_with(|_| Answer::error(404, "not_found", "no such project"));
    plugin.run("Stop", &body("Stop", 1));
    plugin.run("PreToolUse", &body("PreToolUse", 2));
    assert_eq!(gram.wait_for(3, DELIVERY).len(), 3);
    assert_eq!(
        plugin.wait_kept(1).len(),
        1,
        "a definitive 4xx is not resent"
    );
    gram.answer_with(|_| Answer::ok());
    assert!(plugin
        .drain()
        .contains("replayed 1, dropped 0, expired 0, kept 0"));
    let got = gram.requests();
    assert_eq!(stored_seqs(&got), vec![0]);
    gram.take_violations();
}

#[test]
fn a_delivery_killed_mid_send_is_sent_again_later() {
    let gram = GramStandIn::start();
    // The first request is held, then refused: the sender is killed while it waits.
    let first = AtomicBool::new(true);
    gram.answer_with(move |_| {
        if first.swap(false, Ordering::SeqCst) {
            Answer::After(
                Duration::from_secs(5),
                Box::new(Answer::error(503, "unavailable", "x")),
            )
        } else {
            Answer::ok()
        }
    });
    let plugin = Plugin::new(&gram.url());
    plugin.run("PostToolUse", &body("PostToolUse", 0));
    gram.wait_for(1, DELIVERY);
    // Kill the sender (a `sh … --deliver` in its own session) and its curl.
    let senders: Vec<u32> = std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| {
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline);
            (cmdline.contains(&*plugin.script().to_string_lossy()) && cmdline.contains("--deliver"))
                .then(|| e.file_name().to_string_lossy().parse().ok())?
        })
        .collect();
    assert_eq!(senders.len(), 1, "one sender in flight");
    let mut reaper = Reaper::start();
    let members = session_members(senders[0]);
    assert!(
        members.len() >= 2,
        "the sender leads its own session with its curl"
    );
    let pids: Vec<String> = members.iter().map(u32::to_string).collect();
    reaper.kill("--", &pids.join(" "));
    assert_eq!(plugin.entries(".live").len(), 1, "the event is on disk");
    // Until init has reaped the killed sender, its pid still answers `kill -0`.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{}", senders[0])).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }

    plugin.run("Stop", &body("Stop", 1));
    let got = wait_stored(&gram, 2);
    assert_eq!(
        stored_seqs(&got),
        vec![1, 0],
        "the killed event was sent again"
    );
    assert_eq!(
        got[0].header("Idempotency-Key"),
        got.stored()[1].header("Idempotency-Key")
    );
    assert!(plugin.wait_kept(0).is_empty() && plugin.entries("").is_empty());
    gram.take_violations();
}

#[test]
fn five_drains_at_once_send_each_event_once() {
    let plugin = Plugin::new(&closed_port());
    fire_while_down(&plugin, 0..40);
    assert_eq!(plugin.wait_kept(40).len(), 40);
    let gram = GramStandIn::start();
    plugin.point_at(&gram.url());
    let drains: Vec<_> = (0..5)
        .map(|_| {
            let mut cmd = plugin.command("--drain");
            cmd.stdin(Stdio::null());
            cmd.spawn().expect("drain")
        })
        .collect();
    let outputs: Vec<String> = drains
        .into_iter()
        .map(|c| String::from_utf8(c.wait_with_output().expect("drain").stdout).expect("utf-8"))
        .collect();
    let replayed: usize = outputs
        .iter()
        .map(|o| {
            o.split("replayed ")
                .nth(1)
                .and_then(|s| s.split(',').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("no count in {o:?}"))
        })
        .sum();
    assert_eq!(replayed, 40, "{outputs:#?}");
    let got = gram.requests();
    assert_eq!(got.repeats(), 0, "two drains sent the same event");
    assert_eq!(stored_seqs(&got), (0..40).collect::<Vec<u64>>());
    assert!(plugin.kept().is_empty());

    // A drain whose holder died leaves a stale lock: the next drain takes it over.
    fire_while_down_at(&plugin, &closed_port(), 40..43);
    plugin.point_at(&gram.url());
    let dead = Command::new("true").spawn().expect("true");
    let dead_pid = dead.id();
    let _ = dead.wait_with_output();
    std::fs::write(plugin.spool().join("drain.lock"), format!("{dead_pid} 1\n")).expect("lock");
    let report = plugin.drain();
    assert!(
        report.contains("replayed 3, dropped 0, expired 0, kept 0"),
        "{report}"
    );
    assert_eq!(gram.requests().repeats(), 0);
    assert_eq!(gram.violations(), Vec::<String>::new());
}

fn fire_while_down_at(plugin: &Plugin, down: &str, range: std::ops::Range<usize>) {
    plugin.point_at(down);
    let n = range.len();
    fire_while_down(plugin, range);
    assert_eq!(plugin.wait_kept(n).len(), n);
}

#[test]
fn a_long_outage_keeps_the_newest_2000_events() {
    let plugin = Plugin::new(&closed_port());
    let total = SPOOL_MAX_ENTRIES as usize + 100;
    let start = Instant::now();
    for n in 0..total {
        let (out, _) = plugin.run("PostToolUse", &body("PostToolUse", n));
        assert_eq!(out.status.code(), Some(0));
    }
    eprintln!("{total} events while Gram is down: {:?}", start.elapsed());
    // Hundreds of senders trim at once, and a directory listing taken while another sender
    // renames its entry into place may miss that entry: the last two can each count 2,000 and
    // leave 2,001. The next event's sender, alone, trims with the whole spool in view.
    plugin.wait_kept_at_most(SPOOL_MAX_ENTRIES as usize + 2);
    let (out, _) = plugin.run("PostToolUse", &body("PostToolUse", total));
    assert_eq!(out.status.code(), Some(0));
    let total = total + 1;
    let kept = plugin.wait_kept(SPOOL_MAX_ENTRIES as usize);
    assert_eq!(kept.len(), SPOOL_MAX_ENTRIES as usize, "capped at 2,000");
    let gram = GramStandIn::start();
    plugin.point_at(&gram.url());
    let start = Instant::now();
    let report = plugin.drain();
    eprintln!("drained 2,000 events in {:?}", start.elapsed());
    assert!(
        report.contains("replayed 2000, dropped 0, expired 0, kept 0"),
        "{report}"
    );
    let got = stored_seqs(&gram.requests());
    let newest: Vec<u64> = ((total - SPOOL_MAX_ENTRIES as usize) as u64..total as u64).collect();
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, newest, "the newest 2,000");
    // Oldest first, to the spool clock's resolution (1/100 s; within one, by process id): a
    // few events the test fires within the same hundredth may swap places, nothing more.
    for (at, seq) in got.iter().enumerate() {
        let expected = newest[at];
        assert!(
            seq.abs_diff(expected) <= 16,
            "event {seq} replayed at place {at} (oldest first: {expected}): {got:?}"
        );
    }
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn events_older_than_14_days_expire() {
    let plugin = Plugin::new(&closed_port());
    fire_while_down(&plugin, 0..5);
    let kept = plugin.wait_kept(5);
    // Age the two oldest: the name starts with the event's time in epoch nanoseconds.
    let old = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 15 * 86_400;
    for (i, path) in kept.iter().take(2).enumerate() {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let rest = name.split_once('-').expect("time-").1;
        std::fs::rename(
            path,
            path.with_file_name(format!("{old}00000000{i}-{rest}")),
        )
        .expect("age");
    }
    let gram = GramStandIn::start();
    plugin.point_at(&gram.url());
    let report = plugin.drain();
    assert!(
        report.contains("replayed 3, dropped 0, expired 2, kept 0"),
        "{report}"
    );
    assert_eq!(stored_seqs(&gram.requests()), vec![2, 3, 4]);
    gram.violations();
}

#[test]
fn an_unwritable_spool_changes_nothing_for_the_agent() {
    let gram = GramStandIn::start();
    let plugin = Plugin::new(&gram.url());
    // A file where the plugin data directory should be: no spool, even for root.
    std::fs::write(&plugin.data, "not a directory").expect("file");
    for (n, event) in ["PreToolUse", "Stop"].into_iter().enumerate() {
        let (out, _) = plugin.run(event, &body(event, n));
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            out_text(&out),
            "",
            "{event}: a 200 {{}} holds no deny to pass on"
        );
    }
    let got = wait_stored(&gram, 2);
    assert_eq!(got.stored().len(), 2, "sent live");
    assert_headers(&got);
    assert_eq!(gram.violations(), Vec::<String>::new());
}

/// Stdout and stderr of a hook run, as text.
fn out_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A 64 KiB tmpfs, filled: a full disk. Needs root (these machines run tests as root).
struct FullDisk(PathBuf);

impl FullDisk {
    /// Mounts it at `at`, creates `dir` in it, then fills it up.
    fn mount(at: &Path, dir: &str) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        let disk = Self(at.to_owned());
        std::fs::create_dir(at.join(dir)).ok()?;
        let _ = std::fs::write(at.join("filler"), vec![b'x'; 1 << 20]);
        Some(disk)
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_changes_nothing_for_the_agent() {
    let gram = GramStandIn::start();
    let plugin = Plugin::new(&gram.url());
    // The spool directory exists (created before the disk filled up); writing fails.
    let name = std::fs::read_to_string(plugin.dir.path().join("plugin/hooks/gram-hook.curlrc"))
        .expect("curlrc")
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# spool: ").map(str::to_owned))
        .expect("spool name");
    let Some(_disk) = FullDisk::mount(&plugin.data, &name) else {
        eprintln!("WARNING: cannot mount a tmpfs here (not root?): full-disk case not run");
        return;
    };
    let big = format!(
        "{{\"hook_event_name\":\"Stop\",\"seq\":0,\"pad\":\"{}\"}}",
        "y".repeat(200_000)
    );
    for (event, body) in [
        ("Stop", big.into_bytes()),
        ("PreToolUse", body("PreToolUse", 1)),
        ("PostToolUse", body("PostToolUse", 2)),
    ] {
        let (out, _) = plugin.run(event, &body);
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(
            out_text(&out),
            "",
            "{event}: a 200 {{}} holds no deny to pass on"
        );
    }
    let got = wait_stored(&gram, 3);
    assert_eq!(
        stored_seqs(&got).into_iter().collect::<BTreeSet<_>>(),
        (0..3).collect(),
        "sent live, in full"
    );
    assert!(got.iter().any(|r| r.body.len() > 200_000));
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn spool_files_are_private_and_never_hold_the_key() {
    let hung = HungServer::start();
    let plugin = Plugin::new(&closed_port());
    let cmd_umask = |event: &str, n: usize| {
        // A teammate's permissive umask must not leak into the spool.
        let mut cmd = plugin.command(event);
        with_umask_000(&mut cmd);
        run_command(cmd, &body(event, n))
    };
    for (n, event) in CLAUDE_EVENTS.iter().enumerate() {
        cmd_umask(event, n);
    }
    plugin.point_at(&hung.url());
    cmd_umask("PreToolUse", 8); // leaves the window's state file too
    cmd_umask("UserPromptSubmit", 9);
    let kept = plugin.wait_kept(10);
    assert_eq!(kept.len(), 10);
    let spool = plugin.spool();
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode(&spool), 0o700, "{}", spool.display());
    let key = key();
    let secret = &key.expose()[11..];
    for entry in std::fs::read_dir(&spool).expect("spool").flatten() {
        let path = entry.path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(!name.contains(secret));
        let text = std::fs::read(&path).expect("read");
        assert!(
            !String::from_utf8_lossy(&text).contains(secret),
            "{} holds the key",
            path.display()
        );
    }
    for path in &kept {
        // Only the agent's payload: the file is the event as the privacy filter lets it go.
        let text = std::fs::read(path).expect("read");
        let value: serde_json::Value = serde_json::from_slice(&text).expect("the event");
        let n = value["seq"].as_u64().expect("seq") as usize;
        assert_eq!(
            text,
            sent(&body(value["hook_event_name"].as_str().expect("event"), n))
        );
    }
}

/// Runs the hook under umask 000 (through `sh -c 'umask 000; exec "$@"'`).
fn with_umask_000(cmd: &mut Command) {
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(ToOwned::to_owned).collect();
    let mut wrapped = Command::new("sh");
    wrapped
        .arg("-c")
        .arg("umask 000; exec \"$@\"")
        .arg("sh")
        .arg(program)
        .args(args);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    wrapped
        .current_dir(cmd.get_current_dir().expect("cwd"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    *cmd = wrapped;
}

#[test]
fn drain_reports_and_prints_nothing_else() {
    let plugin = Plugin::new(&closed_port());
    let report = plugin.drain();
    assert!(
        report.starts_with("gram-hook: replayed 0, dropped 0, expired 0, kept 0 ("),
        "{report:?}"
    );
    fire_while_down(&plugin, 0..3);
    plugin.wait_kept(3);
    let report = plugin.drain();
    assert!(
        report.contains("replayed 0, dropped 0, expired 0, kept 3"),
        "{report:?}"
    );
    assert_eq!(report.lines().count(), 1);
}

// ---- issue 17: the spool trusts only what is the teammate's own -----------------------------

impl Plugin {
    /// The spool directory's name, from the first line of the curl config.
    fn spool_name(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("plugin/hooks/gram-hook.curlrc"))
            .expect("curlrc")
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# spool: ").map(str::to_owned))
            .expect("spool name")
    }

    /// Waits until no sender or drain of this plugin runs.
    fn settle(&self) {
        let deadline = Instant::now() + DELIVERY;
        while !self.senders().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every file in `dir`, hidden ones included.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Makes the spool directory at the path given, in some state the hook must not trust.
type MakeSpool = Box<dyn Fn(&Path)>;

#[test]
fn a_spool_directory_that_is_not_the_teammates_alone_is_never_used() {
    let gram = GramStandIn::start();
    let mut cases: Vec<(&str, MakeSpool)> = vec![
        (
            "mode 0777",
            Box::new(|dir: &Path| {
                std::fs::create_dir_all(dir).expect("mkdir");
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
                    .expect("chmod");
            }),
        ),
        (
            "mode 0755",
            Box::new(|dir: &Path| {
                std::fs::create_dir_all(dir).expect("mkdir");
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
            }),
        ),
        (
            "a symlink to a private directory",
            Box::new(|dir: &Path| {
                let target = dir.with_extension("elsewhere");
                std::fs::create_dir_all(&target).expect("mkdir");
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700))
                    .expect("chmod");
                std::fs::create_dir_all(dir.parent().expect("parent")).expect("mkdir");
                std::os::unix::fs::symlink(&target, dir).expect("symlink");
            }),
        ),
    ];
    if is_root() {
        cases.push((
            "another user's",
            Box::new(|dir: &Path| {
                std::fs::create_dir_all(dir).expect("mkdir");
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .expect("chmod");
                std::os::unix::fs::chown(dir, Some(65534), Some(65534)).expect("chown");
            }),
        ));
    } else {
        eprintln!("WARNING: not root: the other user's spool case is not run");
    }
    for (what, make) in cases {
        // Gram down: a spool in use would keep the events.
        let plugin = Plugin::new(&closed_port());
        let spool = plugin.data.join(plugin.spool_name());
        make(&spool);
        for (n, event) in ["PreToolUse", "Stop", "UserPromptSubmit", "PostToolUse"]
            .into_iter()
            .enumerate()
        {
            let (out, _) = plugin.run(event, &body(event, n));
            assert_eq!(out.status.code(), Some(0), "{what}: {event}");
        }
        plugin.settle();
        let real = std::fs::canonicalize(&spool).expect("spool");
        assert_eq!(
            files_in(&real),
            Vec::<String>::new(),
            "{what}: the spool was used"
        );
        let report = plugin.drain();
        assert!(
            report.contains("it is not a folder of yours alone") && report.contains("chmod 700"),
            "{what}: {report}"
        );
        // Gram up: events are still sent, from memory.
        plugin.point_at(&gram.url());
        gram.clear();
        plugin.run("PreToolUse", &body("PreToolUse", 10));
        plugin.run("Stop", &body("Stop", 11));
        let got = wait_stored(&gram, 2);
        assert_eq!(
            stored_seqs(&got).into_iter().collect::<BTreeSet<_>>(),
            [10, 11].into()
        );
        plugin.settle();
        assert_eq!(
            files_in(&real),
            Vec::<String>::new(),
            "{what}: the spool was used"
        );
    }
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn a_planted_entry_is_never_sent_only_the_teammates_own_events() {
    let plugin = Plugin::new(&closed_port());
    fire_while_down(&plugin, 0..2);
    assert_eq!(plugin.wait_kept(2).len(), 2);
    let spool = plugin.spool();
    // A file the teammate can read, and entries that look like kept events but are not theirs:
    // a symlink to that file, and (as root) another user's regular file.
    let secret = plugin.dir.path().join("secret.json");
    std::fs::write(&secret, "{\"secret\":\"TOP SECRET\"}").expect("secret");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let name = |i: u32| format!("{}00000000{i}-22-{:032x}.ev", now - 60, 0xabc0 + i);
    std::os::unix::fs::symlink(&secret, spool.join(name(1))).expect("symlink");
    if is_root() {
        let foreign = spool.join(name(2));
        std::fs::write(&foreign, "{\"planted\":\"by another user\"}").expect("plant");
        std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).expect("chown");
    }
    let gram = GramStandIn::start();
    plugin.point_at(&gram.url());
    let report = plugin.drain();
    assert!(report.contains("replayed 2, dropped 0"), "{report}");
    let got = gram.requests();
    assert_eq!(stored_seqs(&got), vec![0, 1]);
    for r in &got {
        let text = String::from_utf8_lossy(&r.body);
        assert!(
            !text.contains("TOP SECRET") && !text.contains("planted"),
            "sent {text}"
        );
    }
    assert_eq!(gram.violations(), Vec::<String>::new());
}

#[test]
fn the_hung_window_is_written_by_rename_never_through_a_symlink() {
    let plugin = Plugin::new(&closed_port());
    plugin.run("Stop", &body("Stop", 0));
    plugin.wait_kept(1);
    let hung = HungServer::start();
    plugin.point_at(&hung.url());
    let victim = plugin.dir.path().join("victim");
    std::fs::write(&victim, "keep me\n").expect("victim");
    let state = plugin.spool().join("gram-hung");
    std::os::unix::fs::symlink(&victim, &state).expect("symlink");
    let (out, waited) = plugin.run("PreToolUse", &body("PreToolUse", 1));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        waited >= Duration::from_millis(u64::from(hook_script::DECISION_MAX_MS) - 100),
        "a planted window is not believed: {waited:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "keep me\n"
    );
    let meta = std::fs::symlink_metadata(&state).expect("state");
    assert!(
        meta.file_type().is_file(),
        "gram-hung is a file of the hook's own"
    );
    let until: u64 = std::fs::read_to_string(&state)
        .expect("state")
        .trim()
        .parse()
        .expect("an epoch second");
    assert!(until > 1_700_000_000);
}

#[test]
fn names_in_the_spool_are_never_split_or_globbed() {
    let plugin = Plugin::new(&closed_port());
    fire_while_down(&plugin, 0..3);
    let kept = plugin.wait_kept(3);
    assert_eq!(kept.len(), 3);
    // A name with a space and a `*`: split and globbed, `rm -f $done` would delete every entry.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let odd = plugin
        .spool()
        .join(format!("{}000000000-2-{:032x} *.ev", now - 60, 1));
    std::fs::write(&odd, "{}").expect("odd name");
    let gram = GramStandIn::start();
    // Gram takes what is empty (what a split name sends) and is down for the rest.
    gram.answer_with(|r| {
        if r.body.is_empty() {
            Answer::ok()
        } else {
            Answer::error(503, "unavailable", "down")
        }
    });
    plugin.point_at(&gram.url());
    plugin.drain();
    let left: Vec<PathBuf> = plugin.kept().into_iter().filter(|p| p != &odd).collect();
    assert_eq!(left, kept, "kept events were deleted unsent");
    assert!(
        gram.requests().iter().all(|r| !r.body.is_empty()),
        "an odd name was sent"
    );
    gram.take_violations();
}

#[test]
fn a_relative_xdg_state_home_never_spools_into_the_project() {
    let plugin = Plugin::new(&closed_port());
    let project = plugin.dir.path().join("project");
    std::fs::create_dir(&project).expect("project");
    let run = |event: &str, n: usize| {
        let mut cmd = plugin.command(event);
        cmd.env_remove("CLAUDE_PLUGIN_DATA")
            .env("XDG_STATE_HOME", "state")
            .current_dir(&project);
        run_command(cmd, &body(event, n))
    };
    run("Stop", 0);
    run("PreToolUse", 1);
    plugin.settle();
    assert_eq!(
        files_in(&project),
        Vec::<String>::new(),
        "spooled into the project"
    );
    let home_spool = plugin
        .dir
        .path()
        .join("home/.local/state/gram-hooks")
        .join(plugin.spool_name());
    let kept: Vec<String> = files_in(&home_spool)
        .into_iter()
        .filter(|n| n.ends_with(".ev"))
        .collect();
    assert_eq!(kept.len(), 2, "kept in the home's state directory instead");
}

#[test]
fn a_killed_sender_left_as_a_zombie_is_taken_for_dead() {
    // A parent that never reaps: perl makes itself the subreaper of what the hook leaves
    // behind, runs the hook, then becomes `sleep`, as a container's PID 1 that reaps late.
    let has_subreaper = Command::new("perl")
        .args([
            "-e",
            "require 'syscall.ph'; syscall(&SYS_prctl, 36, 1) == 0 or exit 1",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !has_subreaper {
        eprintln!("WARNING: no perl with syscall.ph (prctl): zombie case not run");
        return;
    }
    let gram = GramStandIn::start();
    let first = AtomicBool::new(true);
    gram.answer_with(move |_| {
        if first.swap(false, Ordering::SeqCst) {
            Answer::After(
                Duration::from_secs(8),
                Box::new(Answer::error(503, "unavailable", "x")),
            )
        } else {
            Answer::ok()
        }
    });
    let plugin = Plugin::new(&gram.url());
    let inner = plugin.command("PostToolUse");
    let mut cmd = Command::new("perl");
    cmd.arg("-e")
        .arg("require 'syscall.ph'; syscall(&SYS_prctl, 36, 1) == 0 or die; system(@ARGV); exec 'sleep', '30'")
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir(inner.get_current_dir().expect("cwd"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let body0 = std::env::temp_dir().join(format!("gram-zombie-{}", std::process::id()));
    std::fs::write(&body0, body("PostToolUse", 0)).expect("body");
    cmd.stdin(std::fs::File::open(&body0).expect("body"));
    let mut reaper_parent = cmd.spawn().expect("perl");
    gram.wait_for(1, DELIVERY);
    let senders: Vec<u32> = plugin.senders();
    assert_eq!(senders.len(), 1, "one sender in flight");
    let mut reaper = Reaper::start();
    let pids: Vec<String> = session_members(senders[0])
        .iter()
        .map(u32::to_string)
        .collect();
    reaper.kill("--", &pids.join(" "));
    let zombie = || {
        std::fs::read_to_string(format!("/proc/{}/stat", senders[0])).is_ok_and(|stat| {
            stat.rsplit_once(") ")
                .is_some_and(|(_, s)| s.starts_with('Z'))
        })
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while !zombie() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        zombie(),
        "the killed sender lingers as a zombie: {:?}",
        std::fs::read_to_string(format!("/proc/{}/stat", senders[0]))
    );
    assert_eq!(plugin.entries(".live").len(), 1, "its event is on disk");

    plugin.run("Stop", &body("Stop", 1));
    let got = wait_stored(&gram, 2);
    assert_eq!(
        stored_seqs(&got),
        vec![1, 0],
        "the zombie's event was sent again at once"
    );
    let _ = reaper_parent.kill();
    let _ = reaper_parent.wait();
    let _ = std::fs::remove_file(&body0);
    gram.take_violations();
}

#[test]
fn the_curl_config_is_made_private_on_the_first_run() {
    let gram = GramStandIn::start();
    for event in ["PreToolUse", "Stop"] {
        let plugin = Plugin::new(&gram.url());
        let config = plugin.dir.path().join("plugin/hooks/gram-hook.curlrc");
        // What a git checkout gives: 0644.
        std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        plugin.run(event, &body(event, 0));
        plugin.settle();
        let mode = std::fs::metadata(&config)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{event}");
    }
    gram.take_violations();
}

#[test]
fn a_decision_event_gram_took_leaves_nothing_in_the_spool() {
    let gram = GramStandIn::start();
    let plugin = Plugin::new(&gram.url());
    for n in 0..3 {
        plugin.run("PreToolUse", &body("PreToolUse", n));
    }
    plugin.run("Stop", &body("Stop", 3));
    assert_eq!(wait_stored(&gram, 4).stored().len(), 4);
    plugin.settle();
    assert_eq!(plugin.entries(""), Vec::<PathBuf>::new());
    assert_eq!(gram.violations(), Vec::<String>::new());
}

/// A canary secret and sentence in a prompt and in a tool's output: at `metadata` neither is
/// kept in the spool nor sent, while the events still arrive with their names and tool names;
/// at `full` the sentence arrives and the secret as `[redacted:aws_access_key]`. Both paths: a
/// decision event (written ahead by the filter on its way to curl) and background ones, first
/// kept while Gram is down, then sent.
#[test]
fn nothing_unfiltered_is_ever_kept_or_sent() {
    const SECRET: &str = "AKIAZQ3DRSTUVWXY2345";
    const SENTENCE: &str = "the canary sang at midnight";
    let events = [
        (
            "UserPromptSubmit",
            format!(
                r#"{{"hook_event_name":"UserPromptSubmit","session_id":"s-9","prompt":"{SENTENCE}: {SECRET}"}}"#
            ),
        ),
        (
            "PostToolUse",
            format!(
                r#"{{"hook_event_name":"PostToolUse","session_id":"s-9","tool_name":"Bash","tool_input":{{"command":"echo {SECRET}"}},"tool_response":{{"stdout":"{SENTENCE}\n{SECRET}\n"}}}}"#
            ),
        ),
    ];
    for content in Content::ALL {
        let plugin = Plugin::at_level(&closed_port(), Platform::Claude, content);
        for (event, body) in &events {
            plugin.run(event, body.as_bytes());
        }
        let kept = plugin.wait_kept(2);
        assert_eq!(kept.len(), 2, "{content}: both kept while Gram is down");
        for path in &kept {
            let text = String::from_utf8(std::fs::read(path).expect("read")).expect("utf-8");
            assert!(
                !text.contains(SECRET),
                "{content}: the secret was spooled: {text}"
            );
            assert_eq!(
                text.contains(SENTENCE),
                content == Content::Full,
                "{content}: {text}"
            );
        }
        let gram = GramStandIn::start();
        plugin.point_at(&gram.url());
        plugin.run("Stop", br#"{"hook_event_name":"Stop","session_id":"s-9"}"#);
        let got = wait_stored(&gram, 3);
        assert_eq!(got.stored().len(), 3, "{content}");
        let mut names = Vec::new();
        for r in got.stored() {
            let text = String::from_utf8(r.body.clone()).expect("utf-8");
            assert!(
                !text.contains(SECRET),
                "{content}: the secret was sent: {text}"
            );
            let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            names.push(format!(
                "{} {}",
                value["hook_event_name"].as_str().unwrap_or("?"),
                value["tool_name"].as_str().unwrap_or("-")
            ));
            match value["hook_event_name"].as_str() {
                Some("UserPromptSubmit") if content == Content::Full => assert_eq!(
                    value["prompt"],
                    format!("{SENTENCE}: [redacted:aws_access_key]")
                ),
                Some("PostToolUse") if content == Content::Full => assert_eq!(
                    value["tool_response"]["stdout"],
                    format!("{SENTENCE}\n[redacted:aws_access_key]\n")
                ),
                Some(_) if content == Content::Metadata => assert!(
                    value.get("prompt").is_none()
                        && value.get("tool_input").is_none()
                        && value.get("tool_response").is_none(),
                    "{text}"
                ),
                _ => {}
            }
        }
        names.sort();
        assert_eq!(
            names,
            ["PostToolUse Bash", "Stop -", "UserPromptSubmit -"],
            "{content}: every event arrives, named"
        );
        assert_eq!(gram.violations(), Vec::<String>::new());
    }
}

/// The hook reads the clock for its sender (a builtin, no process) and hands it over, so the
/// sender lets go of the hook the moment it starts, and the event's place in the spool is the
/// hook's own reading. `setsid` runs under `LC_ALL=C`, so it loads no locale files first. A
/// `setsid` on PATH that notes what it was given shows both.
#[test]
fn the_hook_reads_the_clock_for_its_sender_and_setsid_loads_no_locale() {
    let plugin = Plugin::new(&closed_port());
    let shims = plugin.dir.path().join("shims");
    std::fs::create_dir(&shims).expect("shims");
    let log = plugin.dir.path().join("setsid.log");
    let path = std::env::var("PATH").expect("PATH");
    let shim = shims.join("setsid");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"${{LC_ALL-unset}}\" $$ \"$@\" > '{}'\nPATH='{path}' exec setsid \"$@\"\n",
            log.display()
        ),
    )
    .expect("shim");
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut cmd = plugin.command("PostToolUse");
    cmd.env("PATH", format!("{}:{path}", shims.display()))
        .env_remove("LC_ALL")
        .env("LANG", "C.UTF-8");
    let (out, _) = run_command(cmd, &body("PostToolUse", 1));
    assert_eq!(out.status.code(), Some(0));
    let kept = plugin.wait_kept(1);
    assert_eq!(kept.len(), 1, "the event is kept while Gram is down");

    let noted = std::fs::read_to_string(&log).expect("setsid ran");
    let noted: Vec<&str> = noted.lines().collect();
    assert_eq!(noted[0], "C", "setsid runs under LC_ALL=C: {noted:?}");
    let pid: u32 = noted[1].parse().expect("pid");
    assert_eq!(
        noted[2..6],
        [
            "sh",
            plugin.script().to_string_lossy().as_ref(),
            "--deliver",
            "PostToolUse"
        ][..],
        "{noted:?}"
    );
    let up = noted.get(6).copied().unwrap_or_default();
    let (secs, centis) = up
        .split_once('.')
        .unwrap_or_else(|| panic!("the hook hands over the uptime it read: {noted:?}"));
    assert!(secs.parse::<u64>().is_ok() && centis.len() == 2, "{up:?}");

    // The kept entry's name begins with the hook's reading: boot second (the spool's clock) +
    // uptime seconds, the centiseconds, then the sender's pid (setsid execs sh in place).
    let clock = std::fs::read_to_string(plugin.spool().join("clock")).expect("clock");
    let boot: u64 = clock
        .split_whitespace()
        .nth(1)
        .and_then(|b| b.parse().ok())
        .expect("boot second");
    let expected = format!(
        "{}{centis}{pid:07}-",
        boot + secs.parse::<u64>().expect("secs")
    );
    let name = kept[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert!(name.starts_with(&expected), "{name} from {expected}");
}
