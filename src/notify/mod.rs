//! `[notify]`: one outgoing webhook for what needs a person.
//!
//! The daemon reports four kinds of [`Event`]: an account failing its
//! check before a chat, a post failed, a post skipped, an occurrence
//! without questions. Each becomes one JSON object POSTed to the configured
//! URL (the body is documented in `docs/notify.md`).
//!
//! Reporting never waits: [`Notifier::send`] puts the event in a bounded
//! queue and returns; a task of its own ([`webhook::deliver`]) sends them in
//! order, retrying temporary failures with jittered backoff for a bounded
//! time. When the queue is full the oldest event is dropped and counted, so
//! a receiver that hangs costs memory for [`QUEUE_CAPACITY`] events at most
//! and never a post. An event equal to one already sent (same kind, chat,
//! account and occurrence or post) is not sent again, so a check failing
//! every hour, or every post of an occurrence skipped, is one message.
//!
//! Webhook URLs are secrets (Slack's and Discord's embed a token): the URL
//! is a [`crate::settings::Secret`], and every error about a request is
//! stripped of it before it is logged ([`webhook::redact`]).

pub mod webhook;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use tokio::sync::Notify;

/// Events waiting to be sent at most; past it the oldest is dropped.
pub const QUEUE_CAPACITY: usize = 256;

/// Events remembered as sent (so not sent again) at most, and for how long.
const REMEMBERED: usize = 10_000;
const REMEMBER_FOR: SignedDuration = SignedDuration::from_hours(24 * 15);

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An account a chat posts to failed its check before the chat.
    AccountFailing,
    /// A post was recorded as failed.
    PostFailed,
    /// A post was skipped (its grace window passed).
    PostSkipped,
    /// An occurrence has no questions yet, so it is not held.
    Unprepared,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::AccountFailing,
        EventKind::PostFailed,
        EventKind::PostSkipped,
        EventKind::Unprepared,
    ];

    /// The name in settings (`events = [...]`) and in the JSON body.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::AccountFailing => "account_failing",
            EventKind::PostFailed => "post_failed",
            EventKind::PostSkipped => "post_skipped",
            EventKind::Unprepared => "unprepared",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing a person should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub chat: Option<String>,
    pub account: Option<String>,
    /// The post's key, or for occurrences and accounts
    /// `CHAT/YYYY-MM-DDTHH:MM` (the occurrence).
    pub key: Option<String>,
    /// When it was noticed (the daemon's clock).
    pub at: Timestamp,
    /// What happened, in a sentence.
    pub message: String,
    /// What to do about it, when we know.
    pub fix: Option<String>,
}

impl Event {
    pub fn new(kind: EventKind, at: Timestamp, message: impl Into<String>) -> Self {
        Self {
            kind,
            chat: None,
            account: None,
            key: None,
            at,
            message: message.into(),
            fix: None,
        }
    }

    pub fn chat(mut self, chat: impl Into<String>) -> Self {
        self.chat = Some(chat.into());
        self
    }

    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    /// What makes two events "the same" for [`Notifier::send`].
    fn identity(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.kind,
            self.chat.as_deref().unwrap_or(""),
            self.account.as_deref().unwrap_or(""),
            self.key.as_deref().unwrap_or("")
        )
    }

    /// The key/value row claiming this event across replicas
    /// (`notify/KIND/CHAT/ACCOUNT/KEY`): the same for what
    /// [`Notifier::send`] counts as the same event.
    pub fn claim_key(&self) -> String {
        format!("notify/{}", self.identity().replace('\n', "/"))
    }

    /// The one line a chat app shows: `text` (Slack, Mattermost, Matrix
    /// hookshot) and `content` (Discord) carry it.
    pub fn line(&self) -> String {
        let mut line = format!("tweetchat: {}", self.message);
        if let Some(fix) = &self.fix {
            line.push_str(" Fix: ");
            line.push_str(fix);
        }
        line
    }

    /// The JSON body POSTed to the webhook (documented in docs/notify.md).
    pub fn body(&self) -> serde_json::Value {
        let line = self.line();
        serde_json::json!({
            "event": self.kind.name(),
            "chat": self.chat,
            "account": self.account,
            "key": self.key,
            // To the second: what a person reads.
            "at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "message": self.message,
            "fix": self.fix,
            "text": line,
            "content": line,
        })
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct NotifyCounters {
    /// Events the receiver accepted.
    pub sent: AtomicU64,
    /// Events given up on after the retries.
    pub failed: AtomicU64,
    /// Events dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Events another replica had claimed, so this one did not send them.
    pub elsewhere: AtomicU64,
}

impl NotifyCounters {
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
    pub fn elsewhere(&self) -> u64 {
        self.elsewhere.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
struct Queue {
    events: VecDeque<Event>,
    /// Identity → when it was queued.
    seen: HashMap<String, Timestamp>,
}

#[derive(Debug)]
struct Inner {
    queue: Mutex<Queue>,
    wake: Notify,
    /// `None`: every kind.
    kinds: Option<BTreeSet<EventKind>>,
    counters: Arc<NotifyCounters>,
    enabled: bool,
}

/// The reporting side, cheap to clone. A notifier made with
/// [`Notifier::off`] (no `[notify] url`) drops every event.
#[derive(Debug, Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self::off()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Notifier {
    /// Drops everything (no webhook configured).
    pub fn off() -> Self {
        Self::build(false, None)
    }

    /// Queues events of `kinds` (`None`: all) for [`webhook::deliver`].
    pub fn new(kinds: Option<BTreeSet<EventKind>>) -> Self {
        Self::build(true, kinds)
    }

    fn build(enabled: bool, kinds: Option<BTreeSet<EventKind>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                queue: Mutex::new(Queue::default()),
                wake: Notify::new(),
                kinds,
                counters: Arc::new(NotifyCounters::default()),
                enabled,
            }),
        }
    }

    pub fn is_on(&self) -> bool {
        self.inner.enabled
    }

    pub fn counters(&self) -> Arc<NotifyCounters> {
        Arc::clone(&self.inner.counters)
    }

    /// Queues `event` unless it is filtered out or was sent already;
    /// never waits. Returns whether it was queued.
    pub fn send(&self, event: Event) -> bool {
        if !self.inner.enabled
            || self
                .inner
                .kinds
                .as_ref()
                .is_some_and(|kinds| !kinds.contains(&event.kind))
        {
            return false;
        }
        let mut queue = lock(&self.inner.queue);
        let identity = event.identity();
        if queue.seen.contains_key(&identity) {
            return false;
        }
        let at = event.at;
        if queue.seen.len() >= REMEMBERED {
            let horizon = at.saturating_sub(REMEMBER_FOR).unwrap_or(at);
            queue.seen.retain(|_, seen| *seen >= horizon);
            if queue.seen.len() >= REMEMBERED {
                queue.seen.clear();
            }
        }
        queue.seen.insert(identity, at);
        if queue.events.len() >= QUEUE_CAPACITY {
            queue.events.pop_front();
            self.inner.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queue.events.push_back(event);
        drop(queue);
        self.inner.wake.notify_one();
        true
    }

    /// Forgets that events of `kind` about `account` were sent, so the next
    /// one is sent again: an account that recovered and then fails anew is
    /// news.
    pub fn forget(&self, kind: EventKind, account: &str) {
        let mut queue = lock(&self.inner.queue);
        let prefix = format!("{kind}\n");
        queue.seen.retain(|identity, _| {
            !(identity.starts_with(&prefix)
                && identity.split('\n').nth(2).is_some_and(|a| a == account))
        });
    }

    /// The oldest queued event, waiting for one.
    async fn next(&self) -> Event {
        loop {
            let notified = self.inner.wake.notified();
            if let Some(event) = lock(&self.inner.queue).events.pop_front() {
                return event;
            }
            notified.await;
        }
    }

    /// Events waiting to be sent.
    pub fn queued(&self) -> usize {
        lock(&self.inner.queue).events.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn failing(account: &str, occurrence: &str) -> Event {
        Event::new(
            EventKind::AccountFailing,
            ts("2026-12-01T18:00Z"),
            "credentials refused",
        )
        .chat("hcsmbm")
        .account(account)
        .key(format!("hcsmbm/{occurrence}"))
    }

    #[test]
    fn the_same_event_is_queued_once_until_forgotten() {
        let notifier = Notifier::new(None);
        assert!(notifier.send(failing("main_x", "2026-12-02T12:00")));
        assert!(!notifier.send(failing("main_x", "2026-12-02T12:00")));
        assert!(notifier.send(failing("other", "2026-12-02T12:00")));
        assert!(notifier.send(failing("main_x", "2026-12-09T12:00")));
        notifier.forget(EventKind::AccountFailing, "main_x");
        assert!(notifier.send(failing("main_x", "2026-12-02T12:00")));
        assert!(!notifier.send(failing("other", "2026-12-02T12:00")));
        assert_eq!(notifier.queued(), 4);
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_it() {
        let notifier = Notifier::new(None);
        for n in 0..QUEUE_CAPACITY + 3 {
            let event = Event::new(EventKind::PostFailed, ts("2026-12-01T18:00Z"), "x")
                .key(format!("k{n}"));
            assert!(notifier.send(event));
        }
        assert_eq!(notifier.queued(), QUEUE_CAPACITY);
        assert_eq!(notifier.counters().dropped(), 3);
        let first = lock(&notifier.inner.queue).events.front().cloned().unwrap();
        assert_eq!(first.key.as_deref(), Some("k3"));
    }

    #[test]
    fn filtered_and_disabled_notifiers_queue_nothing() {
        let only = Notifier::new(Some([EventKind::PostFailed].into()));
        assert!(!only.send(failing("main_x", "2026-12-02T12:00")));
        assert!(
            only.send(Event::new(EventKind::PostFailed, ts("2026-12-01T18:00Z"), "x").key("k"))
        );
        assert!(!Notifier::off().send(failing("main_x", "2026-12-02T12:00")));
    }

    #[test]
    fn the_body_carries_the_fields_and_the_chat_app_lines() {
        let event = failing("main_x", "2026-12-02T12:00").fix("fix its keys");
        let body = event.body();
        assert_eq!(body["event"], "account_failing");
        assert_eq!(body["chat"], "hcsmbm");
        assert_eq!(body["account"], "main_x");
        assert_eq!(body["key"], "hcsmbm/2026-12-02T12:00");
        assert_eq!(body["at"], "2026-12-01T18:00:00Z");
        assert_eq!(body["fix"], "fix its keys");
        let line = "tweetchat: credentials refused Fix: fix its keys";
        assert_eq!(body["text"], line);
        assert_eq!(body["content"], line);
    }
}
