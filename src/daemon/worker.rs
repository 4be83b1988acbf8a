//! One task per account and chat drains that queue in order.
//!
//! Each job waits for its slot's own instant (it was claimed a little
//! ahead; meanwhile the account's connection is warmed and the post's
//! request is built and signed, so at the instant only the write is left;
//! the wait ends within microseconds of the instant, not at the next
//! timer tick), then its deadlines
//! are checked again, since it may have waited behind other work of the
//! chat, and the worker routes it on its [`Work`]: a plain post or a
//! thank-you. The result is recorded without holding up the next job. The
//! task ends when its queue is empty; the dispatcher starts another with
//! the next job.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, error, warn};

use super::job::{Job, Work};
use super::poster::{Delivery, Poster};
use super::{deliver, thanks};
use crate::schedule::Slot;
use crate::store::Outcome;

/// How often a result the database refused is written again.
const RECORD_ATTEMPTS: u32 = 8;

/// The span every log line about one post sits in.
pub fn post_span(slot: &Slot, account: &str) -> tracing::Span {
    let label = slot.label();
    tracing::info_span!(
        "post",
        chat = %slot.chat,
        occurrence = %slot.occurrence.strftime("%Y-%m-%dT%H:%M"),
        slot = %label,
        account = %account,
    )
}

/// The jobs of one account and chat, and whether a task is draining them.
/// One lock covers both, so a job is never pushed just as the task decides
/// the queue is empty and ends.
#[derive(Default)]
pub struct Queue {
    state: std::sync::Mutex<(VecDeque<Job>, bool)>,
    /// Told of every push, so a post waiting to retry notices that the
    /// chat's next post has come ([`Queue::next_due`]).
    pushed: tokio::sync::Notify,
}

impl Queue {
    /// Adds `job`; `true` when no task is draining the queue, and the
    /// caller must start one.
    pub fn push(&self, job: Job) -> bool {
        let mut state = self.lock();
        state.0.push_back(job);
        let start = !state.1;
        state.1 = true;
        drop(state);
        self.pushed.notify_one();
        start
    }

    /// When the next job waiting behind the one in hand is due.
    pub fn next_due(&self) -> Option<jiff::Timestamp> {
        self.lock().0.front().map(|job| job.slot.at)
    }

    /// Resolves at the next push (or at once, for a push nobody waited for).
    pub async fn pushed(&self) {
        self.pushed.notified().await;
    }

    /// The next job, or `None` after marking the queue idle.
    fn pop(&self) -> Option<Job> {
        let mut state = self.lock();
        let job = state.0.pop_front();
        if job.is_none() {
            state.1 = false;
        }
        job
    }

    /// Every job still waiting, marking the queue idle (shutdown).
    fn drain(&self) -> Vec<Job> {
        let mut state = self.lock();
        state.1 = false;
        state.0.drain(..).collect()
    }

    /// A task is draining it, or it holds jobs.
    pub fn is_busy(&self) -> bool {
        let state = self.lock();
        state.1 || !state.0.is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (VecDeque<Job>, bool)> {
        // Nothing panics while holding it; were it poisoned, the queue's
        // contents are still whole.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Drains one queue in order until it is empty or `cancel` fires; jobs
/// still queued at shutdown never left, so their claims go back.
pub async fn queue_worker(
    poster: Poster,
    queue: Arc<Queue>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    while !cancel.is_cancelled() {
        let Some(mut job) = queue.pop() else {
            return;
        };
        // Claimed ahead of time: warm the connection and build the post's
        // request (never waited for: the post leaves at its instant whatever
        // becomes of them), then wait for the slot's own instant.
        if poster.clock.now() < job.slot.at {
            let platform = Arc::clone(&poster.platform);
            let store = poster.store.clone();
            let ahead = matches!(job.work, Work::Post).then(|| job.clone());
            tokio::spawn(async move {
                let prepare = async {
                    if let Some(job) = &ahead {
                        deliver::prepare(platform.as_ref(), &store, job).await;
                    }
                };
                tokio::join!(platform.warm(), prepare);
            });
        }
        if !poster.clock.wait_until_exact(job.slot.at, &cancel).await {
            give_back(&poster, &job).await;
            break;
        }
        let span = post_span(&job.slot, &job.account);
        job.recheck(poster.clock.now());
        let delivery = route(&poster, &mut job, &cancel)
            .instrument(span.clone())
            .await;
        if let Delivery::Done(outcome, label) = delivery {
            if let Some(metrics) = &poster.metrics {
                metrics.post_result(&job.account, label);
            }
            let now = poster.clock.now();
            match &outcome {
                Outcome::Failed(reason) => {
                    super::alerts::post_failed(&poster.notify, &job.slot, &job.account, reason, now)
                }
                Outcome::Skipped(reason) => super::alerts::post_skipped(
                    &poster.notify,
                    &job.slot,
                    &job.account,
                    reason,
                    now,
                ),
                Outcome::Posted(_) => {}
            }
            let committed = poster.store.record_soon(&job.key, outcome.clone());
            let (store, clock, retry) = (poster.store.clone(), poster.clock.clone(), poster.retry);
            let (key, cancel) = (job.key.clone(), cancel.clone());
            tracker.spawn(
                async move {
                    let Err(mut err) = committed.await else {
                        return;
                    };
                    if err.downcast_ref::<crate::store::pg::TakenOver>().is_some() {
                        warn!("{err:#}");
                        return;
                    }
                    // A busy database: tried again with backoff, so the key
                    // does not stay in doubt until the next start.
                    for attempt in 0..RECORD_ATTEMPTS {
                        let at = retry.backoff(attempt, clock.now());
                        warn!("the post's result was not recorded ({err:#}); trying again at {at}");
                        if !clock.wait_until(at, &cancel).await {
                            break;
                        }
                        match store.record(&key, outcome.clone()).await {
                            Ok(()) => return,
                            Err(again) => err = again,
                        }
                    }
                    error!("the post's result was not recorded; the key is reconciled on the next start: {err:#}");
                }
                .instrument(span),
            );
        }
    }
    for job in queue.drain() {
        give_back(&poster, &job).await;
    }
}

/// The one place that knows which kind of work goes where. A job whose
/// chat does not fit its account is recorded as failed here, whatever its
/// work, unless an earlier run may have posted it: then it is looked up
/// first, and only reconciled.
async fn route(poster: &Poster, job: &mut Job, cancel: &CancellationToken) -> Delivery {
    if let Some(reason) = &job.refused {
        if !job.in_doubt {
            warn!("not posted: {reason}");
            return Delivery::Done(crate::store::Outcome::Failed(reason.to_string()), "failed");
        }
        if job.missed.is_none() && matches!(job.work, Work::Thanks(_)) {
            job.missed = Some(reason.to_string());
        }
    }
    match &job.work {
        Work::Post => deliver::deliver(poster, job, cancel).await,
        Work::Thanks(context) => thanks::deliver(poster, job, context, cancel).await,
    }
}

async fn give_back(poster: &Poster, job: &Job) {
    if let Err(err) = poster.store.release(&job.key).await {
        warn!(key = %job.key, "could not give back an unused claim; it is reconciled on the next start: {err:#}");
    }
}
