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

/// Values of every shape, valid and not, to put under any key.
const VALUES: &[&str] = &[
    "1h",
    "90s",
    "1h30m",
    "-5m",
    "0s",
    "5",
    "1.5",
    "true",
    "false",
    "~",
    "[]",
    "[a, b]",
    "[main_x]",
    "[Main-X]",
    "{}",
    "{after: 10m}",
    "{after: 0s, search: false, exclude: [\"@a\"]}",
    "[{before: 1d}]",
    "[{before: 1d, text: hi}]",
    "[{text: hi}]",
    "\"#tag\"",
    "\"#123\"",
    "2027-01-13 12:00",
    "2027-01-13T12:00:30",
    "2027-01-13",
    "\"0 12 * * WED\"",
    "\"@weekly\"",
    "America/Chicago",
    "[America/New_York]",
    "hello",
    "[\"Q?\", {at: 5m, text: R?}]",
    "[{at: 5m}]",
    "2026-12-01",
    "\"Q{n}. {text} {hashtag}\"",
    "\"Hi {title}\"",
];

const KEYS: &[&str] = &[
    "title",
    "hashtag",
    "timezone",
    "start",
    "repeat",
    "from",
    "until",
    "duration",
    "show_times_in",
    "accounts",
    "thread",
    "visibility",
    "language",
    "announce",
    "welcome",
    "questions",
    "question_format",
    "wrapup",
    "thanks",
    "colour",
];

/// A valid chat with each `(key, value)` set (replacing the key's line, or
/// added) or, for `None`, the key removed.
fn edited(edits: &[(&str, Option<&str>)]) -> String {
    let mut lines: Vec<(String, String)> = [
        ("title", "Test chat"),
        ("hashtag", "\"#test\""),
        ("timezone", "America/Chicago"),
        ("start", "2027-01-13 12:00"),
        ("questions", "[First?, {at: 15m, text: Second?}]"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (key, value) in edits {
        lines.retain(|(k, _)| k != key);
        if let Some(value) = value {
            lines.push((key.to_string(), value.to_string()));
        }
    }
    lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect()
}

proptest::proptest! {
    /// The schema is never stricter than the loader: whatever `check`
    /// accepts, an editor accepts too.
    #[test]
    fn every_file_the_loader_accepts_fits_the_schema(
        edits in proptest::collection::vec(
            (proptest::sample::select(KEYS), proptest::option::weighted(0.9, proptest::sample::select(VALUES))),
            1..4,
        )
    ) {
        let src = edited(&edits);
        if tweetchat::plan::load::load_str(Path::new("t.yaml"), &src).is_ok() {
            let schema = tweetchat::plan::schema::chat_schema().unwrap();
            let doc: Value = serde_saphyr::from_str(&src).unwrap();
            let errors: Vec<String> = jsonschema::validator_for(&schema)
                .unwrap()
                .iter_errors(&doc)
                .map(|e| e.to_string())
                .collect();
            proptest::prop_assert!(errors.is_empty(), "{errors:?}\n{src}");
        }
    }
}

#[test]
fn the_edited_base_is_valid_and_edits_can_break_it() {
    let load = |src: &str| tweetchat::plan::load::load_str(Path::new("t.yaml"), src);
    assert!(load(&edited(&[])).is_ok());
    assert!(
        load(&edited(&[(
            "thanks",
            Some("{after: 0s, search: false, exclude: [\"@a\"]}")
        )]))
        .is_ok()
    );
    assert!(load(&edited(&[("title", None)])).is_err());
}

#[test]
fn the_committed_session_schema_is_what_the_binary_prints() {
    const SESSION: &str = "chats/tweetchat.session.schema.json";
    let out = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .args(["schema", "--session"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(SESSION)).unwrap();
    assert!(
        committed == printed,
        "{SESSION} is out of date; regenerate it with\n    cargo run -- schema --session > {SESSION}"
    );
    // A session file as an organizer writes it is valid; a typo is not.
    let schema: Value = serde_json::from_str(&printed).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let session = serde_json::json!({
        "topic": "Feedback", "host": ["@a", "@b"],
        "questions": ["Why?", {"at": "15m", "text": "How?", "x": "How, on X?"}],
        "welcome": {"text": "Hi {topic}", "bluesky": "Hi sky"},
        "start": "2027-03-11 13:00"
    });
    assert!(validator.is_valid(&session));
    assert!(!validator.is_valid(&serde_json::json!({"topik": "Feedback"})));
    assert!(validator.is_valid(&serde_json::json!({"skip": "Holiday week"})));
}
