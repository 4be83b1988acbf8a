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
use support::fake_x_auth::Caller;
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

/// A config folder, a chats folder with one fast chat starting a few
/// seconds from now, and the fake X the account points at.
struct Chat {
    dir: tempfile::TempDir,
    /// (text, instant) of every post, from `tweetchat plan`.
    posts: Vec<(String, Timestamp)>,
}

impl Chat {
    /// Two chats, `fasta` and `fastb` a second later, each with a welcome,
    /// Q1 at +2 s and the wrap-up at +4 s: a post every second.
    fn new(fake: &FakeX, thread: bool) -> Chat {
        let dir = tempfile::tempdir().unwrap();
        let local = format!(
            "state_dir = {:?}\nchats_dir = {:?}\ndefault_accounts = [\"main_x\"]\n\
             [http]\nlisten = \"\"\n\
             [accounts.main_x]\nplatform = \"x\"\napi_base = {:?}\ntimeout = \"3s\"\n\
             consumer_key = \"fake-consumer-key\"\nconsumer_secret = \"fake-consumer-secret\"\n\
             access_token = \"2244994945-fake-access-token\"\n\
             access_token_secret = \"fake-access-token-secret\"\n",
            dir.path().join("state"),
            dir.path().join("chats"),
            fake.base
        );
        std::fs::write(dir.path().join("local.toml"), local).unwrap();
        let now = Timestamp::now();
        let start = Timestamp::from_second(now.as_second() + 4).unwrap();
        // Two chats a second apart: the plan rules keep one chat's questions
        // in different minutes, and a test has no minutes to spare.
        std::fs::create_dir_all(dir.path().join("chats")).unwrap();
        for (id, offset) in [("fasta", 0), ("fastb", 1)] {
            let at = start + SignedDuration::from_secs(offset);
            let chat = format!(
                "title: Fast Chat {id}\nhashtag: \"#{id}\"\ntimezone: UTC\nstart: {}\n\
                 duration: 4s\nthread: {thread}\nannounce: false\n\
                 welcome: \"Welcome to {{title}}! {{hashtag}}\"\n\
                 questions:\n  - at: 2s\n    text: What brought you here?\n\
                 wrapup: \"That's a wrap! {{hashtag}}\"\nthanks: false\n",
                at.strftime("%Y-%m-%d %H:%M:%S")
            );
            std::fs::write(dir.path().join(format!("chats/{id}.yaml")), chat).unwrap();
        }
        let posts = planned(dir.path(), start);
        assert_eq!(posts.len(), 6, "welcome, a question and a wrap-up, twice");
        Chat { dir, posts }
    }

    fn start(&self) -> tokio::process::Child {
        let log = |name: &str| std::fs::File::create(self.dir.path().join(name)).unwrap();
        tweetchat(self.dir.path())
            .arg("run")
            .stdout(log("stdout.log"))
            .stderr(log("stderr.log"))
            .kill_on_drop(true)
            .spawn()
            .expect("the daemon starts")
    }

    fn logs(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}", read("stdout.log"), read("stderr.log"))
    }
}

fn tweetchat(dir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command.arg("--config-dir").arg(dir);
    command
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command
}

/// What `tweetchat plan` says goes out around `start`.
fn planned(dir: &std::path::Path, start: Timestamp) -> Vec<(String, Timestamp)> {
    let from = start - SignedDuration::from_mins(1);
    let until = start + SignedDuration::from_mins(1);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(dir)
        .args([
            "plan",
            "--format",
            "json",
            "--from",
            &from.to_string(),
            "--until",
            &until.to_string(),
        ])
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    items
        .iter()
        .map(|p| {
            (
                p["text"].as_str().unwrap().to_string(),
                p["at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// Waits (up to `limit`) until every planned text is on the fake.
async fn until_all_posted(fake: &FakeX, chat: &Chat, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let tweets = fake.tweets();
        if chat
            .posts
            .iter()
            .all(|(text, _)| tweets.iter().any(|t| &t.sent_text == text))
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not everything was posted; on the fake: {:?}\nlogs:\n{}",
            tweets.iter().map(|t| &t.sent_text).collect::<Vec<_>>(),
            chat.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every planned text was created exactly once, signed, and nothing else.
fn assert_exactly_once(fake: &FakeX, chat: &Chat) {
    let state = fake.state();
    for (text, _) in &chat.posts {
        assert_eq!(
            state.creates.get(text),
            Some(&1),
            "{text}\nlogs:\n{}",
            chat.logs()
        );
    }
    assert_eq!(state.tweets.len(), chat.posts.len());
    assert!(
        state
            .requests
            .iter()
            .all(|(_, _, caller)| caller == &Some(Caller::OAuth1)),
        "every request carried a valid OAuth 1.0a signature"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_chat_arrives_on_time_signed_and_exactly_once() {
    for thread in [false, true] {
        let fake = FakeX::start().await;
        let chat = Chat::new(&fake, thread);
        let mut daemon = chat.start();
        if thread {
            // Both welcomes are out: X refuses the next reply (fasta's Q1).
            while fake.tweets().len() < 2 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            fake.push_fault(Route::CreateTweet, Fault::ReplyRefused);
        }
        until_all_posted(&fake, &chat, Duration::from_secs(20)).await;
        // A moment more: nothing else may arrive.
        tokio::time::sleep(Duration::from_millis(500)).await;
        daemon.start_kill().unwrap();
        daemon.wait().await.unwrap();

        assert_exactly_once(&fake, &chat);
        let tweets = fake.tweets();
        for (text, at) in &chat.posts {
            let tweet = tweets.iter().find(|t| &t.sent_text == text).unwrap();
            let late = tweet.created_at.duration_since(*at);
            assert!(
                !late.is_negative() && late < SignedDuration::from_secs(2),
                "{text}: due {at}, arrived {} ({late:#} late)",
                tweet.created_at
            );
        }
        for tweet in &tweets {
            let hashtag = tweet.sent_text.split_whitespace().last().unwrap();
            let welcome = tweets
                .iter()
                .find(|t| t.sent_text.starts_with("Welcome") && t.sent_text.ends_with(hashtag))
                .unwrap();
            let refused = tweet.sent_text.starts_with("Q1.") && hashtag == "#fasta";
            let expected =
                (thread && tweet.id != welcome.id && !refused).then(|| welcome.id.clone());
            assert_eq!(
                tweet.reply_to, expected,
                "thread: {thread}: {}",
                tweet.sent_text
            );
        }
        let logs = chat.logs();
        assert!(logs.contains("posts as @hcsm_host"), "{logs}");
        assert_eq!(
            logs.contains("posting it standalone instead"),
            thread,
            "the refused reply is logged\n{logs}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_during_a_5xx_storm_loses_nothing_and_duplicates_nothing() {
    let fake = FakeX::start().await;
    let chat = Chat::new(&fake, false);
    // The welcome meets three 503s, then X accepts it but answers slowly:
    // the daemon dies with the post in flight and its outcome unknown.
    fake.push_faults(Route::CreateTweet, Fault::Status(503), 3);
    fake.push_fault(Route::CreateTweet, Fault::Delay(Duration::from_secs(5)));
    let mut daemon = chat.start();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(25);
    while fake.tweets().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "logs:\n{}",
            chat.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    daemon.start_kill().unwrap(); // SIGKILL
    daemon.wait().await.unwrap();
    let first_run = chat.logs();

    let mut daemon = chat.start();
    until_all_posted(&fake, &chat, Duration::from_secs(25)).await;
    assert!(
        chat.logs()
            .contains("found on the platform, posted by an earlier run or another replica"),
        "the in-flight welcome was reconciled, not sent again:\n{}",
        chat.logs()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();

    assert_exactly_once(&fake, &chat);
    let tweets = fake.tweets();
    for (text, at) in &chat.posts {
        let tweet = tweets.iter().find(|t| &t.sent_text == text).unwrap();
        assert!(tweet.created_at >= *at, "{text} went out before {at}");
    }
    // In order within each chat (chats have queues of their own, so two
    // chats' welcomes may leave in either order), nothing skipped.
    for tag in ["#fasta", "#fastb"] {
        let created: Vec<&str> = tweets
            .iter()
            .map(|t| t.sent_text.as_str())
            .filter(|t| t.ends_with(tag))
            .collect();
        let planned: Vec<&str> = chat
            .posts
            .iter()
            .map(|(t, _)| t.as_str())
            .filter(|t| t.ends_with(tag))
            .collect();
        assert_eq!(created, planned, "in order, nothing skipped\n{first_run}");
    }
    assert_eq!(tweets.len(), chat.posts.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_fail_the_start_before_any_slot() {
    let fake = FakeX::start().await;
    let chat = Chat::new(&fake, false);
    let local = chat.dir.path().join("local.toml");
    let settings = std::fs::read_to_string(&local)
        .unwrap()
        .replace("fake-consumer-secret", "a-revoked-secret");
    std::fs::write(&local, settings).unwrap();
    let mut daemon = chat.start();
    let status = tokio::time::timeout(Duration::from_secs(10), daemon.wait())
        .await
        .expect("the daemon gives up at once")
        .unwrap();
    assert_eq!(status.code(), Some(3), "{}", chat.logs());
    let logs = chat.logs();
    assert!(
        logs.contains("account `main_x` (x): not authorized: X rejected the credentials (401"),
        "{logs}"
    );
    assert!(!logs.contains("a-revoked-secret"), "{logs}");
    assert!(fake.tweets().is_empty());
}

/// `tweetchat auth x --no-browser-callback` in `dir`, approved on the fake.
async fn authorize(fake: &FakeX, dir: &std::path::Path) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut child = tweetchat(dir)
        .args(["auth", "x", "--no-browser-callback"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the address is printed");
        if line.starts_with("https://x.com/i/oauth2/authorize?") {
            break line;
        }
    };
    let back = fake.approve(&url).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{back}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    while lines.next_line().await.unwrap().is_some() {}
    assert!(child.wait().await.unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_authorized_with_auth_x_posts_and_keeps_its_rotated_token() {
    let fake = FakeX::start().await;
    let chat = Chat::new(&fake, false);
    let local = chat.dir.path().join("local.toml");
    let oauth1 = std::fs::read_to_string(&local).unwrap();
    let keys_at = oauth1.find("consumer_key").unwrap();
    let oauth2 = format!(
        "{}client_id = \"fake-client-id\"\nclient_secret = \"fake-client-secret\"\n",
        &oauth1[..keys_at]
    );
    std::fs::write(&local, oauth2).unwrap();
    authorize(&fake, chat.dir.path()).await;
    // The first post finds the access token expired: the daemon refreshes,
    // stores the rotated pair, then posts.
    fake.expire_access_tokens();

    let mut daemon = chat.start();
    until_all_posted(&fake, &chat, Duration::from_secs(20)).await;
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();

    let state = fake.state();
    assert_eq!((state.tokens.exchanges, state.tokens.refreshes), (1, 1));
    assert!(
        state
            .requests
            .iter()
            .all(|(_, _, caller)| matches!(caller, Some(Caller::Bearer(_)))),
        "every request carried a Bearer token"
    );
    let stored =
        tweetchat::daemon::accounts::StateTokens::open(&chat.dir.path().join("state")).unwrap();
    let stored = tweetchat::platform::x::TokenStore::load(&stored, "main_x")
        .unwrap()
        .unwrap();
    assert!(
        state.tokens.refresh.contains(stored.refresh_token.expose()),
        "the state database holds the live refresh token"
    );
}
