//! `tweetchat transcript CHAT [--date D] [--refetch]`.
//!
//! Rebuilds `state_dir/transcripts/CHAT/DATE.{json,md,html}`. By default from
//! the search the daemon saved after the occurrence (`DATE.posts.json`):
//! free, offline, and the same posts every time; every network the daemon
//! searched, merged. With `--refetch` the posts come from the chat's first
//! network account again through [`fetch_capture`]; the new search replaces
//! that network's in the saved file and is merged with the others.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use jiff::{SignedDuration, Timestamp, civil};

use crate::cli::TranscriptArgs;
use crate::clock::Clock;
use crate::daemon::accounts::{AccountContext, StateSessions, StateTokens, build_account};
use crate::plan::{self, ChatPlan};
use crate::platform::Platform;
use crate::schedule::occurrences;
use crate::settings::Settings;
use crate::store::CommandStore;
use crate::text::PlatformKind;
use crate::transcript::{self, Capture, Transcript};

pub fn run(config_dir: &Path, mut args: TranscriptArgs) -> anyhow::Result<ExitCode> {
    // A path (`chats/hcsmbm.yaml`) names the same chat as its id.
    args.chat = super::chat_id(&args.chat);
    transcript::check_chat_id(&args.chat).map_err(|e| super::usage(format!("{e:#}")))?;
    let (state_dir, database) = match &args.state {
        // An explicit folder: its files, whatever the settings say.
        Some(dir) => (dir.clone(), false),
        None => {
            let settings = Settings::load(config_dir)?;
            let database = settings.store.url.is_some();
            (settings.state_dir, database)
        }
    };
    if database {
        return run_on_database(config_dir, &state_dir, &args);
    }
    let (built, written) = if args.refetch {
        let capture = fetch_capture(config_dir, &state_dir, &args.chat, args.date)?;
        transcript::publish(&state_dir, &capture)?
    } else {
        let captures = match saved_captures(&state_dir, &args.chat, args.date) {
            Ok(captures) => captures,
            Err(err) => return Err(with_console_why(config_dir, &args.chat, err)),
        };
        let built = Transcript::merge(&captures)?;
        let written = transcript::write(&state_dir, &built)?;
        (built, written)
    };
    print_built(&built);
    for path in [&written.json, &written.markdown, &written.html] {
        println!("  {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// With `[store] url`: the saved searches and the pages are the chat's row
/// in the shared database ([`transcript::database`]), which every replica
/// serves; a copy of the three files is written here as well, for the
/// organizer who wants the Markdown for a blog.
fn run_on_database(
    config_dir: &Path,
    state_dir: &Path,
    args: &TranscriptArgs,
) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config_dir)?;
    let built = if args.refetch {
        let capture = fetch_capture(config_dir, state_dir, &args.chat, args.date)?;
        let store = CommandStore::open(&settings, state_dir)?;
        store.on_postgres(async |pg| transcript::database::publish(pg, &capture).await)?
    } else {
        let store = CommandStore::open(&settings, state_dir)?;
        let rebuilt = store.on_postgres(async |pg| {
            transcript::database::rebuild(pg, &args.chat, args.date).await
        })?;
        match rebuilt {
            Some((_, built)) => built,
            None => {
                let when = args
                    .date
                    .map_or_else(|| "yet".to_string(), |date| format!("on {date}"));
                let err = anyhow::anyhow!(
                    "no saved search for `{}` {when} in the state database; the daemon saves \
                     one after each occurrence (check the chat id and --date, or use --refetch)",
                    args.chat
                );
                return Err(with_console_why(config_dir, &args.chat, err));
            }
        }
    };
    let written = transcript::write(state_dir, &built)?;
    print_built(&built);
    println!(
        "  saved in the state database: every replica serves /chats/{}/transcripts/{}",
        built.chat, built.date
    );
    println!("  a copy here:");
    for path in [&written.json, &written.markdown, &written.html] {
        println!("  {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn print_built(built: &Transcript) {
    println!(
        "{} {}: {} participants, {} posts",
        built.chat, built.date, built.summary.participants, built.summary.posts
    );
}

/// `err`, with the reason when the chat posts only to the console (which
/// nobody can search, so it never has a saved search).
fn with_console_why(config_dir: &Path, chat: &str, err: anyhow::Error) -> anyhow::Error {
    match console_only(config_dir, chat) {
        Some(why) => anyhow::anyhow!("{err:#}\n  why: {why}"),
        None => err,
    }
}

/// Searches the platform again for one occurrence of `chat` (on `date`, or
/// the latest that has ended) and returns what the transcript is built from.
///
/// Reads the settings and the chat file, picks the chat's first non-console
/// account (its first account otherwise), asks it who it is, looks the
/// host's question posts up in the state database, and searches the hashtag
/// from [`transcript::EARLY_BIRDS`] before the start to `thanks.after` past
/// the end. An explicit `thanks.search: false` does not stop it: the
/// organizer asked for this search.
pub fn fetch_capture(
    config_dir: &Path,
    state_dir: &Path,
    chat: &str,
    date: Option<civil::Date>,
) -> anyhow::Result<Capture> {
    let settings = Settings::load(config_dir)?;
    let plan = load_chat(&settings.chats_dir, chat)?;
    let clock = Clock::system(Duration::from_secs(60));
    let start = pick_occurrence(&plan, date, clock.now())?;
    let account = search_account(&settings, &plan)?;
    let platform = open_account(&settings, &account, state_dir, clock)?;
    let store = CommandStore::open(&settings, state_dir)?;
    let after = plan
        .thanks
        .as_ref()
        .map_or(SignedDuration::ZERO, |t| t.after);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let host = platform
            .whoami()
            .await
            .with_context(|| format!("account `{account}` cannot say who it is"))?;
        let mut capture =
            Capture::for_occurrence(&plan, &start, &account, platform.kind(), host, |key| {
                store.lookup(key).ok().flatten().and_then(|r| r.remote)
            });
        transcript::search_into(platform.as_ref(), &mut capture, after)
            .await
            .with_context(|| format!("searching {} on account `{account}`", plan.hashtag()))?;
        Ok(capture)
    })
}

/// An adapter for `account`, for searching: the daemon's account factory,
/// with OAuth 2.0 tokens kept in the state database as the daemon keeps
/// them (a rotated refresh token is saved before it is used).
fn open_account(
    settings: &Settings,
    account: &str,
    state_dir: &Path,
    clock: Clock,
) -> anyhow::Result<Arc<dyn Platform>> {
    let account_settings = settings
        .accounts
        .get(account)
        .with_context(|| format!("account `{account}` is not in the settings"))?;
    let context = AccountContext {
        state_dir: state_dir.to_path_buf(),
        clock,
        tokens: Arc::new(StateTokens::for_command(settings, state_dir)?),
        sessions: Arc::new(StateSessions::for_command(settings, state_dir)?),
        writer: None,
    };
    build_account(account_settings, &context)
}

/// The chat file a chat argument names (a path, or an id in `chats_dir`),
/// validated.
pub(super) fn load_chat(chats_dir: &Path, chat: &str) -> anyhow::Result<ChatPlan> {
    let path = super::chat_file(chat, chats_dir)?;
    plan::load_file(&path).map_err(|diagnostics| {
        let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{} is invalid:\n{}", path.display(), lines.join("\n"))
    })
}

/// The occurrence starting on local `date`, or the latest that has ended
/// (looking back a year).
fn pick_occurrence(
    plan: &ChatPlan,
    date: Option<civil::Date>,
    now: Timestamp,
) -> anyhow::Result<crate::schedule::Occurrence> {
    let found = match date {
        Some(date) => {
            let from = plan
                .tz
                .to_zoned(date.to_datetime(civil::Time::midnight()))?;
            let until = from.tomorrow()?;
            occurrences(plan, from.timestamp(), until.timestamp())
                .into_iter()
                .next()
        }
        None => {
            let from = now.checked_sub(SignedDuration::from_hours(366 * 24))?;
            occurrences(plan, from, now).into_iter().rfind(|start| {
                start
                    .timestamp()
                    .checked_add(plan.duration)
                    .is_ok_and(|end| end <= now)
            })
        }
    };
    let what = date.map_or("that has ended in the last year".to_string(), |d| {
        format!("on {d}")
    });
    found.with_context(|| format!("chat `{}` has no occurrence {what}", plan.id))
}

/// Why a chat that posts only to the console has no saved search, ever;
/// `None` for other chats, or when the chat or settings cannot be read (the
/// command's own errors say that better).
fn console_only(config_dir: &Path, chat: &str) -> Option<String> {
    let settings = Settings::load(config_dir).ok()?;
    let plan = load_chat(&settings.chats_dir, chat).ok()?;
    let accounts = plan
        .accounts
        .as_deref()
        .unwrap_or(&settings.default_accounts);
    let console_only = accounts.iter().all(|name| {
        settings
            .accounts
            .get(name)
            .is_none_or(|a| a.platform == PlatformKind::Console)
    });
    console_only.then(|| {
        format!(
            "chat `{chat}` posts only to the console ({}), and a transcript is built from a \
             network's search of {} after the chat: the console has no one to search. Name an X, \
             Mastodon or Bluesky account in the chat's `accounts` (or in `default_accounts`)",
            accounts.join(", "),
            plan.hashtag()
        )
    })
}

/// The account whose search the transcript uses.
fn search_account(settings: &Settings, plan: &ChatPlan) -> anyhow::Result<String> {
    let accounts = plan
        .accounts
        .as_deref()
        .unwrap_or(&settings.default_accounts);
    let is_console = |name: &&String| {
        settings
            .accounts
            .get(*name)
            .is_some_and(|a| a.platform == PlatformKind::Console)
    };
    accounts
        .iter()
        .find(|name| !is_console(name))
        .or_else(|| accounts.first())
        .cloned()
        .with_context(|| format!("chat `{}` posts to no account", plan.id))
}

/// The captures (one per network) the daemon saved for `chat` on `date`,
/// or the latest ones.
fn saved_captures(
    state_dir: &Path,
    chat: &str,
    date: Option<civil::Date>,
) -> anyhow::Result<Vec<Capture>> {
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
    Capture::load_all(&path)
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
