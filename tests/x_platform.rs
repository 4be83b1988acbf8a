//! The X adapter against a fake X API on loopback: auth both ways, every
//! refusal X answers, reconciliation and hashtag search.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use support::fake_x::{FakeX, Fault, Route};
use support::fake_x_auth::Caller;
use support::fake_x_data::{FakeUser, SearchPost, tweet_create_schema};
use tweetchat::clock::Clock;
use tweetchat::platform::x::{MemoryTokenStore, StoredTokens, TokenStore, XAccount, oauth1};
use tweetchat::platform::{OutgoingPost, Platform, PostError, RemotePost};
use tweetchat::settings::{AccountSettings, Secret};

fn clock() -> Clock {
    Clock::system(Duration::from_secs(60))
}

fn account(settings: &AccountSettings) -> XAccount {
    XAccount::new(settings, Arc::new(MemoryTokenStore::new()), clock()).unwrap()
}

fn with_store(settings: &AccountSettings, store: Arc<dyn TokenStore>) -> XAccount {
    XAccount::new(settings, store, clock()).unwrap()
}

fn outgoing<'a>(text: &'a str, reply_to: Option<&'a RemotePost>) -> OutgoingPost<'a> {
    OutgoingPost {
        key: "hcsmbm/2026-12-02T12:00/question/1/main_x",
        text,
        reply_to,
        thread_root: reply_to,
        due: Timestamp::now(),
        window_end: Timestamp::now() + jiff::SignedDuration::from_mins(10),
        audience: &tweetchat::platform::Audience::DEFAULT,
    }
}

#[test]
fn rfc5849_worked_example() {
    let params: Vec<(String, String)> = [
        ("file", "vacation.jpg"),
        ("size", "original"),
        ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
        ("oauth_token", "nnch734d00sl2jdk"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "137131202"),
        ("oauth_nonce", "chapoH"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let base = oauth1::base_string("GET", "http://photos.example.net/photos", &params);
    assert_eq!(
        oauth1::sign(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
        "MdpQcU8iPSUjWoN/UDMsK2sui9I="
    );
}

#[tokio::test]
async fn oauth1_account_posts_and_replies_with_valid_signatures() {
    let fake = FakeX::start().await;
    let x = account(&fake.oauth1_settings("main_x"));
    let me = x.whoami().await.unwrap();
    assert_eq!(me.username, "hcsm_host");

    let welcome = x
        .post(&outgoing("Welcome to #hcsmbm!", None))
        .await
        .unwrap();
    assert_eq!(
        welcome.url.as_deref(),
        Some(format!("https://x.com/hcsm_host/status/{}", welcome.id).as_str())
    );
    let q1 = x
        .post(&outgoing("Q1. What helps? #hcsmbm", Some(&welcome)))
        .await
        .unwrap();

    let tweets = fake.tweets();
    assert_eq!(tweets.len(), 2);
    assert_eq!(tweets[0].sent_text, "Welcome to #hcsmbm!");
    assert_eq!(tweets[1].id, q1.id);
    assert_eq!(tweets[1].reply_to.as_deref(), Some(welcome.id.as_str()));
    let state = fake.state();
    assert!(state.requests.iter().all(|r| r.2 == Some(Caller::OAuth1)));
    assert_eq!(state.requests.len(), 3);
}

#[tokio::test]
async fn request_bodies_match_the_openapi_schema() {
    let fake = FakeX::start().await;
    if !fake.has_schema() {
        support::skip::skip(
            "the X OpenAPI spec (../shared/peers/x-api-v2-openapi.json) is absent: the schema check did not run",
        );
        return;
    }
    let x = account(&fake.oauth1_settings("main_x"));
    let first = x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap();
    x.post(&outgoing("Q2 #hcsmbm", Some(&first))).await.unwrap();
    assert_eq!(fake.state().schema_checks, 2);
    assert_eq!(fake.tweets().len(), 2);
    // The check itself can fail: a reply without its id is refused.
    let schema = tweet_create_schema().unwrap();
    assert!(!schema.is_valid(&serde_json::json!({"text": "x", "reply": {}})));
    assert!(!schema.is_valid(&serde_json::json!({"text": "x", "unknown": 1})));
}

#[tokio::test]
async fn wrong_oauth1_secret_is_unauthorized_without_leaking_it() {
    let fake = FakeX::start().await;
    let mut settings = fake.oauth1_settings("main_x");
    settings
        .secrets
        .insert("consumer_secret".into(), Secret::new("not-the-secret"));
    let err = account(&settings).whoami().await.unwrap_err();
    assert!(matches!(err, PostError::Unauthorized(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("not-the-secret") && !shown.contains("fake-access-token-secret"));
}

#[tokio::test]
async fn stale_oauth1_timestamps_are_refused() {
    let fake = FakeX::start().await;
    let late = Clock::starting_at(Timestamp::now() - SignedDuration::from_hours(1));
    let x = XAccount::new(
        &fake.oauth1_settings("main_x"),
        Arc::new(MemoryTokenStore::new()),
        late,
    )
    .unwrap();
    let err = x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap_err();
    assert!(matches!(err, PostError::Unauthorized(_)), "{err:?}");
    assert!(fake.tweets().is_empty());
}

/// An account whose clock runs `speed` times faster than real time, so a
/// test can let the clock move by seconds in milliseconds.
fn fast_account(fake: &FakeX, speed: f64) -> XAccount {
    XAccount::new(
        &fake.oauth1_settings("main_x"),
        Arc::new(MemoryTokenStore::new()),
        Clock::scaled(Timestamp::now(), speed),
    )
    .unwrap()
}

#[tokio::test]
async fn a_prepared_post_is_sent_as_it_was_signed_and_never_before() {
    let fake = FakeX::start().await;
    let x = fast_account(&fake, 50.0);
    let welcome = x.post(&outgoing("Welcome #hcsmbm", None)).await.unwrap();
    let before = fake.state().requests.len();

    let question = outgoing("Q1. What helps? #hcsmbm", Some(&welcome));
    x.prepare(&question).await;
    assert_eq!(x.prepared_posts(), 1);
    // Preparing sends nothing: the post leaves at its instant, not before.
    assert_eq!(fake.state().requests.len(), before);
    assert_eq!(fake.tweets().len(), 1);
    // The welcome's stamp: the question was signed within a second of it.
    let signed = *fake.state().tokens.signed_at.last().unwrap();

    // 150 ms here are 7.5 s on the account's clock: still fresh.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let posted = x.post(&question).await.unwrap();
    assert_eq!(x.prepared_posts(), 0);
    let tweets = fake.tweets();
    assert_eq!(tweets.len(), 2);
    assert_eq!(tweets[1].id, posted.id);
    assert_eq!(tweets[1].sent_text, question.text);
    assert_eq!(tweets[1].reply_to.as_deref(), Some(welcome.id.as_str()));
    let stamps = fake.state().tokens.signed_at.clone();
    let sent = *stamps.last().unwrap();
    // Signed when it was prepared; signed anew it would carry 7 s more.
    assert!(
        (signed..=signed + 2).contains(&sent),
        "signed at {signed}, sent with {sent}"
    );
}

#[tokio::test]
async fn a_prepared_post_that_changed_or_aged_is_signed_again() {
    let fake = FakeX::start().await;
    let x = fast_account(&fake, 100.0);
    let first = outgoing("Q1 #hcsmbm", None);
    x.prepare(&first).await;
    // Another text under the same key: the prepared request is not used.
    let changed = outgoing("Q1, reworded #hcsmbm", None);
    x.post(&changed).await.unwrap();
    assert_eq!(x.prepared_posts(), 0);
    assert_eq!(fake.tweets()[0].sent_text, changed.text);

    // Prepared, then 40 s pass on the account's clock: signed again.
    let second = OutgoingPost {
        key: "hcsmbm/2026-12-02T12:00/question/2/main_x",
        ..outgoing("Q2 #hcsmbm", None)
    };
    let start = Clock::scaled(Timestamp::now(), 100.0);
    x.prepare(&second).await;
    let prepared_at = start.now().as_second();
    tokio::time::sleep(Duration::from_millis(400)).await;
    x.post(&second).await.unwrap();
    let sent = *fake.state().tokens.signed_at.last().unwrap();
    assert!(
        sent >= prepared_at + 30,
        "prepared at {prepared_at}, sent with {sent}"
    );
    assert_eq!(fake.tweets()[1].sent_text, "Q2 #hcsmbm");
}

#[tokio::test]
async fn oauth2_account_refreshes_and_stores_the_rotated_token() {
    let fake = FakeX::start().await;
    let store = Arc::new(MemoryTokenStore::new());
    let x = with_store(&fake.oauth2_settings("main_x"), store.clone());
    x.post(&outgoing("Welcome #hcsmbm", None)).await.unwrap();

    let saved = store.load("main_x").unwrap().expect("tokens saved");
    let state = fake.state();
    assert_eq!(state.tokens.refreshes, 1);
    assert!(state.tokens.spent.contains("rt-initial"));
    assert!(state.tokens.refresh.contains(saved.refresh_token.expose()));
    assert_eq!(
        state.requests.last().unwrap().2,
        Some(Caller::Bearer(saved.access_token.expose().to_string()))
    );
}

#[tokio::test]
async fn expired_access_token_is_refreshed_once_and_saved() {
    let fake = FakeX::start().await;
    let store = Arc::new(MemoryTokenStore::new());
    let x = with_store(&fake.oauth2_settings("main_x"), store.clone());
    x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap();
    let first = store.load("main_x").unwrap().unwrap();

    fake.expire_access_tokens();
    x.post(&outgoing("Q2 #hcsmbm", None)).await.unwrap();

    let second = store.load("main_x").unwrap().unwrap();
    assert_ne!(first.refresh_token, second.refresh_token);
    let state = fake.state();
    assert_eq!(state.tokens.refreshes, 2);
    assert_eq!(state.tokens.refresh.len(), 1);
    assert!(state.tokens.refresh.contains(second.refresh_token.expose()));
    assert_eq!(state.tweets.len(), 2);
}

#[tokio::test]
async fn a_restart_uses_the_stored_tokens() {
    let fake = FakeX::start().await;
    let store = Arc::new(MemoryTokenStore::new());
    let settings = fake.oauth2_settings("main_x");
    with_store(&settings, store.clone()).whoami().await.unwrap();

    // Restarted within the two hours: the stored access token still works.
    with_store(&settings, store.clone()).whoami().await.unwrap();
    assert_eq!(fake.state().tokens.refreshes, 1);

    // Restarted after it expired: refreshed with the stored refresh token
    // (the one in the settings is long spent), before any request fails.
    let later = Clock::starting_at(Timestamp::now() + SignedDuration::from_hours(3));
    let x = XAccount::new(&settings, store.clone(), later).unwrap();
    x.whoami().await.unwrap();
    let state = fake.state();
    assert_eq!(state.tokens.refreshes, 2);
    assert_eq!(state.tokens.refused_refreshes, 0);
    let saved = store.load("main_x").unwrap().unwrap();
    assert!(state.tokens.refresh.contains(saved.refresh_token.expose()));
}

/// A store that can be told to fail, like a full disk.
#[derive(Default)]
struct FlakyStore {
    fail: AtomicBool,
    inner: MemoryTokenStore,
}

impl TokenStore for FlakyStore {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredTokens>> {
        self.inner.load(account)
    }
    fn save(&self, account: &str, tokens: &StoredTokens) -> anyhow::Result<()> {
        if self.fail.load(Ordering::SeqCst) {
            anyhow::bail!("disk full");
        }
        self.inner.save(account, tokens)
    }
}

#[tokio::test]
async fn a_rotated_token_is_not_used_before_it_is_stored() {
    let fake = FakeX::start().await;
    let store = Arc::new(FlakyStore::default());
    store.fail.store(true, Ordering::SeqCst);
    let x = with_store(&fake.oauth2_settings("main_x"), store.clone());

    let err = x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap_err();
    assert!(
        matches!(err, PostError::Rejected(ref m) if m.contains("could not store") && m.contains("disk full")),
        "{err:?}"
    );
    assert!(fake.tweets().is_empty());
    assert!(fake.state().requests.is_empty(), "the new token was used");

    store.fail.store(false, Ordering::SeqCst);
    x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap();
    let saved = store.load("main_x").unwrap().unwrap();
    let state = fake.state();
    assert_eq!(
        state.tokens.refreshes, 1,
        "the stored pair is reused, not refreshed again"
    );
    assert!(state.tokens.refresh.contains(saved.refresh_token.expose()));
}

#[tokio::test]
async fn concurrent_posts_refresh_once() {
    let fake = FakeX::start().await;
    let x = Arc::new(account(&fake.oauth2_settings("main_x")));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..5 {
        let x = x.clone();
        tasks.spawn(async move {
            let text = format!("Q{n} #hcsmbm");
            x.post(&outgoing(&text, None)).await
        });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let state = fake.state();
    assert_eq!(state.tokens.refreshes, 1);
    assert_eq!(state.tokens.refused_refreshes, 0);
    assert_eq!(state.tweets.len(), 5);
}

#[tokio::test]
async fn a_reused_refresh_token_is_refused_with_a_way_out() {
    let fake = FakeX::start().await;
    let settings = fake.oauth2_settings("main_x");
    account(&settings).whoami().await.unwrap();

    // A second process that lost the rotated token replays the spent one.
    let err = account(&settings).whoami().await.unwrap_err();
    let PostError::Unauthorized(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("tweetchat auth x"), "{msg}");
    assert!(!msg.contains("rt-initial"), "{msg}");
    assert_eq!(fake.state().tokens.refused_refreshes, 1);
}

#[tokio::test]
async fn a_second_401_after_the_refresh_is_unauthorized() {
    let fake = FakeX::start().await;
    let x = account(&fake.oauth2_settings("main_x"));
    x.whoami().await.unwrap();
    fake.push_fault(Route::CreateTweet, Fault::Unauthorized);
    fake.push_fault(Route::CreateTweet, Fault::Unauthorized);
    let err = x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap_err();
    assert!(matches!(err, PostError::Unauthorized(_)), "{err:?}");
    assert_eq!(fake.state().tokens.refreshes, 2);
    assert!(fake.tweets().is_empty());
}

#[tokio::test]
async fn refusals_map_to_what_the_daemon_does_next() {
    let fake = FakeX::start().await;
    let x = account(&fake.oauth1_settings("main_x"));
    let parent = RemotePost {
        id: "1860000000000000999".into(),
        cid: None,
        url: None,
    };
    fake.push_fault(Route::CreateTweet, Fault::ReplyRefused);
    let err = x
        .post(&outgoing("Q1 #hcsmbm", Some(&parent)))
        .await
        .unwrap_err();
    assert!(matches!(err, PostError::ReplyRefused(_)), "{err:?}");

    fake.push_fault(Route::CreateTweet, Fault::MentionsRefused);
    let err = x
        .post(&outgoing("Thanks @ann #hcsmbm", None))
        .await
        .unwrap_err();
    assert!(matches!(err, PostError::MentionsRefused(_)), "{err:?}");

    fake.push_fault(
        Route::CreateTweet,
        Fault::Forbidden("Your account is temporarily locked.".into()),
    );
    let err = x.post(&outgoing("Q2 #hcsmbm", None)).await.unwrap_err();
    assert_eq!(
        err,
        PostError::Rejected(
            "X refused the request (403 Forbidden: Your account is temporarily locked.)".into()
        )
    );

    fake.push_fault(Route::CreateTweet, Fault::UsageCapped);
    let err = x.post(&outgoing("Q3 #hcsmbm", None)).await.unwrap_err();
    assert!(
        matches!(err, PostError::Rejected(ref m) if m.contains("usage-capped") && m.contains("spend limit")),
        "{err:?}"
    );

    fake.push_fault(Route::Search, Fault::ClientNotEnrolled);
    let now = Timestamp::now();
    let err = x
        .search("#hcsmbm", now - SignedDuration::from_hours(1), now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, PostError::Rejected(ref m) if m.contains("client-not-enrolled") && m.contains("attach the app")),
        "{err:?}"
    );
    assert!(fake.tweets().is_empty());
}

#[tokio::test]
async fn rate_limits_are_parsed_and_tracked() {
    let fake = FakeX::start().await;
    let x = account(&fake.oauth1_settings("main_x"));
    x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap();
    let quota = x.quota().unwrap();
    assert_eq!((quota.limit, quota.remaining), (100, 99));
    assert!(quota.reset.unwrap() > Timestamp::now());

    fake.push_fault(
        Route::CreateTweet,
        Fault::RateLimited {
            reset: 1_900_000_000,
        },
    );
    let err = x.post(&outgoing("Q2 #hcsmbm", None)).await.unwrap_err();
    let reset = Timestamp::from_second(1_900_000_000).unwrap();
    assert_eq!(err, PostError::RateLimited { reset: Some(reset) });
    let quota = x.quota().unwrap();
    assert_eq!((quota.remaining, quota.reset), (0, Some(reset)));
}

#[tokio::test]
async fn server_errors_and_resets_are_transient() {
    let fake = FakeX::start().await;
    let x = account(&fake.oauth1_settings("main_x"));
    for fault in [Fault::Status(500), Fault::Status(503), Fault::Drop] {
        fake.push_fault(Route::CreateTweet, fault.clone());
        let err = x.post(&outgoing("Q1 #hcsmbm", None)).await.unwrap_err();
        assert!(matches!(err, PostError::Transient(_)), "{fault:?}: {err:?}");
    }
    assert!(fake.tweets().is_empty());
}

#[tokio::test]
async fn a_timeout_is_transient_and_the_post_is_reconciled() {
    let fake = FakeX::start().await;
    let mut impatient = fake.oauth1_settings("main_x");
    impatient.timeout = Duration::from_secs(1);
    // X takes the post but answers after the client gave up.
    fake.push_fault(Route::CreateTweet, Fault::Delay(Duration::from_secs(3)));
    let post = outgoing("Q1 #hcsmbm", None);
    let err = account(&impatient).post(&post).await.unwrap_err();
    assert!(
        matches!(err, PostError::Transient(ref m) if m.contains("no answer")),
        "{err:?}"
    );
    let x = account(&fake.oauth1_settings("main_x"));
    let found = x.reconcile(&post).await.unwrap().expect("reconciled");
    assert_eq!(found.id, fake.tweets()[0].id);
}

#[tokio::test]
async fn duplicate_content_is_reconciled_with_the_existing_post() {
    let fake = FakeX::start().await;
    let x = account(&fake.oauth1_settings("main_x"));
    let text = "Q1. Tools & tips <3 https://example.org/guide?a=1 #hcsmbm";
    let first = x.post(&outgoing(text, None)).await.unwrap();
    assert!(fake.tweets()[0].text.contains("https://t.co/"));

    let again = outgoing(text, None);
    let err = x.post(&again).await.unwrap_err();
    assert!(matches!(err, PostError::Duplicate(_)), "{err:?}");
    let found = x.reconcile(&again).await.unwrap().expect("found");
    assert_eq!(found, first);
    // A key never sent: nothing to wait for, so a clear "not posted".
    let never = OutgoingPost {
        key: "hcsmbm/2026-12-02T12:00/question/2/main_x",
        ..outgoing("Q2. never sent #hcsmbm", None)
    };
    assert_eq!(x.reconcile(&never).await.unwrap(), None);
}

#[tokio::test]
async fn an_answer_lost_after_acceptance_is_reconciled() {
    let fake = FakeX::start().await;
    let x = account(&fake.oauth2_settings("main_x"));
    fake.push_fault(Route::CreateTweet, Fault::AcceptThenDrop);
    let post = outgoing("Q3. What next? #hcsmbm", None);
    let err = x.post(&post).await.unwrap_err();
    assert!(matches!(err, PostError::Transient(_)), "{err:?}");
    let found = x.reconcile(&post).await.unwrap().expect("found");
    assert_eq!(found.id, fake.tweets()[0].id);
}

/// 250 answers by 60 people (unicode names) over ~83 minutes from `start`,
/// one retweet, and noise search must leave out.
fn seed_chat(fake: &FakeX, start: Timestamp, now: Timestamp) {
    let users: Vec<FakeUser> = (0..60)
        .map(|i| {
            FakeUser::new(
                &format!("{}", 500 + i),
                &format!("user{i}"),
                &format!("Ünïcode {i} 🌷"),
            )
        })
        .collect();
    let mut posts = Vec::new();
    for i in 0..250u64 {
        let author = &users[(i as usize * 7) % users.len()];
        let at = start + SignedDuration::from_secs(i as i64 * 20);
        posts.push(SearchPost::new(
            1_000 + i,
            author,
            &format!("A{} answer {i} #HCSMbm", i % 5),
            at,
        ));
    }
    // Noise: other tags, too early, too late.
    posts.push(SearchPost::new(
        5_000,
        &users[0],
        "not tagged #hcsmbmx",
        start,
    ));
    posts.push(SearchPost::new(
        5_001,
        &users[0],
        "early #hcsmbm",
        start - SignedDuration::from_hours(1),
    ));
    posts.push(SearchPost::new(
        5_002,
        &users[0],
        "late #hcsmbm",
        now - SignedDuration::from_secs(5),
    ));
    // A retweet is kept and flagged.
    posts.push(
        SearchPost::new(
            5_003,
            &users[1],
            "RT @user0: A1 answer 0 #hcsmbm",
            start + SignedDuration::from_secs(1),
        )
        .referencing("retweeted", "1000"),
    );
    fake.seed_search(posts);
}

#[tokio::test]
async fn search_reads_every_page_once_with_usernames() {
    let fake = FakeX::start().await;
    let now = Timestamp::now();
    let start = now - SignedDuration::from_hours(2);
    seed_chat(&fake, start, now);

    let x = account(&fake.oauth1_settings("main_x"));
    let found = x
        .search("#hcsmbm", start, now - SignedDuration::from_mins(1))
        .await
        .unwrap();
    assert_eq!(found.len(), 251);
    let mut ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 251, "every post once");
    assert!(
        found.windows(2).all(|w| w[0].created_at <= w[1].created_at),
        "oldest first"
    );
    let first = &found[0];
    assert_eq!(
        (first.id.as_str(), first.author_username.as_str()),
        ("1000", "user0")
    );
    assert_eq!(first.author_name.as_deref(), Some("Ünïcode 0 🌷"));
    assert_eq!(
        first.url.as_deref(),
        Some("https://x.com/user0/status/1000")
    );
    let retweet = found.iter().find(|p| p.id == "5003").unwrap();
    assert!(retweet.is_repost);
    assert_eq!(found.iter().filter(|p| p.is_repost).count(), 1);
    let searches = fake
        .state()
        .requests
        .iter()
        .filter(|r| r.1 == "/2/tweets/search/recent")
        .count();
    assert_eq!(searches, 3);
}

#[tokio::test]
async fn search_clamps_a_start_older_than_seven_days() {
    let fake = FakeX::start().await;
    let now = Timestamp::now();
    let user = FakeUser::new("700", "ann", "Ann");
    fake.seed_search([SearchPost::new(
        42,
        &user,
        "A1 #hcsmbm",
        now - SignedDuration::from_hours(24),
    )]);
    let x = account(&fake.oauth1_settings("main_x"));
    let found = x
        .search("hcsmbm", now - SignedDuration::from_hours(24 * 10), now)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].author_username, "ann");
}
