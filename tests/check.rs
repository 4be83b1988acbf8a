//! `tweetchat check` run as a process on the files in `tests/data/chats`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `tweetchat --config-dir CONFIG check ARGS` from the crate root.
fn check(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .current_dir(root())
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .arg("--config-dir")
        .arg(config)
        .arg("check")
        .args(args)
        .output()
        .unwrap()
}

fn no_config() -> PathBuf {
    root().join("tests/data/no-such-config")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The chats shipped in `chats/`. An organizer may add their own beside
/// them, so no test counts the folder's files.
const EXAMPLES: [&str; 2] = ["chats/hcsmbm.yaml", "chats/rarediseaseday.yaml"];

#[test]
fn the_example_chats_pass() {
    let out = check(&no_config(), &EXAMPLES);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("ok hcsmbm (chats/hcsmbm.yaml)"), "{stdout}");
    assert!(stdout.contains("ok rarediseaseday"), "{stdout}");
    assert!(
        stdout.ends_with("2 files, 2 valid, 0 invalid, 0 errors\n"),
        "{stdout}"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn the_example_chats_pass_with_the_committed_settings() {
    let out = check(&root().join("config"), &EXAMPLES);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn every_mistake_of_a_file_is_reported_with_its_location_and_a_fix() {
    let out = check(&no_config(), &["tests/data/chats/bad/many.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let file = "tests/data/chats/bad/many.yaml";
    for expected in [
        format!("{file}:2:10: `#123` is not a hashtag"),
        "  help: write `hashtag: \"#chat123\"`".to_string(),
        format!("{file}:3:11: unknown time zone `America/Chicgo`"),
        "  help: did you mean `America/Chicago`".to_string(),
        format!("{file}:5:11: `duration` is not a duration"),
        format!("{file}:6:1: unknown key `colour` in the chat file"),
        format!("{file}:7:17: unknown time zone `Europe/Londn`"),
        format!("{file}:8:12: `Main-X` is not an account name"),
        format!("{file}:9:14: unknown placeholder `{{titel}}` in welcome"),
        "  help: did you mean `{title}`?".to_string(),
        format!("{file}:9:23: placeholder `{{mentions}}` is not available in welcome"),
        format!("{file}:13:9: Q2 and Q1 are both at 5m"),
        format!("{file}:18:28: placeholder `{{n}}` is not available in thanks"),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing {expected:?} in\n{stderr}"
        );
    }
    // Errors come in file order.
    let lines: Vec<usize> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{file}:")))
        .map(|l| l.split(':').next().unwrap().parse().unwrap())
        .collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert_eq!(text(&out.stdout), "1 file, 0 valid, 1 invalid, 10 errors\n");
}

#[test]
fn a_broken_file_does_not_hide_a_good_one() {
    let out = check(&no_config(), &["tests/data/chats/mixed"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stdout.contains("ok weekly (tests/data/chats/mixed/weekly.yaml): next "),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("2 files, 1 valid, 1 invalid, 1 error\n"),
        "{stdout}"
    );
    assert!(
        stderr.starts_with("tests/data/chats/mixed/broken.yaml:4:3: invalid YAML: "),
        "{stderr}"
    );
    assert!(stderr.contains("  help: fix the YAML syntax"), "{stderr}");
}

#[test]
fn duplicate_chat_ids_across_folders_are_reported() {
    let out = check(
        &no_config(),
        &["tests/data/chats/dup_a", "tests/data/chats/dup_b"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "tests/data/chats/dup_b/weekly.yml: chat id `weekly` is already used by tests/data/chats/dup_a/weekly.yaml"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("help: rename one of the files"), "{stderr}");
    assert!(text(&out.stdout).ends_with("2 files, 1 valid, 1 invalid, 1 error\n"));
}

#[test]
fn accounts_and_lengths_are_checked_against_the_settings() {
    let config = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("config/default.toml"),
        config.path().join("default.toml"),
    )
    .unwrap();
    std::fs::write(
        config.path().join("local.toml"),
        "[accounts.main_x]\nplatform = \"x\"\nconsumer_key = \"k\"\nconsumer_secret = \"s\"\n\
         access_token = \"t\"\naccess_token_secret = \"u\"\n\
         [accounts.masto]\nplatform = \"mastodon\"\napi_base = \"http://127.0.0.1:9\"\naccess_token = \"t\"\n",
    )
    .unwrap();
    let out = check(config.path(), &["tests/data/chats/long/long.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("long.yaml:5:27: unknown account `ghost`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "long.yaml:9:5: Q2 is 286 characters on x, over the limit of 280 for `main_x`"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("on mastodon"), "500 is enough: {stderr}");
    assert!(!stderr.contains("\"k\"") && !stderr.contains("= \"t\""));
}

#[test]
fn without_paths_the_chats_folder_of_the_working_directory_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("chats")).unwrap();
    std::fs::copy(
        root().join("tests/data/chats/mixed/weekly.yaml"),
        dir.path().join("chats/weekly.yaml"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .current_dir(dir.path())
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ok weekly (chats/weekly.yaml)"));
}

#[test]
fn a_missing_path_is_invalid_and_a_bad_flag_is_a_usage_error() {
    let out = check(&no_config(), &["tests/data/chats/nope.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("tests/data/chats/nope.yaml: no such file or folder"));
    let out = check(&no_config(), &["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `check` never goes online: it says what the daemon last read from the
/// instance, here that it calls itself by another name than `api_base`
/// (its next-page links name that host), with what it means.
#[test]
fn an_instance_known_by_another_name_is_told() {
    use tweetchat::daemon::accounts::StateLimits;
    use tweetchat::platform::mastodon::{InstanceLimits, LimitStore};

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    let limits = StateLimits::open(&state).unwrap();
    for (account, domain) in [("inside", "gts.example"), ("same", "127.0.0.1:9")] {
        limits
            .save(
                account,
                InstanceLimits {
                    domain: Some(domain.into()),
                    ..InstanceLimits::default()
                },
            )
            .unwrap();
    }
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(
        config.join("local.toml"),
        format!(
            "state_dir = {state:?}\ndefault_accounts = [\"inside\", \"same\"]\n\
             [accounts.inside]\nplatform = \"mastodon\"\napi_base = \"http://10.1.2.3:8080\"\naccess_token = \"t\"\n\
             [accounts.same]\nplatform = \"mastodon\"\napi_base = \"http://127.0.0.1:9\"\naccess_token = \"t\"\n"
        ),
    )
    .unwrap();
    let out = check(&config, &["chats/hcsmbm.yaml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "a warning only: {stderr}");
    assert!(
        stderr.contains(
            "account `inside`: the instance calls itself `gts.example` while api_base is http://10.1.2.3:8080"
        ) && stderr.contains("next-page links on `gts.example`"),
        "{stderr}"
    );
    assert!(!stderr.contains("account `same`: the instance"), "{stderr}");
}
