//! `VTIMEZONE`: the chat's IANA zone spelled out for calendar apps.
//!
//! RFC 5545 wants a `VTIMEZONE` for every `TZID` a file uses. We list the
//! zone's real transitions (from jiff's copy of the IANA database) over the
//! span the calendar covers, each as a `STANDARD` or `DAYLIGHT` observance
//! with its own onset, so no rule has to be guessed. The `icalendar` crate
//! gives every component a `UID` and a `DTSTAMP`, which a `VTIMEZONE` must
//! not have, so this block is written here and spliced into its output.

use std::fmt::Write as _;

use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// Most observances listed (a zone with DST has two a year).
const MAX_OBSERVANCES: usize = 64;

/// The `BEGIN:VTIMEZONE … END:VTIMEZONE` block for `name`, covering
/// `[from, until]`, CRLF line ends.
pub fn block(name: &str, tz: &TimeZone, from: Timestamp, until: Timestamp) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VTIMEZONE");
    line(&mut out, &format!("TZID:{}", super::escape::own_text(name)));
    // The observance in force at `from`, then every change until `until`.
    let mut transitions: Vec<(Timestamp, Offset, Offset, String, bool)> = Vec::new();
    if let Some(t) = tz.preceding(from).next() {
        let before = offset_before(tz, t.timestamp());
        let abbreviation = t.abbreviation().to_string();
        transitions.push((
            t.timestamp(),
            before,
            t.offset(),
            abbreviation,
            t.dst().is_dst(),
        ));
    }
    for t in tz.following(from).take(MAX_OBSERVANCES) {
        if t.timestamp() > until {
            break;
        }
        let before = offset_before(tz, t.timestamp());
        let abbreviation = t.abbreviation().to_string();
        transitions.push((
            t.timestamp(),
            before,
            t.offset(),
            abbreviation,
            t.dst().is_dst(),
        ));
    }
    if transitions.is_empty() {
        // A fixed offset (UTC, or a zone without changes in this span).
        let info = tz.to_offset_info(from);
        let (offset, abbreviation) = (info.offset(), info.abbreviation().to_string());
        observance(
            &mut out,
            "19700101T000000",
            offset,
            offset,
            &abbreviation,
            false,
        );
    }
    for (at, before, after, abbreviation, dst) in transitions {
        let onset = before.to_datetime(at).strftime("%Y%m%dT%H%M%S").to_string();
        observance(&mut out, &onset, before, after, &abbreviation, dst);
    }
    line(&mut out, "END:VTIMEZONE");
    out
}

fn offset_before(tz: &TimeZone, at: Timestamp) -> Offset {
    let just_before = at.checked_sub(SignedDuration::from_secs(1)).unwrap_or(at);
    tz.to_offset(just_before)
}

fn observance(out: &mut String, onset: &str, from: Offset, to: Offset, name: &str, dst: bool) {
    let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
    line(out, &format!("BEGIN:{kind}"));
    line(out, &format!("DTSTART:{onset}"));
    line(out, &format!("TZOFFSETFROM:{}", utc_offset(from)));
    line(out, &format!("TZOFFSETTO:{}", utc_offset(to)));
    // Abbreviations are letters, digits, `+` and `-`; nothing to escape.
    if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
    {
        line(out, &format!("TZNAME:{name}"));
    }
    line(out, &format!("END:{kind}"));
}

/// `-0600`, `+0530`, `+013045` (RFC 5545 `utc-offset`).
fn utc_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

fn line(out: &mut String, text: &str) {
    let _ = write!(out, "{text}\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_change_in_the_span_with_onsets_in_the_old_offset() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        let from: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        let until: Timestamp = "2027-12-01T00:00:00Z".parse().unwrap();
        let text = block("America/Chicago", &tz, from, until);
        assert!(text.starts_with("BEGIN:VTIMEZONE\r\nTZID:America/Chicago\r\n"));
        // In force since 1 Nov 2026, then 14 Mar 2027 and 7 Nov 2027.
        for expected in [
            "BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0600\r\nTZNAME:CST\r\n",
            "BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0600\r\nTZOFFSETTO:-0500\r\nTZNAME:CDT\r\n",
            "BEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0600\r\n",
        ] {
            assert!(text.contains(expected), "{expected} not in\n{text}");
        }
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 2);
        assert!(text.ends_with("END:VTIMEZONE\r\n"));
    }

    #[test]
    fn a_fixed_zone_has_one_observance() {
        let from: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        let text = block("UTC", &TimeZone::UTC, from, from);
        assert!(
            text.contains("DTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\n")
        );
        assert_eq!(utc_offset(Offset::from_seconds(19800).unwrap()), "+0530");
        assert_eq!(utc_offset(Offset::from_seconds(-3600).unwrap()), "-0100");
    }
}
