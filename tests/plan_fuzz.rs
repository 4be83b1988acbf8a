//! Fuzzing the chat file from the other end: a file that uses every key gets
//! one or more of its values replaced by edge values, and whatever the loader
//! makes of it must hold up downstream. A file that loads expands into a
//! timeline without panicking, every slot inside the asked window and in
//! order; a file that does not load gets diagnostics located inside it.
//! (`loader_props.rs` covers random bytes and text-level mutations.)

use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use tweetchat::plan::load::load_str;
use tweetchat::schedule;

/// Every key of the chat file, one per line, so a value can be swapped by
/// line.
const KITCHEN_SINK: &[(&str, &str)] = &[
    ("title", "Kitchen sink {hashtag}"),
    ("hashtag", "\"#sink\""),
    ("timezone", "America/Chicago"),
    ("repeat", "\"0 12 * * WED\""),
    ("from", "2026-12-01"),
    ("until", "2027-06-30"),
    ("duration", "1h"),
    (
        "show_times_in",
        "[Europe/London, Asia/Kolkata, Australia/Lord_Howe]",
    ),
    ("accounts", "[console, main_x]"),
    ("thread", "true"),
    (
        "announce",
        "[{before: 1d, text: \"Tomorrow at {times} {hashtag}\"}, {before: 1h}]",
    ),
    (
        "welcome",
        "\"Welcome to {title} on {date} at {time} {hashtag}\"",
    ),
    (
        "questions",
        "[{at: 5m, text: First?}, {at: 15m, text: Second?}, Third?]",
    ),
    ("question_format", "\"Q{n}: {text} {hashtag}\""),
    ("wrapup", "\"That's a wrap {hashtag}\""),
    (
        "thanks",
        "{after: 10m, text: \"Thanks {mentions} {hashtag}\"}",
    ),
];

/// Values near the edges of every check, and some that are plain wrong.
const VALUES: &[&str] = &[
    "",
    "false",
    "true",
    "0",
    "-1",
    "99999999999999999999",
    "\"\"",
    "[]",
    "{}",
    "~",
    "0s",
    "59s",
    "1m30s",
    "366d",
    "1h1h",
    "\"{nope}\"",
    "\"{mentions}\"",
    "\"#a #b\"",
    "\"é🎉\u{200d}\u{301}\"",
    "2027-03-14 02:30",
    "2026-11-01 01:30",
    "2026-12-02 12:00",
    "2026-12-02",
    "9999-12-31",
    "0001-01-01 00:00",
    "\"30 2 * * SUN\"",
    "\"0 12 29 2 *\"",
    "\"0 0 12 * * *\"",
    "\"@daily\"",
    "Europe/Dublin",
    "Pacific/Chatham",
    "Etc/GMT-14",
    "America/Chicgo",
    "[UTC, UTC]",
    "[{at: 0s, text: a}, {at: 0s, text: b}]",
    "[{at: 90m, text: late}]",
    "[{before: 0s}, {before: 400d}]",
    "{after: -5m}",
    "{exclude: [\"@me\"], search: false}",
    "&anchor x",
    "*anchor",
    "!!binary aGk=",
    "\"a\\0b\"",
    "\"a\\r\\nb\"",
    "\"\\e[31mred\"",
    "\"tab\\there\"",
    "\"{title}{title}{title}{title}{title}{title}{title}{title}{title}{title}\"",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
];

fn source(values: &[(usize, usize)], drop: &[usize]) -> String {
    let mut lines: Vec<(String, String)> = KITCHEN_SINK
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for &(line, value) in values {
        let i = line % lines.len();
        lines[i].1 = VALUES[value % VALUES.len()].to_string();
    }
    let mut src = String::new();
    for (i, (key, value)) in lines.iter().enumerate() {
        if !drop.iter().any(|d| d % KITCHEN_SINK.len() == i) {
            src.push_str(&format!("{key}: {value}\n"));
        }
    }
    // A one-off chat when `repeat` was dropped and `start` is wanted.
    if drop.iter().any(|d| d % KITCHEN_SINK.len() == 3) {
        src.push_str("start: 2026-12-09 12:00\n");
    }
    src
}

fn check(src: &str) -> Result<(), TestCaseError> {
    let lines = src.lines().count() + 1;
    match load_str(Path::new("sink.yaml"), src) {
        Err(diags) => {
            prop_assert!(!diags.is_empty());
            for d in diags {
                prop_assert!(d.line >= 1 && d.line <= lines, "{d:?}\n{src}");
                prop_assert!(d.column >= 1, "{d:?}");
                prop_assert!(!d.message.is_empty());
            }
        }
        Ok(plan) => {
            let from: Timestamp = "2026-11-25T00:00:00Z".parse().unwrap();
            let until = from + SignedDuration::from_hours(24 * 21);
            let slots = schedule::expand(&plan, from, until);
            for pair in slots.windows(2) {
                prop_assert!(pair[0].at <= pair[1].at, "out of order:\n{src}");
            }
            for slot in &slots {
                prop_assert!(slot.at >= from && slot.at < until, "{slot:?}");
                prop_assert!(!slot.text.is_empty(), "{slot:?}");
            }
        }
    }
    Ok(())
}

#[test]
fn the_kitchen_sink_itself_loads_and_expands() {
    let src = source(&[], &[]);
    let plan = load_str(Path::new("sink.yaml"), &src).unwrap_or_else(|d| panic!("{d:?}"));
    let from: Timestamp = "2026-11-25T00:00:00Z".parse().unwrap();
    let slots = schedule::expand(&plan, from, from + SignedDuration::from_hours(24 * 21));
    let welcomes = slots
        .iter()
        .filter(|s| s.kind == tweetchat::schedule::SlotKind::Welcome)
        .count();
    assert_eq!(welcomes, 2, "Dec 2 and Dec 9 are in the window: {slots:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn swapped_values_load_or_are_located_and_expand_without_panic(
        values in prop::collection::vec((any::<usize>(), any::<usize>()), 1..5),
        drop in prop::collection::vec(any::<usize>(), 0..3),
    ) {
        check(&source(&values, &drop))?;
    }
}
