//! The store for one CLI command (`status`, `calendar`, `transcript`,
//! `auth`): synchronous, on whichever backend the settings name.
//!
//! On SQLite it is [`Store`] on `state_dir/state.db`, as before. On
//! PostgreSQL it is [`PgStore`] driven from a runtime of its own (the
//! commands are synchronous), so any machine with the settings can run
//! them against the replicas' shared database; none needs a replica's disk.

use std::path::Path;

use anyhow::Context;

use super::{FILE_NAME, PgStore, PostRecord, Store};
use crate::settings::Settings;

/// A command's handle on the state.
#[derive(Debug)]
pub enum CommandStore {
    Sqlite(Store),
    Postgres(Box<BlockingPg>),
}

/// [`PgStore`] with the runtime that drives it.
#[derive(Debug)]
pub struct BlockingPg {
    runtime: tokio::runtime::Runtime,
    store: PgStore,
}

impl BlockingPg {
    /// Connects as the settings say, answering as `replica` (the command's
    /// own name among the replicas, for the claims it might take).
    pub fn connect(settings: &Settings, replica: &str) -> anyhow::Result<BlockingPg> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let url = settings
            .store
            .url
            .as_ref()
            .context("no [store] url: this is the SQLite store")?;
        let password = settings.store.password.as_ref().map(|p| p.expose());
        let store = runtime.block_on(PgStore::connect(url.expose(), password, replica))?;
        Ok(BlockingPg { runtime, store })
    }

    /// Runs `f` on the store to its end. Called from inside another
    /// runtime (a command's own, waiting on a platform), it runs on a
    /// thread of its own, since one runtime cannot block inside another.
    pub fn run<T: Send>(
        &self,
        f: impl AsyncFnOnce(&PgStore) -> anyhow::Result<T> + Send,
    ) -> anyhow::Result<T> {
        if tokio::runtime::Handle::try_current().is_err() {
            return self.runtime.block_on(f(&self.store));
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| self.runtime.block_on(f(&self.store)))
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the state database's thread panicked")))
        })
    }
}

impl CommandStore {
    /// The store the settings name; SQLite in `state_dir` is created when
    /// missing.
    pub fn open(settings: &Settings, state_dir: &Path) -> anyhow::Result<CommandStore> {
        if settings.store.url.is_some() {
            let replica = format!("{} (command)", settings.store.replica);
            return Ok(CommandStore::Postgres(Box::new(BlockingPg::connect(
                settings, &replica,
            )?)));
        }
        Ok(CommandStore::Sqlite(Store::open(state_dir)?))
    }

    /// The store to read only (`status`): `None`, after saying so on stderr,
    /// while SQLite's file does not exist yet.
    pub fn open_read_only(
        settings: &Settings,
        state_dir: &Path,
    ) -> anyhow::Result<Option<CommandStore>> {
        if settings.store.url.is_some() {
            return Self::open(settings, state_dir).map(Some);
        }
        let db = state_dir.join(FILE_NAME);
        if !db.exists() {
            eprintln!(
                "no state database at {} yet: nothing has been posted from here",
                db.display()
            );
            return Ok(None);
        }
        Ok(Some(CommandStore::Sqlite(Store::open_read_only(&db)?)))
    }

    /// Runs `f` on the PostgreSQL store; an error on SQLite (the caller
    /// asked the settings first).
    pub fn on_postgres<T: Send>(
        &self,
        f: impl AsyncFnOnce(&PgStore) -> anyhow::Result<T> + Send,
    ) -> anyhow::Result<T> {
        match self {
            CommandStore::Postgres(pg) => pg.run(f),
            CommandStore::Sqlite(_) => {
                anyhow::bail!("no [store] url: this is the SQLite store")
            }
        }
    }

    pub fn kv_get(&self, key: &str) -> anyhow::Result<Option<String>> {
        match self {
            CommandStore::Sqlite(store) => store.kv_get(key),
            CommandStore::Postgres(pg) => pg.run(async |pg| pg.kv_get(key).await),
        }
    }

    pub fn kv_set(&mut self, key: &str, value: &str) -> anyhow::Result<()> {
        match self {
            CommandStore::Sqlite(store) => store.kv_set(key, value),
            CommandStore::Postgres(pg) => pg.run(async |pg| pg.kv_set(key, value).await),
        }
    }

    pub fn lookup(&self, key: &str) -> anyhow::Result<Option<PostRecord>> {
        match self {
            CommandStore::Sqlite(store) => store.lookup(key),
            CommandStore::Postgres(pg) => pg.run(async |pg| pg.lookup(key).await),
        }
    }

    /// The `limit` most recently updated rows, newest first.
    pub fn recent(&self, limit: usize) -> anyhow::Result<Vec<PostRecord>> {
        match self {
            CommandStore::Sqlite(store) => store.recent(limit),
            CommandStore::Postgres(pg) => pg.run(async |pg| pg.recent(limit).await),
        }
    }
}
