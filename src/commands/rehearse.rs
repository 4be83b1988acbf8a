//! `tweetchat rehearse CHAT [--speed N]`: the whole chat, now, accelerated.
//!
//! The chat's next occurrence (or, for a one-off in the past, its only one)
//! runs through the same daemon code as `tweetchat run`, with a clock that
//! starts at the occurrence's first slot and runs `N` times faster, on the
//! console only, with a throw-away state folder. Each post is printed as it
//! happens, stamped with the instant it would really go out.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp, Zoned};
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
        plan::set_calendar_base(&mut plan, &base);
    }
    let Some(start) = next_occurrence(&plan, Timestamp::now()) else {
        bail!("{} has no occurrence to rehearse", path.display());
    };
    let slots = schedule::expand_occurrence(&plan, &start);
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        bail!("{} has nothing to post", path.display());
    };
    let (first, last) = (first.at, last.at);
    let real = Duration::try_from(last.duration_since(first))
        .unwrap_or_default()
        .div_f64(args.speed);
    println!(
        "rehearsing {} ({} posts from {first} to {last}) at {}x: about {}s",
        plan.id,
        slots.len(),
        args.speed,
        real.as_secs()
    );
    let state_dir = scratch_dir()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(rehearse(&settings, &state_dir, plan, slots, args.speed));
    let _ = std::fs::remove_dir_all(&state_dir);
    result?;
    println!("rehearsal done");
    Ok(ExitCode::SUCCESS)
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
fn next_occurrence(plan: &ChatPlan, now: Timestamp) -> Option<Zoned> {
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
) -> anyhow::Result<()> {
    let (Some(first), Some(last)) = (slots.first().map(|s| s.at), slots.last().map(|s| s.at))
    else {
        return Ok(());
    };
    let clock = Clock::scaled(first, speed);
    let (store, writer) = SharedStore::spawn(Store::open(state_dir)?);
    let console: Arc<dyn Platform> = Arc::new(Console::new(ACCOUNT, state_dir, clock.clone()));
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
    daemon::run(daemon, shutdown).await?;
    writer.await.context("the state writer stopped")?;
    Ok(())
}
