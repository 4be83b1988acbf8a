//! The `--from`/`--until` window of `tweetchat plan`.
//!
//! An organizer asks "what goes out next week?" in their own calendar, while
//! an operator debugging a post thinks in UTC instants. So a bound is either
//! an RFC 3339 instant (`2027-01-13T18:00:00Z`) or a local date
//! (`2027-01-13`), and a date means 00:00 in *each chat's* zone: "from
//! 2027-01-13" starts a Chicago chat's day and a Sydney chat's day at their
//! own midnights.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

/// How far `until` lies after `from` when it is not given.
pub const DEFAULT_DAYS: i64 = 8;

/// One end of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// An absolute instant.
    Instant(Timestamp),
    /// 00:00 on this date in each chat's zone.
    Date(Date),
}

/// A bound that is neither an instant nor a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "expected an RFC 3339 instant like 2027-01-13T18:00:00Z or a date like 2027-01-13, found `{0}`"
)]
pub struct BoundError(String);

impl FromStr for Bound {
    type Err = BoundError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Ok(instant) = s.parse::<Timestamp>() {
            return Ok(Bound::Instant(instant));
        }
        // A bare date is exactly ten characters; `Date`'s parser would also
        // accept a datetime and drop its time, which would surprise.
        match s.parse::<Date>() {
            Ok(date) if s.len() == 10 => Ok(Bound::Date(date)),
            _ => Err(BoundError(s.to_string())),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Instant(instant) => write!(f, "{instant}"),
            Bound::Date(date) => write!(f, "{date}"),
        }
    }
}

impl Bound {
    /// The instant this bound means in `tz`.
    pub fn in_zone(&self, tz: &TimeZone) -> Timestamp {
        match self {
            Bound::Instant(instant) => *instant,
            // Start of day: a zone whose midnight falls in a gap starts the
            // day at the end of the gap.
            Bound::Date(date) => date
                .to_zoned(tz.clone())
                .map(|zoned| zoned.timestamp())
                .unwrap_or(Timestamp::MAX),
        }
    }
}

/// The window to plan: `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Bound,
    /// `None`: [`DEFAULT_DAYS`] after `from`.
    pub until: Option<Bound>,
}

impl Window {
    /// `[from, until)` for a chat in `tz`.
    pub fn in_zone(&self, tz: &TimeZone) -> (Timestamp, Timestamp) {
        let from = self.from.in_zone(tz);
        let until = match self.until {
            Some(until) => until.in_zone(tz),
            // Calendar days in the chat's zone, so "a week and a day from
            // midnight" ends at midnight even across a DST change.
            None => Zoned::new(from, tz.clone())
                .checked_add(DEFAULT_DAYS.days())
                .map(|end| end.timestamp())
                .unwrap_or(Timestamp::MAX),
        };
        (from, until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chicago() -> TimeZone {
        TimeZone::get("America/Chicago").unwrap()
    }

    #[test]
    fn parses_instants_and_dates() {
        assert_eq!(
            "2027-01-13T18:00:00Z".parse::<Bound>(),
            Ok(Bound::Instant("2027-01-13T18:00:00Z".parse().unwrap()))
        );
        assert_eq!(
            "2027-01-13T12:00:00-06:00".parse::<Bound>(),
            Ok(Bound::Instant("2027-01-13T18:00:00Z".parse().unwrap()))
        );
        assert_eq!(
            "2027-01-13".parse::<Bound>(),
            Ok(Bound::Date("2027-01-13".parse().unwrap()))
        );
    }

    #[test]
    fn rejects_what_is_neither() {
        for bad in [
            "tomorrow",
            "2027-01-13T18:00",
            "2027-13-01",
            "13/01/2027",
            "",
        ] {
            let err = bad.parse::<Bound>().unwrap_err();
            assert!(
                err.to_string().starts_with("expected an RFC 3339 instant"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_date_is_midnight_in_each_zone() {
        let date: Bound = "2026-12-02".parse().unwrap();
        assert_eq!(
            date.in_zone(&chicago()),
            "2026-12-02T06:00Z".parse().unwrap()
        );
        let sydney = TimeZone::get("Australia/Sydney").unwrap();
        assert_eq!(date.in_zone(&sydney), "2026-12-01T13:00Z".parse().unwrap());
    }

    #[test]
    fn until_defaults_to_eight_calendar_days() {
        let window = Window {
            from: "2026-03-01".parse().unwrap(),
            until: None,
        };
        let (from, until) = window.in_zone(&chicago());
        assert_eq!(from, "2026-03-01T06:00Z".parse().unwrap());
        // DST began on 8 March: the ninth midnight is at 05:00Z.
        assert_eq!(until, "2026-03-09T05:00Z".parse().unwrap());
        let window = Window {
            from: "2026-03-01T00:00Z".parse().unwrap(),
            until: Some("2026-03-02".parse().unwrap()),
        };
        assert_eq!(
            window.in_zone(&chicago()),
            (
                "2026-03-01T00:00Z".parse().unwrap(),
                "2026-03-02T06:00Z".parse().unwrap()
            )
        );
    }
}
