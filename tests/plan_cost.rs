//! `tweetchat plan` shows X's pay-per-use cost for posts to X accounts and
//! warns about links, run as a process on `tests/data/plan_cost/` (two X
//! accounts and a Mastodon account; one question carries a link).

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::{Value, json};

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plan_cost")
        .join(path)
}

/// `tweetchat --config-dir DIR plan links.yaml ARGS` over the chat's hour.
fn plan(config_dir: &str, args: &[&str]) -> Output {
    plan_chat(config_dir, "chats/links.yaml", args)
}

/// `tweetchat --config-dir DIR plan CHAT ARGS` over the chat's hour.
fn plan_chat(config_dir: &str, chat: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command.arg("--config-dir").arg(data(config_dir));
    command.env_remove("TWEETCHAT_CONFIG_DIR");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command
        .arg("plan")
        .arg(data(chat))
        .args([
            "--from",
            "2026-12-09T11:00:00Z",
            "--until",
            "2026-12-09T13:00:00Z",
        ])
        .args(args)
        .output()
        .expect("the binary runs")
}

fn ok(output: &Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    (stdout, stderr)
}

const SUMMARY: &str = "estimated X API cost: $0.460 for 6 posts on X (2 with a link), at \
                       pay-per-use prices of $0.015 a post and $0.200 a post with a link";

#[test]
fn json_items_carry_their_cost_and_the_total_goes_to_stderr() {
    let (stdout, stderr) = ok(&plan("config", &["--format", "json"]));
    let posts: Vec<Value> = serde_json::from_str(&stdout).expect("stdout is one JSON array");
    let summary: Vec<(Value, Value, Value, Value)> = posts
        .iter()
        .map(|p| {
            (
                p["kind"].clone(),
                p["n"].clone(),
                p["at"].clone(),
                p["cost_usd"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                json!("welcome"),
                json!(null),
                json!("2026-12-09T12:00:00Z"),
                json!(0.03)
            ),
            (
                json!("question"),
                json!(1),
                json!("2026-12-09T12:05:00Z"),
                json!(0.03)
            ),
            (
                json!("question"),
                json!(2),
                json!("2026-12-09T12:15:00Z"),
                json!(0.4)
            ),
        ]
    );
    assert!(
        posts
            .iter()
            .all(|p| p["chat"] == "links" && p["text"].is_string())
    );
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "warning: links question 2 at 2026-12-09T12:15:00Z contains a link \
             (https://example.org/guide): X bills it at $0.200 instead of $0.015"
        ),
        "{stderr}"
    );
    assert!(stderr.contains(SUMMARY), "{stderr}");
}

#[test]
fn the_table_ends_with_the_estimate() {
    let (stdout, stderr) = ok(&plan("config", &[]));
    assert_eq!(stdout.lines().last(), Some(SUMMARY), "{stdout}");
    assert!(stderr.contains("(https://example.org/guide)"), "{stderr}");
}

#[test]
fn posts_to_no_x_account_cost_nothing_and_say_nothing() {
    // The built-in settings post to the console only.
    let (stdout, stderr) = ok(&plan("no-such-config", &["--format", "json"]));
    let posts: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(posts.len(), 3);
    assert!(
        posts.iter().all(|p| p.get("cost_usd").is_none()),
        "{stdout}"
    );
    assert!(
        !stderr.contains("X API cost") && !stderr.contains("warning"),
        "{stderr}"
    );
    let (table, _) = ok(&plan("no-such-config", &[]));
    assert!(!table.contains("X API cost"), "{table}");
}

/// A thank-you on X reads the questions' threads after the chat, billed per
/// post read: the most that costs is on its item and in the summary (each
/// question looked up, each of the two conversations read to its cap of
/// 500 posts, on each of the two X accounts).
#[test]
fn a_thank_you_on_x_adds_the_most_its_thread_reads_cost() {
    let (stdout, stderr) = ok(&plan_chat(
        "config",
        "chats/threads.yaml",
        &["--format", "json"],
    ));
    let posts: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let reads: Vec<(Value, Value)> = posts
        .iter()
        .map(|p| (p["kind"].clone(), p["thread_reads_usd_max"].clone()))
        .collect();
    assert_eq!(
        reads,
        [
            (json!("question"), json!(null)),
            (json!("question"), json!(null)),
            (json!("thanks"), json!(10.02)),
        ]
    );
    assert!(
        stderr.contains(
            "estimated X API cost: $0.090 for 6 posts on X (0 with a link), at pay-per-use \
             prices of $0.015 a post and $0.200 a post with a link; reading the answers in the \
             questions' threads after each chat adds at most $10.020 (2004 post reads at $0.005 \
             each)"
        ),
        "{stderr}"
    );
}
