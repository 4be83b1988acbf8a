//! A fake Mastodon API on 127.0.0.1 for tests of the adapter and the daemon.
//!
//! It checks what a server checks (the Bearer token; every request against
//! the Mastodon OpenAPI schema via [`Spec`], when `../shared` is there; the
//! instance's character limit, answered with Mastodon's own 422 text), and
//! behaves like one of two real servers where exactly-once depends on it:
//!
//! - [`Kind::Mastodon`] keeps an `Idempotency-Key` for an hour and answers a
//!   repeat with the status it already made;
//! - [`Kind::GoToSocial`] ignores the header, so a repeat is a second post;
//!   it counts every character as written (links and remote mentions in
//!   full) whatever `characters_reserved_per_url` it announces; and its
//!   next-page links name its own host (`gts.test` unless told otherwise,
//!   the `domain` it reports), not the address it was reached on; and its
//!   tag timeline leaves out boosts and every reply whose chain up to the
//!   top has another author's post in it (GoToSocial's
//!   `StatusPublicTimelineable`: "not a single author reply-chain-thread,
//!   instead is an actual conversation. Don't timeline").
//!
//! `GET /api/v1/statuses/:id/context` answers the status's ancestors and
//! descendants (every reply below it, at any depth, in id order).
//! Accounts the host muted or blocked ([`FakeMastodon::hide`]) are left out
//! of tag timelines and contexts, as both servers filter them for the
//! authenticated account.
//!
//! Timelines come newest first, `limit` at most 40, with `Link` headers for
//! the next and previous pages; every answer carries `X-RateLimit-*`.
//! Statuses come back as HTML, with mentions and hashtags wrapped in links
//! as Mastodon renders them. Faults are scripted per route.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tweetchat::settings::{AccountSettings, Secret};
use tweetchat::text::PlatformKind;

use super::fake_mastodon_spec::Spec;

/// The token the fake accepts.
pub const TOKEN: &str = "fake-mastodon-token";

/// Which server the fake behaves like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Mastodon,
    GoToSocial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Create,
    VerifyCredentials,
    Instance,
    TagTimeline,
    AccountStatuses,
    Context,
}

/// A scripted answer, used once by the next request to its route.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status with `{"error": "…"}`.
    Status(u16),
    /// 422 with this error text.
    Unprocessable(String),
    /// 429 with `X-RateLimit-Reset` this far ahead.
    RateLimited(Duration),
    /// Make the status, then never answer (the client times out or dies).
    AcceptThenHang,
    /// Answer an empty page (a server that has not indexed the post yet).
    Empty,
}

/// Someone on the fake's timelines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: String,
    /// `user` for local people, `user@domain` for remote ones.
    pub acct: String,
    pub display_name: String,
}

impl Person {
    pub fn new(id: &str, acct: &str) -> Person {
        Person {
            id: id.into(),
            acct: acct.into(),
            display_name: acct.split('@').next().unwrap_or(acct).to_string(),
        }
    }
}

/// A status the fake holds.
#[derive(Debug, Clone)]
pub struct FakeStatus {
    pub id: u64,
    pub text: String,
    pub author: Person,
    pub created_at: Timestamp,
    pub in_reply_to_id: Option<String>,
    pub visibility: String,
    pub language: Option<String>,
    /// A boost of another status.
    pub boost: bool,
}

#[derive(Default)]
pub struct FakeState {
    pub statuses: Vec<FakeStatus>,
    pub faults: HashMap<Route, VecDeque<Fault>>,
    /// `(route, idempotency key)` of every create request that got past
    /// auth and faults, in order.
    pub creates: Vec<Option<String>>,
    /// Everything the schema found wrong with requests (must stay empty).
    pub spec_problems: Vec<String>,
    /// Requests checked against the schema.
    pub spec_checks: usize,
    /// `(method, path?query)` of every request.
    pub requests: Vec<(String, String)>,
    /// Account ids the host muted or blocked.
    pub hidden: Vec<String>,
    /// The token was revoked ([`FakeMastodon::revoke`]): every request
    /// with it is answered 401, as Mastodon answers.
    pub revoked: bool,
    keys: HashMap<String, (u64, Timestamp)>,
    next_id: u64,
    remaining: u64,
}

struct Shared {
    kind: Kind,
    /// The host name it reports as `domain` (and, as GoToSocial, builds
    /// next-page links on).
    domain: String,
    /// What it announces and enforces; an administrator may change it while
    /// it runs ([`FakeMastodon::set_max_characters`]).
    max_characters: std::sync::atomic::AtomicUsize,
    /// `characters_reserved_per_url`.
    url_length: usize,
    me: Person,
    state: Mutex<FakeState>,
    spec: Option<Spec>,
}

impl Shared {
    fn max_characters(&self) -> usize {
        self.max_characters
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A running fake Mastodon.
pub struct FakeMastodon {
    /// `http://127.0.0.1:PORT`, to use as `api_base`.
    pub base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeMastodon {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeMastodon {
    pub async fn start(kind: Kind) -> FakeMastodon {
        Self::start_with(kind, 500).await
    }

    pub async fn start_with(kind: Kind, max_characters: usize) -> FakeMastodon {
        Self::start_with_limits(kind, max_characters, 23).await
    }

    /// An instance announcing `max_characters` and counting every URL as
    /// `url_length`.
    pub async fn start_with_limits(
        kind: Kind,
        max_characters: usize,
        url_length: usize,
    ) -> FakeMastodon {
        let domain = match kind {
            Kind::Mastodon => "mastodon.test",
            Kind::GoToSocial => "gts.test",
        };
        Self::start_named(kind, max_characters, url_length, domain).await
    }

    /// As [`FakeMastodon::start_with_limits`], calling itself `domain`.
    pub async fn start_named(
        kind: Kind,
        max_characters: usize,
        url_length: usize,
        domain: &str,
    ) -> FakeMastodon {
        let shared = Arc::new(Shared {
            kind,
            domain: domain.into(),
            max_characters: max_characters.into(),
            url_length,
            me: Person::new("109000000000000001", "hcsm"),
            state: Mutex::new(FakeState {
                next_id: 110_000_000_000_000_000,
                remaining: 300,
                ..FakeState::default()
            }),
            spec: Spec::load(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeMastodon { base, shared, task }
    }

    pub fn push_fault(&self, route: Route, fault: Fault) {
        self.state()
            .faults
            .entry(route)
            .or_default()
            .push_back(fault);
    }

    pub fn push_faults(&self, route: Route, fault: Fault, n: usize) {
        for _ in 0..n {
            self.push_fault(route, fault.clone());
        }
    }

    /// Adds other people's statuses (or boosts) to the timelines.
    pub fn seed(&self, author: &Person, text: &str, created_at: Timestamp, boost: bool) -> u64 {
        let mut state = self.state();
        let id = state.fresh_id();
        state.statuses.push(FakeStatus {
            id,
            text: text.into(),
            author: author.clone(),
            created_at,
            in_reply_to_id: None,
            visibility: "public".into(),
            language: None,
            boost,
        });
        id
    }

    /// Adds someone's reply to status `parent`.
    pub fn seed_reply(
        &self,
        author: &Person,
        text: &str,
        created_at: Timestamp,
        parent: u64,
    ) -> u64 {
        let id = self.seed(author, text, created_at, false);
        let mut state = self.state();
        if let Some(s) = state.statuses.iter_mut().find(|s| s.id == id) {
            s.in_reply_to_id = Some(parent.to_string());
        }
        id
    }

    /// The host mutes or blocks `person`: left out of what the host reads.
    pub fn hide(&self, person: &Person) {
        self.state().hidden.push(person.id.clone());
    }

    /// The host account's own statuses, oldest first.
    /// What the instance announces and enforces from now on, as an
    /// administrator changing `MAX_TOOT_CHARS` (or GoToSocial's
    /// `statuses-max-chars`) and restarting it would.
    /// Revokes [`TOKEN`] (the owner did, in the instance's settings).
    pub fn revoke(&self) {
        self.state().revoked = true;
    }

    pub fn set_max_characters(&self, max_characters: usize) {
        self.shared
            .max_characters
            .store(max_characters, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn posts(&self) -> Vec<FakeStatus> {
        let me = &self.shared.me;
        self.state()
            .statuses
            .iter()
            .filter(|s| s.author == *me)
            .cloned()
            .collect()
    }

    pub fn me(&self) -> &Person {
        &self.shared.me
    }

    pub fn has_spec(&self) -> bool {
        self.shared.spec.is_some()
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.shared.state.lock().unwrap()
    }

    /// Settings of an account pointing at this fake.
    pub fn settings(&self, name: &str) -> AccountSettings {
        AccountSettings {
            name: name.into(),
            platform: PlatformKind::Mastodon,
            api_base: Some(self.base.clone()),
            handle: None,
            client_id: None,
            secrets: [("access_token".to_string(), Secret::new(TOKEN))]
                .into_iter()
                .collect(),
            timeout: Duration::from_secs(5),
        }
    }
}

impl FakeState {
    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

fn route_of(method: &Method, path: &str) -> Option<Route> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("POST", ["api", "v1", "statuses"]) => Some(Route::Create),
        ("GET", ["api", "v1", "accounts", "verify_credentials"]) => Some(Route::VerifyCredentials),
        ("GET", ["api", "v2", "instance"]) => Some(Route::Instance),
        ("GET", ["api", "v1", "timelines", "tag", _]) => Some(Route::TagTimeline),
        ("GET", ["api", "v1", "accounts", _, "statuses"]) => Some(Route::AccountStatuses),
        ("GET", ["api", "v1", "statuses", _, "context"]) => Some(Route::Context),
        _ => None,
    }
}

fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| url_pairs(q).into_iter().collect::<Vec<(String, String)>>())
        .unwrap_or_default()
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let query = query_pairs(&uri);
    let json_body: Option<Value> = serde_json::from_slice(&body).ok();
    let fault = {
        let mut state = shared.state.lock().unwrap();
        state.requests.push((method.to_string(), uri.to_string()));
        if let Some(spec) = &shared.spec {
            state.spec_checks += 1;
            let problems = spec.check_request(method.as_str(), &path, &query, json_body.as_ref());
            state.spec_problems.extend(problems);
        }
        route_of(&method, &path)
            .and_then(|r| state.faults.get_mut(&r).and_then(VecDeque::pop_front))
    };
    let Some(route) = route_of(&method, &path) else {
        return error(&shared, 404, "Record not found");
    };
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"));
    if !authorized && route != Route::Instance {
        return error(&shared, 401, "The access token is invalid");
    }
    if shared.state.lock().unwrap().revoked && route != Route::Instance {
        return error(&shared, 401, "The access token was revoked");
    }
    match fault {
        Some(Fault::Status(code)) => return error(&shared, code, "Something went wrong"),
        Some(Fault::Unprocessable(text)) => return error(&shared, 422, &text),
        Some(Fault::RateLimited(wait)) => {
            let reset = Timestamp::now() + SignedDuration::try_from(wait).unwrap();
            return respond(
                &shared,
                429,
                &json!({"error": "Too many requests"}),
                &[("x-ratelimit-reset", reset.to_string())],
            );
        }
        _ => {}
    }
    let now = Timestamp::now();
    match route {
        Route::Create => {
            let answer = create(&shared, &headers, json_body.as_ref(), now);
            if matches!(fault, Some(Fault::AcceptThenHang)) {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            answer
        }
        Route::VerifyCredentials => respond(&shared, 200, &account_json(&shared.me), &[]),
        Route::Instance => respond(
            &shared,
            200,
            &json!({
                "domain": shared.domain,
                "title": "Fake Mastodon",
                "version": match shared.kind {
                    Kind::Mastodon => "4.3.0",
                    Kind::GoToSocial => "0.17.3+git-5b1fa1e",
                },
                "source_url": match shared.kind {
                    Kind::Mastodon => "https://github.com/mastodon/mastodon",
                    Kind::GoToSocial => "https://codeberg.org/superseriousbusiness/gotosocial",
                },
                "configuration": {"statuses": {
                    "max_characters": shared.max_characters(),
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": shared.url_length
                }}
            }),
            &[],
        ),
        Route::Context => context(&shared, &path),
        Route::TagTimeline | Route::AccountStatuses => {
            if matches!(fault, Some(Fault::Empty)) {
                return respond(&shared, 200, &json!([]), &[]);
            }
            // GoToSocial builds links from its configured host name.
            let base = match shared.kind {
                Kind::Mastodon => {
                    let host = headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or("127.0.0.1");
                    format!("http://{host}")
                }
                Kind::GoToSocial => format!("https://{}", shared.domain),
            };
            timeline(&shared, route, &uri, &query, &base)
        }
    }
}

fn create(shared: &Shared, headers: &HeaderMap, body: Option<&Value>, now: Timestamp) -> Response {
    let Some(body) = body else {
        return error(shared, 422, "Validation failed: Text can't be blank");
    };
    let text = body["status"].as_str().unwrap_or_default().to_string();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut state = shared.state.lock().unwrap();
    state.creates.push(key.clone());
    if shared.kind == Kind::Mastodon {
        if let Some((id, at)) = key.as_ref().and_then(|k| state.keys.get(k)).copied() {
            if now.duration_since(at) < SignedDuration::from_hours(1) {
                let status = state.statuses.iter().find(|s| s.id == id).cloned().unwrap();
                drop(state);
                return respond(shared, 200, &status_json(shared, &status), &[]);
            }
        }
    }
    let (length, refusal) = match shared.kind {
        Kind::Mastodon => (
            tweetchat::text::count_with_url_length(
                PlatformKind::Mastodon,
                &text,
                shared.url_length,
            ),
            format!(
                "Validation failed: Text character limit of {} exceeded",
                shared.max_characters()
            ),
        ),
        Kind::GoToSocial => (
            text.chars().count(),
            format!(
                "text with spoiler exceed max chars ({})",
                shared.max_characters()
            ),
        ),
    };
    if length > shared.max_characters() {
        drop(state);
        return error(shared, 422, &refusal);
    }
    let id = state.fresh_id();
    let status = FakeStatus {
        id,
        text,
        author: shared.me.clone(),
        created_at: now,
        in_reply_to_id: body["in_reply_to_id"].as_str().map(str::to_string),
        visibility: body["visibility"].as_str().unwrap_or("public").to_string(),
        language: body["language"].as_str().map(str::to_string),
        boost: false,
    };
    state.statuses.push(status.clone());
    if let Some(key) = key {
        state.keys.insert(key, (id, now));
    }
    drop(state);
    respond(shared, 200, &status_json(shared, &status), &[])
}

/// Newest first below `max_id`, `limit` of them, with `Link` headers.
fn timeline(
    shared: &Shared,
    route: Route,
    uri: &Uri,
    query: &[(String, String)],
    origin: &str,
) -> Response {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let limit: usize = get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(40);
    let max_id: u64 = get("max_id")
        .and_then(|m| m.parse().ok())
        .unwrap_or(u64::MAX);
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let (statuses, hidden) = {
        let state = shared.state.lock().unwrap();
        (state.statuses.clone(), state.hidden.clone())
    };
    let mut matching: Vec<&FakeStatus> = statuses
        .iter()
        .filter(|s| s.id < max_id)
        .filter(|s| match route {
            Route::TagTimeline => {
                let tag = format!("#{}", segments[4]).to_lowercase();
                let tagged = s
                    .text
                    .to_lowercase()
                    .split(|c: char| c.is_whitespace())
                    .any(|w| w.trim_end_matches(['.', '!', '?', ',']) == tag);
                let shown = match shared.kind {
                    Kind::Mastodon => true,
                    Kind::GoToSocial => !s.boost && single_author_chain(&statuses, s),
                };
                tagged && shown && !hidden.contains(&s.author.id)
            }
            _ => {
                s.author.id == segments[3]
                    && !(get("exclude_reblogs").as_deref() == Some("true") && s.boost)
            }
        })
        .collect();
    matching.sort_by_key(|s| std::cmp::Reverse(s.id));
    let more = matching.len() > limit;
    let page: Vec<Value> = matching
        .iter()
        .take(limit)
        .map(|s| status_json(shared, s))
        .collect();
    let mut links = Vec::new();
    let base = format!("{origin}{}", uri.path());
    if let (true, Some(last)) = (more, matching.get(limit.saturating_sub(1))) {
        links.push(format!(
            "<{base}?limit={limit}&max_id={}>; rel=\"next\"",
            last.id
        ));
    }
    if let Some(first) = matching.first() {
        links.push(format!(
            "<{base}?limit={limit}&min_id={}>; rel=\"prev\"",
            first.id
        ));
    }
    let headers: Vec<(&str, String)> = if links.is_empty() {
        vec![]
    } else {
        vec![("link", links.join(", "))]
    };
    respond(shared, 200, &Value::Array(page), &headers)
}

/// Whether every status up `s`'s reply chain is by `s`'s author (a thread
/// of one's own): the only replies GoToSocial shows on a tag timeline.
fn single_author_chain(statuses: &[FakeStatus], s: &FakeStatus) -> bool {
    let mut current = s;
    for _ in 0..statuses.len() {
        let Some(parent) = current.in_reply_to_id.as_deref() else {
            return true;
        };
        let Some(next) = statuses.iter().find(|p| p.id.to_string() == parent) else {
            // GoToSocial does not timeline a reply to a post it has not
            // fetched.
            return false;
        };
        if next.author != s.author {
            return false;
        }
        current = next;
    }
    false
}

/// `GET /api/v1/statuses/:id/context`: ancestors oldest first, then every
/// reply below at any depth, in id order; hidden accounts left
/// out (the replies below them still shown).
fn context(shared: &Shared, path: &str) -> Response {
    let id = path.trim_matches('/').split('/').nth(3).unwrap_or_default();
    let (statuses, hidden) = {
        let state = shared.state.lock().unwrap();
        (state.statuses.clone(), state.hidden.clone())
    };
    let Some(target) = statuses.iter().find(|s| s.id.to_string() == id) else {
        return error(shared, 404, "Record not found");
    };
    let mut ancestors = Vec::new();
    let mut current = target;
    while let Some(parent) = current.in_reply_to_id.as_deref() {
        match statuses.iter().find(|s| s.id.to_string() == parent) {
            Some(p) if ancestors.len() < statuses.len() => {
                ancestors.push(p);
                current = p;
            }
            _ => break,
        }
    }
    ancestors.reverse();
    let mut descendants = Vec::new();
    let mut stack = vec![target.id.to_string()];
    let mut seen = std::collections::HashSet::new();
    while let Some(parent) = stack.pop() {
        let mut children: Vec<&FakeStatus> = statuses
            .iter()
            .filter(|s| s.in_reply_to_id.as_deref() == Some(parent.as_str()))
            .collect();
        children.sort_by_key(|s| std::cmp::Reverse(s.id));
        for child in children {
            if seen.insert(child.id) {
                stack.push(child.id.to_string());
                descendants.push(child);
            }
        }
    }
    descendants.sort_by_key(|s| s.id);
    let visible = |list: Vec<&FakeStatus>| -> Vec<Value> {
        list.into_iter()
            .filter(|s| !hidden.contains(&s.author.id))
            .map(|s| status_json(shared, s))
            .collect()
    };
    let body = json!({"ancestors": visible(ancestors), "descendants": visible(descendants)});
    respond(shared, 200, &body, &[])
}

fn account_json(person: &Person) -> Value {
    let username = person.acct.split('@').next().unwrap_or(&person.acct);
    json!({
        "id": person.id, "username": username, "acct": person.acct,
        "display_name": person.display_name, "locked": false, "bot": false,
        "created_at": "2022-11-01T00:00:00.000Z", "note": "", "url": format!("https://mastodon.test/@{}", person.acct),
        "avatar": "", "avatar_static": "", "header": "", "header_static": "",
        "followers_count": 1, "following_count": 1, "statuses_count": 1,
        "emojis": [], "fields": [], "discoverable": true, "group": false, "indexable": true,
        "last_status_at": null, "uri": format!("https://mastodon.test/users/{username}"),
        "noindex": false, "source": {"privacy": "public", "sensitive": false, "language": "en", "note": "", "fields": []}
    })
}

fn status_json(shared: &Shared, s: &FakeStatus) -> Value {
    let mut value = status_value(s);
    if s.boost {
        // A boost wraps the boosted status (here: the same text, by id 1).
        let inner = FakeStatus {
            id: 1,
            boost: false,
            ..s.clone()
        };
        value["reblog"] = status_value(&inner);
    }
    if let Some(spec) = &shared.spec {
        let problems = spec.check_status(&value);
        shared.state.lock().unwrap().spec_problems.extend(
            problems
                .into_iter()
                .map(|p| format!("fake's own Status: {p}")),
        );
    }
    value
}

fn status_value(s: &FakeStatus) -> Value {
    let url = format!("https://mastodon.test/@{}/{}", s.author.acct, s.id);
    json!({
        "id": s.id.to_string(), "uri": url.clone(), "url": url,
        "created_at": s.created_at.to_string(), "account": account_json(&s.author),
        "content": render_html(&s.text), "visibility": s.visibility, "sensitive": false,
        "spoiler_text": "", "media_attachments": [], "mentions": [], "tags": [], "emojis": [],
        "reblogs_count": 0, "favourites_count": 0, "replies_count": 0,
        "in_reply_to_id": s.in_reply_to_id, "in_reply_to_account_id": null,
        "reblog": null, "language": s.language, "edited_at": null,
    })
}

/// Mastodon's HTML: escaped text in `<p>`, line breaks as `<br />`,
/// mentions as `@<span>user</span>` links (the domain not shown), hashtags
/// as tag links.
pub fn render_html(text: &str) -> String {
    let escape = |w: &str| {
        w.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|para| {
            let lines: Vec<String> = para
                .split('\n')
                .map(|line| {
                    line.split(' ')
                        .map(|word| {
                            if let Some(handle) = word.strip_prefix('@').filter(|h| !h.is_empty()) {
                                let user = handle.split('@').next().unwrap_or(handle);
                                format!("<span class=\"h-card\"><a href=\"https://mastodon.test/@{}\" class=\"u-url mention\">@<span>{}</span></a></span>", escape(handle), escape(user))
                            } else if let Some(tag) = word.strip_prefix('#').filter(|t| !t.is_empty()) {
                                format!("<a href=\"https://mastodon.test/tags/{0}\" class=\"mention hashtag\" rel=\"tag\">#<span>{0}</span></a>", escape(tag))
                            } else {
                                escape(word)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            format!("<p>{}</p>", lines.join("<br />"))
        })
        .collect();
    paragraphs.concat()
}

fn error(shared: &Shared, status: u16, text: &str) -> Response {
    respond(shared, status, &json!({ "error": text }), &[])
}

fn respond(shared: &Shared, status: u16, body: &Value, extra: &[(&str, String)]) -> Response {
    let remaining = {
        let mut state = shared.state.lock().unwrap();
        state.remaining = state.remaining.saturating_sub(1);
        state.remaining
    };
    let reset = Timestamp::now() + SignedDuration::from_mins(5);
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ratelimit-limit", "300")
        .header("x-ratelimit-remaining", remaining.to_string());
    if !extra.iter().any(|(k, _)| *k == "x-ratelimit-reset") {
        builder = builder.header("x-ratelimit-reset", reset.to_string());
    }
    for (k, v) in extra {
        builder = builder.header(*k, v.as_str());
    }
    builder.body(Body::from(body.to_string())).unwrap()
}
