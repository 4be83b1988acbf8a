//! The replies under the host's questions:
//! `GET /api/v1/statuses/:id/context`, its `descendants`.
//!
//! A hashtag timeline misses answers given as replies: people answer inside
//! a thread without repeating the hashtag, and GoToSocial leaves any reply
//! to someone else's post out of its tag timeline. The context of a status
//! lists every reply below it, at any depth, as the account sees them: the
//! server has already left out accounts the host muted or blocked (Mastodon
//! and GoToSocial both filter the context for the authenticated account).
//!
//! The context is one answer, not pages (Mastodon caps it at 4,096
//! statuses; GoToSocial sends all), so it is bounded by what we read: the
//! body is capped ([`crate::platform::MAX_BODY`]) and at most
//! [`MAX_REPLIES`] statuses are kept per question; a question whose thread
//! was cut short is named in [`Replies::problems`]. In a threaded chat each
//! question replies to the one before, so Q1's context already holds Q2's
//! replies: a question found among an earlier question's complete
//! descendants is not read again.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::client::{Api, Call};
use super::timeline::Status;
use crate::platform::{FoundPost, PostError, RemotePost, Replies, ThreadProblem};

/// The most replies kept per question.
pub const MAX_REPLIES: usize = 5_000;

/// Mastodon's own cap on descendants (`CONTEXT_LIMIT`): a context this long
/// may have been cut by the server.
pub const SERVER_CAP: usize = 4_096;

#[derive(Deserialize)]
struct Context {
    #[serde(default)]
    descendants: Vec<Status>,
}

/// Every reply below `roots` created in `[since, until)`.
pub async fn replies(
    api: &Api,
    roots: &[RemotePost],
    since: Timestamp,
    until: Timestamp,
) -> Replies {
    let mut found: HashMap<String, FoundPost> = HashMap::new();
    let mut covered: HashSet<String> = HashSet::new();
    let mut problems = Vec::new();
    for root in roots {
        if covered.contains(&root.id) {
            continue;
        }
        let descendants = match read(api, &root.id).await {
            Ok(descendants) => descendants,
            Err(err) => {
                problems.push(ThreadProblem {
                    root: root.id.clone(),
                    reason: format!("reading its context failed: {err}"),
                });
                continue;
            }
        };
        let total = descendants.len();
        let complete = total < SERVER_CAP.min(MAX_REPLIES);
        if total > MAX_REPLIES {
            problems.push(ThreadProblem {
                root: root.id.clone(),
                reason: format!("kept the first {MAX_REPLIES} of {total} replies"),
            });
        } else if !complete {
            problems.push(ThreadProblem {
                root: root.id.clone(),
                reason: format!("the instance sent {total} replies, the most it sends; later ones may be missing"),
            });
        }
        for status in descendants.into_iter().take(MAX_REPLIES) {
            if complete {
                covered.insert(status.id.clone());
            }
            let kept =
                status.reblog.is_none() && status.created_at >= since && status.created_at < until;
            if kept && !found.contains_key(&status.id) {
                found.insert(status.id.clone(), status.into_found());
            }
        }
    }
    Replies {
        posts: found.into_values().collect(),
        problems,
    }
}

/// The descendants of status `id`, as the instance sends them.
async fn read(api: &Api, id: &str) -> Result<Vec<Status>, PostError> {
    let path = format!(
        "/api/v1/statuses/{}/context",
        utf8_percent_encode(id, NON_ALPHANUMERIC)
    );
    let answer = api.send(&Call::get(&path, Vec::new())).await?;
    let context: Context = serde_json::from_slice(&answer.body).map_err(|e| {
        PostError::Transient(format!(
            "the context of status {id} was not understood: {e}"
        ))
    })?;
    Ok(context.descendants)
}
