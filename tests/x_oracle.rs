//! X lengths against the official implementation: npm `twitter-text` 3.1.0
//! (the library X publishes) run under node, on thousands of generated
//! texts, and the v3 conformance cases of twitter-text's
//! `conformance/validate.yml` (checked in under `tests/data/twitter-text/`).
//!
//! `tests/run` installs the npm package in `~/.cache/tweetchat-node`
//! (`TWEETCHAT_NODE_MODULES` overrides the folder). Where node or the
//! package is missing, the comparisons skip and say so in `tests/run`'s
//! summary; under CI (`CI` set) they fail instead.

#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::path::PathBuf;
use std::process::Command;

use tweetchat::text::length::x_valid;
use tweetchat::text::{PlatformKind, count};

/// Where the npm package is installed.
fn node_modules() -> PathBuf {
    if let Some(dir) = std::env::var_os("TWEETCHAT_NODE_MODULES") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".cache/tweetchat-node/node_modules")
}

/// Whether node and npm twitter-text are here to compare with; records the
/// skip (or fails under CI) when not.
fn oracle_ready() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let modules = node_modules();
    let why = if !node {
        "node is not installed, so npm twitter-text cannot run (bash tests/run installs both)"
            .to_string()
    } else if !modules.join("twitter-text/package.json").exists() {
        format!(
            "npm twitter-text is not installed in {} (bash tests/run installs it)",
            modules.display()
        )
    } else {
        return true;
    };
    skip::skip_or_fail(&why);
    false
}

/// The official weighted lengths of `texts`, in order.
fn official_lengths(texts: &[String]) -> Vec<usize> {
    let modules = node_modules();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("texts.json");
    std::fs::write(&input, serde_json::to_vec(texts).unwrap()).unwrap();
    let script = r#"
        const tt = require("twitter-text");
        const version = require("twitter-text/package.json").version;
        if (version !== "3.1.0") { console.error("twitter-text " + version + ", want 3.1.0"); process.exit(2); }
        const texts = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.stdout.write(JSON.stringify(texts.map(t => tt.parseTweet(t).weightedLength)));
    "#;
    let output = Command::new("node")
        .env("NODE_PATH", &modules)
        .arg("-e")
        .arg(script)
        .arg(&input)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("node printed the lengths")
}

/// Pieces a tweet chat's posts are made of, and the traps between them.
const PIECES: &[&str] = &[
    "Q1.",
    "What",
    "helps",
    "you",
    "most?",
    "#hcsmbm",
    "#tag",
    "@alice",
    "@bob_2",
    "A1:",
    " ",
    " ",
    " ",
    "\n",
    ",",
    ".",
    "!",
    "?",
    ":",
    "(",
    ")",
    "\"",
    "'",
    "-",
    "—",
    "–",
    "…",
    "“quoted”",
    "‘single’",
    "café",
    "cafe\u{301}",
    "naïve",
    "Ærø",
    "ß",
    "ñ",
    "©",
    "®",
    "™",
    "©\u{fe0f}",
    "°",
    "½",
    "€",
    "£",
    "→",
    "←",
    "↔",
    "★",
    "☺",
    "☺\u{fe0f}",
    "❤",
    "❤\u{fe0f}",
    "✅",
    "⚡",
    "⌚",
    "‼",
    "😀",
    "🐱",
    "👋",
    "👋🏽",
    "👍🏿",
    "👨\u{200d}👩\u{200d}👧\u{200d}👦",
    "🏳\u{fe0f}\u{200d}🌈",
    "🇺🇸",
    "🇬🇧",
    "🇯🇵",
    "1\u{fe0f}\u{20e3}",
    "#\u{fe0f}\u{20e3}",
    "日本語",
    "の",
    "中文",
    "한국어",
    "Привет",
    "мир",
    "مرحبا",
    "שלום",
    "हिन्दी",
    "ไทย",
    "https://example.com",
    "https://example.com/path?q=1&r=2",
    "http://t.co/abc123",
    "example.org",
    "example.org#tag",
    "www.example.co.uk/x",
    "example.de",
    "example.de/x",
    "https://example.org/a_(b)",
    "https://example.org.",
    "foo.bar",
    "a.b.com",
    "12:00",
    "CST",
    "Wed",
    "2",
    "Dec",
    "2026",
    "x",
    "y",
    "z",
    "\u{200d}",
    "\u{fe0f}",
    "\u{200b}",
    "\u{202a}",
    "\u{202c}",
    "\u{2066}",
    "http://foobar.پاکستان/",
];

/// `n` texts built from [`PIECES`], the same every run.
fn generated(n: usize) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(20261202);
    (0..n)
        .map(|_| {
            let len = rng.usize(1..40);
            let mut text = String::new();
            for _ in 0..len {
                let piece = PIECES[rng.usize(..PIECES.len())];
                // Words apart, as people write them (pieces glued together
                // hit twitter-text's URL-boundary oddities; see the README).
                if !text.is_empty() && !piece.starts_with(char::is_whitespace) {
                    text.push(if rng.u8(..8) == 0 { '\n' } else { ' ' });
                }
                text.push_str(piece);
            }
            text
        })
        .collect()
}

#[test]
fn x_length_agrees_with_the_official_twitter_text_on_generated_texts() {
    if !oracle_ready() {
        return;
    }
    let texts = generated(4000);
    let official = official_lengths(&texts);
    let wrong: Vec<String> = texts
        .iter()
        .zip(&official)
        .filter(|(text, official)| count(PlatformKind::X, text) != **official)
        .take(10)
        .map(|(text, official)| {
            format!(
                "{text:?}: ours {}, twitter-text {official}",
                count(PlatformKind::X, text)
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} differ, e.g.:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Texts where a word after a URL is a domain of its own, which the
/// twitter-text crate (tests/count.rs's reference) counts differently from
/// X's library: the library decides.
#[test]
fn a_domain_after_a_url_counts_as_the_official_library_counts_it() {
    if !oracle_ready() {
        return;
    }
    let texts: Vec<String> = [
        "https://example.com. a.Za/",
        "https://example.com. a.Za",
        "https://example.com a.za/b",
        "x a.Za/ y",
        "see https://t.co/x, and b.io.",
    ]
    .map(String::from)
    .to_vec();
    let official = official_lengths(&texts);
    for (text, official) in texts.iter().zip(official) {
        assert_eq!(count(PlatformKind::X, text), official, "{text:?}");
    }
}

/// One weighted-length case of the conformance file.
#[derive(serde::Deserialize)]
struct Case {
    description: String,
    text: String,
    expected: Expected,
}

#[derive(serde::Deserialize)]
struct Expected {
    #[serde(rename = "weightedLength")]
    weighted_length: usize,
    valid: bool,
}

#[derive(serde::Deserialize)]
struct Conformance {
    tests: Tests,
}

/// The sections X's current counting (twitter-text's v3 configuration)
/// answers to. The file's `WeightedTweetsCounterTest` is left out on
/// purpose: it is the v2 configuration (emoji weighed code point by code
/// point, no emoji discount), which X no longer uses and we do not
/// implement; twitter-text's own suite runs it with `config_v2`.
#[derive(serde::Deserialize)]
struct Tests {
    #[serde(rename = "WeightedTweetsWithDiscountedEmojiCounterTest")]
    weighted: Vec<Case>,
    /// Run with v3 by twitter-text's own suite: directional marks and
    /// invalid characters.
    #[serde(rename = "UnicodeDirectionalMarkerCounterTest")]
    directional: Vec<Case>,
}

/// twitter-text's conformance file, checked in from the
/// `twitter_text_conformance` crate 0.3.1 (see
/// `tests/data/twitter-text/NOTICE`).
fn conformance() -> Tests {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/twitter-text/validate.yml");
    let yaml = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: Conformance = serde_saphyr::from_str(&yaml).expect("validate.yml parses");
    file.tests
}

/// The cases our count or validity gets wrong, described.
fn failing(cases: &[Case]) -> Vec<String> {
    cases
        .iter()
        .filter_map(|case| {
            let ours = count(PlatformKind::X, &case.text);
            let valid = x_valid(&case.text);
            (ours != case.expected.weighted_length || valid != case.expected.valid).then(|| {
                format!(
                    "{}: ours {ours} (valid {valid}), expected {} (valid {})",
                    case.description, case.expected.weighted_length, case.expected.valid
                )
            })
        })
        .collect()
}

#[test]
fn all_v3_weighted_conformance_cases_pass() {
    let cases = conformance().weighted;
    assert_eq!(cases.len(), 22, "the v3 weighted section has 22 cases");
    let failed = failing(&cases);
    assert!(
        failed.is_empty(),
        "{} of 22 fail:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn the_v3_directional_marker_conformance_cases_pass() {
    let cases = conformance().directional;
    assert_eq!(cases.len(), 2, "the directional marker section has 2 cases");
    let failed = failing(&cases);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The README's note on newer emoji, checked: npm twitter-text 3.1.0
/// predates Unicode 12 and counts these sequences piece by piece; we count
/// each as one emoji.
#[test]
fn emoji_newer_than_the_official_library_count_as_one_emoji() {
    let newer = [
        "🧑\u{200d}🤝\u{200d}🧑",
        "🧑\u{200d}🧑\u{200d}🧒",
        "❤\u{fe0f}\u{200d}🔥",
    ];
    for emoji in newer {
        assert_eq!(count(PlatformKind::X, emoji), 2, "{emoji}");
    }
    if !oracle_ready() {
        return;
    }
    let texts: Vec<String> = newer.iter().map(|e| e.to_string()).collect();
    assert_eq!(official_lengths(&texts), [8, 8, 5]);
}
