//! Deciding a thank-you: search, transcript, participants, texts.
//!
//! Runs once per occurrence and account, when the thanks slot is due. The
//! outcome is a [`Decided`]: the exact texts to post, which the caller
//! stores before the first one leaves, so a restart posts the same parts
//! even if a later search would find more (or fewer) people.
//!
//! Anything that stops the search (no search on this platform plan, a
//! `usage-capped` or `client-not-enrolled` refusal, `thanks.search: false`,
//! an account that cannot say who it is) leads to the generic thank-you and
//! a log line saying why; it never fails the slot.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::daemon::job::Job;
use crate::daemon::poster::Poster;
use crate::daemon::retry::Retry;
use crate::plan::ChatPlan;
use crate::platform::{Platform, PostError, RemotePost};
use crate::schedule::{Occurrence, SlotKind, expand_occurrence};
use crate::store::SharedStore;
use crate::text::split::{SplitError, ThanksLayout, split_mentions};
use crate::thanks::{Exclusions, Participant, generic_thanks, mentions, participants};
use crate::transcript::{self, Capture};

/// What a thanks job needs beyond the slot: the plan, and where the
/// transcript goes.
#[derive(Debug, Clone)]
pub struct ThanksContext {
    pub plan: Arc<ChatPlan>,
    /// `state_dir` when this account's search goes into the chat's
    /// transcript (see [`super::feeds_transcript`]); `None` writes none.
    pub transcript_dir: Option<PathBuf>,
}

/// The thank-you of one occurrence on one account, decided once and kept in
/// the store before anything is posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    /// How many people took part; `None` when nobody searched.
    pub participants: Option<usize>,
    /// The posts in order; the continuations reply to the first.
    pub parts: Vec<String>,
    /// Whether the parts mention people (only those can be refused for it).
    pub mentions: bool,
    /// Why the thank-you mentions nobody (search unavailable, nobody
    /// found, the platform refused the mentions), when it does not.
    pub reason: Option<String>,
    /// The part (1-based) the platform refused for its mentions: that part
    /// and the later ones are replaced by one mention-free thank-you.
    #[serde(default)]
    pub refused: Option<usize>,
}

impl Decided {
    /// One mention-free post that counts the people when it can.
    fn generic(participants: Option<usize>, hashtag: &str, reason: String) -> Self {
        Decided {
            participants,
            parts: vec![generic_thanks(participants, hashtag)],
            mentions: false,
            reason: Some(reason),
            refused: None,
        }
    }
}

/// What the search found.
#[derive(Debug)]
pub enum Found {
    People(Vec<Participant>),
    /// No search, with the reason (for the log).
    Unavailable(String),
    /// Shutdown came first.
    Cancelled,
}

/// The texts for `found`: every participant mentioned once across the
/// fewest posts `layout` allows, or the generic thank-you.
pub fn compose(layout: &ThanksLayout<'_>, found: Result<&[Participant], String>) -> Decided {
    let people = match found {
        Ok(people) => people,
        Err(reason) => return Decided::generic(None, layout.hashtag, reason),
    };
    let count = people.len();
    match split_mentions(layout, &mentions(people)) {
        Ok(parts) => Decided {
            participants: Some(count),
            parts,
            mentions: true,
            reason: None,
            refused: None,
        },
        Err(SplitError::NoHandles) => Decided::generic(
            Some(0),
            layout.hashtag,
            "the search found nobody to thank by name".into(),
        ),
        Err(SplitError::NoPlaceholder) => Decided {
            participants: Some(count),
            parts: vec![layout.template.to_string()],
            mentions: false,
            reason: Some("the thank-you text has no {mentions}".into()),
            refused: None,
        },
        Err(err) => Decided::generic(Some(count), layout.hashtag, err.to_string()),
    }
}

/// Searches, writes the transcript and composes the thank-you; `None` when
/// shutdown interrupted the search (nothing is decided or posted then).
pub async fn decide(
    poster: &Poster,
    job: &Job,
    context: &ThanksContext,
    cancel: &CancellationToken,
) -> Option<Decided> {
    let plan = &context.plan;
    let layout = ThanksLayout {
        template: job.slot.text_for(poster.platform.kind()),
        hashtag: plan.hashtag(),
        platform: poster.platform.kind(),
        limit: poster.platform.limit(),
        url_length: poster.platform.url_length(),
    };
    let decided = match find_participants(poster, job, context, cancel).await {
        Found::Cancelled => return None,
        Found::Unavailable(reason) => {
            warn!("posting the generic thank-you: {reason}");
            compose(&layout, Err(reason))
        }
        Found::People(people) => compose(&layout, Ok(&people)),
    };
    match (&decided.reason, decided.participants) {
        (None, Some(n)) => info!(
            participants = n,
            posts = decided.parts.len(),
            "thanking every participant by name"
        ),
        (Some(reason), _) => info!("thanking without mentions: {reason}"),
        (None, None) => {}
    }
    Some(decided)
}

/// The participants of the job's occurrence, after saving the transcript.
async fn find_participants(
    poster: &Poster,
    job: &Job,
    context: &ThanksContext,
    cancel: &CancellationToken,
) -> Found {
    let plan = &context.plan;
    if plan.thanks.as_ref().is_some_and(|t| !t.search) {
        return Found::Unavailable("`thanks.search` is false in the chat file".into());
    }
    let platform = poster.platform.as_ref();
    let host = match platform.whoami().await {
        Ok(host) => host,
        Err(err) => {
            return Found::Unavailable(format!(
                "the account cannot say who it is, so it cannot leave itself out: {err}"
            ));
        }
    };
    let start = Occurrence {
        key: job.slot.occurrence,
        start: job.slot.starts.to_zoned(plan.tz.clone()),
    };
    let posted = question_posts(&poster.store, plan, &start, &job.account).await;
    let mut capture =
        Capture::for_occurrence(plan, &start, &job.account, platform.kind(), host, |key| {
            posted.get(key).cloned()
        });
    let after = job.slot.at.duration_since(job.slot.ends);
    match search(poster, job, &mut capture, after, cancel).await {
        Ok(()) => {}
        Err(None) => return Found::Cancelled,
        Err(Some(err)) => {
            return Found::Unavailable(format!("searching {} failed: {err}", plan.hashtag()));
        }
    }
    info!(
        posts = capture.posts.len(),
        unread_threads = capture.unread_threads.len(),
        "searched the hashtag and read the questions' threads"
    );
    let exclusions = Exclusions::new(&capture.host, &capture.exclude);
    let people = participants(&capture.posts, &exclusions, &capture.question_posts());
    if let Some(dir) = &context.transcript_dir {
        publish(&poster.store, dir.clone(), capture).await;
    }
    Found::People(people)
}

/// The host's posts of the occurrence's questions on `account`, by slot key.
async fn question_posts(
    store: &SharedStore,
    plan: &ChatPlan,
    start: &Occurrence,
    account: &str,
) -> HashMap<String, RemotePost> {
    let mut posted = HashMap::new();
    let questions = expand_occurrence(plan, start)
        .into_iter()
        .filter(|slot| slot.kind == SlotKind::Question);
    for slot in questions {
        let key = slot.key(account);
        match store.lookup(&key).await {
            Ok(Some(record)) => {
                if let Some(remote) = record.remote {
                    posted.insert(key, remote);
                }
            }
            Ok(None) => {}
            Err(err) => {
                warn!(%key, "cannot read the question's post; answers by reply to it are not counted: {err:#}")
            }
        }
    }
    posted
}

/// [`transcript::search_into`], retried as the daemon's retry policy says
/// ([`crate::daemon::retry::RetryPolicy::after_search`]). `Err(None)`:
/// cancelled.
async fn search(
    poster: &Poster,
    job: &Job,
    capture: &mut Capture,
    after: SignedDuration,
    cancel: &CancellationToken,
) -> Result<(), Option<PostError>> {
    let platform: &dyn Platform = poster.platform.as_ref();
    let mut attempt = 0;
    loop {
        let err = match transcript::search_into(platform, capture, after).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let now = poster.clock.now();
        let retry_at = match poster.retry.after_search(&err, attempt, now, job.deadline) {
            Retry::At(at) => at,
            Retry::GiveUp(_) => return Err(Some(err)),
        };
        warn!("search failed ({err}); trying again at {retry_at}");
        if !poster.clock.wait_until(retry_at, cancel).await {
            return Err(None);
        }
        attempt += 1;
    }
}

/// Writes `DATE.{posts.json,json,md,html}`, or with PostgreSQL the
/// chat's row in the shared database ([`transcript::database`]); a failure
/// is logged, never stops the thank-you.
async fn publish(store: &SharedStore, state_dir: PathBuf, capture: Capture) {
    if let Some(pg) = store.pg() {
        match transcript::database::publish(pg, &capture).await {
            Ok(built) => info!(
                participants = built.summary.participants,
                posts = built.summary.posts,
                "transcript saved in the state database"
            ),
            Err(err) => warn!("the transcript was not saved: {err:#}"),
        }
        return;
    }
    let written =
        tokio::task::spawn_blocking(move || transcript::publish(&state_dir, &capture)).await;
    match written {
        Ok(Ok((built, files))) => info!(
            participants = built.summary.participants,
            posts = built.summary.posts,
            html = %files.html.display(),
            "transcript written"
        ),
        Ok(Err(err)) => warn!("the transcript was not written: {err:#}"),
        Err(err) => warn!("the transcript was not written: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jiff::Timestamp;

    use super::*;
    use crate::text::{PlatformKind, count};

    const TEMPLATE: &str = "Thank you to everyone who joined #chat today: {mentions}";

    fn layout(limit: usize) -> ThanksLayout<'static> {
        ThanksLayout {
            template: TEMPLATE,
            hashtag: "#chat",
            platform: PlatformKind::X,
            limit,
            url_length: 23,
        }
    }

    fn people(n: usize) -> Vec<Participant> {
        (0..n)
            .map(|i| Participant {
                author_id: i.to_string(),
                username: format!("person_{i}"),
                name: None,
                first_post_at: Timestamp::UNIX_EPOCH,
                posts: 1,
                answered: BTreeSet::new(),
            })
            .collect()
    }

    #[test]
    fn everyone_is_mentioned_in_the_fewest_posts() {
        let everyone = people(120);
        let decided = compose(&layout(280), Ok(&everyone));
        let handles = mentions(&everyone);
        let expected = split_mentions(&layout(280), &handles).unwrap();
        assert_eq!(decided.parts, expected);
        assert!(decided.mentions);
        assert_eq!(decided.participants, Some(120));
        assert!(decided.parts.len() > 1);
        assert!(
            decided
                .parts
                .iter()
                .all(|p| count(PlatformKind::X, p) <= 280)
        );
    }

    #[test]
    fn nobody_found_or_no_search_is_a_generic_thank_you() {
        let decided = compose(&layout(280), Ok(&[]));
        assert_eq!(
            decided.parts,
            ["Thank you to everyone who joined #chat today!"]
        );
        assert!(!decided.mentions);
        assert_eq!(decided.participants, Some(0));

        let decided = compose(&layout(280), Err("search refused".into()));
        assert_eq!(
            decided.parts,
            ["Thank you to everyone who joined #chat today!"]
        );
        assert_eq!(decided.reason.as_deref(), Some("search refused"));
        assert_eq!(decided.participants, None);
    }

    #[test]
    fn a_template_too_long_for_any_mention_counts_the_people_instead() {
        let decided = compose(&layout(50), Ok(&people(3)));
        assert_eq!(
            decided.parts,
            ["Thank you to all 3 people who joined #chat today!"]
        );
        assert!(decided.reason.unwrap().contains("shorten it"));
    }

    #[test]
    fn decided_thank_yous_round_trip_as_json() {
        let decided = compose(&layout(280), Ok(&people(2)));
        let json = serde_json::to_string(&decided).unwrap();
        assert_eq!(serde_json::from_str::<Decided>(&json).unwrap(), decided);
    }
}
