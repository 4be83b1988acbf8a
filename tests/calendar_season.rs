//! A season's calendar read by an expander from another ecosystem: Python's
//! `recurring-ical-events` (on `icalendar`) must find in the `.ics` of the
//! edchat season (tests/data/season: eight Wednesdays across the US change
//! to daylight time, topics, a guest, a skipped week, a moved week, two
//! weeks nobody prepared) exactly the held occurrences that
//! `tweetchat plan --format json` lists: the same start instants (each
//! welcome's `at`), the same summaries (`#tag Title: Topic`), one event per
//! occurrence keyed by its rule date, each linking its own page. Once with
//! the sessions in the chat file, once as session files.
//!
//! Uses the real binary. The season's dates are moved on by whole 52-week
//! steps when they are no longer ahead (the calendar lists what is to come),
//! which keeps every weekday and the DST change inside the season. The
//! Python comes from `TWEETCHAT_PYTHON`, else the venv `.ci/run` makes in
//! `~/.cache/tweetchat/pyics`; without one the test skips with a notice.

#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::path::{Path, PathBuf};
use std::process::Command;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tweetchat");
const BASE: &str = "https://chats.example.org";

fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("TWEETCHAT_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/tweetchat/pyics/bin/python"))
        })?;
    let works = Command::new(&candidate)
        .args(["-c", "import icalendar, recurring_ical_events"])
        .status()
        .is_ok_and(|s| s.success());
    if works {
        Some(candidate)
    } else {
        skip::skip(&format!(
            "no Python with `recurring-ical-events` at {} (bash tests/run installs it; or set TWEETCHAT_PYTHON)",
            candidate.display()
        ));
        None
    }
}

/// Whole 52-week steps that put the season's first Wednesday (17 Feb 2027)
/// at least two days ahead.
fn shift() -> i64 {
    let first = jiff::civil::date(2027, 2, 17);
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let behind = i64::from((today - first).get_days()) + 2;
    if behind <= 0 { 0 } else { behind / 364 + 1 }
}

/// `text` with every `YYYY-MM-DD` moved on by `steps` × 52 weeks.
fn shifted(text: &str, steps: i64) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let candidate = text.get(i..i + 10).filter(|c| {
            let b = c.as_bytes();
            b[4] == b'-'
                && b[7] == b'-'
                && b.iter()
                    .enumerate()
                    .all(|(k, c)| k == 4 || k == 7 || c.is_ascii_digit())
        });
        let before_ok = i == 0 || !bytes[i - 1].is_ascii_digit();
        match candidate.and_then(|c| c.parse::<Date>().ok()) {
            Some(date) if before_ok => {
                let moved = date.checked_add((steps * 364).days()).unwrap();
                out.push_str(&moved.to_string());
                i += 10;
            }
            _ => {
                let c = text[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

struct Folder {
    _dir: tempfile::TempDir,
    chats: PathBuf,
    state: PathBuf,
    config: PathBuf,
}

/// `tests/data/season/{form}` copied into a temporary chats folder, dates
/// shifted by `steps`.
fn folder(form: &str, steps: i64) -> Folder {
    let dir = tempfile::tempdir().unwrap();
    let (chats, state, config) = (
        dir.path().join("chats"),
        dir.path().join("state"),
        dir.path().join("config"),
    );
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("local.toml"),
        format!("[http]\npublic_url = \"{BASE}\"\n"),
    )
    .unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/season")
        .join(form);
    copy(&source, &chats, steps);
    Folder {
        _dir: dir,
        chats,
        state,
        config,
    }
}

fn copy(from: &Path, to: &Path, steps: i64) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = shifted(&entry.file_name().to_string_lossy(), steps);
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &to.join(name), steps);
        } else {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            std::fs::write(to.join(name), shifted(&text, steps)).unwrap();
        }
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

/// What `plan --format json` says of each held occurrence: its welcome.
fn planned(folder: &Folder, from: Date, until: Date) -> Vec<Value> {
    let file = folder.chats.join("edchat.yaml");
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
    posts
        .into_iter()
        .filter(|p| p["kind"] == "welcome")
        .collect()
}

fn expanded(python: &Path, folder: &Folder, from: &str, until: &str) -> Vec<Value> {
    let ics = folder.state.join("edchat.ics");
    run(
        folder,
        &[
            "calendar",
            "edchat",
            "--chats",
            folder.chats.to_str().unwrap(),
            "--state",
            folder.state.to_str().unwrap(),
            "-o",
            ics.to_str().unwrap(),
        ],
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/calendar/expand.py");
    let out = Command::new(python)
        .arg(script)
        .arg(&ics)
        .args([from, until])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check(form: &str) {
    let Some(python) = python() else { return };
    let steps = shift();
    let folder = folder(form, steps);
    let day = |y, m, d| {
        jiff::civil::date(y, m, d)
            .checked_add((steps * 364).days())
            .unwrap()
    };
    // The whole season and a week on either side.
    let (from, until) = (day(2027, 2, 10), day(2027, 4, 14));
    let chicago = TimeZone::get("America/Chicago").unwrap();
    let utc = |d: Date| d.to_zoned(chicago.clone()).unwrap().timestamp().to_string();
    let welcomes = planned(&folder, from, until);
    let events = expanded(&python, &folder, &utc(from), &utc(until));

    // The same occurrences, at the same instants, with the same summaries.
    let expected: Vec<(String, String, String)> = welcomes
        .iter()
        .map(|w| {
            let at = w["at"].as_str().unwrap().to_string();
            let summary = match w["topic"].as_str() {
                Some(topic) => format!("#edchat Education Chat: {topic}"),
                None => "#edchat Education Chat".to_string(),
            };
            let key = w["occurrence"].as_str().unwrap();
            let uid = format!(
                "edchat-{}{}{}T{}{}@tweetchat",
                &key[..4],
                &key[5..7],
                &key[8..10],
                &key[11..13],
                &key[14..16]
            );
            (at, summary, uid)
        })
        .collect();
    let got: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e["start"].as_str().unwrap().to_string(),
                e["summary"].as_str().unwrap().to_string(),
                e["uid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected, "{form}: calendar vs plan");

    // Five held of eight: the skipped week and the two unprepared ones are
    // not in the calendar; the moved one is at its new time.
    assert_eq!(events.len(), 5, "{form}: {events:#?}");
    let starts: Vec<&str> = events
        .iter()
        .map(|e| e["start"].as_str().unwrap())
        .collect();
    let instant = |y, m, d, h| {
        day(y, m, d)
            .at(h, 0, 0, 0)
            .to_zoned(chicago.clone())
            .unwrap()
            .timestamp()
            .to_string()
    };
    assert_eq!(
        starts,
        [
            instant(2027, 2, 17, 12),
            instant(2027, 2, 24, 12),
            instant(2027, 3, 11, 13),
            instant(2027, 3, 17, 12),
            instant(2027, 3, 24, 12),
        ],
        "{form}: the moved week on Thursday at 13:00, 12:00 local on both sides of the DST change"
    );
    let summaries: Vec<&str> = events
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "#edchat Education Chat: Kickoff",
            "#edchat Education Chat: Assessment that helps",
            "#edchat Education Chat: Moved to Thursday",
            "#edchat Education Chat: Feedback",
            "#edchat Education Chat: Reading",
        ]
    );
    for (event, welcome) in events.iter().zip(&welcomes) {
        let start: Timestamp = event["start"].as_str().unwrap().parse().unwrap();
        let end: Timestamp = event["end"].as_str().unwrap().parse().unwrap();
        assert_eq!(end.duration_since(start), SignedDuration::from_mins(30));
        assert_eq!(event["sequence"], 0);
        // Its own page, keyed by the rule's date (the moved week's too).
        let key = &welcome["occurrence"].as_str().unwrap()[..10];
        let page = format!("{BASE}/chats/edchat/{key}");
        assert_eq!(event["url"], page.as_str());
        let description = event["description"].as_str().unwrap();
        assert!(description.contains(&page), "{description}");
        assert!(description.contains(" min: Q1. "), "{description}");
    }
    let guest = events[1]["description"].as_str().unwrap();
    assert!(guest.contains("Hosted by @guest_teacher"), "{guest}");
    assert!(
        guest.contains("+5 min: Q1. @guest_teacher asks: what is one assessment you dropped?"),
        "{guest}"
    );
}

#[test]
fn a_season_in_the_chat_file_expands_to_what_plan_holds() {
    check("inline");
}

#[test]
fn a_season_in_session_files_expands_to_what_plan_holds() {
    check("files");
}

#[test]
fn dates_move_on_by_whole_weeks_and_nothing_else_changes() {
    let text =
        "from: 2027-02-17\nuntil: 2027-04-07\n  2027-03-10:\n    start: 2027-03-11 13:00\nat: 5m\n";
    assert_eq!(shifted(text, 0), text);
    assert_eq!(
        shifted(text, 1),
        "from: 2028-02-16\nuntil: 2028-04-05\n  2028-03-08:\n    start: 2028-03-09 13:00\nat: 5m\n"
    );
    assert_eq!(shifted("2027-03-10.yaml", 1), "2028-03-08.yaml");
}
