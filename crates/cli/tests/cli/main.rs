//! The `gram-admin` binary end to end: exact output, files and modes on disk, exit codes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gram_admin_testkit::fixtures::test_key_text;

mod check_hook;
mod github;
mod gram;
mod network;
mod rollout;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary with a clean environment and a throwaway HOME: nothing from the developer's
/// machine (a saved session, a keychain, GRAM_* variables) can change what a test sees.
fn gram_admin(args: &[&str]) -> Run {
    let home = tempfile::tempdir().expect("home");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_gram-admin"))
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run gram-admin");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

fn key_file(dir: &Path) -> PathBuf {
    let path = dir.join("hooks.key");
    std::fs::write(&path, format!("{}\n", test_key_text())).expect("key file");
    path
}

fn org_args(key: &str) -> Vec<&str> {
    vec![
        "--org",
        "Acme Corp",
        "--project",
        "default",
        "--server",
        "https://app.getgram.ai",
        "--key-file",
        key,
    ]
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn render_writes_the_flat_plugin_with_modes_for_every_platform() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    for platform in ["claude", "cursor", "codex"] {
        let out = tmp.path().join(platform);
        let mut args = vec!["render", "--platform", platform];
        args.extend(org_args(key.to_str().expect("utf-8")));
        args.extend(["--out", out.to_str().expect("utf-8")]);
        let run = gram_admin(&args);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stdout.starts_with("Wrote 4 files ("), "{}", run.stdout);
        assert!(
            run.stdout
                .ends_with(&format!(" bytes) to {}\n", out.display())),
            "{}",
            run.stdout
        );
        assert_eq!(run.stderr, "");
        assert_eq!(mode(&out.join("hooks/gram-hook.sh")), 0o755);
        assert_eq!(mode(&out.join("hooks/hooks.json")), 0o644);
        let manifest = match platform {
            "claude" => ".claude-plugin/plugin.json",
            "cursor" => ".cursor-plugin/plugin.json",
            _ => ".codex-plugin/plugin.json",
        };
        assert!(out.join(manifest).is_file(), "{platform}: {manifest}");
        let config =
            std::fs::read_to_string(out.join("hooks/gram-hook.curlrc")).expect("curl config");
        assert!(config.contains(&format!("header = \"Gram-Key: {}\"\n", test_key_text())));
        assert!(config.contains(&format!(
            "url = \"https://app.getgram.ai/rpc/hooks.{platform}\"\n"
        )));
    }
}

#[test]
fn content_metadata_is_named_in_the_script_the_description_and_the_readme() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    for (content, script_line) in [
        (None, "# Privacy level: full ("),
        (Some("full"), "# Privacy level: full ("),
        (Some("metadata"), "# Privacy level: metadata ("),
    ] {
        let out = tmp.path().join(content.unwrap_or("default"));
        let mut args = vec!["render", "--platform", "claude"];
        args.extend(org_args(key.to_str().expect("utf-8")));
        args.extend(content.map(|c| ["--content", c]).into_iter().flatten());
        args.extend(["--out", out.to_str().expect("utf-8")]);
        let run = gram_admin(&args);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let script = std::fs::read_to_string(out.join("hooks/gram-hook.sh")).expect("script");
        assert!(
            script.lines().any(|l| l.starts_with(script_line)),
            "{content:?}"
        );
        let manifest =
            std::fs::read_to_string(out.join(".claude-plugin/plugin.json")).expect("manifest");
        assert!(
            manifest.contains(&script_line[2..script_line.len() - 2]),
            "{manifest}"
        );
    }
    let plugins = tmp.path().join("plugins.json");
    std::fs::write(
        &plugins,
        r#"{"plugins": [{"name": "Payments", "slug": "payments", "description": "Payment tools",
            "servers": [{"display_name": "Ledger", "mcp_url": "https://app.getgram.ai/mcp/acme-ledger", "public": false}]}]}"#,
    )
    .expect("plugins");
    let market = tmp.path().join("market");
    let mut args = vec!["marketplace", "render", "--content", "metadata"];
    args.extend(org_args(key.to_str().expect("utf-8")));
    args.extend(["--plugins", plugins.to_str().expect("utf-8")]);
    args.extend(["--out", market.to_str().expect("utf-8")]);
    let run = gram_admin(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let readme = std::fs::read_to_string(market.join("README.md")).expect("README");
    assert!(readme.contains("Privacy level **metadata**"), "{readme}");
    let script = std::fs::read_to_string(market.join("acme-corp-observability/hooks/gram-hook.sh"))
        .or_else(|_| {
            std::fs::read_dir(&market)
                .expect("dir")
                .flatten()
                .map(|e| e.path().join("hooks/gram-hook.sh"))
                .find(|p| p.is_file())
                .map(std::fs::read_to_string)
                .expect("an observability plugin")
        })
        .expect("script");
    assert!(script.contains("# Privacy level: metadata ("));
    let run = gram_admin(&["render", "--platform", "claude", "--content", "everything"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("full") && run.stderr.contains("metadata"),
        "{}",
        run.stderr
    );
}

#[test]
fn export_writes_a_private_zip_and_json_lists_the_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let zip = tmp.path().join("acme.zip");
    let mut args = vec!["export", "--platform", "claude", "--json"];
    args.extend(org_args(key.to_str().expect("utf-8")));
    args.extend(["--out", zip.to_str().expect("utf-8")]);
    let run = gram_admin(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(mode(&zip), 0o600);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let files: Vec<(&str, &str)> = json["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path"),
                f["mode"].as_str().expect("mode"),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            (".claude-plugin/plugin.json", "644"),
            ("hooks/gram-hook.curlrc", "600"),
            ("hooks/gram-hook.sh", "755"),
            ("hooks/hooks.json", "644")
        ]
    );
    assert_eq!(json["out"], zip.to_str().expect("utf-8"));

    // The same input again gives the same bytes.
    let first = std::fs::read(&zip).expect("zip");
    assert_eq!(gram_admin(&args).code, Some(0));
    assert_eq!(std::fs::read(&zip).expect("zip"), first);
}

#[test]
fn preview_shows_hooks_json_first_and_masks_the_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let mut args = vec!["preview", "--platform", "cursor"];
    args.extend(org_args(key.to_str().expect("utf-8")));
    let run = gram_admin(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        !run.stdout.contains(&test_key_text()),
        "the full key was printed"
    );
    assert!(run
        .stdout
        .contains("header = \"Gram-Key: gram_local_01234…\""));
    let sections: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("==> "))
        .collect();
    assert_eq!(
        sections,
        [
            "==> hooks/hooks.json <==",
            "==> .cursor-plugin/plugin.json <==",
            "==> hooks/gram-hook.curlrc <==",
            "==> hooks/gram-hook.sh <=="
        ]
    );
    assert!(run.stdout.starts_with("Files:\n  644  "), "{}", run.stdout);

    args.push("--json");
    let run = gram_admin(&args);
    let files: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(files[0]["path"], "hooks/hooks.json");
    assert_eq!(files[0]["mode"], "regular");
    assert!(!run.stdout.contains(&test_key_text()));
}

#[test]
fn placeholder_key_renders_without_a_key_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = gram_admin(&[
        "preview",
        "--platform",
        "claude",
        "--org",
        "Acme",
        "--project",
        "p",
        "--server",
        "https://app.getgram.ai",
        "--placeholder-key",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("gram_local_00000…"));
    drop(tmp);
}

#[test]
fn marketplace_render_writes_every_agents_marketplace() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let plugins = tmp.path().join("plugins.json");
    std::fs::write(
        &plugins,
        r#"{"plugins": [{"name": "Payments", "slug": "payments", "description": "Payment tools",
            "servers": [{"display_name": "Ledger", "mcp_url": "https://app.getgram.ai/mcp/acme-ledger", "public": false}]}]}"#,
    )
    .expect("plugins");
    let out = tmp.path().join("mkt");
    let mut args = vec![
        "marketplace",
        "render",
        "--plugins",
        plugins.to_str().expect("utf-8"),
        "--repository",
        "acme/agent-plugins",
    ];
    args.extend(org_args(key.to_str().expect("utf-8")));
    args.extend(["--out", out.to_str().expect("utf-8")]);
    let run = gram_admin(&args);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // 3 observability plugins × 4 files and Copilot's × 5 (its envelope builder), 1 feature
    // plugin × 4 agents × 2 files, its OpenCode loader and data file, 4 marketplace files and
    // the README.
    assert!(run.stdout.starts_with("Wrote 32 files ("), "{}", run.stdout);
    for path in [
        "marketplace.json",
        "acme-corp-observability-copilot/hooks/gram-envelope.awk",
        "payments-copilot/.mcp.json",
        ".claude-plugin/marketplace.json",
        ".cursor-plugin/marketplace.json",
        ".agents/plugins/marketplace.json",
        "README.md",
        "acme-corp-observability/hooks/hooks.json",
        "payments/.mcp.json",
        "payments-cursor/mcp.json",
        "payments-codex/.mcp.json",
        "opencode/plugin/payments-opencode.js",
        "opencode/plugin/payments-opencode.json",
    ] {
        assert!(out.join(path).is_file(), "{path}");
    }
    let readme = std::fs::read_to_string(out.join("README.md")).expect("readme");
    assert!(readme.contains("claude plugin marketplace add acme/agent-plugins"));
}

/// Every failure: one clear sentence per line on stderr, exit 1, nothing written.
#[test]
fn bad_input_gets_a_clear_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let key = key_file(tmp.path());
    let bad_key = tmp.path().join("bad.key");
    std::fs::write(&bad_key, "gram_live_nothex\n").expect("bad key");
    let broken = tmp.path().join("broken.json");
    std::fs::write(&broken, "{\"plugins\": [").expect("broken");
    let out = tmp.path().join("out");
    let out_s = out.to_str().expect("utf-8");
    let key_s = key.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["render", "--platform", "claude", "--org", "!!!", "--project", "p", "--server", "https://g.test", "--key-file", key_s, "--out", out_s],
            "error: The organisation name \"!!!\" has no ASCII letters or digits, so no plugin name can be made from it: use a name with at least one.\n".to_owned(),
        ),
        (
            vec!["render", "--platform", "claude", "--org", "A", "--project", "p", "--server", "ftp://g.test", "--key-file", key_s, "--out", out_s],
            "error: The server URL \"ftp://g.test\" must start with https:// (http:// only for a server on this machine: localhost, 127.0.0.1 or [::1]).\n".to_owned(),
        ),
        (
            vec!["render", "--platform", "claude", "--org", "A", "--project", "p", "--server", "http://gram.corp", "--key-file", key_s, "--out", out_s],
            "error: The server URL \"http://gram.corp\" must start with https:// (http:// only for a server on this machine: localhost, 127.0.0.1 or [::1]).\n".to_owned(),
        ),
        (
            vec!["render", "--platform", "claude", "--org", "A", "--project", "Bad Slug", "--server", "https://g.test", "--key-file", key_s, "--out", out_s],
            "error: \"Bad Slug\" is not a Gram project slug (lowercase letters, digits and '-'): did you mean \"bad-slug\"?\n".to_owned(),
        ),
        (
            // Every problem of the command at once: the key file and the org's.
            vec!["render", "--platform", "claude", "--org", "", "--project", "p", "--server", "ftp://g.test", "--key-file", "/nonexistent/k", "--out", out_s],
            "error: Could not read the key file /nonexistent/k: No such file or directory (os error 2)\n\
error: The organisation name is empty: enter your Gram organisation's name.\n\
error: The server URL \"ftp://g.test\" must start with https:// (http:// only for a server on this machine: localhost, 127.0.0.1 or [::1]).\n".to_owned(),
        ),
        (
            vec!["export", "--platform", "claude", "--org", "A", "--project", "p", "--server", "https://g.test", "--placeholder-key", "--out", "/no/such/dir/x.zip"],
            "error: Could not write the ZIP to /no/such/dir/x.zip: its folder does not exist\n".to_owned(),
        ),
        (
            vec!["export", "--platform", "codex", "--org", "A", "--project", "p", "--server", "https://g.test", "--key-file", bad_key.to_str().expect("utf-8"), "--out", out_s],
            format!("error: The first line of {} is not a usable key: The key is not a Gram API key: expected gram_<env>_ followed by 64 lowercase hex characters.\n", bad_key.display()),
        ),
        (
            vec!["export", "--platform", "codex", "--org", "A", "--project", "p", "--server", "https://g.test", "--key-file", "/nonexistent/k", "--out", out_s],
            "error: Could not read the key file /nonexistent/k: No such file or directory (os error 2)\n".to_owned(),
        ),
        (
            vec!["marketplace", "render", "--org", "A", "--project", "p", "--server", "https://g.test", "--key-file", key_s, "--plugins", broken.to_str().expect("utf-8"), "--out", out_s],
            format!("error: {} is not a valid plugins file (expected {{\"plugins\": [{{\"name\", \"slug\", \"description\", \"servers\"}}]}}, see README): EOF while parsing a list at line 1 column 13\n", broken.display()),
        ),
    ];
    for (args, expected) in cases {
        let run = gram_admin(&args);
        assert_eq!(run.code, Some(1), "{args:?}");
        assert_eq!(run.stderr, expected, "{args:?}");
        assert_eq!(run.stdout, "");
        assert!(!out.exists(), "{args:?} wrote something");
    }
}

#[test]
fn usage_errors_exit_2_and_help_describes_every_command() {
    let run = gram_admin(&[
        "render",
        "--platform",
        "claude",
        "--key-file",
        "k",
        "--placeholder-key",
        "--out",
        "x",
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("the argument '--key-file <FILE>' cannot be used with '--placeholder-key'"),
        "{}",
        run.stderr
    );

    let run = gram_admin(&["render", "--platform", "vscode"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .contains("[possible values: claude, cursor, codex, copilot, opencode]"),
        "{}",
        run.stderr
    );

    let help = gram_admin(&["--help"]);
    assert_eq!(help.code, Some(0));
    for command in ["render", "export", "preview", "marketplace"] {
        assert!(
            help.stdout.contains(&format!("  {command}")),
            "{command} missing from --help"
        );
    }
}
