//! Transcripts kept in the shared PostgreSQL store (`[store] url`).
//!
//! On one server the transcripts are files in `state_dir/transcripts`
//! ([`super::files`]). Replicas share no disk: the replica that thanked on
//! X, the one that thanked on Bluesky and the one a reader's request
//! reaches may all differ. So with PostgreSQL the same things (the saved
//! searches and the JSON, Markdown and HTML built from them) are one row
//! per chat and date ([`crate::store::pg::transcripts`]), and every replica
//! and every command reads and writes that row.
//!
//! Each network's thanks job publishes its own search; two of them may
//! finish at the same moment on two replicas. [`publish`] reads the row,
//! merges its search in and writes only if nobody wrote in between; if
//! somebody did, it reads again and merges again, so no network's search
//! is lost to a race.

use anyhow::{Context, bail};
use jiff::civil;

use super::capture::Capture;
use super::files::{captures_json, merge_capture};
use super::model::Transcript;
use super::{html, markdown};
use crate::store::PgStore;
use crate::store::pg::transcripts::{TranscriptRow, Versioned};

/// Read-merge-write rounds before giving up: each lost round means another
/// replica wrote, and there are at most as many writers as networks.
const ROUNDS: usize = 8;

/// Saves `capture` beside the other networks' searches of its occurrence,
/// and the transcript of all of them merged; the database's
/// [`super::publish`].
pub async fn publish(pg: &PgStore, capture: &Capture) -> anyhow::Result<Transcript> {
    let date = capture.date()?.to_string();
    for _ in 0..ROUNDS {
        let saved = pg.transcript(&capture.chat, &date).await?;
        let mut captures = match &saved {
            Some(saved) => parse(&capture.chat, &date, saved)?,
            None => Vec::new(),
        };
        merge_capture(&mut captures, capture);
        let transcript = Transcript::merge(&captures)?;
        let row = render(&captures, &transcript)?;
        let version = saved.map(|saved| saved.version);
        if pg
            .put_transcript(&capture.chat, &date, version, &row)
            .await?
        {
            return Ok(transcript);
        }
    }
    bail!(
        "the transcript of {} on {date} kept changing under this replica ({ROUNDS} tries): \
         rebuild it with `tweetchat transcript {}`",
        capture.chat,
        capture.chat
    )
}

/// The searches saved for `chat` on `date` (the newest date when `None`),
/// with that date; `None` when there are none.
pub async fn saved(
    pg: &PgStore,
    chat: &str,
    date: Option<civil::Date>,
) -> anyhow::Result<Option<(civil::Date, Vec<Capture>)>> {
    let date = match date {
        Some(date) => date.to_string(),
        None => match pg.latest_transcript_date(chat).await? {
            Some(date) => date,
            None => return Ok(None),
        },
    };
    let Some(saved) = pg.transcript(chat, &date).await? else {
        return Ok(None);
    };
    let captures = parse(chat, &date, &saved)?;
    let date = date
        .parse()
        .with_context(|| format!("the state database holds a transcript dated `{date}`"))?;
    Ok(Some((date, captures)))
}

/// Builds the transcript of `chat` on `date` (the newest when `None`) again
/// from its saved searches and stores the pages; `None` when nothing was
/// saved for it.
pub async fn rebuild(
    pg: &PgStore,
    chat: &str,
    date: Option<civil::Date>,
) -> anyhow::Result<Option<(Vec<Capture>, Transcript)>> {
    for _ in 0..ROUNDS {
        let Some((date, _)) = saved(pg, chat, date).await? else {
            return Ok(None);
        };
        let date = date.to_string();
        let Some(saved) = pg.transcript(chat, &date).await? else {
            return Ok(None);
        };
        let captures = parse(chat, &date, &saved)?;
        let transcript = Transcript::merge(&captures)?;
        let row = render(&captures, &transcript)?;
        if pg
            .put_transcript(chat, &date, Some(saved.version), &row)
            .await?
        {
            return Ok(Some((captures, transcript)));
        }
    }
    bail!("the transcript of {chat} kept changing while it was rebuilt ({ROUNDS} tries)")
}

fn parse(chat: &str, date: &str, saved: &Versioned) -> anyhow::Result<Vec<Capture>> {
    Capture::parse_all(
        saved.row.captures.as_bytes(),
        &format!("the saved search of {chat} on {date} in the state database"),
    )
}

/// The row for `captures` and the transcript built from them.
pub fn render(captures: &[Capture], transcript: &Transcript) -> anyhow::Result<TranscriptRow> {
    Ok(TranscriptRow {
        captures: captures_json(captures)?,
        json: Some(
            serde_json::to_string_pretty(transcript).context("cannot serialize the transcript")?,
        ),
        markdown: Some(markdown::render(transcript)),
        html: Some(html::render(transcript)),
    })
}
