//! An account whose `api_base` refuses connections: nothing was sent, so
//! nothing is in doubt. The post is retried inside its own grace window like
//! a 5xx, never looked up as "maybe posted", then recorded as failed with
//! the reason; the next question is still tried at its own instant; the
//! account is exported as down.

mod daemon_support;
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use support::fake_x::FakeX;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::accounts::verify_accounts;
use tweetchat::daemon::{self, Chats, Daemon, FixedSlots, RetryPolicy};
use tweetchat::http::Metrics;
use tweetchat::platform::Platform;
use tweetchat::platform::x::{MemoryTokenStore, XAccount};
use tweetchat::schedule::SlotKind;
use tweetchat::store::{PostState, SharedStore, Store};

/// An address on loopback where nothing listens any more: bound, then let go.
fn refused_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_connection_is_retried_then_failed_after_its_own_grace_and_the_next_question_is_tried()
 {
    let fake = FakeX::start().await;
    let mut account = fake.oauth1_settings("main_x");
    let address = refused_address();
    account.api_base = Some(address.clone());
    let clock = Clock::system(Duration::from_secs(1));
    let platform: Arc<dyn Platform> = Arc::new(
        XAccount::new(&account, Arc::new(MemoryTokenStore::new()), clock.clone()).unwrap(),
    );
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("main_x".into(), platform);

    // At start: not refused credentials, so the start goes on; the account
    // is named as not reached.
    assert_eq!(verify_accounts(&accounts).await.unwrap(), ["main_x"]);

    let dir = tempfile::tempdir().unwrap();
    let start = clock.now() + SignedDuration::from_millis(300);
    let q1 = daemon_support::slot(
        "c",
        start,
        SlotKind::Question,
        Some(1),
        SignedDuration::ZERO,
    );
    // Due after Q1's grace window: before, Q1 was "looked up" for five
    // minutes and Q2 waited behind it until it was skipped as late.
    let q2 = daemon_support::slot(
        "c",
        start,
        SlotKind::Question,
        Some(2),
        SignedDuration::from_secs(3),
    );
    let mut settings = daemon_support::settings(dir.path());
    settings.default_accounts = vec!["main_x".into()];
    settings.grace.question = Duration::from_secs(2);
    let (store, writer) = SharedStore::spawn(Store::open(dir.path()).unwrap());
    let mut daemon = Daemon::new(
        &settings,
        clock.clone(),
        store,
        accounts,
        Chats::fixed(vec![daemon_support::plan("c", None, false)]),
    );
    daemon.timeline = Arc::new(FixedSlots(vec![q1.clone(), q2.clone()]));
    daemon.retry = RetryPolicy {
        base: Duration::from_millis(100),
        max: Duration::from_millis(400),
        ..RetryPolicy::default()
    };
    daemon.stop_when_done = true;
    let metrics = Arc::new(Metrics::default());
    daemon.metrics = Some(metrics.clone());
    daemon::run(daemon, CancellationToken::new()).await.unwrap();
    writer.await.unwrap();

    let store = Store::open(dir.path()).unwrap();
    for slot in [&q1, &q2] {
        let row = store.lookup(&slot.key("main_x")).unwrap().unwrap();
        let reason = row.reason.unwrap_or_default();
        assert_eq!(row.state, PostState::Failed, "{}: {reason}", slot.label());
        assert!(
            reason.contains("connection refused: check api_base") && reason.contains(&address),
            "{reason}"
        );
        assert!(reason.contains("grace window"), "{reason}");
        assert!(
            !reason.contains("could not check whether"),
            "nothing was sent, so nothing was looked up: {reason}"
        );
        let attempts: u32 = reason
            .split("gave up after ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(attempts >= 2, "retried like a 5xx: {reason}");
    }
    let text = metrics.render(clock.now());
    assert!(
        text.contains("tweetchat_account_up{account=\"main_x\"} 0"),
        "{text}"
    );
    assert!(fake.tweets().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tls_handshake_that_never_completes_is_unreachable_not_in_doubt() {
    // Accepts the TCP connection and closes it before any TLS answer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let fake = FakeX::start().await;
    let mut account = fake.oauth1_settings("main_x");
    account.api_base = Some(format!("https://{addr}"));
    let clock = Clock::system(Duration::from_secs(1));
    let platform = XAccount::new(&account, Arc::new(MemoryTokenStore::new()), clock).unwrap();
    match platform.whoami().await {
        Err(tweetchat::platform::PostError::Unreachable(why)) => {
            assert!(
                why.contains(&addr.to_string()) && why.contains("nothing was sent"),
                "{why}"
            )
        }
        other => panic!("expected unreachable, got {other:?}"),
    }
}

/// Q1 and Q2 of one chat, five and seven minutes after an 18:00 start: Q2
/// is due well inside Q1's ten-minute grace window.
fn two_questions() -> (tweetchat::schedule::Slot, tweetchat::schedule::Slot) {
    let start = daemon_support::ts("2026-12-02T18:00:00Z");
    let q = |n: u32, mins: i64| {
        daemon_support::slot(
            "c",
            start,
            SlotKind::Question,
            Some(n),
            SignedDuration::from_mins(mins),
        )
    };
    (q(1, 5), q(2, 7))
}

/// Runs the daemon on Q1 and Q2 until 18:30 (past Q1's grace window), and
/// checks that Q2 alone was posted, at its own instant.
async fn run_until_only_q2_is_out(
    dir: &std::path::Path,
    clock: &Clock,
    fake: &std::sync::Arc<daemon_support::Fake>,
    q1: &tweetchat::schedule::Slot,
    q2: &tweetchat::schedule::Slot,
) {
    let (daemon, writer) = daemon_support::daemon(
        dir,
        clock.clone(),
        fake.clone(),
        vec![daemon_support::plan("c", None, false)],
        vec![q1.clone(), q2.clone()],
    );
    daemon_support::run_until(
        daemon,
        writer,
        clock,
        daemon_support::ts("2026-12-02T18:30:00Z"),
    )
    .await;
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].0, q2.key("fake"));
    assert!(
        posts[0].1 >= q2.at && posts[0].1 < q2.at + SignedDuration::from_secs(1),
        "{posts:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_question_retried_on_an_unreachable_platform_does_not_hold_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(daemon_support::ts("2026-12-02T18:04:00Z"));
    let fake = daemon_support::Fake::new(clock.clone());
    let (q1, q2) = two_questions();
    let refused = tweetchat::platform::PostError::Unreachable(
        "connection refused: check api_base (nothing was sent)".into(),
    );
    fake.fail_next(&q1.key("fake"), vec![refused; 1000]);
    // Q2 goes out at its own instant, not after Q1's grace window.
    run_until_only_q2_is_out(dir.path(), &clock, &fake, &q1, &q2).await;
    // Q1 stopped retrying when Q2 was due, and says so; it was never
    // looked up (nothing was sent).
    let (state, reason) = daemon_support::row(dir.path(), &q1.key("fake"));
    assert_eq!(state, PostState::Failed, "{reason}");
    assert!(
        reason.contains("unreachable") && reason.contains("next post is due at"),
        "{reason}"
    );
    assert!(
        !fake
            .calls()
            .iter()
            .any(|c| matches!(c, daemon_support::Call::Reconcile { .. })),
        "nothing was looked up"
    );
}

#[tokio::test(start_paused = true)]
async fn a_question_in_doubt_that_cannot_be_looked_up_does_not_hold_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let (q1, q2) = two_questions();
    // An earlier run claimed Q1 and died before its answer.
    {
        let mut store = Store::open(dir.path()).unwrap();
        store
            .claim(&[tweetchat::store::Intent::for_slot(&q1, "fake")])
            .unwrap();
    }
    let clock = Clock::starting_at(daemon_support::ts("2026-12-02T18:05:30Z"));
    let fake = daemon_support::Fake::new(clock.clone());
    // The platform cannot say whether Q1 is out, for as long as it is asked.
    fake.unknown_next(&q1.key("fake"), 1000);
    // Q1 is never posted blind; Q2 goes out at its own instant.
    run_until_only_q2_is_out(dir.path(), &clock, &fake, &q1, &q2).await;
    // Q1 was looked up aside until its doubt window ended, then recorded.
    let (state, reason) = daemon_support::row(dir.path(), &q1.key("fake"));
    assert_eq!(state, PostState::Failed, "{reason}");
    assert!(reason.contains("could not check whether"), "{reason}");
    let lookups_after_q2 = fake
        .calls()
        .iter()
        .skip_while(|c| !matches!(c, daemon_support::Call::Post { .. }))
        .filter(|c| matches!(c, daemon_support::Call::Reconcile { .. }))
        .count();
    assert!(lookups_after_q2 > 0, "the lookup went on after Q2 went out");
}
