//! From due slots to per-account queues.
//!
//! Every slot due now becomes one job per account of its chat. All their
//! intents are claimed in one store request (one transaction, one fsync),
//! then each job goes to its account's queue. One task per account drains its
//! queue in order, so slots due at the same instant go out concurrently across
//! accounts and in order within an account.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, debug, error, warn};

use super::deliver::{Delivery, Job, Poster, RetryPolicy};
use super::timetable::Timetable;
use crate::clock::Clock;
use crate::http::Metrics;
use crate::platform::Platform;
use crate::schedule::{Slot, SlotKind};
use crate::settings::GraceSettings;
use crate::store::{Claim, Intent, SharedStore};

/// How late a slot of `kind` may still be posted.
pub fn grace_for(grace: &GraceSettings, kind: SlotKind) -> Duration {
    match kind {
        SlotKind::Announce => grace.announce,
        SlotKind::Thanks => grace.thanks,
        SlotKind::Welcome | SlotKind::Question | SlotKind::Wrapup => grace.question,
    }
}

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

/// Hands due slots to the accounts and owns their queues.
pub struct Dispatcher {
    pub accounts: BTreeMap<String, Arc<dyn Platform>>,
    pub default_accounts: Vec<String>,
    pub grace: GraceSettings,
    pub store: SharedStore,
    pub clock: Clock,
    pub metrics: Option<Arc<Metrics>>,
    pub retry: RetryPolicy,
    /// Where thanks slots write transcripts; `None` writes none.
    pub state_dir: Option<std::path::PathBuf>,
    queues: HashMap<String, mpsc::UnboundedSender<Job>>,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Dispatcher {
    /// `cancel` stops the queues from taking new jobs (shutdown).
    pub fn new(
        accounts: BTreeMap<String, Arc<dyn Platform>>,
        default_accounts: Vec<String>,
        grace: GraceSettings,
        store: SharedStore,
        clock: Clock,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            accounts,
            default_accounts,
            grace,
            store,
            clock,
            metrics: None,
            retry: RetryPolicy::default(),
            state_dir: None,
            queues: HashMap::new(),
            tracker: TaskTracker::new(),
            cancel,
        }
    }

    /// Claims every (slot, account) of `due` in one transaction and queues
    /// what must be posted or reconciled.
    pub async fn dispatch(&mut self, due: &[Arc<Slot>], timetable: &Timetable, now: Timestamp) {
        let mut jobs = Vec::new();
        let mut intents = Vec::new();
        let mut before_file = super::missed::BeforeFile::default();
        for slot in due {
            let Some(plan) = timetable.plan(&slot.chat) else {
                continue;
            };
            if before_file.leave_out(plan, slot, grace_for(&self.grace, slot.kind)) {
                continue;
            }
            let accounts = plan.accounts.as_ref().unwrap_or(&self.default_accounts);
            for account in accounts {
                let mut job = self.job(slot, account, plan.thread, now);
                job.thanks = super::thanks::context(
                    slot,
                    plan,
                    account,
                    accounts,
                    &self.accounts,
                    self.state_dir.as_deref(),
                );
                let mut intent = Intent::for_slot(slot, account);
                intent.missed = job.missed.clone();
                intents.push(intent);
                jobs.push(job);
            }
        }
        before_file.log();
        if intents.is_empty() {
            return;
        }
        let claims = match self.store.claim(intents).await {
            Ok(claims) => claims,
            Err(err) => {
                error!(
                    "cannot record the intent to post, so not posting {} due post(s): {err:#}",
                    jobs.len()
                );
                return;
            }
        };
        let mut skipped = super::missed::Skipped::default();
        for (mut job, claim) in jobs.into_iter().zip(claims) {
            let span = post_span(&job.slot, &job.account);
            let _entered = span.enter();
            match claim {
                Claim::Fresh => self.enqueue(job),
                Claim::InDoubt { attempts } => {
                    warn!(
                        attempts,
                        "an earlier run may have posted this; checking the platform first"
                    );
                    job.in_doubt = true;
                    self.enqueue(job);
                }
                Claim::SkippedNow(reason) => {
                    debug!("skipped: {reason}");
                    skipped.add(&job.slot, &job.account, &reason);
                    self.count(&job.account, "skipped");
                }
                Claim::Done(remote) => debug!(remote_id = %remote.id, "already posted"),
                Claim::Skipped(reason) => debug!("already skipped: {reason}"),
                Claim::Failed(reason) => debug!("already failed: {reason}"),
            }
        }
        skipped.log();
    }

    fn job(&self, slot: &Arc<Slot>, account: &str, thread: bool, now: Timestamp) -> Job {
        let grace = grace_for(&self.grace, slot.kind);
        let grace = SignedDuration::try_from(grace).unwrap_or(SignedDuration::MAX);
        let deadline = slot.at.saturating_add(grace).unwrap_or(Timestamp::MAX);
        let late = SignedDuration::from_secs(now.duration_since(slot.at).as_secs());
        let missed = if !self.accounts.contains_key(account) {
            Some(format!(
                "no account named `{account}` in the settings: add [accounts.{account}] \
                 or fix the chat's `accounts`"
            ))
        } else if now > deadline {
            Some(format!(
                "missed by {late:#}, past the {grace:#} grace window for a {}",
                slot.kind
            ))
        } else if slot.kind == SlotKind::Announce && now >= slot.starts {
            Some(format!(
                "missed by {late:#}: the chat has already started, so announcing it is pointless"
            ))
        } else {
            None
        };
        Job {
            slot: slot.clone(),
            account: account.to_string(),
            key: slot.key(account),
            thread,
            in_doubt: false,
            deadline,
            missed,
            thanks: None,
        }
    }

    fn count(&self, account: &str, result: &str) {
        if let Some(metrics) = &self.metrics {
            metrics.post_result(account, result);
        }
    }

    fn enqueue(&mut self, job: Job) {
        let Some(platform) = self.accounts.get(&job.account).cloned() else {
            return;
        };
        let queue = self.queues.entry(job.account.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let poster = Poster {
                platform,
                store: self.store.clone(),
                clock: self.clock.clone(),
                metrics: self.metrics.clone(),
                retry: self.retry,
            };
            let worker = account_worker(poster, rx, self.cancel.clone(), self.tracker.clone());
            self.tracker.spawn(worker);
            tx
        });
        if let Err(mpsc::error::SendError(job)) = queue.send(job) {
            error!(key = %job.key, "the account's queue has stopped; the key stays claimed and is reconciled on the next start");
        }
    }

    /// Stops handing out jobs and waits for the queues: with `cancel` fired,
    /// each account finishes only the post in flight (queued jobs give their
    /// claims back); otherwise the queues are drained. Waits at most `budget`.
    pub async fn finish(mut self, budget: Duration) -> bool {
        self.queues.clear();
        self.tracker.close();
        let finished = tokio::time::timeout(budget, self.tracker.wait())
            .await
            .is_ok();
        if !finished {
            warn!(
                "posts still in flight after {budget:?}; their keys stay claimed and are \
                 reconciled on the next start"
            );
        }
        finished
    }
}

/// How long before its instant a slot is claimed (its intent committed).
/// The post itself still leaves at the instant: the worker waits for it.
/// A crash in between leaves an intent in doubt, which the next start
/// reconciles like any other, so claiming early costs nothing in safety.
pub const CLAIM_AHEAD: SignedDuration = SignedDuration::from_millis(100);

/// Drains one account's queue in order.
async fn account_worker(
    poster: Poster,
    mut queue: mpsc::UnboundedReceiver<Job>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let job = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            job = queue.recv() => match job {
                Some(job) => job,
                None => return,
            },
        };
        // Claimed ahead of time: wait for the slot's own instant.
        if !wait_until(&poster.clock, job.slot.at, &cancel).await {
            if let Err(err) = poster.store.release(&job.key).await {
                warn!(key = %job.key, "could not give back an unused claim; it is reconciled on the next start: {err:#}");
            }
            break;
        }
        let span = post_span(&job.slot, &job.account);
        let delivery = poster.deliver(&job, &cancel).instrument(span.clone()).await;
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
    // Shutting down: jobs still queued never left, so their claims go back.
    queue.close();
    while let Some(job) = queue.recv().await {
        if let Err(err) = poster.store.release(&job.key).await {
            warn!(key = %job.key, "could not give back an unused claim; it is reconciled on the next start: {err:#}");
        }
    }
}

/// Sleeps until the clock reads `at`; `false` when cancelled first.
async fn wait_until(clock: &Clock, at: Timestamp, cancel: &CancellationToken) -> bool {
    while clock.now() < at {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return false,
            _ = clock.sleep_until(at) => {}
        }
    }
    true
}
