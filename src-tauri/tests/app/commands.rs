//! What the commands answer (through IPC on the mock runtime) and the export they run, signed
//! out: what the UI receives.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use gram_admin_app::error::{AppError, ErrorCode};
use gram_admin_core::actions::export::{Export, KeyChoice};
use gram_admin_core::actions::preview::{self as previews, Key};
use gram_admin_core::actions::{quiet, Context, Github};
use gram_admin_core::gram::session::Overrides;
use gram_admin_core::preview::PreviewFile;
use gram_admin_core::secrets::MemoryStore;
use gram_admin_core::{FileMode, Observability, OrgConfig, Platform};
use serde_json::json;

use crate::config;
use crate::ipc::Ui;

/// What `preview_plugin` answers, as the UI receives it (through IPC), and as the core's action
/// returns it; both must agree.
fn preview_plugin(
    config: OrgConfig,
    platform: Platform,
    _: Option<bool>,
) -> Result<Vec<PreviewFile>, AppError> {
    let ui = Ui::new(Arc::new(MemoryStore::new()), None);
    let through_ipc = ui.invoke(
        "preview_plugin",
        json!({ "config": config, "platform": platform }),
    );
    let direct = block_on(previews::plugin(
        &signed_out(),
        &config,
        platform,
        Key::Masked,
    ))
    .map_err(AppError::from);
    match (&through_ipc, &direct) {
        (Ok(ipc), Ok(files)) => assert_eq!(ipc, &serde_json::to_value(files).unwrap()),
        (Err(ipc), Err(err)) => assert_eq!(ipc, &serde_json::to_value(err).unwrap()),
        _ => panic!("IPC answered {through_ipc:?}, the action {direct:?}"),
    }
    direct
}

/// The export `export_plugin_zip` runs once the dialog answered, signed out (placeholder key).
fn signed_out_export(config: &OrgConfig, platform: Platform) -> Export {
    let ctx = signed_out();
    block_on(Export::prepare(
        &ctx,
        config,
        platform,
        KeyChoice::MintIfSignedIn,
    ))
    .expect("prepared")
}

fn write_plugin_zip(config: &OrgConfig, platform: Platform, path: &Path) -> Result<(), AppError> {
    let ctx = signed_out();
    let export = signed_out_export(config, platform);
    assert!(!export.mints(), "signed out, nothing is minted");
    block_on(export.zip(&ctx, path, &quiet()))
        .map(drop)
        .map_err(AppError::from)
}

fn signed_out() -> Context {
    Context::new(
        Arc::new(MemoryStore::new()),
        Overrides::default(),
        None,
        Github::com(),
    )
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn preview_lists_every_file_hooks_json_first_with_the_key_masked() {
    for platform in Platform::ALL {
        let files = preview_plugin(config(), platform, None).expect("preview");
        // hooks/hooks.json first; OpenCode (no hooks file) shows its module first.
        assert_eq!(files[0].path, platform.info().preview_first, "{platform}");
        let expected = match platform.observability() {
            // Copilot's hook also has its envelope builder (gram-envelope.awk).
            Observability::HookScript => {
                4 + usize::from(platform.package().and_then(|p| p.adapter()).is_some())
            }
            Observability::Module => 2,
        };
        assert_eq!(files.len(), expected, "{platform}");
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
    let err: AppError = preview_plugin(bad, Platform::Claude, None).expect_err("invalid");
    assert!(err.message.contains("ftp://x"), "{}", err.message);
    assert_eq!(err.code, ErrorCode::InvalidInput);
    let fields: Vec<String> = err.problems.iter().map(|p| p.field.to_string()).collect();
    assert_eq!(fields, ["org", "server"]);
    let json = serde_json::to_value(&err).expect("serialises for the UI");
    assert_eq!(json["code"], "invalid_input");
}

#[test]
fn export_suggests_the_plugin_name_and_writes_a_private_zip() {
    assert_eq!(
        signed_out_export(&config(), Platform::Cursor).file_name(),
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
    assert!(
        err.message.contains("no/such") && err.message.contains("does not exist"),
        "{}",
        err.message
    );
    assert!(
        !err.message.contains(".gram-admin-"),
        "no internal file name: {}",
        err.message
    );
}

#[test]
fn the_zip_holds_exactly_the_previewed_files_with_the_real_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    for platform in Platform::ALL {
        let path = tmp.path().join(format!("{platform}.zip"));
        write_plugin_zip(&config(), platform, &path).expect("write");
        let mut zip =
            zip::ZipArchive::new(std::fs::File::open(&path).expect("open")).expect("a ZIP");

        let mut previewed = preview_plugin(config(), platform, None).expect("preview");
        previewed.sort_by(|a, b| a.path.cmp(&b.path));
        let mut names: Vec<String> = zip
            .file_names()
            .map(|name| name.expect("a UTF-8 name").into_owned())
            .collect();
        names.sort();
        let paths: Vec<&str> = previewed.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            names, paths,
            "{platform}: the ZIP is what the preview showed"
        );

        let key = gram_admin_core::HooksKey::placeholder();
        let mut keyed = 0;
        for file in &previewed {
            let mut entry = zip.by_name(&file.path).expect("entry");
            let want = match file.mode {
                FileMode::Executable => 0o755,
                FileMode::Regular => 0o644,
                FileMode::Private => 0o600,
            };
            assert_eq!(
                entry.unix_mode().map(|m| m & 0o777),
                Some(want),
                "{platform}: {}",
                file.path
            );
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("utf-8");
            assert_eq!(text.len(), file.size as usize, "{platform}: {}", file.path);
            if text.contains(key.expose()) {
                keyed += 1;
            }
        }
        assert!(
            keyed > 0,
            "{platform}: the exported plugin must carry the key itself"
        );
    }
}
