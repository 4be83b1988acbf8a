//! Another connection holds `BEGIN IMMEDIATE` on the daemon's `state.db`
//! across a slot's instant, longer than SQLite's busy timeout, in one
//! process on a one-worker runtime: the scheduler keeps running around the
//! busy database. `/healthz` answers 200 all through the hold (the loop
//! keeps beating while it waits for its claim, off the async runtime), the
//! held slots go out exactly once after the release, inside their grace
//! window, and a second daemon on another state folder in the same runtime
//! posts its own slot while the first one's database is still locked (a
//! blocking SQLite call on the worker thread would hold it up). Real
//! SQLite, real HTTP on 127.0.0.1, the real wall clock.

mod daemon_support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use daemon_support::*;
use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon;
use tweetchat::http::{self, Health, HttpState, Metrics};
use tweetchat::schedule::SlotKind;
use tweetchat::store::{PostState, Store};

/// `GET /healthz` on a plain socket from a thread of its own (not the
/// runtime under test); the status code, or `None` when it did not answer.
fn healthz(addr: std::net::SocketAddr) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.split_whitespace().nth(1)?.parse().ok()
}

fn whole_second_in(seconds: i64) -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second() + seconds).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_held_write_lock_across_a_slots_instant_stops_neither_healthz_nor_another_state() {
    let held_dir = tempfile::tempdir().unwrap();
    let free_dir = tempfile::tempdir().unwrap();
    let clock = Clock::system(Duration::from_secs(1));
    let start = whole_second_in(3);
    let s = SignedDuration::from_secs;

    // The busy state: a welcome at the start and a question a second later.
    let held_fake = Fake::new(clock.clone());
    let held_slots = vec![
        slot("held", start, SlotKind::Welcome, None, s(0)),
        slot("held", start, SlotKind::Question, Some(1), s(1)),
    ];
    let (mut held, held_writer) = daemon(
        held_dir.path(),
        clock.clone(),
        held_fake.clone(),
        vec![plan("held", None, false)],
        held_slots,
    );
    // As `run` sets it up: alive while the loop beat within three rescan
    // intervals (3 s here, less than the 5 s busy timeout of one claim).
    held.rescan_interval = Duration::from_secs(1);
    let health = Arc::new(Health::new(held.rescan_interval * 3));
    held.health = Some(health.clone());

    // Another state folder in the same process, due in the middle of the hold.
    let free_fake = Fake::new(clock.clone());
    let (free, free_writer) = daemon(
        free_dir.path(),
        clock.clone(),
        free_fake.clone(),
        vec![plan("free", None, false)],
        vec![slot("free", start, SlotKind::Welcome, None, s(1))],
    );

    let cancel = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = HttpState {
        metrics: Arc::new(Metrics::default()),
        health,
        clock: clock.clone(),
    };
    let server = tokio::spawn(http::serve(listener, state, cancel.clone()));
    let held_task = tokio::spawn(daemon::run(held, cancel.clone()));
    let free_task = tokio::spawn(daemon::run(free, cancel.clone()));

    // Another program takes the write lock a second before the welcome's
    // instant and keeps it for six seconds: past the busy timeout, so the
    // first claim is refused and retried. `/healthz` is asked all along.
    let db = held_dir.path().join(tweetchat::store::FILE_NAME);
    let hold = std::thread::spawn(move || {
        while Timestamp::now() < start - s(1) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let other = rusqlite::Connection::open(&db).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let mut answers = Vec::new();
        while Timestamp::now() < start + s(5) {
            answers.push(healthz(addr));
            std::thread::sleep(Duration::from_millis(200));
        }
        let released = Timestamp::now();
        other.execute_batch("COMMIT").unwrap();
        (answers, released)
    });
    let (answers, released) = tokio::task::spawn_blocking(move || hold.join().unwrap())
        .await
        .unwrap();

    // Both held slots out, then a moment for anything doubled to show.
    for _ in 0..300 {
        if held_fake.posts().len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = healthz(addr);
    cancel.cancel();
    held_task.await.unwrap().unwrap();
    free_task.await.unwrap().unwrap();
    held_writer.await.unwrap();
    free_writer.await.unwrap();
    server.await.unwrap().unwrap();

    assert!(answers.len() >= 10, "asked only {} times", answers.len());
    assert!(
        answers.iter().all(|a| *a == Some(200)),
        "/healthz during the hold: {answers:?}"
    );
    assert_eq!(after, Some(200));

    // The other state posted while this one's database was still locked.
    let free_posts = free_fake.posts();
    assert_eq!(free_posts.len(), 1, "{free_posts:?}");
    assert!(
        free_posts[0].1 < released,
        "the other state's welcome waited for the lock: posted {}, released {released}",
        free_posts[0].1
    );

    // The held slots: each exactly once, after the release, inside grace.
    let posts = held_fake.posts();
    let mut keys: Vec<_> = posts.iter().map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 2, "{posts:?}");
    assert_eq!(posts.len(), 2, "doubled: {posts:?}");
    let grace = SignedDuration::from_mins(10);
    for (key, at) in &posts {
        assert!(
            *at >= released,
            "{key} posted at {at}, before the release at {released}"
        );
        assert!(
            *at <= start + s(1) + grace,
            "{key} posted at {at}, past its grace"
        );
    }
    let store = Store::open(held_dir.path()).unwrap();
    for key in &keys {
        let row = store.lookup(key).unwrap().unwrap();
        assert_eq!(row.state, PostState::Posted, "{key}: {row:?}");
    }
}
