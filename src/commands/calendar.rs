//! `tweetchat calendar CHAT`: the chat's `.ics` file, without a daemon.
//! `CHAT` is a chat id or a path to a chat file, as for `check` and `plan`.
//!
//! The same file `/chats/CHAT.ics` serves: the same builder
//! ([`crate::calendar`]), the same public address, and the same version in
//! the state database, so `SEQUENCE` agrees with what subscribers already
//! have. Writes to `--output` (default: standard output). Exit 2 when the
//! chat does not exist, 1 when its file is invalid (with every problem).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::calendar::{self, Version};
use crate::cli::CalendarArgs;
use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::CommandStore;

pub fn run(config_dir: &Path, args: CalendarArgs) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(config_dir)
        .with_context(|| format!("reading settings from {}", config_dir.display()))?;
    if let Some(chats) = args.chats {
        settings.chats_dir = chats;
    }
    if let Some(state) = args.state {
        settings.state_dir = state;
    }
    let path = super::chat_file(&args.chat, &settings.chats_dir)?;
    let plan = match crate::plan::load_file(&path) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            for diagnostic in diagnostics {
                eprintln!("{diagnostic}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    let base = settings.http.public_base();
    let now = Clock::system(Duration::from_secs(60)).now();
    let fingerprint = calendar::fingerprint(&plan, base.as_deref());
    let key = calendar::kv_key(&plan.id);
    let mut store = CommandStore::open(&settings, &settings.state_dir)?;
    let stored = store.kv_get(&key)?;
    let version = Version::next(stored.as_deref(), &fingerprint, now);
    if stored.as_deref() != Some(version.encode().as_str()) {
        store.kv_set(&key, &version.encode())?;
    }
    let ics = calendar::render(&plan, &version, now, base.as_deref());
    match args.output {
        Some(path) => {
            std::fs::write(&path, ics.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} (SEQUENCE {})", path.display(), version.sequence);
        }
        None => std::io::stdout()
            .lock()
            .write_all(ics.as_bytes())
            .context("writing the calendar")?,
    }
    Ok(ExitCode::SUCCESS)
}
