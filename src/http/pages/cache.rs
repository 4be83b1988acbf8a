//! Rendered pages and calendars, kept per plan version for a short while.
//!
//! A flood of requests for one chat's page or `.ics` file once cost a
//! render each (and a trip through the database writer for the calendar's
//! version), and the posts due meanwhile went out late. Now a body is built
//! once per plan version and reused until the plan changes (a new `Arc`
//! from the daemon's rescan) or it is older than its time to live (the
//! pages list upcoming occurrences, which move with the clock). The entry
//! keeps its plan's `Arc`, so a version is compared by identity and an
//! address can never be reused by a different plan while it is cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use jiff::{SignedDuration, Timestamp};

/// Most entries one cache keeps; past it, it starts again empty.
const MAX_ENTRIES: usize = 4_096;

/// Bodies keyed by a string, each valid for one version `V` and `ttl`.
#[derive(Debug)]
pub struct Cache<V> {
    ttl: SignedDuration,
    entries: Mutex<HashMap<String, Entry<V>>>,
}

#[derive(Debug)]
struct Entry<V> {
    version: Arc<V>,
    built: Timestamp,
    body: Bytes,
}

impl<V> Cache<V> {
    pub fn new(ttl: SignedDuration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry<V>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The body cached under `key` for this very `version`, if still fresh
    /// at `now`.
    pub fn get(&self, key: &str, version: &Arc<V>, now: Timestamp) -> Option<Bytes> {
        let entries = self.lock();
        let entry = entries.get(key)?;
        let fresh = Arc::ptr_eq(&entry.version, version)
            && entry.built <= now
            && now.duration_since(entry.built) < self.ttl;
        fresh.then(|| entry.body.clone())
    }

    /// Keeps `body` under `key` for `version`, built at `now`.
    pub fn put(&self, key: String, version: Arc<V>, now: Timestamp, body: Bytes) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                version,
                built: now,
                body,
            },
        );
    }
}

/// One lock per key, so concurrent requests for the same calendar build it
/// once while the others wait for the result.
#[derive(Debug, Default)]
pub struct Locks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Locks {
    pub fn of(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        if locks.len() >= MAX_ENTRIES && !locks.contains_key(key) {
            locks.clear();
        }
        locks.entry(key.to_string()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_reused_for_the_same_version_until_it_expires() {
        let cache = Cache::new(SignedDuration::from_secs(10));
        let v1 = Arc::new(1);
        let v1_again = Arc::new(1);
        let t0: Timestamp = "2026-12-02T18:00:00Z".parse().unwrap();
        cache.put("chat".into(), v1.clone(), t0, Bytes::from_static(b"one"));
        assert_eq!(cache.get("chat", &v1, t0).as_deref(), Some(&b"one"[..]));
        let later = t0 + SignedDuration::from_secs(9);
        assert!(cache.get("chat", &v1, later).is_some());
        assert!(
            cache.get("chat", &v1_again, t0).is_none(),
            "another version"
        );
        assert!(cache.get("other", &v1, t0).is_none());
        let expired = t0 + SignedDuration::from_secs(10);
        assert!(cache.get("chat", &v1, expired).is_none());
        let before = t0 - SignedDuration::from_secs(1);
        assert!(cache.get("chat", &v1, before).is_none(), "a clock set back");
    }
}
