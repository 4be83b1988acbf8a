//! The `.ics` file read by a parser from another ecosystem: Python's
//! `icalendar` (with `dateutil` expanding each `RRULE`, and zones from
//! Python's own `zoneinfo`) must see every occurrence exactly where
//! `tweetchat plan --format json` says the chat starts and ends, across the
//! DST change in the chat's zone (US, second Sunday of March) and in a
//! viewer's (UK, last Sunday of March), for a chat that is one repeating
//! event, one that is explicit events (its time falls in a DST gap) and a
//! one-off.
//!
//! Uses the real binary (`tweetchat calendar`, `tweetchat plan`). The Python
//! comes from `TWEETCHAT_PYTHON`, else the venv `tests/run` makes in
//! `~/.cache/tweetchat/pyics`; without one the test skips with a notice,
//! recorded for `tests/run`'s summary.

#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tweetchat");
const VIEWERS: [&str; 2] = ["Europe/London", "Asia/Tokyo"];

fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("TWEETCHAT_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/tweetchat/pyics/bin/python"))
        })?;
    let works = Command::new(&candidate)
        .args(["-c", "import icalendar, dateutil"])
        .status()
        .is_ok_and(|s| s.success());
    if works {
        Some(candidate)
    } else {
        skip::skip(&format!(
            "no Python with `icalendar` at {} (bash tests/run installs it; or set TWEETCHAT_PYTHON)",
            candidate.display()
        ));
        None
    }
}

/// 7 Mar – 4 Apr of the next spring at least a day away: holds both
/// changes and stays inside the 400 days the calendar lists ahead.
fn spring_window() -> (Date, Date) {
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let mut year = today.year();
    if today >= jiff::civil::date(year, 3, 6) {
        year += 1;
    }
    (jiff::civil::date(year, 3, 7), jiff::civil::date(year, 4, 4))
}

struct Folder {
    _dir: tempfile::TempDir,
    chats: PathBuf,
    state: PathBuf,
    config: PathBuf,
}

fn folder(chats: &[(&str, &str)]) -> Folder {
    let dir = tempfile::tempdir().unwrap();
    let (chat_dir, state, config) = (
        dir.path().join("chats"),
        dir.path().join("state"),
        dir.path().join("config"),
    );
    std::fs::create_dir_all(&chat_dir).unwrap();
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("local.toml"),
        "[http]\npublic_url = \"https://chats.example.org\"\n",
    )
    .unwrap();
    for (name, body) in chats {
        std::fs::write(chat_dir.join(format!("{name}.yaml")), body).unwrap();
    }
    Folder {
        _dir: dir,
        chats: chat_dir,
        state,
        config,
    }
}

fn run(folder: &Folder, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--config-dir")
        .arg(&folder.config)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tweetchat {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn calendar(folder: &Folder, chat: &str) -> PathBuf {
    let path = folder.state.join(format!("{chat}.ics"));
    let chats = folder.chats.to_str().unwrap();
    let state = folder.state.to_str().unwrap();
    run(
        folder,
        &[
            "calendar",
            chat,
            "--chats",
            chats,
            "--state",
            state,
            "-o",
            path.to_str().unwrap(),
        ],
    );
    path
}

/// (start, end) of every occurrence `plan` lists: the welcome and wrap-up.
fn planned(folder: &Folder, chat: &str, from: Date, until: Date) -> Vec<(String, String)> {
    let file = folder.chats.join(format!("{chat}.yaml"));
    let json = run(
        folder,
        &[
            "plan",
            file.to_str().unwrap(),
            "--from",
            &from.to_string(),
            "--until",
            &until.to_string(),
            "--format",
            "json",
        ],
    );
    let posts: Vec<Value> = serde_json::from_str(&json).unwrap();
    let at = |kind: &str| -> Vec<String> {
        posts
            .iter()
            .filter(|p| p["kind"] == kind)
            .map(|p| p["at"].as_str().unwrap().to_string())
            .collect()
    };
    let (starts, ends) = (at("welcome"), at("wrapup"));
    assert_eq!(starts.len(), ends.len());
    starts.into_iter().zip(ends).collect()
}

/// What Python reads from `ics` in `[from, until)` (UTC instants).
fn parsed(python: &Path, ics: &Path, from: &str, until: &str) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/calendar/instants.py");
    let out = Command::new(python)
        .arg(script)
        .arg(ics)
        .args([from, until])
        .args(VIEWERS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks one chat end to end; returns what Python read.
fn check_chat(python: &Path, folder: &Folder, chat: &str, zone: &str) -> Vec<Value> {
    let (from, until) = spring_window();
    let tz = TimeZone::get(zone).unwrap();
    let utc = |d: Date| d.to_zoned(tz.clone()).unwrap().timestamp().to_string();
    let expected = planned(folder, chat, from, until);
    let ics = calendar(folder, chat);
    let events = parsed(python, &ics, &utc(from), &utc(until));
    let got: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["start"].as_str().unwrap().to_string(),
                e["end"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected, "{chat}: calendar vs plan");
    for event in &events {
        let start: Timestamp = event["start"].as_str().unwrap().parse().unwrap();
        for viewer in VIEWERS {
            let local = start.to_zoned(TimeZone::get(viewer).unwrap());
            assert_eq!(
                event["viewer"][viewer].as_str().unwrap(),
                local.strftime("%Y-%m-%d %H:%M").to_string(),
                "{chat} in {viewer}"
            );
        }
        if let Some(own) = event.get("start_by_vtimezone") {
            assert_eq!(
                own, &event["start"],
                "{chat}: the file's VTIMEZONE disagrees"
            );
        }
        assert!(event["summary"].as_str().unwrap().contains("#"), "{event}");
    }
    events
}

const WEEKLY: &str = "title: Weekly <b>chat</b>\nhashtag: \"#weekly\"\ntimezone: America/Chicago\n\
                      repeat: \"0 12 * * WED\"\nduration: 1h\nquestions: [One, Two]\n";
const GAP: &str = "title: Night owls\nhashtag: \"#owls\"\ntimezone: America/Chicago\n\
                   repeat: \"30 2 * * SUN\"\nduration: 45m\nquestions: [One]\n";

#[test]
fn a_weekly_chat_is_where_plan_says_on_both_sides_of_two_dst_changes() {
    let Some(python) = python() else { return };
    let folder = folder(&[("weekly", WEEKLY)]);
    let events = check_chat(&python, &folder, "weekly", "America/Chicago");
    assert_eq!(events.len(), 4, "four Wednesdays from 7 Mar to 4 Apr");
    assert!(events.iter().all(|e| e["uid"] == "weekly-series@tweetchat"));
    // London sees 18:00 before the US change, 17:00 for the weeks between
    // the two changes, 18:00 again after the UK's.
    let london: Vec<&str> = events
        .iter()
        .map(|e| &e["viewer"]["Europe/London"].as_str().unwrap()[11..])
        .collect();
    assert!(
        london.contains(&"17:00") && london.contains(&"18:00"),
        "{london:?}"
    );
    assert_eq!(events[0]["sequence"], 0);
}

#[test]
fn a_chat_in_a_dst_gap_gets_explicit_events_at_the_instants_it_posts() {
    let Some(python) = python() else { return };
    let folder = folder(&[("owls", GAP)]);
    let events = check_chat(&python, &folder, "owls", "America/Chicago");
    assert_eq!(events.len(), 4);
    // The Sunday of the change: 02:30 does not exist, tweetchat posts at 03:00 CDT.
    let (from, _) = spring_window();
    let change = (0..8)
        .map(|d: i64| from.checked_add(d.days()).unwrap())
        .find(|d| d.weekday() == jiff::civil::Weekday::Sunday && d.day() >= 8)
        .unwrap();
    let expected = change
        .at(8, 0, 0, 0)
        .to_zoned(TimeZone::UTC)
        .unwrap()
        .timestamp()
        .to_string();
    assert!(
        events.iter().any(|e| e["start"] == expected.as_str()),
        "{events:?}"
    );
    let uids: std::collections::BTreeSet<&str> =
        events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids.len(), events.len(), "one UID per occurrence");
}

#[test]
fn a_one_off_chat_is_one_event_and_sequence_moves_when_the_file_changes() {
    let Some(python) = python() else { return };
    let (from, _) = spring_window();
    let day = from.checked_add(14.days()).unwrap();
    let once = format!(
        "title: Once\nhashtag: \"#once\"\ntimezone: Europe/London\nstart: {day} 19:00\nduration: 1h30m\nquestions: [One]\n"
    );
    let folder = folder(&[("once", &once)]);
    let events = check_chat(&python, &folder, "once", "Europe/London");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["sequence"], 0);
    // Same file again: same SEQUENCE. A new title: one more.
    let again = check_chat(&python, &folder, "once", "Europe/London");
    assert_eq!(again[0]["sequence"], 0);
    std::fs::write(
        folder.chats.join("once.yaml"),
        once.replace("title: Once", "title: Once more"),
    )
    .unwrap();
    let changed = check_chat(&python, &folder, "once", "Europe/London");
    assert_eq!(changed[0]["sequence"], 1);
    assert_eq!(
        changed[0]["uid"], events[0]["uid"],
        "the same event, updated"
    );
}

/// What Python reads of a whole file: the calendar's name and every event.
const READ_ALL: &str = r#"
import json, sys, icalendar
with open(sys.argv[1], "rb") as f:
    cal = icalendar.Calendar.from_ical(f.read())
print(json.dumps({
    "calname": str(cal.get("X-WR-CALNAME")),
    "calendar_keys": sorted(cal.keys()),
    "events": [
        {"uid": str(e["UID"]), "summary": str(e["SUMMARY"]),
         "start": e.decoded("DTSTART").strftime("%Y-%m-%dT%H:%M:%SZ"),
         "keys": sorted(e.keys())}
        for e in cal.walk("VEVENT")
    ],
}))
"#;

/// A title with CR, LF, CRLF and other control characters, set on a plan
/// in code (the loader refuses such a file): the calendar still has exactly
/// the chat's one event, the title stays inside its values, and every line
/// of the file ends in CRLF.
#[test]
fn a_title_with_line_breaks_adds_no_event_and_no_property() {
    let Some(python) = python() else { return };
    let yaml = "title: Safe\nhashtag: \"#inj\"\ntimezone: UTC\nstart: 2027-01-06 12:00\n\
                duration: 1h\nquestions: [One]\n";
    let mut plan = tweetchat::plan::load::load_str(Path::new("chats/inj.yaml"), yaml).unwrap();
    let evil = "Evil\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:injected\r\nSUMMARY:INJECTED\r\n\
                DTSTART:20270101T000000Z\r\nDTEND:20270101T010000Z\r\nEND:VEVENT\r\n\
                X-WR-CALNAME:Owned\nX-BARE-LF:1\rX-BARE-CR:1\u{0}\u{1b}[31m";
    plan.title = plan.texts.push(evil);
    let now: Timestamp = "2026-12-07T00:00:00Z".parse().unwrap();
    let fingerprint = tweetchat::calendar::fingerprint(&plan, None);
    let version = tweetchat::calendar::Version::next(None, &fingerprint, now);
    let ics = tweetchat::calendar::render(&plan, &version, now, Some("https://chats.example.org"));

    let bytes = ics.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        match byte {
            b'\r' => assert_eq!(bytes.get(i + 1), Some(&b'\n'), "a bare CR at {i}"),
            b'\n' => assert_eq!(bytes[i - 1], b'\r', "a bare LF at {i}"),
            0..=8 | 11..=31 | 127 => panic!("control byte {byte} at {i}"),
            _ => {}
        }
    }
    for line in ics.split("\r\n") {
        assert!(
            !line.starts_with("SUMMARY:INJECTED") && !line.starts_with("UID:injected"),
            "{line}"
        );
        assert!(!line.starts_with("X-BARE") && !line.starts_with("X-WR-CALNAME:Owned"));
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inj.ics");
    std::fs::write(&file, &ics).unwrap();
    let out = Command::new(&python)
        .args(["-c", READ_ALL])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = read["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{read:#}\n{ics}");
    let event = &events[0];
    assert_eq!(event["start"], "2027-01-06T12:00:00Z");
    assert_eq!(event["uid"], "inj-20270106T1200@tweetchat");
    // Line breaks stay line breaks inside the value; other controls are U+FFFD.
    let shown = "#inj Evil\nEND:VEVENT\nBEGIN:VEVENT\nUID:injected\nSUMMARY:INJECTED\n\
                 DTSTART:20270101T000000Z\nDTEND:20270101T010000Z\nEND:VEVENT\n\
                 X-WR-CALNAME:Owned\nX-BARE-LF:1\nX-BARE-CR:1\u{FFFD}\u{FFFD}[31m";
    assert_eq!(event["summary"], shown);
    // Python keeps an X- property as written: one value, TEXT-escaped.
    assert_eq!(read["calname"], shown.replace('\n', "\\n"));
    let calendar_keys: Vec<&str> = read["calendar_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        calendar_keys,
        [
            "CALSCALE",
            "METHOD",
            "PRODID",
            "VERSION",
            "X-PUBLISHED-TTL",
            "X-WR-CALNAME",
            "X-WR-TIMEZONE"
        ]
    );
    let event_keys: Vec<&str> = event["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(
        event_keys,
        [
            "DESCRIPTION",
            "DTEND",
            "DTSTAMP",
            "DTSTART",
            "LAST-MODIFIED",
            "SEQUENCE",
            "SUMMARY",
            "UID",
            "URL"
        ]
    );
}
