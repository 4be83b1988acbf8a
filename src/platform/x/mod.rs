//! X (Twitter API v2) accounts.
//!
//! [`XAccount`] implements [`Platform`] for one configured account. The
//! pieces, one concern each:
//!
//! - [`oauth1`]: RFC 5849 HMAC-SHA1 signatures (consumer key/secret + access
//!   token/secret), pure functions the fake X server in the tests reuses.
//! - [`oauth2`]: OAuth 2.0 user tokens with rotating single-use refresh tokens
//!   and the [`TokenStore`] the new pair is saved to *before* it is used.
//! - `client`: one authenticated request (signing, timeout, one refresh
//!   after a 401, rate-limit headers).
//! - `errors`: every refusal X can answer, mapped onto [`PostError`].
//! - [`cost`]: pay-per-use prices and the estimate `tweetchat plan` shows.
//! - [`pkce`]: the authorization URL and S256 verifier/challenge for
//!   `tweetchat auth x`.
//! - [`quota`]: the last `x-rate-limit-*` values, for metrics.
//! - `reconcile`: finding an in-doubt post on the account's own timeline.
//! - `search`: hashtag search over every page of recent search.
//! - `conversation`: the replies under each question (a
//!   `conversation_id:` search), which a hashtag search misses.
//!
//! Which auth an account uses follows from its settings: `consumer_key` (with
//! `consumer_secret`, `access_token`, `access_token_secret`) means OAuth 1.0a;
//! `client_id` (with `refresh_token`, optionally `client_secret`) means OAuth
//! 2.0. The adapter never retries on its own except that one refresh: retry
//! policy is the daemon's.

mod client;
mod conversation;
pub mod cost;
mod errors;
pub mod oauth1;
pub mod oauth2;
pub mod pkce;
pub mod quota;
mod reconcile;
mod search;

use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Deserialize;

pub use self::client::error_chain;
use self::client::{Api, Auth, Built, Call};
pub use self::oauth2::{MemoryTokenStore, RefreshLock, StoredTokens, TokenStore};
pub use self::quota::Quota;
use crate::clock::Clock;
use crate::platform::{
    FoundPost, Identity, OutgoingPost, Platform, PostError, RemotePost, Replies,
};
use crate::settings::AccountSettings;
use crate::text::PlatformKind;

/// Where X lives when the settings do not say otherwise.
pub const DEFAULT_API_BASE: &str = "https://api.x.com";

/// One X account, ready to post.
pub struct XAccount {
    name: String,
    api: Api,
    /// Who the account is: asked once (at start-up), then kept, so a
    /// reconcile never spends a `/2/users/me` call.
    me: tokio::sync::OnceCell<Identity>,
    /// When each key was last sent from this process, for the timeline's
    /// lag (see [`TIMELINE_LAG`]).
    sent: Mutex<std::collections::HashMap<String, Timestamp>>,
    /// Posts built and signed ahead of their instant ([`Platform::prepare`]),
    /// by key.
    prepared: Mutex<std::collections::HashMap<String, Prepared>>,
}

/// A `POST /2/tweets` built ahead, and what it was built for.
struct Prepared {
    text: String,
    reply_to: Option<String>,
    /// When it was signed: sent only within [`PREPARED_FOR`] of it.
    at: Timestamp,
    built: Built,
}

/// How long a prepared post stays usable. The daemon prepares a post about
/// 100 ms before its instant; X refuses an OAuth 1.0a timestamp minutes
/// off, so half a minute leaves a wide margin, and anything older is
/// signed again.
const PREPARED_FOR: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

/// How long a just-created post may be missing from the account's own
/// timeline: a reconcile this soon after a send that timed out answers
/// "unknown" (asked again with backoff) rather than "not posted".
pub const TIMELINE_LAG: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

impl XAccount {
    /// Reads the account's credentials from `settings` (see the module docs),
    /// loading OAuth 2.0 tokens from `tokens` when it has some.
    pub fn new(
        settings: &AccountSettings,
        tokens: Arc<dyn TokenStore>,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let base = api_base(settings);
        let auth = auth_from_settings(settings, &base, tokens)?;
        let http = crate::tls::client(settings.timeout)
            .map_err(anyhow::Error::msg)
            .with_context(|| {
                format!(
                    "account `{}`: could not build the HTTP client for X",
                    settings.name
                )
            })?;
        Ok(Self {
            name: settings.name.clone(),
            api: Api {
                http,
                base,
                auth,
                clock,
                timeout: settings.timeout,
                quota: Mutex::new(None),
                access_level: Mutex::new(None),
            },
            me: tokio::sync::OnceCell::new(),
            sent: Mutex::new(std::collections::HashMap::new()),
            prepared: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// Asks X who the credentials belong to.
    async fn users_me(&self) -> Result<Identity, PostError> {
        let query = vec![("user.fields".to_string(), "username,name".to_string())];
        let body = self.api.send(&Call::get("/2/users/me", query)).await?;
        let me: Data<Me> = serde_json::from_slice(&body).map_err(|e| {
            PostError::Transient(format!("X's answer to /2/users/me was not understood: {e}"))
        })?;
        Ok(Identity {
            id: me.data.id,
            username: me.data.username,
            display_name: me.data.name,
        })
    }

    /// The account's name in the settings.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The request prepared for exactly this post, if it is still fresh.
    fn take_prepared(&self, post: &OutgoingPost<'_>) -> Option<Built> {
        let prepared = self.prepared.lock().ok()?.remove(post.key)?;
        let fresh = self.api.clock.now().duration_since(prepared.at) <= PREPARED_FOR;
        let same = prepared.text == post.text
            && prepared.reply_to.as_deref() == post.reply_to.map(|r| r.id.as_str());
        (fresh && same).then_some(prepared.built)
    }

    /// How many posts wait, built ahead of their instant.
    pub fn prepared_posts(&self) -> usize {
        self.prepared.lock().map_or(0, |p| p.len())
    }

    fn post_url(&self, id: &str) -> String {
        match self.me.get() {
            Some(me) => format!("https://x.com/{}/status/{id}", me.username),
            None => format!("https://x.com/i/status/{id}"),
        }
    }
}

/// The account's `api_base` (default [`DEFAULT_API_BASE`]) without a
/// trailing slash.
pub fn api_base(settings: &AccountSettings) -> String {
    settings
        .api_base
        .as_deref()
        .unwrap_or(DEFAULT_API_BASE)
        .trim_end_matches('/')
        .to_string()
}

fn auth_from_settings(
    settings: &AccountSettings,
    base: &str,
    tokens: Arc<dyn TokenStore>,
) -> anyhow::Result<Auth> {
    let account = &settings.name;
    let secret = |key: &str| settings.secrets.get(key).cloned();
    let require = |key: &str, why: &str| {
        secret(key).ok_or_else(|| {
            anyhow::anyhow!(
                "account `{account}` {why} but has no `{key}`: set `{key}` (or `{key}_file`)"
            )
        })
    };
    if let Some(consumer_key) = secret("consumer_key") {
        let why = "uses X OAuth 1.0a (consumer_key is set)";
        return Ok(Auth::OAuth1(oauth1::Credentials {
            consumer_key,
            consumer_secret: require("consumer_secret", why)?,
            token: require("access_token", why)?,
            token_secret: require("access_token_secret", why)?,
        }));
    }
    if let Some(client_id) = &settings.client_id {
        let client = oauth2::ClientCredentials {
            client_id: client_id.clone(),
            client_secret: secret("client_secret"),
            token_url: format!("{base}/2/oauth2/token"),
        };
        let session = oauth2::Session::new(account, client, tokens, secret("refresh_token"))?;
        return Ok(Auth::OAuth2(session));
    }
    anyhow::bail!(
        "account `{account}` has no X credentials: set consumer_key, consumer_secret, \
         access_token and access_token_secret (OAuth 1.0a), or client_id and refresh_token \
         (OAuth 2.0)"
    )
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Me {
    id: String,
    username: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

/// What `POST /2/tweets` takes (the TweetCreateRequest schema, the fields we
/// use).
fn create_body(post: &OutgoingPost<'_>) -> serde_json::Value {
    let mut body = serde_json::json!({ "text": post.text });
    if let Some(parent) = post.reply_to {
        body["reply"] = serde_json::json!({ "in_reply_to_tweet_id": parent.id });
    }
    body
}

#[async_trait]
impl Platform for XAccount {
    fn kind(&self) -> PlatformKind {
        PlatformKind::X
    }

    /// The `x-rate-limit-*` headers of the last answer, whichever endpoint.
    fn quota(&self) -> Option<Quota> {
        self.api.quota()
    }

    /// An unauthenticated `HEAD` of `api_base`: it costs no quota and
    /// leaves a pooled connection (with its TLS session) for the post.
    async fn warm(&self) {
        self.api.warm().await;
    }

    /// Signs the `POST /2/tweets` now; [`Platform::post`] sends it as is
    /// when the same post follows within [`PREPARED_FOR`].
    async fn prepare(&self, post: &OutgoingPost<'_>) {
        let at = self.api.clock.now();
        let call = Call::post_json("/2/tweets", create_body(post));
        let built = match self.api.build(&call).await {
            Ok(built) => built,
            Err(err) => {
                tracing::debug!("could not build the post ahead ({err}); it is built when due");
                return;
            }
        };
        let Ok(mut prepared) = self.prepared.lock() else {
            return;
        };
        // Posts prepared and never sent (skipped, shut down) go here.
        prepared.retain(|_, p| at.duration_since(p.at) <= PREPARED_FOR);
        prepared.insert(
            post.key.to_string(),
            Prepared {
                text: post.text.to_string(),
                reply_to: post.reply_to.map(|r| r.id.clone()),
                at,
                built,
            },
        );
    }

    async fn whoami(&self) -> Result<Identity, PostError> {
        self.me.get_or_try_init(|| self.users_me()).await.cloned()
    }

    /// `GET /2/users/me` now, and the app's write permission where X says
    /// it (`x-access-level` on OAuth 1.0a answers): an app left at "Read"
    /// passes every read and fails at the first post.
    async fn check(&self) -> Result<Identity, PostError> {
        let me = self.users_me().await?;
        if let Some(level) = self.api.access_level() {
            if !level.contains("write") {
                return Err(PostError::Unauthorized(format!(
                    "the X app may only read (x-access-level: {level}); in the developer \
                     portal set the app's permissions to \"Read and write\", then regenerate \
                     the access token and secret and put them in [accounts.{}]",
                    self.name
                )));
            }
        }
        Ok(me)
    }

    async fn post(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
        if self.me.get().is_none() {
            // Only for the post's link (x.com/USER/status/ID); the daemon
            // normally called whoami at start-up already.
            let _ = self.whoami().await;
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.insert(post.key.to_string(), self.api.clock.now());
        }
        let prepared = self.take_prepared(post);
        let answer = self
            .api
            .send_from(&Call::post_json("/2/tweets", create_body(post)), prepared)
            .await;
        if let Err(err @ (PostError::Transient(_) | PostError::Unreachable(_))) = &answer {
            // X answered with a 5xx status, or was never reached: the
            // timeline is current, so no lag allowance (that is for
            // timeouts and lost answers).
            let current = match err {
                PostError::Transient(why) => why.starts_with("X answered 5"),
                _ => true,
            };
            if current {
                if let Ok(mut sent) = self.sent.lock() {
                    sent.remove(post.key);
                }
            }
        }
        let body = answer?;
        let created: Data<Created> = serde_json::from_slice(&body).map_err(|e| {
            // The post exists but its id is unknown: in doubt, reconcile.
            PostError::Transient(format!(
                "X accepted the post but its answer was not understood ({e}); reconcile before retrying"
            ))
        })?;
        Ok(RemotePost {
            url: Some(self.post_url(&created.data.id)),
            id: created.data.id,
            cid: None,
        })
    }

    async fn reconcile(&self, post: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError> {
        let me = self.whoami().await?;
        let found =
            reconcile::find_own_post(&self.api, &me.id, post.text, post.due, post.window_end)
                .await?;
        if found.is_none() {
            let last_sent = self.sent.lock().ok().and_then(|s| s.get(post.key).copied());
            if let Some(at) = last_sent {
                let since = self.api.clock.now().duration_since(at);
                if since < TIMELINE_LAG {
                    return Err(PostError::Transient(format!(
                        "not on the timeline {since:#} after sending, which may be X's lag"
                    )));
                }
            }
        }
        Ok(found.map(|id| RemotePost {
            url: Some(self.post_url(&id)),
            id,
            cid: None,
        }))
    }

    async fn search(
        &self,
        hashtag: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<FoundPost>, PostError> {
        search::search(&self.api, hashtag, since, until).await
    }

    /// The questions' conversations, see `conversation`.
    async fn replies(&self, roots: &[RemotePost], since: Timestamp, until: Timestamp) -> Replies {
        conversation::replies(&self.api, roots, since, until).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::settings::Secret;

    fn settings(secrets: &[(&str, &str)], client_id: Option<&str>) -> AccountSettings {
        AccountSettings {
            name: "main_x".into(),
            platform: PlatformKind::X,
            api_base: None,
            handle: None,
            client_id: client_id.map(str::to_string),
            secrets: secrets
                .iter()
                .map(|(k, v)| (k.to_string(), Secret::new(*v)))
                .collect(),
            timeout: Duration::from_secs(5),
        }
    }

    fn build(s: &AccountSettings) -> anyhow::Result<XAccount> {
        XAccount::new(
            s,
            Arc::new(MemoryTokenStore::new()),
            Clock::system(Duration::from_secs(60)),
        )
    }

    #[test]
    fn an_account_without_credentials_says_what_to_set() {
        let err = build(&settings(&[], None)).err().unwrap().to_string();
        assert!(err.contains("has no X credentials"), "{err}");
        assert!(err.contains("client_id and refresh_token"), "{err}");
    }

    #[test]
    fn a_half_configured_oauth1_account_names_the_missing_key() {
        let s = settings(
            &[("consumer_key", "ck"), ("consumer_secret", "s3cr3t-value")],
            None,
        );
        let err = build(&s).err().unwrap().to_string();
        assert!(err.contains("has no `access_token`"), "{err}");
        assert!(!err.contains("s3cr3t-value"), "{err}");
    }

    #[test]
    fn complete_accounts_build_either_way() {
        let oauth1 = settings(
            &[
                ("consumer_key", "ck"),
                ("consumer_secret", "cs"),
                ("access_token", "at"),
                ("access_token_secret", "ats"),
            ],
            None,
        );
        assert!(build(&oauth1).is_ok());
        let oauth2 = settings(&[("refresh_token", "rt")], Some("cid"));
        assert_eq!(build(&oauth2).unwrap().name(), "main_x");
    }

    #[test]
    fn replies_carry_the_parent_id() {
        let parent = RemotePost {
            id: "1860000000000000001".into(),
            cid: None,
            url: None,
        };
        let post = OutgoingPost {
            key: "k",
            text: "Q2 #x",
            reply_to: Some(&parent),
            thread_root: Some(&parent),
            due: Timestamp::UNIX_EPOCH,
            window_end: Timestamp::UNIX_EPOCH,
            audience: &crate::platform::Audience::DEFAULT,
        };
        assert_eq!(
            create_body(&post),
            serde_json::json!({"text": "Q2 #x", "reply": {"in_reply_to_tweet_id": "1860000000000000001"}})
        );
        let standalone = OutgoingPost {
            reply_to: None,
            ..post
        };
        assert_eq!(
            create_body(&standalone),
            serde_json::json!({"text": "Q2 #x"})
        );
    }
}
