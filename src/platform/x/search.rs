//! Hashtag search for thank-yous and transcripts: `GET /2/tweets/search/recent`.
//!
//! Recent search covers only the last seven days, so `since` is clamped to
//! that window (with a log line saying so) and `until` to a little before now
//! (X refuses an `end_time` less than 10 s in the past). Every page is read
//! by following `meta.next_token`; posts are deduplicated by id and returned
//! oldest first.
//!
//! Retweets are kept, flagged `is_repost` (from `referenced_tweets` of type
//! `retweeted`): whether a retweet counts as taking part is the thank-you
//! logic's decision, not the transport's, and asking X to drop them
//! (`-is:retweet`) would hide that choice here.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::client::{Api, Call};
use crate::platform::{FoundPost, PostError};

/// Recent search reaches back seven days; keep a little slack for the
/// request's own travel time.
const WINDOW: SignedDuration = SignedDuration::from_hours(7 * 24 - 1);
/// X wants `end_time` at least 10 s before the request.
const END_SLACK: SignedDuration = SignedDuration::from_secs(15);
/// 100 pages of 100 posts: a chat with more is beyond a thank-you post.
const MAX_PAGES: usize = 100;

/// An instant as X's query parameters want it (`2026-12-02T18:00:00Z`).
pub fn x_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `[since, until)` clamped to what recent search can answer at `now`, in
/// whole seconds as X takes them; `None` when nothing is left.
pub fn clamp_window(
    since: Timestamp,
    until: Timestamp,
    now: Timestamp,
) -> Option<(Timestamp, Timestamp)> {
    let whole = |t: Timestamp| Timestamp::from_second(t.as_second()).unwrap_or(t);
    let (since, until, now) = (whole(since), whole(until), whole(now));
    let earliest = now - WINDOW;
    let since = if since < earliest {
        tracing::warn!(
            requested = %since, used = %earliest,
            "X recent search only reaches back 7 days: searching from {earliest} instead"
        );
        earliest
    } else {
        since
    };
    let until = until.min(now - END_SLACK);
    (since < until).then_some((since, until))
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Tweet>,
    #[serde(default)]
    includes: Includes,
    #[serde(default)]
    meta: Meta,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    text: String,
    author_id: Option<String>,
    created_at: Option<Timestamp>,
    #[serde(default)]
    referenced_tweets: Vec<Reference>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "type")]
    kind: String,
    id: String,
}

#[derive(Default, Deserialize)]
struct Includes {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    username: String,
    name: Option<String>,
}

#[derive(Default, Deserialize)]
struct Meta {
    next_token: Option<String>,
}

/// Every post carrying `hashtag` in `[since, until)`, oldest first.
pub async fn search(
    api: &Api,
    hashtag: &str,
    since: Timestamp,
    until: Timestamp,
) -> Result<Vec<FoundPost>, PostError> {
    let tag = format!("#{}", hashtag.trim_start_matches('#'));
    let (found, complete) = search_query(api, &tag, since, until, MAX_PAGES).await?;
    if !complete {
        tracing::warn!(
            hashtag = %tag,
            "stopped the X search after {MAX_PAGES} pages; later posts are left out"
        );
    }
    Ok(found)
}

/// Every post recent search finds for `query` in `[since, until)`, oldest
/// first, reading at most `max_pages` pages; `false` when pages were left.
pub async fn search_query(
    api: &Api,
    query_text: &str,
    since: Timestamp,
    until: Timestamp,
    max_pages: usize,
) -> Result<(Vec<FoundPost>, bool), PostError> {
    let Some((since, until)) = clamp_window(since, until, api.clock.now()) else {
        return Ok((Vec::new(), true));
    };
    let mut found: BTreeMap<String, FoundPost> = BTreeMap::new();
    let mut token: Option<String> = None;
    for _ in 0..max_pages {
        let body = api
            .send(&Call::get(
                "/2/tweets/search/recent",
                query(query_text, since, until, token.as_deref()),
            ))
            .await?;
        let page: Page = serde_json::from_slice(&body).map_err(|e| {
            PostError::Transient(format!("X's search answer was not understood: {e}"))
        })?;
        collect(page.data, &page.includes.users, since, until, &mut found);
        match page.meta.next_token {
            Some(next) => token = Some(next),
            None => return Ok((oldest_first(found), true)),
        }
    }
    Ok((oldest_first(found), false))
}

fn query(
    tag: &str,
    since: Timestamp,
    until: Timestamp,
    token: Option<&str>,
) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = [
        ("query", tag.to_string()),
        ("start_time", x_time(since)),
        ("end_time", x_time(until)),
        ("max_results", "100".to_string()),
        ("expansions", "author_id".to_string()),
        ("user.fields", "username,name".to_string()),
        (
            "tweet.fields",
            "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets"
                .to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(t) = token {
        q.push(("next_token".to_string(), t.to_string()));
    }
    q
}

fn collect(
    tweets: Vec<Tweet>,
    users: &[User],
    since: Timestamp,
    until: Timestamp,
    found: &mut BTreeMap<String, FoundPost>,
) {
    let users: HashMap<&str, &User> = users.iter().map(|u| (u.id.as_str(), u)).collect();
    for tweet in tweets {
        let Some(created_at) = tweet.created_at else {
            continue;
        };
        if created_at < since || created_at >= until {
            continue;
        }
        let author_id = tweet.author_id.unwrap_or_default();
        let user = users.get(author_id.as_str());
        let username = user.map(|u| u.username.clone());
        let url = match &username {
            Some(name) => format!("https://x.com/{name}/status/{}", tweet.id),
            None => format!("https://x.com/i/status/{}", tweet.id),
        };
        let reference = |kind: &str| {
            tweet
                .referenced_tweets
                .iter()
                .find(|r| r.kind == kind)
                .map(|r| r.id.clone())
        };
        let post = FoundPost {
            id: tweet.id.clone(),
            author_username: username.unwrap_or_else(|| author_id.clone()),
            author_name: user.and_then(|u| u.name.clone()),
            author_id,
            text: tweet.text,
            created_at,
            in_reply_to: reference("replied_to"),
            url: Some(url),
            is_repost: reference("retweeted").is_some(),
        };
        found.insert(tweet.id, post);
    }
}

fn oldest_first(found: BTreeMap<String, FoundPost>) -> Vec<FoundPost> {
    let mut posts: Vec<FoundPost> = found.into_values().collect();
    posts.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.len().cmp(&b.id.len()))
            .then_with(|| a.id.cmp(&b.id))
    });
    posts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn old_starts_are_clamped_to_seven_days() {
        let now = ts("2026-12-10T12:00:00Z");
        let (since, until) =
            clamp_window(ts("2026-12-01T00:00:00Z"), ts("2026-12-05T00:00:00Z"), now).unwrap();
        assert_eq!(since, ts("2026-12-03T13:00:00Z"));
        assert_eq!(until, ts("2026-12-05T00:00:00Z"));
        assert!(
            clamp_window(ts("2026-11-01T00:00:00Z"), ts("2026-11-02T00:00:00Z"), now).is_none()
        );
    }

    #[test]
    fn future_ends_are_pulled_back() {
        let now = ts("2026-12-10T12:00:00Z");
        let (_, until) =
            clamp_window(ts("2026-12-10T11:00:00Z"), ts("2026-12-10T13:00:00Z"), now).unwrap();
        assert_eq!(until, ts("2026-12-10T11:59:45Z"));
    }

    #[test]
    fn times_are_whole_seconds_in_utc() {
        assert_eq!(
            x_time(ts("2026-12-02T18:00:00.123Z")),
            "2026-12-02T18:00:00Z"
        );
    }

    #[test]
    fn retweets_and_replies_are_flagged() {
        let page: Page = serde_json::from_value(serde_json::json!({
            "data": [
                {"id": "2", "text": "RT @a: A1 #x", "author_id": "9", "created_at": "2026-12-02T18:06:00Z",
                 "referenced_tweets": [{"type": "retweeted", "id": "1"}]},
                {"id": "1", "text": "A1 yes #x", "author_id": "8", "created_at": "2026-12-02T18:05:00Z",
                 "referenced_tweets": [{"type": "replied_to", "id": "100"}]}
            ],
            "includes": {"users": [{"id": "8", "username": "ann", "name": "Ann"}]},
            "meta": {"result_count": 2}
        }))
        .unwrap();
        let mut found = BTreeMap::new();
        collect(
            page.data,
            &page.includes.users,
            ts("2026-12-02T18:00:00Z"),
            ts("2026-12-02T19:00:00Z"),
            &mut found,
        );
        let posts = oldest_first(found);
        assert_eq!(posts[0].author_username, "ann");
        assert_eq!(posts[0].in_reply_to.as_deref(), Some("100"));
        assert!(!posts[0].is_repost);
        assert_eq!(posts[0].url.as_deref(), Some("https://x.com/ann/status/1"));
        assert!(posts[1].is_repost);
        assert_eq!(posts[1].url.as_deref(), Some("https://x.com/i/status/2"));
    }
}
