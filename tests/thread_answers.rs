//! Answers given as replies count, on every network: after a chat the
//! daemon reads each question's thread from the network's own thread view
//! besides the hashtag search, so someone who answers Q2 only by replying
//! to it (no hashtag) is counted for Q2 and thanked, a reply to an answer
//! counts for the same question, a post both find is counted once, and a
//! thread read that fails leaves the hashtag's answerers thanked and the
//! transcript saying which questions' threads were not read.
//!
//! The same chat on each network, with the real adapter against:
//! - the fake X (`conversation_id:` search, the post look-up);
//! - the fake Mastodon as Mastodon and as GoToSocial (whose tag timeline
//!   leaves out replies to other people's posts, so there the thread read is
//!   the only way to see a hashtagged reply to Q2);
//! - the real Bluesky PDS, whose AppView calls (searchPosts,
//!   getPostThread) go to the stand-in in `tests/peers/pds/start.js`.
//!
//! Real time: the fakes check search windows against the wall clock, so the
//! chat is placed so that its thanks slot fell due ten minutes ago; the
//! host's questions are already in the state database (as the daemon
//! records them) and on the network, and only the thanks slot runs.

mod support;
mod thanks_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use serde_json::{Value, json};
use support::fake_mastodon::{self, FakeMastodon, Kind, Person};
use support::fake_x::{self, FakeX};
use support::fake_x_data::{FakeUser, SearchPost};
use support::pds::{Pds, TestAccount};
use support::pds_proxy::{self, PdsProxy};
use thanks_support::settings;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, Chats, Daemon};
use tweetchat::platform::bluesky::{BlueskyAccount, MemorySessions};
use tweetchat::platform::mastodon::{MastodonAccount, MemoryLimits};
use tweetchat::platform::x::{MemoryTokenStore, XAccount};
use tweetchat::platform::{Platform, RemotePost};
use tweetchat::store::{Intent, Outcome, Store};

/// The start of a chat whose thanks slot (end + 10m) was due 10 minutes
/// ago, to the minute.
fn recent_start() -> Timestamp {
    let start = Timestamp::now() - SignedDuration::from_mins(80);
    Timestamp::from_second(start.as_second() / 60 * 60).unwrap()
}

fn mins(start: Timestamp, m: i64) -> Timestamp {
    start + SignedDuration::from_mins(m)
}

/// The host's question posts, recorded as the daemon records a post it
/// made (intent, then the platform's answer).
fn record_questions(dir: &Path, account: &str, start: Timestamp, posts: &[(u32, RemotePost)]) {
    let occurrence = start
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let mut store = Store::open(dir).unwrap();
    for (n, remote) in posts {
        let key = format!("hcsmbm/{occurrence}/question{n}/{account}");
        let intent = Intent {
            key: key.clone(),
            chat: "hcsmbm".into(),
            occurrence: occurrence.clone(),
            kind: "question".into(),
            n: Some(*n),
            account: account.into(),
            due: mins(start, 5 + 10 * (i64::from(*n) - 1)),
            missed: None,
        };
        store.claim(&[intent]).unwrap();
        store
            .record(&key, &Outcome::Posted(remote.clone()))
            .unwrap();
    }
}

/// The chat of `thanks_support::plan_with` with its own hashtag (the
/// Bluesky cases share one PDS, whose search sees every case's posts).
fn plan(start: Timestamp, account: &str, tag: &str) -> tweetchat::plan::ChatPlan {
    let local = start
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d %H:%M")
        .to_string();
    let src = format!(
        "title: Buddy Mentoring
hashtag: \"{tag}\"
timezone: UTC
start: {local}
duration: 1h
accounts: [{account}]
announce: false
questions:
  - at: 5m
    text: What are the keys?
  - at: 15m
    text: What guidelines?
thanks:
  after: 10m
  text: \"Thank you so much to everyone who joined {{hashtag}} today: {{mentions}}\"
"
    );
    tweetchat::plan::load::load_str(Path::new("chats/hcsmbm.yaml"), &src).unwrap()
}

/// `text` with the case's hashtag.
fn tagged(text: &str, tag: &str) -> String {
    text.replace("#hcsmbm", tag)
}

/// Runs the daemon with `platform` as `account` until the thanks slot is
/// handled.
async fn run(dir: &Path, start: Timestamp, account: &str, platform: Arc<dyn Platform>) {
    run_tagged(dir, start, account, "#hcsmbm", platform).await;
}

async fn run_tagged(
    dir: &Path,
    start: Timestamp,
    account: &str,
    tag: &str,
    platform: Arc<dyn Platform>,
) {
    let clock = Clock::system(Duration::from_secs(60));
    let plan = plan(start, account, tag);
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert(account.into(), platform);
    let (shared, writer) = tweetchat::store::SharedStore::spawn(Store::open(dir).unwrap());
    let mut daemon = Daemon::new(
        &settings(dir),
        clock,
        shared,
        accounts,
        Chats::fixed(vec![plan]),
    );
    daemon.stop_when_done = true;
    tokio::time::timeout(
        Duration::from_secs(60),
        daemon::run(daemon, CancellationToken::new()),
    )
    .await
    .expect("the daemon handles the chat within a minute")
    .unwrap();
    writer.await.unwrap();
}

/// The transcript the daemon wrote.
fn transcript(dir: &Path, start: Timestamp) -> Value {
    let date = start.to_zoned(TimeZone::UTC).date();
    let path = dir.join(format!("transcripts/hcsmbm/{date}.json"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The handles under each question, in order, and the questions whose
/// thread was not read.
fn answers(t: &Value) -> (Vec<Vec<String>>, Vec<u64>) {
    let per: Vec<Vec<String>> = t["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            q["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["author"]["username"].as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    let unread = t["unread_threads"]
        .as_array()
        .map(|u| u.iter().map(|n| n["n"].as_u64().unwrap()).collect())
        .unwrap_or_default();
    (per, unread)
}

/// The `@handles` of the thank-you texts, in order.
fn mentioned(texts: &[String]) -> Vec<String> {
    texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .filter(|w| w.starts_with('@'))
        .map(str::to_owned)
        .collect()
}

/// The answers in every case: ann answers Q1 with the hashtag; bob replies
/// to Q2 without it; cat replies to bob's reply; dan replies to Q2 with the
/// hashtag (found by the search and the thread: counted once).
const ANN: &str = "A1 Listening first #hcsmbm";
const BOB: &str = "Clear roles, I think";
const CAT: &str = "Agreed with that";
const DAN: &str = "A2 Guidelines written together #hcsmbm";
const SPAM: &str = "Buy followers now #hcsmbm";

// --- X -------------------------------------------------------------------

async fn x_case(fail_threads: bool) -> (FakeX, tempfile::TempDir, Timestamp) {
    let fake = FakeX::start().await;
    let start = recent_start();
    let host = fake.config().user.clone();
    let who = |id: &str, name: &str| FakeUser::new(id, name, name);
    let (ann, bob, cat, dan) = (
        who("501", "ann"),
        who("502", "bob"),
        who("503", "cat"),
        who("504", "dan"),
    );
    fake.seed_search([
        SearchPost::new(
            1001,
            &host,
            "Q1. What are the keys? #hcsmbm",
            mins(start, 5),
        ),
        SearchPost::new(1002, &host, "Q2. What guidelines? #hcsmbm", mins(start, 15)),
        SearchPost::new(2001, &ann, ANN, mins(start, 6)),
        SearchPost::new(2002, &bob, BOB, mins(start, 16)).referencing("replied_to", "1002"),
        SearchPost::new(2003, &cat, CAT, mins(start, 17)).referencing("replied_to", "2002"),
        SearchPost::new(2004, &dan, DAN, mins(start, 18)).referencing("replied_to", "1002"),
        // Not below a question: someone else's conversation.
        SearchPost::new(2005, &who("505", "eve"), "unrelated", mins(start, 19))
            .referencing("replied_to", "2001"),
    ]);
    if fail_threads {
        fake.push_fault(fake_x::Route::Lookup, fake_x::Fault::Status(503));
    }
    let dir = tempfile::tempdir().unwrap();
    let remote = |id: &str| RemotePost {
        id: id.into(),
        cid: None,
        url: None,
    };
    record_questions(
        dir.path(),
        "main_x",
        start,
        &[(1, remote("1001")), (2, remote("1002"))],
    );
    let clock = Clock::system(Duration::from_secs(60));
    let x = XAccount::new(
        &fake.oauth1_settings("main_x"),
        Arc::new(MemoryTokenStore::new()),
        clock,
    )
    .unwrap();
    run(dir.path(), start, "main_x", Arc::new(x)).await;
    (fake, dir, start)
}

fn x_thanks(fake: &FakeX) -> Vec<String> {
    fake.tweets().into_iter().map(|t| t.sent_text).collect()
}

#[tokio::test]
async fn x_replies_without_the_hashtag_count_for_their_question() {
    let (fake, dir, start) = x_case(false).await;
    assert_eq!(
        mentioned(&x_thanks(&fake)),
        ["@ann", "@bob", "@cat", "@dan"]
    );
    let t = transcript(dir.path(), start);
    let (per, unread) = answers(&t);
    assert_eq!(per, [vec!["ann"], vec!["bob", "cat", "dan"]]);
    assert!(unread.is_empty());
    assert_eq!(t["summary"]["participants"], 4);
    let searches: Vec<String> = fake
        .state()
        .requests
        .iter()
        .filter(|(method, path, _)| method == "GET" && path == "/2/tweets")
        .map(|(_, path, _)| path.clone())
        .collect();
    assert_eq!(searches.len(), 1, "one look-up for both questions");
}

#[tokio::test]
async fn x_a_failing_thread_read_still_thanks_the_hashtag_answerers() {
    let (fake, dir, start) = x_case(true).await;
    assert_eq!(mentioned(&x_thanks(&fake)), ["@ann", "@dan"]);
    let (per, unread) = answers(&transcript(dir.path(), start));
    assert_eq!(per, [vec!["ann"], vec!["dan"]]);
    assert_eq!(unread, [1, 2]);
}

// --- Mastodon and GoToSocial -------------------------------------------------

async fn mastodon_case(
    kind: Kind,
    fail_threads: bool,
) -> (FakeMastodon, tempfile::TempDir, Timestamp) {
    let fake = FakeMastodon::start(kind).await;
    let start = recent_start();
    let me = fake.me().clone();
    let q1 = fake.seed(&me, "Q1. What are the keys? #hcsmbm", mins(start, 5), false);
    let q2 = fake.seed(&me, "Q2. What guidelines? #hcsmbm", mins(start, 15), false);
    let who = |id: &str, acct: &str| Person::new(id, acct);
    fake.seed(&who("501", "ann"), ANN, mins(start, 6), false);
    let bob = fake.seed_reply(&who("502", "bob@other.example"), BOB, mins(start, 16), q2);
    fake.seed_reply(&who("503", "cat"), CAT, mins(start, 17), bob);
    fake.seed_reply(&who("504", "dan"), DAN, mins(start, 18), q2);
    let eve = who("505", "eve");
    fake.seed_reply(&eve, SPAM, mins(start, 19), q2);
    fake.hide(&eve);
    if fail_threads {
        fake.push_faults(
            fake_mastodon::Route::Context,
            fake_mastodon::Fault::Status(503),
            2,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let remote = |id: u64| RemotePost {
        id: id.to_string(),
        cid: None,
        url: Some(format!("https://mastodon.test/@hcsm/{id}")),
    };
    record_questions(
        dir.path(),
        "toot",
        start,
        &[(1, remote(q1)), (2, remote(q2))],
    );
    let account = MastodonAccount::new(
        &fake.settings("toot"),
        Arc::new(MemoryLimits::default()),
        Clock::system(Duration::from_secs(60)),
    )
    .unwrap();
    run(dir.path(), start, "toot", Arc::new(account)).await;
    assert!(
        fake.state().spec_problems.is_empty(),
        "{:?}",
        fake.state().spec_problems
    );
    (fake, dir, start)
}

fn toots(fake: &FakeMastodon, start: Timestamp) -> Vec<String> {
    fake.posts()
        .into_iter()
        .filter(|s| s.created_at > mins(start, 60))
        .map(|s| s.text)
        .collect()
}

#[tokio::test]
async fn mastodon_replies_without_the_hashtag_count_for_their_question() {
    for kind in [Kind::Mastodon, Kind::GoToSocial] {
        let (fake, dir, start) = mastodon_case(kind, false).await;
        assert_eq!(
            mentioned(&toots(&fake, start)),
            ["@ann", "@bob@other.example", "@cat", "@dan"],
            "{kind:?}: the muted spammer is left out"
        );
        let t = transcript(dir.path(), start);
        let (per, unread) = answers(&t);
        assert_eq!(
            per,
            [vec!["ann"], vec!["bob@other.example", "cat", "dan"]],
            "{kind:?}"
        );
        assert!(unread.is_empty(), "{kind:?}");
        let contexts = fake
            .state()
            .requests
            .iter()
            .filter(|(_, uri)| uri.ends_with("/context"))
            .count();
        assert_eq!(contexts, 2, "{kind:?}: one context per question");
    }
}

#[tokio::test]
async fn gotosocial_leaves_replies_out_of_the_tag_timeline() {
    // What the real GoToSocial did: a hashtagged reply to the host's Q2 is
    // not on the tag timeline; only the thread read finds it.
    let fake = FakeMastodon::start(Kind::GoToSocial).await;
    let start = recent_start();
    let me = fake.me().clone();
    let q2 = fake.seed(&me, "Q2. What guidelines? #hcsmbm", mins(start, 15), false);
    let own = fake.seed_reply(&me, "Q3. And then? #hcsmbm", mins(start, 25), q2);
    let dan = fake.seed_reply(&Person::new("504", "dan"), DAN, mins(start, 18), q2);
    let account = MastodonAccount::new(
        &fake.settings("gts"),
        Arc::new(MemoryLimits::default()),
        Clock::system(Duration::from_secs(60)),
    )
    .unwrap();
    let found = account
        .search("#hcsmbm", mins(start, -5), mins(start, 70))
        .await
        .unwrap();
    let ids: Vec<String> = found.iter().map(|p| p.id.clone()).collect();
    assert_eq!(
        ids,
        [q2.to_string(), own.to_string()],
        "the host's own thread stays, the reply from dan does not"
    );
    let roots = [RemotePost {
        id: q2.to_string(),
        cid: None,
        url: None,
    }];
    let replies = account
        .replies(&roots, mins(start, -5), mins(start, 70))
        .await;
    let mut ids: Vec<String> = replies.posts.iter().map(|p| p.id.clone()).collect();
    ids.sort();
    assert_eq!(ids, [own.to_string(), dan.to_string()]);
    assert!(replies.problems.is_empty());
}

#[tokio::test]
async fn mastodon_a_failing_thread_read_still_thanks_the_hashtag_answerers() {
    for (kind, thanked) in [
        (Kind::Mastodon, vec!["@ann", "@dan"]),
        // GoToSocial's tag timeline never had dan's reply.
        (Kind::GoToSocial, vec!["@ann"]),
    ] {
        let (fake, dir, start) = mastodon_case(kind, true).await;
        assert_eq!(mentioned(&toots(&fake, start)), thanked, "{kind:?}");
        let (_, unread) = answers(&transcript(dir.path(), start));
        assert_eq!(unread, [1, 2], "{kind:?}");
        let md = std::fs::read_to_string(dir.path().join(format!(
            "transcripts/hcsmbm/{}.md",
            start.to_zoned(TimeZone::UTC).date()
        )))
        .unwrap();
        assert!(
            md.contains("Replies to Q2 on Mastodon not all read"),
            "{md}"
        );
        let html = std::fs::read_to_string(dir.path().join(format!(
            "transcripts/hcsmbm/{}.html",
            start.to_zoned(TimeZone::UTC).date()
        )))
        .unwrap();
        assert!(
            html.contains("Replies to <a href=\"#q2\">Q2</a> on Mastodon not all read"),
            "{html}"
        );
    }
}

// --- Bluesky -----------------------------------------------------------------

/// A session on the PDS for `account`.
async fn session(pds: &Pds, account: &TestAccount) -> String {
    let s = pds
        .procedure(
            "com.atproto.server.createSession",
            None,
            json!({"identifier": account.handle, "password": account.password}),
        )
        .await;
    s["accessJwt"].as_str().unwrap().to_string()
}

/// A post by `account` made at `at`, with tag facets, replying to
/// `(root, parent)` when given; its strong reference.
async fn bsky_post(
    pds: &Pds,
    account: &TestAccount,
    text: &str,
    at: Timestamp,
    reply: Option<(&Value, &Value)>,
) -> Value {
    let mut facets = Vec::new();
    for (i, _) in text.match_indices('#') {
        let end = text[i..].find(' ').map_or(text.len(), |e| i + e);
        facets.push(json!({
            "index": {"byteStart": i, "byteEnd": end},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": &text[i + 1..end]}],
        }));
    }
    let mut record = json!({"$type": "app.bsky.feed.post", "text": text,
        "createdAt": at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), "facets": facets});
    if let Some((root, parent)) = reply {
        record["reply"] = json!({"root": root, "parent": parent});
    }
    let token = session(pds, account).await;
    let created = pds
        .procedure(
            "com.atproto.repo.createRecord",
            Some(&token),
            json!({"repo": account.did, "collection": "app.bsky.feed.post", "record": record}),
        )
        .await;
    json!({"uri": created["uri"], "cid": created["cid"]})
}

async fn bluesky_case(fail_threads: bool) -> Option<(Vec<String>, Value, Vec<String>)> {
    let pds = Pds::get()?;
    let tag = if fail_threads { "#bskyfail" } else { "#bskyok" };
    let t = |text: &str| tagged(text, tag);
    let start = recent_start();
    let host = pds.account("host").await;
    let ann = pds.account("ann").await;
    let bob = pds.account("bob").await;
    let cat = pds.account("cat").await;
    let dan = pds.account("dan").await;
    let eve = pds.account("eve").await;
    let q1 = bsky_post(
        pds,
        &host,
        &t("Q1. What are the keys? #hcsmbm"),
        mins(start, 5),
        None,
    )
    .await;
    let q2 = bsky_post(
        pds,
        &host,
        &t("Q2. What guidelines? #hcsmbm"),
        mins(start, 15),
        None,
    )
    .await;
    bsky_post(pds, &ann, &t(ANN), mins(start, 6), None).await;
    let b = bsky_post(pds, &bob, BOB, mins(start, 16), Some((&q2, &q2))).await;
    bsky_post(pds, &cat, CAT, mins(start, 17), Some((&q2, &b))).await;
    bsky_post(pds, &dan, &t(DAN), mins(start, 18), Some((&q2, &q2))).await;
    bsky_post(pds, &eve, &t(SPAM), mins(start, 19), Some((&q2, &q2))).await;
    // The host blocks eve: the AppView answers her reply as #blockedPost.
    let token = session(pds, &host).await;
    pds.procedure(
        "com.atproto.repo.createRecord",
        Some(&token),
        json!({"repo": host.did, "collection": "app.bsky.graph.block",
               "record": {"$type": "app.bsky.graph.block", "subject": eve.did,
                          "createdAt": Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()}}),
    )
    .await;
    let proxy = PdsProxy::start(&pds.url).await;
    if fail_threads {
        proxy.push_faults(
            "app.bsky.feed.getPostThread",
            pds_proxy::Fault::Status(503),
            2,
        );
    }
    let mut settings = pds.settings("sky", &host);
    settings.api_base = Some(proxy.url.clone());
    let account = BlueskyAccount::new(
        &settings,
        Arc::new(MemorySessions::default()),
        Clock::system(Duration::from_secs(60)),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let remote = |r: &Value| RemotePost {
        id: r["uri"].as_str().unwrap().to_string(),
        cid: r["cid"].as_str().map(str::to_string),
        url: None,
    };
    record_questions(
        dir.path(),
        "sky",
        start,
        &[(1, remote(&q1)), (2, remote(&q2))],
    );
    run_tagged(dir.path(), start, "sky", tag, Arc::new(account)).await;
    let texts: Vec<String> = pds
        .posts(&host.did)
        .await
        .into_iter()
        .map(|r| r["value"]["text"].as_str().unwrap().to_string())
        .filter(|t| t.starts_with("Thank you"))
        .collect();
    let handles = [&ann, &bob, &cat, &dan]
        .map(|a| format!("@{}", a.handle))
        .to_vec();
    Some((texts, transcript(dir.path(), start), handles))
}

#[tokio::test]
async fn bluesky_replies_without_the_hashtag_count_for_their_question() {
    let Some((texts, t, handles)) = bluesky_case(false).await else {
        return;
    };
    assert_eq!(
        mentioned(&texts),
        handles,
        "the blocked account is left out"
    );
    let (per, unread) = answers(&t);
    let names = |h: &[String]| {
        h.iter()
            .map(|h| h.trim_start_matches('@').to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(per, [names(&handles[..1]), names(&handles[1..])]);
    assert!(unread.is_empty());
}

#[tokio::test]
async fn bluesky_a_failing_thread_read_still_thanks_the_hashtag_answerers() {
    let Some((texts, t, handles)) = bluesky_case(true).await else {
        return;
    };
    assert_eq!(mentioned(&texts), [handles[0].clone(), handles[3].clone()]);
    let (_, unread) = answers(&t);
    assert_eq!(unread, [1, 2]);
}

// --- Bounds --------------------------------------------------------------------

/// A server that answers a question's context without end (a thread of
/// 100,000 replies and more): the read stops at the body cap, holding no
/// more than it, and the question is named.
#[tokio::test]
async fn an_endless_context_is_cut_at_the_body_cap() {
    use axum::body::{Body, Bytes};
    let app = axum::Router::new().fallback(|| async {
        let status = r#"{"id":"1","created_at":"2026-12-02T18:20:00.000Z","in_reply_to_id":"9","content":"<p>spam</p>","url":null,"uri":null,"account":{"id":"5","acct":"spam","display_name":""},"reblog":null},"#;
        let head = futures_util::stream::once(async {
            Ok::<Bytes, std::io::Error>(Bytes::from_static(br#"{"ancestors":[],"descendants":["#))
        });
        let endless = futures_util::stream::repeat_with(move || Ok(Bytes::from(status.repeat(200))));
        use futures_util::StreamExt as _;
        axum::response::Response::builder()
            .header("content-type", "application/json")
            .body(Body::from_stream(head.chain(endless)))
            .unwrap()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let fake = FakeMastodon::start(Kind::GoToSocial).await;
    let mut settings = fake.settings("gts");
    settings.api_base = Some(base);
    let account = MastodonAccount::new(
        &settings,
        Arc::new(MemoryLimits::default()),
        Clock::system(Duration::from_secs(60)),
    )
    .unwrap();
    let roots = [RemotePost {
        id: "9".into(),
        cid: None,
        url: None,
    }];
    let start = Timestamp::now();
    let replies = account
        .replies(&roots, mins(start, -60), mins(start, 60))
        .await;
    server.abort();
    assert!(replies.posts.is_empty());
    assert_eq!(replies.problems.len(), 1);
    assert_eq!(replies.problems[0].root, "9");
    assert!(
        replies.problems[0].reason.contains("longer than 32 MiB"),
        "{:?}",
        replies.problems
    );
}

/// A conversation longer than the cap on X (billed reads): five pages of
/// 100 are read, the rest left, and the question is named.
#[tokio::test]
async fn an_x_conversation_is_read_to_its_cap() {
    let fake = FakeX::start().await;
    let start = recent_start();
    let host = fake.config().user.clone();
    let mut posts = vec![SearchPost::new(
        1002,
        &host,
        "Q2. What guidelines? #hcsmbm",
        mins(start, 15),
    )];
    for i in 0..650u64 {
        let who = FakeUser::new(&(10_000 + i).to_string(), &format!("p{i}"), "P");
        let at = mins(start, 16) + SignedDuration::from_secs(i as i64);
        posts.push(
            SearchPost::new(20_000 + i, &who, "me too", at).referencing("replied_to", "1002"),
        );
    }
    fake.seed_search(posts);
    let x = XAccount::new(
        &fake.oauth1_settings("main_x"),
        Arc::new(MemoryTokenStore::new()),
        Clock::system(Duration::from_secs(60)),
    )
    .unwrap();
    let roots = [RemotePost {
        id: "1002".into(),
        cid: None,
        url: None,
    }];
    let replies = x.replies(&roots, mins(start, -5), mins(start, 70)).await;
    assert_eq!(replies.posts.len(), 500);
    assert_eq!(replies.problems.len(), 1);
    assert!(
        replies.problems[0]
            .reason
            .contains("read the first 500 posts"),
        "{:?}",
        replies.problems
    );
    let searches = fake
        .state()
        .requests
        .iter()
        .filter(|(_, path, _)| path == "/2/tweets/search/recent")
        .count();
    assert_eq!(searches, 5);
}

/// A threaded chat (`thread: true`): each question replies to the one
/// before, the wrap-up to the last. Q1's context already holds Q2's
/// replies, so Q2 is not read again; each reply answers the question of
/// its own branch, and a reply to the wrap-up answers nothing.
#[tokio::test]
async fn a_threaded_chat_is_read_once_and_each_branch_keeps_its_question() {
    use tweetchat::thanks::{AnswerIndex, QuestionPost};
    let fake = FakeMastodon::start(Kind::GoToSocial).await;
    let start = recent_start();
    let me = fake.me().clone();
    let welcome = fake.seed(&me, "Welcome! #hcsmbm", mins(start, 0), false);
    let q1 = fake.seed_reply(
        &me,
        "Q1. What are the keys? #hcsmbm",
        mins(start, 5),
        welcome,
    );
    let q2 = fake.seed_reply(&me, "Q2. What guidelines? #hcsmbm", mins(start, 15), q1);
    let wrap = fake.seed_reply(&me, "That's a wrap! #hcsmbm", mins(start, 55), q2);
    let bob = fake.seed_reply(&Person::new("502", "bob"), BOB, mins(start, 6), q1);
    let cat = fake.seed_reply(&Person::new("503", "cat"), CAT, mins(start, 16), q2);
    let great = fake.seed_reply(&me, "Great point!", mins(start, 17), cat);
    let dan = fake.seed_reply(
        &Person::new("504", "dan"),
        "+1 to that",
        mins(start, 18),
        great,
    );
    let eve = fake.seed_reply(
        &Person::new("505", "eve"),
        "Thanks for hosting",
        mins(start, 56),
        wrap,
    );
    let account = MastodonAccount::new(
        &fake.settings("gts"),
        Arc::new(MemoryLimits::default()),
        Clock::system(Duration::from_secs(60)),
    )
    .unwrap();
    let roots = [q1, q2].map(|id| RemotePost {
        id: id.to_string(),
        cid: None,
        url: None,
    });
    let replies = account
        .replies(&roots, mins(start, -5), mins(start, 70))
        .await;
    assert!(replies.problems.is_empty());
    let contexts: Vec<String> = fake
        .state()
        .requests
        .iter()
        .filter(|(_, uri)| uri.ends_with("/context"))
        .map(|(_, uri)| uri.clone())
        .collect();
    assert_eq!(contexts, [format!("/api/v1/statuses/{q1}/context")]);
    let questions = [(1, q1), (2, q2)].map(|(n, id)| QuestionPost {
        n,
        post_id: Some(id.to_string()),
    });
    let index = AnswerIndex::new(&replies.posts, &questions, |p| p.author_id == me.id);
    let answer = |id: u64| index.get(&id.to_string());
    assert_eq!(answer(bob), Some(1));
    assert_eq!(answer(cat), Some(2));
    assert_eq!(answer(great), None, "the host answers nothing");
    assert_eq!(answer(dan), Some(2), "below the host's remark, still Q2");
    assert_eq!(answer(wrap), None);
    assert_eq!(answer(eve), None, "a reply to the wrap-up");
}
