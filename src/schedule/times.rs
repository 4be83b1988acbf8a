//! The `{times}` placeholder.

use jiff::Zoned;

use crate::plan::ShownZone;

/// "12:00 CST Wed 2 Dec — 10:00 PST, 11:00 MST, 13:00 EST, 18:00 GMT, 19:00 CET".
pub fn render_times(start: &Zoned, shown: &[ShownZone]) -> String {
    let _ = (start, shown);
    todo!("schedule::times::render_times")
}
