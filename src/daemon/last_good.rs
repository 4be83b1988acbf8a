//! What the daemon runs for a chat whose file became invalid.
//!
//! A chat file that stops loading keeps its last good version running
//! ([`super::reload`]), but that version lives only in the daemon's memory:
//! `tweetchat status`, a separate process, reads the folder, finds the file
//! invalid, and would list nothing for the chat while the daemon keeps
//! posting it. So when a file turns invalid with a last good version kept,
//! the daemon writes a note to `state_dir/last-good/CHAT.json`: the file,
//! why it does not load, since when, and the next slots of the version it
//! keeps. The note goes when the file loads again or is removed, and the
//! folder is emptied when the daemon starts (a new process has no last good
//! version to keep).

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::plan::ChatPlan;
use crate::schedule;

/// The folder of notes inside `state_dir`.
pub const DIR: &str = "last-good";

/// How many upcoming slots a note lists.
const SLOTS: usize = 50;

/// One chat running on its last good version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastGood {
    pub chat: String,
    /// The chat file, now invalid.
    pub file: PathBuf,
    /// Why the file on disk does not load (`path:line:col: …`).
    pub problems: Vec<String>,
    /// When the daemon found it invalid.
    pub since: Timestamp,
    /// The next slots of the version the daemon keeps, from `since`.
    pub slots: Vec<NotedSlot>,
}

/// A slot of the kept version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotedSlot {
    pub at: Timestamp,
    /// In the chat's zone, RFC 3339 with its offset.
    pub local: String,
    /// `Wed 2 Dec 12:05 CST`.
    pub local_short: String,
    pub kind: String,
    pub n: Option<u32>,
    /// The chat's own accounts; `None`: the settings' default.
    pub accounts: Option<Vec<String>>,
    pub text: String,
}

/// Where the notes of `state_dir` are.
pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join(DIR)
}

fn note_path(dir: &Path, chat: &str) -> PathBuf {
    dir.join(format!("{chat}.json"))
}

/// The note for `plan`, kept while `problems` stop its file from loading.
pub fn note(plan: &ChatPlan, problems: Vec<String>, now: Timestamp) -> LastGood {
    let mut slots = Vec::new();
    for days in [2, 14, 62, 400] {
        slots = schedule::expand(plan, now, now + SignedDuration::from_hours(24 * days));
        if slots.len() >= SLOTS {
            break;
        }
    }
    let slots = slots
        .into_iter()
        .take(SLOTS)
        .map(|slot| {
            let local = slot.at.to_zoned(plan.tz.clone());
            NotedSlot {
                at: slot.at,
                local: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                local_short: format!(
                    "{} {}",
                    local.strftime("%a %-d %b %H:%M"),
                    schedule::times::zone_label(&local)
                ),
                kind: slot.kind.as_str().to_string(),
                n: slot.n,
                accounts: plan.accounts.as_deref().map(<[String]>::to_vec),
                text: slot.text,
            }
        })
        .collect();
    LastGood {
        chat: plan.id.to_string(),
        file: plan.source.to_path_buf(),
        problems,
        since: now,
        slots,
    }
}

/// Writes `note` into `dir` (a new file renamed over the old one).
pub fn write(dir: &Path, note: &LastGood) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = note_path(dir, &note.chat);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(note)?)?;
    std::fs::rename(&tmp, &path)
}

/// Removes the note of `chat`, if there is one.
pub fn remove(dir: &Path, chat: &str) -> std::io::Result<()> {
    match std::fs::remove_file(note_path(dir, chat)) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Removes every note (the daemon starts with no last good versions).
pub fn clear(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

/// Every note in `dir`, by chat; unreadable ones are left out.
pub fn read_all(dir: &Path) -> Vec<LastGood> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut notes: Vec<LastGood> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "json"))
        .filter_map(|entry| std::fs::read(entry.path()).ok())
        .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
        .collect();
    notes.sort_by(|a, b| a.chat.cmp(&b.chat));
    notes
}
