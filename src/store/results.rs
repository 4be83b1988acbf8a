//! Reading results for the chat pages, beside the daemon's writer.
//!
//! The pages must never slow the scheduler: they read on their own
//! read-only connection (WAL lets a reader and the writer work at once, and
//! a read-only connection never takes the write lock or migrates), and every
//! query has a bound, so a chat with years of history costs the same as a
//! new one.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use super::PostRecord;
use super::sql::{COLUMNS, row_to_record};

/// A read-only connection to `state_dir/state.db`.
#[derive(Debug)]
pub struct ResultsReader {
    conn: Connection,
}

impl ResultsReader {
    /// Opens the database read-only; `None` while it does not exist yet
    /// (nothing has been recorded, so there is nothing to show).
    pub fn open(state_dir: &Path) -> anyhow::Result<Option<ResultsReader>> {
        let path = state_dir.join(super::FILE_NAME);
        if !path.is_file() {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags)
            .with_context(|| format!("opening {} to read results", path.display()))?;
        conn.busy_timeout(Duration::from_millis(250))?;
        Ok(Some(ResultsReader { conn }))
    }

    /// The rows of `chat` whose occurrence (local start, `2026-12-02T12:00`)
    /// is `since` or later, newest occurrence first and in order of due time
    /// within one; at most `limit` rows.
    pub fn chat_results(
        &self,
        chat: &str,
        since: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<PostRecord>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM posts WHERE chat = ?1 AND occurrence >= ?2 \
             ORDER BY occurrence DESC, due, kind, n, account LIMIT ?3"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(rusqlite::params![chat, since, limit], row_to_record)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A value of the key-value table (the calendars' versions), read
    /// beside the writer rather than queued behind it.
    pub fn kv_get(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(super::sql::kv_get(&self.conn, key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::RemotePost;
    use crate::store::{Intent, Outcome, PostState, Store};

    fn intent(key: &str, occurrence: &str, due: &str) -> Intent {
        Intent {
            key: key.into(),
            chat: "hcsmbm".into(),
            occurrence: occurrence.into(),
            kind: "question".into(),
            n: Some(1),
            account: "console".into(),
            due: due.parse().unwrap(),
            missed: None,
        }
    }

    #[test]
    fn reads_recent_occurrences_newest_first_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ResultsReader::open(dir.path()).unwrap().is_none());
        let mut store = Store::open(dir.path()).unwrap();
        store
            .claim(&[
                intent("old", "2026-11-25T12:00", "2026-11-25T18:05:00Z"),
                intent("a", "2026-12-02T12:00", "2026-12-02T18:05:00Z"),
                intent("b", "2026-12-09T12:00", "2026-12-09T18:05:00Z"),
            ])
            .unwrap();
        let remote = RemotePost {
            id: "1".into(),
            cid: None,
            url: Some("https://example.test/1".into()),
        };
        store.record("a", &Outcome::Posted(remote)).unwrap();
        let reader = ResultsReader::open(dir.path()).unwrap().unwrap();
        let rows = reader
            .chat_results("hcsmbm", "2026-12-01T00:00", 10)
            .unwrap();
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["b", "a"]);
        assert_eq!(rows[1].state, PostState::Posted);
        assert_eq!(rows[0].state, PostState::Intent);
        let one = reader
            .chat_results("hcsmbm", "2026-01-01T00:00", 1)
            .unwrap();
        assert_eq!(one.len(), 1);
        assert!(reader.chat_results("other", "", 10).unwrap().is_empty());
    }
}
