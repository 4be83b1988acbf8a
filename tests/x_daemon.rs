//! The daemon on X accounts against the fake X on loopback: the start-up
//! account check, threads whose replies X refuses, quota metrics, and (as a
//! process) whole chats posted on time, exactly once, through a 5xx storm
//! and a kill -9.

mod daemon_support;
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use support::fake_x::{FakeX, Fault, Route};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::accounts::verify_accounts;
use tweetchat::daemon::{self, Chats, Daemon, FixedSlots};
use tweetchat::http::Metrics;
use tweetchat::platform::Platform;
use tweetchat::platform::x::{MemoryTokenStore, XAccount};
use tweetchat::schedule::SlotKind;
use tweetchat::settings::Secret;
use tweetchat::store::{SharedStore, Store};

fn x_account(settings: &tweetchat::settings::AccountSettings) -> Arc<dyn Platform> {
    let clock = Clock::system(Duration::from_secs(5));
    Arc::new(XAccount::new(settings, Arc::new(MemoryTokenStore::new()), clock).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_stop_the_start_and_name_the_account() {
    let fake = FakeX::start().await;
    let mut wrong = fake.oauth1_settings("bad_x");
    wrong
        .secrets
        .insert("consumer_secret".into(), Secret::new("not-the-secret"));
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("main_x".into(), x_account(&fake.oauth1_settings("main_x")));
    verify_accounts(&accounts).await.unwrap();
    assert_eq!(fake.state().requests.len(), 1, "one GET /2/users/me");

    accounts.insert("bad_x".into(), x_account(&wrong));
    let err = verify_accounts(&accounts).await.unwrap_err().to_string();
    assert!(err.starts_with("not starting"), "{err}");
    assert!(
        err.contains("account `bad_x` (x): not authorized: X rejected the credentials (401"),
        "{err}"
    );
    assert!(err.contains("tweetchat auth x --account bad_x"), "{err}");
    assert!(
        !err.contains("main_x") && !err.contains("not-the-secret"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_platform_only_warns_at_start() {
    let mut settings = FakeX::start().await.oauth1_settings("main_x");
    // Nothing listens on the discard port.
    settings.api_base = Some("http://127.0.0.1:9".into());
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("main_x".into(), x_account(&settings));
    verify_accounts(&accounts).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_reply_goes_out_standalone_and_the_quota_is_exported() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::system(Duration::from_secs(1));
    let start = clock.now() + SignedDuration::from_millis(500);
    let welcome = daemon_support::slot("c", start, SlotKind::Welcome, None, SignedDuration::ZERO);
    let q1 = daemon_support::slot(
        "c",
        start,
        SlotKind::Question,
        Some(1),
        SignedDuration::from_secs(2),
    );
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("main_x".into(), x_account(&fake.oauth1_settings("main_x")));
    let (store, writer) = SharedStore::spawn(Store::open(dir.path()).unwrap());
    let mut settings = daemon_support::settings(dir.path());
    settings.default_accounts = vec!["main_x".into()];
    let plan = daemon_support::plan("c", None, true);
    let mut daemon = Daemon::new(
        &settings,
        clock.clone(),
        store,
        accounts,
        Chats::fixed(vec![plan]),
    );
    daemon.timeline = Arc::new(FixedSlots(vec![welcome.clone(), q1.clone()]));
    let metrics = Arc::new(Metrics::default());
    daemon.metrics = Some(metrics.clone());
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));

    // X refuses the question as a reply to the welcome.
    while fake.tweets().is_empty() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fake.push_fault(Route::CreateTweet, Fault::ReplyRefused);
    while fake.tweets().len() < 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    let tweets = fake.tweets();
    assert_eq!(tweets[0].sent_text, welcome.text);
    assert_eq!(tweets[0].reply_to, None);
    assert_eq!(tweets[1].sent_text, q1.text);
    assert_eq!(
        tweets[1].reply_to, None,
        "posted standalone after the refusal"
    );
    let creates = fake
        .state()
        .requests
        .iter()
        .filter(|(method, path, _)| method == "POST" && path == "/2/tweets")
        .count();
    assert_eq!(creates, 3, "welcome, refused reply, standalone question");
    assert!(tweets[1].created_at >= q1.at);

    let rendered = metrics.render(Timestamp::now());
    assert!(
        rendered.contains("tweetchat_platform_quota_remaining{account=\"main_x\"} 97"),
        "{rendered}"
    );
    assert!(
        rendered.contains("tweetchat_platform_quota_limit{account=\"main_x\"} 100"),
        "{rendered}"
    );
}
