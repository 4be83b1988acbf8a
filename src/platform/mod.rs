//! The one trait every account kind implements.
//!
//! The daemon never knows which network it talks to: it hands an
//! [`OutgoingPost`] to a [`Platform`] and gets back a [`RemotePost`] or a
//! [`PostError`] whose variant says what to do next (wait, retry, reconcile,
//! fall back, or give up with a reason). Adapters translate their network's
//! answers into those variants; the retry policy lives in one place, the daemon.

pub mod bluesky;
pub mod console;
pub mod mastodon;
pub mod x;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::plan::Visibility;
use crate::text::PlatformKind;

/// A post about to be sent.
#[derive(Debug, Clone)]
pub struct OutgoingPost<'a> {
    /// The stable key (see [`crate::schedule::Slot::key`]); adapters use it
    /// for idempotency (Mastodon `Idempotency-Key`, Bluesky record key).
    pub key: &'a str,
    pub text: &'a str,
    /// Post as a reply to this one (threads, thank-you continuations).
    pub reply_to: Option<&'a RemotePost>,
    /// The root of the thread, when replying (Bluesky needs both).
    pub thread_root: Option<&'a RemotePost>,
    /// The instant the slot was due, for logs and the console.
    pub due: Timestamp,
    /// The end of the slot's grace window: no attempt starts after it, so a
    /// post under this key, if there is one, was created between `due` and
    /// this (plus one request's time). [`Platform::reconcile`] looks there.
    /// (Added with the in-doubt rework; adapters that do not search a time
    /// range ignore it.)
    pub window_end: Timestamp,
    /// Who may see it and its language, from the chat file.
    pub audience: &'a Audience,
}

/// A chat's `visibility` and `language`, for the networks that take them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    pub visibility: Visibility,
    /// As written in the chat (`pt-BR`).
    pub language: Option<String>,
}

impl Audience {
    /// Public, language unset.
    pub const DEFAULT: Audience = Audience {
        visibility: Visibility::Public,
        language: None,
    };

    pub fn of(plan: &crate::plan::ChatPlan) -> Self {
        Self {
            visibility: plan.visibility,
            language: plan.language().map(str::to_owned),
        }
    }
}

/// What a platform says about a post that exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePost {
    /// The platform's id (X tweet id, Mastodon status id, Bluesky at:// URI).
    pub id: String,
    /// A content hash where the platform has one (Bluesky CID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    /// A link a person can open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Who an account posts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    /// Handle without `@`.
    pub username: String,
    pub display_name: Option<String>,
}

/// What the platform's last answer said about the account's request quota
/// (X's `x-rate-limit-*` headers), for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub remaining: u64,
    /// When the window resets.
    pub reset: Option<Timestamp>,
}

/// A post found by a hashtag search (participants, transcripts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundPost {
    pub id: String,
    pub author_id: String,
    /// Handle without `@`.
    pub author_username: String,
    pub author_name: Option<String>,
    pub text: String,
    pub created_at: Timestamp,
    pub in_reply_to: Option<String>,
    pub url: Option<String>,
    /// A repost/retweet rather than an original post.
    pub is_repost: bool,
}

/// What reading the replies under some posts found ([`Platform::replies`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replies {
    /// Every reply found below the roots, at any depth, each once, in any
    /// order (the roots themselves may be among them).
    pub posts: Vec<FoundPost>,
    /// The roots whose replies were not (all) read, and why.
    pub problems: Vec<ThreadProblem>,
}

/// One root whose thread read failed or stopped at its cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadProblem {
    /// The root's platform id.
    pub root: String,
    /// In the words of the log: what failed, or where reading stopped.
    pub reason: String,
}

/// Why a post did not go out, sorted by what the caller should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostError {
    /// 429 or an exhausted quota: retry at `reset` if that is still in time.
    #[error("rate limited{}", reset.map(|r| format!(" until {r}")).unwrap_or_default())]
    RateLimited { reset: Option<Timestamp> },
    /// 5xx, timeout, connection reset: retry with jittered backoff. The
    /// request may have arrived, so the post is looked up before a retry.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// The connection was refused, or never completed its TLS handshake:
    /// nothing was sent, so the post is certainly not out. Retried with
    /// backoff like a 5xx, and never looked up as "maybe posted".
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The platform says this text was already posted: reconcile before
    /// deciding.
    #[error("duplicate content: {0}")]
    Duplicate(String),
    /// A reply was refused (X reply rules): post standalone instead.
    #[error("reply refused: {0}")]
    ReplyRefused(String),
    /// Refused because of its @mentions: post a mention-free version.
    #[error("mentions refused: {0}")]
    MentionsRefused(String),
    /// Credentials rejected (after one refresh, where the platform has one).
    #[error("not authorized: {0}")]
    Unauthorized(String),
    /// Any other refusal; retrying the same request will not help.
    #[error("rejected: {0}")]
    Rejected(String),
}

impl PostError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PostError::RateLimited { .. } | PostError::Transient(_) | PostError::Unreachable(_)
        )
    }
}

/// Says why `base` could not be reached, with what to check: the cause
/// from `chain` (an error and its sources) in a few words first.
pub fn unreachable(base: &str, chain: &str) -> String {
    let lower = chain.to_ascii_lowercase();
    let cause = if lower.contains("connection refused") {
        "connection refused: check api_base"
    } else if lower.contains("dns") || lower.contains("failed to lookup") {
        "the host name did not resolve: check api_base"
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        "the TLS handshake failed: check api_base and the system's certificates"
    } else if lower.contains("timed out") {
        "connecting timed out: check api_base and the network"
    } else {
        "could not connect: check api_base and the network"
    };
    format!("{cause} ({base}; nothing was sent: {chain})")
}

/// The most an answer's body may hold: the largest thread view a server
/// sends (Mastodon's 4,096 statuses) fits several times over, and a server
/// answering without end cannot take memory without limit.
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// Why a body was not read whole.
#[derive(Debug)]
pub enum BodyError {
    /// The connection failed while reading.
    Read(reqwest::Error),
    /// Longer than the cap.
    TooLarge(usize),
}

/// Reads `response`'s body, refusing one longer than `max` bytes (by its
/// `Content-Length`, or as it arrives) without holding more than that.
pub async fn read_body(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl BodyError {
    /// The words for a body longer than the cap.
    pub fn too_large(max: usize) -> String {
        format!(
            "the answer was longer than {} MiB; not read",
            max / (1024 * 1024)
        )
    }
}

/// An account on a network.
#[async_trait]
pub trait Platform: Send + Sync {
    fn kind(&self) -> PlatformKind;

    /// The most a post may count on this account (as [`crate::text::count`]
    /// counts for [`Platform::kind`]).
    fn limit(&self) -> usize {
        self.kind().default_limit()
    }

    /// What a URL counts on this account: 23, or what a Mastodon instance
    /// reserves for one (`characters_reserved_per_url`).
    fn url_length(&self) -> usize {
        crate::text::length::URL_LENGTH
    }

    /// Whether sending the same key's post twice makes one post (so a
    /// second replica may write it while the first one's write may still
    /// land): Bluesky's record key, Mastodon's `Idempotency-Key`. `false`
    /// (the default) where a repeat would be a second post: X, the console,
    /// GoToSocial and servers not recognised, which ignore the header.
    fn repeats_harmless(&self) -> bool {
        false
    }

    /// The rate-limit window the last answer reported (`None`: not known or
    /// not tracked by this adapter); the daemon exports it as metrics.
    fn quota(&self) -> Option<Quota> {
        None
    }

    /// Opens (or re-opens) the connection to the network shortly before a
    /// post is due, so the post does not pay for TCP and TLS set-up at its
    /// instant: idle connections are dropped by the HTTP client after 90 s
    /// and by servers often sooner. The daemon calls it when it claims a
    /// slot, ahead of the instant, and never waits for it. It must not post
    /// or spend quota; errors are ignored (the post itself reports them).
    /// Default: nothing (the console has no connection).
    async fn warm(&self) {}

    /// Builds (and signs) the request for `post` shortly before its instant,
    /// so that at the instant only the write is left: with 200 posts due at
    /// one second, building them all at once is what made the last ones
    /// late. The adapter keeps the request and [`Platform::post`] sends it
    /// when the same post (key, text, reply) comes soon enough; anything
    /// else is built anew, so a prepared request is never sent stale or for
    /// the wrong text. It must not send anything. The daemon calls it with
    /// [`Platform::warm`] and never waits for it. Default: nothing.
    async fn prepare(&self, _post: &OutgoingPost<'_>) {}

    /// Reads again what the network says a post may count on this account
    /// (a Mastodon instance's limits), for [`Platform::limit`] and
    /// [`Platform::url_length`]; the daemon calls it on SIGHUP and daily and
    /// re-validates the chats when the answer differs. A failure keeps what
    /// was known. Default: nothing to read (the network's limit is fixed).
    async fn refresh_limits(&self) {}

    /// Who this account posts as; called once at start-up so bad credentials
    /// fail fast.
    async fn whoami(&self) -> Result<Identity, PostError>;

    /// Asks the network now (never a remembered answer) whether this
    /// account can post: its credentials, and where the answer says so its
    /// permission to write. The daemon calls it at start, a day and an hour
    /// before each chat ([`crate::daemon::checks`]); it must not post.
    /// Default: [`Platform::whoami`] (for adapters that ask every time).
    async fn check(&self) -> Result<Identity, PostError> {
        self.whoami().await
    }

    /// Publishes one post.
    async fn post(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError>;

    /// Finds a post whose outcome is unknown (crash or timeout after sending):
    /// `Some` if it exists on the platform, `None` only if it surely does
    /// not. When the adapter cannot tell (the pages it may read ran out, the
    /// platform may not show a post that recent yet, a request failed), it
    /// answers `Err`: the daemon then asks again with backoff and never
    /// posts blind (see `daemon::poster`).
    async fn reconcile(&self, post: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError>;

    /// Posts carrying `hashtag` (with `#`) created in `[since, until)`, all
    /// pages, oldest first.
    async fn search(
        &self,
        hashtag: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<FoundPost>, PostError>;

    /// The replies below each of `roots` (the host's question posts), at any
    /// depth, from the network's own thread view, created in `[since,
    /// until)`: they answer without repeating the hashtag, and some servers
    /// (GoToSocial) leave replies out of the hashtag's timeline. Each root's
    /// read is capped; a read that fails or stops at its cap is named in
    /// [`Replies::problems`] and the others still count. Replies from
    /// accounts the host muted or blocked are left out where the network
    /// marks them. Default: nothing (the console has no threads).
    async fn replies(
        &self,
        _roots: &[RemotePost],
        _since: Timestamp,
        _until: Timestamp,
    ) -> Replies {
        Replies::default()
    }
}
