//! Durable state in SQLite: intent before the side effect, result after.
//!
//! Every post has a stable key (see [`crate::schedule::Slot::key`]). Before a
//! post leaves, its key is *claimed*: a row in state `intent` is committed
//! (WAL, `synchronous=FULL`, so it survives a power cut). After the platform
//! answers, the row becomes `posted` (with the remote id), `failed` or
//! `skipped`. A row still in `intent` after a restart is *in doubt*: the post
//! may or may not have gone out, so the daemon asks the platform
//! ([`crate::platform::Platform::reconcile`]) before anything else. That is how
//! a restart never posts a key twice and never silently loses one.
//!
//! [`Store`] is the synchronous store on one connection (used by `status` and
//! tests). The daemon talks to it through [`SharedStore`], which owns the one
//! writer and commits whatever requests are waiting in a single transaction
//! (group commit), so 200 slots due in the same second cost one fsync, not 200.

mod command;
mod health;
pub mod identity;
mod lock;
pub mod pg;
mod results;
mod schema;
mod shared;
mod sql;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use jiff::Timestamp;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde::Serialize;

use crate::platform::RemotePost;
use crate::schedule::Slot;
use sql::{COLUMNS, claim_in_savepoint, kv_get, kv_set, lookup, record, release, row_to_record};

pub use sql::Pruned;

pub use command::{BlockingPg, CommandStore};
pub use health::StoreHealth;
pub use identity::{Identity, Verified};
pub use lock::{LOCK_FILE, StateLock};
pub use pg::PgStore;
pub use results::ResultsReader;
pub use shared::SharedStore;

/// The database file inside `state_dir`.
pub const FILE_NAME: &str = "state.db";

/// How long a statement waits for another connection's write lock before
/// it fails with "database is locked" (then the caller retries with
/// backoff: a claim inside its grace window, see the dispatcher).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `f` again while SQLite says the database is busy (changing the
/// journal mode does not always wait on the busy timeout); at most ~5 s.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let mut tries = 0;
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if tries < 50
                    && matches!(
                        e.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) =>
            {
                tries += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// A post about to be claimed: where it comes from and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub key: String,
    pub chat: String,
    /// Local start of the occurrence, `2026-12-02T12:00`.
    pub occurrence: String,
    pub kind: String,
    pub n: Option<u32>,
    pub account: String,
    pub due: Timestamp,
    /// `Some(reason)` when the slot is already past its grace window: a key
    /// seen for the first time is recorded as skipped instead of claimed (an
    /// intent left by an earlier run is still reported in doubt, because it
    /// may have been posted).
    pub missed: Option<String>,
}

impl Intent {
    /// The intent of `slot` on `account`.
    pub fn for_slot(slot: &Slot, account: &str) -> Self {
        Self {
            key: slot.key(account),
            chat: slot.chat.to_string(),
            occurrence: slot.occurrence.strftime("%Y-%m-%dT%H:%M").to_string(),
            kind: slot.kind.as_str().to_string(),
            n: slot.n,
            account: account.to_string(),
            due: slot.at,
            missed: None,
        }
    }
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Never seen: the intent is now recorded, go ahead and post.
    Fresh,
    /// An earlier run claimed it (`attempts` times) and never recorded an
    /// answer: reconcile with the platform before posting.
    InDoubt { attempts: u32 },
    /// Already posted.
    Done(RemotePost),
    /// Skipped by an earlier claim, with the reason.
    Skipped(String),
    /// Recorded as skipped by this claim: missed beyond its grace window (see
    /// [`Intent::missed`]) or out of order (a later slot of the occurrence is
    /// already posted on this account).
    SkippedNow(String),
    /// Failed earlier, with the reason; not retried.
    Failed(String),
    /// Another replica holds a live lease on it (PostgreSQL only): left
    /// alone, and claimed again when the lease has run out (`left`), when
    /// it is either finished or taken over as in doubt.
    Held { owner: String, left: Duration },
    /// The database refused this claim (busy, disk full): nothing is
    /// recorded, so the caller tries again while the grace window lasts.
    NotRecorded(String),
}

/// How a post ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Posted(RemotePost),
    Failed(String),
    Skipped(String),
}

/// The state of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PostState {
    Intent,
    Posted,
    Failed,
    Skipped,
}

impl PostState {
    fn parse(s: &str) -> Self {
        match s {
            "posted" => PostState::Posted,
            "failed" => PostState::Failed,
            "skipped" => PostState::Skipped,
            _ => PostState::Intent,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PostState::Intent => "intent",
            PostState::Posted => "posted",
            PostState::Failed => "failed",
            PostState::Skipped => "skipped",
        }
    }
}

/// One row of the `posts` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostRecord {
    pub key: String,
    pub chat: String,
    pub occurrence: String,
    pub kind: String,
    pub n: Option<u32>,
    pub account: String,
    pub due: Timestamp,
    pub state: PostState,
    pub remote: Option<RemotePost>,
    pub attempts: u32,
    pub reason: Option<String>,
    pub updated_at: Timestamp,
}

/// A whole SQLite state, to copy into PostgreSQL.
#[derive(Debug, Default)]
pub struct Export {
    /// The database's identity (`store/id`), when it has one: the target
    /// remembers it, so copying the same state again is a no-op.
    pub id: Option<String>,
    pub posts: Vec<PostRecord>,
    pub kv: Vec<(String, String, i64)>,
}

/// The synchronous store: one connection to `state_dir/state.db`.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The identity mirror the writer keeps current after each write
    /// ([`identity`]); set by [`identity::verify`].
    mirror: Option<PathBuf>,
    /// The last write of the mirror failed (warned about once).
    mirror_failing: bool,
}

impl Store {
    /// Opens (creating if needed) `state_dir/state.db` and migrates it.
    pub fn open(state_dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("creating the state folder {}", state_dir.display()))?;
        Self::open_file(&state_dir.join(FILE_NAME))
    }

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// Two processes opening a new file at once take turns (see
    /// [`schema::migrate`]).
    pub fn open_file(path: &Path) -> anyhow::Result<Store> {
        let open = || -> anyhow::Result<Store> {
            let mut conn = Connection::open(path)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            let mode: String = retry_busy(|| {
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            })?;
            if !mode.eq_ignore_ascii_case("wal") {
                anyhow::bail!("the file system refused write-ahead logging (journal mode {mode})");
            }
            conn.pragma_update(None, "synchronous", "FULL")?;
            schema::migrate(&mut conn)?;
            Ok(Store {
                conn,
                path: path.to_path_buf(),
                mirror: None,
                mirror_failing: false,
            })
        };
        open().with_context(|| format!("opening the state database {}", path.display()))
    }

    /// Opens an existing database only to read it (`status`): never
    /// creates, migrates or writes, so it runs beside the daemon without
    /// taking its write lock. A file not migrated yet reads as empty.
    pub fn open_read_only(path: &Path) -> anyhow::Result<Store> {
        let open = || -> anyhow::Result<Store> {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            schema::version(&conn)?;
            Ok(Store {
                conn,
                path: path.to_path_buf(),
                mirror: None,
                mirror_failing: false,
            })
        };
        open().with_context(|| format!("reading the state database {}", path.display()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Claims every intent in one transaction (one fsync).
    pub fn claim(&mut self, intents: &[Intent]) -> anyhow::Result<Vec<Claim>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let claims = intents
            .iter()
            .map(|intent| claim_in_savepoint(&tx, intent))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(claims)
    }

    /// Records how the post under `key` ended.
    pub fn record(&mut self, key: &str, outcome: &Outcome) -> anyhow::Result<()> {
        record(&self.conn, key, outcome)
    }

    /// Gives back a claim that never led to a side effect (shutdown before
    /// the post left): the row returns to what it was before the claim.
    pub fn release(&mut self, key: &str) -> anyhow::Result<()> {
        release(&self.conn, key)?;
        Ok(())
    }

    /// Notes why the post under `key` went out the way it did (kept when
    /// it is recorded as posted, so `status` can say it).
    pub fn note(&mut self, key: &str, reason: &str) -> anyhow::Result<()> {
        sql::note(&self.conn, key, reason)
    }

    pub fn lookup(&self, key: &str) -> anyhow::Result<Option<PostRecord>> {
        Ok(lookup(&self.conn, key)?)
    }

    /// The `limit` most recently updated rows, newest first.
    pub fn recent(&self, limit: usize) -> anyhow::Result<Vec<PostRecord>> {
        let migrated: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'posts'",
            [],
            |row| row.get(0),
        )?;
        if migrated == 0 {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM posts ORDER BY updated_at DESC, due DESC LIMIT ?1"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map([limit], row_to_record)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// See [`SharedStore::fail_unclaimed`].
    pub fn fail_unclaimed(&mut self, intent: &Intent, reason: &str) -> anyhow::Result<()> {
        Ok(sql::fail_unclaimed(&self.conn, intent, reason)?)
    }

    /// Rows still in `intent` whose slot was due before `before`.
    pub fn stale_intents(&self, before: Timestamp) -> anyhow::Result<Vec<PostRecord>> {
        Ok(sql::stale_intents(&self.conn, before)?)
    }

    /// See [`SharedStore::prune`].
    pub fn prune(&mut self, before: Timestamp) -> anyhow::Result<Pruned> {
        Ok(sql::prune(&self.conn, before)?)
    }

    pub fn kv_get(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(kv_get(&self.conn, key)?)
    }

    pub fn kv_set(&mut self, key: &str, value: &str) -> anyhow::Result<()> {
        kv_set(&self.conn, key, value)?;
        Ok(())
    }

    /// Runs `requests` in one transaction; each gets its own answer, and all
    /// fail together if the commit fails.
    /// The write count goes up by one for a batch that writes (see
    /// [`identity`]); the identity after the commit is returned with the
    /// answers, for the mirror.
    fn batch(
        &mut self,
        requests: Vec<shared::Request>,
    ) -> (Vec<anyhow::Result<shared::Response>>, Option<Identity>) {
        let count = requests.len();
        let writes = requests.iter().any(shared::Request::writes);
        let run = |conn: &mut Connection| -> rusqlite::Result<(Vec<anyhow::Result<_>>, _)> {
            // IMMEDIATE: the write lock is taken (waiting on the busy
            // timeout) before the first read, so the transaction never has
            // to upgrade from reading to writing, which SQLite refuses with
            // SQLITE_BUSY at once when another connection wrote meanwhile.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let answers = requests
                .into_iter()
                .map(|request| request.execute(&tx))
                .collect();
            let identity = if writes { identity::bump(&tx)? } else { None };
            tx.commit()?;
            Ok((answers, identity))
        };
        match run(&mut self.conn) {
            Ok(done) => done,
            Err(err) => (
                (0..count)
                    .map(|_| Err(anyhow::anyhow!("committing to the state database: {err}")))
                    .collect(),
                None,
            ),
        }
    }

    /// Everything in the database, for `tweetchat store migrate`: every
    /// post row and every key/value row (key, value, last update in ms).
    pub fn export(&self) -> anyhow::Result<Export> {
        let migrated: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'posts'",
            [],
            |row| row.get(0),
        )?;
        if migrated == 0 {
            return Ok(Export::default());
        }
        let posts = sql::all_posts(&self.conn)?;
        let kv = sql::all_kv(&self.conn)?;
        let id = match identity::read(&self.conn)? {
            Some(identity) => identity.id,
            // Never run by a daemon that records its identity: named by
            // its content instead, which is the same for the same state.
            None => {
                use sha2::Digest;
                let mut digest = sha2::Sha256::new();
                for post in &posts {
                    digest.update(post.key.as_bytes());
                    digest.update(post.updated_at.as_millisecond().to_be_bytes());
                }
                for (key, _, updated_at) in &kv {
                    digest.update(key.as_bytes());
                    digest.update(updated_at.to_be_bytes());
                }
                let hex: String = digest.finalize()[..16]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                format!("content {hex}")
            }
        };
        Ok(Export {
            id: Some(id),
            posts,
            kv,
        })
    }

    /// Runs `PRAGMA quick_check`: refuses a damaged file by name before
    /// anything is posted from it.
    pub fn quick_check(&self) -> anyhow::Result<()> {
        let check = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare("PRAGMA quick_check(20)")?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect()
        };
        let problems = match check() {
            Ok(problems) => problems,
            Err(err) => vec![err.to_string()],
        };
        if problems.len() == 1 && problems[0] == "ok" {
            return Ok(());
        }
        anyhow::bail!(
            "the state database {} is damaged (SQLite's quick_check: {}): stop here and restore \
             it from a backup, or move it aside to start with empty state (then start once \
             with `tweetchat run {}`, so that posts already made are looked up first)",
            self.path.display(),
            problems.join("; "),
            identity::ACCEPT_FLAG
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A question's intent on the console account, due at `due`.
    pub(crate) fn intent(key: &str, due: &str) -> Intent {
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

    #[test]
    fn claim_then_record_then_claim_again_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let q1 = intent("k1", "2026-12-02T18:05:00Z");
        assert_eq!(
            store.claim(std::slice::from_ref(&q1)).unwrap(),
            vec![Claim::Fresh]
        );
        store.record("k1", &Outcome::Posted(remote("1"))).unwrap();
        assert_eq!(store.claim(&[q1]).unwrap(), vec![Claim::Done(remote("1"))]);
        let row = store.lookup("k1").unwrap().unwrap();
        assert_eq!(row.state, PostState::Posted);
        assert_eq!(
            row.due,
            "2026-12-02T18:05:00Z".parse::<Timestamp>().unwrap()
        );
    }

    #[test]
    fn an_intent_left_by_a_crash_is_in_doubt_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = Store::open(dir.path()).unwrap();
            store
                .claim(&[intent("k1", "2026-12-02T18:05:00Z")])
                .unwrap();
            // Dropped without recording: the process died mid-post.
        }
        let mut store = Store::open(dir.path()).unwrap();
        let again = store
            .claim(&[intent("k1", "2026-12-02T18:05:00Z")])
            .unwrap();
        assert_eq!(again, vec![Claim::InDoubt { attempts: 1 }]);
        let again = store
            .claim(&[intent("k1", "2026-12-02T18:05:00Z")])
            .unwrap();
        assert_eq!(again, vec![Claim::InDoubt { attempts: 2 }]);
    }

    #[test]
    fn failed_and_skipped_are_final() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .claim(&[
                intent("a", "2026-12-02T18:05:00Z"),
                intent("b", "2026-12-02T18:06:00Z"),
            ])
            .unwrap();
        store
            .record("a", &Outcome::Failed("rejected: too long".into()))
            .unwrap();
        store
            .record("b", &Outcome::Skipped("missed".into()))
            .unwrap();
        let claims = store
            .claim(&[
                intent("a", "2026-12-02T18:05:00Z"),
                intent("b", "2026-12-02T18:06:00Z"),
            ])
            .unwrap();
        assert_eq!(
            claims,
            vec![
                Claim::Failed("rejected: too long".into()),
                Claim::Skipped("missed".into())
            ]
        );
    }

    #[test]
    fn a_missed_new_key_is_recorded_as_skipped_but_an_old_intent_stays_in_doubt() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .claim(&[intent("old", "2026-12-02T18:05:00Z")])
            .unwrap();
        let mut old = intent("old", "2026-12-02T18:05:00Z");
        old.missed = Some("missed by 2h".into());
        let mut new = intent("new", "2026-12-02T18:06:00Z");
        new.missed = Some("missed by 2h".into());
        let claims = store.claim(&[old, new]).unwrap();
        assert_eq!(
            claims,
            vec![
                Claim::InDoubt { attempts: 1 },
                Claim::SkippedNow("missed by 2h".into())
            ]
        );
        assert_eq!(
            store.lookup("new").unwrap().unwrap().state,
            PostState::Skipped
        );
    }

    #[test]
    fn an_earlier_slot_after_a_later_post_is_skipped_as_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .claim(&[intent("q2", "2026-12-02T18:15:00Z")])
            .unwrap();
        store.record("q2", &Outcome::Posted(remote("2"))).unwrap();
        let claims = store
            .claim(&[intent("q1", "2026-12-02T18:05:00Z")])
            .unwrap();
        assert!(
            matches!(&claims[0], Claim::SkippedNow(reason) if reason.contains("out of order")),
            "{claims:?}"
        );
    }

    #[test]
    fn release_undoes_a_fresh_claim_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.claim(&[intent("k", "2026-12-02T18:05:00Z")]).unwrap();
        store.release("k").unwrap();
        assert_eq!(store.lookup("k").unwrap(), None);
        store.claim(&[intent("k", "2026-12-02T18:05:00Z")]).unwrap();
        store.claim(&[intent("k", "2026-12-02T18:05:00Z")]).unwrap();
        store.release("k").unwrap();
        assert_eq!(store.lookup("k").unwrap().unwrap().attempts, 1);
    }

    #[test]
    fn recording_an_unclaimed_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let err = store
            .record("nope", &Outcome::Failed("x".into()))
            .unwrap_err();
        assert!(
            err.to_string().contains("no claim recorded for nope"),
            "{err}"
        );
    }

    #[test]
    fn a_note_survives_recording_the_post_and_a_failure_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .claim(&[
                intent("a", "2026-12-02T18:05:00Z"),
                intent("b", "2026-12-02T18:05:00Z"),
            ])
            .unwrap();
        store.note("a", "posted without mentions").unwrap();
        store.record("a", &Outcome::Posted(remote("1"))).unwrap();
        let row = store.lookup("a").unwrap().unwrap();
        assert_eq!(row.reason.as_deref(), Some("posted without mentions"));
        assert_eq!(row.remote, Some(remote("1")));
        store.note("b", "first try").unwrap();
        store
            .record("b", &Outcome::Failed("refused".into()))
            .unwrap();
        assert_eq!(
            store.lookup("b").unwrap().unwrap().reason.as_deref(),
            Some("refused")
        );
        assert!(store.note("nope", "x").is_err());
    }

    #[test]
    fn kv_round_trips_and_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.kv_get("x/token").unwrap(), None);
        store.kv_set("x/token", "one").unwrap();
        store.kv_set("x/token", "two").unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.kv_get("x/token").unwrap().as_deref(), Some("two"));
    }

    #[test]
    fn recent_lists_newest_first_and_the_file_is_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.claim(&[intent("a", "2026-12-02T18:05:00Z")]).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        store.claim(&[intent("b", "2026-12-02T18:06:00Z")]).unwrap();
        let keys: Vec<_> = store
            .recent(10)
            .unwrap()
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(keys, ["b", "a"]);
        let mode: String = store
            .conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn two_first_opens_at_once_both_succeed_and_migrate_once() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
            let opens: Vec<_> = (0..2)
                .map(|_| {
                    let (path, barrier) = (dir.path().to_path_buf(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Store::open(&path).map(|_| ())
                    })
                })
                .collect();
            for open in opens {
                open.join().unwrap().unwrap();
            }
            let store = Store::open_read_only(&dir.path().join(FILE_NAME)).unwrap();
            assert_eq!(schema::version(&store.conn).unwrap(), schema::CURRENT);
        }
    }

    #[test]
    fn a_claim_beside_another_writer_waits_and_one_refused_alone_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let other = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let held = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            other.execute_batch("COMMIT").unwrap();
        });
        // IMMEDIATE waits on the busy timeout instead of failing on upgrade.
        let claims = store.claim(&[intent("k", "2026-12-02T18:05:00Z")]).unwrap();
        assert_eq!(claims, vec![Claim::Fresh]);
        held.join().unwrap();
        // A claim that cannot be written (a trigger stands in for a full disk) is
        // rolled back alone; the batch's others commit.
        store
            .conn
            .execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON posts WHEN NEW.key = 'bad' BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
            .unwrap();
        let claims = store
            .claim(&[
                intent("bad", "2026-12-02T18:05:00Z"),
                intent("good", "2026-12-02T18:05:00Z"),
            ])
            .unwrap();
        assert!(
            matches!(&claims[0], Claim::NotRecorded(why) if why.contains("disk full")),
            "{claims:?}"
        );
        assert_eq!(claims[1], Claim::Fresh);
        assert_eq!(store.lookup("bad").unwrap(), None);
        assert!(store.lookup("good").unwrap().is_some());
    }

    #[test]
    fn pruning_keeps_intents_tokens_and_recent_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .claim(&[
                intent("old", "2026-08-01T18:05:00Z"),
                intent("doubt", "2026-08-01T18:05:00Z"),
            ])
            .unwrap();
        store.record("old", &Outcome::Posted(remote("1"))).unwrap();
        store.kv_set("thanks/old", "{}").unwrap();
        store.kv_set("oauth2/main_x", "{}").unwrap();
        let pruned = store
            .prune(Timestamp::now() + jiff::SignedDuration::from_secs(1))
            .unwrap();
        assert_eq!(
            pruned,
            Pruned {
                posts: 1,
                thanks: 1
            }
        );
        assert_eq!(store.lookup("old").unwrap(), None);
        assert!(store.lookup("doubt").unwrap().is_some());
        assert!(store.kv_get("oauth2/main_x").unwrap().is_some());
        let nothing = store
            .prune(Timestamp::now() - jiff::SignedDuration::from_hours(1))
            .unwrap();
        assert_eq!(nothing, Pruned::default());
    }

    #[tokio::test]
    async fn the_shared_store_commits_concurrent_requests() {
        let dir = tempfile::tempdir().unwrap();
        let (shared, writer) = SharedStore::spawn(Store::open(dir.path()).unwrap());
        let intents: Vec<_> = (0..200)
            .map(|i| intent(&format!("k{i}"), "2026-12-02T18:05:00Z"))
            .collect();
        let claims = shared.claim(intents).await.unwrap();
        assert!(claims.iter().all(|c| *c == Claim::Fresh));
        let records = (0..200).map(|i| {
            let shared = shared.clone();
            async move {
                shared
                    .record(&format!("k{i}"), Outcome::Posted(remote(&i.to_string())))
                    .await
            }
        });
        for result in futures_join_all(records).await {
            result.unwrap();
        }
        shared.kv_set("t", "v").await.unwrap();
        assert_eq!(shared.kv_get("t").await.unwrap().as_deref(), Some("v"));
        let row = shared.lookup("k7").await.unwrap().unwrap();
        assert_eq!(row.remote, Some(remote("7")));
        drop(shared);
        writer.await.unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.recent(500).unwrap().len(), 200);
    }

    async fn futures_join_all<
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    >(
        futures: impl Iterator<Item = F>,
    ) -> Vec<T> {
        let handles: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for handle in handles {
            out.push(handle.await.unwrap());
        }
        out
    }
}
