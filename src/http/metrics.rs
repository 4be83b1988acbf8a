//! The Prometheus registry, by hand: a few counters, gauges and one
//! histogram do not justify a metrics framework.
//!
//! Each family is rendered with its `# HELP` and `# TYPE` lines in the text
//! exposition format (version 0.0.4); label values are escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;

/// Upper bounds of the lateness histogram, in seconds: 5 ms to a minute.
pub const LATENESS_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Counters, gauges and the lateness histogram exported on `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (account, result) → count.
    posts: Mutex<BTreeMap<(String, String), u64>>,
    lateness: Mutex<Histogram>,
    chats_loaded: AtomicU64,
    invalid_files: AtomicU64,
    next_slot: Mutex<Option<Timestamp>>,
    quota: Mutex<BTreeMap<String, Quota>>,
    /// account → what the last try and the last check said: the one
    /// record behind `tweetchat_account_up`, `…_checked_seconds` and the
    /// operator page.
    accounts: Mutex<BTreeMap<String, AccountHealth>>,
    store: std::sync::OnceLock<std::sync::Arc<crate::store::StoreHealth>>,
    /// `[store] replica` and the backend (`sqlite`, `postgres`).
    replica: std::sync::OnceLock<(String, &'static str)>,
    notify: std::sync::OnceLock<std::sync::Arc<crate::notify::NotifyCounters>>,
}

/// What is known of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountHealth {
    /// Its platform answered (and accepted its credentials) at the last try.
    pub up: bool,
    /// When it was last checked ([`crate::daemon::checks`]).
    pub checked_at: Option<Timestamp>,
    /// Why it is down, with the fix.
    pub reason: Option<String>,
    /// Who it posts as (`@name`), from the last check that passed.
    pub posts_as: Option<String>,
    /// The rate-limit window as the platform last reported it, in words.
    pub quota: Option<String>,
}

#[derive(Debug, Default)]
struct Histogram {
    /// Per bucket, not cumulative (summed when rendered).
    counts: [u64; LATENESS_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Clone, Copy)]
struct Quota {
    remaining: u64,
    limit: u64,
    reset: Option<Timestamp>,
}

/// A poisoned lock only means another thread panicked mid-update of a
/// counter; the numbers are still worth exporting.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    /// One post attempt ended: `result` is `posted`, `failed`, `skipped` or
    /// `reconciled`.
    pub fn post_result(&self, account: &str, result: &str) {
        *lock(&self.posts)
            .entry((account.to_string(), result.to_string()))
            .or_default() += 1;
    }

    /// Seconds between a slot's instant and its post leaving (negative and
    /// NaN count as on time).
    pub fn observe_lateness(&self, seconds: f64) {
        let seconds = if seconds.is_nan() {
            0.0
        } else {
            seconds.max(0.0)
        };
        let mut histogram = lock(&self.lateness);
        if let Some(i) = LATENESS_BUCKETS.iter().position(|le| seconds <= *le) {
            histogram.counts[i] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// How many chat files are loaded and valid.
    pub fn set_chats_loaded(&self, n: usize) {
        self.chats_loaded.store(n as u64, Ordering::Relaxed);
    }

    /// How many chat files failed to load (their last good version may still run).
    pub fn set_invalid_files(&self, n: usize) {
        self.invalid_files.store(n as u64, Ordering::Relaxed);
    }

    /// The next due slot (`None`: nothing scheduled).
    pub fn set_next_slot(&self, at: Option<Timestamp>) {
        *lock(&self.next_slot) = at;
    }

    /// Remaining platform quota as the last response's headers said.
    pub fn set_quota(&self, account: &str, remaining: u64, limit: u64, reset: Option<Timestamp>) {
        let quota = Quota {
            remaining,
            limit,
            reset,
        };
        lock(&self.quota).insert(account.to_string(), quota);
    }

    /// Whether `account`'s platform could be reached at the last try.
    pub fn set_account_up(&self, account: &str, up: bool) {
        let mut accounts = lock(&self.accounts);
        let health = accounts.entry(account.to_string()).or_default();
        if up && !health.up {
            health.reason = None;
        }
        health.up = up;
    }

    /// `account` was just checked at `at`: who it posts as, or why it
    /// cannot post.
    pub fn account_checked(&self, account: &str, at: Timestamp, answer: Result<String, String>) {
        let quota = lock(&self.quota)
            .get(account)
            .map(|q| format!("{} of {} requests left in the window", q.remaining, q.limit));
        let mut accounts = lock(&self.accounts);
        let health = accounts.entry(account.to_string()).or_default();
        health.checked_at = Some(at);
        health.quota = quota;
        match answer {
            Ok(posts_as) => {
                health.up = true;
                health.reason = None;
                health.posts_as = Some(posts_as);
            }
            Err(reason) => {
                health.up = false;
                health.reason = Some(reason);
            }
        }
    }

    /// Every account's record, by name (the operator page).
    pub fn accounts(&self) -> BTreeMap<String, AccountHealth> {
        lock(&self.accounts).clone()
    }

    /// Counts the `[notify]` webhook's events.
    pub fn watch_notify(&self, counters: std::sync::Arc<crate::notify::NotifyCounters>) {
        let _ = self.notify.set(counters);
    }

    /// Counts the state database's refused requests.
    pub fn watch_store(&self, store: std::sync::Arc<crate::store::StoreHealth>) {
        let _ = self.store.set(store);
    }

    /// Names this process among the replicas, with its store's backend.
    pub fn set_replica(&self, replica: &str, backend: &'static str) {
        let _ = self.replica.set((replica.to_string(), backend));
    }

    /// Prometheus text exposition format; `now` for "next slot in seconds".
    pub fn render(&self, now: Timestamp) -> String {
        let mut out = String::new();
        self.render_posts(&mut out);
        self.render_lateness(&mut out);
        let gauges = [
            (
                "tweetchat_chats_loaded",
                "Chat files loaded and valid.",
                self.chats_loaded.load(Ordering::Relaxed),
            ),
            (
                "tweetchat_invalid_chat_files",
                "Chat files that failed to load.",
                self.invalid_files.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in gauges {
            header(&mut out, name, help, "gauge");
            let _ = writeln!(out, "{name} {value}");
        }
        header(
            &mut out,
            "tweetchat_next_slot_seconds",
            "Seconds until the next scheduled post; absent when nothing is scheduled.",
            "gauge",
        );
        if let Some(at) = *lock(&self.next_slot) {
            let _ = writeln!(
                out,
                "tweetchat_next_slot_seconds {}",
                seconds_between(now, at)
            );
        }
        self.render_quota(&mut out, now);
        header(
            &mut out,
            "tweetchat_account_up",
            "1 when the account's platform answered and took its credentials at the last post or check, 0 when not.",
            "gauge",
        );
        let accounts = lock(&self.accounts).clone();
        for (account, health) in &accounts {
            let _ = writeln!(
                out,
                "tweetchat_account_up{{account=\"{}\"}} {}",
                escape(account),
                u8::from(health.up)
            );
        }
        header(
            &mut out,
            "tweetchat_account_checked_seconds",
            "Unix time of the account's last check (at start, a day and an hour before each chat).",
            "gauge",
        );
        for (account, health) in &accounts {
            if let Some(at) = health.checked_at {
                let _ = writeln!(
                    out,
                    "tweetchat_account_checked_seconds{{account=\"{}\"}} {}",
                    escape(account),
                    at.as_second()
                );
            }
        }
        self.render_notify(&mut out);
        header(
            &mut out,
            "tweetchat_store_errors_total",
            "Requests the state database refused (each stops a post until it is taken).",
            "counter",
        );
        let errors = self.store.get().map_or(0, |store| store.errors_total());
        let _ = writeln!(out, "tweetchat_store_errors_total {errors}");
        if let Some((replica, backend)) = self.replica.get() {
            header(
                &mut out,
                "tweetchat_replica_info",
                "This process's name among the replicas ([store] replica) and its store.",
                "gauge",
            );
            let _ = writeln!(
                out,
                "tweetchat_replica_info{{replica=\"{}\",store=\"{backend}\"}} 1",
                escape(replica)
            );
        }
        if let Some(alive) = self.store.get().and_then(|store| store.replicas_alive()) {
            header(
                &mut out,
                "tweetchat_replicas_alive",
                "Replicas sharing the PostgreSQL store that are alive (hold their liveness lock), counted every few seconds.",
                "gauge",
            );
            let _ = writeln!(out, "tweetchat_replicas_alive {alive}");
        }
        header(
            &mut out,
            "tweetchat_up",
            "1 while the process serves metrics.",
            "gauge",
        );
        out.push_str("tweetchat_up 1\n");
        out
    }

    fn render_notify(&self, out: &mut String) {
        let counters = self.notify.get();
        let families = [
            (
                "tweetchat_notify_sent_total",
                "Events the [notify] webhook accepted.",
                counters.map_or(0, |c| c.sent()),
            ),
            (
                "tweetchat_notify_failed_total",
                "Events the [notify] webhook did not take after the retries.",
                counters.map_or(0, |c| c.failed()),
            ),
            (
                "tweetchat_notify_dropped_total",
                "Events dropped because the [notify] queue was full (the receiver too slow).",
                counters.map_or(0, |c| c.dropped()),
            ),
            (
                "tweetchat_notify_elsewhere_total",
                "Events not sent because another replica claimed and sent them.",
                counters.map_or(0, |c| c.elsewhere()),
            ),
        ];
        for (name, help, value) in families {
            header(out, name, help, "counter");
            let _ = writeln!(out, "{name} {value}");
        }
    }

    fn render_posts(&self, out: &mut String) {
        header(
            out,
            "tweetchat_posts_total",
            "Post attempts by account and result (posted, failed, skipped, reconciled).",
            "counter",
        );
        for ((account, result), count) in lock(&self.posts).iter() {
            let _ = writeln!(
                out,
                "tweetchat_posts_total{{account=\"{}\",result=\"{}\"}} {count}",
                escape(account),
                escape(result)
            );
        }
    }

    fn render_lateness(&self, out: &mut String) {
        let name = "tweetchat_post_lateness_seconds";
        header(
            out,
            name,
            "Seconds between a slot's instant and its post leaving.",
            "histogram",
        );
        let histogram = lock(&self.lateness);
        let mut cumulative = 0;
        for (le, count) in LATENESS_BUCKETS.iter().zip(histogram.counts) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", histogram.count);
        let _ = writeln!(out, "{name}_sum {}", histogram.sum);
        let _ = writeln!(out, "{name}_count {}", histogram.count);
    }

    fn render_quota(&self, out: &mut String, now: Timestamp) {
        let quota = lock(&self.quota);
        let families: [(&str, &str, QuotaValue); 3] = [
            (
                "tweetchat_platform_quota_remaining",
                "Requests left in the platform's current rate-limit window.",
                |q, _| Some(q.remaining as f64),
            ),
            (
                "tweetchat_platform_quota_limit",
                "Requests allowed in the platform's rate-limit window.",
                |q, _| Some(q.limit as f64),
            ),
            (
                "tweetchat_platform_quota_reset_seconds",
                "Seconds until the platform's rate-limit window resets.",
                |q, now| q.reset.map(|at| seconds_between(now, at).max(0.0)),
            ),
        ];
        for (name, help, value) in families {
            header(out, name, help, "gauge");
            for (account, q) in quota.iter() {
                if let Some(v) = value(q, now) {
                    let _ = writeln!(out, "{name}{{account=\"{}\"}} {v}", escape(account));
                }
            }
        }
    }
}

/// Reads one number out of a quota, given "now".
type QuotaValue = fn(&Quota, Timestamp) -> Option<f64>;

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn seconds_between(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64()
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// The sample lines (not comments) whose name starts with `prefix`.
    fn samples<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines()
            .filter(|l| !l.starts_with('#') && l.starts_with(prefix))
            .collect()
    }

    #[test]
    fn posts_are_counted_by_account_and_result() {
        let m = Metrics::default();
        m.post_result("main_x", "posted");
        m.post_result("main_x", "posted");
        m.post_result("console", "failed");
        let text = m.render(Timestamp::UNIX_EPOCH);
        assert_eq!(
            samples(&text, "tweetchat_posts_total"),
            [
                "tweetchat_posts_total{account=\"console\",result=\"failed\"} 1",
                "tweetchat_posts_total{account=\"main_x\",result=\"posted\"} 2",
            ]
        );
        assert!(text.contains("# TYPE tweetchat_posts_total counter\n"));
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe_lateness(0.003);
        m.observe_lateness(0.2);
        m.observe_lateness(120.0);
        m.observe_lateness(-1.0);
        let text = m.render(Timestamp::UNIX_EPOCH);
        let name = "tweetchat_post_lateness_seconds";
        assert!(text.contains(&format!("{name}_bucket{{le=\"0.005\"}} 2\n")));
        assert!(text.contains(&format!("{name}_bucket{{le=\"0.25\"}} 3\n")));
        assert!(text.contains(&format!("{name}_bucket{{le=\"60\"}} 3\n")));
        assert!(text.contains(&format!("{name}_bucket{{le=\"+Inf\"}} 4\n")));
        assert!(text.contains(&format!("{name}_count 4\n")));
        let sum = 0.0 + 0.003 + 0.2 + 120.0 + 0.0;
        assert!(text.contains(&format!("{name}_sum {sum}\n")));
    }

    #[test]
    fn next_slot_is_seconds_from_now_or_absent() {
        let m = Metrics::default();
        let now = ts("2026-12-02T18:00:00Z");
        assert!(samples(&m.render(now), "tweetchat_next_slot_seconds").is_empty());
        m.set_next_slot(Some(ts("2026-12-02T18:01:30Z")));
        assert_eq!(
            samples(&m.render(now), "tweetchat_next_slot_seconds"),
            ["tweetchat_next_slot_seconds 90"]
        );
    }

    #[test]
    fn quota_reset_is_relative_and_label_values_are_escaped() {
        let m = Metrics::default();
        let now = ts("2026-12-02T18:00:00Z");
        m.set_quota("we\"ird\\\n", 7, 300, Some(ts("2026-12-02T18:05:00Z")));
        let text = m.render(now);
        assert!(
            text.contains("tweetchat_platform_quota_remaining{account=\"we\\\"ird\\\\\\n\"} 7\n")
        );
        assert!(
            text.contains("tweetchat_platform_quota_limit{account=\"we\\\"ird\\\\\\n\"} 300\n")
        );
        assert!(text.contains(
            "tweetchat_platform_quota_reset_seconds{account=\"we\\\"ird\\\\\\n\"} 300\n"
        ));
    }

    #[test]
    fn gauges_and_up_are_always_present() {
        let m = Metrics::default();
        m.set_chats_loaded(3);
        m.set_invalid_files(1);
        let text = m.render(Timestamp::UNIX_EPOCH);
        assert_eq!(
            samples(&text, "tweetchat_chats_loaded"),
            ["tweetchat_chats_loaded 3"]
        );
        assert_eq!(
            samples(&text, "tweetchat_invalid_chat_files"),
            ["tweetchat_invalid_chat_files 1"]
        );
        assert_eq!(samples(&text, "tweetchat_up"), ["tweetchat_up 1"]);
    }

    #[test]
    fn a_check_sets_up_and_checked_seconds_from_one_record() {
        let m = Metrics::default();
        m.set_account_up("main_x", true);
        let at = ts("2026-12-01T18:00:00Z");
        m.account_checked("main_x", at, Err("not authorized: fix its keys".into()));
        let text = m.render(at);
        assert_eq!(
            samples(&text, "tweetchat_account_up"),
            ["tweetchat_account_up{account=\"main_x\"} 0"]
        );
        assert_eq!(
            samples(&text, "tweetchat_account_checked_seconds"),
            [format!(
                "tweetchat_account_checked_seconds{{account=\"main_x\"}} {}",
                at.as_second()
            )]
        );
        let health = &m.accounts()["main_x"];
        assert_eq!(
            health.reason.as_deref(),
            Some("not authorized: fix its keys")
        );
        // A post that gets through afterwards brings it back up.
        m.set_account_up("main_x", true);
        assert_eq!(m.accounts()["main_x"].reason, None);
        assert_eq!(
            samples(&m.render(at), "tweetchat_notify_dropped_total"),
            ["tweetchat_notify_dropped_total 0"]
        );
    }
}
