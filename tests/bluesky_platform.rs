//! The Bluesky adapter against a real PDS (`@atproto/pds` on loopback, see
//! `tests/support/pds.rs`): what it posts is read back from the repository
//! with `com.atproto.repo.listRecords`, byte for byte.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use support::pds::{Pds, TestAccount, expired_access_token};
use tweetchat::clock::Clock;
use tweetchat::platform::bluesky::{BlueskyAccount, MemorySessions, SessionStore, StoredSession};
use tweetchat::platform::{OutgoingPost, Platform, PostError, RemotePost};
use tweetchat::settings::Secret;

/// A session store that counts the sessions it was given.
#[derive(Default)]
struct Counting {
    inner: MemorySessions,
    saves: AtomicUsize,
    last: Mutex<Option<StoredSession>>,
}

impl SessionStore for Counting {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredSession>> {
        self.inner.load(account)
    }
    fn save(&self, account: &str, session: &StoredSession) -> anyhow::Result<()> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        *self.last.lock().unwrap() = Some(session.clone());
        self.inner.save(account, session)
    }
}

fn clock() -> Clock {
    Clock::system(Duration::from_secs(30))
}

async fn setup(name: &str) -> Option<(&'static Pds, TestAccount, Arc<Counting>, BlueskyAccount)> {
    let pds = Pds::get()?;
    let account = pds.account(name).await;
    let store = Arc::new(Counting::default());
    let bluesky =
        BlueskyAccount::new(&pds.settings("b", &account), store.clone(), clock()).unwrap();
    Some((pds, account, store, bluesky))
}

fn outgoing<'a>(key: &'a str, text: &'a str, reply_to: Option<&'a RemotePost>) -> OutgoingPost<'a> {
    OutgoingPost {
        key,
        text,
        reply_to,
        thread_root: reply_to,
        due: Timestamp::now(),
        window_end: Timestamp::now(),
        audience: &tweetchat::platform::Audience::DEFAULT,
    }
}

/// The text of each facet's bytes and its feature.
fn facet_spans(record: &Value) -> Vec<(String, Value)> {
    let text = record["text"].as_str().unwrap().as_bytes();
    record["facets"]
        .as_array()
        .map(|facets| {
            facets
                .iter()
                .map(|f| {
                    let (s, e) = (
                        f["index"]["byteStart"].as_u64().unwrap() as usize,
                        f["index"]["byteEnd"].as_u64().unwrap() as usize,
                    );
                    (
                        String::from_utf8(text[s..e].to_vec()).unwrap(),
                        f["features"][0].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_carries_its_text_and_facets_on_the_right_bytes() {
    let Some((pds, account, _, bluesky)) = setup("host").await else {
        return;
    };
    let guest = pds.account("guest").await;
    let me = bluesky.whoami().await.unwrap();
    assert_eq!(
        (me.id.as_str(), me.username.as_str()),
        (account.did.as_str(), account.handle.as_str())
    );

    let text = format!(
        "Q1. Zoë asks @{} and @nobody-here.test: qué tal? 🎉 #hcsmbm #Santé see https://example.org/a?b=1",
        guest.handle
    );
    let posted = bluesky
        .post(&outgoing("c/2026-12-02T12:00/question/1/b", &text, None))
        .await
        .unwrap();
    assert!(
        posted
            .id
            .starts_with(&format!("at://{}/app.bsky.feed.post/", account.did)),
        "{}",
        posted.id
    );
    assert!(posted.cid.is_some());
    assert_eq!(
        posted.url.as_deref(),
        Some(
            format!(
                "https://bsky.app/profile/{}/post/{}",
                account.handle,
                posted.id.rsplit('/').next().unwrap()
            )
            .as_str()
        )
    );

    let records = pds.posts(&account.did).await;
    assert_eq!(records.len(), 1);
    let record = &records[0]["value"];
    assert_eq!(record["text"], text.as_str());
    let created: Timestamp = record["createdAt"].as_str().unwrap().parse().unwrap();
    assert!(Timestamp::now().duration_since(created).abs() < SignedDuration::from_secs(60));
    let spans = facet_spans(record);
    let mention = format!("@{}", guest.handle);
    let expect = [
        (
            mention.as_str(),
            serde_json::json!({"$type": "app.bsky.richtext.facet#mention", "did": guest.did}),
        ),
        (
            "#hcsmbm",
            serde_json::json!({"$type": "app.bsky.richtext.facet#tag", "tag": "hcsmbm"}),
        ),
        (
            "#Santé",
            serde_json::json!({"$type": "app.bsky.richtext.facet#tag", "tag": "Santé"}),
        ),
        (
            "https://example.org/a?b=1",
            serde_json::json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/a?b=1"}),
        ),
    ];
    let got: Vec<(&str, &Value)> = spans.iter().map(|(t, f)| (t.as_str(), f)).collect();
    let want: Vec<(&str, &Value)> = expect.iter().map(|(t, f)| (*t, f)).collect();
    assert_eq!(
        got, want,
        "the handle that does not resolve stays plain text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_carry_root_and_parent_strong_refs() {
    let Some((pds, account, _, bluesky)) = setup("thread").await else {
        return;
    };
    let welcome = bluesky
        .post(&outgoing("t/welcome", "Welcome! #t", None))
        .await
        .unwrap();
    let q1 = bluesky
        .post(&outgoing("t/q1", "Q1. Why? #t", Some(&welcome)))
        .await
        .unwrap();
    // A thank-you continuation: parent the first part, root the welcome.
    let part = OutgoingPost {
        thread_root: Some(&welcome),
        ..outgoing("t/thanks#1", "and @x.invalid #t", Some(&q1))
    };
    bluesky.post(&part).await.unwrap();

    let records = pds.posts(&account.did).await;
    let by_text =
        |t: &str| records.iter().find(|r| r["value"]["text"] == t).unwrap()["value"].clone();
    assert!(by_text("Welcome! #t").get("reply").is_none());
    let strong = |p: &RemotePost| serde_json::json!({"uri": p.id, "cid": p.cid});
    assert_eq!(
        by_text("Q1. Why? #t")["reply"],
        serde_json::json!({"root": strong(&welcome), "parent": strong(&welcome)})
    );
    assert_eq!(
        by_text("and @x.invalid #t")["reply"],
        serde_json::json!({"root": strong(&welcome), "parent": strong(&q1)})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_slot_key_is_one_record_however_often_it_is_sent() {
    let Some((pds, account, _, bluesky)) = setup("once").await else {
        return;
    };
    let post = outgoing("once/2026-12-02T12:00/welcome/b", "Welcome #once", None);
    assert_eq!(bluesky.reconcile(&post).await.unwrap(), None, "nothing yet");
    let first = bluesky.post(&post).await.unwrap();
    // A retry after a lost answer: the PDS refuses the key (500), the
    // adapter finds the record it made.
    let again = bluesky.post(&post).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(bluesky.reconcile(&post).await.unwrap(), Some(first.clone()));
    // Another instance (a restart) finds it too.
    let restarted = BlueskyAccount::new(
        &pds.settings("b", &account),
        Arc::new(MemorySessions::default()),
        clock(),
    )
    .unwrap();
    assert_eq!(restarted.reconcile(&post).await.unwrap(), Some(first));
    assert_eq!(pds.posts(&account.did).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_login_serves_every_post_and_an_expired_token_is_refreshed() {
    let Some((pds, account, store, bluesky)) = setup("session").await else {
        return;
    };
    bluesky.whoami().await.unwrap();
    for i in 0..3 {
        bluesky
            .post(&outgoing(&format!("s/{i}"), &format!("post {i} #s"), None))
            .await
            .unwrap();
    }
    assert_eq!(
        store.saves.load(Ordering::SeqCst),
        1,
        "one createSession for all of it"
    );

    // After a restart the stored session is used as it is.
    let again = BlueskyAccount::new(&pds.settings("b", &account), store.clone(), clock()).unwrap();
    again
        .post(&outgoing("s/3", "post 3 #s", None))
        .await
        .unwrap();
    assert_eq!(store.saves.load(Ordering::SeqCst), 1);

    // Two hours later the access token has expired: refreshed, kept, used.
    let mut stale = store.last.lock().unwrap().clone().unwrap();
    let old_refresh = stale.refresh_jwt.clone();
    stale.access_jwt = expired_access_token(&account.did);
    store.inner.save("b", &stale).unwrap();
    let later = BlueskyAccount::new(&pds.settings("b", &account), store.clone(), clock()).unwrap();
    later
        .post(&outgoing("s/4", "post 4 #s", None))
        .await
        .unwrap();
    assert_eq!(store.saves.load(Ordering::SeqCst), 2, "one refresh");
    let fresh = store.last.lock().unwrap().clone().unwrap();
    assert_ne!(fresh.refresh_jwt, old_refresh, "the refresh token rotated");
    assert_eq!(pds.posts(&account.did).await.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_app_password_says_where_to_make_one() {
    let Some(pds) = Pds::get() else { return };
    let account = pds.account("wrong").await;
    let mut settings = pds.settings("b", &account);
    settings
        .secrets
        .insert("app_password".into(), Secret::new("aaaa-bbbb-cccc-dddd"));
    let bluesky =
        BlueskyAccount::new(&settings, Arc::new(MemorySessions::default()), clock()).unwrap();
    let err = bluesky.whoami().await.unwrap_err();
    let PostError::Unauthorized(why) = &err else {
        panic!("{err:?}")
    };
    assert!(
        why.contains(&account.handle) && why.contains("App passwords"),
        "{why}"
    );
    assert!(!why.contains("aaaa-bbbb"), "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_every_page_of_the_hashtag_in_the_window() {
    let Some((pds, _, _, bluesky)) = setup("searcher").await else {
        return;
    };
    let tag = format!("srch{}", std::process::id());
    let people = [pds.account("ann").await, pds.account("bob").await];
    let since = Timestamp::now() - SignedDuration::from_secs(1);
    let mut uris = Vec::new();
    for i in 0..10 {
        let who = &people[i % 2];
        uris.push(pds.post_as(who, &format!("A{i} answer #{tag}")).await);
    }
    pds.post_as(&people[0], "another chat #elsewhere").await;
    let until = Timestamp::now() + SignedDuration::from_secs(1);
    // Pages of 7 (the stand-in's cap): the cursor is followed.
    let found = bluesky
        .search(&format!("#{tag}"), since, until)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        uris,
        "all, oldest first"
    );
    assert_eq!(found[1].author_username, people[1].handle);
    assert_eq!(found[1].author_id, people[1].did);
    assert!(!found[0].is_repost);
    let none = bluesky
        .search(
            &format!("#{tag}"),
            until,
            until + SignedDuration::from_secs(60),
        )
        .await
        .unwrap();
    assert!(none.is_empty());
    // The participants' handles now resolve without asking the PDS again.
    let text = format!("Thanks @{} #{tag}", people[0].handle);
    let posted = bluesky
        .post(&outgoing("thanks/0", &text, None))
        .await
        .unwrap();
    assert!(posted.id.starts_with("at://"));
}
