//! `tweetchat count`: the length of a text as a platform counts it, so an
//! organizer can try a question before putting it in a chat file.

use std::process::ExitCode;

use crate::cli::CountArgs;
use crate::text::{PlatformKind, count};

/// Prints `x: 37 / 280` (and how much over); exit 0 when it fits, 1 when not.
pub fn run(args: CountArgs) -> anyhow::Result<ExitCode> {
    let (line, fits) = report(args.platform, &args.text);
    println!("{line}");
    Ok(if fits {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The report line and whether the text fits the platform's default limit.
fn report(platform: PlatformKind, text: &str) -> (String, bool) {
    let length = count(platform, text);
    let limit = platform.default_limit();
    let mut line = format!("{platform}: {length} / {limit}");
    if length > limit {
        line.push_str(&format!(" (over by {})", length - limit));
    }
    (line, length <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_the_length_the_limit_and_how_much_over() {
        assert_eq!(
            report(PlatformKind::X, "hello"),
            ("x: 5 / 280".into(), true)
        );
        let long = "a".repeat(301);
        assert_eq!(
            report(PlatformKind::Bluesky, &long),
            ("bluesky: 301 / 300 (over by 1)".into(), false)
        );
    }
}
