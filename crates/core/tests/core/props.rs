//! Property tests over hostile input: whatever the admin types, we either render something
//! safe or refuse with a clear sentence — never a panic, never broken JSON, a script bash
//! cannot parse, a path outside the root, or a Markdown table a cell can break.

use gram_admin_core::bundle::check_relative_path;
use gram_admin_core::render::{self, ServerEnv};
use gram_admin_core::{Error, FeaturePlugin, FeatureServer, MarketplaceSpec, OrgConfig, Platform};
use proptest::prelude::*;

use crate::support::key;

/// Fragments that break naive generators, mixed with arbitrary text.
fn hostile() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("$(touch /tmp/gram-pwned)".to_owned()),
        Just("`id`".to_owned()),
        Just("${HOME}".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\\".to_owned()),
        Just("../".to_owned()),
        Just("|".to_owned()),
        Just("<script>".to_owned()),
        Just("[x](javascript:y)".to_owned()),
        Just("\u{0}".to_owned()),
        Just("é😀Ü".to_owned()),
        Just(" ".to_owned()),
        Just("-".to_owned()),
        Just("Acme".to_owned()),
        Just("a".repeat(300)),
        "[a-zA-Z0-9 ._-]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(fragment, 0..6).prop_map(|parts| parts.concat())
}

fn server_url() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https://app.getgram.ai".to_owned()),
        Just("http://127.0.0.1:8080/gram/".to_owned()),
        hostile().prop_map(|h| format!("https://gram.test/{h}")),
        hostile().prop_map(|h| format!("https://{h}")),
        hostile(),
    ]
}

fn feature_plugin() -> impl Strategy<Value = FeaturePlugin> {
    (
        hostile(),
        prop_oneof![hostile(), "[a-z0-9][a-z0-9-]{0,10}[a-z0-9]"],
        hostile(),
        hostile(),
        any::<bool>(),
        hostile(),
    )
        .prop_map(
            |(name, slug, description, server, public, env)| FeaturePlugin {
                name,
                slug,
                description,
                servers: vec![FeatureServer {
                    display_name: server,
                    mcp_url: "https://app.getgram.ai/mcp/x".into(),
                    public,
                    env: vec![ServerEnv {
                        name: env.clone(),
                        header: env,
                    }],
                }],
            },
        )
}

fn check_bundle(bundle: &gram_admin_core::Bundle) {
    for file in bundle.files() {
        check_relative_path(&file.path).expect("safe path");
        if file.path.ends_with(".json") {
            serde_json::from_slice::<serde_json::Value>(&file.contents)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.path));
        }
        if file.path.ends_with(".sh") {
            let script = String::from_utf8(file.contents.clone()).expect("utf-8 script");
            for shell in ["sh", "bash"] {
                let out = std::process::Command::new(shell)
                    .arg("-n")
                    .arg("-c")
                    .arg(&script)
                    .output()
                    .expect("-n");
                assert!(
                    out.status.success(),
                    "{shell} -n: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        if file.path == "README.md" {
            check_tables(std::str::from_utf8(&file.contents).expect("utf-8 README"));
        }
    }
}

/// Every table row has exactly as many unescaped `|` as the header row.
fn check_tables(md: &str) {
    let mut columns = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        let pipes = unescaped_pipes(line);
        match columns {
            None => columns = Some(pipes),
            Some(n) => assert_eq!(pipes, n, "a cell broke the table: {line:?}"),
        }
    }
}

fn unescaped_pipes(line: &str) -> usize {
    let (mut count, mut escaped) = (0, false);
    for c in line.chars() {
        match (c, escaped) {
            ('\\', false) => escaped = true,
            ('|', false) => count += 1,
            _ => escaped = false,
        }
    }
    count
}

fn refusal_is_clear(err: &Error) {
    let Error::Invalid { problems } = err else {
        panic!("expected a validation error, got {err}")
    };
    assert!(!problems.is_empty());
    for p in problems {
        assert!(
            p.message.ends_with('.') || p.message.ends_with(')') || p.message.ends_with("\"?"),
            "not a sentence: {:?}",
            p.message
        );
        assert!(
            !p.message.contains(crate::support::key().expose()),
            "a message leaked the key"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_org_renders_safely_or_is_refused_clearly(
        org_name in hostile(), project in hostile(), server in server_url(), email in hostile(), mkt in hostile()
    ) {
        let config = OrgConfig {
            org_name,
            org_email: Some(email),
            server_url: server,
            project_slug: project,
            marketplace_name: Some(mkt),
            content: Default::default(),
        };
        match config.validate() {
            Err(err) => refusal_is_clear(&err),
            Ok(org) => {
                for platform in Platform::ALL {
                    check_bundle(&render::observability_plugin(&org, &key(), platform).expect("a valid org always renders"));
                }
            }
        }
    }

    #[test]
    fn any_feature_plugins_render_safely_or_are_refused_clearly(
        plugins in prop::collection::vec(feature_plugin(), 0..4), org_name in hostile(), project in hostile()
    ) {
        let config = OrgConfig {
            org_name: format!("Org {org_name}"),
            org_email: None,
            server_url: "https://app.getgram.ai".into(),
            project_slug: project,
            marketplace_name: None,
            content: Default::default(),
        };
        let Ok(org) = config.validate() else { return Ok(()); };
        match render::marketplace_for(&org, &key(), &MarketplaceSpec { plugins, repository: None }) {
            Err(err) => refusal_is_clear(&err),
            Ok(bundle) => check_bundle(&bundle),
        }
    }
}
