//! The long-running loop: sleep until the next slot, claim it, post it,
//! record it; reload plans; stop gracefully.
//!
//! [`run`] takes its shutdown signal as an argument (a
//! [`CancellationToken`]), so tests drive it without signals, and everything
//! it needs in a [`Daemon`], so tests inject a paused clock, hand-built slots
//! ([`FixedSlots`]) and fake platforms.
//!
//! The loop sleeps until the earliest of: the next due slot, the next rescan
//! of the chats folder, a reload request, shutdown. It never wakes on a fixed
//! tick, and because [`Clock`] caps each nap at the rescan interval, the wall
//! clock is re-read after a suspend or an NTP step.
//!
//! - [`timetable`]: the pending slots and the sliding expansion window.
//! - [`thanks`]: the thanks slot: search, transcript, mentions in parts.
//! - [`reload`]: where plans come from and how changes are noticed.
//! - [`dispatch`]: claims due slots and feeds one queue per account.
//! - [`job`]: a claimed slot on one account and its deadlines.
//! - [`worker`]: drains one account's queue, routing on the kind of work.
//! - [`deliver`]: an ordinary slot's post (thread replies included).
//! - [`poster`]: one key on one account: the in-doubt path, post, retry.
//! - [`retry`]: the one retry policy (posts, searches, claims, doubts).
//! - [`accounts`]: which adapter serves which account (`tweetchat run`).
//!
//! The way down is one-directional: dispatch → worker → deliver or thanks
//! → poster → retry; `deliver` and `thanks` never import each other.

pub mod accounts;
pub mod deliver;
pub mod dispatch;
pub mod job;
mod missed;
pub mod poster;
pub mod reload;
pub mod retry;
pub mod thanks;
pub mod timetable;
pub mod worker;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::clock::Clock;
use crate::http::{Health, Metrics};
use crate::plan::ChatPlan;
use crate::platform::Platform;
use crate::schedule::{self, Slot};
use crate::settings::{GraceSettings, Settings};
use crate::store::SharedStore;

pub use deliver::thanks_without_mentions;
pub use reload::Chats;
pub use retry::RetryPolicy;

/// How long in-flight posts may take to finish after shutdown is asked for
/// (the whole process must be gone within 10 s; the rest is for flushing
/// the store and closing the HTTP listener).
pub const SHUTDOWN_BUDGET: Duration = Duration::from_secs(7);

/// Where slots come from: the schedule, or a fixed list in tests and
/// rehearsals.
pub trait Timeline: Send + Sync {
    /// Slots of `plan` due in `[from, until)`, in order.
    fn slots(&self, plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Slot>;
}

/// The real timeline: [`schedule::expand()`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Expand;

impl Timeline for Expand {
    fn slots(&self, plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Slot> {
        schedule::expand(plan, from, until)
    }
}

/// A fixed list of slots, matched to plans by chat id.
#[derive(Debug, Clone, Default)]
pub struct FixedSlots(pub Vec<Slot>);

impl Timeline for FixedSlots {
    fn slots(&self, plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Slot> {
        let mut slots: Vec<Slot> = self
            .0
            .iter()
            .filter(|s| *s.chat == *plan.id && s.at >= from && s.at < until)
            .cloned()
            .collect();
        slots.sort_by_key(|s| (s.at, s.kind, s.n));
        slots
    }
}

/// Everything the loop needs.
pub struct Daemon {
    pub clock: Clock,
    pub store: SharedStore,
    pub accounts: BTreeMap<String, Arc<dyn Platform>>,
    pub default_accounts: Vec<String>,
    pub grace: GraceSettings,
    pub rescan_interval: Duration,
    /// How far ahead slots are expanded.
    pub horizon: SignedDuration,
    pub chats: Chats,
    pub timeline: Arc<dyn Timeline>,
    /// Notified to rescan now (SIGHUP).
    pub reload: Arc<Notify>,
    pub metrics: Option<Arc<Metrics>>,
    pub health: Option<Arc<Health>>,
    pub retry: RetryPolicy,
    /// Return once every slot has been handled (rehearsals) instead of
    /// waiting for more.
    pub stop_when_done: bool,
    /// Where thanks slots write transcripts (`transcripts/CHAT/DATE.*`).
    pub state_dir: std::path::PathBuf,
}

impl Daemon {
    /// A daemon with the settings' accounts, grace windows and rescan
    /// interval, the real timeline, and no metrics.
    pub fn new(
        settings: &Settings,
        clock: Clock,
        store: SharedStore,
        accounts: BTreeMap<String, Arc<dyn Platform>>,
        chats: Chats,
    ) -> Self {
        Self {
            clock,
            store,
            accounts,
            default_accounts: settings.default_accounts.clone(),
            grace: settings.grace,
            rescan_interval: settings.rescan_interval,
            horizon: SignedDuration::from_hours(48),
            chats,
            timeline: Arc::new(Expand),
            reload: Arc::new(Notify::new()),
            metrics: None,
            health: None,
            retry: RetryPolicy::default(),
            stop_when_done: false,
            state_dir: settings.state_dir.clone(),
        }
    }

    /// The longest grace window plus a day: a (re)start looks this far back,
    /// so what a downtime of up to a day missed is recorded as skipped.
    fn lookback(&self) -> SignedDuration {
        let longest = [self.grace.question, self.grace.announce, self.grace.thanks]
            .into_iter()
            .max()
            .unwrap_or_default();
        SignedDuration::try_from(longest).unwrap_or(SignedDuration::ZERO)
            + SignedDuration::from_hours(24)
    }
}

/// Runs the loop until `shutdown` fires (or, with `stop_when_done`, until
/// every slot is handled); in-flight posts finish and are recorded first.
pub async fn run(mut daemon: Daemon, shutdown: CancellationToken) -> anyhow::Result<()> {
    let mut timetable = timetable::Timetable::new(daemon.lookback(), daemon.horizon);
    let mut dispatcher = dispatch::Dispatcher::new(
        std::mem::take(&mut daemon.accounts),
        daemon.default_accounts.clone(),
        daemon.grace,
        daemon.store.clone(),
        daemon.clock.clone(),
        shutdown.clone(),
    );
    dispatcher.metrics = daemon.metrics.clone();
    dispatcher.retry = daemon.retry;
    dispatcher.state_dir = Some(daemon.state_dir.clone());
    let rescan_every = SignedDuration::try_from(daemon.rescan_interval)
        .unwrap_or(SignedDuration::from_mins(1))
        .max(SignedDuration::from_secs(1));
    let mut next_rescan = daemon.clock.now();
    // The chats source, away on the blocking pool while a rescan runs.
    let mut chats = Some(std::mem::replace(
        &mut daemon.chats,
        Chats::fixed(Vec::new()),
    ));
    let mut scanning: Option<tokio::task::JoinHandle<(Chats, ScanReport)>> = None;
    loop {
        let now = daemon.clock.now();
        if let Some(health) = &daemon.health {
            health.beat(now);
        }
        if now >= next_rescan
            && let Some(mut source) = chats.take()
        {
            if source.reads_files() {
                scanning = Some(tokio::task::spawn_blocking(move || {
                    let report = ScanReport::run(&mut source);
                    (source, report)
                }));
            } else {
                let report = ScanReport::run(&mut source);
                chats = Some(source);
                apply_rescan(&daemon, &mut timetable, report, now);
            }
            next_rescan = now + rescan_every;
        }
        timetable.extend(daemon.timeline.as_ref(), now);
        // Claimed a little ahead, so the intent's commit is off the critical
        // path; each account's worker still waits for the exact instant.
        let due = timetable.take_due(now + dispatch::CLAIM_AHEAD);
        if !due.is_empty() {
            dispatcher.dispatch(&due, &timetable, now).await;
            continue;
        }
        let next = timetable.next_at();
        if let Some(metrics) = &daemon.metrics {
            metrics.set_next_slot(next);
        }
        if daemon.stop_when_done && scanning.is_none() && timetable.is_idle() {
            break;
        }
        // While a rescan runs, its end wakes the loop; a rescan due (or asked
        // for) meanwhile starts after it.
        let rescan_at = if scanning.is_some() {
            now + rescan_every
        } else {
            next_rescan
        };
        let wake = next.map_or(rescan_at, |at| (at - dispatch::CLAIM_AHEAD).min(rescan_at));
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = daemon.reload.notified() => next_rescan = daemon.clock.now(),
            done = async {
                match scanning.as_mut() {
                    Some(scan) => scan.await,
                    None => std::future::pending().await,
                }
            }, if scanning.is_some() => {
                scanning = None;
                match done {
                    Ok((source, report)) => {
                        chats = Some(source);
                        apply_rescan(&daemon, &mut timetable, report, daemon.clock.now());
                    }
                    Err(err) => {
                        // A panic while reading files is a bug; the loop
                        // keeps the plans it has and stops rescanning.
                        tracing::error!("the rescan of the chats folder failed: {err}");
                    }
                }
            }
            _ = daemon.clock.sleep_until(wake) => {}
        }
    }
    if shutdown.is_cancelled() {
        info!("shutting down: finishing the posts in flight");
    }
    dispatcher.finish(SHUTDOWN_BUDGET).await;
    if let Some(health) = &daemon.health {
        health.stopped();
    }
    Ok(())
}

/// What one rescan found, and how long reading the folder took.
struct ScanReport {
    found: reload::Rescan,
    micros: u64,
}

impl ScanReport {
    fn run(chats: &mut Chats) -> Self {
        let started = std::time::Instant::now();
        let found = chats.rescan();
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        Self { found, micros }
    }
}

/// Hands the changed plans to the timetable and reports what was loaded.
fn apply_rescan(
    daemon: &Daemon,
    timetable: &mut timetable::Timetable,
    report: ScanReport,
    now: Timestamp,
) {
    let started = std::time::Instant::now();
    let found = report.found;
    let changed = found.changes.is_some();
    if let Some(metrics) = &daemon.metrics {
        metrics.set_invalid_files(found.invalid);
    }
    if let Some(changes) = found.changes {
        timetable.apply(changes, daemon.timeline.as_ref(), now);
        let chats = timetable.chats();
        if let Some(metrics) = &daemon.metrics {
            metrics.set_chats_loaded(chats);
        }
        match timetable.next_slot() {
            Some(next) => info!(
                chats,
                invalid = found.invalid,
                "chats loaded; next post: {} of {} at {}",
                next.kind,
                next.chat,
                next.at
            ),
            None => info!(
                chats,
                invalid = found.invalid,
                "chats loaded; nothing due in the next {:#}",
                daemon.horizon
            ),
        }
    }
    // benches/run.sh reads this line to time rescans (unchanged and not):
    // `micros` is reading the folder (on the blocking pool), `apply_micros`
    // replacing the changed plans in the timetable (on the scheduler).
    debug!(
        changed,
        micros = report.micros,
        apply_micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "chats folder rescanned"
    );
}
