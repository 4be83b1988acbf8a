//! A question that numbers itself when the question format numbers it too.
//!
//! The default `question_format` is `Q{n}. {text}`, so an organizer who
//! writes `Q2 What tool saved you time?` (the habit of hosting by hand)
//! gets `Q2. Q2 What tool saved you time?` on every network. The text is
//! posted as written, never trimmed behind the organizer's back; this check
//! warns where it was written and says which of the two to drop.

use super::defaults::QUESTION_FORMAT;
use super::raw::{RawChat, Reader};
use super::{ChatPlan, Loc, PlanSpans};
use crate::text::template::{Vars, render};

/// Warns once per question whose text starts with the label the question
/// format already puts before it (`Q2`, or `Q` and any number).
pub(super) fn check(r: &mut Reader<'_>, plan: &ChatPlan, spans: &PlanSpans) {
    let format = plan.question_format();
    let when = super::hashtags::SampleWhen::of(plan);
    for (i, q) in plan.questions.iter().enumerate() {
        let vars = Vars {
            n: Some(q.n),
            text: Some("\u{0}"),
            ..super::hashtags::sample_vars(plan, &when)
        };
        let Ok(framed) = render(format, &vars) else {
            continue;
        };
        let Some((before, _)) = framed.split_once('\u{0}') else {
            continue;
        };
        let loc = spans.questions.get(i).copied().unwrap_or_default();
        let who = format!("Q{}", q.n);
        warn_if_numbered(r, loc, &who, before, before, format, plan.question_text(q));
    }
}

/// The same check on a file that has errors, so every problem is reported
/// in one `check`: the questions as written, numbered in the order written,
/// against the file's `question_format` (or the default).
pub(super) fn check_raw(r: &mut Reader<'_>, chat: &RawChat) {
    let format = chat
        .question_format
        .as_ref()
        .map_or(QUESTION_FORMAT, |f| f.value.as_str());
    let Some((prefix, _)) = format.split_once("{text}") else {
        return;
    };
    let questions: Vec<_> = chat.questions.iter().flat_map(|l| &l.value).collect();
    // A question list item that did not read (a `: ` trap) shifts the
    // numbers: then the warning does not claim one.
    let (first, last) = (
        questions.first().map_or(0, |q| q.text.loc.line),
        questions.last().map_or(0, |q| q.text.loc.line),
    );
    let list = chat
        .questions
        .as_ref()
        .map_or(first, |l| l.loc.line.min(first));
    let numbered = !r.diags.iter().any(|d| (list..=last).contains(&d.line));
    for (i, q) in questions.into_iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let label_before = prefix.replace("{n}", &n.to_string());
        let (who, shown) = if numbered {
            (format!("Q{n}"), label_before.clone())
        } else {
            ("this question".to_string(), prefix.replace("{n}", "N"))
        };
        let text = &q.text.value;
        warn_if_numbered(r, q.text.loc, &who, &shown, &label_before, format, text);
    }
}

/// Warns when `text` starts with the label that `label_before` (the
/// format's part before `{text}`) ends with; `shown` is that part as the
/// warning quotes it.
fn warn_if_numbered(
    r: &mut Reader<'_>,
    loc: Loc,
    who: &str,
    shown: &str,
    label_before: &str,
    format: &str,
    text: &str,
) {
    let label = label_before.trim_end_matches(|c: char| !c.is_alphanumeric());
    let Some(letters) = label.strip_suffix(|c: char| c.is_ascii_digit()) else {
        return;
    };
    let letters = letters.trim_end_matches(|c: char| c.is_ascii_digit());
    let text = text.trim_start();
    let Some(own) = own_label(text, letters) else {
        return;
    };
    let post = format!("{shown}{text}");
    r.warn(
        loc,
        format!(
            "{who}'s text starts with `{own}`, and the question format numbers it too: \
             it is posted as `{post}`"
        ),
        format!(
            "drop `{own}` from the text (`{format}` adds `{label}`), or set \
             `question_format: \"{{text}}\"` to number the questions yourself"
        ),
    );
}

/// A text that starts with a question label of its own (`Q1: What …`,
/// `q2) What …`): the label, and the text after it and its punctuation.
pub(super) fn strip_own_number(text: &str) -> Option<(&str, &str)> {
    let own = own_label(text, "Q")?;
    let rest = text[own.len()..].trim_start_matches([':', '.', ')', '-', ' ']);
    (!rest.is_empty()).then_some((own, rest))
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
    fn a_numbered_question_is_warned_even_when_the_file_has_an_error() {
        let src = BASE
            .replace("text: First?", "text: \"Q1 First?\"")
            .replace("timezone: America/Chicago", "timezone: America/Chicgo");
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        assert!(loaded.plan.is_err());
        assert_eq!(loaded.warnings.len(), 1, "{:#?}", loaded.warnings);
        assert!(
            loaded.warnings[0]
                .message
                .contains("posted as `Q1. Q1 First?`"),
            "{:#?}",
            loaded.warnings
        );
    }

    #[test]
    fn the_colon_trap_on_a_numbered_question_says_to_drop_the_number() {
        let src = BASE.replace("text: First?", "text: First?\n  - Q2: What helps?");
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        let errors = loaded.plan.unwrap_err();
        let help = errors[0].help.as_deref().unwrap();
        assert!(
            help.starts_with("drop `Q2` (the question format numbers each question) and quote the rest: `- \"What helps?\"`"),
            "{help}"
        );
    }

    #[test]
    fn a_broken_question_before_does_not_give_a_wrong_number() {
        let src = BASE.replace(
            "  - at: 5m\n    text: First?",
            "  - Q1: What did you read?\n  - at: 5m\n    text: \"Q3 First?\"",
        );
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        assert!(loaded.plan.is_err());
        assert_eq!(loaded.warnings.len(), 1, "{:#?}", loaded.warnings);
        assert_eq!(
            loaded.warnings[0].message,
            "this question's text starts with `Q3`, and the question format numbers it too: \
             it is posted as `QN. Q3 First?`"
        );
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
