//! `tweetchat run` as a process against the fake Mastodon: a bad token
//! stops the start with exit 3; a post left in doubt (the server made it,
//! then the daemon was killed before the answer) is posted exactly once
//! after the restart, on a server that keeps Idempotency-Keys (Mastodon)
//! and on one that ignores them (GoToSocial); 5xx are retried.

mod support;

use std::time::Duration;

use jiff::Timestamp;
use support::fake_mastodon::{FakeMastodon, Fault, Kind, Route, TOKEN};

/// A config folder and one fast chat a few seconds from now: the welcome,
/// Q1 at +2 s and the wrap-up at +4 s.
struct Chat {
    dir: tempfile::TempDir,
    texts: Vec<String>,
}

impl Chat {
    fn new(fake: &FakeMastodon, token: &str) -> Chat {
        Chat::spaced(fake, token, 2)
    }

    /// Q1 `question_at` seconds after the welcome, the wrap-up two after.
    fn spaced(fake: &FakeMastodon, token: &str, question_at: u32) -> Chat {
        let dir = tempfile::tempdir().unwrap();
        let local = format!(
            "state_dir = {:?}\nchats_dir = {:?}\ndefault_accounts = [\"hcsm_mastodon\"]\n\
             [http]\nlisten = \"\"\n\
             [accounts.hcsm_mastodon]\nplatform = \"mastodon\"\napi_base = {:?}\ntimeout = \"2s\"\n\
             access_token = {token:?}\n",
            dir.path().join("state"),
            dir.path().join("chats"),
            fake.base
        );
        std::fs::write(dir.path().join("local.toml"), local).unwrap();
        let start = Timestamp::from_second(Timestamp::now().as_second() + 4).unwrap();
        std::fs::create_dir_all(dir.path().join("chats")).unwrap();
        let chat = format!(
            "title: Fast Chat\nhashtag: \"#fastm\"\ntimezone: UTC\nstart: {}\n\
             duration: {}s\nannounce: false\nvisibility: unlisted\nlanguage: en\n\
             welcome: \"Welcome to {{title}}! {{hashtag}}\"\n\
             questions:\n  - at: {question_at}s\n    text: What brought you here?\n\
             wrapup: \"That's a wrap! {{hashtag}}\"\nthanks: false\n",
            start.strftime("%Y-%m-%d %H:%M:%S"),
            question_at + 2
        );
        std::fs::write(dir.path().join("chats/fastm.yaml"), chat).unwrap();
        let texts = vec![
            "Welcome to Fast Chat! #fastm".to_string(),
            "Q1. What brought you here? #fastm".to_string(),
            "That's a wrap! #fastm".to_string(),
        ];
        Chat { dir, texts }
    }

    fn start(&self) -> tokio::process::Child {
        let log = |name: &str| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.path().join(name))
                .unwrap()
        };
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"));
        command.arg("--config-dir").arg(self.dir.path()).arg("run");
        command
            .env_remove("TWEETCHAT_CONFIG_DIR")
            .env_remove("RUST_LOG");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TWEETCHAT__") {
                command.env_remove(key);
            }
        }
        command
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

async fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

fn texts(fake: &FakeMastodon) -> Vec<String> {
    fake.posts().into_iter().map(|s| s.text).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_stops_the_start_with_what_to_fix() {
    let fake = FakeMastodon::start(Kind::Mastodon).await;
    let chat = Chat::new(&fake, "a-revoked-token");
    let mut daemon = chat.start();
    let status = tokio::time::timeout(Duration::from_secs(10), daemon.wait())
        .await
        .expect("the daemon gives up at once")
        .unwrap();
    let logs = chat.logs();
    assert_eq!(status.code(), Some(3), "{logs}");
    assert!(
        logs.contains("account `hcsm_mastodon` (mastodon): not authorized: the instance refused the access token"),
        "{logs}"
    );
    assert!(logs.contains("write:statuses"), "{logs}");
    assert!(!logs.contains("a-revoked-token"), "{logs}");
    assert!(fake.posts().is_empty());
}

/// The welcome is made by the server, then the daemon dies before the
/// answer; after the restart every post is there exactly once, in order.
async fn in_doubt_post_is_posted_once(kind: Kind) {
    let fake = FakeMastodon::start(kind).await;
    fake.push_fault(Route::Create, Fault::AcceptThenHang);
    if kind == Kind::Mastodon {
        // The account's timeline does not show it yet, so only the
        // Idempotency-Key keeps the retry from posting it again.
        fake.push_fault(Route::AccountStatuses, Fault::Empty);
    }
    let chat = Chat::new(&fake, TOKEN);
    let mut daemon = chat.start();
    assert!(
        wait_until(Duration::from_secs(15), || fake.posts().len() == 1).await,
        "the welcome reaches the server\n{}",
        chat.logs()
    );
    // Kill -9 while the answer is still outstanding.
    tokio::time::sleep(Duration::from_millis(300)).await;
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();
    let mut again = chat.start();
    let all = wait_until(Duration::from_secs(20), || fake.posts().len() >= 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    again.start_kill().unwrap();
    let _ = again.wait().await;
    assert!(all, "{:?}\n{}", texts(&fake), chat.logs());
    assert_eq!(
        texts(&fake),
        chat.texts,
        "each once, in order\n{}",
        chat.logs()
    );
    let posts = fake.posts();
    assert!(
        posts
            .iter()
            .all(|p| p.visibility == "unlisted" && p.language.as_deref() == Some("en"))
    );
    let state = fake.state();
    assert!(state.spec_problems.is_empty(), "{:#?}", state.spec_problems);
    let keys: Vec<&Option<String>> = state.creates.iter().collect();
    assert!(
        keys.iter().all(|k| k.is_some()),
        "every create carries an Idempotency-Key"
    );
    if kind == Kind::Mastodon {
        assert_eq!(
            state.creates.len(),
            4,
            "the welcome was sent twice with one key"
        );
        assert_eq!(state.creates[0], state.creates[1]);
    } else {
        assert_eq!(
            state.creates.len(),
            3,
            "found on the timeline, not sent again"
        );
        assert!(
            state
                .requests
                .iter()
                .any(|(_, path)| path.contains("/statuses?exclude_reblogs=true")),
            "reconciled through the account's statuses"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_in_doubt_post_is_posted_once_on_mastodon() {
    in_doubt_post_is_posted_once(Kind::Mastodon).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_in_doubt_post_is_posted_once_on_gotosocial() {
    in_doubt_post_is_posted_once(Kind::GoToSocial).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_and_a_422_is_recorded_with_the_instance_text() {
    let fake = FakeMastodon::start(Kind::GoToSocial).await;
    fake.push_faults(Route::Create, Fault::Status(503), 2);
    // Time for two retries before Q1 is due: a post still failing when the
    // chat's next one is due gives way to it.
    let chat = Chat::spaced(&fake, TOKEN, 6);
    // The third post (the wrap-up) is refused for good.
    let mut daemon = chat.start();
    assert!(
        wait_until(Duration::from_secs(20), || !fake.posts().is_empty()).await,
        "{}",
        chat.logs()
    );
    fake.push_fault(
        Route::Create,
        Fault::Unprocessable("Validation failed: Text contains a forbidden word".into()),
    );
    fake.push_fault(
        Route::Create,
        Fault::Unprocessable("Validation failed: Text contains a forbidden word".into()),
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    daemon.start_kill().unwrap();
    let _ = daemon.wait().await;
    assert_eq!(
        texts(&fake)[0],
        chat.texts[0],
        "posted after two 503s\n{}",
        chat.logs()
    );
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(chat.dir.path())
        .arg("status")
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(
        shown.contains("Validation failed: Text contains a forbidden word"),
        "{shown}\n{}",
        chat.logs()
    );
}
