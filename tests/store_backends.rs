//! The store's contract on both backends: every test here runs once on
//! SQLite (a temporary state folder) and once on a real PostgreSQL (a
//! database of its own on the test binary's private cluster, see
//! `support/postgres.rs`), through the one handle the daemon holds
//! ([`SharedStore`]). The SQLite-only details (WAL, busy waits, `PRAGMA
//! user_version`) stay in `src/store/mod.rs`'s unit tests; what replicas
//! add on PostgreSQL (concurrent claims, migrations, fencing) is at the end.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use support::postgres::Postgres;
use tweetchat::platform::RemotePost;
use tweetchat::store::{Claim, Intent, Outcome, PgStore, PostState, Pruned, SharedStore, Store};

/// Where one test's state lives.
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Backend {
    fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().unwrap())
    }

    async fn postgres() -> Option<Backend> {
        Some(Backend::Postgres(Postgres::get()?.database().await))
    }

    /// A handle as the daemon opens it, answering as `replica`.
    async fn open_as(&self, replica: &str) -> SharedStore {
        match self {
            Backend::Sqlite(dir) => SharedStore::spawn(Store::open(dir.path()).unwrap()).0,
            Backend::Postgres(url) => {
                SharedStore::postgres(PgStore::connect(url, None, replica).await.unwrap()).0
            }
        }
    }

    async fn open(&self) -> SharedStore {
        self.open_as("r1").await
    }
}

/// Runs the named test function on each backend: `NAME::sqlite` and
/// `NAME::postgres`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::sqlite()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = super::Backend::postgres().await {
                    super::$name(backend).await;
                }
            }
        }
    )*};
}

on_both!(
    claim_then_record_then_claim_again_is_done,
    an_intent_left_by_a_crash_is_in_doubt_after_reopening,
    failed_and_skipped_are_final,
    a_missed_new_key_is_recorded_as_skipped_but_an_old_intent_stays_in_doubt,
    an_earlier_slot_after_a_later_post_is_skipped_as_out_of_order,
    release_undoes_a_fresh_claim_only,
    recording_an_unclaimed_key_is_an_error,
    a_note_survives_recording_the_post_and_a_failure_replaces_it,
    kv_round_trips_and_overwrites,
    pruning_keeps_intents_tokens_and_recent_rows,
    stale_intents_are_the_old_unanswered_ones,
    concurrent_requests_all_commit,
    a_failed_unclaimed_slot_keeps_an_existing_row,
);

/// Waits until every lease a dropped handle left has run out.
async fn wait_out_leases(backend: &Backend) {
    if let Backend::Postgres(_) = backend {
        tokio::time::sleep(tweetchat::store::pg::LEASE + std::time::Duration::from_millis(100))
            .await;
    }
}

fn intent(key: &str, due: &str) -> Intent {
    Intent {
        key: key.to_string(),
        chat: "hcsmbm".into(),
        occurrence: "2026-12-02T12:00".into(),
        kind: "question".into(),
        n: Some(1),
        account: "console".into(),
        due: due.parse().unwrap(),
        missed: None,
    }
}

fn remote(id: &str) -> RemotePost {
    RemotePost {
        id: id.into(),
        cid: None,
        url: Some(format!("https://example.test/{id}")),
    }
}

async fn claim_then_record_then_claim_again_is_done(backend: Backend) {
    let store = backend.open().await;
    let q1 = intent("k1", "2026-12-02T18:05:00Z");
    assert_eq!(store.claim(vec![q1.clone()]).await.unwrap(), [Claim::Fresh]);
    store
        .record("k1", Outcome::Posted(remote("1")))
        .await
        .unwrap();
    assert_eq!(
        store.claim(vec![q1]).await.unwrap(),
        [Claim::Done(remote("1"))]
    );
    let row = store.lookup("k1").await.unwrap().unwrap();
    assert_eq!(row.state, PostState::Posted);
    assert_eq!(row.n, Some(1));
    assert_eq!(
        row.due,
        "2026-12-02T18:05:00Z".parse::<Timestamp>().unwrap()
    );
}

async fn an_intent_left_by_a_crash_is_in_doubt_after_reopening(backend: Backend) {
    {
        let store = backend.open().await;
        store
            .claim(vec![intent("k1", "2026-12-02T18:05:00Z")])
            .await
            .unwrap();
        // Dropped without recording: the process died mid-post.
    }
    for attempts in [1, 2] {
        let store = backend.open().await;
        let again = claim_when_free(&store, intent("k1", "2026-12-02T18:05:00Z")).await;
        assert_eq!(again, Claim::InDoubt { attempts });
    }
}

/// Claims one key, waiting out a live lease on it (PostgreSQL: the claim
/// of a process that died or was dropped lasts until its lease ends).
async fn claim_when_free(store: &SharedStore, intent: Intent) -> Claim {
    loop {
        let claim = store.claim(vec![intent.clone()]).await.unwrap().remove(0);
        match claim {
            Claim::Held { left, .. } => {
                tokio::time::sleep(left + std::time::Duration::from_millis(50)).await;
            }
            claim => return claim,
        }
    }
}

async fn failed_and_skipped_are_final(backend: Backend) {
    let store = backend.open().await;
    let both = || {
        vec![
            intent("a", "2026-12-02T18:05:00Z"),
            intent("b", "2026-12-02T18:06:00Z"),
        ]
    };
    store.claim(both()).await.unwrap();
    store
        .record("a", Outcome::Failed("rejected: too long".into()))
        .await
        .unwrap();
    store
        .record("b", Outcome::Skipped("missed".into()))
        .await
        .unwrap();
    assert_eq!(
        store.claim(both()).await.unwrap(),
        [
            Claim::Failed("rejected: too long".into()),
            Claim::Skipped("missed".into())
        ]
    );
}

async fn a_missed_new_key_is_recorded_as_skipped_but_an_old_intent_stays_in_doubt(
    backend: Backend,
) {
    backend
        .open()
        .await
        .claim(vec![intent("old", "2026-12-02T18:05:00Z")])
        .await
        .unwrap();
    // Another run: the first one's lease (PostgreSQL) has run out.
    let store = backend.open().await;
    claim_when_free(&store, intent("other", "2026-12-02T18:07:00Z")).await;
    wait_out_leases(&backend).await;
    let mut old = intent("old", "2026-12-02T18:05:00Z");
    old.missed = Some("missed by 2h".into());
    let mut new = intent("new", "2026-12-02T18:06:00Z");
    new.missed = Some("missed by 2h".into());
    assert_eq!(
        store.claim(vec![old, new]).await.unwrap(),
        [
            Claim::InDoubt { attempts: 1 },
            Claim::SkippedNow("missed by 2h".into())
        ]
    );
    let row = store.lookup("new").await.unwrap().unwrap();
    assert_eq!(row.state, PostState::Skipped);
}

async fn an_earlier_slot_after_a_later_post_is_skipped_as_out_of_order(backend: Backend) {
    let store = backend.open().await;
    store
        .claim(vec![intent("q2", "2026-12-02T18:15:00Z")])
        .await
        .unwrap();
    store
        .record("q2", Outcome::Posted(remote("2")))
        .await
        .unwrap();
    let claims = store
        .claim(vec![intent("q1", "2026-12-02T18:05:00Z")])
        .await
        .unwrap();
    assert!(
        matches!(&claims[0], Claim::SkippedNow(reason) if reason.contains("out of order")),
        "{claims:?}"
    );
}

async fn release_undoes_a_fresh_claim_only(backend: Backend) {
    let store = backend.open().await;
    let k = || intent("k", "2026-12-02T18:05:00Z");
    store.claim(vec![k()]).await.unwrap();
    store.release("k").await.unwrap();
    assert_eq!(store.lookup("k").await.unwrap(), None);
    backend.open().await.claim(vec![k()]).await.unwrap();
    // A second run claims it in doubt, then gives it back.
    assert_eq!(
        claim_when_free(&store, k()).await,
        Claim::InDoubt { attempts: 1 }
    );
    store.release("k").await.unwrap();
    assert_eq!(store.lookup("k").await.unwrap().unwrap().attempts, 1);
}

async fn recording_an_unclaimed_key_is_an_error(backend: Backend) {
    let store = backend.open().await;
    let err = store
        .record("nope", Outcome::Failed("x".into()))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no claim recorded for nope"),
        "{err}"
    );
}

async fn a_note_survives_recording_the_post_and_a_failure_replaces_it(backend: Backend) {
    let store = backend.open().await;
    store
        .claim(vec![
            intent("a", "2026-12-02T18:05:00Z"),
            intent("b", "2026-12-02T18:05:00Z"),
        ])
        .await
        .unwrap();
    store.note("a", "posted without mentions").await.unwrap();
    store
        .record("a", Outcome::Posted(remote("1")))
        .await
        .unwrap();
    let row = store.lookup("a").await.unwrap().unwrap();
    assert_eq!(row.reason.as_deref(), Some("posted without mentions"));
    assert_eq!(row.remote, Some(remote("1")));
    store.note("b", "first try").await.unwrap();
    store
        .record("b", Outcome::Failed("refused".into()))
        .await
        .unwrap();
    let row = store.lookup("b").await.unwrap().unwrap();
    assert_eq!(row.reason.as_deref(), Some("refused"));
    assert!(store.note("nope", "x").await.is_err());
}

async fn kv_round_trips_and_overwrites(backend: Backend) {
    let store = backend.open().await;
    assert_eq!(store.kv_get("x/token").await.unwrap(), None);
    store.kv_set("x/token", "one").await.unwrap();
    store.kv_set("x/token", "two").await.unwrap();
    drop(store);
    let store = backend.open().await;
    assert_eq!(
        store.kv_get("x/token").await.unwrap().as_deref(),
        Some("two")
    );
}

async fn pruning_keeps_intents_tokens_and_recent_rows(backend: Backend) {
    let store = backend.open().await;
    store
        .claim(vec![
            intent("old", "2026-08-01T18:05:00Z"),
            intent("doubt", "2026-08-01T18:05:00Z"),
        ])
        .await
        .unwrap();
    store
        .record("old", Outcome::Posted(remote("1")))
        .await
        .unwrap();
    store.kv_set("thanks/old", "{}").await.unwrap();
    store.kv_set("oauth2/main_x", "{}").await.unwrap();
    let pruned = store
        .prune(Timestamp::now() + jiff::SignedDuration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(
        pruned,
        Pruned {
            posts: 1,
            thanks: 1
        }
    );
    assert_eq!(store.lookup("old").await.unwrap(), None);
    assert!(store.lookup("doubt").await.unwrap().is_some());
    assert!(store.kv_get("oauth2/main_x").await.unwrap().is_some());
    let nothing = store
        .prune(Timestamp::now() - jiff::SignedDuration::from_hours(1))
        .await
        .unwrap();
    assert_eq!(nothing, Pruned::default());
}

async fn stale_intents_are_the_old_unanswered_ones(backend: Backend) {
    let store = backend.open().await;
    store
        .claim(vec![
            intent("early", "2026-12-02T18:05:00Z"),
            intent("answered", "2026-12-02T18:06:00Z"),
            intent("later", "2026-12-02T19:05:00Z"),
        ])
        .await
        .unwrap();
    store
        .record("answered", Outcome::Posted(remote("1")))
        .await
        .unwrap();
    let stale = store
        .stale_intents("2026-12-02T19:00:00Z".parse().unwrap())
        .await
        .unwrap();
    let keys: Vec<_> = stale.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["early"]);
}

async fn concurrent_requests_all_commit(backend: Backend) {
    let store = backend.open().await;
    let intents: Vec<_> = (0..200)
        .map(|i| intent(&format!("k{i}"), "2026-12-02T18:05:00Z"))
        .collect();
    let claims = store.claim(intents).await.unwrap();
    assert!(claims.iter().all(|c| *c == Claim::Fresh));
    let records: Vec<_> = (0..200)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .record(&format!("k{i}"), Outcome::Posted(remote(&i.to_string())))
                    .await
            })
        })
        .collect();
    for record in records {
        record.await.unwrap().unwrap();
    }
    let row = store.lookup("k7").await.unwrap().unwrap();
    assert_eq!(row.remote, Some(remote("7")));
    let posted = store
        .stale_intents("2027-01-01T00:00:00Z".parse().unwrap())
        .await
        .unwrap();
    assert!(posted.is_empty(), "{posted:?}");
}

async fn a_failed_unclaimed_slot_keeps_an_existing_row(backend: Backend) {
    let store = backend.open().await;
    store
        .fail_unclaimed(intent("never", "2026-12-02T18:05:00Z"), "database refused")
        .await
        .unwrap();
    let row = store.lookup("never").await.unwrap().unwrap();
    assert_eq!(row.state, PostState::Failed);
    assert_eq!(row.reason.as_deref(), Some("database refused"));
    store
        .claim(vec![intent("claimed", "2026-12-02T18:05:00Z")])
        .await
        .unwrap();
    store
        .fail_unclaimed(intent("claimed", "2026-12-02T18:05:00Z"), "late")
        .await
        .unwrap();
    let row = store.lookup("claimed").await.unwrap().unwrap();
    assert_eq!(row.state, PostState::Intent);
}

// What several replicas add on PostgreSQL.

/// Eight replicas claiming the same 50 new keys at once: each key is
/// fresh for exactly one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_claiming_together_get_each_key_once() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    let mut stores = Vec::new();
    for r in 0..8 {
        stores.push(backend.open_as(&format!("r{r}")).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(stores.len()));
    let tasks: Vec<_> = stores
        .into_iter()
        .map(|store| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                let intents: Vec<_> = (0..50)
                    .map(|i| intent(&format!("k{i}"), "2026-12-02T18:05:00Z"))
                    .collect();
                barrier.wait().await;
                // Kept alive: a store dropped is a replica gone, whose
                // claims the others may take over at once.
                (store.claim(intents).await.unwrap(), store)
            })
        })
        .collect();
    let mut fresh = vec![0; 50];
    let mut alive = Vec::new();
    for task in tasks {
        let (claims, store) = task.await.unwrap();
        alive.push(store);
        for (i, claim) in claims.into_iter().enumerate() {
            match claim {
                Claim::Fresh => fresh[i] += 1,
                Claim::Held { .. } => {}
                other => panic!("k{i}: {other:?}"),
            }
        }
    }
    assert!(fresh.iter().all(|&n| n == 1), "{fresh:?}");
}

/// A replica whose claim was taken over (its lease ran out, another
/// replica claimed the key in doubt) can no longer record a result; the
/// new owner can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_is_recorded_only_by_the_generation_that_owns_the_row() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    let first = backend.open_as("first").await;
    let second = backend.open_as("second").await;
    let k = || intent("k", "2026-12-02T18:05:00Z");
    assert_eq!(first.claim(vec![k()]).await.unwrap(), [Claim::Fresh]);
    // A live lease is left alone, and its owner may write under it.
    assert!(matches!(
        &second.claim(vec![k()]).await.unwrap()[0],
        Claim::Held { owner, .. } if owner == "first"
    ));
    let write_started = Instant::now();
    assert!(
        first
            .lease_for_write("k", Duration::from_secs(3))
            .await
            .unwrap()
    );
    // The write's hold outlasts the short lease: still held after it.
    tokio::time::sleep(tweetchat::store::pg::LEASE).await;
    assert!(matches!(
        &second.claim(vec![k()]).await.unwrap()[0],
        Claim::Held { .. }
    ));
    // The first replica stops renewing (paused, or cut off); once its
    // lease has run out the second takes the key over as in doubt.
    first.let_go("k");
    assert_eq!(
        claim_when_free(&second, k()).await,
        Claim::InDoubt { attempts: 1 }
    );
    // Not before the write's hold had run out (a bound the lease implies,
    // not a speed).
    assert!(write_started.elapsed() >= Duration::from_secs(3));
    // Woken up, the first can neither write nor record under its claim.
    assert!(!first.lease_for_write("k", Duration::ZERO).await.unwrap());
    let err = first
        .record("k", Outcome::Posted(remote("late")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no longer owns it"), "{err}");
    assert_eq!(
        second.lookup("k").await.unwrap().unwrap().state,
        PostState::Intent
    );
    second
        .record("k", Outcome::Posted(remote("1")))
        .await
        .unwrap();
    let row = first.lookup("k").await.unwrap().unwrap();
    assert_eq!(row.remote, Some(remote("1")));
}

/// Several replicas starting together on an empty database migrate it
/// once (the advisory lock), and all of them start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_migrate_once() {
    let Some(pg) = Postgres::get() else {
        return;
    };
    let url = pg.database().await;
    let starts: Vec<_> = (0..6)
        .map(|r| {
            let url = url.clone();
            tokio::spawn(async move { PgStore::connect(&url, None, &format!("r{r}")).await })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let versions = client
        .query("SELECT version FROM tweetchat_schema ORDER BY version", &[])
        .await
        .unwrap();
    let versions: Vec<i32> = versions.iter().map(|row| row.get(0)).collect();
    assert_eq!(versions, (1..=versions.len() as i32).collect::<Vec<_>>());
    assert!(!versions.is_empty());
}

/// An unreachable server is named with its password hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_reported_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://app:hunter2@127.0.0.1:{port}/chats");
    let err = PgStore::connect(&url, None, "r1").await.unwrap_err();
    let err = format!("{err:#}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("unreachable"), "{err}");
    assert!(err.contains(&format!("app:***@127.0.0.1:{port}")), "{err}");
}

/// X's and Bluesky's thanks jobs finish at the same moment on two replicas:
/// each publishes its network's search into the chat's one row. Neither
/// search is lost to the other's write (each is merged in exactly once:
/// two writes, both networks), and either replica reads the page back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_publishing_one_transcript_at_once_keep_every_network() {
    use tweetchat::text::PlatformKind;
    use tweetchat::transcript::{Capture, database};

    let Some(pg) = Postgres::get() else {
        return;
    };
    let url = pg.database().await;
    let a = Arc::new(PgStore::connect(&url, None, "a").await.unwrap());
    let b = Arc::new(PgStore::connect(&url, None, "b").await.unwrap());
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/transcript/2026-12-02.posts.json");
    let x = Capture::load(&data).unwrap();
    let mut bluesky = x.clone();
    bluesky.platform = PlatformKind::Bluesky;
    bluesky.host.id = "did:plc:host".into();
    for post in &mut bluesky.posts {
        post.id = format!("at://{}/app.bsky.feed.post/{}", post.author_id, post.id);
    }
    for q in &mut bluesky.questions {
        q.post = None;
    }
    for round in 0..12 {
        let chat = format!("race{round}");
        let (mut x, mut bluesky) = (x.clone(), bluesky.clone());
        x.chat = chat.clone();
        bluesky.chat = chat.clone();
        let (on_a, on_b) = (a.clone(), b.clone());
        let (first, second) = tokio::join!(
            tokio::spawn(async move { database::publish(&on_a, &x).await }),
            tokio::spawn(async move { database::publish(&on_b, &bluesky).await }),
        );
        first.unwrap().unwrap();
        second.unwrap().unwrap();
        let saved = a.transcript(&chat, "2026-12-02").await.unwrap().unwrap();
        assert_eq!(saved.version, 2, "round {round}: one write each");
        let (_, captures) = database::saved(&b, &chat, None).await.unwrap().unwrap();
        let networks: Vec<_> = captures.iter().map(|c| c.platform).collect();
        assert_eq!(
            networks,
            [PlatformKind::X, PlatformKind::Bluesky],
            "round {round}"
        );
        let page = b
            .transcript_html(&chat, "2026-12-02")
            .await
            .unwrap()
            .unwrap();
        assert!(page.contains("<span class=\"network\">Bluesky</span>"));
        assert!(page.contains("<span class=\"network\">X</span>"));
    }
    let dates = a.transcript_dates("race0", "2026-12-01", 10).await.unwrap();
    assert_eq!(dates, ["2026-12-02"]);
    assert!(
        a.transcript_dates("race0", "2026-12-03", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Rebuilt from the saved searches: the same transcript, a third write.
    let (_, rebuilt) = database::rebuild(&a, "race0", None).await.unwrap().unwrap();
    assert_eq!(rebuilt.networks(), [PlatformKind::X, PlatformKind::Bluesky]);
    assert_eq!(
        a.transcript("race0", "2026-12-02")
            .await
            .unwrap()
            .unwrap()
            .version,
        3
    );
    assert!(
        database::rebuild(&a, "nobody", None)
            .await
            .unwrap()
            .is_none()
    );
}

/// The decided texts of a thank-you are kept only under the claim that
/// owns the thanks slot: a replica paused past its lease, waking up with
/// its own decision, cannot overwrite the one the replica that took the
/// thank-you over decided (and is posting part by part).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thank_you_is_decided_only_under_the_claim_that_owns_it() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    let first = backend.open_as("first").await;
    let second = backend.open_as("second").await;
    let thanks = || {
        intent(
            "hcsmbm/2026-12-02T12:00/thanks/main_x",
            "2026-12-02T19:10:00Z",
        )
    };
    let key = "hcsmbm/2026-12-02T12:00/thanks/main_x";
    let texts = "thanks/hcsmbm/2026-12-02T12:00/thanks/main_x";
    assert_eq!(first.claim(vec![thanks()]).await.unwrap(), [Claim::Fresh]);
    first.kv_set_under(key, texts, "first's").await.unwrap();
    // A replica holding no claim of it keeps nothing.
    let err = second
        .kv_set_under(key, texts, "uninvited")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("holds no claim"), "{err}");
    // The first is paused past its lease; the second takes over.
    first.let_go(key);
    assert_eq!(
        claim_when_free(&second, thanks()).await,
        Claim::InDoubt { attempts: 1 }
    );
    second.kv_set_under(key, texts, "second's").await.unwrap();
    let err = first.kv_set_under(key, texts, "late").await.unwrap_err();
    assert!(err.to_string().contains("no longer owns it"), "{err}");
    assert_eq!(
        first.kv_get(texts).await.unwrap().as_deref(),
        Some("second's")
    );
    // Taken over is the database answering, not the database failing.
    assert_eq!(first.health().errors_total(), 0);
}

/// Every replica prunes at start and daily: one prune does the work, the
/// others find it done (or find it under way) and delete nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_pruning_together_prune_once() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    let stores = [
        backend.open_as("a").await,
        backend.open_as("b").await,
        backend.open_as("c").await,
    ];
    let old: Vec<Intent> = (0..20)
        .map(|i| intent(&format!("old{i}"), "2026-08-01T18:05:00Z"))
        .collect();
    stores[0].claim(old.clone()).await.unwrap();
    for i in 0..20 {
        stores[0]
            .record(&format!("old{i}"), Outcome::Posted(remote("1")))
            .await
            .unwrap();
    }
    let before = Timestamp::now() + jiff::SignedDuration::from_secs(1);
    let (a, b, c) = tokio::join!(
        stores[0].prune(before),
        stores[1].prune(before),
        stores[2].prune(before)
    );
    let posts = [a.unwrap().posts, b.unwrap().posts, c.unwrap().posts];
    assert_eq!(posts.iter().sum::<usize>(), 20, "{posts:?}");
    assert_eq!(posts.iter().filter(|&&n| n > 0).count(), 1, "{posts:?}");
    // Within the hour: another replica's daily prune is left out.
    stores[0]
        .claim(vec![intent("new", "2026-08-01T18:05:00Z")])
        .await
        .unwrap();
    stores[0]
        .record("new", Outcome::Posted(remote("2")))
        .await
        .unwrap();
    let later = before + jiff::SignedDuration::from_mins(10);
    assert_eq!(stores[1].prune(later).await.unwrap(), Pruned::default());
    assert!(stores[1].lookup("new").await.unwrap().is_some());
    // An hour on, it prunes again.
    let next_day = before + jiff::SignedDuration::from_hours(2);
    assert_eq!(stores[2].prune(next_day).await.unwrap().posts, 1);
}

/// Claims `key` until it is no longer held: PostgreSQL notices a closed
/// connection (and lets go of its locks) within moments, not at once. The
/// bound is against a hang; the stretched leases decide nothing by time.
async fn claim_once_the_server_sees_it(store: &SharedStore, key: &str) -> Claim {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let claim = store
            .claim(vec![intent(key, "2026-12-02T18:05:00Z")])
            .await
            .unwrap()
            .remove(0);
        match claim {
            Claim::Held { .. } if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// A claim's owner that died (its process gone, so the server let go of
/// its liveness lock with its connection) is replaced at once, without
/// waiting out its lease; one that lives (paused, slow) keeps its lease;
/// and a dead owner with a write in flight that a second write could
/// double (X) keeps it until that write's hold ends. The lease is
/// stretched to a minute in the database, so each case is decided by
/// liveness and the write, never by the clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_owner_is_replaced_at_once_unless_its_write_may_still_land() {
    let Some(backend) = Backend::postgres().await else {
        return;
    };
    let Backend::Postgres(url) = &backend else {
        unreachable!()
    };
    let (db, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let stretch = |key: &'static str| {
        let db = &db;
        async move {
            db.execute(
                "UPDATE posts SET lease_until = lease_until + 60000 WHERE key = $1",
                &[&key],
            )
            .await
            .unwrap();
        }
    };
    let taker = backend.open_as("taker").await;
    // Alive: left alone for its whole lease.
    let alive = backend.open_as("alive").await;
    assert_eq!(
        alive
            .claim(vec![intent("alive", "2026-12-02T18:05:00Z")])
            .await
            .unwrap(),
        [Claim::Fresh]
    );
    stretch("alive").await;
    // Dead with nothing in flight.
    let dead = backend.open_as("dead").await;
    assert_eq!(
        dead.claim(vec![intent("dead", "2026-12-02T18:05:00Z")])
            .await
            .unwrap(),
        [Claim::Fresh]
    );
    stretch("dead").await;
    // Dead in the middle of an X write (a 30 s hold).
    let writing = backend.open_as("writing").await;
    assert_eq!(
        writing
            .claim(vec![intent("writing", "2026-12-02T18:05:00Z")])
            .await
            .unwrap(),
        [Claim::Fresh]
    );
    assert!(
        writing
            .lease_for_write("writing", Duration::from_secs(30))
            .await
            .unwrap()
    );
    drop(dead);
    drop(writing);
    let taken = claim_once_the_server_sees_it(&taker, "dead").await;
    assert_eq!(
        taken,
        Claim::InDoubt { attempts: 1 },
        "the dead owner's key"
    );
    assert!(matches!(
        &taker
            .claim(vec![intent("writing", "2026-12-02T18:05:00Z")])
            .await
            .unwrap()[0],
        Claim::Held { owner, .. } if owner == "writing"
    ));
    assert!(matches!(
        &taker
            .claim(vec![intent("alive", "2026-12-02T18:05:00Z")])
            .await
            .unwrap()[0],
        Claim::Held { owner, .. } if owner == "alive"
    ));
    // The taker's own claim stands: its result is recorded.
    taker
        .record("dead", Outcome::Posted(remote("7")))
        .await
        .unwrap();
    // A second process given a running replica's name is told (it warns
    // at start).
    let twin = PgStore::connect(url, None, "alive").await.unwrap();
    assert!(!twin.keep_alive().await.unwrap());
    // A replica restarted under its old name (a container's host name and
    // PID 1) does not vouch for its dead predecessor's claims: liveness is
    // the process's, not the name's.
    let first_life = backend.open_as("phoenix").await;
    assert_eq!(
        first_life
            .claim(vec![intent("phoenix", "2026-12-02T18:05:00Z")])
            .await
            .unwrap(),
        [Claim::Fresh]
    );
    stretch("phoenix").await;
    drop(first_life);
    let second_life = backend.open_as("phoenix").await;
    assert_eq!(
        second_life
            .claim(vec![intent("other", "2026-12-02T18:05:00Z")])
            .await
            .unwrap(),
        [Claim::Fresh]
    );
    let taken = claim_once_the_server_sees_it(&taker, "phoenix").await;
    assert_eq!(
        taken,
        Claim::InDoubt { attempts: 1 },
        "the first life's key"
    );
    drop(alive);
}
