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
//! - A direct reply to the host's post of question 2 (its platform id).
//!
//! When both say something, the text wins: a reply to Q2 that starts with
//! `A3` answers Q3 (people reply to the latest question with an answer to an
//! earlier one). A number that is not a question of this chat (`A9` in a
//! five-question chat) is taken for a typo: the reply target decides, and
//! without one the post answers nothing.

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
}
