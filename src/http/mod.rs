//! `/healthz` and `/metrics` for operators, and the chat pages ([`pages`]).
//!
//! [`Metrics`] is a small hand-written Prometheus registry; [`Health`] says
//! whether the scheduler loop is alive (it beats on every wake-up, at least
//! once per rescan interval). [`serve`] takes its listener and a
//! cancellation token, so tests run it on port 0 and stop it without signals.
//! Connections are accepted by [`listener`] (timeouts and a cap, so clients
//! cannot take the descriptors the posts need); `/metrics` names accounts,
//! so it answers only whom the operator pages answer
//! ([`pages::OperatorAccess`]).

pub mod fds;
pub mod listener;
mod metrics;
pub mod pages;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use anyhow::Context;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio_util::sync::CancellationToken;

pub use self::listener::Limits;
pub use self::metrics::{LATENESS_BUCKETS, Metrics};
use self::pages::OperatorAccess;

/// The content type of the Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Liveness of the scheduler loop: alive while it runs and has woken up
/// recently (it wakes at least once per rescan interval). Beats are taken
/// on the monotonic clock ([`Instant`]), so an NTP step or a wall-clock
/// change never makes a live loop look dead (or a dead one alive).
#[derive(Debug)]
pub struct Health {
    max_silence: Duration,
    state: Mutex<Beat>,
    /// The state database: failing writes stop every post, however alive
    /// the loop is.
    store: std::sync::OnceLock<Arc<crate::store::StoreHealth>>,
}

#[derive(Debug, Clone, Copy)]
enum Beat {
    /// The loop has not started yet.
    NotYet,
    Last(Instant),
    Stopped,
}

impl Health {
    /// `max_silence`: how long without a beat still counts as alive.
    pub fn new(max_silence: Duration) -> Self {
        Self {
            max_silence,
            state: Mutex::new(Beat::NotYet),
            store: std::sync::OnceLock::new(),
        }
    }

    /// Answers 503 also while the state database refuses writes.
    pub fn watch_store(&self, store: Arc<crate::store::StoreHealth>) {
        let _ = self.store.set(store);
    }

    /// Why the daemon cannot post although its loop runs, if it cannot.
    pub fn store_problem(&self) -> Option<String> {
        self.store.get().and_then(|store| store.problem())
    }

    /// The loop is running and has just woken up.
    pub fn beat(&self) {
        self.beat_at(Instant::now());
    }

    /// A beat taken at `at` (tests set it in the past).
    pub fn beat_at(&self, at: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !matches!(*state, Beat::Stopped) {
            *state = Beat::Last(at);
        }
    }

    /// The loop has stopped (shutdown or crash); no later beat revives it.
    pub fn stopped(&self) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = Beat::Stopped;
    }

    /// Alive now.
    pub fn is_alive(&self) -> bool {
        self.is_alive_at(Instant::now())
    }

    /// Alive at `now`: beaten at least once, not stopped, last beat within
    /// `max_silence`.
    pub fn is_alive_at(&self, now: Instant) -> bool {
        let state = *self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state {
            Beat::NotYet | Beat::Stopped => false,
            Beat::Last(at) => now.saturating_duration_since(at) <= self.max_silence,
        }
    }
}

/// Shared with the HTTP handlers.
#[derive(Debug, Clone)]
pub struct HttpState {
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub clock: crate::clock::Clock,
}

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown` fires,
/// then lets requests in flight finish. `/metrics` answers loopback.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HttpState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    serve_with_pages(listener, state, None, shutdown).await
}

/// [`serve`], plus the chat pages when `pages` is given (whose operator
/// access then also guards `/metrics`), with the default [`Limits`].
pub async fn serve_with_pages(
    listener: tokio::net::TcpListener,
    state: HttpState,
    pages: Option<Arc<pages::Pages>>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let access = pages.as_ref().map_or_else(
        || OperatorAccess {
            token: None,
            trust_loopback: true,
        },
        |pages| pages.access.clone(),
    );
    let options = Options {
        access,
        limits: Limits::default(),
    };
    serve_with(listener, state, pages, options, shutdown).await
}

/// How the listener is exposed, from `[http]`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Who sees `/metrics` (the pages carry their own copy).
    pub access: OperatorAccess,
    pub limits: Limits,
}

impl Options {
    /// From the settings; `soft_limit` is the open-file limit in effect
    /// ([`fds::raise_open_file_limit`]).
    pub fn new(settings: &crate::settings::HttpSettings, soft_limit: Option<u64>) -> Self {
        Self {
            access: OperatorAccess::new(settings),
            limits: Limits {
                cap: fds::connection_cap(settings.max_connections, soft_limit),
                header_timeout: settings.header_timeout,
            },
        }
    }
}

/// [`serve_with_pages`] with the given [`Options`].
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: HttpState,
    pages: Option<Arc<pages::Pages>>,
    options: Options,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let metrics_state = MetricsState {
        state: state.clone(),
        access: Arc::new(options.access),
    };
    let mut app = axum::Router::new()
        .route("/healthz", get(healthz))
        .with_state(state)
        .route("/metrics", get(metrics).with_state(metrics_state));
    if let Some(pages) = pages {
        app = app.merge(pages::routes(pages));
    }
    listener::serve(listener, app, options.limits, shutdown)
        .await
        .context("the HTTP listener failed")
}

async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    if !state.health.is_alive() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the scheduler loop is not running or has not woken up recently\n".to_string(),
        );
    }
    match state.health.store_problem() {
        Some(problem) => (StatusCode::SERVICE_UNAVAILABLE, format!("{problem}\n")),
        None => (StatusCode::OK, "ok\n".to_string()),
    }
}

/// `/metrics`' state: the registry and who may read it.
#[derive(Debug, Clone)]
struct MetricsState {
    state: HttpState,
    access: Arc<OperatorAccess>,
}

async fn metrics(
    State(MetricsState { state, access }): State<MetricsState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if !access.allows(Some(peer), &headers) {
        return pages::not_operator(access.token.is_some());
    }
    let body = state.metrics.render(state.clock.now());
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_needs_a_recent_beat() {
        let health = Health::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(!health.is_alive_at(t0), "not alive before the first beat");
        health.beat_at(t0);
        assert!(health.is_alive_at(t0 + Duration::from_secs(60)));
        assert!(!health.is_alive_at(t0 + Duration::from_secs(61)));
    }

    #[test]
    fn stopped_is_final() {
        let health = Health::new(Duration::from_secs(60));
        let t0 = Instant::now();
        health.beat_at(t0);
        health.stopped();
        assert!(!health.is_alive_at(t0));
        health.beat_at(t0);
        assert!(!health.is_alive_at(t0));
    }
}
