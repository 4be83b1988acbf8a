//! Which question a post answers.
//!
//! Chat etiquette is to start an answer with `A` and the question number, but
//! people type it every which way, and on X a reply's text begins with the
//! handles it replies to. The accepted forms, after any leading whitespace and
//! `@handle`s:
//!
//! - `A2`, `a2`, `A 2`, followed by the end of the text, whitespace or
//!   punctuation: `A2 …`, `A2: …`, `A2. …`, `a2 - …`, `A2) …`, `A2, …`,
//!   `A2—…`; a letter or digit right after the number is not an answer
//!   (`A1C levels …`, `A4paper`).
//! - A direct reply to the host's post of question 2 (its platform id),
//!   with or without the hashtag (the thread reads after a chat find those).
//! - A reply to an answer, at any depth: it answers what its parent answers,
//!   so a whole branch under Q2 counts for Q2 (people answer each other
//!   inside a thread without repeating `A2`).
//!
//! When both say something, the text wins: a reply to Q2 that starts with
//! `A3` answers Q3 (people reply to the latest question with an answer to an
//! earlier one), and replies below it answer Q3 too. A number that is not a
//! question of this chat (`A9` in a five-question chat) is taken for a typo:
//! the reply target decides, and without one the post answers nothing.
//!
//! The host's own posts answer nothing. A host post that replies to the
//! host (the next question, the wrap-up, in a threaded chat) also ends the
//! chain, so "thanks for hosting!" under the wrap-up is not an answer to the
//! last question; a host post replying to a participant ("great point!")
//! passes the branch's question on to the replies below it.

use std::collections::{HashMap, HashSet};

use crate::platform::FoundPost;

/// The host's post of one question, as the platform knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionPost {
    /// 1-based question number.
    pub n: u32,
    /// The platform id of the host's post, if it was posted.
    pub post_id: Option<String>,
}

/// The question `post` answers, if any (see the module docs for the forms).
pub fn answered_question(post: &FoundPost, questions: &[QuestionPost]) -> Option<u32> {
    let is_question = |n: u32| questions.iter().any(|q| q.n == n);
    if let Some(n) = answer_prefix(&post.text).filter(|&n| is_question(n)) {
        return Some(n);
    }
    let parent = post.in_reply_to.as_deref()?;
    questions
        .iter()
        .find(|q| q.post_id.as_deref() == Some(parent))
        .map(|q| q.n)
}

/// Which question each of a set of posts answers, replies followed up
/// their chain through the set (see the module docs). Each post is decided
/// once, so a set of n posts costs O(n) however deep its threads; a reply
/// loop (a server answering nonsense) answers nothing.
#[derive(Debug, Default)]
pub struct AnswerIndex {
    answers: HashMap<String, u32>,
}

impl AnswerIndex {
    /// `is_host` tells the host's posts (they answer nothing themselves).
    pub fn new<'a>(
        posts: impl IntoIterator<Item = &'a FoundPost>,
        questions: &[QuestionPost],
        is_host: impl Fn(&FoundPost) -> bool,
    ) -> AnswerIndex {
        let by_id: HashMap<&str, &FoundPost> =
            posts.into_iter().map(|p| (p.id.as_str(), p)).collect();
        let question_of = |id: &str| {
            questions
                .iter()
                .find(|q| q.post_id.as_deref() == Some(id))
                .map(|q| q.n)
        };
        let is_question = |n: u32| questions.iter().any(|q| q.n == n);
        // What each post passes on to its replies: `Some(n)` answers n,
        // `None` ends the chain; computed once per post.
        let mut passed: HashMap<&str, Option<u32>> = HashMap::new();
        let mut answers = HashMap::new();
        for &start in by_id.values() {
            // Walk up until a post decides, then hand the result down.
            let mut chain: Vec<&FoundPost> = Vec::new();
            let mut seen = HashSet::new();
            let mut post = start;
            let decided = loop {
                if let Some(known) = passed.get(post.id.as_str()) {
                    break *known;
                }
                if !seen.insert(post.id.as_str()) {
                    break None;
                }
                chain.push(post);
                if let Some(n) = question_of(&post.id) {
                    break Some(n);
                }
                let host = is_host(post);
                if !host {
                    if let Some(n) = answer_prefix(&post.text).filter(|&n| is_question(n)) {
                        break Some(n);
                    }
                }
                let Some(parent_id) = post.in_reply_to.as_deref() else {
                    break None;
                };
                if let Some(n) = question_of(parent_id) {
                    // The host's next question or wrap-up under its own
                    // question: not an answer, and neither are its replies.
                    break (!host).then_some(n);
                }
                match by_id.get(parent_id) {
                    Some(&parent) if host && is_host(parent) => break None,
                    Some(&parent) => post = parent,
                    None => break None,
                }
            };
            for post in chain {
                passed.insert(post.id.as_str(), decided);
                let own = decided.filter(|_| !is_host(post) && question_of(&post.id).is_none());
                if let Some(n) = own {
                    answers.insert(post.id.clone(), n);
                }
            }
        }
        AnswerIndex { answers }
    }

    /// The question post `id` answers, if any.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.answers.get(id).copied()
    }
}

/// The number in a leading `A<n>` marker, after whitespace and `@handle`s.
pub fn answer_prefix(text: &str) -> Option<u32> {
    let rest = skip_leading_mentions(text);
    let rest = rest.strip_prefix(['A', 'a'])?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 3 {
        return None;
    }
    let (number, after) = rest.split_at(digits);
    match after.chars().next() {
        Some(c) if c.is_alphanumeric() || c == '_' => None,
        _ => number.parse().ok(),
    }
}

/// `text` without leading whitespace and `@handle` words.
fn skip_leading_mentions(text: &str) -> &str {
    let mut rest = text.trim_start();
    while let Some(after_at) = rest.strip_prefix('@') {
        let end = after_at.find(char::is_whitespace).unwrap_or(after_at.len());
        if end == 0 {
            break;
        }
        rest = after_at[end..].trim_start();
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;

    fn post(text: &str, in_reply_to: Option<&str>) -> FoundPost {
        FoundPost {
            id: "1".into(),
            author_id: "u".into(),
            author_username: "u".into(),
            author_name: None,
            text: text.into(),
            created_at: Timestamp::UNIX_EPOCH,
            in_reply_to: in_reply_to.map(str::to_owned),
            url: None,
            is_repost: false,
        }
    }

    fn questions() -> Vec<QuestionPost> {
        (1..=3)
            .map(|n| QuestionPost {
                n,
                post_id: Some(format!("q{n}")),
            })
            .collect()
    }

    #[test]
    fn accepts_the_documented_prefixes() {
        for text in [
            "A2 yes #chat",
            "A2: yes",
            "A2. yes",
            "a2 - yes",
            "A2) yes",
            "A2, yes",
            "A2—yes",
            "A 2 yes",
            "A2",
            "  A2\nyes",
            "@host A2 yes",
            "@host @other a2: yes",
        ] {
            assert_eq!(
                answered_question(&post(text, None), &questions()),
                Some(2),
                "{text:?}"
            );
        }
    }

    #[test]
    fn rejects_words_that_merely_start_with_a_digit_after_a() {
        for text in [
            "A1C levels matter",
            "A2B",
            "A2_",
            "Agree",
            "A",
            "Q2 what?",
            "I think A2",
            "A١ arabic digit",
            "@ A2",
        ] {
            assert_eq!(answer_prefix(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_reply_to_a_question_post_answers_it() {
        let q = questions();
        assert_eq!(answered_question(&post("yes!", Some("q3")), &q), Some(3));
        assert_eq!(answered_question(&post("yes!", Some("other")), &q), None);
        assert_eq!(answered_question(&post("yes!", None), &q), None);
    }

    #[test]
    fn the_text_wins_over_the_reply_target() {
        assert_eq!(
            answered_question(&post("A1 late answer", Some("q3")), &questions()),
            Some(1)
        );
    }

    #[test]
    fn numbers_outside_the_chat_fall_back_to_the_reply_target() {
        assert_eq!(
            answered_question(&post("A9 hm", Some("q2")), &questions()),
            Some(2)
        );
        assert_eq!(answered_question(&post("A9 hm", None), &questions()), None);
        assert_eq!(answered_question(&post("A0 hm", None), &questions()), None);
    }

    fn by(id: &str, author: &str, text: &str, parent: Option<&str>) -> FoundPost {
        FoundPost {
            id: id.into(),
            author_id: author.into(),
            ..post(text, parent)
        }
    }

    fn index_of(posts: &[FoundPost]) -> AnswerIndex {
        AnswerIndex::new(posts, &questions(), |p| p.author_id == "host")
    }

    #[test]
    fn replies_to_answers_count_for_the_question_of_their_branch() {
        let posts = [
            by("q2", "host", "Q2. Why? #chat", Some("q1")),
            by("a", "ann", "because", Some("q2")),
            by("b", "bob", "agreed with ann", Some("a")),
            by("c", "cat", "me too", Some("b")),
            by("d", "dan", "A3 late one", Some("q2")),
            by("e", "eve", "+1", Some("d")),
            by("f", "fay", "no thread", None),
        ];
        let index = index_of(&posts);
        let got: Vec<_> = posts
            .iter()
            .map(|p| (p.id.as_str(), index.get(&p.id)))
            .collect();
        assert_eq!(
            got,
            [
                ("q2", None),
                ("a", Some(2)),
                ("b", Some(2)),
                ("c", Some(2)),
                ("d", Some(3)),
                ("e", Some(3)),
                ("f", None),
            ]
        );
    }

    #[test]
    fn the_host_answers_nothing_and_its_own_thread_ends_a_branch() {
        let posts = [
            by("a", "ann", "yes", Some("q2")),
            by("h1", "host", "great point!", Some("a")),
            by("b", "bob", "indeed", Some("h1")),
            by("wrap", "host", "That's all, thanks!", Some("q3")),
            by("c", "cat", "thanks for hosting", Some("wrap")),
            by("h2", "host", "and one more thing", Some("wrap")),
            by("d", "dan", "ok", Some("h2")),
        ];
        let index = index_of(&posts);
        assert_eq!(index.get("a"), Some(2));
        assert_eq!(index.get("h1"), None, "the host is not a participant");
        assert_eq!(index.get("b"), Some(2), "through the host's remark");
        assert_eq!(index.get("wrap"), None);
        assert_eq!(index.get("c"), None, "a reply to the wrap-up");
        assert_eq!(index.get("d"), None);
    }

    #[test]
    fn a_reply_loop_or_a_missing_parent_answers_nothing() {
        let posts = [
            by("x", "ann", "loop", Some("y")),
            by("y", "bob", "loop", Some("x")),
            by("z", "cat", "orphan", Some("gone")),
        ];
        let index = index_of(&posts);
        assert_eq!(
            (index.get("x"), index.get("y"), index.get("z")),
            (None, None, None)
        );
        let deep = 20_000;
        let long: Vec<FoundPost> = (0..deep)
            .map(|i| {
                let parent = if i == 0 {
                    "q1".to_string()
                } else {
                    format!("r{}", i - 1)
                };
                by(&format!("r{i}"), "ann", "deeper", Some(&parent))
            })
            .collect();
        let index = index_of(&long);
        assert_eq!(index.get("r0"), Some(1));
        assert_eq!(index.get(&format!("r{}", deep - 1)), Some(1));
    }
}
