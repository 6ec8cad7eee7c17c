//! What the hook costs the agent: process start to exit of our hook script against the
//! anchor's (bash `exec curl …`, blocking on Gram's answer), all against one Gram stand-in on
//! 127.0.0.1, and the stall when Gram accepts the connection and never answers.
//!
//! `cargo bench -p gram-admin-conformance --bench hook_cost` (or `make bench`).
//! `HOOK_BENCH_RUNS=N` sets the runs per case (default 200).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gram_admin_conformance::{fixture_org, KEY_FIXTURE};
use gram_admin_core::{export, render, HooksKey, Platform};
use gram_admin_testkit::{GramStandIn, HungServer};

/// The anchor: the hook the product replaces, reproduced exactly.
fn anchor_script(url: &str) -> String {
    format!(
        "#!/usr/bin/env bash\nexec curl -sS -X POST -H \"Gram-Key: {KEY_FIXTURE}\" -H \"Gram-Project: default\" \
-H \"Content-Type: application/json\" --data-binary @- {url}/rpc/hooks.claude\n"
    )
}

struct Hooks {
    ours: PathBuf,
    anchor: PathBuf,
    _dir: tempfile::TempDir,
}

fn install(server: &str) -> Hooks {
    let dir = tempfile::tempdir().expect("tmp");
    let plugin = dir.path().join("plugin");
    let key = HooksKey::parse(KEY_FIXTURE).expect("key");
    export::write_dir(
        &render::observability_plugin(&fixture_org(server), &key, Platform::Claude)
            .expect("render"),
        &plugin,
    )
    .expect("write");
    let anchor = dir.path().join("anchor.sh");
    std::fs::write(&anchor, anchor_script(server)).expect("anchor");
    Hooks {
        ours: plugin.join("hooks/gram-hook.sh"),
        anchor,
        _dir: dir,
    }
}

/// Start to exit of `<shell> script event` fed one event, as the agent sees it: ours runs under
/// `sh` (what its hooks.json says), the anchor under bash. `cap` kills a hook that never
/// returns (the anchor has no timeout of its own).
fn run_once(script: &Path, event: &str, cap: Duration) -> Duration {
    let shell = if script.ends_with("anchor.sh") {
        "bash"
    } else {
        "sh"
    };
    let body = format!("{{\"hook_event_name\":\"{event}\",\"session_id\":\"bench\",\"tool_name\":\"Bash\",\"tool_input\":{{\"command\":\"ls\"}}}}");
    let start = Instant::now();
    let mut child = Command::new(shell)
        .arg(script)
        .arg(event)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("stdin");
    loop {
        if child.try_wait().expect("wait").is_some() {
            return start.elapsed();
        }
        if start.elapsed() > cap {
            let _ = child.kill();
            let _ = child.wait();
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn p90(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() * 9 / 10]
}

fn ms(d: Duration) -> String {
    format!("{:8.2} ms", d.as_secs_f64() * 1000.0)
}

struct Case<'a> {
    label: &'a str,
    script: &'a Path,
    event: &'a str,
    times: Vec<Duration>,
}

impl<'a> Case<'a> {
    fn new(label: &'a str, script: &'a Path, event: &'a str) -> Self {
        Self {
            label,
            script,
            event,
            times: Vec::new(),
        }
    }

    fn report(&self) -> Duration {
        let m = median(self.times.clone());
        println!(
            "{:<44} median {}  p90 {}  ({} runs)",
            self.label,
            ms(m),
            ms(p90(self.times.clone())),
            self.times.len()
        );
        m
    }
}

/// Runs the cases round-robin (so drift and noise hit all alike); after each run, waits until
/// the stand-in has the event, so a background delivery never competes with the next run.
fn measure_interleaved(cases: &mut [Case], runs: usize, gram: Option<&GramStandIn>, cap: Duration) {
    for case in cases.iter() {
        let _ = run_once(case.script, case.event, cap); // warm the page cache
    }
    let mut delivered = gram.map_or(0, |g| g.requests().len());
    for _ in 0..runs {
        for case in cases.iter_mut() {
            case.times.push(run_once(case.script, case.event, cap));
            if let Some(gram) = gram {
                delivered += 1;
                gram.wait_for(delivered, Duration::from_secs(5));
            }
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes with --list: nothing to list.
    }
    let runs: usize = std::env::var("HOOK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let gram = GramStandIn::start();
    let hooks = install(&gram.url());
    let cap = Duration::from_secs(30);

    println!(
        "Hook cost, process start to exit, against a Gram stand-in on 127.0.0.1 answering at once:"
    );
    let mut cases = [
        Case::new(
            "ours, PostToolUse (non-decision)",
            &hooks.ours,
            "PostToolUse",
        ),
        Case::new("anchor, PostToolUse", &hooks.anchor, "PostToolUse"),
        Case::new("ours, PreToolUse (decision)", &hooks.ours, "PreToolUse"),
        Case::new("anchor, PreToolUse", &hooks.anchor, "PreToolUse"),
    ];
    measure_interleaved(&mut cases, runs, Some(&gram), cap);
    let m: Vec<Duration> = cases.iter().map(Case::report).collect();
    println!(
        "ratio ours/anchor: non-decision {:.2}, decision {:.2}",
        m[0].as_secs_f64() / m[1].as_secs_f64(),
        m[2].as_secs_f64() / m[3].as_secs_f64()
    );

    // A burst: events back to back, background deliveries still running during the next hook.
    gram.clear();
    let mut burst = [Case::new(
        "ours, PostToolUse, back-to-back burst",
        &hooks.ours,
        "PostToolUse",
    )];
    measure_interleaved(&mut burst, runs, None, cap);
    burst[0].report();
    let got = gram.wait_for(runs + 1, Duration::from_secs(30)).len();
    println!(
        "burst events received by the stand-in: {got} of {}",
        runs + 1
    );
    assert!(gram.violations().is_empty(), "{:?}", gram.violations());

    let hung = HungServer::start();
    let hooks = install(&hung.url());
    let stall_runs = runs.min(5);
    println!("\nStall when Gram accepts and never answers:");
    let mut stalls = [
        Case::new(
            "ours, PostToolUse (non-decision)",
            &hooks.ours,
            "PostToolUse",
        ),
        Case::new("ours, PreToolUse (decision)", &hooks.ours, "PreToolUse"),
    ];
    measure_interleaved(&mut stalls, stall_runs, None, cap);
    stalls.iter().for_each(|c| {
        c.report();
    });
    let anchor_cap = Duration::from_secs(5);
    let mut anchor = [Case::new(
        "anchor, PreToolUse (killed at the cap)",
        &hooks.anchor,
        "PreToolUse",
    )];
    measure_interleaved(&mut anchor, 2, None, anchor_cap);
    let a = anchor[0].report();
    println!("anchor: no bound of its own; stalled until killed at {:.1} s (Claude's default hook timeout is 600 s)", a.as_secs_f64());
}
