//! `tweetchat plan` run as a process on the chat files in `tests/data/plan/`.
//! Every window is fixed with --from/--until: nothing here depends on "now",
//! and the caller's `TWEETCHAT__…` environment is kept out.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plan")
        .join(path)
}

/// `tweetchat --config-dir DIR`, blind to the caller's settings environment.
fn tweetchat(config_dir: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command.arg("--config-dir").arg(data(config_dir));
    command.env_remove("TWEETCHAT_CONFIG_DIR");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command
}

/// Runs `tweetchat plan ARGS` on the built-in settings (posts to the console).
fn plan(args: &[&str]) -> Output {
    let output = tweetchat("no-such-config").arg("plan").args(args).output();
    output.expect("the binary runs")
}

fn json_plan(args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = plan(&all);
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&output.stdout).expect("stdout is a JSON array")
}

fn hcsmbm() -> String {
    data("chats/hcsmbm.yaml").display().to_string()
}

fn launch() -> String {
    data("chats/launch.yaml").display().to_string()
}

const Q1: &str = "Q1. Everyone's needs are different. What are the keys to identifying each patient's needs? #hcsmbm";

#[test]
fn december_occurrence_of_the_weekly_chat() {
    let posts = json_plan(&[&hcsmbm(), "--from", "2026-12-01", "--until", "2026-12-03"]);
    let timeline: Vec<(String, String, Value)> = posts
        .iter()
        .map(|p| {
            (
                p["at"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
                p["n"].clone(),
            )
        })
        .collect();
    let at = |at: &str, kind: &str, n: Value| (at.to_string(), kind.to_string(), n);
    assert_eq!(
        timeline,
        [
            at("2026-12-01T18:00:00Z", "announce", Value::Null),
            at("2026-12-02T17:00:00Z", "announce", Value::Null),
            at("2026-12-02T18:00:00Z", "welcome", Value::Null),
            at("2026-12-02T18:05:00Z", "question", json!(1)),
            at("2026-12-02T18:15:00Z", "question", json!(2)),
            at("2026-12-02T18:25:00Z", "question", json!(3)),
            at("2026-12-02T18:35:00Z", "question", json!(4)),
            at("2026-12-02T19:00:00Z", "wrapup", Value::Null),
            at("2026-12-02T19:10:00Z", "thanks", Value::Null),
        ]
    );
    assert_eq!(
        posts[3],
        json!({
            "chat": "hcsmbm",
            "kind": "question",
            "n": 1,
            "seq": 1,
            "occurrence": "2026-12-02T12:00:00",
            "at": "2026-12-02T18:05:00Z",
            "local": "2026-12-02T12:05:00-06:00",
            "zone": "America/Chicago",
            "accounts": ["console"],
            "text": Q1,
            // No account configured yet: measured for every network.
            "length": {"bluesky": Q1.chars().count(), "mastodon": Q1.chars().count(), "x": Q1.chars().count()},
            "limit": {"bluesky": 300, "mastodon": 500, "x": 280},
            "over_limit": [],
            "per_account": [],
        })
    );
    assert_eq!(posts[0]["seq"], json!(1));
    assert_eq!(posts[1]["seq"], json!(2));
    assert_eq!(
        posts[0]["text"],
        "Tomorrow: Health Care Social Media Buddy Mentoring at 12:00 CST Wed 2 Dec — \
         11:00 MST, 10:00 PST, 13:00 EST, 18:00 GMT, 19:00 CET. #hcsmbm"
    );
    assert_eq!(
        posts[1]["text"],
        "In one hour: Health Care Social Media Buddy Mentoring at 12:00 CST #hcsmbm"
    );
    assert_eq!(
        posts[8]["text"],
        "Thank you so much to everyone who joined #hcsmbm today: {mentions}"
    );
}

#[test]
fn may_occurrence_is_in_summer_time() {
    let posts = json_plan(&[&hcsmbm(), "--from", "2026-05-12", "--until", "2026-05-14"]);
    let q1 = posts
        .iter()
        .find(|p| p["kind"] == "question" && p["n"] == 1)
        .unwrap();
    assert_eq!(q1["at"], "2026-05-13T17:05:00Z");
    assert_eq!(q1["local"], "2026-05-13T12:05:00-05:00");
    assert_eq!(
        posts[0]["text"],
        "Tomorrow: Health Care Social Media Buddy Mentoring at 12:00 CDT Wed 13 May — \
         11:00 MDT, 10:00 PDT, 13:00 EDT, 18:00 BST, 19:00 CEST. #hcsmbm"
    );
}

#[test]
fn instants_bound_the_window_exactly() {
    // From Q2 (inclusive) to the wrap-up (exclusive).
    let posts = json_plan(&[
        &hcsmbm(),
        "--from",
        "2026-12-02T18:15:00Z",
        "--until",
        "2026-12-02T19:00:00Z",
    ]);
    let ns: Vec<&Value> = posts.iter().map(|p| &p["n"]).collect();
    assert_eq!(ns, [&json!(2), &json!(3), &json!(4)]);
}

#[test]
fn a_week_from_a_date_by_default_holds_one_occurrence_and_the_next_announcement() {
    // until defaults to 8 days: 2026-12-02 00:00 to 2026-12-10 00:00 Chicago
    // holds the 2 and 9 December chats, and the 16 December announcement
    // is outside.
    let posts = json_plan(&[&hcsmbm(), "--from", "2026-12-02"]);
    let welcomes: Vec<&Value> = posts
        .iter()
        .filter(|p| p["kind"] == "welcome")
        .map(|p| &p["at"])
        .collect();
    assert_eq!(welcomes, ["2026-12-02T18:00:00Z", "2026-12-09T18:00:00Z"]);
    assert_eq!(
        posts.len(),
        2 * 9 - 1,
        "without the 1 December announcement"
    );
}

#[test]
fn one_off_chat_across_zones_and_chats_merged_in_time_order() {
    let posts = json_plan(&[
        &launch(),
        &hcsmbm(),
        "--from",
        "2026-12-09T00:00:00Z",
        "--until",
        "2026-12-11T00:00:00Z",
    ]);
    let launch: Vec<&Value> = posts.iter().filter(|p| p["chat"] == "launch").collect();
    assert_eq!(launch.len(), 3);
    assert_eq!(launch[0]["at"], "2026-12-10T06:30:00Z");
    assert_eq!(launch[0]["local"], "2026-12-10T07:30:00+01:00");
    assert_eq!(launch[0]["zone"], "Europe/Paris");
    assert_eq!(
        launch[0]["text"],
        "Today: Patient Voices Launch on Thu 10 Dec 2026 at 09:30 CET Thu 10 Dec — \
         19:30 AEDT, 14:00 IST, 05:30 UTC-3 #pvlaunch"
    );
    assert_eq!(
        launch[1]["text"],
        "Q1. What should patients hear first? #pvlaunch"
    );
    assert_eq!(
        launch[2]["text"],
        "Q2. Where do you look for #pvlaunch news?"
    );
    let ats: Vec<&str> = posts.iter().map(|p| p["at"].as_str().unwrap()).collect();
    let mut sorted = ats.clone();
    sorted.sort();
    assert_eq!(ats, sorted);
    assert!(posts.iter().any(|p| p["chat"] == "hcsmbm"));
}

#[test]
fn table_shows_times_posts_and_wrapped_text() {
    let output = plan(&[&hcsmbm(), "--from", "2026-12-02", "--until", "2026-12-03"]);
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("AT (UTC)"), "{stdout}");
    let q1 = lines
        .iter()
        .position(|l| l.starts_with("2026-12-02 18:05"))
        .expect("a row for Q1");
    for cell in ["Wed 2 Dec 12:05 CST", "hcsmbm", "question 1", "console"] {
        assert!(lines[q1].contains(cell), "{cell} in {}", lines[q1]);
    }
    assert_eq!(
        lines[q1 + 1],
        "    Q1. Everyone's needs are different. What are the keys to identifying each"
    );
    assert_eq!(lines[q1 + 2], "    patient's needs? #hcsmbm");
}

#[test]
fn an_empty_window_says_so() {
    let output = plan(&[&launch(), "--from", "2030-01-01", "--until", "2030-01-02"]);
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "no posts in this window\n"
    );
}

#[test]
fn invalid_files_are_reported_and_the_others_still_planned() {
    let dir = data("mixed").display().to_string();
    let output = plan(&[
        &dir,
        "--format",
        "json",
        "--from",
        "2026-12-10",
        "--until",
        "2026-12-11",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let located = stderr
        .lines()
        .find(|l| l.contains("broken.yaml:") && l.contains("`txt`"))
        .unwrap_or_else(|| panic!("no located error for `txt` in: {stderr}"));
    let after = located.split("broken.yaml:").nth(1).unwrap();
    let mut parts = after.splitn(3, ':');
    let line: usize = parts.next().unwrap().parse().unwrap();
    let column: usize = parts.next().unwrap().parse().unwrap();
    assert_eq!((line, column), (8, 5), "{located}");
    let posts: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(posts.len(), 3);
    assert!(posts.iter().all(|p| p["chat"] == "launch"));
}

#[test]
fn a_bad_bound_is_a_usage_error() {
    let output = plan(&[&launch(), "--from", "next tuesday"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--from: expected an RFC 3339 instant"),
        "{stderr}"
    );
}

#[test]
fn lengths_are_counted_for_the_platforms_of_the_accounts() {
    let output = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(data("config"))
        .args(["plan", &hcsmbm(), "--format", "json"])
        .args([
            "--from",
            "2026-12-02T18:05:00Z",
            "--until",
            "2026-12-02T18:06:00Z",
        ])
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let posts: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(posts.len(), 1);
    let chars = Q1.chars().count();
    assert_eq!(posts[0]["accounts"], json!(["main_x", "hcsm_mastodon"]));
    assert_eq!(posts[0]["length"], json!({"mastodon": chars, "x": chars}));
    assert_eq!(posts[0]["limit"], json!({"mastodon": 500, "x": 280}));
    assert_eq!(posts[0]["over_limit"], json!([]));
}

/// With accounts configured, each one is counted against its own limit: a
/// Mastodon instance's remembered `max_characters`, and its
/// `characters_reserved_per_url` for every link; the table has one column
/// per account.
#[test]
fn every_account_is_counted_against_its_own_limit() {
    use tweetchat::daemon::accounts::StateLimits;
    use tweetchat::platform::mastodon::{InstanceLimits, LimitStore};

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    StateLimits::open(&state)
        .unwrap()
        .save(
            "big_masto",
            InstanceLimits {
                max_characters: 1000,
                characters_reserved_per_url: 40,
                ..InstanceLimits::default()
            },
        )
        .unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(
        config.join("local.toml"),
        format!(
            "state_dir = {state:?}\n\
             default_accounts = [\"main_x\", \"small_masto\", \"big_masto\", \"sky\"]\n\
             [accounts.main_x]\nplatform = \"x\"\napi_base = \"http://127.0.0.1:9\"\n\
             consumer_key = \"t\"\nconsumer_secret = \"t\"\naccess_token = \"t\"\naccess_token_secret = \"t\"\n\
             [accounts.small_masto]\nplatform = \"mastodon\"\napi_base = \"http://127.0.0.1:9\"\naccess_token = \"t\"\n\
             [accounts.big_masto]\nplatform = \"mastodon\"\napi_base = \"http://127.0.0.1:9\"\naccess_token = \"t\"\n\
             [accounts.sky]\nplatform = \"bluesky\"\napi_base = \"http://127.0.0.1:9\"\nhandle = \"sky.test\"\napp_password = \"t\"\n"
        ),
    )
    .unwrap();
    let chat = dir.path().join("linked.yaml");
    std::fs::write(
        &chat,
        "title: Linked\nhashtag: \"#linked\"\ntimezone: UTC\nstart: 2026-12-02 18:00\n\
         announce: false\nwelcome: false\nwrapup: false\nthanks: false\n\
         questions:\n  - at: 5m\n    text: \"Read https://example.org/a/very/long/path/indeed first\"\n",
    )
    .unwrap();
    let run = |format: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
        command.env_remove("TWEETCHAT_CONFIG_DIR");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TWEETCHAT__") {
                command.env_remove(key);
            }
        }
        let output = command
            .arg("--config-dir")
            .arg(&config)
            .arg("plan")
            .arg(&chat)
            .args([
                "--format",
                format,
                "--from",
                "2026-12-02",
                "--until",
                "2026-12-03",
            ])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let output = run("json");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("account `small_masto` (mastodon): the instance's limit is not known yet"),
        "{stderr}"
    );
    assert!(!stderr.contains("`big_masto`"), "{stderr}");
    let posts: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(posts.len(), 1);
    // "Q1. Read " + URL + " first #linked"
    let around = "Q1. Read  first #linked".chars().count();
    let url = "https://example.org/a/very/long/path/indeed"
        .chars()
        .count();
    assert_eq!(
        posts[0]["per_account"],
        json!([
            {"account": "main_x", "platform": "x", "length": around + 23, "limit": 280},
            {"account": "small_masto", "platform": "mastodon", "length": around + 23, "limit": 500},
            {"account": "big_masto", "platform": "mastodon", "length": around + 40, "limit": 1000},
            {"account": "sky", "platform": "bluesky", "length": around + url, "limit": 300},
        ])
    );

    let table = String::from_utf8(run("text").stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    for column in [
        "main_x (x)",
        "small_masto (mastodon)",
        "big_masto (mastodon)",
        "sky (bluesky)",
    ] {
        assert!(lines[0].contains(column), "{column} in {table}");
    }
    let row: Vec<&str> = lines[1].split_whitespace().rev().take(4).collect();
    let expected = [
        format!("{}/300", around + url),
        format!("{}/1000", around + 40),
        format!("{}/500", around + 23),
        format!("{}/280", around + 23),
    ];
    assert_eq!(row, expected, "{table}");
}

/// `plan hcsmbm` takes a chat id as `status` and `rehearse` do; a name that
/// is neither a file nor a chat is one error, with no "no posts" after it.
#[test]
fn a_chat_id_plans_its_file_in_the_chats_folder() {
    let output = tweetchat("no-such-config")
        .current_dir(data(""))
        .args([
            "plan",
            "hcsmbm",
            "--from",
            "2026-12-01",
            "--until",
            "2026-12-03",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("hcsmbm  welcome"), "{stdout}");
    let output = tweetchat("no-such-config")
        .current_dir(data(""))
        .args(["plan", "nochat"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nochat: no such file or folder"));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
}
