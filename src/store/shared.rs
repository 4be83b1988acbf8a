//! The daemon's handle on the store: one writer, group commit.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` each commit
//! costs an fsync. Rather than a `Mutex<Connection>` locked by every task
//! (200 slots at one instant would queue for 200 fsyncs), one writer task
//! owns the [`Store`]; requests arrive over a channel, and whatever is waiting
//! when the writer gets to it runs in a single transaction on tokio's blocking
//! pool. Callers await only their own answer. Blocking-pool work also keeps
//! paused-time tests honest: tokio does not auto-advance time while it runs.

use anyhow::{Context, anyhow};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Claim, Intent, Outcome, PostRecord, Store};

const STOPPED: &str = "the state database writer stopped before answering";

/// Most requests committed together.
const MAX_BATCH: usize = 512;

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
    tx: mpsc::UnboundedSender<Envelope>,
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
        let writer = tokio::spawn(write_loop(store, rx));
        (SharedStore { tx }, writer)
    }

    fn send(
        &self,
        request: Request,
    ) -> anyhow::Result<oneshot::Receiver<anyhow::Result<Response>>> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Envelope { request, reply })
            .map_err(|_| anyhow!("the state database writer has stopped"))?;
        Ok(answer)
    }

    async fn ask(&self, request: Request) -> anyhow::Result<Response> {
        self.send(request)?.await.context(STOPPED)?
    }

    /// Claims every intent, all in one transaction.
    pub async fn claim(&self, intents: Vec<Intent>) -> anyhow::Result<Vec<Claim>> {
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
        let answer = self.send(Request::Record(key.to_string(), outcome));
        async move { answer?.await.context(STOPPED)?.map(drop) }
    }

    /// See [`Store::release`].
    pub async fn release(&self, key: &str) -> anyhow::Result<()> {
        self.ask(Request::Release(key.to_string())).await.map(drop)
    }

    pub async fn lookup(&self, key: &str) -> anyhow::Result<Option<PostRecord>> {
        match self.ask(Request::Lookup(key.to_string())).await? {
            Response::Record(record) => Ok(record.map(|r| *r)),
            _ => Err(anyhow!(
                "the state database answered a lookup with something else"
            )),
        }
    }

    pub async fn kv_get(&self, key: &str) -> anyhow::Result<Option<String>> {
        match self.ask(Request::KvGet(key.to_string())).await? {
            Response::Value(value) => Ok(value),
            _ => Err(anyhow!(
                "the state database answered a read with something else"
            )),
        }
    }

    /// See [`Store::note`].
    pub async fn note(&self, key: &str, reason: &str) -> anyhow::Result<()> {
        self.ask(Request::Note(key.to_string(), reason.to_string()))
            .await
            .map(drop)
    }

    /// Records a slot the database never let us claim (it refused until the
    /// grace window ended) as failed with `reason`, unless a row exists.
    pub async fn fail_unclaimed(&self, intent: Intent, reason: &str) -> anyhow::Result<()> {
        self.ask(Request::FailUnclaimed(intent, reason.to_string()))
            .await
            .map(drop)
    }

    /// Rows still in `intent` whose slot was due before `before`: left by
    /// an earlier run, older than the loop looks back.
    pub async fn stale_intents(&self, before: jiff::Timestamp) -> anyhow::Result<Vec<PostRecord>> {
        match self.ask(Request::StaleIntents(before)).await? {
            Response::Records(rows) => Ok(rows),
            _ => Err(anyhow!(
                "the state database answered a query with something else"
            )),
        }
    }

    /// Deletes finished rows and decided thank-yous older than `before`.
    pub async fn prune(&self, before: jiff::Timestamp) -> anyhow::Result<super::Pruned> {
        match self.ask(Request::Prune(before)).await? {
            Response::Pruned(pruned) => Ok(pruned),
            _ => Err(anyhow!(
                "the state database answered a prune with something else"
            )),
        }
    }

    pub async fn kv_set(&self, key: &str, value: &str) -> anyhow::Result<()> {
        self.ask(Request::KvSet(key.to_string(), value.to_string()))
            .await
            .map(drop)
    }
}

async fn write_loop(mut store: Store, mut rx: mpsc::UnboundedReceiver<Envelope>) {
    let mut waiting = Vec::new();
    while rx.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let (requests, replies): (Vec<_>, Vec<_>) = waiting
            .drain(..)
            .map(|envelope| (envelope.request, envelope.reply))
            .unzip();
        let done = tokio::task::spawn_blocking(move || {
            let answers = store.batch(requests);
            (store, answers)
        })
        .await;
        let Ok((returned, answers)) = done else {
            tracing::error!("the state database writer panicked; no more state is recorded");
            return;
        };
        store = returned;
        for (reply, answer) in replies.into_iter().zip(answers) {
            // The asker may have given up (shutdown); the commit stands.
            let _ = reply.send(answer);
        }
    }
}
