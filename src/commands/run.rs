//! `tweetchat run`: the daemon.
//!
//! Wiring only: settings, logs, the state database, one platform per
//! account, `/healthz`, `/metrics` and the chat pages, signals (SIGTERM/SIGINT stop,
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
    AccountContext, StateSessions, StateTokens, build_accounts, recheck_unreached, verify_accounts,
};
use crate::daemon::{self, Chats, Daemon};
use crate::http::pages::Pages;
use crate::http::{self, Health, HttpState, Metrics};
use crate::settings::Settings;
use crate::store::{self, SharedStore, StateLock, Store, Verified};

pub fn run(config_dir: &Path, args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::load(config_dir)?;
    if let Some(chats) = args.chats {
        settings.chats_dir = chats;
    }
    if let Some(state) = args.state {
        settings.state_dir = state;
    }
    // Before anything else: a second daemon on this folder stops here.
    let _lock = StateLock::acquire(&settings.state_dir)?;
    crate::telemetry::init(&settings.log)?;
    // Idle clients must not take the descriptors the posts need (src/http/fds.rs).
    let open_files = http::fds::raise_open_file_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(settings, open_files, args.accept_state_change))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    settings: Settings,
    open_files: Option<u64>,
    accept_state_change: bool,
) -> anyhow::Result<()> {
    let clock = Clock::system(settings.rescan_interval);
    let (shared, writer, verified) = open_store(&settings, &clock, accept_state_change).await?;
    let context = AccountContext {
        state_dir: settings.state_dir.clone(),
        clock: clock.clone(),
        tokens: Arc::new(StateTokens::through(shared.clone(), &settings.state_dir)),
        sessions: Arc::new(StateSessions::through(shared.clone(), &settings.state_dir)),
        writer: Some(shared.clone()),
    };
    let accounts = build_accounts(&settings, &context)?;
    // Its handle on the writer must not outlive the daemon (see below).
    drop(context);
    let unreached = verify_accounts(&accounts).await?;
    let shutdown = CancellationToken::new();
    let reload = Arc::new(Notify::new());
    listen_for_signals(shutdown.clone(), reload.clone())?;

    let metrics = Arc::new(Metrics::default());
    let health = Arc::new(Health::new(settings.rescan_interval * 3));
    metrics.watch_store(shared.health());
    let backend = if shared.pg().is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    metrics.set_replica(&settings.store.replica, backend);
    health.watch_store(shared.health());
    for name in accounts.keys() {
        metrics.set_account_up(name, !unreached.contains(name));
    }
    if !unreached.is_empty() {
        let metrics = Arc::clone(&metrics);
        tokio::spawn(recheck_unreached(
            unreached,
            accounts.clone(),
            clock.clone(),
            move |name| metrics.set_account_up(name, true),
            shutdown.clone(),
        ));
    }
    let (loaded, plans) = tokio::sync::watch::channel(Arc::new(Vec::new()));
    let notify = start_notify(&settings, &clock, &metrics, shared.pg(), &shutdown);
    tokio::spawn(daemon::checks::run(
        daemon::checks::Checks {
            accounts: accounts.clone(),
            default_accounts: settings.default_accounts.clone(),
            clock: clock.clone(),
            metrics: Some(Arc::clone(&metrics)),
            notify: notify.clone(),
            plans: loaded.subscribe(),
        },
        shutdown.clone(),
    ));
    let mut pages = Pages::new(&settings, plans, clock.clone());
    pages.store = Some(shared.clone());
    pages.metrics = Some(Arc::clone(&metrics));
    let http = HttpParts {
        metrics: &metrics,
        health: &health,
        clock: &clock,
        pages: Arc::new(pages),
    };
    let http_server = start_http(&settings, http, open_files, &shutdown).await?;

    let mut chats = Chats::folder(&settings.chats_dir);
    chats.note_last_good_in(&settings.state_dir);
    // Kept for the whole run: the watch ends when it is dropped.
    let _watch = daemon::watch::watch(
        &settings.chats_dir,
        reload.clone(),
        settings.rescan_interval,
    );
    let mut daemon = Daemon::new(&settings, clock.clone(), shared, accounts, chats);
    if let Verified::Changed(_) = verified {
        // Anything due by now may have gone out from the state that was lost.
        daemon.look_up_due_before = Some(clock.now() + jiff::SignedDuration::from_secs(1));
    }
    daemon.loaded = Some(loaded);
    daemon.reload = reload;
    daemon.metrics = Some(metrics);
    daemon.health = Some(health);
    daemon.notify = notify;
    info!(
        chats = %settings.chats_dir.display(),
        state = %settings.state_dir.display(),
        store = %settings.store.redacted_url().unwrap_or_else(|| "sqlite".into()),
        replica = %settings.store.replica,
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

/// The state database: SQLite in `state_dir` (checked, and its identity
/// verified against the mirror beside it), or PostgreSQL when `[store] url`
/// is set. On PostgreSQL the database is the one shared truth of every
/// replica, so there is no per-replica mirror to compare it with (a
/// replica's folder may be new at every start, as in a Kubernetes pod): a
/// database restored from an older backup is the operator's to announce,
/// with `--accept-state-change`, which makes the loop look up everything
/// due by now on the platforms before posting, exactly as on SQLite.
async fn open_store(
    settings: &Settings,
    clock: &Clock,
    accept_state_change: bool,
) -> anyhow::Result<(SharedStore, tokio::task::JoinHandle<()>, Verified)> {
    if let Some(url) = &settings.store.url {
        let pg = connect_waiting(settings, url.expose()).await?;
        // Before the first claim, so no other replica ever finds a claim of
        // this one without its liveness lock.
        if !pg.keep_alive().await? {
            warn!(
                replica = pg.replica(),
                "another running replica has the name `{}`: give each replica its own \
                 [store] replica (or leave it empty for the host name and process id)",
                pg.replica()
            );
        }
        let verified = if accept_state_change {
            Verified::Changed(format!(
                "--accept-state-change on the shared database {}",
                pg.url()
            ))
        } else {
            Verified::Same
        };
        let (shared, writer) = SharedStore::postgres(pg);
        return Ok((shared, writer, verified));
    }
    let mut store = Store::open(&settings.state_dir)?;
    store.quick_check()?;
    // Outbox posts older than the start-up look-back cannot go out again.
    let since = clock
        .now()
        .saturating_sub(daemon::lookback(&settings.grace))
        .unwrap_or(jiff::Timestamp::MIN);
    let verified = store::identity::verify(&mut store, since, accept_state_change)?;
    let (shared, writer) = SharedStore::spawn(store);
    Ok((shared, writer, verified))
}

/// PostgreSQL, waited for while it cannot be reached (a replica started
/// during the database's restart or failover, or before it, as a host's
/// services start in any order): tried again with backoff up to 30 s
/// apart, without end, since the other replicas wait for it too and a
/// refusal (exit 3) is not restarted by the systemd unit. SIGTERM still
/// stops the process (no handler is installed yet). A server that
/// answers and refuses (a password, a missing database) stops it at once.
async fn connect_waiting(settings: &Settings, url: &str) -> anyhow::Result<store::PgStore> {
    let mut wait = Duration::from_secs(1);
    loop {
        let connected = store::PgStore::connect(
            url,
            settings.store.password.as_ref().map(|p| p.expose()),
            &settings.store.replica,
        )
        .await;
        match connected {
            Err(err) if err.downcast_ref::<store::pg::Unreachable>().is_some() => {
                warn!(
                    "{err:#}; trying again in {}s (nothing is posted until it answers)",
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
            other => return other,
        }
    }
}

/// The `[notify]` webhook's sender task, when a URL is set; the notifier
/// the daemon reports to (one that drops everything otherwise).
fn start_notify(
    settings: &Settings,
    clock: &Clock,
    metrics: &Arc<Metrics>,
    once: Option<&Arc<crate::store::PgStore>>,
    shutdown: &CancellationToken,
) -> crate::notify::Notifier {
    let Some(url) = settings.notify.url.clone() else {
        return crate::notify::Notifier::off();
    };
    let notifier = crate::notify::Notifier::new(settings.notify.events.clone());
    metrics.watch_notify(notifier.counters());
    let policy = crate::notify::webhook::WebhookPolicy {
        give_up_after: settings.notify.give_up_after,
        ..Default::default()
    };
    tokio::spawn(crate::notify::webhook::deliver(
        notifier.clone(),
        url,
        policy,
        clock.clone(),
        once.cloned(),
        shutdown.clone(),
    ));
    info!(
        "sending accounts failing, posts failed or skipped and unprepared sessions to the [notify] webhook"
    );
    notifier
}

/// What the HTTP listener serves.
struct HttpParts<'a> {
    metrics: &'a Arc<Metrics>,
    health: &'a Arc<Health>,
    clock: &'a Clock,
    pages: Arc<Pages>,
}

async fn start_http(
    settings: &Settings,
    parts: HttpParts<'_>,
    open_files: Option<u64>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let listen = settings.http.listen.trim();
    if listen.is_empty() {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on http.listen = {listen}"))?;
    let options = http::Options::new(&settings.http, open_files);
    if let Ok(bound) = listener.local_addr() {
        info!(
            listen = %bound,
            max_connections = options.limits.cap,
            "serving /healthz, /metrics and the chat pages at http://{bound}/"
        );
    }
    let state = HttpState {
        metrics: parts.metrics.clone(),
        health: parts.health.clone(),
        clock: parts.clock.clone(),
    };
    let shutdown = shutdown.clone();
    let pages = Some(parts.pages);
    Ok(Some(tokio::spawn(async move {
        if let Err(err) = http::serve_with(listener, state, pages, options, shutdown).await {
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
