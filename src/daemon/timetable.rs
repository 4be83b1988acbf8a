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
use crate::schedule::{Slot, SlotKind};

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

    /// Every loaded plan.
    pub fn plans(&self) -> impl Iterator<Item = &Arc<ChatPlan>> {
        self.plans.values()
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

    /// The next pending slot.
    pub fn next_slot(&self) -> Option<&Slot> {
        self.pending.values().next().map(|slot| slot.as_ref())
    }

    /// Nothing pending inside the expanded window.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }
}
