//! Where plans come from, and noticing when they change.
//!
//! The periodic rescan is the ground truth (SIGHUP only makes it happen
//! sooner): file systems in containers and network mounts do not reliably
//! deliver change events, and a rescan that compares each file's modification
//! time and size is cheap when nothing changed. A file that becomes invalid
//! keeps its last good plan running; every problem is logged with
//! `path:line:col`. A deleted file takes its future slots with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::plan::{self, ChatPlan};

/// What a rescan found.
#[derive(Debug)]
pub struct Rescan {
    /// `Some(all plans)` when anything changed since the last rescan.
    pub plans: Option<Vec<Arc<ChatPlan>>>,
    /// Files whose current version does not load.
    pub invalid: usize,
}

/// The source of the daemon's plans.
pub enum Chats {
    /// The chats folder, rescanned.
    Folder(ChatsFolder),
    /// Plans given up front (rehearsals, tests); reported once.
    Fixed(Option<Vec<ChatPlan>>),
}

impl Chats {
    pub fn folder(dir: &Path) -> Self {
        Chats::Folder(ChatsFolder::new(dir))
    }

    pub fn fixed(plans: Vec<ChatPlan>) -> Self {
        Chats::Fixed(Some(plans))
    }

    pub fn rescan(&mut self) -> Rescan {
        match self {
            Chats::Folder(folder) => folder.rescan(),
            Chats::Fixed(plans) => Rescan {
                plans: plans
                    .take()
                    .map(|plans| plans.into_iter().map(Arc::new).collect()),
                invalid: 0,
            },
        }
    }
}

/// Modification time and size: a file whose stamp is unchanged is not read.
type Stamp = (Option<SystemTime>, u64);

struct FileState {
    stamp: Stamp,
    /// The last version that loaded.
    plan: Option<Arc<ChatPlan>>,
    /// The current version does not load.
    invalid: bool,
}

/// The chats folder and what its files held at the last rescan.
pub struct ChatsFolder {
    dir: PathBuf,
    files: BTreeMap<PathBuf, FileState>,
    scanned: bool,
}

impl ChatsFolder {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            files: BTreeMap::new(),
            scanned: false,
        }
    }

    /// Reads the files that are new or changed, forgets deleted ones.
    pub fn rescan(&mut self) -> Rescan {
        let mut changed = !self.scanned;
        self.scanned = true;
        match chat_files(&self.dir) {
            Ok(found) => {
                let before = self.files.len();
                self.files.retain(|path, _| found.contains_key(path));
                if self.files.len() != before {
                    changed = true;
                    tracing::info!(folder = %self.dir.display(), "a chat file was removed");
                }
                for (path, stamp) in found {
                    changed |= self.refresh(path, stamp);
                }
            }
            Err(err) => tracing::warn!(
                folder = %self.dir.display(),
                "cannot read the chats folder, keeping the chats already loaded: {err}"
            ),
        }
        Rescan {
            plans: changed.then(|| self.plans()),
            invalid: self.files.values().filter(|f| f.invalid).count(),
        }
    }

    /// Loads `path` if its stamp changed; says whether the plans changed.
    fn refresh(&mut self, path: PathBuf, stamp: Stamp) -> bool {
        if self.files.get(&path).is_some_and(|f| f.stamp == stamp) {
            return false;
        }
        let previous = self.files.remove(&path);
        let last_good = previous.and_then(|f| f.plan);
        let loaded = plan::load::load_file_warned(&path);
        for warning in &loaded.warnings {
            tracing::warn!("{warning}");
        }
        let state = match loaded.plan {
            Ok(plan) => {
                tracing::info!(chat = %plan.id, file = %path.display(), "chat loaded");
                FileState {
                    stamp,
                    plan: Some(Arc::new(plan)),
                    invalid: false,
                }
            }
            Err(diagnostics) => {
                for diagnostic in &diagnostics {
                    tracing::warn!("{diagnostic}");
                }
                if last_good.is_some() {
                    tracing::warn!(file = %path.display(), "keeping the last good version of this chat");
                }
                FileState {
                    stamp,
                    plan: last_good,
                    invalid: true,
                }
            }
        };
        self.files.insert(path, state);
        true
    }

    fn plans(&self) -> Vec<Arc<ChatPlan>> {
        self.files.values().filter_map(|f| f.plan.clone()).collect()
    }
}

/// `*.yaml` and `*.yml` files directly in `dir`, with their stamps.
fn chat_files(dir: &Path) -> std::io::Result<BTreeMap<PathBuf, Stamp>> {
    let mut found = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let is_chat = !hidden
            && path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml");
        let Ok(meta) = entry.metadata() else { continue };
        if is_chat && meta.is_file() {
            found.insert(path, (meta.modified().ok(), meta.len()));
        }
    }
    Ok(found)
}
