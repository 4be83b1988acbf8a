//! The thanks slot end to end on the X adapter against the fake X API on
//! loopback: a real paginated recent search (with retweets, the host's own
//! post and unicode display names), the parts posted as a thread, and the
//! fallback when X refuses the mentions.
//!
//! Real time: the fake checks search windows against the wall clock, so the
//! chat is placed so that its thanks slot fell due ten minutes ago and is
//! still inside its grace window when the daemon starts.

mod support;
mod thanks_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use support::fake_x::{FakeX, Fault, Route};
use support::fake_x_data::{FakeUser, SearchPost};
use thanks_support::settings;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, Chats, Daemon};
use tweetchat::platform::Platform;
use tweetchat::platform::x::{MemoryTokenStore, XAccount};
use tweetchat::store::{SharedStore, Store};
use tweetchat::text::split::{ThanksLayout, split_mentions};
use tweetchat::text::{PlatformKind, count};

const PEOPLE: usize = 250;

/// The start of a chat whose thanks slot (end + 10m) was due 10 minutes
/// ago, to the minute.
fn recent_start() -> Timestamp {
    let start = Timestamp::now() - SignedDuration::from_mins(80);
    Timestamp::from_second(start.as_second() / 60 * 60).unwrap()
}

/// 250 people answering (three pages of search), each retweeted once, plus
/// the host's own post; returns the handles in order of first post.
fn seed(fake: &FakeX, start: Timestamp) -> Vec<String> {
    let host = fake.config().user.clone();
    let retweeter = FakeUser::new("777", "rt_bot", "RT Bot");
    let mut posts = vec![SearchPost::new(
        10,
        &host,
        "Q1. What matters? #hcsmbm",
        start + SignedDuration::from_mins(5),
    )];
    let mut handles = Vec::new();
    for i in 0..PEOPLE {
        let user = FakeUser::new(
            &format!("{}", 5000 + i),
            &format!("user_{i}"),
            &format!("Ünïcode {i} 🌷"),
        );
        let at = start - SignedDuration::from_mins(4) + SignedDuration::from_secs(15 * i as i64);
        let id = 100_000 + 2 * i as u64;
        posts.push(SearchPost::new(
            id,
            &user,
            &format!("A1 hi from {i} #hcsmbm"),
            at,
        ));
        posts.push(
            SearchPost::new(id + 1, &retweeter, &format!("RT @user_{i}: A1 #hcsmbm"), at)
                .referencing("retweeted", &id.to_string()),
        );
        handles.push(format!("@user_{i}"));
    }
    fake.seed_search(posts);
    handles
}

/// Runs the daemon on the fake's account `main_x` until every slot of the
/// chat is handled.
async fn run(fake: &FakeX, state_dir: &std::path::Path, start: Timestamp) {
    let clock = Clock::system(Duration::from_secs(60));
    let local = start
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    let plan = thanks_support::plan_with(&local, "main_x", "");
    let x = XAccount::new(
        &fake.oauth1_settings("main_x"),
        Arc::new(MemoryTokenStore::new()),
        clock.clone(),
    )
    .unwrap();
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("main_x".into(), Arc::new(x));
    let (shared, writer) = SharedStore::spawn(Store::open(state_dir).unwrap());
    let mut daemon = Daemon::new(
        &settings(state_dir),
        clock,
        shared,
        accounts,
        Chats::fixed(vec![plan]),
    );
    daemon.stop_when_done = true;
    tokio::time::timeout(
        Duration::from_secs(60),
        daemon::run(daemon, CancellationToken::new()),
    )
    .await
    .expect("the daemon handles the chat within a minute")
    .unwrap();
    writer.await.unwrap();
}

#[tokio::test]
async fn every_participant_found_on_x_is_thanked_once_in_a_thread() {
    let fake = FakeX::start().await;
    let start = recent_start();
    let handles = seed(&fake, start);
    let dir = tempfile::tempdir().unwrap();
    run(&fake, dir.path(), start).await;

    let tweets = fake.tweets();
    let mentioned: Vec<&str> = tweets
        .iter()
        .flat_map(|t| t.sent_text.split_whitespace())
        .filter(|w| w.starts_with('@'))
        .collect();
    assert_eq!(mentioned, handles, "everyone once, in order of first post");
    let layout = ThanksLayout {
        template: "Thank you so much to everyone who joined #hcsmbm today: {mentions}",
        hashtag: "#hcsmbm",
        platform: PlatformKind::X,
        limit: 280,
        url_length: 23,
    };
    assert_eq!(
        tweets.len(),
        split_mentions(&layout, &handles).unwrap().len()
    );
    assert!(tweets.len() > 1);
    assert_eq!(tweets[0].reply_to, None);
    for tweet in &tweets {
        assert!(
            count(PlatformKind::X, &tweet.sent_text) <= 280,
            "{}",
            tweet.sent_text
        );
    }
    for tweet in &tweets[1..] {
        assert_eq!(tweet.reply_to.as_deref(), Some(tweets[0].id.as_str()));
    }
    let date = start.to_zoned(TimeZone::UTC).date();
    let html = dir.path().join(format!("transcripts/hcsmbm/{date}.html"));
    assert!(html.is_file(), "{}", html.display());
}

#[tokio::test]
async fn x_refusing_the_mentions_gets_a_thank_you_that_counts_the_people() {
    let fake = FakeX::start().await;
    let start = recent_start();
    seed(&fake, start);
    fake.push_fault(Route::CreateTweet, Fault::MentionsRefused);
    let dir = tempfile::tempdir().unwrap();
    run(&fake, dir.path(), start).await;

    let tweets = fake.tweets();
    assert_eq!(
        tweets.len(),
        1,
        "{:?}",
        tweets.iter().map(|t| &t.sent_text).collect::<Vec<_>>()
    );
    assert_eq!(
        tweets[0].sent_text,
        format!("Thank you to all {PEOPLE} people who joined #hcsmbm today!")
    );
}

#[tokio::test]
async fn x_refusing_the_search_gets_the_generic_thank_you() {
    let fake = FakeX::start().await;
    let start = recent_start();
    seed(&fake, start);
    fake.push_fault(Route::Search, Fault::ClientNotEnrolled);
    let dir = tempfile::tempdir().unwrap();
    run(&fake, dir.path(), start).await;

    let texts: Vec<String> = fake.tweets().into_iter().map(|t| t.sent_text).collect();
    assert_eq!(texts, ["Thank you to everyone who joined #hcsmbm today!"]);
}
