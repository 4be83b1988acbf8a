//! The slots the loop is waiting for.
//!
//! Plans are expanded over a window that starts a little in the past (so a
//! slot missed while the daemon was down is seen, and posted late or skipped
//! by its grace window) and reaches `horizon` ahead; the window slides
//! forward as time passes, and is rebuilt when plans change. A slot handed to
//! the accounts is remembered as dispatched, so a rebuild never hands it out
//! twice in one process (across processes the store does that job).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp, civil};

use super::Timeline;
use super::reload::Changes;
use crate::plan::{ChatId, ChatPlan};
use crate::schedule::{self, Slot, SlotKind};

/// Orders slots by instant, then chat, occurrence, kind and number.
type SlotId = (Timestamp, Arc<str>, civil::DateTime, SlotKind, Option<u32>);

fn id_of(slot: &Slot) -> SlotId {
    (
        slot.at,
        slot.chat.clone(),
        slot.occurrence,
        slot.kind,
        slot.n,
    )
}

/// Pending slots of every loaded plan.
pub struct Timetable {
    plans: BTreeMap<ChatId, Arc<ChatPlan>>,
    pending: BTreeMap<SlotId, Arc<Slot>>,
    dispatched: BTreeSet<SlotId>,
    /// How far back a (re)build looks for missed slots.
    lookback: SignedDuration,
    /// How far ahead slots are expanded.
    horizon: SignedDuration,
    /// The window is expanded up to here (exclusive).
    expanded_until: Option<Timestamp>,
}

impl Timetable {
    pub fn new(lookback: SignedDuration, horizon: SignedDuration) -> Self {
        Self {
            plans: BTreeMap::new(),
            pending: BTreeMap::new(),
            dispatched: BTreeSet::new(),
            lookback,
            horizon,
            expanded_until: None,
        }
    }

    pub fn plan(&self, chat: &str) -> Option<&Arc<ChatPlan>> {
        self.plans.get(chat)
    }

    /// Every loaded plan (shared, not copied), for the chat pages.
    pub fn plans(&self) -> Vec<Arc<ChatPlan>> {
        self.plans.values().cloned().collect()
    }

    /// Replaces every plan and rebuilds the pending slots from
    /// `now - lookback`, leaving out what this process already dispatched.
    pub fn replace_plans(
        &mut self,
        plans: Vec<Arc<ChatPlan>>,
        timeline: &dyn Timeline,
        now: Timestamp,
    ) {
        let removed = self.plans.keys().cloned().collect();
        let changes = Changes {
            removed,
            updated: plans,
        };
        self.apply(changes, timeline, now);
    }

    /// Replaces only the plans that changed: their pending slots are dropped
    /// and theirs alone are expanded again (from `now - lookback`, leaving
    /// out what this process already dispatched); every other chat's slots
    /// stay as they are.
    pub fn apply(&mut self, changes: Changes, timeline: &dyn Timeline, now: Timestamp) {
        let touched: HashSet<&str> = changes
            .removed
            .iter()
            .map(|id| id.as_str())
            .chain(changes.updated.iter().map(|p| p.id.as_str()))
            .collect();
        if !touched.is_empty() {
            self.pending.retain(|id, _| !touched.contains(&*id.1));
        }
        for id in &changes.removed {
            self.plans.remove(id);
        }
        let from = now.saturating_sub(self.lookback).unwrap_or(now);
        let until = self
            .expanded_until
            .unwrap_or(now)
            .max(now.saturating_add(self.horizon).unwrap_or(now));
        for plan in changes.updated {
            self.expand_plan(timeline, &plan, from, until);
            self.plans.insert(plan.id.clone(), plan);
        }
        self.expanded_until = Some(until);
    }

    /// Slides the window forward once less than half the horizon is left,
    /// and forgets dispatched slots that fell out of the look-back.
    pub fn extend(&mut self, timeline: &dyn Timeline, now: Timestamp) {
        let half = self.horizon / 2;
        let Some(until) = self.expanded_until else {
            return;
        };
        if until.duration_since(now) > half {
            return;
        }
        let new_until = now.saturating_add(self.horizon).unwrap_or(now);
        let plans = std::mem::take(&mut self.plans);
        for plan in plans.values() {
            self.expand_plan(timeline, plan, until, new_until);
        }
        self.plans = plans;
        self.expanded_until = Some(new_until);
        let horizon_back = now.saturating_sub(self.lookback).unwrap_or(now);
        self.dispatched.retain(|id| id.0 >= horizon_back);
    }

    fn expand_plan(
        &mut self,
        timeline: &dyn Timeline,
        plan: &ChatPlan,
        from: Timestamp,
        until: Timestamp,
    ) {
        for slot in timeline.slots(plan, from, until) {
            let id = id_of(&slot);
            if !self.dispatched.contains(&id) {
                self.pending.insert(id, Arc::new(slot));
            }
        }
    }

    /// Chats whose plans are loaded.
    pub fn chats(&self) -> usize {
        self.plans.len()
    }

    /// Takes every slot due at or before `now`, in order, and marks them
    /// dispatched.
    pub fn take_due(&mut self, now: Timestamp) -> Vec<Arc<Slot>> {
        let mut due = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (id, slot) = entry.remove_entry();
            self.dispatched.insert(id);
            due.push(slot);
        }
        due
    }

    /// The instant of the next pending slot.
    pub fn next_at(&self) -> Option<Timestamp> {
        self.pending.keys().next().map(|id| id.0)
    }

    /// Pending slots due before `now` (being posted late, or skipped).
    pub fn pending_before(&self, now: Timestamp) -> impl Iterator<Item = &Arc<Slot>> {
        self.pending.values().take_while(move |slot| slot.at < now)
    }

    /// The first pending slot due at or after `now`: the next post that will
    /// really go out on time (slots still pending from before `now` are
    /// being posted late or skipped, and are not "next").
    pub fn next_slot_from(&self, now: Timestamp) -> Option<&Slot> {
        self.pending
            .values()
            .find(|slot| slot.at >= now)
            .map(|slot| slot.as_ref())
    }

    /// The first slot of any loaded plan due at or after `from`, however far
    /// ahead, for when nothing is pending inside the window. Plans are
    /// visited in the order of the earliest instant their next occurrence
    /// could post at, and the search stops once no plan can beat the best
    /// slot found, so only a few occurrences are expanded among thousands of
    /// chats.
    pub fn next_slot_beyond(&self, from: Timestamp) -> Option<Slot> {
        let mut candidates: Vec<(Timestamp, &ChatPlan)> = self
            .plans
            .values()
            .filter_map(|plan| {
                let search = from
                    .checked_sub(schedule::lag(plan))
                    .unwrap_or(Timestamp::MIN);
                let start = schedule::next_occurrence(plan, search)?;
                let earliest = start
                    .timestamp()
                    .checked_sub(schedule::lead(plan))
                    .unwrap_or(Timestamp::MIN);
                Some((earliest, plan.as_ref()))
            })
            .collect();
        candidates.sort_by_key(|(earliest, _)| *earliest);
        let mut best: Option<Slot> = None;
        for (earliest, plan) in candidates {
            if best.as_ref().is_some_and(|b| b.at <= earliest) {
                break;
            }
            if let Some(slot) = schedule::first_slot_from(plan, from)
                && best.as_ref().is_none_or(|b| slot.at < b.at)
            {
                best = Some(slot);
            }
        }
        best
    }

    /// The end of the expanded window.
    pub fn expanded_until(&self) -> Option<Timestamp> {
        self.expanded_until
    }

    /// Nothing pending inside the expanded window.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::Expand;
    use crate::schedule::fixtures::hcsmbm;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn table(plans: Vec<ChatPlan>, now: &str) -> Timetable {
        let mut table = Timetable::new(
            SignedDuration::from_hours(1),
            SignedDuration::from_hours(48),
        );
        let plans = plans.into_iter().map(Arc::new).collect();
        table.replace_plans(plans, &Expand, ts(now));
        table
    }

    #[test]
    fn the_next_slot_is_never_one_already_past() {
        // 18:20Z: the welcome (18:00), Q1 (18:05) and Q2 (18:15) are still
        // pending (posted late or skipped), but the next post is Q3 at 18:25.
        let table = table(vec![hcsmbm()], "2026-12-02T18:20Z");
        assert_eq!(table.next_at(), Some(ts("2026-12-02T18:00Z")));
        let next = table.next_slot_from(ts("2026-12-02T18:20Z")).unwrap();
        assert_eq!(
            (next.label(), next.at),
            ("question3".into(), ts("2026-12-02T18:25Z"))
        );
    }

    #[test]
    fn beyond_the_window_the_earliest_chat_is_next() {
        // After Wednesday's thank-you nothing is due within 48 h; of two
        // weekly chats, the Monday one posts first.
        let mut monday = hcsmbm();
        monday.id = "monday".into();
        crate::schedule::fixtures::set_repeat(&mut monday, "0 9 * * MON", None, None);
        let now = "2026-12-02T19:30Z";
        let table = table(vec![hcsmbm(), monday], now);
        assert_eq!(table.next_slot_from(ts(now)).map(|s| s.label()), None);
        let until = table.expanded_until().unwrap();
        assert_eq!(until, ts("2026-12-04T19:30Z"));
        let next = table.next_slot_beyond(until).unwrap();
        // Monday 7 Dec 09:00 CST, announced a day ahead: Sunday 15:00Z.
        assert_eq!(
            (&*next.chat, next.label(), next.at),
            ("monday", "announce1".into(), ts("2026-12-06T15:00Z"))
        );
    }

    #[test]
    fn nothing_beyond_when_every_chat_is_over() {
        let mut once = hcsmbm();
        once.when = crate::plan::When::Once(jiff::civil::date(2026, 12, 2).at(12, 0, 0, 0));
        let table = table(vec![once], "2026-12-03T00:00Z");
        assert!(table.next_slot_beyond(ts("2026-12-05T00:00Z")).is_none());
    }
}
