//! Where transcripts live and how they are written.
//!
//! `state_dir/transcripts/CHAT/DATE.{json,md,html}` plus the capture they
//! were built from, `DATE.posts.json`. Each file is written to a temporary
//! sibling, flushed, and renamed over the old one, so a crash or a reader
//! never sees half a page.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use jiff::civil;

use super::capture::Capture;
use super::model::Transcript;
use super::{html, markdown};
use crate::text::PlatformKind;

/// `state_dir/transcripts/CHAT`; see [`check_chat_id`].
pub fn chat_dir(state_dir: &Path, chat: &str) -> anyhow::Result<PathBuf> {
    check_chat_id(chat)?;
    Ok(state_dir.join("transcripts").join(chat))
}

/// A chat id names files: it must be a plain file name, so a command line
/// argument cannot reach outside the folders it is joined to.
pub fn check_chat_id(chat: &str) -> anyhow::Result<()> {
    let plain =
        !chat.is_empty() && chat != "." && chat != ".." && !chat.contains(['/', '\\', '\0']);
    if !plain {
        bail!("chat id `{chat}` is not a plain name, expected a chat file name without .yaml");
    }
    Ok(())
}

/// `state_dir/transcripts/CHAT/DATE.posts.json`.
pub fn capture_path(state_dir: &Path, chat: &str, date: civil::Date) -> anyhow::Result<PathBuf> {
    Ok(chat_dir(state_dir, chat)?.join(format!("{date}.posts.json")))
}

/// The dates from `since` on that have a transcript page
/// (`DATE.html`) in `state_dir/transcripts/CHAT`; none when the folder
/// does not exist yet.
pub fn page_dates(
    state_dir: &Path,
    chat: &str,
    since: civil::Date,
) -> anyhow::Result<std::collections::BTreeSet<civil::Date>> {
    let dir = chat_dir(state_dir, chat)?;
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", dir.display())),
    };
    Ok(entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".html")?.parse::<civil::Date>().ok()
        })
        .filter(|date| *date >= since)
        .collect())
}

/// The files one transcript was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub json: PathBuf,
    pub markdown: PathBuf,
    pub html: PathBuf,
}

/// Saves what a transcript is built from, beside it: one network's
/// capture as an object, several as an array ([`Capture::load_all`]).
pub fn write_capture(state_dir: &Path, capture: &Capture) -> anyhow::Result<PathBuf> {
    write_captures(state_dir, std::slice::from_ref(capture))
}

fn write_captures(state_dir: &Path, captures: &[Capture]) -> anyhow::Result<PathBuf> {
    let first = captures.first().context("no capture to save")?;
    let path = capture_path(state_dir, &first.chat, first.date()?)?;
    write_atomically(&path, captures_json(captures)?.as_bytes())?;
    Ok(path)
}

/// The saved form of an occurrence's captures: one network's as an object
/// (as files were before transcripts merged networks), several as an array.
pub fn captures_json(captures: &[Capture]) -> anyhow::Result<String> {
    match captures {
        [one] => serde_json::to_string_pretty(one),
        several => serde_json::to_string_pretty(several),
    }
    .context("cannot serialize the capture")
}

/// `captures` with `capture` in: replacing an earlier search of the same
/// network and account, dropping another occurrence's on the same date,
/// in network order.
pub fn merge_capture(captures: &mut Vec<Capture>, capture: &Capture) {
    // Another occurrence on the same date is not this one's: replaced.
    captures.retain(|c| c.starts == capture.starts && !c.same_search(capture));
    captures.push(capture.clone());
    captures.sort_by_key(|c| network_order(c.platform));
}

/// Writes `DATE.json`, `DATE.md` and `DATE.html` for `transcript`.
pub fn write(state_dir: &Path, transcript: &Transcript) -> anyhow::Result<Written> {
    let dir = chat_dir(state_dir, &transcript.chat)?;
    let stem = transcript.date.to_string();
    let written = Written {
        json: dir.join(format!("{stem}.json")),
        markdown: dir.join(format!("{stem}.md")),
        html: dir.join(format!("{stem}.html")),
    };
    let json = serde_json::to_vec_pretty(transcript).context("cannot serialize the transcript")?;
    write_atomically(&written.json, &json)?;
    write_atomically(&written.markdown, markdown::render(transcript).as_bytes())?;
    write_atomically(&written.html, html::render(transcript).as_bytes())?;
    Ok(written)
}

/// Serializes [`publish`]: every account of a chat finishes its search at
/// about the same time, and each must merge with what the others saved, not
/// with what they saved before it read. One daemon per state folder (its
/// lock), so a lock in the process is enough.
static PUBLISHING: Mutex<()> = Mutex::new(());

/// After one network's search of an occurrence: saves `capture` beside the
/// other networks' captures of the same occurrence (replacing an earlier
/// search of the same account), so the pages can be rebuilt without
/// searching again, then builds the transcript of all of them, merged, and
/// writes the pages. The daemon's one call per account once its search is
/// in; `tweetchat transcript --refetch` calls it too.
pub fn publish(state_dir: &Path, capture: &Capture) -> anyhow::Result<(Transcript, Written)> {
    let _serialized = PUBLISHING.lock().unwrap_or_else(|e| e.into_inner());
    let path = capture_path(state_dir, &capture.chat, capture.date()?)?;
    let mut captures = if path.exists() {
        Capture::load_all(&path)?
    } else {
        Vec::new()
    };
    merge_capture(&mut captures, capture);
    write_captures(state_dir, &captures)?;
    let transcript = Transcript::merge(&captures)?;
    let written = write(state_dir, &transcript)?;
    Ok((transcript, written))
}

/// The order networks appear in a merged transcript, whichever finished
/// its search first: X, Mastodon, Bluesky.
fn network_order(network: PlatformKind) -> u8 {
    match network {
        PlatformKind::X => 0,
        PlatformKind::Mastodon => 1,
        PlatformKind::Bluesky => 2,
        PlatformKind::Console => 3,
    }
}

/// Writes `bytes` to `path` through a temporary sibling and a rename,
/// creating the folder if needed.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .with_context(|| format!("{} has no parent folder", path.display()))?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("transcript");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_files_whole_and_leaves_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/2026-12-02.md");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["2026-12-02.md"]);
    }

    #[test]
    fn publish_saves_the_capture_beside_the_pages() {
        let state = tempfile::tempdir().unwrap();
        let data = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/transcript/2026-12-02.posts.json");
        let capture = Capture::load(&data).unwrap();
        let (transcript, written) = publish(state.path(), &capture).unwrap();
        let dir = state.path().join("transcripts/hcsmbm");
        assert_eq!(written.html, dir.join("2026-12-02.html"));
        assert_eq!(
            Capture::load(&dir.join("2026-12-02.posts.json")).unwrap(),
            capture
        );
        let json = std::fs::read(&written.json).unwrap();
        assert_eq!(
            serde_json::from_slice::<Transcript>(&json).unwrap(),
            transcript
        );
        assert!(written.markdown.is_file());
    }

    /// Each network's thanks job publishes its own search; the saved file
    /// and the pages hold every network, and a second search of one
    /// network replaces its first.
    #[test]
    fn publishing_each_network_merges_them() {
        let state = tempfile::tempdir().unwrap();
        let data = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/transcript/2026-12-02.posts.json");
        let x = Capture::load(&data).unwrap();
        let mut bluesky = x.clone();
        bluesky.platform = PlatformKind::Bluesky;
        bluesky.host.id = "did:plc:host".into();
        for post in &mut bluesky.posts {
            post.url = Some(format!(
                "https://bsky.app/profile/{}/post/{}",
                post.author_username, post.id
            ));
            post.id = format!("at://{}/app.bsky.feed.post/{}", post.author_id, post.id);
        }
        for q in &mut bluesky.questions {
            q.post = None;
        }
        // Bluesky's search is in first; then X's, then X's again.
        let (alone, _) = publish(state.path(), &bluesky).unwrap();
        assert_eq!(alone.networks(), [PlatformKind::Bluesky]);
        publish(state.path(), &x).unwrap();
        let (merged, written) = publish(state.path(), &x).unwrap();
        let saved = capture_path(state.path(), "hcsmbm", merged.date).unwrap();
        let captures = Capture::load_all(&saved).unwrap();
        assert_eq!(captures, [x.clone(), bluesky.clone()], "X first, once each");
        assert_eq!(merged, Transcript::merge(&captures).unwrap());
        assert_eq!(merged.networks(), [PlatformKind::X, PlatformKind::Bluesky]);
        let one = Transcript::build(&x).unwrap();
        // Without the host's Bluesky records, its question posts found by the
        // search are conversation there.
        assert_eq!(
            merged.entries().count(),
            2 * one.entries().count() + one.questions.len()
        );
        let page = std::fs::read_to_string(&written.html).unwrap();
        assert!(page.contains("<span class=\"network\">Bluesky</span>"));
        let md = std::fs::read_to_string(&written.markdown).unwrap();
        assert!(md.contains(" · Bluesky  \n"), "{md}");
        assert!(md.contains(" · X  \n"));

        // Another occurrence on the same date replaces them all.
        let mut later = x.clone();
        later.starts = later
            .starts
            .checked_add(jiff::SignedDuration::from_hours(2))
            .unwrap();
        let (replaced, _) = publish(state.path(), &later).unwrap();
        assert_eq!(replaced.networks(), [PlatformKind::X]);
        assert_eq!(Capture::load_all(&saved).unwrap(), [later.clone()]);
        // One network's file is one object, as before.
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
        assert!(raw.is_object());
    }

    #[test]
    fn chat_ids_cannot_leave_the_transcripts_folder() {
        let state = Path::new("state");
        for bad in ["", ".", "..", "../etc", "a/b", "a\\b"] {
            let err = chat_dir(state, bad).unwrap_err().to_string();
            assert!(err.contains("not a plain name"), "{bad:?}: {err}");
        }
        assert_eq!(
            chat_dir(state, "hcsmbm").unwrap(),
            Path::new("state/transcripts/hcsmbm")
        );
    }
}
