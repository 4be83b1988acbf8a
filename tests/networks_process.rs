//! One chat on several networks at once, as a process: X (the fake X on
//! loopback), Mastodon (the fake Mastodon, keeping Idempotency-Keys as
//! Mastodon does) and Bluesky (the real PDS). X answers 503s for a while,
//! the daemon is killed with SIGKILL mid-chat and restarted; every slot is
//! exactly once on each network, on time, and X's outage never delays
//! Mastodon or Bluesky.

mod support;

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use support::fake_mastodon::{self, FakeMastodon};
use support::fake_x::{FakeX, Fault, Route};
use support::pds::Pds;

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

fn start(dir: &std::path::Path) -> tokio::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("daemon.log"))
        .unwrap();
    tweetchat(dir)
        .arg("run")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_chat_on_x_mastodon_and_bluesky_through_an_outage_and_a_kill() {
    let Some(pds) = Pds::get() else { return };
    let host = pds.account("multi").await;
    let fake = FakeX::start().await;
    let mastodon = FakeMastodon::start(fake_mastodon::Kind::Mastodon).await;
    let dir = tempfile::tempdir().unwrap();
    let local = format!(
        "state_dir = {:?}\nchats_dir = {:?}\ndefault_accounts = [\"main_x\", \"host_masto\", \"host_bsky\"]\n\
         [http]\nlisten = \"\"\n\
         [accounts.main_x]\nplatform = \"x\"\napi_base = {:?}\ntimeout = \"3s\"\n\
         consumer_key = \"fake-consumer-key\"\nconsumer_secret = \"fake-consumer-secret\"\n\
         access_token = \"2244994945-fake-access-token\"\n\
         access_token_secret = \"fake-access-token-secret\"\n\
         [accounts.host_masto]\nplatform = \"mastodon\"\napi_base = {:?}\n\
         access_token = {:?}\ntimeout = \"3s\"\n\
         [accounts.host_bsky]\nplatform = \"bluesky\"\napi_base = {:?}\nhandle = {:?}\n\
         app_password = {:?}\ntimeout = \"3s\"\n",
        dir.path().join("state"),
        dir.path().join("chats"),
        fake.base,
        mastodon.base,
        fake_mastodon::TOKEN,
        pds.url,
        host.handle,
        host.app_password,
    );
    std::fs::write(dir.path().join("local.toml"), local).unwrap();
    let start_at = Timestamp::from_second(Timestamp::now().as_second() + 5).unwrap();
    std::fs::create_dir_all(dir.path().join("chats")).unwrap();
    let tag = format!("multi{}", std::process::id() % 100_000);
    let chat = format!(
        "title: Everywhere\nhashtag: \"#{tag}\"\ntimezone: UTC\nstart: {}\nduration: 10s\n\
         thread: true\nannounce: false\nwelcome: \"Welcome to {{title}}! {{hashtag}}\"\n\
         questions:\n  - at: 8s\n    text: Where do you post?\n\
         wrapup: \"That's a wrap! {{hashtag}}\"\nthanks: false\n",
        start_at.strftime("%Y-%m-%d %H:%M:%S")
    );
    std::fs::write(dir.path().join("chats/everywhere.yaml"), chat).unwrap();
    let expected = [
        (format!("Welcome to Everywhere! #{tag}"), 0),
        (format!("Q1. Where do you post? #{tag}"), 8),
        (format!("That's a wrap! #{tag}"), 10),
    ];
    // X is down for the welcome's first three attempts: 503 after 503. The
    // fourth (backoff 0.5-1 s, 1-2 s, 2-4 s: at most 7 s in) comes before
    // Q1 is due at 8 s; a post still failing when the chat's next one is
    // due would give way to it.
    fake.push_faults(Route::CreateTweet, Fault::Status(503), 3);

    let mut daemon = start(dir.path());
    let logs = || std::fs::read_to_string(dir.path().join("daemon.log")).unwrap_or_default();
    // Kill -9 once Q1 is on Bluesky.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while pds.posts(&host.did).await.len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "{}", logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();
    let mut daemon = start(dir.path());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while pds.posts(&host.did).await.len() < 3
        || fake.tweets().len() < 3
        || mastodon.posts().len() < 3
    {
        assert!(tokio::time::Instant::now() < deadline, "{}", logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();
    let logs = logs();

    let records = pds.posts(&host.did).await;
    let tweets = fake.tweets();
    let toots = mastodon.posts();
    assert_eq!(records.len(), 3, "{logs}");
    assert_eq!(tweets.len(), 3, "{logs}");
    assert_eq!(toots.len(), 3, "{logs}");
    assert!(
        mastodon.state().spec_problems.is_empty(),
        "{:?}",
        mastodon.state().spec_problems
    );
    for (text, offset) in &expected {
        let due = start_at + SignedDuration::from_secs(*offset);
        let on_bluesky: Vec<&Value> = records
            .iter()
            .filter(|r| r["value"]["text"] == text.as_str())
            .collect();
        assert_eq!(on_bluesky.len(), 1, "{text}\n{logs}");
        let created: Timestamp = on_bluesky[0]["value"]["createdAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let late = created.duration_since(due);
        // Bluesky is on time although X is failing beside it.
        assert!(
            !late.is_negative() && late < SignedDuration::from_secs(3),
            "bluesky {text}: {late:#} late"
        );
        // Mastodon too, with the thread: Q1 and the wrap-up reply to the
        // welcome there.
        let on_mastodon: Vec<_> = toots.iter().filter(|t| &t.text == text).collect();
        assert_eq!(on_mastodon.len(), 1, "{text}\n{logs}");
        let late = on_mastodon[0].created_at.duration_since(due);
        assert!(
            !late.is_negative() && late < SignedDuration::from_secs(3),
            "mastodon {text}: {late:#} late"
        );
        let welcome_id = toots
            .iter()
            .find(|t| t.text == expected[0].0)
            .map(|t| t.id.to_string());
        if *offset > 0 {
            assert_eq!(on_mastodon[0].in_reply_to_id, welcome_id, "{text}");
        }
        let on_x: Vec<_> = tweets.iter().filter(|t| &t.sent_text == text).collect();
        assert_eq!(on_x.len(), 1, "{text}\n{logs}");
        assert!(on_x[0].created_at >= due, "x {text} early");
        // X's posts arrive once X is back, inside the grace window.
        assert!(
            on_x[0].created_at.duration_since(due) < SignedDuration::from_secs(60),
            "x {text}"
        );
    }
}
