//! When a chat happens: `start` (a one-off local time) or `repeat` (a 5-field
//! cron line) with `from`/`until`, all in the chat's zone.
//!
//! A one-off `start` must name a local time that exists exactly once: in a
//! DST gap or overlap the organizer has to pick, so we say which it is and
//! offer the valid times on either side.

use std::str::FromStr;

use jiff::civil;
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::cron::Cron;
use super::raw::{At, RawChat, Reader};
use super::{Recurrence, TextsBuilder, When};

const START_HELP: &str = "write the local time in `timezone` like `start: 2026-12-02 12:00`";
const REPEAT_HELP: &str = "write 5 fields `minute hour day-of-month month day-of-week`, e.g. `repeat: \"0 12 * * WED\"` (Sunday is 0)";

/// Reads `start`/`repeat`/`from`/`until`; `None` after reporting problems.
/// The cron line goes into `texts`.
pub fn read<'c>(
    r: &mut Reader<'_>,
    chat: &'c RawChat,
    tz: Option<&TimeZone>,
    texts: &mut TextsBuilder<'c>,
) -> Option<When> {
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
            tz?;
            check_fires(r, repeat, &cron, from, until)?;
            Some(When::Repeat(Box::new(Recurrence {
                line: texts.add(repeat.value.trim()),
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

pub(super) fn datetime(r: &mut Reader<'_>, at: &At<String>) -> Option<civil::DateTime> {
    let text = at.value.trim();
    // jiff reads a bare date as midnight; an organizer who left out the
    // time almost certainly did not mean midnight.
    let parsed = match civil::DateTime::from_str(text) {
        Ok(_) if !text.contains(':') => Err("the time of day is missing".to_string()),
        other => other.map_err(|err| err.to_string()),
    };
    let slip = parsed.is_err().then(|| common_slip(text)).flatten();
    if let Some((why, help)) = slip {
        r.error(
            at.loc,
            format!("`start` is not a local date and time: `{text}`: {why}"),
            help,
        );
        return None;
    }
    match parsed {
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

/// The slips people make in `start`, answered with the line to write: a
/// 12-hour time (`8pm`), a one-digit hour (`9:30`), a zone after the time
/// (`20:00 EST`), or several at once (`2:30pm PST`).
fn common_slip(text: &str) -> Option<(String, String)> {
    let (date, rest) = text.split_once(char::is_whitespace)?;
    civil::Date::from_str(date).ok()?;
    let rest = rest.trim();
    let (clock, zone) = match rest.rsplit_once(char::is_whitespace) {
        Some((clock, zone))
            if zone.chars().any(|c| c.is_ascii_alphabetic()) && meridiem(zone).is_none() =>
        {
            (clock.trim(), Some(zone))
        }
        _ => (rest, None),
    };
    let (hour, minute, second, twelve_hour) = loose_time(clock)?;
    let one_digit = !twelve_hour && clock.split(':').next().is_some_and(|h| h.len() == 1);
    if !twelve_hour && !one_digit && zone.is_none() {
        return None;
    }
    let seconds = second.map_or(String::new(), |s| format!(":{s:02}"));
    let fixed = format!("`start: {date} {hour:02}:{minute:02}{seconds}`");
    let mut why = Vec::new();
    if twelve_hour {
        why.push("a 12-hour time".to_string());
    }
    if one_digit {
        why.push("a one-digit hour".to_string());
    }
    if let Some(zone) = zone {
        why.push(format!("`{zone}` after the time is a time zone"));
    }
    let help = match (twelve_hour || one_digit, zone.is_some()) {
        (true, false) if twelve_hour => format!("write 24-hour time: {fixed}"),
        (true, false) => format!("write the hour in two digits: {fixed}"),
        (false, _) => format!(
            "the zone comes from `timezone:`; write {fixed} and set `timezone:` to the city zone"
        ),
        (true, true) => {
            format!("write 24-hour time without a zone (the zone comes from `timezone:`): {fixed}")
        }
    };
    Some((why.join(" and "), help))
}

/// `am`/`pm` (any case, with or without dots) at the end of `text`: the
/// text before it, and whether it is `pm`.
fn meridiem(text: &str) -> Option<(&str, bool)> {
    let lower = text.to_ascii_lowercase();
    ["a.m.", "p.m.", "am", "pm"].iter().find_map(|m| {
        lower
            .strip_suffix(m)
            .map(|before| (text[..before.len()].trim_end(), m.starts_with('p')))
    })
}

/// `8pm`, `2:30 PM`, `9:30`, `20:00:30` as hour, minute, second and
/// whether it was a 12-hour time; `None` for anything else.
fn loose_time(clock: &str) -> Option<(u8, u8, Option<u8>, bool)> {
    let (digits, pm) = match meridiem(clock) {
        Some((before, pm)) => (before, Some(pm)),
        None => (clock, None),
    };
    let mut parts = digits.split(':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    let second: Option<u8> = match parts.next() {
        Some(s) => Some(s.parse().ok()?),
        None => None,
    };
    if parts.next().is_some() || minute > 59 || second.is_some_and(|s| s > 59) {
        return None;
    }
    let hour = match pm {
        None if hour < 24 => hour,
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
        None => return None,
    };
    Some((hour, minute, second, pm.is_some()))
}

/// A one-off start must exist exactly once in the zone.
pub(super) fn check_exists(
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
    let earlier = dt.checked_sub(shift).unwrap_or(dt);
    let later = dt.checked_add(shift).unwrap_or(dt);
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
    if let Some(problem) = super::wording::cron_field_problem(line) {
        r.error(
            at.loc,
            format!("`repeat: \"{line}\"`: {problem}"),
            REPEAT_HELP,
        );
        return None;
    }
    match line.parse::<Cron>() {
        Ok(cron) => Some(cron),
        Err(err) => {
            r.error(
                at.loc,
                format!("`repeat` is not a valid cron line `{line}`: {err}"),
                REPEAT_HELP,
            );
            None
        }
    }
}

/// The line must fire at least once between `from` and `until` (or at all).
fn check_fires(
    r: &mut Reader<'_>,
    at: &At<String>,
    cron: &Cron,
    from: Option<civil::Date>,
    until: Option<civil::Date>,
) -> Option<()> {
    let first_day = from.unwrap_or(civil::date(2026, 1, 1));
    let next = cron.next_after(first_day.to_datetime(civil::Time::midnight()), true);
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::plan::When;
    use crate::plan::load::load_str;
    use crate::plan::validate::tests::{BASE, only_error, with_line};

    fn at(zone: &str, start: &str) -> String {
        with_line(3, &format!("timezone: {zone}"))
            .replace("start: 2027-01-13 12:00", &format!("start: {start}"))
    }

    fn loads(zone: &str, start: &str) -> bool {
        load_str(Path::new("t.yaml"), &at(zone, start)).is_ok()
    }

    #[test]
    fn us_spring_gap_is_reported_with_times_on_either_side() {
        let (line, column, message, help) = only_error(&at("America/Chicago", "2027-03-14 02:30"));
        assert_eq!((line, column), (4, 8));
        assert!(
            message.contains("2027-03-14 02:30 does not exist"),
            "{message}"
        );
        assert!(message.contains("from offset -06 to -05"), "{message}");
        assert!(help.contains("`start: 2027-03-14 01:30`"), "{help}");
        assert!(help.contains("`start: 2027-03-14 03:30`"), "{help}");
    }

    #[test]
    fn eu_autumn_overlap_is_reported_as_ambiguous() {
        let (_, _, message, help) = only_error(&at("Europe/Paris", "2026-10-25 02:30"));
        assert!(message.contains("happens twice"), "{message}");
        assert!(message.contains("ambiguous"), "{message}");
        assert!(help.contains("01:30") && help.contains("03:30"), "{help}");
        assert!(loads("Europe/Paris", "2026-10-25 03:30"));
    }

    #[test]
    fn southern_hemisphere_gap_is_in_october() {
        let (_, _, message, _) = only_error(&at("Australia/Sydney", "2026-10-04 02:30"));
        assert!(message.contains("does not exist"), "{message}");
        let (_, _, message, _) = only_error(&at("Australia/Sydney", "2027-04-04 02:30"));
        assert!(message.contains("happens twice"), "{message}");
        assert!(loads("Australia/Sydney", "2027-03-14 02:30"));
    }

    #[test]
    fn half_hour_zones_and_half_hour_shifts() {
        // Adelaide is +09:30/+10:30; Lord Howe moves its clocks by 30 minutes.
        let (_, _, message, _) = only_error(&at("Australia/Adelaide", "2026-10-04 02:30"));
        assert!(
            message.contains("from offset +09:30 to +10:30"),
            "{message}"
        );
        let (_, _, message, help) = only_error(&at("Australia/Lord_Howe", "2026-10-04 02:15"));
        assert!(message.contains("does not exist"), "{message}");
        assert!(help.contains("01:45") && help.contains("02:45"), "{help}");
        assert!(loads("Asia/Kolkata", "2027-03-14 02:30"));
    }

    #[test]
    fn zones_that_changed_their_rules() {
        // Sao Paulo dropped DST in 2019: midnight on the first Sunday of
        // November was skipped in 2018 but exists in 2027.
        let (_, _, message, _) = only_error(&at("America/Sao_Paulo", "2018-11-04 00:30"));
        assert!(message.contains("does not exist"), "{message}");
        assert!(loads("America/Sao_Paulo", "2027-11-07 00:30"));
        // Moscow has kept +03 all year since 2014.
        assert!(loads("Europe/Moscow", "2027-03-28 02:30"));
        assert!(loads("Europe/Moscow", "2027-10-31 02:30"));
    }

    #[test]
    fn start_must_be_a_local_date_and_time() {
        let (line, column, message, help) = only_error(&with_line(4, "start: 2027-01-13"));
        assert_eq!((line, column), (4, 8));
        assert!(message.contains("not a local date and time"), "{message}");
        assert!(
            help.starts_with("`start` needs a time of day too"),
            "{help}"
        );
        assert!(loads("America/Chicago", "2027-01-13T12:00"));
    }

    #[test]
    fn a_12_hour_time_or_a_zone_in_start_gets_the_line_to_write() {
        let (_, _, message, help) = only_error(&with_line(4, "start: 2027-01-12 8pm"));
        assert!(message.contains("a 12-hour time"), "{message}");
        assert_eq!(help, "write 24-hour time: `start: 2027-01-12 20:00`");
        let (_, _, _, help) = only_error(&with_line(4, "start: 2027-01-12 12:30 AM"));
        assert_eq!(help, "write 24-hour time: `start: 2027-01-12 00:30`");
        let (_, _, message, help) = only_error(&with_line(4, "start: 2027-01-12 20:00 EST"));
        assert!(
            message.contains("`EST` after the time is a time zone"),
            "{message}"
        );
        assert!(
            help.starts_with("the zone comes from `timezone:`; write `start: 2027-01-12 20:00`"),
            "{help}"
        );
        assert!(!message.contains("unparsed input"), "{message}");
        let (_, _, message, help) = only_error(&with_line(4, "start: 2027-03-14 2:30pm PST"));
        assert!(
            message.contains("a 12-hour time and `PST` after the time is a time zone"),
            "{message}"
        );
        assert_eq!(
            help,
            "write 24-hour time without a zone (the zone comes from `timezone:`): `start: 2027-03-14 14:30`"
        );
        let (_, _, message, help) = only_error(&with_line(4, "start: 2027-03-14 9:30"));
        assert!(message.contains("a one-digit hour"), "{message}");
        assert_eq!(
            help,
            "write the hour in two digits: `start: 2027-03-14 09:30`"
        );
    }

    fn repeat(line: &str) -> String {
        with_line(4, line)
    }

    #[test]
    fn cron_lines_are_standard_five_fields_sunday_zero() {
        let plan = load_str(Path::new("t.yaml"), &repeat("repeat: \"0 12 * * 0\"")).unwrap();
        let When::Repeat(rec) = plan.when else {
            panic!()
        };
        let from = jiff::civil::date(2027, 1, 13).to_datetime(jiff::civil::Time::midnight());
        let next = rec.cron.next_after(from, true).unwrap();
        assert_eq!(next.weekday(), jiff::civil::Weekday::Sunday);
        assert!(load_str(Path::new("t.yaml"), &repeat("repeat: 0 12 * * WED")).is_ok());
    }

    #[test]
    fn six_and_seven_field_lines_are_refused_with_a_reason() {
        let (line, column, message, help) = only_error(&repeat("repeat: \"0 0 12 * * WED\""));
        assert_eq!((line, column), (4, 9));
        assert!(
            message.contains("needs 5 cron fields, found 6"),
            "{message}"
        );
        assert!(message.contains("seconds"), "{message}");
        assert!(help.contains("0 12 * * WED"), "{help}");
        let (_, _, message, _) = only_error(&repeat("repeat: \"0 0 12 * * WED 2027\""));
        assert!(message.contains("found 7"), "{message}");
    }

    #[test]
    fn malformed_cron_lines_are_reported() {
        let (line, _, message, help) = only_error(&repeat("repeat: \"0 25 * * *\""));
        assert_eq!(line, 4);
        assert_eq!(
            message,
            "`repeat: \"0 25 * * *\"`: the hour field `25` is out of range: hours go from 0 to 23"
        );
        let (_, _, message, _) = only_error(&repeat("repeat: \"0 7PM * * THU\""));
        assert!(message.contains("(19 is 7 pm)"), "{message}");
        assert!(
            help.contains("minute hour day-of-month month day-of-week"),
            "{help}"
        );
    }

    #[test]
    fn cron_lines_that_never_fire_are_reported() {
        let (_, _, message, help) = only_error(&repeat("repeat: \"0 12 30 2 *\""));
        assert!(message.contains("never fires"), "{message}");
        assert!(help.contains("February"), "{help}");
        let src = repeat("repeat: \"0 12 * * WED\"\nfrom: 2027-01-14\nuntil: 2027-01-19");
        let (line, _, message, _) = only_error(&src);
        assert_eq!(line, 4);
        assert!(
            message.contains("never fires between 2027-01-14 and 2027-01-19"),
            "{message}"
        );
    }

    #[test]
    fn from_and_until_are_dates_in_order_and_only_for_repeat() {
        let src = repeat("repeat: \"0 12 * * WED\"\nfrom: 2027-06-01\nuntil: 2027-01-01");
        let diags = crate::plan::validate::tests::errors(&src);
        assert!(
            diags.iter().any(|d| d.line == 6
                && d.message
                    .contains("`until` 2027-01-01 is before `from` 2027-06-01")),
            "{diags:#?}"
        );
        let (line, _, message, _) = only_error(&repeat("repeat: \"0 12 * * WED\"\nfrom: June"));
        assert_eq!(line, 5);
        assert!(message.contains("`from` is not a date"));
        let (line, _, message, _) = only_error(&format!("{BASE}until: 2027-02-01\n"));
        assert_eq!(line, 11);
        assert!(message.contains("only apply to a `repeat` chat"));
    }

    #[test]
    fn start_and_repeat_both_or_neither() {
        let (line, column, message, _) = only_error(&format!("{BASE}repeat: \"0 12 * * WED\"\n"));
        assert_eq!((line, column), (11, 9));
        assert!(message.contains("either `start` or `repeat`, not both"));
        let (line, column, message, help) = only_error(&with_line(4, "# no start"));
        assert_eq!(
            (line, column, message.as_str()),
            (1, 1, "missing `start` or `repeat`")
        );
        assert!(help.contains("repeat:"));
    }
}
