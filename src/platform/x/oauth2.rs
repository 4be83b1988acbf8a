//! OAuth 2.0 user tokens with rotating, single-use refresh tokens.
//!
//! X's access tokens last two hours; the refresh token that renews one is
//! single-use and every refresh hands out a new one. Lose the new one (crash
//! after the refresh, before it is written down) and the account is locked
//! out until an operator authorizes again. Hence the order here, which must
//! not change: refresh, **save the new pair to the [`TokenStore`]**, and only
//! then use the new access token. If saving fails the pair stays in memory,
//! the request fails loudly, and saving is retried before the next request.
//!
//! All refreshes of an account go through one `tokio::sync::Mutex`, so two
//! posts that find an expired token at the same time refresh once: the second
//! waits and then uses the first one's result instead of replaying the spent
//! refresh token (which X would answer with `invalid_request`).
//!
//! Other processes on the same state folder (`tweetchat auth x`,
//! `transcript --refetch`) refresh too. So a refresh first takes the
//! store's cross-process lock ([`TokenStore::lock_refresh`], off the async
//! runtime), then reads the stored pair again, and holds the lock until the
//! new pair is stored: a process that lost the race finds the winner's pair
//! instead of spending a token that is already spent.

use std::collections::HashMap;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::clock::Clock;
use crate::platform::PostError;
use crate::settings::Secret;

/// A refreshed token pair, as it must be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// When `access_token` stops working.
    pub expires_at: Timestamp,
}

/// Durable storage for an account's tokens (the state database in the
/// daemon, memory in tests). `save` must not return before the tokens would
/// survive a crash.
pub trait TokenStore: Send + Sync {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredTokens>>;
    fn save(&self, account: &str, tokens: &StoredTokens) -> anyhow::Result<()>;

    /// Blocks until no other process refreshes `account`'s tokens, and
    /// keeps it that way until the returned lock is dropped (after the new
    /// pair is saved). `None`: nothing to hold (a store no other process
    /// sees), or the wait gave up. The default holds nothing.
    fn lock_refresh(&self, account: &str) -> anyhow::Result<Option<RefreshLock>> {
        let _ = account;
        Ok(None)
    }
}

/// An exclusive advisory lock (`flock`) on a file, held until dropped:
/// one refresh of an account at a time across every process on the state
/// folder. The kernel lets go of it when the process dies, even by
/// `kill -9`, so a crash never leaves it behind.
///
/// With PostgreSQL the lock is an advisory lock on a connection of its own
/// instead ([`RefreshLock::holding`]), so it spans every replica.
#[derive(Debug)]
pub struct RefreshLock {
    // The guard is forgotten on purpose: the lock lasts as long as the
    // open file (or connection), which this keeps.
    _held: Held,
}

#[derive(Debug)]
enum Held {
    File(#[allow(dead_code)] fd_lock::RwLock<std::fs::File>),
    Other(#[allow(dead_code)] Box<dyn std::any::Any + Send + Sync>),
}

impl RefreshLock {
    /// A lock held for as long as `guard` lives (a database session that
    /// holds an advisory lock and closes when dropped).
    pub fn holding(guard: Box<dyn std::any::Any + Send + Sync>) -> Self {
        Self {
            _held: Held::Other(guard),
        }
    }

    /// Takes the lock on `path` (created if missing), waiting at most
    /// `wait` for another process to let go; `None` when it did not.
    /// Blocks the calling thread: call it off the async runtime.
    pub fn acquire(
        path: &std::path::Path,
        wait: std::time::Duration,
    ) -> std::io::Result<Option<Self>> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut lock = fd_lock::RwLock::new(file);
        let deadline = std::time::Instant::now() + wait;
        loop {
            let taken = match lock.try_write() {
                Ok(guard) => {
                    std::mem::forget(guard);
                    true
                }
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => false,
                Err(err) => return Err(err),
            };
            if taken {
                return Ok(Some(Self {
                    _held: Held::File(lock),
                }));
            }
            if std::time::Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// A [`TokenStore`] in memory, for tests and `rehearse`.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: std::sync::Mutex<HashMap<String, StoredTokens>>,
}

impl MemoryTokenStore {
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredTokens>> {
        let map = self
            .tokens
            .lock()
            .map_err(|_| anyhow::anyhow!("token store lock poisoned"))?;
        Ok(map.get(account).cloned())
    }

    fn save(&self, account: &str, tokens: &StoredTokens) -> anyhow::Result<()> {
        let mut map = self
            .tokens
            .lock()
            .map_err(|_| anyhow::anyhow!("token store lock poisoned"))?;
        map.insert(account.to_string(), tokens.clone());
        Ok(())
    }
}

/// Refresh a little before expiry so a request never carries a token that
/// dies in flight.
const EXPIRY_MARGIN: SignedDuration = SignedDuration::from_secs(60);

/// The OAuth 2.0 client of one account.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    /// Confidential clients authenticate the refresh with HTTP Basic.
    pub client_secret: Option<Secret>,
    /// `{api_base}/2/oauth2/token`.
    pub token_url: String,
}

struct State {
    access: Option<(Secret, Timestamp)>,
    refresh: Secret,
    /// A refreshed pair the store has not accepted yet.
    unsaved: Option<StoredTokens>,
}

/// Hands out valid access tokens for one account, refreshing as needed.
pub struct Session {
    account: String,
    client: ClientCredentials,
    store: Arc<dyn TokenStore>,
    state: tokio::sync::Mutex<State>,
}

impl Session {
    /// Starts from the store's tokens, or from `initial_refresh` (the
    /// settings) when the store has none for `account`. The store wins: a
    /// refresh token in the settings is spent after the first rotation.
    pub fn new(
        account: &str,
        client: ClientCredentials,
        store: Arc<dyn TokenStore>,
        initial_refresh: Option<Secret>,
    ) -> anyhow::Result<Self> {
        let state = match store.load(account)? {
            Some(t) => State {
                access: Some((t.access_token, t.expires_at)),
                refresh: t.refresh_token,
                unsaved: None,
            },
            None => State {
                access: None,
                refresh: initial_refresh.ok_or_else(|| {
                    anyhow::anyhow!(
                        "account `{account}` uses X OAuth 2.0 (client_id is set) but has no \
                         refresh token: set `refresh_token` or run `tweetchat auth x`"
                    )
                })?,
                unsaved: None,
            },
        };
        Ok(Self {
            account: account.to_string(),
            client,
            store,
            state: tokio::sync::Mutex::new(state),
        })
    }

    /// A valid access token, refreshing first if it expired (or is about to).
    pub async fn bearer(&self, http: &reqwest::Client, clock: &Clock) -> Result<Secret, PostError> {
        let mut state = self.state.lock().await;
        self.save_pending(&mut state)?;
        if let Some((token, expires_at)) = &state.access {
            if clock.now() + EXPIRY_MARGIN < *expires_at {
                return Ok(token.clone());
            }
        }
        self.refresh(&mut state, http, clock).await
    }

    /// X answered 401 to `used`: refresh unless another request already did.
    pub async fn after_unauthorized(
        &self,
        used: &Secret,
        http: &reqwest::Client,
        clock: &Clock,
    ) -> Result<Secret, PostError> {
        let mut state = self.state.lock().await;
        self.save_pending(&mut state)?;
        if let Some((current, _)) = &state.access {
            if current != used {
                return Ok(current.clone());
            }
        }
        self.refresh(&mut state, http, clock).await
    }

    fn save_pending(&self, state: &mut State) -> Result<(), PostError> {
        if let Some(tokens) = &state.unsaved {
            self.store.save(&self.account, tokens).map_err(|e| {
                PostError::Rejected(format!(
                    "could not store the rotated X refresh token of account `{}`: {e:#}; \
                     fix the state database, the token is kept in memory until then",
                    self.account
                ))
            })?;
            state.unsaved = None;
        }
        Ok(())
    }

    /// Another process (`tweetchat auth x`, `transcript --refetch`) may have
    /// refreshed since this one last looked: take the stored pair when it
    /// differs from ours. `Some` when its access token is still good.
    fn adopt_stored(&self, state: &mut State, clock: &Clock) -> Option<Secret> {
        if state.unsaved.is_some() {
            return None;
        }
        let stored = match self.store.load(&self.account) {
            Ok(Some(stored)) => stored,
            Ok(None) => return None,
            Err(err) => {
                tracing::warn!(account = %self.account, "cannot read the stored X tokens again: {err:#}");
                return None;
            }
        };
        if stored.refresh_token == state.refresh {
            return None;
        }
        tracing::info!(account = %self.account, "using the X tokens another process stored");
        state.refresh = stored.refresh_token;
        state.access = Some((stored.access_token.clone(), stored.expires_at));
        (clock.now() + EXPIRY_MARGIN < stored.expires_at).then_some(stored.access_token)
    }

    /// The store's cross-process refresh lock, taken on the blocking pool.
    /// A lock that cannot be taken (a read-only folder) only warns: the
    /// refresh then relies on reading the stored pair again, as before.
    async fn lock_refresh(&self) -> Option<RefreshLock> {
        let (store, account) = (Arc::clone(&self.store), self.account.clone());
        let taken = tokio::task::spawn_blocking(move || store.lock_refresh(&account)).await;
        match taken {
            Ok(Ok(lock)) => lock,
            Ok(Err(err)) => {
                tracing::warn!(account = %self.account, "refreshing without the cross-process lock: {err:#}");
                None
            }
            Err(err) => {
                tracing::warn!(account = %self.account, "refreshing without the cross-process lock: {err}");
                None
            }
        }
    }

    async fn refresh(
        &self,
        state: &mut State,
        http: &reqwest::Client,
        clock: &Clock,
    ) -> Result<Secret, PostError> {
        // Held until the new pair is stored (or the refresh failed).
        let _lock = self.lock_refresh().await;
        if let Some(token) = self.adopt_stored(state, clock) {
            return Ok(token);
        }
        let issued = match self.request_refresh(&state.refresh, http).await {
            Ok(issued) => issued,
            Err(err) => {
                // Lost a race with another process's refresh: its pair is
                // stored by now, and ours is spent.
                if let Some(token) = self.adopt_stored(state, clock) {
                    return Ok(token);
                }
                return Err(err);
            }
        };
        let tokens = StoredTokens {
            access_token: Secret::new(issued.access_token),
            // Without `offline.access` X sends no new refresh token; the old
            // one then stays the only one we have.
            refresh_token: issued
                .refresh_token
                .map(Secret::new)
                .unwrap_or_else(|| state.refresh.clone()),
            expires_at: clock.now() + SignedDuration::from_secs(issued.expires_in.unwrap_or(7200)),
        };
        state.refresh = tokens.refresh_token.clone();
        state.access = Some((tokens.access_token.clone(), tokens.expires_at));
        state.unsaved = Some(tokens.clone());
        self.save_pending(state)?;
        tracing::info!(account = %self.account, expires_at = %tokens.expires_at, "refreshed the X access token");
        Ok(tokens.access_token)
    }

    async fn request_refresh(
        &self,
        refresh: &Secret,
        http: &reqwest::Client,
    ) -> Result<Issued, PostError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose()),
        ];
        token_request(http, &self.client, &form)
            .await
            .map_err(|failure| match failure {
                TokenFailure::Refused(why) => PostError::Unauthorized(format!(
                    "X refused to refresh the OAuth 2.0 token of account `{}` ({why}); \
                     authorize the account again with `tweetchat auth x`",
                    self.account,
                )),
                TokenFailure::Temporary(why) => {
                    PostError::Transient(format!("refreshing the OAuth 2.0 token: {why}"))
                }
            })
    }
}

/// Why the token endpoint gave no tokens.
#[derive(Debug)]
pub(super) enum TokenFailure {
    /// X answered 4xx: the grant (code, refresh token, client) is not valid.
    Refused(String),
    /// Unreachable, 5xx, or an answer that was not understood.
    Temporary(String),
}

/// `POST {token_url}` with `form` plus `client_id`, HTTP Basic for a
/// confidential client: the one request every grant makes.
pub(super) async fn token_request(
    http: &reqwest::Client,
    client: &ClientCredentials,
    form: &[(&str, &str)],
) -> Result<Issued, TokenFailure> {
    let mut form = form.to_vec();
    form.push(("client_id", client.client_id.as_str()));
    let mut request = http.post(&client.token_url).form(&form);
    if let Some(secret) = &client.client_secret {
        request = request.basic_auth(&client.client_id, Some(secret.expose()));
    }
    let response = request.send().await.map_err(|e| {
        TokenFailure::Temporary(format!(
            "could not reach X's token endpoint: {}",
            super::client::error_chain(&e)
        ))
    })?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| {
        TokenFailure::Temporary(format!(
            "X's token answer broke off: {}",
            super::client::error_chain(&e)
        ))
    })?;
    if status.is_server_error() {
        return Err(TokenFailure::Temporary(format!(
            "X's token endpoint answered {status}"
        )));
    }
    if !status.is_success() {
        let refused: TokenError = serde_json::from_slice(&body).unwrap_or_default();
        return Err(TokenFailure::Refused(format!(
            "{status} {}: {}",
            refused.error.as_deref().unwrap_or("no error code"),
            refused
                .error_description
                .as_deref()
                .unwrap_or("no description"),
        )));
    }
    serde_json::from_slice(&body)
        .map_err(|e| TokenFailure::Temporary(format!("X's token answer was not understood: {e}")))
}

/// A successful token answer.
#[derive(Deserialize)]
pub(super) struct Issued {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// Seconds; X says 7200.
    pub expires_in: Option<i64>,
}

#[derive(Default, Deserialize)]
struct TokenError {
    error: Option<String>,
    error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trips() {
        let store = MemoryTokenStore::new();
        assert_eq!(store.load("a").unwrap(), None);
        let t = StoredTokens {
            access_token: Secret::new("at"),
            refresh_token: Secret::new("rt"),
            expires_at: Timestamp::UNIX_EPOCH,
        };
        store.save("a", &t).unwrap();
        assert_eq!(store.load("a").unwrap(), Some(t.clone()));
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("\"rt\"") && shown.contains("***"),
            "{shown}"
        );
    }

    #[test]
    fn the_refresh_lock_is_one_holder_at_a_time_and_lets_go_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oauth2-main_x.lock");
        let wait = std::time::Duration::from_millis(100);
        let first = RefreshLock::acquire(&path, wait).unwrap();
        assert!(first.is_some());
        // Another open of the file (as another process would) waits, then
        // gives up while the first holds it.
        assert!(RefreshLock::acquire(&path, wait).unwrap().is_none());
        drop(first);
        assert!(RefreshLock::acquire(&path, wait).unwrap().is_some());
    }

    #[test]
    fn a_session_needs_a_refresh_token_somewhere() {
        let client = ClientCredentials {
            client_id: "cid".into(),
            client_secret: None,
            token_url: "http://127.0.0.1:9/2/oauth2/token".into(),
        };
        let err = Session::new("main_x", client, Arc::new(MemoryTokenStore::new()), None)
            .err()
            .unwrap();
        assert!(err.to_string().contains("no refresh token"), "{err}");
    }
}
