//! The transcript of one occurrence: questions with their answers, the rest
//! of the conversation, and a summary. Built from the [`Capture`] of every
//! network the chat posted to, merged: a chat on X, Mastodon and Bluesky
//! is one conversation to its host, so the answers from all three sit under
//! one Q1, in time order, each post with its network and a link to it.
//! Serialized as-is for `DATE.json`, rendered for `.md` and `.html`.

use std::collections::HashMap;

use jiff::{Timestamp, civil};
use serde::{Deserialize, Serialize};

use super::capture::Capture;
use crate::platform::FoundPost;
use crate::text::PlatformKind;
use crate::thanks::{self, AnswerIndex, Exclusions, Participant};

/// How many people the summary names as top contributors.
pub const TOP_CONTRIBUTORS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub chat: String,
    pub title: String,
    pub hashtag: String,
    /// The chat's IANA zone; the pages show local times in it.
    pub timezone: String,
    /// The local date of the occurrence.
    pub date: civil::Date,
    pub starts: Timestamp,
    pub ends: Timestamp,
    /// The session's topic, when the occurrence had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// The session's guest host(s), as the chat file wrote them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// In question order, each with its answers in time order.
    pub questions: Vec<QuestionSection>,
    /// Every other original post, in time order (the host's welcome and
    /// wrap-up included).
    pub conversation: Vec<Entry>,
    /// Everyone who took part, ordered by first post.
    pub participants: Vec<Participant>,
    pub summary: Summary,
    /// The questions whose replies could not be read (or not to the end)
    /// on some network: answers given there only by reply may be missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread_threads: Vec<UnreadNote>,
}

/// A question whose thread was not read to the end on one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadNote {
    pub n: u32,
    pub network: PlatformKind,
    pub reason: String,
}

/// A question and the posts that answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionSection {
    pub n: u32,
    pub text: String,
    /// When it was posted (or due, if the host's post was not found).
    pub at: Timestamp,
    /// The host's post on the first network that has a link to it.
    pub url: Option<String>,
    /// The host's post on every network with a link to it, in the order
    /// the networks were captured.
    #[serde(default)]
    pub links: Vec<NetworkLink>,
    pub answers: Vec<Entry>,
}

/// Where one network has a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkLink {
    pub network: PlatformKind,
    pub url: String,
}

/// One post in the transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    /// The network it was posted on.
    pub network: PlatformKind,
    pub author: Author,
    pub at: Timestamp,
    pub text: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// Handle without `@`.
    pub username: String,
    pub name: Option<String>,
    /// The profile page, where the platform has a predictable one.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// People who took part (see [`crate::thanks::participants`]).
    pub participants: usize,
    /// Posts in the transcript: answers plus conversation, questions not
    /// counted, reposts left out.
    pub posts: usize,
    pub per_question: Vec<QuestionCount>,
    /// Up to [`TOP_CONTRIBUTORS`] participants by posts, ties by first post.
    pub top_contributors: Vec<Contributor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionCount {
    pub n: u32,
    pub answers: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributor {
    pub username: String,
    pub name: Option<String>,
    pub posts: usize,
}

impl Transcript {
    /// Sorts one network's captured posts into questions, answers and
    /// conversation.
    pub fn build(capture: &Capture) -> anyhow::Result<Transcript> {
        Self::merge(std::slice::from_ref(capture))
    }

    /// Sorts the captured posts of every network into one transcript: the
    /// questions as planned (from the first capture), each network's answers
    /// under them and its other posts in the conversation, all in time
    /// order; participants of every network, by first post. Answers are
    /// matched per network (a reply to Q2 on Mastodon answers Q2), and the
    /// same person on two networks is two participants: nothing says the
    /// accounts belong together.
    pub fn merge(captures: &[Capture]) -> anyhow::Result<Transcript> {
        let Some(first) = captures.first() else {
            anyhow::bail!("no capture to build a transcript from");
        };
        let date = first.date()?;
        let mut sections: Vec<QuestionSection> = first
            .questions
            .iter()
            .map(|q| QuestionSection {
                n: q.n,
                text: q.text.clone(),
                at: q.at,
                url: None,
                links: Vec::new(),
                answers: Vec::new(),
            })
            .collect();
        // When each question was asked: the earliest of the host's posts
        // the searches found (the due time where none was).
        let mut asked: HashMap<u32, Timestamp> = HashMap::new();
        let mut conversation = Vec::new();
        let mut participants = Vec::new();
        let mut unread_threads = Vec::new();
        for capture in captures {
            let network = capture.platform;
            unread_threads.extend(capture.unread_threads.iter().map(|u| UnreadNote {
                n: u.n,
                network,
                reason: u.reason.clone(),
            }));
            let questions = capture.question_posts();
            let exclusions = Exclusions::new(&capture.host, &capture.exclude);
            participants.extend(thanks::participants(
                &capture.posts,
                &exclusions,
                &questions,
            ));
            let by_post_id: HashMap<&str, u32> = capture
                .questions
                .iter()
                .filter_map(|q| Some((q.post.as_ref()?.id.as_str(), q.n)))
                .collect();
            // The host's own record of each question post first, then what
            // the search found of it (its time, and a link if the record
            // had none).
            for q in &capture.questions {
                if let (Some(url), Some(section)) = (
                    q.post.as_ref().and_then(|p| p.url.clone()),
                    sections.iter_mut().find(|s| s.n == q.n),
                ) {
                    add_link(section, network, url);
                }
            }
            let originals = thanks::original_posts(&capture.posts);
            let answers = AnswerIndex::new(originals.iter().copied(), &questions, |p| {
                exclusions.is_host(p)
            });
            for post in originals {
                if let Some(&n) = by_post_id.get(post.id.as_str()) {
                    let at = asked.entry(n).or_insert(post.created_at);
                    *at = (*at).min(post.created_at);
                    if let Some(section) = sections.iter_mut().find(|s| s.n == n) {
                        if let Some(url) = post.url.clone() {
                            add_link(section, network, url);
                        }
                    }
                    continue;
                }
                let entry = entry(post, network);
                match answers
                    .get(&post.id)
                    .and_then(|n| sections.iter_mut().find(|s| s.n == n))
                {
                    Some(section) => section.answers.push(entry),
                    None => conversation.push(entry),
                }
            }
        }
        // Stable sorts: posts in the same instant keep network, then search
        // order.
        for section in &mut sections {
            section.at = asked.get(&section.n).copied().unwrap_or(section.at);
            section.url = section.links.first().map(|l| l.url.clone());
            section.answers.sort_by_key(|e| e.at);
        }
        conversation.sort_by_key(|e| e.at);
        participants.sort_by_key(|p| p.first_post_at);
        let summary = summarize(&sections, &conversation, &participants);
        Ok(Transcript {
            chat: first.chat.clone(),
            title: first.title.clone(),
            hashtag: first.hashtag.clone(),
            timezone: first.timezone.clone(),
            date,
            starts: first.starts,
            ends: first.ends,
            topic: first.topic.clone(),
            hosts: first.hosts.clone(),
            questions: sections,
            conversation,
            participants,
            summary,
            unread_threads,
        })
    }

    /// Every post in the transcript (answers, then conversation).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.questions
            .iter()
            .flat_map(|q| q.answers.iter())
            .chain(self.conversation.iter())
    }

    /// The networks the transcript has posts or questions from, in capture
    /// order.
    pub fn networks(&self) -> Vec<PlatformKind> {
        let mut networks: Vec<PlatformKind> = Vec::new();
        let found = self
            .questions
            .iter()
            .flat_map(|q| q.links.iter().map(|l| l.network))
            .chain(self.entries().map(|e| e.network));
        for network in found {
            if !networks.contains(&network) {
                networks.push(network);
            }
        }
        networks
    }
}

/// Adds `network`'s link to the section once (one link per network).
fn add_link(section: &mut QuestionSection, network: PlatformKind, url: String) {
    if !section.links.iter().any(|l| l.network == network) {
        section.links.push(NetworkLink { network, url });
    }
}

/// How a network is named on the pages.
pub fn network_name(network: PlatformKind) -> &'static str {
    match network {
        PlatformKind::X => "X",
        PlatformKind::Mastodon => "Mastodon",
        PlatformKind::Bluesky => "Bluesky",
        PlatformKind::Console => "console",
    }
}

fn entry(post: &FoundPost, platform: PlatformKind) -> Entry {
    Entry {
        id: post.id.clone(),
        network: platform,
        author: Author {
            username: post.author_username.clone(),
            name: post.author_name.clone(),
            url: profile_url(platform, &post.author_username, post.url.as_deref()),
        },
        at: post.created_at,
        text: post.text.clone(),
        url: post.url.clone(),
    }
}

fn summarize(
    sections: &[QuestionSection],
    conversation: &[Entry],
    participants: &[Participant],
) -> Summary {
    let answers: usize = sections.iter().map(|s| s.answers.len()).sum();
    let mut top: Vec<&Participant> = participants.iter().collect();
    top.sort_by_key(|p| std::cmp::Reverse(p.posts));
    Summary {
        participants: participants.len(),
        posts: answers + conversation.len(),
        per_question: sections
            .iter()
            .map(|s| QuestionCount {
                n: s.n,
                answers: s.answers.len(),
            })
            .collect(),
        top_contributors: top
            .into_iter()
            .take(TOP_CONTRIBUTORS)
            .map(|p| Contributor {
                username: p.username.clone(),
                name: p.name.clone(),
                posts: p.posts,
            })
            .collect(),
    }
}

/// A person's profile page: X and Bluesky have fixed ones; on Mastodon it
/// lives on the instance that served the post (`https://host/@user`).
pub fn profile_url(
    platform: PlatformKind,
    username: &str,
    post_url: Option<&str>,
) -> Option<String> {
    let handle = username.trim_start_matches('@');
    match platform {
        PlatformKind::X => Some(format!("https://x.com/{handle}")),
        PlatformKind::Bluesky => Some(format!("https://bsky.app/profile/{handle}")),
        PlatformKind::Mastodon => {
            let url = post_url?;
            let after_scheme = url.strip_prefix("https://")?;
            let host = after_scheme.split('/').next().filter(|h| !h.is_empty())?;
            Some(format!("https://{host}/@{handle}"))
        }
        PlatformKind::Console => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::{Identity, RemotePost};
    use crate::transcript::capture::PostedQuestion;

    fn at(min: i64) -> Timestamp {
        Timestamp::from_second(1_796_234_400 + min * 60).unwrap()
    }

    fn post(id: &str, author: &str, min: i64, text: &str, reply: Option<&str>) -> FoundPost {
        FoundPost {
            id: id.into(),
            author_id: format!("id-{author}"),
            author_username: author.into(),
            author_name: None,
            text: text.into(),
            created_at: at(min),
            in_reply_to: reply.map(str::to_owned),
            url: Some(format!("https://x.com/{author}/status/{id}")),
            is_repost: false,
        }
    }

    fn capture() -> Capture {
        let mut rt = post("r", "echo", 6, "RT @ann: A1 yes", None);
        rt.is_repost = true;
        Capture {
            topic: None,
            hosts: Vec::new(),
            chat: "hcsmbm".into(),
            title: "Buddy Mentoring".into(),
            hashtag: "#hcsmbm".into(),
            timezone: "America/Chicago".into(),
            platform: PlatformKind::X,
            starts: at(0),
            ends: at(60),
            host: Identity {
                id: "id-host".into(),
                username: "host".into(),
                display_name: None,
            },
            exclude: vec![],
            questions: (1..=2)
                .map(|n| PostedQuestion {
                    n,
                    text: format!("question {n}"),
                    at: at(5 * n as i64),
                    post: Some(RemotePost {
                        id: format!("q{n}"),
                        cid: None,
                        url: None,
                    }),
                })
                .collect(),
            posts: vec![
                post("w", "host", 0, "Welcome!", None),
                post("q1", "host", 5, "Q1. question 1 #hcsmbm", None),
                post("b", "bob", 7, "reply without prefix", Some("q1")),
                post("a", "ann", 6, "A1 yes", None),
                rt,
                post("q2", "host", 11, "Q2. question 2 #hcsmbm", None),
                post("c", "ann", 12, "a2: also", None),
                post("d", "bob", 13, "just chatting", None),
            ],
            unread_threads: Vec::new(),
        }
    }

    #[test]
    fn groups_answers_under_questions_in_time_order() {
        let t = Transcript::build(&capture()).unwrap();
        let ids = |s: &QuestionSection| s.answers.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&t.questions[0]), ["a", "b"]);
        assert_eq!(ids(&t.questions[1]), ["c"]);
        assert_eq!(t.questions[1].at, at(11), "the found post's time wins");
        assert_eq!(
            t.questions[1].url.as_deref(),
            Some("https://x.com/host/status/q2")
        );
        let conv: Vec<&str> = t.conversation.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(conv, ["w", "d"]);
        assert_eq!(t.date, civil::date(2026, 12, 2));
    }

    /// The same occurrence on Mastodon: its own host post of each question
    /// (with a link), and people answering there.
    pub(crate) fn mastodon_capture() -> Capture {
        let toot = |id: &str, author: &str, min: i64, text: &str, reply: Option<&str>| FoundPost {
            url: Some(format!("https://mastodon.example/@{author}/{id}")),
            ..post(id, author, min, text, reply)
        };
        let mut c = capture();
        c.platform = PlatformKind::Mastodon;
        c.host.id = "m-host".into();
        for q in &mut c.questions {
            q.post = Some(RemotePost {
                id: format!("m{}", q.n),
                cid: None,
                url: Some(format!("https://mastodon.example/@host/m{}", q.n)),
            });
        }
        c.posts = vec![
            toot("m1", "host", 5, "Q1. question 1 #hcsmbm", None),
            toot("t1", "cat@other.example", 8, "by reply", Some("m1")),
            toot("t0", "dan", 5, "A1 first of all", None),
            toot("t2", "dan", 14, "A2 on Mastodon", None),
            toot("t3", "cat@other.example", 20, "what a chat", None),
        ];
        c
    }

    #[test]
    fn networks_merge_into_one_transcript_each_post_with_its_network_and_link() {
        let t = Transcript::merge(&[capture(), mastodon_capture()]).unwrap();
        let ids = |entries: &[Entry]| {
            entries
                .iter()
                .map(|e| (e.id.clone(), e.network))
                .collect::<Vec<_>>()
        };
        let (x, m) = (PlatformKind::X, PlatformKind::Mastodon);
        assert_eq!(
            ids(&t.questions[0].answers),
            [
                ("t0".into(), m),
                ("a".into(), x),
                ("b".into(), x),
                ("t1".into(), m)
            ],
            "both networks' answers under Q1, in time order; a reply to the Mastodon Q1 answers it"
        );
        assert_eq!(
            ids(&t.questions[1].answers),
            [("c".into(), x), ("t2".into(), m)]
        );
        assert_eq!(
            ids(&t.conversation),
            [("w".into(), x), ("d".into(), x), ("t3".into(), m)]
        );
        for e in t.entries() {
            let url = e.url.as_deref().unwrap();
            match e.network {
                PlatformKind::X => assert!(url.starts_with("https://x.com/"), "{url}"),
                PlatformKind::Mastodon => {
                    assert!(url.starts_with("https://mastodon.example/"), "{url}")
                }
                other => panic!("{other}"),
            }
        }
        assert_eq!(
            t.questions[0].links,
            [
                NetworkLink {
                    network: x,
                    url: "https://x.com/host/status/q1".into()
                },
                NetworkLink {
                    network: m,
                    url: "https://mastodon.example/@host/m1".into()
                },
            ]
        );
        // Q2's host post on Mastodon was not in the search: its record's
        // link still counts.
        assert_eq!(t.questions[1].links.len(), 2);
        assert_eq!(
            t.questions[1].url.as_deref(),
            Some("https://x.com/host/status/q2")
        );
        assert_eq!(t.networks(), [x, m]);
        // ann and bob on X, dan and cat on Mastodon, by first post.
        let people: Vec<&str> = t.participants.iter().map(|p| p.username.as_str()).collect();
        assert_eq!(people, ["dan", "ann", "bob", "cat@other.example"]);
        assert_eq!(t.summary.participants, 4);
        assert_eq!(t.summary.posts, 9);
        assert_eq!(
            t.conversation[2].author.url.as_deref(),
            Some("https://mastodon.example/@cat@other.example")
        );
        // One network alone is what it was.
        assert_eq!(Transcript::build(&capture()).unwrap().networks(), [x]);
    }

    #[test]
    fn summarizes_people_posts_and_questions() {
        let t = Transcript::build(&capture()).unwrap();
        assert_eq!(t.summary.participants, 2);
        assert_eq!(t.summary.posts, 5);
        let per: Vec<(u32, usize)> = t
            .summary
            .per_question
            .iter()
            .map(|q| (q.n, q.answers))
            .collect();
        assert_eq!(per, [(1, 2), (2, 1)]);
        let top: Vec<(&str, usize)> = t
            .summary
            .top_contributors
            .iter()
            .map(|c| (c.username.as_str(), c.posts))
            .collect();
        assert_eq!(top, [("ann", 2), ("bob", 2)]);
        assert_eq!(
            t.conversation[1].author.url.as_deref(),
            Some("https://x.com/bob")
        );
    }

    #[test]
    fn top_contributors_stop_at_ten() {
        let mut c = capture();
        c.posts = (0..25)
            .map(|i| post(&format!("p{i}"), &format!("u{i}"), i, "hi", None))
            .collect();
        let t = Transcript::build(&c).unwrap();
        assert_eq!(t.summary.participants, 25);
        assert_eq!(t.summary.top_contributors.len(), TOP_CONTRIBUTORS);
    }

    #[test]
    fn an_unknown_zone_is_an_error_naming_it() {
        let mut c = capture();
        c.timezone = "Mars/Olympus".into();
        let err = format!("{:#}", Transcript::build(&c).unwrap_err());
        assert!(err.contains("Mars/Olympus"), "{err}");
    }

    #[test]
    fn mastodon_profiles_live_on_the_posting_instance() {
        assert_eq!(
            profile_url(
                PlatformKind::Mastodon,
                "ann",
                Some("https://mastodon.social/@ann/1")
            ),
            Some("https://mastodon.social/@ann".into())
        );
        assert_eq!(profile_url(PlatformKind::Mastodon, "ann", None), None);
        assert_eq!(
            profile_url(PlatformKind::Bluesky, "ann.bsky.social", None),
            Some("https://bsky.app/profile/ann.bsky.social".into())
        );
    }
}
