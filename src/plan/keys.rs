//! Every key a chat file may have, in one table per mapping: its shape, what
//! it means and an example.
//!
//! This is the single source of truth for the file's keys. [`super::raw`]
//! accepts exactly these keys (anything else is an "unknown key" error) and
//! quotes the examples in its help lines; [`super::schema`] builds the JSON
//! Schema editors use from the same tables, so the two cannot drift apart.
//! Meaning checks (zones, cron, placeholders) stay in [`super::validate`];
//! the shapes here carry only cheap syntax patterns, never stricter than the
//! loader.

use jiff::SignedDuration;

use super::{defaults, duration};

/// One key of a mapping in the chat file.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub shape: Shape,
    pub need: Need,
    /// What the key means; the schema's `description` (editors show it on hover).
    pub about: &'static str,
    /// A value as YAML, as written after `name: `; quoted in help lines and
    /// the schema's `examples`.
    pub example: &'static str,
    /// What an omitted key means, when that is one value (from
    /// [`defaults`], which the loader uses too).
    pub default: Fallback,
}

/// The value of an omitted key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Nothing, or a rule the description spells out.
    None,
    Text(&'static str),
    Bool(bool),
    Duration(SignedDuration),
}

/// What values a key takes.
#[derive(Debug)]
pub enum Shape {
    /// Free text (a number is read as the digits written).
    Text,
    /// Text that must match an anchored regular expression (valid both as
    /// ECMA-262 and Rust regex syntax).
    Pattern(&'static str),
    Bool,
    List(&'static Shape),
    /// A mapping of these keys and no others.
    Map(&'static [Key]),
    /// Free text, or a mapping of these keys.
    TextOrMap(&'static [Key]),
    /// A whole number from 1 to 10,000 (quoted or not).
    Count,
    /// One value of the shape, or a list of them.
    OneOrList(&'static Shape),
    /// A mapping from local dates (or date-times) to mappings of these keys.
    Dated(&'static [Key]),
    /// The shape, or `true` (the default) or `false` (turned off).
    Switch(&'static Shape),
}

/// Whether a key must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    /// Exactly one of the keys marked `OneOf` in the same table.
    OneOf,
    /// Allowed only together with the named key.
    With(&'static str),
    /// Required unless the named key is present.
    Unless(&'static str),
}

/// `start`: a local date and time (seconds optional), as jiff reads it.
pub const START_PATTERN: &str =
    r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?\s*$";
/// `from`/`until`: a local date.
pub const DATE_PATTERN: &str = r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$";
/// `#` and a word; the loader further requires letters, digits or `_`.
pub const HASHTAG_PATTERN: &str = r"^\s*#[^\s#]+\s*$";
/// `count`, `number_from`: a whole number from 1.
pub const COUNT_PATTERN: &str = r"^\s*[1-9][0-9]{0,5}\s*$";
/// Account names as the settings spell them.
pub const ACCOUNT_PATTERN: &str = r"^[a-z0-9_]+$";

const DURATION: Shape = Shape::Pattern(duration::PATTERN);

/// `sessions:` keys: a local date, or a date and time where the rule fires
/// more than once a day.
pub const SESSION_DATE_PATTERN: &str =
    r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?\s*$";

/// The networks a text may have its own version for, as keys beside `text`.
pub const NETWORKS: [&str; 3] = ["x", "mastodon", "bluesky"];

/// `x:` beside a `text`: X's own version.
const X_VERSION: Key = Key {
    name: "x",
    shape: Shape::Text,
    need: Need::Optional,
    about: "The version of this text posted on X (accounts with `platform = \"x\"`); \
            the others get `text`.",
    default: Fallback::None,
    example: "\"A shorter version for X {hashtag}\"",
};
/// `mastodon:` beside a `text`.
const MASTODON_VERSION: Key = Key {
    name: "mastodon",
    shape: Shape::Text,
    need: Need::Optional,
    about: "The version of this text posted on Mastodon; the others get `text`.",
    default: Fallback::None,
    example: "\"A longer version for Mastodon {hashtag}\"",
};
/// `bluesky:` beside a `text`.
const BLUESKY_VERSION: Key = Key {
    name: "bluesky",
    shape: Shape::Text,
    need: Need::Optional,
    about: "The version of this text posted on Bluesky; the others get `text`.",
    default: Fallback::None,
    example: "\"A version for Bluesky {hashtag}\"",
};

/// An item of `announce`.
pub const ANNOUNCE: &[Key] = &[
    Key {
        name: "before",
        shape: DURATION,
        need: Need::Required,
        about: "How long before the start to post this announcement, like `1d` or `1h30m`.",
        default: Fallback::None,
        example: "1d",
    },
    Key {
        name: "text",
        shape: Shape::Text,
        need: Need::Optional,
        about: "The announcement. Placeholders: {title}, {hashtag}, {time}, {times}, {date}, {calendar}.",
        default: Fallback::Text(defaults::ANNOUNCE),
        example: "\"Tomorrow: {title} at {times}. {hashtag}\"",
    },
    X_VERSION,
    MASTODON_VERSION,
    BLUESKY_VERSION,
];

/// A question written as a mapping rather than plain text.
pub const QUESTION: &[Key] = &[
    Key {
        name: "at",
        shape: DURATION,
        need: Need::Optional,
        about: "When to post it, counted from the start, like `15m`. \
                Questions without `at` are spread evenly over the chat.",
        default: Fallback::None,
        example: "15m",
    },
    Key {
        name: "text",
        shape: Shape::Text,
        need: Need::Required,
        about: "The question; posted through `question_format`. \
                Placeholders: {title}, {hashtag}, {time}, {times}, {date}, {calendar}.",
        default: Fallback::None,
        example: "What brought you here?",
    },
    X_VERSION,
    MASTODON_VERSION,
    BLUESKY_VERSION,
];

/// A text written as a mapping: `{text, x, mastodon, bluesky}`.
pub const VARIANTS: &[Key] = &[
    Key {
        name: "text",
        shape: Shape::Text,
        need: Need::Required,
        about: "The text every network gets unless it has its own version below.",
        default: Fallback::None,
        example: "\"Welcome to {title}! {hashtag}\"",
    },
    X_VERSION,
    MASTODON_VERSION,
    BLUESKY_VERSION,
];

/// The `thanks` mapping.
pub const THANKS: &[Key] = &[
    Key {
        name: "after",
        shape: DURATION,
        need: Need::Optional,
        about: "How long after the end of the chat to thank the participants.",
        default: Fallback::Duration(defaults::THANKS_AFTER),
        example: "10m",
    },
    Key {
        name: "text",
        shape: Shape::Text,
        need: Need::Optional,
        about: "The thank-you. Placeholders: {mentions} (the participants), {title}, \
                {hashtag}, {time}, {times}, {date}, {calendar}.",
        default: Fallback::Text(defaults::THANKS),
        example: "\"Thank you so much to everyone who joined {hashtag} today: {mentions}\"",
    },
    Key {
        name: "exclude",
        shape: Shape::List(&Shape::Text),
        need: Need::Optional,
        about: "Handles never thanked (co-hosts, bots), with or without `@`.",
        default: Fallback::None,
        example: "[\"@cohost\", newsbot]",
    },
    Key {
        name: "search",
        shape: Shape::Bool,
        need: Need::Optional,
        about: "Search the hashtag for participants to mention; \
                `false` posts a thank-you without mentions.",
        default: Fallback::Bool(true),
        example: "false",
    },
    X_VERSION,
    MASTODON_VERSION,
    BLUESKY_VERSION,
];

/// One session (occurrence) of a `repeat` chat: under `sessions:` keyed by
/// its date, or a file `chats/NAME/DATE.yaml`.
pub const SESSION: &[Key] = &[
    Key {
        name: "topic",
        shape: Shape::Text,
        need: Need::Optional,
        about: "This session's topic, for {topic}.",
        default: Fallback::None,
        example: "Mentoring up the platforms",
    },
    Key {
        name: "host",
        shape: Shape::OneOrList(&Shape::Text),
        need: Need::Optional,
        about: "This session's guest host or hosts, for {host}: one handle or a list.",
        default: Fallback::None,
        example: "\"@randy_chalfant\"",
    },
    Key {
        name: "questions",
        shape: Shape::List(&Shape::TextOrMap(QUESTION)),
        need: Need::Optional,
        about: "This session's questions; they replace the chat's `questions` for it.",
        default: Fallback::None,
        example: "[\"First question?\", {at: 15m, text: \"Second?\"}]",
    },
    Key {
        name: "welcome",
        shape: Shape::Switch(&Shape::TextOrMap(VARIANTS)),
        need: Need::Optional,
        about: "This session's welcome, instead of the chat's; `false`: none.",
        default: Fallback::None,
        example: "\"Welcome! Today {host} hosts: {topic}\"",
    },
    Key {
        name: "wrapup",
        shape: Shape::Switch(&Shape::TextOrMap(VARIANTS)),
        need: Need::Optional,
        about: "This session's wrap-up, instead of the chat's; `false`: none.",
        default: Fallback::None,
        example: "\"Thank you {host}!\"",
    },
    Key {
        name: "announce",
        shape: Shape::Switch(&Shape::List(&Shape::Map(ANNOUNCE))),
        need: Need::Optional,
        about: "This session's announcements, instead of the chat's; `false`: none.",
        default: Fallback::None,
        example: "[{before: 1d, text: \"Tomorrow: {topic} with {host}\"}]",
    },
    Key {
        name: "thanks",
        shape: Shape::Switch(&Shape::TextOrMap(VARIANTS)),
        need: Need::Optional,
        about: "This session's thank-you text, instead of the chat's (its `after`, \
                `exclude` and `search` stay); `false`: none.",
        default: Fallback::None,
        example: "\"Thank you {mentions} and our guest {host}!\"",
    },
    Key {
        name: "start",
        shape: Shape::Pattern(START_PATTERN),
        need: Need::Optional,
        about: "Moves this session to another local date and time; every post of it \
                moves along. Its key stays the rule's date, so nothing is posted twice.",
        default: Fallback::None,
        example: "2026-12-30 13:00",
    },
    Key {
        name: "skip",
        shape: Shape::Switch(&Shape::Text),
        need: Need::Optional,
        about: "`true`, or the reason: this session is not held and nothing is posted for it.",
        default: Fallback::None,
        example: "Holiday week",
    },
];

/// The top level of a chat file.
pub const TOP: &[Key] = &[
    Key {
        name: "title",
        shape: Shape::Text,
        need: Need::Required,
        about: "The chat's name, for {title}.",
        default: Fallback::None,
        example: "Health Care Social Media Buddy Mentoring",
    },
    Key {
        name: "hashtag",
        shape: Shape::Pattern(HASHTAG_PATTERN),
        need: Need::Required,
        about: "The chat's hashtag with its `#`: letters, digits or `_`, not only digits. \
                Quote it: an unquoted # starts a YAML comment.",
        default: Fallback::None,
        example: "\"#hcsmbm\"",
    },
    Key {
        name: "timezone",
        shape: Shape::Text,
        need: Need::Required,
        about: "The IANA time zone all local times of the file are in.",
        default: Fallback::None,
        example: "America/Chicago",
    },
    Key {
        name: "start",
        shape: Shape::Pattern(START_PATTERN),
        need: Need::OneOf,
        about: "A one-off chat: its local date and time in `timezone`. \
                Use either `start` or `repeat`.",
        default: Fallback::None,
        example: "2026-12-02 12:00",
    },
    Key {
        name: "repeat",
        shape: Shape::Text,
        need: Need::OneOf,
        about: "A recurring chat: a standard 5-field cron line `minute hour day-of-month \
                month day-of-week` in `timezone` (Sunday is 0). Use either `start` or `repeat`.",
        default: Fallback::None,
        example: "\"0 12 * * WED\"",
    },
    Key {
        name: "from",
        shape: Shape::Pattern(DATE_PATTERN),
        need: Need::With("repeat"),
        about: "The first local date a `repeat` chat may happen on.",
        default: Fallback::None,
        example: "2026-12-01",
    },
    Key {
        name: "until",
        shape: Shape::Pattern(DATE_PATTERN),
        need: Need::With("repeat"),
        about: "The last local date a `repeat` chat may happen on.",
        default: Fallback::None,
        example: "2027-06-30",
    },
    Key {
        name: "count",
        shape: Shape::Count,
        need: Need::With("repeat"),
        about: "Ends a `repeat` chat after this many held sessions (skipped ones do not \
                count), counted from `from`.",
        default: Fallback::None,
        example: "12",
    },
    Key {
        name: "number_from",
        shape: Shape::Count,
        need: Need::With("repeat"),
        about: "The {number} of the first session on or after `from`, to continue an older \
                series (default 1).",
        default: Fallback::None,
        example: "12",
    },
    Key {
        name: "sessions",
        shape: Shape::Dated(SESSION),
        need: Need::With("repeat"),
        about: "The sessions of a `repeat` chat, keyed by the date the rule gives them \
                (`2026-12-09`, or `2026-12-09 12:00` where it fires more than once a day): \
                each its own topic, host, questions, texts; `skip` or `start` to move it.",
        default: Fallback::None,
        example: "{2026-12-09: {topic: Mentoring, host: \"@guest\"}}",
    },
    Key {
        name: "duration",
        shape: DURATION,
        need: Need::Optional,
        about: "How long the chat lasts, like `1h` or `1h30m`.",
        default: Fallback::Duration(defaults::DURATION),
        example: "1h",
    },
    Key {
        name: "show_times_in",
        shape: Shape::List(&Shape::Text),
        need: Need::Optional,
        about: "IANA time zones {times} spells the time in, after the chat's own.",
        default: Fallback::None,
        example: "[America/New_York, Europe/London]",
    },
    Key {
        name: "accounts",
        shape: Shape::List(&Shape::Pattern(ACCOUNT_PATTERN)),
        need: Need::Optional,
        about: "Account names from the settings to post with \
                (default: the settings' default_accounts).",
        default: Fallback::None,
        example: "[main_x]",
    },
    Key {
        name: "thread",
        shape: Shape::Bool,
        need: Need::Optional,
        about: "Post the questions and the wrap-up as a thread under the welcome.",
        default: Fallback::Bool(false),
        example: "true",
    },
    Key {
        name: "visibility",
        shape: Shape::Pattern(super::audience::VISIBILITY_PATTERN),
        need: Need::Optional,
        about: "Who sees the chat's posts on Mastodon: `public` (on public and hashtag \
                timelines), `unlisted` or `private` (followers only).",
        default: Fallback::Text("public"),
        example: "unlisted",
    },
    Key {
        name: "language",
        shape: Shape::Pattern(super::audience::LANGUAGE_PATTERN),
        need: Need::Optional,
        about: "The language of the chat's posts as an ISO 639 code (`en`, `es`, `pt-BR`): \
                Mastodon's `language` and Bluesky's `langs`.",
        default: Fallback::None,
        example: "en",
    },
    Key {
        name: "announce",
        shape: Shape::Switch(&Shape::List(&Shape::Map(ANNOUNCE))),
        need: Need::Optional,
        about: "Announcements before the start (default: a day and an hour before); \
                `false` turns them off.",
        default: Fallback::None,
        example: "[{before: 1d, text: \"Tomorrow: {title} at {times}\"}]",
    },
    Key {
        name: "welcome",
        shape: Shape::Switch(&Shape::TextOrMap(VARIANTS)),
        need: Need::Optional,
        about: "Posted at the start; `false` turns it off. Placeholders: {title}, {hashtag}, \
                {time}, {times}, {date}, {calendar}.",
        default: Fallback::Text(defaults::WELCOME),
        example: "\"Welcome to {title}!\"",
    },
    Key {
        name: "questions",
        shape: Shape::List(&Shape::TextOrMap(QUESTION)),
        need: Need::Unless("sessions"),
        about: "The questions Q1..Qn in order: each is text, or `{at, text}` to post it \
                at a set time after the start. A `repeat` chat with `sessions` may leave \
                them to each session.",
        default: Fallback::None,
        example: "[\"First question?\", {at: 15m, text: \"Second?\"}]",
    },
    Key {
        name: "question_format",
        shape: Shape::Text,
        need: Need::Optional,
        about: "How a question is posted; the hashtag is appended when the post lacks it. Placeholders: {n}, {text}, {title}, {hashtag}, {time}, {times}, {date}, {calendar}.",
        default: Fallback::Text(defaults::QUESTION_FORMAT),
        example: "\"Q{n}: {text}\"",
    },
    Key {
        name: "wrapup",
        shape: Shape::Switch(&Shape::TextOrMap(VARIANTS)),
        need: Need::Optional,
        about: "Posted at the end; `false` turns it off. Placeholders: {title}, {hashtag}, \
                {time}, {times}, {date}, {calendar}.",
        default: Fallback::Text(defaults::WRAPUP),
        example: "\"That's a wrap!\"",
    },
    Key {
        name: "thanks",
        shape: Shape::Switch(&Shape::Map(THANKS)),
        need: Need::Optional,
        about: "Thanking the participants by @mention after the chat; `false` turns it off.",
        default: Fallback::None,
        example: "{after: 10m, text: \"Thank you {mentions}\"}",
    },
];

/// The names of a table's keys, in order.
pub fn names(keys: &[Key]) -> Vec<&'static str> {
    keys.iter().map(|k| k.name).collect()
}

/// `name: example` for help lines; top-level keys first, then nested ones.
pub fn line(name: &str) -> String {
    [TOP, ANNOUNCE, QUESTION, THANKS, SESSION, VARIANTS]
        .into_iter()
        .flatten()
        .find(|k| k.name == name)
        .map_or_else(
            || format!("{name}: 10m"),
            |k| format!("{name}: {}", k.example),
        )
}
