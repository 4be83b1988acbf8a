//! The one retry policy of the daemon.
//!
//! Adapters only say what went wrong ([`PostError`]); this module alone
//! decides when the next try may start: a post after a temporary failure, a
//! hashtag search, a claim the database refused, a reconcile that could not
//! tell. Every wait is bounded by the work's deadline (its grace window), so
//! nothing is retried into lateness, and a rate-limit reset that already lies
//! in the past backs off like any temporary failure instead of spinning.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::platform::PostError;

/// Backoff for temporary failures: doubling from `base` up to `max`, with
/// jitter, for as long as the deadline allows.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
    /// How often a hashtag search is tried in all: the search comes before
    /// the thank-you, which must still have time to go out.
    pub search_attempts: u32,
    /// How long an in-doubt post past its deadline is still looked up on
    /// the platform (with backoff) before it is recorded as failed.
    pub doubt_window: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
            search_attempts: 3,
            doubt_window: Duration::from_secs(300),
        }
    }
}

/// What to do after a failed try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Try again at this instant.
    At(Timestamp),
    /// Stop: the reason says why (for the store and the log).
    GiveUp(String),
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based): half fixed, half
    /// random, so accounts hitting the same outage do not retry in lockstep.
    pub fn delay(&self, attempt: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max);
        full / 2 + full.mul_f64(fastrand::f64() / 2.0)
    }

    /// When retry number `attempt` (0-based) may start after a plain
    /// temporary failure at `now`.
    pub fn backoff(&self, attempt: u32, now: Timestamp) -> Timestamp {
        let delay = SignedDuration::try_from(self.delay(attempt)).unwrap_or(SignedDuration::MAX);
        now.saturating_add(delay).unwrap_or(Timestamp::MAX)
    }

    /// After `err` on try number `attempt` (0-based) at `now`: when to try
    /// again, or why not. Only [`PostError::is_retryable`] errors are
    /// retried; a rate limit waits for its reset when that lies ahead, and
    /// backs off when it lies in the past (a clock skew or a stale header).
    pub fn after(
        &self,
        err: &PostError,
        attempt: u32,
        now: Timestamp,
        deadline: Timestamp,
    ) -> Retry {
        let at = match err {
            PostError::RateLimited { reset: Some(reset) } if *reset > now => *reset,
            PostError::RateLimited { .. } | PostError::Transient(_) | PostError::Unreachable(_) => {
                self.backoff(attempt, now)
            }
            other => return Retry::GiveUp(other.to_string()),
        };
        self.within(at, err, attempt, deadline)
    }

    /// Like [`RetryPolicy::after`], for a search that may take at most
    /// [`RetryPolicy::search_attempts`] tries.
    pub fn after_search(
        &self,
        err: &PostError,
        attempt: u32,
        now: Timestamp,
        deadline: Timestamp,
    ) -> Retry {
        if attempt + 1 >= self.search_attempts {
            return Retry::GiveUp(format!("{err}; gave up after {} attempt(s)", attempt + 1));
        }
        self.after(err, attempt, now, deadline)
    }

    /// `at` if it is still before `deadline`.
    fn within(&self, at: Timestamp, err: &PostError, attempt: u32, deadline: Timestamp) -> Retry {
        if at > deadline {
            return Retry::GiveUp(format!(
                "{err}; gave up after {} attempt(s): the next try at {at} would be after \
                 the grace window, which ended at {deadline}",
                attempt + 1
            ));
        }
        Retry::At(at)
    }

    /// How long a post in doubt is still looked up: its own deadline, but
    /// at least [`RetryPolicy::doubt_window`] from `now`.
    pub fn doubt_deadline(&self, deadline: Timestamp, now: Timestamp) -> Timestamp {
        let window = SignedDuration::try_from(self.doubt_window).unwrap_or(SignedDuration::ZERO);
        deadline.max(now.saturating_add(window).unwrap_or(Timestamp::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        let first = policy.delay(0);
        assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
        let late = policy.delay(30);
        assert!(late >= Duration::from_secs(30) && late <= Duration::from_secs(60));
    }

    #[test]
    fn a_rate_limit_waits_for_a_reset_ahead_and_backs_off_from_one_past() {
        let policy = RetryPolicy::default();
        let now = ts("2026-12-02T18:00:00Z");
        let deadline = ts("2026-12-02T18:30:00Z");
        let ahead = PostError::RateLimited {
            reset: Some(ts("2026-12-02T18:15:00Z")),
        };
        assert_eq!(
            policy.after(&ahead, 0, now, deadline),
            Retry::At(ts("2026-12-02T18:15:00Z"))
        );
        let past = PostError::RateLimited {
            reset: Some(ts("2026-12-02T17:59:00Z")),
        };
        match policy.after(&past, 3, now, deadline) {
            Retry::At(at) => assert!(at > now && at <= ts("2026-12-02T18:00:08Z"), "{at}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nothing_is_retried_past_the_deadline_or_when_it_cannot_help() {
        let policy = RetryPolicy::default();
        let now = ts("2026-12-02T18:00:00Z");
        let late = PostError::RateLimited {
            reset: Some(ts("2026-12-02T18:15:00Z")),
        };
        let gave_up = policy.after(&late, 0, now, ts("2026-12-02T18:10:00Z"));
        assert!(
            matches!(&gave_up, Retry::GiveUp(why) if why.contains("grace window")),
            "{gave_up:?}"
        );
        let refused = PostError::Rejected("too long".into());
        assert_eq!(
            policy.after(&refused, 0, now, ts("2026-12-02T19:00:00Z")),
            Retry::GiveUp("rejected: too long".into())
        );
        let search = PostError::Transient("502".into());
        assert!(matches!(
            policy.after_search(&search, 2, now, ts("2026-12-02T19:00:00Z")),
            Retry::GiveUp(_)
        ));
        assert!(matches!(
            policy.after_search(&search, 1, now, ts("2026-12-02T19:00:00Z")),
            Retry::At(_)
        ));
    }
}
