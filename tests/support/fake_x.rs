//! A fake X API v2 on 127.0.0.1 for tests of the adapter and the daemon.
//!
//! It verifies what X verifies (OAuth 1.0a signatures recomputed from the
//! request, expiring Bearer tokens, single-use refresh tokens, request bodies
//! against the TweetCreateRequest schema of the OpenAPI spec when it is
//! present), behaves like X where tests depend on it (duplicate texts are
//! refused, links come back as `t.co`, `&<>` come back as entities, pages
//! carry `next_token`, rate-limit headers on every answer), records every
//! accepted tweet, and answers scripted faults on request. Search answers a
//! `#hashtag` or a `conversation_id:ID` query; every post's
//! `conversation_id` is the top of its reply chain, as on X.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tweetchat::settings::{AccountSettings, Secret};
use tweetchat::text::PlatformKind;

use super::fake_x_auth::{self as auth, Caller, Tokens};
pub use super::fake_x_auth::{OAuth1Keys, OAuth2Client};
use super::fake_x_data::{self as data, FakeUser, SearchPost, Tweet};

/// The endpoints a fault can be scripted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    CreateTweet,
    Me,
    UserTweets,
    Search,
    /// `GET /2/tweets?ids=…` (the questions' conversation ids).
    Lookup,
    Token,
}

/// A scripted answer, used once by the next request to its route.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 403 "duplicate content", X's real shape.
    Duplicate,
    /// 403 "Reply to this conversation is not allowed …".
    ReplyRefused,
    /// 403 about @mentions (X has not published the wording).
    MentionsRefused,
    /// 403 with this detail.
    Forbidden(String),
    /// 429 with `x-rate-limit-reset` at this epoch second.
    RateLimited { reset: i64 },
    /// This status with X's generic problem body (500, 503 …).
    Status(u16),
    /// 401 whatever the credentials.
    Unauthorized,
    /// 429 `usage-capped` problem.
    UsageCapped,
    /// 403 `client-forbidden` / `client-not-enrolled` problem.
    ClientNotEnrolled,
    /// Wait this long, then answer normally (a tweet is still recorded).
    Delay(Duration),
    /// Break the connection without doing anything.
    Drop,
    /// Record the tweet, then break the connection (the in-doubt case).
    AcceptThenDrop,
}

/// How the fake is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub user: FakeUser,
    pub oauth1: Option<OAuth1Keys>,
    pub oauth2: Option<OAuth2Client>,
    /// Requests allowed per 15-minute window on `POST /2/tweets`.
    pub tweet_limit: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            user: FakeUser::new("2244994945", "hcsm_host", "HCSM Host"),
            oauth1: Some(OAuth1Keys {
                consumer_key: "fake-consumer-key".into(),
                consumer_secret: "fake-consumer-secret".into(),
                token: "2244994945-fake-access-token".into(),
                token_secret: "fake-access-token-secret".into(),
            }),
            oauth2: Some(OAuth2Client {
                client_id: "fake-client-id".into(),
                client_secret: Some("fake-client-secret".into()),
                initial_refresh_token: "rt-initial".into(),
                access_ttl: SignedDuration::from_hours(2),
            }),
            tweet_limit: 100,
        }
    }
}

/// Everything the fake remembers.
#[derive(Default)]
pub struct FakeState {
    pub tweets: Vec<Tweet>,
    pub search_posts: Vec<SearchPost>,
    pub tokens: Tokens,
    pub faults: HashMap<Route, VecDeque<Fault>>,
    /// `(method, path, caller)` of every request that got past auth.
    pub requests: Vec<(String, String, Option<Caller>)>,
    /// Bodies checked against TweetCreateRequest.
    pub schema_checks: usize,
    /// `POST /2/tweets` requests that reached the create step, per text
    /// (accepted or refused as duplicate; scripted faults answer earlier):
    /// more than one for a text means the client sent it again.
    pub creates: HashMap<String, usize>,
    pub window_start: i64,
    pub window_used: HashMap<Route, u64>,
    /// The app's permission, sent as `x-access-level` on answers to OAuth
    /// 1.0a requests as X does; empty means `read-write`.
    pub access_level: String,
    id_counter: u64,
}

impl FakeState {
    /// A fresh tweet id (19 digits, like X's).
    pub fn next_id(&mut self) -> u64 {
        self.id_counter += 1;
        self.id_counter
    }
}

struct Shared {
    config: Config,
    state: Mutex<FakeState>,
    schema: Option<jsonschema::Validator>,
}

/// A running fake X.
pub struct FakeX {
    /// `http://127.0.0.1:PORT`, to use as `api_base`.
    pub base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeX {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeX {
    pub async fn start() -> FakeX {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> FakeX {
        let mut state = FakeState {
            id_counter: 1_860_000_000_000_000_000,
            ..FakeState::default()
        };
        if let Some(c) = &config.oauth2 {
            state.tokens.refresh.insert(c.initial_refresh_token.clone());
        }
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(state),
            schema: data::tweet_create_schema(),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeX { base, shared, task }
    }

    /// Scripts `fault` for the next request to `route` (queued in order).
    pub fn push_fault(&self, route: Route, fault: Fault) {
        self.state()
            .faults
            .entry(route)
            .or_default()
            .push_back(fault);
    }

    /// Scripts `fault` for the next `n` requests to `route` (a 5xx storm).
    pub fn push_faults(&self, route: Route, fault: Fault, n: usize) {
        for _ in 0..n {
            self.push_fault(route, fault.clone());
        }
    }

    /// Adds posts that search can find.
    pub fn seed_search(&self, posts: impl IntoIterator<Item = SearchPost>) {
        self.state().search_posts.extend(posts);
    }

    /// Every accepted tweet, in order.
    pub fn tweets(&self) -> Vec<Tweet> {
        self.state().tweets.clone()
    }

    /// The account owner opens `authorize_url` (as `tweetchat auth x` printed
    /// it) and approves the app: the address the browser is sent back to,
    /// carrying `state` and a fresh single-use code.
    pub fn approve(&self, authorize_url: &str) -> Result<String, String> {
        let client = self.shared.config.oauth2.clone();
        auth::approve(client.as_ref(), &mut self.state().tokens, authorize_url)
    }

    /// Makes every access token issued so far expire now.
    pub fn expire_access_tokens(&self) {
        let past = Timestamp::now() - SignedDuration::from_secs(1);
        for expiry in self.state().tokens.access.values_mut() {
            *expiry = past;
        }
    }

    /// Direct access for assertions.
    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.shared.state.lock().unwrap()
    }

    /// Whether request bodies are checked against the OpenAPI schema.
    pub fn has_schema(&self) -> bool {
        self.shared.schema.is_some()
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Settings of an OAuth 1.0a account pointing at this fake.
    pub fn oauth1_settings(&self, name: &str) -> AccountSettings {
        let keys = self.config().oauth1.clone().expect("oauth1 configured");
        let mut s = self.bare_settings(name);
        for (k, v) in [
            ("consumer_key", keys.consumer_key),
            ("consumer_secret", keys.consumer_secret),
            ("access_token", keys.token),
            ("access_token_secret", keys.token_secret),
        ] {
            s.secrets.insert(k.into(), Secret::new(v));
        }
        s
    }

    /// Settings of an OAuth 2.0 account pointing at this fake.
    pub fn oauth2_settings(&self, name: &str) -> AccountSettings {
        let client = self.config().oauth2.clone().expect("oauth2 configured");
        let mut s = self.bare_settings(name);
        s.client_id = Some(client.client_id);
        if let Some(secret) = client.client_secret {
            s.secrets
                .insert("client_secret".into(), Secret::new(secret));
        }
        s.secrets.insert(
            "refresh_token".into(),
            Secret::new(client.initial_refresh_token),
        );
        s
    }

    fn bare_settings(&self, name: &str) -> AccountSettings {
        AccountSettings {
            name: name.into(),
            platform: PlatformKind::X,
            api_base: Some(self.base.clone()),
            handle: None,
            client_id: None,
            secrets: Default::default(),
            timeout: Duration::from_secs(5),
        }
    }
}

fn route_of(method: &Method, path: &str) -> Option<Route> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("POST", ["2", "tweets"]) => Some(Route::CreateTweet),
        ("GET", ["2", "users", "me"]) => Some(Route::Me),
        ("GET", ["2", "users", _, "tweets"]) => Some(Route::UserTweets),
        ("GET", ["2", "tweets", "search", "recent"]) => Some(Route::Search),
        ("GET", ["2", "tweets"]) => Some(Route::Lookup),
        ("POST", ["2", "oauth2", "token"]) => Some(Route::Token),
        _ => None,
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(route) = route_of(&method, uri.path()) else {
        return json_response(
            404,
            &json!({"title": "Not Found Error", "type": "about:blank", "status": 404, "detail": "no such endpoint on the fake"}),
            &[],
        );
    };
    let fault = {
        let mut state = shared.state.lock().unwrap();
        state.faults.get_mut(&route).and_then(VecDeque::pop_front)
    };
    if matches!(fault, Some(Fault::Drop)) {
        return broken();
    }
    let req = Received {
        method: &method,
        uri: &uri,
        headers: &headers,
        body: &body,
        now: Timestamp::now(),
    };
    let answer = answer(&shared, route, fault.as_ref(), &req);
    if let Some(Fault::Delay(d)) = fault {
        // The work is done (a tweet is recorded); only the answer is late,
        // like X accepting a post and then not answering in time.
        tokio::time::sleep(d).await;
    }
    answer
}

/// One request as the fake received it.
pub struct Received<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub now: Timestamp,
}

fn answer(shared: &Shared, route: Route, fault: Option<&Fault>, req: &Received<'_>) -> Response {
    let mut state = shared.state.lock().unwrap();
    if route == Route::Token {
        let (status, value) = auth::token(shared.config.oauth2.as_ref(), &mut state.tokens, req);
        return json_response(status, &value, &[]);
    }
    let caller = match auth::authenticate(shared.config.oauth1.as_ref(), &mut state.tokens, req) {
        Ok(caller) => caller,
        Err(why) => {
            eprintln!("fake X: 401 for {} {}: {why}", req.method, req.uri.path());
            let (status, value) = auth::unauthorized();
            return json_response(status, &value, &[]);
        }
    };
    let path = req.uri.path().to_string();
    state
        .requests
        .push((req.method.to_string(), path, Some(caller)));
    let limits = count_request(&mut state, route, shared.config.tweet_limit, req.now);
    if let Some(answer) = fault.and_then(|f| scripted(f, &limits)) {
        return answer;
    }
    if limits.exceeded {
        let reset = limits.reset;
        return scripted(&Fault::RateLimited { reset }, &limits).unwrap();
    }
    let oauth1 = matches!(state.requests.last(), Some((_, _, Some(Caller::OAuth1))));
    let (status, value) = dispatch(shared, &mut state, route, req);
    if matches!(fault, Some(Fault::AcceptThenDrop)) {
        return broken();
    }
    let mut headers = limit_headers(&limits);
    if oauth1 {
        let level = match state.access_level.as_str() {
            "" => "read-write".to_string(),
            level => level.to_string(),
        };
        headers.push(("x-access-level", level));
    }
    json_response(status, &value, &headers)
}

fn dispatch(
    shared: &Shared,
    state: &mut FakeState,
    route: Route,
    req: &Received<'_>,
) -> (u16, Value) {
    let user = &shared.config.user;
    let query = auth::form_pairs(req.uri.query().unwrap_or(""));
    match route {
        Route::CreateTweet => data::create_tweet(state, shared.schema.as_ref(), req.body, req.now),
        Route::Me => (200, json!({"data": user.to_json()})),
        Route::UserTweets => data::user_tweets(state, user, req.uri.path(), &query),
        Route::Search => data::search(state, user, &query, req.now),
        Route::Lookup => data::lookup(state, user, &query),
        Route::Token => unreachable!("answered before authentication"),
    }
}

/// The rate-limit window of one route after counting a request.
pub struct Limits {
    pub limit: u64,
    pub remaining: u64,
    pub reset: i64,
    /// The request went over the limit.
    pub exceeded: bool,
}

fn count_request(state: &mut FakeState, route: Route, tweet_limit: u64, now: Timestamp) -> Limits {
    let second = now.as_second();
    if second >= state.window_start + 900 {
        state.window_start = second;
        state.window_used.clear();
    }
    let limit = match route {
        Route::CreateTweet => tweet_limit,
        Route::Me => 75,
        Route::UserTweets => 900,
        Route::Search | Route::Lookup | Route::Token => 300,
    };
    let used = state.window_used.entry(route).or_default();
    let before = *used;
    *used += 1;
    Limits {
        limit,
        remaining: limit.saturating_sub(before + 1),
        reset: state.window_start + 900,
        exceeded: before >= limit,
    }
}

fn limit_headers(limits: &Limits) -> Vec<(&'static str, String)> {
    vec![
        ("x-rate-limit-limit", limits.limit.to_string()),
        ("x-rate-limit-remaining", limits.remaining.to_string()),
        ("x-rate-limit-reset", limits.reset.to_string()),
    ]
}

fn forbidden(detail: &str) -> Value {
    json!({"detail": detail, "type": "about:blank", "title": "Forbidden", "status": 403})
}

/// The answer for faults that replace the normal one.
fn scripted(fault: &Fault, limits: &Limits) -> Option<Response> {
    let headers = limit_headers(limits);
    let (status, body) = match fault {
        Fault::Duplicate => (
            403,
            forbidden("You are not allowed to create a Tweet with duplicate content."),
        ),
        Fault::ReplyRefused => (
            403,
            forbidden(
                "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.",
            ),
        ),
        Fault::MentionsRefused => (
            403,
            forbidden("You are not allowed to @mention users who have not engaged with you."),
        ),
        Fault::Forbidden(detail) => (403, forbidden(detail)),
        Fault::RateLimited { reset } => {
            let headers = [
                ("x-rate-limit-limit", limits.limit.to_string()),
                ("x-rate-limit-remaining", "0".to_string()),
                ("x-rate-limit-reset", reset.to_string()),
            ];
            let body = json!({"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429});
            return Some(json_response(429, &body, &headers));
        }
        Fault::Status(code) => {
            let title = StatusCode::from_u16(*code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            (
                *code,
                json!({"title": title, "detail": title, "type": "about:blank", "status": code}),
            )
        }
        Fault::Unauthorized => auth::unauthorized(),
        Fault::UsageCapped => (
            429,
            json!({"title": "UsageCapExceeded", "period": "Monthly", "scope": "Product",
            "detail": "Usage cap exceeded: Monthly product cap", "type": "https://api.twitter.com/2/problems/usage-capped"}),
        ),
        Fault::ClientNotEnrolled => (
            403,
            json!({"client_id": "29711341", "title": "Client Forbidden",
            "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.",
            "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
            "required_enrollment": "Appropriate Level of API Access", "reason": "client-not-enrolled",
            "type": "https://api.twitter.com/2/problems/client-forbidden"}),
        ),
        Fault::Delay(_) | Fault::Drop | Fault::AcceptThenDrop => return None,
    };
    Some(json_response(status, &body, &headers))
}

fn json_response(status: u16, body: &Value, headers: &[(&str, String)]) -> Response {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8");
    for (k, v) in headers {
        builder = builder.header(*k, v.as_str());
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

/// Headers go out, then the body breaks off: the client sees the connection
/// die mid-answer.
fn broken() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake X dropped the connection",
        ))
    });
    Response::builder()
        .status(200)
        .body(Body::from_stream(stream))
        .unwrap()
}
