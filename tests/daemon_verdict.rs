//! One verdict on every file: a limit the daemon learns while it runs (a
//! Mastodon instance lowering its `max_characters`) makes a chat whose
//! posts no longer fit invalid for that account only, as `check` would
//! call it: nothing of it is sent into a refusal there, each post is
//! recorded as failed with the fix, the chat's other account and every
//! other chat keep posting. And at post time, a text longer than its
//! account takes (or past the render cap) is never sent.

mod daemon_support;
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use support::fake_mastodon::{FakeMastodon, Kind};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, Chats, Daemon, verdict};
use tweetchat::platform::Platform;
use tweetchat::platform::mastodon::{MastodonAccount, MemoryLimits};
use tweetchat::schedule::SlotKind;
use tweetchat::store::{PostState, SharedStore, Store};
use tweetchat::text::PlatformKind;

/// A chat file starting at `start`: welcome, one question, wrap-up.
fn chat(title: &str, tag: &str, accounts: &str, question: &str, start: Timestamp) -> String {
    format!(
        "title: {title}\nhashtag: \"#{tag}\"\ntimezone: UTC\nstart: {}\nduration: 2s\n\
         announce: false\naccounts: {accounts}\nwelcome: \"Welcome! {{hashtag}}\"\n\
         questions:\n  - at: 1s\n    text: \"{question}\"\nwrapup: \"Bye! {{hashtag}}\"\n\
         thanks: false\n",
        start.strftime("%Y-%m-%d %H:%M:%S")
    )
}

async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < until {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_lowered_at_run_time_keeps_the_chat_off_that_account_only() {
    let fake = FakeMastodon::start(Kind::Mastodon).await;
    let clock = Clock::system(Duration::from_secs(1));
    let mastodon = Arc::new(
        MastodonAccount::new(
            &fake.settings("m"),
            Arc::new(MemoryLimits::default()),
            clock.clone(),
        )
        .unwrap(),
    );
    mastodon.whoami().await.unwrap();
    assert_eq!(mastodon.limit(), 500);
    let other = daemon_support::Fake::on(PlatformKind::X, clock.clone());
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("m".into(), mastodon.clone());
    accounts.insert("other".into(), other.clone());

    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    let start = Timestamp::from_second(clock.now().as_second() + 8).unwrap();
    // 250 characters: fits X (280) and the instance's 500, not 200.
    let long_question = format!("Why {}?", "so ".repeat(80).trim_end());
    std::fs::write(
        chats.join("long.yaml"),
        chat("Long", "long", "[m, other]", &long_question, start),
    )
    .unwrap();
    std::fs::write(
        chats.join("short.yaml"),
        chat("Short", "short", "[m]", "Why?", start),
    )
    .unwrap();

    let mut settings = daemon_support::settings(dir.path());
    settings.default_accounts = vec!["m".into()];
    let (store, writer) = SharedStore::spawn(Store::open(dir.path()).unwrap());
    let mut daemon = Daemon::new(
        &settings,
        clock.clone(),
        store,
        accounts,
        Chats::folder(&chats),
    );
    daemon.stop_when_done = true;
    let reload = daemon.reload.clone();
    let run = tokio::spawn(daemon::run(daemon, CancellationToken::new()));

    // The administrator lowers the limit; SIGHUP makes the daemon ask again.
    fake.set_max_characters(200);
    reload.notify_one();
    let state = dir.path().to_path_buf();
    let noted = wait_until(Duration::from_secs(6), || {
        verdict::read(&state).iter().any(|kept| kept.chat == "long")
    })
    .await;
    assert!(
        noted,
        "the daemon never judged the chat against the new limit"
    );
    assert!(
        clock.now() < start,
        "the verdict must come before the chat starts for this test to mean anything"
    );
    assert_eq!(mastodon.limit(), 200);
    let note = verdict::read(&state);
    assert_eq!(note.len(), 1, "{note:#?}");
    assert_eq!(note[0].accounts.len(), 1, "{note:#?}");
    assert_eq!(note[0].accounts[0].account, "m");
    let problem = &note[0].accounts[0].problems[0];
    assert!(problem.contains("long.yaml:"), "located: {problem}");
    assert!(
        problem.contains("over the limit of 200 for `m`"),
        "{problem}"
    );

    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the daemon finishes the chats")
        .unwrap()
        .unwrap();
    writer.await.unwrap();

    // On the instance: the short chat only, and no refusal was asked for.
    let texts: Vec<String> = fake.posts().into_iter().map(|s| s.text).collect();
    assert_eq!(
        texts,
        ["Welcome! #short", "Q1. Why? #short", "Bye! #short"],
        "{texts:?}"
    );
    assert!(
        fake.state()
            .requests
            .iter()
            .filter(|(method, _)| method == "POST")
            .count()
            == 3,
        "nothing of the long chat was sent to the instance"
    );
    // The chat's other account posted all of it.
    let elsewhere: Vec<String> = other.texts().into_iter().map(|(_, t)| t).collect();
    assert_eq!(elsewhere.len(), 3, "{elsewhere:?}");
    assert!(elsewhere[1].starts_with("Q1. Why so so"), "{elsewhere:?}");

    let store = Store::open(dir.path()).unwrap();
    let occurrence = start.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let occurrence = occurrence.strftime("%Y-%m-%dT%H:%M");
    for label in ["welcome", "question1", "wrapup"] {
        let key = format!("long/{occurrence}/{label}/m");
        let row = store.lookup(&key).unwrap().expect(&key);
        let reason = row.reason.unwrap_or_default();
        assert_eq!(row.state, PostState::Failed, "{key}: {reason}");
        assert!(
            reason.contains("does not fit account `m`")
                && reason.contains("over the limit of 200")
                && reason.contains("shorten"),
            "{key}: {reason}"
        );
        let there = format!("long/{occurrence}/{label}/other");
        assert_eq!(
            store.lookup(&there).unwrap().unwrap().state,
            PostState::Posted
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_text_past_its_accounts_limit_at_post_time_is_recorded_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::system(Duration::from_secs(1));
    let fake = daemon_support::Fake::on(PlatformKind::X, clock.clone());
    let start = clock.now() + SignedDuration::from_millis(300);
    let slot = |n: u32, text: String| {
        let mut slot = daemon_support::slot(
            "c",
            start,
            SlotKind::Question,
            Some(n),
            SignedDuration::from_millis(i64::from(n) * 10),
        );
        slot.text = text;
        slot
    };
    let fits = slot(1, "A question that fits #c".into());
    let long = slot(2, format!("{} #c", "a".repeat(300)));
    // What an expansion past the render cap leaves: cut one past the cap.
    let capped = slot(3, "b".repeat(1_001));
    let (mut daemon, writer) = daemon_support::daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        vec![daemon_support::plan("c", None, false)],
        vec![fits.clone(), long.clone(), capped.clone()],
    );
    daemon.stop_when_done = true;
    daemon::run(daemon, CancellationToken::new()).await.unwrap();
    writer.await.unwrap();

    let sent: Vec<String> = fake.texts().into_iter().map(|(key, _)| key).collect();
    assert_eq!(sent, [fits.key("fake")]);
    let store = Store::open(dir.path()).unwrap();
    let row = store.lookup(&long.key("fake")).unwrap().unwrap();
    let reason = row.reason.unwrap_or_default();
    assert_eq!(row.state, PostState::Failed);
    assert!(
        reason.contains("303 characters on x, over the limit of 280 for `fake`")
            && reason.contains("at least 23"),
        "{reason}"
    );
    let row = store.lookup(&capped.key("fake")).unwrap().unwrap();
    let reason = row.reason.unwrap_or_default();
    assert_eq!(row.state, PostState::Failed);
    assert!(reason.contains("passes 1000 characters"), "{reason}");
}
