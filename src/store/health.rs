//! Whether the state database is taking writes, for `/healthz` and
//! `/metrics`.
//!
//! A database that refuses every write (damaged, disk full, read-only)
//! stops every post, since nothing is posted unclaimed; the loop itself stays
//! alive and beats, so its liveness alone would say all is well. The
//! writer reports each batch here: the count of failed requests goes to
//! `/metrics`, and while writes keep failing `/healthz` answers 503 with
//! the reason. Another program holding the write lock ("database is
//! locked") is waited out first: it counts as failing only after
//! [`BUSY_GRACE`] without a successful write.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// How long writes may fail only because another connection holds the
/// database's lock before `/healthz` says so (the daemon's own wait for
/// the database keeps it alive as long: [`crate::daemon::STORE_WAIT_ALIVE`]).
pub const BUSY_GRACE: Duration = Duration::from_secs(60);

/// Shared by the writer (reports) and the HTTP handlers (reads).
#[derive(Debug, Default)]
pub struct StoreHealth {
    errors: AtomicU64,
    failing: Mutex<Option<Failing>>,
    /// On PostgreSQL: how many replicas held their liveness lock at the
    /// last count, plus one (0: not counted, as on SQLite).
    replicas: AtomicU64,
}

#[derive(Debug, Clone)]
struct Failing {
    since: Instant,
    reason: String,
    /// Every failure so far was the lock held by another connection.
    busy_only: bool,
}

/// What one batch of the writer came to.
#[derive(Debug, Default)]
pub(super) struct BatchReport {
    pub failed: u64,
    pub reason: Option<String>,
    pub busy_only: bool,
    pub wrote: bool,
}

impl BatchReport {
    pub(super) fn failure(&mut self, reason: &str) {
        let busy = is_busy(reason);
        if self.failed == 0 {
            self.busy_only = busy;
            self.reason = Some(reason.to_string());
        } else {
            self.busy_only &= busy;
        }
        self.failed += 1;
    }
}

/// SQLite's lock held by another program, or PostgreSQL out of reach (a
/// restart, a failover, the network): both are waited out for
/// [`BUSY_GRACE`] before `/healthz` says so, while claims are retried.
fn is_busy(reason: &str) -> bool {
    reason.contains("database is locked")
        || reason.contains("database is busy")
        || reason.contains("is unreachable")
        || reason.contains("connection closed")
        || reason.contains("error communicating with")
}

impl StoreHealth {
    /// How many replicas share the database and are alive (holding their
    /// liveness lock), as last counted; `None` on SQLite or before the
    /// first count.
    pub fn replicas_alive(&self) -> Option<u64> {
        self.replicas.load(Ordering::Relaxed).checked_sub(1)
    }

    pub(super) fn set_replicas_alive(&self, alive: u64) {
        self.replicas
            .store(alive.saturating_add(1), Ordering::Relaxed);
    }

    /// Requests the database refused since the start.
    pub fn errors_total(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Why the database is not taking writes, while it is not.
    pub fn problem(&self) -> Option<String> {
        self.problem_at(Instant::now())
    }

    fn problem_at(&self, now: Instant) -> Option<String> {
        let failing = self.lock().clone()?;
        let for_how_long = now.saturating_duration_since(failing.since);
        if failing.busy_only && for_how_long < BUSY_GRACE {
            return None;
        }
        Some(format!(
            "the state database has refused writes for {}s, so nothing can be posted: {}",
            for_how_long.as_secs(),
            failing.reason
        ))
    }

    pub(super) fn report(&self, batch: BatchReport) {
        self.report_at(batch, Instant::now());
    }

    fn report_at(&self, batch: BatchReport, now: Instant) {
        self.errors.fetch_add(batch.failed, Ordering::Relaxed);
        let mut failing = self.lock();
        match batch.reason {
            Some(reason) => match failing.as_mut() {
                Some(failing) => {
                    failing.reason = reason;
                    failing.busy_only &= batch.busy_only;
                }
                None => {
                    *failing = Some(Failing {
                        since: now,
                        reason,
                        busy_only: batch.busy_only,
                    })
                }
            },
            None if batch.wrote => *failing = None,
            None => {}
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Failing>> {
        self.failing.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(reason: &str) -> BatchReport {
        let mut batch = BatchReport::default();
        batch.failure(reason);
        batch
    }

    #[test]
    fn failing_writes_are_a_problem_until_one_succeeds() {
        let health = StoreHealth::default();
        let t0 = Instant::now();
        assert_eq!(health.problem_at(t0), None);
        health.report_at(failed("database disk image is malformed"), t0);
        health.report_at(failed("database disk image is malformed"), t0);
        assert_eq!(health.errors_total(), 2);
        let problem = health.problem_at(t0 + Duration::from_secs(3)).unwrap();
        assert!(
            problem.contains("malformed") && problem.contains("3s"),
            "{problem}"
        );
        // A read-only batch says nothing about writes.
        health.report_at(BatchReport::default(), t0);
        assert!(health.problem_at(t0).is_some());
        let wrote = BatchReport {
            wrote: true,
            ..BatchReport::default()
        };
        health.report_at(wrote, t0);
        assert_eq!(health.problem_at(t0), None);
        assert_eq!(health.errors_total(), 2, "a counter never goes down");
    }

    #[test]
    fn a_lock_held_by_another_program_is_waited_out_first() {
        let health = StoreHealth::default();
        let t0 = Instant::now();
        health.report_at(failed("database is locked"), t0);
        assert_eq!(health.problem_at(t0 + Duration::from_secs(59)), None);
        assert!(health.problem_at(t0 + BUSY_GRACE).is_some());
        // Any other failure meanwhile is a problem at once.
        health.report_at(failed("disk I/O error"), t0);
        assert!(health.problem_at(t0).is_some());
    }
}
