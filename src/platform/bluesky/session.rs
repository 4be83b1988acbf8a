//! One login per account, kept across restarts.
//!
//! `com.atproto.server.createSession` (handle + app password) is limited to
//! 30 calls in 5 minutes and 300 a day per account, so a daemon that logs in
//! per post, or a container in a restart loop that logs in per start, locks
//! itself out. Hence:
//!
//! - the session (DID, handle, access and refresh JWTs) lives in the state
//!   database through a [`SessionStore`], saved *before* its tokens are used;
//! - a stored session is reused after a restart, unless it was made for
//!   another handle or another app password (the settings changed);
//! - an access token is refreshed with `refreshSession` a minute before the
//!   `exp` its JWT carries, or when the PDS answers `ExpiredToken`; the
//!   refresh token rotates, and the new pair is saved before it is used;
//! - only when there is no usable session, or the refresh token is refused
//!   too, does it log in again with `createSession`.
//!
//! All of it runs under one `tokio::sync::Mutex`, so two posts that find an
//! expired token at once refresh once. Replicas on one PostgreSQL share the
//! stored session, and so its expiry: a refresh or a login also takes the
//! store's lock across processes ([`SessionStore::lock_renewal`], an
//! advisory lock per account) and first reads the stored session again,
//! adopting one another replica made meanwhile, so they refresh once and
//! log in once between them, not once each.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::xrpc::{Failure, Xrpc};
use crate::clock::Clock;
use crate::platform::PostError;
use crate::settings::Secret;

/// Refresh this long before the access token's `exp`.
const EXPIRY_MARGIN: SignedDuration = SignedDuration::from_secs(60);

/// A session as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSession {
    pub did: String,
    pub handle: String,
    pub access_jwt: String,
    pub refresh_jwt: String,
    /// SHA-256 of the handle and app password that made it (hex), so a new
    /// app password in the settings is checked at the next start.
    pub login: String,
}

/// Durable storage for sessions (the state database in the daemon, memory
/// in tests). `save` must not return before the session would survive a
/// crash.
pub trait SessionStore: Send + Sync {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredSession>>;
    fn save(&self, account: &str, session: &StoredSession) -> anyhow::Result<()>;

    /// A lock held by one process at a time for `account`'s refresh or
    /// login, released when dropped; `None` where one process is all there
    /// is (SQLite, memory). Called on the blocking pool.
    fn lock_renewal(&self, account: &str) -> anyhow::Result<Option<Box<dyn Send>>> {
        let _ = account;
        Ok(None)
    }
}

/// A [`SessionStore`] in memory.
#[derive(Debug, Default)]
pub struct MemorySessions {
    sessions: std::sync::Mutex<HashMap<String, StoredSession>>,
}

impl SessionStore for MemorySessions {
    fn load(&self, account: &str) -> anyhow::Result<Option<StoredSession>> {
        let map = self
            .sessions
            .lock()
            .map_err(|_| anyhow::anyhow!("session store lock poisoned"))?;
        Ok(map.get(account).cloned())
    }

    fn save(&self, account: &str, session: &StoredSession) -> anyhow::Result<()> {
        let mut map = self
            .sessions
            .lock()
            .map_err(|_| anyhow::anyhow!("session store lock poisoned"))?;
        map.insert(account.to_string(), session.clone());
        Ok(())
    }
}

/// What the session endpoints answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionAnswer {
    did: String,
    handle: String,
    access_jwt: String,
    refresh_jwt: String,
}

/// The login of one account.
pub struct Session {
    account: String,
    handle: String,
    password: Secret,
    store: Arc<dyn SessionStore>,
    clock: Clock,
    live: tokio::sync::Mutex<Option<StoredSession>>,
}

impl Session {
    pub fn new(
        account: &str,
        handle: &str,
        password: Secret,
        store: Arc<dyn SessionStore>,
        clock: Clock,
    ) -> Self {
        Self {
            account: account.to_string(),
            handle: handle.trim_start_matches('@').to_string(),
            password,
            store,
            clock,
            live: tokio::sync::Mutex::new(None),
        }
    }

    /// A session whose access token is not about to expire.
    pub async fn current(&self, xrpc: &Xrpc) -> Result<StoredSession, PostError> {
        let mut live = self.live.lock().await;
        if live.is_none() {
            *live = self.stored();
        }
        match live.as_ref() {
            Some(s) if !self.expiring(&s.access_jwt) => Ok(s.clone()),
            Some(s) => {
                let spent = s.access_jwt.clone();
                drop(live);
                self.renew(xrpc, &spent).await
            }
            None => {
                let _lock = self.lock_renewal().await;
                // Another replica may have logged in while this one waited.
                let fresh = match self.stored() {
                    Some(stored) => stored,
                    None => self.create(xrpc).await?,
                };
                *live = Some(fresh.clone());
                Ok(fresh)
            }
        }
    }

    /// After the PDS refused `spent`: refresh (once for all callers that
    /// held it), or log in again when the refresh token is refused too.
    pub async fn renew(&self, xrpc: &Xrpc, spent: &str) -> Result<StoredSession, PostError> {
        let mut live = self.live.lock().await;
        if let Some(s) = live.as_ref().filter(|s| s.access_jwt != spent) {
            return Ok(s.clone()); // someone else renewed it meanwhile
        }
        // Held until the new session is stored (or the renewal failed).
        let _lock = self.lock_renewal().await;
        // Another replica renewed it: its session is stored.
        if let Some(stored) = self
            .stored()
            .filter(|s| s.access_jwt != spent && !self.expiring(&s.access_jwt))
        {
            *live = Some(stored.clone());
            return Ok(stored);
        }
        let refreshed = match live.as_ref() {
            Some(s) => self.refresh(xrpc, s).await,
            None => Err(Failure::TokenExpired("no session yet".into())),
        };
        let fresh = match refreshed {
            Ok(fresh) => fresh,
            Err(Failure::Post(
                e @ (PostError::Transient(_)
                | PostError::Unreachable(_)
                | PostError::RateLimited { .. }),
            )) => {
                return Err(e);
            }
            Err(refused) => {
                tracing::info!(account = %self.account, "the Bluesky refresh token was refused ({}); logging in again", describe(&refused));
                self.create(xrpc).await?
            }
        };
        *live = Some(fresh.clone());
        Ok(fresh)
    }

    /// The store's lock across processes, taken on the blocking pool; one
    /// that cannot be taken only warns (the stored session is still read
    /// again first).
    async fn lock_renewal(&self) -> Option<Box<dyn Send>> {
        let (store, account) = (Arc::clone(&self.store), self.account.clone());
        match tokio::task::spawn_blocking(move || store.lock_renewal(&account)).await {
            Ok(Ok(lock)) => lock,
            Ok(Err(err)) => {
                tracing::warn!(account = %self.account, "renewing the Bluesky session without the lock across replicas: {err:#}");
                None
            }
            Err(err) => {
                tracing::warn!(account = %self.account, "renewing the Bluesky session without the lock across replicas: {err}");
                None
            }
        }
    }

    /// The stored session, if it belongs to this handle and app password.
    fn stored(&self) -> Option<StoredSession> {
        match self.store.load(&self.account) {
            Ok(Some(s)) if s.login == self.login_hash() => Some(s),
            Ok(Some(_)) => {
                tracing::info!(account = %self.account, "the handle or app password changed since the stored Bluesky session; logging in again");
                None
            }
            Ok(None) => None,
            Err(err) => {
                tracing::warn!(account = %self.account, "cannot read the stored Bluesky session, logging in again: {err:#}");
                None
            }
        }
    }

    async fn refresh(&self, xrpc: &Xrpc, s: &StoredSession) -> Result<StoredSession, Failure> {
        let refresh = Secret::new(s.refresh_jwt.clone());
        let answer = xrpc
            .procedure("com.atproto.server.refreshSession", None, Some(&refresh))
            .await?;
        self.keep(answer).map_err(Failure::Post)
    }

    async fn create(&self, xrpc: &Xrpc) -> Result<StoredSession, PostError> {
        tracing::info!(account = %self.account, handle = %self.handle, "logging in to Bluesky (createSession)");
        let body = serde_json::json!({
            "identifier": self.handle,
            "password": self.password.expose(),
        });
        let answer = xrpc
            .procedure("com.atproto.server.createSession", Some(&body), None)
            .await
            .map_err(|f| match f.into_post_error() {
                PostError::Unauthorized(why) => PostError::Unauthorized(format!(
                    "Bluesky refused the handle `{}` with this app password ({why}); create an \
                     app password in the Bluesky app (Settings → Privacy and security → App \
                     passwords) and set it as app_password",
                    self.handle
                )),
                other => other,
            })?;
        self.keep(answer)
    }

    /// Saves a session answer before anyone uses its tokens.
    fn keep(&self, answer: serde_json::Value) -> Result<StoredSession, PostError> {
        let answer: SessionAnswer = serde_json::from_value(answer).map_err(|e| {
            PostError::Transient(format!("the PDS's session answer was not understood: {e}"))
        })?;
        let session = StoredSession {
            did: answer.did,
            handle: answer.handle,
            access_jwt: answer.access_jwt,
            refresh_jwt: answer.refresh_jwt,
            login: self.login_hash(),
        };
        self.store.save(&self.account, &session).map_err(|e| {
            PostError::Transient(format!(
                "cannot keep the Bluesky session in the state database: {e:#}"
            ))
        })?;
        Ok(session)
    }

    fn login_hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.handle.to_ascii_lowercase().as_bytes());
        hasher.update([0]);
        hasher.update(self.password.expose().as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn expiring(&self, jwt: &str) -> bool {
        jwt_expiry(jwt).is_some_and(|exp| exp - EXPIRY_MARGIN <= self.clock.now())
    }
}

fn describe(f: &Failure) -> String {
    match f {
        Failure::TokenExpired(why) => why.clone(),
        Failure::Post(e) => e.to_string(),
    }
}

/// The `exp` claim of a JWT, when it has a readable one (the PDS's do; a
/// token we cannot read is used until the PDS says it expired).
pub fn jwt_expiry(jwt: &str) -> Option<Timestamp> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Timestamp::from_second(claims.get("exp")?.as_i64()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(exp: i64) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            engine.encode(br#"{"typ":"at+jwt","alg":"ES256K"}"#),
            engine.encode(format!(
                r#"{{"scope":"com.atproto.appPass","sub":"did:plc:x","exp":{exp}}}"#
            ))
        )
    }

    #[test]
    fn the_expiry_is_read_from_the_token() {
        assert_eq!(
            jwt_expiry(&jwt(1_796_227_200)),
            Some(Timestamp::from_second(1_796_227_200).unwrap())
        );
        assert_eq!(jwt_expiry("opaque-token"), None);
    }

    #[test]
    fn a_stored_session_is_reused_only_for_the_same_login() {
        let store = Arc::new(MemorySessions::default());
        let clock = Clock::system(std::time::Duration::from_secs(30));
        let session = |password: &str| {
            Session::new(
                "b",
                "ann.test",
                Secret::new(password),
                store.clone(),
                clock.clone(),
            )
        };
        let first = session("pass-one");
        let stored = StoredSession {
            did: "did:plc:x".into(),
            handle: "ann.test".into(),
            access_jwt: jwt(4_000_000_000),
            refresh_jwt: "r".into(),
            login: first.login_hash(),
        };
        store.save("b", &stored).unwrap();
        assert_eq!(first.stored(), Some(stored.clone()));
        assert!(!first.expiring(&stored.access_jwt));
        assert!(first.expiring(&jwt(1_000)));
        assert_eq!(session("pass-two").stored(), None);
    }

    /// Two replicas share the stored session and so its expiry: the one
    /// that renews second adopts what the first stored, without asking the
    /// PDS (here nothing listens, so a request would fail the test).
    #[tokio::test]
    async fn a_session_another_replica_renewed_is_adopted() {
        let store = Arc::new(MemorySessions::default());
        let clock = Clock::system(std::time::Duration::from_secs(30));
        let session = Session::new("b", "ann.test", Secret::new("pass"), store.clone(), clock);
        let spent = StoredSession {
            did: "did:plc:x".into(),
            handle: "ann.test".into(),
            access_jwt: jwt(1_000),
            refresh_jwt: "r1".into(),
            login: session.login_hash(),
        };
        store.save("b", &spent).unwrap();
        let nowhere = Xrpc {
            http: crate::tls::client(std::time::Duration::from_secs(1)).unwrap(),
            base: "http://127.0.0.1:9".into(),
            timeout: std::time::Duration::from_secs(1),
        };
        // This replica holds the expired session.
        *session.live.lock().await = Some(spent.clone());
        // The other one renewed it meanwhile.
        let renewed = StoredSession {
            access_jwt: jwt(4_000_000_000),
            refresh_jwt: "r2".into(),
            ..spent.clone()
        };
        store.save("b", &renewed).unwrap();
        let got = session.renew(&nowhere, &spent.access_jwt).await.unwrap();
        assert_eq!(got, renewed);
        assert_eq!(session.current(&nowhere).await.unwrap(), renewed);
    }
}
