//! A claimed slot on one account, and the deadlines it must keep.
//!
//! A job may wait in its account's queue behind other work (a thanks
//! search, a retry backoff, a rate-limit reset), so its deadlines are
//! checked again when its turn comes ([`Job::lateness`]), not only when it
//! was claimed.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::thanks::ThanksContext;
use crate::platform::Audience;
use crate::schedule::{Slot, SlotKind};
use crate::settings::GraceSettings;

/// How late a slot of `kind` may still be posted.
pub fn grace_for(grace: &GraceSettings, kind: SlotKind) -> Duration {
    match kind {
        SlotKind::Announce => grace.announce,
        SlotKind::Thanks => grace.thanks,
        SlotKind::Welcome | SlotKind::Question | SlotKind::Wrapup => grace.question,
    }
}

/// What a job is: the worker routes on it.
#[derive(Debug, Clone)]
pub enum Work {
    /// One post of the slot's text ([`super::deliver`]).
    Post,
    /// The thank-you: search, transcript, mentions in parts
    /// ([`super::thanks`]).
    Thanks(Arc<ThanksContext>),
}

/// A claimed slot on one account, waiting in that account's queue.
#[derive(Debug, Clone)]
pub struct Job {
    pub slot: Arc<Slot>,
    pub account: String,
    pub key: String,
    /// Post welcome, questions and wrap-up as replies to the welcome.
    pub thread: bool,
    /// The chat's visibility and language.
    pub audience: Arc<Audience>,
    /// An earlier run claimed it without recording an answer.
    pub in_doubt: bool,
    /// The daemon started on replaced state (`--accept-state-change`) after
    /// this slot was due: even a key never claimed here (a thank-you's
    /// part) may be out, so each is looked up before it is posted.
    pub state_replaced: bool,
    /// The end of the grace window: no attempt starts after it.
    pub deadline: Timestamp,
    /// Why it must not be posted any more (past its grace window); an
    /// in-doubt job is then only reconciled.
    pub missed: Option<String>,
    /// Why its chat must not post on this account at all: a post of the
    /// chat does not fit the account ([`super::verdict`]). Recorded as
    /// failed with this reason (an in-doubt job is looked up first).
    pub refused: Option<std::sync::Arc<str>>,
    pub work: Work,
}

impl Job {
    /// A job for `slot` on `account` with the grace window of its kind.
    pub fn new(slot: &Arc<Slot>, account: &str, thread: bool, grace: &GraceSettings) -> Self {
        let grace = grace_for(grace, slot.kind);
        let grace = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
        let mut deadline = slot.at.saturating_add(grace).unwrap_or(Timestamp::MAX);
        if slot.kind == SlotKind::Announce {
            // Never after the chat started, not even on a retry.
            deadline = deadline.min(slot.starts);
        }
        Job {
            slot: slot.clone(),
            account: account.to_string(),
            key: slot.key(account),
            thread,
            audience: Arc::new(Audience::DEFAULT),
            in_doubt: false,
            state_replaced: false,
            deadline,
            missed: None,
            refused: None,
            work: Work::Post,
        }
    }

    /// Why posting at `now` is too late, if it is: past the grace window,
    /// or an announcement once the chat has started.
    pub fn lateness(&self, now: Timestamp) -> Option<String> {
        let late = SignedDuration::from_secs(now.duration_since(self.slot.at).as_secs());
        let grace = self.deadline.duration_since(self.slot.at);
        let grace = SignedDuration::from_secs(grace.as_secs());
        if self.slot.kind == SlotKind::Announce && now >= self.slot.starts {
            Some(format!(
                "missed by {late:#}: the chat has already started, so announcing it is pointless"
            ))
        } else if now > self.deadline {
            Some(format!(
                "missed by {late:#}, past the {grace:#} grace window for {}",
                self.slot.kind.noun()
            ))
        } else {
            None
        }
    }

    /// Checks the deadlines again at `now` (the job's turn in its queue).
    pub fn recheck(&mut self, now: Timestamp) {
        if self.missed.is_none() {
            self.missed = self.lateness(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::expand_occurrence;
    use crate::schedule::fixtures::hcsmbm;

    fn slot(label: &str) -> Arc<Slot> {
        let start =
            crate::schedule::Occurrence::at("2026-12-02T12:00[America/Chicago]".parse().unwrap());
        let slot = expand_occurrence(&hcsmbm(), &start)
            .into_iter()
            .find(|s| s.label() == label)
            .unwrap();
        Arc::new(slot)
    }

    const GRACE: GraceSettings = GraceSettings {
        question: Duration::from_secs(600),
        announce: Duration::from_secs(3600),
        thanks: Duration::from_secs(3600),
    };

    #[test]
    fn lateness_names_the_kind_in_plain_words() {
        let q = Job::new(&slot("question1"), "main", false, &GRACE);
        assert_eq!(q.lateness(q.slot.at + SignedDuration::from_mins(10)), None);
        assert_eq!(
            q.lateness(q.slot.at + SignedDuration::from_mins(12))
                .unwrap(),
            "missed by 12m, past the 10m grace window for a question"
        );
        // The day-ahead announcement: an hour of grace, long before the start.
        let a = Job::new(&slot("announce1"), "main", false, &GRACE);
        assert_eq!(
            a.lateness(a.slot.at + SignedDuration::from_mins(90))
                .unwrap(),
            "missed by 1h 30m, past the 1h grace window for an announcement"
        );
        assert_eq!(
            a.lateness(a.slot.starts).unwrap(),
            "missed by 24h: the chat has already started, so announcing it is pointless"
        );
    }
}
