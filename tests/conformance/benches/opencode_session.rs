//! What the OpenCode observability module costs a real OpenCode session: wall time of the same
//! scripted session (two bash calls, then text) without the plugin, with it and Gram on
//! loopback, and with it and Gram answering after 50 ms; median of repeated runs.
//!
//! `cargo bench -p gram-admin-conformance --bench opencode_session` (`OPENCODE_BENCH_RUNS`,
//! default 7). Needs npm once, to install OpenCode into `.cache/agents/opencode`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use gram_admin_conformance::agents;
use gram_admin_conformance::fake_model::{Api, FakeModel, Turn};
use gram_admin_conformance::opencode_home::OpenCodeHome;
use gram_admin_testkit::{Answer, GramStandIn};
use serde_json::json;

fn script() -> Vec<Turn> {
    vec![
        Turn::Shell("echo made > first.txt".into()),
        Turn::Shell("echo again > second.txt".into()),
        Turn::Text("All done.".into()),
    ]
}

/// One session in a fresh home; `gram` is where the plugin reports, or no plugin at all.
fn session(opencode: &Path, gram: Option<&str>) -> Duration {
    let model = FakeModel::start(Api::OpenAiChat, script());
    let home = OpenCodeHome::new(&model);
    if let Some(server) = gram {
        home.install_plugin(server);
    }
    let mut command = home.bare_command(opencode);
    command
        .args(["run", "-m", "fake/fake-model", "make two files"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let started = Instant::now();
    let status = command.status().expect("opencode");
    let elapsed = started.elapsed();
    assert!(status.success(), "opencode run failed");
    assert!(
        home.project().join("second.txt").exists(),
        "the session did not finish its script"
    );
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let Some(opencode) = agents::opencode() else {
        return;
    };
    let runs: usize = std::env::var("OPENCODE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let loopback = GramStandIn::start();
    loopback.answer_operation_with("ingestHookEvent", |_| {
        Answer::Json(200, json!({ "decision": "allow" }))
    });
    let slow = GramStandIn::start();
    slow.answer_operation_with("ingestHookEvent", |_| {
        Answer::After(
            Duration::from_millis(50),
            Box::new(Answer::Json(200, json!({ "decision": "allow" }))),
        )
    });
    // One warm-up run (file cache), then the three cases interleaved so that machine load
    // drifts over all of them alike.
    session(opencode, None);
    let (mut none, mut fast, mut latent) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        none.push(session(opencode, None));
        fast.push(session(opencode, Some(&loopback.url())));
        latent.push(session(opencode, Some(&slow.url())));
    }
    let base = median(none.clone());
    println!(
        "OpenCode {} session wall time, median of {runs} runs:",
        agents::OPENCODE.1
    );
    for (name, times) in [
        ("without the plugin", none),
        ("plugin, Gram on loopback", fast),
        ("plugin, Gram +50 ms", latent),
    ] {
        let m = median(times.clone());
        let overhead = (m.as_secs_f64() / base.as_secs_f64() - 1.0) * 100.0;
        println!(
            "  {name:<26} {:>7.0} ms  ({overhead:+.1} %)  runs: {:?}",
            m.as_secs_f64() * 1000.0,
            times.iter().map(|t| t.as_millis()).collect::<Vec<_>>()
        );
    }
    let events = |g: &GramStandIn| g.requests().len();
    println!(
        "  events delivered: loopback {}, +50 ms {}",
        events(&loopback),
        events(&slow)
    );
    assert!(loopback.violations().is_empty() && slow.violations().is_empty());
}
