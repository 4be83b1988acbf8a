//! The replies under the host's questions: `app.bsky.feed.getPostThread`.
//!
//! searchPosts finds what carries the tag; people answering inside a thread
//! rarely repeat it. The thread view lists the replies below a post as
//! nested `replies`, each a `#threadViewPost` (with its own `replies`), a
//! `#blockedPost` (the host blocks its author, or is blocked: left out, as
//! the AppView withholds it) or a `#notFoundPost` (deleted: left out). A
//! reply whose author the host muted (`author.viewer.muted`) is left out
//! too; replies below it still count.
//!
//! Bounded: each call asks for [`DEPTH`] levels (JSON this deep stays well
//! inside the parser's nesting limit); a post at the bottom that has
//! replies the answer did not include (`replyCount` > 0, no `replies`) is
//! read again as a root of its own, at most [`MAX_READS`] calls and
//! [`MAX_REPLIES`] replies per question, each answer's body capped
//! ([`crate::platform::MAX_BODY`]). A question cut short is named in
//! [`Replies::problems`]. In a threaded chat Q2 replies to Q1, so Q1's
//! thread holds Q2's replies: a question already read through an earlier
//! one's complete thread is not read again.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::search::{PostView, found_post};
use crate::platform::{FoundPost, PostError, RemotePost, Replies, ThreadProblem};

/// Levels asked for in one call.
pub const DEPTH: usize = 40;
/// getPostThread calls per question.
pub const MAX_READS: usize = 100;
/// Replies kept per question.
pub const MAX_REPLIES: usize = 5_000;

const THREAD_VIEW: &str = "app.bsky.feed.defs#threadViewPost";

/// The query parameters of one call.
pub fn params(uri: &str) -> Vec<(&'static str, String)> {
    vec![
        ("uri", uri.to_string()),
        ("depth", DEPTH.to_string()),
        ("parentHeight", "0".to_string()),
    ]
}

/// The viewer's relation to an author, as the AppView states it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Viewer {
    #[serde(default)]
    muted: bool,
    #[serde(default)]
    blocked_by: bool,
    blocking: Option<String>,
}

/// What one answer held: the replies below the root, and the posts whose
/// replies it did not include.
#[derive(Debug, Default)]
pub struct Read {
    pub posts: Vec<FoundPost>,
    /// Every post URI seen below the root (kept or not).
    pub seen: Vec<String>,
    pub unfinished: Vec<String>,
}

/// Walks one getPostThread answer (iteratively: the nesting is the
/// server's to choose).
pub fn walk(answer: &Value, since: Timestamp, until: Timestamp) -> Result<Read, PostError> {
    let thread = &answer["thread"];
    match thread["$type"].as_str() {
        Some(THREAD_VIEW) => {}
        Some(other) => {
            return Err(PostError::Rejected(format!(
                "the question's post is not visible ({other})"
            )));
        }
        None => {
            return Err(PostError::Transient(
                "the answer to getPostThread was not understood: no thread".into(),
            ));
        }
    }
    let mut read = Read::default();
    let mut stack: Vec<&Value> = replies_of(thread).iter().collect();
    while let Some(item) = stack.pop() {
        if item["$type"].as_str() != Some(THREAD_VIEW) {
            continue; // #blockedPost, #notFoundPost, or anything newer
        }
        let post = &item["post"];
        let Some(uri) = post["uri"].as_str() else {
            continue;
        };
        read.seen.push(uri.to_string());
        match item.get("replies").and_then(Value::as_array) {
            Some(replies) => stack.extend(replies.iter()),
            None if post["replyCount"].as_u64().unwrap_or(0) > 0 => {
                read.unfinished.push(uri.to_string())
            }
            None => {}
        }
        let viewer: Viewer =
            serde_json::from_value(post["author"]["viewer"].clone()).unwrap_or_default();
        if viewer.muted || viewer.blocked_by || viewer.blocking.is_some() {
            continue;
        }
        let view: PostView = match serde_json::from_value(post.clone()) {
            Ok(view) => view,
            Err(_) => continue,
        };
        if let Some(found) = found_post(view, since, until) {
            read.posts.push(found);
        }
    }
    Ok(read)
}

fn replies_of(view: &Value) -> &[Value] {
    view.get("replies")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Reads the replies below every root with `get` (one getPostThread call
/// by URI), within the bounds in the module docs.
pub async fn replies<F, Fut>(
    roots: &[RemotePost],
    since: Timestamp,
    until: Timestamp,
    get: F,
) -> Replies
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Value, PostError>>,
{
    let mut found: HashMap<String, FoundPost> = HashMap::new();
    let mut covered: HashSet<String> = HashSet::new();
    let mut problems = Vec::new();
    for root in roots {
        if covered.contains(&root.id) {
            continue;
        }
        let mut queue = VecDeque::from([root.id.clone()]);
        let mut reads = 0;
        let mut kept = 0;
        let mut below = Vec::new();
        let problem = loop {
            let Some(uri) = queue.pop_front() else {
                break None;
            };
            if reads == MAX_READS {
                break Some(format!(
                    "stopped after {MAX_READS} thread reads; deeper replies are missing"
                ));
            }
            reads += 1;
            let read = match get(uri)
                .await
                .and_then(|answer| walk(&answer, since, until))
            {
                Ok(read) => read,
                Err(err) if reads == 1 => break Some(format!("reading its thread failed: {err}")),
                Err(err) => {
                    break Some(format!("reading a deeper part of its thread failed: {err}"));
                }
            };
            queue.extend(read.unfinished);
            below.extend(read.seen);
            for post in read.posts {
                if kept == MAX_REPLIES {
                    break;
                }
                kept += 1;
                found.entry(post.id.clone()).or_insert(post);
            }
            if kept == MAX_REPLIES {
                break Some(format!("kept the first {MAX_REPLIES} replies"));
            }
        };
        match problem {
            Some(reason) => problems.push(ThreadProblem {
                root: root.id.clone(),
                reason,
            }),
            None => covered.extend(below),
        }
    }
    Replies {
        posts: found.into_values().collect(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn view(
        uri: &str,
        did: &str,
        text: &str,
        parent: &str,
        viewer: Value,
        replies: Option<Vec<Value>>,
        count: u64,
    ) -> Value {
        let mut v = json!({
            "$type": THREAD_VIEW,
            "post": {
                "uri": uri, "cid": "c",
                "author": {"did": did, "handle": format!("{did}.test"), "viewer": viewer},
                "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-12-02T18:20:00.000Z",
                           "reply": {"root": {"uri": "at://q", "cid": "c"}, "parent": {"uri": parent, "cid": "c"}}},
                "indexedAt": "2026-12-02T18:20:00.000Z",
                "replyCount": count,
            },
        });
        if let Some(replies) = replies {
            v["replies"] = Value::Array(replies);
        }
        v
    }

    #[test]
    fn nested_replies_are_read_and_blocked_muted_and_deleted_left_out() {
        let answer = json!({"thread": view("at://q", "host", "Q2", "", json!({}), Some(vec![
            view("at://a", "ann", "yes", "at://q", json!({}), Some(vec![
                view("at://b", "bob", "me too", "at://a", json!({}), Some(vec![]), 0),
                view("at://m", "muted", "spam", "at://a", json!({"muted": true}), Some(vec![
                    view("at://c", "cat", "under spam", "at://m", json!({}), Some(vec![]), 0),
                ]), 1),
            ]), 2),
            json!({"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://x", "blocked": true,
                   "author": {"did": "did:x", "viewer": {"blocking": "at://block"}}}),
            json!({"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://gone", "notFound": true}),
            view("at://d", "dan", "deep", "at://q", json!({}), None, 3),
        ]), 4)});
        let read = walk(
            &answer,
            at("2026-12-02T18:00:00Z"),
            at("2026-12-02T19:00:00Z"),
        )
        .unwrap();
        let mut ids: Vec<&str> = read.posts.iter().map(|p| p.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["at://a", "at://b", "at://c", "at://d"]);
        assert_eq!(
            read.unfinished,
            ["at://d"],
            "replies below the depth are read next"
        );
        let b = read.posts.iter().find(|p| p.id == "at://b").unwrap();
        assert_eq!(b.in_reply_to.as_deref(), Some("at://a"));
    }

    #[test]
    fn a_question_that_is_not_visible_is_an_error() {
        let answer = json!({"thread": {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://q", "notFound": true}});
        assert!(
            walk(
                &answer,
                at("2026-12-02T18:00:00Z"),
                at("2026-12-02T19:00:00Z")
            )
            .is_err()
        );
    }

    #[tokio::test]
    async fn an_endless_thread_stops_at_its_caps_and_says_so() {
        // Every answer has one reply whose own replies were left out.
        let n = std::sync::atomic::AtomicUsize::new(0);
        let roots = [RemotePost {
            id: "at://q".into(),
            cid: None,
            url: None,
        }];
        let replies = replies(
            &roots,
            at("2026-12-02T18:00:00Z"),
            at("2026-12-02T19:00:00Z"),
            |uri| {
                let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    Ok(
                        json!({"thread": view(&uri, "host", "x", "", json!({}), Some(vec![
                    view(&format!("at://r{i}"), "ann", "on", &uri, json!({}), None, 1),
                ]), 1)}),
                    )
                }
            },
        )
        .await;
        assert_eq!(n.load(std::sync::atomic::Ordering::SeqCst), MAX_READS);
        assert_eq!(replies.posts.len(), MAX_READS);
        assert_eq!(replies.problems.len(), 1);
        assert!(
            replies.problems[0].reason.contains("stopped after"),
            "{:?}",
            replies.problems
        );
    }
}
