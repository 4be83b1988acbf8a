//! Sends queued events to the webhook, one at a time, in order.
//!
//! A 2xx answer is success. A 5xx, 408, 429, a timeout or a connection that
//! failed is tried again after a jittered backoff (doubling from
//! [`WebhookPolicy::first`] up to [`WebhookPolicy::max`]) until
//! [`WebhookPolicy::give_up_after`] has passed since the first try; any
//! other answer (a 404: the hook was deleted) is final. Either way a
//! give-up is one warning line, without the URL.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{Event, Notifier};
use crate::clock::Clock;
use crate::settings::Secret;
use crate::store::PgStore;

/// How hard one event is tried.
#[derive(Debug, Clone, Copy)]
pub struct WebhookPolicy {
    /// Per request.
    pub timeout: Duration,
    /// The first wait after a temporary failure.
    pub first: Duration,
    /// The longest wait between tries.
    pub max: Duration,
    /// No try starts this long after the first.
    pub give_up_after: Duration,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            first: Duration::from_secs(2),
            max: Duration::from_secs(60),
            give_up_after: Duration::from_secs(600),
        }
    }
}

/// What became of one try.
enum Try {
    Sent,
    Again(String),
    Final(String),
}

/// Sends what `notifier` queues to `url` until `cancel` fires.
///
/// With replicas (`once`: the shared PostgreSQL store) every replica sees
/// the same failing account and the same skipped occurrence; each event is
/// claimed in the database first ([`PgStore::kv_claim`] on
/// [`Event::claim_key`]) and sent only by the replica whose claim took, so
/// the person on call gets one message, not one per replica. When the
/// database cannot say, the event is sent anyway: twice beats never.
pub async fn deliver(
    notifier: Notifier,
    url: Secret,
    policy: WebhookPolicy,
    clock: Clock,
    once: Option<Arc<PgStore>>,
    cancel: CancellationToken,
) {
    let client = match crate::tls::client(policy.timeout) {
        Ok(client) => client,
        Err(err) => {
            warn!(
                "[notify] is set, but no HTTP client could be built, so no webhook will be sent: {}",
                redact(&err, url.expose())
            );
            return;
        }
    };
    loop {
        let event = tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            event = notifier.next() => event,
        };
        let counters = notifier.counters();
        if let Some(store) = &once {
            match store
                .kv_claim(&event.claim_key(), &event.at.to_string())
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    debug!(event = %event.kind, "another replica sent this event: {}", event.message);
                    counters
                        .elsewhere
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    continue;
                }
                Err(err) => warn!(
                    event = %event.kind,
                    "cannot tell whether another replica sent the {} event, so sending it: {err:#}",
                    event.kind
                ),
            }
        }
        match send_with_retries(&client, &url, &event, policy, &clock, &cancel).await {
            Some(Ok(())) => {
                counters
                    .sent
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Some(Err(why)) => {
                counters
                    .failed
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                warn!(
                    event = %event.kind,
                    "the [notify] webhook did not take the {} event ({}): {why}",
                    event.kind,
                    event.message
                );
            }
            None => return,
        }
    }
}

/// `None` when `cancel` fired while waiting to try again.
async fn send_with_retries(
    client: &reqwest::Client,
    url: &Secret,
    event: &Event,
    policy: WebhookPolicy,
    clock: &Clock,
    cancel: &CancellationToken,
) -> Option<Result<(), String>> {
    let body = event.body();
    let started = clock.now();
    let give_up = started
        .checked_add(jiff::SignedDuration::try_from(policy.give_up_after).unwrap_or_default())
        .unwrap_or(started);
    let mut attempt = 0u32;
    loop {
        let answer = tokio::select! {
            biased;
            _ = cancel.cancelled() => return None,
            answer = try_once(client, url, &body) => answer,
        };
        let why = match answer {
            Try::Sent => return Some(Ok(())),
            Try::Final(why) => return Some(Err(format!("{why}; not tried again"))),
            Try::Again(why) => why,
        };
        let wait = backoff(policy, attempt);
        let at = clock
            .now()
            .checked_add(jiff::SignedDuration::try_from(wait).unwrap_or_default())
            .unwrap_or(give_up);
        if at > give_up {
            return Some(Err(format!(
                "{why}; gave up after {} tries in {:#}",
                attempt + 1,
                jiff::SignedDuration::try_from(policy.give_up_after).unwrap_or_default()
            )));
        }
        tracing::debug!(
            attempt,
            "the [notify] webhook failed ({why}); trying again at {at}"
        );
        attempt += 1;
        if !clock.wait_until(at, cancel).await {
            return None;
        }
    }
}

async fn try_once(client: &reqwest::Client, url: &Secret, body: &serde_json::Value) -> Try {
    let answer = client.post(url.expose()).json(body).send().await;
    match answer {
        Ok(response) => {
            let status = response.status();
            // Read to the end so the connection can be reused.
            let _ = response.bytes().await;
            if status.is_success() {
                Try::Sent
            } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
                Try::Again(format!("the receiver answered {status}"))
            } else {
                Try::Final(format!(
                    "the receiver answered {status}: check [notify] url"
                ))
            }
        }
        Err(err) => Try::Again(redact(&chain(&err.without_url()), url.expose())),
    }
}

/// Doubling from `first` to `max`, half of it random.
fn backoff(policy: WebhookPolicy, attempt: u32) -> Duration {
    let full = policy
        .first
        .saturating_mul(2u32.saturating_pow(attempt.min(16)))
        .min(policy.max);
    full / 2 + full.mul_f64(fastrand::f64() / 2.0)
}

/// An error and its sources, `: `-joined.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
        source = source.and_then(std::error::Error::source);
    }
    text
}

/// `text` with the webhook URL, and its path and query, replaced by
/// `[notify url]`: whatever a library puts in its errors, the token in the
/// URL stays out of the log.
pub fn redact(text: &str, url: &str) -> String {
    let mut text = text.replace(url, "[notify url]");
    if let Ok(parsed) = reqwest::Url::parse(url) {
        let path = parsed.path();
        if path.len() > 1 {
            text = text.replace(path, "/[redacted]");
        }
        if let Some(query) = parsed.query().filter(|q| !q.is_empty()) {
            text = text.replace(query, "[redacted]");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_its_path_and_its_query_are_redacted() {
        let url = "https://hooks.slack.com/services/T000/B000/XXXXSECRET?token=abc";
        let err = format!("error sending request for url ({url}): connection refused");
        let clean = redact(&err, url);
        assert!(
            !clean.contains("XXXXSECRET") && !clean.contains("token=abc"),
            "{clean}"
        );
        assert!(clean.contains("[notify url]"), "{clean}");
        let partial = "GET /services/T000/B000/XXXXSECRET failed";
        assert!(!redact(partial, url).contains("XXXXSECRET"));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = WebhookPolicy::default();
        for attempt in 0..20 {
            let wait = backoff(policy, attempt);
            assert!(wait <= policy.max, "{wait:?}");
            assert!(wait >= policy.first / 2, "{wait:?}");
        }
    }
}
