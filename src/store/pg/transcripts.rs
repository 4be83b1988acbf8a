//! Transcripts in PostgreSQL: one row per chat and date holding what the
//! SQLite store keeps as files (`state_dir/transcripts/CHAT/DATE.*`).
//!
//! With several replicas, the replica that thanked on X and the one that
//! thanked on Bluesky may differ, and the page may be asked of a third:
//! the files would be split between their disks. Here every replica reads
//! and writes the same row. The store keeps the texts as they are given
//! (it knows nothing of captures or pages, which live above it, in
//! [`crate::transcript`]); a writer that read `version` N writes only while
//! the row is still at N ([`PgStore::put_transcript`]), so two replicas
//! merging their networks' searches at the same moment take turns instead
//! of one erasing the other's.

use super::{PgStore, now_ms};

/// One occurrence's transcript as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TranscriptRow {
    /// The saved searches (`DATE.posts.json`).
    pub captures: String,
    /// The transcript as JSON, Markdown and HTML; `None` until built.
    pub json: Option<String>,
    pub markdown: Option<String>,
    pub html: Option<String>,
}

/// A row with the version it was read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub version: i64,
    pub row: TranscriptRow,
}

impl PgStore {
    /// The transcript of `chat` on `date` (`YYYY-MM-DD`), if one was saved.
    pub async fn transcript(&self, chat: &str, date: &str) -> anyhow::Result<Option<Versioned>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT version, captures, json, markdown, html FROM transcripts \
                 WHERE chat = $1 AND date = $2",
                &[&chat, &date],
            )
            .await?;
        Ok(row.map(|row| Versioned {
            version: row.get(0),
            row: TranscriptRow {
                captures: row.get(1),
                json: row.get(2),
                markdown: row.get(3),
                html: row.get(4),
            },
        }))
    }

    /// Writes the transcript of `chat` on `date`, only if the row is still
    /// at `expected` (`None`: only if there is none yet). `false` when
    /// another writer came first: read again, merge, try again.
    pub async fn put_transcript(
        &self,
        chat: &str,
        date: &str,
        expected: Option<i64>,
        row: &TranscriptRow,
    ) -> anyhow::Result<bool> {
        let client = self.client().await?;
        let changed = match expected {
            None => {
                client
                    .execute(
                        "INSERT INTO transcripts (chat, date, captures, json, markdown, html, \
                         version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 1, $7) \
                         ON CONFLICT (chat, date) DO NOTHING",
                        &[
                            &chat,
                            &date,
                            &row.captures,
                            &row.json,
                            &row.markdown,
                            &row.html,
                            &now_ms(),
                        ],
                    )
                    .await?
            }
            Some(version) => {
                client
                    .execute(
                        "UPDATE transcripts SET captures = $3, json = $4, markdown = $5, \
                         html = $6, version = version + 1, updated_at = $7 \
                         WHERE chat = $1 AND date = $2 AND version = $8",
                        &[
                            &chat,
                            &date,
                            &row.captures,
                            &row.json,
                            &row.markdown,
                            &row.html,
                            &now_ms(),
                            &version,
                        ],
                    )
                    .await?
            }
        };
        Ok(changed == 1)
    }

    /// The transcript page of `chat` on `date`, if one was built.
    pub async fn transcript_html(&self, chat: &str, date: &str) -> anyhow::Result<Option<String>> {
        self.one_text(
            "SELECT html FROM transcripts WHERE chat = $1 AND date = $2",
            &[&chat, &date],
        )
        .await
    }

    /// The dates (`YYYY-MM-DD`) from `since` on that have a transcript page,
    /// newest first; at most `limit`.
    pub async fn transcript_dates(
        &self,
        chat: &str,
        since: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<String>> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = client
            .query(
                "SELECT date FROM transcripts WHERE chat = $1 AND date >= $2 \
                 AND html IS NOT NULL ORDER BY date DESC LIMIT $3",
                &[&chat, &since, &limit],
            )
            .await?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// The newest date of `chat` with saved searches.
    pub async fn latest_transcript_date(&self, chat: &str) -> anyhow::Result<Option<String>> {
        self.one_text(
            "SELECT max(date) FROM transcripts WHERE chat = $1",
            &[&chat],
        )
        .await
    }

    /// The first column of the one row `sql` finds, when there is one and
    /// it is not NULL.
    async fn one_text(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> anyhow::Result<Option<String>> {
        let client = self.client().await?;
        let row = client.query_opt(sql, params).await?;
        Ok(row.and_then(|row| row.get(0)))
    }

    /// Adds a transcript copied from SQLite's files (`store migrate`),
    /// leaving one already there alone; `true` when it was added.
    pub async fn import_transcript(
        &self,
        chat: &str,
        date: &str,
        row: &TranscriptRow,
    ) -> anyhow::Result<bool> {
        self.put_transcript(chat, date, None, row).await
    }
}
