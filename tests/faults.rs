//! Faults on the wire: the daemon against the fake X API on loopback, which
//! answers scripted 5xx, slow answers, broken connections, 429 with a reset,
//! 401 and duplicate-content refusals. For each, the slot ends up posted
//! exactly once (counted on the fake) within its grace window, or recorded in
//! the state database as failed with the reason.
//!
//! Real sockets need real time (paused time would fire the client's timeout
//! while the fake is still answering), so the slots are due a moment from
//! now and the retry backoff and grace windows are short. Nothing here
//! asserts how fast anything was; the waits only bound a hung test.

mod daemon_support;
mod support;

use std::sync::Arc;
use std::time::Duration;

use daemon_support::{plan, settings, slot};
use jiff::{SignedDuration, Timestamp};
use support::fake_x::{FakeX, Fault, Route};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, Chats, Daemon, FixedSlots, RetryPolicy};
use tweetchat::platform::Platform;
use tweetchat::platform::x::{MemoryTokenStore, TokenStore, XAccount};
use tweetchat::schedule::{Slot, SlotKind};
use tweetchat::settings::AccountSettings;
use tweetchat::store::{PostRecord, PostState, SharedStore, Store};

/// The account name every test posts as.
const ACCOUNT: &str = "main_x";

/// How the daemon under test is set up.
struct Setup {
    /// Per-request timeout of the X client.
    timeout: Duration,
    /// Grace window of questions.
    grace: Duration,
    oauth2: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            grace: Duration::from_secs(20),
            oauth2: false,
        }
    }
}

/// One question due a moment from now.
fn question(chat: &str) -> Slot {
    let start = Timestamp::now() + SignedDuration::from_millis(300);
    slot(
        chat,
        start,
        SlotKind::Question,
        Some(1),
        SignedDuration::ZERO,
    )
}

/// Runs a daemon posting `slot` as [`ACCOUNT`] to `fake` until the slot's
/// key is no longer in `intent` (or 30 s pass), then shuts it down and
/// returns the key's row.
async fn run_slot(fake: &FakeX, slot: Slot, setup: Setup) -> PostRecord {
    let dir = tempfile::tempdir().unwrap();
    let mut account = account_settings(fake, setup.oauth2);
    account.timeout = setup.timeout;
    let tokens: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let clock = Clock::system(Duration::from_secs(1));
    let x = XAccount::new(&account, tokens, clock.clone()).unwrap();
    let mut settings = settings(dir.path());
    settings.grace.question = setup.grace;
    let (store, writer) = SharedStore::spawn(Store::open(dir.path()).unwrap());
    let accounts = [(ACCOUNT.to_string(), Arc::new(x) as Arc<dyn Platform>)].into();
    let plan = plan(&slot.chat, Some(&[ACCOUNT]), false);
    let key = slot.key(ACCOUNT);
    let mut daemon = Daemon::new(&settings, clock, store, accounts, Chats::fixed(vec![plan]));
    daemon.timeline = Arc::new(FixedSlots(vec![slot]));
    daemon.retry = RetryPolicy {
        base: Duration::from_millis(50),
        max: Duration::from_millis(400),
        ..RetryPolicy::default()
    };
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));
    let reader = Store::open(dir.path()).unwrap();
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match reader.lookup(&key).unwrap() {
            Some(row) if row.state != PostState::Intent => break,
            _ => {}
        }
    }
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();
    reader.lookup(&key).unwrap().expect("the slot was claimed")
}

fn account_settings(fake: &FakeX, oauth2: bool) -> AccountSettings {
    if oauth2 {
        fake.oauth2_settings(ACCOUNT)
    } else {
        fake.oauth1_settings(ACCOUNT)
    }
}

/// How many tweets with exactly `text` the fake accepted.
fn copies(fake: &FakeX, text: &str) -> usize {
    fake.tweets().iter().filter(|t| t.sent_text == text).count()
}

/// How many create requests reached the fake past authentication.
fn create_requests(fake: &FakeX) -> usize {
    fake.state()
        .requests
        .iter()
        .filter(|(method, path, _)| method == "POST" && path == "/2/tweets")
        .count()
}

fn assert_posted_once(fake: &FakeX, slot: &Slot, row: &PostRecord) {
    assert_eq!(row.state, PostState::Posted, "{row:?}");
    assert_eq!(copies(fake, &slot.text), 1, "{:?}", fake.tweets());
    let tweet = fake
        .tweets()
        .into_iter()
        .find(|t| t.sent_text == slot.text)
        .unwrap();
    assert_eq!(row.remote.as_ref().map(|r| r.id.as_str()), Some(&*tweet.id));
    let grace = SignedDuration::try_from(Setup::default().grace).unwrap();
    assert!(tweet.created_at >= slot.at, "posted before it was due");
    assert!(
        tweet.created_at <= slot.at + grace,
        "posted after its grace"
    );
}

fn assert_failed_because(row: &PostRecord, why: &str) {
    assert_eq!(row.state, PostState::Failed, "{row:?}");
    let reason = row.reason.as_deref().unwrap_or_default();
    assert!(reason.contains(why), "reason {reason:?} lacks {why:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_the_post_goes_out_once() {
    for code in [500, 502, 503] {
        let fake = FakeX::start().await;
        fake.push_faults(Route::CreateTweet, Fault::Status(code), 2);
        let slot = question(&format!("status{code}"));
        let row = run_slot(&fake, slot.clone(), Setup::default()).await;
        assert_posted_once(&fake, &slot, &row);
        assert_eq!(create_requests(&fake), 3, "two {code}s, then the post");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_past_the_grace_window_are_recorded_as_failed() {
    let fake = FakeX::start().await;
    fake.push_faults(Route::CreateTweet, Fault::Status(503), 1000);
    let slot = question("storm");
    let setup = Setup {
        grace: Duration::from_secs(2),
        ..Setup::default()
    };
    let row = run_slot(&fake, slot.clone(), setup).await;
    assert_failed_because(&row, "grace window");
    assert_failed_because(&row, "503");
    assert_eq!(copies(&fake, &slot.text), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_slower_than_the_timeout_is_found_and_not_posted_again() {
    let fake = FakeX::start().await;
    // X takes the post but answers after the client gave up.
    fake.push_fault(Route::CreateTweet, Fault::Delay(Duration::from_secs(3)));
    let slot = question("slow");
    let setup = Setup {
        timeout: Duration::from_secs(1),
        ..Setup::default()
    };
    let row = run_slot(&fake, slot.clone(), setup).await;
    assert_posted_once(&fake, &slot, &row);
    assert_eq!(create_requests(&fake), 1, "reconciled, not sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reset_before_the_post_is_retried() {
    let fake = FakeX::start().await;
    fake.push_fault(Route::CreateTweet, Fault::Drop);
    let slot = question("reset");
    let row = run_slot(&fake, slot.clone(), Setup::default()).await;
    assert_posted_once(&fake, &slot, &row);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reset_after_the_post_is_reconciled_not_reposted() {
    let fake = FakeX::start().await;
    fake.push_fault(Route::CreateTweet, Fault::AcceptThenDrop);
    let slot = question("resetafter");
    let row = run_slot(&fake, slot.clone(), Setup::default()).await;
    assert_posted_once(&fake, &slot, &row);
    assert_eq!(create_requests(&fake), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_waits_for_the_reset_then_posts_once() {
    let fake = FakeX::start().await;
    let reset = Timestamp::now().as_second() + 2;
    fake.push_fault(Route::CreateTweet, Fault::RateLimited { reset });
    let slot = question("limited");
    let row = run_slot(&fake, slot.clone(), Setup::default()).await;
    assert_posted_once(&fake, &slot, &row);
    let tweet = &fake.tweets()[0];
    assert!(
        tweet.created_at.as_second() >= reset,
        "retried at {} before the reset at {reset}",
        tweet.created_at
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_resetting_after_the_grace_window_fails_with_the_reason() {
    let fake = FakeX::start().await;
    let reset = Timestamp::now().as_second() + 3600;
    fake.push_fault(Route::CreateTweet, Fault::RateLimited { reset });
    let slot = question("limitedlong");
    let row = run_slot(&fake, slot.clone(), Setup::default()).await;
    assert_failed_because(&row, "rate limited");
    assert_failed_because(&row, "grace window");
    assert_eq!(copies(&fake, &slot.text), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_refreshes_the_oauth2_token_once_and_posts_once() {
    let fake = FakeX::start().await;
    fake.push_fault(Route::CreateTweet, Fault::Unauthorized);
    let slot = question("refresh");
    let setup = Setup {
        oauth2: true,
        ..Setup::default()
    };
    let row = run_slot(&fake, slot.clone(), setup).await;
    assert_posted_once(&fake, &slot, &row);
    // One refresh at start-up (no token yet), one after the 401.
    assert_eq!(fake.state().tokens.refreshes, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_after_the_refresh_fails_with_the_reason() {
    let fake = FakeX::start().await;
    fake.push_faults(Route::CreateTweet, Fault::Unauthorized, 2);
    let slot = question("revoked");
    let setup = Setup {
        oauth2: true,
        ..Setup::default()
    };
    let row = run_slot(&fake, slot.clone(), setup).await;
    assert_failed_because(&row, "not authorized");
    assert_eq!(copies(&fake, &slot.text), 0);
    assert_eq!(
        create_requests(&fake),
        2,
        "one refresh, not retried blindly"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_refusal_with_no_earlier_post_fails_with_the_reason() {
    let fake = FakeX::start().await;
    fake.push_fault(Route::CreateTweet, Fault::Duplicate);
    let slot = question("dup");
    let row = run_slot(&fake, slot.clone(), Setup::default()).await;
    assert_failed_because(&row, "duplicate content");
    assert_eq!(copies(&fake, &slot.text), 0);
    assert_eq!(create_requests(&fake), 1, "a refusal is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_refusal_of_our_own_earlier_post_is_recorded_as_posted() {
    let fake = FakeX::start().await;
    // The first attempt goes out but its answer is lost and the timeline
    // lookup after it fails too, so the retry is sent and refused by X's
    // duplicate check: the post found then is ours.
    fake.push_fault(Route::CreateTweet, Fault::Delay(Duration::from_secs(3)));
    fake.push_fault(Route::UserTweets, Fault::Status(503));
    let slot = question("dupown");
    let setup = Setup {
        timeout: Duration::from_secs(1),
        ..Setup::default()
    };
    let row = run_slot(&fake, slot.clone(), setup).await;
    assert_posted_once(&fake, &slot, &row);
    assert_eq!(create_requests(&fake), 2, "the retry was refused");
}
