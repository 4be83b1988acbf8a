//! `tweetchat transcript CHAT [--date D] [--refetch]`.
//!
//! Rebuilds `state_dir/transcripts/CHAT/DATE.{json,md,html}`. By default from
//! the search the daemon saved after the occurrence (`DATE.posts.json`):
//! free, offline, and the same posts every time. With `--refetch` the posts
//! come from the platform again through [`fetch_capture`], and the new search
//! is saved for next time.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use jiff::civil;

use crate::cli::TranscriptArgs;
use crate::settings::Settings;
use crate::transcript::{self, Capture, Transcript};

pub fn run(config_dir: &Path, args: TranscriptArgs) -> anyhow::Result<ExitCode> {
    let state_dir = match &args.state {
        Some(dir) => dir.clone(),
        None => Settings::load(config_dir)?.state_dir,
    };
    let capture = if args.refetch {
        let capture = fetch_capture(config_dir, &state_dir, &args.chat, args.date)?;
        transcript::write_capture(&state_dir, &capture)?;
        capture
    } else {
        saved_capture(&state_dir, &args.chat, args.date)?
    };
    let built = Transcript::build(&capture)?;
    let written = transcript::write(&state_dir, &built)?;
    println!(
        "{} {}: {} participants, {} posts",
        built.chat, built.date, built.summary.participants, built.summary.posts
    );
    for path in [&written.json, &written.markdown, &written.html] {
        println!("  {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Searches the platform for one occurrence of `chat` and returns what the
/// transcript is built from.
///
/// Not wired up yet: it needs the plan loader (title, zone, questions,
/// `thanks.exclude`), the state database (the host's question posts) and the
/// account's platform adapter. The integrator fills it in as: load the plan,
/// pick the occurrence on `date` (default: the latest that has ended), build
/// a [`Capture`] from the plan and the store's records of its question posts,
/// `whoami()` for the host, then [`transcript::search_into`] with
/// `thanks.after`.
pub fn fetch_capture(
    config_dir: &Path,
    state_dir: &Path,
    chat: &str,
    date: Option<civil::Date>,
) -> anyhow::Result<Capture> {
    let _ = (config_dir, state_dir, date);
    bail!(
        "searching the platform again for `{chat}` is not available yet; \
         run without --refetch to rebuild from the saved search"
    )
}

/// The capture the daemon saved for `chat` on `date`, or the latest one.
fn saved_capture(
    state_dir: &Path,
    chat: &str,
    date: Option<civil::Date>,
) -> anyhow::Result<Capture> {
    let path = match date {
        Some(date) => transcript::capture_path(state_dir, chat, date)?,
        None => latest_capture(state_dir, chat)?,
    };
    if !path.exists() {
        bail!(
            "no saved search for `{chat}` at {}; the daemon saves one after each occurrence \
             (check the chat id and --date, or use --refetch)",
            path.display()
        );
    }
    Capture::load(&path)
}

/// The newest `DATE.posts.json` of `chat`.
fn latest_capture(state_dir: &Path, chat: &str) -> anyhow::Result<PathBuf> {
    let dir = transcript::chat_dir(state_dir, chat)?;
    let entries = std::fs::read_dir(&dir).with_context(|| {
        format!(
            "no transcripts for `{chat}` in {} (has the chat run yet?)",
            dir.display()
        )
    })?;
    let latest = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let date: civil::Date = name.strip_suffix(".posts.json")?.parse().ok()?;
            Some((date, entry.path()))
        })
        .max_by_key(|(date, _)| *date);
    match latest {
        Some((_, path)) => Ok(path),
        None => bail!(
            "no saved search (DATE.posts.json) for `{chat}` in {}",
            dir.display()
        ),
    }
}
