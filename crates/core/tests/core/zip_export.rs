//! ZIP export: flat, deterministic, modes kept, 0600, atomic, nothing half-written.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;

use gram_admin_core::export::{write_zip, zip_bytes};
use gram_admin_core::{render, Platform};

use crate::support::{key, org, plugin, spec};

fn entries(bytes: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a valid ZIP");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).expect("entry");
            let name = entry
                .enclosed_name()
                .expect("no entry escapes the root")
                .to_string_lossy()
                .into_owned();
            assert_eq!(
                name,
                entry.name().expect("utf-8 name"),
                "entry names are plain relative paths"
            );
            let mode = entry.unix_mode().expect("unix mode") & 0o7777;
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).expect("read");
            (name, mode, contents)
        })
        .collect()
}

#[test]
fn round_trip_keeps_every_file_its_bytes_and_its_mode() {
    for platform in Platform::HOOK_SCRIPT {
        let bundle = plugin("https://app.getgram.ai", platform);
        let got = entries(&zip_bytes(&bundle).expect("zip"));
        let want: Vec<_> = bundle
            .files()
            .map(|f| (f.path.clone(), f.mode.unix(), f.contents.clone()))
            .collect();
        assert_eq!(got, want, "{platform}");
        assert!(got
            .iter()
            .any(|(p, m, _)| p == "hooks/gram-hook.sh" && *m == 0o755));
        assert!(got
            .iter()
            .any(|(p, m, _)| p == "hooks/hooks.json" && *m == 0o644));
        assert!(
            got.iter()
                .any(|(p, m, _)| p == "hooks/gram-hook.curlrc" && *m == 0o600),
            "{platform}: the curl config holds the key: 0600 once unzipped"
        );
        assert!(
            got.iter().all(|(p, _, _)| !p
                .starts_with(platform.observability_plugin_name("acme-corp").as_str())),
            "flat: no top folder"
        );
    }
}

#[test]
fn the_same_input_gives_a_byte_identical_zip() {
    let a = zip_bytes(
        &render::marketplace_for(&org("https://app.getgram.ai"), &key(), &spec()).expect("render"),
    )
    .expect("zip");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = zip_bytes(
        &render::marketplace_for(&org("https://app.getgram.ai"), &key(), &spec()).expect("render"),
    )
    .expect("zip");
    assert_eq!(a, b);
    let names: Vec<_> = entries(&a).into_iter().map(|(n, _, _)| n).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries are sorted");
}

#[test]
fn the_written_zip_is_private_and_replaces_an_old_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    let target = tmp.path().join("acme.zip");
    std::fs::write(&target, b"old").expect("old file");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let bundle = plugin("https://app.getgram.ai", Platform::Claude);
    write_zip(&bundle, &target).expect("write");
    assert_eq!(
        std::fs::read(&target).expect("read"),
        zip_bytes(&bundle).expect("zip")
    );
    assert_eq!(
        std::fs::metadata(&target)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(leftovers(tmp.path()), ["acme.zip"]);
}

#[test]
fn a_failed_write_leaves_the_old_file_and_no_partial_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bundle = plugin("https://app.getgram.ai", Platform::Claude);

    // The target is a directory with content: the final rename fails after the data was written.
    let target = tmp.path().join("taken.zip");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::write(target.join("keep"), b"keep").expect("write");
    let err = write_zip(&bundle, &target).expect_err("cannot replace a directory");
    assert!(err.to_string().contains("taken.zip"), "{err}");
    assert_eq!(std::fs::read(target.join("keep")).expect("kept"), b"keep");
    assert_eq!(
        leftovers(tmp.path()),
        ["taken.zip"],
        "no partial file is left behind"
    );

    // The target's folder does not exist.
    let err = write_zip(&bundle, &tmp.path().join("missing/acme.zip")).expect_err("no folder");
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(leftovers(tmp.path()), ["taken.zip"]);
}

#[test]
fn render_into_a_directory_keeps_modes_and_refuses_a_non_empty_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("plugin");
    let bundle = plugin("https://app.getgram.ai", Platform::Claude);
    gram_admin_core::export::write_dir(&bundle, &out).expect("write");
    let mode = |p: &str| {
        std::fs::metadata(out.join(p))
            .expect(p)
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("hooks/gram-hook.sh"), 0o755);
    assert_eq!(mode(".claude-plugin/plugin.json"), 0o644);
    assert_eq!(mode("hooks/gram-hook.curlrc"), 0o600, "it holds the key");
    let err = gram_admin_core::export::write_dir(&bundle, &out).expect_err("not empty");
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(leftovers(tmp.path()), ["plugin"]);
}

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
