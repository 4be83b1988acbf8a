//! A state database that refuses every write (a trigger stands in for a
//! damaged page or a full disk): the loop stays alive, but nothing can be
//! posted, so `/healthz` answers 503 with the database's own words and
//! `/metrics` counts the refusals. Once writes are taken again, the slot
//! goes out inside its grace window and `/healthz` is 200 again. Real
//! SQLite, real HTTP on 127.0.0.1.

mod daemon_support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use daemon_support::*;
use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, RetryPolicy};
use tweetchat::http::{self, Health, HttpState, Metrics};
use tweetchat::schedule::SlotKind;

/// `GET path` from a thread of its own: the status code and the body.
async fn get(addr: std::net::SocketAddr, path: &'static str) -> (u16, String) {
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let code = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = answer
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        (code, body)
    })
    .await
    .unwrap()
}

fn store_errors(metrics: &Metrics) -> u64 {
    metrics
        .render(Timestamp::now())
        .lines()
        .find_map(|l| l.strip_prefix("tweetchat_store_errors_total "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_refused_turn_healthz_503_with_the_reason_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::system(Duration::from_secs(1));
    let start = clock.now() + SignedDuration::from_millis(500);
    let fake = Fake::new(clock.clone());
    let (mut daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        vec![slot(
            "c",
            start,
            SlotKind::Welcome,
            None,
            SignedDuration::ZERO,
        )],
    );
    let refuse = rusqlite::Connection::open(dir.path().join(tweetchat::store::FILE_NAME)).unwrap();
    refuse
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON posts \
             BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
        )
        .unwrap();
    daemon.rescan_interval = Duration::from_secs(1);
    daemon.retry = RetryPolicy {
        base: Duration::from_millis(200),
        max: Duration::from_millis(400),
        ..RetryPolicy::default()
    };
    let health = Arc::new(Health::new(daemon.rescan_interval * 3));
    let metrics = Arc::new(Metrics::default());
    health.watch_store(daemon.store.health());
    metrics.watch_store(daemon.store.health());
    daemon.health = Some(health.clone());
    daemon.metrics = Some(metrics.clone());

    let cancel = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = HttpState {
        metrics: metrics.clone(),
        health,
        clock: clock.clone(),
    };
    let server = tokio::spawn(http::serve(listener, state, cancel.clone()));
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));

    for _ in 0..200 {
        if store_errors(&metrics) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, body) = get(addr, "/healthz").await;
    let (_, text) = get(addr, "/metrics").await;
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains("the state database has refused writes")
            && body.contains("database or disk is full"),
        "{body}"
    );
    assert!(store_errors(&metrics) >= 2, "{text}");
    assert!(text.contains("tweetchat_store_errors_total "), "{text}");
    assert!(fake.posts().is_empty(), "nothing is posted unclaimed");

    // Writes taken again: the claim's next try records it, the welcome goes
    // out, and the database is healthy.
    refuse.execute_batch("DROP TRIGGER refuse").unwrap();
    for _ in 0..200 {
        if !fake.posts().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (code, body) = get(addr, "/healthz").await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(fake.posts().len(), 1);
    assert_eq!(code, 200, "{body}");
}
