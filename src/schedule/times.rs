//! The `{time}`, `{date}` and `{times}` placeholders.
//!
//! A chat announcement has to tell people around the world when to show up,
//! and it counts against 280 characters, so `{times}` reads the way a human
//! host writes it and no longer:
//!
//! ```text
//! 12:00 CST Wed 2 Dec — 11:00 MST, 10:00 PST, 13:00 EST, 18:00 GMT, 19:00 CET
//! ```
//!
//! - First the chat zone: 24-hour time with two-digit hours (`09:00`), its real
//!   abbreviation on that date (CST in December, CDT in May), weekday, day
//!   and month.
//! - Then ` — ` and every `show_times_in` zone in the organizer's order,
//!   separated by `, `. A zone's weekday and date are added only where they
//!   differ from the chat zone's (`05:00 AEDT Thu 3 Dec`).
//! - Zones whose tz database abbreviation is only a number (São Paulo's
//!   `-03`) show as `UTC-3`, `UTC+5:30`: a bare `-03` after a time reads like
//!   a typo.

use jiff::Zoned;
use jiff::tz::{Offset, TimeZone};

/// `{time}`: the start in its own zone, `12:00 CST`.
pub fn render_time(start: &Zoned) -> String {
    format!("{} {}", start.strftime("%H:%M"), zone_label(start))
}

/// `{date}`: the start's date in its own zone, `Wed 2 Dec 2026`.
pub fn render_date(start: &Zoned) -> String {
    start.strftime("%a %-d %b %Y").to_string()
}

/// `{times}`: "12:00 CST Wed 2 Dec — 11:00 MST, 10:00 PST, 13:00 EST, 18:00 GMT, 19:00 CET".
pub fn render_times(start: &Zoned, shown: &[TimeZone]) -> String {
    let mut out = format!("{} {}", render_time(start), start.strftime("%a %-d %b"));
    for (i, zone) in shown.iter().enumerate() {
        out.push_str(if i == 0 { " — " } else { ", " });
        let there = start.with_time_zone(zone.clone());
        out.push_str(&render_time(&there));
        if there.date() != start.date() {
            out.push(' ');
            out.push_str(&there.strftime("%a %-d %b").to_string());
        }
    }
    out
}

/// The zone's abbreviation at that instant, or `UTC±H[:MM]` where the tz
/// database has only a number.
pub fn zone_label(at: &Zoned) -> String {
    let abbreviation = at.strftime("%Z").to_string();
    let numeric = abbreviation.is_empty()
        || abbreviation.starts_with(['+', '-'])
        || abbreviation.starts_with(|c: char| c.is_ascii_digit());
    if numeric {
        utc_offset_label(at.offset())
    } else {
        abbreviation
    }
}

/// `UTC-3`, `UTC+5:30`, `UTC` for a zero offset.
fn utc_offset_label(offset: Offset) -> String {
    let seconds = offset.seconds();
    if seconds == 0 {
        return "UTC".to_string();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (hours, minutes) = (minutes / 60, minutes % 60);
    if minutes == 0 {
        format!("UTC{sign}{hours}")
    } else {
        format!("UTC{sign}{hours}:{minutes:02}")
    }
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;

    fn zones(names: &[&str]) -> Vec<TimeZone> {
        names
            .iter()
            .map(|name| TimeZone::get(name).unwrap())
            .collect()
    }

    fn hcsmbm_zones() -> Vec<TimeZone> {
        zones(&[
            "America/Denver",
            "America/Los_Angeles",
            "America/New_York",
            "Europe/London",
            "Europe/Paris",
        ])
    }

    fn chicago(s: &str) -> Zoned {
        format!("{s}[America/Chicago]").parse().unwrap()
    }

    #[test]
    fn december_uses_standard_time_abbreviations() {
        let start = chicago("2026-12-02T12:00");
        assert_eq!(
            render_times(&start, &hcsmbm_zones()),
            "12:00 CST Wed 2 Dec — 11:00 MST, 10:00 PST, 13:00 EST, 18:00 GMT, 19:00 CET"
        );
    }

    #[test]
    fn may_uses_summer_time_abbreviations() {
        let start = chicago("2026-05-13T12:00");
        assert_eq!(
            render_times(&start, &hcsmbm_zones()),
            "12:00 CDT Wed 13 May — 11:00 MDT, 10:00 PDT, 13:00 EDT, 18:00 BST, 19:00 CEST"
        );
    }

    #[test]
    fn the_weeks_between_us_and_eu_changes_are_rendered_as_they_are() {
        // The US springs forward on 8 March 2026, Europe on 29 March.
        let start = chicago("2026-03-18T12:00");
        assert_eq!(
            render_times(&start, &zones(&["Europe/London", "Europe/Paris"])),
            "12:00 CDT Wed 18 Mar — 17:00 GMT, 18:00 CET"
        );
    }

    #[test]
    fn a_zone_on_the_next_day_shows_its_date() {
        let start = chicago("2026-12-02T12:00");
        assert_eq!(
            render_times(&start, &zones(&["Australia/Sydney", "Asia/Tokyo"])),
            "12:00 CST Wed 2 Dec — 05:00 AEDT Thu 3 Dec, 03:00 JST Thu 3 Dec"
        );
    }

    #[test]
    fn a_zone_on_the_previous_day_shows_its_date() {
        let start: Zoned = "2026-12-02T08:00[Australia/Sydney]".parse().unwrap();
        assert_eq!(
            render_times(&start, &zones(&["America/Los_Angeles"])),
            "08:00 AEDT Wed 2 Dec — 13:00 PST Tue 1 Dec"
        );
    }

    #[test]
    fn half_hour_zone_keeps_its_minutes() {
        let start = chicago("2026-12-02T12:00");
        assert_eq!(
            render_times(&start, &zones(&["Asia/Kolkata", "Asia/Kathmandu"])),
            "12:00 CST Wed 2 Dec — 23:30 IST, 23:45 UTC+5:45"
        );
    }

    #[test]
    fn numeric_abbreviations_read_as_utc_offsets() {
        let start = chicago("2026-12-02T12:00");
        assert_eq!(
            render_times(&start, &zones(&["America/Sao_Paulo", "UTC"])),
            "12:00 CST Wed 2 Dec — 15:00 UTC-3, 18:00 UTC"
        );
        let colombo: Zoned = "2026-12-02T12:00[Asia/Colombo]".parse().unwrap();
        assert_eq!(render_time(&colombo), "12:00 UTC+5:30");
    }

    #[test]
    fn a_zone_that_changed_its_rules_shows_the_offset_of_that_date() {
        let shown = zones(&["America/Sao_Paulo"]);
        assert_eq!(
            render_times(&chicago("2018-12-05T12:00"), &shown),
            "12:00 CST Wed 5 Dec — 16:00 UTC-2"
        );
        assert_eq!(
            render_times(&chicago("2026-12-02T12:00"), &shown),
            "12:00 CST Wed 2 Dec — 15:00 UTC-3"
        );
    }

    #[test]
    fn no_shown_zones_is_just_the_chat_zone() {
        let start = chicago("2026-12-02T09:05");
        assert_eq!(render_times(&start, &[]), "09:05 CST Wed 2 Dec");
    }

    #[test]
    fn time_and_date_placeholders() {
        let start = chicago("2026-05-13T12:00");
        assert_eq!(render_time(&start), "12:00 CDT");
        assert_eq!(render_date(&start), "Wed 13 May 2026");
    }
}
