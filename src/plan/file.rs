//! The chat file as serde types: the published shape of `chats/NAME.yaml`.
//!
//! The loader itself reads files through [`super::raw`] (a located tree
//! checked key by key, so every mistake is reported, not only the first), but
//! editors and `tweetchat schema` want a JSON Schema, and schemars derives one
//! from types. These types are that description; tests keep them and the
//! loader in step (same keys, the example chats accepted by both).

use schemars::JsonSchema;
use serde::Deserialize;

/// A tweet chat: when it happens, what it posts, and where.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatFile {
    /// The chat's name, used by `{title}`.
    pub title: String,
    /// The hashtag with its `#` (quote it in YAML): letters, digits, `_`.
    #[schemars(pattern(r"^#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*$"))]
    pub hashtag: String,
    /// IANA time zone of every local time in the file, e.g. `America/Chicago`.
    pub timezone: String,
    /// A one-off chat's local start, `2026-12-02 12:00`. Either this or `repeat`.
    pub start: Option<String>,
    /// A recurring chat: a standard 5-field cron line in `timezone`,
    /// `minute hour day-of-month month day-of-week` (Sunday is 0), e.g. `0 12 * * WED`.
    pub repeat: Option<String>,
    /// First local date (`2026-12-01`) on which a `repeat` chat may start.
    pub from: Option<String>,
    /// Last local date (`2027-06-30`) on which a `repeat` chat may start.
    pub until: Option<String>,
    /// How long the chat lasts (default `1h`).
    pub duration: Option<Duration>,
    /// Zones `{times}` spells out after the chat's own, in this order.
    #[serde(default)]
    pub show_times_in: Vec<String>,
    /// Account names from the settings (default: the settings' `default_accounts`).
    pub accounts: Option<Vec<AccountName>>,
    /// Post welcome, questions and wrap-up as a thread under the welcome.
    pub thread: Option<bool>,
    /// Posts before the start (default: a day and an hour before); `false` for none.
    pub announce: Option<Announce>,
    /// Posted at the start; `false` for none.
    pub welcome: Option<TextOrOff>,
    /// Questions Q1..Qn in order; without `at` they are spread evenly over the chat.
    pub questions: Vec<QuestionFile>,
    /// How a question is posted (default `Q{n}. {text} {hashtag}`).
    pub question_format: Option<String>,
    /// Posted at the end; `false` for none.
    pub wrapup: Option<TextOrOff>,
    /// The thank-you after the chat; `false` for none.
    pub thanks: Option<ThanksOrOff>,
}

/// An account name: lowercase letters, digits and `_`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct AccountName(#[schemars(pattern(r"^[a-z0-9_]+$"))] pub String);

/// A duration such as `90s`, `5m`, `1h30m` or `1d`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Duration(#[schemars(pattern(r"^(\d+d)?(\d+h)?(\d+m)?(\d+s)?$"))] pub String);

/// A template, or `false` to turn the post off (`true` keeps the default).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TextOrOff {
    Toggle(bool),
    Text(String),
}

/// Announcements, or `false` for none.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Announce {
    Toggle(bool),
    List(Vec<AnnounceFile>),
}

/// One announcement.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceFile {
    /// How long before the start.
    pub before: Duration,
    /// The post (default: a reminder with `{title}`, `{times}` and `{hashtag}`).
    pub text: Option<String>,
}

/// A question: its text, or its text and minute.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum QuestionFile {
    Text(String),
    Timed(TimedQuestion),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimedQuestion {
    /// Offset from the start, e.g. `15m`; omitted: spread evenly.
    pub at: Option<Duration>,
    pub text: String,
}

/// The thank-you, or `false` for none.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ThanksOrOff {
    Toggle(bool),
    Thanks(ThanksFile),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThanksFile {
    /// How long after the end (default `10m`).
    pub after: Option<Duration>,
    /// The post; `{mentions}` becomes the participants (default: a thank-you).
    pub text: Option<String>,
    /// Handles never thanked (co-hosts, bots).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Search the hashtag for participants (default `true`).
    pub search: Option<bool>,
}

/// The JSON Schema of a chat file.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(ChatFile)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::load_str;
    use crate::plan::raw::KEYS;

    const EXAMPLES: [&str; 2] = [
        include_str!("../../chats/hcsmbm.yaml"),
        include_str!("../../chats/rarediseaseday.yaml"),
    ];

    fn serde_reads(src: &str) -> bool {
        serde_saphyr::from_str::<ChatFile>(src).is_ok()
    }

    #[test]
    fn the_schema_has_exactly_the_keys_the_loader_reads() {
        let schema = serde_json::to_value(schema()).unwrap();
        let mut props: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
        props.sort();
        keys.sort();
        assert_eq!(props, keys);
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn loader_and_types_agree_on_the_examples_and_on_shape_errors() {
        for src in EXAMPLES {
            assert!(serde_reads(src));
            assert!(load_str(Path::new("x.yaml"), src).is_ok());
        }
        for broken in [
            EXAMPLES[0].replace("title:", "titel:"),
            EXAMPLES[0].replace("  - at: 5m", "  - at: 5m\n    txt: x"),
            EXAMPLES[0].replace("thanks:\n", "thanks:\n  colour: red\n"),
            EXAMPLES[1].replace("show_times_in: [", "show_times_in: {a: ["),
        ] {
            assert!(!serde_reads(&broken), "{broken}");
            assert!(load_str(Path::new("x.yaml"), &broken).is_err(), "{broken}");
        }
    }

    #[test]
    fn the_examples_validate_against_the_schema() {
        let schema = serde_json::to_value(schema()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for src in EXAMPLES {
            let value: serde_json::Value = serde_saphyr::from_str(src).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
        }
        let bad: serde_json::Value =
            serde_saphyr::from_str(&EXAMPLES[0].replace("\"#hcsmbm\"", "\"#123\"")).unwrap();
        assert!(!validator.is_valid(&bad));
    }
}
