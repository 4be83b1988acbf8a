//! The daemon's handle on the store: one writer, group commit.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` each commit
//! costs an fsync. Rather than a `Mutex<Connection>` locked by every task
//! (200 slots at one instant would queue for 200 fsyncs), one writer task
//! owns the [`Store`]; requests arrive over a channel, and whatever is waiting
//! when the writer gets to it runs in a single transaction on tokio's blocking
//! pool. Callers await only their own answer. Results of posts alone wait
//! [`RESULTS_WAIT`] for each other, so a burst of posts is recorded in one
//! commit rather than one per answer while the rest are still leaving. Blocking-pool work also keeps
//! paused-time tests honest: tokio does not auto-advance time while it runs.
//!
//! With PostgreSQL (`[store] url`) the same handle dispatches to
//! [`PgStore`] instead: the server takes concurrent writers, so there is no
//! writer task, and each request runs on a pooled connection. One front
//! with an enum of two backends, rather than a `dyn` trait: the callers
//! (daemon, pages, commands) keep the one type they already hold, the two
//! backends need different shapes underneath (a channel to a thread; async
//! calls on a pool), and async methods in a `dyn` trait would need boxing
//! on every call.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::health::{BatchReport, StoreHealth};
use super::pg::PgStore;
use super::{Claim, Intent, Outcome, PostRecord, Store};

const STOPPED: &str = "the state database writer stopped before answering";

/// Most requests committed together.
const MAX_BATCH: usize = 512;

/// How long the results of posts wait for each other before their commit.
/// When 200 posts leave at one instant, their answers come back over a few
/// milliseconds; committed as they come, each commit's fsync and B-tree
/// work takes a core from the posts still leaving. A result is recorded
/// after its post is out, so waiting delays nothing anyone sees: a crash
/// in between leaves the key in doubt, which the next start reconciles
/// like any other. Any other request (a claim, a lookup) ends the wait,
/// and runs after the results queued before it.
const RESULTS_WAIT: std::time::Duration = std::time::Duration::from_millis(25);

pub(super) enum Request {
    Claim(Vec<Intent>),
    Record(String, Outcome),
    Release(String),
    Lookup(String),
    KvGet(String),
    KvSet(String, String),
    Note(String, String),
    FailUnclaimed(Intent, String),
    StaleIntents(jiff::Timestamp),
    Prune(jiff::Timestamp),
}

pub(super) enum Response {
    Claims(Vec<Claim>),
    Done,
    Record(Option<Box<PostRecord>>),
    Value(Option<String>),
    Records(Vec<PostRecord>),
    Pruned(super::Pruned),
}

impl Request {
    /// Whether it changes the database (and so counts as a write in the
    /// store's identity, [`super::identity`]).
    pub(super) fn writes(&self) -> bool {
        !matches!(
            self,
            Request::Lookup(_) | Request::KvGet(_) | Request::StaleIntents(_)
        )
    }

    pub(super) fn execute(self, conn: &Connection) -> anyhow::Result<Response> {
        Ok(match self {
            Request::Claim(intents) => Response::Claims(
                intents
                    .iter()
                    .map(|intent| super::sql::claim_in_savepoint(conn, intent))
                    .collect::<rusqlite::Result<_>>()?,
            ),
            Request::Record(key, outcome) => {
                super::sql::record(conn, &key, &outcome)?;
                Response::Done
            }
            Request::Release(key) => {
                super::sql::release(conn, &key)?;
                Response::Done
            }
            Request::Lookup(key) => Response::Record(super::sql::lookup(conn, &key)?.map(Box::new)),
            Request::KvGet(key) => Response::Value(super::sql::kv_get(conn, &key)?),
            Request::Note(key, reason) => {
                super::sql::note(conn, &key, &reason)?;
                Response::Done
            }
            Request::KvSet(key, value) => {
                super::sql::kv_set(conn, &key, &value)?;
                Response::Done
            }
            Request::FailUnclaimed(intent, reason) => {
                super::sql::fail_unclaimed(conn, &intent, &reason)?;
                Response::Done
            }
            Request::StaleIntents(before) => {
                Response::Records(super::sql::stale_intents(conn, before)?)
            }
            Request::Prune(before) => Response::Pruned(super::sql::prune(conn, before)?),
        })
    }
}

struct Envelope {
    request: Request,
    reply: oneshot::Sender<anyhow::Result<Response>>,
}

/// A cloneable async handle on the one writer. Dropping every handle lets
/// the writer finish what is queued and stop.
#[derive(Debug, Clone)]
pub struct SharedStore {
    backend: Backend,
    health: Arc<StoreHealth>,
}

#[derive(Debug, Clone)]
enum Backend {
    /// The writer task's queue.
    Sqlite(mpsc::UnboundedSender<Envelope>),
    Postgres(Arc<PgStore>),
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Envelope")
    }
}

impl SharedStore {
    /// Starts the writer task on the current runtime. The returned handle
    /// resolves once every request sent before the last handle was dropped
    /// has been committed.
    pub fn spawn(store: Store) -> (SharedStore, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let health = Arc::new(StoreHealth::default());
        let writer = tokio::spawn(write_loop(store, rx, Arc::clone(&health)));
        let backend = Backend::Sqlite(tx);
        (SharedStore { backend, health }, writer)
    }

    /// The handle on a PostgreSQL store. The returned task is already
    /// done (there is no writer to wait for: each request commits before
    /// it answers); it is returned for symmetry with [`Self::spawn`].
    pub fn postgres(store: PgStore) -> (SharedStore, JoinHandle<()>) {
        let store = Arc::new(store);
        let health = Arc::new(StoreHealth::default());
        tokio::spawn(renew_leases(Arc::downgrade(&store), Arc::clone(&health)));
        let backend = Backend::Postgres(store);
        let shared = SharedStore { backend, health };
        (shared, tokio::spawn(async {}))
    }

    /// Stops renewing this process's claim of `key` (PostgreSQL), so its
    /// lease runs out and another replica takes it over as in doubt;
    /// nothing on SQLite, where the next start does.
    pub fn let_go(&self, key: &str) {
        if let Backend::Postgres(pg) = &self.backend {
            pg.let_go(key);
        }
    }

    /// Before a platform write under `key`: whether this process's claim
    /// still owns it with at least `hold` left (extended when needed). On
    /// SQLite one process owns every claim, so always yes; on PostgreSQL see
    /// [`PgStore::lease_for_write`].
    pub async fn lease_for_write(
        &self,
        key: &str,
        hold: std::time::Duration,
    ) -> anyhow::Result<bool> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(true),
            Backend::Postgres(pg) => {
                self.on_pg(pg, true, async |pg| pg.lease_for_write(key, hold).await)
                    .await
            }
        }
    }

    /// The PostgreSQL store, when that is the backend.
    pub fn pg(&self) -> Option<&Arc<PgStore>> {
        match &self.backend {
            Backend::Postgres(pg) => Some(pg),
            Backend::Sqlite(_) => None,
        }
    }

    /// Runs `f` on the PostgreSQL store and reports how it went to the
    /// health (`writes`: whether success says the database takes writes).
    async fn on_pg<T>(
        &self,
        pg: &Arc<PgStore>,
        writes: bool,
        f: impl AsyncFnOnce(&PgStore) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let result = f(pg).await;
        super::pg::report(&self.health, &result, writes);
        result
    }

    /// Whether the database takes writes (for `/healthz` and `/metrics`).
    pub fn health(&self) -> Arc<StoreHealth> {
        Arc::clone(&self.health)
    }

    fn send(
        &self,
        request: Request,
    ) -> anyhow::Result<oneshot::Receiver<anyhow::Result<Response>>> {
        let Backend::Sqlite(tx) = &self.backend else {
            return Err(anyhow!("the PostgreSQL store has no writer queue"));
        };
        let (reply, answer) = oneshot::channel();
        tx.send(Envelope { request, reply })
            .map_err(|_| anyhow!("the state database writer has stopped"))?;
        Ok(answer)
    }

    async fn ask(&self, request: Request) -> anyhow::Result<Response> {
        self.send(request)?.await.context(STOPPED)?
    }

    /// Claims every intent, all in one transaction.
    pub async fn claim(&self, intents: Vec<Intent>) -> anyhow::Result<Vec<Claim>> {
        if let Backend::Postgres(pg) = &self.backend {
            let claims = pg.claim(&intents).await;
            let mut report = BatchReport::default();
            match &claims {
                Ok(claims) => {
                    for claim in claims {
                        match claim {
                            Claim::NotRecorded(err) => report.failure(err),
                            _ => report.wrote = true,
                        }
                    }
                }
                Err(err) => report.failure(&format!("{err:#}")),
            }
            self.health.report(report);
            return claims;
        }
        match self.ask(Request::Claim(intents)).await? {
            Response::Claims(claims) => Ok(claims),
            _ => Err(anyhow!(
                "the state database answered a claim with something else"
            )),
        }
    }

    /// Records how the post under `key` ended.
    pub async fn record(&self, key: &str, outcome: Outcome) -> anyhow::Result<()> {
        self.record_soon(key, outcome).await
    }

    /// Queues the record now (so later requests see it) and returns a future
    /// for its commit, which the caller may await elsewhere.
    pub fn record_soon(
        &self,
        key: &str,
        outcome: Outcome,
    ) -> impl Future<Output = anyhow::Result<()>> + Send + 'static {
        if let Backend::Postgres(pg) = &self.backend {
            let (pg, health, key) = (Arc::clone(pg), Arc::clone(&self.health), key.to_string());
            // Started now, so it commits whether or not the caller awaits it.
            let task = tokio::spawn(async move {
                let result = pg.record(&key, &outcome).await;
                super::pg::report(&health, &result, true);
                result
            });
            return futures_either(async move {
                task.await
                    .map_err(|_| anyhow!("recording a result on PostgreSQL stopped"))?
            });
        }
        let answer = self.send(Request::Record(key.to_string(), outcome));
        futures_either(async move { answer?.await.context(STOPPED)?.map(drop) })
    }

    /// See [`Store::release`].
    pub async fn release(&self, key: &str) -> anyhow::Result<()> {
        if let Backend::Postgres(pg) = &self.backend {
            return self.on_pg(pg, true, async |pg| pg.release(key).await).await;
        }
        self.ask(Request::Release(key.to_string())).await.map(drop)
    }

    pub async fn lookup(&self, key: &str) -> anyhow::Result<Option<PostRecord>> {
        if let Backend::Postgres(pg) = &self.backend {
            return self.on_pg(pg, false, async |pg| pg.lookup(key).await).await;
        }
        match self.ask(Request::Lookup(key.to_string())).await? {
            Response::Record(record) => Ok(record.map(|r| *r)),
            _ => Err(anyhow!(
                "the state database answered a lookup with something else"
            )),
        }
    }

    pub async fn kv_get(&self, key: &str) -> anyhow::Result<Option<String>> {
        if let Backend::Postgres(pg) = &self.backend {
            return self.on_pg(pg, false, async |pg| pg.kv_get(key).await).await;
        }
        match self.ask(Request::KvGet(key.to_string())).await? {
            Response::Value(value) => Ok(value),
            _ => Err(anyhow!(
                "the state database answered a read with something else"
            )),
        }
    }

    /// See [`Store::note`].
    pub async fn note(&self, key: &str, reason: &str) -> anyhow::Result<()> {
        if let Backend::Postgres(pg) = &self.backend {
            return self
                .on_pg(pg, true, async |pg| pg.note(key, reason).await)
                .await;
        }
        self.ask(Request::Note(key.to_string(), reason.to_string()))
            .await
            .map(drop)
    }

    /// Records a slot the database never let us claim (it refused until the
    /// grace window ended) as failed with `reason`, unless a row exists.
    pub async fn fail_unclaimed(&self, intent: Intent, reason: &str) -> anyhow::Result<()> {
        if let Backend::Postgres(pg) = &self.backend {
            return self
                .on_pg(pg, true, async |pg| {
                    pg.fail_unclaimed(&intent, reason).await
                })
                .await;
        }
        self.ask(Request::FailUnclaimed(intent, reason.to_string()))
            .await
            .map(drop)
    }

    /// Rows still in `intent` whose slot was due before `before`: left by
    /// an earlier run, older than the loop looks back.
    pub async fn stale_intents(&self, before: jiff::Timestamp) -> anyhow::Result<Vec<PostRecord>> {
        if let Backend::Postgres(pg) = &self.backend {
            return self
                .on_pg(pg, false, async |pg| pg.stale_intents(before).await)
                .await;
        }
        match self.ask(Request::StaleIntents(before)).await? {
            Response::Records(rows) => Ok(rows),
            _ => Err(anyhow!(
                "the state database answered a query with something else"
            )),
        }
    }

    /// Deletes finished rows and decided thank-yous older than `before`.
    pub async fn prune(&self, before: jiff::Timestamp) -> anyhow::Result<super::Pruned> {
        if let Backend::Postgres(pg) = &self.backend {
            return self
                .on_pg(pg, true, async |pg| pg.prune(before).await)
                .await;
        }
        match self.ask(Request::Prune(before)).await? {
            Response::Pruned(pruned) => Ok(pruned),
            _ => Err(anyhow!(
                "the state database answered a prune with something else"
            )),
        }
    }

    /// [`SharedStore::kv_set`] while this process's claim of the post
    /// `under` still owns it (see [`PgStore::kv_set_under`]); on SQLite,
    /// where one process owns the state, simply `kv_set`.
    pub async fn kv_set_under(&self, under: &str, key: &str, value: &str) -> anyhow::Result<()> {
        if let Backend::Postgres(pg) = &self.backend {
            return self
                .on_pg(pg, true, async |pg| {
                    pg.kv_set_under(under, key, value).await
                })
                .await;
        }
        self.kv_set(key, value).await
    }

    pub async fn kv_set(&self, key: &str, value: &str) -> anyhow::Result<()> {
        if let Backend::Postgres(pg) = &self.backend {
            return self
                .on_pg(pg, true, async |pg| pg.kv_set(key, value).await)
                .await;
        }
        self.ask(Request::KvSet(key.to_string(), value.to_string()))
            .await
            .map(drop)
    }
}

/// Renews this replica's leases every [`super::pg::RENEW_EVERY`] until
/// the store is dropped. A renewal that fails (the database unreachable)
/// is tried again at the next tick; the leases it could not extend run
/// out, and another replica may take those keys over, which the write's
/// own check ([`PgStore::lease_for_write`]) then notices.
async fn renew_leases(store: std::sync::Weak<PgStore>, health: Arc<StoreHealth>) {
    let mut tick = tokio::time::interval(super::pg::RENEW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks = 0u32;
    loop {
        tick.tick().await;
        ticks = ticks.wrapping_add(1);
        let Some(store) = store.upgrade() else {
            return;
        };
        let result = store.renew().await;
        if result.is_err() {
            super::pg::report(&health, &result, true);
        }
        // The liveness lock again after a lost connection (a PostgreSQL
        // restart); until then other replicas may take this one's claims
        // over early, which fencing makes safe.
        let _ = store.keep_alive().await;
        // The replicas alive, for `/metrics` and the operator page: every
        // few seconds is plenty for a person or an alert.
        if ticks % COUNT_REPLICAS_EVERY == 1 {
            if let Ok(alive) = store.replicas_alive().await {
                health.set_replicas_alive(alive);
            }
        }
    }
}

/// Renewals between two counts of the replicas alive (about 5 s).
const COUNT_REPLICAS_EVERY: u32 = 12;

/// One future type for either backend's commit (`impl Future` must name
/// one type).
fn futures_either(
    f: impl Future<Output = anyhow::Result<()>> + Send + 'static,
) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'static>> {
    Box::pin(f)
}

/// Whether every request waiting records the result of a post.
fn only_results(waiting: &[Envelope]) -> bool {
    waiting
        .iter()
        .all(|envelope| matches!(envelope.request, Request::Record(..)))
}

async fn write_loop(
    mut store: Store,
    mut rx: mpsc::UnboundedReceiver<Envelope>,
    health: Arc<StoreHealth>,
) {
    let mut waiting = Vec::new();
    while rx.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        if only_results(&waiting) {
            // Results of posts: wait a little for the rest of the burst.
            let until = tokio::time::Instant::now() + RESULTS_WAIT;
            while waiting.len() < MAX_BATCH && only_results(&waiting) {
                let room = MAX_BATCH - waiting.len();
                let more = rx.recv_many(&mut waiting, room);
                match tokio::time::timeout_at(until, more).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let (requests, replies): (Vec<_>, Vec<_>) = waiting
            .drain(..)
            .map(|envelope| (envelope.request, envelope.reply))
            .unzip();
        let done = tokio::task::spawn_blocking(move || {
            let writes = requests.iter().any(Request::writes);
            let (answers, identity) = store.batch(requests);
            let mut report = report(&answers);
            report.wrote &= writes;
            for (reply, answer) in replies.into_iter().zip(answers) {
                // The asker may have given up (shutdown); the commit stands.
                let _ = reply.send(answer);
            }
            // After the answers: the commit is durable, so the mirror may
            // lag the database but never run ahead of it.
            if let (Some(mirror), Some(identity)) = (&store.mirror, identity) {
                match super::identity::write_mirror(mirror, &identity) {
                    // Once per spell of failures, not once per batch.
                    Err(err) if !store.mirror_failing => {
                        store.mirror_failing = true;
                        tracing::warn!(
                            "cannot update {} ({err}); until it is, a database restored from \
                             an older copy is not noticed at the next start",
                            mirror.display()
                        );
                    }
                    Err(_) => {}
                    Ok(()) => store.mirror_failing = false,
                }
            }
            (store, report)
        })
        .await;
        let Ok((returned, report)) = done else {
            tracing::error!("the state database writer panicked; no more state is recorded");
            return;
        };
        store = returned;
        health.report(report);
    }
}

/// What a batch's answers say about the database taking writes.
fn report(answers: &[anyhow::Result<Response>]) -> BatchReport {
    let mut report = BatchReport::default();
    for answer in answers {
        match answer {
            Err(err) => report.failure(&format!("{err:#}")),
            Ok(Response::Claims(claims)) => {
                for claim in claims {
                    match claim {
                        Claim::NotRecorded(err) => report.failure(err),
                        _ => report.wrote = true,
                    }
                }
            }
            Ok(_) => report.wrote = true,
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::RemotePost;
    use crate::store::PostState;
    use crate::store::tests::intent;

    fn posted(id: &str) -> Outcome {
        Outcome::Posted(RemotePost {
            id: id.into(),
            cid: None,
            url: None,
        })
    }

    async fn claimed(keys: &[&str]) -> (tempfile::TempDir, SharedStore) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _writer) = SharedStore::spawn(Store::open(dir.path()).unwrap());
        let claims = store
            .claim(
                keys.iter()
                    .map(|k| intent(k, "2026-12-02T18:05:00Z"))
                    .collect(),
            )
            .await
            .unwrap();
        assert!(claims.iter().all(|c| *c == Claim::Fresh));
        (dir, store)
    }

    #[tokio::test(start_paused = true)]
    async fn results_of_a_burst_are_committed_together_after_the_wait() {
        let (_dir, store) = claimed(&["k1", "k2", "k3"]).await;
        let start = tokio::time::Instant::now();
        let commits: Vec<_> = ["k1", "k2", "k3"]
            .iter()
            .enumerate()
            .map(|(i, k)| store.record_soon(k, posted(&i.to_string())))
            .collect();
        for commit in commits {
            commit.await.unwrap();
        }
        assert!(start.elapsed() >= RESULTS_WAIT, "{:?}", start.elapsed());
        for key in ["k1", "k2", "k3"] {
            let row = store.lookup(key).await.unwrap().unwrap();
            assert_eq!(row.state, PostState::Posted);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_lookup_ends_the_wait_and_sees_the_result_queued_before_it() {
        let (_dir, store) = claimed(&["k1"]).await;
        let start = tokio::time::Instant::now();
        let commit = store.record_soon("k1", posted("1"));
        let row = store.lookup("k1").await.unwrap().unwrap();
        assert_eq!(row.state, PostState::Posted);
        assert_eq!(row.remote.unwrap().id, "1");
        commit.await.unwrap();
        assert!(start.elapsed() < RESULTS_WAIT, "{:?}", start.elapsed());
    }
}
