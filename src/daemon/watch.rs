//! Watching the chats folder, so a chat added or edited loads at once.
//!
//! The periodic rescan ([`super::reload`]) stays the ground truth: a
//! network mount or a container's bind mount may deliver no events at all,
//! and an event only ever *asks* for a rescan sooner (as SIGHUP does), so a
//! lost or doubled event changes nothing but when the rescan runs. Events
//! come from the `notify` crate (inotify on Linux), from the folder and the
//! folders in it. An editor's save is often several events (create, write,
//! rename); they are gathered for [`SETTLE`] before one rescan is asked for,
//! so a half-written file is seldom read.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::{Notify, mpsc};

/// How long a burst of events is gathered before the rescan is asked for.
pub const SETTLE: Duration = Duration::from_millis(150);

/// The watch on the folder; it ends when this is dropped.
pub struct FolderWatch {
    _watcher: notify::RecommendedWatcher,
    _forward: tokio::task::JoinHandle<()>,
}

/// Starts watching `dir`: every change notifies `reload`. `None` (logged
/// once, with the reason) when the folder cannot be watched; the periodic
/// rescan then picks changes up alone. Call inside the runtime.
pub fn watch(dir: &Path, reload: Arc<Notify>, rescan_every: Duration) -> Option<FolderWatch> {
    let (send, receive) = mpsc::unbounded_channel::<()>();
    let handler = move |event: notify::Result<notify::Event>| {
        // Reads (our own rescans open the files) change nothing; errors
        // (a full event queue) may hide a change, so they ask too.
        if event.is_ok_and(|e| matches!(e.kind, EventKind::Access(_))) {
            return;
        }
        // The receiver is gone only at shutdown.
        let _ = send.send(());
    };
    let started = notify::recommended_watcher(handler).and_then(|mut watcher| {
        watcher.watch(dir, RecursiveMode::Recursive)?;
        Ok(watcher)
    });
    match started {
        Ok(watcher) => {
            tracing::info!(folder = %dir.display(), "watching the chats folder for changes");
            Some(FolderWatch {
                _watcher: watcher,
                _forward: tokio::spawn(forward(receive, reload)),
            })
        }
        Err(err) => {
            tracing::warn!(
                folder = %dir.display(),
                "cannot watch the chats folder ({err}); changes are picked up by the rescan every {} s",
                rescan_every.as_secs()
            );
            None
        }
    }
}

/// One rescan request per burst of events.
async fn forward(mut events: mpsc::UnboundedReceiver<()>, reload: Arc<Notify>) {
    while events.recv().await.is_some() {
        tokio::time::sleep(SETTLE).await;
        while events.try_recv().is_ok() {}
        reload.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_new_file_asks_for_a_rescan_and_a_missing_folder_is_no_watch() {
        let dir = tempfile::tempdir().unwrap();
        let reload = Arc::new(Notify::new());
        let watch = watch(dir.path(), reload.clone(), Duration::from_secs(60));
        assert!(watch.is_some());
        let asked = reload.notified();
        std::fs::write(dir.path().join("new.yaml"), "title: x\n").unwrap();
        // Bounded so a regression fails instead of hanging; the assertion
        // is that the request came, not how fast.
        tokio::time::timeout(Duration::from_secs(30), asked)
            .await
            .expect("a rescan was asked for");
        let gone = dir.path().join("missing");
        assert!(super::watch(&gone, reload, Duration::from_secs(60)).is_none());
    }
}
