//! The ids the publisher computes are git's own: checked against `git hash-object`,
//! `git mktree` and `git write-tree` on real files.

use std::path::Path;
use std::process::Command;

use gram_admin_core::github::{blob_id, tree_id};
use gram_admin_core::{Bundle, FileMode};

use crate::support::{git, marketplace_with};

fn write_worktree(bundle: &Bundle, dir: &Path) {
    for f in bundle.files() {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.contents).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(f.mode.unix()))
                .unwrap();
        }
    }
}

/// `git add -A && git write-tree` in a fresh repository holding exactly the bundle's files.
fn git_tree_of(bundle: &Bundle) -> String {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["config", "core.fileMode", "true"]);
    write_worktree(bundle, dir.path());
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["write-tree"]).trim().to_owned()
}

/// Names whose order differs between a plain byte sort and git's (a tree sorts as `name/`).
fn tricky_bundle() -> Bundle {
    let mut b = Bundle::new();
    for (path, mode) in [
        ("a.b", FileMode::Regular),
        ("a/b", FileMode::Regular),
        ("a-b", FileMode::Executable),
        ("a0", FileMode::Regular),
        ("hooks/gram-hook.sh", FileMode::Executable),
        ("hooks.json", FileMode::Regular),
        ("hooks-x/y", FileMode::Regular),
        ("z/deep/er/file", FileMode::Regular),
        ("empty", FileMode::Regular),
    ] {
        let contents = if path == "empty" {
            Vec::new()
        } else {
            format!("{path}\n").into_bytes()
        };
        b.insert(path, contents, mode).unwrap();
    }
    b.insert("bin/blob", vec![0u8, 159, 146, 150, 255], FileMode::Regular)
        .unwrap();
    b
}

#[test]
fn blob_ids_match_git_hash_object() {
    let dir = tempfile::tempdir().unwrap();
    for contents in [
        &b""[..],
        b"hello\n",
        b"\x00\xff binary",
        "caf\u{e9} \u{2603}\r\n".as_bytes(),
    ] {
        let path = dir.path().join("f");
        std::fs::write(&path, contents).unwrap();
        let expected = git(dir.path(), &["hash-object", path.to_str().unwrap()]);
        assert_eq!(
            blob_id(contents).to_string(),
            expected.trim(),
            "{contents:?}"
        );
    }
}

#[test]
fn tree_ids_match_git_write_tree_including_modes_and_order() {
    let bundle = tricky_bundle();
    assert_eq!(tree_id(&bundle).to_string(), git_tree_of(&bundle));

    // The broken variant: the same files with a script's mode dropped make another tree.
    let mut regular = Bundle::new();
    for f in bundle.files() {
        regular
            .insert(f.path.clone(), f.contents.clone(), FileMode::Regular)
            .unwrap();
    }
    assert_ne!(tree_id(&regular), tree_id(&bundle));
    assert_eq!(tree_id(&regular).to_string(), git_tree_of(&regular));
}

#[test]
fn a_flat_tree_matches_git_mktree() {
    let mut bundle = Bundle::new();
    bundle
        .insert("run.sh", "#!/bin/sh\n", FileMode::Executable)
        .unwrap();
    bundle
        .insert("README.md", "# x\n", FileMode::Regular)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "--bare"]);
    let mut listing = String::new();
    for f in bundle.files() {
        let path = dir.path().join("blob");
        std::fs::write(&path, &f.contents).unwrap();
        let id = git(dir.path(), &["hash-object", "-w", path.to_str().unwrap()]);
        let mode = if f.mode == FileMode::Executable {
            "100755"
        } else {
            "100644"
        };
        listing.push_str(&format!("{mode} blob {}\t{}\n", id.trim(), f.path));
    }
    let out = Command::new("git")
        .arg("mktree")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(listing.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        tree_id(&bundle).to_string(),
        String::from_utf8(out.stdout).unwrap().trim()
    );
}

#[test]
fn the_rendered_marketplace_tree_matches_git() {
    let bundle = marketplace_with(12);
    assert!(bundle.files().any(|f| f.mode == FileMode::Executable));
    assert_eq!(tree_id(&bundle).to_string(), git_tree_of(&bundle));
}
