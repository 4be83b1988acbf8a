//! The accept loop: HTTP/1 connections that cannot starve the daemon.
//!
//! `axum::serve` keeps every connection as long as the client likes: it
//! sets no timer, so hyper's header-read timeout is off, and it has no cap,
//! so idle clients once took every file descriptor and the daemon could
//! not open its own outbox. Here each connection is served by hyper's
//! HTTP/1 builder with a timer, and:
//!
//! - a client must send a request's headers within `header_timeout`, and
//!   the same timeout closes a connection idle between requests (a
//!   slowloris trickling one byte a second is closed at the timeout, not
//!   kept alive by its trickle);
//! - a connection lives at most [`MAX_LIFETIME`], then finishes its request
//!   and closes;
//! - at most `cap` connections are open ([`super::fds`] keeps a reserve of
//!   descriptors below the open-file limit). When a new one arrives at the
//!   cap, the oldest connection with no request in progress is closed to
//!   make room, and the new one waits until its socket is really closed (a
//!   connection told to close still holds its descriptor until its task
//!   runs; counting it as gone let a burst of a thousand connections take
//!   every descriptor). When every one is busy, or room does not come
//!   within [`ROOM_WAIT`], the new one gets a short 503 and is closed at
//!   once. When accepting itself fails for lack of descriptors, the loop
//!   frees an idle connection and pauses briefly rather than spinning.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Longest a connection stays open, however busy.
pub const MAX_LIFETIME: Duration = Duration::from_secs(300);

/// How long connections may finish their request after shutdown or the end
/// of their lifetime.
const FINISH: Duration = Duration::from_secs(5);

/// Largest request head (line and headers) a client may send.
const MAX_HEAD: usize = 32 * 1024;

/// Pause after accepting failed for lack of descriptors or memory.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Longest a new connection waits for an evicted one to close.
const ROOM_WAIT: Duration = Duration::from_secs(1);

/// At most one warning about a full listener per this long.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// What the listener allows a client.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most connections open at once.
    pub cap: usize,
    /// Time to send a request's headers; also the idle time allowed
    /// between requests.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cap: 256,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// The 503 a connection gets when every slot is busy.
const FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\
content-length: 38\r\nretry-after: 1\r\nconnection: close\r\n\r\n\
too many connections; try again soon\r\n";

/// Serves `app` on `listener` until `shutdown` fires, then lets requests
/// in flight finish for a few seconds.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let open = Arc::new(Open::default());
    let tasks = TaskTracker::new();
    let mut warned: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) if out_of_resources(&err) => {
                if warn_now(&mut warned) {
                    tracing::warn!(
                        "the HTTP listener cannot accept a connection: {err}; \
                         closing an idle one and pausing"
                    );
                }
                open.evict_idle();
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
            // The client gave up before we got to it, and the like.
            Err(err) => {
                tracing::debug!("accepting a connection failed: {err}");
                continue;
            }
        };
        let Some(conn) = open.admit(limits.cap).await else {
            if warn_now(&mut warned) {
                tracing::warn!(
                    cap = limits.cap,
                    "the HTTP listener is full and every connection is busy; \
                     refusing new ones with 503 (`[http] max_connections`)"
                );
            }
            // Best effort and never waiting: the socket closes on drop.
            let _ = stream.try_write(FULL);
            continue;
        };
        let app = app.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(serve_connection(stream, peer, app, limits, conn, shutdown));
    }
    tasks.close();
    tasks.wait().await;
    Ok(())
}

/// Whether `accept` failed because the process or system is out of
/// descriptors or buffers (a pause helps), rather than one client's doing.
fn out_of_resources(err: &std::io::Error) -> bool {
    // EMFILE 24, ENFILE 23, ENOBUFS 105, ENOMEM 12 on Linux.
    matches!(err.raw_os_error(), Some(24 | 23 | 105 | 12))
}

fn warn_now(last: &mut Option<Instant>) -> bool {
    let now = Instant::now();
    if last.is_some_and(|at| now.duration_since(at) < WARN_EVERY) {
        return false;
    }
    *last = Some(now);
    true
}

/// One connection, from accept to close.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    conn: Registered,
    shutdown: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let inner = TowerToHyperService::new(app);
    let slot = conn.slot.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let busy = Busy::new(slot.clone());
        let response = inner.call(request);
        async move {
            let response = response.await;
            drop(busy);
            response
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    let lifetime = tokio::time::sleep(MAX_LIFETIME);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(err) = result {
                tracing::debug!(%peer, "HTTP connection ended: {err}");
            }
            return;
        }
        // Closed to make room for another: drop it now.
        () = conn.slot.evict.cancelled() => return,
        () = shutdown.cancelled() => {}
        () = lifetime => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(FINISH, connection).await;
}

/// The open connections, oldest first, including those told to close
/// whose socket is not closed yet.
#[derive(Debug, Default)]
struct Open {
    state: Mutex<OpenState>,
    /// Woken whenever a connection's socket has closed.
    freed: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct OpenState {
    next: u64,
    slots: BTreeMap<u64, Arc<Slot>>,
}

#[derive(Debug, Default)]
struct Slot {
    /// Requests being answered on this connection.
    in_flight: AtomicUsize,
    /// Fired to close the connection at once.
    evict: CancellationToken,
}

/// What [`Open::try_admit`] found.
enum Admission {
    Admitted(Registered),
    /// A connection is closing to make room: try again when it has.
    Wait,
    /// Every connection is busy.
    Full,
}

impl Open {
    fn lock(&self) -> MutexGuard<'_, OpenState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a new connection: a free one, or the oldest idle
    /// connection's once its socket has closed; `None` when all `cap` are
    /// busy or room does not come within [`ROOM_WAIT`].
    async fn admit(self: &Arc<Self>, cap: usize) -> Option<Registered> {
        let deadline = Instant::now() + ROOM_WAIT;
        loop {
            let freed = self.freed.notified();
            let mut freed = std::pin::pin!(freed);
            // Registered before looking, so a close in between still wakes us.
            freed.as_mut().enable();
            match self.try_admit(cap) {
                Admission::Admitted(conn) => return Some(conn),
                Admission::Full => return None,
                Admission::Wait => {
                    if tokio::time::timeout_at(deadline, freed).await.is_err() {
                        return None;
                    }
                }
            }
        }
    }

    fn try_admit(self: &Arc<Self>, cap: usize) -> Admission {
        let mut state = self.lock();
        if state.slots.len() >= cap {
            let closing = state.slots.values().any(|slot| slot.evict.is_cancelled());
            return if closing || evict_oldest_idle(&state) {
                Admission::Wait
            } else {
                Admission::Full
            };
        }
        let id = state.next;
        state.next += 1;
        let slot = Arc::new(Slot::default());
        state.slots.insert(id, slot.clone());
        Admission::Admitted(Registered {
            open: self.clone(),
            id,
            slot,
        })
    }

    /// Closes the oldest idle connection, if any.
    fn evict_idle(&self) {
        evict_oldest_idle(&self.lock());
    }
}

/// Tells the oldest idle connection to close; it stays counted until its
/// socket has.
fn evict_oldest_idle(state: &OpenState) -> bool {
    let idle = state
        .slots
        .values()
        .find(|slot| !slot.evict.is_cancelled() && slot.in_flight.load(Ordering::Acquire) == 0);
    match idle {
        Some(slot) => {
            slot.evict.cancel();
            true
        }
        None => false,
    }
}

/// A connection's place in [`Open`], given back when it closes.
struct Registered {
    open: Arc<Open>,
    id: u64,
    slot: Arc<Slot>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.open.lock().slots.remove(&self.id);
        self.open.freed.notify_waiters();
    }
}

/// A request in progress on a connection (which is then not idle).
struct Busy(Arc<Slot>);

impl Busy {
    fn new(slot: Arc<Slot>) -> Self {
        slot.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(slot)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(admission: Admission) -> Registered {
        match admission {
            Admission::Admitted(conn) => conn,
            Admission::Wait => panic!("asked to wait"),
            Admission::Full => panic!("refused"),
        }
    }

    #[test]
    fn a_full_listener_closes_the_oldest_idle_connection_or_refuses() {
        let open = Arc::new(Open::default());
        let first = admitted(open.try_admit(2));
        let second = admitted(open.try_admit(2));
        let busy = Busy::new(first.slot.clone());
        // Full: the oldest idle one (the second; the first is busy) is told
        // to close, and the new one waits until it has.
        assert!(matches!(open.try_admit(2), Admission::Wait));
        assert!(second.slot.evict.is_cancelled());
        assert!(!first.slot.evict.is_cancelled());
        assert!(
            matches!(open.try_admit(2), Admission::Wait),
            "still closing"
        );
        drop(second);
        let third = admitted(open.try_admit(2));
        // Full of busy connections: refused.
        let also_busy = Busy::new(third.slot.clone());
        assert!(matches!(open.try_admit(2), Admission::Full));
        drop(also_busy);
        assert!(
            matches!(open.try_admit(2), Admission::Wait),
            "the third is idle again"
        );
        assert!(third.slot.evict.is_cancelled());
        drop(busy);
        assert!(open.lock().slots.len() <= 2);
    }

    #[tokio::test]
    async fn a_new_connection_gets_the_slot_once_the_evicted_one_has_closed() {
        let open = Arc::new(Open::default());
        let old = open.admit(1).await.unwrap();
        let evict = old.slot.evict.clone();
        let closer = tokio::spawn(async move {
            evict.cancelled().await;
            drop(old);
        });
        let new = open.admit(1).await;
        assert!(new.is_some());
        closer.await.unwrap();
        assert_eq!(open.lock().slots.len(), 1);
    }

    #[tokio::test]
    async fn a_listener_full_of_busy_connections_refuses_at_once() {
        let open = Arc::new(Open::default());
        let conn = open.admit(1).await.unwrap();
        let _busy = Busy::new(conn.slot.clone());
        assert!(open.admit(1).await.is_none());
        drop(_busy);
        drop(conn);
        assert!(open.lock().slots.is_empty());
        assert!(open.admit(1).await.is_some());
    }
}
