//! Rich-text facets: which bytes of a post are a hashtag, a mention, a link.
//!
//! Bluesky stores a post's text as plain text; a hashtag is only a hashtag,
//! a mention only notifies, and a link is only clickable if the record
//! carries a facet saying so, with UTF-8 byte offsets into the text. The
//! official app finds them with the rules of `@atproto/api`'s
//! `RichText.detectFacets`, which this module follows:
//!
//! - a tag is `#` (or `＃`) after the start or a space, then a run of
//!   non-space characters with trailing punctuation dropped, not all digits,
//!   at most 64 characters; the facet's `tag` is without the `#`;
//! - a mention is `@handle` after the start, a space or `(`, where the
//!   handle is a domain name (`ann.bsky.social`); the caller turns the handle
//!   into a DID, and a handle that does not resolve stays plain text;
//! - a link is what [`crate::text::url::find_urls`] finds (the same URLs the
//!   length counting sees); one without a scheme links to `https://`.
//!
//! [`detect`] is pure; [`Facet::to_json`] gives the lexicon's JSON.

use std::ops::Range;

use serde_json::{Value, json};

use crate::text::url::{Schemes, find_urls};

/// Longest tag the lexicon accepts (`maxGraphemes: 64`; the app counts
/// UTF-16 units, which is never fewer).
const MAX_TAG_CHARS: usize = 64;

/// What a span of the text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    /// The tag without `#`.
    Tag(String),
    /// The handle without `@`; the DID comes later.
    Mention(String),
    /// The URI to open.
    Link(String),
}

/// One feature on a byte range of the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub bytes: Range<usize>,
    pub feature: Feature,
}

/// A facet ready for the record (mentions resolved to DIDs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facet {
    Tag { bytes: Range<usize>, tag: String },
    Mention { bytes: Range<usize>, did: String },
    Link { bytes: Range<usize>, uri: String },
}

impl Facet {
    /// `app.bsky.richtext.facet` as JSON.
    pub fn to_json(&self) -> Value {
        let (bytes, feature) = match self {
            Facet::Tag { bytes, tag } => (
                bytes,
                json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
            ),
            Facet::Mention { bytes, did } => (
                bytes,
                json!({"$type": "app.bsky.richtext.facet#mention", "did": did}),
            ),
            Facet::Link { bytes, uri } => (
                bytes,
                json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
            ),
        };
        json!({
            "index": {"byteStart": bytes.start, "byteEnd": bytes.end},
            "features": [feature],
        })
    }
}

/// X's URL finder stops a link at `#` (`example.org#tag` is a link and a
/// hashtag on X); Bluesky's app keeps the fragment in the link and makes no
/// tag of it, since a tag must follow a space. So a `#…` glued to a link
/// joins it, up to the next space, less trailing punctuation.
fn with_fragment(text: &str, bytes: Range<usize>) -> Range<usize> {
    let rest = &text[bytes.end..];
    if !rest.starts_with('#') {
        return bytes;
    }
    let glued = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let kept = rest[..glued].trim_end_matches(['.', ',', ';', ':', '!', '?']);
    bytes.start..bytes.end + kept.len()
}

/// Every tag, mention and link in `text`, in byte order, not overlapping.
pub fn detect(text: &str) -> Vec<Found> {
    let mut found: Vec<Found> = find_urls(text, Schemes::Optional)
        .into_iter()
        .map(|bytes| {
            let bytes = with_fragment(text, bytes);
            let url = &text[bytes.clone()];
            let uri = if url.contains("://") {
                url.to_string()
            } else {
                format!("https://{url}")
            };
            Found {
                bytes,
                feature: Feature::Link(uri),
            }
        })
        .collect();
    let links: Vec<Range<usize>> = found.iter().map(|f| f.bytes.clone()).collect();
    let outside_links =
        |r: &Range<usize>| !links.iter().any(|l| l.start < r.end && r.start < l.end);
    for (start, word) in words(text) {
        let candidate = tag_at(start, word).or_else(|| mention_at(start, word));
        if let Some(f) = candidate.filter(|f| outside_links(&f.bytes)) {
            found.push(f);
        }
    }
    found.sort_by_key(|f| f.bytes.start);
    found
}

/// Runs of non-space characters with their byte offsets.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

fn tag_at(start: usize, word: &str) -> Option<Found> {
    let hash = word.chars().next().filter(|c| matches!(c, '#' | '＃'))?;
    let body = &word[hash.len_utf8()..];
    if body.starts_with('\u{fe0f}') {
        return None; // keycap emoji `#️⃣`
    }
    let body = body.split(is_invisible).next().unwrap_or_default();
    let tag = body.trim_end_matches(is_punctuation);
    let meaningful = tag.chars().any(|c| !c.is_numeric() && !is_punctuation(c));
    if !meaningful || tag.chars().count() > MAX_TAG_CHARS {
        return None;
    }
    let end = start + hash.len_utf8() + tag.len();
    Some(Found {
        bytes: start..end,
        feature: Feature::Tag(tag.to_string()),
    })
}

fn mention_at(start: usize, word: &str) -> Option<Found> {
    let (skip, rest) = match word.strip_prefix('(') {
        Some(rest) => (1, rest),
        None => (0, word),
    };
    let handle = rest.strip_prefix('@')?;
    let len = handle
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(handle.len());
    // Ends at a word boundary, as the app's `\b`: no trailing `.` or `-`.
    let handle = handle[..len].trim_end_matches(['.', '-']);
    if !is_handle(handle) {
        return None;
    }
    let begin = start + skip;
    Some(Found {
        bytes: begin..begin + 1 + handle.len(),
        feature: Feature::Mention(handle.to_string()),
    })
}

/// The handle syntax of the atproto specification: a domain name of at
/// least two labels whose last one starts with a letter.
pub fn is_handle(handle: &str) -> bool {
    let labels: Vec<&str> = handle.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    handle.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
}

/// Characters the app stops a tag at besides spaces (soft hyphen, word
/// joiner, zero-width spaces and joiners, combining keycap).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{2060}' | '\u{200a}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{20e2}'
    )
}

/// Unicode punctuation (`\p{P}`) for the characters a chat uses: ASCII's
/// (not its symbols `$+<=>^`|~`, which stay in tags), Latin-1's, general,
/// CJK and full-width punctuation.
fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation() && !"$+<=>^`|~".contains(c);
    }
    matches!(c as u32,
        0xa1 | 0xa7 | 0xab | 0xb6 | 0xb7 | 0xbb | 0xbf
        | 0x2010..=0x2027 | 0x2030..=0x2043 | 0x2045..=0x2051 | 0x2053..=0x205e
        | 0x3001..=0x3003 | 0x3008..=0x3011 | 0x3014..=0x301f
        | 0xff01..=0xff03 | 0xff05..=0xff0a | 0xff0c..=0xff0f | 0xff1a | 0xff1b
        | 0xff1f | 0xff20 | 0xff3b..=0xff3d | 0xff3f | 0xff5b | 0xff5d | 0xff5f..=0xff65)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(&str, Feature)> {
        detect(text)
            .into_iter()
            .map(|f| (&text[f.bytes], f.feature))
            .collect()
    }

    #[test]
    fn hashtags_mentions_and_links_on_byte_offsets() {
        let text =
            "Zoë asks: Q1 for @ann.bsky.social 🎉 #hcsmbm #Santé, see https://example.org/a?b=1.";
        assert_eq!(
            spans(text),
            vec![
                (
                    "@ann.bsky.social",
                    Feature::Mention("ann.bsky.social".into())
                ),
                ("#hcsmbm", Feature::Tag("hcsmbm".into())),
                ("#Santé", Feature::Tag("Santé".into())),
                (
                    "https://example.org/a?b=1",
                    Feature::Link("https://example.org/a?b=1".into())
                ),
            ]
        );
        let first = &detect(text)[0];
        // "Zoë asks: Q1 for " is 18 bytes (ë is two).
        assert_eq!(first.bytes, 18..34);
    }

    #[test]
    fn not_tags() {
        assert!(spans("room #1 and #2026 and #!").is_empty());
        assert!(spans("a#b c").is_empty());
        assert!(spans("#\u{fe0f}\u{20e3} keycap").is_empty());
        assert_eq!(spans(&format!("#{}", "a".repeat(65))), vec![]);
        assert_eq!(spans(&format!("#{}", "a".repeat(64))).len(), 1);
    }

    #[test]
    fn tags_keep_symbols_and_drop_trailing_punctuation() {
        assert_eq!(
            spans("learn #c++ and #rust! (#go)"),
            vec![
                ("#c++", Feature::Tag("c++".into())),
                ("#rust", Feature::Tag("rust".into())),
            ]
        );
        assert_eq!(
            spans("＃日本語。"),
            vec![("＃日本語", Feature::Tag("日本語".into()))]
        );
    }

    #[test]
    fn mentions_need_a_domain_handle() {
        assert_eq!(
            spans("thanks (@bob.test), @carol.example.com. and @dave"),
            vec![
                ("@bob.test", Feature::Mention("bob.test".into())),
                (
                    "@carol.example.com",
                    Feature::Mention("carol.example.com".into())
                ),
            ]
        );
        assert!(spans("mail ann@example.com or @-x.com or @x.1a").is_empty());
    }

    #[test]
    fn bare_domains_link_to_https_and_fragments_are_not_tags() {
        assert_eq!(
            spans("see example.org#tag"),
            vec![(
                "example.org#tag",
                Feature::Link("https://example.org#tag".into())
            )]
        );
    }

    #[test]
    fn facets_serialize_as_the_lexicon_says() {
        let facet = Facet::Mention {
            bytes: 3..12,
            did: "did:plc:abc".into(),
        };
        assert_eq!(
            facet.to_json(),
            json!({"index": {"byteStart": 3, "byteEnd": 12},
                   "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:abc"}]})
        );
    }
}
