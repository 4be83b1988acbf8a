//! Two processes refresh one X account's OAuth 2.0 tokens at once: the
//! daemon (`tweetchat run`, through its writer task) and `tweetchat
//! transcript --refetch` (a connection of its own), both starting from the
//! same stored pair whose access token has expired. The fake X spends a
//! refresh token on first use and refuses it after (as X does), and answers
//! the first refresh two seconds late, so the second process asks while the
//! first one's answer is still on its way. Each process takes the
//! account's refresh lock, reads the stored pair again under it and adopts
//! the other's pair: one refresh in all, no spent token sent, both succeed,
//! and the daemon then posts with the pair that is stored.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use support::fake_x::{FakeX, Fault, Route};
use tokio::process::{Child, Command};
use tweetchat::daemon::accounts::StateTokens;
use tweetchat::platform::x::{StoredTokens, TokenStore};
use tweetchat::settings::Secret;

fn tweetchat(dir: &Path, args: &[&str], log: &str) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command.arg("--config-dir").arg(dir).args(args);
    command
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    let log = std::fs::File::create(dir.join(log)).unwrap();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the binary runs")
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

/// A chat that ended three days ago (for the transcript) and one that
/// starts in a few seconds (for the daemon), both on `main_x`.
fn chats(dir: &Path, soon: Timestamp) {
    let chats = dir.join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    let past = Timestamp::now() - SignedDuration::from_hours(72);
    let chat = |start: Timestamp, tag: &str| {
        format!(
            "title: Refresh\nhashtag: \"#{tag}\"\ntimezone: UTC\nstart: {}\nduration: 4s\n\
             accounts: [main_x]\nannounce: false\nwelcome: \"Welcome to #{tag}\"\n\
             questions:\n  - at: 2s\n    text: Who refreshed?\nwrapup: false\nthanks: false\n",
            start.strftime("%Y-%m-%d %H:%M:%S")
        )
    };
    std::fs::write(chats.join("past.yaml"), chat(past, "pastrefresh")).unwrap();
    std::fs::write(chats.join("soon.yaml"), chat(soon, "soonrefresh")).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_and_a_transcript_refetch_refreshing_at_once_spend_the_refresh_token_once() {
    let fake = FakeX::start().await;
    let client = fake.config().oauth2.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(
        dir.path().join("local.toml"),
        format!(
            "state_dir = {:?}\nchats_dir = {:?}\ndefault_accounts = [\"main_x\"]\n\
             rescan_interval = \"1s\"\n[http]\nlisten = \"\"\n\
             [accounts.main_x]\nplatform = \"x\"\napi_base = {:?}\n\
             client_id = {:?}\nclient_secret = {:?}\n",
            state,
            dir.path().join("chats"),
            fake.base,
            client.client_id,
            client.client_secret.clone().unwrap(),
        ),
    )
    .unwrap();
    let soon = Timestamp::from_second(Timestamp::now().as_second() + 8).unwrap();
    chats(dir.path(), soon);
    // What `auth x` stored a while ago: the access token has expired, the
    // refresh token is the fake's live one.
    StateTokens::open(&state)
        .unwrap()
        .save(
            "main_x",
            &StoredTokens {
                access_token: Secret::new("at-expired-long-ago"),
                refresh_token: Secret::new(client.initial_refresh_token.clone()),
                expires_at: Timestamp::now() - SignedDuration::from_hours(1),
            },
        )
        .unwrap();
    // The first refresh spends the token at once and answers late.
    fake.push_fault(Route::Token, Fault::Delay(Duration::from_secs(2)));

    let mut daemon = tweetchat(dir.path(), &["run"], "daemon.log");
    let mut transcript = tweetchat(
        dir.path(),
        &["transcript", "past", "--refetch"],
        "transcript.log",
    );
    let refetched = tokio::time::timeout(Duration::from_secs(60), transcript.wait())
        .await
        .expect("the transcript command ends")
        .unwrap();

    // The daemon goes on to post the soon chat's welcome and question.
    let mut posted = false;
    for _ in 0..600 {
        if fake.tweets().len() >= 2 || daemon.try_wait().unwrap().is_some() {
            posted = fake.tweets().len() >= 2;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let still_running = daemon.try_wait().unwrap().is_none();
    if let Some(pid) = daemon.id() {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let _ = tokio::time::timeout(Duration::from_secs(15), daemon.wait()).await;
    let logs = format!(
        "daemon:\n{}\ntranscript:\n{}",
        read(dir.path(), "daemon.log"),
        read(dir.path(), "transcript.log")
    );

    assert!(refetched.success(), "{logs}");
    assert!(still_running, "the daemon stopped: {logs}");
    assert!(posted, "posted {:?}\n{logs}", fake.tweets());
    let fake_state = fake.state();
    let tokens = &fake_state.tokens;
    assert_eq!(
        tokens.refused_refreshes, 0,
        "a spent refresh token was sent\n{logs}"
    );
    assert_eq!(
        tokens.refreshes, 1,
        "one process refreshed, the other took its pair\n{logs}"
    );
    let stored = StateTokens::open(&state)
        .unwrap()
        .load("main_x")
        .unwrap()
        .unwrap();
    assert!(
        tokens.refresh.contains(stored.refresh_token.expose()),
        "the stored refresh token is the live one"
    );
    assert!(
        !logs.contains(&client.initial_refresh_token)
            && !logs.contains(stored.refresh_token.expose()),
        "a token in the logs"
    );
    assert!(
        dir.path().join("state/transcripts/past").is_dir(),
        "no transcript written\n{logs}"
    );
}
