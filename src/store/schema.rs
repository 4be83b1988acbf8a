//! Schema migrations, tracked with `PRAGMA user_version`.
//!
//! Each entry of [`MIGRATIONS`] moves the database one version forward and
//! runs in its own transaction together with the version bump, so a crash in
//! the middle of an upgrade leaves the previous version intact. Append new
//! steps; never edit a released one.

use anyhow::{Context, bail};
use rusqlite::{Connection, TransactionBehavior};

/// Step `i` upgrades version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: posts by key, and a small key/value table for tokens.
    "CREATE TABLE posts (
        key TEXT PRIMARY KEY,
        chat TEXT NOT NULL,
        occurrence TEXT NOT NULL,
        kind TEXT NOT NULL,
        n INTEGER,
        account TEXT NOT NULL,
        due INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('intent', 'posted', 'failed', 'skipped')),
        remote_id TEXT,
        remote_cid TEXT,
        remote_url TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX posts_by_occurrence ON posts (chat, occurrence, account, due);
    CREATE INDEX posts_by_update ON posts (updated_at);
    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );",
];

/// The version this build writes.
pub const CURRENT: u32 = MIGRATIONS.len() as u32;

/// Brings `conn` up to [`CURRENT`]; refuses a database from a newer build.
///
/// Each step reads the version inside its own `IMMEDIATE` transaction, so
/// two processes starting together on a new folder take turns: the second
/// waits for the first one's step (busy timeout) and then sees it done,
/// instead of failing with "table posts already exists".
pub fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: u32 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        check_version(version)?;
        let Some(sql) = MIGRATIONS.get(version as usize) else {
            return Ok(());
        };
        let next = version + 1;
        tx.execute_batch(sql)
            .with_context(|| format!("migrating the state database to version {next}"))?;
        tx.pragma_update(None, "user_version", next)?;
        tx.commit()?;
    }
}

/// The schema version of `conn`, refusing one from a newer build; for
/// readers that must not migrate (`status`).
pub fn version(conn: &Connection) -> anyhow::Result<u32> {
    let version: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    check_version(version)?;
    Ok(version)
}

fn check_version(version: u32) -> anyhow::Result<()> {
    if version > CURRENT {
        bail!(
            "the state database has schema version {version} but this tweetchat knows \
             only up to {CURRENT}: run a newer tweetchat or point state_dir elsewhere"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, CURRENT);
    }

    #[test]
    fn refuses_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", CURRENT + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err().to_string();
        assert!(err.contains("newer tweetchat"), "{err}");
    }
}
