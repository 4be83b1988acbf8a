//! `tweetchat healthcheck` run as a process against a real `/healthz`.

use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use tokio::process::Command;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::http::{Health, HttpState, Metrics, serve};

/// Serves `/healthz` on a loopback port; returns the address and the health.
async fn daemon_http(shutdown: &CancellationToken) -> (String, Arc<Health>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let health = Arc::new(Health::new(Duration::from_secs(3600)));
    let state = HttpState {
        metrics: Arc::new(Metrics::default()),
        health: health.clone(),
        clock: Clock::system(Duration::from_secs(30)),
    };
    tokio::spawn(serve(listener, state, shutdown.clone()));
    (addr, health)
}

async fn healthcheck(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg("/nonexistent/config")
        .arg("healthcheck")
        .args(args)
        .env_remove("RUST_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().await.unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn healthy_then_unhealthy_with_a_reason() {
    let shutdown = CancellationToken::new();
    let (addr, health) = daemon_http(&shutdown).await;
    health.beat();
    let ok = healthcheck(&["--url", &addr], &[]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    health.stopped();
    let down = healthcheck(&["--url", &addr], &[]).await;
    assert_eq!(down.status.code(), Some(1));
    let reason = stderr(&down);
    assert!(reason.starts_with("unhealthy: "), "{reason}");
    assert!(reason.contains("503"), "{reason}");
    assert_eq!(reason.trim_end().lines().count(), 1, "{reason}");
    shutdown.cancel();
}

#[tokio::test]
async fn the_address_comes_from_the_settings() {
    let shutdown = CancellationToken::new();
    let (addr, health) = daemon_http(&shutdown).await;
    health.beat();
    let port = addr.rsplit_once(':').unwrap().1;
    // As in the container: listening on every interface, probed on loopback.
    let listen = format!("0.0.0.0:{port}");
    let ok = healthcheck(&[], &[("TWEETCHAT__HTTP__LISTEN", &listen)]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    shutdown.cancel();
}

#[tokio::test]
async fn nothing_listening_is_unhealthy() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let down = healthcheck(&["--url", &addr], &[]).await;
    assert_eq!(down.status.code(), Some(1));
    let reason = stderr(&down);
    assert!(reason.starts_with("unhealthy: "), "{reason}");
    assert!(reason.contains(&addr), "{reason}");
}

#[tokio::test]
async fn an_empty_listen_setting_is_unhealthy() {
    let down = healthcheck(&[], &[("TWEETCHAT__HTTP__LISTEN", "")]).await;
    assert_eq!(down.status.code(), Some(1));
    assert!(
        stderr(&down).contains("http.listen is empty"),
        "{}",
        stderr(&down)
    );
}
