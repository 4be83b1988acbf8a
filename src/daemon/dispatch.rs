//! From due slots to per-account, per-chat queues.
//!
//! Every slot due now becomes one job per account of its chat. All their
//! intents are claimed in one store request (one transaction, one fsync),
//! then each job goes to the queue of its account and chat. Each claim
//! runs in its own savepoint; one the database refuses (busy beyond its
//! timeout, disk full) is put back and tried again with backoff while its
//! grace window lasts, then recorded as failed with the reason, never
//! silently dropped. One task per
//! queue drains it in order, so slots due at the same instant go out
//! concurrently across accounts and chats, and in order within a chat (a
//! thread's replies after its welcome; never a question before the one
//! before it). Four chats due at the same second on one account used to
//! wait for each other's round trips: the fourth post left about 4 ms after
//! the first (benches/run.sh). A queue's task ends when the queue is empty
//! and is started again with the next job, so 10,000 chats do not keep
//! 10,000 idle tasks.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, warn};

use super::job::{Job, Work};
use super::poster::Poster;
use super::retry::RetryPolicy;
use super::timetable::Timetable;
use super::worker::{Queue, post_span, queue_worker};
use crate::clock::Clock;
use crate::http::Metrics;
use crate::platform::{Audience, Platform};
use crate::schedule::Slot;
use crate::settings::GraceSettings;
use crate::store::{Claim, Intent, SharedStore};

/// A job waiting for its claim.
struct Pending {
    job: Job,
    intent: Intent,
    /// Claims tried so far.
    attempt: u32,
    /// Set once the grace window ran out: record it as failed with this.
    gave_up: Option<String>,
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
    /// Leave out slots that were over before their chat file was written
    /// ([`super::missed::BeforeFile`]). Off for a rehearsal, whose timeline
    /// is replayed on a clock of its own and may lie wholly in the past.
    pub leave_out_before_file: bool,
    /// See [`super::Daemon::look_up_due_before`].
    pub look_up_due_before: Option<Timestamp>,
    /// See [`super::Daemon::write_hold`].
    pub write_hold: super::WriteHolds,
    /// `[notify]`: failed and skipped posts.
    pub notify: crate::notify::Notifier,
    /// Chats kept off accounts they do not fit ([`super::verdict`]).
    pub kept_out: super::verdict::KeptOut,
    queues: HashMap<(String, Arc<str>), Arc<Queue>>,
    /// Claims the database refused, with when to try them again.
    retrying: Vec<(Timestamp, Pending)>,
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
            leave_out_before_file: true,
            look_up_due_before: None,
            write_hold: super::WriteHolds::default(),
            notify: crate::notify::Notifier::off(),
            kept_out: super::verdict::KeptOut::default(),
            queues: HashMap::new(),
            retrying: Vec::new(),
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
            if self.leave_out_before_file
                && before_file.leave_out(
                    plan,
                    slot,
                    super::job::grace_for(&self.grace, slot.kind),
                    now,
                )
            {
                continue;
            }
            let accounts = plan.accounts.as_deref().unwrap_or(&self.default_accounts);
            for account in accounts {
                let mut job = self.job(slot, account, plan.thread, now);
                job.audience = Arc::new(Audience::of(plan));
                job.refused = self.kept_out.reason(&slot.chat, account);
                if let Some(context) = super::thanks::context(
                    slot,
                    plan,
                    account,
                    &self.accounts,
                    self.state_dir.as_deref(),
                ) {
                    job.work = Work::Thanks(context);
                }
                let mut intent = Intent::for_slot(slot, account);
                intent.missed = job.missed.clone();
                intents.push(intent);
                jobs.push(job);
            }
        }
        before_file.log();
        let batch = jobs
            .into_iter()
            .zip(intents)
            .map(|(job, intent)| Pending {
                job,
                intent,
                attempt: 0,
                gave_up: None,
            })
            .collect();
        self.claim(batch).await;
    }

    /// Claims `batch` in one request; what the database refused is put back.
    /// A job whose chat has an earlier slot on the same account waiting for
    /// its claim waits with it (and is claimed in the same request, after
    /// it): claimed first, it would go out first, and the earlier slot
    /// would then be skipped as out of order.
    async fn claim(&mut self, batch: Vec<Pending>) {
        let (held, mut batch): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|pending| self.behind_a_retry(pending).is_some());
        for pending in held {
            if let Some(at) = self.behind_a_retry(&pending) {
                let span = post_span(&pending.job.slot, &pending.job.account);
                span.in_scope(|| {
                    debug!(
                        "an earlier slot of this chat waits for its claim; claiming with it at {at}"
                    )
                });
                self.retrying.push((at, pending));
            }
        }
        if batch.is_empty() {
            return;
        }
        // In slot order, so each chat's queue gets its slots in order.
        batch.sort_by_key(|pending| pending.job.slot.at);
        let intents = batch.iter().map(|p| p.intent.clone()).collect();
        let claims = match self.store.claim(intents).await {
            Ok(claims) => claims,
            Err(err) => vec![Claim::NotRecorded(format!("{err:#}")); batch.len()],
        };
        let mut skipped = super::missed::Skipped::default();
        for (pending, claim) in batch.into_iter().zip(claims) {
            self.handle(pending, claim, &mut skipped);
        }
        skipped.log();
    }

    /// Queues, records or puts back one claimed job; skipped slots are
    /// summarized once per occurrence by the caller.
    fn handle(&mut self, pending: Pending, claim: Claim, skipped: &mut super::missed::Skipped) {
        let span = post_span(&pending.job.slot, &pending.job.account);
        let _entered = span.enter();
        let Pending {
            job,
            intent,
            attempt,
            gave_up,
        } = pending;
        let mut job = job;
        match claim {
            Claim::Fresh
                if self
                    .look_up_due_before
                    .is_some_and(|before| job.slot.at < before) =>
            {
                debug!("the state was replaced since this was due: looking it up first");
                job.in_doubt = true;
                job.state_replaced = true;
                self.enqueue(job);
            }
            Claim::Fresh => self.enqueue(job),
            Claim::InDoubt { attempts } => {
                debug!(attempts, "claimed before by a run that did not finish it");
                job.in_doubt = true;
                self.enqueue(job);
            }
            Claim::SkippedNow(reason) => {
                debug!("skipped: {reason}");
                skipped.add(&job.slot, &job.account, &reason);
                self.count(&job.account, "skipped");
                super::alerts::post_skipped(
                    &self.notify,
                    &job.slot,
                    &job.account,
                    &reason,
                    self.clock.now(),
                );
            }
            Claim::Done(remote) => debug!(remote_id = %remote.id, "already posted"),
            Claim::Skipped(reason) => debug!("already skipped: {reason}"),
            Claim::Failed(reason) => debug!("already failed: {reason}"),
            Claim::Held { owner, left } => {
                // Another replica's live lease: claimed again soon (a dead
                // owner's key is taken over then) and at the latest once
                // it ends; then finished by its owner or taken over as in
                // doubt.
                let at = self.clock.now() + (left + HELD_MARGIN).min(HELD_POLL);
                debug!(%owner, "claimed by another replica; claiming again at {at}");
                let pending = Pending {
                    job,
                    intent,
                    attempt,
                    gave_up,
                };
                self.retrying.push((at, pending));
            }
            Claim::NotRecorded(err) => {
                let pending = Pending {
                    job,
                    intent,
                    attempt,
                    gave_up,
                };
                self.put_back(pending, &err);
            }
        }
    }

    /// A claim the database refused: tried again with backoff while the
    /// grace window lasts, then recorded as failed (as soon as the database
    /// takes writes again). Never forgotten.
    fn put_back(&mut self, mut pending: Pending, err: &str) {
        let now = self.clock.now();
        let mut at = self.retry.backoff(pending.attempt, now);
        pending.attempt += 1;
        if pending.gave_up.is_none() && at > pending.job.deadline {
            pending.gave_up = Some(format!(
                "the state database refused to record the intent until the grace window \
                 ended at {} ({err}), so it was never posted",
                pending.job.deadline
            ));
        }
        if pending.gave_up.is_some() {
            at = self.retry.backoff(pending.attempt.max(6), now);
            error!("cannot record the intent to post ({err}); recording it as failed at {at}");
        } else {
            error!("cannot record the intent to post ({err}); trying again at {at}");
        }
        self.retrying.push((at, pending));
    }

    /// When an earlier claim of `pending`'s chat on its account is tried
    /// again, if one waits.
    fn behind_a_retry(&self, pending: &Pending) -> Option<Timestamp> {
        self.retrying
            .iter()
            .filter(|(_, waiting)| {
                waiting.job.account == pending.job.account
                    && waiting.job.slot.chat == pending.job.slot.chat
                    && waiting.job.slot.at <= pending.job.slot.at
            })
            .map(|(at, _)| *at)
            .min()
    }

    /// When the next refused claim is tried again.
    pub fn next_retry(&self) -> Option<Timestamp> {
        self.retrying.iter().map(|(at, _)| *at).min()
    }

    /// Nothing waits for a claim.
    pub fn is_idle(&self) -> bool {
        self.retrying.is_empty()
    }

    /// Tries again the refused claims whose time has come.
    pub async fn retry_claims(&mut self, now: Timestamp) {
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.retrying)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.retrying = waiting;
        let mut batch = Vec::new();
        for (_, mut pending) in due {
            let Some(reason) = pending.gave_up.clone() else {
                if pending.job.missed.is_none() {
                    pending.job.missed = pending.job.lateness(now);
                }
                pending.intent.missed = pending.job.missed.clone();
                batch.push(pending);
                continue;
            };
            let recorded = self
                .store
                .fail_unclaimed(pending.intent.clone(), &reason)
                .await;
            match recorded {
                Ok(()) => {
                    let span = post_span(&pending.job.slot, &pending.job.account);
                    span.in_scope(|| error!("not posted: {reason}"));
                    self.count(&pending.job.account, "failed");
                    super::alerts::post_failed(
                        &self.notify,
                        &pending.job.slot,
                        &pending.job.account,
                        &reason,
                        self.clock.now(),
                    );
                }
                Err(err) => self.put_back(pending, &format!("{err:#}")),
            }
        }
        self.claim(batch).await;
    }

    fn job(&self, slot: &Arc<Slot>, account: &str, thread: bool, now: Timestamp) -> Job {
        let mut job = Job::new(slot, account, thread, &self.grace);
        job.missed = if self.accounts.contains_key(account) {
            job.lateness(now)
        } else {
            Some(format!(
                "no account named `{account}` in the settings: add [accounts.{account}] \
                 or fix the chat's `accounts`"
            ))
        };
        job
    }

    fn count(&self, account: &str, result: &str) {
        if let Some(metrics) = &self.metrics {
            metrics.post_result(account, result);
        }
    }

    fn enqueue(&mut self, job: Job) {
        let Some(platform) = self.accounts.get(&job.account) else {
            return;
        };
        let key = (job.account.clone(), Arc::clone(&job.slot.chat));
        let queue = Arc::clone(self.queues.entry(key).or_default());
        let account = job.account.clone();
        let write_hold = super::hold_for(&self.write_hold, &account);
        if queue.push(job) {
            let poster = Poster {
                account,
                platform: Arc::clone(platform),
                store: self.store.clone(),
                clock: self.clock.clone(),
                metrics: self.metrics.clone(),
                retry: self.retry,
                write_hold,
                notify: self.notify.clone(),
                queue: Some(Arc::clone(&queue)),
                tracker: self.tracker.clone(),
            };
            let worker = queue_worker(poster, queue, self.cancel.clone(), self.tracker.clone());
            self.tracker.spawn(worker);
        }
        // Queues whose task ended and that hold nothing are forgotten.
        if self.queues.len() > 64 {
            self.queues.retain(|_, queue| queue.is_busy());
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

/// How long after another replica's lease runs out its key is claimed
/// again: a little, so the claim finds it expired on the server's clock.
pub const HELD_MARGIN: std::time::Duration = std::time::Duration::from_millis(50);

/// How often a key another replica holds is claimed again before its lease
/// runs out: a claim takes the key over at once when its owner has died
/// (its liveness lock gone) with no write in flight, so a replica killed
/// at a slot's instant is replaced within about this, not a whole lease.
pub const HELD_POLL: std::time::Duration = std::time::Duration::from_millis(250);
