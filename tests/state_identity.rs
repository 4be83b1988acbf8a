//! `tweetchat run` on state that is not the state it left: an emptied
//! `state.db`, one restored from before the last post, a damaged one. Each
//! is refused at start (exit 3, naming the file and what to do); with
//! `--accept-state-change` the daemon starts, and nothing already posted
//! goes out twice (the console outbox is the witness).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Entry {
    key: String,
}

struct Setup {
    dir: tempfile::TempDir,
    chats: PathBuf,
    state: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&chats).unwrap();
    Setup { dir, chats, state }
}

fn command(setup: &Setup, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg(setup.dir.path().join("no-config"))
        .arg("run")
        .args(extra)
        .env("TWEETCHAT__CHATS_DIR", &setup.chats)
        .env("TWEETCHAT__STATE_DIR", &setup.state)
        .env("TWEETCHAT__HTTP__LISTEN", "")
        .env("TWEETCHAT__RESCAN_INTERVAL", "1")
        .env("TWEETCHAT__DEFAULT_ACCOUNTS", "console")
        .env_remove("RUST_LOG");
    command
}

fn start(setup: &Setup, extra: &[&str]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(setup.dir.path().join("daemon.log"))
        .unwrap();
    command(setup, extra)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// A start that must stop at once: its output.
fn refused_start(setup: &Setup) -> Output {
    command(setup, &[]).output().unwrap()
}

fn logs(setup: &Setup) -> String {
    std::fs::read_to_string(setup.dir.path().join("daemon.log")).unwrap_or_default()
}

/// A one-off chat starting at `start`: welcome, a question at 2 s, the
/// wrap-up at 4 s, all inside the default grace windows for minutes after.
fn write_chat(dir: &Path, id: &str, start: Timestamp) {
    let start = start.strftime("%Y-%m-%d %H:%M:%S");
    let yaml = format!(
        "title: Identity test\nhashtag: \"#{id}\"\ntimezone: UTC\nstart: {start}\n\
         duration: 4s\nannounce: false\nwelcome: \"Welcome {{hashtag}}\"\n\
         questions:\n  - at: 2s\n    text: Why are you here?\n\
         wrapup: \"Bye {{hashtag}}\"\nthanks: false\n"
    );
    std::fs::write(dir.join(format!("{id}.yaml")), yaml).unwrap();
}

fn outbox(setup: &Setup) -> Vec<Entry> {
    let Ok(text) = std::fs::read_to_string(setup.state.join("outbox.jsonl")) else {
        return Vec::new();
    };
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn soon(seconds: i64) -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second() + seconds).unwrap()
}

/// Runs the chat until its three posts are in the outbox.
fn run_the_chat(setup: &Setup) {
    write_chat(&setup.chats, "ident", soon(3));
    let mut daemon = start(setup, &[]);
    wait_for("three posts", Duration::from_secs(20), || {
        outbox(setup).len() >= 3
    });
    terminate(&mut daemon);
}

/// Starts with the flag and waits until `lookups` posts the database does
/// not know as posted were looked up and found; nothing posted twice.
fn accept_and_check_nothing_is_posted_twice(setup: &Setup, lookups: usize) {
    let mut daemon = start(setup, &["--accept-state-change"]);
    wait_for(
        "the three posts to be looked up",
        Duration::from_secs(20),
        || {
            logs(setup)
                .matches("found on the platform, posted by an earlier run or another replica")
                .count()
                >= lookups
        },
    );
    // A rescan or two later, still nothing new.
    std::thread::sleep(Duration::from_millis(1500));
    terminate(&mut daemon);
    let keys: Vec<String> = outbox(setup).into_iter().map(|e| e.key).collect();
    assert_eq!(keys.len(), 3, "posted again: {keys:?}\n{}", logs(setup));
    let log = logs(setup);
    assert!(
        log.contains("--accept-state-change") && log.contains("looked up on its platform"),
        "{log}"
    );
}

fn assert_refused(out: &Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    for needle in [what, "state.db", "identity", "--accept-state-change"] {
        assert!(stderr.contains(needle), "no `{needle}` in: {stderr}");
    }
    stderr
}

#[test]
fn an_emptied_state_db_is_refused_and_with_the_flag_nothing_is_posted_twice() {
    let setup = setup();
    run_the_chat(&setup);
    // `: > state/state.db`
    std::fs::File::create(setup.state.join("state.db")).unwrap();
    let out = refused_start(&setup);
    assert_refused(&out, "has no identity");
    assert_eq!(outbox(&setup).len(), 3);
    accept_and_check_nothing_is_posted_twice(&setup, 3);
}

#[test]
fn a_state_db_restored_from_before_the_last_post_is_refused() {
    let setup = setup();
    write_chat(&setup.chats, "ident", soon(3));
    let mut daemon = start(&setup, &[]);
    wait_for("the welcome", Duration::from_secs(20), || {
        !outbox(&setup).is_empty()
    });
    // A consistent copy taken while the daemon runs, as a backup would.
    let copy = setup.dir.path().join("backup.db");
    let conn = rusqlite::Connection::open(setup.state.join("state.db")).unwrap();
    conn.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    drop(conn);
    wait_for("three posts", Duration::from_secs(20), || {
        outbox(&setup).len() >= 3
    });
    terminate(&mut daemon);

    for name in ["state.db-wal", "state.db-shm"] {
        let _ = std::fs::remove_file(setup.state.join(name));
    }
    std::fs::copy(&copy, setup.state.join("state.db")).unwrap();
    let out = refused_start(&setup);
    assert_refused(&out, "rolled back");
    // The copy may know the welcome as posted already; the other two it
    // does not, and they are looked up.
    accept_and_check_nothing_is_posted_twice(&setup, 2);
}

#[test]
fn a_damaged_state_db_is_refused_by_name() {
    let setup = setup();
    {
        // A database of a few pages, as after some weeks of posts.
        let mut store = tweetchat::store::Store::open(&setup.state).unwrap();
        for i in 0..200 {
            store
                .kv_set(&format!("thanks/{i}"), &"x".repeat(200))
                .unwrap();
        }
    }
    // 8 KiB of noise at offset 8192.
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(setup.state.join("state.db"))
        .unwrap();
    assert!(file.metadata().unwrap().len() > 16384);
    file.seek(SeekFrom::Start(8192)).unwrap();
    let noise: Vec<u8> = (0..8192).map(|_| fastrand::u8(..)).collect();
    file.write_all(&noise).unwrap();
    drop(file);
    let out = refused_start(&setup);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&setup.state.join("state.db").display().to_string()),
        "{stderr}"
    );
    assert!(
        stderr.contains("damaged") || stderr.contains("malformed"),
        "{stderr}"
    );
}
