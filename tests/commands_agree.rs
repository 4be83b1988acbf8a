//! The commands agree with each other: a chat argument is an id or a path
//! in every command, usage errors exit 2 everywhere, and `check` does not
//! call an account unused when the only chat naming it has another error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tweetchat --config-dir CONFIG ARGS` from the crate root.
fn tweetchat(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .current_dir(root())
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .arg("--config-dir")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A config folder whose state lives in a temp folder too.
fn config_with_state() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(
        dir.path().join("local.toml"),
        format!("state_dir = {:?}\n", state.display().to_string()),
    )
    .unwrap();
    dir
}

#[test]
fn calendar_takes_a_path_like_check_plan_and_rehearse() {
    let config = config_with_state();
    let by_path = tweetchat(config.path(), &["calendar", "chats/hcsmbm.yaml"]);
    assert_eq!(by_path.status.code(), Some(0), "{}", text(&by_path.stderr));
    let by_id = tweetchat(config.path(), &["calendar", "hcsmbm"]);
    assert_eq!(by_id.status.code(), Some(0), "{}", text(&by_id.stderr));
    let ics = text(&by_path.stdout);
    assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
    assert!(ics.contains("hcsmbm"), "{ics}");
    // The same chat, so the same events.
    let uids = |ics: &str| -> Vec<String> {
        ics.lines()
            .filter(|l| l.starts_with("UID:"))
            .map(String::from)
            .collect()
    };
    assert_eq!(uids(&ics), uids(&text(&by_id.stdout)));
}

#[test]
fn an_invalid_chat_file_is_exit_1_with_its_problems_in_calendar() {
    let config = config_with_state();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.yaml");
    std::fs::write(
        &file,
        "title: T\nhashtag: \"#t\"\ntimezone: America/Chicgo\nstart: 2027-01-13 12:00\nquestions: [One?]\n",
    )
    .unwrap();
    let out = tweetchat(config.path(), &["calendar", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("broken.yaml:3:11: unknown time zone"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_exit_2_in_every_command() {
    let config = config_with_state();
    let cases: [&[&str]; 8] = [
        &["calendar", "nochat"],
        &["calendar", "chats/nochat.yaml"],
        &["rehearse", "nochat"],
        &["transcript", "nochat/../x"],
        &["plan", "--from", "soon"],
        &["check", "--frobnicate"],
        &["count", "--platform", "myspace", "hi"],
        &["auth", "x", "--account", "nobody"],
    ];
    for args in cases {
        let out = tweetchat(config.path(), args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).is_empty(), "{args:?} says why");
    }
    let out = tweetchat(config.path(), &["calendar", "nochat"]);
    assert!(
        text(&out.stderr).contains("expected a chat file path or a chat id"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_account_named_only_by_a_broken_chat_is_not_called_unused() {
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("local.toml"),
        "[accounts.side]\nplatform = \"console\"\n",
    )
    .unwrap();
    let chats = tempfile::tempdir().unwrap();
    let chat = |zone: &str| {
        format!(
            "title: T\nhashtag: \"#t\"\ntimezone: {zone}\nstart: 2027-01-13 12:00\naccounts: [side]\nquestions: [One?]\n"
        )
    };
    std::fs::write(chats.path().join("side.yaml"), chat("America/Chicgo")).unwrap();
    let out = tweetchat(config.path(), &["check", chats.path().to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("unknown time zone"), "{stderr}");
    assert!(!stderr.contains("is not used"), "{stderr}");
    // Once the chat is fixed it is used; with no chat naming it, it is not.
    std::fs::write(chats.path().join("side.yaml"), chat("America/Chicago")).unwrap();
    let out = tweetchat(config.path(), &["check", chats.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("is not used"));
    std::fs::remove_file(chats.path().join("side.yaml")).unwrap();
    let out = tweetchat(config.path(), &["check", chats.path().to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("account `side` is not used"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_toml_list_in_default_accounts_says_lists_are_comma_separated() {
    let chats = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .current_dir(root())
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .args(["--config-dir", "/nonexistent/config", "check"])
        .arg(chats.path())
        .env("TWEETCHAT__DEFAULT_ACCOUNTS", "[\"main_x\"]")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("lists are comma-separated"), "{stderr}");
    assert!(stderr.contains("write `main_x`"), "{stderr}");
    assert!(
        !stderr.contains("define [accounts.[\"main_x\"]]"),
        "{stderr}"
    );
}
