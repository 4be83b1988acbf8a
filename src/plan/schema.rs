//! The JSON Schema (draft 2020-12) of the chat file, for editors.
//!
//! It is built from the loader's own key tables in [`keys`], not from a
//! `schemars` derive: the loader reads a span-carrying YAML tree by hand
//! (see [`super::raw`]) and has no serde struct a derive could describe, so a
//! derived schema would describe a second, drifting copy of the format. From
//! the tables every key gets its shape, `description`, `examples` and
//! `default` (from [`super::defaults`], as the loader fills it in), each
//! mapping `additionalProperties: false`, and the top level `oneOf`
//! `start`/`repeat`. Meaning (zones, cron lines, placeholders) is left to
//! `tweetchat check`; the schema never rejects a file the loader accepts.

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::duration;
use super::keys::{self, Fallback, Key, Need, Shape};

/// The draft the schema is written in.
pub const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The schema of a chat file.
pub fn chat_schema() -> anyhow::Result<Value> {
    let mut root = object(keys::TOP)?;
    insert(&mut root, "$schema", json!(DRAFT));
    insert(&mut root, "title", json!("tweetchat chat file"));
    insert(
        &mut root,
        "description",
        json!(
            "One scheduled tweet chat (chats/NAME.yaml; NAME is the chat id). \
             Check its meaning with `tweetchat check`."
        ),
    );
    Ok(root)
}

/// The schema of a session file, `chats/NAME/DATE.yaml`: the keys of one
/// entry of `sessions:`.
pub fn session_schema() -> anyhow::Result<Value> {
    let mut root = object(keys::SESSION)?;
    insert(&mut root, "$schema", json!(DRAFT));
    insert(&mut root, "title", json!("tweetchat session file"));
    insert(
        &mut root,
        "description",
        json!(
            "One session of a recurring chat (chats/NAME/DATE.yaml, DATE the local date \
             the chat's rule gives it). Check it with `tweetchat check`."
        ),
    );
    Ok(root)
}

/// The schema as `tweetchat schema` prints it: pretty JSON and a newline.
pub fn to_text() -> anyhow::Result<String> {
    let text = serde_json::to_string_pretty(&chat_schema()?)?;
    Ok(text + "\n")
}

/// [`session_schema`] as `tweetchat schema --session` prints it.
pub fn session_text() -> anyhow::Result<String> {
    let text = serde_json::to_string_pretty(&session_schema()?)?;
    Ok(text + "\n")
}

/// A mapping of exactly the keys of `table`.
fn object(table: &[Key]) -> anyhow::Result<Value> {
    let mut properties = Map::new();
    for key in table {
        properties.insert(key.name.to_string(), property(key)?);
    }
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    let with_need = |need: fn(Need) -> bool| table.iter().filter(move |k| need(k.need));
    let required: Vec<&str> = with_need(|n| n == Need::Required).map(|k| k.name).collect();
    if !required.is_empty() {
        insert(&mut schema, "required", json!(required));
    }
    let one_of: Vec<Value> = with_need(|n| n == Need::OneOf)
        .map(|k| json!({ "required": [k.name] }))
        .collect();
    if !one_of.is_empty() {
        insert(&mut schema, "oneOf", Value::Array(one_of));
    }
    let any_of: Vec<Value> = table
        .iter()
        .filter_map(|k| match k.need {
            Need::Unless(other) => Some(json!([{ "required": [k.name] }, { "required": [other] }])),
            _ => None,
        })
        .collect();
    if let Some(any_of) = any_of.into_iter().next() {
        insert(&mut schema, "anyOf", any_of);
    }
    let dependent: Map<String, Value> = table
        .iter()
        .filter_map(|k| match k.need {
            Need::With(other) => Some((k.name.to_string(), json!([other]))),
            _ => None,
        })
        .collect();
    if !dependent.is_empty() {
        insert(&mut schema, "dependentRequired", Value::Object(dependent));
    }
    Ok(schema)
}

/// One key: its shape, what it means and its example as JSON.
fn property(key: &Key) -> anyhow::Result<Value> {
    let example: Value = serde_saphyr::from_str(key.example)
        .with_context(|| format!("the example of `{}` is not YAML", key.name))?;
    let mut schema = shape(&key.shape)?;
    let default = match key.default {
        Fallback::None => None,
        Fallback::Text(text) => Some(json!(text)),
        Fallback::Bool(on) => Some(json!(on)),
        Fallback::Duration(d) => Some(json!(duration::format(d))),
    };
    match default {
        Some(value) => {
            let about = format!("{} Default: {value}.", key.about);
            insert(&mut schema, "description", json!(about));
            insert(&mut schema, "default", value);
        }
        None => insert(&mut schema, "description", json!(key.about)),
    }
    insert(&mut schema, "examples", json!([example]));
    Ok(schema)
}

fn shape(shape: &Shape) -> anyhow::Result<Value> {
    Ok(match shape {
        Shape::Text => json!({ "type": ["string", "number"] }),
        Shape::Pattern(pattern) => json!({ "type": "string", "pattern": pattern }),
        Shape::Bool => json!({ "type": "boolean" }),
        Shape::List(item) => json!({ "type": "array", "items": self::shape(item)? }),
        Shape::Map(table) => object(table)?,
        Shape::TextOrMap(table) => json!({ "oneOf": [self::shape(&Shape::Text)?, object(table)?] }),
        Shape::Switch(inner) => json!({ "oneOf": [self::shape(inner)?, { "type": "boolean" }] }),
        Shape::Count => json!({ "oneOf": [
            { "type": "integer", "minimum": 1, "maximum": super::season::MAX_SESSIONS },
            { "type": "string", "pattern": keys::COUNT_PATTERN },
        ] }),
        Shape::OneOrList(item) => {
            let one = self::shape(item)?;
            json!({ "oneOf": [one.clone(), { "type": "array", "items": one }] })
        }
        Shape::Dated(table) => json!({
            "type": "object",
            "propertyNames": { "pattern": keys::SESSION_DATE_PATTERN },
            "additionalProperties": object(table)?,
        }),
    })
}

fn insert(schema: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = schema {
        map.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::load_str;

    const LEVELS: [(&str, &[Key]); 6] = [
        ("top", keys::TOP),
        ("announce", keys::ANNOUNCE),
        ("question", keys::QUESTION),
        ("thanks", keys::THANKS),
        ("session", keys::SESSION),
        ("welcome", keys::VARIANTS),
    ];

    fn validator() -> jsonschema::Validator {
        jsonschema::validator_for(&chat_schema().unwrap()).unwrap()
    }

    fn schema_errors(src: &str) -> Vec<String> {
        let doc: Value = serde_saphyr::from_str(src).unwrap();
        validator()
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect()
    }

    fn find(table: &'static [Key], name: &str) -> &'static Key {
        table.iter().find(|k| k.name == name).unwrap()
    }

    /// `name: example` lines of a minimal valid file that uses top-level `using`.
    fn top_with(using: &str) -> Vec<(&'static str, String)> {
        let wanted = match find(keys::TOP, using).need {
            Need::With(other) => other,
            _ => using,
        };
        let pick = match find(keys::TOP, wanted).need {
            Need::OneOf => wanted,
            _ => {
                keys::TOP
                    .iter()
                    .find(|k| k.need == Need::OneOf)
                    .unwrap()
                    .name
            }
        };
        keys::TOP
            .iter()
            .filter(|k| {
                matches!(k.need, Need::Required | Need::Unless(_))
                    || [pick, wanted, using].contains(&k.name)
                    // `count` counts from `from`.
                    || (using == "count" && k.name == "from")
            })
            .map(|k| (k.name, k.example.to_string()))
            .collect()
    }

    /// The required keys of `table` and then `extra` lines, as a block list
    /// item (`list`) or mapping, indented under a top-level key.
    fn nested(table: &[Key], extra: &[(&str, &str)], list: bool) -> String {
        let mut lines: Vec<String> = table
            .iter()
            .filter(|k| k.need == Need::Required && !extra.iter().any(|(n, _)| *n == k.name))
            .map(|k| format!("{}: {}", k.name, k.example))
            .chain(extra.iter().map(|(n, v)| format!("{n}: {v}")))
            .collect();
        let mut out = String::new();
        for (i, line) in lines.drain(..).enumerate() {
            let lead = match (list, i) {
                (true, 0) => "  - ",
                (true, _) => "    ",
                (false, _) => "  ",
            };
            out.push_str(&format!("\n{lead}{line}"));
        }
        out
    }

    /// A minimal valid file whose `level` mapping holds `extra`.
    fn file(level: &str, extra: &[(&str, &str)]) -> String {
        let (outer, inner) = match level {
            "top" => match keys::TOP.iter().find(|k| k.name == extra[0].0) {
                Some(key) => (key.name, None),
                None => ("title", None),
            },
            "announce" => ("announce", Some(nested(keys::ANNOUNCE, extra, true))),
            "question" => ("questions", Some(nested(keys::QUESTION, extra, true))),
            "session" => ("sessions", Some(session(extra))),
            "welcome" => ("welcome", Some(nested(keys::VARIANTS, extra, false))),
            _ => ("thanks", Some(nested(keys::THANKS, extra, false))),
        };
        let outer = if level == "session" {
            "repeat_sessions"
        } else {
            outer
        };
        let mut top = if outer == "repeat_sessions" {
            let mut top = top_with("sessions");
            top.retain(|(n, _)| *n != "sessions");
            top.push(("sessions", String::new()));
            top
        } else {
            top_with(outer)
        };
        let outer = if outer == "repeat_sessions" {
            "sessions"
        } else {
            outer
        };
        for (name, value) in extra.iter().filter(|_| inner.is_none()) {
            match top.iter_mut().find(|(n, _)| n == name) {
                Some((_, v)) => *v = value.to_string(),
                None => top.push((name, value.to_string())),
            }
        }
        if let (Some(inner), Some((_, v))) = (inner, top.iter_mut().find(|(n, _)| *n == outer)) {
            *v = inner;
        }
        top.iter().map(|(n, v)| format!("{n}: {v}\n")).collect()
    }

    /// One session (the first Wednesday the example rule gives) holding
    /// `extra`, as the value of `sessions:`.
    fn session(extra: &[(&str, &str)]) -> String {
        let date = "  2026-12-02:";
        let mut out = format!("\n{date}");
        for (n, v) in extra {
            let v = if *n == "start" { "2026-12-02 13:00" } else { v };
            out.push_str(&format!("\n    {n}: {v}"));
        }
        out
    }

    #[test]
    fn the_schema_is_valid_draft_2020_12() {
        let schema = chat_schema().unwrap();
        assert_eq!(schema["$schema"], DRAFT);
        jsonschema::meta::validate(&schema).unwrap();
    }

    fn property_sets(value: &Value, out: &mut Vec<Vec<String>>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    out.push(props.keys().cloned().collect());
                    assert_eq!(map["additionalProperties"], false, "{map:?}");
                }
                map.values().for_each(|v| property_sets(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| property_sets(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_schema_has_exactly_the_loaders_keys_at_every_level() {
        let mut found = Vec::new();
        property_sets(&chat_schema().unwrap(), &mut found);
        let mut expected: Vec<Vec<String>> = LEVELS
            .iter()
            .map(|(_, table)| {
                let mut names: Vec<String> =
                    keys::names(table).into_iter().map(String::from).collect();
                names.sort();
                names
            })
            .collect();
        for set in &mut found {
            set.sort();
        }
        found.sort();
        found.dedup();
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn a_minimal_file_using_each_key_is_accepted_by_both() {
        let mut tried = 0;
        for (level, table) in LEVELS {
            for key in table {
                let src = file(level, &[(key.name, key.example)]);
                if let Err(diags) = load_str(Path::new("t.yaml"), &src) {
                    panic!("`{}` in {level}: loader said {diags:#?}\n{src}", key.name);
                }
                let errors = schema_errors(&src);
                assert!(errors.is_empty(), "`{}`: {errors:?}\n{src}", key.name);
                tried += 1;
            }
        }
        assert_eq!(tried, 22 + 5 + 5 + 7 + 9 + 4);
    }

    #[test]
    fn every_default_is_accepted_by_both() {
        let schema = chat_schema().unwrap();
        let mut tried = 0;
        for (level, table) in LEVELS {
            for key in table.iter().filter(|k| k.default != Fallback::None) {
                let value = match key.default {
                    Fallback::Text(text) => json!(text),
                    Fallback::Bool(on) => json!(on),
                    Fallback::Duration(d) => json!(duration::format(d)),
                    Fallback::None => unreachable!(),
                };
                let mut found = Vec::new();
                find_defaults(&schema, key.name, &mut found);
                assert!(found.contains(&&value), "{}: {found:?}", key.name);
                let value = value.to_string();
                let src = file(level, &[(key.name, &value)]);
                let loaded = load_str(Path::new("t.yaml"), &src);
                assert!(loaded.is_ok(), "{}: {loaded:?}\n{src}", key.name);
                let errors = schema_errors(&src);
                assert!(errors.is_empty(), "{}: {errors:?}\n{src}", key.name);
                tried += 1;
            }
        }
        assert_eq!(tried, 10);
    }

    /// The `default` of every property called `name`.
    fn find_defaults<'v>(value: &'v Value, name: &str, out: &mut Vec<&'v Value>) {
        match value {
            Value::Object(map) => {
                if let Some(default) = map
                    .get("properties")
                    .and_then(|p| p.get(name))
                    .and_then(|p| p.get("default"))
                {
                    out.push(default);
                }
                map.values().for_each(|v| find_defaults(v, name, out));
            }
            Value::Array(items) => items.iter().for_each(|v| find_defaults(v, name, out)),
            _ => {}
        }
    }

    #[test]
    fn a_made_up_key_is_rejected_by_both_at_every_level() {
        for (level, _) in LEVELS {
            let src = file(level, &[("colour", "blue")]);
            let diags = load_str(Path::new("t.yaml"), &src).unwrap_err();
            assert!(
                diags.iter().any(|d| d.message
                    == "unknown key `colour` in ".to_string()
                        + match level {
                            "top" => "the chat file",
                            "announce" => "an announcement",
                            "question" => "a question",
                            "session" => "session 2026-12-02",
                            "welcome" => "`welcome`",
                            _ => "`thanks`",
                        }),
                "{level}: {diags:#?}\n{src}"
            );
            let errors = schema_errors(&src);
            assert!(
                errors.iter().any(|e| e.contains("colour")),
                "{level}: {errors:?}\n{src}"
            );
        }
    }

    #[test]
    fn wrong_shapes_are_rejected_by_both() {
        let base = file("top", &[("title", "T")]);
        let cases = [
            base.replace("title: T\n", ""),
            base.replace("start:", "repeat: \"0 12 * * 3\"\nstart:"),
            base.clone() + "from: 2026-12-01\n",
            base.clone() + "welcome: [hello]\n",
            base.clone() + "announce:\n  - text: hi\n",
            base.clone() + "announce: soon\n",
            base.clone() + "thanks: [a]\n",
            base.clone() + "thread: maybe\n",
            base.clone() + "duration: 90\n",
            base.clone() + "accounts: [Main-X]\n",
            base.replace("questions:", "questions: []\nq:"),
            base.replace("start: 2026-12-02 12:00", "start: 2026-12-02"),
            format!(
                "{}questions:\n  - at: 5m\n",
                base.split("questions:").next().unwrap()
            ),
        ];
        assert!(load_str(Path::new("t.yaml"), &base).is_ok());
        for src in &cases {
            assert!(
                load_str(Path::new("t.yaml"), src).is_err(),
                "loader took\n{src}"
            );
            if src.contains("questions: []") {
                continue; // an empty list is a meaning check, not a shape
            }
            assert!(!schema_errors(src).is_empty(), "schema took\n{src}");
        }
    }

    fn matches(pattern: &str, text: &str) -> bool {
        jsonschema::is_valid(
            &json!({ "type": "string", "pattern": pattern }),
            &json!(text),
        )
    }

    #[test]
    fn the_duration_pattern_agrees_with_the_parser() {
        for text in [
            "90s", "5m", "1h", "1d", "1h30m", "1d2h3m4s", "0s", " 5m ", "2m30s",
        ] {
            assert!(duration::parse(text).is_ok(), "{text}");
            assert!(matches(duration::PATTERN, text), "{text}");
        }
        for text in [
            "", "5", "5x", "m", "30m1h", "1m1m", "1.5h", "h5", "1 h", "-5m",
        ] {
            let positive = duration::parse(text).is_ok_and(|d| d.is_positive());
            assert!(!positive, "{text}");
            assert!(!matches(duration::PATTERN, text), "{text}");
        }
    }

    #[test]
    fn the_start_pattern_agrees_with_the_loader() {
        let with_start = |start: &str| {
            file("top", &[("start", "2026-12-02 12:00")]).replace("2026-12-02 12:00", start)
        };
        for start in [
            "2026-12-02 12:00",
            "2026-12-02T12:00",
            "2026-12-02 12:00:30",
            "2026-12-02T12:00:30.5",
        ] {
            assert!(
                load_str(Path::new("t.yaml"), &with_start(start)).is_ok(),
                "{start}"
            );
            assert!(matches(keys::START_PATTERN, start), "{start}");
        }
        for start in [
            "2026-12-02",
            "12:00",
            "tomorrow noon",
            "2026-12-02 12",
            "12/02/2026 12:00",
        ] {
            assert!(
                load_str(Path::new("t.yaml"), &with_start(start)).is_err(),
                "{start}"
            );
            assert!(!matches(keys::START_PATTERN, start), "{start}");
        }
    }

    #[test]
    fn output_is_stable_pretty_json() {
        let text = to_text().unwrap();
        assert!(text.ends_with("}\n"));
        assert_eq!(text, to_text().unwrap());
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, chat_schema().unwrap());
        assert_eq!(
            parsed["oneOf"],
            json!([{ "required": ["start"] }, { "required": ["repeat"] }])
        );
        assert_eq!(parsed["dependentRequired"]["from"], json!(["repeat"]));
    }
}
