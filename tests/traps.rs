//! The organizer's traps, run as `tweetchat check` on folders of trap files
//! (`tests/data/chats/traps`: warnings only; `tests/data/chats/trap_errors`:
//! one error per file). Each trap is reported at its line and column with
//! the fix, in our words, once.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(folder: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .current_dir(root())
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .arg("--config-dir")
        .arg(root().join("tests/data/no-such-config"))
        .args(["check", folder])
        .output()
        .unwrap()
}

/// `stderr` holds `line` directly followed by a help line containing `help`.
fn assert_reported(stderr: &str, line: &str, help: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    let Some(i) = lines.iter().position(|l| l.starts_with(line)) else {
        panic!("missing {line:?} in\n{stderr}");
    };
    let next = lines.get(i + 1).copied().unwrap_or("");
    assert!(
        next.starts_with("  help: ") && next.contains(help),
        "help for {line:?} should contain {help:?}, found {next:?}"
    );
}

#[test]
fn warnings_only_are_reported_with_the_fix_and_exit_zero() {
    let out = check("tests/data/chats/traps");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let dir = "tests/data/chats/traps";
    for (line, help) in [
        (
            format!(
                "{dir}/comment.yaml:5:10: warning: the text stops before `#edchat time!`: an unquoted ` #` starts a YAML comment, so this posts `Hi all, it is`"
            ),
            "`welcome: \"Hi all, it is #edchat time!\"`",
        ),
        (
            format!(
                "{dir}/comment.yaml:9:11: warning: the text stops before `#edtech tips welcome`"
            ),
            "`text: \"Which tool saved you time this year? #edtech tips welcome\"`",
        ),
        (
            format!(
                "{dir}/hashtag.yaml:5:10: warning: the welcome carries #edchat 4 times and is posted as written"
            ),
            "write #edchat once",
        ),
        (
            format!("{dir}/seconds.yaml:11:9: warning: Q2 comes only 20s after Q1"),
            "fine for a rehearsal",
        ),
        (
            format!(
                "{dir}/zones.yaml:3:11: warning: time zone `EST` is an abbreviation, not a place: it keeps one offset all year and never changes to daylight time"
            ),
            "`America/New_York`",
        ),
        (
            format!("{dir}/zones.yaml:5:17: warning: time zone `CET` is an abbreviation"),
            "`Europe/Paris`",
        ),
        (
            format!("{dir}/zones.yaml:5:22: warning: time zone `US/Pacific` is a legacy alias"),
            "`America/Los_Angeles`",
        ),
    ] {
        assert_reported(&stderr, &line, help);
    }
    assert_eq!(stderr.matches("warning:").count(), 7, "{stderr}");
    assert!(
        stdout.ends_with("4 files, 4 valid, 0 invalid, 0 errors, 7 warnings\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "ok seconds (tests/data/chats/traps/seconds.yaml): next Thu 14 Jan 2027 20:00:30 CET"
        ),
        "{stdout}"
    );
}

#[test]
fn each_mistake_is_one_error_in_our_words() {
    let out = check("tests/data/chats/trap_errors");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let dir = "tests/data/chats/trap_errors";
    for (line, help) in [
        (
            format!(
                "{dir}/colon.yaml:6:5: this question was read as `key: value` because of the `: ` after `What is one thing`"
            ),
            "`- \"What is one thing: your answer?\"`",
        ),
        (
            format!(
                "{dir}/cron.yaml:4:9: `repeat: \"0 7PM * * THU\"`: the hour field `7PM` is not an hour: write a number from 0 to 23 (19 is 7 pm)"
            ),
            "minute hour day-of-month month day-of-week",
        ),
        (
            format!("{dir}/not_a_list.yaml:5:12: expected a list of questions, found a string"),
            "questions: [",
        ),
        (
            format!("{dir}/same_instant.yaml:8:9: Q2 and Q1 are both at 5m"),
            "`at: 10m`",
        ),
        (
            format!("{dir}/twice.yaml:2:1: `title` is written twice in the same mapping"),
            "keep one of them",
        ),
    ] {
        assert_reported(&stderr, &line, help);
    }
    // One message per mistake, one mistake per file.
    for file in ["colon", "cron", "not_a_list", "same_instant", "twice"] {
        let count = stderr.matches(&format!("{dir}/{file}.yaml:")).count();
        assert_eq!(count, 1, "{file}: {stderr}");
    }
    for internal in [
        "DuplicateKeyPolicy",
        "Options",
        "CronPattern",
        "illegal character",
    ] {
        assert!(!stderr.contains(internal), "{internal} in {stderr}");
    }
}
