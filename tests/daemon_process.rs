//! `tweetchat run` as a process: a chat file dropped into the chats folder a
//! few seconds before it starts is posted on time to the console outbox; a
//! `kill -9` in the middle and a restart neither double nor lose a post;
//! SIGTERM stops it cleanly within 10 seconds.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Entry {
    key: String,
    at: Timestamp,
    posted_at: Timestamp,
}

struct Setup {
    dir: tempfile::TempDir,
    chats: PathBuf,
    state: PathBuf,
    config: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&chats).unwrap();
    Setup {
        config: dir.path().join("no-config"),
        chats,
        state,
        dir,
    }
}

fn start_daemon(setup: &Setup) -> Child {
    start_daemon_rescanning(setup, "1")
}

fn start_daemon_rescanning(setup: &Setup, rescan_interval: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .args(["--config-dir"])
        .arg(&setup.config)
        .arg("run")
        .env("TWEETCHAT__CHATS_DIR", &setup.chats)
        .env("TWEETCHAT__STATE_DIR", &setup.state)
        .env("TWEETCHAT__HTTP__LISTEN", "127.0.0.1:0")
        .env("TWEETCHAT__RESCAN_INTERVAL", rescan_interval)
        .env("TWEETCHAT__DEFAULT_ACCOUNTS", "console")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(log_file(setup))
        .spawn()
        .unwrap()
}

/// The daemons' logs, appended run after run, shown when an assertion fails.
fn log_file(setup: &Setup) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(setup.dir.path().join("daemon.log"))
        .unwrap()
}

fn logs(setup: &Setup) -> String {
    std::fs::read_to_string(setup.dir.path().join("daemon.log")).unwrap_or_default()
}

/// A one-off chat in UTC starting at `start`: the welcome, one question at
/// 2 s (the loader wants questions in distinct minutes, so a seconds-long
/// test chat has one) and the wrap-up at 4 s.
fn write_chat(dir: &Path, id: &str, start: Timestamp) {
    let start = start.strftime("%Y-%m-%d %H:%M:%S");
    let yaml = format!(
        "title: Process test\nhashtag: \"#{id}\"\ntimezone: UTC\nstart: {start}\n\
         duration: 4s\nannounce: false\nwelcome: \"Welcome to {{title}} {{hashtag}}\"\n\
         questions:\n  - at: 2s\n    text: What brings you here?\n\
         wrapup: \"That's a wrap {{hashtag}}\"\nthanks: false\n"
    );
    // Written beside and renamed in, as an editor or deploy would.
    let tmp = dir.join(format!(".{id}.tmp"));
    std::fs::write(&tmp, yaml).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{id}.yaml"))).unwrap();
}

fn outbox(setup: &Setup) -> Vec<Entry> {
    let Ok(text) = std::fs::read_to_string(setup.state.join("outbox.jsonl")) else {
        return Vec::new();
    };
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn wait_for_posts(setup: &Setup, count: usize, limit: Duration) -> Vec<Entry> {
    let deadline = Instant::now() + limit;
    loop {
        let entries = outbox(setup);
        if entries.len() >= count || Instant::now() > deadline {
            return entries;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A whole second a few seconds from now.
fn soon(seconds: i64) -> Timestamp {
    let now = Timestamp::now().as_second();
    Timestamp::from_second(now + seconds).unwrap()
}

fn terminate(child: &mut Child) -> (std::process::ExitStatus, Duration) {
    let asked = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = asked + Duration::from_secs(15);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, asked.elapsed());
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("tweetchat run did not stop within 15 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_chat_added_while_running_is_posted_on_time_and_sigterm_stops_cleanly() {
    let setup = setup();
    let mut daemon = start_daemon(&setup);
    let start = soon(4);
    write_chat(&setup.chats, "proc", start);

    let entries = wait_for_posts(&setup, 3, Duration::from_secs(20));
    let (status, took) = terminate(&mut daemon);

    let keys: Vec<_> = entries
        .iter()
        .map(|e| e.key.rsplit('/').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys,
        ["welcome", "question1", "wrapup"],
        "{entries:?}\n{}",
        logs(&setup)
    );
    let offsets: Vec<_> = entries
        .iter()
        .map(|e| e.at.duration_since(start).as_secs())
        .collect();
    assert_eq!(offsets, [0, 2, 4]);
    for entry in &entries {
        let late = entry.posted_at.duration_since(entry.at);
        assert!(
            late >= SignedDuration::ZERO && late < SignedDuration::from_secs(2),
            "{} posted {late:?} after its instant",
            entry.key
        );
    }
    assert!(status.success(), "exit status {status}\n{}", logs(&setup));
    assert!(took < Duration::from_secs(10), "took {took:?} to stop");
}

#[test]
fn kill_9_in_the_middle_and_a_restart_neither_double_nor_lose_a_post() {
    let setup = setup();
    // Three chats two seconds apart: nine posts over eight seconds, some of
    // them at the same instant.
    let start = soon(3);
    for (i, id) in ["one", "two", "three"].into_iter().enumerate() {
        write_chat(
            &setup.chats,
            id,
            start + SignedDuration::from_secs(2 * i as i64),
        );
    }
    let mut daemon = start_daemon(&setup);
    wait_for_posts(&setup, 4, Duration::from_secs(20));
    daemon.kill().unwrap();
    daemon.wait().unwrap();

    let mut daemon = start_daemon(&setup);
    let entries = wait_for_posts(&setup, 9, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(500));
    let entries_after = outbox(&setup);
    let (status, _) = terminate(&mut daemon);

    assert!(status.success(), "{}", logs(&setup));
    let mut keys: Vec<_> = entries_after.iter().map(|e| e.key.clone()).collect();
    let total = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys.len(),
        total,
        "a key was posted twice: {entries_after:?}\n{}",
        logs(&setup)
    );
    assert_eq!(
        total,
        9,
        "welcome, question and wrap-up of three chats: {entries:?}\n{}",
        logs(&setup)
    );
}

/// `GET path` on the daemon's HTTP listener, as logged at start-up.
fn http_get(setup: &Setup, path: &str) -> String {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    let addr = loop {
        let logs = logs(setup);
        let found = logs
            .lines()
            .find(|l| l.contains("serving /healthz"))
            .and_then(|l| l.split("listen=").nth(1))
            .map(|rest| {
                rest.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string()
            });
        if let Some(addr) = found {
            break addr;
        }
        assert!(
            Instant::now() < deadline,
            "no listen address in the logs:\n{logs}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).unwrap();
    body
}

#[test]
fn a_chat_broken_while_running_is_reported_and_the_others_keep_posting() {
    let setup = setup();
    let start = soon(5);
    write_chat(&setup.chats, "good", start);
    write_chat(&setup.chats, "broken", start);
    let mut daemon = start_daemon(&setup);
    std::thread::sleep(Duration::from_millis(1500));
    std::fs::write(
        setup.chats.join("broken.yaml"),
        "title: Broken\nhashtag: \"#broken\"\ntimezone: Mars/Olympus\nstart: 2026-12-02 18:00\n",
    )
    .unwrap();

    let entries = wait_for_posts(&setup, 6, Duration::from_secs(20));
    let metrics = http_get(&setup, "/metrics");
    let (status, _) = terminate(&mut daemon);

    let logs = logs(&setup);
    assert!(
        logs.contains("broken.yaml:3:11"),
        "the log names file:line:column:\n{logs}"
    );
    assert!(
        metrics.contains("tweetchat_invalid_chat_files 1"),
        "{metrics}"
    );
    let chats: Vec<_> = entries
        .iter()
        .map(|e| e.key.split('/').next().unwrap())
        .collect();
    assert_eq!(
        chats.iter().filter(|c| **c == "good").count(),
        3,
        "{entries:?}"
    );
    assert_eq!(
        chats.iter().filter(|c| **c == "broken").count(),
        3,
        "the last good version keeps running: {entries:?}"
    );
    assert!(status.success());
}

#[test]
fn sighup_rescans_the_chats_folder_at_once() {
    let setup = setup();
    let mut daemon = start_daemon_rescanning(&setup, "1h");
    http_get(&setup, "/healthz");
    let start = soon(3);
    write_chat(&setup.chats, "hup", start);
    let status = Command::new("kill")
        .args(["-HUP", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());

    let entries = wait_for_posts(&setup, 3, Duration::from_secs(15));
    let (status, _) = terminate(&mut daemon);

    assert_eq!(entries.len(), 3, "{entries:?}\n{}", logs(&setup));
    assert!(status.success());
}

/// Waits until the daemon's log holds `needle`.
fn wait_for_log(setup: &Setup, needle: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let text = logs(setup);
        if text.contains(needle) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_first_start_misses_nothing_that_predates_the_file() {
    let setup = setup();
    // Over two hours before the file was written: every grace window of
    // that occurrence had closed, so nothing of it was ever missed.
    write_chat(&setup.chats, "yesterday", soon(-3 * 3600));
    write_chat(&setup.chats, "later", soon(30));
    let mut daemon = start_daemon_rescanning(&setup, "30");
    let log = wait_for_log(&setup, "were over before", Duration::from_secs(20));
    let (status, _) = terminate(&mut daemon);
    assert!(status.success(), "{log}");
    assert!(!log.contains("skipped"), "nothing was missed:\n{log}");
    assert!(
        log.contains("post(s) of the")
            && log.contains("were over before the chat file was written"),
        "{log}"
    );
    assert_eq!(
        log.matches("were over before the chat file was written")
            .count(),
        1,
        "one line per occurrence:\n{log}"
    );
    assert!(outbox(&setup).is_empty());
}

#[test]
fn a_file_added_without_sighup_is_loaded_by_the_folder_watch() {
    let setup = setup();
    // The first rescan is over once this chat is loaded; the next periodic
    // one is an hour away, so only the watch can load the second file.
    write_chat(&setup.chats, "first", soon(3600));
    let mut daemon = start_daemon_rescanning(&setup, "1h");
    let log = wait_for_log(&setup, "first.yaml", Duration::from_secs(30));
    assert!(log.contains("chat loaded"), "{log}");
    assert!(logs(&setup).contains("watching the chats folder"));
    let start = soon(4);
    write_chat(&setup.chats, "watched", start);
    let entries = wait_for_posts(&setup, 3, Duration::from_secs(30));
    let (status, _) = terminate(&mut daemon);
    assert!(status.success(), "{}", logs(&setup));
    let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}\n{}", logs(&setup));
    assert!(keys.iter().all(|k| k.starts_with("watched/")), "{keys:?}");
    assert!(!logs(&setup).contains("SIGHUP"));
}

/// After a restart, posts an earlier run made are not "late posts": the
/// start-up line counts only what will really be posted.
#[test]
fn after_a_restart_the_start_up_line_does_not_count_posts_already_made() {
    let setup = setup();
    write_chat(&setup.chats, "made", soon(2));
    let mut daemon = start_daemon(&setup);
    let entries = wait_for_posts(&setup, 3, Duration::from_secs(20));
    assert_eq!(entries.len(), 3, "{}", logs(&setup));
    let (status, _) = terminate(&mut daemon);
    assert!(status.success(), "{}", logs(&setup));
    let first_run = logs(&setup).len();

    // All three are inside their grace windows still, but already made.
    let mut daemon = start_daemon(&setup);
    let deadline = Instant::now() + Duration::from_secs(20);
    let second_run = loop {
        let text = logs(&setup);
        let second = text.get(first_run..).unwrap_or_default().to_string();
        if second.contains("chats loaded") || Instant::now() > deadline {
            break second;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (status, _) = terminate(&mut daemon);
    assert!(status.success(), "{}", logs(&setup));
    let loaded = second_run
        .lines()
        .find(|l| l.contains("chats loaded"))
        .unwrap_or_else(|| panic!("no start-up line in the second run:\n{second_run}"));
    assert!(
        !loaded.contains("late post"),
        "nothing is left to post late: {loaded}"
    );
    assert!(loaded.contains("nothing scheduled"), "{loaded}");
    assert_eq!(outbox(&setup).len(), 3, "and nothing was posted again");
}
