//! The app's commands called directly (no IPC, no window): what the UI receives.

use std::os::unix::fs::PermissionsExt;

use gram_admin_app::commands::{default_zip_name, preview_plugin, write_plugin_zip};
use gram_admin_app::error::{AppError, ErrorCode};
use gram_admin_core::{OrgConfig, Platform};

fn config() -> OrgConfig {
    OrgConfig {
        org_name: "Acme Corp".into(),
        org_email: None,
        server_url: "https://app.getgram.ai".into(),
        project_slug: "default".into(),
        marketplace_name: None,
    }
}

#[test]
fn preview_lists_every_file_hooks_json_first_with_the_key_masked() {
    for platform in Platform::ALL {
        let files = preview_plugin(config(), platform).expect("preview");
        assert_eq!(files[0].path, "hooks/hooks.json", "{platform}");
        assert_eq!(files.len(), 4, "{platform}");
        let all: String = files.iter().filter_map(|f| f.text.clone()).collect();
        assert!(
            all.contains("gram_local_00000…"),
            "{platform}: the key prefix is shown"
        );
        assert!(
            !all.contains(&"0".repeat(64)),
            "{platform}: the full key reached the UI"
        );
    }
}

#[test]
fn bad_input_comes_back_as_field_problems_the_ui_can_place() {
    let bad = OrgConfig {
        org_name: "!!!".into(),
        server_url: "ftp://x".into(),
        ..config()
    };
    let err: AppError = preview_plugin(bad, Platform::Claude).expect_err("invalid");
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["org", "server"]);
    let json = serde_json::to_value(&err).expect("serialises for the UI");
    assert_eq!(json["code"], "invalid_input");
}

#[test]
fn export_suggests_the_plugin_name_and_writes_a_private_zip() {
    assert_eq!(
        default_zip_name(&config(), Platform::Cursor).expect("name"),
        "acme-corp-observability-cursor.zip"
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("acme.zip");
    write_plugin_zip(&config(), Platform::Claude, &path).expect("write");
    assert_eq!(
        std::fs::metadata(&path).expect("zip").permissions().mode() & 0o777,
        0o600
    );

    let err = write_plugin_zip(
        &config(),
        Platform::Claude,
        &tmp.path().join("no/such/dir.zip"),
    )
    .expect_err("missing folder");
    assert_eq!(err.code, ErrorCode::Io);
    assert!(err.message.contains("no/such"), "{}", err.message);
}
