//! `tweetchat auth x` run as a process against the fake X: the operator
//! opens the printed address (the fake approves it like X's consent page),
//! and the code comes back pasted on stdin or through the loopback callback.
//! The fake checks the PKCE verifier against the challenge, the redirect URI
//! and the client's Basic auth before it issues tokens.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use support::fake_x::FakeX;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use tweetchat::clock::Clock;
use tweetchat::daemon::accounts::StateTokens;
use tweetchat::platform::x::oauth2::ClientCredentials;
use tweetchat::platform::x::{TokenStore, XAccount, pkce};
use tweetchat::platform::{OutgoingPost, Platform};

/// A config folder with one OAuth 2.0 X account (client id and secret, no
/// refresh token yet) pointing at `fake`.
fn config(dir: &Path, fake: &FakeX) {
    let local = format!(
        "state_dir = {:?}\nchats_dir = {:?}\n[http]\nlisten = \"\"\n\
         [accounts.main_x]\nplatform = \"x\"\napi_base = {:?}\n\
         client_id = \"fake-client-id\"\nclient_secret = \"fake-client-secret\"\n",
        dir.join("state"),
        dir.join("chats"),
        fake.base
    );
    std::fs::write(dir.join("local.toml"), local).unwrap();
}

fn tweetchat(dir: &Path, args: &[&str]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg(dir)
        .args(["auth", "x"])
        .args(args);
    command.env_remove("TWEETCHAT_CONFIG_DIR");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary runs")
}

/// Reads stdout until the authorization address.
async fn authorization_url(lines: &mut Lines<BufReader<ChildStdout>>) -> String {
    loop {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the address is printed in time")
            .unwrap()
            .expect("the address is printed before stdout closes");
        if line.starts_with("https://x.com/i/oauth2/authorize?") {
            return line;
        }
    }
}

/// Waits for the process; (success, rest of stdout, stderr).
async fn finish(
    mut child: Child,
    mut lines: Lines<BufReader<ChildStdout>>,
) -> (bool, String, String) {
    let mut out = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        out.push_str(&line);
        out.push('\n');
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the command ends")
        .unwrap();
    (status.success(), out, err)
}

/// reqwest is built without a default TLS provider.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn stored(dir: &Path) -> Option<tweetchat::platform::x::StoredTokens> {
    StateTokens::open(&dir.join("state"))
        .unwrap()
        .load("main_x")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pasted_address_ends_with_stored_tokens_that_post() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &fake);
    let mut child = tweetchat(dir.path(), &["--no-browser-callback"]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = authorization_url(&mut lines).await;
    assert!(url.contains("scope=tweet.read%20tweet.write%20users.read%20offline.access"));
    let back = fake.approve(&url).unwrap();
    assert!(
        back.starts_with("http://127.0.0.1:8765/callback?state="),
        "{back}"
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{back}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let (ok, out, err) = finish(child, lines).await;
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("`main_x` posts as @hcsm_host (HCSM Host, user id 2244994945)"),
        "{out}"
    );
    assert_eq!(fake.state().tokens.exchanges, 1);

    // What the daemon will do: build the account from the state database
    // (no refresh token in the settings) and post with the stored token.
    let tokens = stored(dir.path()).expect("tokens stored under the account");
    assert!(
        fake.state()
            .tokens
            .access
            .contains_key(tokens.access_token.expose())
    );
    assert!(
        fake.state()
            .tokens
            .refresh
            .contains(tokens.refresh_token.expose())
    );
    let mut settings = fake.oauth2_settings("main_x");
    settings.secrets.remove("refresh_token");
    let store: Arc<dyn TokenStore> =
        Arc::new(StateTokens::open(&dir.path().join("state")).unwrap());
    let x = XAccount::new(&settings, store, Clock::system(Duration::from_secs(5))).unwrap();
    let post = OutgoingPost {
        key: "k",
        text: "Q1. Hello #hcsmbm",
        reply_to: None,
        thread_root: None,
        due: jiff::Timestamp::now(),
        window_end: jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10),
        audience: &tweetchat::platform::Audience::DEFAULT,
    };
    x.post(&post).await.unwrap();
    assert_eq!(fake.tweets().len(), 1);
    assert_eq!(
        fake.state().tokens.refreshes,
        0,
        "the stored access token was used"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_loopback_callback_takes_the_code_from_the_browser() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &fake);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let mut child = tweetchat(
        dir.path(),
        &["--account", "main_x", "--redirect-uri", &redirect],
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = authorization_url(&mut lines).await;
    let back = fake.approve(&url).unwrap();
    // The browser follows X's redirect.
    let page = http().get(&back).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("You can close this tab")
    );
    let (ok, out, err) = finish(child, lines).await;
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("posts as @hcsm_host"), "{out}");
    assert!(stored(dir.path()).is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_from_another_attempt_is_refused_before_any_exchange() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    config(dir.path(), &fake);
    let mut child = tweetchat(dir.path(), &["--no-browser-callback"]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = authorization_url(&mut lines).await;
    let back = fake.approve(&url).unwrap();
    let (before, code) = back.split_once("&code=").unwrap();
    let forged = format!("{}x&code={code}\n", before);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(forged.as_bytes()).await.unwrap();
    drop(stdin);
    let (ok, _, err) = finish(child, lines).await;
    assert!(!ok);
    assert!(err.contains("`state` does not match"), "{err}");
    assert_eq!(fake.state().tokens.exchanges, 0);
    assert!(stored(dir.path()).is_none());
}

#[tokio::test]
async fn the_fake_redeems_a_code_only_with_its_verifier() {
    let fake = FakeX::start().await;
    let auth = pkce::authorization("fake-client-id", "http://127.0.0.1:8765/callback");
    let back = fake.approve(&auth.url).unwrap();
    let code = back.split("&code=").nth(1).unwrap();
    let client = ClientCredentials {
        client_id: "fake-client-id".into(),
        client_secret: Some(tweetchat::settings::Secret::new("fake-client-secret")),
        token_url: format!("{}/2/oauth2/token", fake.base),
    };
    let http = http();
    let now = jiff::Timestamp::now();
    let redirect = "http://127.0.0.1:8765/callback";
    let err = pkce::exchange(&http, &client, code, &pkce::verifier(), redirect, now)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("X refused the authorization code"),
        "{err}"
    );
    assert!(
        err.to_string().contains("did not match the code challenge"),
        "{err}"
    );
    // The failed attempt used the code up, as X does.
    let again = pkce::exchange(&http, &client, code, &auth.verifier, redirect, now).await;
    assert!(again.is_err());
    let fresh = fake.approve(&auth.url).unwrap();
    let code = fresh.split("&code=").nth(1).unwrap();
    let tokens = pkce::exchange(&http, &client, code, &auth.verifier, redirect, now)
        .await
        .unwrap();
    assert_eq!(tokens.expires_at, now + jiff::SignedDuration::from_hours(2));
}

/// Another process (`auth x`, `transcript --refetch`) refreshes the
/// account's token pair while the daemon holds the old one in memory: the
/// daemon reads the stored pair again before refreshing, so it never
/// replays the spent refresh token.
#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_by_a_second_process_never_leaves_the_daemon_with_a_spent_token() {
    let fake = FakeX::start().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let settings = fake.oauth2_settings("main_x");
    let clock = Clock::system(Duration::from_secs(5));
    let post = |key: &'static str| OutgoingPost {
        key,
        text: key,
        reply_to: None,
        thread_root: None,
        due: jiff::Timestamp::now(),
        window_end: jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10),
        audience: &tweetchat::platform::Audience::DEFAULT,
    };
    // The daemon: refreshes once (from the settings' token) and stores it.
    let daemon_store: Arc<dyn TokenStore> = Arc::new(StateTokens::open(&state).unwrap());
    let daemon = XAccount::new(&settings, daemon_store, clock.clone()).unwrap();
    daemon.post(&post("Q1. one #x")).await.unwrap();
    assert_eq!(fake.state().tokens.refreshes, 1);

    // A second process, on its own connection, finds the access token dead
    // and refreshes: the daemon's refresh token in memory is now spent.
    fake.expire_access_tokens();
    let other_store: Arc<dyn TokenStore> = Arc::new(StateTokens::open(&state).unwrap());
    let other = XAccount::new(&settings, other_store, clock.clone()).unwrap();
    other.post(&post("Q2. two #x")).await.unwrap();
    assert_eq!(fake.state().tokens.refreshes, 2);

    // The daemon's next post gets a 401 for its old access token, reads the
    // stored pair, and uses it without another refresh.
    daemon.post(&post("Q3. three #x")).await.unwrap();
    assert_eq!(fake.tweets().len(), 3);
    assert_eq!(
        fake.state().tokens.refreshes,
        2,
        "the stored pair was taken, not refreshed again"
    );
    assert_eq!(
        fake.state().tokens.refused_refreshes,
        0,
        "no spent token replayed"
    );
    let stored = stored(dir.path()).unwrap();
    assert!(
        fake.state()
            .tokens
            .refresh
            .contains(stored.refresh_token.expose())
    );
}
