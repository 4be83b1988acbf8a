//! `tweetchat run`: the daemon.
//!
//! Wiring only: settings, logs, the state database, one platform per
//! account, `/healthz` and `/metrics`, signals (SIGTERM/SIGINT stop,
//! SIGHUP rescans the chats folder now), then [`daemon::run`] until shutdown.
//! Exit 0 on a clean shutdown; 3 when it cannot start.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::cli::RunArgs;
use crate::clock::Clock;
use crate::daemon::accounts::{
    AccountContext, StateSessions, StateTokens, build_accounts, verify_accounts,
};
use crate::daemon::{self, Chats, Daemon};
use crate::http::{self, Health, HttpState, Metrics};
use crate::settings::Settings;
use crate::store::{SharedStore, Store};

pub fn run(config_dir: &Path, args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(config_dir)?;
    if let Some(chats) = args.chats {
        settings.chats_dir = chats;
    }
    if let Some(state) = args.state {
        settings.state_dir = state;
    }
    crate::telemetry::init(&settings.log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(settings))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let clock = Clock::system(settings.rescan_interval);
    let store = Store::open(&settings.state_dir)?;
    let context = AccountContext {
        state_dir: settings.state_dir.clone(),
        clock: clock.clone(),
        tokens: Arc::new(StateTokens::open(&settings.state_dir)?),
        sessions: Arc::new(StateSessions::open(&settings.state_dir)?),
    };
    let accounts = build_accounts(&settings, &context)?;
    verify_accounts(&accounts).await?;
    let shutdown = CancellationToken::new();
    let reload = Arc::new(Notify::new());
    listen_for_signals(shutdown.clone(), reload.clone())?;

    let metrics = Arc::new(Metrics::default());
    let health = Arc::new(Health::new(settings.rescan_interval * 3));
    let http_server = start_http(&settings, &metrics, &health, &clock, &shutdown).await?;

    let (shared, writer) = SharedStore::spawn(store);
    let chats = Chats::folder(&settings.chats_dir);
    let mut daemon = Daemon::new(&settings, clock, shared, accounts, chats);
    daemon.reload = reload;
    daemon.metrics = Some(metrics);
    daemon.health = Some(health);
    info!(
        chats = %settings.chats_dir.display(),
        state = %settings.state_dir.display(),
        "tweetchat is running"
    );
    let result = daemon::run(daemon, shutdown.clone()).await;
    shutdown.cancel();
    if tokio::time::timeout(Duration::from_secs(1), writer)
        .await
        .is_err()
    {
        warn!("the state database writer did not finish in time");
    }
    if let Some(server) = http_server {
        let _ = tokio::time::timeout(Duration::from_secs(1), server).await;
    }
    info!("stopped");
    result
}

async fn start_http(
    settings: &Settings,
    metrics: &Arc<Metrics>,
    health: &Arc<Health>,
    clock: &Clock,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let listen = settings.http.listen.trim();
    if listen.is_empty() {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on http.listen = {listen}"))?;
    if let Ok(bound) = listener.local_addr() {
        info!(listen = %bound, "serving /healthz and /metrics");
    }
    let state = HttpState {
        metrics: metrics.clone(),
        health: health.clone(),
        clock: clock.clone(),
    };
    let shutdown = shutdown.clone();
    Ok(Some(tokio::spawn(async move {
        if let Err(err) = http::serve(listener, state, shutdown).await {
            error!("the HTTP listener stopped: {err:#}");
        }
    })))
}

/// SIGTERM and SIGINT cancel `shutdown`; SIGHUP asks for a rescan.
fn listen_for_signals(shutdown: CancellationToken, reload: Arc<Notify>) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
    let mut hup = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
                _ = hup.recv() => {
                    info!("SIGHUP: rescanning the chats folder");
                    reload.notify_one();
                }
            }
        }
        info!("shutting down on signal");
        shutdown.cancel();
    });
    Ok(())
}
