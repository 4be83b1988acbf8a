//! The open-file budget: raising the soft limit, and how many of the
//! descriptors the listener may hold.
//!
//! Every socket the listener accepts is a file descriptor, and so are the
//! state database (and its WAL and shared-memory files), the outbox, the
//! transcripts and every connection a post opens. When idle clients held
//! them all, the daemon could not open its own outbox and posted nothing
//! until they left. So the process raises its soft `RLIMIT_NOFILE` to the
//! hard limit at start (the soft limit is often 1024 while the hard one is
//! far higher), and the listener holds at most that limit less
//! [`RESERVE`] connections, whatever `[http] max_connections` says.

/// Descriptors kept for everything but the listener: the store's files,
/// the outbox, transcripts, the chats folder, DNS lookups and the
/// connections to the platforms.
pub const RESERVE: u64 = 128;

/// Fewest connections the listener keeps, even under a tiny limit (a
/// health probe and an operator must still get in).
pub const MIN_CONNECTIONS: usize = 8;

/// Raises the soft open-file limit to the hard limit; returns the soft
/// limit in effect afterwards (`None`: unlimited or unknown). A failure
/// leaves the limit as it was and is only worth a log line.
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => tracing::debug!(
                from = ?limit.current,
                to = ?limit.maximum,
                "raised the open-file limit to the hard limit"
            ),
            Err(err) => tracing::warn!(
                soft = ?limit.current,
                hard = ?limit.maximum,
                "cannot raise the open-file limit to the hard limit: {err}"
            ),
        }
    }
    getrlimit(Resource::Nofile).current
}

/// How many connections the listener may hold: `configured`, but never so
/// many that less than [`RESERVE`] descriptors of `soft_limit` are left.
pub fn connection_cap(configured: usize, soft_limit: Option<u64>) -> usize {
    let Some(limit) = soft_limit else {
        return configured.max(1);
    };
    let budget = usize::try_from(limit.saturating_sub(RESERVE)).unwrap_or(usize::MAX);
    configured
        .min(budget)
        .max(MIN_CONNECTIONS.min(configured))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_the_reserve_free() {
        assert_eq!(connection_cap(256, Some(1_048_576)), 256);
        assert_eq!(connection_cap(256, Some(256)), 128);
        assert_eq!(connection_cap(256, None), 256);
        // A tiny limit still lets a few in; the setting still wins when lower.
        assert_eq!(connection_cap(256, Some(64)), MIN_CONNECTIONS);
        assert_eq!(connection_cap(2, Some(64)), 2);
    }

    #[test]
    fn raising_keeps_the_limit_at_most_the_hard_one() {
        let soft = raise_open_file_limit();
        let now = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(soft, now.current);
        assert_eq!(now.current, now.maximum);
    }
}
