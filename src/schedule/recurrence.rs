//! Occurrences of a chat between two instants.
//!
//! An organizer thinks in wall-clock time: "Wednesdays at noon in Chicago".
//! So a recurring chat is evaluated on the chat zone's wall clock first — the
//! cron line walks civil date-times, where every day has every minute — and
//! each matching wall-clock time is then turned into an instant by one rule
//! we own and test, instead of by whatever the cron library does at a DST
//! change:
//!
//! - Across a DST change the chat keeps its local time: 12:00 Chicago is
//!   18:00Z in winter and 17:00Z in summer.
//! - A local time that does not exist (the clock jumps over it) fires at the
//!   first instant after the gap: 02:30 on the US spring-forward day fires at
//!   03:00 CDT. Several times in one gap fire once.
//! - A local time that happens twice (the clock goes back) fires once, at the
//!   earlier instant.
//!
//! The cron line itself is matched by [`crate::plan::cron`] on civil
//! date-times only. croner's `Zoned` search (a dev-dependency, the oracle in
//! tests) agrees for fixed-time lines, but skips gap times of lines with
//! ranges or steps (`*/30 2 * * *`); resolving ourselves gives every line the
//! same documented behaviour.
//!
//! A one-off `start` was already rejected by validation if it is in a gap or
//! an overlap; here it is resolved with jiff's compatible disambiguation so
//! the function stays total.
//!
//! Iteration is lazy and starts at `from` (not at the chat's first date), so
//! looking far ahead costs only the occurrences asked for, and it is capped
//! at [`MAX_OCCURRENCES`] so a minutely cron over a century cannot eat memory.

use jiff::civil::{self, Date};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan, Zoned};

use crate::plan::{ChatPlan, Recurrence, When};

/// At most this many occurrences are returned by one call.
pub const MAX_OCCURRENCES: usize = 10_000;

/// One occurrence of a chat: its key, the rule's local start that
/// identifies it for good (every post key holds it), and the instant it
/// really starts, which differs only for a session moved with `start:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    /// The rule's local start (for a one-off chat, its `start`).
    pub key: civil::DateTime,
    /// When it starts, in the chat's zone.
    pub start: Zoned,
}

impl Occurrence {
    /// An occurrence that starts where its rule puts it.
    pub fn at(start: Zoned) -> Self {
        Occurrence {
            key: start.datetime(),
            start,
        }
    }

    /// Whether a session moved it away from its rule's time.
    pub fn moved(&self) -> bool {
        self.key != self.start.datetime()
    }
}

impl std::ops::Deref for Occurrence {
    type Target = Zoned;
    /// The start: most readers want when it happens.
    fn deref(&self) -> &Zoned {
        &self.start
    }
}

/// Every held occurrence whose start lies in `[from, until)`, in order of
/// start (skipped ones, ones without questions and ones after `count` are
/// left out; see [`every_occurrence`]).
pub fn occurrences(plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Occurrence> {
    let mut found = every_occurrence(plan, from, until);
    found.retain(|o| plan.status(o.key).is_held());
    found
}

/// Every occurrence whose start lies in `[from, until)`, held or not (but
/// not past `count`), in order of start: what pages and `plan` list.
pub fn every_occurrence(plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Occurrence> {
    match &plan.when {
        When::Once(local) => {
            let start = resolve_once(&plan.tz, *local);
            let inside = from <= start.timestamp() && start.timestamp() < until;
            if inside {
                vec![Occurrence::at(start)]
            } else {
                Vec::new()
            }
        }
        When::Repeat(recurrence) => {
            let mut found: Vec<Occurrence> =
                RepeatOccurrences::new(recurrence, &plan.tz, from, until)
                    .map(Occurrence::at)
                    .filter(|o| plan.session(o.key).is_none_or(|s| s.start.is_none()))
                    .take_while(|o| plan.status(o.key) != crate::plan::Status::Ended)
                    .take(MAX_OCCURRENCES + 1)
                    .collect();
            if found.len() > MAX_OCCURRENCES {
                tracing::warn!(
                    chat = %plan.id,
                    limit = MAX_OCCURRENCES,
                    "too many occurrences in the window; showing the first ones only"
                );
                found.truncate(MAX_OCCURRENCES);
            }
            found.extend(moved(plan).filter(|o| {
                from <= o.start.timestamp()
                    && o.start.timestamp() < until
                    && plan.status(o.key) != crate::plan::Status::Ended
            }));
            found.sort_by_key(|o| o.start.timestamp());
            found
        }
    }
}

/// The sessions moved with `start:`, at their new start.
fn moved(plan: &ChatPlan) -> impl Iterator<Item = Occurrence> + '_ {
    plan.season
        .iter()
        .flat_map(|s| s.sessions.iter())
        .filter_map(|s| {
            let start = s.start?;
            Some(Occurrence {
                key: s.key,
                start: resolve_once(&plan.tz, start),
            })
        })
}

/// The occurrence keyed `key` (the rule's local start), held or not, at its
/// real start (moved where its session says); `None` when the rule (or the
/// one-off `start`) has no such occurrence, or it comes after `count`.
/// What the page of one occurrence (`{page}`) looks up.
pub fn occurrence_by_key(plan: &ChatPlan, key: civil::DateTime) -> Option<Occurrence> {
    match &plan.when {
        When::Once(local) => {
            (*local == key).then(|| Occurrence::at(resolve_once(&plan.tz, *local)))
        }
        When::Repeat(recurrence) => {
            let fires = crate::plan::season::firings_on(recurrence, key.date()).contains(&key);
            if !fires || plan.status(key) == crate::plan::Status::Ended {
                return None;
            }
            let start = match plan.session(key).and_then(|s| s.start) {
                Some(moved) => resolve_once(&plan.tz, moved),
                None => resolve_repeat(&plan.tz, key),
            };
            Some(Occurrence { key, start })
        }
    }
}

/// The first held occurrence starting at or after `from`, found lazily: a
/// recurring chat costs one cron search, not a year of occurrences.
pub fn next_occurrence(plan: &ChatPlan, from: Timestamp) -> Option<Occurrence> {
    let recurrence = match &plan.when {
        When::Once(local) => {
            let start = resolve_once(&plan.tz, *local);
            return (start.timestamp() >= from).then(|| Occurrence::at(start));
        }
        When::Repeat(recurrence) => recurrence,
    };
    let held = |o: &Occurrence| plan.status(o.key).is_held() && o.start.timestamp() >= from;
    let moved = moved(plan).filter(held).min_by_key(|o| o.start.timestamp());
    let by_rule = if plan.questions.is_empty() && plan.season.is_some() {
        // Only prepared sessions are held: no need to walk the rule.
        plan.season
            .iter()
            .flat_map(|s| s.sessions.iter())
            .filter(|s| s.start.is_none())
            .map(|s| Occurrence {
                key: s.key,
                start: resolve_repeat(&plan.tz, s.key),
            })
            .find(held)
    } else {
        RepeatOccurrences::new(recurrence, &plan.tz, from, Timestamp::MAX)
            .map(Occurrence::at)
            .take_while(|o| plan.status(o.key) != crate::plan::Status::Ended)
            .find(|o| held(o) && plan.session(o.key).is_none_or(|s| s.start.is_none()))
    };
    match (moved, by_rule) {
        (Some(a), Some(b)) => Some(if a.start.timestamp() <= b.start.timestamp() {
            a
        } else {
            b
        }),
        (a, b) => a.or(b),
    }
}

/// A one-off start: jiff's compatible disambiguation (a gap moves forward by
/// its length, an overlap takes the earlier instant).
pub fn resolve_once(tz: &TimeZone, local: civil::DateTime) -> Zoned {
    match tz.to_ambiguous_zoned(local).compatible() {
        Ok(zoned) => zoned,
        // Only at the very edge of the supported range; keep it total.
        Err(_) => Timestamp::MAX.to_zoned(tz.clone()),
    }
}

/// A recurring start: a gap fires at the first instant after it, an overlap
/// fires at its earlier instant.
pub fn resolve_repeat(tz: &TimeZone, local: civil::DateTime) -> Zoned {
    let ambiguous = tz.to_ambiguous_zoned(local);
    let gap_end = match ambiguous.offset() {
        AmbiguousOffset::Gap { after, .. } => after
            .to_timestamp(local)
            .ok()
            .and_then(|before_gap| tz.following(before_gap).next())
            .map(|transition| transition.timestamp().to_zoned(tz.clone())),
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => None,
    };
    match gap_end {
        Some(zoned) => zoned,
        None => resolve_once(tz, local),
    }
}

/// Lazily walks the cron line on the chat zone's wall clock.
struct RepeatOccurrences<'p> {
    cron: &'p crate::plan::cron::Cron,
    tz: &'p TimeZone,
    /// Where the next search starts (wall clock).
    cursor: civil::DateTime,
    /// The first search includes the cursor itself.
    inclusive: bool,
    last_date: Option<Date>,
    from: Timestamp,
    until: Timestamp,
    /// The previous instant yielded, to fire a gap only once.
    previous: Option<Timestamp>,
    done: bool,
}

impl<'p> RepeatOccurrences<'p> {
    fn new(
        recurrence: &'p Recurrence,
        tz: &'p TimeZone,
        from: Timestamp,
        until: Timestamp,
    ) -> Self {
        // A day of slack: a wall-clock time before `from`'s may still resolve
        // to an instant at or after it (the far side of a gap).
        let local_from = from.to_zoned(tz.clone()).datetime();
        let mut cursor = local_from.checked_sub(1.day()).unwrap_or(local_from);
        if let Some(first) = recurrence.from {
            cursor = cursor.max(first.to_datetime(civil::Time::midnight()));
        }
        Self {
            cron: &recurrence.cron,
            tz,
            cursor,
            inclusive: true,
            last_date: recurrence.until,
            from,
            until,
            previous: None,
            done: from >= until,
        }
    }
}

impl Iterator for RepeatOccurrences<'_> {
    type Item = Zoned;

    fn next(&mut self) -> Option<Zoned> {
        while !self.done {
            // Errors mean the line never matches again before year 9999.
            let Some(local) = self.cron.next_after(self.cursor, self.inclusive) else {
                self.done = true;
                break;
            };
            self.cursor = local;
            self.inclusive = false;
            if self.last_date.is_some_and(|last| local.date() > last) {
                self.done = true;
                break;
            }
            let start = resolve_repeat(self.tz, local);
            let at = start.timestamp();
            if at >= self.until {
                self.done = true;
                break;
            }
            if at < self.from || self.previous == Some(at) {
                continue;
            }
            self.previous = Some(at);
            return Some(start);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use croner::Cron;

    use super::*;
    use crate::schedule::fixtures;

    fn plan(zone: &str, when: When) -> ChatPlan {
        fixtures::bare(zone, when)
    }

    fn repeat(zone: &str, line: &str, from: Option<&str>, until: Option<&str>) -> ChatPlan {
        fixtures::repeating(zone, line, from, until)
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn instants(found: &[Occurrence]) -> Vec<String> {
        found.iter().map(|z| z.timestamp().to_string()).collect()
    }

    fn locals(found: &[Occurrence]) -> Vec<String> {
        found
            .iter()
            .map(|z| z.strftime("%Y-%m-%d %H:%M %Z").to_string())
            .collect()
    }

    #[test]
    fn one_off_inside_and_outside_the_window() {
        let chat = plan(
            "America/Chicago",
            When::Once("2026-12-02T12:00".parse().unwrap()),
        );
        let found = occurrences(&chat, ts("2026-12-01T00:00Z"), ts("2026-12-03T00:00Z"));
        assert_eq!(instants(&found), ["2026-12-02T18:00:00Z"]);
        // `until` is exclusive, `from` inclusive.
        assert!(occurrences(&chat, ts("2026-12-01T00:00Z"), ts("2026-12-02T18:00Z")).is_empty());
        assert_eq!(
            occurrences(&chat, ts("2026-12-02T18:00Z"), ts("2026-12-02T18:01Z")).len(),
            1
        );
    }

    #[test]
    fn weekly_keeps_local_time_across_dst() {
        let chat = repeat("America/Chicago", "0 12 * * WED", None, None);
        let found = occurrences(&chat, ts("2026-10-20T00:00Z"), ts("2026-11-12T00:00Z"));
        assert_eq!(
            instants(&found),
            [
                "2026-10-21T17:00:00Z",
                "2026-10-28T17:00:00Z",
                "2026-11-04T18:00:00Z",
                "2026-11-11T18:00:00Z",
            ]
        );
        assert!(locals(&found).iter().all(|l| l.contains(" 12:00 ")));
    }

    #[test]
    fn a_year_of_weekly_occurrences() {
        let chat = repeat("America/Chicago", "0 12 * * WED", None, None);
        let found = occurrences(&chat, ts("2027-01-01T00:00Z"), ts("2028-01-01T00:00Z"));
        assert_eq!(found.len(), 52);
        assert!(
            found
                .windows(2)
                .all(|w| w[0].timestamp() < w[1].timestamp())
        );
        assert!(found.iter().all(|z| z.hour() == 12 && z.minute() == 0));
    }

    #[test]
    fn far_future_windows_start_where_asked() {
        let chat = repeat("Europe/Paris", "30 18 * * MON", Some("2026-01-01"), None);
        let found = occurrences(&chat, ts("2400-03-01T00:00Z"), ts("2400-03-15T00:00Z"));
        assert_eq!(
            locals(&found),
            ["2400-03-06 18:30 CET", "2400-03-13 18:30 CET"]
        );
    }

    #[test]
    fn from_and_until_dates_are_inclusive_local_dates() {
        let chat = repeat(
            "America/Chicago",
            "0 12 * * WED",
            Some("2026-12-02"),
            Some("2026-12-16"),
        );
        let found = occurrences(&chat, ts("2026-01-01T00:00Z"), ts("2027-12-31T00:00Z"));
        assert_eq!(
            locals(&found),
            [
                "2026-12-02 12:00 CST",
                "2026-12-09 12:00 CST",
                "2026-12-16 12:00 CST"
            ]
        );
    }

    #[test]
    fn a_late_evening_chat_counts_its_local_date_not_utcs() {
        // 23:00 in Sydney is still the previous day in UTC.
        let chat = repeat(
            "Australia/Sydney",
            "0 23 * * *",
            Some("2026-12-02"),
            Some("2026-12-03"),
        );
        let found = occurrences(&chat, ts("2026-11-01T00:00Z"), ts("2026-12-31T00:00Z"));
        assert_eq!(
            instants(&found),
            ["2026-12-02T12:00:00Z", "2026-12-03T12:00:00Z"]
        );
    }

    #[test]
    fn us_gap_fires_at_the_end_of_the_gap() {
        // 8 March 2026: Chicago jumps from 02:00 CST to 03:00 CDT.
        let chat = repeat("America/Chicago", "30 2 * * *", None, None);
        let found = occurrences(&chat, ts("2026-03-07T00:00Z"), ts("2026-03-10T00:00Z"));
        assert_eq!(
            locals(&found),
            [
                "2026-03-07 02:30 CST",
                "2026-03-08 03:00 CDT",
                "2026-03-09 02:30 CDT"
            ]
        );
        assert_eq!(instants(&found)[1], "2026-03-08T08:00:00Z");
    }

    #[test]
    fn several_times_in_one_gap_fire_once() {
        let chat = repeat("America/Chicago", "0,30 2 8 3 *", None, None);
        let found = occurrences(&chat, ts("2026-03-01T00:00Z"), ts("2026-03-10T00:00Z"));
        assert_eq!(locals(&found), ["2026-03-08 03:00 CDT"]);
    }

    #[test]
    fn eu_gap_fires_at_the_end_of_the_gap() {
        // 29 March 2026: Paris jumps from 02:00 CET to 03:00 CEST.
        let chat = repeat("Europe/Paris", "15 2 * * SUN", None, None);
        let found = occurrences(&chat, ts("2026-03-20T00:00Z"), ts("2026-04-06T00:00Z"));
        assert_eq!(
            locals(&found),
            [
                "2026-03-22 02:15 CET",
                "2026-03-29 03:00 CEST",
                "2026-04-05 02:15 CEST"
            ]
        );
    }

    #[test]
    fn southern_hemisphere_gap_in_october() {
        // 4 October 2026: Sydney jumps from 02:00 AEST to 03:00 AEDT.
        let chat = repeat("Australia/Sydney", "30 2 * * *", None, None);
        let found = occurrences(&chat, ts("2026-10-03T00:00Z"), ts("2026-10-05T00:00Z"));
        assert_eq!(
            locals(&found),
            ["2026-10-04 03:00 AEDT", "2026-10-05 02:30 AEDT"]
        );
    }

    #[test]
    fn us_overlap_fires_once_at_the_earlier_instant() {
        // 1 November 2026: Chicago repeats 01:00-02:00 (CDT, then CST).
        let chat = repeat("America/Chicago", "30 1 * * *", None, None);
        let found = occurrences(&chat, ts("2026-10-31T00:00Z"), ts("2026-11-03T00:00Z"));
        assert_eq!(
            locals(&found),
            [
                "2026-10-31 01:30 CDT",
                "2026-11-01 01:30 CDT",
                "2026-11-02 01:30 CST"
            ]
        );
    }

    #[test]
    fn eu_and_southern_overlaps_fire_once() {
        // 25 October 2026 in London; 5 April 2026 in Sydney.
        let london = repeat("Europe/London", "30 1 25 10 *", None, None);
        let found = occurrences(&london, ts("2026-10-01T00:00Z"), ts("2026-11-01T00:00Z"));
        assert_eq!(instants(&found), ["2026-10-25T00:30:00Z"]);
        let sydney = repeat("Australia/Sydney", "30 2 5 4 *", None, None);
        let found = occurrences(&sydney, ts("2026-04-01T00:00Z"), ts("2026-04-10T00:00Z"));
        assert_eq!(locals(&found), ["2026-04-05 02:30 AEDT"]);
    }

    #[test]
    fn a_window_starting_inside_an_overlap_skips_the_earlier_instant() {
        // The occurrence is at the earlier 01:30 (06:30Z); a window that
        // opens after it does not fire it again at the later one.
        let chat = repeat("America/Chicago", "30 1 * * *", None, None);
        let found = occurrences(&chat, ts("2026-11-01T06:45Z"), ts("2026-11-02T12:00Z"));
        assert_eq!(locals(&found), ["2026-11-02 01:30 CST"]);
    }

    #[test]
    fn a_zone_that_changed_its_rules_follows_the_rules_of_each_date() {
        // Brazil kept summer time until 2019: São Paulo went to -02 on
        // 4 November 2018, and no longer does.
        let chat = repeat("America/Sao_Paulo", "0 12 * * WED", None, None);
        let found = occurrences(&chat, ts("2018-10-30T00:00Z"), ts("2018-11-08T00:00Z"));
        assert_eq!(
            instants(&found),
            ["2018-10-31T15:00:00Z", "2018-11-07T14:00:00Z"]
        );
        let found = occurrences(&chat, ts("2026-10-27T00:00Z"), ts("2026-11-05T00:00Z"));
        assert_eq!(
            instants(&found),
            ["2026-10-28T15:00:00Z", "2026-11-04T15:00:00Z"]
        );
    }

    #[test]
    fn croner_agrees_for_fixed_time_lines() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        let cron: Cron = "30 2 * * *".parse().unwrap();
        let before: Zoned = "2026-03-07T12:00[America/Chicago]".parse().unwrap();
        let theirs = cron.find_next_occurrence(&before, false).unwrap();
        let ours = resolve_repeat(&tz, "2026-03-08T02:30".parse().unwrap());
        assert_eq!(theirs.timestamp(), ours.timestamp());
        let cron: Cron = "30 1 * * *".parse().unwrap();
        let before: Zoned = "2026-10-31T12:00[America/Chicago]".parse().unwrap();
        let theirs = cron.find_next_occurrence(&before, false).unwrap();
        let ours = resolve_repeat(&tz, "2026-11-01T01:30".parse().unwrap());
        assert_eq!(theirs.timestamp(), ours.timestamp());
    }

    #[test]
    fn croner_skips_gap_times_of_stepped_lines_where_we_fire() {
        let cron: Cron = "*/30 2 * * *".parse().unwrap();
        let before: Zoned = "2026-03-08T00:00[America/Chicago]".parse().unwrap();
        let theirs = cron.find_next_occurrence(&before, false).unwrap();
        assert_eq!(theirs.date(), "2026-03-09".parse::<Date>().unwrap());
        let chat = repeat("America/Chicago", "*/30 2 * * *", None, None);
        let found = occurrences(&chat, ts("2026-03-08T06:00Z"), ts("2026-03-09T06:00Z"));
        assert_eq!(locals(&found), ["2026-03-08 03:00 CDT"]);
    }

    #[test]
    fn the_next_occurrence_is_the_first_of_the_window() {
        let chat = repeat("America/Chicago", "0 12 * * WED", None, Some("2027-01-06"));
        let from = ts("2026-12-02T18:00:01Z");
        let next = next_occurrence(&chat, from).unwrap();
        assert_eq!(next.timestamp(), ts("2026-12-09T18:00Z"));
        let year = occurrences(&chat, from, ts("2027-12-01T00:00Z"));
        assert_eq!(year[0], next);
        assert!(next_occurrence(&chat, ts("2027-01-07T00:00Z")).is_none());
        let once = plan("UTC", When::Once("2026-12-02T12:00".parse().unwrap()));
        assert!(next_occurrence(&once, ts("2026-12-02T12:00Z")).is_some());
        assert!(next_occurrence(&once, ts("2026-12-02T12:00:01Z")).is_none());
    }

    #[test]
    fn one_off_in_a_gap_is_still_total() {
        let chat = plan(
            "America/Chicago",
            When::Once("2026-03-08T02:30".parse().unwrap()),
        );
        let found = occurrences(&chat, ts("2026-03-01T00:00Z"), ts("2026-04-01T00:00Z"));
        assert_eq!(locals(&found), ["2026-03-08 03:30 CDT"]);
    }

    #[test]
    fn a_line_that_never_fires_ends_quietly() {
        let chat = repeat("UTC", "0 12 30 2 *", None, None);
        assert!(occurrences(&chat, ts("2026-01-01T00:00Z"), ts("2030-01-01T00:00Z")).is_empty());
    }

    #[test]
    fn an_empty_or_reversed_window_is_empty() {
        let chat = repeat("UTC", "0 12 * * *", None, None);
        assert!(occurrences(&chat, ts("2026-01-02T00:00Z"), ts("2026-01-01T00:00Z")).is_empty());
    }

    #[test]
    fn occurrences_are_capped() {
        let chat = repeat("UTC", "* * * * *", None, None);
        let found = occurrences(&chat, ts("2026-01-01T00:00Z"), ts("2027-01-01T00:00Z"));
        assert_eq!(found.len(), MAX_OCCURRENCES);
    }
}
