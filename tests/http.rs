//! `/healthz` and `/metrics` served on a real loopback listener.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::http::{Health, HttpState, Metrics, serve};

struct Running {
    base: String,
    state: HttpState,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    now: Timestamp,
}

async fn start() -> Running {
    tweetchat::tls::init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let now: Timestamp = "2026-12-02T18:00:00Z".parse().unwrap();
    let state = HttpState {
        metrics: Arc::new(Metrics::default()),
        health: Arc::new(Health::new(Duration::from_secs(60))),
        clock: Clock::starting_at(now),
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(listener, state.clone(), shutdown.clone()));
    Running {
        base,
        state,
        shutdown,
        task,
        now,
    }
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn healthz_follows_the_scheduler_loop() {
    let app = start().await;
    let url = format!("{}/healthz", app.base);
    assert_eq!(get(&url).await.0, 503, "not alive before the first beat");
    app.state.health.beat();
    assert_eq!(get(&url).await, (200, "ok\n".to_string()));
    app.state.health.stopped();
    assert_eq!(get(&url).await.0, 503);
    app.shutdown.cancel();
    app.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn healthz_fails_after_too_long_a_silence() {
    let app = start().await;
    let url = format!("{}/healthz", app.base);
    // A beat 61 s ago (monotonic clock) is beyond the 60 s allowed.
    let ago = |secs| tokio::time::Instant::now() - std::time::Duration::from_secs(secs);
    app.state.health.beat_at(ago(61));
    assert_eq!(get(&url).await.0, 503);
    app.state.health.beat_at(ago(59));
    assert_eq!(get(&url).await.0, 200);
    app.shutdown.cancel();
    app.task.await.unwrap().unwrap();
}

/// Every line is a comment or `name{labels} value` with a float value.
fn assert_exposition(text: &str) {
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            assert!(
                comment.starts_with("HELP tweetchat_") || comment.starts_with("TYPE tweetchat_"),
                "{line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok(), "value in {line}");
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            name.starts_with("tweetchat_")
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "name in {line}"
        );
        if name_end < series.len() {
            let labels = &series[name_end..];
            assert!(labels.starts_with('{') && labels.ends_with('}'), "{line}");
            for pair in labels[1..labels.len() - 1].split("\",") {
                let (key, quoted) = pair.split_once('=').unwrap();
                assert!(
                    key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{line}"
                );
                assert!(quoted.starts_with('"'), "{line}");
            }
        }
    }
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let app = start().await;
    let metrics = &app.state.metrics;
    metrics.post_result("main_x", "posted");
    metrics.post_result("hcsm_mastodon", "failed");
    metrics.observe_lateness(0.4);
    metrics.set_chats_loaded(2);
    metrics.set_invalid_files(1);
    metrics.set_next_slot(Some(app.now + SignedDuration::from_secs(300)));
    metrics.set_quota(
        "main_x",
        99,
        100,
        Some(app.now + SignedDuration::from_secs(900)),
    );

    let response = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert_exposition(&text);
    for line in [
        "tweetchat_posts_total{account=\"main_x\",result=\"posted\"} 1",
        "tweetchat_post_lateness_seconds_bucket{le=\"0.5\"} 1",
        "tweetchat_post_lateness_seconds_count 1",
        "tweetchat_chats_loaded 2",
        "tweetchat_invalid_chat_files 1",
        "tweetchat_platform_quota_remaining{account=\"main_x\"} 99",
        "tweetchat_platform_quota_limit{account=\"main_x\"} 100",
        "tweetchat_up 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
    // The clock moves on in real time, so these are a little under their
    // offsets from `now`.
    let value = |prefix: &str| -> f64 {
        let line = text.lines().find_map(|l| l.strip_prefix(prefix)).unwrap();
        line.parse().unwrap()
    };
    let next = value("tweetchat_next_slot_seconds ");
    assert!((290.0..=300.0).contains(&next), "{next}");
    let reset = value("tweetchat_platform_quota_reset_seconds{account=\"main_x\"} ");
    assert!((890.0..=900.0).contains(&reset), "{reset}");
    app.shutdown.cancel();
    app.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn serve_stops_on_cancel_and_frees_the_port() {
    let app = start().await;
    let addr = app.base.trim_start_matches("http://").to_string();
    app.shutdown.cancel();
    app.task.await.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err());
}
