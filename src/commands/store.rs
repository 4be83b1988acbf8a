//! `tweetchat store migrate [--to postgres://…]`: the SQLite state of one
//! server into PostgreSQL, for several replicas.
//!
//! The daemon must be stopped (the state folder's lock says whether it
//! runs). Everything in `state.db` is copied in one transaction, so an
//! interrupted copy leaves the target empty: posts with their results and
//! intents (an intent stays in doubt, and the first replica to reach it
//! looks it up on its platform first, as after a restart), tokens, Bluesky
//! sessions, Mastodon limits, calendar sequences and thank-you decisions.
//! The target remembers the source's identity, so a second run of the same
//! copy adds nothing and says so; a target with other state is refused.
//! Transcripts and the console outbox stay files in `state_dir`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, anyhow};

use crate::cli::{StoreCommand, StoreMigrateArgs};
use crate::settings::{Settings, redact_url, secret_file};
use crate::store::pg::transcripts::TranscriptRow;
use crate::store::{self, PgStore, StateLock, Store};

pub fn run(config_dir: &Path, command: StoreCommand) -> anyhow::Result<ExitCode> {
    match command {
        StoreCommand::Migrate(args) => migrate(config_dir, args),
    }
}

fn migrate(config_dir: &Path, args: StoreMigrateArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config_dir)?;
    let state_dir = args.state.unwrap_or_else(|| settings.state_dir.clone());
    let url = match (&args.to, &settings.store.url) {
        (Some(to), _) => to.clone(),
        (None, Some(url)) => url.expose().to_string(),
        (None, None) => {
            return Err(super::usage(
                "say where to copy to: `tweetchat store migrate --to \
                 postgres://USER@HOST:5432/DATABASE`, or set [store] url"
                    .to_string(),
            ));
        }
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(super::usage(format!(
            "--to {} is not a PostgreSQL URL: write postgres://USER@HOST:5432/DATABASE",
            redact_url(&url)
        )));
    }
    let password = match &args.password_file {
        Some(path) => Some(
            secret_file::read(path)
                .map_err(|e| anyhow!("--password-file {}: {e}", path.display()))?,
        ),
        None => settings
            .store
            .password
            .as_ref()
            .map(|p| p.expose().to_string()),
    };
    let db = state_dir.join(store::FILE_NAME);
    if !db.is_file() {
        anyhow::bail!(
            "no state database at {}: nothing to copy (give the state folder with --state)",
            db.display()
        );
    }
    // A running daemon would go on writing to SQLite after the copy.
    let _lock = StateLock::acquire(&state_dir).context(
        "stop `tweetchat run` on this state folder before copying its state (the copy must be \
         the last word of SQLite)",
    )?;
    let export = Store::open_read_only(&db)?.export()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let replica = format!("{} (store migrate)", settings.store.replica);
    let transcripts = saved_transcripts(&state_dir)?;
    let (imported, copied) = runtime.block_on(async {
        let pg = PgStore::connect(&url, password.as_deref(), &replica).await?;
        let imported = pg.import(&export).await?;
        let mut copied = 0;
        for (chat, date, row) in &transcripts {
            if pg.import_transcript(chat, date, row).await? {
                copied += 1;
            }
        }
        anyhow::Ok((imported, copied))
    })?;
    let target = redact_url(&url);
    if imported.again && imported.posts == 0 && imported.values == 0 {
        println!(
            "{} was already copied into {target}; nothing to add",
            db.display()
        );
    } else {
        println!(
            "copied {} posts and {} values from {} into {target}{}",
            imported.posts,
            imported.values,
            db.display(),
            if imported.again {
                " (the rest was there from an earlier copy)"
            } else {
                ""
            }
        );
    }
    match transcripts.len() {
        0 => {}
        1 if copied == 1 => println!("copied 1 transcript"),
        all if copied == all => println!("copied {all} transcripts"),
        all => println!("copied {copied} of {all} transcripts (the others were there already)"),
    }
    println!(
        "next: set [store] url on every replica; the files in {} are no longer read",
        state_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Every transcript under `state_dir/transcripts`: its saved searches
/// (`DATE.posts.json`, without which there is nothing to rebuild from) and
/// the pages built from them, as the database keeps them.
fn saved_transcripts(state_dir: &Path) -> anyhow::Result<Vec<(String, String, TranscriptRow)>> {
    let root = state_dir.join("transcripts");
    let chats = match std::fs::read_dir(&root) {
        Ok(chats) => chats,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", root.display())),
    };
    let mut found = Vec::new();
    for chat in chats.filter_map(Result::ok) {
        let (Ok(chat_name), dir) = (chat.file_name().into_string(), chat.path()) else {
            continue;
        };
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        for file in files.filter_map(Result::ok) {
            let name = file.file_name().to_string_lossy().into_owned();
            let Some(date) = name.strip_suffix(".posts.json") else {
                continue;
            };
            if date.parse::<jiff::civil::Date>().is_err() {
                continue;
            }
            let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{date}.{ext}"))).ok();
            let captures = std::fs::read_to_string(file.path())
                .with_context(|| format!("cannot read {}", file.path().display()))?;
            let row = TranscriptRow {
                captures,
                json: read("json"),
                markdown: read("md"),
                html: read("html"),
            };
            found.push((chat_name.clone(), date.to_string(), row));
        }
    }
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    Ok(found)
}
