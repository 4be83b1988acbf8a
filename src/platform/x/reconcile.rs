//! Did a post whose answer we never saw go out? Look at our own timeline.
//!
//! X has no idempotency key, so after a crash, a timeout or a "duplicate
//! content" refusal the only way to know is `GET /2/users/:id/tweets` since a
//! little before the slot was due, comparing texts the way X stores them:
//! X answers `&`, `<`, `>` as HTML entities, NFC-normalizes, trims, and
//! rewrites every link to a `t.co` one, and a reply's text may start with the
//! `@handles` it replies to. So both sides are normalized, leading mentions
//! dropped and every URL masked before comparing.

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::client::{Api, Call};
use crate::platform::PostError;

/// How far before `due` to look (clock skew, an early retry).
pub const MARGIN: SignedDuration = SignedDuration::from_mins(10);

/// Pages of 100 to read at most: a chat account posts a few dozen times
/// around a chat, so 500 posts in one slot's window is far past any real
/// case; when they run out the answer is "unknown", not "not posted".
const MAX_PAGES: usize = 5;

/// How long after the window's end a post may still have been created (the
/// last attempt starts before it and takes one request's time).
const END_MARGIN: SignedDuration = SignedDuration::from_mins(2);

/// X refuses an `end_time` less than this before the request.
const END_TIME_MIN_AGE: SignedDuration = SignedDuration::from_secs(10);

/// The text as X would store it, with URLs masked, for comparison.
pub fn normalize(text: &str) -> String {
    let unescaped = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let nfc: String = unescaped.nfc().collect();
    nfc.split_whitespace()
        .skip_while(|word| word.starts_with('@'))
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            if lower.starts_with("http://") || lower.starts_with("https://") {
                "<url>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Tweet>,
    #[serde(default)]
    meta: Meta,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
}

#[derive(Default, Deserialize)]
struct Meta {
    next_token: Option<String>,
}

/// The id of the account's own post with `text`, created between
/// `due - MARGIN` and `window_end + END_MARGIN`, if there is one; `Err`
/// when it cannot tell (the pages ran out, a request failed).
pub async fn find_own_post(
    api: &Api,
    user_id: &str,
    text: &str,
    due: Timestamp,
    window_end: Timestamp,
) -> Result<Option<String>, PostError> {
    let wanted = normalize(text);
    let path = format!("/2/users/{user_id}/tweets");
    let start = super::search::x_time(due - MARGIN);
    let end = window_end.saturating_add(END_MARGIN).unwrap_or(window_end);
    // A window still open is read up to now (X refuses a future end_time).
    let end = (end < api.clock.now() - END_TIME_MIN_AGE).then(|| super::search::x_time(end));
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![
            ("max_results".to_string(), "100".to_string()),
            ("start_time".to_string(), start.clone()),
            ("tweet.fields".to_string(), "created_at".to_string()),
        ];
        if let Some(end) = &end {
            query.push(("end_time".to_string(), end.clone()));
        }
        if let Some(t) = &token {
            query.push(("pagination_token".to_string(), t.clone()));
        }
        let body = api.send(&Call::get(&path, query)).await?;
        let page: Page = serde_json::from_slice(&body).map_err(|e| {
            PostError::Transient(format!("X's timeline answer was not understood: {e}"))
        })?;
        if let Some(found) = page.data.iter().find(|t| normalize(&t.text) == wanted) {
            return Ok(Some(found.id.clone()));
        }
        match page.meta.next_token {
            Some(next) => token = Some(next),
            None => return Ok(None),
        }
    }
    Err(PostError::Transient(format!(
        "still not found after {MAX_PAGES} pages of the account's timeline in the slot's \
         window, so whether it went out is unknown"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_links_are_normalized_like_x() {
        let sent = "Q1. Tips & tricks <3 at https://example.org/a?b=c #hcsm ";
        let stored = "Q1. Tips &amp; tricks &lt;3 at https://t.co/AbCdEf1234 #hcsm";
        assert_eq!(normalize(sent), normalize(stored));
    }

    #[test]
    fn leading_reply_mentions_are_ignored() {
        assert_eq!(normalize("@ann @bob Q2. Next #x"), normalize("Q2. Next #x"));
        assert_ne!(normalize("Thanks @ann #x"), normalize("Thanks #x"));
    }

    #[test]
    fn different_texts_stay_different() {
        assert_ne!(normalize("Q1. a #x"), normalize("Q2. a #x"));
    }

    #[test]
    fn composed_and_decomposed_accents_match() {
        assert_eq!(normalize("caf\u{e9}"), normalize("cafe\u{301}"));
    }
}
