//! A question that numbers itself when the question format numbers it too.
//!
//! The default `question_format` is `Q{n}. {text}`, so an organizer who
//! writes `Q2 What tool saved you time?` (the habit of hosting by hand)
//! gets `Q2. Q2 What tool saved you time?` on every network. The text is
//! posted as written, never trimmed behind the organizer's back; this check
//! warns where it was written and says which of the two to drop.

use super::raw::Reader;
use super::{ChatPlan, PlanSpans};
use crate::text::template::{Vars, render};

/// Warns once per question whose text starts with the label the question
/// format already puts before it (`Q2`, or `Q` and any number).
pub(super) fn check(r: &mut Reader<'_>, plan: &ChatPlan, spans: &PlanSpans) {
    let format = plan.question_format();
    for (i, q) in plan.questions.iter().enumerate() {
        let vars = Vars {
            n: Some(q.n),
            text: Some("\u{0}"),
            ..super::hashtags::sample_vars(plan)
        };
        let Ok(framed) = render(format, &vars) else {
            continue;
        };
        let Some((before, _)) = framed.split_once('\u{0}') else {
            continue;
        };
        let label = before.trim_end_matches(|c: char| !c.is_alphanumeric());
        let Some(letters) = label.strip_suffix(|c: char| c.is_ascii_digit()) else {
            continue;
        };
        let letters = letters.trim_end_matches(|c: char| c.is_ascii_digit());
        let text = plan.question_text(q).trim_start();
        let Some(own) = own_label(text, letters) else {
            continue;
        };
        let post = format!("{before}{text}");
        r.warn(
            spans.questions.get(i).copied().unwrap_or_default(),
            format!(
                "Q{}'s text starts with `{own}`, and the question format numbers it too: \
                 it is posted as `{post}`",
                q.n
            ),
            format!(
                "drop `{own}` from the text (`{format}` adds `{label}`), or set \
                 `question_format: \"{{text}}\"` to number the questions yourself"
            ),
        );
    }
}

/// `text`'s own label when it starts with `letters` (any case) and a
/// number, then something that is not a letter or digit: `Q2`, `q3:`.
fn own_label<'t>(text: &'t str, letters: &str) -> Option<&'t str> {
    let head = text.get(..letters.len())?;
    if letters.is_empty() || !head.eq_ignore_ascii_case(letters) {
        return None;
    }
    let rest = &text[letters.len()..];
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after = rest[digits..].chars().next();
    (digits > 0 && !after.is_some_and(char::is_alphanumeric))
        .then(|| &text[..letters.len() + digits])
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::plan::load::load_str_warned;
    use crate::plan::validate::tests::BASE;

    #[test]
    fn a_question_numbered_by_hand_is_a_warning_where_it_was_written() {
        let src = BASE.replace("text: First?", "text: \"Q1: First?\"");
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        let plan = loaded.plan.unwrap().0;
        // Posted as written: nothing is taken out of the organizer's text.
        assert_eq!(plan.question_text(&plan.questions[0]), "Q1: First?");
        assert_eq!(loaded.warnings.len(), 1, "{:#?}", loaded.warnings);
        let warning = &loaded.warnings[0];
        assert_eq!(warning.line, 8);
        assert_eq!(
            warning.message,
            "Q1's text starts with `Q1`, and the question format numbers it too: \
             it is posted as `Q1. Q1: First?`"
        );
        assert!(warning.help.as_deref().unwrap().contains("drop `Q1`"));
    }

    #[test]
    fn any_number_and_case_count_but_words_do_not() {
        for (text, warned) in [
            ("q3 First?", true),
            ("Q12) First?", true),
            ("Q1", true),
            ("Quick one: first?", false),
            ("Q1a is a vitamin?", false),
            ("What is Q1?", false),
        ] {
            let src = BASE.replace("text: First?", &format!("text: \"{text}\""));
            let loaded = load_str_warned(Path::new("t.yaml"), &src);
            assert_eq!(
                !loaded.warnings.is_empty(),
                warned,
                "{text}: {:#?}",
                loaded.warnings
            );
        }
    }

    #[test]
    fn a_format_without_a_number_leaves_numbering_to_the_organizer() {
        let src =
            BASE.replace("text: First?", "text: \"Q1 First?\"") + "question_format: \"{text}\"\n";
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        assert!(loaded.plan.is_ok());
        assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    }
}
