//! Occurrences of a chat between two instants.

use jiff::{Timestamp, Zoned};

use crate::plan::ChatPlan;

/// Local starts (in the chat's zone) of every occurrence whose start lies in
/// `[from, until)`, in order.
pub fn occurrences(plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Zoned> {
    let _ = (plan, from, until);
    todo!("schedule::recurrence::occurrences")
}
