//! From account settings to platforms.
//!
//! [`build_account`] is the one place that knows which adapter serves which
//! `platform = "…"`; an adapter that is not in this build yet is a clear
//! start-up error rather than a silent skip. X's rotating OAuth 2.0 tokens
//! are kept in the state database ([`StateTokens`]) so a restart never reuses
//! a spent refresh token.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, anyhow, bail};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::clock::Clock;
use crate::plan::accounts::AccountLimit;
use crate::platform::bluesky::{BlueskyAccount, SessionStore, StoredSession};
use crate::platform::console::Console;
use crate::platform::mastodon::{InstanceLimits, LimitStore, MastodonAccount, instance};
use crate::platform::x::{RefreshLock, StoredTokens, TokenStore, XAccount};
use crate::platform::{Platform, PostError};
use crate::settings::{AccountSettings, Secret, Settings};
use crate::store::{CommandStore, PgStore, SharedStore, Store};

/// Where [`StateKv`] reaches PostgreSQL: the daemon's shared store, or the
/// command's own.
enum PgHandle {
    Shared(Arc<PgStore>),
    Command,
}
use crate::text::PlatformKind;

/// What every adapter may need besides its own settings.
pub struct AccountContext {
    pub state_dir: std::path::PathBuf,
    pub clock: Clock,
    pub tokens: Arc<dyn TokenStore>,
    /// Bluesky sessions (the state database in `run`).
    pub sessions: Arc<dyn SessionStore>,
    /// The daemon's writer task (`run`): Mastodon limits are read and
    /// written through it. `None` in commands with a connection of their own.
    pub writer: Option<SharedStore>,
}

impl AccountContext {
    /// A context that builds adapters without touching anything: no state
    /// database, tokens in memory. `tweetchat check` builds every account
    /// with it through [`build_account`], so it refuses exactly what `run`
    /// refuses.
    pub fn dry_run(settings: &Settings) -> Self {
        Self {
            state_dir: settings.state_dir.clone(),
            clock: Clock::system(settings.rescan_interval),
            tokens: Arc::new(crate::platform::x::MemoryTokenStore::new()),
            sessions: Arc::new(crate::platform::bluesky::MemorySessions::default()),
            writer: None,
        }
    }
}

/// The platform for one configured account.
pub fn build_account(
    account: &AccountSettings,
    context: &AccountContext,
) -> anyhow::Result<Arc<dyn Platform>> {
    let platform: Arc<dyn Platform> = match account.platform {
        PlatformKind::Console => {
            let console = Console::new(&account.name, &context.state_dir, context.clock.clone());
            // The identity check and its mirror are SQLite's: on PostgreSQL
            // a stale mirror left in `state_dir` (from before `store
            // migrate`) names no store these lines are recorded in.
            let on_postgres = context.writer.as_ref().is_some_and(|w| w.pg().is_some());
            Arc::new(match context.writer.as_ref().filter(|_| on_postgres) {
                Some(writer) => console.shared(Arc::new(StateOutbox {
                    kv: StateKv::through(writer.clone(), &context.state_dir),
                })),
                None => console.in_store(store_stamp(&context.state_dir)),
            })
        }
        PlatformKind::X => Arc::new(
            // Its errors already name the account.
            XAccount::new(account, context.tokens.clone(), context.clock.clone())?,
        ),
        PlatformKind::Mastodon => Arc::new(MastodonAccount::new(
            account,
            Arc::new(match &context.writer {
                Some(writer) => StateLimits::through(writer.clone(), &context.state_dir),
                None => StateLimits::open(&context.state_dir)?,
            }),
            context.clock.clone(),
        )?),
        PlatformKind::Bluesky => Arc::new(BlueskyAccount::new(
            account,
            context.sessions.clone(),
            context.clock.clone(),
        )?),
    };
    Ok(platform)
}

/// Reads the identity of the state database in `state_dir` from its mirror
/// (written after every commit), for the console's outbox lines.
fn store_stamp(state_dir: &Path) -> crate::platform::console::StoreStamp {
    let mirror = state_dir.join(crate::store::identity::MIRROR_FILE);
    Arc::new(move || {
        crate::store::identity::read_mirror(&mirror)
            .ok()
            .flatten()
            .map(|identity| crate::platform::console::OutboxStore {
                id: identity.id,
                seq: identity.seq,
            })
    })
}

/// Every account in the settings.
pub fn build_accounts(
    settings: &Settings,
    context: &AccountContext,
) -> anyhow::Result<BTreeMap<String, Arc<dyn Platform>>> {
    settings
        .accounts
        .values()
        .map(|account| Ok((account.name.clone(), build_account(account, context)?)))
        .collect()
}

/// Asks every account once who it posts as, before any slot, and logs it.
/// Refused credentials stop the start-up with one line per account saying
/// what to fix; a platform that cannot be reached only warns, naming its
/// address and the cause (its posts are retried inside their grace windows
/// like any temporary failure). Returns the accounts not reached, for
/// [`recheck_unreached`].
pub async fn verify_accounts(
    accounts: &BTreeMap<String, Arc<dyn Platform>>,
) -> anyhow::Result<Vec<String>> {
    let mut checks = tokio::task::JoinSet::new();
    for (name, platform) in accounts {
        let (name, platform) = (name.clone(), platform.clone());
        checks.spawn(async move { (name, platform.kind(), platform.whoami().await) });
    }
    let mut refused = Vec::new();
    let mut unreached = Vec::new();
    while let Some(joined) = checks.join_next().await {
        let (name, kind, answer) = joined.context("an account check panicked")?;
        match answer {
            Ok(me) => {
                info!(account = %name, platform = %kind, user_id = %me.id, "account ready: `{name}` posts as @{}", me.username)
            }
            Err(err @ (PostError::Unauthorized(_) | PostError::Rejected(_))) => {
                let hint = match kind {
                    PlatformKind::X => format!(
                        "; fix its keys in [accounts.{name}], or for OAuth 2.0 run \
                         `tweetchat auth x --account {name}`"
                    ),
                    _ => format!("; fix its credentials in [accounts.{name}]"),
                };
                refused.push(format!("account `{name}` ({kind}): {err}{hint}"));
            }
            Err(err) => {
                warn!(account = %name, "account `{name}` could not be reached, starting anyway; its posts are retried inside their grace windows and it is checked again in the background: {err}");
                unreached.push(name);
            }
        }
    }
    if refused.is_empty() {
        unreached.sort();
        return Ok(unreached);
    }
    refused.sort();
    bail!(
        "not starting, the platform refused these accounts:\n  - {}",
        refused.join("\n  - ")
    )
}

/// Asks each account in `unreached` again who it posts as, with backoff
/// (up to a minute apart), until it answers or `cancel` fires; `up` is told
/// of each account that answers (for `tweetchat_account_up`).
pub async fn recheck_unreached(
    unreached: Vec<String>,
    accounts: BTreeMap<String, Arc<dyn Platform>>,
    clock: Clock,
    up: impl Fn(&str) + Send + Sync + 'static,
    cancel: tokio_util::sync::CancellationToken,
) {
    let up = Arc::new(up);
    let mut checks = tokio::task::JoinSet::new();
    for name in unreached {
        let Some(platform) = accounts.get(&name).cloned() else {
            continue;
        };
        let (clock, up, cancel) = (clock.clone(), Arc::clone(&up), cancel.clone());
        checks.spawn(async move {
            let retry = super::RetryPolicy::default();
            for attempt in 0.. {
                if !clock.wait_until(retry.backoff(attempt, clock.now()), &cancel).await {
                    return;
                }
                match platform.whoami().await {
                    Ok(me) => {
                        info!(account = %name, "account `{name}` can be reached now: it posts as @{}", me.username);
                        up(&name);
                        return;
                    }
                    Err(err) => {
                        tracing::debug!(account = %name, "account `{name}` still cannot be reached: {err}")
                    }
                }
            }
        });
    }
    while checks.join_next().await.is_some() {}
}

/// Mastodon instance limits in the state database's key/value table, so
/// `check` and `plan` read them offline ([`stored_limits`]).
pub struct StateLimits {
    kv: StateKv,
}

impl StateLimits {
    /// A connection of its own (`check`, `plan`).
    pub fn open(state_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            kv: StateKv::open(state_dir)?,
        })
    }

    /// Through the daemon's writer task.
    pub fn through(writer: SharedStore, state_dir: &Path) -> Self {
        Self {
            kv: StateKv::through(writer, state_dir),
        }
    }
}

impl LimitStore for StateLimits {
    fn load(&self, account: &str) -> Option<InstanceLimits> {
        let json = self.kv.get(&instance::kv_key(account)).ok()??;
        InstanceLimits::from_json(&json)
    }

    fn save(&self, account: &str, limits: InstanceLimits) -> anyhow::Result<()> {
        self.kv.set(&instance::kv_key(account), &limits.to_json())
    }
}

/// The limits the daemon last read for `account`, without creating a state
/// database where there is none (`check` and `plan` stay read-only).
pub fn stored_limits(state_dir: &Path, account: &str) -> Option<InstanceLimits> {
    if !state_dir.join(crate::store::FILE_NAME).exists() {
        return None;
    }
    StateLimits::open(state_dir).ok()?.load(account)
}

/// How `check` and `plan` count for `account`: its platform's limit and URL
/// length, or for Mastodon the instance's own as the daemon last read them
/// (`max_characters`, and links as its software counts them).
pub fn account_limit(state_dir: &Path, account: &str, platform: PlatformKind) -> AccountLimit {
    let mut limit = AccountLimit::with_defaults(account, platform);
    if platform == PlatformKind::Mastodon
        && let Some(known) = stored_limits(state_dir, account)
    {
        limit.limit = known.max_characters;
        // As that server counts links: the reserved length on Mastodon,
        // every character on GoToSocial and servers not recognised.
        limit.url_length = known.url_length();
    }
    limit
}

/// One key/value table, read and written off the async runtime.
///
/// In the daemon ([`StateKv::through`]) every read and write goes through
/// the one writer task ([`SharedStore`]), so a write's fsync and busy wait
/// (another program holding the database's write lock) never run on an
/// async worker thread and never race the daemon's own transactions; the
/// calling task steps off the runtime (`block_in_place`) while it waits, so
/// the other tasks (the scheduler, `/healthz`) carry on. CLI commands use a
/// connection of their own ([`StateKv::open`]). Either way a value written
/// by another process is seen by the next read.
struct StateKv {
    writer: Option<SharedStore>,
    store: Mutex<Option<CommandStore>>,
    state_dir: std::path::PathBuf,
}

impl StateKv {
    fn open(state_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            writer: None,
            store: Mutex::new(Some(CommandStore::Sqlite(Store::open(state_dir)?))),
            state_dir: state_dir.to_path_buf(),
        })
    }

    /// A command's own store (on PostgreSQL when the settings say so).
    fn on(store: CommandStore, state_dir: &Path) -> Self {
        Self {
            writer: None,
            store: Mutex::new(Some(store)),
            state_dir: state_dir.to_path_buf(),
        }
    }

    fn through(writer: SharedStore, state_dir: &Path) -> Self {
        Self {
            writer: Some(writer),
            store: Mutex::new(None),
            state_dir: state_dir.to_path_buf(),
        }
    }

    /// Runs `ask` on the writer task when there is one and the runtime can
    /// step aside; otherwise `direct` on the own connection.
    fn run<T>(
        &self,
        ask: impl AsyncFnOnce(&SharedStore) -> anyhow::Result<T>,
        direct: impl FnOnce(&mut CommandStore) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        if let (Some(writer), Ok(handle)) = (&self.writer, tokio::runtime::Handle::try_current()) {
            if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
                return tokio::task::block_in_place(|| handle.block_on(ask(writer)));
            }
        }
        let mut guard = self
            .store
            .lock()
            .map_err(|_| anyhow!("the state database handle's lock is poisoned"))?;
        if guard.is_none() {
            *guard = Some(CommandStore::Sqlite(Store::open(&self.state_dir)?));
        }
        match guard.as_mut() {
            Some(store) => direct(store),
            None => Err(anyhow!("the state database could not be opened")),
        }
    }

    /// The PostgreSQL store behind this table, when there is one (for the
    /// advisory locks that replace the file locks).
    fn pg(&self) -> Option<PgHandle> {
        if let Some(pg) = self.writer.as_ref().and_then(SharedStore::pg) {
            return Some(PgHandle::Shared(Arc::clone(pg)));
        }
        let guard = self.store.lock().ok()?;
        match guard.as_ref() {
            Some(CommandStore::Postgres(_)) => Some(PgHandle::Command),
            _ => None,
        }
    }

    /// Takes the advisory lock `name` on PostgreSQL; `None` after `wait`.
    /// Called off the async runtime (the blocking pool, or a command).
    fn advisory_lock(
        &self,
        name: &str,
        wait: std::time::Duration,
    ) -> anyhow::Result<Option<crate::store::pg::AdvisoryLock>> {
        match self.pg() {
            Some(PgHandle::Shared(pg)) => {
                let handle = tokio::runtime::Handle::try_current()
                    .map_err(|_| anyhow!("no async runtime to reach the state database from"))?;
                handle.block_on(pg.advisory_lock(name, wait))
            }
            Some(PgHandle::Command) => {
                let guard = self
                    .store
                    .lock()
                    .map_err(|_| anyhow!("the state database handle's lock is poisoned"))?;
                match guard.as_ref() {
                    Some(CommandStore::Postgres(pg)) => {
                        pg.run(async |pg| pg.advisory_lock(name, wait).await)
                    }
                    _ => Ok(None),
                }
            }
            None => Ok(None),
        }
    }

    fn get(&self, key: &str) -> anyhow::Result<Option<String>> {
        self.run(
            async |writer| writer.kv_get(key).await,
            |store| store.kv_get(key),
        )
    }

    fn set(&self, key: &str, value: &str) -> anyhow::Result<()> {
        self.run(
            async |writer| writer.kv_set(key, value).await,
            |store| store.kv_set(key, value),
        )
    }
}

/// OAuth tokens in the state database's key/value table ([`StateKv`]: in
/// the daemon through its writer task, in CLI commands on a connection of
/// their own).
///
/// Every process that refreshes an account's tokens (the daemon, `auth x`,
/// `transcript --refetch`) takes the account's refresh lock
/// ([`TokenStore::lock_refresh`]: `oauth2-ACCOUNT.lock` in the state
/// folder) before it reads the stored pair again, and holds it until the
/// new pair is stored. So a second process waits, then reads the pair the
/// first one stored, and never sends X the refresh token it just spent.
pub struct StateTokens {
    kv: StateKv,
}

#[derive(Serialize, Deserialize)]
struct TokenRow {
    access_token: String,
    refresh_token: String,
    expires_at: Timestamp,
}

/// How long a refresh waits for another process's refresh of the same
/// account (one token request, bounded by the account's timeout) before it
/// goes ahead without the lock and says so.
const REFRESH_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl StateTokens {
    /// A connection of its own (CLI commands).
    pub fn open(state_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            kv: StateKv::open(state_dir)?,
        })
    }

    /// On the store the settings name (SQLite in `state_dir`, or the
    /// replicas' PostgreSQL), for a command.
    pub fn for_command(settings: &Settings, state_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            kv: StateKv::on(CommandStore::open(settings, state_dir)?, state_dir),
        })
    }

    /// Through the daemon's writer task.
    pub fn through(writer: SharedStore, state_dir: &Path) -> Self {
        Self {
            kv: StateKv::through(writer, state_dir),
        }
    }

    fn key(account: &str) -> String {
        format!("oauth2/{account}")
    }
}

impl TokenStore for StateTokens {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredTokens>> {
        let Some(json) = self.kv.get(&Self::key(account))? else {
            return Ok(None);
        };
        let row: TokenRow = serde_json::from_str(&json)
            .with_context(|| format!("the stored tokens of account `{account}` are unreadable"))?;
        Ok(Some(StoredTokens {
            access_token: Secret::new(row.access_token),
            refresh_token: Secret::new(row.refresh_token),
            expires_at: row.expires_at,
        }))
    }

    fn save(&self, account: &str, tokens: &StoredTokens) -> anyhow::Result<()> {
        let row = TokenRow {
            access_token: tokens.access_token.expose().to_string(),
            refresh_token: tokens.refresh_token.expose().to_string(),
            expires_at: tokens.expires_at,
        };
        let json = serde_json::to_string(&row)?;
        self.kv.set(&Self::key(account), &json)
    }

    fn lock_refresh(&self, account: &str) -> anyhow::Result<Option<RefreshLock>> {
        if self.kv.pg().is_some() {
            // Every replica and command on the shared database: an advisory
            // lock per account instead of a file only this machine sees.
            let lock = self
                .kv
                .advisory_lock(&Self::key(account), REFRESH_LOCK_WAIT)
                .context("taking the refresh lock in the state database")?;
            if lock.is_none() {
                warn!(
                    account,
                    "another replica has held the X token refresh lock for {:?}; refreshing anyway",
                    REFRESH_LOCK_WAIT
                );
            }
            return Ok(lock.map(|lock| RefreshLock::holding(Box::new(lock))));
        }
        let path = self.kv.state_dir.join(format!("oauth2-{account}.lock"));
        let lock = RefreshLock::acquire(&path, REFRESH_LOCK_WAIT)
            .with_context(|| format!("taking the refresh lock {}", path.display()))?;
        if lock.is_none() {
            warn!(
                account,
                "another process has held the X token refresh lock {} for {:?}; refreshing anyway",
                path.display(),
                REFRESH_LOCK_WAIT
            );
        }
        Ok(lock)
    }
}

/// The console's record shared by replicas on PostgreSQL: each line in the
/// key/value table under `console/KEY`, pruned with the finished posts.
struct StateOutbox {
    kv: StateKv,
}

impl crate::platform::console::SharedOutbox for StateOutbox {
    fn append(&self, entry: &crate::platform::console::OutboxEntry) -> anyhow::Result<()> {
        let json = serde_json::to_string(entry)?;
        self.kv.set(&format!("console/{}", entry.key), &json)
    }

    fn find(&self, key: &str) -> anyhow::Result<Option<crate::platform::console::OutboxEntry>> {
        let Some(json) = self.kv.get(&format!("console/{key}"))? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_str(&json).with_context(|| {
            format!("the shared console record of {key} is unreadable")
        })?))
    }
}

/// Bluesky sessions in the state database's key/value table, under
/// `bluesky/ACCOUNT` ([`StateKv`]: in the daemon through its writer task, so
/// storing a refreshed session never blocks an async worker thread).
pub struct StateSessions {
    kv: StateKv,
}

impl StateSessions {
    /// A connection of its own (CLI commands).
    pub fn open(state_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            kv: StateKv::open(state_dir)?,
        })
    }

    /// See [`StateTokens::for_command`].
    pub fn for_command(settings: &Settings, state_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            kv: StateKv::on(CommandStore::open(settings, state_dir)?, state_dir),
        })
    }

    /// Through the daemon's writer task.
    pub fn through(writer: SharedStore, state_dir: &Path) -> Self {
        Self {
            kv: StateKv::through(writer, state_dir),
        }
    }
}

impl SessionStore for StateSessions {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredSession>> {
        let Some(json) = self.kv.get(&format!("bluesky/{account}"))? else {
            return Ok(None);
        };
        let session = serde_json::from_str(&json).with_context(|| {
            format!("the stored Bluesky session of account `{account}` is unreadable")
        })?;
        Ok(Some(session))
    }

    fn save(&self, account: &str, session: &StoredSession) -> anyhow::Result<()> {
        let json = serde_json::to_string(session)?;
        self.kv.set(&format!("bluesky/{account}"), &json)
    }

    /// On PostgreSQL, an advisory lock per account, as for X's refresh;
    /// on SQLite one daemon owns the folder, so none.
    fn lock_renewal(&self, account: &str) -> anyhow::Result<Option<Box<dyn Send>>> {
        if self.kv.pg().is_none() {
            return Ok(None);
        }
        let lock = self
            .kv
            .advisory_lock(&format!("bluesky/{account}"), REFRESH_LOCK_WAIT)
            .context("taking the Bluesky session lock in the state database")?;
        if lock.is_none() {
            warn!(
                account,
                "another replica has held the Bluesky session lock for {:?}; renewing anyway",
                REFRESH_LOCK_WAIT
            );
        }
        Ok(lock.map(|lock| Box::new(lock) as Box<dyn Send>))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_survive_reopening_the_state_database() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = StoredTokens {
            access_token: Secret::new("a1"),
            refresh_token: Secret::new("r1"),
            expires_at: "2026-12-02T20:00:00Z".parse().unwrap(),
        };
        StateTokens::open(dir.path())
            .unwrap()
            .save("main_x", &tokens)
            .unwrap();
        let again = StateTokens::open(dir.path()).unwrap();
        assert_eq!(again.load("main_x").unwrap(), Some(tokens));
        assert_eq!(again.load("other").unwrap(), None);
    }

    #[test]
    fn an_incomplete_account_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let context = AccountContext {
            state_dir: dir.path().to_path_buf(),
            clock: Clock::system(std::time::Duration::from_secs(30)),
            tokens: Arc::new(crate::platform::x::MemoryTokenStore::new()),
            sessions: Arc::new(crate::platform::bluesky::MemorySessions::default()),
            writer: None,
        };
        let account = AccountSettings {
            name: "hcsm_bluesky".into(),
            platform: PlatformKind::Bluesky,
            api_base: None,
            handle: None,
            client_id: None,
            secrets: BTreeMap::new(),
            timeout: std::time::Duration::from_secs(30),
        };
        let err = build_account(&account, &context).err().unwrap().to_string();
        assert!(err.contains("has no `handle`"), "{err}");
    }
}
