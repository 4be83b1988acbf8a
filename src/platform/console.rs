//! Posts to the terminal and `state_dir/outbox.jsonl`.
//!
//! The console is the default account, so a fresh checkout's `tweetchat run`
//! shows something, and it is what rehearsals and tests watch. Each post is
//! printed as `[2026-12-02T18:05:00Z] console  Q1. … #hcsmbm` and appended to
//! the outbox as one JSON line written with a single `write` and synced, so a
//! `kill -9` never leaves half a line. [`Platform::reconcile`] looks the key up
//! in the outbox, which makes restarts exactly-once on the console too.
//!
//! A line can still be torn (a full disk, a crash on a file system that
//! splits the write): before the next append, a last line without its
//! newline is cut off ([`repair_tail`]), since its post never completed and
//! is in doubt anyway, so the new line never glues onto it. Lines older
//! than the retention are dropped by [`prune_outbox`] (a rewrite and an
//! atomic rename), and every outbox operation of the process holds one lock.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{FoundPost, Identity, OutgoingPost, Platform, PostError, RemotePost};
use crate::clock::Clock;
use crate::text::PlatformKind;

/// The outbox file inside `state_dir`.
pub const OUTBOX: &str = "outbox.jsonl";

/// One line of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub key: String,
    /// When the slot was due.
    pub at: Timestamp,
    /// When it was written.
    pub posted_at: Timestamp,
    pub text: String,
    /// The id of the post this one replies to.
    pub reply_to: Option<String>,
    /// The state database the daemon recorded it in, as its identity was
    /// when the line was written (lines from before identities have none).
    /// A start on a database that is not this one, or that is behind this
    /// write count, is recognised by it (`store::identity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<OutboxStore>,
}

/// A store's identity as an outbox line carries it: `{"id":"…","seq":12}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxStore {
    pub id: String,
    /// The store's write count when the line was written (its mirror's;
    /// the database itself is never behind it).
    pub seq: u64,
}

/// Reads the identity of the state the console's posts are recorded in
/// (given by the daemon, which knows the store; the console does not).
pub type StoreStamp = std::sync::Arc<dyn Fn() -> Option<OutboxStore> + Send + Sync>;

/// The console's record shared by replicas (the state database on
/// PostgreSQL, given by the daemon): each line under its key, so a post
/// one replica made is found by another that takes its key over. Called on
/// the blocking pool; `append` is durable when it returns.
pub trait SharedOutbox: Send + Sync {
    fn append(&self, entry: &OutboxEntry) -> anyhow::Result<()>;
    fn find(&self, key: &str) -> anyhow::Result<Option<OutboxEntry>>;
}

/// The console account.
#[derive(Clone)]
pub struct Console {
    account: String,
    outbox: PathBuf,
    clock: Clock,
    /// Set by `tweetchat rehearse`: see [`Console::rehearsal`].
    rehearsal: Option<jiff::tz::TimeZone>,
    /// Stamps each outbox line with the store's identity ([`Console::in_store`]).
    store: Option<StoreStamp>,
    /// The record shared by replicas ([`Console::shared`]).
    shared: Option<std::sync::Arc<dyn SharedOutbox>>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("account", &self.account)
            .field("outbox", &self.outbox)
            .field("stamped", &self.store.is_some())
            .field("shared", &self.shared.is_some())
            .finish()
    }
}

/// The participants a rehearsal's search "finds", so its thank-you reads as
/// the chat's own `thanks.text` with mentions filled in.
pub const SAMPLE_PARTICIPANTS: [&str; 3] = ["ana", "ben", "chloe"];

impl Console {
    /// Prints as `account` and appends to `state_dir/outbox.jsonl`.
    pub fn new(account: &str, state_dir: &Path, clock: Clock) -> Self {
        Self {
            account: account.to_string(),
            outbox: state_dir.join(OUTBOX),
            clock,
            rehearsal: None,
            store: None,
            shared: None,
        }
    }

    /// Each post is recorded in `shared` as well, before the outbox file,
    /// and looked up there when the file does not have it (replicas on
    /// PostgreSQL: the file is one machine's).
    pub fn shared(mut self, shared: std::sync::Arc<dyn SharedOutbox>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Each outbox line carries what `stamp` reads when it is written: the
    /// identity of the state database its post is recorded in.
    pub fn in_store(mut self, stamp: StoreStamp) -> Self {
        self.store = Some(stamp);
        self
    }

    /// A rehearsal's console: each post is printed with its time in the
    /// chat's zone `zone` as well as UTC, and the hashtag search answers
    /// with [`SAMPLE_PARTICIPANTS`].
    pub fn rehearsal(mut self, zone: jiff::tz::TimeZone) -> Self {
        self.rehearsal = Some(zone);
        self
    }

    pub fn outbox(&self) -> &Path {
        &self.outbox
    }
}

/// Every well-formed line of an outbox; a missing file is an empty outbox.
pub fn read_outbox(path: &Path) -> std::io::Result<Vec<OutboxEntry>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut entries = Vec::new();
    for line in BufReader::new(file).lines() {
        if let Ok(entry) = serde_json::from_str::<OutboxEntry>(&line?) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// Serializes the process's appends, repairs and prunes of outboxes.
static OUTBOX_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn append_line(path: &Path, entry: &OutboxEntry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    let _guard = OUTBOX_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut file = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)?;
    repair_tail(&mut file)?;
    file.write_all(&line)?;
    file.sync_data()
}

/// Cuts off a last line that lacks its newline (a torn write); `true` when
/// there was one.
pub fn repair_tail(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(false);
    }
    // Scan back in chunks for the end of the last whole line.
    let mut end = len - 1;
    let mut keep = 0;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(pos) = part.iter().rposition(|b| *b == b'\n') {
            keep = start + pos as u64 + 1;
            break;
        }
        end = start;
    }
    tracing::warn!(
        cut = len - keep,
        "the outbox's last line was torn (an interrupted write); cutting it off before appending"
    );
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(true)
}

/// Drops outbox lines posted before `before` (rewrite, fsync, rename);
/// returns how many went.
pub fn prune_outbox(path: &Path, before: Timestamp) -> std::io::Result<usize> {
    let _guard = OUTBOX_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    let mut kept = String::with_capacity(text.len());
    let mut dropped = 0;
    for line in text.split_inclusive('\n') {
        let old = serde_json::from_str::<OutboxEntry>(line.trim_end())
            .is_ok_and(|entry| entry.posted_at < before);
        if old || !line.ends_with('\n') {
            dropped += 1;
        } else {
            kept.push_str(line);
        }
    }
    if dropped == 0 {
        return Ok(0);
    }
    let tmp = path.with_extension("jsonl.tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(kept.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(dropped)
}

fn print_post(account: &str, due: Timestamp, zone: Option<&jiff::tz::TimeZone>, text: &str) {
    let local = zone.map_or_else(String::new, |tz| {
        let there = due.to_zoned(tz.clone());
        format!(
            " {} {}",
            there.strftime("%a %H:%M:%S"),
            crate::schedule::times::zone_label(&there)
        )
    });
    let line = format!(
        "[{}{local}] {account}  {text}\n",
        due.strftime("%Y-%m-%dT%H:%M:%SZ")
    );
    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop the daemon; the outbox is the record.
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}

#[async_trait]
impl Platform for Console {
    fn kind(&self) -> PlatformKind {
        PlatformKind::Console
    }

    async fn whoami(&self) -> Result<Identity, PostError> {
        Ok(Identity {
            id: "console".into(),
            username: "console".into(),
            display_name: None,
        })
    }

    async fn post(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
        let entry = OutboxEntry {
            key: post.key.to_string(),
            at: post.due,
            posted_at: self.clock.now(),
            text: post.text.to_string(),
            reply_to: post.reply_to.map(|r| r.id.clone()),
            store: None,
        };
        let path = self.outbox.clone();
        let stamp = self.store.clone();
        let shared = self.shared.clone();
        let written = tokio::task::spawn_blocking(move || {
            let mut entry = entry;
            entry.store = stamp.and_then(|read| read());
            if let Some(shared) = &shared {
                shared
                    .append(&entry)
                    .map_err(|err| std::io::Error::other(format!("{err:#}")))?;
            }
            append_line(&path, &entry)
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                return Err(PostError::Transient(format!(
                    "appending to {}: {err}",
                    self.outbox.display()
                )));
            }
            Err(err) => return Err(PostError::Transient(format!("writing the outbox: {err}"))),
        }
        print_post(&self.account, post.due, self.rehearsal.as_ref(), post.text);
        Ok(RemotePost {
            id: post.key.to_string(),
            cid: None,
            url: None,
        })
    }

    async fn reconcile(&self, post: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError> {
        let path = self.outbox.clone();
        let entries = tokio::task::spawn_blocking(move || read_outbox(&path))
            .await
            .map_err(|err| PostError::Transient(format!("reading the outbox: {err}")))?
            .map_err(|err| {
                PostError::Transient(format!("reading {}: {err}", self.outbox.display()))
            })?;
        let mut found = entries.iter().any(|entry| entry.key == post.key);
        if let (false, Some(shared)) = (found, self.shared.clone()) {
            let key = post.key.to_string();
            found = tokio::task::spawn_blocking(move || shared.find(&key))
                .await
                .map_err(|err| PostError::Transient(format!("reading the shared outbox: {err}")))?
                .map_err(|err| PostError::Transient(format!("reading the shared outbox: {err:#}")))?
                .is_some();
        }
        Ok(found.then(|| RemotePost {
            id: post.key.to_string(),
            cid: None,
            url: None,
        }))
    }

    async fn search(
        &self,
        hashtag: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<FoundPost>, PostError> {
        if self.rehearsal.is_none() {
            return Ok(Vec::new());
        }
        let at = since
            .checked_add(jiff::SignedDuration::from_mins(6))
            .unwrap_or(since)
            .min(until);
        Ok((1..)
            .zip(SAMPLE_PARTICIPANTS)
            .map(|(i, name)| FoundPost {
                id: format!("sample-{i}"),
                author_id: format!("sample-{name}"),
                author_username: name.to_string(),
                author_name: None,
                text: format!("A1 a sample answer {hashtag}"),
                created_at: at,
                in_reply_to: None,
                url: None,
                is_repost: false,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing<'a>(
        key: &'a str,
        text: &'a str,
        reply_to: Option<&'a RemotePost>,
    ) -> OutgoingPost<'a> {
        OutgoingPost {
            key,
            text,
            reply_to,
            thread_root: reply_to,
            due: "2026-12-02T18:05:00Z".parse().unwrap(),
            window_end: "2026-12-02T18:15:00Z".parse().unwrap(),
            audience: &crate::platform::Audience::DEFAULT,
        }
    }

    #[tokio::test]
    async fn posts_append_one_line_each_and_reconcile_finds_them() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::starting_at("2026-12-02T18:05:01Z".parse().unwrap());
        let console = Console::new("console", dir.path(), clock);
        let post = outgoing("c/2026-12-02T12:00/welcome/console", "Welcome #c", None);
        assert_eq!(console.reconcile(&post).await.unwrap(), None);
        let welcome = console.post(&post).await.unwrap();
        let q1 = outgoing(
            "c/2026-12-02T12:00/question1/console",
            "Q1. Hi #c",
            Some(&welcome),
        );
        console.post(&q1).await.unwrap();

        let entries = read_outbox(console.outbox()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].text, "Q1. Hi #c");
        assert_eq!(entries[1].reply_to.as_deref(), Some(welcome.id.as_str()));
        assert_eq!(
            entries[0].at,
            "2026-12-02T18:05:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(console.reconcile(&post).await.unwrap(), Some(welcome));
        assert_eq!(entries[0].store, None, "no store given, none written");
    }

    #[tokio::test]
    async fn each_line_carries_the_store_it_is_recorded_in() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::starting_at("2026-12-02T18:05:01Z".parse().unwrap());
        let seq = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(7));
        let counter = std::sync::Arc::clone(&seq);
        let console =
            Console::new("console", dir.path(), clock).in_store(std::sync::Arc::new(move || {
                Some(OutboxStore {
                    id: "abc".into(),
                    seq: counter.load(std::sync::atomic::Ordering::SeqCst),
                })
            }));
        console
            .post(&outgoing(
                "c/2026-12-02T12:00/welcome/console",
                "Hi #c",
                None,
            ))
            .await
            .unwrap();
        seq.store(9, std::sync::atomic::Ordering::SeqCst);
        console
            .post(&outgoing(
                "c/2026-12-02T12:00/wrapup/console",
                "Bye #c",
                None,
            ))
            .await
            .unwrap();
        let text = std::fs::read_to_string(console.outbox()).unwrap();
        assert!(text.contains(r#""store":{"id":"abc","seq":7}"#), "{text}");
        let entries = read_outbox(console.outbox()).unwrap();
        let seqs: Vec<u64> = entries
            .iter()
            .filter_map(|e| e.store.as_ref())
            .map(|s| s.seq)
            .collect();
        assert_eq!(seqs, [7, 9]);
    }

    #[test]
    fn a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OUTBOX);
        let entry = OutboxEntry {
            key: "k".into(),
            at: Timestamp::UNIX_EPOCH,
            posted_at: Timestamp::UNIX_EPOCH,
            text: "t".into(),
            reply_to: None,
            store: None,
        };
        append_line(&path, &entry).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"key\":\"half").unwrap();
        assert_eq!(read_outbox(&path).unwrap(), vec![entry]);
    }

    fn entry(key: &str, posted_at: &str) -> OutboxEntry {
        OutboxEntry {
            key: key.into(),
            at: posted_at.parse().unwrap(),
            posted_at: posted_at.parse().unwrap(),
            text: "t".into(),
            reply_to: None,
            store: None,
        }
    }

    #[test]
    fn a_torn_last_line_is_cut_before_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OUTBOX);
        let first = entry("a", "2026-12-02T18:00:00Z");
        append_line(&path, &first).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"key\":\"half").unwrap();
        let second = entry("b", "2026-12-02T18:05:00Z");
        append_line(&path, &second).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert_eq!(read_outbox(&path).unwrap(), vec![first, second]);
        // A file that is one torn line only is emptied.
        std::fs::write(&path, b"{\"key\":").unwrap();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        assert!(repair_tail(&mut file).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(!repair_tail(&mut file).unwrap());
    }

    #[test]
    fn pruning_drops_old_lines_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OUTBOX);
        let old = entry("old", "2026-08-01T18:00:00Z");
        let new = entry("new", "2026-12-01T18:00:00Z");
        append_line(&path, &old).unwrap();
        append_line(&path, &new).unwrap();
        let before: Timestamp = "2026-09-01T00:00:00Z".parse().unwrap();
        assert_eq!(prune_outbox(&path, before).unwrap(), 1);
        assert_eq!(read_outbox(&path).unwrap(), vec![new]);
        assert_eq!(prune_outbox(&path, before).unwrap(), 0);
        assert_eq!(prune_outbox(&dir.path().join("none"), before).unwrap(), 0);
    }
}
