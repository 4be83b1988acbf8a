//! `tweetchat count` as a process, and our X weighting checked against the
//! reference implementation (the `twitter-text` crate, config v3).

use std::process::Command;

use proptest::prelude::*;
use tweetchat::text::{PlatformKind, count};

/// The twitter-text crate's weighted length with URL extraction on.
fn reference(text: &str) -> usize {
    let config = twitter_text_config::config_v3();
    let weighted = twitter_text::parse(text, config, true).weighted_length;
    usize::try_from(weighted).unwrap()
}

/// `{example.com}` marks a scheme-less URL: ours gets `example.com`, the
/// reference `https://example.com` (both must then count it as 23).
fn ours_and_reference_text(marked: &str) -> (String, String) {
    let ours = marked.replace(['{', '}'], "");
    let theirs = marked.replace('{', "https://").replace('}', "");
    (ours, theirs)
}

fn unescape(line: &str) -> String {
    let mut text = line.replace("\\n", "\n").replace("\\t", "\t");
    while let Some(at) = text.find("\\u") {
        let code = u32::from_str_radix(&text[at + 2..at + 6], 16).unwrap();
        let c = char::from_u32(code).unwrap();
        text.replace_range(at..at + 6, &c.to_string());
    }
    text
}

#[test]
fn x_length_matches_twitter_text_on_the_sample_strings() {
    let data = include_str!("data/count_x_reference.txt");
    let mut mismatches = Vec::new();
    for line in data
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (text, reference_text) = ours_and_reference_text(&unescape(line));
        let (ours, theirs) = (count(PlatformKind::X, &text), reference(&reference_text));
        if ours != theirs {
            mismatches.push(format!("{text:?}: ours {ours}, twitter-text {theirs}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

fn run(platform: &str, text: &str) -> (String, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .args(["count", "--platform", platform, text])
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code(),
    )
}

#[test]
fn count_prints_length_and_limit_and_exits_zero_when_it_fits() {
    let text = "Q1. What are the keys? https://example.com/a/very/long/path #hcsmbm";
    assert_eq!(run("x", text), ("x: 54 / 280\n".into(), Some(0)));
    assert_eq!(
        run("mastodon", "hi @alice@example.social"),
        ("mastodon: 9 / 500\n".into(), Some(0))
    );
    assert_eq!(run("bluesky", "👨‍👩‍👧‍👦"), ("bluesky: 1 / 300\n".into(), Some(0)));
}

#[test]
fn count_says_how_much_over_and_exits_one() {
    let text = "日".repeat(141);
    assert_eq!(
        run("x", &text),
        ("x: 282 / 280 (over by 2)\n".into(), Some(1))
    );
}

#[test]
fn count_rejects_an_unknown_platform_as_usage_error() {
    let (_, code) = run("myspace", "hello");
    assert_eq!(code, Some(2));
}

/// Pieces the random posts are made of: words in many scripts, emoji
/// sequences, URLs with and without a scheme, punctuation.
const PIECES: &[&str] = &[
    "hello",
    "Q1.",
    "#hcsmbm",
    "@alice",
    "日本",
    "ひらがな",
    "한국",
    "مرحبا",
    "שלום",
    "Привет",
    "नमस्ते",
    "café",
    "cafe\u{301}",
    "“quoted”",
    "—",
    "…",
    "😀",
    "👋🏽",
    "👨‍👩‍👧‍👦",
    "🇺🇸",
    "1️⃣",
    "❤️",
    "https://example.com/path?q=1",
    "http://www.example.org",
    "{example.com}",
    "{www.example.co.uk/a}",
    "{t.co/xyz}",
    "{foo.io}",
    "file.txt",
    "#example.com",
    "!",
    ",",
    "(",
    ")",
    "42",
    "A1",
];

proptest! {
    #[test]
    fn x_length_matches_twitter_text_on_random_posts(
        picks in proptest::collection::vec((0..PIECES.len(), 0..3usize), 0..40)
    ) {
        let mut text = String::new();
        for (piece, sep) in picks {
            text.push_str(PIECES[piece]);
            text.push_str([" ", "  ", "\n"][sep]);
        }
        let (text, reference_text) = ours_and_reference_text(&text);
        prop_assert_eq!(count(PlatformKind::X, &text), reference(&reference_text), "{:?}", text);
    }
}

/// Where the reference crate differs from X, with the evidence.
#[test]
fn the_reference_crate_misses_three_things_x_does() {
    // 1. Scheme-less URLs. twitter-text's own parseTweet (js/src/parseTweet.js)
    // calls extractUrlsWithIndices with extractUrlsWithoutProtocol on by
    // default and weighs each URL as transformedURLLength, and x.com links
    // `example.com/path` in a post. The crate extracts the entity but its
    // ValidatingExtractor::create_result only tracks `Rule::url` as a URL, so
    // `url_without_protocol` is weighed letter by letter.
    let bare = "example.com/a/long/path/that/costs/more/than/23";
    assert_eq!(reference(bare), bare.len());
    assert_eq!(count(PlatformKind::X, bare), 23);
    assert_eq!(reference(&format!("https://{bare}")), 23);

    // 2. Two flags in a row. The crate's permissive emoji matcher lets a
    // regional indicator continue a sequence, so `🇺🇸🇬🇧` becomes one
    // four-code-point candidate, which is no emoji, and weighs 4 × 2. Each
    // flag is its own RGI emoji sequence (two regional indicators) and
    // weighs 2, as the crate itself agrees when they are apart.
    assert_eq!(reference("🇺🇸🇬🇧"), 8);
    assert_eq!(reference("🇺🇸 🇬🇧"), 5);
    assert_eq!(count(PlatformKind::X, "🇺🇸🇬🇧"), 4);
    assert_eq!(count(PlatformKind::X, "🇺🇸 🇬🇧"), 5);
    // The same after any emoji candidate: an arrow then a flag.
    assert_eq!(reference("←🇬🇵"), 6);
    assert_eq!(count(PlatformKind::X, "←🇬🇵"), 4);

    // 3. A keycap glued to a hashtag or mention. twitter-text v3's parseTweet
    // (js/src/parseTweet.js) takes emoji from twemoji-parser over the whole
    // text, independent of hashtags, so `1️⃣` after `#hcsmbm` weighs 2. The
    // crate lets the hashtag swallow the `1` and weighs U+FE0F and U+20E3
    // as 2 each.
    assert_eq!(reference("#hcsmbm1️⃣"), 12);
    assert_eq!(count(PlatformKind::X, "#hcsmbm1️⃣"), 9);
    assert_eq!(reference("#hcsmbm 1️⃣"), 10);
    assert_eq!(count(PlatformKind::X, "#hcsmbm 1️⃣"), 10);
}

/// The reference crate panics when a mention follows a CJK character and
/// one ASCII character (`nom_parser::is_rt_prefix_before` slices two bytes
/// back from the `@`, inside the CJK character), so the random tests keep
/// `@` out and CJK apart from what follows it.
#[test]
fn the_reference_crate_panics_on_a_mention_after_cjk_and_a_sign() {
    let text = "日=@alice";
    assert!(std::panic::catch_unwind(|| reference(text)).is_err());
    assert_eq!(count(PlatformKind::X, text), 2 + 1 + 6);
}

/// Code points that stress the weighting: ASCII, Latin-1, combining marks,
/// the weight-1 punctuation ranges and their neighbours, CJK, Hangul jamo,
/// emoji bases, skin tones, ZWJ, variation selectors, keycaps and regional
/// indicators, in any order.
fn stress_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('a', 'z'),
        Just(' '),
        prop::char::range('0', '9'),
        Just('#'),
        Just('*'),
        prop::char::range('\u{a0}', '\u{ff}'),
        prop::char::range('\u{300}', '\u{36f}'),
        prop::char::range('\u{1100}', '\u{1175}'),
        prop::char::range('\u{1ff0}', '\u{2040}'),
        prop::char::range('\u{2190}', '\u{21ff}'),
        prop::char::range('\u{2600}', '\u{27bf}'),
        prop::char::range('\u{3040}', '\u{30ff}'),
        prop::char::range('\u{4e00}', '\u{4e20}'),
        prop::char::range('\u{ac00}', '\u{ac20}'),
        Just('\u{200d}'),
        Just('\u{fe0f}'),
        Just('\u{20e3}'),
        prop::char::range('\u{1f1e6}', '\u{1f1ff}'),
        prop::char::range('\u{1f300}', '\u{1f64f}'),
        prop::char::range('\u{1f3fb}', '\u{1f3ff}'),
        prop::char::range('\u{1f900}', '\u{1f9ff}'),
        prop::char::range('\u{20000}', '\u{20010}'),
    ]
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1f1e6}'..='\u{1f1ff}').contains(&c)
}

/// Joins random code points, with a space where the reference crate is
/// known to differ from X (see the test below): before a regional indicator
/// that does not complete a flag and follows something other than a space
/// (it could be the end of an emoji candidate), and
/// between `#` and anything a hashtag could take in.
fn join_avoiding_known_differences(chars: &[char]) -> String {
    let mut text = String::new();
    let mut open_flag = false;
    let mut prev: Option<char> = None;
    for &c in chars {
        let completes_flag = open_flag && is_regional_indicator(c);
        let fused = is_regional_indicator(c) && !completes_flag && prev.is_some_and(|p| p != ' ');
        let glued = prev == Some('#') && !matches!(c, '\u{fe0f}' | '\u{20e3}' | ' ');
        if fused || glued {
            text.push(' ');
        }
        open_flag = is_regional_indicator(c) && !completes_flag;
        text.push(c);
        prev = Some(c);
    }
    text
}

proptest! {
    #[test]
    fn x_length_matches_twitter_text_on_random_code_points(
        chars in proptest::collection::vec(stress_char(), 0..60)
    ) {
        // A bare © or ® weighs 1 to the official twitter-text 3.1.0 (our
        // oracle, tests/x_oracle.rs) and 2 to the crate: left out here.
        let text = join_avoiding_known_differences(&chars).replace(['\u{a9}', '\u{ae}'], "a");
        prop_assert_eq!(count(PlatformKind::X, &text), reference(&text), "{:?}", text);
    }
}

/// A URL with a scheme (which the reference counts as X does) followed by
/// a separator and random path, query, fragment and punctuation characters
/// (what glues straight onto a TLD, like `example.co.uk-a`, is left out; no
/// `@`: see the panic below; `https://example.com,@` is also no URL to the
/// crate, an oddity we do not copy).
fn scheme_url() -> impl Strategy<Value = String> {
    let host = prop::sample::select(vec![
        "https://example.com",
        "http://www.example.org",
        "HTTPS://Sub.Example.co.uk",
        "https://example.com:8080",
        "https://t.co",
        "https://example.notatld",
        "https://a-b.io",
    ]);
    let tail = proptest::collection::vec(
        prop::sample::select(vec![
            "/", "a", "Z", "9", "-", "_", ".", ",", "!", "?", "#", "=", "&", "(", ")", "[", "]",
            "'", "\"", ":", ";", "~", "%", "+", "é", "д", "日 ", "😀", " ", "|", "$", "*",
        ]),
        0..20,
    );
    let first = prop::sample::select(vec!["/", "?", "#", ". ", " ", ")", ",", "!"]);
    (host, first, tail).prop_map(|(host, first, tail)| format!("{host}{first}{}", tail.concat()))
}

/// A word with a dot between two letters or digits (`a.Za/`, `x.co`): X may
/// take it for a URL without a scheme.
fn looks_like_a_domain(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars
        .windows(3)
        .any(|w| w[1] == '.' && w[0].is_alphanumeric() && w[2].is_alphanumeric())
}

/// Found by `x_length_matches_twitter_text_on_random_urls`: the crate counts
/// 30 (one URL and seven characters), but `a.Za/` is a second URL to X,
/// and npm twitter-text 3.1.0, X's own library, says 48 (two URLs of 23,
/// `. ` between). tests/x_oracle.rs asks the library itself.
#[test]
fn a_domain_after_a_url_is_a_second_url() {
    assert_eq!(count(PlatformKind::X, "https://example.com. a.Za/"), 48);
    assert_eq!(count(PlatformKind::X, "x a.Za/ y"), 27);
}

proptest! {
    #[test]
    fn x_length_matches_twitter_text_on_random_urls(
        before in prop::sample::select(vec!["", "see ", "(", "\"", "日本"]),
        url in scheme_url(),
        after in prop::sample::select(vec!["", " ok", ".", "!)", "，"]),
    ) {
        let text = format!("{before}{url}{after}");
        // The crate keeps a fragment right after the host; the official
        // twitter-text 3.1.0 (tests/x_oracle.rs) does not, and we follow it.
        let host_end = url.find("://").map_or(0, |i| i + 3);
        let rest = &url[host_end..];
        prop_assume!(!rest.split(['/', '?']).next().unwrap_or_default().contains('#'));
        // A word after the URL that is a domain of its own (`a.Za/`) is a
        // second URL to X, 23 characters; the crate does not count URLs
        // without a scheme (see `ours_and_reference_text`), so such texts
        // are compared with the official library in tests/x_oracle.rs.
        prop_assume!(!text.split_whitespace().skip(1).any(looks_like_a_domain));
        prop_assert_eq!(count(PlatformKind::X, &text), reference(&text), "{:?}", text);
    }
}
