//! Every slot of every occurrence in a window.

use jiff::{Timestamp, Zoned};

use super::Slot;
use crate::plan::ChatPlan;

/// Slots of `plan` due in `[from, until)`, ordered by instant then kind.
pub fn expand(plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Slot> {
    let _ = (plan, from, until);
    todo!("schedule::expand")
}

/// Every slot of the occurrence starting at `start`.
pub fn expand_occurrence(plan: &ChatPlan, start: &Zoned) -> Vec<Slot> {
    let _ = (plan, start);
    todo!("schedule::expand_occurrence")
}
