//! Durations read from a chat file, with problems reported at their key.
//!
//! Shared by the checks of `duration`, `announce[].before`, `questions[].at`
//! and `thanks.after`, so [`super::validate`] and [`super::questions`] need
//! not import each other.

use jiff::SignedDuration;

use super::duration;
use super::raw::{At, Reader};

/// A duration; reports malformed ones.
fn parse_duration(r: &mut Reader<'_>, at: &At<String>, key: &str) -> Option<SignedDuration> {
    match duration::parse(&at.value) {
        Ok(d) => Some(d),
        Err(err) => {
            r.error(
                at.loc,
                format!("`{key}` is not a duration: {err}"),
                duration::HELP,
            );
            None
        }
    }
}

/// A duration that must be more than zero.
pub(super) fn positive(r: &mut Reader<'_>, at: &At<String>, key: &str) -> Option<SignedDuration> {
    non_negative(r, at, key, SignedDuration::from_secs(1))
}

pub(super) fn non_negative(
    r: &mut Reader<'_>,
    at: &At<String>,
    key: &str,
    min: SignedDuration,
) -> Option<SignedDuration> {
    let d = parse_duration(r, at, key)?;
    if d >= min {
        return Some(d);
    }
    let least = if min.is_zero() {
        "zero or more"
    } else {
        "more than zero"
    };
    r.error(
        at.loc,
        format!("`{key}` must be {least}, found `{}`", at.value.trim()),
        format!("write a positive duration like `{key}: 10m`"),
    );
    None
}
