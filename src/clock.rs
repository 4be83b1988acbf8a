//! The one source of "now".
//!
//! Everything that reads the time or waits for an instant goes through a
//! [`Clock`], so tests can run a whole week of chats in paused tokio time
//! (`tokio::time::pause()`), and the daemon can recompute from the wall clock
//! after a long sleep (laptop suspend, NTP step) instead of trusting a timer.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// Wall-clock time, or a clock that starts at a chosen instant and then moves
/// with tokio's (possibly paused) timer, optionally faster than real time
/// (rehearsals).
#[derive(Debug, Clone)]
pub struct Clock {
    origin: Option<(Timestamp, tokio::time::Instant)>,
    /// Clock seconds per real second (1 except for rehearsals).
    speed: f64,
    /// Longest single nap: after it the wall clock is read again, so a suspend
    /// or an NTP step is noticed within this bound.
    max_nap: Duration,
}

impl Clock {
    /// The system's wall clock. Naps are capped at `max_nap`.
    pub fn system(max_nap: Duration) -> Self {
        Self {
            origin: None,
            speed: 1.0,
            max_nap,
        }
    }

    /// A clock that reads `start` now and advances with tokio's timer. Under
    /// `tokio::time::pause()` it jumps straight to the next deadline.
    pub fn starting_at(start: Timestamp) -> Self {
        Self::scaled(start, 1.0)
    }

    /// A clock that reads `start` now and runs `speed` times faster than
    /// tokio's timer: a one-hour chat rehearsed at speed 60 takes a minute.
    /// A speed that is not a positive finite number counts as 1.
    pub fn scaled(start: Timestamp, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Self {
            origin: Some((start, tokio::time::Instant::now())),
            speed,
            max_nap: Duration::from_secs(3600 * 24 * 365),
        }
    }

    pub fn now(&self) -> Timestamp {
        match self.origin {
            None => Timestamp::now(),
            Some((start, at)) => {
                let elapsed = tokio::time::Instant::now().duration_since(at);
                let elapsed = if self.speed == 1.0 {
                    elapsed
                } else {
                    elapsed.mul_f64(self.speed)
                };
                let elapsed = SignedDuration::try_from(elapsed).unwrap_or(SignedDuration::MAX);
                start.saturating_add(elapsed).unwrap_or(Timestamp::MAX)
            }
        }
    }

    /// Sleeps until `at` or for `max_nap`, whichever is sooner. Callers loop
    /// and re-read [`Clock::now`]: waking early is always allowed.
    pub async fn sleep_until(&self, at: Timestamp) {
        let wait = at.duration_since(self.now());
        if wait <= SignedDuration::ZERO {
            return;
        }
        let wait = Duration::try_from(wait).unwrap_or(self.max_nap);
        let wait = if self.speed == 1.0 {
            wait
        } else {
            // Round up so one nap reaches the instant instead of falling
            // a nanosecond short and spinning.
            wait.div_f64(self.speed) + Duration::from_nanos(1)
        };
        let wait = wait.min(self.max_nap);
        tokio::time::sleep(wait).await;
    }

    /// Sleeps until the clock reads `at` (re-reading it after every nap);
    /// `false` when `cancel` fires first. The one "sleep until" of the
    /// daemon: queued jobs, retry backoffs and rate-limit resets all wait
    /// through it.
    pub async fn wait_until(
        &self,
        at: Timestamp,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> bool {
        while self.now() < at {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => return false,
                _ = self.sleep_until(at) => {}
            }
        }
        true
    }
}

impl Clock {
    /// Waits like [`Clock::wait_until`], but returns within microseconds
    /// of `at` rather than a millisecond or two after it: tokio's timer
    /// ticks in whole milliseconds and its driver parks with millisecond
    /// timeouts, both rounded up. On the wall clock it sleeps until
    /// [`EXACT_WINDOW`] before `at`, then yields to the runtime until the
    /// clock reads `at`; other tasks keep running meanwhile, and the spin
    /// costs at most that window of CPU per instant with posts due. A
    /// clock of a test or rehearsal (possibly paused, where a spin would
    /// never see time move) waits as [`Clock::wait_until`] does.
    pub async fn wait_until_exact(
        &self,
        at: Timestamp,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> bool {
        if self.origin.is_some() {
            return self.wait_until(at, cancel).await;
        }
        let early = at.checked_sub(EXACT_WINDOW).unwrap_or(at);
        if !self.wait_until(early, cancel).await {
            return false;
        }
        while self.now() < at {
            if cancel.is_cancelled() {
                return false;
            }
            tokio::task::yield_now().await;
        }
        true
    }
}

/// How long before an instant [`Clock::wait_until_exact`] stops sleeping:
/// a little more than the timer's rounding.
pub const EXACT_WINDOW: SignedDuration = SignedDuration::from_millis(2);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_exact_wait_never_returns_before_its_instant() {
        let clock = Clock::system(Duration::from_secs(60));
        let cancel = tokio_util::sync::CancellationToken::new();
        for ms in [0, 1, 3, 7] {
            let at = Timestamp::now() + SignedDuration::from_millis(ms);
            assert!(clock.wait_until_exact(at, &cancel).await);
            assert!(Timestamp::now() >= at);
        }
        cancel.cancel();
        let later = Timestamp::now() + SignedDuration::from_secs(3600);
        assert!(!clock.wait_until_exact(later, &cancel).await);
    }

    #[tokio::test(start_paused = true)]
    async fn an_exact_wait_on_a_paused_clock_jumps_too() {
        let start: Timestamp = "2026-12-02T18:00:00Z".parse().unwrap();
        let clock = Clock::starting_at(start);
        let cancel = tokio_util::sync::CancellationToken::new();
        let at = start + SignedDuration::from_hours(5);
        assert!(clock.wait_until_exact(at, &cancel).await);
        assert!(clock.now() >= at);
    }

    #[tokio::test(start_paused = true)]
    async fn paused_clock_jumps_to_the_deadline() {
        let start: Timestamp = "2026-12-02T18:00:00Z".parse().unwrap();
        let clock = Clock::starting_at(start);
        let target: Timestamp = "2026-12-09T18:00:00Z".parse().unwrap();
        clock.sleep_until(target).await;
        assert_eq!(clock.now(), target);
    }

    #[tokio::test(start_paused = true)]
    async fn a_scaled_clock_runs_faster() {
        let start: Timestamp = "2026-12-02T18:00:00Z".parse().unwrap();
        let clock = Clock::scaled(start, 60.0);
        let before = tokio::time::Instant::now();
        let target: Timestamp = "2026-12-02T19:00:00Z".parse().unwrap();
        clock.sleep_until(target).await;
        assert!(clock.now() >= target);
        let real = before.elapsed();
        assert!(real >= Duration::from_secs(60) && real < Duration::from_millis(60_010));
    }

    #[tokio::test(start_paused = true)]
    async fn system_clock_naps_are_capped() {
        let clock = Clock::system(Duration::from_secs(30));
        let before = tokio::time::Instant::now();
        clock
            .sleep_until(Timestamp::now() + SignedDuration::from_hours(5))
            .await;
        assert_eq!(before.elapsed(), Duration::from_secs(30));
    }
}
