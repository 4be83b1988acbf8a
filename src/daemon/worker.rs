//! One task per account drains that account's queue in order.
//!
//! Each job waits for its slot's own instant (it was claimed a little
//! ahead), then its deadlines are checked again, since it may have waited
//! behind other work of the account, and the worker routes it on its
//! [`Work`]: a plain post or a thank-you. The result is recorded without
//! holding up the next job.

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, error, warn};

use super::job::{Job, Work};
use super::poster::{Delivery, Poster};
use super::{deliver, thanks};
use crate::schedule::Slot;

/// The span every log line about one post sits in.
pub fn post_span(slot: &Slot, account: &str) -> tracing::Span {
    let label = match slot.n {
        Some(n) => format!("{}{n}", slot.kind),
        None => slot.kind.to_string(),
    };
    tracing::info_span!(
        "post",
        chat = %slot.chat,
        occurrence = %slot.occurrence.strftime("%Y-%m-%dT%H:%M"),
        slot = %label,
        account = %account,
    )
}

/// Drains one account's queue in order until it closes or `cancel` fires;
/// jobs still queued at shutdown never left, so their claims go back.
pub async fn account_worker(
    poster: Poster,
    mut queue: mpsc::UnboundedReceiver<Job>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let mut job = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            job = queue.recv() => match job {
                Some(job) => job,
                None => return,
            },
        };
        // Claimed ahead of time: wait for the slot's own instant.
        if !poster.clock.wait_until(job.slot.at, &cancel).await {
            give_back(&poster, &job).await;
            break;
        }
        let span = post_span(&job.slot, &job.account);
        job.recheck(poster.clock.now());
        let delivery = route(&poster, &job, &cancel).instrument(span.clone()).await;
        if let Delivery::Done(outcome, label) = delivery {
            if let Some(metrics) = &poster.metrics {
                metrics.post_result(&job.account, label);
            }
            let committed = poster.store.record_soon(&job.key, outcome);
            tracker.spawn(
                async move {
                    if let Err(err) = committed.await {
                        error!("the post's result was not recorded; the key is reconciled on the next start: {err:#}");
                    }
                }
                .instrument(span),
            );
        }
    }
    queue.close();
    while let Some(job) = queue.recv().await {
        give_back(&poster, &job).await;
    }
}

/// The one place that knows which kind of work goes where.
async fn route(poster: &Poster, job: &Job, cancel: &CancellationToken) -> Delivery {
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
