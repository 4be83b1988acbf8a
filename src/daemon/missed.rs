//! Saying what was missed, truthfully and once.
//!
//! When the daemon starts (or a chat file appears) after some of a chat's
//! slots are past, two different things happened:
//!
//! - slots whose grace window closed before the chat file even existed were
//!   never missed: nobody could have posted them. They are left out without
//!   a record, and one line per occurrence says so;
//! - slots the daemon could have posted but did not (it was down) are
//!   skipped and recorded, and one warning per occurrence lists them,
//!   instead of one line per slot and account.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jiff::{Timestamp, civil};
use tracing::{info, warn};

use crate::plan::ChatPlan;
use crate::schedule::Slot;

/// When a chat file came to exist: its creation time where the file system
/// keeps one, else its last modification.
fn written_at(path: &Path) -> Option<Timestamp> {
    let meta = std::fs::metadata(path).ok()?;
    let at: SystemTime = meta.created().or_else(|_| meta.modified()).ok()?;
    Timestamp::try_from(at).ok()
}

/// One occurrence of one chat.
type Occurrence = (Arc<str>, civil::DateTime);

/// Slots over before their chat file existed, per occurrence.
#[derive(Default)]
pub struct BeforeFile {
    written: BTreeMap<String, Option<Timestamp>>,
    left_out: BTreeMap<Occurrence, (usize, Timestamp)>,
}

impl BeforeFile {
    /// Whether `slot`'s grace window closed before `plan`'s file was
    /// written; such a slot is left out (and counted for [`Self::log`]).
    ///
    /// A file written after the daemon's `now` says nothing about what could
    /// have been posted (the daemon's clock is not the wall clock: a test in
    /// paused time, a clock stepped back), so nothing is left out for it.
    pub fn leave_out(
        &mut self,
        plan: &ChatPlan,
        slot: &Slot,
        grace: Duration,
        now: Timestamp,
    ) -> bool {
        let written = *self
            .written
            .entry(plan.id.to_string())
            .or_insert_with(|| written_at(&plan.source));
        let Some(written) = written.filter(|written| *written <= now) else {
            return false;
        };
        let grace = jiff::SignedDuration::try_from(grace).unwrap_or(jiff::SignedDuration::MAX);
        let closed = slot.at.saturating_add(grace).unwrap_or(Timestamp::MAX);
        if closed >= written {
            return false;
        }
        let entry = self
            .left_out
            .entry((slot.chat.clone(), slot.occurrence))
            .or_insert((0, written));
        entry.0 += 1;
        true
    }

    /// One line per occurrence that had slots left out.
    pub fn log(self) {
        for ((chat, occurrence), (count, written)) in self.left_out {
            info!(
                chat = %chat,
                occurrence = %occurrence.strftime("%Y-%m-%dT%H:%M"),
                "{count} post(s) of the {} occurrence were over before the chat file was written ({written}): not posted, not missed",
                occurrence.strftime("%Y-%m-%d %H:%M")
            );
        }
    }
}

/// Slots skipped now because they were missed, per occurrence.
#[derive(Default)]
pub struct Skipped {
    by_occurrence: BTreeMap<Occurrence, Vec<(String, String, String)>>,
}

impl Skipped {
    pub fn add(&mut self, slot: &Slot, account: &str, reason: &str) {
        self.by_occurrence
            .entry((slot.chat.clone(), slot.occurrence))
            .or_default()
            .push((slot.label(), account.to_string(), reason.to_string()));
    }

    /// One warning per occurrence: which posts, on which accounts, and the
    /// first reason (each post's own reason is in the store and `status`).
    pub fn log(self) {
        for ((chat, occurrence), skipped) in self.by_occurrence {
            let mut posts: Vec<&str> = skipped.iter().map(|(l, _, _)| l.as_str()).collect();
            posts.dedup();
            let mut accounts: Vec<&str> = skipped.iter().map(|(_, a, _)| a.as_str()).collect();
            accounts.sort_unstable();
            accounts.dedup();
            let first = skipped.first().map_or("", |(_, _, r)| r.as_str());
            warn!(
                chat = %chat,
                occurrence = %occurrence.strftime("%Y-%m-%dT%H:%M"),
                "skipped {} post(s) of the {} occurrence on {}: {} (first: {first}); see `tweetchat status`",
                skipped.len(),
                occurrence.strftime("%Y-%m-%d %H:%M"),
                accounts.join(", "),
                posts.join(", ")
            );
        }
    }
}
