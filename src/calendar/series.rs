//! When a cron line is an `RRULE`, and when it is not.
//!
//! A recurring chat is one `VEVENT` with an `RRULE` when its cron line says
//! something RFC 5545 says the same way: a fixed minute and hour, and either
//! every day, some weekdays, or one day of the month. Everything else
//! (steps, several hours, both a day of month and weekdays, which cron ORs)
//! becomes one event per occurrence.
//!
//! Even a line that maps must agree with our time rules on the zone's DST
//! changes: an `RRULE` at 02:30 on the night the clocks jump from 02:00 to
//! 03:00 means 03:30 in RFC 5545 but 03:00 for tweetchat. So the mapping is
//! only used when every occurrence it covers is at its exact local time and
//! that time happens once on that day; otherwise the chat gets explicit
//! events, which carry UTC instants and cannot disagree.

use jiff::Timestamp;
use jiff::civil::{self, Weekday};

use crate::plan::{ChatPlan, Recurrence};

/// A recurring chat as an `RRULE` at a fixed local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `FREQ=WEEKLY;BYDAY=WE`, with `UNTIL` when the chat has `until`.
    pub rrule: String,
    pub hour: i8,
    pub minute: i8,
}

/// The `RRULE` for `recurrence`, if its cron line maps to one, ignoring
/// DST (see [`agrees`]).
pub fn rule(plan: &ChatPlan, recurrence: &Recurrence) -> Option<Rule> {
    let fields: Vec<&str> = plan.repeat_line(recurrence).split_whitespace().collect();
    let [minute, hour, dom, month, dow] = fields[..] else {
        return None;
    };
    let minute: i8 = minute.parse().ok().filter(|m| (0..60).contains(m))?;
    let hour: i8 = hour.parse().ok().filter(|h| (0..24).contains(h))?;
    if month != "*" {
        return None;
    }
    let mut rrule = match (dom, dow) {
        ("*", "*") => "FREQ=DAILY".to_string(),
        ("*", days) => format!("FREQ=WEEKLY;BYDAY={}", weekdays(days)?.join(",")),
        (day, "*") => {
            let day: u8 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
            format!("FREQ=MONTHLY;BYMONTHDAY={day}")
        }
        _ => return None,
    };
    if let Some(until) = recurrence.until {
        let last = last_instant_of(plan, until)?;
        rrule.push_str(&format!(";UNTIL={}", super::utc_stamp(last)));
    }
    Some(Rule {
        rrule,
        hour,
        minute,
    })
}

/// Whether every occurrence in `starts` is at the rule's local time, and
/// that local time is unambiguous on its day (no DST gap or fold).
pub fn agrees(plan: &ChatPlan, rule: &Rule, starts: &[jiff::Zoned]) -> bool {
    starts.iter().all(|start| {
        let time = start.time();
        let exact = time.hour() == rule.hour && time.minute() == rule.minute && time.second() == 0;
        exact && !plan.tz.to_ambiguous_zoned(start.datetime()).is_ambiguous()
    })
}

/// The last instant of local date `day` in the chat's zone (the `until`
/// date is inclusive).
fn last_instant_of(plan: &ChatPlan, day: civil::Date) -> Option<Timestamp> {
    let next = day.tomorrow().ok()?.to_zoned(plan.tz.clone()).ok()?;
    next.timestamp()
        .checked_sub(jiff::SignedDuration::from_secs(1))
        .ok()
}

/// `MON,WED` or `1-5` (Sunday is 0 or 7) as RFC 5545 day names.
fn weekdays(field: &str) -> Option<Vec<&'static str>> {
    let mut days = Vec::new();
    for item in field.split(',') {
        let (first, last) = match item.split_once('-') {
            Some((a, b)) => (weekday(a)?, weekday(b)?),
            None => (weekday(item)?, weekday(item)?),
        };
        let (mut day, last) = (first.to_monday_zero_offset(), last.to_monday_zero_offset());
        if day > last {
            return None;
        }
        while day <= last {
            let name = NAMES[usize::try_from(day).ok()?];
            if !days.contains(&name) {
                days.push(name);
            }
            day += 1;
        }
    }
    (!days.is_empty()).then_some(days)
}

const NAMES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// A cron weekday: `0`–`7` (both ends Sunday) or a three-letter name.
fn weekday(item: &str) -> Option<Weekday> {
    let day = match item.to_ascii_uppercase().as_str() {
        "0" | "7" | "SUN" => Weekday::Sunday,
        "1" | "MON" => Weekday::Monday,
        "2" | "TUE" => Weekday::Tuesday,
        "3" | "WED" => Weekday::Wednesday,
        "4" | "THU" => Weekday::Thursday,
        "5" | "FRI" => Weekday::Friday,
        "6" | "SAT" => Weekday::Saturday,
        _ => return None,
    };
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(line: &str, until: Option<&str>) -> Option<Rule> {
        let until = until.map(|u| format!("until: {u}\n")).unwrap_or_default();
        let yaml = format!(
            "title: T\nhashtag: \"#t\"\ntimezone: America/Chicago\nrepeat: \"{line}\"\n{until}questions: [Q]\n"
        );
        let plan = crate::plan::load::load_str(std::path::Path::new("t.yaml"), &yaml).unwrap();
        let crate::plan::When::Repeat(recurrence) = &plan.when else {
            panic!("not a repeat");
        };
        rule(&plan, recurrence)
    }

    #[test]
    fn simple_lines_map_and_the_rest_do_not() {
        let weekly = rule_of("0 12 * * WED", None).unwrap();
        assert_eq!(weekly.rrule, "FREQ=WEEKLY;BYDAY=WE");
        assert_eq!((weekly.hour, weekly.minute), (12, 0));
        assert_eq!(
            rule_of("30 9 * * 1-5", None).unwrap().rrule,
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        );
        assert_eq!(
            rule_of("0 9 * * 0,7", None).unwrap().rrule,
            "FREQ=WEEKLY;BYDAY=SU"
        );
        assert_eq!(rule_of("0 9 * * *", None).unwrap().rrule, "FREQ=DAILY");
        assert_eq!(
            rule_of("0 9 15 * *", None).unwrap().rrule,
            "FREQ=MONTHLY;BYMONTHDAY=15"
        );
        for line in ["*/15 9 * * *", "0 9,18 * * *", "0 9 1 * MON", "0 9 * 1 *"] {
            assert_eq!(rule_of(line, None), None, "{line}");
        }
    }

    #[test]
    fn until_is_the_end_of_that_local_day_in_utc() {
        // 2027-06-30 ends at 2027-07-01T00:00 CDT = 05:00Z.
        let r = rule_of("0 12 * * WED", Some("2027-06-30")).unwrap();
        assert_eq!(r.rrule, "FREQ=WEEKLY;BYDAY=WE;UNTIL=20270701T045959Z");
    }
}
