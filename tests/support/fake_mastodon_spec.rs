//! Checking the fake Mastodon's traffic against the Mastodon OpenAPI schema
//! in `../shared/peers/mastodon-openapi.json`.
//!
//! Every request the client sends must name an operation of the schema
//! (method and path template), use only query parameters that operation
//! declares (integers within their stated maximum), and carry a JSON body
//! valid against its request schema. Every Status the fake answers with is
//! checked against the schema's `Status`, so the adapter is tested on the
//! shape real servers send. Without the file the checks are skipped with a
//! printed notice.

use std::path::PathBuf;

use serde_json::{Value, json};

/// The parsed schema.
pub struct Spec {
    spec: Value,
    status: jsonschema::Validator,
}

fn peers_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("TWEETCHAT_PEERS_DIR") {
        return Some(PathBuf::from(dir));
    }
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        here.join("../shared/peers"),
        here.join("../../shared/peers"),
    ]
    .into_iter()
    .find(|p| p.join("mastodon-openapi.json").is_file())
}

impl Spec {
    /// `None`, with a notice, when the schema file is absent.
    pub fn load() -> Option<Spec> {
        let Some(dir) = peers_dir() else {
            super::skip::partial(
                "mastodon-openapi.json not found (../shared/peers): the fake Mastodon did not check requests against it",
            );
            return None;
        };
        let text = std::fs::read_to_string(dir.join("mastodon-openapi.json")).ok()?;
        let spec: Value = serde_json::from_str(&text).ok()?;
        let status = validator(&spec, "#/components/schemas/Status");
        Some(Spec { spec, status })
    }

    /// What is wrong with a request, per the schema (empty: nothing).
    pub fn check_request(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Vec<String> {
        let Some((template, op)) = self.operation(method, path) else {
            return vec![format!(
                "{method} {path} is no operation of the Mastodon API"
            )];
        };
        let mut problems = Vec::new();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for (name, value) in query {
            let base = name.trim_end_matches("[]");
            let Some(param) = params
                .iter()
                .find(|p| p["in"] == "query" && p["name"].as_str() == Some(base))
            else {
                problems.push(format!("{template}: unknown query parameter `{name}`"));
                continue;
            };
            let schema = &param["schema"];
            match schema["type"].as_str() {
                Some("integer") => match value.parse::<i64>() {
                    Ok(n) => {
                        let max = (base == "limit").then_some(40);
                        if max.is_some_and(|m| n > m) || n < 1 {
                            problems.push(format!("{template}: `{name}={value}` is out of range"));
                        }
                    }
                    Err(_) => problems.push(format!("{template}: `{name}` must be an integer")),
                },
                Some("boolean") if !matches!(value.as_str(), "true" | "false") => {
                    problems.push(format!("{template}: `{name}` must be true or false"))
                }
                _ => {}
            }
        }
        if let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"].as_object()
        {
            match body {
                None => problems.push(format!("{template}: a JSON body is required")),
                Some(body) => {
                    let full = json!({"components": self.spec["components"], "allOf": [schema]});
                    let validator =
                        jsonschema::validator_for(&full).expect("request schema compiles");
                    problems.extend(
                        validator
                            .iter_errors(body)
                            .map(|e| format!("{template}: {e}")),
                    );
                }
            }
        }
        problems
    }

    /// What is wrong with a Status the fake is about to send.
    pub fn check_status(&self, status: &Value) -> Vec<String> {
        self.status
            .iter_errors(status)
            .map(|e| e.to_string())
            .collect()
    }

    fn operation(&self, method: &str, path: &str) -> Option<(String, Value)> {
        let paths = self.spec["paths"].as_object()?;
        let wanted: Vec<&str> = path.trim_matches('/').split('/').collect();
        paths.iter().find_map(|(template, ops)| {
            let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
            let fits = parts.len() == wanted.len()
                && parts
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t == w || (t.starts_with('{') && !w.is_empty()));
            let op = ops.get(method.to_ascii_lowercase())?;
            fits.then(|| (template.clone(), op.clone()))
        })
    }
}

fn validator(spec: &Value, pointer: &str) -> jsonschema::Validator {
    let schema = json!({"$ref": pointer, "components": spec["components"]});
    jsonschema::validator_for(&schema).expect("schema compiles")
}
