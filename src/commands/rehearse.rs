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
    let path = chat_path(&args.chat, &settings.chats_dir)?;
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
    let span = Duration::try_from(last.duration_since(first)).unwrap_or_default();
    let real = span.div_f64(args.speed);
    println!(
        "rehearsing {} at {}x: {} posts from {} to {}, {} of chat time in about {}",
        plan.id,
        args.speed,
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
    let result = runtime.block_on(rehearse(&settings, &state_dir, plan, slots, args.speed));
    let _ = std::fs::remove_dir_all(&state_dir);
    if result?.interrupted {
        println!("rehearsal interrupted (Ctrl-C): the rest of the chat was not shown");
        return Ok(ExitCode::from(130));
    }
    println!("rehearsal done");
    Ok(ExitCode::SUCCESS)
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

/// A path as given, else `chats_dir/CHAT.yaml` (or `.yml`).
fn chat_path(chat: &str, chats_dir: &Path) -> anyhow::Result<PathBuf> {
    let given = PathBuf::from(chat);
    if given.is_file() {
        return Ok(given);
    }
    for ext in ["yaml", "yml"] {
        let candidate = chats_dir.join(format!("{chat}.{ext}"));
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "no chat `{chat}`: expected a chat file path or {}/{chat}.yaml",
        chats_dir.display()
    )
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
    let clock = Clock::scaled(first, speed);
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
