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

    async fn refresh(
        &self,
        state: &mut State,
        http: &reqwest::Client,
        clock: &Clock,
    ) -> Result<Secret, PostError> {
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
