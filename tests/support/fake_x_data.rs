//! The fake X's data endpoints: create a tweet, read a user's timeline, and
//! recent search, each answering in X's JSON shapes with X's quirks.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::fake_x::FakeState;

/// An account on the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    pub id: String,
    pub username: String,
    pub name: String,
}

impl FakeUser {
    pub fn new(id: &str, username: &str, name: &str) -> Self {
        Self {
            id: id.into(),
            username: username.into(),
            name: name.into(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "username": self.username, "name": self.name})
    }
}

/// A tweet the fake accepted from the client.
#[derive(Debug, Clone)]
pub struct Tweet {
    pub id: String,
    /// The text as sent.
    pub sent_text: String,
    /// The text as X stores it (entities escaped, links on t.co).
    pub text: String,
    pub reply_to: Option<String>,
    pub created_at: Timestamp,
    /// The request body as received.
    pub body: Value,
}

/// A post search can find (someone else's, or noise).
#[derive(Debug, Clone)]
pub struct SearchPost {
    pub id: String,
    pub author: FakeUser,
    pub text: String,
    pub created_at: Timestamp,
    /// `(type, id)`: `replied_to`, `retweeted`, `quoted`.
    pub referenced: Vec<(String, String)>,
}

impl SearchPost {
    pub fn new(id: u64, author: &FakeUser, text: &str, created_at: Timestamp) -> Self {
        Self {
            id: id.to_string(),
            author: author.clone(),
            text: text.into(),
            created_at,
            referenced: Vec::new(),
        }
    }

    pub fn referencing(mut self, kind: &str, id: &str) -> Self {
        self.referenced.push((kind.into(), id.into()));
        self
    }
}

/// Where `../shared/peers` is from this crate (worktrees sit one level deeper).
fn peers_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("TWEETCHAT_PEERS_DIR") {
        return Some(PathBuf::from(dir));
    }
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [
        here.join("../shared/peers"),
        here.join("../../shared/peers"),
    ]
    .into_iter()
    .find(|p| p.join("x-api-v2-openapi.json").is_file())
}

/// TweetCreateRequest from the X OpenAPI spec, `$ref`s resolved against the
/// spec's components; `None` (with a notice) when the spec is absent.
pub fn tweet_create_schema() -> Option<jsonschema::Validator> {
    let Some(dir) = peers_dir() else {
        super::skip::partial(
            "x-api-v2-openapi.json not found (../shared/peers): the fake X did not check request bodies against it",
        );
        return None;
    };
    let text = std::fs::read_to_string(dir.join("x-api-v2-openapi.json")).ok()?;
    let spec: Value = serde_json::from_str(&text).ok()?;
    let schema = json!({
        "$ref": "#/components/schemas/TweetCreateRequest",
        "components": spec["components"],
    });
    Some(jsonschema::validator_for(&schema).expect("TweetCreateRequest compiles"))
}

fn invalid_request(messages: Vec<String>) -> (u16, Value) {
    let errors: Vec<Value> = messages.iter().map(|m| json!({"message": m})).collect();
    (
        400,
        json!({"errors": errors, "title": "Invalid Request",
               "detail": "One or more parameters to your request was invalid.",
               "type": "https://api.twitter.com/2/problems/invalid-request"}),
    )
}

/// X's stored form of a text: `&<>` as entities, every link on t.co.
fn as_x_stores(text: &str, seed: u64) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let mut n = seed;
    escaped
        .split(' ')
        .map(|word| {
            if word.starts_with("http://") || word.starts_with("https://") {
                n += 1;
                format!("https://t.co/{:010}", n % 10_000_000_000)
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `POST /2/tweets`.
pub fn create_tweet(
    state: &mut FakeState,
    schema: Option<&jsonschema::Validator>,
    body: &[u8],
    now: Timestamp,
) -> (u16, Value) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return invalid_request(vec!["the request body is not JSON".into()]);
    };
    if let Some(schema) = schema {
        state.schema_checks += 1;
        let errors: Vec<String> = schema.iter_errors(&value).map(|e| e.to_string()).collect();
        if !errors.is_empty() {
            return invalid_request(errors);
        }
    }
    let Some(text) = value["text"].as_str() else {
        return invalid_request(vec!["`text` is required without media".into()]);
    };
    *state.creates.entry(text.to_string()).or_default() += 1;
    if state.tweets.iter().any(|t| t.sent_text == text) {
        return (
            403,
            json!({"detail": "You are not allowed to create a Tweet with duplicate content.",
                   "type": "about:blank", "title": "Forbidden", "status": 403}),
        );
    }
    let id = state.next_id().to_string();
    let stored = as_x_stores(text, state.tweets.len() as u64 * 7);
    state.tweets.push(Tweet {
        id: id.clone(),
        sent_text: text.to_string(),
        text: stored.clone(),
        reply_to: value["reply"]["in_reply_to_tweet_id"]
            .as_str()
            .map(str::to_string),
        created_at: now,
        body: value.clone(),
    });
    (
        201,
        json!({"data": {"id": id, "text": stored, "edit_history_tweet_ids": [id]}}),
    )
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn x_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// `(offset, page size)` from `max_results` and a `next_token`-style cursor.
fn paging(
    query: &[(String, String)],
    cursor: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<(usize, usize), (u16, Value)> {
    let size: usize = param(query, "max_results")
        .unwrap_or("10")
        .parse()
        .unwrap_or(0);
    if !range.contains(&size) {
        return Err(invalid_request(vec![format!(
            "The `max_results` query parameter value [{size}] is not between {} and {}",
            range.start(),
            range.end()
        )]));
    }
    let offset = match param(query, cursor) {
        Some(t) => t
            .strip_prefix("page")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| invalid_request(vec![format!("bad {cursor}")]))?,
        None => 0,
    };
    Ok((offset, size))
}

fn page_meta(ids: &[&str], offset: usize, size: usize, total: usize) -> Value {
    let mut meta = json!({"result_count": ids.len()});
    if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
        meta["newest_id"] = json!(first);
        meta["oldest_id"] = json!(last);
    }
    if offset + size < total {
        meta["next_token"] = json!(format!("page{}", offset + size));
    }
    meta
}

/// `GET /2/users/:id/tweets`: newest first, `start_time`, `end_time`,
/// `pagination_token`.
pub fn user_tweets(
    state: &FakeState,
    user: &FakeUser,
    path: &str,
    query: &[(String, String)],
) -> (u16, Value) {
    if path.trim_matches('/').split('/').nth(2) != Some(user.id.as_str()) {
        return invalid_request(vec!["The fake knows only its own user".into()]);
    }
    let (offset, size) = match paging(query, "pagination_token", 5..=100) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let start: Option<Timestamp> = param(query, "start_time").and_then(|s| s.parse().ok());
    let end: Option<Timestamp> = param(query, "end_time").and_then(|s| s.parse().ok());
    let mut tweets: Vec<&Tweet> = state
        .tweets
        .iter()
        .filter(|t| start.is_none_or(|s| t.created_at >= s))
        .filter(|t| end.is_none_or(|e| t.created_at <= e))
        .collect();
    tweets.reverse();
    let page: Vec<&Tweet> = tweets.iter().skip(offset).take(size).copied().collect();
    let ids: Vec<&str> = page.iter().map(|t| t.id.as_str()).collect();
    let mut answer = json!({"meta": page_meta(&ids, offset, size, tweets.len())});
    if !page.is_empty() {
        answer["data"] = page
            .iter()
            .map(|t| json!({"id": t.id, "text": t.text, "created_at": x_time(t.created_at), "edit_history_tweet_ids": [t.id]}))
            .collect();
    }
    (200, answer)
}

fn has_hashtag(text: &str, tag: &str) -> bool {
    let lower = text.to_lowercase();
    let tag = tag.to_lowercase();
    lower.match_indices(&tag).any(|(i, _)| {
        lower[i + tag.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// Every post the fake knows: others' (seeded) and the account's own.
fn all_posts(state: &FakeState, user: &FakeUser) -> Vec<SearchPost> {
    let own = state.tweets.iter().map(|t| SearchPost {
        id: t.id.clone(),
        author: user.clone(),
        text: t.text.clone(),
        created_at: t.created_at,
        referenced: t
            .reply_to
            .iter()
            .map(|r| ("replied_to".to_string(), r.clone()))
            .collect(),
    });
    state.search_posts.iter().cloned().chain(own).collect()
}

/// The id of the post at the top of `id`'s reply chain (X's
/// `conversation_id`), through the posts the fake knows.
fn conversation_of(all: &[SearchPost], id: &str) -> String {
    let mut current = id.to_string();
    for _ in 0..all.len() + 1 {
        let parent = all.iter().find(|p| p.id == current).and_then(|p| {
            p.referenced
                .iter()
                .find(|(kind, _)| kind == "replied_to")
                .map(|(_, id)| id.clone())
        });
        match parent {
            Some(parent) => current = parent,
            None => break,
        }
    }
    current
}

/// `GET /2/search/recent`'s query as the fake reads it: a `#hashtag`, or
/// `conversation_id:ID`.
enum Query<'a> {
    Tag(&'a str),
    Conversation(&'a str),
}

/// `GET /2/tweets/search/recent`: a hashtag or a conversation in `query`,
/// a 7-day window, newest first, `next_token`, `includes.users`.
pub fn search(
    state: &FakeState,
    user: &FakeUser,
    query: &[(String, String)],
    now: Timestamp,
) -> (u16, Value) {
    let words = param(query, "query").unwrap_or_default();
    let wanted = words
        .split_whitespace()
        .find_map(|w| w.strip_prefix("conversation_id:").map(Query::Conversation))
        .or_else(|| {
            words
                .split_whitespace()
                .find(|w| w.starts_with('#'))
                .map(Query::Tag)
        });
    let Some(wanted) = wanted else {
        return invalid_request(vec![
            "query must carry a #hashtag or conversation_id:ID on this fake".into(),
        ]);
    };
    if let Query::Conversation(id) = wanted {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
            return invalid_request(vec![format!("conversation_id:{id} is not a post id")]);
        }
    }
    let (start, end) = match search_window(query, now) {
        Ok(w) => w,
        Err(e) => return e,
    };
    let (offset, size) = match paging(query, "next_token", 10..=100) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let all = all_posts(state, user);
    let matches = |p: &SearchPost| match wanted {
        Query::Tag(tag) => has_hashtag(&p.text, tag),
        Query::Conversation(id) => p.id != id && conversation_of(&all, &p.id) == id,
    };
    let mut hits: Vec<SearchPost> = all
        .iter()
        .filter(|p| matches(p) && p.created_at >= start && p.created_at < end)
        .cloned()
        .collect();
    hits.sort_by(|a, b| (b.created_at, b.id.len(), &b.id).cmp(&(a.created_at, a.id.len(), &a.id)));
    let page: Vec<&SearchPost> = hits.iter().skip(offset).take(size).collect();
    let ids: Vec<&str> = page.iter().map(|p| p.id.as_str()).collect();
    let mut answer = json!({"meta": page_meta(&ids, offset, size, hits.len())});
    if !page.is_empty() {
        answer["data"] = page.iter().map(|p| search_json(p, &all)).collect();
        let mut users: Vec<Value> = Vec::new();
        for p in &page {
            let u = p.author.to_json();
            if !users.contains(&u) {
                users.push(u);
            }
        }
        answer["includes"] = json!({"users": users});
    }
    (200, answer)
}

/// `GET /2/tweets?ids=…`: the posts found, and an error for each id not
/// found, as X answers; `tweet.fields` checked against the spec's names.
pub fn lookup(state: &FakeState, user: &FakeUser, query: &[(String, String)]) -> (u16, Value) {
    let ids: Vec<&str> = param(query, "ids")
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .collect();
    if ids.is_empty() || ids.len() > 100 {
        return invalid_request(vec![format!(
            "The `ids` query parameter holds {} ids, expected 1 to 100",
            ids.len()
        )]);
    }
    let fields: Vec<&str> = param(query, "tweet.fields")
        .unwrap_or_default()
        .split(',')
        .filter(|f| !f.is_empty())
        .collect();
    if let Some(known) = tweet_fields() {
        if let Some(bad) = fields.iter().find(|f| !known.iter().any(|k| k == *f)) {
            return invalid_request(vec![format!("unknown tweet.fields value `{bad}`")]);
        }
    }
    let all = all_posts(state, user);
    let mut data = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        match all.iter().find(|p| p.id == id) {
            Some(p) => {
                let mut v = json!({"id": p.id, "text": p.text, "edit_history_tweet_ids": [p.id]});
                if fields.contains(&"conversation_id") {
                    v["conversation_id"] = json!(conversation_of(&all, &p.id));
                }
                data.push(v);
            }
            None => errors.push(json!({
                "value": id, "detail": format!("Could not find tweet with ids: [{id}]."),
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                "resource_id": id, "type": "https://api.twitter.com/2/problems/resource-not-found"
            })),
        }
    }
    let mut answer = json!({});
    if !data.is_empty() {
        answer["data"] = Value::Array(data);
    }
    if !errors.is_empty() {
        answer["errors"] = Value::Array(errors);
    }
    (200, answer)
}

/// The `tweet.fields` names `GET /2/tweets` takes, from the OpenAPI spec.
fn tweet_fields() -> Option<Vec<String>> {
    let spec: Value =
        serde_json::from_slice(&std::fs::read(peers_dir()?.join("x-api-v2-openapi.json")).ok()?)
            .ok()?;
    let params = spec["paths"]["/2/tweets"]["get"]["parameters"].as_array()?;
    params.iter().find_map(|p| {
        let p = match p["$ref"].as_str() {
            Some(r) => &spec["components"]["parameters"][r.rsplit('/').next()?],
            None => p,
        };
        (p["name"] == "tweet.fields").then(|| {
            p["schema"]["items"]["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
    })
}

/// `start_time`/`end_time` checked as X checks them.
fn search_window(
    query: &[(String, String)],
    now: Timestamp,
) -> Result<(Timestamp, Timestamp), (u16, Value)> {
    let week_ago = now - SignedDuration::from_hours(7 * 24);
    let start: Timestamp = match param(query, "start_time").map(str::parse) {
        Some(Ok(t)) => t,
        _ => week_ago,
    };
    let end: Timestamp = match param(query, "end_time").map(str::parse) {
        Some(Ok(t)) => t,
        _ => now - SignedDuration::from_secs(30),
    };
    if start < week_ago {
        return Err(invalid_request(vec![format!(
            "Invalid 'start_time':'{}'. 'start_time' must be on or after {}",
            x_time(start),
            x_time(week_ago)
        )]));
    }
    if end > now - SignedDuration::from_secs(10) {
        return Err(invalid_request(vec![format!(
            "Invalid 'end_time':'{}'. 'end_time' must be a minimum of 10 seconds prior to the request time.",
            x_time(end)
        )]));
    }
    Ok((start, end))
}

fn search_json(p: &SearchPost, all: &[SearchPost]) -> Value {
    let mut v = json!({
        "id": p.id, "text": p.text, "author_id": p.author.id,
        "created_at": x_time(p.created_at), "conversation_id": conversation_of(all, &p.id),
        "edit_history_tweet_ids": [p.id],
    });
    if !p.referenced.is_empty() {
        v["referenced_tweets"] = p
            .referenced
            .iter()
            .map(|(kind, id)| json!({"type": kind, "id": id}))
            .collect();
    }
    v
}
