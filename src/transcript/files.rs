//! Where transcripts live and how they are written.
//!
//! `state_dir/transcripts/CHAT/DATE.{json,md,html}` plus the capture they
//! were built from, `DATE.posts.json`. Each file is written to a temporary
//! sibling, flushed, and renamed over the old one, so a crash or a reader
//! never sees half a page.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use jiff::civil;

use super::capture::Capture;
use super::model::Transcript;
use super::{html, markdown};

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

/// The files one transcript was written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub json: PathBuf,
    pub markdown: PathBuf,
    pub html: PathBuf,
}

/// Saves what a transcript is built from, beside it.
pub fn write_capture(state_dir: &Path, capture: &Capture) -> anyhow::Result<PathBuf> {
    let path = capture_path(state_dir, &capture.chat, capture.date()?)?;
    let json = serde_json::to_vec_pretty(capture).context("cannot serialize the capture")?;
    write_atomically(&path, &json)?;
    Ok(path)
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

/// After an occurrence: saves `capture` (so the pages can be rebuilt without
/// searching again), builds its transcript and writes the pages. The daemon's
/// one call once the search is in.
pub fn publish(state_dir: &Path, capture: &Capture) -> anyhow::Result<(Transcript, Written)> {
    write_capture(state_dir, capture)?;
    let transcript = Transcript::build(capture)?;
    let written = write(state_dir, &transcript)?;
    Ok((transcript, written))
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
