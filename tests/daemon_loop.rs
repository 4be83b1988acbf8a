//! The scheduler loop in paused tokio time, on hand-built slots and a
//! recording fake platform: timing, order, restarts, grace windows, retries,
//! shutdown.

mod daemon_support;

use std::sync::Arc;
use std::time::Duration;

use daemon_support::*;
use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon;
use tweetchat::platform::console::{Console, read_outbox};
use tweetchat::platform::{PostError, RemotePost};
use tweetchat::schedule::{Slot, SlotKind};
use tweetchat::store::{Claim, Intent, Outcome, PostState, Store};

const START: &str = "2026-12-02T18:00:00Z";

fn keys(slots: &[Slot], account: &str) -> Vec<String> {
    slots.iter().map(|s| s.key(account)).collect()
}

fn state(dir: &std::path::Path, key: &str) -> (PostState, Option<String>) {
    let row = Store::open(dir).unwrap().lookup(key).unwrap().unwrap();
    (row.state, row.reason)
}

#[tokio::test(start_paused = true)]
async fn a_week_of_a_daily_chat_posts_every_slot_at_its_instant_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-01T16:00:00Z"));
    let fake = Fake::new(clock.clone());
    let mut slots: Vec<Slot> = (0..7)
        .flat_map(|day| {
            occurrence(
                "daily",
                ts("2026-12-01T18:00:00Z") + SignedDuration::from_hours(24 * day),
            )
        })
        .collect();
    slots.sort_by_key(|s| s.at);
    let plan = plan("daily", Some(&["fake", "console"]), false);
    let (mut daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan],
        slots.clone(),
    );
    let console = Console::new("console", dir.path(), clock.clone());
    daemon.accounts.insert("console".into(), Arc::new(console));

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-09T00:00:00Z")).await;

    let expected: Vec<(String, Timestamp)> = slots.iter().map(|s| (s.key("fake"), s.at)).collect();
    assert_eq!(fake.posts(), expected);
    let outbox = read_outbox(&dir.path().join("outbox.jsonl")).unwrap();
    let got: Vec<_> = outbox
        .iter()
        .map(|e| (e.key.clone(), e.at, e.posted_at))
        .collect();
    let want: Vec<_> = slots
        .iter()
        .map(|s| (s.key("console"), s.at, s.at))
        .collect();
    assert_eq!(got, want);
    let thanks = outbox.iter().find(|e| e.key.contains("/thanks/")).unwrap();
    assert!(!thanks.text.contains("{mentions}"), "{}", thanks.text);
    for key in keys(&slots, "fake") {
        assert_eq!(state(dir.path(), &key).0, PostState::Posted, "{key}");
    }
}

#[tokio::test(start_paused = true)]
async fn after_a_crash_in_doubt_keys_are_reconciled_before_any_post_and_never_posted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let slots = occurrence("c", ts(START));
    let (welcome, q1) = (&slots[1], &slots[2]);
    {
        // The last run posted the announcement, claimed the welcome and Q1
        // and died: the welcome had gone out, Q1 had not.
        let mut store = Store::open(dir.path()).unwrap();
        store.claim(&[Intent::for_slot(&slots[0], "fake")]).unwrap();
        let remote = RemotePost {
            id: "a1".into(),
            cid: None,
            url: None,
        };
        store
            .record(&slots[0].key("fake"), &Outcome::Posted(remote))
            .unwrap();
        let intents = [
            Intent::for_slot(welcome, "fake"),
            Intent::for_slot(q1, "fake"),
        ];
        store.claim(&intents).unwrap();
    }
    let clock = Clock::starting_at(ts("2026-12-02T18:06:00Z"));
    let fake = Fake::new(clock.clone());
    fake.existing.lock().unwrap().push(welcome.key("fake"));
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        slots.clone(),
    );

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:20:00Z")).await;

    let calls = fake.calls();
    assert_eq!(
        calls[0],
        Call::Reconcile {
            key: welcome.key("fake")
        }
    );
    assert_eq!(
        calls[1],
        Call::Reconcile {
            key: q1.key("fake")
        }
    );
    assert!(matches!(&calls[2], Call::Post { key, .. } if *key == q1.key("fake")));
    let posted: Vec<_> = fake.posts().into_iter().map(|(k, _)| k).collect();
    assert_eq!(posted, [q1.key("fake"), slots[3].key("fake")]);
    let store = Store::open(dir.path()).unwrap();
    let row = store.lookup(&welcome.key("fake")).unwrap().unwrap();
    assert_eq!(row.state, PostState::Posted);
    assert_eq!(
        row.remote.unwrap().id,
        format!("id:{}", welcome.key("fake"))
    );
}

#[tokio::test(start_paused = true)]
async fn missed_slots_are_posted_late_inside_grace_and_skipped_beyond_it_in_order() {
    let dir = tempfile::tempdir().unwrap();
    // Down from before the announcement until 18:12: Q1 (10m grace) is still
    // in time, the welcome (12m late) is not, and the announcement (2h
    // grace) is pointless now that the chat has started.
    let now = ts("2026-12-02T18:12:00Z");
    let clock = Clock::starting_at(now);
    let fake = Fake::new(clock.clone());
    let slots = occurrence("c", ts(START));
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        slots.clone(),
    );

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T20:00:00Z")).await;

    let k = |i: usize| slots[i].key("fake");
    let expected = vec![
        (k(2), now),
        (k(3), slots[3].at),
        (k(4), slots[4].at),
        (k(5), slots[5].at),
    ];
    assert_eq!(fake.posts(), expected);
    let (welcome, reason) = state(dir.path(), &k(1));
    assert_eq!(welcome, PostState::Skipped);
    let reason = reason.unwrap();
    assert!(
        reason.contains("missed by 12m") && reason.contains("grace"),
        "{reason}"
    );
    let (announce, reason) = state(dir.path(), &k(0));
    assert_eq!(announce, PostState::Skipped);
    assert!(reason.unwrap().contains("already started"));
}

#[tokio::test(start_paused = true)]
async fn an_earlier_slot_is_skipped_once_a_later_one_is_out() {
    let dir = tempfile::tempdir().unwrap();
    let slots = occurrence("c", ts(START));
    {
        let mut store = Store::open(dir.path()).unwrap();
        store.claim(&[Intent::for_slot(&slots[3], "fake")]).unwrap();
        let remote = RemotePost {
            id: "q2".into(),
            cid: None,
            url: None,
        };
        store
            .record(&slots[3].key("fake"), &Outcome::Posted(remote))
            .unwrap();
    }
    let clock = Clock::starting_at(ts("2026-12-02T18:06:00Z"));
    let fake = Fake::new(clock.clone());
    let only_q1 = vec![slots[2].clone()];
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        only_q1,
    );

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:30:00Z")).await;

    assert!(fake.calls().is_empty());
    let (q1, reason) = state(dir.path(), &slots[2].key("fake"));
    assert_eq!(q1, PostState::Skipped);
    assert!(reason.unwrap().contains("out of order"));
}

#[tokio::test(start_paused = true)]
async fn a_temporary_failure_is_retried_after_a_jittered_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:59:00Z"));
    let fake = Fake::new(clock.clone());
    let slots = occurrence("c", ts(START));
    let q1 = slots[2].clone();
    fake.fail_next(
        &q1.key("fake"),
        vec![PostError::Transient("502 bad gateway".into())],
    );
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        vec![q1.clone()],
    );

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:30:00Z")).await;

    let calls = fake.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(
        matches!(&calls[1], Call::Reconcile { .. }),
        "checks before retrying"
    );
    let (_, second) = fake.posts()[0].clone();
    let wait = second.duration_since(q1.at);
    assert!(
        wait >= SignedDuration::from_millis(500) && wait <= SignedDuration::from_secs(1),
        "{wait:?}"
    );
    assert_eq!(state(dir.path(), &q1.key("fake")).0, PostState::Posted);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_waits_for_its_reset_inside_grace_and_fails_clearly_beyond() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:59:00Z"));
    let fake = Fake::new(clock.clone());
    let slots = occurrence("c", ts(START));
    let (q1, q2) = (slots[2].clone(), slots[3].clone());
    let soon = ts("2026-12-02T18:08:00Z");
    let late = ts("2026-12-02T19:00:00Z");
    fake.fail_next(
        &q1.key("fake"),
        vec![PostError::RateLimited { reset: Some(soon) }],
    );
    fake.fail_next(
        &q2.key("fake"),
        vec![PostError::RateLimited { reset: Some(late) }],
    );
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        vec![q1.clone(), q2.clone()],
    );

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T19:30:00Z")).await;

    assert_eq!(fake.posts(), vec![(q1.key("fake"), soon)]);
    let (q2_state, reason) = state(dir.path(), &q2.key("fake"));
    assert_eq!(q2_state, PostState::Failed);
    let reason = reason.unwrap();
    assert!(
        reason.contains("rate limited until") && reason.contains("grace window"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_duplicate_without_an_earlier_post_fails_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T18:04:00Z"));
    let fake = Fake::new(clock.clone());
    let q1 = occurrence("c", ts(START))[2].clone();
    fake.fail_next(
        &q1.key("fake"),
        vec![PostError::Duplicate("403 duplicate content".into())],
    );
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        vec![q1.clone()],
    );

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:30:00Z")).await;

    let (q1_state, reason) = state(dir.path(), &q1.key("fake"));
    assert_eq!(q1_state, PostState::Failed);
    assert!(reason.unwrap().contains("duplicate content"));
}

#[tokio::test(start_paused = true)]
async fn thread_replies_go_under_the_welcome_and_fall_back_to_standalone() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:59:00Z"));
    let fake = Fake::new(clock.clone());
    let slots = occurrence("c", ts(START));
    let (welcome, q1, q2) = (slots[1].clone(), slots[2].clone(), slots[3].clone());
    fake.fail_next(
        &q2.key("fake"),
        vec![PostError::ReplyRefused("not summoned".into())],
    );
    let plans = vec![plan("c", None, true)];
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        plans,
        vec![welcome.clone(), q1.clone(), q2.clone()],
    );

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:30:00Z")).await;

    let replies: Vec<_> = fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::Post { key, reply_to, .. } => Some((key, reply_to)),
            Call::Reconcile { .. } => None,
        })
        .collect();
    let root = Some(format!("id:{}", welcome.key("fake")));
    assert_eq!(
        replies,
        vec![
            (welcome.key("fake"), None),
            (q1.key("fake"), root.clone()),
            (q2.key("fake"), root),
            (q2.key("fake"), None),
        ]
    );
    assert_eq!(state(dir.path(), &q2.key("fake")).0, PostState::Posted);
}

#[tokio::test(start_paused = true)]
async fn same_instant_slots_go_out_concurrently_across_accounts_and_chats_in_order_within_a_chat() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:59:00Z"));
    let a = Fake::slow(clock.clone(), Duration::from_secs(1));
    let b = Fake::slow(clock.clone(), Duration::from_secs(1));
    let m = SignedDuration::from_mins;
    let start = ts(START);
    // Two chats with questions at 18:05, on both accounts: chat one has
    // two there, which go out in order, the second after the first's answer.
    let slots = vec![
        slot("one", start, SlotKind::Question, Some(1), m(5)),
        slot("two", start, SlotKind::Question, Some(1), m(5)),
        slot("one", start, SlotKind::Question, Some(2), m(5)),
    ];
    let plans = vec![
        plan("one", Some(&["fake", "b"]), false),
        plan("two", Some(&["fake", "b"]), false),
    ];
    let (mut daemon, writer) = daemon(dir.path(), clock.clone(), a.clone(), plans, slots.clone());
    daemon.accounts.insert("b".into(), b.clone());

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:30:00Z")).await;

    // One queue per account and chat: the two chats do not wait for each
    // other's round trip on the same account either.
    let at = slots[0].at;
    let second = at + SignedDuration::from_secs(1);
    for (fake, account) in [(&a, "fake"), (&b, "b")] {
        let mut posts = fake.posts();
        posts.sort();
        assert_eq!(
            posts,
            vec![
                (slots[0].key(account), at),
                (slots[2].key(account), second),
                (slots[1].key(account), at),
            ],
            "{account}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_finishes_the_post_in_flight_records_it_and_gives_back_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T18:04:59Z"));
    let fake = Fake::slow(clock.clone(), Duration::from_secs(3));
    let start = ts(START);
    let m = SignedDuration::from_mins;
    // Two questions of one chat at the same instant: the second waits for
    // the first, in order, and is still queued when shutdown comes.
    let slots = vec![
        slot("one", start, SlotKind::Question, Some(1), m(5)),
        slot("one", start, SlotKind::Question, Some(2), m(5)),
    ];
    let plans = vec![plan("one", None, false)];
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        plans,
        slots.clone(),
    );
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));
    clock.sleep_until(ts("2026-12-02T18:05:01Z")).await;
    let asked = tokio::time::Instant::now();
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    assert!(asked.elapsed() < Duration::from_secs(10));
    assert_eq!(fake.posts().len(), 1);
    assert_eq!(
        state(dir.path(), &slots[0].key("fake")).0,
        PostState::Posted
    );
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.lookup(&slots[1].key("fake")).unwrap(),
        None,
        "the unsent claim is given back"
    );
    let mut store = store;
    assert_eq!(
        store.claim(&[Intent::for_slot(&slots[1], "fake")]).unwrap(),
        vec![Claim::Fresh]
    );
}

#[tokio::test(start_paused = true)]
async fn two_hundred_slots_at_one_instant_across_fifty_accounts_all_go_out_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T18:04:00Z"));
    let start = ts(START);
    let names: Vec<String> = (0..50).map(|i| format!("acct{i}")).collect();
    let fakes: Vec<_> = names.iter().map(|_| Fake::new(clock.clone())).collect();
    let accounts: Vec<&str> = names.iter().map(String::as_str).collect();
    // Four chats, each with a question at 18:05 on all fifty accounts.
    let chats = ["a", "b", "c", "d"];
    let plans = chats
        .iter()
        .map(|c| plan(c, Some(&accounts), false))
        .collect();
    let slots: Vec<Slot> = chats
        .iter()
        .map(|c| {
            slot(
                c,
                start,
                SlotKind::Question,
                Some(1),
                SignedDuration::from_mins(5),
            )
        })
        .collect();
    let (mut daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fakes[0].clone(),
        plans,
        slots.clone(),
    );
    for (name, fake) in names.iter().zip(&fakes) {
        daemon.accounts.insert(name.clone(), fake.clone());
    }

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:10:00Z")).await;

    let at = slots[0].at;
    for (name, fake) in names.iter().zip(&fakes) {
        let want: Vec<_> = slots.iter().map(|s| (s.key(name), at)).collect();
        assert_eq!(fake.posts(), want, "{name}");
    }
    let store = Store::open(dir.path()).unwrap();
    let recorded = store.recent(1000).unwrap();
    assert_eq!(recorded.len(), 200);
    assert!(recorded.iter().all(|r| r.state == PostState::Posted));
}

#[tokio::test(start_paused = true)]
async fn an_announcement_is_posted_late_before_the_start_but_not_after_it() {
    let slots = occurrence("c", ts(START));
    let plans = || vec![plan("c", None, false)];

    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:30:00Z"));
    let fake = Fake::new(clock.clone());
    let (before, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        plans(),
        slots[..1].to_vec(),
    );
    daemon_support::run_until(before, writer, &clock, ts("2026-12-02T17:40:00Z")).await;
    assert_eq!(
        fake.posts(),
        vec![(slots[0].key("fake"), ts("2026-12-02T17:30:00Z"))]
    );

    // Inside the announcement's 2h grace window, but after the start.
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T18:01:00Z"));
    let fake = Fake::new(clock.clone());
    let (after, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        plans(),
        slots[..2].to_vec(),
    );
    daemon_support::run_until(after, writer, &clock, ts("2026-12-02T18:30:00Z")).await;
    assert_eq!(
        fake.posts(),
        vec![(slots[1].key("fake"), ts("2026-12-02T18:01:00Z"))]
    );
    let (announce, reason) = state(dir.path(), &slots[0].key("fake"));
    assert_eq!(announce, PostState::Skipped);
    assert!(reason.unwrap().contains("already started"));
}

#[tokio::test(start_paused = true)]
async fn the_console_reconciles_from_its_outbox_so_a_restart_never_prints_twice() {
    let dir = tempfile::tempdir().unwrap();
    let slots = occurrence("c", ts(START));
    let clock = Clock::starting_at(ts("2026-12-02T18:06:00Z"));
    let console = Console::new("console", dir.path(), clock.clone());
    {
        // The last run wrote the welcome to the outbox and died before
        // recording it; Q1 was claimed but never written.
        let mut store = Store::open(dir.path()).unwrap();
        let claims = [
            Intent::for_slot(&slots[1], "console"),
            Intent::for_slot(&slots[2], "console"),
        ];
        store.claim(&claims).unwrap();
        let welcome_key = slots[1].key("console");
        let post = tweetchat::platform::OutgoingPost {
            key: &welcome_key,
            text: &slots[1].text,
            reply_to: None,
            thread_root: None,
            due: slots[1].at,
            window_end: slots[1].at + jiff::SignedDuration::from_mins(10),
            audience: &tweetchat::platform::Audience::DEFAULT,
        };
        use tweetchat::platform::Platform;
        console.post(&post).await.unwrap();
    }
    let fake = Fake::new(clock.clone());
    let plans = vec![plan("c", Some(&["console"]), false)];
    let (mut daemon, writer) = daemon(dir.path(), clock.clone(), fake, plans, slots[1..3].to_vec());
    daemon.accounts.insert("console".into(), Arc::new(console));

    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:10:00Z")).await;

    let keys: Vec<_> = read_outbox(&dir.path().join("outbox.jsonl"))
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(keys, [slots[1].key("console"), slots[2].key("console")]);
    assert_eq!(
        state(dir.path(), &slots[1].key("console")).0,
        PostState::Posted
    );
}

#[tokio::test(start_paused = true)]
async fn a_slot_claimed_ahead_is_given_back_when_shutdown_comes_before_its_instant() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T18:04:59Z"));
    let fake = Fake::new(clock.clone());
    let start = ts(START);
    let slots = vec![slot(
        "one",
        start,
        SlotKind::Question,
        Some(1),
        SignedDuration::from_mins(5),
    )];
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("one", None, false)],
        slots.clone(),
    );
    let key = slots[0].key("fake");
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));
    // Inside the claim-ahead window: claimed, not yet posted.
    clock
        .sleep_until(ts("2026-12-02T18:05:00Z") - SignedDuration::from_millis(50))
        .await;
    let claimed = Store::open(dir.path()).unwrap().lookup(&key).unwrap();
    assert_eq!(claimed.map(|row| row.state), Some(PostState::Intent));
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    assert!(fake.posts().is_empty(), "nothing leaves before its instant");
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.lookup(&key).unwrap(), None, "the claim is given back");
    assert_eq!(
        store.claim(&[Intent::for_slot(&slots[0], "fake")]).unwrap(),
        vec![Claim::Fresh]
    );
}
