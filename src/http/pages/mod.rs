//! The chat pages, the calendars and the transcripts, on the daemon's
//! HTTP listener.
//!
//! Public (participants; safe behind a reverse proxy):
//!
//! - `/`: every loaded chat with its next occurrence;
//! - `/chats/CHAT`: upcoming occurrences, every post of the next one, past
//!   ones with their transcripts (`?occurrences=N`, 1–50);
//! - `/chats/CHAT.ics`: the calendar ([`crate::calendar`]);
//! - `/chats/CHAT/DATE`: one occurrence (what `{page}` links to): its
//!   time, topic, host and questions, or why it is not held;
//! - `/chats/CHAT/transcripts/DATE`: a transcript page as the daemon wrote it.
//!
//! Operator only ([`access`]): `/operator/chats/CHAT`, what happened to
//! every post of recent occurrences on every account (`?days=N`, 1–90).
//!
//! The pages never slow the scheduler: plans come from a `watch` channel the
//! daemon publishes after each rescan (a snapshot of `Arc`s, no lock held
//! while rendering); results and the calendars' versions come from a
//! read-only connection of their own with bounded queries (the database
//! writer is asked only when a calendar's version changes); all the work
//! runs on the blocking pool, at most [`render_slots`] pages at a time;
//! and the home page, chat pages and calendars are built once per plan
//! version and reused for a while ([`cache`]), so a flood of requests costs
//! copies, not renders.

mod access;
mod cache;
mod model;
mod rhythm;
mod sessions;
mod views;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use jiff::SignedDuration;
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, watch};

use crate::calendar;
use crate::clock::Clock;
use crate::plan::ChatPlan;
use crate::settings::Settings;
use crate::store::{ResultsReader, SharedStore};

pub use access::OperatorAccess;
pub use model::Audience;
use model::Problem;

/// The plans the daemon has loaded, as it last published them.
pub type LoadedPlans = watch::Receiver<Arc<Vec<Arc<ChatPlan>>>>;

/// Most result rows one operator page reads.
const MAX_RESULT_ROWS: usize = 5_000;

/// How long a rendered home or chat page is reused for the same plans: the
/// upcoming occurrences and transcripts they list move with the clock.
const PAGE_TTL: SignedDuration = SignedDuration::from_secs(10);

/// How long a rendered calendar is reused for the same plan: its explicit
/// events span months around now, so minutes change nothing a subscriber
/// sees (and its `X-PUBLISHED-TTL` is six hours).
const CALENDAR_TTL: SignedDuration = SignedDuration::from_mins(10);

/// Pages rendered at once: one core is left to the scheduler and the posts.
pub fn render_slots() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .max(1)
}

/// What the pages read from.
pub struct Pages {
    pub plans: LoadedPlans,
    pub state_dir: PathBuf,
    /// For the calendars' versions (`SEQUENCE`); `None` keeps them at 0.
    pub store: Option<SharedStore>,
    /// This process's name among the replicas, with its store
    /// (`web-1/4182 (postgres)`), for the operator pages.
    pub replica: String,
    /// `[http] public_url`, or the listener's address.
    pub base: Option<String>,
    /// Who sees the operator pages (`[http] operator_token`, `trust_loopback`).
    pub access: OperatorAccess,
    pub audience: Audience,
    pub clock: Clock,
    /// Each account's last check and try, for the operator pages; `None`
    /// lists the accounts as not checked.
    pub metrics: Option<Arc<crate::http::Metrics>>,
    reader: Mutex<Option<ResultsReader>>,
    renders: Semaphore,
    home_page: cache::Cache<Vec<Arc<ChatPlan>>>,
    chat_pages: cache::Cache<ChatPlan>,
    calendars: cache::Cache<ChatPlan>,
    calendar_locks: cache::Locks,
}

impl Pages {
    pub fn new(settings: &Settings, plans: LoadedPlans, clock: Clock) -> Self {
        Self {
            plans,
            state_dir: settings.state_dir.clone(),
            store: None,
            replica: format!(
                "{} ({})",
                settings.store.replica,
                if settings.store.url.is_some() {
                    "postgres"
                } else {
                    "sqlite"
                }
            ),
            base: settings.http.public_base(),
            access: OperatorAccess::new(&settings.http),
            audience: Audience {
                default_accounts: settings.default_accounts.clone(),
                platforms: settings
                    .accounts
                    .iter()
                    .map(|(name, account)| (name.clone(), account.platform))
                    .collect(),
            },
            clock,
            metrics: None,
            reader: Mutex::new(None),
            renders: Semaphore::new(render_slots()),
            home_page: cache::Cache::new(PAGE_TTL),
            chat_pages: cache::Cache::new(PAGE_TTL),
            calendars: cache::Cache::new(CALENDAR_TTL),
            calendar_locks: cache::Locks::default(),
        }
    }

    /// The loaded plan `chat`, or the 404 page.
    fn plan(&self, chat: &str) -> Result<Arc<ChatPlan>, Problem> {
        let plans = self.plans.borrow().clone();
        plans.iter().find(|p| p.id == chat).cloned().ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "No such chat",
                "This server hosts no chat by that name. The list of chats is on the home page.",
            )
        })
    }
}

/// The pages' routes, to merge beside `/healthz` and `/metrics`.
pub fn routes(pages: Arc<Pages>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/chats/{file}", get(chat_or_calendar))
        .route("/chats/{chat}/transcripts/{date}", get(transcript))
        .route("/chats/{chat}/{date}", get(occurrence))
        .route("/operator", get(operator))
        .route("/operator/chats/{chat}", get(results))
        .fallback(not_found)
        .layer(middleware::from_fn(refuse_huge_queries))
        .with_state(pages)
}

async fn refuse_huge_queries(request: Request, next: Next) -> Response {
    let long = request
        .uri()
        .query()
        .is_some_and(|q| q.len() > access::MAX_QUERY);
    if long {
        return problem(Problem::new(
            StatusCode::URI_TOO_LONG,
            "Query too long",
            format!(
                "These pages take at most {} bytes of query.",
                access::MAX_QUERY
            ),
        ));
    }
    next.run(request).await
}

async fn home(State(pages): State<Arc<Pages>>, RawQuery(query): RawQuery) -> Response {
    if query.is_some_and(|q| !q.is_empty()) {
        return bad_query("the home page takes no query");
    }
    let plans = pages.plans.borrow().clone();
    let now = pages.clock.now();
    if let Some(body) = pages.home_page.get("", &plans, now) {
        return html(StatusCode::OK, body);
    }
    let cached = pages.clone();
    rendered(&pages, move || {
        let mut chats: Vec<_> = plans
            .iter()
            .map(|plan| model::ChatSummary::new(plan, now))
            .collect();
        chats.sort_by(|a, b| {
            (a.next.is_none(), a.next, &a.id).cmp(&(b.next.is_none(), b.next, &b.id))
        });
        let body = Bytes::from(views::home(&chats).into_string());
        cached
            .home_page
            .put(String::new(), plans, now, body.clone());
        html(StatusCode::OK, body)
    })
    .await
}

async fn chat_or_calendar(
    State(pages): State<Arc<Pages>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(chat) = file.strip_suffix(".ics") {
        // A query is ignored: subscription links pick up tracking
        // parameters (`?utm_source=…`) on their way to a calendar app.
        return calendar_file(pages, chat).await;
    }
    let count = match access::number_param(query.as_deref(), "occurrences", 1..=50, 8) {
        Ok(count) => count as usize,
        Err(bad) => return bad_query(&bad.0),
    };
    let plan = match pages.plan(&file) {
        Ok(plan) => plan,
        Err(missing) => return problem(missing),
    };
    let operator = pages.access.allows(Some(peer), &headers);
    let now = pages.clock.now();
    let key = format!("{}\n{count}\n{operator}", plan.id);
    if let Some(body) = pages.chat_pages.get(&key, &plan, now) {
        return html(StatusCode::OK, body);
    }
    let cached = pages.clone();
    rendered(&pages, move || {
        // What this daemon recorded for the chat over the pages' look-back,
        // so only the occurrences it hosted are listed as past.
        let since = now
            .checked_sub(model::LOOK_BACK)
            .unwrap_or(now)
            .to_zoned(plan.tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string();
        let rows = read_results(&cached, &plan.id, &since).unwrap_or_else(|err| {
            tracing::warn!(chat = %plan.id, "the chat page cannot read the state database: {err:#}");
            Vec::new()
        });
        let first_day = now
            .checked_sub(model::LOOK_BACK)
            .unwrap_or(now)
            .to_zoned(plan.tz.clone())
            .date();
        let transcripts = transcript_dates(&cached, &plan.id, first_day);
        let view = model::chat_view(
            &plan,
            &cached.audience,
            &transcripts,
            &rows,
            now,
            count,
            operator,
        );
        let body = Bytes::from(views::chat(&view).into_string());
        cached.chat_pages.put(key, plan, now, body.clone());
        html(StatusCode::OK, body)
    })
    .await
}

/// `/chats/CHAT.ics`: built once per plan version (and [`CALENDAR_TTL`]),
/// by one request while any others for it wait. The calendar's version is
/// read on the pages' own read-only connection; only a changed version is
/// written, through the store's writer.
async fn calendar_file(pages: Arc<Pages>, chat: &str) -> Response {
    let plan = match pages.plan(chat) {
        Ok(plan) => plan,
        Err(missing) => return problem(missing),
    };
    if let Some(body) = pages.calendars.get(&plan.id, &plan, pages.clock.now()) {
        return calendar_response(&plan.id, body);
    }
    let lock = pages.calendar_locks.of(&plan.id);
    let _building = lock.lock().await;
    let now = pages.clock.now();
    if let Some(body) = pages.calendars.get(&plan.id, &plan, now) {
        return calendar_response(&plan.id, body);
    }
    let reading = pages.clone();
    let read_plan = plan.clone();
    let read = tokio::task::spawn_blocking(move || {
        let fingerprint = calendar::fingerprint(&read_plan, reading.base.as_deref());
        let stored = match read_kv(&reading, &calendar::kv_key(&read_plan.id)) {
            Ok(stored) => stored,
            Err(err) => {
                tracing::warn!(chat = %read_plan.id, "cannot read the calendar's version: {err:#}");
                None
            }
        };
        (fingerprint, stored)
    })
    .await;
    let Ok((fingerprint, stored)) = read else {
        return render_failed();
    };
    let version = calendar::Version::next(stored.as_deref(), &fingerprint, now);
    if stored.as_deref() != Some(version.encode().as_str())
        && let Some(store) = &pages.store
        && let Err(err) = store
            .kv_set(&calendar::kv_key(&plan.id), &version.encode())
            .await
    {
        tracing::warn!(chat = %plan.id, "cannot save the calendar's version: {err:#}");
    }
    let cached = pages.clone();
    rendered(&pages, move || {
        let body = Bytes::from(calendar::render(
            &plan,
            &version,
            now,
            cached.base.as_deref(),
        ));
        cached
            .calendars
            .put(plan.id.to_string(), plan.clone(), now, body.clone());
        calendar_response(&plan.id, body)
    })
    .await
}

fn calendar_response(chat: &str, body: Bytes) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        content_disposition(&format!("{chat}.ics")),
    );
    response
}

/// `inline; filename="…"; filename*=UTF-8''…` (RFC 6266): the quoted name
/// keeps only letters, digits, `.`, `-` and `_` (anything else becomes
/// `_`), and the extended one percent-encodes the rest, so no name can end
/// the header or add a parameter.
fn content_disposition(name: &str) -> HeaderValue {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'-').remove(b'_');
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let value = format!(
        "inline; filename=\"{plain}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, KEEP)
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("inline"))
}

/// `/chats/CHAT/DATE`: one occurrence, held or not; 404 for a date that
/// is not one of the chat's occurrences.
async fn occurrence(
    State(pages): State<Arc<Pages>>,
    Path((chat, date)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    if query.is_some_and(|q| !q.is_empty()) {
        return bad_query("an occurrence's page takes no query");
    }
    let plan = match pages.plan(&chat) {
        Ok(plan) => plan,
        Err(missing) => return problem(missing),
    };
    let now = pages.clock.now();
    let reading = pages.clone();
    rendered(&pages, move || match sessions::find(&plan, &date) {
        Some(occurrence) => {
            let day = occurrence.start.date();
            let transcripts = transcript_dates(&reading, &plan.id, day);
            let page = sessions::occurrence_page(&plan, &occurrence, &transcripts, now);
            html(StatusCode::OK, views::occurrence(&page).into_string())
        }
        None => problem(Problem::new(
            StatusCode::NOT_FOUND,
            "No such occurrence",
            "This chat has no occurrence on that date. The chat's page lists every one.",
        )),
    })
    .await
}

async fn transcript(
    State(pages): State<Arc<Pages>>,
    Path((chat, date)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    if query.is_some_and(|q| !q.is_empty()) {
        return bad_query("a transcript takes no query");
    }
    let plan = match pages.plan(&chat) {
        Ok(plan) => plan,
        Err(missing) => return problem(missing),
    };
    let no_transcript = || {
        problem(Problem::new(
            StatusCode::NOT_FOUND,
            "No such transcript",
            "There is no transcript for that date. The chat's page links every one there is.",
        ))
    };
    let Ok(date) = date.parse::<jiff::civil::Date>() else {
        return no_transcript();
    };
    let page = match pages.store.as_ref().and_then(SharedStore::pg) {
        Some(pg) => match pg.transcript_html(&plan.id, &date.to_string()).await {
            Ok(page) => page.map(String::into_bytes),
            Err(err) => {
                tracing::warn!(chat = %plan.id, "the transcript page cannot read the state database: {err:#}");
                return problem(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Transcript unavailable",
                    "The transcript cannot be read right now. Try again in a minute.",
                ));
            }
        },
        None => {
            let Ok(dir) = crate::transcript::chat_dir(&pages.state_dir, &plan.id) else {
                return no_transcript();
            };
            tokio::fs::read(dir.join(format!("{date}.html"))).await.ok()
        }
    };
    match page {
        Some(body) => {
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'",
                ),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        None => no_transcript(),
    }
}

async fn results(
    State(pages): State<Arc<Pages>>,
    Path(chat): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !pages.access.allows(Some(peer), &headers) {
        return not_operator(pages.access.token.is_some());
    }
    let days = match access::number_param(query.as_deref(), "days", 1..=90, 14) {
        Ok(days) => days,
        Err(bad) => return bad_query(&bad.0),
    };
    let plan = match pages.plan(&chat) {
        Ok(plan) => plan,
        Err(missing) => return problem(missing),
    };
    let now = pages.clock.now();
    let reading = pages.clone();
    rendered(&pages, move || {
        let pages = reading;
        let since = now
            .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
            .unwrap_or(now)
            .to_zoned(plan.tz.clone())
            .strftime("%Y-%m-%dT%H:%M")
            .to_string();
        let rows = match read_results(&pages, &plan.id, &since) {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(chat = %plan.id, "the results page cannot read the state database: {err:#}");
                return problem(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Results unavailable",
                    "The state database cannot be read right now; the log says why. Try again shortly.",
                ));
            }
        };
        let truncated = rows.len() >= MAX_RESULT_ROWS;
        let mut view = model::results_view(&plan, &pages.audience, &rows, now, days, truncated);
        view.kept_out = crate::daemon::verdict::read(&pages.state_dir)
            .into_iter()
            .filter(|kept| kept.chat == *plan.id)
            .flat_map(|kept| kept.accounts)
            .map(|kept| (kept.account, kept.problems))
            .collect();
        view.replica = Some(
            match pages
                .store
                .as_ref()
                .and_then(|store| store.health().replicas_alive())
            {
                Some(alive) => format!("{}, one of {alive} alive", pages.replica),
                None => pages.replica.clone(),
            },
        );
        let accounts = pages.account_rows(&pages.audience.accounts(&plan));
        html(StatusCode::OK, views::results(&view, &accounts).into_string())
    })
    .await
}

/// `/operator`: every account's state and a link to each chat's results.
async fn operator(
    State(pages): State<Arc<Pages>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !pages.access.allows(Some(peer), &headers) {
        return not_operator(pages.access.token.is_some());
    }
    let names: Vec<String> = pages.audience.platforms.keys().cloned().collect();
    let accounts = pages.account_rows(&names);
    let plans = pages.plans.borrow().clone();
    let chats: Vec<(String, String)> = plans
        .iter()
        .map(|plan| (plan.id.to_string(), plan.title().to_string()))
        .collect();
    html(
        StatusCode::OK,
        views::operator(&accounts, &chats).into_string(),
    )
}

impl Pages {
    /// `names` with what the last check or post said of each.
    fn account_rows(&self, names: &[String]) -> Vec<views::AccountRow> {
        let known = self
            .metrics
            .as_ref()
            .map(|m| m.accounts())
            .unwrap_or_default();
        names
            .iter()
            .map(|name| views::AccountRow {
                name: name.clone(),
                platform: self
                    .audience
                    .platforms
                    .get(name)
                    .map_or_else(|| "not configured".to_string(), ToString::to_string),
                health: known.get(name).cloned(),
            })
            .collect()
    }
}

/// The rows, on the pages' own read-only connection (opened on first use);
/// the lock covers the query only, never the render.
fn read_results(
    pages: &Pages,
    chat: &str,
    since: &str,
) -> anyhow::Result<Vec<crate::store::PostRecord>> {
    if let Some(pg) = pages.store.as_ref().and_then(SharedStore::pg) {
        // On a blocking thread (see `rendered`): wait there for the pool.
        return tokio::runtime::Handle::current().block_on(pg.chat_results(
            chat,
            since,
            MAX_RESULT_ROWS,
        ));
    }
    with_reader(pages, |reader| {
        reader.map_or(Ok(Vec::new()), |r| {
            r.chat_results(chat, since, MAX_RESULT_ROWS)
        })
    })
}

/// The dates of `chat` from `since` on that have a transcript page: files
/// in `state_dir`, or rows of the shared database. Not knowing is no
/// transcript (logged), never a page that fails.
fn transcript_dates(
    pages: &Pages,
    chat: &str,
    since: jiff::civil::Date,
) -> BTreeSet<jiff::civil::Date> {
    let read = || -> anyhow::Result<BTreeSet<jiff::civil::Date>> {
        match pages.store.as_ref().and_then(SharedStore::pg) {
            // On a blocking thread (see `rendered`): wait there for the pool.
            Some(pg) => {
                let dates = tokio::runtime::Handle::current().block_on(pg.transcript_dates(
                    chat,
                    &since.to_string(),
                    MAX_RESULT_ROWS,
                ))?;
                Ok(dates.iter().filter_map(|d| d.parse().ok()).collect())
            }
            None => crate::transcript::page_dates(&pages.state_dir, chat, since),
        }
    };
    read().unwrap_or_else(|err| {
        tracing::warn!(chat, "cannot list the chat's transcripts: {err:#}");
        BTreeSet::new()
    })
}

/// A value of the store's key-value table, on the same connection.
fn read_kv(pages: &Pages, key: &str) -> anyhow::Result<Option<String>> {
    if let Some(pg) = pages.store.as_ref().and_then(SharedStore::pg) {
        return tokio::runtime::Handle::current().block_on(pg.kv_get(key));
    }
    with_reader(pages, |reader| reader.map_or(Ok(None), |r| r.kv_get(key)))
}

fn with_reader<T>(
    pages: &Pages,
    read: impl FnOnce(Option<&ResultsReader>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut reader = pages.reader.lock().unwrap_or_else(PoisonError::into_inner);
    if reader.is_none() {
        *reader = ResultsReader::open(&pages.state_dir)?;
    }
    read(reader.as_ref())
}

async fn not_found() -> Response {
    problem(Problem::new(
        StatusCode::NOT_FOUND,
        "Page not found",
        "Nothing lives at this address. The list of chats is on the home page.",
    ))
}

fn bad_query(detail: &str) -> Response {
    problem(Problem::new(
        StatusCode::BAD_REQUEST,
        "Query refused",
        format!("{detail}."),
    ))
}

/// The answer to whoever may not see an operator page or `/metrics`.
pub fn not_operator(token_configured: bool) -> Response {
    let detail = if token_configured {
        "This page is for the operator: give the operator token (as the password, or as `Authorization: Bearer TOKEN`)."
    } else {
        "This page is for the operator: set `[http] operator_token` and give it, or allow requests from the daemon's machine with `[http] trust_loopback = true`."
    };
    let status = if token_configured {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::FORBIDDEN
    };
    let mut response = problem(Problem::new(status, "Operator only", detail));
    if token_configured {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tweetchat operator\", charset=\"UTF-8\""),
        );
    }
    response
}

fn problem(problem: Problem) -> Response {
    html(problem.status, views::problem(&problem).into_string())
}

/// Runs `render` on the blocking pool, away from the scheduler's threads,
/// at most [`render_slots`] at a time (the others wait without a thread).
async fn rendered(pages: &Pages, render: impl FnOnce() -> Response + Send + 'static) -> Response {
    let Ok(_slot) = pages.renders.acquire().await else {
        return render_failed();
    };
    tokio::task::spawn_blocking(render)
        .await
        .unwrap_or_else(|_| render_failed())
}

fn render_failed() -> Response {
    problem(Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Page failed",
        "Rendering this page failed; the log says why.",
    ))
}

/// An HTML page with headers that keep it self-contained.
fn html(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(content_policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Nothing from elsewhere; inline styles; only our one script, by hash.
fn content_policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(views::SCRIPT.as_bytes()));
        format!(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; \
             img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_is_quoted_and_cannot_end_the_header() {
        assert_eq!(
            content_disposition("hcsmbm.ics"),
            "inline; filename=\"hcsmbm.ics\"; filename*=UTF-8''hcsmbm.ics"
        );
        assert_eq!(
            content_disposition("a\"b; c=d\r\nx-evil: 1é.ics"),
            "inline; filename=\"a_b__c_d__x-evil__1_.ics\"; \
             filename*=UTF-8''a%22b%3B%20c%3Dd%0D%0Ax-evil%3A%201%C3%A9.ics"
        );
    }
}
