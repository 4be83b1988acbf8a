//! The thanks slot in the daemon, in paused time, on a fake platform with a
//! hashtag search: everyone thanked once in the fewest posts, threads,
//! fallbacks when search or mentions are refused, restarts in the middle,
//! and the transcript written beside it.

mod thanks_support;

use std::collections::HashMap;

use thanks_support::*;
use tweetchat::daemon::thanks::{Decided, fallback_key, kv_key, part_key};
use tweetchat::platform::{PostError, RemotePost};
use tweetchat::store::{Intent, Outcome, PostState, Store};
use tweetchat::text::split::{ThanksLayout, split_mentions};
use tweetchat::text::{PlatformKind, count};

const TEMPLATE: &str = "Thank you so much to everyone who joined #hcsmbm today: {mentions}";

fn mentioned(posts: &[Sent]) -> Vec<String> {
    posts
        .iter()
        .flat_map(|p| p.text.split_whitespace())
        .filter(|w| w.starts_with('@'))
        .map(str::to_owned)
        .collect()
}

fn row(dir: &std::path::Path, key: &str) -> tweetchat::store::PostRecord {
    Store::open(dir)
        .unwrap()
        .lookup(key)
        .unwrap()
        .unwrap_or_else(|| panic!("no record for {key}"))
}

/// Every participant once, in order, every part within the limit, as few
/// parts as `split_mentions` makes, continuations replying to the first.
fn assert_thanked(fake: &SearchFake, people: usize) {
    let posts = fake.thanks();
    let expected = expected_handles(people);
    assert_eq!(mentioned(&posts), expected, "everyone once, in order");
    let layout = ThanksLayout {
        template: TEMPLATE,
        hashtag: "#hcsmbm",
        platform: fake.kind,
        limit: fake.limit,
        url_length: 23,
    };
    let fewest = split_mentions(&layout, &expected).unwrap();
    assert_eq!(posts.len(), fewest.len(), "the fewest parts");
    let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, fewest);
    for (k, post) in (1..).zip(&posts) {
        assert_eq!(post.key, part_key(SLOT_KEY, k));
        assert!(count(fake.kind, &post.text) <= fake.limit, "{}", post.text);
        let reply = (k > 1).then(|| remote_id(&part_key(SLOT_KEY, 1)));
        assert_eq!(post.reply_to, reply, "part {k}");
    }
}

#[tokio::test(start_paused = true)]
async fn every_participant_is_thanked_once_in_the_fewest_posts_and_the_transcript_is_written() {
    for people in [1, 2, 40, 2000] {
        let dir = tempfile::tempdir().unwrap();
        let fake = SearchFake::new(search_results(people));
        run_daemon(
            dir.path(),
            plan(""),
            fake.clone(),
            ts("2026-12-02T17:50:00Z"),
            ts("2026-12-02T19:30:00Z"),
        )
        .await;

        assert_thanked(&fake, people);
        let searches = fake.searches();
        assert_eq!(
            searches,
            [(
                "#hcsmbm".to_string(),
                ts("2026-12-02T17:55:00Z"),
                ts(THANKS_AT)
            )],
            "from five minutes before the start to the thanks slot"
        );
        let base = row(dir.path(), SLOT_KEY);
        assert_eq!(base.state, PostState::Posted);
        assert_eq!(base.remote.unwrap().id, remote_id(&part_key(SLOT_KEY, 1)));
        let transcripts = dir.path().join("transcripts/hcsmbm");
        for ext in ["posts.json", "json", "md", "html"] {
            assert!(
                transcripts.join(format!("2026-12-02.{ext}")).is_file(),
                "{ext}"
            );
        }
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(transcripts.join("2026-12-02.json")).unwrap())
                .unwrap();
        assert_eq!(json["summary"]["participants"], people);
    }
}

/// A chat on X and Mastodon: each network's participants are thanked there,
/// and the one transcript holds both networks' posts, each with its network
/// and link, the answers of both under the same questions.
#[tokio::test(start_paused = true)]
async fn the_transcript_merges_every_network_of_the_chat() {
    let dir = tempfile::tempdir().unwrap();
    let x = SearchFake::new(search_results(3));
    let mut on_mastodon = search_results(2);
    for post in &mut on_mastodon {
        post.id = format!("m{}", post.id);
        post.url = Some(format!("https://masto.example/@someone/{}", post.id));
    }
    let mastodon = SearchFake::on(PlatformKind::Mastodon, on_mastodon);
    run_daemon_on(
        dir.path(),
        plan_with("2026-12-02 18:00", "main, toot", ""),
        vec![("main", x.clone()), ("toot", mastodon.clone())],
        ts("2026-12-02T17:50:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    assert_eq!(mentioned(&x.thanks()), expected_handles(3));
    assert_eq!(mentioned(&mastodon.thanks()), expected_handles(2));

    let transcripts = dir.path().join("transcripts/hcsmbm");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(transcripts.join("2026-12-02.json")).unwrap())
            .unwrap();
    assert_eq!(json["summary"]["participants"], 5, "{json:#}");
    let entries: Vec<&serde_json::Value> = json["questions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| q["answers"].as_array().unwrap())
        .chain(json["conversation"].as_array().unwrap())
        .collect();
    // Every original post of each search: the host's two questions as the
    // search found them, the co-host's answer, two per person (the
    // retweets left out).
    let per = |network: &str| entries.iter().filter(|e| e["network"] == network).count();
    assert_eq!(
        (per("x"), per("mastodon")),
        (3 + 2 * 3, 3 + 2 * 2),
        "{json:#}"
    );
    for e in &entries {
        let url = e["url"].as_str().unwrap();
        let host = if e["network"] == "x" {
            "https://example.test/"
        } else {
            "https://masto.example/"
        };
        assert!(url.starts_with(host), "{e}");
    }
    // Q1 holds the answers of both networks, in time order, and links the
    // host's Q1 on each.
    let q1 = &json["questions"][0];
    let networks: Vec<&str> = q1["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["network"].as_str().unwrap())
        .collect();
    assert!(
        networks.contains(&"x") && networks.contains(&"mastodon"),
        "{q1:#}"
    );
    let ats: Vec<&str> = q1["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at"].as_str().unwrap())
        .collect();
    let ts_of: Vec<jiff::Timestamp> = ats.iter().map(|a| a.parse().unwrap()).collect();
    assert!(ts_of.windows(2).all(|w| w[0] <= w[1]), "{ats:?}");
    let links: Vec<&str> = q1["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["network"].as_str().unwrap())
        .collect();
    assert_eq!(links, ["x", "mastodon"], "{q1:#}");
    let captures =
        tweetchat::transcript::Capture::load_all(&transcripts.join("2026-12-02.posts.json"))
            .unwrap();
    assert_eq!(captures.len(), 2);
    let md = std::fs::read_to_string(transcripts.join("2026-12-02.md")).unwrap();
    assert!(
        md.contains(" · Mastodon  \n") && md.contains(" · X  \n"),
        "{md}"
    );
}

#[tokio::test(start_paused = true)]
async fn mastodon_limits_make_fewer_parts() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::on(PlatformKind::Mastodon, search_results(300));
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T17:50:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    assert_thanked(&fake, 300);
}

#[tokio::test(start_paused = true)]
async fn nobody_but_the_host_retweets_and_excluded_handles_gets_a_generic_thank_you() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(search_results(0));
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T17:50:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    let posts = fake.thanks();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].text,
        "Thank you to everyone who joined #hcsmbm today!"
    );
    assert!(!posts[0].text.contains('@'));
    assert_eq!(row(dir.path(), SLOT_KEY).state, PostState::Posted);
}

#[tokio::test(start_paused = true)]
async fn a_refused_search_posts_the_generic_thank_you_and_the_chat_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(vec![]);
    *fake.found.lock().unwrap() = Err(PostError::Rejected(
        "X says this app may not use this endpoint (`client-not-enrolled`)".into(),
    ));
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T17:50:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    let sent = fake.sent();
    assert_eq!(
        sent.len(),
        5,
        "welcome, two questions, wrap-up, thanks: {sent:?}"
    );
    assert_eq!(
        sent[4].text,
        "Thank you to everyone who joined #hcsmbm today!"
    );
    let reason = row(dir.path(), SLOT_KEY).reason.unwrap();
    assert!(reason.contains("client-not-enrolled"), "{reason}");
    assert!(
        !dir.path()
            .join("transcripts/hcsmbm/2026-12-02.html")
            .exists()
    );
}

#[tokio::test(start_paused = true)]
async fn search_false_never_searches() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(search_results(5));
    run_daemon(
        dir.path(),
        plan("  search: false\n"),
        fake.clone(),
        ts("2026-12-02T19:00:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    assert!(fake.searches().is_empty());
    let posts = fake.thanks();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].text,
        "Thank you to everyone who joined #hcsmbm today!"
    );
}

#[tokio::test(start_paused = true)]
async fn mentions_refused_fall_back_to_a_thank_you_that_counts_the_people() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(search_results(42));
    *fake.refuse_mentions_from.lock().unwrap() = Some(1);
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T19:00:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    let posts = fake.thanks();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(
        posts[0].text,
        "Thank you to all 42 people who joined #hcsmbm today!"
    );
    assert_eq!(posts[0].key, fallback_key(SLOT_KEY));
    let refused = row(dir.path(), &part_key(SLOT_KEY, 1));
    assert_eq!(refused.state, PostState::Failed);
    let reason = refused.reason.unwrap();
    assert!(
        reason.contains("mentions refused") && reason.contains("without mentions"),
        "{reason}"
    );
    let base = row(dir.path(), SLOT_KEY);
    assert_eq!(base.state, PostState::Posted);
    assert_eq!(base.remote.unwrap().id, remote_id(&fallback_key(SLOT_KEY)));
    std::fs::create_dir_all(dir.path().join("chats")).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(dir.path().join("no-config"))
        .arg("status")
        .env("TWEETCHAT__CHATS_DIR", dir.path().join("chats"))
        .env("TWEETCHAT__STATE_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&status.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains(&part_key(SLOT_KEY, 1)))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("failed") && line.contains("mentions refused"),
        "{line}"
    );
    let slot_line = stdout
        .lines()
        .find(|l| l.contains(&format!("{SLOT_KEY} ")))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        slot_line.contains("posted") && slot_line.contains("without mentions: mentions refused"),
        "{slot_line}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_later_part_refused_is_replaced_by_a_reply_that_counts_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(search_results(200));
    *fake.refuse_mentions_from.lock().unwrap() = Some(2);
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T19:00:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    let posts = fake.thanks();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0].key, part_key(SLOT_KEY, 1));
    assert_eq!(
        posts[1].text,
        "Thank you to all 200 people who joined #hcsmbm today!"
    );
    assert_eq!(posts[1].reply_to, Some(remote_id(&part_key(SLOT_KEY, 1))));
    assert!(
        Store::open(dir.path())
            .unwrap()
            .lookup(&part_key(SLOT_KEY, 3))
            .unwrap()
            .is_none()
    );
}

/// A store as a run that died after part 1 of a long thank-you left it:
/// the slot claimed, the texts decided, part 1 posted, part 2 in doubt.
fn crashed_mid_thanks(dir: &std::path::Path, fake: &SearchFake, part2_went_out: bool) -> Decided {
    let handles = expected_handles(150);
    let layout = ThanksLayout {
        template: TEMPLATE,
        hashtag: "#hcsmbm",
        platform: PlatformKind::X,
        limit: 280,
        url_length: 23,
    };
    let parts = split_mentions(&layout, &handles).unwrap();
    assert!(parts.len() >= 4);
    let decided = Decided {
        participants: Some(150),
        parts,
        mentions: true,
        reason: None,
        refused: None,
    };
    let mut store = Store::open(dir).unwrap();
    let intent = |key: &str| Intent {
        key: key.into(),
        chat: "hcsmbm".into(),
        occurrence: "2026-12-02T18:00".into(),
        kind: "thanks".into(),
        n: None,
        account: "main".into(),
        due: ts(THANKS_AT),
        missed: None,
    };
    let (p1, p2) = (part_key(SLOT_KEY, 1), part_key(SLOT_KEY, 2));
    store
        .claim(&[intent(SLOT_KEY), intent(&p1), intent(&p2)])
        .unwrap();
    store
        .kv_set(&kv_key(SLOT_KEY), &serde_json::to_string(&decided).unwrap())
        .unwrap();
    let first = RemotePost {
        id: remote_id(&p1),
        cid: None,
        url: None,
    };
    store.record(&p1, &Outcome::Posted(first)).unwrap();
    fake.existing.lock().unwrap().insert(p1);
    if part2_went_out {
        fake.existing.lock().unwrap().insert(p2);
    }
    decided
}

#[tokio::test(start_paused = true)]
async fn a_restart_in_the_middle_posts_only_the_rest_of_the_same_parts() {
    for part2_went_out in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        // A later search would find other people: they must not reshuffle
        // the parts decided before the restart.
        let fake = SearchFake::new(search_results(7));
        let decided = crashed_mid_thanks(dir.path(), &fake, part2_went_out);
        run_daemon(
            dir.path(),
            plan(""),
            fake.clone(),
            ts("2026-12-02T19:15:00Z"),
            ts("2026-12-02T19:40:00Z"),
        )
        .await;

        assert!(fake.searches().is_empty(), "the decided parts are reused");
        let posts = fake.thanks();
        let skip = if part2_went_out { 2 } else { 1 };
        let expected: Vec<&str> = decided.parts[skip..].iter().map(String::as_str).collect();
        let texts: Vec<&str> = posts.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, expected, "part 2 went out before: {part2_went_out}");
        assert!(
            posts
                .iter()
                .all(|p| p.reply_to == Some(remote_id(&part_key(SLOT_KEY, 1))))
        );
        let mut times: HashMap<String, usize> = HashMap::new();
        let before: Vec<String> = decided.parts[..skip]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let all: Vec<Sent> = before
            .into_iter()
            .map(|text| Sent {
                key: String::new(),
                text,
                reply_to: None,
            })
            .chain(posts)
            .collect();
        for handle in mentioned(&all) {
            *times.entry(handle).or_default() += 1;
        }
        assert_eq!(times.len(), 150);
        assert!(times.values().all(|&n| n == 1), "nobody mentioned twice");
        for k in 1..=decided.parts.len() {
            assert_eq!(
                row(dir.path(), &part_key(SLOT_KEY, k)).state,
                PostState::Posted,
                "part {k}"
            );
        }
        assert_eq!(row(dir.path(), SLOT_KEY).state, PostState::Posted);
    }
}

#[tokio::test(start_paused = true)]
async fn a_restart_after_a_refusal_goes_straight_to_the_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(search_results(7));
    let mut decided = crashed_mid_thanks(dir.path(), &fake, false);
    decided.refused = Some(2);
    Store::open(dir.path())
        .unwrap()
        .kv_set(&kv_key(SLOT_KEY), &serde_json::to_string(&decided).unwrap())
        .unwrap();
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T19:15:00Z"),
        ts("2026-12-02T19:40:00Z"),
    )
    .await;
    let posts = fake.thanks();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].key, fallback_key(SLOT_KEY));
    assert_eq!(
        posts[0].text,
        "Thank you to all 150 people who joined #hcsmbm today!"
    );
}

#[tokio::test(start_paused = true)]
async fn a_thank_you_already_posted_is_not_posted_again() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(search_results(3));
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T19:05:00Z"),
        ts("2026-12-02T19:30:00Z"),
    )
    .await;
    assert_eq!(fake.thanks().len(), 1);
    let again = SearchFake::new(search_results(9));
    run_daemon(
        dir.path(),
        plan(""),
        again.clone(),
        ts("2026-12-02T19:31:00Z"),
        ts("2026-12-02T19:50:00Z"),
    )
    .await;
    assert!(again.thanks().is_empty());
    assert!(again.searches().is_empty());
}

#[tokio::test(start_paused = true)]
async fn past_the_grace_window_the_rest_is_skipped_and_the_part_in_doubt_only_looked_up() {
    for part2_went_out in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let fake = SearchFake::new(search_results(7));
        crashed_mid_thanks(dir.path(), &fake, part2_went_out);
        // The thanks slot (19:10) has a one-hour grace window.
        run_daemon(
            dir.path(),
            plan(""),
            fake.clone(),
            ts("2026-12-02T20:30:00Z"),
            ts("2026-12-02T20:40:00Z"),
        )
        .await;
        assert!(fake.thanks().is_empty(), "nothing posted late");
        assert_eq!(row(dir.path(), SLOT_KEY).state, PostState::Skipped);
        let part2 = row(dir.path(), &part_key(SLOT_KEY, 2)).state;
        let expected = if part2_went_out {
            PostState::Posted
        } else {
            PostState::Skipped
        };
        assert_eq!(part2, expected);
        let part3 = Store::open(dir.path())
            .unwrap()
            .lookup(&part_key(SLOT_KEY, 3))
            .unwrap();
        assert!(part3.is_none(), "never claimed");
    }
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_between_parts_resumes_with_the_next_part() {
    let dir = tempfile::tempdir().unwrap();
    let fake = SearchFake::new(search_results(150));
    *fake.delay.lock().unwrap() = std::time::Duration::from_secs(10);
    // Part 1 leaves at 19:10:00 and is out at 19:10:10; part 2 is in
    // flight when shutdown comes at 19:10:15 and is finished, no more.
    run_daemon(
        dir.path(),
        plan(""),
        fake.clone(),
        ts("2026-12-02T19:05:00Z"),
        ts("2026-12-02T19:10:15Z"),
    )
    .await;
    let first_run = fake.thanks();
    assert_eq!(first_run.len(), 2, "{first_run:?}");
    assert_eq!(row(dir.path(), SLOT_KEY).state, PostState::Intent);

    let again = SearchFake::new(search_results(3));
    *again.existing.lock().unwrap() = fake.existing.lock().unwrap().clone();
    run_daemon(
        dir.path(),
        plan(""),
        again.clone(),
        ts("2026-12-02T19:20:00Z"),
        ts("2026-12-02T19:40:00Z"),
    )
    .await;
    assert!(again.searches().is_empty());
    let mut all = first_run;
    all.extend(again.thanks());
    assert_eq!(mentioned(&all), expected_handles(150), "everyone once");
    assert!(again.thanks()[0].key.ends_with("#3"));
    assert_eq!(row(dir.path(), SLOT_KEY).state, PostState::Posted);
}
