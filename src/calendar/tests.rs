use std::path::Path;

use super::*;

fn plan(body: &str) -> ChatPlan {
    let yaml =
        format!("title: Buddy <Mentoring>\nhashtag: \"#hcsmbm\"\n{body}questions: [Why, How]\n");
    crate::plan::load::load_str(Path::new("chats/hcsmbm.yaml"), &yaml).unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn lines(ics: &str) -> Vec<&str> {
    ics.split("\r\n").collect()
}

#[test]
fn a_version_keeps_its_sequence_until_the_fingerprint_changes() {
    let now = ts("2026-12-01T00:00:00Z");
    let first = Version::next(None, "aaa", now);
    assert_eq!(first.sequence, 0);
    assert_eq!(first.anchor, now - PAST);
    let stored = first.encode();
    let later = ts("2026-12-08T00:00:00Z");
    assert_eq!(Version::next(Some(&stored), "aaa", later), first);
    let bumped = Version::next(Some(&stored), "bbb", later);
    assert_eq!((bumped.sequence, bumped.changed), (1, later));
    assert_eq!(bumped.anchor, first.anchor, "the series keeps its start");
    assert_eq!(Version::next(Some("garbage"), "aaa", later).sequence, 0);
}

#[test]
fn the_fingerprint_follows_what_events_show() {
    let weekly = plan("timezone: America/Chicago\nrepeat: \"0 12 * * WED\"\n");
    let same = plan("timezone: America/Chicago\nrepeat: \"0 12 * * WED\"\n");
    let moved = plan("timezone: America/Chicago\nrepeat: \"0 13 * * WED\"\n");
    assert_eq!(fingerprint(&weekly, None), fingerprint(&same, None));
    assert_ne!(fingerprint(&weekly, None), fingerprint(&moved, None));
    assert_ne!(
        fingerprint(&weekly, None),
        fingerprint(&weekly, Some("https://chats.example"))
    );
}

#[test]
fn a_weekly_chat_is_one_series_in_its_zone() {
    let weekly = plan("timezone: America/Chicago\nrepeat: \"0 12 * * WED\"\n");
    let now = ts("2026-12-01T00:00:00Z");
    let version = Version::next(None, &fingerprint(&weekly, None), now);
    let ics = render(&weekly, &version, now, Some("https://chats.example"));
    let lines = lines(&ics);
    assert_eq!(lines[0], "BEGIN:VCALENDAR");
    assert!(lines.contains(&"BEGIN:VTIMEZONE"));
    assert!(lines.contains(&"TZID:America/Chicago"));
    assert!(lines.contains(&"DTSTART;TZID=America/Chicago:20261007T120000"));
    assert!(lines.contains(&"RRULE:FREQ=WEEKLY;BYDAY=WE"));
    assert!(lines.contains(&"DURATION:PT1H"));
    assert!(lines.contains(&"UID:hcsmbm-series@tweetchat"));
    assert!(lines.contains(&"SEQUENCE:0"));
    assert!(lines.contains(&"SUMMARY:#hcsmbm Buddy <Mentoring>"));
    assert!(lines.contains(&"URL:https://chats.example/chats/hcsmbm"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
    // The zone comes before the event, and the block has no UID of its own.
    let zone = ics.find("BEGIN:VTIMEZONE").unwrap();
    assert!(zone < ics.find("BEGIN:VEVENT").unwrap());
    let block = &ics[zone..ics.find("END:VTIMEZONE").unwrap()];
    assert!(!block.contains("UID") && !block.contains("DTSTAMP"));
}

#[test]
fn a_time_in_a_dst_gap_becomes_explicit_utc_events() {
    // 02:30 Chicago does not exist on 14 Mar 2027: tweetchat posts at 03:00
    // CDT, an RRULE would mean 03:30.
    let gap = plan("timezone: America/Chicago\nrepeat: \"30 2 * * SUN\"\n");
    let now = ts("2026-12-01T00:00:00Z");
    let version = Version::next(None, &fingerprint(&gap, None), now);
    let ics = render(&gap, &version, now, None);
    assert!(!ics.contains("RRULE"), "{ics}");
    assert!(!ics.contains("VTIMEZONE"));
    let lines = lines(&ics);
    assert!(lines.contains(&"DTSTART:20270314T080000Z"), "03:00 CDT");
    assert!(lines.contains(&"UID:hcsmbm-20270314T0300@tweetchat"));
    assert!(lines.contains(&"DTSTART:20270307T083000Z"), "02:30 CST");
    let events = ics.matches("BEGIN:VEVENT").count();
    assert!(
        (60..=70).contains(&events),
        "{events} weekly events in 460 days"
    );
}

#[test]
fn uids_do_not_depend_on_when_the_file_is_made() {
    let gap = plan("timezone: America/Chicago\nrepeat: \"30 2 * * SUN\"\n");
    let version = Version::next(None, "x", ts("2026-12-01T00:00:00Z"));
    let a = render(&gap, &version, ts("2026-12-01T00:00:00Z"), None);
    let b = render(&gap, &version, ts("2026-12-20T00:00:00Z"), None);
    let uid = "UID:hcsmbm-20270314T0300@tweetchat";
    assert!(a.contains(uid) && b.contains(uid));
}

#[test]
fn a_one_off_chat_is_one_event() {
    let once = plan("timezone: Asia/Kolkata\nstart: 2026-12-02 19:30\nduration: 1h30m\n");
    let version = Version::next(None, "x", ts("2026-12-01T00:00:00Z"));
    let ics = render(&once, &version, ts("2026-12-01T00:00:00Z"), None);
    let lines = lines(&ics);
    assert!(lines.contains(&"DTSTART:20261202T140000Z"));
    assert!(lines.contains(&"DTEND:20261202T153000Z"));
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
    assert_eq!(ics_duration(SignedDuration::from_secs(5400)), "PT1H30M");
    assert_eq!(ics_duration(SignedDuration::from_secs(90)), "PT1M30S");
}

/// A season of three Wednesdays, with `session` as the 2027-02-24 entry.
fn season(session: &str) -> ChatPlan {
    let yaml = format!(
        "title: Education Chat\nhashtag: \"#edchat\"\ntimezone: America/Chicago\n\
         repeat: \"0 12 * * WED\"\nfrom: 2027-02-17\nuntil: 2027-03-03\nduration: 30m\n\
         questions: [What helps?]\nsessions:\n  2027-02-17:\n    topic: Kickoff\n  2027-02-24:\n{session}"
    );
    crate::plan::load::load_str(Path::new("chats/edchat.yaml"), &yaml).unwrap()
}

#[test]
fn sequence_rises_when_a_session_changes_and_only_then() {
    let base = "    topic: Assessment\n    host: \"@guest\"\n";
    let original = season(base);
    let now = ts("2027-01-01T00:00:00Z");
    let first = Version::next(None, &fingerprint(&original, None), now);
    assert_eq!(first.sequence, 0);
    // Loaded again unchanged: the same version.
    let again = Version::next(
        Some(&first.encode()),
        &fingerprint(&season(base), None),
        now,
    );
    assert_eq!(again, first);
    let later = ts("2027-01-08T00:00:00Z");
    for (what, session) in [
        (
            "a new topic",
            "    topic: Assessment that helps\n    host: \"@guest\"\n",
        ),
        (
            "another host",
            "    topic: Assessment\n    host: \"@other\"\n",
        ),
        (
            "its own questions",
            "    topic: Assessment\n    host: \"@guest\"\n    questions: [What replaced it?]\n",
        ),
        ("a skip", "    skip: Spring break\n"),
        (
            "a move",
            "    topic: Assessment\n    host: \"@guest\"\n    start: 2027-02-25 13:00\n",
        ),
    ] {
        let changed = season(session);
        let next = Version::next(Some(&first.encode()), &fingerprint(&changed, None), later);
        assert_eq!(next.sequence, 1, "{what}");
        assert_eq!(next.changed, later, "{what}");
        // And the file carries it on every event.
        let ics = render(&changed, &next, now, None);
        assert!(ics.contains("SEQUENCE:1\r\n"), "{what}");
        assert!(!ics.contains("SEQUENCE:0\r\n"), "{what}");
    }
}

#[test]
fn a_season_is_one_event_per_held_session_with_its_topic() {
    let plan = season("    skip: Spring break\n");
    let now = ts("2027-01-01T00:00:00Z");
    let version = Version::next(None, "x", now);
    let ics = render(&plan, &version, now, Some("https://chats.example"));
    assert!(!ics.contains("RRULE"), "{ics}");
    let lines = lines(&ics);
    assert_eq!(
        ics.matches("BEGIN:VEVENT").count(),
        2,
        "the skipped week has no event"
    );
    assert!(lines.contains(&"SUMMARY:#edchat Education Chat: Kickoff"));
    assert!(
        lines.contains(&"SUMMARY:#edchat Education Chat"),
        "no topic, no colon"
    );
    assert!(lines.contains(&"UID:edchat-20270217T1200@tweetchat"));
    assert!(lines.contains(&"URL:https://chats.example/chats/edchat/2027-02-17"));
    assert!(!ics.contains("20270224"), "{ics}");
}
