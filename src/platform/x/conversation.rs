//! The replies under the host's questions: a recent search for
//! `conversation_id:ID`.
//!
//! A hashtag search finds only what repeats the tag; people answering
//! inside a thread rarely do. Every post of a thread on X carries the id
//! of the post that started it (`conversation_id`), and recent search
//! takes `conversation_id:` as a query. So the questions' conversation ids
//! are looked up first (`GET /2/tweets?ids=…`, one request for up to 100
//! questions), each distinct conversation is searched once (a threaded chat
//! is one conversation), and of its posts the replies below a question, at
//! any depth, are kept.
//!
//! Billed: X charges every post read (price in [`super::cost`]), so a
//! conversation is read at most [`MAX_PAGES`] pages of 100 posts; one cut
//! short is named in [`Replies::problems`]. `tweetchat plan` shows the
//! most these reads cost. Recent search reaches back seven days, as for
//! the hashtag.
//!
//! X's search does not apply the host's mutes or blocks (its answer says
//! nothing about them), so on X an account is left out of the thank-you
//! only through `thanks.exclude`.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use serde::Deserialize;

use super::client::{Api, Call};
use super::search::search_query;
use crate::platform::{FoundPost, PostError, RemotePost, Replies, ThreadProblem};

/// Pages of 100 read per conversation: at most 500 billed post reads.
pub const MAX_PAGES: usize = 5;

/// Posts read per conversation, at most.
pub const MAX_POSTS: u64 = MAX_PAGES as u64 * 100;

/// Ids per lookup request (X's most).
const LOOKUP_IDS: usize = 100;

#[derive(Deserialize)]
struct Lookup {
    #[serde(default)]
    data: Vec<Tweet>,
}

#[derive(Deserialize)]
struct Tweet {
    id: String,
    conversation_id: Option<String>,
}

/// Every reply below `roots` created in `[since, until)`.
pub async fn replies(
    api: &Api,
    roots: &[RemotePost],
    since: Timestamp,
    until: Timestamp,
) -> Replies {
    let mut problems = Vec::new();
    let conversations = match conversation_ids(api, roots).await {
        Ok(ids) => ids,
        Err(err) => {
            let reason = format!("looking up its conversation failed: {err}");
            return Replies {
                posts: Vec::new(),
                problems: roots
                    .iter()
                    .map(|r| ThreadProblem {
                        root: r.id.clone(),
                        reason: reason.clone(),
                    })
                    .collect(),
            };
        }
    };
    // Conversations in the order of their first question.
    let mut order: Vec<&str> = Vec::new();
    let mut members: HashMap<&str, Vec<&str>> = HashMap::new();
    for root in roots {
        match conversations.get(&root.id) {
            Some(conversation) => {
                if !members.contains_key(conversation.as_str()) {
                    order.push(conversation);
                }
                members.entry(conversation).or_default().push(&root.id);
            }
            None => problems.push(ThreadProblem {
                root: root.id.clone(),
                reason: "X did not find the question's post".into(),
            }),
        }
    }
    let mut found: HashMap<String, FoundPost> = HashMap::new();
    for conversation in order {
        let questions = &members[conversation];
        let query = format!("conversation_id:{conversation}");
        let (posts, complete) = match search_query(api, &query, since, until, MAX_PAGES).await {
            Ok(read) => read,
            Err(err) => {
                for root in questions {
                    problems.push(ThreadProblem {
                        root: root.to_string(),
                        reason: format!("searching its conversation failed: {err}"),
                    });
                }
                continue;
            }
        };
        if !complete {
            for root in questions {
                problems.push(ThreadProblem {
                    root: root.to_string(),
                    reason: format!(
                        "read the first {MAX_POSTS} posts of its conversation (each read is billed)"
                    ),
                });
            }
        }
        for post in below(posts, questions) {
            found.entry(post.id.clone()).or_insert(post);
        }
    }
    Replies {
        posts: found.into_values().collect(),
        problems,
    }
}

/// The posts of a conversation that reply, at any depth, to one of `roots`.
pub fn below(posts: Vec<FoundPost>, roots: &[&str]) -> Vec<FoundPost> {
    let mut children: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, post) in posts.iter().enumerate() {
        if let Some(parent) = &post.in_reply_to {
            children.entry(parent.clone()).or_default().push(i);
        }
    }
    let mut keep: HashSet<usize> = HashSet::new();
    let mut stack: Vec<&str> = roots.to_vec();
    while let Some(id) = stack.pop() {
        for &i in children.get(id).into_iter().flatten() {
            if keep.insert(i) {
                stack.push(&posts[i].id);
            }
        }
    }
    posts
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, p)| p)
        .collect()
}

/// Question post id → its conversation id.
async fn conversation_ids(
    api: &Api,
    roots: &[RemotePost],
) -> Result<HashMap<String, String>, PostError> {
    let mut ids = HashMap::new();
    for chunk in roots.chunks(LOOKUP_IDS) {
        let list: Vec<&str> = chunk.iter().map(|r| r.id.as_str()).collect();
        let query = vec![
            ("ids".to_string(), list.join(",")),
            ("tweet.fields".to_string(), "conversation_id".to_string()),
        ];
        let body = api.send(&Call::get("/2/tweets", query)).await?;
        let lookup: Lookup = serde_json::from_slice(&body).map_err(|e| {
            PostError::Transient(format!(
                "X's answer to the post lookup was not understood: {e}"
            ))
        })?;
        for tweet in lookup.data {
            let conversation = tweet.conversation_id.unwrap_or_else(|| tweet.id.clone());
            ids.insert(tweet.id, conversation);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, parent: Option<&str>) -> FoundPost {
        FoundPost {
            id: id.into(),
            author_id: "a".into(),
            author_username: "a".into(),
            author_name: None,
            text: "t".into(),
            created_at: Timestamp::UNIX_EPOCH,
            in_reply_to: parent.map(str::to_owned),
            url: None,
            is_repost: false,
        }
    }

    #[test]
    fn only_replies_below_the_questions_are_kept() {
        let posts = vec![
            post("c", Some("b")),
            post("welcome-reply", Some("welcome")),
            post("b", Some("q2")),
            post("q2", Some("q1")),
            post("d", Some("c")),
            post("other", Some("q9")),
        ];
        let mut kept: Vec<String> = below(posts, &["q2"]).into_iter().map(|p| p.id).collect();
        kept.sort();
        assert_eq!(kept, ["b", "c", "d"]);
    }
}
