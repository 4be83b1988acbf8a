//! `tweetchat calendar CHAT`: the chat's `.ics` file, without a daemon.
//!
//! The same file `/chats/CHAT.ics` serves: the same builder
//! ([`crate::calendar`]), the same public address, and the same version in
//! the state database, so `SEQUENCE` agrees with what subscribers already
//! have. Writes to `--output` (default: standard output). Exit 3 when the
//! chat is unknown or invalid.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::calendar::{self, Version};
use crate::cli::CalendarArgs;
use crate::clock::Clock;
use crate::settings::Settings;
use crate::store::Store;

pub fn run(config_dir: &Path, args: CalendarArgs) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(config_dir)
        .with_context(|| format!("reading settings from {}", config_dir.display()))?;
    if let Some(chats) = args.chats {
        settings.chats_dir = chats;
    }
    if let Some(state) = args.state {
        settings.state_dir = state;
    }
    let plan = super::transcript::load_chat(&settings.chats_dir, &args.chat)?;
    let base = settings.http.public_base();
    let now = Clock::system(Duration::from_secs(60)).now();
    let fingerprint = calendar::fingerprint(&plan, base.as_deref());
    let key = calendar::kv_key(&plan.id);
    let mut store = Store::open(&settings.state_dir)?;
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
