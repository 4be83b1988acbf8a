//! What a transcript is built from, saved so it can be rebuilt for free.
//!
//! A [`Capture`] is one occurrence's search result plus the little the plan
//! and the state database know about it (title, zone, the host's question
//! posts). The daemon saves it as `transcripts/CHAT/DATE.posts.json` beside
//! the transcript, so `tweetchat transcript` can rebuild the pages after a
//! template or a bug fix without reading the platform again (X bills every
//! post read).

use std::collections::HashSet;
use std::path::Path;

use anyhow::Context;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, civil};
use serde::{Deserialize, Serialize};

use crate::plan::ChatPlan;
use crate::platform::{FoundPost, Identity, Platform, PostError, RemotePost};
use crate::schedule::{Occurrence, SlotKind, expand_occurrence};
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
    /// The session's topic, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The session's guest host(s), as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// The questions as planned, with the host's post where one was made.
    pub questions: Vec<PostedQuestion>,
    /// Everything the hashtag search returned, and the replies read from
    /// each question's thread (each post once), in any order.
    pub posts: Vec<FoundPost>,
    /// The questions whose thread could not be read (or not to the end),
    /// and why: their answers given only as replies may be missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread_threads: Vec<UnreadThread>,
}

/// A question whose replies were not (all) read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadThread {
    /// The question's number.
    pub n: u32,
    pub reason: String,
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
    /// The occurrence of `plan` starting at `start`, as hosted by `account`
    /// (`host` is its [`Platform::whoami`]), before the search: `posts` is
    /// empty. `posted` answers the host's post for a slot key (the store's
    /// record of it), so answers can be matched by reply.
    pub fn for_occurrence(
        plan: &ChatPlan,
        occurrence: &Occurrence,
        account: &str,
        platform: PlatformKind,
        host: Identity,
        mut posted: impl FnMut(&str) -> Option<RemotePost>,
    ) -> Capture {
        let starts = occurrence.start.timestamp();
        let session = plan.session(occurrence.key);
        let asked = session
            .and_then(|s| s.questions.as_deref())
            .unwrap_or(&plan.questions);
        let questions = expand_occurrence(plan, occurrence)
            .into_iter()
            .filter(|slot| slot.kind == SlotKind::Question)
            .filter_map(|slot| {
                let n = slot.n?;
                let planned = asked.iter().find(|q| q.n == n);
                Some(PostedQuestion {
                    n,
                    text: planned
                        .map_or_else(|| slot.text.clone(), |q| plan.question_text(q).to_string()),
                    at: slot.at,
                    post: posted(&slot.key(account)),
                })
            })
            .collect();
        Capture {
            chat: plan.id.to_string(),
            title: plan.title().to_string(),
            hashtag: plan.hashtag().to_string(),
            timezone: plan.zone_name().to_string(),
            platform,
            starts,
            ends: starts.checked_add(plan.duration).unwrap_or(starts),
            topic: session
                .and_then(|s| s.topic)
                .map(|t| plan.texts.get(t).to_string()),
            hosts: session
                .map(|s| {
                    s.hosts
                        .iter()
                        .map(|h| plan.texts.get(*h).to_string())
                        .collect()
                })
                .unwrap_or_default(),
            host,
            exclude: plan.excluded().map(str::to_owned).collect(),
            questions,
            posts: Vec::new(),
            unread_threads: Vec::new(),
        }
    }

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

    /// Reads a capture saved by [`crate::transcript::write_capture`]: the
    /// first network's, when the file holds several ([`Capture::load_all`]).
    pub fn load(path: &Path) -> anyhow::Result<Capture> {
        let mut all = Self::load_all(path)?;
        if all.is_empty() {
            anyhow::bail!("{} holds no capture", path.display());
        }
        Ok(all.swap_remove(0))
    }

    /// Every network's capture in a saved file: one object (one network,
    /// and every file written before transcripts merged networks) or an
    /// array of them.
    pub fn load_all(path: &Path) -> anyhow::Result<Vec<Capture>> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse_all(&bytes, &path.display().to_string())
    }

    /// [`Capture::load_all`] of bytes already read (`source` names them in
    /// an error: a file, or a row of the state database).
    pub fn parse_all(bytes: &[u8], source: &str) -> anyhow::Result<Vec<Capture>> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Saved {
            One(Box<Capture>),
            Several(Vec<Capture>),
        }
        let saved: Saved = serde_json::from_slice(bytes).map_err(|_| {
            // Untagged errors say nothing useful; the single form's does.
            let detail = serde_json::from_slice::<Capture>(bytes)
                .err()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default();
            anyhow::anyhow!("{source} is not a transcript capture{detail}")
        })?;
        Ok(match saved {
            Saved::One(one) => vec![*one],
            Saved::Several(all) => all,
        })
    }

    /// Whether `other` is the same network's search of the same occurrence
    /// by the same host account (a newer one replaces it).
    pub fn same_search(&self, other: &Capture) -> bool {
        self.platform == other.platform
            && self.host.id == other.host.id
            && self.starts == other.starts
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
/// replaced) over [`search_window`], then reads every posted question's
/// thread ([`read_threads`]). The daemon calls this after a chat;
/// `tweetchat transcript --refetch` calls it again later. Only the hashtag
/// search fails it: a thread that could not be read is logged and noted in
/// [`Capture::unread_threads`], and the rest still counts.
pub async fn search_into(
    platform: &dyn Platform,
    capture: &mut Capture,
    after: SignedDuration,
) -> Result<(), PostError> {
    let (since, until) = search_window(capture.starts, capture.ends, after);
    capture.posts = platform.search(&capture.hashtag, since, until).await?;
    read_threads(platform, capture, since, until).await;
    Ok(())
}

/// Adds the replies under each posted question (from the network's own
/// thread view) to `capture.posts`, each post id once, and notes the
/// questions whose thread was not read to the end.
pub async fn read_threads(
    platform: &dyn Platform,
    capture: &mut Capture,
    since: Timestamp,
    until: Timestamp,
) {
    capture.unread_threads.clear();
    let roots: Vec<RemotePost> = capture
        .questions
        .iter()
        .filter_map(|q| q.post.clone())
        .collect();
    if roots.is_empty() {
        return;
    }
    let replies = platform.replies(&roots, since, until).await;
    let mut seen: HashSet<String> = capture.posts.iter().map(|p| p.id.clone()).collect();
    let before = capture.posts.len();
    for post in replies.posts {
        if seen.insert(post.id.clone()) {
            capture.posts.push(post);
        }
    }
    tracing::info!(
        added = capture.posts.len() - before,
        "read the questions' threads"
    );
    for problem in replies.problems {
        let n = capture
            .questions
            .iter()
            .find(|q| q.post.as_ref().is_some_and(|p| p.id == problem.root))
            .map(|q| q.n);
        let Some(n) = n else { continue };
        tracing::warn!(
            question = n,
            "the replies to Q{n} were not all read; answers given only by reply may be missing: {}",
            problem.reason
        );
        if !capture.unread_threads.iter().any(|u| u.n == n) {
            capture.unread_threads.push(UnreadThread {
                n,
                reason: problem.reason,
            });
        }
    }
    capture.unread_threads.sort_by_key(|u| u.n);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use async_trait::async_trait;

    use super::*;
    use crate::platform::OutgoingPost;

    const PLAN: &str = "title: Buddy <Mentoring>
hashtag: \"#hcsmbm\"
timezone: America/Chicago
start: 2026-12-02 12:00
duration: 1h
questions:
  - at: 5m
    text: First question?
  - at: 15m
    text: Second question?
thanks:
  after: 10m
  text: \"Thanks {mentions}\"
  exclude: [\"@CoHost\"]
";

    fn plan() -> ChatPlan {
        crate::plan::load::load_str(Path::new("chats/hcsmbm.yaml"), PLAN).unwrap()
    }

    fn host() -> Identity {
        Identity {
            id: "1".into(),
            username: "host".into(),
            display_name: None,
        }
    }

    #[test]
    fn an_occurrence_brings_the_plan_facts_and_the_question_posts() {
        let plan = plan();
        let start = Occurrence::at(
            plan.tz
                .to_zoned(civil::datetime(2026, 12, 2, 12, 0, 0, 0))
                .unwrap(),
        );
        let mut asked = Vec::new();
        let capture =
            Capture::for_occurrence(&plan, &start, "main_x", PlatformKind::X, host(), |key| {
                asked.push(key.to_string());
                key.contains("question2").then(|| RemotePost {
                    id: "q2-id".into(),
                    cid: None,
                    url: None,
                })
            });
        assert_eq!(
            asked,
            [
                "hcsmbm/2026-12-02T12:00/question1/main_x",
                "hcsmbm/2026-12-02T12:00/question2/main_x"
            ]
        );
        assert_eq!(capture.title, "Buddy <Mentoring>");
        assert_eq!(capture.timezone, "America/Chicago");
        assert_eq!(capture.starts, "2026-12-02T18:00:00Z".parse().unwrap());
        assert_eq!(capture.ends, "2026-12-02T19:00:00Z".parse().unwrap());
        assert_eq!(capture.exclude, ["cohost"]);
        assert_eq!(capture.date().unwrap(), civil::date(2026, 12, 2));
        let q: Vec<_> = capture
            .questions
            .iter()
            .map(|q| (q.n, q.text.as_str(), q.post.as_ref().map(|p| p.id.as_str())))
            .collect();
        assert_eq!(
            q,
            [
                (1, "First question?", None),
                (2, "Second question?", Some("q2-id"))
            ]
        );
        assert_eq!(
            capture.questions[1].at,
            "2026-12-02T18:15:00Z".parse().unwrap()
        );
        assert!(capture.posts.is_empty());
    }

    struct Recorder(std::sync::Mutex<Vec<(String, Timestamp, Timestamp)>>);

    #[async_trait]
    impl Platform for Recorder {
        fn kind(&self) -> PlatformKind {
            PlatformKind::X
        }
        async fn whoami(&self) -> Result<Identity, PostError> {
            Ok(host())
        }
        async fn post(&self, _: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
            Err(PostError::Rejected("read only".into()))
        }
        async fn reconcile(&self, _: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError> {
            Ok(None)
        }
        async fn search(
            &self,
            hashtag: &str,
            since: Timestamp,
            until: Timestamp,
        ) -> Result<Vec<FoundPost>, PostError> {
            self.0.lock().unwrap().push((hashtag.into(), since, until));
            Ok(vec![FoundPost {
                id: "9".into(),
                author_id: "2".into(),
                author_username: "ann".into(),
                author_name: None,
                text: "A1 hi".into(),
                created_at: since,
                in_reply_to: None,
                url: None,
                is_repost: false,
            }])
        }
        async fn replies(
            &self,
            roots: &[RemotePost],
            since: Timestamp,
            _: Timestamp,
        ) -> crate::platform::Replies {
            let ids: Vec<&str> = roots.iter().map(|r| r.id.as_str()).collect();
            self.0
                .lock()
                .unwrap()
                .push((format!("replies {}", ids.join(",")), since, since));
            let reply = |id: &str, parent: &str| FoundPost {
                id: id.into(),
                author_id: "3".into(),
                author_username: "bob".into(),
                author_name: None,
                text: "yes".into(),
                created_at: since,
                in_reply_to: Some(parent.into()),
                url: None,
                is_repost: false,
            };
            crate::platform::Replies {
                // "9" is the post the search found too.
                posts: vec![reply("9", "q1-id"), reply("10", "q1-id")],
                problems: vec![crate::platform::ThreadProblem {
                    root: "q2-id".into(),
                    reason: "HTTP 503".into(),
                }],
            }
        }
    }

    #[tokio::test]
    async fn the_questions_threads_are_added_once_and_failures_noted() {
        let plan = plan();
        let start = Occurrence::at(
            plan.tz
                .to_zoned(civil::datetime(2026, 12, 2, 12, 0, 0, 0))
                .unwrap(),
        );
        let mut capture =
            Capture::for_occurrence(&plan, &start, "x", PlatformKind::X, host(), |key| {
                let n = if key.contains("question1") { 1 } else { 2 };
                Some(RemotePost {
                    id: format!("q{n}-id"),
                    cid: None,
                    url: None,
                })
            });
        let platform = Recorder(Default::default());
        search_into(&platform, &mut capture, SignedDuration::from_mins(10))
            .await
            .unwrap();
        let calls = platform.0.lock().unwrap().clone();
        assert_eq!(calls[1].0, "replies q1-id,q2-id");
        let ids: Vec<&str> = capture.posts.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["9", "10"], "the post both found is kept once");
        assert_eq!(
            capture.unread_threads,
            [UnreadThread {
                n: 2,
                reason: "HTTP 503".into()
            }]
        );
        let json = serde_json::to_string(&capture).unwrap();
        assert_eq!(serde_json::from_str::<Capture>(&json).unwrap(), capture);
    }

    #[tokio::test]
    async fn the_search_covers_early_birds_and_the_thanks_delay() {
        let plan = plan();
        let start = Occurrence::at(
            plan.tz
                .to_zoned(civil::datetime(2026, 12, 2, 12, 0, 0, 0))
                .unwrap(),
        );
        let mut capture =
            Capture::for_occurrence(&plan, &start, "x", PlatformKind::X, host(), |_| None);
        let platform = Recorder(Default::default());
        search_into(&platform, &mut capture, SignedDuration::from_mins(10))
            .await
            .unwrap();
        let calls = platform.0.lock().unwrap().clone();
        assert_eq!(
            calls,
            [(
                "#hcsmbm".to_string(),
                "2026-12-02T17:55:00Z".parse().unwrap(),
                "2026-12-02T19:10:00Z".parse().unwrap()
            )]
        );
        assert_eq!(capture.posts.len(), 1);
    }
}
