//! The state in PostgreSQL, shared by several replicas (`[store] url`).
//!
//! The same rows as SQLite (`src/store/sql.rs`): posts by key, intent
//! before the side effect and the result after, and the key/value table.
//! What differs is that several processes claim at once, so:
//!
//! - a claim reads its row `FOR UPDATE` and inserts with `ON CONFLICT DO
//!   NOTHING`; two replicas claiming one new key both wait on the row, and
//!   the second sees the first one's intent;
//! - every intent row carries its owner (the replica), a lease deadline and
//!   a claim generation; each claim of the row, fresh or in doubt, adds one
//!   to the generation, and this replica remembers the generation it holds
//!   for each key ([`PgStore::held`]) so its result is recorded only while
//!   that generation still owns the row (`WHERE key = $1 AND generation =
//!   $2`). See `docs/replicas.md`, "Why no post goes out twice" for the argument.
//!
//! There is no writer task: PostgreSQL takes concurrent writers, and a pool
//! gives each request a connection; a batch of claims is still one
//! transaction (one WAL flush).

pub mod connect;
pub mod schema;
pub mod transcripts;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, anyhow};
use deadpool_postgres::{GenericClient, Pool};
use jiff::Timestamp;
use tokio_postgres::Row;

use super::health::{BatchReport, StoreHealth};
use super::sql::{from_ms, now_ms};
use super::{Claim, Intent, Outcome, PostRecord, PostState, Pruned};
use crate::platform::RemotePost;

const COLUMNS: &str = "key, chat, occurrence, kind, n, account, due, state, \
    remote_id, remote_cid, remote_url, attempts, reason, updated_at";

/// How long a claim is held without a renewal (see `docs/replicas.md`, "Why no post goes out twice"):
/// short, so that another replica takes over a dead one's slot within 2 s.
pub const LEASE: Duration = Duration::from_millis(1500);

/// How often the owner renews its leases: three renewals fit in one lease,
/// so one slow round trip does not lose it.
pub const RENEW_EVERY: Duration = Duration::from_millis(400);

/// The state database on PostgreSQL.
#[derive(Debug)]
pub struct PgStore {
    pool: Pool,
    /// The URL with its password hidden, for messages.
    url: String,
    replica: String,
    /// The claims this process made and has not recorded or released yet.
    held: Mutex<HashMap<String, Hold>>,
    /// The connection holding this replica's liveness lock (see
    /// [`PgStore::keep_alive`]), once it holds it.
    alive: tokio::sync::Mutex<Alive>,
}

/// This replica's liveness lock, and when it last tried to take it.
#[derive(Default)]
struct Alive {
    client: Option<deadpool_postgres::ClientWrapper>,
    tried: Option<std::time::Instant>,
    /// The lock's second key: this process's own, drawn at random, so that
    /// a replica restarted under the same name does not hold its dead
    /// predecessor's.
    key: i32,
}

impl std::fmt::Debug for Alive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alive")
            .field("held", &self.client.is_some())
            .finish()
    }
}

impl PgStore {
    /// Connects to `url` (the password from `password` when given),
    /// applies the migrations and answers as `replica`.
    pub async fn connect(
        url: &str,
        password: Option<&str>,
        replica: &str,
    ) -> anyhow::Result<PgStore> {
        let redacted = connect::redact(url);
        let (config, tls) = connect::config(url, password)?;
        let pool = connect::pool(config, &tls)?;
        let store = PgStore {
            pool,
            url: redacted,
            replica: replica.to_string(),
            held: Mutex::new(HashMap::new()),
            alive: tokio::sync::Mutex::new(Alive {
                key: fastrand::i32(..),
                ..Alive::default()
            }),
        };
        let mut client = store.client().await?;
        schema::migrate(&mut client)
            .await
            .with_context(|| format!("preparing the state database {}", store.url))?;
        Ok(store)
    }

    /// The server, its password hidden.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The replica this store answers as.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    async fn client(&self) -> anyhow::Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|err| {
            let why = pool_error(&err);
            let hint = connect::hint(&why);
            let message = match hint {
                Some(hint) => format!(
                    "the state database {} refused the connection: {why}; {hint}",
                    self.url
                ),
                None => format!("the state database {} is unreachable: {why}", self.url),
            };
            // The server answered, and said no (a password refused, no such
            // database, a certificate this machine does not trust): waiting
            // will not change that.
            let refused = hint.is_some()
                || matches!(&err, deadpool_postgres::PoolError::Backend(err)
                if err.as_db_error().is_some());
            if refused {
                anyhow!(message)
            } else {
                anyhow::Error::new(Unreachable(message))
            }
        })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Hold>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims every intent in one transaction; a claim that fails is
    /// rolled back alone (a savepoint) and reported as not recorded.
    pub async fn claim(&self, intents: &[Intent]) -> anyhow::Result<Vec<Claim>> {
        // No claim without the liveness lock: another replica would take
        // it for a dead one's.
        self.keep_alive().await?;
        let live_key = self.live_key().await;
        let mut client = self.client().await?;
        let mut tx = client.transaction().await?;
        let mut claims = Vec::with_capacity(intents.len());
        let mut taken = Vec::new();
        let mut live = LiveOwners::default();
        for intent in intents {
            let savepoint = tx.savepoint("claim").await?;
            let me = Claimant {
                replica: &self.replica,
                live_key,
            };
            match claim_one(&savepoint, intent, &me, &mut live).await {
                Ok((claim, generation)) => {
                    savepoint.commit().await?;
                    if let Some(generation) = generation {
                        taken.push((intent.key.clone(), generation));
                    }
                    claims.push(claim);
                }
                Err(err) => {
                    savepoint.rollback().await?;
                    claims.push(Claim::NotRecorded(pg_error(&err)));
                }
            }
        }
        tx.commit().await?;
        self.held()
            .extend(taken.into_iter().map(|(key, generation)| {
                (
                    key,
                    Hold {
                        generation,
                        renewing: true,
                    },
                )
            }));
        Ok(claims)
    }

    /// Records how the post under `key` ended, only while this replica's
    /// claim still owns the row.
    pub async fn record(&self, key: &str, outcome: &Outcome) -> anyhow::Result<()> {
        let generation = self.held().get(key).map(|hold| hold.generation);
        let (state, remote, reason) = match outcome {
            Outcome::Posted(remote) => ("posted", Some(remote), None),
            Outcome::Failed(reason) => ("failed", None, Some(reason.as_str())),
            Outcome::Skipped(reason) => ("skipped", None, Some(reason.as_str())),
        };
        let client = self.client().await?;
        // Held: only while this claim's generation owns the row. Not held
        // (an earlier run's intent, looked up and recorded): only while no
        // other replica holds a live lease on it.
        let changed = client
            .execute(
                &format!(
                    "UPDATE posts SET state = $2, remote_id = $3, remote_cid = $4, \
                     remote_url = $5, reason = COALESCE($6, reason), updated_at = $7, \
                     owner = NULL, lease_until = NULL \
                     WHERE key = $1 AND CASE WHEN $8::BIGINT IS NULL THEN \
                     (state <> 'intent' OR lease_until IS NULL \
                      OR lease_until <= {SERVER_NOW}) ELSE generation = $8 END"
                ),
                &[
                    &key,
                    &state,
                    &remote.map(|r| &r.id),
                    &remote.and_then(|r| r.cid.as_ref()),
                    &remote.and_then(|r| r.url.as_ref()),
                    &reason,
                    &now_ms(),
                    &generation,
                ],
            )
            .await?;
        if changed == 1 {
            self.held().remove(key);
            return Ok(());
        }
        match generation {
            Some(generation) => {
                // Kept (not renewed), so a second try is refused the same way.
                self.let_go(key);
                Err(TakenOver(format!(
                    "not recording {key}: this replica's claim (generation {generation}) no \
                     longer owns it; another replica took it over as in doubt"
                ))
                .into())
            }
            None => {
                let row = client
                    .query_opt("SELECT owner FROM posts WHERE key = $1", &[&key])
                    .await?;
                match row.and_then(|row| row.get::<_, Option<String>>(0)) {
                    Some(owner) => Err(TakenOver(format!(
                        "not recording {key}: the replica {owner} holds its claim"
                    ))
                    .into()),
                    None => Err(anyhow!(
                        "no claim recorded for {key}: claim a key before recording it"
                    )),
                }
            }
        }
    }

    /// Before a platform write: makes sure this replica's claim of `key`
    /// still owns the row and lasts at least `hold` more (the write's
    /// timeout and a margin), extending it when needed. `false`: the claim
    /// was taken over (this replica was paused or cut off beyond its
    /// lease), so nothing may be posted or recorded under it.
    ///
    /// The generation alone decides: a lease that ran out while the
    /// database was unreachable, but that no other replica took over (the
    /// generation is unchanged), is extended again, since a taker would
    /// have had to move the generation first (the row lock orders the two).
    /// So the lease is always extended to at least [`LEASE`] from now, even
    /// where a repeated write is harmless (`hold` zero): the write then
    /// starts under a live lease, never an expired one.
    pub async fn lease_for_write(&self, key: &str, hold: Duration) -> anyhow::Result<bool> {
        let generation = match self.held().get(key) {
            Some(hold) if hold.renewing => hold.generation,
            _ => return Ok(false),
        };
        // A write a second one could double: marked, so that even a dead
        // owner's key waits until it is over (see `claim_one`).
        let doubles = !hold.is_zero();
        let hold = hold.max(LEASE);
        let client = self.client().await?;
        let still = client
            .query_opt(
                &format!(
                    "UPDATE posts SET lease_until = GREATEST(lease_until, {SERVER_NOW} + $3), \
                     write_until = CASE WHEN $4 THEN \
                     GREATEST(COALESCE(write_until, 0), {SERVER_NOW} + $3) ELSE write_until END \
                     WHERE key = $1 AND generation = $2 AND state = 'intent' RETURNING key"
                ),
                &[&key, &generation, &duration_ms(hold), &doubles],
            )
            .await?;
        if still.is_none() {
            self.let_go(key);
        }
        Ok(still.is_some())
    }

    /// Forgets this replica's claim of `key` without touching the row: it
    /// is no longer renewed, so it runs out.
    pub fn let_go(&self, key: &str) {
        if let Some(hold) = self.held().get_mut(key) {
            hold.renewing = false;
        }
    }

    /// Holds this process's liveness lock: a session advisory lock on a
    /// key of its own (drawn at random, written into every claim it makes
    /// as `owner_lock`), on a connection of its own, which the server lets
    /// go of the moment the process dies (its connection closes). Another
    /// replica finding a claim's owner without it, and no write of that
    /// owner in flight, takes the claim over without waiting out the lease
    /// (`claim_one`). Called before claiming and at every renewal; it takes
    /// the lock again after the connection was lost (a PostgreSQL restart).
    ///
    /// On the same connection it also locks the replica's name, only to
    /// tell: `false` while another running process holds that name, which
    /// the settings must not allow (its claims and logs would read as this
    /// one's).
    pub async fn keep_alive(&self) -> anyhow::Result<bool> {
        let mut alive = self.alive.lock().await;
        if alive
            .client
            .as_ref()
            .is_some_and(|client| !client.is_closed())
        {
            return Ok(true);
        }
        alive.client = None;
        // Refused a moment ago (another process has the name): asked again
        // at the next renewal, not at every claim.
        if alive.tried.is_some_and(|at| at.elapsed() < RENEW_EVERY) {
            return Ok(false);
        }
        alive.tried = Some(std::time::Instant::now());
        let client = deadpool_postgres::Object::take(self.client().await?);
        // Another process's key, one time in four billion: draw again.
        for _ in 0..3 {
            let taken: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, $2)",
                    &[&LIVE_CLASS, &alive.key],
                )
                .await?
                .get(0);
            if taken {
                break;
            }
            alive.key = fastrand::i32(..);
        }
        let named: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&NAME_CLASS, &self.replica],
            )
            .await?
            .get(0);
        alive.client = Some(client);
        Ok(named)
    }

    /// How many replicas hold their liveness lock on this database now
    /// (for `/metrics` and the operator page).
    pub async fn replicas_alive(&self) -> anyhow::Result<u64> {
        let client = self.client().await?;
        let count: i64 = client
            .query_one(&format!("SELECT count(*) {LIVE_LOCKS}"), &[&LIVE_CLASS])
            .await?
            .get(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The key of this process's liveness lock, written into its claims.
    async fn live_key(&self) -> i32 {
        self.alive.lock().await.key
    }

    /// Extends the lease of every claim this replica holds to [`LEASE`]
    /// from now (never shortening a write's longer one); claims found taken
    /// over are forgotten. Called every [`RENEW_EVERY`] while any is held.
    pub async fn renew(&self) -> anyhow::Result<()> {
        let (keys, generations): (Vec<String>, Vec<i64>) = self
            .held()
            .iter()
            .filter(|(_, hold)| hold.renewing)
            .map(|(key, hold)| (key.clone(), hold.generation))
            .unzip();
        if keys.is_empty() {
            return Ok(());
        }
        let client = self.client().await?;
        let renewed = client
            .query(
                &format!(
                    "UPDATE posts p SET lease_until = GREATEST(p.lease_until, {SERVER_NOW} + $3) \
                     FROM unnest($1::TEXT[], $2::BIGINT[]) AS h(key, generation) \
                     WHERE p.key = h.key AND p.generation = h.generation \
                     AND p.state = 'intent' AND p.owner = $4 RETURNING p.key"
                ),
                &[&keys, &generations, &lease_ms(), &self.replica],
            )
            .await?;
        let renewed: std::collections::HashSet<String> =
            renewed.iter().map(|row| row.get(0)).collect();
        let mut held = self.held();
        for (key, generation) in keys.into_iter().zip(generations) {
            // Still the same claim, and not renewed: lost to another replica
            // (or finished meanwhile, when it is gone from the map anyway).
            if let Some(hold) = held.get_mut(&key) {
                if !renewed.contains(&key) && hold.generation == generation && hold.renewing {
                    tracing::warn!(%key, "this replica's claim was taken over by another replica");
                    hold.renewing = false;
                }
            }
        }
        Ok(())
    }

    /// Gives back a claim that never led to a side effect.
    pub async fn release(&self, key: &str) -> anyhow::Result<()> {
        let generation = self.held().remove(key).map(|hold| hold.generation);
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "UPDATE posts SET attempts = attempts - 1, owner = NULL, lease_until = NULL \
             WHERE key = $1 AND state = 'intent' AND ($2::BIGINT IS NULL OR generation = $2)",
            &[&key, &generation],
        )
        .await?;
        tx.execute(
            "DELETE FROM posts WHERE key = $1 AND state = 'intent' AND attempts <= 0",
            &[&key],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn note(&self, key: &str, reason: &str) -> anyhow::Result<()> {
        let client = self.client().await?;
        let changed = client
            .execute(
                "UPDATE posts SET reason = $2 WHERE key = $1",
                &[&key, &reason],
            )
            .await?;
        anyhow::ensure!(
            changed == 1,
            "no claim recorded for {key}: claim a key before noting why"
        );
        Ok(())
    }

    pub async fn lookup(&self, key: &str) -> anyhow::Result<Option<PostRecord>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM posts WHERE key = $1"),
                &[&key],
            )
            .await?;
        Ok(row.as_ref().map(row_to_record))
    }

    pub async fn kv_get(&self, key: &str) -> anyhow::Result<Option<String>> {
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT value FROM kv WHERE key = $1", &[&key])
            .await?;
        Ok(row.map(|row| row.get(0)))
    }

    pub async fn kv_set(&self, key: &str, value: &str) -> anyhow::Result<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at",
                &[&key, &value, &now_ms()],
            )
            .await?;
        Ok(())
    }

    /// Sets `key` only while this replica's claim of `under` still owns
    /// that post's row: a thank-you's decided texts, kept by the replica
    /// posting it, so that one paused past its lease cannot overwrite what
    /// the replica that took the thank-you over decided. A
    /// [`TakenOver`] error otherwise. The row lock orders this with a
    /// takeover's claim, as for [`PgStore::record`].
    pub async fn kv_set_under(&self, under: &str, key: &str, value: &str) -> anyhow::Result<()> {
        let Some(generation) = self.held().get(under).map(|hold| hold.generation) else {
            return Err(TakenOver(format!(
                "not keeping {key}: this replica holds no claim of {under}"
            ))
            .into());
        };
        let client = self.client().await?;
        let changed = client
            .execute(
                "WITH owner AS (SELECT 1 FROM posts WHERE key = $4 AND generation = $5 \
                 AND state = 'intent' FOR UPDATE) \
                 INSERT INTO kv (key, value, updated_at) SELECT $1, $2, $3 FROM owner \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at",
                &[&key, &value, &now_ms(), &under, &generation],
            )
            .await?;
        if changed == 1 {
            return Ok(());
        }
        self.let_go(under);
        Err(TakenOver(format!(
            "not keeping {key}: this replica's claim of {under} (generation {generation}) no \
             longer owns it; another replica took it over"
        ))
        .into())
    }

    /// Sets `key` unless it is set already; `true` when this call set it.
    /// What must happen once across replicas and has no post key of its
    /// own (a webhook event) is claimed this way.
    pub async fn kv_claim(&self, key: &str, value: &str) -> anyhow::Result<bool> {
        let client = self.client().await?;
        let inserted = client
            .execute(
                "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (key) DO NOTHING",
                &[&key, &value, &now_ms()],
            )
            .await?;
        Ok(inserted == 1)
    }

    pub async fn fail_unclaimed(&self, intent: &Intent, reason: &str) -> anyhow::Result<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO posts (key, chat, occurrence, kind, n, account, due, state, \
                 attempts, reason, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'failed', 0, $8, $9) \
                 ON CONFLICT (key) DO NOTHING",
                &[
                    &intent.key,
                    &intent.chat,
                    &intent.occurrence,
                    &intent.kind,
                    &n_to_sql(intent.n),
                    &intent.account,
                    &intent.due.as_millisecond(),
                    &reason,
                    &now_ms(),
                ],
            )
            .await?;
        Ok(())
    }

    pub async fn stale_intents(&self, before: Timestamp) -> anyhow::Result<Vec<PostRecord>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM posts WHERE state = 'intent' AND due < $1 ORDER BY due"
                ),
                &[&before.as_millisecond()],
            )
            .await?;
        Ok(rows.iter().map(row_to_record).collect())
    }

    /// Deletes what [`super::Store::prune`] deletes, once across replicas:
    /// under an advisory lock (a replica finding another one pruning leaves
    /// it to that one), and not again for a `before` that a prune within
    /// the last [`PRUNE_AGAIN_AFTER`] already covered (every replica prunes
    /// at start and daily; a fleet restarted together prunes once).
    pub async fn prune(&self, before: Timestamp) -> anyhow::Result<Pruned> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let ours: bool = tx
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1, hashtext('prune'))",
                &[&ADVISORY_CLASS],
            )
            .await?
            .get(0);
        if !ours {
            return Ok(Pruned::default());
        }
        let last: Option<i64> = tx
            .query_opt("SELECT value FROM kv WHERE key = $1", &[&PRUNED_BEFORE])
            .await?
            .and_then(|row| row.get::<_, String>(0).parse().ok());
        let before_ms = before.as_millisecond();
        let window = i64::try_from(PRUNE_AGAIN_AFTER.as_millis()).unwrap_or(i64::MAX);
        if last.is_some_and(|last| before_ms <= last.saturating_add(window)) {
            return Ok(Pruned::default());
        }
        let posts = tx
            .execute(
                "DELETE FROM posts WHERE state <> 'intent' AND updated_at < $1",
                &[&before.as_millisecond()],
            )
            .await?;
        let thanks = tx
            .execute(
                "DELETE FROM kv WHERE (key LIKE 'thanks/%' OR key LIKE 'console/%' \
                 OR key LIKE 'notify/%') AND updated_at < $1",
                &[&before.as_millisecond()],
            )
            .await?;
        tx.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
            &[&PRUNED_BEFORE, &before_ms.to_string(), &now_ms()],
        )
        .await?;
        tx.commit().await?;
        Ok(Pruned {
            posts: usize::try_from(posts).unwrap_or(usize::MAX),
            thanks: usize::try_from(thanks).unwrap_or(usize::MAX),
        })
    }

    /// Copies an exported SQLite state in, in one transaction (all or
    /// nothing), under the migration lock. Refuses a database that already
    /// has posts or values, unless they came from this very export (the
    /// `store/migrated_from` value names the source's identity): then rows
    /// missing are added and existing ones kept, so running it again is
    /// harmless.
    pub async fn import(&self, export: &super::Export) -> anyhow::Result<Imported> {
        let source = export
            .id
            .clone()
            .unwrap_or_else(|| "an SQLite state without an identity".to_string());
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&schema::MIGRATION_LOCK],
        )
        .await?;
        let posts: i64 = tx
            .query_one("SELECT count(*) FROM posts", &[])
            .await?
            .get(0);
        // The store's own bookkeeping (`store/…`, such as the last prune) is
        // not state that a copy could overwrite.
        let values: i64 = tx
            .query_one("SELECT count(*) FROM kv WHERE key NOT LIKE 'store/%'", &[])
            .await?
            .get(0);
        let from: Option<String> = tx
            .query_opt("SELECT value FROM kv WHERE key = $1", &[&MIGRATED_FROM])
            .await?
            .map(|row| row.get(0));
        let again = from.as_deref() == Some(source.as_str());
        if (posts > 0 || values > 0) && !again {
            anyhow::bail!(
                "the target database {} is not empty ({posts} posts, {values} values{}): \
                 `store migrate` copies into an empty database only, so nothing was copied. \
                 Point --to at a new database, or drop this one's tables if it holds nothing \
                 you need",
                self.url,
                from.map(|f| format!(", copied from {f}"))
                    .unwrap_or_default()
            );
        }
        let mut added = Imported::default();
        for post in &export.posts {
            let remote = post.remote.as_ref();
            added.posts += tx
                .execute(
                    "INSERT INTO posts (key, chat, occurrence, kind, n, account, due, state, \
                     remote_id, remote_cid, remote_url, attempts, reason, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                     ON CONFLICT (key) DO NOTHING",
                    &[
                        &post.key,
                        &post.chat,
                        &post.occurrence,
                        &post.kind,
                        &n_to_sql(post.n),
                        &post.account,
                        &post.due.as_millisecond(),
                        &post.state.as_str(),
                        &remote.map(|r| &r.id),
                        &remote.and_then(|r| r.cid.as_ref()),
                        &remote.and_then(|r| r.url.as_ref()),
                        &i32::try_from(post.attempts).unwrap_or(i32::MAX),
                        &post.reason,
                        &post.updated_at.as_millisecond(),
                    ],
                )
                .await?;
        }
        for (key, value, updated_at) in &export.kv {
            // The SQLite identity and its mirror stay with SQLite.
            if key.starts_with("store/") {
                continue;
            }
            added.values += tx
                .execute(
                    "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO NOTHING",
                    &[key, value, updated_at],
                )
                .await?;
        }
        tx.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO NOTHING",
            &[&MIGRATED_FROM, &source, &now_ms()],
        )
        .await?;
        tx.commit().await?;
        added.again = again;
        Ok(added)
    }

    /// Takes the advisory lock named `name` (`oauth2/ACCOUNT`) on a
    /// connection of its own, waiting at most `wait` for another replica or
    /// command to let go; `None` when it did not. The lock lasts until the
    /// returned connection is dropped (it is then closed, and the server
    /// lets go of the lock, as it does when a process dies).
    pub async fn advisory_lock(
        &self,
        name: &str,
        wait: Duration,
    ) -> anyhow::Result<Option<AdvisoryLock>> {
        let client = deadpool_postgres::Object::take(self.client().await?);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let taken: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))",
                    &[&ADVISORY_CLASS, &name],
                )
                .await?
                .get(0);
            if taken {
                return Ok(Some(AdvisoryLock { _client: client }));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The `limit` most recently updated rows, newest first (`status`).
    pub async fn recent(&self, limit: usize) -> anyhow::Result<Vec<PostRecord>> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &format!("SELECT {COLUMNS} FROM posts ORDER BY updated_at DESC, due DESC LIMIT $1"),
                &[&limit],
            )
            .await?;
        Ok(rows.iter().map(row_to_record).collect())
    }

    /// See [`super::ResultsReader::chat_results`].
    pub async fn chat_results(
        &self,
        chat: &str,
        since: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<PostRecord>> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM posts WHERE chat = $1 AND occurrence >= $2 \
                     ORDER BY occurrence DESC, due, kind, n, account LIMIT $3"
                ),
                &[&chat, &since, &limit],
            )
            .await?;
        Ok(rows.iter().map(row_to_record).collect())
    }
}

/// The key/value row holding the `before` of the last prune (milliseconds).
const PRUNED_BEFORE: &str = "store/pruned_before";

/// A prune whose `before` is within this of the last one's is left out: the
/// replicas prune at start and daily, and one of them is enough.
pub const PRUNE_AGAIN_AFTER: Duration = Duration::from_secs(3600);

/// The key/value row naming the SQLite state `store migrate` copied in.
const MIGRATED_FROM: &str = "store/migrated_from";

/// What [`PgStore::import`] added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub posts: u64,
    pub values: u64,
    /// The same state had been copied before.
    pub again: bool,
}

/// The first key of every advisory lock tweetchat takes besides the
/// migration's (`tc` in ASCII).
const ADVISORY_CLASS: i32 = 0x7463;

/// The first key of the processes' liveness locks (`tl`), the second being
/// the process's own random key ([`PgStore::keep_alive`]).
const LIVE_CLASS: i32 = 0x746c;

/// The liveness locks held on this database (`$1` is [`LIVE_CLASS`]):
/// advisory locks on two keys, granted, in this database.
const LIVE_LOCKS: &str = "FROM pg_locks l WHERE l.locktype = 'advisory' \
    AND l.granted AND l.objsubid = 2 AND l.classid = $1::INT4::OID \
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

/// The first key of the replicas' name locks (`tn`), the second the hash of
/// the name: held by the process running under that name.
const NAME_CLASS: i32 = 0x746e;

/// An advisory lock held on a connection taken out of the pool; dropping
/// it closes the connection, which releases the lock.
pub struct AdvisoryLock {
    _client: deadpool_postgres::ClientWrapper,
}

impl std::fmt::Debug for AdvisoryLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdvisoryLock")
    }
}

/// A claim this process made: its generation, and whether its lease is
/// still renewed (`false` once found taken over or let go: its result is
/// then refused by the generation check, never recorded unfenced).
#[derive(Debug, Clone, Copy)]
struct Hold {
    generation: i64,
    renewing: bool,
}

/// A result not recorded because another replica's claim owns the key
/// now; trying again cannot help (the worker stops on it).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TakenOver(pub String);

/// The server could not be reached at all (refused, timed out, closed):
/// worth waiting for, as a restart or a failover ends.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

/// What a failure to get a connection comes to, in words without the URL.
fn pool_error(err: &deadpool_postgres::PoolError) -> String {
    match err {
        deadpool_postgres::PoolError::Backend(err) => pg_error(err),
        deadpool_postgres::PoolError::Timeout(_) => "timed out waiting for a connection".into(),
        other => other.to_string(),
    }
}

/// A driver error with its cause (tokio-postgres's `Display` alone often
/// says only "error connecting to server").
fn pg_error(err: &tokio_postgres::Error) -> String {
    match std::error::Error::source(err) {
        Some(source) => format!("{err}: {source}"),
        None => err.to_string(),
    }
}

fn n_to_sql(n: Option<u32>) -> Option<i32> {
    n.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

fn row_to_record(row: &Row) -> PostRecord {
    let state: String = row.get(7);
    let remote_id: Option<String> = row.get(8);
    let n: Option<i32> = row.get(4);
    let attempts: i32 = row.get(11);
    PostRecord {
        key: row.get(0),
        chat: row.get(1),
        occurrence: row.get(2),
        kind: row.get(3),
        n: n.and_then(|n| u32::try_from(n).ok()),
        account: row.get(5),
        due: from_ms(row.get(6)),
        state: PostState::parse(&state),
        remote: remote_id.map(|id| RemotePost {
            id,
            cid: row.get(9),
            url: row.get(10),
        }),
        attempts: u32::try_from(attempts).unwrap_or(0),
        reason: row.get(12),
        updated_at: from_ms(row.get(13)),
    }
}

/// One claim, as [`super::sql::claim_one`] on SQLite, plus the lease: the
/// generation this claim took, when it took one.
/// Who claims: the replica's name and its process's liveness key.
struct Claimant<'a> {
    replica: &'a str,
    live_key: i32,
}

async fn claim_one(
    tx: &impl GenericClient,
    intent: &Intent,
    me: &Claimant<'_>,
    live: &mut LiveOwners,
) -> Result<(Claim, Option<i64>), tokio_postgres::Error> {
    let replica = me.replica;
    // Twice at most: a new key that another replica inserted between our
    // read and our insert is read again (its row is then committed).
    for _ in 0..2 {
        let existing = tx
            .query_opt(
                &format!(
                    "SELECT {COLUMNS}, owner, lease_until, {SERVER_NOW}, write_until, \
                     owner_lock::OID FROM posts WHERE key = $1 FOR UPDATE"
                ),
                &[&intent.key],
            )
            .await?;
        if let Some(row) = existing {
            let owner: Option<String> = row.get(14);
            let lease_until: Option<i64> = row.get(15);
            let server_now: i64 = row.get(16);
            let write_until: Option<i64> = row.get(17);
            let owner_lock: Option<u32> = row.get(18);
            let existing = row_to_record(&row);
            if let (PostState::Intent, Some(owner), Some(until)) =
                (existing.state, owner, lease_until)
            {
                // A dead owner (its liveness lock gone with its process)
                // with no write in flight that a second one could double
                // is taken over at once; its lease would only make the
                // post later. See docs/replicas.md, "A dead owner".
                let writing = write_until.is_some_and(|w| w > server_now);
                let dead = until > server_now
                    && !writing
                    && match owner_lock {
                        Some(lock) => !live.is_alive(tx, lock).await?,
                        None => false,
                    };
                // A live lease: left alone (see docs/replicas.md), even when it
                // names this replica (a restart under a fixed name, or a
                // second process given the same name by mistake).
                if until > server_now && !dead {
                    let left =
                        Duration::from_millis(u64::try_from(until - server_now).unwrap_or(0));
                    return Ok((Claim::Held { owner, left }, None));
                }
            }
            let reason = existing.reason.unwrap_or_default();
            return Ok(match existing.state {
                PostState::Posted => match existing.remote {
                    Some(remote) => (Claim::Done(remote), None),
                    None => (Claim::Failed("posted without a remote id".into()), None),
                },
                PostState::Skipped => (Claim::Skipped(reason), None),
                PostState::Failed => (Claim::Failed(reason), None),
                PostState::Intent => {
                    let generation: i64 = tx
                        .query_one(
                            &format!(
                                "UPDATE posts SET attempts = attempts + 1, updated_at = $2, \
                                 owner = $3, lease_until = {SERVER_NOW} + $4, owner_lock = $5, \
                                 generation = generation + 1 WHERE key = $1 RETURNING generation"
                            ),
                            &[&intent.key, &now_ms(), &replica, &lease_ms(), &me.live_key],
                        )
                        .await?
                        .get(0);
                    (
                        Claim::InDoubt {
                            attempts: existing.attempts,
                        },
                        Some(generation),
                    )
                }
            });
        }
        let skip = match &intent.missed {
            Some(reason) => Some(reason.clone()),
            None => later_post_in_occurrence(tx, intent).await?,
        };
        let (state, attempts, owner, lease) = match skip {
            Some(_) => ("skipped", 0, None, None),
            None => ("intent", 1, Some(replica), Some(lease_ms())),
        };
        let inserted = tx
            .query_opt(
                &format!(
                    "INSERT INTO posts (key, chat, occurrence, kind, n, account, due, state, \
                     attempts, reason, updated_at, owner, lease_until, generation, owner_lock) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                     {SERVER_NOW} + $13, 1, $14) ON CONFLICT (key) DO NOTHING RETURNING generation"
                ),
                &[
                    &intent.key,
                    &intent.chat,
                    &intent.occurrence,
                    &intent.kind,
                    &n_to_sql(intent.n),
                    &intent.account,
                    &intent.due.as_millisecond(),
                    &state,
                    &attempts,
                    &skip,
                    &now_ms(),
                    &owner,
                    &lease,
                    &owner.map(|_| me.live_key),
                ],
            )
            .await?;
        if inserted.is_some() {
            return Ok(match skip {
                Some(reason) => (Claim::SkippedNow(reason), None),
                None => (Claim::Fresh, Some(1)),
            });
        }
    }
    // Inserted and then deleted (released) by another replica twice over:
    // say so rather than loop.
    Ok((
        Claim::NotRecorded(format!(
            "the claim of {} kept changing under another replica",
            intent.key
        )),
        None,
    ))
}

/// The replicas holding their liveness lock, as one claim batch saw them:
/// read once per batch (`pg_locks` lists every lock on the server, so
/// reading it per key would slow a batch of hundreds), and read again for
/// one owner not in it, which may have started since.
#[derive(Default)]
struct LiveOwners {
    seen: Option<std::collections::HashSet<u32>>,
}

impl LiveOwners {
    async fn is_alive(
        &mut self,
        tx: &impl GenericClient,
        lock: u32,
    ) -> Result<bool, tokio_postgres::Error> {
        if self.seen.is_none() {
            let rows = tx
                .query(&format!("SELECT l.objid {LIVE_LOCKS}"), &[&LIVE_CLASS])
                .await?;
            self.seen = Some(rows.iter().map(|row| row.get(0)).collect());
        }
        if self.seen.as_ref().is_some_and(|seen| seen.contains(&lock)) {
            return Ok(true);
        }
        let again = tx
            .query_opt(
                &format!("SELECT l.objid {LIVE_LOCKS} AND l.objid = $2::OID"),
                &[&LIVE_CLASS, &lock],
            )
            .await?;
        Ok(again.is_some())
    }
}

fn lease_ms() -> i64 {
    duration_ms(LEASE)
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The server's clock in milliseconds: every lease is set and compared on
/// the one clock the replicas share, so their own clocks' skew does not
/// matter.
const SERVER_NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::BIGINT";

async fn later_post_in_occurrence(
    tx: &impl GenericClient,
    intent: &Intent,
) -> Result<Option<String>, tokio_postgres::Error> {
    let later = tx
        .query_opt(
            "SELECT key FROM posts WHERE chat = $1 AND occurrence = $2 AND account = $3 \
             AND due > $4 AND state = 'posted' ORDER BY due LIMIT 1",
            &[
                &intent.chat,
                &intent.occurrence,
                &intent.account,
                &intent.due.as_millisecond(),
            ],
        )
        .await?;
    Ok(later.map(|row| {
        let key: String = row.get(0);
        format!("out of order: the later post {key} is already out")
    }))
}

/// The health of a request, for `/healthz` and `/metrics`: a database
/// that cannot be reached counts as failing writes.
pub(super) fn report<T>(health: &Arc<StoreHealth>, result: &anyhow::Result<T>, writes: bool) {
    let mut report = BatchReport::default();
    match result {
        Ok(_) => report.wrote = writes,
        // The database answered: another replica owns the key now.
        Err(err) if err.is::<TakenOver>() => {}
        Err(err) => report.failure(&format!("{err:#}")),
    }
    health.report(report);
}
