//! What a transcript is built from, saved so it can be rebuilt for free.
//!
//! A [`Capture`] is one occurrence's search result plus the little the plan
//! and the state database know about it (title, zone, the host's question
//! posts). The daemon saves it as `transcripts/CHAT/DATE.posts.json` beside
//! the transcript, so `tweetchat transcript` can rebuild the pages after a
//! template or a bug fix without reading the platform again (X bills every
//! post read).

use std::path::Path;

use anyhow::Context;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, civil};
use serde::{Deserialize, Serialize};

use crate::platform::{FoundPost, Identity, Platform, PostError, RemotePost};
use crate::text::PlatformKind;
use crate::thanks::QuestionPost;

/// How early before the start a post still belongs to the chat (early birds).
pub const EARLY_BIRDS: SignedDuration = SignedDuration::from_mins(5);

/// Everything one transcript is built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    /// The chat id (file name without `.yaml`).
    pub chat: String,
    pub title: String,
    /// With its `#`.
    pub hashtag: String,
    /// The chat's IANA zone; the pages show local times in it.
    pub timezone: String,
    /// The network searched, for profile links.
    pub platform: PlatformKind,
    pub starts: Timestamp,
    pub ends: Timestamp,
    /// The account that hosted (never a participant).
    pub host: Identity,
    /// The plan's `thanks.exclude` handles.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The questions as planned, with the host's post where one was made.
    pub questions: Vec<PostedQuestion>,
    /// Everything the hashtag search returned, in any order.
    pub posts: Vec<FoundPost>,
}

/// One question of the occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedQuestion {
    pub n: u32,
    /// The question text as planned (without the `Qn.` and the hashtag).
    pub text: String,
    /// When it was due.
    pub at: Timestamp,
    /// The host's post, from the state database; `None` if it was skipped.
    #[serde(default)]
    pub post: Option<RemotePost>,
}

impl Capture {
    /// The chat's zone; an unknown name is an error naming it.
    pub fn zone(&self) -> anyhow::Result<TimeZone> {
        TimeZone::get(&self.timezone).with_context(|| {
            format!(
                "unknown time zone `{}` in the capture of {}, expected an IANA name such as America/Chicago",
                self.timezone, self.chat
            )
        })
    }

    /// The local date of the occurrence: the `DATE` in file names.
    pub fn date(&self) -> anyhow::Result<civil::Date> {
        Ok(self.starts.to_zoned(self.zone()?).date())
    }

    /// The questions as the answer detector needs them.
    pub fn question_posts(&self) -> Vec<QuestionPost> {
        self.questions
            .iter()
            .map(|q| QuestionPost {
                n: q.n,
                post_id: q.post.as_ref().map(|p| p.id.clone()),
            })
            .collect()
    }

    /// Reads a capture saved by [`crate::transcript::write_capture`].
    pub fn load(path: &Path) -> anyhow::Result<Capture> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a transcript capture", path.display()))
    }
}

/// The search window of an occurrence: from [`EARLY_BIRDS`] before the start
/// to `after` past the end (the thank-you delay).
pub fn search_window(
    starts: Timestamp,
    ends: Timestamp,
    after: SignedDuration,
) -> (Timestamp, Timestamp) {
    let since = starts.checked_sub(EARLY_BIRDS).unwrap_or(starts);
    let until = ends
        .checked_add(after.max(SignedDuration::ZERO))
        .unwrap_or(ends);
    (since, until)
}

/// Searches `platform` for the occurrence of `capture` (whose `posts` are
/// replaced) over [`search_window`]. The daemon calls this after a chat;
/// `tweetchat transcript --refetch` calls it again later.
pub async fn search_into(
    platform: &dyn Platform,
    capture: &mut Capture,
    after: SignedDuration,
) -> Result<(), PostError> {
    let (since, until) = search_window(capture.starts, capture.ends, after);
    capture.posts = platform.search(&capture.hashtag, since, until).await?;
    Ok(())
}
