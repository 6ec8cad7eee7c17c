//! Cursor has no CLI that can run here: its own plugin repository validates plugins with the
//! JSON Schemas in shared/contracts/cursor, then checks that every marketplace `source` is a
//! relative folder holding `.cursor-plugin/plugin.json` with the same name. We do the same,
//! and show each check can fail.

use gram_admin_conformance::{fixture_org, fixture_spec, test_key};
use gram_admin_core::{render, Bundle, HooksKey, Platform};
use gram_admin_testkit::contracts_dir;
use serde_json::{json, Value};

fn schema(name: &str) -> jsonschema::Validator {
    let path = contracts_dir().join("cursor").join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("schema"))
        .expect("schema JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_at(bundle: &Bundle, path: &str) -> Value {
    serde_json::from_slice(
        &bundle
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing"))
            .contents,
    )
    .expect("JSON")
}

/// Every problem Cursor's own checks would find in a marketplace bundle.
fn cursor_problems(bundle: &Bundle) -> Vec<String> {
    let mut problems = Vec::new();
    let plugin_schema = schema("plugin.schema.json");
    let marketplace = json_at(bundle, ".cursor-plugin/marketplace.json");
    problems.extend(
        schema("marketplace.schema.json")
            .iter_errors(&marketplace)
            .map(|e| format!("marketplace.json: {e}")),
    );
    for entry in marketplace["plugins"].as_array().into_iter().flatten() {
        let name = entry["name"].as_str().unwrap_or_default();
        let source = entry["source"].as_str().unwrap_or_default();
        let Some(dir) = source
            .strip_prefix("./")
            .filter(|d| !d.split('/').any(|c| c == ".." || c.is_empty()))
        else {
            problems.push(format!(
                "{name}: source {source:?} is not a relative path inside the repository"
            ));
            continue;
        };
        let manifest_path = format!("{dir}/.cursor-plugin/plugin.json");
        let Some(file) = bundle.get(&manifest_path) else {
            problems.push(format!("{name}: {manifest_path} does not exist"));
            continue;
        };
        let manifest: Value = serde_json::from_slice(&file.contents).expect("JSON");
        problems.extend(
            plugin_schema
                .iter_errors(&manifest)
                .map(|e| format!("{manifest_path}: {e}")),
        );
        if manifest["name"] != name {
            problems.push(format!(
                "{manifest_path}: name {} differs from the marketplace entry {name}",
                manifest["name"]
            ));
        }
        for key in ["hooks", "mcpServers"] {
            if let Some(referenced) = manifest[key].as_str() {
                let target = format!("{dir}/{}", referenced.trim_start_matches("./"));
                if bundle.get(&target).is_none() {
                    problems.push(format!("{manifest_path}: {key} points at missing {target}"));
                }
            }
        }
    }
    for file in bundle.files().filter(|f| f.path.ends_with("hooks.json")) {
        let hooks: Value = serde_json::from_slice(&file.contents).expect("JSON");
        for command in all_commands(&hooks) {
            if command.contains("://") {
                problems.push(format!(
                    "{}: a hook command contains a URL, Cursor drops the file: {command}",
                    file.path
                ));
            }
        }
    }
    problems
}

fn all_commands(v: &Value) -> Vec<String> {
    match v {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| {
                if k == "command" {
                    v.as_str().map(str::to_owned).into_iter().collect()
                } else {
                    all_commands(v)
                }
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(all_commands).collect(),
        _ => Vec::new(),
    }
}

fn marketplace() -> Bundle {
    render::marketplace_for(
        &fixture_org("https://app.getgram.ai"),
        &test_key(),
        &fixture_spec("https://app.getgram.ai"),
    )
    .expect("render")
}

#[test]
fn rendered_marketplace_passes_cursors_checks() {
    assert_eq!(cursor_problems(&marketplace()), Vec::<String>::new());
}

#[test]
fn flat_cursor_plugin_validates_and_uses_cursors_hook_format() {
    let bundle = render::observability_plugin(
        &fixture_org("https://app.getgram.ai"),
        &HooksKey::placeholder(),
        Platform::Cursor,
    )
    .expect("render");
    let manifest = json_at(&bundle, ".cursor-plugin/plugin.json");
    let errors: Vec<String> = schema("plugin.schema.json")
        .iter_errors(&manifest)
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    let hooks = json_at(&bundle, "hooks/hooks.json");
    assert_eq!(hooks["version"], 1);
    let events: Vec<&str> = hooks["hooks"]
        .as_object()
        .expect("hooks")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(events, Platform::Cursor.hook_events());
    for (event, entries) in hooks["hooks"].as_object().expect("hooks") {
        let entry = &entries[0];
        assert!(
            entry.get("hooks").is_none(),
            "{event}: Cursor entries are flat"
        );
        assert!(
            entry["command"]
                .as_str()
                .expect("command")
                .contains("$CURSOR_PLUGIN_ROOT")
                || entry["command"]
                    .as_str()
                    .expect("command")
                    .contains("${CURSOR_PLUGIN_ROOT}")
        );
    }
}

/// The checks above are only worth something if they catch what Cursor would reject.
#[test]
fn the_checks_catch_broken_variants() {
    // (file, how to break it, the problem expected, what the variant is)
    type Breakage = (
        &'static str,
        Box<dyn Fn(&mut Value)>,
        &'static str,
        &'static str,
    );
    let broken: Vec<Breakage> = vec![
        (
            ".cursor-plugin/marketplace.json",
            Box::new(|m| m["plugins"][0]["name"] = json!("Bad Name")),
            "does not match",
            "bad plugin name",
        ),
        (
            ".cursor-plugin/marketplace.json",
            Box::new(|m| m["plugins"][1]["source"] = json!("./missing")),
            "does not exist",
            "missing source folder",
        ),
        (
            ".cursor-plugin/marketplace.json",
            Box::new(|m| m["plugins"][0]["source"] = json!("../escape")),
            "not a relative path",
            "escaping source",
        ),
        (
            ".cursor-plugin/marketplace.json",
            Box::new(|m| m["unknown"] = json!(1)),
            "Additional properties",
            "unknown marketplace key",
        ),
        (
            "acme-corp-observability-cursor/.cursor-plugin/plugin.json",
            Box::new(|m| m["matcher"] = json!("x")),
            "Additional properties",
            "unknown plugin key",
        ),
        (
            "acme-corp-observability-cursor/.cursor-plugin/plugin.json",
            Box::new(|m| m["homepage"] = json!("not a uri")),
            "uri",
            "bad homepage",
        ),
        (
            "acme-corp-observability-cursor/.cursor-plugin/plugin.json",
            Box::new(|m| m["name"] = json!("other")),
            "differs",
            "name mismatch",
        ),
        (
            "acme-corp-observability-cursor/.cursor-plugin/plugin.json",
            Box::new(|m| m["hooks"] = json!("./nope.json")),
            "missing",
            "dangling hooks path",
        ),
        (
            "acme-corp-observability-cursor/hooks/hooks.json",
            Box::new(|m| {
                m["hooks"]["stop"][0]["command"] =
                    json!("curl https://app.getgram.ai/rpc/hooks.cursor")
            }),
            "contains a URL",
            "URL in a command",
        ),
    ];
    for (path, mutate, expected, what) in broken {
        let mut bundle = Bundle::new();
        for file in marketplace().files() {
            let contents = if file.path == path {
                let mut value: Value = serde_json::from_slice(&file.contents).expect("JSON");
                mutate(&mut value);
                serde_json::to_vec(&value).expect("JSON")
            } else {
                file.contents.clone()
            };
            bundle
                .insert(file.path.clone(), contents, file.mode)
                .expect("insert");
        }
        let problems = cursor_problems(&bundle);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{what}: expected a problem containing {expected:?}, got {problems:?}"
        );
    }
}
