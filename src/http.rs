//! `/healthz` and `/metrics` for operators.
//!
//! [`Metrics`] is a small hand-written Prometheus registry: a few counters,
//! gauges and one histogram do not justify a metrics framework.

// The contract the daemon codes against; the bodies are filled in by the
// HTTP/metrics work.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

/// Counters, gauges and the lateness histogram exported on `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {}

impl Metrics {
    /// One post attempt ended: `result` is `posted`, `failed`, `skipped` or
    /// `reconciled`.
    pub fn post_result(&self, account: &str, result: &str) {
        let _ = (account, result);
        todo!()
    }
    /// Seconds between a slot's instant and its post leaving.
    pub fn observe_lateness(&self, seconds: f64) {
        let _ = seconds;
        todo!()
    }
    pub fn set_chats_loaded(&self, n: usize) {
        let _ = n;
        todo!()
    }
    pub fn set_invalid_files(&self, n: usize) {
        let _ = n;
        todo!()
    }
    /// The next due slot (`None`: nothing scheduled).
    pub fn set_next_slot(&self, at: Option<Timestamp>) {
        let _ = at;
        todo!()
    }
    /// Remaining platform quota as the last response's headers said.
    pub fn set_quota(&self, account: &str, remaining: u64, limit: u64, reset: Option<Timestamp>) {
        let _ = (account, remaining, limit, reset);
        todo!()
    }
    /// Prometheus text exposition format; `now` for "next slot in seconds".
    pub fn render(&self, now: Timestamp) -> String {
        let _ = now;
        todo!()
    }
}

/// Liveness of the scheduler loop: alive while it runs and has woken up
/// recently (it wakes at least once per rescan interval).
#[derive(Debug)]
pub struct Health {}

impl Health {
    /// `max_silence`: how long without a beat still counts as alive.
    pub fn new(max_silence: Duration) -> Self {
        let _ = max_silence;
        todo!()
    }
    /// The loop is running and has just woken up.
    pub fn beat(&self, now: Timestamp) {
        let _ = now;
        todo!()
    }
    /// The loop has stopped (shutdown or crash).
    pub fn stopped(&self) {
        todo!()
    }
    pub fn is_alive(&self, now: Timestamp) -> bool {
        let _ = now;
        todo!()
    }
}

/// Shared with the HTTP handlers.
#[derive(Debug, Clone)]
pub struct HttpState {
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub clock: crate::clock::Clock,
}

/// Serves `/healthz` and `/metrics` on `listener` until `shutdown` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HttpState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let _ = (listener, state, shutdown);
    todo!()
}
