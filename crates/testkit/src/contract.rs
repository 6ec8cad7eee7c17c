//! The published contracts in `tests/contracts` (vendored; see its README), as operations the
//! stand-ins route by and JSON Schema validators they check every request and answer with.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

/// `tests/contracts` in this repository: the vendored copies of the published contracts.
pub fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/contracts")
}

/// One operation of an OpenAPI description: how to recognise a request, and what to check.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId`, e.g. `createAPIKey`, `hooks#claude`, `git/create-tree`.
    pub id: String,
    /// Upper case, e.g. `POST`.
    pub method: String,
    /// The path template, e.g. `/repos/{owner}/{repo}/git/trees`.
    pub path: String,
    /// Declared header parameters (lower case).
    pub headers: Vec<String>,
    /// Declared query parameters and whether each is required.
    pub query: Vec<(String, bool)>,
    /// The JSON request body's schema, if the operation takes one.
    pub request: Option<Value>,
    /// Status (`"200"`, `"default"`, …) → the JSON answer's schema, if it has one.
    pub responses: BTreeMap<String, Option<Value>>,
}

impl Operation {
    /// Path parameters when `path` (no query) matches this operation's template. A parameter
    /// in the last segment takes the rest of the path (GitHub's `git/ref/{ref}` is `heads/main`).
    pub fn matches(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let template: Vec<&str> = self.path.trim_start_matches('/').split('/').collect();
        let actual: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut params = BTreeMap::new();
        for (i, part) in template.iter().enumerate() {
            let last = i + 1 == template.len();
            let param = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
            match (param, actual.get(i)) {
                (_, None) => return None,
                (Some(name), Some(_)) if last => {
                    let rest = actual[i..].join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    params.insert(name.to_owned(), rest);
                    return Some(params);
                }
                (Some(name), Some(value)) if !value.is_empty() => {
                    params.insert(name.to_owned(), (*value).to_owned());
                }
                (None, Some(value)) if value == part => {}
                _ => return None,
            }
        }
        (actual.len() == template.len()).then_some(params)
    }
}

/// An OpenAPI 3.0 description, loaded once per test process.
#[derive(Debug)]
pub struct Contract {
    name: &'static str,
    components: Value,
    /// The same components with every object closed (`additionalProperties: false`): requests
    /// we send are checked against these, since servers silently ignore a misspelt field.
    strict_components: Value,
    operations: Vec<Operation>,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Contract {
    /// Gram's admin API and hook endpoints (`gram-openapi.yaml`).
    pub fn gram() -> &'static Contract {
        static C: OnceLock<Contract> = OnceLock::new();
        C.get_or_init(|| Contract::load("gram-openapi.yaml"))
    }

    /// Gram's hook endpoints as of 2026-08-22 (`gram-hooks-openapi-head.yaml`).
    pub fn gram_hooks() -> &'static Contract {
        static C: OnceLock<Contract> = OnceLock::new();
        C.get_or_init(|| Contract::load("gram-hooks-openapi-head.yaml"))
    }

    /// GitHub's REST API subset (`github-openapi.json`).
    pub fn github() -> &'static Contract {
        static C: OnceLock<Contract> = OnceLock::new();
        C.get_or_init(|| Contract::load("github-openapi.json"))
    }

    /// Reads `tests/contracts/<file>` (YAML or JSON).
    pub fn load(file: &'static str) -> Contract {
        let path = contracts_dir().join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read the contract {}: {e}", path.display()));
        let doc: Value = if file.ends_with(".json") {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
        } else {
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
        };
        let mut components = doc["components"].clone();
        openapi_to_json_schema(&mut components);
        let mut strict_components = components.clone();
        close_objects(&mut strict_components);
        let operations = operations(&doc);
        Contract {
            name: file,
            components,
            strict_components,
            operations,
            validators: Mutex::new(HashMap::new()),
        }
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The operation a request is for, with its path parameters.
    pub fn route(
        &self,
        method: &str,
        path: &str,
    ) -> Option<(&Operation, BTreeMap<String, String>)> {
        let path = path.split('?').next().unwrap_or(path);
        // The most specific template wins: the longest (so `/repos/{o}/{r}` does not swallow
        // `/repos/{o}/{r}/git/ref/heads/main`), then the one with fewest parameters (`/user`
        // before `/users/{u}`).
        let mut best: Option<(&Operation, BTreeMap<String, String>)> = None;
        let specificity = |op: &Operation, params: &BTreeMap<String, String>| {
            (op.path.matches('/').count(), usize::MAX - params.len())
        };
        for op in &self.operations {
            if !op.method.eq_ignore_ascii_case(method) {
                continue;
            }
            if let Some(params) = op.matches(path) {
                if best
                    .as_ref()
                    .is_none_or(|(b, p)| specificity(op, &params) > specificity(b, p))
                {
                    best = Some((op, params));
                }
            }
        }
        best
    }

    /// The operation with `operationId` `id`; panics (a test bug) when there is none.
    pub fn operation(&self, id: &str) -> &Operation {
        self.operations
            .iter()
            .find(|op| op.id == id)
            .unwrap_or_else(|| panic!("no operation {id:?} in {}", self.name))
    }

    /// Validates `instance` against `#/components/schemas/<name>`; returns every violation.
    pub fn check(&self, schema_name: &str, instance: &Value) -> Vec<String> {
        assert!(
            self.components["schemas"].get(schema_name).is_some(),
            "no schema {schema_name} in {}",
            self.name
        );
        self.check_schema(
            schema_name,
            &json!({ "$ref": format!("#/components/schemas/{schema_name}") }),
            instance,
            false,
        )
    }

    /// Everything wrong with a request for `op`: undeclared or missing query parameters, and a
    /// body that does not match (with `strict`, an undeclared field is wrong too).
    pub fn check_request(
        &self,
        op: &Operation,
        query: &[(String, String)],
        body: &[u8],
        strict: bool,
    ) -> Vec<String> {
        let mut v = Vec::new();
        for (name, required) in &op.query {
            if *required && !query.iter().any(|(n, _)| n == name) {
                v.push(format!("query parameter {name} is required"));
            }
        }
        if strict {
            for (name, _) in query {
                if !op.query.iter().any(|(n, _)| n == name) {
                    v.push(format!("query parameter {name} is not in the contract"));
                }
            }
        }
        match (&op.request, body.is_empty()) {
            (None, true) => {}
            (None, false) => v.push("the operation takes no body, but one was sent".into()),
            (Some(_), true) => v.push("the request body is missing".into()),
            (Some(schema), false) => match serde_json::from_slice::<Value>(body) {
                Err(e) => v.push(format!("the request body is not JSON: {e}")),
                Ok(body) => v.extend(self.check_schema(&op.id, schema, &body, strict)),
            },
        }
        v
    }

    /// Everything wrong with an answer to `op`: an undeclared status, or a body not matching.
    pub fn check_response(&self, op: &Operation, status: u16, body: Option<&Value>) -> Vec<String> {
        let declared = op
            .responses
            .get(&status.to_string())
            .or_else(|| op.responses.get("default"));
        match (declared, body) {
            (None, _) => vec![format!("status {status} is not declared for {}", op.id)],
            (Some(Some(schema)), Some(body)) => {
                self.check_schema(&format!("{} {status}", op.id), schema, body, false)
            }
            (Some(Some(_)), None) => {
                vec![format!("status {status} of {} needs a JSON body", op.id)]
            }
            (Some(None), _) => Vec::new(),
        }
    }

    fn check_schema(
        &self,
        label: &str,
        schema: &Value,
        instance: &Value,
        strict: bool,
    ) -> Vec<String> {
        let validator = self.validator(schema, strict);
        validator
            .iter_errors(instance)
            .map(|e| format!("{label}: {e} at {:?}", e.instance_path.to_string()))
            .collect()
    }

    fn validator(&self, schema: &Value, strict: bool) -> Arc<jsonschema::Validator> {
        let mut schema = schema.clone();
        if strict {
            close_objects(&mut schema);
        }
        let cache_key = format!("{strict}{schema}");
        let mut cache = self.validators.lock().expect("lock");
        if let Some(v) = cache.get(&cache_key) {
            return v.clone();
        }
        let components = if strict {
            &self.strict_components
        } else {
            &self.components
        };
        let mut full = schema;
        if let Value::Object(map) = &mut full {
            map.insert("components".into(), components.clone());
        }
        let validator = Arc::new(
            jsonschema::validator_for(&full)
                .unwrap_or_else(|e| panic!("a schema of {}: {e}", self.name)),
        );
        cache.insert(cache_key, validator.clone());
        validator
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !matches!(
                method.as_str(),
                "get" | "put" | "post" | "patch" | "delete" | "head"
            ) {
                continue;
            }
            let params = resolve_params(doc, op["parameters"].as_array());
            let param_list = |place: &str| {
                params
                    .iter()
                    .filter(|p| p["in"] == place)
                    .map(|p| {
                        (
                            p["name"].as_str().unwrap_or_default().to_owned(),
                            p["required"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect::<Vec<_>>()
            };
            let json_schema = |v: &Value| {
                let mut s = v["content"]["application/json"]["schema"].clone();
                openapi_to_json_schema(&mut s);
                (!s.is_null()).then_some(s)
            };
            let responses = op["responses"]
                .as_object()
                .map(|r| {
                    r.iter()
                        .map(|(status, resp)| (status.clone(), json_schema(&resolve(doc, resp))))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Operation {
                id: op["operationId"].as_str().unwrap_or_default().to_owned(),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                headers: param_list("header")
                    .into_iter()
                    .map(|(n, _)| n.to_ascii_lowercase())
                    .collect(),
                query: param_list("query"),
                request: json_schema(&resolve(doc, &op["requestBody"])),
                responses,
            });
        }
    }
    out
}

/// Follows a local `$ref` (`#/components/parameters/owner`) once.
fn resolve(doc: &Value, v: &Value) -> Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).cloned().unwrap_or(Value::Null),
        None => v.clone(),
    }
}

fn resolve_params(doc: &Value, params: Option<&Vec<Value>>) -> Vec<Value> {
    params
        .into_iter()
        .flatten()
        .map(|p| resolve(doc, p))
        .collect()
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

/// Closes every object schema that lists its properties and says nothing of others.
fn close_objects(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let composed = ["allOf", "anyOf", "oneOf"]
                .iter()
                .any(|k| map.contains_key(*k));
            if map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !composed
            {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gram_operations_route_by_method_and_path() {
        let gram = Contract::gram();
        assert_eq!(
            gram.route("POST", "/rpc/keys.create").unwrap().0.id,
            "createAPIKey"
        );
        assert_eq!(
            gram.route("DELETE", "/rpc/keys.revoke?id=x").unwrap().0.id,
            "revokeAPIKey"
        );
        assert!(gram.route("GET", "/rpc/keys.create").is_none());
        assert!(gram.route("POST", "/rpc/hooks.gemini").is_none());
    }

    #[test]
    fn github_refs_take_the_rest_of_the_path() {
        let github = Contract::github();
        let (op, params) = github
            .route("GET", "/repos/acme/plugins/git/ref/heads/main")
            .expect("get-ref");
        assert_eq!(op.id, "git/get-ref");
        assert_eq!(params["ref"], "heads/main");
        assert_eq!(params["owner"], "acme");
    }

    #[test]
    fn strict_requests_refuse_undeclared_fields() {
        let gram = Contract::gram();
        let op = gram.operation("createAPIKey");
        let good = br#"{"name":"k","scopes":["hooks"]}"#;
        assert!(gram.check_request(op, &[], good, true).is_empty());
        let typo = br#"{"name":"k","scopes":["hooks"],"scope":"x"}"#;
        assert!(!gram.check_request(op, &[], typo, true).is_empty());
        assert!(gram.check_request(op, &[], typo, false).is_empty());
    }
}
