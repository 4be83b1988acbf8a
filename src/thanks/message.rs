//! The words of a thank-you that do not come from the organizer's template.
//!
//! The template (`thanks.text` with `{mentions}`) is filled and split into
//! posts by [`crate::text`]; this module supplies the mentions in participant
//! order, and the mention-free thank-you used when there is nobody to mention,
//! when search is unavailable, or when the platform refuses the mentions (X's
//! restrictions on programmatic @mentions).

use super::participants::Participant;

/// `@handle` for each participant, in their order (first post first).
pub fn mentions(participants: &[Participant]) -> Vec<String> {
    participants
        .iter()
        .map(|p| format!("@{}", p.username.trim_start_matches('@')))
        .collect()
}

/// A thank-you without mentions that still counts the people, when known:
/// `Thank you to all 42 people who joined #hcsmbm today!`. `None` (search
/// unavailable) and `Some(0)` thank everyone without a number.
pub fn generic_thanks(participants: Option<usize>, hashtag: &str) -> String {
    match participants {
        None | Some(0) => format!("Thank you to everyone who joined {hashtag} today!"),
        Some(1) => format!("Thank you to the one person who joined {hashtag} today!"),
        Some(2) => format!("Thank you to both people who joined {hashtag} today!"),
        Some(n) => format!("Thank you to all {n} people who joined {hashtag} today!"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use jiff::Timestamp;

    use super::*;

    fn person(username: &str) -> Participant {
        Participant {
            author_id: username.into(),
            username: username.into(),
            name: None,
            first_post_at: Timestamp::UNIX_EPOCH,
            posts: 1,
            answered: BTreeSet::new(),
        }
    }

    #[test]
    fn mentions_keep_participant_order_and_one_at_sign() {
        let people = [person("zoë_日本"), person("ann"), person("@bob")];
        assert_eq!(mentions(&people), ["@zoë_日本", "@ann", "@bob"]);
        assert!(mentions(&[]).is_empty());
    }

    #[test]
    fn the_generic_thanks_counts_people_when_it_can() {
        assert_eq!(
            generic_thanks(Some(42), "#hcsmbm"),
            "Thank you to all 42 people who joined #hcsmbm today!"
        );
        assert_eq!(
            generic_thanks(Some(2), "#hcsmbm"),
            "Thank you to both people who joined #hcsmbm today!"
        );
        assert_eq!(
            generic_thanks(Some(1), "#hcsmbm"),
            "Thank you to the one person who joined #hcsmbm today!"
        );
        for unknown in [None, Some(0)] {
            assert_eq!(
                generic_thanks(unknown, "#hcsmbm"),
                "Thank you to everyone who joined #hcsmbm today!"
            );
        }
    }
}
