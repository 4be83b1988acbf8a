//! Standard 5-field cron lines, matched on the wall clock.
//!
//! `repeat: "0 12 * * WED"` is read here into a [`Cron`] of a few dozen
//! bytes: one bit set per field, so a daemon holding 10,000 recurring chats
//! keeps about 40 bytes each for their lines (the cron crate we used before
//! kept a 5,001-byte year field per line). Matching walks civil date-times
//! only; turning a wall-clock time into an instant, with the DST rules, is
//! [`crate::schedule::recurrence`]'s job.
//!
//! The grammar is the usual one: `minute hour day-of-month month
//! day-of-week`, each field `*`, `?` (day fields), a number, a range
//! `a-b`, a step `*/n`, `a-b/n` or `a/n`, or a comma list of those. Months
//! and weekdays take English names (`JAN`, `WED`, any case); Sunday is 0 or
//! 7. Day-of-month takes `L` (the last day); day-of-week takes `5L` / `FRIL`
//! (the last Friday of the month) and `WED#2` (the second Wednesday).
//! `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight` and
//! `@hourly` are shorthands. When both day fields are restricted a day
//! matches either (`0 12 1 * MON`: the 1st and every Monday), as in every
//! cron since Vixie's; a `*` day field is ignored.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{self, Date, DateTime};

/// A parsed cron line: which minutes, hours, days, months and weekdays match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    /// Bits 1-31; bit 0 is `L` (the month's last day).
    days: u32,
    /// Bits 1-12.
    months: u16,
    /// Per weekday (Sunday = 0): bit 0 any, bits 1-5 the nth in the month,
    /// bit 6 the last in the month.
    weekdays: [u8; 7],
    /// The day-of-month field is `*` (or `?`).
    any_day: bool,
    /// The day-of-week field is `*` (or `?`).
    any_weekday: bool,
}

/// Why a cron line does not parse, in the organizer's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError(String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CronError {}

fn fail<T>(message: impl Into<String>) -> Result<T, CronError> {
    Err(CronError(message.into()))
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const LAST_WEEKDAY_BIT: u8 = 1 << 6;

/// One field's rules: its name for messages, bounds and value names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MINUTE: Field = Field {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: Field = Field {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &MONTHS,
};
const WEEKDAY: Field = Field {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &WEEKDAYS,
};

impl FromStr for Cron {
    type Err = CronError;

    fn from_str(line: &str) -> Result<Self, CronError> {
        let line = line.trim();
        let line = if line.starts_with('@') {
            shorthand(line)?
        } else {
            line
        };
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return fail(format!("expected 5 fields, found {}", fields.len()));
        };
        let (days, any_day) = day_field(day)?;
        let (weekdays, any_weekday) = weekday_field(weekday)?;
        Ok(Cron {
            minutes: bits(minute, &MINUTE)?,
            hours: u32::try_from(bits(hour, &HOUR)?).unwrap_or(0),
            days,
            months: u16::try_from(bits(month, &MONTH)?).unwrap_or(0),
            weekdays,
            any_day,
            any_weekday,
        })
    }
}

fn shorthand(line: &str) -> Result<&'static str, CronError> {
    Ok(match line.to_ascii_lowercase().as_str() {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => {
            return fail(format!(
                "unknown shorthand `{line}` (known: @yearly, @monthly, @weekly, @daily, @hourly)"
            ));
        }
    })
}

/// The values of a plain field as bits (bit n = value n).
fn bits(text: &str, field: &Field) -> Result<u64, CronError> {
    let mut set = 0u64;
    for part in text.split(',') {
        set |= part_bits(part, field)?;
    }
    Ok(set)
}

/// One comma-separated part: `*`, `n`, `a-b`, with an optional `/step`.
fn part_bits(part: &str, field: &Field) -> Result<u64, CronError> {
    let (range, step) = match part.split_once('/') {
        Some((range, step)) => {
            let step: u32 = step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                CronError(format!(
                    "the step `/{step}` in the {} field must be a positive number",
                    field.name
                ))
            })?;
            (range, Some(step))
        }
        None => (part, None),
    };
    let (low, high) = if range == "*" || range == "?" {
        (field.min, field.max)
    } else if let Some((a, b)) = range.split_once('-') {
        (value(a, field)?, value(b, field)?)
    } else {
        let v = value(range, field)?;
        // `5/15` means from 5 to the end in steps of 15.
        (v, if step.is_some() { field.max } else { v })
    };
    if low > high {
        return fail(format!(
            "the range `{range}` in the {} field runs backwards; write the smaller value first",
            field.name
        ));
    }
    let step = step.unwrap_or(1);
    Ok((low..=high)
        .step_by(step as usize)
        .fold(0, |set, v| set | (1 << v)))
}

fn value(text: &str, field: &Field) -> Result<u32, CronError> {
    if let Some(index) = field
        .names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
    {
        let first = if field.min == 0 { 0 } else { 1 };
        return Ok(index as u32 + first);
    }
    match text.parse::<u32>() {
        Ok(v) if (field.min..=field.max).contains(&v) => Ok(v),
        Ok(v) => fail(format!(
            "{v} is out of range for the {} field ({}-{})",
            field.name, field.min, field.max
        )),
        Err(_) if text.is_empty() => fail(format!("an empty value in the {} field", field.name)),
        Err(_) => fail(format!(
            "`{text}` is not a value of the {} field",
            field.name
        )),
    }
}

fn day_field(text: &str) -> Result<(u32, bool), CronError> {
    let any = text == "*" || text == "?";
    let mut set = 0u32;
    for part in text.split(',') {
        if part.eq_ignore_ascii_case("L") {
            set |= 1;
        } else if part.ends_with(['W', 'w']) {
            return fail("`W` (nearest weekday) is not supported in the day-of-month field");
        } else {
            set |= u32::try_from(part_bits(part, &DAY)?).unwrap_or(0);
        }
    }
    Ok((set, any))
}

fn weekday_field(text: &str) -> Result<([u8; 7], bool), CronError> {
    let any = text == "*" || text == "?";
    let mut days = [0u8; 7];
    for part in text.split(',') {
        let upper = part.to_ascii_uppercase();
        if let Some((day, nth)) = upper.split_once('#') {
            let nth: u8 = nth.parse().ok().filter(|n| (1..=5).contains(n)).ok_or_else(|| {
                CronError(format!(
                    "`#{nth}` in the day-of-week field must be 1 to 5 (the nth weekday of the month)"
                ))
            })?;
            days[weekday_index(value(day, &WEEKDAY)?)] |= 1 << nth;
        } else if let Some(day) = upper.strip_suffix('L').filter(|d| !d.is_empty()) {
            days[weekday_index(value(day, &WEEKDAY)?)] |= LAST_WEEKDAY_BIT;
        } else {
            let set = part_bits(part, &WEEKDAY)?;
            for v in (0..=7).filter(|v| set & (1 << v) != 0) {
                days[weekday_index(v)] |= 1;
            }
        }
    }
    Ok((days, any))
}

fn weekday_index(value: u32) -> usize {
    (value % 7) as usize
}

/// Lines are searched this far ahead: the Gregorian calendar repeats every
/// 400 years, so a line that has not matched by then never will.
const SEARCH_YEARS: i16 = 400;

impl Cron {
    /// The first matching wall-clock minute at or after `from` (after it,
    /// when `inclusive` is false); `None` if the line never matches again
    /// before the end of year 9999.
    pub fn next_after(&self, from: DateTime, inclusive: bool) -> Option<DateTime> {
        let minute = from.with().second(0).subsec_nanosecond(0).build().ok()?;
        let start = if inclusive && minute == from {
            minute
        } else {
            minute
                .checked_add(jiff::SignedDuration::from_mins(1))
                .ok()?
        };
        let last_year = start.year().saturating_add(SEARCH_YEARS);
        let mut date = start.date();
        let mut first = Some((start.hour(), start.minute()));
        loop {
            if self.month_matches(date.month()) {
                if self.day_matches(date) {
                    let (h, m) = first.unwrap_or((0, 0));
                    if let Some((hour, minute)) = self.time_from(h, m) {
                        return Some(date.to_datetime(civil::time(hour, minute, 0, 0)));
                    }
                }
                date = date.tomorrow().ok()?;
            } else {
                date = date.last_of_month().tomorrow().ok()?;
            }
            first = None;
            if date.year() > last_year {
                return None;
            }
        }
    }

    fn month_matches(&self, month: i8) -> bool {
        self.months & (1 << month) != 0
    }

    fn day_matches(&self, date: Date) -> bool {
        let by_day = self.days & (1 << date.day()) != 0
            || (self.days & 1 != 0 && date.day() == date.days_in_month());
        let flags = self.weekdays[date.weekday().to_sunday_zero_offset() as usize];
        let nth = (date.day() - 1) / 7 + 1;
        let by_weekday = flags & 1 != 0
            || flags & (1 << nth) != 0
            || (flags & LAST_WEEKDAY_BIT != 0 && date.day() + 7 > date.days_in_month());
        match (self.any_day, self.any_weekday) {
            (true, true) => true,
            (true, false) => by_weekday,
            (false, true) => by_day,
            (false, false) => by_day || by_weekday,
        }
    }

    /// The first matching (hour, minute) at or after `hour:minute` of a day.
    fn time_from(&self, hour: i8, minute: i8) -> Option<(i8, i8)> {
        let first_hour = next_bit(u64::from(self.hours), hour as u32)?;
        let from_minute = if first_hour == hour as u32 {
            minute as u32
        } else {
            0
        };
        match next_bit(self.minutes, from_minute) {
            Some(m) => Some((first_hour as i8, m as i8)),
            None => {
                let later = next_bit(u64::from(self.hours), first_hour + 1)?;
                Some((later as i8, next_bit(self.minutes, 0)? as i8))
            }
        }
    }
}

/// The lowest set bit at or above `from`.
fn next_bit(set: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let above = set >> from;
    (above != 0).then(|| from + above.trailing_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(line: &str, from: &str) -> Option<String> {
        let cron: Cron = line.parse().unwrap();
        cron.next_after(from.parse().unwrap(), true)
            .map(|dt| dt.strftime("%Y-%m-%d %H:%M %a").to_string())
    }

    #[test]
    fn the_common_lines() {
        assert_eq!(
            next("0 12 * * WED", "2026-12-01T00:00").as_deref(),
            Some("2026-12-02 12:00 Wed")
        );
        assert_eq!(
            next("30 18 * * 1-5", "2026-12-05T19:00").as_deref(),
            Some("2026-12-07 18:30 Mon")
        );
        assert_eq!(
            next("*/20 9-10 * * *", "2026-12-01T09:41").as_deref(),
            Some("2026-12-01 10:00 Tue")
        );
        assert_eq!(
            next("0 12 * * 7", "2026-12-01T00:00").as_deref(),
            Some("2026-12-06 12:00 Sun")
        );
        assert_eq!(
            next("@weekly", "2026-12-01T00:00").as_deref(),
            Some("2026-12-06 00:00 Sun")
        );
    }

    #[test]
    fn inclusive_and_exclusive_starts() {
        let cron: Cron = "0 12 * * *".parse().unwrap();
        let noon: DateTime = "2026-12-01T12:00".parse().unwrap();
        assert_eq!(cron.next_after(noon, true), Some(noon));
        assert_eq!(
            cron.next_after(noon, false),
            Some("2026-12-02T12:00".parse().unwrap())
        );
        // A start with seconds is past its minute.
        let late: DateTime = "2026-12-01T12:00:01".parse().unwrap();
        assert_eq!(
            cron.next_after(late, true),
            Some("2026-12-02T12:00".parse().unwrap())
        );
    }

    #[test]
    fn day_fields_match_either_when_both_are_restricted() {
        assert_eq!(
            next("0 12 13 * FRI", "2026-12-01T00:00").as_deref(),
            Some("2026-12-04 12:00 Fri")
        );
        assert_eq!(
            next("0 12 13 * *", "2026-12-01T00:00").as_deref(),
            Some("2026-12-13 12:00 Sun")
        );
    }

    #[test]
    fn last_and_nth_days() {
        assert_eq!(
            next("0 12 L 2 *", "2027-01-01T00:00").as_deref(),
            Some("2027-02-28 12:00 Sun")
        );
        assert_eq!(
            next("0 12 L 2 *", "2028-01-01T00:00").as_deref(),
            Some("2028-02-29 12:00 Tue")
        );
        assert_eq!(
            next("0 12 * * WED#2", "2026-12-01T00:00").as_deref(),
            Some("2026-12-09 12:00 Wed")
        );
        assert_eq!(
            next("0 12 * * FRIL", "2026-12-01T00:00").as_deref(),
            Some("2026-12-25 12:00 Fri")
        );
        assert_eq!(
            next("0 12 * * 5L", "2026-12-26T00:00").as_deref(),
            Some("2027-01-29 12:00 Fri")
        );
    }

    #[test]
    fn rare_and_impossible_dates() {
        assert_eq!(
            next("0 0 29 2 *", "2026-03-01T00:00").as_deref(),
            Some("2028-02-29 00:00 Tue")
        );
        assert_eq!(next("0 12 30 2 *", "2026-01-01T00:00"), None);
        assert_eq!(next("0 12 31 4,6,9,11 *", "2026-01-01T00:00"), None);
        assert_eq!(next("0 12 * * *", "9999-12-31T13:00"), None);
        assert_eq!(
            next("0 12 * * *", "9999-12-31T11:00").as_deref(),
            Some("9999-12-31 12:00 Fri")
        );
    }

    #[test]
    fn malformed_lines_say_what_is_wrong() {
        let err = |line: &str| line.parse::<Cron>().unwrap_err().to_string();
        assert_eq!(
            err("0 25 * * *"),
            "25 is out of range for the hour field (0-23)"
        );
        assert!(err("0 12 * * WEDS").contains("`WEDS` is not a value of the day-of-week"));
        assert!(err("0 12 * * 5-1").contains("runs backwards"));
        assert!(err("*/0 * * * *").contains("positive number"));
        assert!(err("0 12 15W * *").contains("not supported"));
        assert!(err("0 12 * * MON#6").contains("1 to 5"));
        assert!(err("0 12 * *").contains("expected 5 fields, found 4"));
        assert!(err("@often").contains("unknown shorthand"));
        assert!(err("0 12 ,, * *").contains("empty value"));
    }

    #[test]
    fn a_line_is_small() {
        assert!(std::mem::size_of::<Cron>() <= 40);
    }

    /// croner (a dev-dependency only) is the oracle: the same next minute
    /// for every line and start it understands the same way.
    #[test]
    fn agrees_with_croner() {
        let lines = [
            "0 12 * * WED",
            "*/7 */5 * * *",
            "15,45 8-17/3 1,15 * *",
            "0 0 1 1 *",
            "0 12 13 * FRI",
            "59 23 L * *",
            "0 9 * * MON#1",
            "30 6 * JAN-MAR SUN-TUE",
            "0 0 29 2 *",
            "5 4 * * 0,7",
            "0 12 ? * 3L",
        ];
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build();
        let utc = jiff::tz::TimeZone::UTC;
        for line in lines {
            let ours: Cron = line.parse().unwrap();
            let theirs = parser.parse(line).unwrap();
            let mut at: DateTime = "2026-11-28T13:37".parse().unwrap();
            for _ in 0..40 {
                let mine = ours.next_after(at, false).unwrap();
                let zoned = at.to_zoned(utc.clone()).unwrap();
                let them = theirs.find_next_occurrence(&zoned, false).unwrap();
                assert_eq!(mine, them.datetime(), "{line} after {at}");
                at = mine;
            }
        }
    }
}
