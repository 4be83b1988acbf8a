//! Shared by the daemon's integration tests: hand-built plans and slots, a
//! recording fake platform, settings built in code.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp, civil, tz::TimeZone};
use tweetchat::clock::Clock;
use tweetchat::daemon::{Chats, Daemon, FixedSlots};
use tweetchat::plan::{ChatPlan, TextsBuilder, When};
use tweetchat::platform::{FoundPost, Identity, OutgoingPost, Platform, PostError, RemotePost};
use tweetchat::schedule::{Slot, SlotKind};
use tweetchat::settings::{HttpSettings, Settings};
use tweetchat::store::{SharedStore, Store};
use tweetchat::text::PlatformKind;

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn settings(state_dir: &Path) -> Settings {
    // The shipped defaults (grace windows included), with the test's folders,
    // its one fake account, no listener and no rescans to speak of.
    Settings {
        chats_dir: state_dir.join("chats"),
        state_dir: state_dir.to_path_buf(),
        default_accounts: vec!["fake".into()],
        rescan_interval: Duration::from_secs(3600),
        http: HttpSettings {
            listen: String::new(),
            ..Settings::builtin().http
        },
        accounts: BTreeMap::new(),
        ..Settings::builtin()
    }
}

/// A plan that only the daemon's bookkeeping reads (id, accounts, thread).
pub fn plan(id: &str, accounts: Option<&[&str]>, thread: bool) -> ChatPlan {
    let mut texts = TextsBuilder::new();
    let title = texts.add("Test chat");
    let hashtag = texts.add(format!("#{id}"));
    let question_format = texts.own("Q{n}. {text} {hashtag}");
    ChatPlan {
        id: id.into(),
        source: std::path::Path::new(&format!("{id}.yaml")).into(),
        texts: texts.finish(),
        title,
        hashtag,
        tz: TimeZone::UTC,
        when: When::Once(civil::date(2026, 12, 2).at(18, 0, 0, 0)),
        duration: SignedDuration::from_hours(1),
        show_times_in: Box::default(),
        accounts: accounts.map(|a| a.iter().map(|s| s.to_string()).collect()),
        thread,
        announce: Box::default(),
        welcome: None,
        questions: Box::default(),
        question_format,
        visibility: Default::default(),
        language: None,
        wrapup: None,
        thanks: None,
        calendar_base: None,
        season: None,
    }
}

/// One slot of the occurrence of `chat` starting at `start` (UTC).
pub fn slot(
    chat: &str,
    start: Timestamp,
    kind: SlotKind,
    n: Option<u32>,
    offset: SignedDuration,
) -> Slot {
    let occurrence = start.to_zoned(TimeZone::UTC).datetime();
    let label = match n {
        Some(n) => format!("{kind}{n}"),
        None => kind.to_string(),
    };
    Slot {
        chat: chat.into(),
        occurrence,
        kind,
        n,
        at: start + offset,
        text: format!("{label} of {chat} at {occurrence} #{chat}"),
        variants: Vec::new(),
        starts: start,
        ends: start + SignedDuration::from_hours(1),
    }
}

/// Announce 1h before, welcome, two questions, wrap-up, thanks 10m after.
pub fn occurrence(chat: &str, start: Timestamp) -> Vec<Slot> {
    let m = SignedDuration::from_mins;
    vec![
        slot(chat, start, SlotKind::Announce, Some(1), -m(60)),
        slot(chat, start, SlotKind::Welcome, None, m(0)),
        slot(chat, start, SlotKind::Question, Some(1), m(5)),
        slot(chat, start, SlotKind::Question, Some(2), m(15)),
        slot(chat, start, SlotKind::Wrapup, None, m(60)),
        slot(chat, start, SlotKind::Thanks, None, m(70)),
    ]
}

/// What the fake saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Post {
        key: String,
        at: Timestamp,
        reply_to: Option<String>,
        text: String,
    },
    Reconcile {
        key: String,
    },
}

/// A platform that records every call and answers from a script.
pub struct Fake {
    pub clock: Clock,
    pub calls: Mutex<Vec<Call>>,
    /// Answers for successive `post` calls per key; empty means success.
    pub script: Mutex<HashMap<String, VecDeque<PostError>>>,
    /// Keys `reconcile` reports as already posted.
    pub existing: Mutex<Vec<String>>,
    pub posted: Mutex<Vec<(String, Timestamp)>>,
    /// How long each post takes.
    pub delay: Duration,
    /// How many more times `reconcile` cannot tell, per key.
    pub unknown: Mutex<HashMap<String, u32>>,
    /// The network it says it is (Mastodon unless made with [`Fake::on`]).
    pub kind: PlatformKind,
}

impl Fake {
    pub fn new(clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            clock,
            calls: Mutex::new(Vec::new()),
            script: Mutex::new(HashMap::new()),
            existing: Mutex::new(Vec::new()),
            posted: Mutex::new(Vec::new()),
            delay: Duration::ZERO,
            unknown: Mutex::new(HashMap::new()),
            kind: PlatformKind::Mastodon,
        })
    }

    /// A fake that says it is on `kind` (which text versions it gets).
    pub fn on(kind: PlatformKind, clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            clock,
            calls: Mutex::new(Vec::new()),
            script: Mutex::new(HashMap::new()),
            existing: Mutex::new(Vec::new()),
            posted: Mutex::new(Vec::new()),
            delay: Duration::ZERO,
            unknown: Mutex::new(HashMap::new()),
            kind,
        })
    }

    /// (key, text) of every post request, in order.
    pub fn texts(&self) -> Vec<(String, String)> {
        self.calls()
            .into_iter()
            .filter_map(|call| match call {
                Call::Post { key, text, .. } => Some((key, text)),
                _ => None,
            })
            .collect()
    }

    pub fn slow(clock: Clock, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            clock,
            calls: Mutex::new(Vec::new()),
            script: Mutex::new(HashMap::new()),
            existing: Mutex::new(Vec::new()),
            posted: Mutex::new(Vec::new()),
            delay,
            unknown: Mutex::new(HashMap::new()),
            kind: PlatformKind::Mastodon,
        })
    }

    pub fn fail_next(&self, key: &str, errors: Vec<PostError>) {
        self.script
            .lock()
            .unwrap()
            .insert(key.into(), errors.into());
    }

    /// The next `times` reconciles of `key` answer "cannot tell".
    pub fn unknown_next(&self, key: &str, times: u32) {
        self.unknown.lock().unwrap().insert(key.into(), times);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// (key, instant the request arrived) of every successful post, in order.
    pub fn posts(&self) -> Vec<(String, Timestamp)> {
        self.posted.lock().unwrap().clone()
    }
}

#[async_trait]
impl Platform for Fake {
    fn kind(&self) -> PlatformKind {
        self.kind
    }

    async fn whoami(&self) -> Result<Identity, PostError> {
        Ok(Identity {
            id: "1".into(),
            username: "fake".into(),
            display_name: None,
        })
    }

    async fn post(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
        let arrived = self.clock.now();
        self.calls.lock().unwrap().push(Call::Post {
            key: post.key.into(),
            at: self.clock.now(),
            reply_to: post.reply_to.map(|r| r.id.clone()),
            text: post.text.into(),
        });
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let scripted = self
            .script
            .lock()
            .unwrap()
            .get_mut(post.key)
            .and_then(|q| q.pop_front());
        if let Some(err) = scripted {
            return Err(err);
        }
        self.existing.lock().unwrap().push(post.key.into());
        self.posted.lock().unwrap().push((post.key.into(), arrived));
        Ok(RemotePost {
            id: format!("id:{}", post.key),
            cid: None,
            url: None,
        })
    }

    async fn reconcile(&self, post: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError> {
        self.calls.lock().unwrap().push(Call::Reconcile {
            key: post.key.into(),
        });
        if let Some(left) = self.unknown.lock().unwrap().get_mut(post.key) {
            if *left > 0 {
                *left -= 1;
                return Err(PostError::Transient("the timeline did not answer".into()));
            }
        }
        let found = self.existing.lock().unwrap().iter().any(|k| k == post.key);
        Ok(found.then(|| RemotePost {
            id: format!("id:{}", post.key),
            cid: None,
            url: None,
        }))
    }

    async fn search(
        &self,
        _: &str,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<Vec<FoundPost>, PostError> {
        Ok(vec![])
    }
}

/// A daemon on `fake` (account "fake") with the given plans and slots; the
/// store writer's handle resolves once everything is committed.
pub fn daemon(
    state_dir: &Path,
    clock: Clock,
    fake: Arc<Fake>,
    plans: Vec<ChatPlan>,
    slots: Vec<Slot>,
) -> (Daemon, tokio::task::JoinHandle<()>) {
    let store = Store::open(state_dir).unwrap();
    let (shared, writer) = SharedStore::spawn(store);
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("fake".into(), fake);
    let mut daemon = Daemon::new(
        &settings(state_dir),
        clock,
        shared,
        accounts,
        Chats::fixed(plans),
    );
    daemon.timeline = Arc::new(FixedSlots(slots));
    (daemon, writer)
}

/// Runs `daemon` until the clock reads `until`, then shuts it down and waits
/// for the store to commit everything.
pub async fn run_until(
    daemon: Daemon,
    writer: tokio::task::JoinHandle<()>,
    clock: &Clock,
    until: Timestamp,
) {
    let cancel = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(tweetchat::daemon::run(daemon, cancel.clone()));
    clock.sleep_until(until).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();
}

/// The recorded state of `key` and its reason ("" when none).
pub fn row(dir: &Path, key: &str) -> (tweetchat::store::PostState, String) {
    let row = Store::open(dir).unwrap().lookup(key).unwrap().unwrap();
    (row.state, row.reason.unwrap_or_default())
}
