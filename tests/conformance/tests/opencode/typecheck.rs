//! The OpenCode modules pass TypeScript's strict check as JavaScript (`tsc --noEmit --checkJs
//! --strict`, with Node's types), both as OpenCode loads them: ES modules beside a
//! `"type": "module"` package. A type error added to a copy must fail the same check.

use std::path::Path;
use std::process::{Command, Output};

use gram_admin_conformance::agents;
use gram_admin_core::render::{OPENCODE_MCP_LOADER, OPENCODE_MODULE};

/// Writes `files` into a fresh ES-module folder and runs the strict check over them.
fn tsc(modules: &Path, files: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("package.json"), "{\"type\": \"module\"}\n").expect("write");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    Command::new("node")
        .arg(modules.join("typescript/bin/tsc"))
        .args([
            "--noEmit",
            "--allowJs",
            "--checkJs",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "--types",
            "node",
            "--typeRoots",
        ])
        .arg(modules.join("@types"))
        .args(files.iter().map(|(name, _)| *name))
        .current_dir(dir.path())
        .output()
        .expect("node (scripts/setup.sh installs it)")
}

#[test]
fn the_opencode_modules_pass_a_strict_type_check_and_a_type_error_fails_it() {
    let Some(modules) = agents::typecheck() else {
        return;
    };
    let out = tsc(
        modules,
        &[
            ("gram-observability.js", OPENCODE_MODULE),
            ("payments-opencode.js", OPENCODE_MCP_LOADER),
        ],
    );
    assert!(
        out.status.success(),
        "tsc --strict:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The broken variant: one wrongly typed line in each module.
    let broken = "\n/** @type {number} */\nexport const notANumber = \"text\";\n";
    for (name, text) in [
        ("gram-observability.js", OPENCODE_MODULE),
        ("payments-opencode.js", OPENCODE_MCP_LOADER),
    ] {
        let out = tsc(modules, &[(name, &format!("{text}{broken}"))]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{name}: tsc accepted a type error");
        assert!(stdout.contains("TS2322"), "{name}: {stdout}");
    }
}
