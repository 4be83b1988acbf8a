//! One key on one account: resolve a doubt, post, retry, decide.
//!
//! Every post the daemon makes goes through [`Poster::deliver`]: a slot's
//! own post ([`super::deliver`]) and each part of a thank-you
//! ([`super::thanks`]). It knows nothing of slots or thank-yous, only of a
//! [`Posting`]: a key, a text, what it replies to and the deadline.
//!
//! A post that may have left (an earlier run claimed it, or a send timed
//! out) is never posted blind: [`Poster::resolve_doubt`] asks the platform,
//! again with backoff while the platform cannot tell, and only a sure "not
//! there" lets it post. When it still cannot tell at the deadline, the key
//! is recorded as failed with that reason: better one missing post that
//! `status` explains than a doubled one.
//!
//! A post being retried or looked up never holds up the chat's next post
//! (an unreachable platform, a lookup that cannot tell): the chat's posts
//! go out in order, so once the next one is due, a post still being
//! retried is recorded as failed, and a lookup still going on finishes on
//! a task of its own (it can only record the post as out, or give up; it
//! never posts), while the queue moves on.

use std::sync::Arc;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, info, warn};

use super::retry::{Retry, RetryPolicy};
use crate::clock::Clock;
use crate::http::Metrics;
use crate::platform::{OutgoingPost, Platform, PostError, RemotePost};
use crate::store::{Outcome, SharedStore};

/// The metrics label of a post refused for its @mentions; the thanks slot
/// falls back to a mention-free thank-you on it.
pub const MENTIONS_REFUSED: &str = "mentions_refused";

/// How a job (or one key of it) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Record this; the label is the metrics result.
    Done(Outcome, &'static str),
    /// Shutdown came first: leave the claim in doubt; the next start
    /// reconciles it. Or the lookup goes on aside, and records its result
    /// itself (the chat's next post was due).
    InDoubt,
}

/// What to post under one key.
#[derive(Debug, Clone)]
pub struct Posting<'a> {
    pub key: &'a str,
    pub text: &'a str,
    pub reply_to: Option<&'a RemotePost>,
    /// The instant the slot was due.
    pub due: Timestamp,
    /// No attempt starts after it.
    pub deadline: Timestamp,
    /// An earlier run claimed it without recording an answer.
    pub in_doubt: bool,
    /// Why it must not be posted any more; in doubt, it is only looked up.
    pub missed: Option<&'a str>,
    /// Why it must not be posted on this account at all (its chat does not
    /// fit the account, [`super::verdict`]): recorded as failed with this,
    /// after a doubt is looked up.
    pub refused: Option<&'a str>,
    /// The chat's visibility and language.
    pub audience: &'a crate::platform::Audience,
}

/// What the platform says about a post in doubt.
enum Doubt {
    Posted(RemotePost),
    NotPosted,
    /// Still unknown at the end of the window, with the last error.
    Unknown(String),
    Cancelled,
    /// Not known yet, and the chat's next post is due at this instant: the
    /// lookup goes on without holding it up.
    Behind(Timestamp),
}

/// How a wait between tries ended.
enum Waited {
    Reached,
    Cancelled,
    /// The chat's next post is due first, at this instant.
    Behind(Timestamp),
}

/// What one account needs to post.
pub struct Poster {
    /// The account's name in the settings.
    pub account: String,
    pub platform: Arc<dyn Platform>,
    pub store: SharedStore,
    pub clock: Clock,
    pub metrics: Option<Arc<Metrics>>,
    pub retry: RetryPolicy,
    /// How long this process's claim must still last when a write starts.
    pub write_hold: std::time::Duration,
    /// `[notify]`: the worker reports failed and skipped posts there.
    pub notify: crate::notify::Notifier,
    /// The queue of the chat this poster drains: a wait between tries ends
    /// when the next post waiting there is due. `None`: nothing waits.
    pub queue: Option<Arc<super::worker::Queue>>,
    /// Where a lookup still going on when the next post is due finishes.
    pub tracker: TaskTracker,
}

impl Poster {
    /// Delivers one key; `cancel` interrupts waits, never a request in flight.
    pub async fn deliver(&self, posting: Posting<'_>, cancel: &CancellationToken) -> Delivery {
        let mut post = OutgoingPost {
            key: posting.key,
            text: posting.text,
            reply_to: posting.reply_to,
            thread_root: posting.reply_to,
            due: posting.due,
            window_end: posting.deadline,
            audience: posting.audience,
        };
        if posting.in_doubt {
            warn!(key = %posting.key, "an earlier run or another replica may have posted this; checking the platform first");
            match self.resolve_doubt(&post, posting.deadline, cancel).await {
                Doubt::Posted(remote) => {
                    info!(remote_id = %remote.id, "found on the platform, posted by an earlier run or another replica; not posting again");
                    return Delivery::Done(Outcome::Posted(remote), "reconciled");
                }
                Doubt::NotPosted => info!("not on the platform; posting it"),
                Doubt::Unknown(reason) => return unknown(reason),
                Doubt::Cancelled => return Delivery::InDoubt,
                Doubt::Behind(next) => {
                    return self.look_up_aside(&post, posting.deadline, next, cancel);
                }
            }
        }
        if let Some(reason) = posting.missed {
            return Delivery::Done(Outcome::Skipped(reason.to_string()), "skipped");
        }
        if let Some(reason) = posting.refused {
            warn!("not posted: {reason}");
            return Delivery::Done(Outcome::Failed(reason.to_string()), "failed");
        }
        if let Some(reason) = too_long_to_send(self.platform.as_ref(), &self.account, post.text) {
            warn!("not posted: {reason}");
            return Delivery::Done(Outcome::Failed(reason), "failed");
        }
        self.post_with_retries(&mut post, posting.deadline, cancel)
            .await
    }

    async fn post_with_retries(
        &self,
        post: &mut OutgoingPost<'_>,
        deadline: Timestamp,
        cancel: &CancellationToken,
    ) -> Delivery {
        if let Some(metrics) = &self.metrics {
            let late = self.clock.now().duration_since(post.due);
            metrics.observe_lateness(late.as_secs_f64().max(0.0));
        }
        let mut attempt = 0;
        loop {
            if !self.still_owned(post.key, deadline, cancel).await {
                return Delivery::InDoubt;
            }
            let answer = self.write(post).await;
            self.export_quota();
            if let Some(metrics) = &self.metrics {
                // Down when it cannot be reached or refuses the credentials,
                // as an account check says ([`super::checks`]).
                let up = !matches!(
                    answer,
                    Err(PostError::Unreachable(_) | PostError::Unauthorized(_))
                );
                metrics.set_account_up(&self.account, up);
            }
            let err = match answer {
                Ok(remote) => {
                    info!(remote_id = %remote.id, "posted");
                    return Delivery::Done(Outcome::Posted(remote), "posted");
                }
                Err(err) => err,
            };
            match &err {
                // A timeout or a dropped connection may hide a success.
                PostError::Transient(_) => match self.resolve_doubt(post, deadline, cancel).await {
                    Doubt::Posted(remote) => {
                        info!(remote_id = %remote.id, "the failed attempt went out after all");
                        return Delivery::Done(Outcome::Posted(remote), "reconciled");
                    }
                    Doubt::NotPosted => {}
                    Doubt::Unknown(reason) => return unknown(format!("{err}; {reason}")),
                    Doubt::Cancelled => return Delivery::InDoubt,
                    Doubt::Behind(next) => return self.look_up_aside(post, deadline, next, cancel),
                },
                PostError::Duplicate(why) => return self.after_duplicate(post, why).await,
                PostError::ReplyRefused(why) if post.reply_to.is_some() => {
                    warn!("reply refused ({why}); posting it standalone instead");
                    post.reply_to = None;
                    post.thread_root = None;
                    continue;
                }
                PostError::MentionsRefused(_) => {
                    warn!("not posted: {err}");
                    return Delivery::Done(Outcome::Failed(err.to_string()), MENTIONS_REFUSED);
                }
                _ => {}
            }
            let retry_at = match self.retry.after(&err, attempt, self.clock.now(), deadline) {
                Retry::At(at) => at,
                Retry::GiveUp(reason) => {
                    warn!("not posted: {reason}");
                    return Delivery::Done(Outcome::Failed(reason), "failed");
                }
            };
            attempt += 1;
            warn!("{err}; retrying at {retry_at}");
            match self.wait_for_turn(retry_at, cancel).await {
                Waited::Reached => {}
                Waited::Cancelled => return Delivery::InDoubt,
                Waited::Behind(next) => {
                    let reason = format!(
                        "{err}; gave up after {attempt} attempt(s): the chat's next post is \
                         due at {next}, and a chat's posts go out in order"
                    );
                    warn!("not posted: {reason}");
                    return Delivery::Done(Outcome::Failed(reason), "failed");
                }
            }
        }
    }

    /// Waits until `at`, unless the chat's next post is due by then: that
    /// one is not held up by this one's retries.
    async fn wait_for_turn(&self, at: Timestamp, cancel: &CancellationToken) -> Waited {
        let Some(queue) = &self.queue else {
            return match self.clock.wait_until(at, cancel).await {
                true => Waited::Reached,
                false => Waited::Cancelled,
            };
        };
        loop {
            if let Some(next) = queue.next_due().filter(|next| *next <= at) {
                return Waited::Behind(next);
            }
            tokio::select! {
                reached = self.clock.wait_until(at, cancel) => {
                    return if reached { Waited::Reached } else { Waited::Cancelled };
                }
                // A job came: compared above.
                () = queue.pushed() => {}
            }
        }
    }

    /// The lookup of a post in doubt goes on on a task of its own, until
    /// the doubt window ends, and records what it finds; the queue moves on
    /// to the chat's next post, due at `next`. It never posts: a post found
    /// missing now would go out after the one behind it.
    fn look_up_aside(
        &self,
        post: &OutgoingPost<'_>,
        deadline: Timestamp,
        next: Timestamp,
        cancel: &CancellationToken,
    ) -> Delivery {
        info!("the chat's next post is due at {next}; still looking this one up, aside");
        let aside = Poster {
            account: self.account.clone(),
            platform: Arc::clone(&self.platform),
            store: self.store.clone(),
            clock: self.clock.clone(),
            metrics: self.metrics.clone(),
            retry: self.retry,
            write_hold: self.write_hold,
            notify: self.notify.clone(),
            queue: None,
            tracker: self.tracker.clone(),
        };
        let (key, text) = (post.key.to_string(), post.text.to_string());
        let (reply_to, root) = (post.reply_to.cloned(), post.thread_root.cloned());
        let (due, window_end, audience) = (post.due, post.window_end, post.audience.clone());
        let cancel = cancel.clone();
        let task = async move {
            let post = OutgoingPost {
                key: &key,
                text: &text,
                reply_to: reply_to.as_ref(),
                thread_root: root.as_ref(),
                due,
                window_end,
                audience: &audience,
            };
            let (outcome, label) = match aside.resolve_doubt(&post, deadline, &cancel).await {
                Doubt::Posted(remote) => {
                    info!(remote_id = %remote.id, "found on the platform; not posting again");
                    (Outcome::Posted(remote), "reconciled")
                }
                Doubt::NotPosted => {
                    let reason = format!(
                        "not on the platform, but the chat's next post was due at {next} \
                         before that was known, and a chat's posts go out in order, so it was \
                         not posted"
                    );
                    warn!("not posted: {reason}");
                    (Outcome::Failed(reason), "failed")
                }
                Doubt::Unknown(reason) => match unknown(reason) {
                    Delivery::Done(outcome, label) => (outcome, label),
                    Delivery::InDoubt => return,
                },
                // Shutdown: the next start looks it up.
                Doubt::Cancelled | Doubt::Behind(_) => return,
            };
            if let Outcome::Failed(reason) = &outcome {
                let (notify, now) = (&aside.notify, aside.clock.now());
                super::alerts::post_failed_by_key(notify, &key, due, reason, now);
            }
            if let Some(metrics) = &aside.metrics {
                metrics.post_result(&aside.account, label);
            }
            if let Err(err) = aside.store.record(&key, outcome).await {
                warn!(
                    "the result of the lookup was not recorded; the key is reconciled on the next start: {err:#}"
                );
            }
        };
        self.tracker
            .spawn(task.instrument(tracing::Span::current()));
        Delivery::InDoubt
    }

    /// The one in-doubt path: asks the platform whether `post` is out,
    /// again with backoff while it cannot tell, until `deadline` (or the
    /// policy's doubt window, when that ends later).
    async fn resolve_doubt(
        &self,
        post: &OutgoingPost<'_>,
        deadline: Timestamp,
        cancel: &CancellationToken,
    ) -> Doubt {
        let until = self.retry.doubt_deadline(deadline, self.clock.now());
        let mut attempt = 0;
        loop {
            let err = match self.platform.reconcile(post).await {
                Ok(Some(remote)) => return Doubt::Posted(remote),
                Ok(None) => return Doubt::NotPosted,
                Err(err) => err,
            };
            // Whatever the error, the answer is "unknown": asked again.
            let at = match &err {
                PostError::RateLimited { reset: Some(reset) } if *reset > self.clock.now() => {
                    *reset
                }
                _ => self.retry.backoff(attempt, self.clock.now()),
            };
            if at > until {
                return Doubt::Unknown(format!(
                    "could not check whether it was already posted ({err}) before {until}"
                ));
            }
            warn!("could not check whether it went out ({err}); asking again at {at}");
            attempt += 1;
            match self.wait_for_turn(at, cancel).await {
                Waited::Reached => {}
                Waited::Cancelled => return Doubt::Cancelled,
                Waited::Behind(next) => return Doubt::Behind(next),
            }
        }
    }

    /// One platform write. On PostgreSQL, where a repeated write would be
    /// a second post ([`Platform::repeats_harmless`] false: X, the console,
    /// GoToSocial), the whole write is bounded by the hold its lease was
    /// just extended to, less [`super::WRITE_MARGIN`]: besides the request
    /// it may look up the account (`whoami`) or refresh a token, each
    /// bounded by the account's timeout but not together. So nothing is
    /// sent under this claim once another replica may have taken it over;
    /// a write cut off this way may have gone out, and is looked up like a
    /// timeout. On SQLite, with one owner, the write is as it always was.
    async fn write(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
        let bounded = self.store.pg().is_some() && !self.platform.repeats_harmless();
        let bound = self.write_hold.saturating_sub(super::WRITE_MARGIN);
        if !bounded || bound.is_zero() {
            return self.platform.post(post).await;
        }
        match tokio::time::timeout(bound, self.platform.post(post)).await {
            Ok(answer) => answer,
            Err(_) => Err(PostError::Transient(format!(
                "the write did not finish within {}s, the hold of this replica's claim, so \
                 it was cut off; it may have gone out, so it is looked up first",
                bound.as_secs()
            ))),
        }
    }

    /// Whether this process's claim of `key` still owns it, with enough
    /// left for the write about to start (always on SQLite; on PostgreSQL
    /// the lease, see `docs/replicas.md`, "Why no post goes out twice"). Where a repeated write would be a
    /// second post (X, the console, GoToSocial:
    /// [`Platform::repeats_harmless`]), the lease is first extended to cover
    /// [`Self::write_hold`] (the request's timeout and a margin), so no
    /// other replica takes the key over while this write may still land;
    /// on Mastodon (`Idempotency-Key`) and Bluesky (the record key) a second
    /// write of the key is harmless, so the live lease is enough and a dead
    /// owner's slot is taken over within the short lease.
    ///
    /// A claim taken over by another replica is left to it: nothing is
    /// posted or recorded under it here. A database that cannot say is
    /// asked again with backoff until `deadline`; then the claim is let go
    /// (its lease runs out and another replica, or the next start, takes
    /// it over as in doubt).
    async fn still_owned(
        &self,
        key: &str,
        deadline: Timestamp,
        cancel: &CancellationToken,
    ) -> bool {
        let hold = if self.platform.repeats_harmless() {
            std::time::Duration::ZERO
        } else {
            self.write_hold
        };
        let mut attempt = 0;
        loop {
            let err = match self.store.lease_for_write(key, hold).await {
                Ok(true) => return true,
                Ok(false) => {
                    warn!(%key, "this replica's claim was taken over by another replica; not posting");
                    return false;
                }
                Err(err) => err,
            };
            let at = self.retry.backoff(attempt, self.clock.now());
            if at > deadline {
                warn!(%key, "cannot confirm this replica's claim ({err:#}); letting it go unposted");
                self.store.let_go(key);
                return false;
            }
            warn!(%key, "cannot confirm this replica's claim ({err:#}); asking again at {at}");
            attempt += 1;
            if !self.clock.wait_until(at, cancel).await {
                return false;
            }
        }
    }

    /// The rate-limit window the platform reported with its last answer.
    fn export_quota(&self) {
        let Some(metrics) = &self.metrics else {
            return;
        };
        if let Some(quota) = self.platform.quota() {
            metrics.set_quota(&self.account, quota.remaining, quota.limit, quota.reset);
        }
    }

    /// The platform says it has this text already: it may be ours.
    async fn after_duplicate(&self, post: &OutgoingPost<'_>, why: &str) -> Delivery {
        match self.platform.reconcile(post).await {
            Ok(Some(remote)) => {
                info!(remote_id = %remote.id, "already posted (the platform reported a duplicate)");
                Delivery::Done(Outcome::Posted(remote), "reconciled")
            }
            Ok(None) => {
                let reason = format!(
                    "the platform refused it as duplicate content ({why}) and no earlier post \
                     with this key was found: change the text so it differs from a recent post"
                );
                warn!("not posted: {reason}");
                Delivery::Done(Outcome::Failed(reason), "failed")
            }
            Err(err) => Delivery::Done(
                Outcome::Failed(format!(
                    "duplicate content ({why}); could not check for an earlier post: {err}"
                )),
                "failed",
            ),
        }
    }
}

/// Why `text` must not be sent on `account`: longer than the account takes
/// (as its platform counts, with the limit it announced), or past the
/// render cap whatever the account takes. Sent, it would only be refused
/// (a 400 or 422), or be a template gone wrong.
pub fn too_long_to_send(platform: &dyn Platform, account: &str, text: &str) -> Option<String> {
    let cap = crate::text::template::MAX_RENDERED_CHARS;
    if text.chars().count() > cap {
        return Some(format!(
            "the text passes {cap} characters once its placeholders are filled in (twice \
             the longest post a network takes by default), so it was not sent: shorten the \
             template or the values it repeats (`tweetchat check` points at it)"
        ));
    }
    let (limit, kind) = (platform.limit(), platform.kind());
    let length = crate::text::count_with_url_length(kind, text, platform.url_length());
    (length > limit).then(|| {
        format!(
            "the text is {length} characters on {kind}, over the limit of {limit} for \
             `{account}`, so it was not sent: shorten it by at least {} characters or write \
             a `{kind}:` version beside `text:` (`tweetchat check` lists every post that does \
             not fit)",
            length - limit
        )
    })
}

/// Still unknown at the deadline: recorded as failed, never posted blind.
fn unknown(reason: String) -> Delivery {
    let reason = format!("{reason}; not posted again so that it cannot appear twice");
    warn!("in doubt: {reason}");
    Delivery::Done(Outcome::Failed(reason), "failed")
}
