//! The SQL behind [`Store`](super::Store) and the shared writer: each
//! function runs on whatever connection or transaction it is given, so the
//! writer can batch many of them into one commit.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Claim, Intent, Outcome, PostRecord, PostState};
use crate::platform::RemotePost;

pub(super) const COLUMNS: &str = "key, chat, occurrence, kind, n, account, due, state, \
    remote_id, remote_cid, remote_url, attempts, reason, updated_at";

pub(super) fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

pub(super) fn from_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

pub(super) fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<PostRecord> {
    let state: String = row.get(7)?;
    let remote_id: Option<String> = row.get(8)?;
    Ok(PostRecord {
        key: row.get(0)?,
        chat: row.get(1)?,
        occurrence: row.get(2)?,
        kind: row.get(3)?,
        n: row.get(4)?,
        account: row.get(5)?,
        due: from_ms(row.get(6)?),
        state: PostState::parse(&state),
        remote: remote_id
            .map(|id| -> rusqlite::Result<RemotePost> {
                Ok(RemotePost {
                    id,
                    cid: row.get(9)?,
                    url: row.get(10)?,
                })
            })
            .transpose()?,
        attempts: row.get(11)?,
        reason: row.get(12)?,
        updated_at: from_ms(row.get(13)?),
    })
}

pub(super) fn lookup(conn: &Connection, key: &str) -> rusqlite::Result<Option<PostRecord>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM posts WHERE key = ?1"))?
        .query_row([key], row_to_record)
        .optional()
}

pub(super) fn claim_one(conn: &Connection, intent: &Intent) -> rusqlite::Result<Claim> {
    if let Some(existing) = lookup(conn, &intent.key)? {
        let reason = existing.reason.unwrap_or_default();
        return Ok(match existing.state {
            PostState::Posted => match existing.remote {
                Some(remote) => Claim::Done(remote),
                None => Claim::Failed("posted without a remote id".into()),
            },
            PostState::Skipped => Claim::Skipped(reason),
            PostState::Failed => Claim::Failed(reason),
            PostState::Intent => {
                conn.prepare_cached(
                    "UPDATE posts SET attempts = attempts + 1, updated_at = ?2 WHERE key = ?1",
                )?
                .execute(params![intent.key, now_ms()])?;
                Claim::InDoubt {
                    attempts: existing.attempts,
                }
            }
        });
    }
    let skip = match &intent.missed {
        Some(reason) => Some(reason.clone()),
        None => later_post_in_occurrence(conn, intent)?,
    };
    let (state, attempts) = match skip {
        Some(_) => ("skipped", 0),
        None => ("intent", 1),
    };
    conn.prepare_cached(
        "INSERT INTO posts (key, chat, occurrence, kind, n, account, due, state, attempts, \
         reason, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        intent.key,
        intent.chat,
        intent.occurrence,
        intent.kind,
        intent.n,
        intent.account,
        intent.due.as_millisecond(),
        state,
        attempts,
        skip,
        now_ms()
    ])?;
    Ok(match skip {
        Some(reason) => Claim::SkippedNow(reason),
        None => Claim::Fresh,
    })
}

/// Posting must never run backwards within a chat: if a later slot of the same
/// occurrence is already out on this account, an earlier one is skipped.
pub(super) fn later_post_in_occurrence(
    conn: &Connection,
    intent: &Intent,
) -> rusqlite::Result<Option<String>> {
    let later: Option<String> = conn
        .prepare_cached(
            "SELECT key FROM posts WHERE chat = ?1 AND occurrence = ?2 AND account = ?3 \
             AND due > ?4 AND state = 'posted' ORDER BY due LIMIT 1",
        )?
        .query_row(
            params![
                intent.chat,
                intent.occurrence,
                intent.account,
                intent.due.as_millisecond()
            ],
            |row| row.get(0),
        )
        .optional()?;
    Ok(later.map(|key| format!("out of order: the later post {key} is already out")))
}

/// A posted outcome keeps a reason noted earlier ([`note`]); failed and
/// skipped ones bring their own.
pub(super) fn record(conn: &Connection, key: &str, outcome: &Outcome) -> anyhow::Result<()> {
    let (state, remote, reason) = match outcome {
        Outcome::Posted(remote) => ("posted", Some(remote), None),
        Outcome::Failed(reason) => ("failed", None, Some(reason.as_str())),
        Outcome::Skipped(reason) => ("skipped", None, Some(reason.as_str())),
    };
    let changed = conn
        .prepare_cached(
            "UPDATE posts SET state = ?2, remote_id = ?3, remote_cid = ?4, remote_url = ?5, \
             reason = COALESCE(?6, reason), updated_at = ?7 WHERE key = ?1",
        )?
        .execute(params![
            key,
            state,
            remote.map(|r| &r.id),
            remote.and_then(|r| r.cid.as_ref()),
            remote.and_then(|r| r.url.as_ref()),
            reason,
            now_ms()
        ])?;
    anyhow::ensure!(
        changed == 1,
        "no claim recorded for {key}: claim a key before recording it"
    );
    Ok(())
}

/// Notes why a claimed post went out the way it did (a thank-you without
/// mentions); `status` shows it beside the link.
pub(super) fn note(conn: &Connection, key: &str, reason: &str) -> anyhow::Result<()> {
    let changed = conn.execute(
        "UPDATE posts SET reason = ?2 WHERE key = ?1",
        params![key, reason],
    )?;
    anyhow::ensure!(
        changed == 1,
        "no claim recorded for {key}: claim a key before noting why"
    );
    Ok(())
}

pub(super) fn release(conn: &Connection, key: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE posts SET attempts = attempts - 1 WHERE key = ?1 AND state = 'intent'",
        [key],
    )?;
    conn.execute(
        "DELETE FROM posts WHERE key = ?1 AND state = 'intent' AND attempts <= 0",
        [key],
    )?;
    Ok(())
}

pub(super) fn kv_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM kv WHERE key = ?1", [key], |row| {
        row.get(0)
    })
    .optional()
}

pub(super) fn kv_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        params![key, value, now_ms()],
    )?;
    Ok(())
}

/// Runs one claim in a savepoint, so a claim that fails (disk full, a
/// constraint) is rolled back alone and reported as not recorded, while the
/// batch's other claims still commit.
pub(super) fn claim_in_savepoint(conn: &Connection, intent: &Intent) -> rusqlite::Result<Claim> {
    conn.execute_batch("SAVEPOINT claim")?;
    match claim_one(conn, intent) {
        Ok(claim) => {
            conn.execute_batch("RELEASE claim")?;
            Ok(claim)
        }
        Err(err) => {
            conn.execute_batch("ROLLBACK TO claim; RELEASE claim")?;
            Ok(Claim::NotRecorded(err.to_string()))
        }
    }
}

/// Records a slot that could never be claimed (the database refused until
/// its grace window ended) as failed, unless a row exists by now.
pub(super) fn fail_unclaimed(
    conn: &Connection,
    intent: &Intent,
    reason: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO posts (key, chat, occurrence, kind, n, account, due, state, attempts, \
         reason, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'failed', 0, ?8, ?9) \
         ON CONFLICT (key) DO NOTHING",
    )?
    .execute(params![
        intent.key,
        intent.chat,
        intent.occurrence,
        intent.kind,
        intent.n,
        intent.account,
        intent.due.as_millisecond(),
        reason,
        now_ms()
    ])?;
    Ok(())
}

/// Rows still in `intent` whose slot was due before `before`.
pub(super) fn stale_intents(
    conn: &Connection,
    before: Timestamp,
) -> rusqlite::Result<Vec<PostRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM posts WHERE state = 'intent' AND due < ?1 ORDER BY due"
    ))?;
    let rows = stmt.query_map([before.as_millisecond()], row_to_record)?;
    rows.collect()
}

/// What [`prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub posts: usize,
    pub thanks: usize,
}

/// Deletes finished post rows and decided thank-yous last touched before
/// `before`; rows still in `intent` and tokens are kept.
pub(super) fn prune(conn: &Connection, before: Timestamp) -> rusqlite::Result<Pruned> {
    let posts = conn.execute(
        "DELETE FROM posts WHERE state <> 'intent' AND updated_at < ?1",
        [before.as_millisecond()],
    )?;
    let thanks = conn.execute(
        "DELETE FROM kv WHERE key LIKE 'thanks/%' AND updated_at < ?1",
        [before.as_millisecond()],
    )?;
    Ok(Pruned { posts, thanks })
}

/// Every row of the key/value table: key, value, last update (ms).
pub(super) fn all_kv(conn: &Connection) -> rusqlite::Result<Vec<(String, String, i64)>> {
    let mut stmt = conn.prepare("SELECT key, value, updated_at FROM kv ORDER BY key")?;
    let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
    rows.collect()
}

/// Every row of the posts table, in key order.
pub(super) fn all_posts(conn: &Connection) -> rusqlite::Result<Vec<PostRecord>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM posts ORDER BY key"))?;
    let rows = stmt.query_map([], row_to_record)?;
    rows.collect()
}
