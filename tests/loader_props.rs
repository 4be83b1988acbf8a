//! The loader never panics, whatever the bytes, and every problem it reports
//! points inside the file.

use std::path::Path;

use proptest::prelude::*;
use tweetchat::plan::bounds::{MAX_LINE_CHARS, MAX_TEXT_CHARS};
use tweetchat::plan::load::{load_file, load_str};

const VALID: &str = include_str!("../chats/hcsmbm.yaml");
const ONE_OFF: &str = include_str!("../chats/rarediseaseday.yaml");

/// Lines as YAML counts them: `\r\n`, a lone `\r` and `\n` each end one.
fn yaml_lines(src: &str) -> usize {
    src.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .count()
        .max(1)
}

/// Loads `src` and checks that every diagnostic is located inside it.
fn assert_located(src: &str) {
    let lines = yaml_lines(src) + 1;
    if let Err(diags) = load_str(Path::new("p.yaml"), src) {
        assert!(!diags.is_empty(), "an error without a diagnostic");
        for d in diags {
            assert!(
                d.line >= 1 && d.line <= lines,
                "line out of range: {d:?}\n{src}"
            );
            assert!(d.column >= 1, "column 0: {d:?}");
            assert!(!d.message.is_empty());
            assert!(
                d.help.as_deref().is_some_and(|h| !h.is_empty()),
                "no help: {d:?}"
            );
        }
    }
}

/// The checked-in corpus: hostile files found or feared (control
/// characters, Windows line endings, long values, many entries, anchors,
/// deep nesting). Each is a seed for the mutations below too.
fn seeds() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz/chats");
    let mut seeds: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    seeds.sort();
    seeds
}

/// What a plan that loaded posts stays bounded and clean: no control
/// character but the line break, no post past twice the longest network's.
fn assert_bounded_posts(src: &str) {
    let Ok(plan) = load_str(Path::new("p.yaml"), src) else {
        return;
    };
    let from: jiff::Timestamp = "2026-11-25T00:00:00Z".parse().unwrap();
    let until = from + jiff::SignedDuration::from_hours(24 * 8);
    for slot in tweetchat::schedule::expand(&plan, from, until) {
        let chars = slot.text.chars().count();
        // The hashtag may be appended to a full post.
        assert!(
            chars <= MAX_TEXT_CHARS + MAX_LINE_CHARS + 1,
            "{chars}: {src}"
        );
        assert!(
            !slot.text.chars().any(|c| c.is_control() && c != '\n'),
            "{:?}",
            slot.text
        );
    }
}

#[test]
fn the_seed_corpus_is_refused_or_loaded_and_located() {
    let seeds = seeds();
    assert!(seeds.len() >= 8, "{seeds:?}");
    for (name, src) in &seeds {
        assert_located(src);
        assert_bounded_posts(src);
        let loaded = load_str(Path::new(name), src);
        // Only the Windows file is a good chat; every other seed is refused.
        assert_eq!(
            loaded.is_ok(),
            name == "crlf-line-endings.yaml.seed",
            "{name}: {loaded:?}"
        );
    }
}

/// Fragments that stress YAML and our checks when spliced into a file.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~\n\t]{0,12}",
        Just(": ".to_string()),
        Just("\n  - ".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("!!binary ".to_string()),
        Just("\"\\u00e9\"".to_string()),
        Just("false".to_string()),
        Just("2027-03-14 02:30".to_string()),
        Just("0 0 12 * * WED".to_string()),
        Just("America/Chicgo".to_string()),
        Just("{titel}".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("-5m".to_string()),
        Just("9999-12-31".to_string()),
        Just("é🎉\u{200d}".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{1b}[31m".to_string()),
        Just("\"\\e\\0\\r\"".to_string()),
        Just("{title}".repeat(150)),
        Just("x".repeat(1_001)),
    ]
}

/// A value of the chat file's own shapes: scalars near every limit and
/// control characters, in lists and mappings whose keys are real keys or
/// not. Written as JSON, which YAML reads too.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,20}".prop_map(Value::String),
        "[\\x00-\\x1f\\x7f a-z{}#]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "{title}",
            "{hashtag}",
            "{times}",
            "{n}",
            "{text}",
            "{mentions}",
            "UTC",
            "America/Chicgo",
            "5m",
            "1d",
            "0 12 * * WED",
            "2030-01-01 12:00",
            "#tag",
        ])
        .prop_map(|s| Value::String(s.to_string())),
        (1usize..1_200).prop_map(|n| Value::String("é".repeat(n))),
        (1usize..300).prop_map(|n| Value::String("{title}".repeat(n))),
    ];
    let key = prop_oneof![
        prop::sample::select(vec![
            "title",
            "hashtag",
            "timezone",
            "start",
            "repeat",
            "duration",
            "questions",
            "text",
            "at",
            "before",
            "after",
            "announce",
            "welcome",
            "wrapup",
            "thanks",
            "exclude",
            "show_times_in",
            "accounts",
            "question_format",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,8}",
    ];
    scalar.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A chat file whose top-level keys are real, each value a generated
/// structure (or the valid one).
fn structured_chat() -> impl Strategy<Value = String> {
    let keys = [
        ("title", "Structured"),
        ("hashtag", "\"#structured\""),
        ("timezone", "UTC"),
        ("start", "2026-11-30 12:00"),
        ("duration", "1h"),
        ("welcome", "\"Welcome to {title}\""),
        ("questions", "[First?, {at: 30m, text: Second?}]"),
        ("show_times_in", "[Europe/Paris]"),
        ("thanks", "{text: \"Thanks {mentions}\"}"),
    ];
    prop::collection::vec(prop::option::weighted(0.3, json_value()), keys.len()).prop_map(
        move |values| {
            let mut src = String::new();
            for ((key, valid), value) in keys.iter().zip(values) {
                let value = value.map_or(valid.to_string(), |v| v.to_string());
                src.push_str(&format!("{key}: {value}\n"));
            }
            src
        },
    )
}

/// A chat file built from values near the edges of every check.
fn chat() -> impl Strategy<Value = String> {
    let zone = prop::sample::select(vec![
        "America/Chicago",
        "Europe/Paris",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "UTC",
        "Chicago",
        "",
        "Etc/GMT+12",
        "Pacific/Kiritimati",
    ]);
    let when = prop::sample::select(vec![
        "start: 2027-03-14 02:30",
        "start: 2026-10-25 02:30",
        "start: 0001-01-01 00:00",
        "start: 9999-12-31 23:59",
        "start: 2027-02-30 12:00",
        "start: 24:00",
        "repeat: \"0 12 * * WED\"",
        "repeat: \"30 2 * * SUN\"",
        "repeat: \"0 12 30 2 *\"",
        "repeat: \"0 0 12 * * *\"",
        "repeat: \"@weekly\"",
        "repeat: \"*/0 * * * *\"",
        "repeat: \"0 12 29 2 *\"\nfrom: 9999-12-01",
        "repeat: \"0 12 * * 7\"\nuntil: 0001-01-02",
        "repeat: \"59 23 31 12 *\"\nfrom: 9999-12-31\nuntil: 9999-12-31",
    ]);
    let duration =
        prop::sample::select(vec!["0s", "90s", "1h", "1d", "366d", "367d", "-1h", "1h1h"]);
    let at = prop::option::of(prop::sample::select(vec![
        "0s", "59s", "1m", "5m", "5m30s", "59m59s", "1h", "2h", "366d", "-1m", "x",
    ]));
    let questions = prop::collection::vec(at, 0..8);
    (zone, when, duration, questions).prop_map(|(zone, when, duration, questions)| {
        let mut src = format!(
            "title: G\nhashtag: \"#g\"\ntimezone: {zone}\n{when}\nduration: {duration}\nquestions:\n"
        );
        for (i, at) in questions.iter().enumerate() {
            match at {
                Some(at) => src.push_str(&format!("  - at: {at}\n    text: Q{i}?\n")),
                None => src.push_str(&format!("  - Q{i}?\n")),
            }
        }
        if questions.is_empty() {
            src.push_str("  []\n");
        }
        src
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    ReplaceLine(usize, String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<usize>(), fragment()).prop_map(|(at, s)| Edit::Insert(at, s)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), fragment()).prop_map(|(at, s)| Edit::ReplaceLine(at, s)),
    ]
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(src: &str, edit: &Edit) -> String {
    match edit {
        Edit::Delete(at, len) => {
            let start = floor_boundary(src, at % (src.len() + 1));
            let end = floor_boundary(src, start + len);
            format!("{}{}", &src[..start], &src[end..])
        }
        Edit::Insert(at, text) => {
            let at = floor_boundary(src, at % (src.len() + 1));
            format!("{}{}{}", &src[..at], text, &src[at..])
        }
        Edit::DuplicateLine(n) | Edit::ReplaceLine(n, _) => {
            let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
            if lines.is_empty() {
                return src.to_string();
            }
            let i = n % lines.len();
            match edit {
                Edit::ReplaceLine(_, text) => lines[i] = text.clone(),
                _ => lines.insert(i, lines[i].clone()),
            }
            lines.join("\n") + "\n"
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        assert_located(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_chat_files_never_panic(
        one_off in any::<bool>(),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let mut src = if one_off { ONE_OFF } else { VALID }.to_string();
        for e in &edits {
            src = apply(&src, e);
        }
        assert_located(&src);
        assert_bounded_posts(&src);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any YAML structure under the real keys: located errors or a plan
    /// whose posts are bounded and free of control characters.
    #[test]
    fn structured_chats_are_located_or_post_bounded_clean_texts(src in structured_chat()) {
        assert_located(&src);
        assert_bounded_posts(&src);
    }

    /// The seed corpus, mutated.
    #[test]
    fn mutated_seeds_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let seeds = seeds();
        let mut src = seeds[seed.index(seeds.len())].1.clone();
        for e in &edits {
            src = apply(&src, e);
        }
        assert_located(&src);
        assert_bounded_posts(&src);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn generated_chats_never_panic_and_valid_ones_are_consistent(src in chat()) {
        assert_located(&src);
        if let Ok(plan) = load_str(Path::new("g.yaml"), &src) {
            for (i, q) in plan.questions.iter().enumerate() {
                prop_assert_eq!(q.n as usize, i + 1);
                prop_assert!(q.at >= jiff::SignedDuration::ZERO && q.at < plan.duration, "{:?}", q);
            }
            prop_assert!(plan.duration > jiff::SignedDuration::ZERO);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Raw bytes through the file path too (invalid UTF-8 included).
    #[test]
    fn random_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.yaml");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(diags) = load_file(&path) {
            prop_assert!(!diags.is_empty());
            for d in diags {
                prop_assert!(d.line >= 1 && d.column >= 1, "{d:?}");
            }
        }
    }
}
