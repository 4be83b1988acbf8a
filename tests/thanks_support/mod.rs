//! For the thanks tests: a chat plan with a thank-you, a platform whose
//! hashtag search answers from a list of people (with retweets, the host's
//! own posts and unicode names mixed in), and a daemon around them in
//! paused time.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, Chats, Daemon};
use tweetchat::plan::ChatPlan;
use tweetchat::platform::{FoundPost, Identity, OutgoingPost, Platform, PostError, RemotePost};
use tweetchat::settings::{HttpSettings, Settings};
use tweetchat::store::{SharedStore, Store};
use tweetchat::text::PlatformKind;

pub const START: &str = "2026-12-02T18:00:00Z";
/// End (19:00) plus `thanks.after` (10m).
pub const THANKS_AT: &str = "2026-12-02T19:10:00Z";
pub const SLOT_KEY: &str = "hcsmbm/2026-12-02T18:00/thanks/main";

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The chat file, starting 2026-12-02 18:00 UTC on account `main`;
/// `extra` goes under `thanks:`.
pub fn plan(extra: &str) -> ChatPlan {
    plan_with("2026-12-02 18:00", "main", extra)
}

/// The chat file starting at `start` (UTC) on `account`.
pub fn plan_with(start: &str, account: &str, extra: &str) -> ChatPlan {
    let src = format!(
        "title: Buddy Mentoring
hashtag: \"#hcsmbm\"
timezone: UTC
start: {start}
duration: 1h
accounts: [{account}]
announce: false
questions:
  - at: 5m
    text: What are the keys to identifying each patient's needs?
  - at: 15m
    text: What guidelines need to be developed?
thanks:
  after: 10m
  text: \"Thank you so much to everyone who joined {{hashtag}} today: {{mentions}}\"
  exclude: [\"@CoHost\"]
{extra}"
    );
    tweetchat::plan::load::load_str(Path::new("chats/hcsmbm.yaml"), &src).unwrap()
}

/// One post the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub key: String,
    pub text: String,
    pub reply_to: Option<String>,
}

/// A platform with a hashtag search.
pub struct SearchFake {
    pub kind: PlatformKind,
    pub limit: usize,
    pub found: Mutex<Result<Vec<FoundPost>, PostError>>,
    pub searches: Mutex<Vec<(String, Timestamp, Timestamp)>>,
    pub sent: Mutex<Vec<Sent>>,
    /// Refuse any post with an `@` from the n-th such post on (1-based).
    pub refuse_mentions_from: Mutex<Option<usize>>,
    mention_posts: Mutex<usize>,
    /// Keys `reconcile` finds on the platform.
    pub existing: Mutex<HashSet<String>>,
    /// How long each post takes to go out.
    pub delay: Mutex<Duration>,
}

pub const HOST_ID: &str = "100";

impl SearchFake {
    pub fn new(found: Vec<FoundPost>) -> Arc<Self> {
        Self::on(PlatformKind::X, found)
    }

    pub fn on(kind: PlatformKind, found: Vec<FoundPost>) -> Arc<Self> {
        Arc::new(Self {
            kind,
            limit: kind.default_limit(),
            found: Mutex::new(Ok(found)),
            searches: Mutex::new(Vec::new()),
            sent: Mutex::new(Vec::new()),
            refuse_mentions_from: Mutex::new(None),
            mention_posts: Mutex::new(0),
            existing: Mutex::new(HashSet::new()),
            delay: Mutex::new(Duration::ZERO),
        })
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// The posts of the thanks slot, in order.
    pub fn thanks(&self) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.key.contains("/thanks/"))
            .collect()
    }

    pub fn searches(&self) -> Vec<(String, Timestamp, Timestamp)> {
        self.searches.lock().unwrap().clone()
    }
}

pub fn remote_id(key: &str) -> String {
    format!("id:{key}")
}

#[async_trait]
impl Platform for SearchFake {
    fn kind(&self) -> PlatformKind {
        self.kind
    }

    fn limit(&self) -> usize {
        self.limit
    }

    async fn whoami(&self) -> Result<Identity, PostError> {
        Ok(Identity {
            id: HOST_ID.into(),
            username: "hcsm_host".into(),
            display_name: Some("HCSM Host".into()),
        })
    }

    async fn post(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
        let delay = *self.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        if post.text.contains('@') {
            let mut n = self.mention_posts.lock().unwrap();
            *n += 1;
            if self
                .refuse_mentions_from
                .lock()
                .unwrap()
                .is_some_and(|from| *n >= from)
            {
                return Err(PostError::MentionsRefused(
                    "additional restrictions apply to programmatically @mentioning".into(),
                ));
            }
        }
        self.sent.lock().unwrap().push(Sent {
            key: post.key.into(),
            text: post.text.into(),
            reply_to: post.reply_to.map(|r| r.id.clone()),
        });
        self.existing.lock().unwrap().insert(post.key.into());
        Ok(RemotePost {
            id: remote_id(post.key),
            cid: None,
            url: Some(format!("https://example.test/{}", post.key)),
        })
    }

    async fn reconcile(&self, post: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError> {
        let found = self.existing.lock().unwrap().contains(post.key);
        Ok(found.then(|| RemotePost {
            id: remote_id(post.key),
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
        self.searches
            .lock()
            .unwrap()
            .push((hashtag.into(), since, until));
        self.found.lock().unwrap().clone()
    }
}

fn found(
    id: usize,
    author_id: &str,
    username: &str,
    name: &str,
    at: Timestamp,
    text: &str,
) -> FoundPost {
    FoundPost {
        id: format!("t{id}"),
        author_id: author_id.into(),
        author_username: username.into(),
        author_name: Some(name.into()),
        text: text.into(),
        created_at: at,
        in_reply_to: None,
        url: Some(format!("https://example.test/t{id}")),
        is_repost: false,
    }
}

/// A username for person `i`: mostly ASCII, some Latin-1 and CJK (as on
/// Mastodon), of varying length.
pub fn username(i: usize) -> String {
    match i % 5 {
        0 => format!("p{i}"),
        1 => format!("zoë_{i}"),
        2 => format!("日本_{i}"),
        3 => format!("a_rather_long_handle_{i}"),
        _ => format!("Ann{i}"),
    }
}

/// What a search finds for `people` participants: each posts an answer
/// and a later reply, someone retweets each answer, the host posts its
/// questions, a co-host (excluded) answers too. Shuffled the way pages
/// come back (newest first), with one page overlapping the next.
pub fn search_results(people: usize) -> Vec<FoundPost> {
    let start = ts(START);
    let mut posts = Vec::new();
    let mut id = 0;
    let mut next = || {
        id += 1;
        id
    };
    for n in 1..=2 {
        let at = start + SignedDuration::from_mins(5 + 10 * (n - 1));
        posts.push(found(
            next(),
            HOST_ID,
            "hcsm_host",
            "HCSM Host",
            at,
            &format!("Q{n}. … #hcsmbm"),
        ));
    }
    posts.push(found(
        next(),
        "900",
        "CoHost",
        "Co Host",
        start,
        "A1 me too #hcsmbm",
    ));
    for i in 0..people {
        let at = start + SignedDuration::from_secs(i as i64 % 3000) - SignedDuration::from_mins(3);
        let at = at + SignedDuration::from_millis(i as i64);
        let name = format!("Person {i} 🌸 <b>");
        let user = username(i);
        posts.push(found(
            next(),
            &format!("u{i}"),
            &user,
            &name,
            at,
            &format!("A1 hello from {i} #hcsmbm"),
        ));
        let mut rt = found(
            next(),
            "777",
            "retweeter",
            "RT bot",
            at,
            &format!("RT @{user}: A1 hello #hcsmbm"),
        );
        rt.is_repost = true;
        posts.push(rt);
        posts.push(found(
            next(),
            &format!("u{i}"),
            &user,
            &name,
            at + SignedDuration::from_mins(20),
            "A2 and more #hcsmbm",
        ));
    }
    posts.reverse();
    if posts.len() > 10 {
        let overlap = posts[5..10].to_vec();
        posts.extend(overlap);
    }
    posts
}

/// The handles `search_results(people)` should thank, in order.
pub fn expected_handles(people: usize) -> Vec<String> {
    let mut order: Vec<(Timestamp, usize)> = (0..people)
        .map(|i| {
            let at = ts(START) + SignedDuration::from_secs(i as i64 % 3000)
                - SignedDuration::from_mins(3)
                + SignedDuration::from_millis(i as i64);
            (at, i)
        })
        .collect();
    order.sort();
    order
        .into_iter()
        .map(|(_, i)| format!("@{}", username(i)))
        .collect()
}

pub fn settings(state_dir: &Path) -> Settings {
    // The shipped defaults (grace windows included), with the test's folders,
    // its one fake account, no listener and no rescans to speak of.
    Settings {
        chats_dir: state_dir.join("chats"),
        state_dir: state_dir.to_path_buf(),
        default_accounts: vec!["main".into()],
        rescan_interval: Duration::from_secs(3600),
        http: HttpSettings {
            listen: String::new(),
            ..Settings::builtin().http
        },
        accounts: BTreeMap::new(),
        ..Settings::builtin()
    }
}

/// Runs a daemon with `platform` as account `main` from `from` until the
/// clock reads `until`, then shuts it down and waits for the store.
pub async fn run_daemon(
    state_dir: &Path,
    plan: ChatPlan,
    platform: Arc<dyn Platform>,
    from: Timestamp,
    until: Timestamp,
) {
    run_daemon_on(state_dir, plan, vec![("main", platform)], from, until).await;
}

/// [`run_daemon`] with several accounts, each `(name, platform)`.
pub async fn run_daemon_on(
    state_dir: &Path,
    plan: ChatPlan,
    platforms: Vec<(&str, Arc<dyn Platform>)>,
    from: Timestamp,
    until: Timestamp,
) {
    let clock = Clock::starting_at(from);
    let (shared, writer) = SharedStore::spawn(Store::open(state_dir).unwrap());
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    for (name, platform) in platforms {
        accounts.insert(name.into(), platform);
    }
    let daemon = Daemon::new(
        &settings(state_dir),
        clock.clone(),
        shared,
        accounts,
        Chats::fixed(vec![plan]),
    );
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));
    clock.sleep_until(until).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();
}
