//! Where plans come from, and noticing when they change.
//!
//! The periodic rescan is the ground truth (SIGHUP and the folder watch,
//! [`super::watch`], only make it happen sooner): file systems in containers and network mounts do not reliably
//! deliver change events, and a rescan that compares each file's modification
//! time and size is cheap when nothing changed. A file that becomes invalid
//! keeps its last good plan running; every problem is logged with
//! `path:line:col`. A deleted file takes its future slots with it.
//!
//! What a chat file is (extension, hidden files, `a.yml` beside `a.yaml`)
//! is decided by [`plan::discover`] and [`plan::load::without_duplicate_ids`],
//! the same functions `tweetchat check` uses, so the two never disagree.
//! A rescan reads files, so the loop runs it on the blocking pool and keeps
//! beating meanwhile; it reports only the plans that changed, and the
//! timetable replaces only those (a change to one file among 10,000 costs
//! one file's load and one chat's slots).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::plan::{self, ChatFile, ChatId, ChatPlan, Stamp};

/// What a rescan found.
#[derive(Debug, Default)]
pub struct Rescan {
    /// `Some` when any plan changed since the last rescan: only those.
    pub changes: Option<Changes>,
    /// Files whose current version does not load (duplicate ids included).
    pub invalid: usize,
}

/// The plans that changed in one rescan; the timetable replaces only these.
#[derive(Debug, Default)]
pub struct Changes {
    /// Chats whose file is gone (or no longer has a plan to run).
    pub removed: Vec<ChatId>,
    /// New plans, and new versions of loaded ones.
    pub updated: Vec<Arc<ChatPlan>>,
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

    /// Notes each chat kept on its last good version in `state_dir` for
    /// `tweetchat status` ([`super::last_good`]).
    pub fn note_last_good_in(&mut self, state_dir: &Path) {
        if let Chats::Folder(folder) = self {
            folder.notes = Some(super::last_good::dir(state_dir));
        }
    }

    /// Whether a rescan reads files (and so belongs off the async runtime).
    pub fn reads_files(&self) -> bool {
        matches!(self, Chats::Folder(_))
    }

    pub fn rescan(&mut self) -> Rescan {
        match self {
            Chats::Folder(folder) => folder.rescan(),
            Chats::Fixed(plans) => match plans.take() {
                Some(plans) => Rescan {
                    changes: Some(Changes {
                        removed: Vec::new(),
                        updated: plans.into_iter().map(Arc::new).collect(),
                    }),
                    invalid: 0,
                },
                None => Rescan::default(),
            },
        }
    }
}

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
    /// By path: hashed, since 10,000 lookups per rescan comparing paths
    /// component by component cost more than the rescan's system calls.
    /// Each key is the allocation its plan's `source` shares.
    files: HashMap<Arc<Path>, FileState>,
    /// Files left out because an earlier file has their chat id.
    duplicates: usize,
    scanned: bool,
    /// Where chats kept on their last good version are noted.
    notes: Option<PathBuf>,
}

impl ChatsFolder {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            files: HashMap::new(),
            duplicates: 0,
            scanned: false,
            notes: None,
        }
    }

    /// Reads the files that are new or changed (on every core), forgets
    /// deleted ones, and says which plans changed.
    pub fn rescan(&mut self) -> Rescan {
        let first = !self.scanned;
        self.scanned = true;
        if let (true, Some(notes)) = (first, &self.notes) {
            // Notes of an earlier process: it kept versions this one never had.
            if let Err(err) = super::last_good::clear(notes) {
                tracing::warn!("cannot clear {}: {err}", notes.display());
            }
        }
        let mut changes = Changes::default();
        match plan::discover(&self.dir) {
            Ok(found) => {
                self.update(found, &mut changes);
                // Every rescan leaves garbage between the plans (the
                // listing, 10,000 paths); a trim costs well under a
                // millisecond here, on the blocking pool.
                crate::memory::give_back();
            }
            Err(err) => tracing::warn!(
                folder = %self.dir.display(),
                "cannot read the chats folder, keeping the chats already loaded: {err}"
            ),
        }
        let changed = first || !changes.removed.is_empty() || !changes.updated.is_empty();
        Rescan {
            changes: changed.then_some(changes),
            invalid: self.duplicates + self.files.values().filter(|f| f.invalid).count(),
        }
    }

    fn update(&mut self, found: Vec<ChatFile>, changes: &mut Changes) {
        let (found, duplicates) = plan::load::without_duplicate_ids(found, |f| f.path.as_path());
        if duplicates.len() != self.duplicates {
            for diagnostic in &duplicates {
                tracing::warn!("{diagnostic}");
            }
        }
        self.duplicates = duplicates.len();
        // New or changed files; and, when every known file is still there,
        // nothing can be gone (the common rescan: one lookup per file).
        let mut known = 0;
        let stale: Vec<&ChatFile> = found
            .iter()
            .filter(|f| match self.files.get(f.path.as_path()) {
                Some(state) => {
                    known += 1;
                    state.stamp != f.stamp
                }
                None => true,
            })
            .collect();
        if known < self.files.len() {
            let present: HashSet<&Path> = found.iter().map(|f| f.path.as_path()).collect();
            let mut gone: Vec<Arc<Path>> = self
                .files
                .keys()
                .filter(|path| !present.contains::<Path>(path))
                .cloned()
                .collect();
            gone.sort_unstable();
            for path in gone {
                if let Some(FileState {
                    plan: Some(plan), ..
                }) = self.files.remove(&path)
                {
                    tracing::info!(chat = %plan.id, file = %path.display(), "a chat file was removed");
                    self.forget_note(&plan.id);
                    changes.removed.push(plan.id.clone());
                }
            }
        }
        if stale.is_empty() {
            return;
        }
        let loaded = crate::parallel::map_in_order(&stale, |f| plan::load_file(&f.path));
        for (file, loaded) in stale.into_iter().zip(loaded) {
            self.refresh(file, loaded, changes);
        }
    }

    /// Records the new version of `file`; a broken one keeps its last good plan.
    fn refresh(
        &mut self,
        file: &ChatFile,
        loaded: Result<ChatPlan, Vec<plan::Diagnostic>>,
        changes: &mut Changes,
    ) {
        let (key, last_good, was_invalid) = match self.files.remove_entry(file.path.as_path()) {
            Some((key, state)) => (key, state.plan, state.invalid),
            None => (Arc::from(file.path.as_path()), None, false),
        };
        let state = match loaded {
            Ok(mut plan) => {
                if was_invalid {
                    if let Some(old) = &last_good {
                        self.forget_note(&old.id);
                    }
                }
                plan.source = Arc::clone(&key);
                tracing::info!(chat = %plan.id, file = %file.path.display(), "chat loaded");
                let plan = Arc::new(plan);
                changes.updated.push(Arc::clone(&plan));
                FileState {
                    stamp: file.stamp,
                    plan: Some(plan),
                    invalid: false,
                }
            }
            Err(diagnostics) => {
                for diagnostic in &diagnostics {
                    tracing::warn!("{diagnostic}");
                }
                if let Some(plan) = &last_good {
                    tracing::warn!(file = %file.path.display(), "keeping the last good version of this chat");
                    self.note(plan, &diagnostics);
                }
                FileState {
                    stamp: file.stamp,
                    plan: last_good,
                    invalid: true,
                }
            }
        };
        self.files.insert(key, state);
    }

    /// Notes `plan` as kept while its file does not load.
    fn note(&self, plan: &ChatPlan, diagnostics: &[plan::Diagnostic]) {
        let Some(notes) = &self.notes else { return };
        let problems = diagnostics.iter().map(ToString::to_string).collect();
        let note = super::last_good::note(plan, problems, jiff::Timestamp::now());
        if let Err(err) = super::last_good::write(notes, &note) {
            tracing::warn!(chat = %plan.id, "cannot note the last good version in {}: {err}", notes.display());
        }
    }

    fn forget_note(&self, chat: &str) {
        let Some(notes) = &self.notes else { return };
        if let Err(err) = super::last_good::remove(notes, chat) {
            tracing::warn!(%chat, "cannot remove the note in {}: {err}", notes.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: &str = "title: Reload\nhashtag: \"#reload\"\ntimezone: UTC\n\
        start: 2027-01-13 12:00\nquestions:\n  - First?\n";

    fn ids(plans: &[Arc<ChatPlan>]) -> Vec<String> {
        let mut ids: Vec<String> = plans.iter().map(|p| p.id.to_string()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn the_folder_agrees_with_check_on_what_a_chat_file_is() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.yaml", "a.yml", ".hidden.yaml", "B.YAML", "notes.txt"] {
            std::fs::write(dir.path().join(name), CHAT).unwrap();
        }
        let mut folder = ChatsFolder::new(dir.path());
        let found = folder.rescan();
        let changes = found.changes.unwrap();
        assert_eq!(ids(&changes.updated), ["B", "a"]);
        assert_eq!(found.invalid, 1, "a.yml has the id of a.yaml");
        let report = crate::plan::load_dir(dir.path());
        assert_eq!(report.plans.len(), 2);
        assert_eq!(report.errors.len(), 1);
        assert!(report.errors[0].path.ends_with("a.yml"));
    }

    #[test]
    fn a_rescan_reports_only_what_changed() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["one.yaml", "two.yaml", "three.yaml"] {
            std::fs::write(dir.path().join(name), CHAT).unwrap();
        }
        let mut folder = ChatsFolder::new(dir.path());
        assert_eq!(ids(&folder.rescan().changes.unwrap().updated).len(), 3);
        assert!(folder.rescan().changes.is_none(), "nothing changed");
        // A different size is a different stamp, whatever the clock says.
        std::fs::write(dir.path().join("two.yaml"), format!("{CHAT}  - Second?\n")).unwrap();
        std::fs::remove_file(dir.path().join("three.yaml")).unwrap();
        let changes = folder.rescan().changes.unwrap();
        assert_eq!(ids(&changes.updated), ["two"]);
        assert_eq!(changes.updated[0].questions.len(), 2);
        assert_eq!(changes.removed, [ChatId::from("three")]);
        // Broken: the last good plan stays, nothing changes for the timetable.
        std::fs::write(dir.path().join("one.yaml"), "title: [unclosed\n").unwrap();
        let found = folder.rescan();
        assert!(found.changes.is_none());
        assert_eq!(found.invalid, 1);
    }
}
