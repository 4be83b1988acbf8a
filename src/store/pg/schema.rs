//! PostgreSQL schema migrations, applied once when several replicas start
//! together.
//!
//! Each step of [`MIGRATIONS`] runs in its own transaction together with
//! its row in `tweetchat_schema`, so a crash in the middle leaves the
//! previous version intact. Every replica runs [`migrate`] at start; a
//! session-level advisory lock ([`MIGRATION_LOCK`]) makes them take turns,
//! so the second finds the work done instead of failing on "relation
//! already exists". Append new steps; never edit a released one.

use anyhow::{Context, bail};

/// Step `i` upgrades version `i` to `i + 1`.
///
/// Version 1 is SQLite's version 1 (`src/store/schema.rs`) with the lease
/// columns (`owner`, `lease_until`, `generation`: see `docs/replicas.md`, "Why no post goes out twice"),
/// instants as milliseconds since 1970 in `BIGINT`.
const MIGRATIONS: &[&str] = &[
    // 1: posts by key with their claims, and the key/value table.
    "CREATE TABLE posts (
        key TEXT PRIMARY KEY,
        chat TEXT NOT NULL,
        occurrence TEXT NOT NULL,
        kind TEXT NOT NULL,
        n INTEGER,
        account TEXT NOT NULL,
        due BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('intent', 'posted', 'failed', 'skipped')),
        remote_id TEXT,
        remote_cid TEXT,
        remote_url TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        updated_at BIGINT NOT NULL,
        owner TEXT,
        lease_until BIGINT,
        generation BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX posts_by_occurrence ON posts (chat, occurrence, account, due);
    CREATE INDEX posts_by_update ON posts (updated_at);
    CREATE INDEX posts_in_intent ON posts (due) WHERE state = 'intent';
    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL
    );",
    // 2: transcripts, so any replica (and any machine running a command)
    // serves them: the saved searches of an occurrence (`DATE.posts.json`)
    // and the pages built from them. `version` counts the writes, so two
    // replicas publishing at once merge instead of overwriting each other
    // (see `PgStore::put_transcript`).
    "CREATE TABLE transcripts (
        chat TEXT NOT NULL,
        date TEXT NOT NULL,
        captures TEXT NOT NULL,
        json TEXT,
        markdown TEXT,
        html TEXT,
        version BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (chat, date)
    );",
    // 3: until when a claim's owner may still have a write in flight that
    // a second write could double (X, the console, GoToSocial): a dead
    // owner's key is taken over before its lease ends only after this
    // (see `docs/replicas.md`, "A dead owner").
    "ALTER TABLE posts ADD COLUMN write_until BIGINT;",
    // 4: the liveness lock of the process that holds the claim (see
    // `PgStore::keep_alive`): the process's, not its name's, so a replica
    // restarted under the same name does not vouch for its predecessor.
    "ALTER TABLE posts ADD COLUMN owner_lock INTEGER;",
];

/// The version this build writes.
pub const CURRENT: i32 = MIGRATIONS.len() as i32;

/// The advisory lock the replicas take turns on while migrating (any
/// constant of our own; `tweetchat` in ASCII).
pub const MIGRATION_LOCK: i64 = 0x7477_6565_7463_6861;

/// Brings the database up to [`CURRENT`] under [`MIGRATION_LOCK`]; refuses
/// a database from a newer build.
pub async fn migrate(client: &mut tokio_postgres::Client) -> anyhow::Result<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .context("waiting for the migration lock")?;
    let result = migrate_locked(client).await;
    // Also released when the connection closes, should this fail.
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    result?;
    unlocked.context("releasing the migration lock")?;
    Ok(())
}

async fn migrate_locked(client: &mut tokio_postgres::Client) -> anyhow::Result<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS tweetchat_schema (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .context("creating the schema version table")?;
    loop {
        let version = version(client).await?;
        let Some(sql) = MIGRATIONS.get(version as usize) else {
            return Ok(());
        };
        let next = version + 1;
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("migrating the state database to version {next}"))?;
        tx.execute(
            "INSERT INTO tweetchat_schema (version) VALUES ($1)",
            &[&next],
        )
        .await?;
        tx.commit().await?;
    }
}

/// The schema version, refusing one from a newer build (0 before the
/// first migration).
pub async fn version(client: &tokio_postgres::Client) -> anyhow::Result<i32> {
    let exists: bool = client
        .query_one("SELECT to_regclass('tweetchat_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM tweetchat_schema",
            &[],
        )
        .await?
        .get(0);
    if version > CURRENT {
        bail!(
            "the state database has schema version {version} but this tweetchat knows only up \
             to {CURRENT}: run a newer tweetchat on every replica"
        );
    }
    Ok(version)
}
