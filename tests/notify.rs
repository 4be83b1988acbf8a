//! Accounts checked before each chat, and the `[notify]` webhook: a real
//! loopback listener receives what the daemon sends.
//!
//! The clocks here start at a chosen instant and run in real time (not
//! paused): the webhook goes over real sockets, whose timeouts a paused
//! clock would fire at once.

mod daemon_support;
mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use daemon_support::{Fake, plan, slot, ts};
use jiff::SignedDuration;
use serde_json::Value;
use support::fake_mastodon::{FakeMastodon, Kind};
use support::fake_x::FakeX;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::accounts::{AccountContext, build_accounts};
use tweetchat::daemon::{self, checks};
use tweetchat::http::pages::Pages;
use tweetchat::http::{Health, HttpState, Metrics, serve_with_pages};
use tweetchat::notify::webhook::{self, WebhookPolicy};
use tweetchat::notify::{Event, EventKind, Notifier};
use tweetchat::platform::Platform;
use tweetchat::platform::PostError;
use tweetchat::platform::x::{MemoryTokenStore, XAccount};
use tweetchat::schedule::SlotKind;
use tweetchat::settings::Secret;

/// The token a hook URL carries, as Slack's and Discord's do.
const HOOK_SECRET: &str = "T0KEN-in-the-hook-url-9f3a";

/// What the receiver does with each request.
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    /// Never answers.
    Hang,
}

#[derive(Default)]
struct Received {
    /// Bodies of every request, answered or not.
    requests: Mutex<Vec<Value>>,
    /// Bodies answered 2xx.
    accepted: Mutex<Vec<Value>>,
    script: Mutex<VecDeque<Answer>>,
    hang_all: Mutex<bool>,
    arrived: Notify,
}

impl Received {
    fn accepted(&self) -> Vec<Value> {
        self.accepted.lock().unwrap().clone()
    }
    fn requests(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// A webhook receiver on 127.0.0.1: its URL (with [`HOOK_SECRET`] in the
/// path) and what it received.
async fn receiver(script: Vec<Answer>, hang_all: bool) -> (String, Arc<Received>) {
    let received = Arc::new(Received::default());
    *received.script.lock().unwrap() = script.into();
    *received.hang_all.lock().unwrap() = hang_all;
    async fn hook(State(received): State<Arc<Received>>, body: String) -> StatusCode {
        let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        received.requests.lock().unwrap().push(value.clone());
        received.arrived.notify_waiters();
        let answer = received.script.lock().unwrap().pop_front();
        let answer = match answer {
            Some(answer) => answer,
            None if *received.hang_all.lock().unwrap() => Answer::Hang,
            None => Answer::Status(200),
        };
        match answer {
            Answer::Hang => std::future::pending().await,
            Answer::Status(code) => {
                if (200..300).contains(&code) {
                    received.accepted.lock().unwrap().push(value);
                    received.arrived.notify_waiters();
                }
                StatusCode::from_u16(code).unwrap()
            }
        }
    }
    let app = Router::new()
        .route("/hooks/{*rest}", post(hook))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/hooks/services/{HOOK_SECRET}",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, received)
}

/// Waits (a generous bound against a hang, not a timing check) until
/// `done` holds.
async fn until(received: &Received, done: impl Fn() -> bool) {
    let wait = async {
        loop {
            let arrived = received.arrived.notified();
            if done() {
                return;
            }
            tokio::select! {
                _ = arrived => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .expect("the webhook receiver never got what the test waits for");
}

/// Log lines written while the guard lives (this thread only: the tests
/// run on the current-thread runtime).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
    fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn quick() -> WebhookPolicy {
    WebhookPolicy {
        timeout: Duration::from_secs(5),
        first: Duration::from_millis(50),
        max: Duration::from_millis(200),
        give_up_after: Duration::from_secs(20),
    }
}

/// Settings in `dir` whose one default account, `hcsm_mastodon`, is on
/// the fake `instance`.
fn mastodon_settings(
    dir: &std::path::Path,
    instance: &FakeMastodon,
) -> tweetchat::settings::Settings {
    let mut settings = daemon_support::settings(dir);
    settings.default_accounts = vec!["hcsm_mastodon".into()];
    settings
        .accounts
        .insert("hcsm_mastodon".into(), instance.settings("hcsm_mastodon"));
    settings
}

/// A notifier sending to `url` until `cancel`.
fn notifier(
    url: &str,
    policy: WebhookPolicy,
    clock: &Clock,
    cancel: &CancellationToken,
) -> Notifier {
    tweetchat::tls::init();
    let notifier = Notifier::new(None);
    tokio::spawn(webhook::deliver(
        notifier.clone(),
        Secret::new(url),
        policy,
        clock.clone(),
        None,
        cancel.clone(),
    ));
    notifier
}

#[tokio::test]
async fn an_account_whose_credentials_stop_working_a_day_before_its_chat_is_reported() {
    let logs = Logs::default();
    let _guard = logs.capture();
    // The chat starts Wednesday 2 Dec 18:00 UTC; its day-before check is
    // due three seconds after the clock starts.
    let day_before = ts("2026-12-01T18:00:00Z");
    let clock = Clock::starting_at(day_before - SignedDuration::from_secs(3));
    let cancel = CancellationToken::new();
    let (url, received) = receiver(Vec::new(), false).await;
    let notify = notifier(&url, quick(), &clock, &cancel);
    let metrics = Arc::new(Metrics::default());
    metrics.watch_notify(notify.counters());

    // The real Mastodon adapter, over HTTP, against the fake instance.
    let instance = FakeMastodon::start(Kind::Mastodon).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = mastodon_settings(dir.path(), &instance);
    settings.http.trust_loopback = true;
    let mut context = AccountContext::dry_run(&settings);
    context.clock = clock.clone();
    let accounts = build_accounts(&settings, &context).unwrap();
    let chat = Arc::new(plan("hcsmbm", None, false));
    let (publish, plans) = tokio::sync::watch::channel(Arc::new(Vec::new()));
    tokio::spawn(checks::run(
        checks::Checks {
            accounts,
            default_accounts: settings.default_accounts.clone(),
            clock: clock.clone(),
            metrics: Some(Arc::clone(&metrics)),
            notify: notify.clone(),
            plans,
        },
        cancel.clone(),
    ));
    // The operator pages, served as the daemon serves them.
    let mut pages = Pages::new(&settings, publish.subscribe(), clock.clone());
    pages.metrics = Some(Arc::clone(&metrics));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let http = HttpState {
        metrics: Arc::clone(&metrics),
        health: Arc::new(Health::new(Duration::from_secs(60))),
        clock: clock.clone(),
    };
    tokio::spawn(serve_with_pages(
        listener,
        http,
        Some(Arc::new(pages)),
        cancel.clone(),
    ));

    // Loaded: the start-up check passes.
    publish.send_replace(Arc::new(vec![Arc::clone(&chat)]));
    let started = async {
        while metrics
            .accounts()
            .get("hcsm_mastodon")
            .and_then(|h| h.checked_at)
            .is_none()
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), started)
        .await
        .unwrap();
    let health = &metrics.accounts()["hcsm_mastodon"];
    assert!(health.up, "{health:?}");
    assert_eq!(health.posts_as.as_deref(), Some("@hcsm"));
    assert_eq!(verify_credentials(&instance), 1);

    // Then the owner revokes the token, before the day-before check.
    instance.revoke();
    until(&received, || notify.counters().sent() == 1).await;
    assert_eq!(verify_credentials(&instance), 2, "the check asked again");

    let event = &received.accepted()[0];
    assert_eq!(event["event"], "account_failing");
    assert_eq!(event["chat"], "hcsmbm");
    assert_eq!(event["account"], "hcsm_mastodon");
    assert_eq!(event["key"], "hcsmbm/2026-12-02T18:00");
    assert_eq!(event["at"], "2026-12-01T18:00:00Z");
    let message = event["message"].as_str().unwrap();
    assert!(
        message.contains("`hcsm_mastodon` failed its check a day before chat hcsmbm"),
        "{message}"
    );
    assert!(
        message.contains("not authorized") && message.contains("The access token was revoked"),
        "{message}"
    );
    assert_eq!(
        event["fix"],
        "fix its credentials in [accounts.hcsm_mastodon]"
    );
    assert!(
        event["text"]
            .as_str()
            .unwrap()
            .starts_with("tweetchat: account `hcsm_mastodon` failed")
    );
    assert_eq!(event["text"], event["content"]);

    // The log: an error naming the chat, the account and the fix.
    let log = logs.text();
    let line = log
        .lines()
        .find(|l| l.contains("ERROR") && l.contains("failed its check a day before"))
        .unwrap_or_else(|| panic!("no error line in:\n{log}"));
    assert!(
        line.contains("chat=hcsmbm") && line.contains("hcsm_mastodon"),
        "{line}"
    );
    assert!(
        line.contains("fix: fix its credentials in [accounts.hcsm_mastodon]"),
        "{line}"
    );

    // The metrics: down, checked at the day-before instant.
    let text = metrics.render(clock.now());
    assert!(
        text.contains("tweetchat_account_up{account=\"hcsm_mastodon\"} 0\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "tweetchat_account_checked_seconds{{account=\"hcsm_mastodon\"}} {}\n",
            day_before.as_second()
        )),
        "{text}"
    );
    assert!(text.contains("tweetchat_notify_sent_total 1\n"), "{text}");

    // The operator pages: down, with the reason and the fix.
    let client = reqwest::Client::new();
    for path in ["/operator", "/operator/chats/hcsmbm"] {
        let page = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let page = page.text().await.unwrap();
        assert!(page.contains("Accounts"), "{path}: {page}");
        assert!(page.contains(">down<"), "{path}: {page}");
        assert!(
            page.contains("The access token was revoked"),
            "{path}: {page}"
        );
        assert!(
            page.contains("fix its credentials in [accounts.hcsm_mastodon]"),
            "{path}: {page}"
        );
        assert!(page.contains("2026-12-01T18:00:00Z"), "{path}: {page}");
    }
    assert_eq!(received.requests(), 1);
    cancel.cancel();
}

#[tokio::test]
async fn a_chat_added_while_running_is_checked_when_loaded() {
    // Days before either chat's day-before check.
    let clock = Clock::starting_at(ts("2026-11-27T09:00:00Z"));
    let cancel = CancellationToken::new();
    let (url, received) = receiver(Vec::new(), false).await;
    let notify = notifier(&url, quick(), &clock, &cancel);
    let instance = FakeMastodon::start(Kind::Mastodon).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = mastodon_settings(dir.path(), &instance);
    let mut context = AccountContext::dry_run(&settings);
    context.clock = clock.clone();
    let (publish, plans) = tokio::sync::watch::channel(Arc::new(Vec::new()));
    tokio::spawn(checks::run(
        checks::Checks {
            accounts: build_accounts(&settings, &context).unwrap(),
            default_accounts: settings.default_accounts.clone(),
            clock: clock.clone(),
            metrics: None,
            notify: notify.clone(),
            plans,
        },
        cancel.clone(),
    ));
    let first = Arc::new(plan("hcsmbm", None, false));
    publish.send_replace(Arc::new(vec![Arc::clone(&first)]));
    let checked_once = async {
        while verify_credentials(&instance) < 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), checked_once)
        .await
        .unwrap();

    // A second chat's file appears after the token was revoked.
    instance.revoke();
    let added = Arc::new(plan("rarediseaseday", None, false));
    publish.send_replace(Arc::new(vec![first, added]));
    until(&received, || notify.counters().sent() == 1).await;
    let event = &received.accepted()[0];
    assert_eq!(event["chat"], "rarediseaseday");
    let message = event["message"].as_str().unwrap();
    assert!(
        message.contains("failed its check on loading, before chat rarediseaseday"),
        "{message}"
    );
    // Only the new chat was checked (the first one would have been
    // reported first): one more request, one event.
    assert_eq!(verify_credentials(&instance), 2);
    assert_eq!(received.requests(), 1);
    cancel.cancel();
}

/// `verify_credentials` requests the fake instance received.
fn verify_credentials(instance: &FakeMastodon) -> usize {
    instance
        .state()
        .requests
        .iter()
        .filter(|(_, path)| path.starts_with("/api/v1/accounts/verify_credentials"))
        .count()
}

#[tokio::test]
async fn an_x_app_that_may_only_read_fails_its_check_with_the_fix() {
    let fake = FakeX::start().await;
    let clock = Clock::system(Duration::from_secs(1));
    let account = XAccount::new(
        &fake.oauth1_settings("main_x"),
        Arc::new(MemoryTokenStore::new()),
        clock,
    )
    .unwrap();
    // Read and write: passes, as who it posts as.
    let me = account.check().await.unwrap();
    assert!(!me.username.is_empty());
    // Left at "Read" in the developer portal: every read passes, the
    // check does not.
    fake.state().access_level = "read".into();
    let err = account.check().await.unwrap_err();
    assert!(matches!(err, PostError::Unauthorized(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("x-access-level: read"), "{text}");
    assert!(text.contains("\"Read and write\""), "{text}");
    assert!(text.contains("[accounts.main_x]"), "{text}");
    // whoami (the start-up's question) is not the check: it still answers.
    assert!(account.whoami().await.is_ok());
}

/// A chat whose welcome the platform refuses for good and whose Q1
/// follows `q1_after_ms` later, on a daemon that reports to `notify` and
/// stops when the chat is done.
struct WelcomeRefused {
    daemon: daemon::Daemon,
    writer: tokio::task::JoinHandle<()>,
    fake: Arc<Fake>,
    q1: tweetchat::schedule::Slot,
    welcome_key: String,
}

impl WelcomeRefused {
    fn new(
        dir: &std::path::Path,
        clock: &Clock,
        notify: &Notifier,
        start: jiff::Timestamp,
        q1_after_ms: i64,
        refusal: &str,
    ) -> WelcomeRefused {
        let fake = Fake::new(clock.clone());
        let welcome = slot(
            "hcsmbm",
            start,
            SlotKind::Welcome,
            None,
            SignedDuration::ZERO,
        );
        let q1 = slot(
            "hcsmbm",
            start,
            SlotKind::Question,
            Some(1),
            SignedDuration::from_millis(q1_after_ms),
        );
        let welcome_key = welcome.key("fake");
        fake.fail_next(&welcome_key, vec![PostError::Rejected(refusal.into())]);
        let (mut daemon, writer) = daemon_support::daemon(
            dir,
            clock.clone(),
            fake.clone(),
            vec![plan("hcsmbm", None, false)],
            vec![welcome, q1.clone()],
        );
        daemon.stop_when_done = true;
        daemon.notify = notify.clone();
        WelcomeRefused {
            daemon,
            writer,
            fake,
            q1,
            welcome_key,
        }
    }
}

#[tokio::test]
async fn a_failed_post_sends_one_webhook() {
    let start = ts("2026-12-02T18:00:00Z");
    let clock = Clock::starting_at(start - SignedDuration::from_millis(300));
    let cancel = CancellationToken::new();
    let (url, received) = receiver(Vec::new(), false).await;
    let notify = notifier(&url, quick(), &clock, &cancel);
    let dir = tempfile::tempdir().unwrap();
    let WelcomeRefused {
        daemon: d,
        writer,
        fake,
        welcome_key: failing,
        ..
    } = WelcomeRefused::new(
        dir.path(),
        &clock,
        &notify,
        start,
        200,
        "403 this account may not post",
    );
    daemon::run(d, CancellationToken::new()).await.unwrap();
    writer.await.unwrap();
    assert_eq!(fake.posts().len(), 1, "Q1 still went out");
    until(&received, || {
        received.accepted().len() == 1 && notify.queued() == 0
    })
    .await;
    let accepted = received.accepted();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0]["event"], "post_failed");
    assert_eq!(accepted[0]["key"], failing.as_str());
    assert_eq!(accepted[0]["account"], "fake");
    assert!(
        accepted[0]["message"]
            .as_str()
            .unwrap()
            .contains("403 this account may not post"),
        "{accepted:?}"
    );
    assert_eq!(received.requests(), 1);
    cancel.cancel();
}

#[tokio::test]
async fn a_receiver_answering_500_then_200_gets_the_event_once() {
    let clock = Clock::system(Duration::from_secs(1));
    let cancel = CancellationToken::new();
    let (url, received) = receiver(vec![Answer::Status(500)], false).await;
    let notify = notifier(&url, quick(), &clock, &cancel);
    let event = Event::new(
        EventKind::PostFailed,
        clock.now(),
        "question1 was not posted",
    )
    .chat("hcsmbm")
    .account("fake")
    .key("hcsmbm/2026-12-02T12:00/question1/fake");
    assert!(notify.send(event.clone()));
    // The same event again is not queued twice.
    assert!(!notify.send(event));
    until(&received, || notify.counters().sent() == 1).await;
    assert_eq!(received.requests(), 2, "one 500, then the retry");
    assert_eq!(received.accepted().len(), 1);
    assert_eq!(notify.counters().failed(), 0);
    cancel.cancel();
}

#[tokio::test]
async fn a_hanging_receiver_does_not_delay_a_post() {
    let start = ts("2026-12-02T18:00:00Z");
    let clock = Clock::starting_at(start - SignedDuration::from_millis(300));
    let cancel = CancellationToken::new();
    let (url, received) = receiver(Vec::new(), true).await;
    let policy = WebhookPolicy {
        timeout: Duration::from_secs(600),
        ..quick()
    };
    let notify = notifier(&url, policy, &clock, &cancel);
    let dir = tempfile::tempdir().unwrap();
    let WelcomeRefused {
        daemon: d,
        writer,
        fake,
        q1,
        ..
    } = WelcomeRefused::new(dir.path(), &clock, &notify, start, 300, "refused");
    // A bound against a hang, not a timing check: were the post path to
    // wait for the webhook, the daemon would never finish.
    tokio::time::timeout(
        Duration::from_secs(120),
        daemon::run(d, CancellationToken::new()),
    )
    .await
    .expect("the daemon waited for the hanging webhook")
    .unwrap();
    writer.await.unwrap();
    // Q1 went out and was recorded while the webhook request still hangs.
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].0, q1.key("fake"));
    until(&received, || received.requests() == 1).await;
    assert!(received.accepted().is_empty());
    assert_eq!(notify.counters().sent(), 0);
    cancel.cancel();
}

#[tokio::test]
async fn the_webhook_url_never_appears_in_logs_or_errors() {
    let logs = Logs::default();
    let _guard = logs.capture();
    let clock = Clock::system(Duration::from_secs(1));
    let cancel = CancellationToken::new();
    // Refused: nothing listens there.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused_url = format!(
        "http://{}/hooks/services/{HOOK_SECRET}?token={HOOK_SECRET}",
        gone.local_addr().unwrap()
    );
    drop(gone);
    let policy = WebhookPolicy {
        give_up_after: Duration::from_millis(300),
        ..quick()
    };
    let refused = notifier(&refused_url, policy, &clock, &cancel);
    refused.send(Event::new(EventKind::PostSkipped, clock.now(), "skipped").key("k1"));
    // Answered 404: the hook was deleted; given up at once.
    let (url, received) = receiver(vec![Answer::Status(404)], false).await;
    let deleted = notifier(&url, policy, &clock, &cancel);
    deleted.send(Event::new(EventKind::PostSkipped, clock.now(), "skipped").key("k2"));
    let given_up = async {
        while refused.counters().failed() + deleted.counters().failed() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), given_up)
        .await
        .unwrap();
    assert_eq!(received.requests(), 1, "a 404 is not tried again");
    let log = logs.text();
    assert!(log.contains("did not take the post_skipped event"), "{log}");
    assert!(log.contains("404"), "{log}");
    assert!(!log.contains(HOOK_SECRET), "{log}");

    // Settings: never echoed, in errors or in the effective settings.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("local.toml"),
        format!("[notify]\nurl = \"ftp://hooks.example.org/{HOOK_SECRET}\"\n"),
    )
    .unwrap();
    let err = tweetchat::settings::Settings::load(dir.path())
        .expect_err("an ftp:// hook is refused")
        .to_string();
    assert!(err.contains("[notify] url"), "{err}");
    assert!(!err.contains(HOOK_SECRET), "{err}");
    std::fs::write(
        dir.path().join("local.toml"),
        format!("[notify]\nurl = \"{url}\"\nevents = [\"post_failed\", \"account_failing\"]\n"),
    )
    .unwrap();
    let settings = tweetchat::settings::Settings::load(dir.path()).unwrap();
    assert!(settings.notify.url.is_some());
    let shown = settings.to_string();
    assert!(shown.contains("[notify]\nurl = \"***\""), "{shown}");
    assert!(!shown.contains(HOOK_SECRET), "{shown}");
    assert!(!format!("{settings:?}").contains(HOOK_SECRET));
    cancel.cancel();
}

/// Three replicas on one PostgreSQL see the same failing account (each runs
/// its own checks): the person on call gets one message. Each replica
/// claims the event in the database first; the two whose claim did not
/// take count it as sent elsewhere. A different event still goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_database_send_each_event_once() {
    use support::postgres::Postgres;
    use tweetchat::store::PgStore;

    let Some(pg) = Postgres::get() else { return };
    let db = pg.database().await;
    tweetchat::tls::init();
    let (url, received) = receiver(Vec::new(), false).await;
    let clock = Clock::system(Duration::from_secs(1));
    let cancel = CancellationToken::new();
    let mut replicas = Vec::new();
    for name in ["a", "b", "c"] {
        let store = Arc::new(PgStore::connect(&db, None, name).await.unwrap());
        let notifier = Notifier::new(None);
        tokio::spawn(webhook::deliver(
            notifier.clone(),
            Secret::new(&url),
            quick(),
            clock.clone(),
            Some(store),
            cancel.clone(),
        ));
        replicas.push(notifier);
    }
    let failing = |chat: &str| {
        Event::new(
            EventKind::AccountFailing,
            clock.now(),
            "account `main_x` cannot post: credentials refused",
        )
        .chat(chat)
        .account("main_x")
        .key(format!("{chat}/2026-12-02T12:00"))
    };
    for notifier in &replicas {
        notifier.send(failing("hcsmbm"));
    }
    let counted = || {
        replicas
            .iter()
            .map(|n| n.counters().sent() + n.counters().elsewhere())
            .sum::<u64>()
    };
    until(&received, || counted() == 3).await;
    replicas[1].send(failing("edchat"));
    until(&received, || received.accepted.lock().unwrap().len() == 2).await;
    cancel.cancel();
    let accepted = received.accepted.lock().unwrap().clone();
    let chats: Vec<_> = accepted.iter().map(|e| e["chat"].clone()).collect();
    assert_eq!(chats, ["hcsmbm", "edchat"], "{accepted:?}");
    let elsewhere: u64 = replicas.iter().map(|n| n.counters().elsewhere()).sum();
    assert_eq!(elsewhere, 2);
}
