//! When a chat happens: `start` (a one-off local time) or `repeat` (a 5-field
//! cron line) with `from`/`until`, all in the chat's zone.
//!
//! A one-off `start` must name a local time that exists exactly once: in a
//! DST gap or overlap the organizer has to pick, so we say which it is and
//! offer the valid times on either side.

use std::str::FromStr;

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::civil;
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::raw::{At, RawChat, Reader};
use super::{Recurrence, When};

const START_HELP: &str = "write the local time in `timezone` like `start: 2026-12-02 12:00`";
const REPEAT_HELP: &str = "write 5 fields `minute hour day-of-month month day-of-week`, e.g. `repeat: \"0 12 * * WED\"` (Sunday is 0)";

/// Reads `start`/`repeat`/`from`/`until`; `None` after reporting problems.
pub fn read(r: &mut Reader<'_>, chat: &RawChat, tz: Option<&TimeZone>) -> Option<When> {
    let from = chat.from.as_ref().and_then(|d| date(r, d, "from"));
    let until = chat.until.as_ref().and_then(|d| date(r, d, "until"));
    if let (Some(f), Some(u), Some(at)) = (from, until, chat.until.as_ref())
        && u < f
    {
        r.error(
            at.loc,
            format!("`until` {u} is before `from` {f}"),
            "swap them, or move `until` after `from`",
        );
    }
    match (&chat.start, &chat.repeat) {
        (Some(start), None) => {
            for key in [&chat.from, &chat.until].into_iter().flatten() {
                r.error(
                    key.loc,
                    "`from` and `until` only apply to a `repeat` chat",
                    "remove them, or replace `start` with `repeat`",
                );
            }
            let dt = datetime(r, start)?;
            check_exists(r, start, dt, tz?)?;
            Some(When::Once(dt))
        }
        (None, Some(repeat)) => {
            let cron = cron(r, repeat)?;
            check_fires(r, repeat, &cron, from, until, tz?)?;
            Some(When::Repeat(Box::new(Recurrence {
                line: repeat.value.trim().to_string(),
                cron,
                from,
                until,
            })))
        }
        (Some(_), Some(repeat)) => {
            r.error(
                repeat.loc,
                "a chat has either `start` or `repeat`, not both",
                "keep `start` for a one-off chat or `repeat` for a recurring one",
            );
            None
        }
        (None, None) => {
            r.error(
                super::node::Loc::default(),
                "missing `start` or `repeat`",
                "add `start: 2026-12-02 12:00` for a one-off chat, or `repeat: \"0 12 * * WED\"`",
            );
            None
        }
    }
}

fn date(r: &mut Reader<'_>, at: &At<String>, key: &str) -> Option<civil::Date> {
    match civil::Date::from_str(at.value.trim()) {
        Ok(d) => Some(d),
        Err(_) => {
            r.error(
                at.loc,
                format!("`{key}` is not a date: `{}`", at.value),
                format!("write a local date like `{key}: 2026-12-01`"),
            );
            None
        }
    }
}

fn datetime(r: &mut Reader<'_>, at: &At<String>) -> Option<civil::DateTime> {
    let text = at.value.trim();
    match civil::DateTime::from_str(text) {
        Ok(dt) => Some(dt),
        Err(err) => {
            let hint = if civil::Date::from_str(text).is_ok() {
                "`start` needs a time of day too; "
            } else {
                ""
            };
            r.error(
                at.loc,
                format!("`start` is not a local date and time: `{text}`: {err}"),
                format!("{hint}{START_HELP}"),
            );
            None
        }
    }
}

/// A one-off start must exist exactly once in the zone.
fn check_exists(
    r: &mut Reader<'_>,
    at: &At<String>,
    dt: civil::DateTime,
    tz: &TimeZone,
) -> Option<()> {
    let (before, after, what) = match tz.to_ambiguous_zoned(dt).offset() {
        AmbiguousOffset::Unambiguous { .. } => return Some(()),
        AmbiguousOffset::Gap { before, after } => (before, after, "does not exist"),
        AmbiguousOffset::Fold { before, after } => (before, after, "happens twice"),
    };
    let shift =
        jiff::SignedDuration::from_secs(i64::from((after.seconds() - before.seconds()).abs()));
    let earlier = dt.checked_sub(shift).ok()?;
    let later = dt.checked_add(shift).ok()?;
    let why = if what == "does not exist" {
        format!("it falls into the gap when clocks jump from offset {before} to {after}")
    } else {
        format!("clocks fall back from offset {before} to {after}, so it is ambiguous")
    };
    r.error(
        at.loc,
        format!(
            "`start` {} {what} in this zone: {why}",
            dt.strftime("%Y-%m-%d %H:%M")
        ),
        format!(
            "pick a time outside the change, e.g. `start: {}` or `start: {}`",
            earlier.strftime("%Y-%m-%d %H:%M"),
            later.strftime("%Y-%m-%d %H:%M")
        ),
    );
    None
}

fn cron(r: &mut Reader<'_>, at: &At<String>) -> Option<Cron> {
    let line = at.value.trim();
    let fields = line.split_whitespace().count();
    if !line.starts_with('@') && fields != 5 {
        let extra = if fields > 5 {
            " (seconds or years are not supported)"
        } else {
            ""
        };
        r.error(
            at.loc,
            format!("`repeat` needs 5 cron fields, found {fields} in `{line}`{extra}"),
            REPEAT_HELP,
        );
        return None;
    }
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    match parser.parse(line) {
        Ok(cron) => Some(cron),
        Err(err) => {
            r.error(
                at.loc,
                format!(
                    "`repeat` is not a valid cron line `{line}`: {}",
                    lowercase_first(&err.to_string())
                ),
                REPEAT_HELP,
            );
            None
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The line must fire at least once between `from` and `until` (or at all).
fn check_fires(
    r: &mut Reader<'_>,
    at: &At<String>,
    cron: &Cron,
    from: Option<civil::Date>,
    until: Option<civil::Date>,
    tz: &TimeZone,
) -> Option<()> {
    let first_day = from.unwrap_or(civil::date(2026, 1, 1));
    let start = first_day.to_zoned(tz.clone()).ok()?;
    let next = cron.find_next_occurrence(&start, true).ok();
    let fires = match (next, until) {
        (Some(next), Some(until)) => next.date() <= until,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if fires {
        return Some(());
    }
    let window = match (from, until) {
        (Some(f), Some(u)) => format!(" between {f} and {u}"),
        (None, Some(u)) => format!(" before {u}"),
        (Some(f), None) => format!(" after {f}"),
        (None, None) => String::new(),
    };
    r.error(
        at.loc,
        format!("`repeat: {}` never fires{window}", at.value.trim()),
        "check the day-of-month and month fields (e.g. February has no 30th), or widen `from`/`until`",
    );
    None
}
