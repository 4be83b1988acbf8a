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
//! - [`last_good`]: notes for `status` on chats kept on a last good version.
//! - [`verdict`]: chats kept off the accounts they do not fit, as `check`
//!   judges them, whenever the plans or an account's limits change.
//! - [`dispatch`]: claims due slots and feeds one queue per account.
//! - [`job`]: a claimed slot on one account and its deadlines.
//! - [`worker`]: drains one account's queue, routing on the kind of work.
//! - [`deliver`]: an ordinary slot's post (thread replies included).
//! - [`poster`]: one key on one account: the in-doubt path, post, retry.
//! - [`retry`]: the one retry policy (posts, searches, claims, doubts).
//! - [`accounts`]: which adapter serves which account (`tweetchat run`).
//! - [`checks`]: every account checked at start, a day and an hour before
//!   each chat, in a task of its own.
//! - [`alerts`]: what goes to `[notify]` about posts and occurrences.
//!
//! The way down is one-directional: dispatch → worker → deliver or thanks
//! → poster → retry; `deliver` and `thanks` never import each other.

pub mod accounts;
pub mod alerts;
pub mod checks;
pub mod deliver;
pub mod dispatch;
pub mod job;
pub mod last_good;
mod missed;
pub mod poster;
pub mod reload;
pub mod retry;
pub mod thanks;
pub mod timetable;
pub mod verdict;
pub mod watch;
pub mod worker;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::clock::Clock;
use crate::http::{Health, Metrics};
use crate::plan::ChatPlan;
use crate::platform::Platform;
use crate::schedule::{self, Slot};
use crate::settings::{GraceSettings, Settings};
use crate::store::{self, SharedStore};

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
    /// waiting for more. A timeline run this way is replayed whole, even
    /// where it lies before its chat file was written.
    pub stop_when_done: bool,
    /// Where thanks slots write transcripts (`transcripts/CHAT/DATE.*`).
    pub state_dir: std::path::PathBuf,
    /// Finished records and outbox lines older than this are pruned (at
    /// start, then daily); `None` keeps everything.
    pub retention: Option<Duration>,
    /// What `{calendar}` links to: `[http] public_url` (or the listener).
    pub calendar_base: Option<String>,
    /// Where every rescan that changed something publishes the plans (the
    /// chat pages read them from here).
    pub loaded: Option<LoadedPlansSender>,
    /// Started on state that is not the one the last run left
    /// (`--accept-state-change`): a slot due before this instant may be out
    /// already, so even a fresh claim of it is looked up on its platform
    /// first, as an intent in doubt is.
    pub look_up_due_before: Option<Timestamp>,
    /// How long a claim must still last when a platform write starts, per
    /// account: its timeout and a margin (see
    /// [`crate::store::PgStore::lease_for_write`]).
    pub write_hold: WriteHolds,
    /// Where failed and skipped posts and unprepared occurrences are
    /// reported (`[notify]`; off by default).
    pub notify: crate::notify::Notifier,
}

/// Each account's write hold ([`write_holds`]); an account not in it
/// (tests) gets [`DEFAULT_WRITE_HOLD`].
pub type WriteHolds = Arc<BTreeMap<String, Duration>>;

/// The hold of an account with the default 30 s timeout.
pub const DEFAULT_WRITE_HOLD: Duration = Duration::from_secs(35);

/// `account`'s write hold.
pub fn hold_for(holds: &WriteHolds, account: &str) -> Duration {
    holds.get(account).copied().unwrap_or(DEFAULT_WRITE_HOLD)
}

/// The sending side of [`crate::http::pages::LoadedPlans`].
pub type LoadedPlansSender = tokio::sync::watch::Sender<Arc<Vec<Arc<ChatPlan>>>>;

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
            retention: Some(settings.retention),
            calendar_base: settings.http.public_base(),
            loaded: None,
            look_up_due_before: None,
            write_hold: write_holds(settings),
            notify: crate::notify::Notifier::off(),
        }
    }

    /// The longest grace window plus a day: a (re)start looks this far back,
    /// so what a downtime of up to a day missed is recorded as skipped.
    fn lookback(&self) -> SignedDuration {
        lookback(&self.grace)
    }
}

/// Each account's request timeout plus [`WRITE_MARGIN`]: its own, so an
/// X account with a short timeout is taken over after its own hold, not
/// the longest of every account (the console's default 30 s among them).
pub fn write_holds(settings: &Settings) -> WriteHolds {
    Arc::new(
        settings
            .accounts
            .iter()
            .map(|(name, account)| (name.clone(), account.timeout + WRITE_MARGIN))
            .collect(),
    )
}

/// What a write's lease keeps beyond the request's own timeout: time for
/// the answer to be read and the lease's end to be noticed.
pub const WRITE_MARGIN: Duration = Duration::from_secs(5);

/// How far back a (re)start looks: the longest grace window plus a day.
pub fn lookback(grace: &GraceSettings) -> SignedDuration {
    let longest = [grace.question, grace.announce, grace.thanks]
        .into_iter()
        .max()
        .unwrap_or_default();
    SignedDuration::try_from(longest).unwrap_or(SignedDuration::ZERO)
        + SignedDuration::from_hours(24)
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
    dispatcher.leave_out_before_file = !daemon.stop_when_done;
    dispatcher.look_up_due_before = daemon.look_up_due_before;
    dispatcher.write_hold = Arc::clone(&daemon.write_hold);
    dispatcher.notify = daemon.notify.clone();
    // What each account takes; judged against with every change of plans,
    // and again whenever it changes (an instance read again).
    let mut limits = verdict::limits_of(&dispatcher.accounts);
    let limits_read = Arc::new(Notify::new());
    if let Err(err) = std::fs::remove_file(daemon.state_dir.join(verdict::FILE_NAME))
        && err.kind() != std::io::ErrorKind::NotFound
    {
        warn!("cannot remove the note of an earlier run's verdicts: {err}");
    }
    let rescan_every = SignedDuration::try_from(daemon.rescan_interval)
        .unwrap_or(SignedDuration::from_mins(1))
        .max(SignedDuration::from_secs(1));
    let mut next_rescan = daemon.clock.now();
    let mut settled = false;
    let mut next_prune = daemon.clock.now();
    let started_at = daemon.clock.now();
    // The chats source, away on the blocking pool while a rescan runs.
    let mut chats = Some(std::mem::replace(
        &mut daemon.chats,
        Chats::fixed(Vec::new()),
    ));
    let mut scanning: Option<tokio::task::JoinHandle<(Chats, ScanReport)>> = None;
    loop {
        let now = daemon.clock.now();
        if let Some(health) = &daemon.health {
            health.beat();
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
                apply_rescan(
                    &daemon,
                    &mut timetable,
                    &mut dispatcher,
                    &limits,
                    report,
                    now,
                )
                .await;
            }
            next_rescan = now + rescan_every;
        }
        // After the first rescan is in (it may run on the blocking pool).
        if !settled && scanning.is_none() && next_rescan > started_at {
            settled = true;
            let settling = settle_stale(&daemon, &mut dispatcher, &timetable, now);
            if alive_while(&daemon, &shutdown, settling).await.is_none() {
                break;
            }
        }
        let read = verdict::limits_of(&dispatcher.accounts);
        if read != limits {
            let changed = verdict::changed_accounts(&limits, &read);
            limits = read;
            let plans: Vec<Arc<ChatPlan>> = timetable
                .plans()
                .into_iter()
                .filter(|plan| {
                    let names = plan.accounts.as_deref().unwrap_or(&daemon.default_accounts);
                    names.iter().any(|name| changed.contains(name))
                })
                .collect();
            let judging = judge(&daemon, &mut dispatcher, plans, &[], &limits, now);
            if alive_while(&daemon, &shutdown, judging).await.is_none() {
                break;
            }
        }
        if now >= next_prune {
            if next_prune > started_at {
                refresh_limits(&dispatcher.accounts, &limits_read);
            }
            next_prune = now + SignedDuration::from_hours(24);
            report_unprepared(&timetable.plans(), now, &daemon.notify);
            if alive_while(&daemon, &shutdown, prune(&daemon, now))
                .await
                .is_none()
            {
                break;
            }
        }
        timetable.extend(daemon.timeline.as_ref(), now);
        // Claimed a little ahead, so the intent's commit is off the critical
        // path; each account's worker still waits for the exact instant.
        if dispatcher.next_retry().is_some_and(|at| at <= now) {
            let claiming = dispatcher.retry_claims(now);
            if alive_while(&daemon, &shutdown, claiming).await.is_none() {
                break;
            }
            continue;
        }
        let due = timetable.take_due(now + dispatch::CLAIM_AHEAD);
        if !due.is_empty() {
            let claiming = dispatcher.dispatch(&due, &timetable, now);
            if alive_while(&daemon, &shutdown, claiming).await.is_none() {
                break;
            }
            continue;
        }
        let next = timetable.next_at();
        if let Some(metrics) = &daemon.metrics {
            metrics.set_next_slot(next);
        }
        if daemon.stop_when_done
            && scanning.is_none()
            && timetable.is_idle()
            && dispatcher.is_idle()
        {
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
        let wake = dispatcher.next_retry().map_or(wake, |at| at.min(wake));
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = daemon.reload.notified() => {
                next_rescan = daemon.clock.now();
                refresh_limits(&dispatcher.accounts, &limits_read);
            }
            // An account's limits were read again: compared at the top.
            _ = limits_read.notified() => {}
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
                        let now = daemon.clock.now();
                        apply_rescan(&daemon, &mut timetable, &mut dispatcher, &limits, report, now).await;
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

/// How long one wait for the state database may keep `/healthz` green.
/// A claim waits at most SQLite's busy timeout (5 s) per batch queued
/// ahead of it; a database that has not answered for a minute is stuck
/// (a hung disk), and the loop stops beating so the health check says so.
pub const STORE_WAIT_ALIVE: Duration = Duration::from_secs(60);

/// Awaits `work` (a claim, a prune: the state database answering, on the
/// writer task and the blocking pool) while the loop stays alive around
/// it: it keeps beating for up to [`STORE_WAIT_ALIVE`], so another
/// program holding the database's write lock never turns `/healthz` 503,
/// and shutdown is not held up by it. `None` when shutdown came first: the
/// request still commits, and a claim committed that way is an intent in
/// doubt, reconciled at the next start like a post cut off by the budget.
async fn alive_while<T>(
    daemon: &Daemon,
    shutdown: &CancellationToken,
    work: impl Future<Output = T>,
) -> Option<T> {
    let mut work = std::pin::pin!(work);
    let started = tokio::time::Instant::now();
    let every = (daemon.rescan_interval / 2).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            biased;
            done = &mut work => return Some(done),
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(every) => {
                if started.elapsed() < STORE_WAIT_ALIVE {
                    if let Some(health) = &daemon.health {
                        health.beat();
                    }
                }
            }
        }
    }
}

/// Drops finished post records, decided thank-yous and console outbox
/// lines older than the retention; transcripts stay.
async fn prune(daemon: &Daemon, now: Timestamp) {
    let Some(retention) = daemon.retention else {
        return;
    };
    // Never what the loop still looks back on: those rows stop a repost.
    let keep = SignedDuration::try_from(retention)
        .unwrap_or(SignedDuration::MAX)
        .max(daemon.lookback());
    let before = now.saturating_sub(keep).unwrap_or(Timestamp::MIN);
    match daemon.store.prune(before).await {
        Ok(pruned) if pruned.posts + pruned.thanks > 0 => info!(
            posts = pruned.posts,
            thanks = pruned.thanks,
            "pruned state older than {:#}",
            keep
        ),
        Ok(_) => {}
        Err(err) => warn!("cannot prune old state: {err:#}"),
    }
    let outbox = daemon.state_dir.join(crate::platform::console::OUTBOX);
    let pruned = tokio::task::spawn_blocking(move || {
        crate::platform::console::prune_outbox(&outbox, before)
    })
    .await;
    match pruned {
        Ok(Ok(0)) => {}
        Ok(Ok(lines)) => info!(lines, "pruned outbox lines older than {:#}", keep),
        Ok(Err(err)) => warn!("cannot prune the outbox: {err}"),
        Err(err) => warn!("cannot prune the outbox: {err}"),
    }
}

/// Once a day (and at start): every session in the next 14 days that has
/// no questions, so is not held, with the first post it would have made,
/// while that post is still to come. An organizer reading the log has
/// time to add the session's file.
fn report_unprepared(plans: &[Arc<ChatPlan>], now: Timestamp, notify: &crate::notify::Notifier) {
    let until = now
        .checked_add(SignedDuration::from_hours(24 * 14))
        .unwrap_or(Timestamp::MAX);
    for plan in plans {
        for (occurrence, first) in schedule::unprepared(plan, now, until) {
            let Some(first) = first.filter(|f| f.at >= now) else {
                continue;
            };
            warn!(
                chat = %plan.id,
                occurrence = %occurrence.key,
                "session {} is not held: no questions yet; prepare it before {} ({} would be posted then)",
                occurrence.key.date(),
                first.at,
                first.label()
            );
            alerts::unprepared(notify, plan, &occurrence, &first, now);
        }
    }
}

/// At start-up: intents left by an earlier run whose slot lies further back
/// than the loop looks. Each one whose slot is still in the plans goes to
/// its account as an in-doubt job past its grace window, which is only
/// reconciled (recorded as posted, or skipped); the rest are recorded as
/// failed with the reason. None stays `intent` forever.
async fn settle_stale(
    daemon: &Daemon,
    dispatcher: &mut dispatch::Dispatcher,
    timetable: &timetable::Timetable,
    now: Timestamp,
) {
    let before = now.saturating_sub(daemon.lookback()).unwrap_or(now);
    let stale = match daemon.store.stale_intents(before).await {
        Ok(stale) => stale,
        Err(err) => {
            warn!("cannot look for posts left in doubt by an earlier run: {err:#}");
            return;
        }
    };
    let stale_keys: std::collections::BTreeSet<&str> =
        stale.iter().map(|row| row.key.as_str()).collect();
    for row in &stale {
        // A thank-you part goes with its slot when that is in doubt too.
        if let Some((parent, _)) = row.key.split_once('#') {
            if stale_keys.contains(parent) {
                continue;
            }
        }
        let slot = timetable.plan(&row.chat).and_then(|plan| {
            let until = row.due + SignedDuration::from_millis(1);
            daemon
                .timeline
                .slots(plan, row.due, until)
                .into_iter()
                .find(|slot| slot.key(&row.account) == row.key)
        });
        if let Some(slot) = slot {
            info!(key = %row.key, due = %row.due, "an earlier run left this in doubt; checking the platform");
            dispatcher.dispatch(&[Arc::new(slot)], timetable, now).await;
            continue;
        }
        let reason = format!(
            "left in doubt by an earlier run (due {}), older than the {:#} look-back, and no \
             longer in the plans, so it could not be checked on the platform: it may or may \
             not have gone out",
            row.due,
            daemon.lookback()
        );
        warn!(key = %row.key, "{reason}");
        alerts::post_failed_by_key(&daemon.notify, &row.key, row.due, &reason, now);
        if let Err(err) = daemon
            .store
            .record(&row.key, store::Outcome::Failed(reason))
            .await
        {
            warn!(key = %row.key, "cannot record it as failed: {err:#}");
        }
    }
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

/// Asks every account for its limits again, off the loop; `done` wakes
/// the loop when all have answered, and it compares them.
fn refresh_limits(accounts: &BTreeMap<String, Arc<dyn Platform>>, done: &Arc<Notify>) {
    let platforms: Vec<Arc<dyn Platform>> = accounts.values().cloned().collect();
    let done = Arc::clone(done);
    tokio::spawn(async move {
        let mut reads = tokio::task::JoinSet::new();
        for platform in platforms {
            reads.spawn(async move { platform.refresh_limits().await });
        }
        while reads.join_next().await.is_some() {}
        done.notify_one();
    });
}

/// Passes `plans` through `check`'s own length check against `limits`
/// ([`verdict`]) and keeps each off the accounts it does not fit; forgets
/// the `removed` chats. The note for `status` is rewritten when anything
/// changed.
async fn judge(
    daemon: &Daemon,
    dispatcher: &mut dispatch::Dispatcher,
    plans: Vec<Arc<ChatPlan>>,
    removed: &[crate::plan::ChatId],
    limits: &[crate::plan::accounts::AccountLimit],
    now: Timestamp,
) {
    let mut changed = false;
    for chat in removed {
        changed |= dispatcher.kept_out.remove(chat);
    }
    if !plans.is_empty() {
        let (limits, defaults) = (limits.to_vec(), daemon.default_accounts.clone());
        let judged = tokio::task::spawn_blocking(move || {
            let verdicts = crate::parallel::map_in_order(&plans, |plan| {
                verdict::judge(plan, &limits, &defaults, now)
            });
            plans.into_iter().zip(verdicts).collect::<Vec<_>>()
        })
        .await;
        match judged {
            Ok(judged) => {
                for (plan, verdict) in judged {
                    changed |= dispatcher.kept_out.set(&plan, verdict, now);
                }
            }
            Err(err) => {
                tracing::error!("judging the chats against the accounts' limits failed: {err}")
            }
        }
    }
    if changed {
        let (dir, note) = (daemon.state_dir.clone(), dispatcher.kept_out.note());
        let written = tokio::task::spawn_blocking(move || verdict::write(&dir, &note)).await;
        if let Ok(Err(err)) = written {
            warn!("cannot note the chats kept off accounts for `status`: {err}");
        }
    }
}

/// Hands the changed plans to the timetable and reports what was loaded.
async fn apply_rescan(
    daemon: &Daemon,
    timetable: &mut timetable::Timetable,
    dispatcher: &mut dispatch::Dispatcher,
    limits: &[crate::plan::accounts::AccountLimit],
    report: ScanReport,
    now: Timestamp,
) {
    let started = std::time::Instant::now();
    let found = report.found;
    let changed = found.changes.is_some();
    if let Some(metrics) = &daemon.metrics {
        metrics.set_invalid_files(found.invalid);
    }
    if let Some(mut changes) = found.changes {
        changes.updated = with_calendar_links(changes.updated, daemon.calendar_base.as_deref());
        // A new or changed season is looked at now, not only at the daily look.
        report_unprepared(&changes.updated, now, &daemon.notify);
        let updated = changes.updated.clone();
        let removed = changes.removed.clone();
        timetable.apply(changes, daemon.timeline.as_ref(), now);
        judge(daemon, dispatcher, updated, &removed, limits, now).await;
        if let Some(loaded) = &daemon.loaded {
            loaded.send_replace(Arc::new(timetable.plans()));
        }
        let chats = timetable.chats();
        if let Some(metrics) = &daemon.metrics {
            metrics.set_chats_loaded(chats);
        }
        let made = already_made(daemon, timetable, now).await;
        info!(
            chats,
            invalid = found.invalid,
            "chats loaded; {}",
            next_post_line(timetable, now, daemon.horizon, &daemon.grace, &made)
        );
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

/// Slots already due whose post is finished on every account they post to
/// (posted, failed or skipped by an earlier run), by `slot.key("")`: after a
/// restart they are not posted again, so not "late". A post left in doubt
/// still counts (it is checked and posted if it did not go out).
async fn already_made(
    daemon: &Daemon,
    timetable: &timetable::Timetable,
    now: Timestamp,
) -> std::collections::BTreeSet<String> {
    let mut made = std::collections::BTreeSet::new();
    for slot in timetable.pending_before(now) {
        let accounts: Vec<String> = timetable
            .plan(&slot.chat)
            .and_then(|plan| plan.accounts.as_deref().map(<[String]>::to_vec))
            .unwrap_or_else(|| daemon.default_accounts.clone());
        let mut finished = !accounts.is_empty();
        for account in &accounts {
            finished &= matches!(
                daemon.store.lookup(&slot.key(account)).await,
                Ok(Some(row)) if row.state != store::PostState::Intent
            );
        }
        if finished {
            made.insert(slot.key(""));
        }
    }
    made
}

/// What the start-up (and reload) line says comes next: the next post that
/// will really go out, in UTC and in its chat's zone, however far ahead.
/// `made`: the slots an earlier run finished ([`already_made`]).
fn next_post_line(
    timetable: &timetable::Timetable,
    now: Timestamp,
    horizon: SignedDuration,
    grace: &GraceSettings,
    made: &std::collections::BTreeSet<String>,
) -> String {
    // Slots already due that a job would still post (the deadlines each
    // job keeps, `Job::lateness`) and that no earlier run finished go out
    // now, late.
    let late: Vec<&Arc<Slot>> = timetable
        .pending_before(now)
        .filter(|slot| {
            job::Job::new(slot, "", false, grace)
                .lateness(now)
                .is_none()
                && !made.contains(&slot.key(""))
        })
        .collect();
    let late = match late.first() {
        Some(first) => format!(
            "posting {} late post(s) now (first: {} of {}, due {}); ",
            late.len(),
            first.label(),
            first.chat,
            first.at
        ),
        None => String::new(),
    };
    if let Some(next) = timetable.next_slot_from(now) {
        return format!("{late}next post: {}", describe_slot(timetable, next));
    }
    let beyond = timetable.expanded_until().unwrap_or(now).max(now);
    match timetable.next_slot_beyond(beyond) {
        Some(next) => format!(
            "{late}nothing due in the next {horizon:#}; next post: {}",
            describe_slot(timetable, &next)
        ),
        None => format!("{late}nothing scheduled: every loaded chat is over"),
    }
}

/// `question1 of hcsmbm at 2026-12-02T18:00:00Z (Wed 2 Dec 12:00 CST)`.
fn describe_slot(timetable: &timetable::Timetable, slot: &Slot) -> String {
    let local = timetable.plan(&slot.chat).map(|plan| {
        slot.at
            .to_zoned(plan.tz.clone())
            .strftime("%a %-d %b %H:%M %Z")
            .to_string()
    });
    match local {
        Some(local) => format!("{} of {} at {} ({local})", slot.label(), slot.chat, slot.at),
        None => format!("{} of {} at {}", slot.label(), slot.chat, slot.at),
    }
}

/// Points `{calendar}` at `base` in the plans that use it (only those are
/// copied; the others stay shared with the chats folder).
fn with_calendar_links(plans: Vec<Arc<ChatPlan>>, base: Option<&str>) -> Vec<Arc<ChatPlan>> {
    let Some(base) = base else { return plans };
    // One copy of the address, shared by every plan that links to it.
    let base: Arc<str> = base.into();
    plans
        .into_iter()
        .map(|mut plan| {
            if crate::plan::uses_calendar(&plan) {
                crate::plan::set_calendar_base(Arc::make_mut(&mut plan), Arc::clone(&base));
            }
            plan
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::fixtures::hcsmbm;

    fn line(plans: Vec<ChatPlan>, now: &str) -> String {
        line_after(plans, now, &[])
    }

    /// As after a restart where an earlier run finished the slots `made`.
    fn line_after(plans: Vec<ChatPlan>, now: &str, made: &[&str]) -> String {
        let made = made.iter().map(|k| (*k).to_string()).collect();
        let now: Timestamp = now.parse().unwrap();
        let horizon = SignedDuration::from_hours(48);
        let mut table = timetable::Timetable::new(SignedDuration::from_hours(1), horizon);
        table.replace_plans(plans.into_iter().map(Arc::new).collect(), &Expand, now);
        let grace = GraceSettings {
            question: Duration::from_secs(600),
            announce: Duration::from_secs(3600),
            thanks: Duration::from_secs(3600),
        };
        next_post_line(&table, now, horizon, &grace, &made)
    }

    #[test]
    fn the_start_up_line_names_the_next_post_that_will_go_out() {
        assert_eq!(
            line(vec![hcsmbm()], "2026-12-02T18:20Z"),
            "posting 1 late post(s) now (first: question2 of hcsmbm, due 2026-12-02T18:15:00Z); next post: question3 of hcsmbm at 2026-12-02T18:25:00Z (Wed 2 Dec 12:25 CST)"
        );
        // The welcome and Q1 are past their 10m grace (skipped, not
        // counted); Q3 is late but still goes out.
        assert_eq!(
            line(vec![hcsmbm()], "2026-12-02T18:29Z"),
            "posting 1 late post(s) now (first: question3 of hcsmbm, due 2026-12-02T18:25:00Z); next post: question4 of hcsmbm at 2026-12-02T18:35:00Z (Wed 2 Dec 12:35 CST)"
        );
        assert_eq!(
            line(vec![hcsmbm()], "2026-12-02T19:30Z"),
            "posting 1 late post(s) now (first: thanks of hcsmbm, due 2026-12-02T19:10:00Z); nothing due in the next 48h; next post: announce1 of hcsmbm at 2026-12-08T18:00:00Z (Tue 8 Dec 12:00 CST)"
        );
        assert_eq!(
            line(vec![hcsmbm()], "2026-12-02T20:30Z"),
            "nothing due in the next 48h; next post: announce1 of hcsmbm at 2026-12-08T18:00:00Z (Tue 8 Dec 12:00 CST)"
        );
        let mut once = hcsmbm();
        once.when = crate::plan::When::Once(jiff::civil::date(2026, 12, 2).at(12, 0, 0, 0));
        assert_eq!(
            line(vec![once], "2026-12-03T00:00Z"),
            "nothing scheduled: every loaded chat is over"
        );
    }

    /// After a restart, a late slot an earlier run already finished is not
    /// "posting now"; one it left unfinished still is.
    #[test]
    fn the_start_up_line_counts_only_posts_still_to_make() {
        assert_eq!(
            line_after(
                vec![hcsmbm()],
                "2026-12-02T18:20Z",
                &["hcsmbm/2026-12-02T12:00/question2/"]
            ),
            "next post: question3 of hcsmbm at 2026-12-02T18:25:00Z (Wed 2 Dec 12:25 CST)"
        );
        assert_eq!(
            line_after(
                vec![hcsmbm()],
                "2026-12-02T18:20Z",
                &["hcsmbm/2026-12-02T12:00/question1/"]
            ),
            line(vec![hcsmbm()], "2026-12-02T18:20Z")
        );
    }
}
