//! One post on one account: reconcile, post, retry, decide.
//!
//! The retry policy lives here and only here; adapters only say what went
//! wrong ([`PostError`]). A post that may have left (a send that timed out, a
//! shutdown in the middle of a backoff) is never retried blind after a
//! restart: its key stays in doubt and is reconciled first.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::clock::Clock;
use crate::http::Metrics;
use crate::platform::{OutgoingPost, Platform, PostError, RemotePost};
use crate::schedule::{Slot, SlotKind};
use crate::store::{Outcome, SharedStore};

/// The metrics label of a post refused for its @mentions; the thanks slot
/// falls back to a mention-free thank-you on it.
pub const MENTIONS_REFUSED: &str = "mentions_refused";

/// Backoff for temporary failures: doubling from `base` up to `max`, with
/// jitter, for as long as the slot's grace window lasts.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (0-based): half fixed, half
    /// random, so accounts hitting the same outage do not retry in lockstep.
    fn delay(&self, attempt: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max);
        full / 2 + full.mul_f64(fastrand::f64() / 2.0)
    }
}

/// A claimed slot on one account, waiting in that account's queue.
#[derive(Debug, Clone)]
pub struct Job {
    pub slot: Arc<Slot>,
    pub account: String,
    pub key: String,
    /// Post welcome, questions and wrap-up as replies to the welcome.
    pub thread: bool,
    /// The chat's visibility and language.
    pub audience: Arc<crate::platform::Audience>,
    /// An earlier run claimed it without recording an answer.
    pub in_doubt: bool,
    /// The end of the grace window: no attempt starts after it.
    pub deadline: Timestamp,
    /// Why it must not be posted any more (past its grace window); an
    /// in-doubt job is then only reconciled.
    pub missed: Option<String>,
    /// Set on thanks slots: what thanking the participants needs (see
    /// [`super::thanks`]).
    pub thanks: Option<Arc<super::thanks::ThanksContext>>,
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Record this; the label is the metrics result.
    Done(Outcome, &'static str),
    /// Leave the claim in doubt; the next start reconciles it.
    InDoubt,
}

/// What one account needs to post.
pub struct Poster {
    pub platform: Arc<dyn Platform>,
    pub store: SharedStore,
    pub clock: Clock,
    pub metrics: Option<Arc<Metrics>>,
    pub retry: RetryPolicy,
}

impl Poster {
    /// Delivers one job; `cancel` interrupts waits, never a request in flight.
    pub async fn deliver(&self, job: &Job, cancel: &CancellationToken) -> Delivery {
        if let Some(thanks) = &job.thanks {
            return super::thanks::deliver(self, job, thanks, cancel).await;
        }
        let text = post_text(&job.slot);
        let root = self.thread_root(job).await;
        let mut post = OutgoingPost {
            key: &job.key,
            text: &text,
            reply_to: root.as_ref(),
            thread_root: root.as_ref(),
            due: job.slot.at,
            audience: &job.audience,
        };
        if job.in_doubt {
            match self.platform.reconcile(&post).await {
                Ok(Some(remote)) => {
                    info!(remote_id = %remote.id, "found on the platform after a restart; not posting again");
                    return Delivery::Done(Outcome::Posted(remote), "reconciled");
                }
                Ok(None) => info!("not on the platform after a restart; posting it"),
                Err(err) => {
                    let reason = format!("could not check whether it was already posted: {err}");
                    return Delivery::Done(Outcome::Failed(reason), "failed");
                }
            }
        }
        if let Some(reason) = &job.missed {
            return Delivery::Done(Outcome::Skipped(reason.clone()), "skipped");
        }
        self.post_with_retries(job, &mut post, cancel).await
    }

    pub(super) async fn post_with_retries(
        &self,
        job: &Job,
        post: &mut OutgoingPost<'_>,
        cancel: &CancellationToken,
    ) -> Delivery {
        if let Some(metrics) = &self.metrics {
            let late = self.clock.now().duration_since(job.slot.at);
            metrics.observe_lateness(late.as_secs_f64().max(0.0));
        }
        let mut attempt = 0;
        loop {
            let answer = self.platform.post(post).await;
            self.export_quota(&job.account);
            let err = match answer {
                Ok(remote) => {
                    info!(remote_id = %remote.id, "posted");
                    return Delivery::Done(Outcome::Posted(remote), "posted");
                }
                Err(err) => err,
            };
            let retry_at = match err {
                PostError::Transient(_) => {
                    // A timeout or a dropped connection may hide a success.
                    if let Some(remote) = self.reconcile_quietly(post).await {
                        return Delivery::Done(Outcome::Posted(remote), "reconciled");
                    }
                    self.backoff(attempt)
                }
                PostError::RateLimited { reset: None } => self.backoff(attempt),
                PostError::RateLimited { reset: Some(reset) } => reset,
                PostError::Duplicate(ref why) => return self.after_duplicate(post, why).await,
                PostError::ReplyRefused(ref why) if post.reply_to.is_some() => {
                    warn!("reply refused ({why}); posting it standalone instead");
                    post.reply_to = None;
                    post.thread_root = None;
                    continue;
                }
                PostError::MentionsRefused(_) => {
                    warn!("not posted: {err}");
                    return Delivery::Done(Outcome::Failed(err.to_string()), MENTIONS_REFUSED);
                }
                other => {
                    warn!("not posted: {other}");
                    return Delivery::Done(Outcome::Failed(other.to_string()), "failed");
                }
            };
            attempt += 1;
            if retry_at > job.deadline {
                let reason = format!(
                    "{err}; gave up after {attempt} attempt(s): the next try at {retry_at} \
                     would be after the grace window, which ended at {}",
                    job.deadline
                );
                warn!("not posted: {reason}");
                return Delivery::Done(Outcome::Failed(reason), "failed");
            }
            warn!("{err}; retrying at {retry_at}");
            if !sleep_until(&self.clock, retry_at, cancel).await {
                return Delivery::InDoubt;
            }
        }
    }

    /// The rate-limit window the platform reported with its last answer.
    fn export_quota(&self, account: &str) {
        if let (Some(metrics), Some(quota)) = (&self.metrics, self.platform.quota()) {
            metrics.set_quota(account, quota.remaining, quota.limit, quota.reset);
        }
    }

    /// When retry number `attempt` may start.
    fn backoff(&self, attempt: u32) -> Timestamp {
        let delay =
            SignedDuration::try_from(self.retry.delay(attempt)).unwrap_or(SignedDuration::MAX);
        self.clock
            .now()
            .saturating_add(delay)
            .unwrap_or(Timestamp::MAX)
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

    /// After a temporary failure the post may have gone out anyway.
    async fn reconcile_quietly(&self, post: &OutgoingPost<'_>) -> Option<RemotePost> {
        match self.platform.reconcile(post).await {
            Ok(found) => found,
            Err(err) => {
                warn!("could not check whether the failed attempt went out: {err}");
                None
            }
        }
    }

    /// The welcome of the same occurrence on this account, when the chat is
    /// a thread and this is a question or the wrap-up.
    async fn thread_root(&self, job: &Job) -> Option<RemotePost> {
        if !job.thread || !matches!(job.slot.kind, SlotKind::Question | SlotKind::Wrapup) {
            return None;
        }
        let welcome = Slot {
            kind: SlotKind::Welcome,
            n: None,
            ..(*job.slot).clone()
        };
        match self.store.lookup(&welcome.key(&job.account)).await {
            Ok(Some(record)) => record.remote,
            Ok(None) => None,
            Err(err) => {
                warn!("cannot read the welcome to reply to, posting standalone: {err:#}");
                None
            }
        }
    }
}

/// The text to post for a slot.
fn post_text(slot: &Slot) -> String {
    match slot.kind {
        SlotKind::Thanks => thanks_without_mentions(&slot.text),
        _ => slot.text.clone(),
    }
}

/// A generic thank-you: the template with `{mentions}` taken out (finding and
/// mentioning participants is the thanks work's job), so the timeline is
/// complete until then.
pub fn thanks_without_mentions(text: &str) -> String {
    let Some((before, after)) = text.split_once("{mentions}") else {
        return text.to_string();
    };
    let before = before
        .trim_end()
        .trim_end_matches([':', ',', ';', '-', '—']);
    let after = after.trim_start();
    let mut out = before.trim_end().to_string();
    if !after.is_empty() {
        if !after.starts_with(['.', '!', '?', ',']) {
            out.push(' ');
        }
        out.push_str(after);
    }
    if !out.ends_with(['.', '!', '?'])
        && !out
            .split_whitespace()
            .last()
            .is_some_and(|w| w.starts_with('#'))
    {
        out.push('!');
    }
    out
}

/// Sleeps on `clock` until `at`; `false` when cancelled first.
pub async fn sleep_until(clock: &Clock, at: Timestamp, cancel: &CancellationToken) -> bool {
    while clock.now() < at {
        tokio::select! {
            _ = cancel.cancelled() => return false,
            _ = clock.sleep_until(at) => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanks_lose_their_mentions_gracefully() {
        assert_eq!(
            thanks_without_mentions("Thank you to everyone who joined #hcsmbm today: {mentions}"),
            "Thank you to everyone who joined #hcsmbm today!"
        );
        assert_eq!(
            thanks_without_mentions("Thanks {mentions} for a great #c chat"),
            "Thanks for a great #c chat!"
        );
        assert_eq!(thanks_without_mentions("Thanks all! #c"), "Thanks all! #c");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        let first = policy.delay(0);
        assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
        let late = policy.delay(30);
        assert!(late >= Duration::from_secs(30) && late <= Duration::from_secs(60));
    }
}
