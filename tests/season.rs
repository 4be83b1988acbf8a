//! A season of a weekly chat, end to end: eight Wednesdays across the US
//! change to daylight time (14 March 2027) with topics, a guest host, a
//! skipped week, a moved week and two weeks nobody prepared, written once
//! with the sessions in the chat file and once as session files
//! (`tests/data/season/`). `tweetchat plan` lists exactly the expected
//! posts, and the daemon in paused time posts exactly those; an edit after
//! the first posts re-posts nothing; `check` warns about the sessions that
//! are not ready and refuses what cannot work.

mod daemon_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use daemon_support::{Fake, settings, ts};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, Chats, Daemon};
use tweetchat::platform::Platform;
use tweetchat::store::{SharedStore, Store};
use tweetchat::text::PlatformKind;

fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/season")
        .join(path)
}

/// `tweetchat` on the built-in settings, blind to the caller's environment.
fn tweetchat(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg("/nonexistent-tweetchat-config");
    command.env_remove("TWEETCHAT_CONFIG_DIR");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command.args(args).output().expect("the binary runs")
}

fn plan_json(chat: &Path) -> Vec<Value> {
    let chat = chat.display().to_string();
    let output = tweetchat(&[
        "plan",
        &chat,
        "--format",
        "json",
        "--from",
        "2027-02-15",
        "--until",
        "2027-04-10",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("a JSON array")
}

/// Every post of the season: instant, label, `{number}`, occurrence key.
const EXPECTED: [(&str, &str, u64, &str); 17] = [
    ("2027-02-16T18:00:00Z", "announce1", 12, "2027-02-17T12:00"),
    ("2027-02-17T18:00:00Z", "welcome", 12, "2027-02-17T12:00"),
    ("2027-02-17T18:05:00Z", "question1", 12, "2027-02-17T12:00"),
    ("2027-02-17T18:20:00Z", "question2", 12, "2027-02-17T12:00"),
    ("2027-02-23T18:00:00Z", "announce1", 13, "2027-02-24T12:00"),
    ("2027-02-24T18:00:00Z", "welcome", 13, "2027-02-24T12:00"),
    ("2027-02-24T18:05:00Z", "question1", 13, "2027-02-24T12:00"),
    ("2027-02-24T18:20:00Z", "question2", 13, "2027-02-24T12:00"),
    // 3 March: skipped (spring break), nothing at all, not even the
    // announcement. 10 March moved to Thursday 11 March 13:00: its posts
    // move along and keep the key of the 10th.
    ("2027-03-10T19:00:00Z", "announce1", 14, "2027-03-10T12:00"),
    ("2027-03-11T19:00:00Z", "welcome", 14, "2027-03-10T12:00"),
    ("2027-03-11T19:15:00Z", "question1", 14, "2027-03-10T12:00"),
    // Daylight time from 14 March: noon is 17:00Z.
    ("2027-03-16T17:00:00Z", "announce1", 15, "2027-03-17T12:00"),
    ("2027-03-17T17:00:00Z", "welcome", 15, "2027-03-17T12:00"),
    ("2027-03-17T17:10:00Z", "question1", 15, "2027-03-17T12:00"),
    ("2027-03-23T17:00:00Z", "announce1", 16, "2027-03-24T12:00"),
    ("2027-03-24T17:00:00Z", "welcome", 16, "2027-03-24T12:00"),
    ("2027-03-24T17:10:00Z", "question1", 16, "2027-03-24T12:00"),
    // 31 March and 7 April: no questions yet, so not held.
];

fn label(post: &Value) -> String {
    let kind = post["kind"].as_str().unwrap();
    match post["seq"].as_u64() {
        Some(n) => format!("{kind}{n}"),
        None => kind.to_string(),
    }
}

#[test]
fn plan_lists_the_season_the_same_from_the_file_and_from_session_files() {
    let inline = plan_json(&data("inline/edchat.yaml"));
    let files = plan_json(&data("files/edchat.yaml"));
    assert_eq!(inline, files, "the two forms plan the same posts");
    let found: Vec<(String, String, u64, String)> = inline
        .iter()
        .map(|p| {
            (
                p["at"].as_str().unwrap().to_string(),
                label(p),
                p["number"].as_u64().unwrap(),
                p["occurrence"].as_str().unwrap()[..16].to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, u64, String)> = EXPECTED
        .iter()
        .map(|(a, l, n, o)| (a.to_string(), l.to_string(), *n, o.to_string()))
        .collect();
    assert_eq!(found, expected);
    let text = |i: usize| inline[i]["text"].as_str().unwrap();
    assert_eq!(
        text(4),
        "Tomorrow, session 13: Assessment that helps at 12:00 CST Wed 24 Feb #edchat"
    );
    assert_eq!(
        text(6),
        "Q1. @guest_teacher asks: what is one assessment you dropped? #edchat"
    );
    assert_eq!(
        inline[6]["versions"]["x"],
        "Q1. @guest_teacher: which assessment did you drop? #edchat"
    );
    assert_eq!(
        text(8),
        "Tomorrow, session 14: Moved to Thursday at 13:00 CST Thu 11 Mar #edchat"
    );
    assert_eq!(inline[11]["topic"], "Feedback");
    assert_eq!(
        text(12),
        "Welcome to session 15 of Education Chat: Feedback! Answer with A1, A2 … #edchat"
    );
}

#[test]
fn plan_says_which_sessions_are_not_held_and_why() {
    let chat = data("inline/edchat.yaml").display().to_string();
    let output = tweetchat(&[
        "plan",
        &chat,
        "--from",
        "2027-02-15",
        "--until",
        "2027-04-10",
    ]);
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in [
        "not held in this window:",
        "  edchat Wed 3 Mar 12:00 CST: skipped: Spring break",
        "  edchat Wed 31 Mar 12:00 CDT: not held: no questions yet",
        "  edchat Wed 7 Apr 12:00 CDT: not held: no questions yet",
        "    on x:",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from\n{stdout}");
    }
}

/// A chats folder holding a copy of the season (`form`: `inline` or
/// `files`) posting to `accounts`.
fn season_folder(dir: &Path, form: &str, accounts: &str) -> PathBuf {
    let chats = dir.join("chats");
    std::fs::create_dir_all(chats.join("edchat")).unwrap();
    let text = std::fs::read_to_string(data(&format!("{form}/edchat.yaml"))).unwrap();
    std::fs::write(
        chats.join("edchat.yaml"),
        text.replace("accounts: [console]", &format!("accounts: [{accounts}]")),
    )
    .unwrap();
    if form == "files" {
        for entry in std::fs::read_dir(data("files/edchat")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), chats.join("edchat").join(entry.file_name())).unwrap();
        }
    }
    chats
}

/// (key, instant as RFC 3339) of every post the fake received, in order.
fn posted(fake: &Fake) -> Vec<(String, String)> {
    fake.posts()
        .into_iter()
        .map(|(key, at)| (key, at.to_string()))
        .collect()
}

fn folder_daemon(
    dir: &Path,
    clock: Clock,
    accounts: Vec<(&str, Arc<Fake>)>,
) -> (Daemon, tokio::task::JoinHandle<()>) {
    let (shared, writer) = SharedStore::spawn(Store::open(&dir.join("state")).unwrap());
    let mut platforms: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    for (name, fake) in accounts {
        platforms.insert(name.into(), fake);
    }
    let mut settings = settings(dir);
    settings.rescan_interval = Duration::from_secs(24 * 3600);
    let chats = Chats::folder(&dir.join("chats"));
    (
        Daemon::new(&settings, clock, shared, platforms, chats),
        writer,
    )
}

#[tokio::test(start_paused = true)]
async fn the_daemon_posts_exactly_the_planned_season() {
    for form in ["inline", "files"] {
        let dir = tempfile::tempdir().unwrap();
        season_folder(dir.path(), form, "fake");
        let clock = Clock::starting_at(ts("2027-02-15T00:00:00Z"));
        let fake = Fake::new(clock.clone());
        let (daemon, writer) =
            folder_daemon(dir.path(), clock.clone(), vec![("fake", fake.clone())]);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(daemon::run(daemon, cancel.clone()));
        clock.sleep_until(ts("2027-04-10T00:00:00Z")).await;
        cancel.cancel();
        task.await.unwrap().unwrap();
        writer.await.unwrap();

        let posted: Vec<(String, String)> = fake
            .posts()
            .into_iter()
            .map(|(key, at)| (key, at.to_string()))
            .collect();
        let expected: Vec<(String, String)> = EXPECTED
            .iter()
            .map(|(at, label, _, key)| (format!("edchat/{key}/{label}/fake"), at.to_string()))
            .collect();
        assert_eq!(posted, expected, "{form}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_move_and_an_edit_after_the_first_posts_repost_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let chats = season_folder(dir.path(), "inline", "fake");
    let clock = Clock::starting_at(ts("2027-02-23T17:00:00Z"));
    let fake = Fake::new(clock.clone());
    let (daemon, writer) = folder_daemon(dir.path(), clock.clone(), vec![("fake", fake.clone())]);
    let reload = daemon.reload.clone();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));

    // The announcement, the welcome and Q1 are out; then the organizer
    // moves the session an hour later and rewrites Q2.
    clock.sleep_until(ts("2027-02-24T18:06:00Z")).await;
    let file = chats.join("edchat.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text
        .replace(
            "    topic: Assessment that helps\n",
            "    topic: Assessment that helps\n    start: 2027-02-24 13:00\n",
        )
        .replace(
            "text: What replaced it?",
            "text: What replaced it, in the end?",
        );
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    reload.notify_one();
    clock.sleep_until(ts("2027-02-24T21:00:00Z")).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    let posted = posted(&fake);
    let key = |label: &str| format!("edchat/2027-02-24T12:00/{label}/fake");
    assert_eq!(
        posted,
        [
            (key("announce1"), "2027-02-23T18:00:00Z".to_string()),
            (key("welcome"), "2027-02-24T18:00:00Z".to_string()),
            (key("question1"), "2027-02-24T18:05:00Z".to_string()),
            // The move put Q2 at 13:20 CST; nothing before it went out again.
            (key("question2"), "2027-02-24T19:20:00Z".to_string()),
        ]
    );
    let texts = fake.texts();
    assert_eq!(
        texts.last().unwrap().1,
        "Q2. What replaced it, in the end? #edchat"
    );
}

#[tokio::test(start_paused = true)]
async fn an_x_version_goes_to_x_and_the_text_to_mastodon() {
    let dir = tempfile::tempdir().unwrap();
    season_folder(dir.path(), "files", "on_x, on_mastodon");
    let clock = Clock::starting_at(ts("2027-02-24T17:00:00Z"));
    let x = Fake::on(PlatformKind::X, clock.clone());
    let mastodon = Fake::on(PlatformKind::Mastodon, clock.clone());
    let (daemon, writer) = folder_daemon(
        dir.path(),
        clock.clone(),
        vec![("on_x", x.clone()), ("on_mastodon", mastodon.clone())],
    );
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));
    clock.sleep_until(ts("2027-02-24T18:30:00Z")).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    let text = |fake: &Fake, label: &str| {
        fake.texts()
            .into_iter()
            .find(|(key, _)| key.contains(&format!("/{label}/")))
            .map(|(_, text)| text)
            .unwrap_or_else(|| panic!("no {label}"))
    };
    assert_eq!(
        text(&x, "welcome"),
        "Session 13: Assessment that helps. Welcome! #edchat"
    );
    assert_eq!(
        text(&mastodon, "welcome"),
        "Welcome to session 13 of Education Chat: Assessment that helps! Answer with A1, A2 … #edchat"
    );
    assert_eq!(
        text(&x, "question1"),
        "Q1. @guest_teacher: which assessment did you drop? #edchat"
    );
    assert_eq!(
        text(&mastodon, "question1"),
        "Q1. @guest_teacher asks: what is one assessment you dropped? #edchat"
    );
    // A text without an X version is the same everywhere.
    assert_eq!(text(&x, "question2"), text(&mastodon, "question2"));
}

/// A daily chat from today (UTC) with sessions for tomorrow and the day
/// after, the third day skipped and the rest of the fortnight unprepared.
fn daily_season(dir: &Path) -> PathBuf {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();
    let chats = dir.join("chats");
    std::fs::create_dir_all(chats.join("daily")).unwrap();
    std::fs::write(
        chats.join("daily.yaml"),
        format!(
            "title: Daily\nhashtag: \"#daily\"\ntimezone: UTC\nrepeat: \"0 12 * * *\"\n\
             from: {}\nwelcome: \"Today: {{topic}}\"\nsessions:\n  {}:\n    topic: First\n    questions: [Why?]\n",
            day(1),
            day(1)
        ),
    )
    .unwrap();
    // A session file without a topic, though the welcome uses {topic}.
    std::fs::write(
        chats.join("daily").join(format!("{}.yaml", day(2))),
        "questions: [How?]\n",
    )
    .unwrap();
    std::fs::write(
        chats.join("daily").join(format!("{}.yaml", day(3))),
        "skip: Holiday\n",
    )
    .unwrap();
    chats
}

#[test]
fn check_warns_about_sessions_not_ready_in_the_next_two_weeks() {
    let dir = tempfile::tempdir().unwrap();
    let chats = daily_season(dir.path());
    let output = tweetchat(&["check", &chats.display().to_string()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "warnings only: {stderr}");
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();
    // Day 4 on has no questions: not held, said with its first post.
    let unprepared = format!("warning: session {} (", day(4));
    let line = stderr
        .lines()
        .find(|l| l.contains(&unprepared))
        .unwrap_or_else(|| panic!("no warning for day 4 in\n{stderr}"));
    assert!(
        line.contains(
            "has no questions yet, so it will not be held; its first post, announce1, would go out "
        ),
        "{line}"
    );
    assert!(
        stderr.contains(&format!("daily/{}.yaml with `questions:`", day(4))),
        "{stderr}"
    );
    // Days 4 to 13 always; day 14 too once it is past noon UTC today.
    let warned = stderr.matches("has no questions yet").count();
    assert!((10..=11).contains(&warned), "{warned}: {stderr}");
    // The session file without a topic, whose welcome says {topic}.
    assert!(
        stderr.contains(&format!("warning: session {} (", day(2)))
            && stderr
                .contains("gives no `topic`, but its texts use {topic}: it would be posted empty"),
        "{stderr}"
    );
    // The skipped day is neither held nor warned about.
    assert!(
        !stderr.contains(&format!("session {} (", day(3))),
        "{stderr}"
    );
}

#[test]
fn a_session_on_a_day_the_rule_does_not_give_is_refused_with_its_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let chats = season_folder(dir.path(), "files", "console");
    std::fs::rename(
        chats.join("edchat/2027-02-24.yaml"),
        chats.join("edchat/2027-02-25.yaml"),
    )
    .unwrap();
    let output = tweetchat(&["check", &chats.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("edchat/2027-02-25.yaml:1:1: Thu 25 Feb 2027 is not a session of this chat: the nearest are Wed 24 Feb 2027 12:00 and Wed 3 Mar 2027 12:00"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rename the file to `2027-03-03.yaml`"),
        "{stderr}"
    );
    // Checking the session file itself checks its chat.
    let output = tweetchat(&[
        "check",
        &chats.join("edchat/2027-02-17.yaml").display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("2027-02-25.yaml"));
}

#[test]
fn a_file_name_that_cannot_be_an_address_is_refused_with_a_clean_one() {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    std::fs::write(
        chats.join("my edu chat.yaml"),
        "title: T\nhashtag: \"#t\"\ntimezone: UTC\nstart: 2027-02-17 12:00\nquestions: [Q?]\n",
    )
    .unwrap();
    let output = tweetchat(&["check", &chats.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "the file name `my edu chat` holds a space that cannot stand in a web address"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("rename the file to `my-edu-chat.yaml`"),
        "{stderr}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_session_file_added_while_the_daemon_runs_prepares_its_week() {
    let dir = tempfile::tempdir().unwrap();
    let chats = season_folder(dir.path(), "files", "fake");
    let clock = Clock::starting_at(ts("2027-03-29T12:00:00Z"));
    let fake = Fake::new(clock.clone());
    let (daemon, writer) = folder_daemon(dir.path(), clock.clone(), vec![("fake", fake.clone())]);
    let reload = daemon.reload.clone();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));

    // 31 March has no questions yet: its announcement (30 March 17:00Z)
    // does not go out. Its guest adds the file on the 30th, later than the
    // announcement's grace window (2h).
    clock.sleep_until(ts("2027-03-30T19:30:00Z")).await;
    assert!(fake.posts().is_empty(), "{:?}", fake.posts());
    std::fs::write(
        chats.join("edchat").join("2027-03-31.yaml"),
        "topic: Late but ready\nquestions:\n  - at: 10m\n    text: Ready?\n",
    )
    .unwrap();
    reload.notify_one();
    clock.sleep_until(ts("2027-03-31T18:00:00Z")).await;
    // Removing a file un-prepares its week: 7 April stays silent.
    std::fs::remove_file(chats.join("edchat").join("2027-03-31.yaml")).unwrap();
    reload.notify_one();
    clock.sleep_until(ts("2027-04-08T00:00:00Z")).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    let posted = posted(&fake);
    let key = |label: &str| format!("edchat/2027-03-31T12:00/{label}/fake");
    // The day-ahead announcement was due long before the file came: it is
    // past its grace window and is not posted late.
    assert_eq!(
        posted,
        [
            (key("welcome"), "2027-03-31T17:00:00Z".to_string()),
            (key("question1"), "2027-03-31T17:10:00Z".to_string()),
        ]
    );
}
