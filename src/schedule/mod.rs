//! From plans to a timeline: occurrences, slots, and zone-aware rendering.
//!
//! A [`ChatPlan`](crate::plan::ChatPlan) says *what* and *when* in local terms;
//! this module turns it into [`Slot`]s at absolute instants. It is pure: no
//! clock, no I/O, so `tweetchat plan`, the daemon and tests all see the same
//! timeline for the same inputs.
//!
//! - [`recurrence`]: occurrences of a one-off or cron chat between two
//!   instants, with the documented DST rules (a gap fires at the first instant
//!   after it, an overlap fires once, at the earlier instant).
//! - [`times`]: the `{times}` placeholder ("12:00 CST Wed 2 Dec — 10:00 PST, …").
//! - [`expand`]: every slot of every occurrence in a window, texts rendered.
//! - [`window`]: the `--from`/`--until` bounds of `tweetchat plan`.
//! - [`lengths`]: every post of a chat's next occurrence against the limits
//!   of the accounts it posts to (`tweetchat check`).

pub mod expand;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod lengths;
pub mod recurrence;
pub mod times;
pub mod window;

use std::fmt;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil;
use serde::Serialize;

pub use expand::{expand, expand_occurrence, first_slot_from, lag, lead};
pub use recurrence::{Occurrence, every_occurrence, next_occurrence, occurrences};

/// Why the occurrence keyed `key` is not held, in words (`not held: no
/// questions yet`, `skipped: Holiday week`); `None` when it is held.
pub fn not_held_reason(plan: &crate::plan::ChatPlan, key: civil::DateTime) -> Option<String> {
    use crate::plan::Status;
    match plan.status(key) {
        Status::Held(_) => None,
        Status::Skipped(session) => Some(match session.skip.flatten() {
            Some(reason) => format!("skipped: {}", plan.texts.get(reason)),
            None => "skipped".to_string(),
        }),
        Status::Unprepared => Some("not held: no questions yet".to_string()),
        Status::Ended => Some(format!(
            "not held: the chat ended after {} sessions (`count`)",
            plan.season.as_ref().and_then(|s| s.count).unwrap_or(0)
        )),
    }
}

/// What a slot posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SlotKind {
    Announce,
    Welcome,
    Question,
    Wrapup,
    Thanks,
}

impl SlotKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Announce => "announce",
            SlotKind::Welcome => "welcome",
            SlotKind::Question => "question",
            SlotKind::Wrapup => "wrapup",
            SlotKind::Thanks => "thanks",
        }
    }
}

impl SlotKind {
    /// The kind with its article, for sentences ("a question").
    pub fn noun(self) -> &'static str {
        match self {
            SlotKind::Announce => "an announcement",
            SlotKind::Welcome => "a welcome",
            SlotKind::Question => "a question",
            SlotKind::Wrapup => "a wrap-up",
            SlotKind::Thanks => "a thank-you",
        }
    }
}

impl fmt::Display for SlotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One post of one occurrence of one chat, for every account of the chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub chat: Arc<str>,
    /// Local start of the occurrence in the chat's zone; part of the key, so
    /// moving a chat to another date makes new keys and never "reposts".
    pub occurrence: civil::DateTime,
    pub kind: SlotKind,
    /// Question number for questions, announcement number (1-based, file
    /// order) for announcements, `None` otherwise.
    pub n: Option<u32>,
    /// When it is due.
    pub at: Timestamp,
    /// Rendered text, hashtag included. For thanks it still holds
    /// `{mentions}`, filled in after the chat.
    pub text: String,
    /// The chat's own versions for some networks (`x: "…"`), rendered
    /// like `text`; empty for most posts. Read with [`Slot::text_for`].
    pub variants: Vec<(crate::text::PlatformKind, String)>,
    /// Start and end of the occurrence, for grace windows and search ranges.
    pub starts: Timestamp,
    pub ends: Timestamp,
}

impl Slot {
    /// The text an account on `platform` posts: its own version where the
    /// chat wrote one, `text` otherwise.
    pub fn text_for(&self, platform: crate::text::PlatformKind) -> &str {
        self.variants
            .iter()
            .find(|(p, _)| *p == platform)
            .map_or(&self.text, |(_, text)| text)
    }

    /// The post within its occurrence: `question3`, `announce1`, `welcome`.
    pub fn label(&self) -> String {
        match self.n {
            Some(n) => format!("{}{n}", self.kind),
            None => self.kind.to_string(),
        }
    }

    /// The stable identity of this slot's post on one account:
    /// `chat/occurrence/kind[n]/account`, e.g.
    /// `hcsmbm/2026-12-02T12:00/question3/main_x`.
    pub fn key(&self, account: &str) -> String {
        let n = self.n.map(|n| n.to_string()).unwrap_or_default();
        format!(
            "{}/{}/{}{}/{}",
            self.chat,
            self.occurrence.strftime("%Y-%m-%dT%H:%M"),
            self.kind,
            n,
            account
        )
    }
}

/// Every occurrence starting in `[from, until)` that nobody prepared
/// questions for (so it is not held), with the first post it would have
/// made: what `check`, `status` and the daemon warn about ahead.
pub fn unprepared(
    plan: &crate::plan::ChatPlan,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
) -> Vec<(Occurrence, Option<Slot>)> {
    if plan.season.is_none() {
        return Vec::new();
    }
    every_occurrence(plan, from, until)
        .into_iter()
        .filter(|o| plan.status(o.key) == crate::plan::Status::Unprepared)
        .map(|o| {
            let first = expand_occurrence(plan, &o).into_iter().next();
            (o, first)
        })
        .collect()
}

/// Held occurrences starting in `[from, until)` whose texts use `{topic}`
/// or `{host}` while their session gives none (the placeholder would be
/// posted empty), with the placeholder's name.
pub fn missing_session_values(
    plan: &crate::plan::ChatPlan,
    from: jiff::Timestamp,
    until: jiff::Timestamp,
) -> Vec<(Occurrence, &'static str)> {
    let mut found = Vec::new();
    for occurrence in occurrences(plan, from, until) {
        let session = plan.session(occurrence.key);
        for name in ["topic", "host"] {
            let given = session.is_some_and(|s| match name {
                "topic" => s.topic.is_some(),
                _ => !s.hosts.is_empty(),
            });
            if !given && expand::plan_uses(plan, session, name) {
                found.push((occurrence.clone(), name));
            }
        }
    }
    found
}
