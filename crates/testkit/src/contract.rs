//! The published contracts in `../shared/contracts`, as JSON Schema validators.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{json, Value};

/// `../shared` beside the repository (override with `GRAM_ADMIN_SHARED`).
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GRAM_ADMIN_SHARED") {
        return PathBuf::from(dir);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = repo.join("../shared");
    assert!(
        dir.join("contracts").is_dir(),
        "the shared contracts are missing: expected {} (set GRAM_ADMIN_SHARED)",
        dir.display()
    );
    dir
}

/// Gram's OpenAPI description, with its component schemas usable as JSON Schemas.
#[derive(Debug)]
pub struct Contract {
    components: Value,
}

impl Contract {
    /// Gram's contract, loaded once per test process.
    pub fn gram() -> &'static Contract {
        static GRAM: OnceLock<Contract> = OnceLock::new();
        GRAM.get_or_init(|| {
            let path = shared_dir().join("contracts/gram-openapi.yaml");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let doc: Value = serde_yaml::from_str(&text)
                .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
            let mut components = doc["components"].clone();
            openapi_to_json_schema(&mut components);
            Contract { components }
        })
    }

    /// Validates `instance` against `#/components/schemas/<name>`; returns every violation.
    pub fn check(&self, schema_name: &str, instance: &Value) -> Vec<String> {
        assert!(
            self.components["schemas"].get(schema_name).is_some(),
            "no schema {schema_name} in the contract"
        );
        let schema = json!({
            "$ref": format!("#/components/schemas/{schema_name}"),
            "components": self.components,
        });
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("schema {schema_name}: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| format!("{schema_name}: {e} at {}", e.instance_path))
            .collect()
    }
}

/// OpenAPI 3.0 `nullable: true` means "or null" in JSON Schema.
fn openapi_to_json_schema(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), json!([t, "null"]));
                }
            }
            map.values_mut().for_each(openapi_to_json_schema);
        }
        Value::Array(items) => items.iter_mut().for_each(openapi_to_json_schema),
        _ => {}
    }
}
