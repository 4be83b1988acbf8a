//! Reading a secret from a file (`access_token_file = "/run/secrets/x"`)
//! without trusting what the path names.
//!
//! A path can name a FIFO (whose read waits for a writer forever and hung
//! `check` and `run`), `/dev/zero` (read until memory ran out) or a
//! 200 MB file by mistake. So only a regular file is read, at most
//! [`MAX_SECRET_BYTES`], and the read itself runs on a thread of its own
//! that is given up after [`READ_TIMEOUT`] (a network mount that stopped
//! answering): start-up fails with a message instead of hanging.
//!
//! Every secret, inline or from a file, loses its trailing line breaks
//! (`\n`, `\r\n`) and nothing else: `echo token > file` and an environment
//! variable set from `$(cat file)` give the same value ([`trim_secret`]).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// The largest secret file read; tokens and keys are a few hundred bytes.
pub const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// How long reading one secret file may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The value of a secret as written, less its trailing line breaks.
pub fn trim_secret(value: &str) -> &str {
    value.trim_end_matches(['\n', '\r'])
}

/// The text of the secret file at `path`, or why it cannot be used (never
/// quoting the content). The trailing line breaks are trimmed.
pub fn read(path: &Path) -> Result<String, String> {
    read_within(path, READ_TIMEOUT)
}

fn read_within(path: &Path, timeout: Duration) -> Result<String, String> {
    let shown = path.display().to_string();
    // Looked at before it is opened: opening a FIFO already waits.
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read secret file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "secret file {shown} is {}, not a regular file; point at a file that holds the secret",
            kind(&meta)
        ));
    }
    if meta.len() > MAX_SECRET_BYTES {
        return Err(too_big(&shown, meta.len()));
    }
    let (send, receive) = mpsc::channel();
    let owned: PathBuf = path.to_path_buf();
    std::thread::Builder::new()
        .name("secret-file".into())
        .spawn(move || {
            // The receiver may be gone after a timeout; nothing to tell then.
            let _ = send.send(read_capped(&owned));
        })
        .map_err(|e| format!("cannot read secret file {shown}: {e}"))?;
    let bytes = match receive.recv_timeout(timeout) {
        Ok(read) => read.map_err(|e| format!("cannot read secret file {shown}: {e}"))?,
        Err(_) => {
            return Err(format!(
                "reading secret file {shown} took longer than {} s; check that it is a local file",
                timeout.as_secs()
            ));
        }
    };
    if bytes.len() as u64 > MAX_SECRET_BYTES {
        return Err(too_big(&shown, bytes.len() as u64));
    }
    let text =
        String::from_utf8(bytes).map_err(|_| format!("secret file {shown} is not UTF-8 text"))?;
    Ok(trim_secret(&text).to_string())
}

/// At most one byte past the limit, from a handle that is itself checked
/// to be a regular file (the path may have changed since it was looked at).
fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn too_big(shown: &str, size: u64) -> String {
    format!(
        "secret file {shown} is {size} bytes, over the limit of {MAX_SECRET_BYTES} (64 KiB); point at the file that holds only the secret"
    )
}

/// What a path that is not a regular file is, in words.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a named pipe (FIFO)"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_line_breaks_go_and_nothing_else() {
        assert_eq!(trim_secret("token\n"), "token");
        assert_eq!(trim_secret("token\r\n\n"), "token");
        assert_eq!(trim_secret(" token "), " token ");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "hunter2\r\n").unwrap();
        assert_eq!(read(&path).unwrap(), "hunter2");
    }

    #[test]
    fn a_secret_over_64_kib_is_refused_with_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'a'; 70_000]).unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            err.contains("is 70000 bytes, over the limit of 65536"),
            "{err}"
        );
        assert!(!err.contains("aaaa"), "{err}");
    }

    #[test]
    fn dev_zero_and_a_folder_are_refused() {
        let err = read(Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.contains("/dev/zero is a character device, not a regular file"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(err.contains("is a folder"), "{err}");
    }
}
