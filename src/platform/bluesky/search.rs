//! Hashtag search for thank-yous and transcripts: `app.bsky.feed.searchPosts`.
//!
//! The PDS does not index posts; it forwards `app.bsky.*` queries to the
//! AppView with a service token, so this is asked of the account's PDS with
//! the account's session. The query is the tag itself (`tag`, without `#`,
//! which matches the posts' tag facets) and `q` = `#tag` (the lexicon
//! requires `q`), newest first, 100 a page, following `cursor` until it
//! stops. Results are deduplicated by URI and returned oldest first.
//!
//! A search result is always an original post or a reply: reposts are
//! records of another kind that searchPosts never returns.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use crate::platform::{FoundPost, PostError};

/// 100 pages of 100 posts: a chat with more is beyond a thank-you post.
pub const MAX_PAGES: usize = 100;

/// One page of `searchPosts`.
#[derive(Debug, Deserialize)]
pub struct Page {
    pub posts: Vec<PostView>,
    pub cursor: Option<String>,
}

/// `app.bsky.feed.defs#postView`, the fields we read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    pub uri: String,
    pub author: Author,
    pub record: Record,
    pub indexed_at: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Author {
    pub did: String,
    pub handle: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[serde(default)]
    pub text: String,
    pub created_at: Option<Timestamp>,
    pub reply: Option<Reply>,
}

#[derive(Debug, Deserialize)]
pub struct Reply {
    pub parent: Ref,
}

#[derive(Debug, Deserialize)]
pub struct Ref {
    pub uri: String,
}

/// The query parameters of one page.
pub fn params(
    hashtag: &str,
    since: Timestamp,
    until: Timestamp,
    cursor: Option<&str>,
) -> Vec<(&'static str, String)> {
    let tag = hashtag.trim_start_matches(['#', '＃']);
    let mut params = vec![
        ("q", format!("#{tag}")),
        ("tag", tag.to_string()),
        ("sort", "latest".to_string()),
        ("since", bsky_time(since)),
        ("until", bsky_time(until)),
        ("limit", "100".to_string()),
    ];
    if let Some(cursor) = cursor {
        params.push(("cursor", cursor.to_string()));
    }
    params
}

/// RFC 3339 in UTC with milliseconds, as atproto datetimes are written.
pub fn bsky_time(t: Timestamp) -> String {
    t.round(jiff::Unit::Millisecond)
        .unwrap_or(t)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// Parses one page's body.
pub fn page(body: serde_json::Value) -> Result<Page, PostError> {
    serde_json::from_value(body).map_err(|e| {
        PostError::Transient(format!("the answer to searchPosts was not understood: {e}"))
    })
}

/// The link a person opens for a post (`at://DID/app.bsky.feed.post/RKEY`).
pub fn post_url(handle_or_did: &str, uri: &str) -> Option<String> {
    let rkey = uri.rsplit('/').next().filter(|r| !r.is_empty())?;
    Some(format!(
        "https://bsky.app/profile/{handle_or_did}/post/{rkey}"
    ))
}

/// Adds a page's posts inside `[since, until)` to `found` (keyed by URI).
pub fn collect(
    found: &mut BTreeMap<String, FoundPost>,
    page: Page,
    since: Timestamp,
    until: Timestamp,
) {
    for view in page.posts {
        if let Some(post) = found_post(view, since, until) {
            found.insert(post.id.clone(), post);
        }
    }
}

/// A post view as the thanks code reads it, when made in `[since, until)`.
pub fn found_post(view: PostView, since: Timestamp, until: Timestamp) -> Option<FoundPost> {
    let created_at = view.record.created_at.or(view.indexed_at)?;
    if created_at < since || created_at >= until {
        return None;
    }
    Some(FoundPost {
        url: post_url(&view.author.handle, &view.uri),
        id: view.uri,
        author_id: view.author.did,
        author_username: view.author.handle,
        author_name: view.author.display_name.filter(|n| !n.trim().is_empty()),
        text: view.record.text,
        created_at,
        in_reply_to: view.record.reply.map(|r| r.parent.uri),
        is_repost: false,
    })
}

/// Oldest first.
pub fn in_order(found: BTreeMap<String, FoundPost>) -> Vec<FoundPost> {
    let mut posts: Vec<FoundPost> = found.into_values().collect();
    posts.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    posts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_query_names_the_tag_and_the_window() {
        let p = params(
            "#hcsmbm",
            at("2026-12-02T17:45:00Z"),
            at("2026-12-02T19:10:00.5Z"),
            Some("abc"),
        );
        let get = |k: &str| p.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("q"), Some("#hcsmbm"));
        assert_eq!(get("tag"), Some("hcsmbm"));
        assert_eq!(get("since"), Some("2026-12-02T17:45:00.000Z"));
        assert_eq!(get("until"), Some("2026-12-02T19:10:00.500Z"));
        assert_eq!(get("limit"), Some("100"));
        assert_eq!(get("cursor"), Some("abc"));
    }

    #[test]
    fn pages_become_found_posts_oldest_first() {
        let body = serde_json::json!({
            "posts": [
                {"uri": "at://did:plc:b/app.bsky.feed.post/3kb", "cid": "c2",
                 "author": {"did": "did:plc:b", "handle": "bob.test", "displayName": "Bob"},
                 "record": {"$type": "app.bsky.feed.post", "text": "A1 yes #c", "createdAt": "2026-12-02T18:06:00.000Z",
                            "reply": {"root": {"uri": "at://r", "cid": "x"}, "parent": {"uri": "at://p", "cid": "y"}}},
                 "indexedAt": "2026-12-02T18:06:01.000Z"},
                {"uri": "at://did:plc:a/app.bsky.feed.post/3ka", "cid": "c1",
                 "author": {"did": "did:plc:a", "handle": "ann.test"},
                 "record": {"$type": "app.bsky.feed.post", "text": "hi #c", "createdAt": "2026-12-02T18:01:00.000Z"},
                 "indexedAt": "2026-12-02T18:01:01.000Z"},
                {"uri": "at://did:plc:a/app.bsky.feed.post/3kz", "cid": "c3",
                 "author": {"did": "did:plc:a", "handle": "ann.test"},
                 "record": {"$type": "app.bsky.feed.post", "text": "late #c", "createdAt": "2026-12-03T18:01:00.000Z"},
                 "indexedAt": "2026-12-03T18:01:01.000Z"}
            ],
            "cursor": "2"
        });
        let mut found = BTreeMap::new();
        let page = page(body).unwrap();
        assert_eq!(page.cursor.as_deref(), Some("2"));
        collect(
            &mut found,
            page,
            at("2026-12-02T17:00:00Z"),
            at("2026-12-02T20:00:00Z"),
        );
        let posts = in_order(found);
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].author_username, "ann.test");
        assert_eq!(
            posts[0].url.as_deref(),
            Some("https://bsky.app/profile/ann.test/post/3ka")
        );
        assert_eq!(posts[1].author_name.as_deref(), Some("Bob"));
        assert_eq!(posts[1].in_reply_to.as_deref(), Some("at://p"));
    }
}
