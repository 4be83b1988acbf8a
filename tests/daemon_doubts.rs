//! Faults from the world around the loop, in paused tokio time on a
//! recording fake platform and a real SQLite store: a long rate limit with
//! another chat's post queued behind it, and intents an earlier run left
//! behind a week ago. Each post ends exactly once within its grace window,
//! or skipped/failed with the reason in the store; nothing stays `intent`.

mod daemon_support;

use daemon_support::*;
use jiff::SignedDuration;
use tweetchat::clock::Clock;
use tweetchat::platform::PostError;
use tweetchat::schedule::SlotKind;
use tweetchat::store::{Claim, Intent, PostState, Store};

fn no_intents(dir: &std::path::Path) {
    let rows = Store::open(dir).unwrap().recent(1000).unwrap();
    let left: Vec<_> = rows
        .iter()
        .filter(|r| r.state == PostState::Intent)
        .map(|r| &r.key)
        .collect();
    assert!(left.is_empty(), "left in doubt: {left:?}");
}

#[tokio::test(start_paused = true)]
async fn a_15_minute_429_holds_up_neither_another_chats_question_nor_outlasts_its_grace() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:58:00Z"));
    let fake = Fake::new(clock.clone());
    // Chat `a` announces at 18:00 (its chat starts at 19:00); chat `b`
    // asks a question on the same account at 18:01 (ten minutes of
    // grace). The account is rate limited until 18:15 for both.
    let announce = slot(
        "a",
        ts("2026-12-02T19:00:00Z"),
        SlotKind::Announce,
        Some(1),
        -SignedDuration::from_hours(1),
    );
    let question = slot(
        "b",
        ts("2026-12-02T17:50:00Z"),
        SlotKind::Question,
        Some(1),
        SignedDuration::from_mins(11),
    );
    let reset = ts("2026-12-02T18:15:00Z");
    for key in [announce.key("fake"), question.key("fake")] {
        fake.fail_next(&key, vec![PostError::RateLimited { reset: Some(reset) }]);
    }
    let plans = vec![plan("a", None, false), plan("b", None, false)];
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        plans,
        vec![announce.clone(), question.clone()],
    );
    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:40:00Z")).await;

    // The announcement waited for the reset and went out once, in time.
    let posts = fake.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].0, announce.key("fake"));
    assert!(
        posts[0].1 >= reset && posts[0].1 < reset + SignedDuration::from_secs(1),
        "{posts:?}"
    );
    assert_eq!(
        daemon_support::row(dir.path(), &announce.key("fake")).0,
        PostState::Posted
    );
    // The question was tried at its own instant (not behind the other
    // chat's wait), and its reset lies past its grace window: failed, with
    // the reason, never posted late.
    let tried: Vec<_> = fake
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::Post { key, at, .. } if key == question.key("fake") => Some(at),
            _ => None,
        })
        .collect();
    assert_eq!(tried, vec![question.at], "{tried:?}");
    let (state, reason) = daemon_support::row(dir.path(), &question.key("fake"));
    assert_eq!(state, PostState::Failed, "{reason}");
    assert!(reason.contains("rate limited until"), "{reason}");
    assert!(reason.contains("grace window"), "{reason}");
    no_intents(dir.path());
}

#[tokio::test(start_paused = true)]
async fn an_announcement_rate_limited_past_the_chats_start_is_never_posted_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T18:39:00Z"));
    let fake = Fake::new(clock.clone());
    let announce = slot(
        "e",
        ts("2026-12-02T19:00:00Z"),
        SlotKind::Announce,
        Some(1),
        -SignedDuration::from_mins(20),
    );
    let reset = ts("2026-12-02T19:05:00Z");
    fake.fail_next(
        &announce.key("fake"),
        vec![PostError::RateLimited { reset: Some(reset) }],
    );
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("e", None, false)],
        vec![announce.clone()],
    );
    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T19:30:00Z")).await;
    assert!(fake.posts().is_empty(), "{:?}", fake.posts());
    let (state, reason) = daemon_support::row(dir.path(), &announce.key("fake"));
    assert_eq!(state, PostState::Failed, "{reason}");
    assert!(reason.contains("rate limited until"), "{reason}");
    no_intents(dir.path());
}

#[tokio::test(start_paused = true)]
async fn a_429_whose_reset_lies_in_the_past_backs_off_instead_of_spinning() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:59:00Z"));
    let fake = Fake::new(clock.clone());
    let welcome = slot(
        "c",
        ts("2026-12-02T18:00:00Z"),
        SlotKind::Welcome,
        None,
        SignedDuration::ZERO,
    );
    let stale = PostError::RateLimited {
        reset: Some(ts("2026-12-02T17:00:00Z")),
    };
    fake.fail_next(&welcome.key("fake"), vec![stale.clone(), stale]);
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("c", None, false)],
        vec![welcome.clone()],
    );
    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:05:00Z")).await;
    let attempts = fake
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Post { .. }))
        .count();
    assert_eq!(
        attempts,
        3,
        "two refusals, then the post: {:?}",
        fake.calls()
    );
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    // Backed off (0.5–1 s, then 1–2 s), not retried at once.
    let late = posts[0].1.duration_since(welcome.at);
    assert!(
        late >= SignedDuration::from_millis(1500) && late <= SignedDuration::from_secs(3),
        "{late:#}"
    );
    no_intents(dir.path());
}

#[tokio::test(start_paused = true)]
async fn an_intent_from_last_week_at_start_up_is_reconciled_or_failed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let now = ts("2026-12-09T18:00:00Z");
    let last_week = ts("2026-12-02T18:00:00Z");
    let m = SignedDuration::from_mins;
    // Left by a run that died a week ago, after claiming these three.
    let went_out = slot("weekly", last_week, SlotKind::Welcome, None, m(0));
    let never_left = slot("weekly", last_week, SlotKind::Question, Some(1), m(5));
    let gone = slot("deleted", last_week, SlotKind::Question, Some(1), m(5));
    {
        let mut store = Store::open(dir.path()).unwrap();
        let intents: Vec<Intent> = [&went_out, &never_left, &gone]
            .iter()
            .map(|s| Intent::for_slot(s, "fake"))
            .collect();
        assert!(
            store
                .claim(&intents)
                .unwrap()
                .iter()
                .all(|c| *c == Claim::Fresh)
        );
    }
    let clock = Clock::starting_at(now);
    let fake = Fake::new(clock.clone());
    fake.existing.lock().unwrap().push(went_out.key("fake"));
    // `deleted.yaml` is gone from the chats folder; `weekly` is still there.
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("weekly", None, false)],
        vec![went_out.clone(), never_left.clone()],
    );
    daemon_support::run_until(daemon, writer, &clock, now + m(10)).await;

    assert_eq!(
        daemon_support::row(dir.path(), &went_out.key("fake")).0,
        PostState::Posted
    );
    let (state, reason) = daemon_support::row(dir.path(), &never_left.key("fake"));
    assert_eq!(state, PostState::Skipped, "{reason}");
    assert!(reason.contains("grace window"), "{reason}");
    let (state, reason) = daemon_support::row(dir.path(), &gone.key("fake"));
    assert_eq!(state, PostState::Failed, "{reason}");
    assert!(
        reason.contains("left in doubt by an earlier run"),
        "{reason}"
    );
    assert!(reason.contains("no longer in the plans"), "{reason}");
    assert!(fake.posts().is_empty(), "nothing posted a week late");
    no_intents(dir.path());
}

/// The platform cannot tell at first whether a timed-out post went out:
/// it is asked again with backoff while running, and posted only once it
/// says "not there".
#[tokio::test(start_paused = true)]
async fn a_reconcile_that_cannot_tell_is_asked_again_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:59:00Z"));
    let fake = Fake::new(clock.clone());
    let welcome = slot(
        "d",
        ts("2026-12-02T18:00:00Z"),
        SlotKind::Welcome,
        None,
        SignedDuration::ZERO,
    );
    let key = welcome.key("fake");
    fake.fail_next(&key, vec![PostError::Transient("timed out".into())]);
    fake.unknown_next(&key, 2);
    let (daemon, writer) = daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![plan("d", None, false)],
        vec![welcome.clone()],
    );
    daemon_support::run_until(daemon, writer, &clock, ts("2026-12-02T18:05:00Z")).await;
    let calls = fake.calls();
    let reconciles = calls
        .iter()
        .filter(|c| matches!(c, Call::Reconcile { .. }))
        .count();
    assert_eq!(reconciles, 3, "two unknowns, then not there: {calls:?}");
    assert_eq!(fake.posts().len(), 1);
    assert_eq!(daemon_support::row(dir.path(), &key).0, PostState::Posted);
    no_intents(dir.path());
}
