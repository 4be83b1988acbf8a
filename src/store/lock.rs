//! One daemon per state folder.
//!
//! Two `tweetchat run` on one state folder (a compose restart that
//! overlaps, systemd plus a manual run) would both claim and post the same
//! slots, and fight over the database's write lock at every instant. So
//! `run` takes an exclusive advisory lock (`flock`) on `daemon.lock` in the
//! state folder before it opens anything else, and holds it until the
//! process ends; the kernel lets go of it when the process dies, even by
//! `kill -9`, so a crash never leaves a stale lock behind. The file holds
//! the owner's PID so the second daemon can say who is in the way.
//!
//! `status`, `transcript`, `plan` and `auth` never take it: they work
//! beside a running daemon.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fd_lock::RwLock;

/// The lock file inside `state_dir`.
pub const LOCK_FILE: &str = "daemon.lock";

/// Held while the daemon runs; dropping it (or the process ending)
/// releases the folder.
#[derive(Debug)]
pub struct StateLock {
    // The guard is forgotten on purpose: the lock lasts as long as the
    // open file, which this keeps.
    _file: RwLock<File>,
    path: PathBuf,
}

impl StateLock {
    /// Takes the folder's lock without waiting; when another process holds
    /// it, fails at once naming that process.
    pub fn acquire(state_dir: &Path) -> anyhow::Result<StateLock> {
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("creating the state folder {}", state_dir.display()))?;
        let path = state_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        let mut lock = RwLock::new(file);
        match lock.try_write() {
            Ok(mut guard) => {
                write_pid(&mut guard).with_context(|| {
                    format!("writing this daemon's PID into {}", path.display())
                })?;
                std::mem::forget(guard);
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                let owner = holder(&path);
                bail!(
                    "another tweetchat daemon{owner} already runs on the state folder {}: \
                     stop it first, or give this one its own folder with --state",
                    state_dir.display()
                );
            }
            Err(err) => {
                return Err(err).with_context(|| format!("locking {}", path.display()));
            }
        }
        Ok(StateLock { _file: lock, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_all()
}

/// " (PID 1234)" from the lock file, or nothing when it cannot be read.
fn holder(path: &Path) -> String {
    let mut text = String::new();
    let read = File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    match read.ok().and_then(|_| text.trim().parse::<u32>().ok()) {
        Some(pid) => format!(" (PID {pid})"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_folder_names_the_first_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path()).unwrap();
        let err = StateLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains("another tweetchat daemon"), "{err}");
        assert!(
            err.contains(&format!("(PID {})", std::process::id())),
            "{err}"
        );
        drop(first);
        StateLock::acquire(dir.path()).unwrap();
    }
}
