//! `tweetchat run` as a process beside other processes on its state
//! folder: a second daemon, two first starts at once, another connection
//! holding the database's write lock across a slot's instant (with
//! `tweetchat status` reading meanwhile), a torn outbox line, a state
//! folder months old (pruned by the running daemon to the retention).
//! Real SQLite, real processes; each post goes out exactly once within
//! grace, and nothing is left as `intent`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tweetchat::store::{PostState, Store};

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

fn tweetchat(setup: &Setup, args: &[&str], log: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg(setup.dir.path().join("no-config"))
        .args(args)
        .env("TWEETCHAT__CHATS_DIR", &setup.chats)
        .env("TWEETCHAT__STATE_DIR", &setup.state)
        .env("TWEETCHAT__HTTP__LISTEN", "")
        .env("TWEETCHAT__RESCAN_INTERVAL", "1")
        .env("TWEETCHAT__DEFAULT_ACCOUNTS", "console")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(setup.dir.path().join(log))
                .unwrap(),
        );
    command
}

fn start_daemon(setup: &Setup, log: &str) -> Child {
    tweetchat(setup, &["run"], log).spawn().unwrap()
}

fn log(setup: &Setup, name: &str) -> String {
    std::fs::read_to_string(setup.dir.path().join(name)).unwrap_or_default()
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// Waits until `path` exists and `ready` holds for it, at most `limit`.
fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn running(setup: &Setup, log_name: &str) -> bool {
    wait_for(Duration::from_secs(20), || {
        log(setup, log_name).contains("tweetchat is running")
    })
}

/// A one-off chat starting at `start`: welcome, one question at 2 s, the
/// wrap-up at 4 s.
fn write_chat(dir: &Path, id: &str, start: Timestamp) {
    let start = start.strftime("%Y-%m-%d %H:%M:%S");
    let yaml = format!(
        "title: Neighbours\nhashtag: \"#{id}\"\ntimezone: UTC\nstart: {start}\n\
         duration: 4s\nannounce: false\nwelcome: \"Welcome to {{title}} {{hashtag}}\"\n\
         questions:\n  - at: 2s\n    text: Who else is here?\n\
         wrapup: \"That's a wrap {{hashtag}}\"\nthanks: false\n"
    );
    let tmp = dir.join(format!(".{id}.tmp"));
    std::fs::write(&tmp, yaml).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{id}.yaml"))).unwrap();
}

fn soon(seconds: i64) -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second() + seconds).unwrap()
}

/// Keys of the outbox's lines; every line must be whole JSON.
fn outbox_keys(setup: &Setup) -> Vec<String> {
    let text = std::fs::read_to_string(setup.state.join("outbox.jsonl")).unwrap_or_default();
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("a broken outbox line {line:?}: {e}"));
            value["key"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Every row of `chat` in the store, none left as `intent`.
fn settled_rows(setup: &Setup, chat: &str) -> Vec<(String, PostState)> {
    let store = Store::open(&setup.state).unwrap();
    let rows: Vec<_> = store
        .recent(1000)
        .unwrap()
        .into_iter()
        .filter(|r| r.chat == chat)
        .map(|r| (r.key, r.state))
        .collect();
    assert!(
        rows.iter().all(|(_, s)| *s != PostState::Intent),
        "left in doubt: {rows:?}"
    );
    rows
}

#[test]
fn a_second_daemon_on_the_same_state_folder_exits_at_once_naming_the_first() {
    let setup = setup();
    let mut first = start_daemon(&setup, "first.log");
    assert!(running(&setup, "first.log"), "{}", log(&setup, "first.log"));
    let started = Instant::now();
    let second = tweetchat(&setup, &["run"], "second.log")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let took = started.elapsed();
    stop(&mut first);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second daemon ran: {err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(
        err.contains(&format!("another tweetchat daemon (PID {})", first.id())),
        "{err}"
    );
    assert!(err.contains(&setup.state.display().to_string()), "{err}");
}

#[test]
fn two_first_starts_at_once_leave_one_daemon_and_no_migration_error() {
    for round in 0..3 {
        let setup = setup();
        let mut a = tweetchat(&setup, &["run"], "a.log").spawn().unwrap();
        let mut b = tweetchat(&setup, &["run"], "b.log").spawn().unwrap();
        // One of them keeps running; the other stops at once with the lock
        // message (never a half-made database).
        let one_exited = wait_for(Duration::from_secs(20), || {
            matches!(a.try_wait(), Ok(Some(_))) || matches!(b.try_wait(), Ok(Some(_)))
        });
        std::thread::sleep(Duration::from_millis(300));
        let (a_done, b_done) = (a.try_wait().unwrap(), b.try_wait().unwrap());
        stop(&mut a);
        stop(&mut b);
        let logs = format!("{}\n{}", log(&setup, "a.log"), log(&setup, "b.log"));
        assert!(one_exited, "round {round}: neither stopped\n{logs}");
        assert!(
            a_done.is_none() != b_done.is_none(),
            "round {round}: exactly one keeps running\n{logs}"
        );
        assert!(logs.contains("another tweetchat daemon"), "{logs}");
        assert!(!logs.contains("already exists"), "{logs}");
        // `status` reads what the survivor made, without migrating.
        let status = tweetchat(&setup, &["status"], "status.log")
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", log(&setup, "status.log"));
    }
}

#[test]
fn another_connection_holding_begin_immediate_across_a_slots_instant_delays_but_never_drops_it() {
    let setup = setup();
    let mut daemon = start_daemon(&setup, "daemon.log");
    assert!(
        running(&setup, "daemon.log"),
        "{}",
        log(&setup, "daemon.log")
    );
    let start = soon(3);
    write_chat(&setup.chats, "busy", start);
    // Another writer (an `auth x`, a script) takes the write lock just
    // before the welcome's instant and keeps it longer than SQLite's busy
    // timeout: the claims of the welcome and question fail at first.
    let db = setup.state.join("state.db");
    let holder = rusqlite::Connection::open(&db).unwrap();
    while Timestamp::now() < start - jiff::SignedDuration::from_millis(500) {
        std::thread::sleep(Duration::from_millis(20));
    }
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Meanwhile `status` still reads.
    let status = tweetchat(&setup, &["status"], "status.log")
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", log(&setup, "status.log"));
    std::thread::sleep(Duration::from_secs(7));
    holder.execute_batch("COMMIT").unwrap();
    drop(holder);
    let all = wait_for(Duration::from_secs(30), || outbox_keys(&setup).len() >= 3);
    std::thread::sleep(Duration::from_millis(500));
    stop(&mut daemon);
    let logs = log(&setup, "daemon.log");
    assert!(all, "{logs}");
    let keys = outbox_keys(&setup);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(unique.len(), 3, "doubled: {keys:?}");
    assert!(logs.contains("cannot record the intent to post"), "{logs}");
    let rows = settled_rows(&setup, "busy");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter().all(|(_, s)| *s == PostState::Posted),
        "{rows:?}"
    );
}

#[test]
fn a_torn_outbox_line_is_cut_before_the_next_post() {
    let setup = setup();
    std::fs::create_dir_all(&setup.state).unwrap();
    // A whole line, then half of one (a write cut short).
    let whole = r#"{"key":"old/2026-11-25T12:00/welcome/console","at":"2026-11-25T12:00:00Z","posted_at":"2026-11-25T12:00:00Z","text":"hi","reply_to":null}"#;
    std::fs::write(
        setup.state.join("outbox.jsonl"),
        format!("{whole}\n{{\"key\":\"torn/2026-11-25T12:05"),
    )
    .unwrap();
    let mut daemon = start_daemon(&setup, "daemon.log");
    assert!(
        running(&setup, "daemon.log"),
        "{}",
        log(&setup, "daemon.log")
    );
    write_chat(&setup.chats, "mend", soon(2));
    let all = wait_for(Duration::from_secs(20), || {
        std::fs::read_to_string(setup.state.join("outbox.jsonl"))
            .unwrap_or_default()
            .lines()
            .count()
            >= 4
    });
    std::thread::sleep(Duration::from_millis(300));
    stop(&mut daemon);
    assert!(all, "{}", log(&setup, "daemon.log"));
    let keys = outbox_keys(&setup);
    assert_eq!(keys.len(), 4, "{keys:?}");
    assert!(keys[0].starts_with("old/"), "{keys:?}");
    assert!(keys[1..].iter().all(|k| k.starts_with("mend/")), "{keys:?}");
    // The torn half-line is gone: had the next post been glued onto it,
    // its line would not parse above.
    assert_eq!(settled_rows(&setup, "mend").len(), 3);
}

/// A state folder with months of history: finished posts, a decided
/// thank-you and outbox lines from 100 days ago, the same from 80 days
/// ago, an intent left in doubt 100 days ago, stored tokens and a
/// transcript. The running daemon (default `retention`, 90 days) prunes
/// what is older than 90 days, rewrites the outbox without those lines,
/// and keeps the rest: the 80-day-old rows and lines, the tokens, the
/// transcripts, and the old intent (settled as failed with the reason
/// first, never deleted while in doubt).
#[test]
fn a_running_daemon_prunes_state_older_than_the_retention_and_keeps_transcripts() {
    let setup = setup();
    let days_ago = |days: i64| Timestamp::now() - jiff::SignedDuration::from_hours(24 * days);
    let intent = |key: &str, due: Timestamp| tweetchat::store::Intent {
        key: key.into(),
        chat: "old".into(),
        occurrence: due.strftime("%Y-%m-%dT%H:%M").to_string(),
        kind: "question".into(),
        n: Some(1),
        account: "console".into(),
        due,
        missed: None,
    };
    let posted = |id: &str| {
        tweetchat::store::Outcome::Posted(tweetchat::platform::RemotePost {
            id: id.into(),
            cid: None,
            url: None,
        })
    };
    {
        let mut store = Store::open(&setup.state).unwrap();
        let (old, kept, doubt) = (
            "old/q/100d/console",
            "old/q/80d/console",
            "old/q/doubt/console",
        );
        store
            .claim(&[
                intent(old, days_ago(100)),
                intent(kept, days_ago(80)),
                intent(doubt, days_ago(100)),
            ])
            .unwrap();
        store.record(old, &posted("1")).unwrap();
        store.record(kept, &posted("2")).unwrap();
        store.kv_set("thanks/old/100d/console", "{}").unwrap();
        store.kv_set("thanks/old/80d/console", "{}").unwrap();
        store.kv_set("oauth2/main_x", "{}").unwrap();
    }
    // Back-date the rows as if written then (the store stamps them now).
    let db = rusqlite::Connection::open(setup.state.join("state.db")).unwrap();
    for (table, key, days) in [
        ("posts", "old/q/100d/console", 100),
        ("posts", "old/q/doubt/console", 100),
        ("posts", "old/q/80d/console", 80),
        ("kv", "thanks/old/100d/console", 100),
        ("kv", "thanks/old/80d/console", 80),
        ("kv", "oauth2/main_x", 100),
    ] {
        let changed = db
            .execute(
                &format!("UPDATE {table} SET updated_at = ?1 WHERE key = ?2"),
                rusqlite::params![days_ago(days).as_millisecond(), key],
            )
            .unwrap();
        assert_eq!(changed, 1, "{table} {key}");
    }
    drop(db);
    let line = |key: &str, days: i64| {
        let at = days_ago(days);
        format!(
            "{{\"key\":\"{key}\",\"at\":\"{at}\",\"posted_at\":\"{at}\",\"text\":\"hi\",\"reply_to\":null}}\n"
        )
    };
    std::fs::write(
        setup.state.join("outbox.jsonl"),
        format!(
            "{}{}",
            line("old/q/100d/console", 100),
            line("old/q/80d/console", 80)
        ),
    )
    .unwrap();
    let transcripts = setup.state.join("transcripts/old");
    std::fs::create_dir_all(&transcripts).unwrap();
    let day = days_ago(100).strftime("%Y-%m-%d").to_string();
    for ext in ["json", "md", "html", "posts.json"] {
        std::fs::write(transcripts.join(format!("{day}.{ext}")), "kept").unwrap();
    }

    let mut daemon = start_daemon(&setup, "daemon.log");
    let pruned = wait_for(Duration::from_secs(20), || {
        let logs = log(&setup, "daemon.log");
        logs.contains("pruned state older than") && logs.contains("pruned outbox lines")
    });
    stop(&mut daemon);
    let logs = log(&setup, "daemon.log");
    assert!(pruned, "{logs}");

    let store = Store::open(&setup.state).unwrap();
    assert_eq!(store.lookup("old/q/100d/console").unwrap(), None, "{logs}");
    assert_eq!(
        store.lookup("old/q/80d/console").unwrap().unwrap().state,
        PostState::Posted
    );
    let doubt = store.lookup("old/q/doubt/console").unwrap().unwrap();
    assert_eq!(doubt.state, PostState::Failed, "{doubt:?}");
    assert!(
        doubt
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("left in doubt"),
        "{doubt:?}"
    );
    assert_eq!(store.kv_get("thanks/old/100d/console").unwrap(), None);
    assert!(store.kv_get("thanks/old/80d/console").unwrap().is_some());
    assert!(
        store.kv_get("oauth2/main_x").unwrap().is_some(),
        "tokens are kept"
    );
    assert_eq!(outbox_keys(&setup), ["old/q/80d/console"]);
    for ext in ["json", "md", "html", "posts.json"] {
        assert!(
            transcripts.join(format!("{day}.{ext}")).exists(),
            "{day}.{ext} is gone"
        );
    }
}
