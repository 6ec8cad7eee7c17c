//! `gram-admin rollout <channel>`: the file on stdout, or written with `--out`.

use crate::gram_admin;

const ORG: [&str; 8] = [
    "--repo",
    "acme/agent-plugins",
    "--org",
    "Acme Corp",
    "--project",
    "default",
    "--server",
    "https://app.getgram.ai",
];

#[test]
fn claude_prints_the_managed_settings_on_stdout() {
    let mut args = vec!["rollout", "claude"];
    args.extend(ORG);
    let run = gram_admin(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        r#"{
  "extraKnownMarketplaces": {
    "acme-corp-gram": {
      "source": {
        "source": "github",
        "repo": "acme/agent-plugins"
      },
      "autoUpdate": true
    }
  },
  "enabledPlugins": {
    "acme-corp-observability@acme-corp-gram": true
  },
  "env": {
    "CLAUDE_CODE_SYNC_PLUGIN_INSTALL": "1"
  }
}
"#
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn out_writes_the_registry_file_as_utf16le_and_says_where_it_goes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("policy.reg");
    let mut args = vec!["rollout", "claude-windows", "--out", out.to_str().unwrap()];
    args.extend(ORG);
    let run = gram_admin(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let bytes = std::fs::read(&out).expect("written");
    assert_eq!(
        run.stdout,
        format!("Wrote {} ({} bytes).\n", out.display(), bytes.len())
    );
    assert!(
        run.stderr
            .contains(r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\ClaudeCode"),
        "{}",
        run.stderr
    );
    assert_eq!(
        &bytes[..4],
        &[0xFF, 0xFE, b'W', 0],
        "BOM, then UTF-16LE text"
    );
}

#[test]
fn every_channel_is_a_value_of_the_command() {
    for channel in [
        "claude",
        "claude-macos",
        "claude-windows",
        "codex",
        "cursor",
        "copilot",
    ] {
        let mut args = vec!["rollout", channel];
        args.extend(ORG);
        let run = gram_admin(&args);
        assert_eq!(run.code, Some(0), "{channel}: {}", run.stderr);
        assert!(
            run.stdout.contains("acme/agent-plugins"),
            "{channel}: {}",
            run.stdout
        );
    }
}

#[test]
fn signed_out_without_the_org_says_both_ways_on() {
    let run = gram_admin(&["rollout", "codex", "--repo", "acme/agent-plugins"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("(--org)"), "{}", run.stderr);
    assert!(run.stderr.contains("gram-admin login"), "{}", run.stderr);
}
