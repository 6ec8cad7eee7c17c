//! How the app ships and is checked: the bundles `make bundle` and the release workflow build,
//! and the CI workflow that runs `.ci/run` on Linux and compiles the app on macOS and Windows.
//! (Neither workflow can run on the development machines; these tests keep them saying what
//! DEVELOPMENT.md promises.)

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("src-tauri is in the repository")
        .to_owned()
}

fn read(path: &str) -> String {
    let path = repo_root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recipe lines of a Makefile target.
fn recipe(makefile: &str, target: &str) -> String {
    makefile
        .lines()
        .skip_while(|l| !l.starts_with(&format!("{target}:")))
        .skip(1)
        .take_while(|l| l.starts_with('\t'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn make_bundle_builds_the_deb_and_the_rpm_and_a_release_attaches_both() {
    let bundle = recipe(&read("Makefile"), "bundle");
    assert!(
        bundle.contains("tauri build --bundles deb,rpm"),
        "make bundle: {bundle:?}"
    );
    let conf: serde_json::Value =
        serde_json::from_str(&read("src-tauri/tauri.conf.json")).expect("tauri.conf.json");
    assert_eq!(conf["bundle"]["targets"], serde_json::json!(["deb", "rpm"]));
    let release = read(".github/workflows/release.yml");
    for line in [
        "bundles: deb,rpm,appimage",
        "target/release/bundle/rpm/*.rpm",
    ] {
        assert!(release.contains(line), "release.yml lacks {line:?}");
    }
}

#[test]
fn ci_runs_the_ci_script_on_linux_and_compiles_the_app_on_macos_and_windows() {
    let ci = read(".github/workflows/ci.yml");
    for line in [
        "  push:",
        "  pull_request:",
        "runs-on: ubuntu-",
        "run: bash .ci/run",
        "os: [macos-latest, windows-latest]",
        "run: cargo check -p gram-admin-app --locked",
    ] {
        assert!(ci.contains(line), "ci.yml lacks {line:?}");
    }
    // The app embeds the built UI: it is built before the app is compiled.
    let ui = ci.find("npm run build").expect("ci.yml builds the UI");
    let check = ci.find("cargo check -p gram-admin-app").expect("checked");
    assert!(ui < check, "ci.yml compiles the app before building the UI");
}
