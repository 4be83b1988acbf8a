//! `tweetchat rehearse CHAT [--speed N]`: the whole chat, now, accelerated.
//!
//! The chat's next occurrence (or, for a one-off in the past, its only one)
//! runs through the same daemon code as `tweetchat run`, with a clock that
//! starts at the occurrence's first slot and runs `N` times faster, on the
//! console only, with a throw-away state folder. Each post is printed as it
//! happens, stamped with the instant it would really go out, in UTC and in
//! the chat's zone. The hashtag search "finds" three sample participants,
//! so the thank-you is the chat's own `thanks.text` with mentions filled
//! in. Ctrl-C stops it, says so, and exits 130.
//!
//! On a clock `N` times faster, every millisecond the machine spends on a
//! post (claiming it, writing it) counts `N` times against the post's grace
//! window, so a speed too high made posts miss their windows and be skipped
//! as late although nothing was wrong with them (4 to 6 of 8 went out at
//! `--speed 36000`). So the speed is capped where the tightest window
//! still leaves [`MACHINE_BUDGET`] of real time, the clock starts that much
//! before the first post, and the rehearsal ends with what became of every
//! post: `all M posts posted`, or `N of M posted` and the reason for each
//! one missing (exit 1).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;

use crate::cli::RehearseArgs;
use crate::clock::Clock;
use crate::daemon::{self, Chats, Daemon, FixedSlots};
use crate::plan::{self, ChatPlan};
use crate::platform::Platform;
use crate::platform::console::Console;
use crate::schedule::{self, Slot};
use crate::settings::Settings;
use crate::store::{SharedStore, Store};

/// The account a rehearsal posts as.
const ACCOUNT: &str = "console";

pub fn run(config_dir: &Path, args: RehearseArgs) -> anyhow::Result<ExitCode> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        eprintln!("error: --speed must be a positive number such as 60 (one hour in one minute)");
        return Ok(ExitCode::from(2));
    }
    let settings = Settings::load(config_dir)?;
    // The console lines are the rehearsal's output; logs only for trouble
    // (RUST_LOG still wins).
    let mut log = settings.log.clone();
    log.level = "warn".into();
    crate::telemetry::init(&log)?;
    let path = super::chat_file(&args.chat, &settings.chats_dir)?;
    let mut plan = match plan::load_file(&path) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            for diagnostic in diagnostics {
                eprintln!("{diagnostic}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    plan.accounts = None;
    if let Some(base) = settings.http.public_base() {
        plan::set_calendar_base(&mut plan, base);
    }
    let Some(start) = next_occurrence(&plan, Timestamp::now()) else {
        bail!("{} has no occurrence to rehearse", path.display());
    };
    let slots = schedule::expand_occurrence(&plan, &start);
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        bail!("{} has nothing to post", path.display());
    };
    let (first, last) = (first.at, last.at);
    let speed = match speed_limit(&slots, &settings.grace) {
        Some((limit, tightest)) if args.speed > limit => {
            println!(
                "--speed {} is too fast to rehearse this chat truthfully: {tightest}, which \
                 would leave this machine under {} to post it; rehearsing at {limit}x instead",
                args.speed,
                human_precise(tightest_real(&slots, &settings.grace, args.speed)),
            );
            limit
        }
        _ => args.speed,
    };
    let span = Duration::try_from(last.duration_since(first)).unwrap_or_default();
    let real = span.div_f64(speed);
    println!(
        "rehearsing {} at {}x: {} posts from {} to {}, {} of chat time in about {}",
        plan.id,
        speed,
        slots.len(),
        both_zones(first, &plan),
        both_zones(last, &plan),
        human(span),
        human(real)
    );
    let state_dir = scratch_dir()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let keys: Vec<(String, String, Timestamp)> = slots
        .iter()
        .map(|slot| (slot.key(ACCOUNT), slot.label(), slot.at))
        .collect();
    let result = runtime.block_on(rehearse(&settings, &state_dir, plan, slots, speed));
    // Read before the scratch folder goes: what became of each post.
    let tally = result
        .as_ref()
        .ok()
        .map(|_| tally(&state_dir.join(crate::store::FILE_NAME), &keys));
    let _ = std::fs::remove_dir_all(&state_dir);
    if result?.interrupted {
        println!("rehearsal interrupted (Ctrl-C): the rest of the chat was not shown");
        return Ok(ExitCode::from(130));
    }
    let (posted, missing) = tally.unwrap_or_else(|| Ok((0, Vec::new())))?;
    if missing.is_empty() {
        println!("rehearsal done: all {posted} posts posted");
        return Ok(ExitCode::SUCCESS);
    }
    println!("rehearsal done: {posted} of {} posted", keys.len());
    for line in missing {
        println!("  not posted: {line}");
    }
    Ok(ExitCode::from(1))
}

/// The real time a rehearsal at `speed` leaves a post for the machine's own
/// work (claiming it, writing it) before it misses its window.
const MACHINE_BUDGET: Duration = Duration::from_millis(250);

/// How long after its instant `slot` may still go out: its grace window,
/// and for an announcement no later than the chat's start.
fn window(slot: &Slot, grace: &crate::settings::GraceSettings) -> Duration {
    let grace = crate::daemon::job::grace_for(grace, slot.kind);
    if slot.kind == schedule::SlotKind::Announce {
        let until_start =
            Duration::try_from(slot.starts.duration_since(slot.at)).unwrap_or_default();
        return grace.min(until_start);
    }
    grace
}

/// The fastest speed at which every post still has [`MACHINE_BUDGET`] of
/// real time inside its window, and the slot whose window is tightest
/// (described); `None` when nothing limits it. A chat is replayed on a
/// clock `speed` times faster, so the milliseconds a claim and a write take
/// count `speed` times against each window: too fast, and posts are
/// skipped as late although nothing was wrong with them.
fn speed_limit(slots: &[Slot], grace: &crate::settings::GraceSettings) -> Option<(f64, String)> {
    let tightest = slots.iter().min_by_key(|slot| window(slot, grace))?;
    let span = window(tightest, grace);
    let limit = (span.as_secs_f64() / MACHINE_BUDGET.as_secs_f64())
        .floor()
        .max(1.0);
    let described = format!(
        "{} may go out at most {} after its instant",
        tightest.label(),
        human(span)
    );
    Some((limit, described))
}

/// The tightest window's real length at `speed`.
fn tightest_real(slots: &[Slot], grace: &crate::settings::GraceSettings, speed: f64) -> Duration {
    slots
        .iter()
        .map(|slot| window(slot, grace))
        .min()
        .unwrap_or_default()
        .div_f64(speed)
}

/// `1.7 ms`, `250 ms`, `3 s`.
fn human_precise(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
    } else {
        human(duration)
    }
}

/// How many of `keys` (key, label, due) the rehearsal's database records as
/// posted, and a line for each other one saying what became of it.
fn tally(db: &Path, keys: &[(String, String, Timestamp)]) -> anyhow::Result<(usize, Vec<String>)> {
    let store = Store::open_read_only(db)?;
    let mut posted = 0;
    let mut missing = Vec::new();
    for (key, label, at) in keys {
        let row = store.lookup(key)?;
        match row {
            Some(row) if row.state == crate::store::PostState::Posted => posted += 1,
            Some(row) => missing.push(format!(
                "{label} (due {at}): {}{}",
                row.state.as_str(),
                row.reason.map(|r| format!(": {r}")).unwrap_or_default()
            )),
            None => missing.push(format!(
                "{label} (due {at}): never claimed (the rehearsal ended before it)"
            )),
        }
    }
    Ok((posted, missing))
}

/// `Tue 1 Dec 12:00 CST (18:00 UTC)`.
fn both_zones(at: Timestamp, plan: &ChatPlan) -> String {
    let local = at.to_zoned(plan.tz.clone());
    format!(
        "{} {} ({} UTC)",
        local.strftime("%a %-d %b %H:%M"),
        crate::schedule::times::zone_label(&local),
        at.strftime("%H:%M")
    )
}

/// A duration for people: `25 s`, `4 min 10 s`, `2 h 49 min`, `1 d 1 h`.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs_f64().round() as u64;
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) if duration > Duration::ZERO && secs == 0 => "under a second".into(),
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) if s == 0 => format!("{m} min"),
        (0, 0, _) => format!("{m} min {s} s"),
        (0, _, 0) => format!("{h} h"),
        (0, _, _) => format!("{h} h {m} min"),
        (_, 0, _) => format!("{d} d"),
        _ => format!("{d} d {h} h"),
    }
}

/// How a rehearsal ended.
struct Ended {
    /// Stopped by Ctrl-C before the last post.
    interrupted: bool,
}

/// The next occurrence starting after `now`, else the latest one before.
fn next_occurrence(plan: &ChatPlan, now: Timestamp) -> Option<schedule::Occurrence> {
    let year = SignedDuration::from_hours(24 * 366);
    schedule::occurrences(plan, now, now + year)
        .into_iter()
        .next()
        .or_else(|| {
            let long_ago = now - year * 50;
            schedule::occurrences(plan, long_ago, now).pop()
        })
}

fn scratch_dir() -> anyhow::Result<PathBuf> {
    let nanos = Timestamp::now().as_nanosecond();
    let dir =
        std::env::temp_dir().join(format!("tweetchat-rehearse-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating the rehearsal folder {}", dir.display()))?;
    Ok(dir)
}

async fn rehearse(
    settings: &Settings,
    state_dir: &Path,
    plan: ChatPlan,
    slots: Vec<Slot>,
    speed: f64,
) -> anyhow::Result<Ended> {
    let (Some(first), Some(last)) = (slots.first().map(|s| s.at), slots.last().map(|s| s.at))
    else {
        return Ok(Ended { interrupted: false });
    };
    let zone = plan.tz.clone();
    // The clock starts a little before the first post, so the start-up
    // (opening the store, the first scan), whose real time counts `speed`
    // times on this clock, does not make the first post late.
    let lead_in = SignedDuration::try_from(MACHINE_BUDGET.mul_f64(speed)).unwrap_or_default();
    let clock = Clock::scaled(first.saturating_sub(lead_in).unwrap_or(first), speed);
    let (store, writer) = SharedStore::spawn(Store::open(state_dir)?);
    let console: Arc<dyn Platform> =
        Arc::new(Console::new(ACCOUNT, state_dir, clock.clone()).rehearsal(zone));
    let accounts = [(ACCOUNT.to_string(), console)].into_iter().collect();
    let mut daemon = Daemon::new(settings, clock, store, accounts, Chats::fixed(vec![plan]));
    daemon.default_accounts = vec![ACCOUNT.to_string()];
    // Anything the daemon writes (transcripts) stays in the scratch folder.
    daemon.state_dir = state_dir.to_path_buf();
    daemon.timeline = Arc::new(FixedSlots(slots));
    // The whole occurrence in one window, so "nothing pending" means done.
    daemon.horizon = last.duration_since(first) + SignedDuration::from_hours(1);
    daemon.stop_when_done = true;
    // Nothing to prune in a new folder: no write before the first post.
    daemon.retention = None;
    let shutdown = CancellationToken::new();
    let on_ctrl_c = shutdown.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    daemon::run(daemon, shutdown.clone()).await?;
    writer.await.context("the state writer stopped")?;
    Ok(Ended {
        interrupted: shutdown.is_cancelled(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_the_way_people_say_them() {
        let secs = Duration::from_secs;
        assert_eq!(human(secs(25)), "25 s");
        assert_eq!(human(secs(250)), "4 min 10 s");
        assert_eq!(human(secs(300)), "5 min");
        assert_eq!(human(secs(2 * 3600 + 49 * 60 + 10)), "2 h 49 min");
        assert_eq!(human(secs(3600)), "1 h");
        assert_eq!(human(secs(25 * 3600)), "1 d 1 h");
        assert_eq!(human(Duration::from_millis(300)), "under a second");
    }
}
