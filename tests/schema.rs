//! `tweetchat schema` and the copy committed beside the example chats.
//!
//! Editors read `chats/tweetchat.schema.json` through the modeline at the top
//! of each example chat, so it works offline; this keeps it equal to what the
//! binary prints.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const COMMITTED: &str = "chats/tweetchat.schema.json";

fn schema_output() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_committed_schema_is_what_the_binary_prints() {
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED)).unwrap();
    assert!(
        committed == schema_output(),
        "{COMMITTED} is out of date; regenerate it with\n    cargo run -- schema > {COMMITTED}"
    );
}

#[test]
fn the_schema_is_draft_2020_12_json_without_unknown_keys() {
    let schema: Value = serde_json::from_str(&schema_output()).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["additionalProperties"], false);
    assert!(jsonschema::meta::is_valid(&schema));
    let with_unknown = serde_json::json!({
        "title": "T", "hashtag": "#t", "timezone": "UTC",
        "start": "2027-01-13 12:00", "questions": ["Q?"], "colour": "blue"
    });
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&with_unknown));
    let mut known = with_unknown;
    known.as_object_mut().unwrap().remove("colour");
    assert!(validator.is_valid(&known));
}
