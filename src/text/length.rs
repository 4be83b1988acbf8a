//! Post length as each platform counts it.
//!
//! - X: twitter-text v3 weighted length. The text is NFC-normalised; code
//!   points in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and U+2032–U+2037
//!   weigh 1, everything else 2; every URL weighs 23 whatever its length;
//!   every emoji sequence weighs 2 in total. Limit 280.
//! - Mastodon: Unicode scalar values, every `http(s)://` URL as the
//!   instance's `characters_reserved_per_url` (23 unless it says otherwise:
//!   [`count_with_url_length`]) and a remote mention `@user@domain` as
//!   `@user`. Mastodon itself counts
//!   grapheme clusters, which is never more than scalar values, so our count
//!   may be higher than the server's but never lower. Limit 500 by default;
//!   an instance announces its own.
//! - Bluesky: extended grapheme clusters. Limit 300.
//! - Console: Unicode scalar values, no limit.

use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use super::PlatformKind;
use super::emoji::{Candidate, emoji_at};
use super::url::{Schemes, find_urls};

/// What every URL counts on X and Mastodon (X's `transformedURLLength`).
pub const URL_LENGTH: usize = 23;

/// A `url_length` meaning "links count every character as written": what
/// GoToSocial (and any Mastodon-API server not recognised) does. The whole
/// text then counts in scalar values, remote mentions in full too.
pub const URL_IN_FULL: usize = usize::MAX;

/// The length of `text` as `platform` counts it, with the platform's
/// default URL length.
pub fn count(platform: PlatformKind, text: &str) -> usize {
    count_with_url_length(platform, text, URL_LENGTH)
}

/// The length of `text` as `platform` counts it, where the account's server
/// announces what a URL counts: a Mastodon instance's
/// `characters_reserved_per_url`. X always counts 23 (its own rule, not a
/// server setting), and Bluesky and the console count URLs as written, so
/// `url_length` matters only to Mastodon.
pub fn count_with_url_length(platform: PlatformKind, text: &str, url_length: usize) -> usize {
    match platform {
        PlatformKind::X => x_weighted_length(text),
        PlatformKind::Mastodon if url_length == URL_IN_FULL => text.chars().count(),
        PlatformKind::Mastodon => mastodon_length(text, url_length),
        PlatformKind::Bluesky => text.graphemes(true).count(),
        PlatformKind::Console => text.chars().count(),
    }
}

/// Whether `text` fits in a post of at most `limit` as `platform` counts it.
pub fn fits(platform: PlatformKind, text: &str, limit: usize) -> bool {
    count(platform, text) <= limit
}

/// Code points X refuses in a post (twitter-text's `invalidCharacters`):
/// the byte-order mark and the two noncharacters U+FFFE and U+FFFF.
const X_INVALID: [char; 3] = ['\u{feff}', '\u{fffe}', '\u{ffff}'];

/// Whether X accepts `text` as a post: not empty, at most 280 by
/// [`count`], and none of the characters X refuses (twitter-text's
/// `isValid`).
pub fn x_valid(text: &str) -> bool {
    let length = x_weighted_length(text);
    length > 0 && length <= PlatformKind::X.default_limit() && !text.contains(X_INVALID)
}

/// twitter-text v3 weight of one code point outside URLs and emoji, in
/// units of 1 (the config's weights 100/200 divided by its scale 100).
fn x_weight(c: char) -> usize {
    match c as u32 {
        0x0000..=0x10ff | 0x2000..=0x200d | 0x2010..=0x201f | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

fn x_weighted_length(text: &str) -> usize {
    let text: String = text.nfc().collect();
    let urls = find_urls(&text, Schemes::Optional);
    let mut urls = urls.iter().peekable();
    let mut total = 0;
    let mut pos = 0;
    while pos < text.len() {
        if let Some(url) = urls.next_if(|url| url.start == pos) {
            total += URL_LENGTH;
            pos = url.end;
            continue;
        }
        let rest = &text[pos..];
        match emoji_at(rest) {
            Some(Candidate::Emoji(len)) => {
                total += 2;
                pos += len;
                continue;
            }
            Some(Candidate::Text(len)) => {
                total += rest[..len].chars().map(x_weight).sum::<usize>();
                pos += len;
                continue;
            }
            None => {}
        }
        let Some(c) = rest.chars().next() else { break };
        total += x_weight(c);
        pos += c.len_utf8();
    }
    total
}

fn mastodon_length(text: &str, url_length: usize) -> usize {
    let urls = find_urls(text, Schemes::Required);
    let mut total = 0;
    let mut pos = 0;
    for url in &urls {
        total += mentions_as_local(&text[pos..url.start]);
        total += url_length;
        pos = url.end;
    }
    total + mentions_as_local(&text[pos..])
}

/// Scalar values of `text` with every `@user@domain` counted as `@user`.
fn mentions_as_local(text: &str) -> usize {
    let remote: usize = remote_domains(text).map(|r| r.len()).sum();
    text.chars().count() - remote
}

/// The `@domain` parts (byte ranges) of remote mentions in `text`. Mastodon
/// mentions: `@` after start or a non-word, non-`/` character, a username
/// of `[A-Za-z0-9_]` (dots and dashes inside), then `@` and a domain.
fn remote_domains(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices('@').filter_map(move |(at, _)| {
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| is_word(c) || c == '/')
        {
            return None;
        }
        let user_len = text[at + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(text.len() - at - 1);
        let user = text[at + 1..at + 1 + user_len].trim_end_matches(['.', '-']);
        let domain_at = at + 1 + user.len();
        if user.is_empty() || !text[domain_at..].starts_with('@') {
            return None;
        }
        let domain_len = text[domain_at + 1..]
            .find(|c: char| !(is_word(c) || matches!(c, '.' | '-')))
            .unwrap_or(text.len() - domain_at - 1);
        let domain = text[domain_at + 1..domain_at + 1 + domain_len].trim_end_matches(['.', '-']);
        (!domain.is_empty()).then(|| domain_at..domain_at + 1 + domain.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_weighs_latin_as_one_and_cjk_as_two() {
        assert_eq!(count(PlatformKind::X, "hello"), 5);
        assert_eq!(count(PlatformKind::X, "日本語"), 6);
        assert_eq!(count(PlatformKind::X, "“quotes” — em dash"), 18);
        assert_eq!(count(PlatformKind::X, ""), 0);
    }

    #[test]
    fn x_normalises_to_nfc_first() {
        assert_eq!(count(PlatformKind::X, "cafe\u{301}"), 4);
        assert_eq!(
            count(PlatformKind::X, "\u{1100}\u{1161}"),
            2,
            "jamo compose to one syllable"
        );
    }

    #[test]
    fn x_counts_urls_and_emoji_sequences_as_units() {
        let long = format!("https://example.com/{}", "a".repeat(100));
        assert_eq!(count(PlatformKind::X, &long), 23);
        assert_eq!(count(PlatformKind::X, "go example.com now"), 3 + 23 + 4);
        assert_eq!(count(PlatformKind::X, "👨‍👩‍👧‍👦👋🏽🇺🇸"), 6);
    }

    #[test]
    fn mastodon_counts_scheme_urls_and_local_part_of_mentions() {
        let long = format!("see https://example.com/{}", "a".repeat(100));
        assert_eq!(count(PlatformKind::Mastodon, &long), 4 + 23);
        assert_eq!(count(PlatformKind::Mastodon, "example.com"), 11);
        assert_eq!(
            count(PlatformKind::Mastodon, "hi @alice@mastodon.social!"),
            3 + 6 + 1
        );
        assert_eq!(count(PlatformKind::Mastodon, "mail bob@example.com"), 20);
        assert_eq!(count(PlatformKind::Mastodon, "@alice hi"), 9);
    }

    #[test]
    fn x_refuses_empty_long_and_invalid_character_texts() {
        assert!(x_valid("hello"));
        assert!(!x_valid(""));
        assert!(x_valid(&"a".repeat(280)));
        assert!(!x_valid(&"a".repeat(281)));
        assert!(!x_valid("ABC\u{ffff}"));
        assert!(!x_valid("\u{feff}hi"));
        assert!(x_valid("\u{202a}directional\u{202c}"));
    }

    #[test]
    fn mastodon_counts_every_url_as_the_instance_reserves() {
        let text = "see https://example.com/a and http://e.org now";
        // 4 + url + 5 + url + 4
        assert_eq!(count(PlatformKind::Mastodon, text), 13 + 2 * 23);
        assert_eq!(
            count_with_url_length(PlatformKind::Mastodon, text, 30),
            13 + 2 * 30
        );
        assert_eq!(
            count_with_url_length(PlatformKind::Mastodon, text, 0),
            13,
            "an instance may reserve nothing"
        );
        // Only Mastodon takes a server's URL length.
        let x = count(PlatformKind::X, text);
        assert_eq!(count_with_url_length(PlatformKind::X, text, 30), x);
        let bluesky = count(PlatformKind::Bluesky, text);
        assert_eq!(
            count_with_url_length(PlatformKind::Bluesky, text, 30),
            bluesky
        );
    }

    #[test]
    fn bluesky_counts_graphemes_and_console_scalars() {
        assert_eq!(count(PlatformKind::Bluesky, "👨‍👩‍👧‍👦e\u{301}"), 2);
        assert_eq!(count(PlatformKind::Console, "👨‍👩‍👧‍👦"), 7);
        assert!(fits(PlatformKind::Bluesky, &"a".repeat(300), 300));
        assert!(!fits(PlatformKind::Bluesky, &"a".repeat(301), 300));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_counted_without_panicking(text in "(\\PC|[.:/@#?()\u{200d}\u{fe0f}\u{20e3}\u{1f1e6}-\u{1f1ff}]|https?://|www\\.|\\.com){0,40}") {
            let scalars = count(PlatformKind::Console, &text);
            proptest::prop_assert!(count(PlatformKind::Bluesky, &text) <= scalars);
            let _ = count(PlatformKind::Mastodon, &text);
            let _ = count(PlatformKind::X, &text);
        }
    }
}
