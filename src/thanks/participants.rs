//! Who took part in one occurrence of a chat.
//!
//! A participant is a distinct author (by platform account id, so a renamed
//! handle is still one person) of at least one *original* post in the
//! occurrence's window that carries the hashtag or replies under one of the
//! host's questions (the posts come from the hashtag search and from the
//! questions' threads, read after the chat). Left out:
//!
//! - reposts/retweets: they spread the chat but say nothing in it, so a person
//!   who only reposted is not a participant (and is not thanked by @mention:
//!   mentioning everyone who clicked "repost" reads as spam on every network);
//! - the host's own account (by id, or by handle if the id differs);
//! - the plan's `thanks.exclude` handles (co-hosts, bots), compared without a
//!   leading `@` and case-insensitively (Unicode lowercase).
//!
//! The same post found twice (overlapping search pages) counts once.
//! Participants are ordered by their first post, then by search order for
//! posts in the same instant.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::answers::{AnswerIndex, QuestionPost};
use crate::platform::{FoundPost, Identity};

/// One person who took part, with what they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub author_id: String,
    /// Handle without `@`, as on their first post.
    pub username: String,
    pub name: Option<String>,
    pub first_post_at: Timestamp,
    /// Original posts (not reposts) in the window.
    pub posts: usize,
    /// Question numbers they answered (see [`super::answers`]).
    pub answered: BTreeSet<u32>,
}

/// Accounts that are never participants: the host and `thanks.exclude`.
#[derive(Debug, Clone)]
pub struct Exclusions {
    host_id: String,
    host_username: String,
    handles: HashSet<String>,
}

impl Exclusions {
    /// `exclude` handles may carry a leading `@` and any case.
    pub fn new(host: &Identity, exclude: &[String]) -> Self {
        Exclusions {
            host_id: host.id.clone(),
            host_username: normalize_handle(&host.username),
            handles: exclude.iter().map(|h| normalize_handle(h)).collect(),
        }
    }

    /// Whether `post` is by the host account.
    pub fn is_host(&self, post: &FoundPost) -> bool {
        post.author_id == self.host_id
            || normalize_handle(&post.author_username) == self.host_username
    }

    /// Whether `post`'s author is never a participant.
    pub fn excludes(&self, post: &FoundPost) -> bool {
        self.is_host(post)
            || self
                .handles
                .contains(&normalize_handle(&post.author_username))
    }
}

/// A handle as compared: no surrounding space, no leading `@`, lowercase.
pub fn normalize_handle(handle: &str) -> String {
    let handle = handle.trim();
    handle.strip_prefix('@').unwrap_or(handle).to_lowercase()
}

/// The original posts (no reposts), each id once, oldest first; posts in the
/// same instant keep their search order.
pub fn original_posts(posts: &[FoundPost]) -> Vec<&FoundPost> {
    let mut seen = HashSet::new();
    let mut kept: Vec<&FoundPost> = posts
        .iter()
        .filter(|p| !p.is_repost && seen.insert(p.id.as_str()))
        .collect();
    kept.sort_by_key(|p| p.created_at);
    kept
}

/// Everyone who took part, ordered by first post; see the module docs.
pub fn participants(
    posts: &[FoundPost],
    exclusions: &Exclusions,
    questions: &[QuestionPost],
) -> Vec<Participant> {
    let mut people: Vec<Participant> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let originals = original_posts(posts);
    let answers = AnswerIndex::new(originals.iter().copied(), questions, |p| {
        exclusions.is_host(p)
    });
    for post in originals {
        if exclusions.excludes(post) {
            continue;
        }
        let i = *index.entry(post.author_id.as_str()).or_insert_with(|| {
            people.push(Participant {
                author_id: post.author_id.clone(),
                username: post.author_username.clone(),
                name: post.author_name.clone(),
                first_post_at: post.created_at,
                posts: 0,
                answered: BTreeSet::new(),
            });
            people.len() - 1
        });
        let person = &mut people[i];
        person.posts += 1;
        if let Some(n) = answers.get(&post.id) {
            person.answered.insert(n);
        }
    }
    people
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Identity {
        Identity {
            id: "100".into(),
            username: "HostBot".into(),
            display_name: None,
        }
    }

    fn post(id: &str, author: &str, secs: i64, text: &str) -> FoundPost {
        FoundPost {
            id: id.into(),
            author_id: format!("id-{author}"),
            author_username: author.into(),
            author_name: Some(format!("{author} name")),
            text: text.into(),
            created_at: Timestamp::from_second(1_800_000_000 + secs).unwrap(),
            in_reply_to: None,
            url: None,
            is_repost: false,
        }
    }

    fn names(people: &[Participant]) -> Vec<&str> {
        people.iter().map(|p| p.username.as_str()).collect()
    }

    #[test]
    fn handles_compare_without_at_and_case() {
        assert_eq!(normalize_handle(" @CoHost "), "cohost");
        assert_eq!(normalize_handle("@Ünïcödé"), "ünïcödé");
        assert_eq!(
            normalize_handle("user@mastodon.social"),
            "user@mastodon.social"
        );
    }

    #[test]
    fn orders_by_first_post_and_counts_posts_and_answers() {
        let posts = vec![
            post("3", "carol", 30, "A1 third"),
            post("1", "alice", 10, "A1 first"),
            post("2", "bob", 20, "hello"),
            post("4", "alice", 40, "a2: more"),
            post("4", "alice", 40, "a2: more"),
        ];
        let questions = [1, 2].map(|n| QuestionPost { n, post_id: None });
        let people = participants(&posts, &Exclusions::new(&host(), &[]), &questions);
        assert_eq!(names(&people), ["alice", "bob", "carol"]);
        assert_eq!(people[0].posts, 2, "the duplicate page entry counts once");
        assert_eq!(people[0].answered, BTreeSet::from([1, 2]));
        assert!(people[1].answered.is_empty());
    }

    #[test]
    fn reposts_host_and_excluded_handles_are_not_participants() {
        let mut repost = post("5", "echo", 5, "RT @alice: A1 first");
        repost.is_repost = true;
        let mut renamed_host = post("6", "old_host_name", 6, "Q1. hi");
        renamed_host.author_id = "100".into();
        let posts = vec![
            repost,
            renamed_host,
            post("7", "hostbot", 7, "welcome"),
            post("8", "CoHost", 8, "A1 me too"),
            post("9", "dave", 9, "A1 here"),
        ];
        let exclude = ["@cohost".to_string()];
        let people = participants(&posts, &Exclusions::new(&host(), &exclude), &[]);
        assert_eq!(names(&people), ["dave"]);
    }

    #[test]
    fn a_person_who_reposted_first_is_ordered_by_their_first_own_post() {
        let mut repost = post("1", "erin", 1, "RT");
        repost.is_repost = true;
        let posts = vec![
            repost,
            post("2", "frank", 2, "hi"),
            post("3", "erin", 3, "hi"),
        ];
        let people = participants(&posts, &Exclusions::new(&host(), &[]), &[]);
        assert_eq!(names(&people), ["frank", "erin"]);
    }

    #[test]
    fn unicode_handles_and_names_survive() {
        let mut p = post("1", "Zoë_日本", 1, "A1 こんにちは 👋");
        p.author_name = Some("Zoë 🌸 <b>".into());
        let people = participants(&[p], &Exclusions::new(&host(), &["@ZOË_日本x".into()]), &[]);
        assert_eq!(names(&people), ["Zoë_日本"]);
        assert_eq!(people[0].name.as_deref(), Some("Zoë 🌸 <b>"));
        let excluded = participants(
            &[post("1", "Zoë_日本", 1, "hi")],
            &Exclusions::new(&host(), &["@ZOË_日本".into()]),
            &[],
        );
        assert!(excluded.is_empty());
    }

    #[test]
    fn zero_one_two_and_two_thousand_participants() {
        for count in [0usize, 1, 2, 2000] {
            // Each person posts three times, interleaved, newest page first.
            let mut posts = Vec::new();
            for round in 0..3 {
                for i in 0..count {
                    let secs = (round * count + i) as i64;
                    posts.push(post(&format!("{round}-{i}"), &format!("p{i}"), secs, "hi"));
                }
            }
            posts.reverse();
            let people = participants(&posts, &Exclusions::new(&host(), &[]), &[]);
            assert_eq!(people.len(), count);
            let expected: Vec<String> = (0..count).map(|i| format!("p{i}")).collect();
            assert_eq!(names(&people), expected);
            assert!(people.iter().all(|p| p.posts == 3));
        }
    }
}
