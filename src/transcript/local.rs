//! Times and counts as the chat's audience reads them: times in the chat's
//! own zone, `1 post` but `2 posts`.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Formats instants in one zone.
#[derive(Debug, Clone)]
pub struct LocalTimes {
    tz: TimeZone,
}

impl LocalTimes {
    /// The zone `name`; an unknown name (a hand-edited JSON) falls back to
    /// UTC, which the rendered times then say (`UTC`).
    pub fn new(name: &str) -> Self {
        LocalTimes {
            tz: TimeZone::get(name).unwrap_or(TimeZone::UTC),
        }
    }

    /// `12:05`.
    pub fn time(&self, at: Timestamp) -> String {
        at.to_zoned(self.tz.clone()).strftime("%H:%M").to_string()
    }

    /// `Wednesday 2 December 2026`.
    pub fn day(&self, at: Timestamp) -> String {
        at.to_zoned(self.tz.clone())
            .strftime("%A %-d %B %Y")
            .to_string()
    }

    /// `12:00–13:00 CST`.
    pub fn span(&self, starts: Timestamp, ends: Timestamp) -> String {
        let end = ends.to_zoned(self.tz.clone());
        format!("{}–{}", self.time(starts), end.strftime("%H:%M %Z"))
    }
}

/// `1 post`, `3 posts`.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_the_chat_zone() {
        let local = LocalTimes::new("America/Chicago");
        let start: Timestamp = "2026-12-02T18:00:00Z".parse().unwrap();
        let end: Timestamp = "2026-12-02T19:00:00Z".parse().unwrap();
        assert_eq!(local.time(start), "12:00");
        assert_eq!(local.day(start), "Wednesday 2 December 2026");
        assert_eq!(local.span(start, end), "12:00–13:00 CST");
        assert_eq!(
            LocalTimes::new("Nope/Nope").span(start, end),
            "18:00–19:00 UTC"
        );
    }
}
