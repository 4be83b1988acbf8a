//! Question times: explicit `at`s checked, the others spread evenly.

use jiff::SignedDuration;

use super::node::Loc;
use super::offsets::non_negative;
use super::raw::{At, RawChat, RawQuestion, Reader};
use super::{Question, TextsBuilder, defaults, duration};

/// Resolves question offsets. Questions without `at` are spread evenly:
/// a run of k such questions between the previous explicit `at` (or the
/// start) and the next one (or the end) lands at equal steps of
/// (next - previous) / (k + 1), truncated to whole seconds.
pub(super) fn resolve<'c>(
    r: &mut Reader<'_>,
    chat: &'c RawChat,
    seasonal: bool,
    length: Option<SignedDuration>,
    texts: &mut TextsBuilder<'c>,
) -> Box<[Question]> {
    if chat.questions.is_none() && seasonal {
        // Each session brings its own; an occurrence without any is not held.
        return Box::default();
    }
    let Some(list) = &chat.questions else {
        // `questions: What is one thing?` was already reported as not a list.
        if r.diags
            .iter()
            .any(|d| d.message.contains("list of questions"))
        {
            return Box::default();
        }
        r.error(
            Loc::default(),
            "missing `questions`",
            format!("add `{}`", super::keys::line("questions")),
        );
        return Box::default();
    };
    resolve_list(r, list, length, texts)
}

/// The questions of one list (the chat's, or a session's).
pub(super) fn resolve_list<'c>(
    r: &mut Reader<'_>,
    list: &'c At<Vec<RawQuestion>>,
    length: Option<SignedDuration>,
    texts: &mut TextsBuilder<'c>,
) -> Box<[Question]> {
    if list.value.is_empty() {
        r.error(
            list.loc,
            "`questions` is empty",
            "add at least one question, e.g. `- What brought you here?`",
        );
    }
    for q in list.value.iter().filter(|q| q.text.value.trim().is_empty()) {
        r.error(
            q.text.loc,
            "a question has no text",
            "write the question, e.g. `- What brought you here?`, or remove the entry",
        );
    }
    let explicit = explicit_offsets(r, &list.value, length);
    let resolved = spread(&explicit, length.unwrap_or(defaults::DURATION));
    list.value
        .iter()
        .zip(resolved)
        .enumerate()
        .map(|(i, (q, at))| Question {
            n: u32::try_from(i + 1).unwrap_or(u32::MAX),
            at,
            text: texts.add(q.text.value.as_str()),
        })
        .collect()
}

/// Parsed `at`s, checked against the end, file order and each other.
/// Without a valid `length` the end is unknown and not checked.
fn explicit_offsets(
    r: &mut Reader<'_>,
    list: &[RawQuestion],
    length: Option<SignedDuration>,
) -> Vec<Option<SignedDuration>> {
    let mut out = Vec::new();
    let mut previous: Option<(usize, SignedDuration)> = None;
    for (i, q) in list.iter().enumerate() {
        let Some(at) = &q.at else {
            out.push(None);
            continue;
        };
        let Some(offset) = non_negative(r, at, "at", SignedDuration::ZERO) else {
            out.push(None);
            continue;
        };
        let n = i + 1;
        if let Some(length) = length.filter(|l| offset >= *l) {
            r.error(
                at.loc,
                format!(
                    "Q{n} at {} is not before the end of the chat ({} long)",
                    at.value.trim(),
                    duration::format(length)
                ),
                format!(
                    "move it inside the chat, e.g. `at: {}`, or lengthen `duration`",
                    duration::format(length - SignedDuration::from_mins(5).min(length / 2))
                ),
            );
        } else if let Some((m, before)) = previous {
            if offset == before {
                r.error(
                    at.loc,
                    format!("Q{n} and Q{m} are both at {}", duration::format(offset)),
                    format!(
                        "move Q{n} later, e.g. `at: {}`",
                        duration::format(before + SignedDuration::from_mins(5))
                    ),
                );
            } else if offset > before && offset - before < SignedDuration::from_mins(1) {
                r.warn(
                    at.loc,
                    format!(
                        "Q{n} comes only {} after Q{m}: people get less than a minute to answer",
                        duration::format(offset - before)
                    ),
                    "fine for a rehearsal; in a real chat give each question a few minutes",
                );
            } else if offset < before {
                r.error(
                    at.loc,
                    format!(
                        "Q{n} at {} comes before Q{m} at {}; questions are posted in file order",
                        at.value.trim(),
                        duration::format(before)
                    ),
                    "reorder the questions, or fix their `at`",
                );
            }
        }
        previous = Some((n, offset));
        out.push(Some(offset));
    }
    out
}

fn spread(explicit: &[Option<SignedDuration>], length: SignedDuration) -> Vec<SignedDuration> {
    let mut out = Vec::with_capacity(explicit.len());
    let mut i = 0;
    while i < explicit.len() {
        if let Some(at) = explicit[i] {
            out.push(at);
            i += 1;
            continue;
        }
        let run_end = (i..explicit.len())
            .find(|&j| explicit[j].is_some())
            .unwrap_or(explicit.len());
        let lo = out.last().copied().unwrap_or(SignedDuration::ZERO);
        let hi = explicit
            .get(run_end)
            .copied()
            .flatten()
            .unwrap_or(length)
            .max(lo);
        let k = i64::try_from(run_end - i).unwrap_or(i64::MAX);
        let step = (hi - lo).as_secs() / (k + 1);
        for j in 1..=k {
            out.push(lo + SignedDuration::from_secs(step * j));
        }
        i = run_end;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use jiff::SignedDuration;

    use crate::plan::load::load_str;
    use crate::plan::validate::tests::{BASE, only_error, with_line};

    fn offsets(questions: &str) -> Vec<SignedDuration> {
        let src = BASE.split("questions:").next().unwrap().to_string() + questions;
        let plan = load_str(Path::new("t.yaml"), &src).unwrap();
        plan.questions.iter().map(|q| q.at).collect()
    }

    fn mins(m: &[i64]) -> Vec<SignedDuration> {
        m.iter().map(|m| SignedDuration::from_mins(*m)).collect()
    }

    #[test]
    fn questions_without_at_are_spread_evenly() {
        let four = "questions: [One?, Two?, Three?, Four?]\n";
        assert_eq!(offsets(four), mins(&[12, 24, 36, 48]));
        let mixed = "questions:\n  - One?\n  - {at: 20m, text: Two?}\n  - Three?\n  - Four?\n";
        assert_eq!(
            offsets(mixed),
            vec![
                SignedDuration::from_mins(10),
                SignedDuration::from_mins(20),
                SignedDuration::from_secs(2000),
                SignedDuration::from_secs(2800),
            ]
        );
    }

    #[test]
    fn a_question_after_the_end_is_reported() {
        let (line, column, message, help) = only_error(&with_line(9, "  - at: 1h"));
        assert_eq!((line, column), (9, 9));
        assert_eq!(
            message,
            "Q2 at 1h is not before the end of the chat (1h long)"
        );
        assert!(help.contains("`at: 55m`"), "{help}");
    }

    #[test]
    fn two_questions_at_the_same_instant_are_an_error() {
        let (line, column, message, help) = only_error(&with_line(9, "  - at: 5m"));
        assert_eq!((line, column), (9, 9));
        assert_eq!(message, "Q2 and Q1 are both at 5m");
        assert!(help.contains("`at: 10m`"), "{help}");
    }

    #[test]
    fn questions_less_than_a_minute_apart_are_a_warning() {
        let src = with_line(9, "  - at: 5m30s");
        let loaded = crate::plan::load::load_str_warned(Path::new("t.yaml"), &src);
        let plan = loaded.plan.unwrap().0;
        assert_eq!(plan.questions[1].at, SignedDuration::from_secs(330));
        assert_eq!(loaded.warnings.len(), 1, "{:#?}", loaded.warnings);
        let warning = &loaded.warnings[0];
        assert_eq!((warning.line, warning.column), (9, 9));
        assert_eq!(
            warning.message,
            "Q2 comes only 30s after Q1: people get less than a minute to answer"
        );
    }

    #[test]
    fn questions_out_of_order_are_reported() {
        let (line, _, message, help) = only_error(&with_line(9, "  - at: 2m"));
        assert_eq!(line, 9);
        assert!(message.contains("comes before Q1"), "{message}");
        assert!(help.contains("reorder"), "{help}");
    }

    #[test]
    fn a_question_without_text_is_reported() {
        let (line, column, message, help) = only_error(&with_line(8, "    text: \"  \""));
        assert_eq!(
            (line, column, message.as_str()),
            (8, 11, "a question has no text")
        );
        assert!(help.contains("remove the entry"), "{help}");
    }

    #[test]
    fn an_empty_question_list_is_reported() {
        let src = BASE.split("questions:").next().unwrap().to_string() + "questions: []\n";
        let (line, column, message, _) = only_error(&src);
        assert_eq!(
            (line, column, message.as_str()),
            (6, 12, "`questions` is empty")
        );
    }
}
