//! A fake X API v2 for the benchmarks and the kill -9 soak (not for tests:
//! those use `tests/support/fake_x.rs`, which verifies signatures), and the
//! few Mastodon calls the replica soak needs (below).
//!
//! It answers what `tweetchat run` and the peer bot need (`GET /2/users/me`,
//! `POST /2/tweets`, `GET /2/users/:id/tweets` for reconciling after a
//! restart), tells accounts apart by the `oauth_token` of their OAuth 1.0a
//! header without checking the signature, accepts every post (duplicates
//! too, so the soak can count them), and appends one JSON line per accepted
//! post to the log the moment it arrives:
//! `{"arrived_ns": …, "account": "…", "text": "…", "id": "…"}`.
//! `arrived_ns` is the wall clock (Unix nanoseconds) when the request was
//! read, which the harness compares with each slot's instant.
//!
//! ```text
//! cargo run --release --example fake_platform -- --log posts.jsonl --addr-file addr
//! ```
//! It listens on 127.0.0.1 (port 0 unless `--port`), writes `127.0.0.1:PORT`
//! to `--addr-file` once it is listening, and runs until killed.
//!
//! Mastodon (`benches/soak.sh --replicas`): `verify_credentials`,
//! `/api/v2/instance`, `POST /api/v1/statuses` and an account's statuses,
//! accounts told apart by their Bearer token. A create with an
//! `Idempotency-Key` the account used within the hour answers the status
//! it made and logs nothing, as Mastodon does; like Mastodon
//! (`PostStatusService`: look the key up, create, then store it), two
//! requests with one key at the same moment both create, and both are
//! logged, with `"platform": "mastodon"`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

/// One accepted post.
struct Post {
    id: u64,
    text: String,
    created_at: jiff::Timestamp,
}

struct Fake {
    log: Mutex<File>,
    /// Posts by account (the `oauth_token`, or the Mastodon Bearer token),
    /// oldest first.
    posts: Mutex<HashMap<String, Vec<Post>>>,
    next_id: Mutex<u64>,
    /// Mastodon's idempotency keys: (token, key) → (status id, when).
    idempotency: Mutex<HashMap<(String, String), (u64, jiff::Timestamp)>>,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut log, mut addr_file, mut port) = (None, None, 0u16);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--log" => log = Some(value()?),
            "--addr-file" => addr_file = Some(value()?),
            "--port" => port = value()?.parse().context("--port takes a number")?,
            other => bail!("unknown argument {other}; expected --log, --addr-file, --port"),
        }
    }
    let log = log.context("--log FILE is required")?;
    let fake = Arc::new(Fake {
        log: Mutex::new(OpenOptions::new().create(true).append(true).open(&log)?),
        posts: Mutex::new(HashMap::new()),
        next_id: Mutex::new(1_900_000_000_000_000_000),
        idempotency: Mutex::new(HashMap::new()),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?.to_string();
        if let Some(path) = addr_file {
            // Written whole, then renamed, so a reader never sees half.
            std::fs::write(format!("{path}.tmp"), &addr)?;
            std::fs::rename(format!("{path}.tmp"), &path)?;
        }
        eprintln!("fake platform listening on {addr}, logging posts to {log}");
        let app = Router::new().fallback(handle).with_state(fake);
        axum::serve(listener, app).await?;
        anyhow::Ok(())
    })
}

async fn handle(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let arrived = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let account = oauth_token(&headers).unwrap_or_else(|| "anonymous".into());
    let parts: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["2", "users", "me"]) => reply(
            200,
            json!({"data": {"id": account, "username": account, "name": account}}),
        ),
        ("POST", ["2", "tweets"]) => create(&fake, &account, &body, arrived),
        ("GET", ["2", "users", user, "tweets"]) => timeline(&fake, user, uri.query()),
        ("GET", ["api", "v2", "instance"]) => reply(
            200,
            json!({"domain": "127.0.0.1", "version": "4.3.0",
                   "source_url": "https://github.com/mastodon/mastodon",
                   "configuration": {"statuses": {"max_characters": 500,
                                                  "characters_reserved_per_url": 23}}}),
        ),
        ("GET", ["api", "v1", "accounts", "verify_credentials"]) => {
            let me = bearer(&headers);
            reply(200, json!({"id": me, "acct": me, "display_name": me}))
        }
        ("POST", ["api", "v1", "statuses"]) => {
            mastodon_create(&fake, &bearer(&headers), &headers, &body, arrived)
        }
        ("GET", ["api", "v1", "accounts", user, "statuses"]) => mastodon_statuses(&fake, user),
        _ => reply(404, json!({"title": "Not Found Error", "status": 404})),
    }
}

fn create(fake: &Fake, account: &str, body: &[u8], arrived: u128) -> Response {
    let text = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["text"].as_str().map(str::to_string));
    let Some(text) = text else {
        return reply(400, json!({"title": "Invalid Request", "status": 400}));
    };
    let id = {
        let mut next = fake.next_id.lock().unwrap();
        *next += 1;
        *next
    };
    let line = json!({"arrived_ns": arrived.to_string(), "account": account, "text": text, "id": id.to_string()});
    {
        let mut log = fake.log.lock().unwrap();
        // One write per line: a reader never sees a torn line.
        let _ = log.write_all(format!("{line}\n").as_bytes());
    }
    let answer = json!({"data": {"id": id.to_string(), "text": text}});
    fake.posts
        .lock()
        .unwrap()
        .entry(account.to_string())
        .or_default()
        .push(Post {
            id,
            text,
            created_at: jiff::Timestamp::now(),
        });
    reply(201, answer)
}

/// The account's posts since `start_time`, newest first, one page.
fn timeline(fake: &Fake, user: &str, query: Option<&str>) -> Response {
    let since = query
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "start_time")
        .and_then(|(_, v)| v.replace("%3A", ":").parse::<jiff::Timestamp>().ok());
    let posts = fake.posts.lock().unwrap();
    let data: Vec<Value> = posts
        .get(user)
        .into_iter()
        .flatten()
        .rev()
        .filter(|p| since.is_none_or(|s| p.created_at >= s))
        .map(|p| json!({"id": p.id.to_string(), "text": p.text, "created_at": p.created_at.to_string()}))
        .collect();
    reply(
        200,
        json!({"data": data, "meta": {"result_count": data.len()}}),
    )
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("anonymous")
        .to_string()
}

/// `POST /api/v1/statuses`, with Mastodon's `Idempotency-Key`: a key the
/// account used in the last hour answers the status it made.
fn mastodon_create(
    fake: &Fake,
    account: &str,
    headers: &HeaderMap,
    body: &[u8],
    arrived: u128,
) -> Response {
    let text = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string));
    let Some(text) = text else {
        return reply(
            422,
            json!({"error": "Validation failed: Text can't be blank"}),
        );
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| (account.to_string(), k.to_string()));
    let now = jiff::Timestamp::now();
    // Looked up, then (after the create) stored, in two steps as Mastodon
    // does: a second request with the same key meanwhile creates again.
    let known = key.as_ref().and_then(|k| {
        let keys = fake.idempotency.lock().unwrap();
        keys.get(k)
            .filter(|(_, at)| now.duration_since(*at) < jiff::SignedDuration::from_hours(1))
            .map(|(id, _)| *id)
    });
    if let Some(id) = known {
        let posts = fake.posts.lock().unwrap();
        if let Some(post) = posts
            .get(account)
            .into_iter()
            .flatten()
            .find(|p| p.id == id)
        {
            return reply(200, mastodon_status(account, post));
        }
    }
    let id = {
        let mut next = fake.next_id.lock().unwrap();
        *next += 1;
        *next
    };
    let line = json!({"arrived_ns": arrived.to_string(), "account": account, "text": text,
                      "id": id.to_string(), "platform": "mastodon"});
    {
        let mut log = fake.log.lock().unwrap();
        let _ = log.write_all(format!("{line}\n").as_bytes());
    }
    let post = Post {
        id,
        text,
        created_at: now,
    };
    let answer = mastodon_status(account, &post);
    fake.posts
        .lock()
        .unwrap()
        .entry(account.to_string())
        .or_default()
        .push(post);
    if let Some(key) = key {
        fake.idempotency.lock().unwrap().insert(key, (id, now));
    }
    reply(200, answer)
}

/// The account's statuses, newest first, in one page (no `Link` header).
fn mastodon_statuses(fake: &Fake, user: &str) -> Response {
    let posts = fake.posts.lock().unwrap();
    let statuses: Vec<Value> = posts
        .get(user)
        .into_iter()
        .flatten()
        .rev()
        .map(|p| mastodon_status(user, p))
        .collect();
    reply(200, Value::Array(statuses))
}

/// A status as Mastodon renders it: the text as an HTML paragraph.
fn mastodon_status(account: &str, post: &Post) -> Value {
    let html = post
        .text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    json!({
        "id": post.id.to_string(),
        "created_at": post.created_at.to_string(),
        "in_reply_to_id": null,
        "content": format!("<p>{html}</p>"),
        "url": format!("http://127.0.0.1/@{account}/{}", post.id),
        "uri": format!("http://127.0.0.1/users/{account}/statuses/{}", post.id),
        "account": {"id": account, "acct": account, "display_name": account},
        "reblog": null,
    })
}

/// The `oauth_token` parameter of an `Authorization: OAuth …` header.
fn oauth_token(headers: &HeaderMap) -> Option<String> {
    let header = headers.get("authorization")?.to_str().ok()?;
    let params = header.strip_prefix("OAuth ")?;
    params.split(',').find_map(|param| {
        let (key, value) = param.trim().split_once('=')?;
        (key == "oauth_token").then(|| value.trim_matches('"').to_string())
    })
}

fn reply(status: u16, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}
